/**
 * Deterministic reproductions of what the randomized driver found (each failed before its fix).
 */
import { describe, expect, it } from 'vitest';
import { Catalog, EddyError, LocalFileIO, type Table } from '../../packages/table/src/index.ts';
import { FaultFileIO, isInjected } from './fault-file-io.ts';
import { failure, GateFileIO, sortBy, tempDir, treeOf } from './helpers.ts';

async function liveFilesExist(t: Table): Promise<void> {
  for (const id of await t.snapshots.listSnapshotIds()) {
    const s = await t.snapshots.snapshot(id);
    for (const e of await t.newScanPlanner().liveEntries(s)) {
      expect(
        await t.io.exists(`${t.path}/bucket-${e.bucket}/${e.file.fileName}`),
        `snapshot ${id}: ${e.file.fileName}`,
      ).toBe(true);
    }
  }
}

describe('found by the randomized driver', () => {
  it('a compaction whose COMPACT snapshot landed but whose acknowledgement was lost keeps its files', async () => {
    // Before the fix Table.compact deleted its output files on any commit error, also when the
    // snapshot referencing them had been created: every later read and compaction failed NOT_FOUND.
    using dir = tempDir();
    const local = new LocalFileIO();
    const catalog = await Catalog.open(dir.path, { fileIO: local });
    const t = await catalog.createTable('db.t', {
      columns: { k: 'INT', v: 'STRING' },
      primaryKey: ['k'],
      options: { bucket: 1, 'write-only': true },
    });
    for (let i = 0; i < 4; i++)
      await t.upsert([
        { k: i, v: `a${i}` },
        { k: 10, v: `b${i}` },
      ]);
    const lossy = new FaultFileIO(local, { seed: 1, policy: { writeIfAbsent: { after: 1 } } });
    const t2 = await (await Catalog.open(dir.path, { fileIO: lossy })).getTable('db.t');
    const e = await failure(() => t2.compact({ full: true }));
    expect(isInjected(e)).toBe(true);

    const t3 = await catalog.getTable('db.t');
    const latest = await t3.latestSnapshot();
    expect(latest?.commitKind).toBe('COMPACT');
    await liveFilesExist(t3);
    expect(sortBy(await t3.toArray(), (r) => Number(r.k))).toEqual([
      { k: 0, v: 'a0' },
      { k: 1, v: 'a1' },
      { k: 2, v: 'a2' },
      { k: 3, v: 'a3' },
      { k: 10, v: 'b3' },
    ]);
  });

  it('a checkpoint whose first attempt lands late (after its timeout) is not committed twice', async () => {
    // A snapshot put that timed out may still land (object stores finish requests the client gave
    // up on). Before the fix the replay checked "already committed?" once, before writing its
    // manifests, and then published on top of the late snapshot: the checkpoint landed twice.
    using dir = tempDir();
    const local = new LocalFileIO();
    let ghost: (() => Promise<boolean>) | undefined;
    class LateIO extends GateFileIO {
      override async writeIfAbsent(p: string, data: Uint8Array | string): Promise<boolean> {
        if (!ghost && /\/snapshot-\d+$/.test(p)) {
          ghost = () => local.writeIfAbsent(p, data);
          throw new EddyError('IO_ERROR', `${p}: timed out`);
        }
        return super.writeIfAbsent(p, data);
      }
    }
    const io = new LateIO(local);
    const catalog = await Catalog.open(dir.path, { fileIO: io });
    const t = await catalog.createTable('db.log', { columns: { w: 'INT', i: 'INT' } });
    const rows = [
      { w: 1, i: 1 },
      { w: 1, i: 2 },
    ];

    const first = t.newWriter({ commitUser: 'writer-1' });
    await first.write(rows);
    await expect(first.commit(1)).rejects.toThrow(/timed out/);
    first.close();

    // The replay: the late put lands right after the replay's exactly-once check.
    let landed = false;
    io.hook = async (op, p) => {
      if (!landed && op === 'write' && /\/manifest\/manifest-(?!list)/.test(p)) {
        landed = true;
        expect(await ghost!()).toBe(true);
      }
    };
    const replay = t.newWriter({ commitUser: 'writer-1' });
    await replay.write(rows);
    const r = await replay.commit(1);
    replay.close();
    expect(landed).toBe(true);
    expect(r.published).toBe(false);
    const snaps = await t.listSnapshots();
    expect(snaps.map((s) => [s.commitUser, Number(s.commitIdentifier), s.commitKind])).toEqual([
      ['writer-1', 1, 'APPEND'],
    ]);
    expect(await t.toArray()).toHaveLength(2);
    // The replay's own manifests were cleaned up or are orphans; nothing references them.
    expect([...treeOf(dir.path).keys()].some((k) => k.endsWith('snapshot-2'))).toBe(false);
  });
});
