import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Catalog } from '../src/index.ts';
import { tempDir } from './helpers.ts';

// The merge-on-read fast path for one integer key (split-reader.ts, mergeIntegerKeys) compares
// 64-bit keys and sequence numbers as (high, low) 32-bit words. Keys here differ in either word,
// cross zero and reach the int64 ends; every commit of a write-only table is a sorted run of its
// own, so each scan merges up to 8 runs. The model: the latest write of each key, deletes removed.

const WIDE = [
  -(2n ** 63n),
  -(2n ** 63n) + 1n,
  -(2n ** 32n),
  -(2n ** 32n) + 1n,
  -(2n ** 31n),
  -1n,
  0n,
  1n,
  2n ** 31n - 1n,
  2n ** 31n,
  2n ** 32n - 1n,
  2n ** 32n,
  2n ** 32n + 1n,
  2n ** 62n + 5n,
  2n ** 63n - 1n,
];

type Op = { t: 'upsert'; rows: { k: number; v: number }[] } | { t: 'delete'; keys: number[] };

const keyIndex = fc.integer({ min: 0, max: WIDE.length - 1 });
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      t: fc.constant('upsert' as const),
      rows: fc.array(fc.record({ k: keyIndex, v: fc.integer() }), { minLength: 1, maxLength: 10 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      t: fc.constant('delete' as const),
      keys: fc.array(keyIndex, { minLength: 1, maxLength: 4 }),
    }),
  },
);

describe('merge-on-read by one integer key', () => {
  for (const keyType of ['BIGINT', 'TINYINT'] as const) {
    it(`${keyType} keys: every snapshot reads the latest version of each key`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 8 }), async (ops) => {
          using d = tempDir();
          const table = await (await Catalog.open(d.path)).createTable('db.t', {
            columns: { k: keyType, v: 'INT' },
            primaryKey: ['k'],
            options: { bucket: 1, 'write-only': true },
          });
          const keyOf = (i: number): bigint | number => (keyType === 'BIGINT' ? WIDE[i] : i * 17 - 128);
          const model = new Map<string, { k: bigint | number; v: number }>();
          const writer = table.newWriter({ commitUser: 'prop' });
          const expected = new Map<number, { k: bigint | number; v: number }[]>();
          let c = 0;
          for (const o of ops) {
            if (o.t === 'upsert') {
              const rows = o.rows.map((r) => ({ k: keyOf(r.k), v: r.v }));
              await writer.write(rows);
              for (const r of rows) model.set(String(r.k), r);
            } else {
              const keys = o.keys.map((i) => ({ k: keyOf(i) }));
              await writer.delete(keys);
              for (const r of keys) model.delete(String(r.k));
            }
            const res = await writer.commit(++c);
            if (res.published) expected.set(res.snapshot!.id, [...model.values()]);
          }
          writer.close();
          const order = (a: { k: bigint | number }, b: { k: bigint | number }) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0);
          for (const [id, rows] of expected) {
            const got = await table.toArray({ snapshotId: id });
            // Merged in key order, one row per key.
            expect(got).toEqual([...rows].sort(order));
          }
        }),
        { numRuns: 12 },
      );
    });
  }
});
