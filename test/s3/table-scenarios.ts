import { describe, expect, it } from 'vitest';
import type { S3FileIO } from '../../packages/s3/src/index.ts';
import { Catalog, eq, type FileIO } from '../../packages/table/src/index.ts';

/**
 * A fresh, empty warehouse: its URI, and a factory of FileIO instances for it (each call a new one,
 * like a separate process would have).
 */
export interface WarehouseFixture {
  readonly uri: string;
  newFileIO(): FileIO;
  dispose(): Promise<void>;
}

const ORDERS = {
  columns: { id: 'BIGINT', name: 'STRING', amount: 'DECIMAL(10, 2)', dt: 'DATE', ts: 'TIMESTAMP(6)', flag: 'BOOLEAN' },
  primaryKey: ['id'],
  options: { bucket: 4 },
};

const byNumber = (k: string) => (a: Record<string, unknown>, b: Record<string, unknown>) => Number(a[k]) - Number(b[k]);

/** The same table scenarios, on any storage: write, commit, scan, time travel, concurrent commits. */
export function tableScenarios(label: string, makeWarehouse: () => Promise<WarehouseFixture>): void {
  const open = async (w: WarehouseFixture) => Catalog.open(w.uri, { fileIO: w.newFileIO() });

  describe(`table scenarios on ${label}`, () => {
    it('creates, lists and drops databases and tables', async () => {
      const w = await makeWarehouse();
      try {
        const c = await open(w);
        await c.createTable('db1.t1', ORDERS);
        await c.createTable('db1.t2', { columns: { a: 'INT' } });
        await c.createDatabase('empty');
        expect(await c.listDatabases()).toEqual(['db1', 'empty']);
        expect(await c.listTables('db1')).toEqual(['t1', 't2']);
        expect(await c.listTables('empty')).toEqual([]);
        await expect(c.createTable('db1.t1', ORDERS)).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
        await c.dropTable('db1.t2');
        expect(await c.listTables('db1')).toEqual(['t1']);
        await expect(c.getTable('db1.t2')).rejects.toMatchObject({ code: 'NOT_FOUND' });
        await expect(c.dropDatabase('db1')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
        await c.dropDatabase('db1', { cascade: true });
        await c.dropDatabase('empty');
        expect(await c.listDatabases()).toEqual([]);
      } finally {
        await w.dispose();
      }
    });

    it('upserts, deletes, scans and travels in time on a primary-key table', async () => {
      const w = await makeWarehouse();
      try {
        const t = await (await open(w)).createTable('db.orders', ORDERS);
        await t.upsert([
          { id: 1n, name: 'a', amount: '1.50', dt: '2024-01-01', ts: 1_700_000_000_000_001n, flag: true },
          { id: 2n, name: 'b', amount: 2, dt: '1969-12-31', ts: -1n, flag: false },
          { id: 3n, name: null, amount: null, dt: null, ts: null, flag: null },
        ]);
        await t.upsert({ id: 2n, name: 'b2', amount: '2.25', dt: '2024-02-29', ts: 5n, flag: true });
        await t.delete({ id: 3n });
        expect((await t.toArray()).sort(byNumber('id'))).toEqual([
          { id: 1n, name: 'a', amount: '1.50', dt: '2024-01-01', ts: 1_700_000_000_000_001n, flag: true },
          { id: 2n, name: 'b2', amount: '2.25', dt: '2024-02-29', ts: 5n, flag: true },
        ]);
        const snaps = (await t.listSnapshots()).filter((s) => s.commitKind === 'APPEND');
        expect(snaps.map((s) => s.id)).toEqual([1, 2, 3]);
        expect((await t.toArray({ snapshotId: 1 })).length).toBe(3);
        expect((await t.toArray({ snapshotId: 2 })).find((r) => r.id === 2n)?.name).toBe('b2');
        expect((await t.toArray({ asOf: snaps[1].timeMillis })).length).toBe(3);
        await expect(t.toArray({ asOf: snaps[0].timeMillis - 1 })).rejects.toMatchObject({ code: 'NOT_FOUND' });
        await expect(t.toArray({ snapshotId: 9 })).rejects.toMatchObject({ code: 'NOT_FOUND' });
        // A second catalog (another process) sees the same table.
        const again = await (await open(w)).getTable('db.orders');
        expect((await again.toArray({ select: ['id'] })).map((r) => r.id).sort()).toEqual([1n, 2n]);
      } finally {
        await w.dispose();
      }
    });

    it('appends and keeps duplicates on an append table', async () => {
      const w = await makeWarehouse();
      try {
        const t = await (await open(w)).createTable('db.log', { columns: { msg: 'STRING', n: 'INT' } });
        await t.upsert([
          { msg: 'a', n: 1 },
          { msg: 'a', n: 1 },
        ]);
        await t.upsert([{ msg: 'b', n: 2 }]);
        expect(await t.toArray()).toEqual([
          { msg: 'a', n: 1 },
          { msg: 'a', n: 1 },
          { msg: 'b', n: 2 },
        ]);
      } finally {
        await w.dispose();
      }
    });

    it('commits exactly once per (commitUser, commitIdentifier)', async () => {
      const w = await makeWarehouse();
      try {
        const t = await (await open(w)).createTable('db.x', { columns: { k: 'INT', v: 'INT' }, primaryKey: ['k'] });
        const w1 = t.newWriter({ commitUser: 'job-1' });
        await w1.write([{ k: 1, v: 1 }]);
        expect((await w1.commit(1)).published).toBe(true);
        const w2 = t.newWriter({ commitUser: 'job-1' });
        await w2.write([{ k: 2, v: 2 }]);
        const replay = await w2.commit(1);
        expect(replay.published).toBe(false);
        expect(replay.snapshot?.id).toBe(1);
        await w2.write([{ k: 3, v: 3 }]);
        expect((await w2.commit(2)).published).toBe(true);
        expect((await t.listSnapshots()).filter((s) => s.commitKind === 'APPEND').length).toBe(2);
      } finally {
        await w.dispose();
      }
    });

    it('bloom-filter index files: written beside the data files, prune a scan, expired with them', async () => {
      const w = await makeWarehouse();
      try {
        const t = await (await open(w)).createTable('db.idx', {
          columns: { k: 'INT', s: 'STRING' },
          options: {
            'write-only': 'true',
            'file-index.bloom-filter.columns': 's',
            'file-index.in-manifest-threshold': '1 b', // every index in its own `.index` file
          },
        });
        // An append table (a primary-key one uses value-column indexes only with deletion vectors).
        // Interleaved values: each file's min/max spans every probe, so only the index can skip.
        for (let f = 0; f < 3; f++)
          await t.upsert(Array.from({ length: 10 }, (_, i) => ({ k: f * 100 + i, s: `v${i * 3 + f}` })));
        const bucket = `${t.path}/bucket-0`;
        const names = async () =>
          (await t.io.list(bucket)).map((e) => e.path.slice(e.path.lastIndexOf('/') + 1)).sort();
        const files = (await t.plan()).splits.flatMap((x) => x.files);
        expect(files).toHaveLength(3);
        expect(await names()).toEqual(files.flatMap((f) => [f.fileName, `${f.fileName}.index`]).sort());
        const plan = await t.plan({ where: eq('s', 'v4') });
        expect(plan.skippedByIndex).toBe(2);
        expect(await t.toArray({ where: eq('s', 'v4') })).toEqual([{ k: 101, s: 'v4' }]);
        expect((await t.plan({ where: eq('s', 'v44') })).skippedByIndex).toBe(3);
        // An overwrite replaces the three files; expiry deletes them with their index files.
        await t.overwrite(Array.from({ length: 10 }, (_, i) => ({ k: i, s: `w${i}` })));
        const [replacement] = (await t.plan()).splits.flatMap((x) => x.files);
        expect(replacement.extraFiles).toEqual([`${replacement.fileName}.index`]);
        expect((await t.plan({ where: eq('s', 'w44') })).skippedByIndex).toBe(1);
        expect(await t.toArray({ where: eq('s', 'w4') })).toEqual([{ k: 4, s: 'w4' }]);
        await t.expireSnapshots({ retainMin: 1, timeRetainedMs: 0, expireLimit: 100 });
        expect(await names()).toEqual([replacement.fileName, `${replacement.fileName}.index`].sort());
      } finally {
        await w.dispose();
      }
    });

    it('a stream into an append table compacted after its commits: small files (index files too) rewritten, expiry removes the old ones', async () => {
      const w = await makeWarehouse();
      try {
        const t = await (await open(w)).createTable('db.events', {
          columns: { k: 'INT', s: 'STRING' },
          options: {
            bucket: '-1',
            'compaction.min.file-num': '3',
            'file-index.bloom-filter.columns': 's',
            'file-index.in-manifest-threshold': '1 b',
          },
        });
        for (let c = 0; c < 8; c++) {
          await t.upsert(Array.from({ length: 10 }, (_, i) => ({ k: c * 10 + i, s: `v${c * 10 + i}` })));
          await t.compact();
        }
        const files = (await t.plan()).splits.flatMap((x) => x.files);
        // Compacted at every third small file: never three live files.
        expect(files.length).toBeLessThan(3);
        expect((await t.listSnapshots()).some((x) => x.commitKind === 'COMPACT')).toBe(true);
        for (const f of files) expect(f.extraFiles).toEqual([`${f.fileName}.index`]);
        expect((await t.toArray()).map((r) => r.k).sort((a, b) => Number(a) - Number(b))).toEqual(
          Array.from({ length: 80 }, (_, i) => i),
        );
        expect(await t.toArray({ where: eq('s', 'v42') })).toEqual([{ k: 42, s: 'v42' }]);
        await t.expireSnapshots({ retainMin: 1, timeRetainedMs: 0, expireLimit: 100 });
        const bucket = `${t.path}/bucket-0`;
        const names = (await t.io.list(bucket)).map((e) => e.path.slice(e.path.lastIndexOf('/') + 1)).sort();
        expect(names).toEqual(files.flatMap((f) => [f.fileName, `${f.fileName}.index`]).sort());
      } finally {
        await w.dispose();
      }
    });

    it('lands every commit of concurrent writers once, with gapless snapshot ids', async () => {
      const w = await makeWarehouse();
      try {
        const c = await open(w);
        await c.createTable('db.c', {
          columns: { writer: 'INT', seq: 'INT' },
          options: { 'commit.max-retries': '100' },
        });
        const writers = 4;
        const commits = 5;
        await Promise.all(
          Array.from({ length: writers }, async (_, wi) => {
            const t = await (await open(w)).getTable('db.c');
            for (let i = 0; i < commits; i++) {
              const r = await t.upsert([{ writer: wi, seq: i }]);
              expect(r.published).toBe(true);
            }
          }),
        );
        const t = await c.getTable('db.c');
        const snaps = await t.listSnapshots();
        expect(snaps.map((s) => s.id)).toEqual(Array.from({ length: snaps.length }, (_, i) => i + 1));
        expect(snaps.filter((s) => s.commitKind === 'APPEND')).toHaveLength(writers * commits);
        const rows = (await t.toArray()).map((r) => `${r.writer}/${r.seq}`).sort();
        const model = Array.from({ length: writers * commits }, (_, i) => `${Math.floor(i / commits)}/${i % commits}`);
        expect(rows).toEqual(model.sort());
      } finally {
        await w.dispose();
      }
    });
  });
}

/** Releases an S3FileIO's connections (a no-op for other FileIOs). */
export function disposeIO(io: FileIO): void {
  (io as Partial<S3FileIO>).destroy?.();
}
