import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Column } from '../../src/data/columns.ts';
import { columnStatsOf } from '../../src/format/stats.ts';

/**
 * BIGINT statistics compare 64-bit values as word pairs (no bigint per row): they must equal a
 * plain bigint min/max over the same rows, nulls left out, for any values (both signs, both
 * halves of the low word) and any row selection.
 */
describe('BIGINT and string column statistics', () => {
  it('equal a bigint min/max over the selected rows', () => {
    const value = fc.oneof(
      fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
      fc.constantFrom(
        0n,
        -1n,
        1n,
        2n ** 31n,
        -(2n ** 31n),
        2n ** 32n - 1n,
        2n ** 32n,
        -(2n ** 32n),
        2n ** 63n - 1n,
        -(2n ** 63n),
      ),
    );
    fc.assert(
      fc.property(
        fc.array(fc.option(value, { nil: null, freq: 5 }), { minLength: 0, maxLength: 60 }),
        fc.option(fc.array(fc.nat(), { maxLength: 80 }), { nil: undefined }),
        (values, pick) => {
          const n = values.length;
          const data = BigInt64Array.from(values, (v) => v ?? 0n);
          const validity = values.some((v) => v === null) ? Uint8Array.from(values, (v) => (v === null ? 0 : 1)) : null;
          const col: Column = { type: { root: 'BIGINT', nullable: true }, length: n, data, validity };
          const rows = pick && n > 0 ? Uint32Array.from(pick, (p) => p % n) : undefined;
          const idx = rows ? [...rows] : values.map((_, i) => i);
          const live = idx.map((i) => values[i]).filter((v): v is bigint => v !== null);
          const s = columnStatsOf(col, rows);
          expect(s.nullCount).toBe(idx.length - live.length);
          const sorted = [...live].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
          expect(s.min).toBe(sorted.length === 0 ? null : sorted[0]);
          expect(s.max).toBe(sorted.length === 0 ? null : sorted[sorted.length - 1]);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('string statistics equal a min/max by UTF-8 bytes over the selected rows', () => {
    fc.assert(
      fc.property(
        fc.array(fc.option(fc.string({ unit: 'binary', maxLength: 6 }), { nil: null, freq: 5 }), { maxLength: 50 }),
        fc.option(fc.array(fc.nat(), { maxLength: 70 }), { nil: undefined }),
        (values, pick) => {
          const n = values.length;
          const encoded = values.map((v) => Buffer.from(v ?? '', 'utf8'));
          const offsets = new Int32Array(n + 1);
          for (let i = 0; i < n; i++) offsets[i + 1] = offsets[i] + encoded[i].length;
          const bytes = new Uint8Array(Buffer.concat(encoded));
          const validity = values.some((v) => v === null) ? Uint8Array.from(values, (v) => (v === null ? 0 : 1)) : null;
          const col: Column = {
            type: { root: 'VARCHAR', length: 100, nullable: true },
            length: n,
            data: { offsets, bytes },
            validity,
          };
          const rows = pick && n > 0 ? Uint32Array.from(pick, (p) => p % n) : undefined;
          const idx = rows ? [...rows] : values.map((_, i) => i);
          const live = idx.map((i) => values[i]).filter((v): v is string => v !== null);
          const sorted = [...live].sort((a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
          const s = columnStatsOf(col, rows);
          expect(s.nullCount).toBe(idx.length - live.length);
          expect(s.min).toBe(sorted.length === 0 ? null : sorted[0]);
          expect(s.max).toBe(sorted.length === 0 ? null : sorted[sorted.length - 1]);
        },
      ),
      { numRuns: 500 },
    );
  });
});
