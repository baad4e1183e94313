/**
 * The conflict matrix (like Delta's): for each pair of concurrent operations on one table, whether
 * both must succeed or one must fail with a typed conflict — with the loser pinned at the worst
 * moment (between planning and publishing) by a gate in its FileIO, so each race really happens.
 *
 * | pair                                 | outcome                                                      |
 * |--------------------------------------|--------------------------------------------------------------|
 * | append vs append                     | both succeed (the loser of the snapshot race retries)        |
 * | append vs compaction (same bucket)   | both succeed; the newer appended rows win                    |
 * | compaction vs compaction             | one fails with COMMIT_CONFLICT, its files deleted, data intact|
 * | expiry vs streaming reader           | typed SNAPSHOT_EXPIRED, or the reader keeps going; never wrong data |
 * | overwrite vs append                  | both succeed; the overwrite, decided at landing, replaces the appended rows too |
 * | append vs overwrite, other keys      | both succeed; the append, landing last, stays on top          |
 * | append vs overwrite, same keys       | the append (numbered before it) fails with COMMIT_CONFLICT; rewritten, it lands on top |
 * | compaction vs overwrite              | the compaction fails with COMMIT_CONFLICT, its files deleted  |
 * | overwrite vs overwrite               | both succeed in landing order; the last one is the table      |
 */
import { describe, expect, it } from 'vitest';
import {
  Catalog,
  type ChangeEvent,
  EddyError,
  type FileIO,
  LocalFileIO,
  type SchemaInput,
  type Table,
} from '../../packages/table/src/index.ts';
import { deferred, failure, GateFileIO, sortBy, tempDir } from './helpers.ts';

const PK: SchemaInput = {
  columns: { k: 'INT', v: 'STRING' },
  primaryKey: ['k'],
  options: { bucket: 1, 'write-only': true },
};

/** A second, independent handle on the same table (own caches), through `io`. */
async function handle(warehouse: string, io: FileIO, name = 'db.t'): Promise<Table> {
  return (await Catalog.open(warehouse, { fileIO: io })).getTable(name);
}

/** Data files in the bucket directory that no snapshot references. */
async function unreferencedDataFiles(t: Table): Promise<string[]> {
  const referenced = new Set<string>();
  for (const id of await t.snapshots.listSnapshotIds()) {
    for (const e of await t.newScanPlanner().liveEntries(await t.snapshots.snapshot(id)))
      referenced.add(e.file.fileName);
  }
  const files = await t.io.list(`${t.path}/bucket-0`);
  return files
    .map((f) => f.path.slice(f.path.lastIndexOf('/') + 1))
    .filter((n) => n.startsWith('data-') && !referenced.has(n));
}

const rowsOf = async (t: Table) => sortBy(await t.toArray(), (r) => Number(r.k));

