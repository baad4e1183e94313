/**
 * Clear errors where the file system says no (issue 16, "Also"): a read-only file system, a
 * warehouse that is a file, a name longer than a directory name may be. Each is a typed EddyError
 * saying what to fix, never a raw NOT_FOUND, EEXIST or ENAMETOOLONG.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Catalog, EddyError } from '../src/index.ts';
import { tempDir } from './helpers.ts';

async function failure(fn: () => Promise<unknown>): Promise<EddyError> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof EddyError) return e;
    throw e;
  }
  throw new Error('expected a failure');
}

const SCHEMA = { columns: { id: 'INT' } };

/** A read-only tmpfs (root with mount rights), else undefined. */
function readOnlyMount(dir: string): (() => void) | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', dir], { stdio: 'ignore' });
    return () => execFileSync('umount', [dir], { stdio: 'ignore' });
  } catch {
    return undefined;
  }
}

describe('clear errors from the file system', () => {
  it('a warehouse that is a file: IO_ERROR saying so (not EEXIST)', async () => {
    using dir = tempDir();
    const file = path.join(dir.path, 'wh');
    writeFileSync(file, 'x');
    const e = await failure(() => Catalog.open(file));
    expect(e.code).toBe('IO_ERROR');
    expect(e.message).toBe(`warehouse ${file}: cannot create directory ${file}: ${file} is a file, not a directory`);
    const below = await failure(() => Catalog.open(path.join(file, 'sub')));
    expect(below.message).toContain(`${file} is a file, not a directory`);
  });

  it('a multibyte table or database name over 255 bytes: INVALID_NAME counting bytes (not ENAMETOOLONG)', async () => {
    using dir = tempDir();
    const c = await Catalog.open(path.join(dir.path, 'wh'));
    const long = 'é'.repeat(130); // 130 characters, 260 bytes
    const t = await failure(() => c.createTable(`db.${long}`, SCHEMA));
    expect(t.code).toBe('INVALID_NAME');
    expect(t.message).toMatch(/table name is 260 bytes in UTF-8 \(130 characters\); at most 255 bytes/);
    const d = await failure(() => c.createTable(`${'é'.repeat(127)}.t`, SCHEMA));
    expect(d.message).toMatch(/database name is 254 bytes .* at most 252 bytes/);
    // 255 bytes exactly is fine.
    await c.createTable(`db.${'é'.repeat(127)}x`, SCHEMA);
  });

  it('createTable on a read-only file system: IO_ERROR naming it (not NOT_FOUND …schema-0)', async (ctx) => {
    using dir = tempDir();
    const ro = path.join(dir.path, 'ro');
    mkdirSync(ro);
    const unmount = readOnlyMount(ro);
    if (!unmount) ctx.skip(); // needs root and mount rights
    try {
      const e = await failure(async () => (await Catalog.open(ro)).createTable('db.t', SCHEMA));
      expect(e.code).toBe('IO_ERROR');
      expect(e.message).toMatch(/cannot create directory .*: the file system is read-only \(EROFS/);
    } finally {
      unmount?.();
    }
  });
});
