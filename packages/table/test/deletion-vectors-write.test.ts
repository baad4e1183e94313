import { describe, expect, it } from 'vitest';
import { readDeletionVectorFromIndexFile } from '../src/format/deletion-vector.ts';
import { Catalog } from '../src/index.ts';
import { inspect } from '../src/inspect.ts';
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
