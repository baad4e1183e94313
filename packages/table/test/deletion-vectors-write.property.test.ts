import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Catalog, type Table } from '../src/index.ts';
import { dvSkipTuning } from '../src/read/split-reader.ts';
import { tempDir } from './helpers.ts';

// Deletion-vector tables: batch reads skip level 0 and read each file once with its vector, so a
// snapshot shows what compaction settled. Checked against an in-memory model of committed rows.
// Stretches of deleted rows are skipped before decoding: from 1 row up (every deleted row) or as tuned.
type Row = { p: string; k: number; v: string | null };
type Op =
  | { t: 'upsert'; rows: Row[] }
  | { t: 'delete'; keys: { p: string; k: number }[] }
  | { t: 'flush' }
  | { t: 'commit' }
  | { t: 'compact'; full: boolean }
  | { t: 'overwrite'; rows: Row[]; partition: string };

const partition = fc.constantFrom('a', 'b');
const key = fc.integer({ min: -15, max: 15 });
const row = fc.record({ p: partition, k: key, v: fc.option(fc.string({ maxLength: 8 }), { nil: null }) });
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({ t: fc.constant('upsert' as const), rows: fc.array(row, { minLength: 1, maxLength: 12 }) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('delete' as const),
      keys: fc.array(fc.record({ p: partition, k: key }), { minLength: 1, maxLength: 5 }),
    }),
  },
  { weight: 2, arbitrary: fc.constant({ t: 'flush' as const }) },
  { weight: 4, arbitrary: fc.constant({ t: 'commit' as const }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('compact' as const), full: fc.boolean() }) },
  {
    weight: 1,
    arbitrary: fc
      .record({ t: fc.constant('overwrite' as const), rows: fc.array(row, { maxLength: 6 }), partition })
      .map((o) => ({ ...o, rows: o.rows.map((r) => ({ ...r, p: o.partition })) })),
  },
);

const keyOf = (p: string, k: number) => `${p}\u0001${k}`;
const sortRows = (rows: Record<string, unknown>[]) =>
  rows
    .map((r) => ({ ...r }))
    .sort((a, b) => (keyOf(String(a.p), Number(a.k)) < keyOf(String(b.p), Number(b.k)) ? -1 : 1));

const hasLevel0 = async (t: Table) => (await t.bucketHealth()).some((b) => b.l0Files > 0);

describe('deletion-vector table against an in-memory model', () => {
  it('every snapshot without level-0 files reads the committed rows; others read what the one before did', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { minLength: 1, maxLength: 25 }),
        fc.constantFrom(1, 2),
        fc.constantFrom(2, 5),
        fc.constantFrom(3, 5),
        fc.constantFrom('none', 'lookup'),
        fc.constantFrom(1, 2, 8192),
        async (ops, buckets, trigger, levels, producer, skipRows) => {
          dvSkipTuning.minRows = skipRows;
          using _reset = {
            [Symbol.dispose]: () => {
              dvSkipTuning.minRows = 8192;
            },
          };
          using d = tempDir();
          const table = await (await Catalog.open(d.path)).createTable('db.t', {
            columns: { p: 'STRING', k: 'INT', v: 'STRING' },
            primaryKey: ['p', 'k'],
            partitionKeys: ['p'],
            options: {
              bucket: buckets,
              'deletion-vectors.enabled': true,
              'num-sorted-run.compaction-trigger': trigger,
              'num-levels': levels,
              'changelog-producer': producer,
            },
          });
          const writer = table.newWriter({ commitUser: 'prop' });
          const committed = new Map<string, Record<string, unknown>>();
          let pending = new Map<string, Record<string, unknown> | null>();
          // Snapshot id → the rows it must read (only where no level-0 file is left).
          const settled = new Map<number, Record<string, unknown>[]>();
          let checkpoint = 0;
          const record = async () => {
            const latest = (await table.listSnapshots()).at(-1);
            if (latest && !(await hasLevel0(table))) settled.set(latest.id, sortRows([...committed.values()]));
          };
          for (const o of [...ops, { t: 'commit' } as Op, { t: 'compact', full: true } as Op]) {
            if (o.t === 'upsert') {
              await writer.write(o.rows);
              for (const r of o.rows) pending.set(keyOf(r.p, r.k), { ...r });
            } else if (o.t === 'delete') {
              await writer.delete(o.keys);
              for (const r of o.keys) pending.set(keyOf(r.p, r.k), null);
            } else if (o.t === 'flush') {
              await writer.flush();
            } else if (o.t === 'overwrite') {
              // Its rows land in level 0 and the old files go: settled by the compaction after it.
              await table.overwrite(o.rows, { partition: { p: o.partition } });
              for (const [k, r] of committed) if (r.p === o.partition) committed.delete(k);
              for (const r of o.rows) committed.set(keyOf(r.p, r.k), { ...r });
              await record();
            } else if (o.t === 'compact') {
              await table.compact({ full: o.full });
              await record();
            } else {
              await writer.commit(++checkpoint);
              for (const [k, v] of pending) {
                if (v === null) committed.delete(k);
                else committed.set(k, v);
              }
              pending = new Map();
              await record();
            }
          }
          writer.close();
          // A full compaction leaves no level 0: the last snapshot is settled.
          const snaps = await table.listSnapshots();
          if (snaps.length === 0) {
            expect(committed.size).toBe(0);
            return;
          }
          expect(settled.has(snaps.at(-1)!.id)).toBe(true);
          let previous: Record<string, unknown>[] = [];
          let checked = 0;
          for (const s of snaps) {
            const rows = sortRows(await table.toArray({ snapshotId: s.id }));
            const expected = settled.get(s.id);
            if (expected) {
              expect(rows).toEqual(expected);
              checked++;
            } else if (s.commitKind === 'APPEND') {
              // An append adds level-0 files only: nothing a reader sees changes.
              expect(rows).toEqual(previous);
            }
            previous = rows;
          }
          expect(checked).toBeGreaterThan(0);
          expect(sortRows(await table.toArray())).toEqual(sortRows([...committed.values()]));
        },
      ),
      { numRuns: 20, seed: 20261207 },
    );
  });
});
