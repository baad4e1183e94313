import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Catalog, type ChangeEvent, EddyError, type SchemaInput, type Table } from '../src/index.ts';
import { tempDir } from './helpers.ts';

const SALES: SchemaInput = {
  columns: { region: 'STRING', day: 'DATE', id: 'INT', amount: 'BIGINT' },
  primaryKey: ['region', 'day', 'id'],
  partitionKeys: ['region', 'day'],
  options: { bucket: 2 },
};

type Sale = { region: string; day: string; id: number; amount: bigint };
const sale = (region: string, day: string, id: number, amount: number): Sale => ({
  region,
  day,
  id,
  amount: BigInt(amount),
});
const key = (r: Sale) => `${r.region}/${r.day}/${String(r.id).padStart(4, '0')}`;
const rowsOf = async (t: Table, snapshotId?: number) =>
  ((await t.toArray(snapshotId === undefined ? {} : { snapshotId })) as Sale[]).sort((a, b) =>
    key(a) < key(b) ? -1 : 1,
  );

/** Data files on disk under the table (every partition and bucket). */
function dataFiles(tablePath: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(d, e.name));
      else if (e.name.startsWith('data-')) out.push(path.join(d, e.name));
    }
  };
  walk(tablePath);
  return out.sort();
}

async function salesTable(dir: string, options: Record<string, string> = {}): Promise<Table> {
  const c = await Catalog.open(dir);
  const t = await c.createTable('db.sales', { ...SALES, options: { ...SALES.options, ...options } });
  await t.upsert([
    sale('eu', '2024-06-01', 1, 10),
    sale('eu', '2024-06-01', 2, 20),
    sale('eu', '2024-06-02', 1, 30),
    sale('us', '2024-06-01', 1, 40),
  ]);
  return t;
}

