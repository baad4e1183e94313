/**
 * Cell 5 — Flink's dedicated compaction (`CALL sys.compact`, what the paimon-flink-action
 * `compact` job runs) on Eddy-written `write-only` tables; then Eddy keeps writing, compacting and
 * reading them, and Flink reads the result. Covers a partitioned deduplicate table, a `lookup`
 * changelog table (Flink's compaction produces the changelog Eddy's feed then reads) and a
 * first-row table (whose rows Flink and Eddy both see only once a compaction moves them out of
 * level 0).
 */
import { Catalog, type Table } from '@eddy/table';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CanonicalRow, fromEddy } from '../interop/canonical.ts';
import { type FlinkDriver, flink } from './driver.ts';
import { eddyCli, eddyRows, expectSameRows, flinkRows, freshWarehouse, rng, typesOf } from './helpers.ts';
import { unlessKnown } from './limitations.ts';

const CAT = 'compact_wh';
let d: FlinkDriver;
let wh: string;
let catalog: Catalog;

beforeAll(async () => {
  wh = freshWarehouse('compact');
  catalog = await Catalog.open(wh);
  d = await flink();
  await d.catalog(CAT, wh);
});

/** A model of a deduplicate (or first-row) table kept beside Eddy's writes. */
class Model {
  readonly rows = new Map<string, CanonicalRow>();
  constructor(
    private readonly table: Table,
    private readonly firstRow = false,
  ) {}
  private key(r: CanonicalRow) {
    return JSON.stringify(this.table.schema.primaryKeys.map((k) => r[k]));
  }
  async commit(upserts: Record<string, unknown>[], deletes: Record<string, unknown>[] = []): Promise<void> {
    const w = this.table.newWriter();
    try {
      if (upserts.length) await w.write(upserts);
      if (deletes.length) await w.delete(deletes);
      await w.commit();
    } finally {
      w.close();
    }
    const types = typesOf(this.table);
    for (const u of upserts) {
      const r = fromEddy(types, u);
      if (!(this.firstRow && this.rows.has(this.key(r)))) this.rows.set(this.key(r), r);
    }
    for (const k of deletes) this.rows.delete(this.key(fromEddy(types, { ...k })));
  }
}

const flinkCompact = (table: string, extra = '') =>
  d.sql(`CALL ${CAT}.sys.compact(\`table\` => 'db.${table}'${extra})`, { mode: 'call' });

async function flinkRead(table: Table): Promise<CanonicalRow[]> {
  return flinkRows(typesOf(table), await d.query(`SELECT * FROM ${CAT}.${table.name}`));
}

