/**
 * Issue 23: commit coalescing (`eddy.commit.coalesce-ms`). Streaming commits of one process's
 * writers that arrive within the window become one snapshot; each checkpoint stays exactly-once
 * (after a crash and replay, after expiry), a failure reaches every member, and a commit that must
 * outrank another member's rows for the same key lands after it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Catalog, type FileIO, LocalFileIO, type Table } from '../src/index.ts';
import { tempDir } from './helpers.ts';

const WINDOW = { 'eddy.commit.coalesce-ms': '300 ms' };

async function appendTable(dir: string, options: Record<string, string>, fileIO?: FileIO): Promise<Table> {
  return (await Catalog.open(dir, fileIO ? { fileIO } : {})).createTable('db.t', {
    columns: { w: 'INT', c: 'INT', j: 'INT' },
    options,
  });
}

/** Rows of checkpoint `c` of writer `w`: distinct per (w, c), so a duplicate commit shows. */
const rowsOf = (w: number, c: number, n: number) => Array.from({ length: n }, (_, j) => ({ w, c, j }));
const ids = (rows: readonly Record<string, unknown>[]) => rows.map((r) => `${r.w}/${r.c}/${r.j}`).sort();

describe('commit coalescing', () => {
  it('N concurrent streaming commits within the window publish one snapshot; each checkpoint is found again', async () => {
    using d = tempDir();
    const t = await appendTable(d.path, { ...WINDOW, 'write-only': 'true' });
    const writers = [0, 1, 2, 3].map((w) => t.newWriter({ commitUser: `u${w}` }));
    for (const [w, wr] of writers.entries()) {
      await wr.write(rowsOf(w, 7, 3));
      await wr.flush(); // files written before: the commits reach the coalescer at once
    }
    const results = await Promise.all(writers.map((wr, w) => wr.commit(10 + w)));
    expect(results.every((r) => r.published)).toBe(true);
    expect(new Set(results.map((r) => r.snapshot!.id)).size).toBe(1);
    const snaps = await t.listSnapshots();
    expect(snaps.length).toBe(1);
    const s = snaps[0];
    // One member in the snapshot's own fields, the others in its properties (Paimon keeps them opaque).
    const others = Object.entries(s.properties ?? {}).filter(([k]) => k.startsWith('eddy.commit-identifier.'));
    expect(others.length).toBe(3);
    expect(ids(await t.toArray())).toEqual(ids([0, 1, 2, 3].flatMap((w) => rowsOf(w, 7, 3))));
    for (let w = 0; w < 4; w++) expect(await t.lastCommittedIdentifier(`u${w}`)).toBe(BigInt(10 + w));
    // Replays are no-ops, also once the snapshot expired (the commit-user records).
    await t.upsert({ w: 9, c: 9, j: 9 });
    await t.expireSnapshots({ retainMin: 1, timeRetainedMs: 0 });
    expect((await t.listSnapshots()).map((x) => x.id)).toEqual([2]);
    for (const [w, wr] of writers.entries()) await wr.write(rowsOf(w, 7, 3));
    const replays = await Promise.all(writers.map((wr, w) => wr.commit(10 + w)));
    expect(replays.map((r) => r.published)).toEqual([false, false, false, false]);
    for (const wr of writers) wr.close();
    expect((await t.toArray()).length).toBe(13);
  });

  it('a failed group commit fails every member, publishes nothing, and the replay commits each once', async () => {
    using d = tempDir();
    let failSnapshot = true;
    const local = new LocalFileIO();
    const io: FileIO = new Proxy(local, {
      get(target, prop, receiver) {
        if (prop === 'writeIfAbsent')
          return async (p: string, data: Uint8Array | string) => {
            if (failSnapshot && /\/snapshot\/snapshot-\d+$/.test(p))
              throw new Error('injected: snapshot create refused');
            return target.writeIfAbsent(p, data);
          };
        const v = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const t = await appendTable(d.path, { ...WINDOW, 'write-only': 'true' }, io);
    const commitAll = async () => {
      const writers = [0, 1, 2].map((w) => t.newWriter({ commitUser: `u${w}` }));
      for (const [w, wr] of writers.entries()) {
        await wr.write(rowsOf(w, 1, 2));
        await wr.flush();
      }
      try {
        return await Promise.allSettled(writers.map((wr) => wr.commit(1)));
      } finally {
        for (const wr of writers) wr.close();
      }
    };
    const failed = await commitAll();
    expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    const reasons = failed.map((r) => (r as PromiseRejectedResult).reason as Error);
    expect(reasons.every((e) => e === reasons[0] && /injected/.test(e.message))).toBe(true);
    expect(await t.listSnapshots()).toEqual([]);
    // The outcome of a failed create is unknown (on S3 it may have landed): the files were kept,
    // and the replay decides by the exactly-once check.
    failSnapshot = false;
    const replay = await commitAll();
    expect(replay.every((r) => r.status === 'fulfilled' && r.value.published)).toBe(true);
    expect(ids(await t.toArray())).toEqual(ids([0, 1, 2].flatMap((w) => rowsOf(w, 1, 2))));
  });

  it('a commit whose rows must outrank another member’s for the same key lands after it, and wins', async () => {
    using d = tempDir();
    const t = await (await Catalog.open(d.path)).createTable('db.kv', {
      columns: { k: 'INT', v: 'STRING' },
      primaryKey: ['k'],
      options: { bucket: 1, 'write-only': 'true', ...WINDOW },
    });
    await t.upsert({ k: 1, v: 'seed' });
    const a = t.newWriter({ commitUser: 'a' });
    const b = t.newWriter({ commitUser: 'b' });
    await a.write({ k: 1, v: 'a' });
    await b.write({ k: 1, v: 'b' });
    await a.flush();
    await b.flush(); // both numbered from the same snapshot: equal sequence numbers for k=1
    const [ra, rb] = await Promise.all([a.commit(1), b.commit(1)]);
    a.close();
    b.close();
    expect(ra.published && rb.published).toBe(true);
    expect(ra.snapshot!.id).not.toBe(rb.snapshot!.id);
    const later = ra.snapshot!.id > rb.snapshot!.id ? 'a' : 'b';
    expect((await t.get([{ k: 1 }]))[0]?.v).toBe(later);
  });

  it('property: several writers, random checkpoints, crashes and replays: every checkpoint’s rows exactly once', async () => {
    type Step =
      | { t: 'round'; commits: boolean[]; rows: number } // these writers each commit their next checkpoint, concurrently
      | { t: 'crash'; w: number; back: number; uncommitted: boolean } // restart: replay from `back` before the last committed
      | { t: 'expire' };
    const W = 3;
    const step: fc.Arbitrary<Step> = fc.oneof(
      {
        weight: 5,
        arbitrary: fc.record({
          t: fc.constant('round' as const),
          commits: fc.array(fc.boolean(), { minLength: W, maxLength: W }),
          rows: fc.integer({ min: 1, max: 3 }),
        }),
      },
      {
        weight: 2,
        arbitrary: fc.record({
          t: fc.constant('crash' as const),
          w: fc.integer({ min: 0, max: W - 1 }),
          back: fc.integer({ min: 0, max: 2 }),
          uncommitted: fc.boolean(),
        }),
      },
      { weight: 1, arbitrary: fc.constant({ t: 'expire' as const }) },
    );
    let grouped = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 10 }), async (steps) => {
        using d = tempDir();
        const t = await appendTable(d.path, { 'eddy.commit.coalesce-ms': '30 ms', 'write-only': 'true' });
        // The model: each writer's checkpoints (their rows), the ones generated so far.
        const generated: number[][] = Array.from({ length: W }, () => []); // rows per checkpoint (index = id - 1)
        const writers = Array.from({ length: W }, (_, w) => t.newWriter({ commitUser: `u${w}` }));
        const commitCheckpoint = async (w: number, c: number) => {
          await writers[w].write(rowsOf(w, c, generated[w][c - 1]));
          return writers[w].commit(c);
        };
        for (const s of steps) {
          if (s.t === 'round') {
            const round: number[] = [];
            for (let w = 0; w < W; w++) {
              if (!s.commits[w]) continue;
              generated[w].push(s.rows);
              await writers[w].write(rowsOf(w, generated[w].length, s.rows));
              await writers[w].flush();
              round.push(w);
            }
            const results = await Promise.all(round.map((w) => writers[w].commit(generated[w].length)));
            expect(results.every((r) => r.published)).toBe(true);
            if (new Set(results.map((r) => r.snapshot?.id)).size < results.length) grouped++;
          } else if (s.t === 'crash') {
            const w = s.w;
            if (s.uncommitted) {
              // Rows of the next checkpoint written, then the process dies before its commit.
              generated[w].push(1);
              await writers[w].write(rowsOf(w, generated[w].length, 1));
            }
            writers[w].close();
            writers[w] = t.newWriter({ commitUser: `u${w}` });
            const last = Number((await writers[w].lastCommittedIdentifier()) ?? 0n);
            // Replay from a little before the last committed checkpoint (those must be no-ops).
            for (let c = Math.max(1, last - s.back); c <= generated[w].length; c++) {
              const r = await commitCheckpoint(w, c);
              expect(r.published).toBe(c > last);
            }
          } else {
            await t.expireSnapshots({ retainMin: 1, timeRetainedMs: 0 });
          }
        }
        for (const wr of writers) wr.close();
        const expected = generated.flatMap((cks, w) => cks.flatMap((n, i) => rowsOf(w, i + 1, n)));
        expect(ids(await t.toArray())).toEqual(ids(expected));
        for (let w = 0; w < W; w++) {
          const last = await t.lastCommittedIdentifier(`u${w}`);
          expect(last).toBe(generated[w].length === 0 ? undefined : BigInt(generated[w].length));
        }
      }),
      { numRuns: 6 },
    );
    // The rounds' concurrent commits were grouped (they reach the coalescer within the window).
    expect(grouped).toBeGreaterThan(0);
  });
});
