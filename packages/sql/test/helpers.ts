import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export function tempDir(prefix = 'eddy-sql-test-'): { path: string; [Symbol.dispose](): void } {
  const p = mkdtempSync(path.join(tmpdir(), prefix));
  return { path: p, [Symbol.dispose]: () => rmSync(p, { recursive: true, force: true }) };
}

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'table', 'test', 'fixtures');

/** The Java-written golden warehouse (deletion vectors on), extracted into `dir`. */
export function extractGolden(dir: string): string {
  execFileSync('tar', ['-xzf', path.join(FIXTURES, 'pk_global_index_golden.tar.gz'), '-C', dir]);
  return dir;
}

const key = (v: unknown): string =>
  JSON.stringify(v, (_k, x) =>
    typeof x === 'bigint' ? `${x}n` : x instanceof Uint8Array ? `bytes:${Buffer.from(x).toString('hex')}` : x,
  );

/** Rows in a canonical order (for comparing unordered results). */
export function sorted<T>(rows: readonly T[]): T[] {
  return [...rows].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** Seeded PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
