/**
 * ALTER TABLE (table.alter): Paimon's schema changes, its refusals by name, concurrent ALTERs, and
 * writers/compactions that started on an older schema.
 */
import { describe, expect, it } from 'vitest';
import { Catalog, type EddyError, formatDataType, type Table } from '../src/index.ts';
import { tempDir } from './helpers.ts';

async function pkTable(dir: string, options: Record<string, string | number> = {}): Promise<{ c: Catalog; t: Table }> {
  const c = await Catalog.open(dir);
  const t = await c.createTable('db.t', {
    columns: { id: 'BIGINT', a: 'INT', f: 'FLOAT', s: 'VARCHAR(5)', d: 'DECIMAL(5, 2)', x: 'STRING' },
    primaryKey: ['id'],
    options: { bucket: 2, ...options },
  });
  return { c, t };
}

const sorted = (rows: Record<string, unknown>[]) => [...rows].sort((a, b) => Number(a.id) - Number(b.id));
const code = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
  } catch (e) {
    return `${(e as EddyError).code}: ${(e as Error).message}`;
  }
  return 'no error';
};

describe('table.alter', () => {
  it('adds (at a position, with comment and default), drops, renames, moves, widens; old rows read evolved', async () => {
    using d = tempDir();
    const { c, t } = await pkTable(d.path);
    await t.upsert([
      { id: 1n, a: 10, f: 1.5, s: 'ab', d: '1.25', x: 'one' },
      { id: 2n, a: -3, f: 2.25, s: 'cde', d: '-9.99', x: 'two' },
    ]);
    const s1 = await t.alter([
      { kind: 'addColumn', name: 'n', type: 'INT', comment: 'new', position: { after: 'id' }, defaultValue: '7' },
      { kind: 'dropColumn', name: 'x' },
      { kind: 'renameColumn', name: 's', newName: 'title' },
      { kind: 'updateColumnType', name: 'a', type: 'BIGINT' },
      { kind: 'updateColumnType', name: 'f', type: 'DOUBLE' },
      { kind: 'updateColumnType', name: 'title', type: 'STRING' },
      { kind: 'updateColumnType', name: 'd', type: 'DECIMAL(12, 4)' },
      { kind: 'updateColumnPosition', name: 'f', position: 'first' },
      { kind: 'updateColumnComment', name: 'a', comment: 'widened' },
      { kind: 'setOption', key: 'snapshot.num-retained.max', value: 50 },
      { kind: 'updateComment', comment: 'altered' },
    ]);
    expect(s1.id).toBe(1);
    expect(s1.fields.map((f) => `${f.id}:${f.name}:${formatDataType(f.type)}`)).toEqual([
      '2:f:DOUBLE',
      '0:id:BIGINT NOT NULL',
      '6:n:INT',
      '1:a:BIGINT',
      '3:title:STRING',
      '4:d:DECIMAL(12, 4)',
    ]);
    expect(s1.highestFieldId).toBe(6);
    expect(s1.field('n')).toMatchObject({ description: 'new', defaultValue: '7' });
    expect(s1.field('a').description).toBe('widened');
    expect(s1.comment).toBe('altered');
    expect(t.schema.id).toBe(1);
    // Old rows: by field id, widened; the new column null (defaults apply to writes only, as in Paimon).
    expect(sorted(await t.toArray())).toEqual([
      { f: 1.5, id: 1n, n: null, a: 10n, title: 'ab', d: '1.2500' },
      { f: 2.25, id: 2n, n: null, a: -3n, title: 'cde', d: '-9.9900' },
    ]);
    // New writes: the default replaces null; the new types hold wider values.
    await t.upsert([{ id: 3n, a: 5_000_000_000n, f: 1e300, title: 'a long title', d: '12345678.1234' }]);
    expect((await t.toArray({ where: undefined })).find((r) => r.id === 3n)).toEqual({
      f: 1e300,
      id: 3n,
      n: 7,
      a: 5_000_000_000n,
      title: 'a long title',
      d: '12345678.1234',
    });
    // Compaction rewrites files of both schemas into the new one.
    await t.compact({ full: true });
    const again = await c.getTable('db.t');
    expect(sorted(await again.toArray()).map((r) => r.a)).toEqual([10n, -3n, 5_000_000_000n]);
    // Time travel reads snapshot 1 in schema 0.
    expect(sorted(await t.toArray({ snapshotId: 1 }))).toEqual([
      { id: 1n, a: 10, f: 1.5, s: 'ab', d: '1.25', x: 'one' },
      { id: 2n, a: -3, f: 2.25, s: 'cde', d: '-9.99', x: 'two' },
    ]);
    const history = await again.schemaHistory();
    expect(history.map((s) => s.id)).toEqual([0, 1]);
    const snaps = await t.listSnapshots();
    expect(snaps.map((s) => s.schemaId)).toEqual([0, 1, 1]);
  });

  it("refuses by name what Paimon refuses, and what Paimon allows but Eddy can't convert", async () => {
    using d = tempDir();
    const c = await Catalog.open(d.path);
    const t = await c.createTable('db.p', {
      columns: { p: 'STRING', id: 'BIGINT', a: 'BIGINT', s: 'STRING', n: 'INT NOT NULL' },
      primaryKey: ['p', 'id'],
      partitionKeys: ['p'],
      options: { bucket: 2, 'ignore-delete': 'true' },
    });
    await t.upsert({ p: 'x', id: 1n, a: 1n, s: 's', n: 1 });
    const cases: [Parameters<Table['alter']>[0], RegExp][] = [
      [{ kind: 'dropColumn', name: 'id' }, /INVALID_ARGUMENT.*cannot drop partition key or primary key 'id'/],
      [{ kind: 'dropColumn', name: 'p' }, /INVALID_ARGUMENT.*'p'/],
      [{ kind: 'renameColumn', name: 'p', newName: 'q' }, /INVALID_ARGUMENT.*cannot rename partition column 'p'/],
      [{ kind: 'updateColumnType', name: 'id', type: 'STRING' }, /INVALID_ARGUMENT.*primary key 'id'/],
      [{ kind: 'updateColumnType', name: 'a', type: 'INT' }, /UNSUPPORTED.*BIGINT → INT/],
      [{ kind: 'updateColumnType', name: 'a', type: 'DATE' }, /INVALID_ARGUMENT.*Paimon cannot convert BIGINT to DATE/],
      [{ kind: 'updateColumnType', name: 's', type: 'INT' }, /UNSUPPORTED.*STRING → INT/],
      [{ kind: 'updateColumnNullability', name: 'id', nullable: true }, /INVALID_ARGUMENT.*primary key 'id'/],
      [{ kind: 'updateColumnNullability', name: 'a', nullable: false }, /INVALID_ARGUMENT.*NOT NULL.*null-to-not-null/],
      [{ kind: 'addColumn', name: 'z', type: 'INT NOT NULL' }, /INVALID_ARGUMENT.*cannot be NOT NULL/],
      [{ kind: 'addColumn', name: 'a', type: 'INT' }, /INVALID_ARGUMENT.*'a' already exists/],
      [{ kind: 'addColumn', name: '_KEY_a', type: 'INT' }, /INVALID_NAME/],
      [
        { kind: 'addColumn', name: 'z', type: 'INT', position: { after: 'nope' } },
        /INVALID_ARGUMENT.*'nope' does not exist/,
      ],
      [{ kind: 'renameColumn', name: 'nope', newName: 'z' }, /INVALID_ARGUMENT.*'nope' does not exist/],
      [{ kind: 'setOption', key: 'merge-engine', value: 'first-row' }, /UNSUPPORTED.*'merge-engine' cannot be changed/],
      [{ kind: 'setOption', key: 'bucket-key', value: 'id' }, /UNSUPPORTED.*'bucket-key'/],
      [{ kind: 'setOption', key: 'bucket', value: '-1' }, /UNSUPPORTED.*'bucket'/],
      [{ kind: 'setOption', key: 'bucket', value: '4' }, /UNSUPPORTED.*rescale/],
      [{ kind: 'removeOption', key: 'bucket' }, /UNSUPPORTED.*'bucket' cannot be reset/],
      [{ kind: 'setOption', key: 'ignore-delete', value: 'false' }, /UNSUPPORTED.*from true to false/],
      [{ kind: 'setOption', key: 'type', value: 'format-table' }, /UNSUPPORTED.*'type'/],
      [{ kind: 'updateColumnPosition', name: 'a', position: { after: 'a' } }, /INVALID_ARGUMENT.*itself/],
      [{ kind: 'addColumn', name: 'z', type: 'INT', defaultValue: 'abc' }, /INVALID_ARGUMENT.*default value.*"abc"/],
      [
        [
          { kind: 'dropColumn', name: 'a' },
          { kind: 'dropColumn', name: 'a' },
        ],
        /'a' does not exist/,
      ],
    ];
    for (const [change, expected] of cases) expect(await code(t.alter(change))).toMatch(expected);
    // None of them landed.
    expect((await t.schemaHistory()).map((s) => s.id)).toEqual([0]);
    // NOT NULL → NULL is fine; widening too.
    await t.alter([
      { kind: 'updateColumnNullability', name: 'n', nullable: true },
      { kind: 'updateColumnType', name: 'n', type: 'BIGINT' },
    ]);
    expect(formatDataType(t.schema.field('n').type)).toBe('BIGINT');
  });

  it('before any snapshot, immutable options may still change (Paimon checks them only once the table has data)', async () => {
    using d = tempDir();
    const { t } = await pkTable(d.path);
    await t.alter({ kind: 'setOption', key: 'merge-engine', value: 'first-row' });
    expect(t.schema.rawOptions['merge-engine']).toBe('first-row');
  });

  it('renames carry into key lists and per-field options', async () => {
    using d = tempDir();
    const c = await Catalog.open(d.path);
    const t: Table = await c.createTable('db.agg', {
      columns: { id: 'INT', total: 'BIGINT', ts: 'BIGINT' },
      primaryKey: ['id'],
      options: {
        bucket: 1,
        'merge-engine': 'aggregation',
        'fields.total.aggregate-function': 'sum',
        'sequence.field': 'ts',
      },
    });
    await t.upsert({ id: 1, total: 5n, ts: 1n });
    await t.alter([
      { kind: 'renameColumn', name: 'total', newName: 'sum' },
      { kind: 'renameColumn', name: 'ts', newName: 'version' },
      { kind: 'renameColumn', name: 'id', newName: 'key' },
    ]);
    expect(t.schema.primaryKeys).toEqual(['key']);
    expect(t.schema.rawOptions['fields.sum.aggregate-function']).toBe('sum');
    expect(t.schema.rawOptions['fields.total.aggregate-function']).toBeUndefined();
    expect(t.schema.rawOptions['sequence.field']).toBe('version');
    await t.upsert({ key: 1, sum: 7n, version: 2n });
    expect(await t.toArray()).toEqual([{ key: 1, sum: 12n, version: 2n }]);
  });

  it('two concurrent ALTERs never build on the same schema: the second re-validates on the first', async () => {
    using d = tempDir();
    const { c } = await pkTable(d.path);
    const t1 = await c.getTable('db.t');
    const t2 = await c.getTable('db.t');
    const results = await Promise.allSettled([
      t1.alter({ kind: 'renameColumn', name: 'x', newName: 'y' }),
      t2.alter({ kind: 'renameColumn', name: 'x', newName: 'z' }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(String(failed.reason.message)).toMatch(/'x' does not exist/);
    const both = await Promise.all([
      t1.alter({ kind: 'addColumn', name: 'u', type: 'INT' }),
      t2.alter({ kind: 'addColumn', name: 'v', type: 'INT' }),
    ]);
    expect(both.map((s) => s.id).sort()).toEqual([2, 3]);
    const latest = (await c.getTable('db.t')).schema;
    expect(latest.fields.map((f) => f.name)).toEqual(expect.arrayContaining(['u', 'v']));
    expect(new Set(latest.fields.map((f) => f.id)).size).toBe(latest.fields.length);
  });

  it('a writer that started on schema N: a compatible ALTER carries its rows over; an incompatible one fails SCHEMA_CHANGED and leaves the table as it was', async () => {
    using d = tempDir();
    const { c, t } = await pkTable(d.path);
    await t.upsert({ id: 1n, a: 1, f: 1, s: 'a', d: '1', x: 'x' });
    const w = t.newWriter();
    await w.write({ id: 2n, a: 2, f: 2, s: 'b', d: '2', x: 'y' });
    const other = await c.getTable('db.t');
    await other.alter([
      { kind: 'addColumn', name: 'n', type: 'STRING' },
      { kind: 'updateColumnType', name: 'a', type: 'BIGINT' },
      { kind: 'renameColumn', name: 'x', newName: 'xx' },
    ]);
    const r = await w.commit();
    expect(r.snapshot?.schemaId).toBe(1);
    w.close();
    const rows = sorted(await (await c.getTable('db.t')).toArray());
    expect(rows.map((x) => [x.id, x.a, x.xx, x.n])).toEqual([
      [1n, 1n, 'x', null],
      [2n, 2n, 'y', null],
    ]);
    // The stale table object can still compact: the files are in schemas ≤ its own.
    // An option change is incompatible: the writer's commit fails, nothing lands, its files go.
    const w2 = t.newWriter();
    await w2.write({ id: 3n, a: 3, f: 3, s: 'c', d: '3', x: 'z' });
    await other.alter({ kind: 'setOption', key: 'changelog-producer', value: 'input' });
    const before = await other.snapshots.latestSnapshotId();
    expect(await code(w2.commit())).toMatch(/SCHEMA_CHANGED.*option 'changelog-producer' changed/);
    expect(await other.snapshots.latestSnapshotId()).toBe(before);
    // A file of a newer schema stops a stale compaction (it would drop what that schema added).
    await other.upsert({ id: 4n, a: 4n, f: 4, s: 'd', d: '4', xx: 'w', n: 'new' });
    expect(await code(t.compact({ full: true }))).toMatch(/SCHEMA_CHANGED.*newer than this table's/);
    // A stale reader refuses a file whose column it would have to narrow.
    expect(await code(t.toArray())).toMatch(/SCHEMA_CHANGED.*reload the table/);
    await t.refresh();
    expect(t.schema.id).toBe(2);
    expect((await t.toArray()).length).toBe(3);
  });

  it('default values apply to object and Arrow writes, and survive in the schema file', async () => {
    using d = tempDir();
    const c = await Catalog.open(d.path);
    const t: Table = await c.createTable('db.d', {
      columns: { id: 'INT', s: 'STRING' },
      primaryKey: ['id'],
      options: { bucket: 1 },
    });
    await t.alter([
      { kind: 'addColumn', name: 'b', type: 'BOOLEAN', defaultValue: 'true' },
      { kind: 'addColumn', name: 'dd', type: 'DECIMAL(6, 2)', defaultValue: '3.14' },
    ]);
    await t.upsert([{ id: 1 }, { id: 2, b: false, dd: null }]);
    const { tableFromArrays } = await import('apache-arrow');
    await t.upsert(tableFromArrays({ id: Int32Array.from([3]) }));
    expect((await t.toArray()).map((r) => [r.id, r.b, r.dd])).toEqual([
      [1, true, '3.14'],
      [2, false, '3.14'],
      [3, true, '3.14'],
    ]);
    const reloaded = await c.getTable('db.d');
    expect(reloaded.schema.field('dd').defaultValue).toBe('3.14');
    await t.alter({ kind: 'updateColumnDefaultValue', name: 'dd', defaultValue: null });
    expect(t.schema.field('dd').defaultValue).toBeUndefined();
  });
});
