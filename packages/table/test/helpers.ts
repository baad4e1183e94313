import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type FileIO, type FileStatus, LocalFileIO } from '../src/index.ts';

export const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');

export function tempDir(prefix = 'eddy-test-'): { path: string; [Symbol.dispose](): void } {
  const p = mkdtempSync(path.join(tmpdir(), prefix));
  return { path: p, [Symbol.dispose]: () => rmSync(p, { recursive: true, force: true }) };
}

/** Extracts the Java-written golden warehouse into a fresh temp dir and returns the warehouse path. */
export function extractGolden(dir: string): string {
  execFileSync('tar', ['-xzf', path.join(FIXTURES, 'pk_global_index_golden.tar.gz'), '-C', dir]);
  return dir;
}

/** mulberry32: a small, fast, seeded 32-bit PRNG (reproducible test data and fault schedules). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The local disk behind a FileIO a test subclasses to act at chosen calls (interleave, stall). */
export class ForwardingFileIO implements FileIO {
  protected readonly inner = new LocalFileIO();
  read(p: string): Promise<Uint8Array> {
    return this.inner.read(p);
  }
  readRange(p: string, o: number, l: number): Promise<Uint8Array> {
    return this.inner.readRange(p, o, l);
  }
  write(p: string, d: Uint8Array | string): Promise<void> {
    return this.inner.write(p, d);
  }
  writeIfAbsent(p: string, d: Uint8Array | string): Promise<boolean> {
    return this.inner.writeIfAbsent(p, d);
  }
  exists(p: string): Promise<boolean> {
    return this.inner.exists(p);
  }
  stat(p: string): Promise<FileStatus | undefined> {
    return this.inner.stat(p);
  }
  list(p: string) {
    return this.inner.list(p);
  }
  delete(p: string) {
    return this.inner.delete(p);
  }
  deleteDirectory(p: string) {
    return this.inner.deleteDirectory(p);
  }
  mkdirs(p: string) {
    return this.inner.mkdirs(p);
  }
}
