import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Catalog } from '@eddy/table';
import { afterEach, describe, expect, it } from 'vitest';
import { binEnv } from '../../../test/bin-env.ts';

const BIN = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'eddy-compactor.js');
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('eddy-compactor and append tables', () => {
  it('compacts the small files a stream left in an append table, rows unchanged', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'eddy-compactor-append-'));
    dirs.push(dir);
    const t = await (await Catalog.open(dir)).createTable('db.events', {
      columns: { id: 'INT', msg: 'STRING' },
      options: { bucket: -1, 'write-only': 'true' },
    });
    for (let c = 0; c < 6; c++)
      await t.upsert(Array.from({ length: 10 }, (_, i) => ({ id: c * 10 + i, msg: `m${c}` })));
    const files = async () => (await t.plan()).splits.reduce((n, s) => n + s.files.length, 0);
    expect(await files()).toBe(6);
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [BIN, '--warehouse', dir, '--once', '--port', '-1', '--no-expire'],
      { env: binEnv() },
    );
    const lines = stdout
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as { msg: string; table?: string });
    expect(lines.filter((l) => l.msg === 'compacted').map((l) => l.table)).toEqual(['db.events']);
    await t.refresh();
    expect(await files()).toBe(1);
    expect((await t.latestSnapshot())!.commitKind).toBe('COMPACT');
    expect((await t.toArray()).map((r) => r.id).sort((a, b) => Number(a) - Number(b))).toEqual(
      Array.from({ length: 60 }, (_, i) => i),
    );
  });
});
