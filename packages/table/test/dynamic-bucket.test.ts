/**
 * Dynamic bucket mode (bucket = -1): keys assigned through the HASH index, new buckets opened at
 * 'dynamic-bucket.target-row-num', the index kept across writers and commits, one writer at a time.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Catalog, type EddyError } from '../src/index.ts';
import { tempDir } from './helpers.ts';

describe('dynamic bucket tables', () => {
  it('assign keys through the hash index, open buckets at the target, and keep a key in its bucket', async () => {
    using d = tempDir();
    const c = await Catalog.open(d.path);
    const t = await c.createTable('db.t', {
      columns: { p: 'STRING', id: 'BIGINT', v: 'STRING' },
      primaryKey: ['p', 'id'],
      partitionKeys: ['p'],
      options: { bucket: -1, 'dynamic-bucket.target-row-num': 10 },
    });
    const rows = (v: string, from: number, to: number) =>
      Array.from({ length: to - from }, (_, i) => ({ p: i % 2 ? 'a' : 'b', id: BigInt(from + i), v }));
    await t.upsert(rows('one', 0, 35));
    const s1 = await t.latestSnapshot();
    expect(s1?.indexManifest).toBeTruthy();
    const index = await t.manifests.readIndexManifest(s1!.indexManifest!);
    expect(index.every((e) => e.indexType === 'HASH' && e.kind === 0)).toBe(true);
    // 18 keys in b and 17 in a, 10 per bucket: buckets 0 and 1 in each partition.
    expect(index.map((e) => e.rowCount).sort((x, y) => x - y)).toEqual([7, 8, 10, 10]);
    // The files hold the key hashes as big-endian ints.
    const f = index[0];
    expect(readFileSync(path.join(t.path, 'index', f.fileName)).length).toBe(4 * f.rowCount);
    // A second writer (a new table object) updates old keys in place and adds new ones.
    const t2 = await c.getTable('db.t');
    await t2.upsert(rows('two', 20, 50));
    await t2.delete([{ p: 'b', id: 0n }]);
    const all = await t2.toArray();
    expect(all).toHaveLength(49);
    expect(all.filter((r) => r.v === 'two')).toHaveLength(30);
    // Every key lives in exactly one bucket, and buckets hold at most the target.
    const plan = await t2.plan();
    const perBucket = plan.splits.map((s) => s.files.reduce((n, x) => n + x.rowCount, 0));
    expect(Math.max(...perBucket)).toBeLessThanOrEqual(20); // ≤ 10 keys, each at most twice before compaction
    const latest = await t2.manifests.readIndexManifest((await t2.latestSnapshot())!.indexManifest!);
    expect(latest.reduce((n, e) => n + e.rowCount, 0)).toBe(50); // deleted keys keep their hash, as in Paimon
    expect(new Set(latest.map((e) => `${Buffer.from(e.partition).toString('hex')}/${e.bucket}`)).size).toBe(
      latest.length,
    );
    // Compaction keeps the index and the rows.
    await t2.compact({ full: true });
    expect((await t2.latestSnapshot())!.indexManifest).toBe((await t2.snapshots.snapshot(3)).indexManifest);
    expect(await t2.toArray()).toHaveLength(49);
  });

  it('a second concurrent writer fails with a clear error instead of corrupting the index', async () => {
    using d = tempDir();
    const c = await Catalog.open(d.path);
    const t = await c.createTable('db.t', {
      columns: { id: 'INT', v: 'INT' },
      primaryKey: ['id'],
      options: { bucket: -1, 'dynamic-bucket.target-row-num': 5 },
    });
    await t.upsert([{ id: 1, v: 0 }]);
    const w1 = t.newWriter();
    const w2 = t.newWriter();
    await w1.write([{ id: 2, v: 1 }]);
    await w2.write([{ id: 3, v: 2 }]);
    await w1.commit();
    let err: EddyError | undefined;
    try {
      await w2.commit();
    } catch (e) {
      err = e as EddyError;
    }
    expect(err?.code).toBe('COMMIT_CONFLICT');
    expect(err?.message).toMatch(/one writer per dynamic-bucket table/);
    w1.close();
    w2.close();
    expect((await t.toArray()).map((r) => r.id)).toEqual([1, 2]);
    // Sequential writers are fine.
    await t.upsert([{ id: 3, v: 2 }]);
    expect((await t.toArray()).map((r) => r.id).sort()).toEqual([1, 2, 3]);
  });

  it('an overwrite drops the hash index files of the buckets it emptied, in the partitions it replaces', async () => {
    using d = tempDir();
    const c = await Catalog.open(d.path);
    const t = await c.createTable('db.o', {
      columns: { p: 'STRING', id: 'INT', v: 'STRING' },
      primaryKey: ['p', 'id'],
      partitionKeys: ['p'],
      options: { bucket: -1, 'dynamic-bucket.target-row-num': 10 },
    });
    const rows = (p: string, ids: number[], v: string) => ids.map((id) => ({ p, id, v }));
    const range = (n: number) => Array.from({ length: n }, (_, i) => i);
    await t.upsert([...rows('a', range(30), 'one'), ...rows('b', range(30), 'one')]);
    const bucketsOf = async (p: string) => {
      const index = await t.manifests.readIndexManifest((await t.latestSnapshot())!.indexManifest!);
      const hex = Buffer.from(p).toString('hex');
      return index.filter((e) => Buffer.from(e.partition).toString('hex').includes(hex)).map((e) => e.bucket);
    };
    expect((await bucketsOf('a')).sort()).toEqual([0, 1, 2]);
    // Keys 0..4 were assigned to bucket 0: the overwrite touches only bucket 0 of 'a'.
    await t.overwrite(rows('a', [0, 1, 2], 'two'));
    expect(await bucketsOf('a')).toEqual([0]);
    expect((await bucketsOf('b')).sort()).toEqual([0, 1, 2]);
    // Keys of the dropped buckets come back as new keys, each in exactly one bucket.
    await t.upsert(rows('a', [3, 20, 29], 'three'));
    const a = (await t.toArray()).filter((r) => r.p === 'a').sort((x, y) => x.id - y.id);
    expect(a.map((r) => [r.id, r.v])).toEqual([
      [0, 'two'],
      [1, 'two'],
      [2, 'two'],
      [3, 'three'],
      [20, 'three'],
      [29, 'three'],
    ]);
    expect((await t.toArray()).filter((r) => r.p === 'b')).toHaveLength(30);
  });

  it('refuses cross-partition upsert tables by name', async () => {
    using d = tempDir();
    const c = await Catalog.open(d.path);
    await expect(
      c.createTable('db.x', {
        columns: { id: 'INT', p: 'STRING' },
        primaryKey: ['id'],
        partitionKeys: ['p'],
        options: { bucket: -1 },
      }),
    ).rejects.toThrow(/cross-partition upsert/);
  });
});
