/**
 * A change feed that is behind reads snapshots ahead of its consumer (issue 23, S3): whatever
 * order the storage answers in, whichever read fails and whenever expiry strikes, it delivers the
 * committed changes in order and never skips one — it ends with every change, or with an ordered
 * prefix of them and an error (the injected failure, or SNAPSHOT_EXPIRED).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Catalog, EddyError, type FileIO, LocalFileIO } from '../src/index.ts';
import { mulberry32, tempDir } from './helpers.ts';

const SCHEMA = {
  columns: { k: 'BIGINT', v: 'STRING' },
  primaryKey: ['k'],
  // One snapshot is kept at least: expiry may take every one the feed has not read yet.
  options: { bucket: '2', 'write-only': 'true', 'snapshot.num-retained.min': '1', 'snapshot.time-retained': '1 ms' },
} as const;

/**
 * Local storage as S3 looks to the feed (no `watch`), answering reads after a random delay (so
 * read-ahead requests complete out of order), failing the `failAt`-th read, and running `onRead`
 * (an expiry) before the `expireAt`-th, counting from `arm()`. Every read is recorded.
 */
function chaoticIO(
  seed: number,
  failAt: number | undefined,
  expireAt: number | undefined,
  onRead: () => Promise<void>,
) {
  const local = new LocalFileIO();
  const rnd = mulberry32(seed);
  let reads = 0;
  let armed = false;
  const log: string[] = [];
  const gate = async (p: string) => {
    if (!armed) return;
    const n = ++reads;
    log.push(p);
    if (n === expireAt) await onRead();
    await new Promise((r) => setTimeout(r, Math.floor(rnd() * 4)));
    if (n === failAt) throw new EddyError('IO_ERROR', `injected failure reading ${p}`);
  };
  const io: FileIO = {
    read: async (p) => {
      await gate(p);
      return local.read(p);
    },
    readRange: async (p, o, l) => {
      await gate(p);
      return local.readRange(p, o, l);
    },
    write: (p, d) => local.write(p, d),
    writeIfAbsent: (p, d) => local.writeIfAbsent(p, d),
    exists: async (p) => {
      await gate(p);
      return local.exists(p);
    },
    stat: (p) => local.stat(p),
    list: (p) => local.list(p),
    delete: (p) => local.delete(p),
    deleteDirectory: (p) => local.deleteDirectory(p),
    mkdirs: (p) => local.mkdirs(p),
  };
  return {
    io,
    log,
    reads: () => reads,
    arm: () => {
      armed = true;
    },
  };
}

describe('change feed read-ahead (fast-check)', () => {
  it('delivers every committed change in order, or an ordered prefix and an error; never skips one', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 4 }), {
          minLength: 2,
          maxLength: 10,
        }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.option(fc.integer({ min: 1, max: 60 })),
        fc.option(fc.integer({ min: 1, max: 60 })),
        async (commits, seed, failAt, expireAt) => {
          using dir = tempDir();
          const writer = await (await Catalog.open(dir.path)).createTable('d.t', SCHEMA);
          // Every change, in the order the feed must deliver it: by snapshot, and by key in a bucket.
          const expected: [number, bigint, string][] = [];
          for (let c = 0; c < commits.length; c++) {
            const keys = [...new Set(commits[c])];
            await writer.upsert(keys.map((k) => ({ k: BigInt(k), v: `c${c}` })));
            const id = (await writer.snapshots.latestSnapshotId())!;
            for (const k of keys) expected.push([id, BigInt(k), `c${c}`]);
          }
          const last = (await writer.snapshots.latestSnapshotId())!;
          await new Promise((r) => setTimeout(r, 3));
          const expire = async () => {
            await writer.expireSnapshots({ retainMax: 1 });
          };
          const chaos = chaoticIO(seed, failAt ?? undefined, expireAt ?? undefined, expire);
          const feedTable = await (await Catalog.open(dir.path, { fileIO: chaos.io })).getTable('d.t');
          chaos.arm(); // from the feed's first read on
          const got: [number, bigint, string][] = [];
          let error: unknown;
          try {
            for await (const e of feedTable.changes({ scanMode: 'from-snapshot', snapshotId: 1, endSnapshotId: last }))
              got.push([e.snapshotId, e.row.k as bigint, e.row.v as string]);
          } catch (e) {
            error = e;
          }
          // Within a snapshot the buckets come in a fixed order, not by key: compare per snapshot.
          const bySnapshot = (xs: [number, bigint, string][]) => {
            const m = new Map<number, string[]>();
            for (const [id, k, v] of xs) m.set(id, [...(m.get(id) ?? []), `${k}=${v}`].sort());
            return [...m];
          };
          const want = bySnapshot(expected);
          const have = bySnapshot(got);
          // Snapshots in increasing order, each one complete, none skipped: a prefix of what was committed.
          expect(got.map((x) => x[0])).toEqual([...got.map((x) => x[0])].sort((a, b) => a - b));
          if (error === undefined) {
            expect(have).toEqual(want);
            return;
          }
          const code = (error as EddyError).code;
          expect(['IO_ERROR', 'SNAPSHOT_EXPIRED']).toContain(code);
          if (code === 'IO_ERROR') expect((error as Error).message).toContain('injected failure');
          if (code === 'SNAPSHOT_EXPIRED') expect(expireAt).not.toBeNull();
          // The last snapshot delivered may be cut short only by the error (events stream out per
          // bucket): every earlier one is whole, and they are the first ones committed.
          const whole = have.slice(0, -1);
          expect(whole).toEqual(want.slice(0, whole.length));
          if (have.length > 0) {
            const [id, rows] = have[have.length - 1];
            expect(id).toBe(want[have.length - 1][0]);
            for (const r of rows) expect(want[have.length - 1][1]).toContain(r);
          }
        },
      ),
      { numRuns: 12 },
    );
  });

  it('reads the next snapshots while its consumer holds one, more of them while each exists', async () => {
    using dir = tempDir();
    const writer = await (await Catalog.open(dir.path)).createTable('d.t', {
      ...SCHEMA,
      options: { bucket: '1', 'write-only': 'true' },
    });
    for (let i = 0; i < 8; i++) await writer.upsert({ k: BigInt(i), v: `c${i}` });
    const chaos = chaoticIO(1, undefined, undefined, async () => undefined);
    const feedTable = await (await Catalog.open(dir.path, { fileIO: chaos.io })).getTable('d.t');
    chaos.arm();
    const feed = feedTable.changes({ scanMode: 'from-snapshot', snapshotId: 1, endSnapshotId: 8 });
    const snapshotsRead = () =>
      new Set(chaos.log.filter((p) => /\/snapshot\/snapshot-\d+$/.test(p)).map((p) => Number(p.split('-').pop())));
    expect((await feed.next()).value).toMatchObject({ snapshotId: 1 });
    expect((await feed.next()).value).toMatchObject({ snapshotId: 2 });
    // The consumer holds snapshot 2's row: the feed reads on, two ahead (snapshot 2 existed when read ahead).
    for (;;) {
      const read = snapshotsRead();
      if (read.has(3) && read.has(4)) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(snapshotsRead().has(6)).toBe(false); // bounded: not past the window
    const rest: number[] = [];
    for await (const e of feed) rest.push(e.snapshotId);
    expect(rest).toEqual([3, 4, 5, 6, 7, 8]);
  });
});
