/**
 * Cell 6 — schema evolution across Flink and Eddy. Flink alters an Eddy-written table with
 * `ALTER TABLE` (add, rename, widen INT → BIGINT, drop), writes with the new schema, Eddy writes
 * after it; Eddy and Flink read every snapshot and agree with a model kept by field id. The other
 * direction too: Eddy alters its table (SDK and `eddy alter`) and writes after each change, Flink
 * reads every snapshot.
 */
import { Catalog, formatDataType, type Table } from '@eddy/table';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CanonicalValue } from '../interop/canonical.ts';
import { type FlinkDriver, type FlinkValue, flink } from './driver.ts';
import { eddyCli, freshWarehouse, hint } from './helpers.ts';
import { unlessKnown } from './limitations.ts';

const CAT = 'evolution_wh';
let d: FlinkDriver;
let wh: string;
let catalog: Catalog;

beforeAll(async () => {
  wh = freshWarehouse('evolution');
  catalog = await Catalog.open(wh);
  d = await flink();
  await d.catalog(CAT, wh);
});

interface SchemaField {
  readonly id: number;
  readonly name: string;
}

/** A row by field id, values as strings (an INT read through a BIGINT schema is the same value). */
type ById = Record<number, string | null>;

const text = (v: unknown): string | null =>
  v === null || v === undefined ? null : typeof v === 'number' ? String(v) : String(v);

/** Maps a read's column names to field ids by the schema whose names they are (the snapshot's or the latest). */
function byId(
  rows: readonly Readonly<Record<string, CanonicalValue | FlinkValue | unknown>>[],
  schemas: readonly (readonly SchemaField[])[],
  who: string,
): { ids: Set<number>; rows: ById[] } {
  if (rows.length === 0) return { ids: new Set(), rows: [] };
  const names = Object.keys(rows[0]!).sort().join(',');
  const schema = schemas.find(
    (s) =>
      s
        .map((f) => f.name)
        .sort()
        .join(',') === names,
  );
  if (!schema) throw new Error(`${who}: columns ${names} are not those of any schema of the snapshot or the table`);
  return {
    ids: new Set(schema.map((f) => f.id)),
    rows: rows.map((r) => Object.fromEntries(schema.map((f) => [f.id, text(r[f.name])]))),
  };
}

/** The model's rows restricted to some field ids; a field the model lacks (added later) is null. */
function project(model: readonly ById[], ids: Set<number>): string[] {
  return model.map((r) => JSON.stringify([...ids].sort().map((id) => r[id] ?? null))).sort();
}

