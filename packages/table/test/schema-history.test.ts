/**
 * Time travel reads a snapshot in its own schema (Paimon: AbstractFileStoreTable.tryTimeTravel):
 * the columns the table had then — dropped ones come back, renamed ones under their old names —
 * for scan, scanArrow and change feeds (each batch says its schemaId). Schemas evolve here as an
 * ALTER TABLE by another engine leaves them (a new `schema/schema-N`), against a model that tracks
 * field ids.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Catalog, type DataField, parseDataType, type Table } from '../src/index.ts';
import { TableSchema } from '../src/schema/table-schema.ts';
import { tempDir } from './helpers.ts';

async function evolve(catalog: Catalog, t: Table, fields: DataField[]): Promise<Table> {
  const s = t.schema;
  const highest = Math.max(s.highestFieldId, ...fields.map((f) => f.id));
  const next = new TableSchema(s.id + 1, fields, highest, s.partitionKeys, s.primaryKeys, s.rawOptions, s.comment, 0);
  expect(await t.schemas.tryCreate(next)).toBe(true);
  return catalog.getTable('db.t');
}

const str = (nullable = true) => ({ ...parseDataType('STRING'), nullable });

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

const sortRows = (rows: Record<string, unknown>[]) => rows.map((r) => JSON.stringify(r, Object.keys(r).sort())).sort();

describe('time travel in the snapshot’s own schema', () => {
  it('renamed, added and dropped columns: scans, Arrow and change feeds show each snapshot as it was', async () => {
    using d = tempDir();
    const catalog = await Catalog.open(d.path);
    let t = await catalog.createTable('db.t', {
      columns: { k: 'INT', name: 'STRING', v: 'INT' },
      primaryKey: ['k'],
      options: { bucket: 1 },
    });
    await t.upsert([
      { k: 1, name: 'a', v: 1 },
      { k: 2, name: 'b', v: 2 },
    ]); // snapshot 1, schema 0
    const [k, name, v] = t.schema.fields;
    // ALTER TABLE RENAME name TO title, ADD extra STRING
    t = await evolve(catalog, t, [k, { ...name, name: 'title' }, v, { id: 3, name: 'extra', type: str() }]);
    await t.upsert([{ k: 3, title: 'c', v: 3, extra: 'x' }]); // snapshot 2, schema 1
    // ALTER TABLE DROP v
    t = await evolve(catalog, t, [k, { ...name, name: 'title' }, { id: 3, name: 'extra', type: str() }]);
    await t.upsert([{ k: 1, title: 'a2', extra: 'y' }]); // snapshot 3, schema 2

    expect(sortRows(await t.toArray({ snapshotId: 1 }))).toEqual(
      sortRows([
        { k: 1, name: 'a', v: 1 },
        { k: 2, name: 'b', v: 2 },
      ]),
    );
    expect(sortRows(await t.toArray({ snapshotId: 2 }))).toEqual(
      sortRows([
        { k: 1, title: 'a', v: 1, extra: null },
        { k: 2, title: 'b', v: 2, extra: null },
        { k: 3, title: 'c', v: 3, extra: 'x' },
      ]),
    );
    expect(sortRows(await t.toArray())).toEqual(
      sortRows([
        { k: 1, title: 'a2', extra: 'y' },
        { k: 2, title: 'b', extra: null },
        { k: 3, title: 'c', extra: 'x' },
      ]),
    );
    // select and where use the snapshot's own names.
    expect(await t.toArray({ snapshotId: 1, select: ['name'], where: { op: '=', column: 'v', value: 2 } })).toEqual([
      { name: 'b' },
    ]);
    await expect(t.toArray({ snapshotId: 1, select: ['title'] })).rejects.toThrow(/unknown column 'title'.*schema 0/);
    // Arrow batches carry the snapshot's field names.
    const [batch] = await collect(t.scanArrow({ snapshotId: 1 }));
    expect(batch.schema.fields.map((f) => f.name)).toEqual(['k', 'name', 'v']);
    // Tags too.
    await t.createTag('first', { snapshotId: 1 });
    expect((await t.toArray({ tag: 'first' }))[0]).toHaveProperty('name');

    // Change feeds: each snapshot's rows in its schema, with its schemaId.
    const ev = await collect(t.changesBetween(0, 3));
    expect(ev.map((e) => [e.snapshotId, e.schemaId, Object.keys(e.row)])).toEqual([
      [1, 0, ['k', 'name', 'v']],
      [1, 0, ['k', 'name', 'v']],
      [2, 1, ['k', 'title', 'v', 'extra']],
      [3, 2, ['k', 'title', 'extra']],
    ]);
    // select follows field ids of the current schema: the old name at old snapshots, and a column
    // that did not exist yet is left out.
    const sel = await collect(t.changesBetween(0, 3, { select: ['title', 'extra'] }));
    expect(sel.map((e) => e.row)).toEqual([
      { name: 'a' },
      { name: 'b' },
      { title: 'c', extra: 'x' },
      { title: 'a2', extra: 'y' },
    ]);
    const batches = await collect(t.changeBatches({ scanMode: 'from-snapshot-full', snapshotId: 1, endSnapshotId: 2 }));
    expect(batches.map((b) => [b.snapshotId, b.schemaId, b.batch.schema.fields.map((f) => f.name)])).toEqual([
      [1, 0, ['rowkind', 'k', 'name', 'v']],
      [2, 1, ['rowkind', 'k', 'title', 'v', 'extra']],
    ]);
  });
});

describe('reads without time travel', () => {
  it('use the table schema: a column added after the last commit reads as null (as in Java)', async () => {
    using d = tempDir();
    const catalog = await Catalog.open(d.path);
    let t = await catalog.createTable('db.t', { columns: { k: 'INT', a: 'STRING' }, primaryKey: ['k'] });
    await t.upsert([{ k: 1, a: 'x' }]);
    t = await evolve(catalog, t, [...t.schema.fields, { id: 2, name: 'b', type: str() }]);
    expect(await t.toArray()).toEqual([{ k: 1, a: 'x', b: null }]);
    expect(await t.toArray({ snapshotId: 1 })).toEqual([{ k: 1, a: 'x' }]);
  });
});

type Op =
  | { t: 'upsert'; keys: number[]; tag: number }
  | { t: 'add' }
  | { t: 'drop'; pick: number }
  | { t: 'rename'; pick: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      t: fc.constant('upsert' as const),
      keys: fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 4 }),
      tag: fc.nat(50),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ t: 'add' as const }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('drop' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('rename' as const), pick: fc.nat() }) },
);

describe('schema history against a model', () => {
  it('every snapshot scans (and feeds) in its own schema like the model', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 2, maxLength: 10 }), async (ops) => {
        using d = tempDir();
        const catalog = await Catalog.open(d.path);
        let t = await catalog.createTable('db.t', {
          columns: { k: 'INT', c0: 'STRING' },
          primaryKey: ['k'],
          options: { bucket: 1 },
        });
        let nextId = 2;
        let nextName = 1;
        // The model: rows by key as {fieldId: value}; each snapshot's field list and rows.
        const state = new Map<number, Map<number, string | null>>();
        const snapshots = new Map<number, { fields: DataField[]; rows: Record<string, unknown>[]; schemaId: number }>();
        const view = (fields: readonly DataField[]) =>
          [...state.entries()].map(([key, vals]) => {
            const r: Record<string, unknown> = {};
            for (const f of fields) r[f.name] = f.name === 'k' ? key : (vals.get(f.id) ?? null);
            return r;
          });
        for (const o of ops) {
          const fields = [...t.schema.fields];
          const values = fields.filter((f) => f.name !== 'k');
          if (o.t === 'upsert') {
            const r = await t.upsert(
              o.keys.map((key) => {
                const row: Record<string, unknown> = { k: key };
                for (const f of values) row[f.name] = `${f.name}-${o.tag}`;
                return row;
              }),
            );
            for (const key of o.keys) {
              const vals = new Map<number, string | null>();
              for (const f of values) vals.set(f.id, `${f.name}-${o.tag}`);
              state.set(key, vals);
            }
            snapshots.set(r.snapshot!.id, { fields, rows: view(fields), schemaId: t.schema.id });
          } else if (o.t === 'add') {
            t = await evolve(catalog, t, [...fields, { id: nextId++, name: `c${nextName++}`, type: str() }]);
          } else if (values.length > 1) {
            const victim = values[o.pick % values.length];
            const next =
              o.t === 'drop'
                ? fields.filter((f) => f.id !== victim.id)
                : fields.map((f) => (f.id === victim.id ? { ...f, name: `c${nextName++}` } : f));
            t = await evolve(catalog, t, next);
          }
        }
        for (const [id, s] of snapshots) {
          expect(sortRows(await t.toArray({ snapshotId: id })), `snapshot ${id}`).toEqual(sortRows(s.rows));
          const [b] = await collect(t.scanArrow({ snapshotId: id }));
          expect(b.schema.fields.map((f) => f.name)).toEqual(s.fields.map((f) => f.name));
        }
        const latest = (await t.snapshots.latestSnapshotId()) ?? 0;
        for (const e of await collect(t.changesBetween(0, latest))) {
          const s = snapshots.get(e.snapshotId)!;
          expect(e.schemaId).toBe(s.schemaId);
          expect(Object.keys(e.row)).toEqual(s.fields.map((f) => f.name));
        }
      }),
      { numRuns: 8 },
    );
  });
});