describe('overwrite (INSERT OVERWRITE)', () => {
  it('without a partition: replaces the partitions the rows go to, and leaves the others', async () => {
    using d = tempDir();
    const t = await salesTable(d.path);
    const r = await t.overwrite([sale('eu', '2024-06-01', 7, 70)]);
    expect(r.published).toBe(true);
    expect(r.snapshot?.commitKind).toBe('OVERWRITE');
    expect(r.snapshot?.totalRecordCount).toBe(3);
    expect(await rowsOf(t)).toEqual([
      sale('eu', '2024-06-01', 7, 70),
      sale('eu', '2024-06-02', 1, 30),
      sale('us', '2024-06-01', 1, 40),
    ]);
    // Time travel still sees what was replaced.
    expect(await rowsOf(t, 1)).toHaveLength(4);
  });

  it('with a static partition on some keys: replaces every partition matching them', async () => {
    using d = tempDir();
    const t = await salesTable(d.path);
    await t.overwrite([sale('eu', '2024-06-03', 1, 5)], { partition: { region: 'eu' } });
    expect(await rowsOf(t)).toEqual([sale('eu', '2024-06-03', 1, 5), sale('us', '2024-06-01', 1, 40)]);
  });

  it('with a static partition and no rows: empties that partition', async () => {
    using d = tempDir();
    const t = await salesTable(d.path);
    const r = await t.overwrite([], { partition: { region: 'eu', day: '2024-06-01' } });
    expect(r.snapshot?.commitKind).toBe('OVERWRITE');
    expect(r.snapshot?.deltaRecordCount).toBe(-2);
    expect(await rowsOf(t)).toEqual([sale('eu', '2024-06-02', 1, 30), sale('us', '2024-06-01', 1, 40)]);
  });

  it("with 'dynamic-partition-overwrite' = false: replaces the whole table", async () => {
    using d = tempDir();
    const t = await salesTable(d.path, { 'dynamic-partition-overwrite': 'false' });
    await t.overwrite([sale('jp', '2024-06-09', 1, 1)]);
    expect(await rowsOf(t)).toEqual([sale('jp', '2024-06-09', 1, 1)]);
  });

  it('on an unpartitioned append table: replaces everything', async () => {
    using d = tempDir();
    const c = await Catalog.open(d.path);
    const t = await c.createTable('db.log', { columns: { msg: 'STRING' } });
    await t.upsert([{ msg: 'a' }, { msg: 'b' }]);
    await t.upsert([{ msg: 'c' }]);
    await t.overwrite([{ msg: 'z' }]);
    expect(await t.toArray()).toEqual([{ msg: 'z' }]);
    await t.overwrite([]);
    expect(await t.toArray()).toEqual([]);
    expect((await t.listSnapshots()).map((s) => s.commitKind)).toEqual(['APPEND', 'APPEND', 'OVERWRITE', 'OVERWRITE']);
  });

  it('replaces compacted and level-0 files alike, and the table compacts afterwards', async () => {
    using d = tempDir();
    const t = await salesTable(d.path, { 'write-only': 'true' });
    await t.upsert([sale('eu', '2024-06-01', 1, 11)]);
    await t.compact({ full: true });
    await t.upsert([sale('eu', '2024-06-01', 2, 22)]);
    await t.overwrite([sale('eu', '2024-06-01', 9, 99)]);
    await t.upsert([sale('eu', '2024-06-01', 10, 100)]);
    await t.compact({ full: true });
    expect(await rowsOf(t)).toEqual([
      sale('eu', '2024-06-01', 9, 99),
      sale('eu', '2024-06-01', 10, 100),
      sale('eu', '2024-06-02', 1, 30),
      sale('us', '2024-06-01', 1, 40),
    ]);
  });

  it('refuses rows outside the static partition: nothing committed, no file left behind', async () => {
    using d = tempDir();
    const t = await salesTable(d.path);
    const before = dataFiles(t.path);
    const e = await t
      .overwrite([sale('eu', '2024-06-01', 1, 1), sale('us', '2024-06-01', 2, 2)], { partition: { region: 'eu' } })
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(EddyError);
    expect((e as EddyError).code).toBe('INVALID_ARGUMENT');
    expect((e as EddyError).message).toMatch(
      /overwrite of db.sales: rows in partition region=us, day=.* lie outside the partition being overwritten \(region=eu\)/,
    );
    expect(await t.snapshots.latestSnapshotId()).toBe(1);
    expect(dataFiles(t.path)).toEqual(before);
  });

  it('refuses a static partition that names a non-partition column, or a null value', async () => {
    using d = tempDir();
    const t = await salesTable(d.path);
    await expect(t.overwrite([], { partition: { id: 1 } })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(/'id' is not a partition key \(partition keys: region, day\)/),
    });
    await expect(t.overwrite([], { partition: { day: null } })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(t.overwrite([], { partition: { day: 'June' } })).rejects.toBeInstanceOf(EddyError);
    expect(await t.snapshots.latestSnapshotId()).toBe(1);
  });

  describe('a writer that keeps writing while another overwrites', () => {
    const KV: SchemaInput = { columns: { k: 'INT', v: 'STRING' }, primaryKey: ['k'], options: { bucket: 1 } };

    it('rows it buffered before the overwrite land on top of it, and so do later deletes', async () => {
      using d = tempDir();
      const t = await (await Catalog.open(d.path)).createTable('db.kv', KV);
      const w = t.newWriter({ commitUser: 'stream' });
      await w.write([
        { k: 1, v: 'a' },
        { k: 2, v: 'a' },
      ]);
      await w.commit(1);
      await w.write({ k: 1, v: 'b' }); // buffered while the overwrite lands
      await t.overwrite([
        { k: 1, v: 'ow' },
        { k: 2, v: 'ow' },
        { k: 3, v: 'ow' },
      ]);
      await w.commit(2);
      expect(await t.toArray()).toEqual([
        { k: 1, v: 'b' },
        { k: 2, v: 'ow' },
        { k: 3, v: 'ow' },
      ]);
      await w.delete({ k: 2 });
      await w.commit(3);
      expect(await t.toArray()).toEqual([
        { k: 1, v: 'b' },
        { k: 3, v: 'ow' },
      ]);
    });

    it('rows it flushed to files before the overwrite: re-based at commit, so the later commit wins; it then writes above it', async () => {
      using d = tempDir();
      const t = await (await Catalog.open(d.path)).createTable('db.kv', KV);
      const w = t.newWriter({ commitUser: 'stream' });
      await w.write({ k: 1, v: 'a' });
      await w.commit(1);
      await w.write({ k: 1, v: 'b' });
      await w.flush(); // a file numbered before the overwrite
      const flushed = readdirSync(path.join(t.path, 'bucket-0')).filter((f) => f.startsWith('data-'));
      await t.overwrite([
        { k: 1, v: 'ow' },
        { k: 2, v: 'ow' },
      ]);
      // Committed after the overwrite, the writer's k=1 wins (its file was rewritten above the overwrite's numbers).
      expect(await w.commit(2)).toMatchObject({ published: true, snapshot: { id: 3 } });
      expect(await t.toArray()).toEqual([
        { k: 1, v: 'b' },
        { k: 2, v: 'ow' },
      ]);
      const files = readdirSync(path.join(t.path, 'bucket-0')).filter((f) => f.startsWith('data-'));
      expect(files).toHaveLength(flushed.length + 1); // the re-based file replaced the flushed one
      const live = await t.manifests.liveEntries((await t.latestSnapshot())!);
      const ow = live.find((e) => e.file.rowCount === 2)!;
      const mine = live.find((e) => e.file.rowCount === 1)!;
      expect(mine.file.minSequenceNumber).toBeGreaterThan(ow.file.maxSequenceNumber);
      await w.write({ k: 1, v: 'c' });
      await w.commit(3);
      expect(await t.toArray()).toEqual([
        { k: 1, v: 'c' },
        { k: 2, v: 'ow' },
      ]);
    });
  });

  it('an overwrite writer (newWriter({ overwrite })) commits once, as one OVERWRITE', async () => {
    using d = tempDir();
    const t = await salesTable(d.path);
    const w = t.newWriter({ overwrite: { partition: { region: 'us' } } });
    await w.write([sale('us', '2024-06-05', 1, 1)]);
    await w.write([sale('us', '2024-06-06', 2, 2)]);
    expect((await w.commit()).snapshot?.commitKind).toBe('OVERWRITE');
    await expect(w.commit()).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: /commits once/ });
    expect((await rowsOf(t)).filter((r) => r.region === 'us')).toEqual([
      sale('us', '2024-06-05', 1, 1),
      sale('us', '2024-06-06', 2, 2),
    ]);
    // A bad static partition is refused when the writer is made, before any row.
    expect(() => t.newWriter({ overwrite: { partition: { nope: 1 } } })).toThrow(/'nope' is not a partition key/);
  });

  it('a change feed skips OVERWRITE snapshots (Paimon: streaming-read-overwrite = false)', async () => {
    using d = tempDir();
    const t = await salesTable(d.path);
    await t.overwrite([sale('eu', '2024-06-01', 7, 70)]);
    await t.upsert([sale('us', '2024-06-01', 2, 50)]);
    const events: ChangeEvent[] = [];
    for await (const e of t.changes({ scanMode: 'from-snapshot', snapshotId: 1, endSnapshotId: 3 })) events.push(e);
    expect(events.map((e) => e.snapshotId)).toEqual([1, 1, 1, 1, 3]);
  });

  it('expiry of the replaced snapshots deletes the replaced files, and only those', async () => {
    using d = tempDir();
    const t = await salesTable(d.path);
    const first = dataFiles(t.path);
    await t.overwrite([sale('eu', '2024-06-01', 7, 70)]);
    const r = await t.expireSnapshots({ retainMin: 1, timeRetainedMs: 0 });
    expect(r.expired).toEqual([1]);
    const now = dataFiles(t.path);
    // The eu/2024-06-01 files of snapshot 1 are gone; the untouched partitions' files remain.
    // (DATE partitions are named by epoch day, as Paimon does with partition.legacy-name.)
    const replaced = first.filter((f) => f.includes(`region=eu${path.sep}day=19875${path.sep}`));
    expect(replaced.length).toBeGreaterThan(0);
    expect(now.filter((f) => replaced.includes(f))).toEqual([]);
    expect(first.filter((f) => !replaced.includes(f)).every((f) => now.includes(f))).toBe(true);
    expect(await rowsOf(t)).toEqual([
      sale('eu', '2024-06-01', 7, 70),
      sale('eu', '2024-06-02', 1, 30),
      sale('us', '2024-06-01', 1, 40),
    ]);
  });
});
