/**
 * The change feed on S3 (issue 23): a feed that is behind reads snapshots ahead while it delivers
 * (S3 has no notifications, and each snapshot is several round trips). Whatever it reads ahead,
 * it delivers every change once, in snapshot order, and its replay equals the final scan.
 */
import { describe, expect, it } from 'vitest';
import { Catalog, type ChangeEvent } from '../../packages/table/src/index.ts';
import { testS3IO, uniqueS3Path } from './helpers.ts';

describe('change feed on S3', () => {
  it('a feed behind by many snapshots, and one tailing new commits, deliver every change once in order', async () => {
    const writerIO = testS3IO();
    const feedIO = testS3IO();
    try {
      const wh = uniqueS3Path('feed');
      const t = await (await Catalog.open(wh, { fileIO: writerIO })).createTable('db.t', {
        columns: { k: 'BIGINT', v: 'STRING' },
        primaryKey: ['k'],
        options: { bucket: 2, 'write-only': 'true' },
      });
      const expected: [number, string][] = [];
      const commit = async (i: number) => {
        const rows = [0, 1, 2].map((j) => ({ k: BigInt((i * 3 + j) % 11), v: `c${i}` }));
        await t.upsert(rows);
        const id = (await t.snapshots.latestSnapshotId())!;
        for (const r of rows) expected.push([id, `${r.k}=${r.v}`]);
      };
      for (let i = 0; i < 12; i++) await commit(i); // the feed starts 12 snapshots behind
      const feedTable = await (await Catalog.open(wh, { fileIO: feedIO })).getTable('db.t');
      const ac = new AbortController();
      const got: ChangeEvent[] = [];
      const done = (async () => {
        for await (const e of feedTable.changes({
          scanMode: 'from-snapshot',
          snapshotId: 1,
          pollIntervalMs: 100,
          signal: ac.signal,
        })) {
          got.push(e);
          if (got.length === 20 * 3) return;
        }
      })();
      for (let i = 12; i < 20; i++) await commit(i); // and new commits arrive while it catches up
      const timer = setTimeout(() => ac.abort(), 120_000); // a hang becomes a failure with what arrived
      try {
        await done;
      } finally {
        clearTimeout(timer);
      }
      const ids = got.map((e) => e.snapshotId);
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
      const bySnapshot = (xs: [number, string][]) => {
        const m = new Map<number, string[]>();
        for (const [id, r] of xs) m.set(id, [...(m.get(id) ?? []), r].sort());
        return [...m];
      };
      expect(bySnapshot(got.map((e) => [e.snapshotId, `${e.row.k}=${e.row.v}`]))).toEqual(bySnapshot(expected));
      // Replaying the feed (last value per key) gives the final scan.
      const replay = new Map<bigint, string>();
      for (const e of got) replay.set(e.row.k as bigint, e.row.v as string);
      const scan = (await t.toArray()) as { k: bigint; v: string }[];
      expect(new Map(scan.map((r) => [r.k, r.v]))).toEqual(replay);
    } finally {
      writerIO.destroy();
      feedIO.destroy();
    }
  });
});
