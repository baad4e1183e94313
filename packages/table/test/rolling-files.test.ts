import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { deserializeBinaryRow } from '../src/format/binary-row.ts';
import type { DataFileMeta } from '../src/format/manifest.ts';
import { Catalog, type Table } from '../src/index.ts';
import { mulberry32, tempDir } from './helpers.ts';

/**
 * Data files roll at about `target-file-size` (Paimon's RollingFileWriter): a level-0 flush larger
 * than the target writes several files, and so does a compaction. The files of one flush or one
 * compaction form one sorted run: ascending, disjoint key ranges, together every row once.
 */
const TARGET = 32 * 1024;
const KEY = [{ root: 'BIGINT', nullable: false }] as const;

async function table(dir: string): Promise<Table> {
  return (await Catalog.open(dir)).createTable('db.t', {
    columns: { k: 'BIGINT', v: 'STRING', n: 'DOUBLE' },
    primaryKey: ['k'],
    options: { bucket: '1', 'write-only': 'true', 'target-file-size': `${TARGET / 1024} kb` },
  });
}

function rows(seed: number, count: number, keys: number) {
  const rnd = mulberry32(seed);
  return Array.from({ length: count }, (_, i) => ({
    k: BigInt(Math.floor(rnd() * keys)),
    v: `${seed}-${i}-${Math.floor(rnd() * 1e9).toString(36)}`,
    n: rnd(),
  }));
}

const keyOf = (bytes: Uint8Array) => deserializeBinaryRow(bytes, [...KEY])[0] as bigint;

/** The files form one sorted run: ascending disjoint key ranges. */
function expectOneRun(files: readonly DataFileMeta[]): void {
  const sorted = [...files].sort((a, b) => (keyOf(a.minKey) < keyOf(b.minKey) ? -1 : 1));
  for (let i = 1; i < sorted.length; i++) expect(keyOf(sorted[i].minKey) > keyOf(sorted[i - 1].maxKey)).toBe(true);
}

/** The table's rows by key; each key once (one check per scan: an expect per row cost more than the scan). */
async function scan(t: Table): Promise<Map<bigint, string>> {
  const rows = await t.toArray();
  const out = new Map(rows.map((r) => [r.k as bigint, r.v as string]));
  expect(out.size, 'a key read twice').toBe(rows.length);
  return out;
}

