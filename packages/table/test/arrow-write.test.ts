import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { Catalog } from '../src/index.ts';
import { tempDir } from './helpers.ts';

describe('writing Arrow batches', () => {
  it('routes columns to buckets and scans like the same rows written as objects', async () => {
    using d = tempDir();
    const c = await Catalog.open(d.path);
    const spec = {
      columns: { id: 'BIGINT', name: 'STRING', score: 'DOUBLE', day: 'DATE', n: 'INT' },
      primaryKey: ['id'],
      partitionKeys: [] as string[],
      options: { bucket: 4 },
    };
    const a = await c.createTable('db.arrow', spec);
    const o = await c.createTable('db.objects', spec);
    const n = 1000;
    const ids = BigInt64Array.from({ length: n }, (_, i) => BigInt((i * 7) % 600));
    const names = Array.from({ length: n }, (_, i) => (i % 10 === 0 ? null : `n${i}`));
    const batch = new arrow.Table({
      id: arrow.makeVector(ids),
      name: arrow.vectorFromArray(names, new arrow.Utf8()),
      score: arrow.makeVector(Float64Array.from({ length: n }, (_, i) => i / 4)),
      day: arrow.vectorFromArray(
        Array.from({ length: n }, (_, i) => new Date(Date.UTC(2026, 0, 1 + (i % 30)))),
        new arrow.DateDay(),
      ),
      n: arrow.makeVector(Int16Array.from({ length: n }, (_, i) => i % 300)), // narrower int: accepted
    });
    const w = a.newWriter();
    await w.write(batch);
    await w.commit();
    w.close();
    const rows = Array.from({ length: n }, (_, i) => ({
      id: ids[i],
      name: names[i],
      score: i / 4,
      day: new Date(Date.UTC(2026, 0, 1 + (i % 30))),
      n: i % 300,
    }));
    await o.upsert(rows);
    const sort = (r: Record<string, unknown>[]) => r.sort((x, y) => Number(x.id) - Number(y.id));
    const got = sort(await a.toArray());
    expect(got.length).toBe(600);
    expect(got).toEqual(sort(await o.toArray()));
    // Same buckets as the object path: identical file counts per bucket.
    const buckets = async (t: typeof a) => (await t.bucketHealth()).map((b) => [b.bucket, b.files]).sort();
    expect(await buckets(a)).toEqual(await buckets(o));
  });

  it('refuses unknown columns, wrong types and nulls in NOT NULL columns, writing nothing', async () => {
    using d = tempDir();
    const t = await (await Catalog.open(d.path)).createTable('db.t', {
      columns: { id: 'BIGINT', v: 'INT' },
      primaryKey: ['id'],
    });
    const ok = arrow.makeVector(BigInt64Array.of(1n));
    await expect(t.upsert(new arrow.Table({ id: ok, extra: ok }))).rejects.toThrow(/unknown column 'extra'/);
    await expect(t.upsert(new arrow.Table({ id: ok, v: arrow.makeVector(BigInt64Array.of(1n)) }))).rejects.toThrow(
      /column 'v' has Arrow type Int64, which does not fit INT/,
    );
    await expect(t.upsert(new arrow.Table({ id: arrow.vectorFromArray([null], new arrow.Int64()) }))).rejects.toThrow(
      /column 'id': is NOT NULL/,
    );
    await expect(t.upsert(new arrow.Table({ v: arrow.makeVector(Int32Array.of(1)) }))).rejects.toThrow(
      /'id' is NOT NULL but missing/,
    );
    expect(await t.listSnapshots()).toEqual([]);
  });
});
