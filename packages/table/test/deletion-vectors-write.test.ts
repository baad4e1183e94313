import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readDeletionVectorFromIndexFile } from '../src/format/deletion-vector.ts';
import type { IndexManifestEntry } from '../src/format/index-manifest.ts';
import { Catalog } from '../src/index.ts';
import { inspect } from '../src/inspect.ts';
import { combineDeletionVectorIndex } from '../src/meta/dv-index.ts';
import { indexKey } from '../src/meta/hash-index.ts';
import { tempDir } from './helpers.ts';

const byK = (rows: Record<string, unknown>[]) => rows.sort((a, b) => Number(a.k) - Number(b.k));

describe('deletion-vector tables (write)', () => {
  it('the writer compacts level 0 away and marks the overwritten rows deleted in one index file per bucket', async () => {
    using d = tempDir();
    const t = await (await Catalog.open(d.path)).createTable('db.t', {
      columns: { k: 'INT', v: 'STRING' },
      primaryKey: ['k'],
      options: { bucket: 1, 'deletion-vectors.enabled': true },
    });
    await t.upsert([
      { k: 1, v: 'a' },
      { k: 2, v: 'b' },
      { k: 3, v: 'c' },
    ]);
    await t.upsert([{ k: 2, v: 'b2' }]);
    await t.delete({ k: 3 });
    expect(byK(await t.toArray())).toEqual([
      { k: 1, v: 'a' },
      { k: 2, v: 'b2' },
    ]);
    const snaps = await t.listSnapshots();
    expect(snaps.map((s) => s.commitKind)).toEqual(['APPEND', 'COMPACT', 'APPEND', 'COMPACT', 'APPEND', 'COMPACT']);
    // Rows of an APPEND stay in level 0, unseen until its COMPACT.
    expect(byK(await t.toArray({ snapshotId: 3 }))).toEqual(byK(await t.toArray({ snapshotId: 2 })));
    const ins = inspect(t);
    const index = await ins.readIndexManifest(snaps[5].indexManifest!);
    expect(index).toHaveLength(1);
    const [e] = index;
    expect(e.indexType).toBe('DELETION_VECTORS');
    // Keys 2 and 3 of the first file (positions 1 and 2) are deleted there.
    expect(e.deletionVectorRanges).toHaveLength(1);
    const range = e.deletionVectorRanges![0];
    expect(range.cardinality).toBe(2);
    const bytes = new Uint8Array(await t.io.read(`${d.path}/db.db/t/index/${e.fileName}`));
    expect(bytes.length).toBe(e.fileSize);
    const dv = readDeletionVectorFromIndexFile(bytes, range, e.fileName);
    expect([0, 1, 2].map((p) => dv.has(p))).toEqual([false, true, true]);
    // A full compaction rewrites the marked file: no vector is left, and the bucket's file is replaced by an empty one.
    const full = await t.compact({ full: true });
    const after = await ins.readIndexManifest(full.snapshot!.indexManifest!);
    expect(after).toHaveLength(1);
    expect(after[0].deletionVectorRanges).toEqual([]);
    expect(after[0].fileSize).toBe(1);
    expect(byK(await t.toArray())).toEqual([
      { k: 1, v: 'a' },
      { k: 2, v: 'b2' },
    ]);
  });

  it('of two compactions racing on a bucket one lands; the other leaves no index file behind', async () => {
    using d = tempDir();
    const t = await (await Catalog.open(d.path)).createTable('db.r', {
      columns: { k: 'INT', v: 'STRING' },
      primaryKey: ['k'],
      options: { bucket: 1, 'deletion-vectors.enabled': true, 'write-only': true },
    });
    // A top-level file much larger than the update: the update goes to level 4 and marks a vector.
    await t.upsert(Array.from({ length: 3000 }, (_, k) => ({ k, v: 'a' })));
    await t.compact();
    await t.upsert([{ k: 1, v: 'b' }]);
    expect(byK(await t.toArray()).map((r) => r.v)).toEqual(Array(3000).fill('a')); // level 0 is not read
    const results = await Promise.allSettled([t.compact(), t.compact()]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(lost.reason).toMatchObject({ code: 'COMMIT_CONFLICT' });
    const latest = (await t.latestSnapshot())!;
    const live = await inspect(t).readIndexManifest(latest.indexManifest!);
    expect(live.map((e) => e.deletionVectorRanges?.map((r) => r.cardinality))).toEqual([[1]]);
    expect(readdirSync(`${d.path}/db.db/r/index`)).toEqual(live.map((e) => e.fileName));
    expect(byK(await t.toArray()).map((r) => r.v)).toEqual(['a', 'b', ...Array(2998).fill('a')]);
  });

  it('after an overwrite, the vectors of the files it removed are dropped, not carried into the next index file', async () => {
    using d = tempDir();
    const t = await (await Catalog.open(d.path)).createTable('db.o', {
      columns: { k: 'INT', v: 'STRING' },
      primaryKey: ['k'],
      options: { bucket: 1, 'deletion-vectors.enabled': true },
    });
    await t.upsert(Array.from({ length: 3000 }, (_, k) => ({ k, v: 'a' })));
    await t.upsert([{ k: 1, v: 'b' }]); // marks row 1 of the top-level file
    await t.overwrite(Array.from({ length: 3000 }, (_, k) => ({ k, v: 'c' })));
    // The OVERWRITE snapshot itself no longer names the removed files' vectors (Paimon drops the
    // index files of the partitions an overwrite replaces).
    const overwrite = (await t.listSnapshots()).find((s) => s.commitKind === 'OVERWRITE')!;
    expect(overwrite.indexManifest ? await inspect(t).readIndexManifest(overwrite.indexManifest) : []).toEqual([]);
    await t.upsert([{ k: 2, v: 'd' }]); // marks a row of the overwrite's file: a new index file
    expect(byK(await t.toArray()).map((r) => r.v)).toEqual(['c', 'c', 'd', ...Array(2997).fill('c')]);
    const latest = (await t.latestSnapshot())!;
    expect(latest.commitKind).toBe('COMPACT');
    const [e] = await inspect(t).readIndexManifest(latest.indexManifest!);
    expect(e.deletionVectorRanges!.map((r) => r.cardinality)).toEqual([1]);
  });

  it('refuses merge engines whose lookup compaction Eddy does not implement', async () => {
    using d = tempDir();
    const c = await Catalog.open(d.path);
    await expect(
      c.createTable('db.p', {
        columns: { k: 'INT', v: 'STRING' },
        primaryKey: ['k'],
        options: { bucket: 1, 'deletion-vectors.enabled': true, 'merge-engine': 'partial-update' },
      }),
    ).rejects.toMatchObject({ code: 'UNSUPPORTED', message: expect.stringMatching(/partial-update/) });
  });
});

describe('deletion-vector index commits', () => {
  const entry = (bucket: number, fileName: string): IndexManifestEntry => ({
    kind: 0,
    partition: new Uint8Array([1, 2]),
    bucket,
    indexType: 'DELETION_VECTORS',
    fileName,
    fileSize: 1,
    rowCount: 0,
    deletionVectorRanges: [],
    externalPath: null,
  });
  const hash = { ...entry(0, 'index-h'), indexType: 'HASH', deletionVectorRanges: null };

  it("replaces the bucket's file and keeps the other buckets and index types", () => {
    const previous = [entry(0, 'index-a'), entry(1, 'index-b'), hash];
    const next = combineDeletionVectorIndex(previous, {
      added: [entry(0, 'index-c')],
      expected: new Map([[indexKey(new Uint8Array([1, 2]), 0), 'index-a']]),
    });
    expect(next.map((e) => e.fileName).sort()).toEqual(['index-b', 'index-c', 'index-h']);
  });

  it('fails COMMIT_CONFLICT when the bucket changed since the compaction read it', () => {
    const key = indexKey(new Uint8Array([1, 2]), 0);
    expect(() =>
      combineDeletionVectorIndex([entry(0, 'index-x')], {
        added: [entry(0, 'index-c')],
        expected: new Map([[key, 'index-a']]),
      }),
    ).toThrow(expect.objectContaining({ code: 'COMMIT_CONFLICT' }));
    // A bucket that had none must still have none.
    expect(() =>
      combineDeletionVectorIndex([entry(0, 'index-x')], {
        added: [entry(0, 'index-c')],
        expected: new Map([[key, null]]),
      }),
    ).toThrow(expect.objectContaining({ code: 'COMMIT_CONFLICT' }));
  });
});
