import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Catalog, type ChangeEvent } from '../src/index.ts';
import { mulberry32, tempDir } from './helpers.ts';

/** Checks the per-key state machine of a changelog and returns the state it replays to. */
function replayLegal(events: readonly ChangeEvent[]): Map<number, string> {
  const state = new Map<number, string>();
  let pendingBefore: number | undefined;
  for (const e of events) {
    const k = Number(e.row.k);
    const v = String(e.row.v);
    if (pendingBefore !== undefined) {
      expect(e.kind, `+U must follow -U of key ${pendingBefore}`).toBe('+U');
      expect(k).toBe(pendingBefore);
    }
    switch (e.kind) {
      case '+I':
        expect(state.has(k), `+I for present key ${k}`).toBe(false);
        state.set(k, v);
        break;
      case '-U':
        expect(state.get(k), `-U of key ${k} carries the previous value`).toBe(v);
        pendingBefore = k;
        break;
      case '+U':
        expect(pendingBefore).toBe(k);
        pendingBefore = undefined;
        state.set(k, v);
        break;
      case '-D':
        expect(state.get(k), `-D of key ${k} carries the previous value`).toBe(v);
        state.delete(k);
        break;
    }
  }
  expect(pendingBefore).toBeUndefined();
  return state;
}

describe('changelog producers lookup and full-compaction', () => {
  for (const producer of ['lookup', 'full-compaction'] as const) {
    it(`${producer}: a legal changelog that replays to the table`, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(
            fc.array(
              fc.record({
                k: fc.integer({ min: 0, max: 6 }),
                v: fc.option(fc.constantFrom('a', 'b', 'c'), { nil: null }),
              }),
              {
                minLength: 1,
                maxLength: 6,
              },
            ),
            { minLength: 1, maxLength: 8 },
          ),
          fc.boolean(),
          async (commits, dedupe) => {
            using d = tempDir();
            const t = await (await Catalog.open(d.path)).createTable('db.t', {
              columns: { k: 'INT', v: 'STRING' },
              primaryKey: ['k'],
              options: {
                bucket: 2,
                'changelog-producer': producer,
                'changelog-producer.row-deduplicate': String(dedupe),
              },
            });
            const w = t.newWriter({ commitUser: 'c' });
            let id = 0;
            for (const batch of commits) {
              for (const r of batch) {
                if (r.v === null) await w.write({ k: r.k, v: 'x' }, '-D');
                else await w.write(r);
              }
              await w.commit(++id);
            }
            w.close();
            const latest = (await t.latestSnapshot())!.id;
            const events: ChangeEvent[] = [];
            for await (const e of t.changes({ scanMode: 'from-snapshot', snapshotId: 1, endSnapshotId: latest }))
              events.push(e);
            // Legality per key (events of different keys interleave freely).
            const byKey = new Map<number, ChangeEvent[]>();
            for (const e of events) byKey.set(Number(e.row.k), [...(byKey.get(Number(e.row.k)) ?? []), e]);
            const state = new Map<number, string>();
            for (const [k, es] of byKey) for (const [kk, v] of replayLegal(es)) state.set(kk ?? k, v);
            const want = new Map((await t.toArray()).map((r) => [Number(r.k), String(r.v)]));
            expect(new Map([...state].sort())).toEqual(new Map([...want].sort()));
            // Exactly Paimon's changes (FullChangelogMergeFunctionWrapper, the lookup wrappers): every
            // commit is compacted into the levels above 0 at once, and only the keys it wrote change —
            // a key it did not write emits nothing, an equal row nothing with row-deduplicate.
            const wantChanges = new Map<number, string[]>();
            let prev = new Map<number, string>();
            for (const batch of commits) {
              const next = new Map(prev);
              for (const r of batch) {
                if (r.v === null) next.delete(r.k);
                else next.set(r.k, r.v);
              }
              for (const k of new Set(batch.map((r) => r.k))) {
                const [p, m] = [prev.get(k), next.get(k)];
                const l = wantChanges.get(k) ?? [];
                if (p === undefined && m !== undefined) l.push(`+I ${m}`);
                else if (p !== undefined && m === undefined) l.push(`-D ${p}`);
                else if (p !== undefined && m !== undefined && !(dedupe && p === m)) l.push(`-U ${p}`, `+U ${m}`);
                if (l.length > 0) wantChanges.set(k, l);
              }
              prev = next;
            }
            const got = new Map([...byKey].map(([k, es]) => [k, es.map((e) => `${e.kind} ${String(e.row.v)}`)]));
            expect(new Map([...got].sort())).toEqual(new Map([...wantChanges].sort()));
          },
        ),
        { numRuns: 15, seed: 20261125 },
      );
    });
  }

  // Thousands of keys in 1 kb files (1024 rows each): every level is a run of several files, so
  // the before/after/key streams the producers walk together cut through files of every run.
  for (const producer of ['lookup', 'full-compaction'] as const) {
    it(`${producer}: over multi-file sorted runs`, async () => {
      let multiFile = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(
            fc.record({ seed: fc.integer({ min: 1, max: 1 << 30 }), count: fc.integer({ min: 1, max: 1500 }) }),
            {
              minLength: 2,
              maxLength: 6,
            },
          ),
          async (commits) => {
            using d = tempDir();
            const t = await (await Catalog.open(d.path)).createTable('db.t', {
              columns: { k: 'INT', v: 'STRING' },
              primaryKey: ['k'],
              options: {
                bucket: 1,
                'changelog-producer': producer,
                'target-file-size': '1 kb',
                'num-sorted-run.compaction-trigger': 3,
              },
            });
            const w = t.newWriter({ commitUser: 'c' });
            let id = 0;
            for (const { seed, count } of commits) {
              const rnd = mulberry32(seed);
              const seen = new Set<number>();
              for (let i = 0; i < count; i++) {
                const k = Math.floor(rnd() * 3000);
                if (seen.has(k)) continue;
                seen.add(k);
                if (rnd() < 0.2) await w.write({ k, v: 'x' }, '-D');
                else await w.write({ k, v: `s${seed % 97}-${i}` });
              }
              await w.commit(++id);
            }
            w.close();
            await t.compact({ full: true });
            const latest = (await t.latestSnapshot())!.id;
            const byKey = new Map<number, ChangeEvent[]>();
            for await (const e of t.changes({ scanMode: 'from-snapshot', snapshotId: 1, endSnapshotId: latest })) {
              const k = Number(e.row.k);
              const l = byKey.get(k);
              if (l) l.push(e);
              else byKey.set(k, [e]);
            }
            const state = new Map<number, string>();
            for (const es of byKey.values()) for (const [k, v] of replayLegal(es)) state.set(k, v);
            const want = new Map((await t.toArray()).map((r) => [Number(r.k), String(r.v)]));
            expect(state.size).toBe(want.size);
            for (const [k, v] of want) expect(state.get(k), `key ${k}`).toBe(v);
            if ((await t.bucketHealth()).some((h) => h.files > 1)) multiFile++;
          },
        ),
        { numRuns: 4, seed: 20261206 },
      );
      expect(multiFile).toBeGreaterThan(0);
    });
  }

  it('row-deduplicate-ignore-fields: an update that changes only ignored fields emits nothing', async () => {
    for (const producer of ['lookup', 'full-compaction'] as const) {
      using d = tempDir();
      const t = await (await Catalog.open(d.path)).createTable('db.t', {
        columns: { k: 'INT', v: 'STRING', ts: 'BIGINT' },
        primaryKey: ['k'],
        options: {
          bucket: 1,
          'changelog-producer': producer,
          'changelog-producer.row-deduplicate': true,
          'changelog-producer.row-deduplicate-ignore-fields': 'ts',
        },
      });
      await t.upsert([
        { k: 1, v: 'a', ts: 1n },
        { k: 2, v: 'a', ts: 1n },
      ]);
      await t.upsert({ k: 1, v: 'a', ts: 2n });
      await t.upsert({ k: 1, v: 'b', ts: 3n });
      const latest = (await t.latestSnapshot())!.id;
      const got: string[] = [];
      for await (const e of t.changes({ scanMode: 'from-snapshot', snapshotId: 1, endSnapshotId: latest }))
        got.push(`${e.kind} ${String(e.row.k)} ${String(e.row.v)} ${String(e.row.ts)}`);
      expect(got, producer).toEqual(['+I 1 a 1', '+I 2 a 1', '-U 1 a 2', '+U 1 b 3']);
    }
  });

  // Java's streaming starting scan (DataTableStreamScan): `lookup` reads above level 0 and
  // `full-compaction` only the top level, because the rest reaches the feed as changelog later.
  it('a feed from a snapshot with level-0 files delivers each row once (the full phase reads the levels Java does)', async () => {
    for (const producer of ['lookup', 'full-compaction'] as const) {
      using d = tempDir();
      const t = await (await Catalog.open(d.path)).createTable('db.t', {
        columns: { k: 'INT', v: 'STRING' },
        primaryKey: ['k'],
        options: { bucket: 1, 'changelog-producer': producer, 'write-only': true },
      });
      await t.upsert([
        { k: 1, v: 'a' },
        { k: 2, v: 'a' },
      ]);
      await t.compact({ full: true });
      await t.upsert([
        { k: 2, v: 'b' },
        { k: 3, v: 'b' },
      ]);
      const start = (await t.latestSnapshot())!.id; // its level 0 holds keys 2 and 3
      await t.compact({ full: true });
      const end = (await t.latestSnapshot())!.id;
      const events: ChangeEvent[] = [];
      for await (const e of t.changes({ scanMode: 'from-snapshot-full', snapshotId: start, endSnapshotId: end }))
        events.push(e);
      expect(
        events.map((e) => `${e.kind} ${String(e.row.k)} ${String(e.row.v)}`),
        producer,
      ).toEqual(['+I 1 a', '+I 2 a', '-U 2 a', '+U 2 b', '+I 3 b']);
      expect(replayLegal(events)).toEqual(
        new Map([...(await t.toArray()).map((r) => [Number(r.k), String(r.v)] as const)]),
      );
    }
  });
});
