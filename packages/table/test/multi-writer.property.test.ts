/**
 * Issue 16 §3 as a property: several long-lived writers of one primary-key table, their writes,
 * flushes and commits interleaved at random (with compactions in between), against a model where
 * each commit applies that writer's pending rows on top of everything committed before it. The
 * scan of every snapshot and the change feed must both equal the model: the later commit wins.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Catalog } from '../src/index.ts';
import { tempDir } from './helpers.ts';

type Op =
  | { t: 'upsert'; w: number; rows: { k: number; v: string }[] }
  | { t: 'delete'; w: number; keys: number[] }
  | { t: 'flush'; w: number }
  | { t: 'commit'; w: number }
  | { t: 'compact'; full: boolean };

const WRITERS = 3;
const writer = fc.integer({ min: 0, max: WRITERS - 1 });
const key = fc.integer({ min: 0, max: 7 });
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      t: fc.constant('upsert' as const),
      w: writer,
      rows: fc.array(fc.record({ k: key, v: fc.string({ maxLength: 4 }) }), { minLength: 1, maxLength: 6 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('delete' as const),
      w: writer,
      keys: fc.array(key, { minLength: 1, maxLength: 3 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('flush' as const), w: writer }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('commit' as const), w: writer }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('compact' as const), full: fc.boolean() }) },
);

type State = Map<number, string>;
const sorted = (s: State) => [...s].sort((a, b) => a[0] - b[0]).map(([k, v]) => ({ k, v }));
const plain = (rows: Record<string, unknown>[]) =>
  rows.map((r) => ({ k: Number(r.k), v: String(r.v) })).sort((a, b) => a.k - b.k);

describe('concurrent writers of a primary-key table against a model', () => {
  it('the later commit wins for every key, in every snapshot and in the change feed', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 24 }), fc.constantFrom(1, 2), async (ops, buckets) => {
        using d = tempDir();
        const table = await (await Catalog.open(d.path)).createTable('db.t', {
          columns: { k: 'INT', v: 'STRING' },
          primaryKey: ['k'],
          options: {
            bucket: buckets,
            'changelog-producer': 'input',
            'write-only': 'true',
            'num-sorted-run.compaction-trigger': 2,
          },
        });
        const writers = Array.from({ length: WRITERS }, (_, w) => table.newWriter({ commitUser: `w${w}` }));
        const pending: Map<number, string | null>[] = writers.map(() => new Map());
        const checkpoints = writers.map(() => 0);
        const committed: State = new Map();
        const bySnapshot = new Map<number, { k: number; v: string }[]>();
        for (const o of [...ops, ...writers.map((_, w) => ({ t: 'commit', w }) as Op)]) {
          if (o.t === 'upsert') {
            await writers[o.w].write(o.rows);
            for (const r of o.rows) pending[o.w].set(r.k, r.v);
          } else if (o.t === 'delete') {
            await writers[o.w].delete(o.keys.map((k) => ({ k })));
            for (const k of o.keys) pending[o.w].set(k, null);
          } else if (o.t === 'flush') {
            await writers[o.w].flush();
          } else if (o.t === 'compact') {
            await table.compact({ full: o.full });
          } else {
            const res = await writers[o.w].commit(++checkpoints[o.w]);
            for (const [k, v] of pending[o.w]) {
              if (v === null) committed.delete(k);
              else committed.set(k, v);
            }
            pending[o.w] = new Map();
            if (res.published) bySnapshot.set(res.snapshot!.id, sorted(committed));
          }
        }
        for (const w of writers) w.close();
        let previous: { k: number; v: string }[] = [];
        for (const s of await table.listSnapshots()) {
          const expected = bySnapshot.get(s.id);
          if (expected === undefined) expect(s.commitKind).toBe('COMPACT');
          const rows = plain(await table.toArray({ snapshotId: s.id }));
          expect(rows, `snapshot ${s.id}`).toEqual(expected ?? previous);
          previous = rows;
        }
        expect(plain(await table.toArray())).toEqual(sorted(committed));
        const end = (await table.latestSnapshot())?.id;
        if (end === undefined) return;
        const feed: State = new Map();
        for await (const e of table.changes({ scanMode: 'from-snapshot', snapshotId: 1, endSnapshotId: end })) {
          if (e.kind === '+I' || e.kind === '+U') feed.set(Number(e.row.k), String(e.row.v));
          else feed.delete(Number(e.row.k));
        }
        expect(sorted(feed)).toEqual(sorted(committed));
      }),
      { numRuns: 12, seed: 16_3 },
    );
  });
});