describe('cell 6: schema evolution between Flink and Eddy', () => {
  it('Flink alters an Eddy table (add, rename, INT→BIGINT, drop) and writes; Eddy writes; both read every snapshot', async () => {
    const t: Table = await catalog.createTable('db.evo', {
      columns: { id: 'BIGINT', name: 'STRING', qty: 'INT', price: 'DOUBLE' },
      primaryKey: ['id'],
      options: { bucket: '2' },
    });
    // field ids: id 0, name/title 1, qty 2, price 3, note 4 (added by Flink)
    const model = new Map<string, ById>();
    const states: ById[][] = [];
    const snapshotOf: number[] = [];
    const record = async () => {
      snapshotOf.push((await t.latestSnapshot())!.id);
      states.push([...model.values()].map((r) => ({ ...r })));
    };
    const put = (r: ById) => model.set(r[0]!, { ...model.get(r[0]!), ...r });

    await t.upsert([1, 2, 3, 4, 5].map((i) => ({ id: BigInt(i), name: `n${i}`, qty: i * 10, price: i + 0.5 })));
    for (const i of [1, 2, 3, 4, 5]) put({ 0: String(i), 1: `n${i}`, 2: String(i * 10), 3: String(i + 0.5) });
    await record();
    await t.upsert({ id: 2n, name: 'two', qty: 2_000_000_000, price: 2.25 });
    await t.delete({ id: 5n });
    put({ 0: '2', 1: 'two', 2: '2000000000', 3: '2.25' });
    model.delete('5');
    await record();

    const name = `${CAT}.db.evo`;
    await d.sql(
      [
        `ALTER TABLE ${name} ADD note STRING`,
        `ALTER TABLE ${name} RENAME name TO title`,
        `ALTER TABLE ${name} MODIFY qty BIGINT`,
        `ALTER TABLE ${name} DROP price`,
      ],
      { mode: 'batch' },
    );
    await d.sql(
      `INSERT INTO ${name} (id, title, qty, note) VALUES ` +
        `(6, 'six', 6000000000, 'added by flink'), (7, 'seven', 7, CAST(NULL AS STRING)), (1, 'one', 11, 'updated')`,
    );
    for (const [id, title, qty, note] of [
      ['6', 'six', '6000000000', 'added by flink'],
      ['7', 'seven', '7', null],
      ['1', 'one', '11', 'updated'],
    ] as const)
      put({ 0: id, 1: title, 2: qty, 4: note });
    await record();

    // Eddy writes into the evolved table (its latest schema: id, title, qty BIGINT, note)
    const evolved = await catalog.getTable('db.evo');
    expect(evolved.schema.fields.map((f) => [f.id, f.name, formatDataType(f.type)])).toEqual([
      [0, 'id', 'BIGINT NOT NULL'],
      [1, 'title', 'STRING'],
      [2, 'qty', 'BIGINT'],
      [4, 'note', 'STRING'],
    ]);
    await evolved.upsert([
      { id: 8n, title: 'eight', qty: 8n, note: 'by eddy' },
      { id: 6n, title: 'SIX', qty: 6n, note: null },
    ]);
    put({ 0: '8', 1: 'eight', 2: '8', 4: 'by eddy' });
    put({ 0: '6', 1: 'SIX', 2: '6', 4: null });
    await record();

    // the schemas, by id, as Flink's $schemas table lists them
    const [schemaRows] = await d.sql(`SELECT schema_id, fields FROM ${CAT}.db.\`evo$schemas\``);
    const schemas = new Map(
      schemaRows!.rows.map((r) => [Number(r.row.schema_id), JSON.parse(r.row.fields as string) as SchemaField[]]),
    );
    expect(schemas.size).toBe(5);
    const latest = schemas.get(Math.max(...schemas.keys()))!;
    const snaps = await evolved.listSnapshots();

    const candidates = (id: number) => [schemas.get(snaps.find((s) => s.id === id)!.schemaId)!, latest];

    // Eddy reads every snapshot (by field id, whichever schema it reads in)
    const eddyFields = new Map<number, Set<number>>();
    for (const [i, id] of snapshotOf.entries()) {
      const e = byId(await evolved.toArray({ snapshotId: id }), candidates(id), `Eddy at snapshot ${id}`);
      eddyFields.set(id, e.ids);
      expect(project(e.rows, e.ids), `Eddy at snapshot ${id} (fields ${[...e.ids]}) vs the model`).toEqual(
        project(states[i]!, e.ids),
      );
    }
    expect(await eddyCli(wh, 'verify', 'db.evo')).toMatch(/OK/);

    // Flink reads every snapshot
    const read = await unlessKnown('evolution:flink-alters', () =>
      d.query(
        snapshotOf
          .map((id) => `SELECT '${id}' AS _at, * FROM ${name} ${hint({ 'scan.snapshot-id': id })}`)
          .join(' UNION ALL '),
      ),
    );
    if (!read.ok) return;
    for (const [i, id] of snapshotOf.entries()) {
      const f = byId(
        read.value.filter((r) => r.row._at === String(id)).map(({ row: { _at, ...row } }) => row),
        candidates(id),
        `Flink at snapshot ${id}`,
      );
      expect(project(f.rows, f.ids), `Flink at snapshot ${id} (fields ${[...f.ids]}) vs the model`).toEqual(
        project(states[i]!, f.ids),
      );
      // Flink SQL's standard time travel reads the snapshot in its own schema, as Eddy does (the
      // scan.snapshot-id hint above keeps the latest schema's columns: the planner resolved them first)
      const at = new Date(snaps.find((s) => s.id === id)!.timeMillis).toISOString().replace('T', ' ').replace('Z', '');
      const [, asOf] = await d.sql([
        `USE CATALOG ${CAT}`, // Flink 2.0 resolves FOR SYSTEM_TIME AS OF in the current catalog only
        `SELECT * FROM db.evo FOR SYSTEM_TIME AS OF TIMESTAMP '${at}'`,
        'USE CATALOG default_catalog',
      ]);
      const g = byId(
        asOf!.rows.map((r) => r.row),
        candidates(id),
        `Flink FOR SYSTEM_TIME AS OF snapshot ${id}`,
      );
      expect([...g.ids], `fields of Flink's FOR SYSTEM_TIME AS OF snapshot ${id}`).toEqual([...eddyFields.get(id)!]);
      expect(project(g.rows, g.ids), `Flink FOR SYSTEM_TIME AS OF snapshot ${id} vs the model`).toEqual(
        project(states[i]!, g.ids),
      );
      console.log(
        `cell 6: snapshot ${id} (schema ${snaps.find((s) => s.id === id)!.schemaId}): fields read by Flink with ` +
          `the scan.snapshot-id hint [${[...f.ids]}], by Flink FOR SYSTEM_TIME AS OF [${[...g.ids]}], ` +
          `by Eddy [${[...eddyFields.get(id)!]}]`,
      );
    }
  });

  it('Eddy alters its table (SDK and eddy alter: add, rename, INT→BIGINT, drop) and writes after each; Flink reads every snapshot', async () => {
    const t: Table = await catalog.createTable('db.evo_eddy', {
      columns: { id: 'BIGINT', name: 'STRING', qty: 'INT', price: 'DOUBLE' },
      primaryKey: ['id'],
      options: { bucket: '2' },
    });
    // field ids: id 0, name/title 1, qty 2, price 3, note 4 (added by Eddy)
    const model = new Map<string, ById>();
    const states: ById[][] = [];
    const snapshotOf: number[] = [];
    const record = async () => {
      snapshotOf.push((await t.latestSnapshot())!.id);
      states.push([...model.values()].map((r) => ({ ...r })));
    };
    const put = (r: ById) => model.set(r[0]!, { ...model.get(r[0]!), ...r });

    await t.upsert([1, 2, 3, 4, 5].map((i) => ({ id: BigInt(i), name: `n${i}`, qty: i * 10, price: i + 0.5 })));
    for (const i of [1, 2, 3, 4, 5]) put({ 0: String(i), 1: `n${i}`, 2: String(i * 10), 3: String(i + 0.5) });
    await record();

    await t.alter({ kind: 'addColumn', name: 'note', type: 'STRING' });
    await t.upsert([
      { id: 6n, name: 'six', qty: 6, price: 6.5, note: 'added by eddy' },
      { id: 1n, name: 'one', qty: 11, price: 1.25, note: null },
    ]);
    put({ 0: '6', 1: 'six', 2: '6', 3: '6.5', 4: 'added by eddy' });
    put({ 0: '1', 1: 'one', 2: '11', 3: '1.25', 4: null });
    await record();

    await t.alter({ kind: 'renameColumn', name: 'name', newName: 'title' });
    await t.upsert({ id: 2n, title: 'two', qty: 2_000_000_000, price: 2.25, note: 'renamed' });
    await t.delete({ id: 3n });
    put({ 0: '2', 1: 'two', 2: '2000000000', 3: '2.25', 4: 'renamed' });
    model.delete('3');
    await record();

    // the CLI alters the same table; the SDK object picks the schema up
    await eddyCli(wh, 'alter', 'db.evo_eddy', 'type qty BIGINT');
    await t.refresh();
    await t.upsert({ id: 7n, title: 'seven', qty: 7_000_000_000n, price: 7.5, note: null });
    put({ 0: '7', 1: 'seven', 2: '7000000000', 3: '7.5', 4: null });
    await record();

    await eddyCli(wh, 'alter', 'db.evo_eddy', 'drop price');
    await t.refresh();
    await t.upsert([
      { id: 4n, title: 'FOUR', qty: 4n, note: 'after drop' },
      { id: 8n, title: 'eight', qty: 8_000_000_000n, note: null },
    ]);
    put({ 0: '4', 1: 'FOUR', 2: '4', 4: 'after drop' });
    put({ 0: '8', 1: 'eight', 2: '8000000000', 4: null });
    model.forEach((r) => {
      delete r[3];
    });
    await record();

    // Eddy's full compaction rewrites the files of every older schema into the latest
    expect((await t.compact({ full: true })).snapshot?.commitKind).toBe('COMPACT');
    await record();

    expect(t.schema.fields.map((f) => [f.id, f.name, formatDataType(f.type)])).toEqual([
      [0, 'id', 'BIGINT NOT NULL'],
      [1, 'title', 'STRING'],
      [2, 'qty', 'BIGINT'],
      [4, 'note', 'STRING'],
    ]);
    const [schemaRows] = await d.sql(`SELECT schema_id, fields FROM ${CAT}.db.\`evo_eddy$schemas\``);
    const schemas = new Map(
      schemaRows!.rows.map((r) => [Number(r.row.schema_id), JSON.parse(r.row.fields as string) as SchemaField[]]),
    );
    expect([...schemas.keys()].sort()).toEqual([0, 1, 2, 3, 4]);
    const latest = schemas.get(4)!;
    const snaps = await t.listSnapshots();
    const candidates = (id: number) => [schemas.get(snaps.find((s) => s.id === id)!.schemaId)!, latest];
    expect(new Set(snapshotOf.map((id) => snaps.find((s) => s.id === id)!.schemaId))).toEqual(new Set([0, 1, 2, 3, 4]));

    for (const [i, id] of snapshotOf.entries()) {
      const e = byId(await t.toArray({ snapshotId: id }), candidates(id), `Eddy at snapshot ${id}`);
      expect(project(e.rows, e.ids), `Eddy at snapshot ${id} (fields ${[...e.ids]}) vs the model`).toEqual(
        project(states[i]!, e.ids),
      );
    }
    expect(await eddyCli(wh, 'verify', 'db.evo_eddy')).toMatch(/OK/);

    // Flink reads every snapshot (one job) and the latest
    const name = `${CAT}.db.evo_eddy`;
    const rows = await d.query(
      [
        `SELECT 'latest' AS _at, * FROM ${name}`,
        ...snapshotOf.map((id) => `SELECT '${id}' AS _at, * FROM ${name} ${hint({ 'scan.snapshot-id': id })}`),
      ].join(' UNION ALL '),
    );
    const at = (label: string) => rows.filter((r) => r.row._at === label).map(({ row: { _at, ...row } }) => row);
    for (const [i, id] of snapshotOf.entries()) {
      const f = byId(at(String(id)), candidates(id), `Flink at snapshot ${id}`);
      expect(f.ids.size, `Flink at snapshot ${id} read some columns`).toBeGreaterThan(0);
      expect(project(f.rows, f.ids), `Flink at snapshot ${id} (fields ${[...f.ids]}) vs the model`).toEqual(
        project(states[i]!, f.ids),
      );
    }
    const f = byId(at('latest'), [latest], 'Flink (latest)');
    expect([...f.ids].sort()).toEqual([0, 1, 2, 4]);
    expect(project(f.rows, f.ids), 'Flink (latest) vs the model').toEqual(project(states.at(-1)!, f.ids));
    console.log(
      `cell 6: Eddy altered 4 times; Flink read ${snapshotOf.length} snapshots in schemas ` +
        `${snapshotOf.map((id) => snaps.find((s) => s.id === id)!.schemaId).join(',')}`,
    );
  });
});
