import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Catalog } from '../src/index.ts';
import { tempDir } from './helpers.ts';

type Op =
  | { t: 'upsert'; rows: { p: string; k: number; v: string | null; n: bigint }[] }
  | { t: 'delete'; keys: { p: string; k: number }[] }
  | { t: 'flush' }
  | { t: 'commit' }
  | { t: 'compact'; full: boolean }
  | { t: 'overwrite'; rows: { p: string; k: number; v: string | null; n: bigint }[]; partition: string | undefined };

const partition = fc.constantFrom('a', 'b', '');
const key = fc.integer({ min: -20, max: 20 });
const row = fc.record({
  p: partition,
  k: key,
  v: fc.option(fc.string({ maxLength: 12 }), { nil: null }),
  n: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
});
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({ t: fc.constant('upsert' as const), rows: fc.array(row, { minLength: 1, maxLength: 15 }) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('delete' as const),
      keys: fc.array(fc.record({ p: partition, k: key }), { minLength: 1, maxLength: 5 }),
    }),
  },
  { weight: 2, arbitrary: fc.constant({ t: 'flush' as const }) },
  { weight: 3, arbitrary: fc.constant({ t: 'commit' as const }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('compact' as const), full: fc.boolean() }) },
  {
    weight: 2,
    arbitrary: fc
      .record({
        t: fc.constant('overwrite' as const),
        rows: fc.array(row, { maxLength: 8 }),
        partition: fc.option(partition, { nil: undefined }),
      })
      // A static partition holds every row of the overwrite.
      .map((o) => (o.partition === undefined ? o : { ...o, rows: o.rows.map((r) => ({ ...r, p: o.partition! })) })),
  },
);

const keyOf = (p: string, k: number) => `${p}\u0001${k}`;
const sortRows = (rows: Record<string, unknown>[]) =>
  rows
    .map((r) => ({ ...r }))
    .sort((a, b) => (keyOf(String(a.p), Number(a.k)) < keyOf(String(b.p), Number(b.k)) ? -1 : 1));

describe('primary-key table against an in-memory model', () => {
  it('scans every snapshot like the model', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { minLength: 1, maxLength: 25 }),
        fc.constantFrom(1, 2, 3),
        fc.constantFrom(2, 5),
        async (ops, buckets, trigger) => {
          using d = tempDir();
          const table = await (await Catalog.open(d.path)).createTable('db.t', {
            columns: { p: 'STRING', k: 'INT', v: 'STRING', n: 'BIGINT' },
            primaryKey: ['p', 'k'],
            partitionKeys: ['p'],
            options: { bucket: buckets, 'num-sorted-run.compaction-trigger': trigger },
          });
          const writer = table.newWriter({ commitUser: 'prop' });
          const committed = new Map<string, Record<string, unknown>>();
          let pending = new Map<string, Record<string, unknown> | null>();
          const bySnapshot = new Map<number, Record<string, unknown>[]>();
          let checkpoint = 0;
          for (const o of [...ops, { t: 'commit' } as Op]) {
            if (o.t === 'upsert') {
              await writer.write(o.rows);
              for (const r of o.rows) pending.set(keyOf(r.p, r.k), { ...r });
            } else if (o.t === 'delete') {
              await writer.delete(o.keys);
              for (const r of o.keys) pending.set(keyOf(r.p, r.k), null);
            } else if (o.t === 'flush') {
              await writer.flush();
            } else if (o.t === 'compact') {
              const res = await table.compact({ full: o.full });
              if (res.snapshot) bySnapshot.set(res.snapshot.id, sortRows([...committed.values()]));
            } else if (o.t === 'overwrite') {
              // The writer's pending rows stay pending: they land on top of the overwrite at its
              // next commit, also those already flushed to files (re-based above the overwrite).
              const res = await table.overwrite(
                o.rows,
                o.partition === undefined ? {} : { partition: { p: o.partition } },
              );
              const replaced = new Set(o.partition === undefined ? o.rows.map((r) => r.p) : [o.partition]);
              for (const [k, r] of committed) if (replaced.has(String(r.p))) committed.delete(k);
              for (const r of o.rows) committed.set(keyOf(r.p, r.k), { ...r });
              if (res.published) bySnapshot.set(res.snapshot!.id, sortRows([...committed.values()]));
            } else {
              const res = await writer.commit(++checkpoint);
              for (const [k, v] of pending) {
                if (v === null) committed.delete(k);
                else committed.set(k, v);
              }
              pending = new Map();
              if (res.published) bySnapshot.set(res.snapshot!.id, sortRows([...committed.values()]));
            }
          }
          writer.close();
          // Every snapshot: the model after that commit; a writer's own COMPACT snapshots (not
          // recorded above) must equal the snapshot before them.
          let previous: Record<string, unknown>[] = [];
          for (const s of await table.listSnapshots()) {
            const expected = bySnapshot.get(s.id);
            if (expected === undefined) expect(s.commitKind).toBe('COMPACT');
            const rows = sortRows(await table.toArray({ snapshotId: s.id }));
            expect(rows).toEqual(expected ?? previous);
            previous = rows;
          }
          const latest = sortRows(await table.toArray());
          expect(latest).toEqual(sortRows([...committed.values()]));
        },
      ),
      { numRuns: 40, seed: 20261124 },
    );
  });
});