describe('cell 5: Flink compacts Eddy-written tables, Eddy keeps writing and reading', () => {
  it('a partitioned deduplicate table: CALL sys.compact, then Eddy upserts, deletes, compacts; all agree', async () => {
    const t = await catalog.createTable('db.orders', {
      columns: { p: 'STRING', id: 'BIGINT', v: 'STRING', n: 'INT' },
      primaryKey: ['p', 'id'],
      partitionKeys: ['p'],
      options: { bucket: '2', 'write-only': 'true' },
    });
    const m = new Model(t);
    const r = rng(11);
    const batch = (round: number) => {
      const seen = new Set<string>();
      return Array.from({ length: 60 }, (_, i) => ({
        p: ['a', 'b', 'c'][Math.floor(r() * 3)]!,
        id: BigInt(Math.floor(r() * 80)),
        v: `r${round}-${i}`,
        n: Math.floor(r() * 1000),
      })).filter((x) => !seen.has(`${x.p}/${x.id}`) && seen.add(`${x.p}/${x.id}`));
    };
    for (let i = 0; i < 5; i++) await m.commit(batch(i), i > 1 ? [{ p: 'a', id: BigInt(i) }] : []);
    const types = typesOf(t);
    const before = (await t.listSnapshots()).length;

    await flinkCompact('orders', ", compact_strategy => 'full'");
    const snaps = await t.listSnapshots();
    expect(snaps.length).toBe(before + 1);
    expect(snaps.at(-1)!.commitKind).toBe('COMPACT');
    const files = JSON.parse(await eddyCli(wh, '--json', 'files', 'db.orders')) as { level: number }[];
    expect(new Set(files.map((f) => f.level))).toEqual(new Set([5]));
    const model = () => [...m.rows.values()];
    expectSameRows(types, model(), await eddyRows(t), 'model', 'Eddy after Flink compaction');
    expectSameRows(types, model(), await flinkRead(t), 'model', 'Flink after its compaction');

    // Eddy goes on: more commits over the Flink-compacted files, then its own compaction
    for (let i = 5; i < 8; i++) await m.commit(batch(i), [{ p: 'b', id: BigInt(i) }]);
    expectSameRows(types, model(), await eddyRows(t), 'model', 'Eddy writes after Flink compaction');
    const c = await t.compact({ full: true });
    expect(c.snapshot?.commitKind).toBe('COMPACT');
    expectSameRows(types, model(), await eddyRows(t), 'model', 'Eddy after its own compaction');
    expect(await eddyCli(wh, 'verify', 'db.orders')).toMatch(/OK/);
    // Flink reads what Eddy wrote and compacted over its compaction
    const read = await unlessKnown('compact:orders', () => flinkRead(t));
    if (!read.ok) return;
    expectSameRows(types, model(), read.value, 'model', 'Flink after Eddy writes and compaction');
  });

  it("a lookup-changelog table: Flink's compaction writes the changelog, Eddy's feed reads it", async () => {
    const t = await catalog.createTable('db.lookup', {
      columns: { id: 'BIGINT', v: 'STRING' },
      primaryKey: ['id'],
      options: { bucket: '2', 'write-only': 'true', 'changelog-producer': 'lookup' },
    });
    const m = new Model(t);
    await m.commit(Array.from({ length: 20 }, (_, i) => ({ id: BigInt(i), v: `a${i}` })));
    await t.compact({ full: true }); // Eddy's lookup compaction: the base, and its changelog (+I)
    const first = (await t.latestSnapshot())!.id;
    await m.commit(
      Array.from({ length: 10 }, (_, i) => ({ id: BigInt(i * 2), v: `b${i}` })),
      [{ id: 1n }, { id: 3n }],
    );
    await flinkCompact('lookup');
    const last = await t.latestSnapshot();
    expect(last!.commitKind).toBe('COMPACT');
    expect(last!.changelogRecordCount ?? 0).toBeGreaterThan(0);
    const types = typesOf(t);
    // the changelog Flink's lookup compaction wrote for the second commit: -U/+U for the updated
    // keys, -D for the deleted ones
    const changes: string[] = [];
    for await (const e of t.changes({ scanMode: 'from-snapshot', snapshotId: first + 1, endSnapshotId: last!.id }))
      changes.push(`${e.kind} ${e.row.id} ${e.row.v}`);
    const expected = [
      ...Array.from({ length: 10 }, (_, i) => [`-U ${i * 2} a${i * 2}`, `+U ${i * 2} b${i}`]).flat(),
      '-D 1 a1',
      '-D 3 a3',
    ];
    expect(changes.sort()).toEqual(expected.sort());
    expectSameRows(types, [...m.rows.values()], await eddyRows(t), 'model', 'Eddy');
    expectSameRows(types, [...m.rows.values()], await flinkRead(t), 'model', 'Flink');

    // Eddy writes on top of Flink's compaction; Flink compacts again and reads
    await m.commit([{ id: 0n, v: 'c0' }], [{ id: 2n }]);
    expectSameRows(types, [...m.rows.values()], await eddyRows(t), 'model', 'Eddy after its write');
    if (!(await unlessKnown('compact:lookup', () => flinkCompact('lookup'))).ok) return;
    expectSameRows(types, [...m.rows.values()], await flinkRead(t), 'model', 'Flink after compacting Eddy’s write');
  });

  it('a write-only first-row table: its rows wait for a compaction (Flink’s or Eddy’s) in Flink and in Eddy alike', async () => {
    const t = await catalog.createTable('db.first', {
      columns: { id: 'BIGINT', v: 'STRING' },
      primaryKey: ['id'],
      options: { bucket: '2', 'merge-engine': 'first-row', 'write-only': 'true' },
    });
    const m = new Model(t, true);
    await m.commit(Array.from({ length: 30 }, (_, i) => ({ id: BigInt(i), v: `a${i}` })));
    const types = typesOf(t);
    // level 0 only: batch reads skip it (Paimon's DataTableBatchScan for first-row; Eddy's too)
    expect(await flinkRead(t)).toEqual([]);
    expect(await eddyRows(t)).toEqual([]);
    await flinkCompact('first');
    expectSameRows(types, [...m.rows.values()], await flinkRead(t), 'model', 'Flink after its compaction');
    expectSameRows(types, [...m.rows.values()], await eddyRows(t), 'model', 'Eddy after Flink’s compaction');
    const compacted = [...m.rows.values()];
    await m.commit(Array.from({ length: 30 }, (_, i) => ({ id: BigInt(i + 15), v: `b${i}` })));
    expectSameRows(types, compacted, await eddyRows(t), 'model before the commit', 'Eddy (write-only commit)');
    expectSameRows(types, compacted, await flinkRead(t), 'model before the commit', 'Flink (write-only commit)');
    // Eddy's compaction (not full: forced up from level 0, as Paimon's; a key Flink's level already
    // holds is dropped, not copied into a second file that Java's unmerged read would return twice)
    await t.compact();
    expectSameRows(types, [...m.rows.values()], await eddyRows(t), 'model', 'Eddy after its compaction');
    expectSameRows(types, [...m.rows.values()], await flinkRead(t), 'model', 'Flink after Eddy’s compaction');
  });
});
