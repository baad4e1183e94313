import { writeFileSync } from 'node:fs';
import { Catalog, type Table } from '@eddy/table';
import { inspect } from '@eddy/table/inspect';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EddySql, SYSTEM_TABLES } from '../src/index.ts';
import { sorted, tempDir } from './helpers.ts';

// System tables against the SDK's own view of the table; time travel and change feeds against
// the SDK's reads; pruning visible in EXPLAIN and in a result's scan report.

describe('system tables, time travel, change feeds, pruning', () => {
  const dir = tempDir();
  let catalog: Catalog;
  let db: EddySql;
  let t: Table;
  const times: number[] = [];

  beforeAll(async () => {
    catalog = await Catalog.open(dir.path);
    db = await EddySql.open(catalog);
    t = await catalog.createTable('shop.orders', {
      columns: { id: 'BIGINT', region: 'STRING', amount: 'DECIMAL(10, 2)', day: 'DATE' },
      primaryKey: ['id', 'region'],
      partitionKeys: ['region'],
      options: { bucket: 2, 'write-only': 'true', 'changelog-producer': 'input' },
    });
    const regions = ['eu', 'us', 'ap'];
    for (let round = 0; round < 4; round++) {
      const rows = [];
      for (let id = round * 5; id < 30; id++)
        rows.push({ id: BigInt(id), region: regions[id % 3], amount: `${id}.${round}0`, day: `2026-01-0${round + 1}` });
      await t.upsert(rows);
      if (round === 2) await t.delete([{ id: 27n, region: 'eu' }]);
      times.push((await t.latestSnapshot())?.timeMillis ?? 0);
      await new Promise((r) => setTimeout(r, 5));
    }
    // A tag and a consumer position.
    await t.createTag('monday', { snapshotId: 2, timeRetainedMs: 5_400_000 });
    // The consumer reads the current rows to the latest snapshot, which records its position.
    const end = (await t.latestSnapshot())!.id;
    for await (const e of t.changes({ consumerId: 'billing', scanMode: 'latest-full', endSnapshotId: end })) void e;
  });
  afterAll(async () => {
    await db.close();
    dir[Symbol.dispose]();
  });

  it('$snapshots, $schemas and $options as the SDK reports them', async () => {
    const snaps = (await db.query('SELECT * FROM shop.orders$snapshots ORDER BY snapshot_id')).rows();
    const sdk = await t.listSnapshots();
    expect(
      snaps.map((s) => [Number(s.snapshot_id), s.commit_kind, Number(s.total_record_count), s.commit_user]),
    ).toEqual(sdk.map((s) => [s.id, s.commitKind, s.totalRecordCount, s.commitUser]));
    expect((snaps[0].commit_time as Date).getTime()).toBe(sdk[0].timeMillis);
    const schemas = (
      await db.query('SELECT schema_id, primary_keys, partition_keys, fields FROM shop.orders$schemas')
    ).rows();
    expect(schemas).toHaveLength(1);
    expect(JSON.parse(String(schemas[0].primary_keys))).toEqual(['id', 'region']);
    expect(JSON.parse(String(schemas[0].fields)).map((f: { name: string }) => f.name)).toEqual([
      'id',
      'region',
      'amount',
      'day',
    ]);
    const options = (await db.query('SELECT key, value FROM shop.orders$options ORDER BY key')).rows();
    expect(Object.fromEntries(options.map((o) => [o.key, o.value]))).toEqual(t.schema.rawOptions);
  });

  it('$files, $partitions, $buckets and $manifests add up to the SDK plan', async () => {
    const plan = await inspect(t).plan();
    const files = (await db.query('SELECT * FROM shop.orders$files')).rows();
    const planned = plan.splits.flatMap((s) =>
      s.files.map((file) => inspect(t).dataFilePath({ partition: s.partitionBytes, bucket: s.bucket, file })),
    );
    expect(sorted(files.map((f) => f.file_path))).toEqual(sorted(planned));
    expect(files.reduce((s, f) => s + Number(f.record_count), 0)).toBe(
      plan.splits.flatMap((s) => s.files).reduce((s, f) => s + f.rowCount, 0),
    );
    const parts = (await db.query('SELECT * FROM shop.orders$partitions ORDER BY partition')).rows();
    expect(parts.map((p) => p.partition)).toEqual(['region=ap', 'region=eu', 'region=us']);
    expect(parts.reduce((s, p) => s + Number(p.file_count), 0)).toBe(files.length);
    const buckets = (await db.query('SELECT * FROM shop.orders$buckets')).rows();
    const health = await t.bucketHealth();
    expect(sorted(buckets.map((b) => [b.bucket, Number(b.file_count)]))).toEqual(
      sorted(health.map((h) => [h.bucket, h.files])),
    );
    expect(buckets.map((b) => b.partition).every((p) => /^\{(eu|us|ap)\}$/.test(String(p)))).toBe(true);
    const manifests = (
      await db.query('SELECT sum(num_added_files) - sum(num_deleted_files) AS live FROM shop.orders$manifests')
    ).rows();
    expect(Number(manifests[0].live)).toBe(files.length);
  });

  it('$tags, $consumers and $audit_log', async () => {
    expect((await db.query('SELECT tag_name, snapshot_id, time_retained FROM shop.orders$tags')).rows()).toEqual([
      { tag_name: 'monday', snapshot_id: 2n, time_retained: 'PT1H30M' },
    ]);
    const consumers = (await db.query('SELECT * FROM shop.orders$consumers')).rows();
    expect(consumers.map((c) => c.consumer_id)).toEqual(['billing']);
    const audit = (await db.query('SELECT * FROM shop.orders$audit_log')).rows();
    expect(new Set(audit.map((r) => r.rowkind))).toEqual(new Set(['+I']));
    expect(sorted(audit.map(({ rowkind, ...r }) => r))).toEqual(sorted(await t.toArray()));
    await expect(db.query('SELECT * FROM shop.orders$branches')).rejects.toMatchObject({
      code: 'UNSUPPORTED',
      message: expect.stringContaining(SYSTEM_TABLES.map((k) => `$${k}`).join(', ')),
    });
  });

  it('time travel: AT (VERSION => n), eddy_scan by snapshot, timestamp and tag', async () => {
    for (const id of [1, 2, 3]) {
      const want = sorted(await t.toArray({ snapshotId: id }));
      expect(sorted((await db.query(`SELECT * FROM shop.orders AT (VERSION => ${id})`)).rows())).toEqual(want);
      expect(sorted((await db.query(`SELECT * FROM eddy_scan('shop.orders', snapshot => ${id})`)).rows())).toEqual(
        want,
      );
    }
    const iso = new Date(times[1]).toISOString();
    const at = (await db.query(`SELECT count(*) AS n FROM eddy_scan('shop.orders', timestamp => '${iso}')`)).rows();
    expect(at[0].n).toBe(BigInt((await t.toArray({ snapshotId: 2 })).length));
    const tag = (await db.query(`SELECT count(*) AS n FROM shop.orders AT (VERSION => 'monday')`)).rows();
    expect(tag[0].n).toBe(at[0].n);
    expect((await db.query(`SELECT count(*) AS n FROM eddy_scan('shop.orders', tag => 'monday')`)).rows()).toEqual(tag);
    // The same through a statement DuckDB binds itself (a view of the function).
    await db.query(`CREATE TEMP TABLE earlier AS SELECT * FROM eddy_scan('shop.orders', snapshot => 1)`);
    expect((await db.query('SELECT count(*) AS n FROM earlier')).rows()[0].n).toBe(
      BigInt((await t.toArray({ snapshotId: 1 })).length),
    );
    await expect(db.query(`SELECT * FROM eddy_scan('shop.orders', snapshot => 99)`)).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await expect(db.query(`SELECT * FROM eddy_scan('shop.orders', tag => 'nope')`)).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });

  it('eddy_changes(from, to) is incremental-between, with a rowkind column', async () => {
    const got = (await db.query(`SELECT * FROM eddy_changes('shop.orders', from => 2, to => 4)`)).rows();
    const want: Record<string, unknown>[] = [];
    for await (const e of t.changesBetween(2, 4)) want.push({ rowkind: e.kind, ...e.row });
    expect(sorted(got)).toEqual(sorted(want));
    expect(got.some((r) => r.rowkind === '-D')).toBe(true);
    const agg = (
      await db.query(
        `SELECT rowkind, count(*) AS n FROM eddy_changes('shop.orders', from => 0, to => 4) GROUP BY rowkind ORDER BY rowkind`,
      )
    ).rows();
    expect(agg.map((r) => r.rowkind)).toEqual(['+I', '-D']);
    await expect(db.query(`SELECT * FROM eddy_changes('shop.orders', from => 3, to => 9)`)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('latest snapshot'),
    });
  });

  it('filters reach the planner: partition and bucket pruning in EXPLAIN and the scan report', async () => {
    const all = await db.query('SELECT * FROM shop.orders');
    const total = all.scans[0].filesRead;
    const eu = await db.query(`SELECT * FROM shop.orders WHERE region = 'eu'`);
    expect(eu.scans[0].filter).toBe(`region = 'eu'`);
    expect(eu.scans[0].filesRead).toBeLessThan(total);
    const one = await db.query(`SELECT * FROM shop.orders o WHERE o.id = 7 AND o.region = 'us'`);
    expect(one.rows()).toEqual(sorted(await t.toArray()).filter((r) => r.id === 7n));
    expect(one.scans[0].bucketsRead).toBe(1);
    const plan = await db.explain(`SELECT * FROM shop.orders WHERE region = 'eu' AND day >= '2026-01-03'`);
    expect(plan).toMatch(/eddy_scan shop\.orders/);
    expect(plan).toMatch(/filter: region = 'eu' AND day >= '2026-01-03'/);
    expect(plan).toMatch(new RegExp(`files read: \\d+ of ${total} live`));
    expect(Number(/files read: (\d+)/.exec(plan)?.[1])).toBeLessThan(total);
    // A literal Eddy cannot compare exactly is left to DuckDB alone.
    const dec = await db.query(`SELECT count(*) AS n FROM shop.orders WHERE id > 5.5`);
    expect(dec.scans[0].filter).toBeUndefined();
    expect(dec.rows()[0].n).toBe(BigInt((await t.toArray()).filter((r) => (r.id as bigint) > 5n).length));
  });

  it('DESCRIBE, SUMMARIZE, COPY … TO and the file formats DuckDB reads', async () => {
    const d = (await db.query('DESCRIBE shop.orders')).rows();
    expect(d.map((r) => [r.column_name, r.column_type])).toEqual([
      ['id', 'BIGINT'],
      ['region', 'VARCHAR'],
      ['amount', 'DECIMAL(10,2)'],
      ['day', 'DATE'],
    ]);
    using f = tempDir();
    await db.query(`COPY (SELECT * FROM shop.orders WHERE region = 'us') TO '${f.path}/us.parquet' (FORMAT parquet)`);
    const back = (await db.query(`SELECT * FROM read_parquet('${f.path}/us.parquet')`)).rows();
    expect(sorted(back)).toEqual(sorted((await t.toArray()).filter((r) => r.region === 'us')));
    writeFileSync(`${f.path}/x.json`, '{"id": 7}\n');
    const j = await db.query(`SELECT o.amount FROM read_json('${f.path}/x.json') x JOIN shop.orders o USING (id)`);
    expect(j.rows()).toHaveLength(1);
  });
});