describe('conflict matrix', () => {
  it('append vs append: both succeed, the loser of the snapshot race retries on the new base', async () => {
    using dir = tempDir();
    const local = new LocalFileIO();
    const catalog = await Catalog.open(dir.path, { fileIO: local });
    const t = await catalog.createTable('db.t', PK);
    const gate = new GateFileIO(local);
    const a = await handle(dir.path, gate);
    const b = await handle(dir.path, local);

    // A is held right before creating snapshot-1 until B has created it.
    const bDone = deferred();
    let held = false;
    gate.hook = async (op, p) => {
      if (!held && op === 'writeIfAbsent' && p.endsWith('/snapshot-1')) {
        held = true;
        await bDone.promise;
      }
    };
    const wa = a.newWriter({ commitUser: 'a' });
    await wa.write([{ k: 1, v: 'a' }]);
    const ra = wa.commit(1);
    while (!held) await new Promise((r) => setTimeout(r, 2));
    const wb = b.newWriter({ commitUser: 'b' });
    await wb.write([{ k: 2, v: 'b' }]);
    const rb = await wb.commit(1);
    bDone.resolve();
    const resA = await ra;
    expect(rb).toMatchObject({ published: true, attempts: 1 });
    expect(resA.published).toBe(true);
    expect(resA.attempts).toBe(2);
    expect(resA.snapshot?.id).toBe(2);
    expect(await rowsOf(t)).toEqual([
      { k: 1, v: 'a' },
      { k: 2, v: 'b' },
    ]);

    // And a free-for-all: 8 handles commit at once; all land, ids are gapless, nothing is lost.
    const handles = await Promise.all(Array.from({ length: 8 }, () => handle(dir.path, new LocalFileIO())));
    const results = await Promise.all(
      handles.map(async (h, i) => {
        const w = h.newWriter({ commitUser: `w${i}` });
        await w.write([{ k: 100 + i, v: `w${i}` }]);
        return w.commit(1);
      }),
    );
    expect(results.every((r) => r.published)).toBe(true);
    expect(await t.snapshots.listSnapshotIds()).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect((await t.toArray()).length).toBe(10);
  });

  it('append vs compaction of the same bucket: both succeed, and the rows appended meanwhile win', async () => {
    using dir = tempDir();
    const local = new LocalFileIO();
    const catalog = await Catalog.open(dir.path, { fileIO: local });
    const t = await catalog.createTable('db.t', PK);
    for (let i = 0; i < 3; i++)
      await t.upsert([
        { k: i, v: `old${i}` },
        { k: 9, v: `old9-${i}` },
      ]);
    const gate = new GateFileIO(local);
    const compactor = await handle(dir.path, gate);

    // The compaction has read its inputs and is writing its output when the append commits.
    const appended = deferred();
    let held = false;
    gate.hook = async (op, p) => {
      if (!held && op === 'write' && /\/bucket-0\/data-/.test(p)) {
        held = true;
        await appended.promise;
      }
    };
    const compaction = compactor.compact({ full: true });
    while (!held) await new Promise((r) => setTimeout(r, 2));
    const r = await (await handle(dir.path, local)).upsert([
      { k: 1, v: 'new1' },
      { k: 5, v: 'new5' },
    ]);
    expect(r.published).toBe(true);
    appended.resolve();
    const c = await compaction;
    expect(c.snapshot?.commitKind).toBe('COMPACT');
    expect(c.snapshot?.id).toBe(5);
    expect(await rowsOf(t)).toEqual([
      { k: 0, v: 'old0' },
      { k: 1, v: 'new1' },
      { k: 2, v: 'old2' },
      { k: 5, v: 'new5' },
      { k: 9, v: 'old9-2' },
    ]);
    expect(await unreferencedDataFiles(t)).toEqual([]);
  });

  it('compaction vs compaction: one fails with COMMIT_CONFLICT, its output is deleted, the data is intact', async () => {
    using dir = tempDir();
    const local = new LocalFileIO();
    const catalog = await Catalog.open(dir.path, { fileIO: local });
    const t = await catalog.createTable('db.t', PK);
    for (let i = 0; i < 4; i++)
      await t.upsert([
        { k: i, v: `v${i}` },
        { k: 7, v: `seven${i}` },
      ]);
    const expected = await rowsOf(t);
    const gate = new GateFileIO(local);
    const slow = await handle(dir.path, gate);

    const otherDone = deferred();
    let held = false;
    gate.hook = async (op, p) => {
      if (!held && op === 'writeIfAbsent' && /\/snapshot-\d+$/.test(p)) {
        held = true;
        await otherDone.promise;
      }
    };
    const slowRun = failure(() => slow.compact({ full: true }));
    while (!held) await new Promise((r) => setTimeout(r, 2));
    const fast = await (await handle(dir.path, local)).compact({ full: true });
    expect(fast.snapshot?.commitKind).toBe('COMPACT');
    otherDone.resolve();
    const e = await slowRun;
    expect(e).toBeInstanceOf(EddyError);
    expect((e as EddyError).code).toBe('COMMIT_CONFLICT');
    expect((e as EddyError).message).toMatch(/removed by a concurrent commit/);
    expect(await rowsOf(t)).toEqual(expected);
    expect((await t.listSnapshots()).map((s) => s.commitKind)).toEqual([
      'APPEND',
      'APPEND',
      'APPEND',
      'APPEND',
      'COMPACT',
    ]);
    expect(await unreferencedDataFiles(t)).toEqual([]);
  });

  describe('expiry vs streaming reader', () => {
    const CHANGELOG: SchemaInput = {
      columns: { k: 'INT', v: 'STRING' },
      primaryKey: ['k'],
      options: { bucket: 1, 'write-only': true, 'changelog-producer': 'input' },
    };

    /** 10 commits, commit i upserts k=i with v=`c<i>`; returns the table. */
    async function tenCommits(warehouse: string): Promise<Table> {
      const catalog = await Catalog.open(warehouse);
      const t = await catalog.createTable('db.t', CHANGELOG);
      for (let i = 1; i <= 10; i++) await t.upsert({ k: i, v: `c${i}` });
      return t;
    }

    /** Every delivered event is exactly snapshot i's change (+I k=i). */
    const checkEvents = (events: ChangeEvent[]) => {
      for (const e of events)
        expect(e).toEqual({
          kind: '+I',
          row: { k: e.snapshotId, v: `c${e.snapshotId}` },
          snapshotId: e.snapshotId,
          schemaId: 0,
        });
    };

    const expire = (t: Table) => t.expireSnapshots({ retainMin: 2, timeRetainedMs: 0 });

    it('a reader that falls behind expiry gets SNAPSHOT_EXPIRED naming the earliest snapshot', async () => {
      using dir = tempDir();
      const t = await tenCommits(dir.path);
      const events: ChangeEvent[] = [];
      const feed = t.changes({ scanMode: 'from-snapshot', snapshotId: 1, endSnapshotId: 10, pollIntervalMs: 10 });
      const e = await failure(async () => {
        for await (const ev of feed) {
          events.push(ev);
          if (events.length === 2)
            expect((await expire(await handle(dir.path, new LocalFileIO()))).expired).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
        }
      });
      expect(e).toBeInstanceOf(EddyError);
      expect((e as EddyError).code).toBe('SNAPSHOT_EXPIRED');
      // The feed reads ahead while its consumer holds a snapshot: snapshots it had read in full
      // before the expiry are still delivered (their rows are checked below), then the first one
      // it had not read fails, named.
      const n = events.length;
      expect(n).toBeGreaterThanOrEqual(2);
      expect(events.map((x) => x.snapshotId)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
      expect((e as EddyError).message).toMatch(new RegExp(`snapshot ${n + 1} was expired .* the earliest is 9`));
      checkEvents(events);
    });

    it("with onExpired 'restart' it reports the gap and keeps going with correct data", async () => {
      using dir = tempDir();
      const t = await tenCommits(dir.path);
      const events: ChangeEvent[] = [];
      const gaps: unknown[] = [];
      for await (const ev of t.changes({
        scanMode: 'from-snapshot',
        snapshotId: 1,
        endSnapshotId: 10,
        onExpired: 'restart',
        onGap: (g) => gaps.push(g),
      })) {
        events.push(ev);
        if (events.length === 1) await expire(await handle(dir.path, new LocalFileIO()));
      }
      // Snapshots read ahead before the expiry are still delivered (see above): the gap starts after them.
      expect(gaps).toHaveLength(1);
      const { missedFrom } = gaps[0] as { missedFrom: number; resumedAt: number };
      expect(missedFrom).toBeGreaterThanOrEqual(2);
      expect(gaps).toEqual([{ missedFrom, resumedAt: 9 }]);
      expect(events.map((x) => x.snapshotId)).toEqual([
        ...Array.from({ length: missedFrom - 1 }, (_, i) => i + 1),
        9,
        10,
      ]);
      checkEvents(events);
    });

    it('a consumer position protects the reader: nothing it still needs expires', async () => {
      using dir = tempDir();
      const t = await tenCommits(dir.path);
      const events: ChangeEvent[] = [];
      for await (const ev of t.changes({
        consumerId: 'slow',
        scanMode: 'from-snapshot',
        snapshotId: 1,
        endSnapshotId: 10,
      })) {
        events.push(ev);
        if (events.length === 3) {
          const r = await expire(await handle(dir.path, new LocalFileIO()));
          expect(r.expired).toEqual([1, 2]);
        }
      }
      expect(events.map((x) => x.snapshotId)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      checkEvents(events);
    });

    it('expiry deleting the snapshot a reader is in the middle of: a typed error or correct data, never wrong data', async () => {
      using dir = tempDir();
      await tenCommits(dir.path);
      const gate = new GateFileIO(new LocalFileIO());
      const reader = await handle(dir.path, gate);
      // The reader has resolved snapshot 2 (snapshot file and manifests) and is about to read its
      // changelog file when expiry removes snapshots 1-8 and their changelog files.
      let held = false;
      gate.hook = async (op, p) => {
        if (!held && (op === 'read' || op === 'readRange') && /\/bucket-0\/changelog-/.test(p)) {
          held = true;
          await expire(await handle(dir.path, new LocalFileIO()));
        }
      };
      const events: ChangeEvent[] = [];
      let error: unknown;
      try {
        for await (const ev of reader.changes({ scanMode: 'from-snapshot', snapshotId: 2, endSnapshotId: 10 }))
          events.push(ev);
      } catch (e) {
        error = e;
      }
      expect(held).toBe(true);
      checkEvents(events);
      if (error === undefined) expect(events.map((x) => x.snapshotId)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10]);
      else {
        expect(error).toBeInstanceOf(EddyError);
        expect((error as EddyError).code).toBe('SNAPSHOT_EXPIRED');
        expect((error as EddyError).message).toMatch(/snapshot 2 was expired/);
      }
    });

    it('a time-travel read of a snapshot expired meanwhile fails with a typed error naming the file, never wrong data', async () => {
      using dir = tempDir();
      const t = await tenCommits(dir.path);
      await t.compact({ full: true }); // snapshot 11 replaces every data file of 1-10
      const gate = new GateFileIO(new LocalFileIO());
      const reader = await handle(dir.path, gate);
      // The reader has planned snapshot 3 when expiry removes snapshots 1-10 and the files only they used.
      let held = false;
      gate.hook = async (op, p) => {
        if (!held && (op === 'read' || op === 'readRange') && /\/bucket-0\/data-/.test(p)) {
          held = true;
          expect(
            (
              await handle(dir.path, new LocalFileIO()).then((h) =>
                h.expireSnapshots({ retainMin: 1, timeRetainedMs: 0 }),
              )
            ).expired,
          ).toHaveLength(10);
        }
      };
      let rows: Record<string, unknown>[] | undefined;
      let error: unknown;
      try {
        rows = await reader.toArray({ snapshotId: 3 });
      } catch (e) {
        error = e;
      }
      expect(held).toBe(true);
      if (rows) expect(sortBy(rows, (r) => Number(r.k))).toEqual([1, 2, 3].map((k) => ({ k, v: `c${k}` })));
      else {
        expect(error).toBeInstanceOf(EddyError);
        expect(['SNAPSHOT_EXPIRED', 'NOT_FOUND']).toContain((error as EddyError).code);
        expect((error as EddyError).message).toMatch(/snapshot 3|\/bucket-0\/data-/);
      }
    });
  });

  describe('overwrite', () => {
    /** A table with rows k=1..3 in snapshot 1, and a gate that holds the first snapshot write of `gated`. */
    async function setup(warehouse: string) {
      const local = new LocalFileIO();
      const t = await (await Catalog.open(warehouse, { fileIO: local })).createTable('db.t', PK);
      await t.upsert([1, 2, 3].map((k) => ({ k, v: `old${k}` })));
      const gate = new GateFileIO(local);
      const release = deferred();
      let held = false;
      gate.hook = async (op, p) => {
        if (!held && op === 'writeIfAbsent' && /\/snapshot-\d+$/.test(p)) {
          held = true;
          await release.promise;
        }
      };
      const waitHeld = async () => {
        while (!held) await new Promise((r) => setTimeout(r, 2));
      };
      return { t, gated: await handle(warehouse, gate), other: await handle(warehouse, local), release, waitHeld };
    }

    it('overwrite vs append: both succeed; the overwrite lands last and replaces the appended rows too', async () => {
      using dir = tempDir();
      const { t, gated, other, release, waitHeld } = await setup(dir.path);
      const ow = gated.overwrite([{ k: 9, v: 'new9' }]);
      await waitHeld();
      expect((await other.upsert({ k: 4, v: 'appended' })).snapshot?.id).toBe(2);
      release.resolve();
      const r = await ow;
      // Decided again on the new base: the row appended meanwhile is replaced as well.
      expect(r).toMatchObject({ published: true, attempts: 2 });
      expect(r.snapshot).toMatchObject({ id: 3, commitKind: 'OVERWRITE', totalRecordCount: 1, deltaRecordCount: -3 });
      expect(await rowsOf(t)).toEqual([{ k: 9, v: 'new9' }]);
      expect(await rowsOf(await handle(dir.path, new LocalFileIO()))).toEqual([{ k: 9, v: 'new9' }]);
      expect(await unreferencedDataFiles(t)).toEqual([]);
    });

    /** `keys` appended by a writer held at its snapshot write while an overwrite of k=9 lands. */
    async function appendAcrossOverwrite(warehouse: string, keys: number[]) {
      const { t, gated, other, release, waitHeld } = await setup(warehouse);
      const w = gated.newWriter({ commitUser: 'appender' });
      await w.write(keys.map((k) => ({ k, v: 'appended' })));
      const append = w.commit(1).then(
        () => undefined,
        (e: unknown) => e,
      );
      await waitHeld();
      expect((await other.overwrite([{ k: 9, v: 'new9' }])).snapshot?.commitKind).toBe('OVERWRITE');
      release.resolve();
      return { t, w, outcome: await append };
    }

    it('append vs overwrite, other keys: both succeed; the append lands last, on top of the overwrite', async () => {
      using dir = tempDir();
      const { t, outcome } = await appendAcrossOverwrite(dir.path, [4, 5]);
      expect(outcome).toBeUndefined();
      expect(await rowsOf(t)).toEqual([
        { k: 4, v: 'appended' },
        { k: 5, v: 'appended' },
        { k: 9, v: 'new9' },
      ]);
      expect((await t.listSnapshots()).map((s) => s.commitKind)).toEqual(['APPEND', 'OVERWRITE', 'APPEND']);
    });

    it('append vs overwrite, keys the overwrite wrote: the append is re-based and lands on top (the later commit wins)', async () => {
      using dir = tempDir();
      const { t, outcome } = await appendAcrossOverwrite(dir.path, [8, 9]);
      // Its file was numbered from the files the overwrite replaced: its k=9 would rank below the
      // overwrite's, so it is rewritten above them before it lands.
      expect(outcome).toBeUndefined();
      expect(await rowsOf(t)).toEqual([
        { k: 8, v: 'appended' },
        { k: 9, v: 'appended' },
      ]);
      expect((await t.listSnapshots()).map((s) => s.commitKind)).toEqual(['APPEND', 'OVERWRITE', 'APPEND']);
      expect(await unreferencedDataFiles(t)).toEqual([]);
    });

    it('compaction vs overwrite: the compaction fails with COMMIT_CONFLICT, its output is deleted, the overwrite stands', async () => {
      using dir = tempDir();
      const { t, gated, other, release, waitHeld } = await setup(dir.path);
      await other.upsert({ k: 1, v: 'again' });
      const compaction = failure(() => gated.compact({ full: true }));
      await waitHeld();
      await other.overwrite([{ k: 9, v: 'new9' }]);
      release.resolve();
      const e = await compaction;
      expect(e).toBeInstanceOf(EddyError);
      expect((e as EddyError).code).toBe('COMMIT_CONFLICT');
      expect(await rowsOf(t)).toEqual([{ k: 9, v: 'new9' }]);
      expect((await t.listSnapshots()).map((s) => s.commitKind)).toEqual(['APPEND', 'APPEND', 'OVERWRITE']);
      expect(await unreferencedDataFiles(t)).toEqual([]);
    });

    it('overwrite vs overwrite: both succeed in the order they land; the last one is the table', async () => {
      using dir = tempDir();
      const { t, gated, other, release, waitHeld } = await setup(dir.path);
      const slow = gated.overwrite([{ k: 7, v: 'slow' }]);
      await waitHeld();
      await other.overwrite([{ k: 8, v: 'fast' }]);
      release.resolve();
      expect(await slow).toMatchObject({ published: true, snapshot: { id: 3, commitKind: 'OVERWRITE' } });
      expect(await rowsOf(t)).toEqual([{ k: 7, v: 'slow' }]);
      expect(await t.toArray({ snapshotId: 2 })).toEqual([{ k: 8, v: 'fast' }]);
    });
  });
});
