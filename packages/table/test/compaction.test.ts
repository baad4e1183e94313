import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DataFileMeta } from '../src/format/manifest.ts';
import { Catalog, eq } from '../src/index.ts';
import type { SortedRun } from '../src/lsm/levels.ts';
import { pickCompaction } from '../src/lsm/universal-compaction.ts';
import { tempDir } from './helpers.ts';

const run = (level: number, size: number): SortedRun => ({
  level,
  size,
  files: [{ fileName: `f-${level}-${size}`, fileSize: size } as DataFileMeta],
});
const OPTS = { trigger: 5, maxSizeAmplificationPercent: 200, sizeRatio: 1, numLevels: 6 };

describe('universal compaction picker', () => {
  it('waits for the trigger, then picks by size amplification, size ratio and run count', () => {
    expect(pickCompaction([run(0, 1), run(0, 1), run(5, 100)], OPTS)).toBeUndefined();
    // 4 small runs over a big last run: no size amplification (4·1 ≤ 2·100); the size ratio picks
    // the four level-0 runs, written to level 4 (just above the next run's level).
    const u = pickCompaction([run(0, 1), run(0, 1), run(0, 1), run(0, 1), run(5, 100)], OPTS)!;
    expect(u.runs.length).toBe(4);
    expect(u.outputLevel).toBe(4);
    // Newer runs outweigh the oldest: everything goes to the last level.
    const amp = pickCompaction([run(0, 50), run(0, 50), run(0, 50), run(0, 50), run(5, 10)], OPTS)!;
    expect(amp.runs.length).toBe(5);
    expect(amp.outputLevel).toBe(5);
    // Run count: 7 runs > trigger, sizes growing too fast for the ratio rule: the 3 newest are
    // force-picked, and once triggered the pick absorbs following level-0/1 runs (as Java does).
    const count = pickCompaction(
      [run(0, 1), run(0, 4), run(0, 16), run(0, 64), run(0, 256), run(1, 1024), run(5, 4096)],
      OPTS,
    )!;
    expect(count.runs.length).toBe(6);
    expect(count.outputLevel).toBe(4);
    const count2 = pickCompaction(
      [run(0, 1), run(0, 4), run(0, 16), run(0, 64), run(0, 256), run(3, 1024), run(5, 4096)],
      OPTS,
    )!;
    expect(count2.runs.length).toBe(5);
    expect(count2.outputLevel).toBe(2);
    expect(pickCompaction([run(0, 1)], OPTS, true)!.outputLevel).toBe(5);
    expect(pickCompaction([run(5, 1)], OPTS, true)).toBeUndefined();
  });
});

async function setup(d: string, options: Record<string, string | number> = {}) {
  const c = await Catalog.open(d);
  const t = await c.createTable('db.t', {
    columns: { k: 'BIGINT', v: 'STRING' },
    primaryKey: ['k'],
    options: { bucket: 2, 'write-only': 'true', ...options },
  });
  return { c, t };
}

const byKey = (rows: Record<string, unknown>[]) => [...rows].sort((a, b) => Number(a.k) - Number(b.k));

function parquetFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && e.name.endsWith('.parquet')) out.push(e.name);
  }
  return out.sort();
}