describe('rolling data files at target-file-size', () => {
  it('a level-0 flush larger than target-file-size writes one sorted run of several files', async () => {
    using d = tempDir();
    const t = await table(d.path);
    const model = new Map<bigint, string>();
    const w = t.newWriter({ commitUser: 'c' });
    for (const [i, seed] of [11, 12].entries()) {
      const batch = rows(seed, 40_000, 1_000_000);
      await w.write(batch);
      for (const r of batch) model.set(r.k, r.v);
      await w.commit(i + 1);
      const snap = await t.latestSnapshot();
      const files = (await t.plan({ snapshotId: snap!.id })).splits
        .flatMap((s) => s.files)
        .filter((f) => f.minSequenceNumber >= (i === 0 ? 0n : 40_000n));
      // One flush per commit, more than one file: it rolled.
      expect(files.length).toBeGreaterThan(2);
      expect(files.every((f) => f.level === 0)).toBe(true);
      expectOneRun(files);
      expect(files.reduce((n, f) => n + f.rowCount, 0)).toBe(new Set(batch.map((r) => r.k)).size);
      if (i === 1) {
        // The second flush sizes its files from the first one's compressed bytes per row.
        const full = files.filter((f) => f.fileSize < TARGET / 2 || f.fileSize > TARGET * 2);
        expect(full.length).toBeLessThanOrEqual(1); // the last file of the flush may be short
      }
    }
    w.close();
    expect(await scan(t)).toEqual(model);
  });

  it('a compaction rolls its output at target-file-size and keeps every row', async () => {
    using d = tempDir();
    const t = await table(d.path);
    const model = new Map<bigint, string>();
    for (const seed of [1, 2, 3, 4]) {
      const batch = rows(seed, 15_000, 40_000);
      const w = t.newWriter({ commitUser: `c${seed}` });
      await w.write(batch);
      for (const r of batch) model.set(r.k, r.v);
      await w.commit(1);
      w.close();
    }
    const before = await scan(t);
    expect(before).toEqual(model);
    const res = await t.compact({ full: true });
    expect(res.rowsOut).toBe(model.size);
    const files = (await t.plan()).splits.flatMap((s) => s.files);
    expect(files.length).toBeGreaterThan(2);
    expect(files.every((f) => f.level === 5 && f.fileSource === 1)).toBe(true);
    expectOneRun(files);
    // Sized from the inputs' bytes per row, then from each file written: none far off the target.
    expect(files.slice(0, -1).every((f) => f.fileSize > TARGET / 3 && f.fileSize < TARGET * 3)).toBe(true);
    expect(await scan(t)).toEqual(model);
    // Nothing but the committed files is left in the bucket directory.
    const onDisk = readdirSync(path.join(d.path, 'db.db', 't', 'bucket-0')).filter((f) => f.startsWith('data-'));
    const live = new Set(files.map((f) => f.fileName));
    const inputs = (await t.plan({ snapshotId: res.snapshot!.id - 1 })).splits.flatMap((s) => s.files);
    for (const f of onDisk) expect(live.has(f) || inputs.some((x) => x.fileName === f)).toBe(true);
  });

  it('an aborted compaction leaves none of the files it wrote', async () => {
    using d = tempDir();
    const t = await table(d.path);
    for (const seed of [1, 2, 3]) {
      const w = t.newWriter({ commitUser: `c${seed}` });
      await w.write(rows(seed, 15_000, 40_000));
      await w.commit(1);
      w.close();
    }
    const dir = path.join(d.path, 'db.db', 't', 'bucket-0');
    const before = new Set(readdirSync(dir));
    const ac = new AbortController();
    // Abort once the compaction has written a file of its own.
    const timer = setInterval(() => {
      if (readdirSync(dir).some((f) => !before.has(f))) ac.abort(new Error('stop'));
    }, 1);
    try {
      await expect(t.compact({ full: true, signal: ac.signal })).rejects.toThrow('stop');
    } finally {
      clearInterval(timer);
    }
    expect(new Set(readdirSync(dir))).toEqual(before);
  });

  it('compaction moves large files that overlap nothing up a level and merges only overlapping sections', async () => {
    using d = tempDir();
    const t = await table(d.path);
    const model = new Map<bigint, string>();
    // One flush of distinct keys: one sorted run of several level-0 files, disjoint key ranges.
    const load = Array.from({ length: 40_000 }, (_, i) => ({
      k: BigInt(i),
      v: `load-${i}-${(i * 7919) % 10007}`,
      n: i / 3,
    }));
    const w = t.newWriter({ commitUser: 'c' });
    await w.write(load);
    await w.commit(1);
    for (const r of load) model.set(r.k, r.v);
    const l0 = (await t.plan()).splits.flatMap((s) => s.files);
    expect(l0.length).toBeGreaterThan(2);
    const full = await t.compact({ full: true });
    const moved = (await t.plan()).splits.flatMap((s) => s.files);
    // Files of at least 70% of the target overlap nothing: moved to the last level, names kept;
    // smaller ones are merged with their small neighbours (Java's compaction file size).
    expect(moved.every((f) => f.level === 5)).toBe(true);
    expectOneRun(moved);
    const names = new Set(moved.map((f) => f.fileName));
    const large = l0.filter((f) => f.fileSize >= (TARGET / 10) * 7);
    expect(large.length).toBeGreaterThan(0);
    for (const f of large) expect(names.has(f.fileName)).toBe(true);
    expect(full.bytesOut).toBeLessThan(
      l0.reduce((n, f) => n + f.fileSize, 0) - large.reduce((n, f) => n + f.fileSize, 0) + 1,
    );
    expect(await scan(t)).toEqual(model);
    // Updates inside one file's key range: only that section is rewritten.
    const target = moved.find((f) => keyOf(f.minKey) > 0n && f.fileSize >= (TARGET / 10) * 7)!;
    const lo = keyOf(target.minKey);
    const updates = Array.from({ length: 50 }, (_, i) => ({ k: lo + BigInt(i), v: `upd-${i}`, n: 0 }));
    await w.write(updates);
    await w.commit(2);
    w.close();
    for (const r of updates) model.set(r.k, r.v);
    await t.compact({ full: true });
    const after = (await t.plan()).splits.flatMap((s) => s.files);
    expect(after.every((f) => f.level === 5)).toBe(true);
    expectOneRun(after);
    const kept = new Set(after.map((f) => f.fileName));
    for (const f of moved) expect(kept.has(f.fileName)).toBe(f !== target);
    expect(await scan(t)).toEqual(model);
  });
});
