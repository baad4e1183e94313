import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { expect } from 'vitest';
import { EddyError, type EddyErrorCode, type FileIO, type FileStatus } from '../../packages/table/src/index.ts';

export function tempDir(prefix = 'eddy-rel-'): { path: string; [Symbol.dispose](): void } {
  const p = mkdtempSync(path.join(tmpdir(), prefix));
  return { path: p, [Symbol.dispose]: () => rmSync(p, { recursive: true, force: true }) };
}

/** Every file under `dir` with its size and mtime: compare two of them to prove nothing was written. */
export function treeOf(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const n of names) {
      const p = path.join(d, n);
      const s = statSync(p);
      if (s.isDirectory()) {
        out.set(`${p}/`, 'dir');
        walk(p);
      } else out.set(p, `${s.size}@${s.mtimeMs}`);
    }
  };
  walk(dir);
  return out;
}

export type Hook = (op: keyof FileIO, path: string) => void | Promise<void>;

/** A FileIO that calls `hook` before every call: tests use it to pause one party of a race at a precise point. */
export class GateFileIO implements FileIO {
  hook: Hook | undefined;
  constructor(readonly inner: FileIO) {}
  get preferRangedReads(): boolean | undefined {
    return this.inner.preferRangedReads;
  }
  private async gate(op: keyof FileIO, p: string): Promise<void> {
    await this.hook?.(op, p);
  }
  async read(p: string) {
    await this.gate('read', p);
    return this.inner.read(p);
  }
  async readRange(p: string, offset: number, length: number) {
    await this.gate('readRange', p);
    return this.inner.readRange(p, offset, length);
  }
  async write(p: string, data: Uint8Array | string) {
    await this.gate('write', p);
    return this.inner.write(p, data);
  }
  async writeIfAbsent(p: string, data: Uint8Array | string) {
    await this.gate('writeIfAbsent', p);
    return this.inner.writeIfAbsent(p, data);
  }
  async exists(p: string) {
    await this.gate('exists', p);
    return this.inner.exists(p);
  }
  async stat(p: string): Promise<FileStatus | undefined> {
    await this.gate('stat', p);
    return this.inner.stat(p);
  }
  async list(p: string) {
    await this.gate('list', p);
    return this.inner.list(p);
  }
  async delete(p: string) {
    await this.gate('delete', p);
    return this.inner.delete(p);
  }
  async deleteDirectory(p: string) {
    await this.gate('deleteDirectory', p);
    return this.inner.deleteDirectory(p);
  }
  async mkdirs(p: string) {
    await this.gate('mkdirs', p);
    return this.inner.mkdirs(p);
  }
}

/** A promise with its resolve function. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** The error `fn` fails with (fails the test when it succeeds). */
export async function failure(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a failure, but it succeeded');
}

/** Asserts `e` is an EddyError with one of `codes` whose message names `mention` (a file or a problem). */
export function expectEddy(e: unknown, codes: EddyErrorCode | EddyErrorCode[], mention?: string | RegExp): EddyError {
  if (!(e instanceof EddyError)) throw new Error(`expected an EddyError, got ${(e as Error)?.stack ?? String(e)}`);
  expect([codes].flat()).toContain(e.code);
  if (mention !== undefined) expect(e.message).toMatch(mention);
  return e;
}

/** Runs `fn` and asserts it took less than `ms` and grew the RSS by less than `mb`. */
export async function bounded<T>(fn: () => Promise<T>, ms = 5000, mb = 256): Promise<T> {
  const rss = process.memoryUsage().rss;
  const t0 = performance.now();
  const out = await fn();
  const took = performance.now() - t0;
  const grew = (process.memoryUsage().rss - rss) / 1024 / 1024;
  expect(took, 'time').toBeLessThan(ms);
  expect(grew, 'RSS growth (MB)').toBeLessThan(mb);
  return out;
}

export const sortBy = <T>(rows: T[], key: (r: T) => string | number | bigint): T[] =>
  [...rows].sort((a, b) => {
    const x = key(a);
    const y = key(b);
    return x < y ? -1 : x > y ? 1 : 0;
  });