describe('compaction', () => {
  it('full compaction merges every run into the last level and keeps the scan', async () => {
    using d = tempDir();
    const { t } = await setup(d.path);
    const model = new Map<number, string>();
    for (let round = 0; round < 6; round++) {
      const rows = Array.from({ length: 50 }, (_, i) => ({ k: BigInt((i * 7 + round) % 80), v: `r${round}-${i}` }));
      await t.upsert(rows);
      for (const r of rows) model.set(Number(r.k), r.v);
      const gone = [BigInt(round * 3)];
      await t.delete(gone.map((k) => ({ k })));
      model.delete(round * 3);
    }
    const before = byKey(await t.toArray());
    expect(before.map((r) => [Number(r.k), r.v])).toEqual([...model.entries()].sort((a, b) => a[0] - b[0]));
    expect((await t.bucketHealth()).every((b) => b.sortedRuns >= 6 && b.l0Files === b.sortedRuns)).toBe(true);

    const res = await t.compact({ full: true });
    expect(res.snapshot?.commitKind).toBe('COMPACT');
    expect(res.rowsOut).toBe(model.size);
    expect(byKey(await t.toArray())).toEqual(before);
    const plan = await t.plan();
    const files = plan.splits.flatMap((s) => s.files);
    expect(files.every((f) => f.level === 5 && f.deleteRowCount === 0 && f.fileSource === 1)).toBe(true);
    expect((await t.bucketHealth()).map((b) => b.sortedRuns)).toEqual([1, 1]);
    expect(res.snapshot?.totalRecordCount).toBe(model.size);
    // Time travel still sees the pre-compaction state.
    expect(byKey(await t.toArray({ snapshotId: res.snapshot!.id - 1 }))).toEqual(before);
    expect((await t.compact({ full: true })).snapshot).toBeUndefined();
  });

  it('a compaction that loses to a concurrent one is discarded and leaves no files', async () => {
    using d = tempDir();
    const { c, t } = await setup(d.path);
    for (let round = 0; round < 3; round++)
      await t.upsert(Array.from({ length: 20 }, (_, i) => ({ k: BigInt(i), v: `${round}` })));
    const t2 = await c.getTable('db.t');
    const results = await Promise.allSettled([t.compact({ full: true }), t2.compact({ full: true })]);
    const ok = results.filter((r) => r.status === 'fulfilled');
    const failed = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    expect(ok.length).toBe(1);
    expect(failed.length).toBe(1);
    expect(failed[0].reason).toMatchObject({ code: 'COMMIT_CONFLICT' });
    expect((await t.toArray()).length).toBe(20);
    // Every Parquet file on disk is referenced by some snapshot: the loser cleaned up.
    const referenced = new Set<string>();
    for (const s of await t.listSnapshots()) {
      for (const split of (await t.plan({ snapshotId: s.id })).splits)
        for (const f of split.files) referenced.add(f.fileName);
    }
    expect(parquetFiles(path.join(d.path, 'db.db/t'))).toEqual([...referenced].sort());
  });

  it('writers compact as they go unless write-only, keeping sorted runs bounded', async () => {
    using d = tempDir();
    const { t } = await setup(d.path, { 'write-only': 'false', 'num-sorted-run.compaction-trigger': 3 });
    const w = t.newWriter({ commitUser: 'w' });
    for (let i = 1; i <= 12; i++) {
      await w.write(Array.from({ length: 30 }, (_, j) => ({ k: BigInt(j), v: `${i}` })));
      await w.commit(i);
      for (const b of await t.bucketHealth()) expect(b.sortedRuns).toBeLessThanOrEqual(3);
    }
    w.close();
    const kinds = (await t.listSnapshots()).map((s) => s.commitKind);
    expect(kinds.filter((k) => k === 'APPEND').length).toBe(12);
    expect(kinds).toContain('COMPACT');
    expect((await t.toArray()).every((r) => r.v === '12')).toBe(true);
    // Replaying a checkpoint after its compaction is still a no-op (exactly-once).
    const again = t.newWriter({ commitUser: 'w' });
    await again.write({ k: 0n, v: 'replayed' });
    expect((await again.commit(12)).published).toBe(false);
    again.close();
  });

  it('a partition filter still plans after a compaction that spans partitions', async () => {
    using d = tempDir();
    const c = await Catalog.open(d.path);
    const t = await c.createTable('db.p', {
      columns: { p: 'STRING', k: 'INT', v: 'STRING' },
      primaryKey: ['p', 'k'],
      partitionKeys: ['p'],
      options: { bucket: 1, 'write-only': 'true' },
    });
    await t.upsert([{ p: 'b', k: 1, v: 'b1' }]); // a manifest with partition b only
    await t.upsert([{ p: 'a', k: 1, v: 'a1' }]); // a manifest with partition a only
    await t.compact({ full: true }); // one delta deleting files of both partitions
    expect(await t.toArray({ where: eq('p', 'a') })).toEqual([{ p: 'a', k: 1, v: 'a1' }]);
    expect(await t.toArray({ where: eq('p', 'b') })).toEqual([{ p: 'b', k: 1, v: 'b1' }]);
  });

  it('refuses tables it cannot compact yet, by name', async () => {
    using d = tempDir();
    const c = await Catalog.open(d.path);
    // Paimon's commits would create tags automatically; Eddy's do not, so it neither writes nor compacts.
    const a = await c.createTable('db.a', {
      columns: { x: 'INT' },
      options: { 'tag.automatic-creation': 'process-time' },
    });
    await expect(a.compact()).rejects.toMatchObject({
      code: 'UNSUPPORTED',
      message: expect.stringContaining('db.a'),
    });
  });
});
