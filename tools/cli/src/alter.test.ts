/**
 * `eddy alter`: the clause grammar, and the command as users run it (a subprocess), on a table made
 * with the SDK; `eddy describe` then shows the schema history.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Catalog } from '@eddy/table';
import { describe, expect, it } from 'vitest';
import { binEnv } from '../../../test/bin-env.ts';
import { parseChange } from './alter.ts';

const BIN = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'eddy.js');

describe('eddy alter', () => {
  it('parses each clause into the SDK change', () => {
    expect(parseChange("add note VARCHAR(20) comment 'it''s free' default 'n/a' after id")).toEqual({
      kind: 'addColumn',
      name: 'note',
      type: 'VARCHAR(20)',
      comment: "it's free",
      defaultValue: 'n/a',
      position: { after: 'id' },
    });
    expect(parseChange('ADD ts TIMESTAMP(3) WITH LOCAL TIME ZONE first')).toEqual({
      kind: 'addColumn',
      name: 'ts',
      type: 'TIMESTAMP(3) WITH LOCAL TIME ZONE',
      position: 'first',
    });
    expect(parseChange('type amount DECIMAL(12, 2)')).toEqual({
      kind: 'updateColumnType',
      name: 'amount',
      type: 'DECIMAL(12, 2)',
    });
    expect(parseChange('rename a to b')).toEqual({ kind: 'renameColumn', name: 'a', newName: 'b' });
    expect(parseChange('move a before b')).toEqual({
      kind: 'updateColumnPosition',
      name: 'a',
      position: { before: 'b' },
    });
    expect(parseChange('nullable n')).toEqual({ kind: 'updateColumnNullability', name: 'n', nullable: true });
    expect(parseChange('comment n null')).toEqual({ kind: 'updateColumnComment', name: 'n', comment: null });
    expect(parseChange('set a.b = c=d')).toEqual({ kind: 'setOption', key: 'a.b', value: 'c=d' });
    expect(parseChange('reset a.b')).toEqual({ kind: 'removeOption', key: 'a.b' });
    expect(() => parseChange('rename a b')).toThrow(/RENAME <col> TO <new>/);
    expect(() => parseChange('frobnicate a')).toThrow(/unknown change 'frobnicate'/);
    expect(() => parseChange("comment a 'open")).toThrow(/unterminated quote/);
  });

  it('alters a table; a refused change exits 1 naming the column; describe shows the history', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'eddy-alter-'));
    try {
      const c = await Catalog.open(dir);
      const t = await c.createTable('db.t', {
        columns: { id: 'BIGINT', a: 'INT', s: 'STRING' },
        primaryKey: ['id'],
        options: { bucket: 1 },
      });
      await t.upsert({ id: 1n, a: 5, s: 'x' });
      const run = (args: string[]) =>
        execFileSync(process.execPath, [BIN, '-w', dir, ...args], { encoding: 'utf8', env: binEnv() });
      const out = JSON.parse(
        run(['--json', 'alter', 'db.t', 'add n INT after id', 'type a BIGINT', 'rename s to title']),
      ) as { schemaId: number; changes: string[] };
      expect(out.schemaId).toBe(1);
      expect(out.changes).toEqual(['add n INT', 'type a INT → BIGINT', 'rename s → title']);
      const file = path.join(dir, 'changes.json');
      writeFileSync(file, JSON.stringify([{ kind: 'setOption', key: 'snapshot.num-retained.max', value: '90' }]));
      run(['alter', 'db.t', '--file', file]);
      let err = '';
      try {
        run(['alter', 'db.t', 'drop id']);
      } catch (e) {
        err = String((e as { stderr: string }).stderr);
        expect((e as { status: number }).status).toBe(1);
      }
      expect(err).toMatch(/cannot drop partition key or primary key 'id'/);
      const desc = JSON.parse(run(['--json', 'describe', 'db.t'])) as { schemas: { id: number; changes: string[] }[] };
      expect(desc.schemas.map((s) => s.changes)).toEqual([
        ['create (3 columns)'],
        ['add n INT', 'type a INT → BIGINT', 'rename s → title'],
        ['set snapshot.num-retained.max=90'],
      ]);
      expect(await (await c.getTable('db.t')).toArray()).toEqual([{ id: 1n, n: null, a: 5n, title: 'x' }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
