import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arrowField, arrowToColumn, makeRecordBatch } from '../../src/data/arrow.ts';
import { type Column, ColumnBuilder } from '../../src/data/columns.ts';
import { type RowGroupStats, readParquetSelected, writeParquet } from '../../src/format/parquet.ts';
import { deletionMask } from '../../src/read/split-reader.ts';
import { bindPredicate, mayMatch, type Predicate, testRow } from '../../src/scan/predicate.ts';
import type { DataField, DataType } from '../../src/types/data-types.ts';

// A pruned row group never holds a match: random rows written in random row-group sizes, random
// filters, every row group the statistics rule out checked against the rows themselves (the model).

const T = {
  k: { root: 'BIGINT', nullable: true },
  i: { root: 'INT', nullable: true },
  t: { root: 'SMALLINT', nullable: false },
  s: { root: 'VARCHAR', nullable: true, length: 2147483647 },
  d: { root: 'DOUBLE', nullable: true },
  day: { root: 'DATE', nullable: true },
} as const satisfies Record<string, DataType>;
type Name = keyof typeof T;
const NAMES = Object.keys(T) as Name[];
const FIELDS: DataField[] = NAMES.map((name, id) => ({ id, name, type: T[name] }));

const STRINGS = ['', 'a', 'ab', 'b', 'é', 'z', 'ÿ', '€', '😀', '\uffff', 'a😀'];
const value = (n: Name): fc.Arbitrary<unknown> => {
  switch (n) {
    case 'k':
      return fc.bigInt(-20n, 20n);
    case 'i':
    case 'day':
      return fc.integer({ min: -20, max: 20 });
    case 't':
      return fc.integer({ min: -5, max: 5 });
    case 's':
      return fc.constantFrom(...STRINGS);
    case 'd':
      return fc.double({ min: -3, max: 3, noNaN: true });
  }
};
const nullable = (n: Name) => (T[n].nullable ? fc.option(value(n), { freq: 6 }) : value(n));
const row = fc.record(Object.fromEntries(NAMES.map((n) => [n, nullable(n)])) as Record<Name, fc.Arbitrary<unknown>>);

const leaf: fc.Arbitrary<Predicate> = fc.constantFrom(...NAMES).chain((column) =>
  fc.oneof(
    fc
      .tuple(fc.constantFrom('=', '!=', '<', '<=', '>', '>=' as const), value(column))
      .map(([op, v]) => ({ op, column, value: v }) as Predicate),
    fc
      .array(value(column), { minLength: 1, maxLength: 3 })
      .map((values) => ({ op: 'in', column, values }) as Predicate),
    fc.constantFrom('is-null', 'is-not-null' as const).map((op) => ({ op, column }) as Predicate),
  ),
);
const predicate: fc.Arbitrary<Predicate> = fc.letrec<{ p: Predicate }>((tie) => ({
  p: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('p'), { minLength: 1, maxLength: 3 }).map((children) => ({ op: 'and', children }) as Predicate),
    fc.array(tie('p'), { minLength: 1, maxLength: 3 }).map((children) => ({ op: 'or', children }) as Predicate),
    tie('p').map((child) => ({ op: 'not', child }) as Predicate),
  ),
})).p;

describe('row-group pruning', () => {
  it('never prunes a row group that holds a matching row', async () => {
    let pruned = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(row, { minLength: 1, maxLength: 200 }),
        fc.integer({ min: 1, max: 40 }),
        fc.boolean(),
        fc.array(predicate, { minLength: 1, maxLength: 4 }),
        async (rows, rowGroupRows, sortByKey, filters) => {
          if (sortByKey) rows.sort((a, b) => cmpNullable(a.k as bigint | null, b.k as bigint | null));
          const cols: Column[] = FIELDS.map((f) => {
            const b = new ColumnBuilder(f.type, f.name);
            for (let i = 0; i < rows.length; i++) b.append(rows[i][f.name as Name], i);
            return b.finish();
          });
          const bytes = await writeParquet(
            makeRecordBatch(
              FIELDS.map((f) => arrowField(f)),
              cols,
            ),
            { compression: 'zstd', rowGroupRows, pageBytes: 256, pageIndex: true },
          );
          const source = { size: bytes.length, readRange: async (o: number, l: number) => bytes.slice(o, o + l) };
          const all = await readParquetSelected(source, 'x.parquet');
          expect(all.totalRows).toBe(rows.length);
          expect(all.rowGroups.length).toBe(Math.ceil(rows.length / rowGroupRows));
          const columnOf = (name: string) => cols[NAMES.indexOf(name as Name)];
          for (const p of filters) {
            const bound = bindPredicate(p, (c) => T[c as Name]);
            const keep = (rg: RowGroupStats) => mayMatch(bound, (c) => rg.stats(c));
            const matching = rows.map((_, r) => testRow(bound, columnOf, r));
            for (const rg of all.rowGroups) {
              if (keep(rg)) continue;
              pruned++;
              for (let r = rg.firstRow; r < rg.firstRow + rg.rows; r++) expect(matching[r], `row ${r}`).toBe(false);
            }
            // Reading with the filter decodes exactly the kept groups and so every matching row.
            const some = await readParquetSelected(source, 'x.parquet', { rowGroupFilter: keep });
            const keptRows = some.rowGroups.reduce((n, rg) => n + rg.rows, 0);
            expect(some.table?.numRows ?? 0).toBe(keptRows);
            expect(some.skippedRowGroups).toBe(all.rowGroups.length - some.rowGroups.length);
            if (some.table) {
              const decoded = FIELDS.map((f) => arrowToColumn(some.table!.getChild(f.name)!, f.type));
              let found = 0;
              for (let r = 0; r < keptRows; r++)
                if (testRow(bound, (c) => decoded[NAMES.indexOf(c as Name)], r)) found++;
              expect(found).toBe(matching.filter(Boolean).length);
            } else expect(matching.some(Boolean)).toBe(false);
          }
        },
      ),
      { numRuns: 25 },
    );
    expect(pruned).toBeGreaterThan(0); // the property was exercised, not vacuous
  });

  it('prunes point lookups on a sorted key to one row group', async () => {
    const n = 1000;
    const k = new ColumnBuilder(T.k, 'k');
    for (let i = 0; i < n; i++) k.append(BigInt(i * 3), i);
    const field: DataField = { id: 0, name: 'k', type: T.k };
    const bytes = await writeParquet(makeRecordBatch([arrowField(field)], [k.finish()]), {
      compression: 'zstd',
      rowGroupRows: 100,
    });
    const source = { size: bytes.length, readRange: async (o: number, l: number) => bytes.slice(o, o + l) };
    const hit = bindPredicate({ op: '=', column: 'k', value: 1500n }, () => T.k);
    const got = await readParquetSelected(source, 'x.parquet', {
      rowGroupFilter: (rg) => mayMatch(hit, (c) => rg.stats(c)),
    });
    expect(got.rowGroups.map((rg) => rg.index)).toEqual([5]);
    expect(got.table?.numRows).toBe(100);
    // 1501 lies inside group 5's [1500, 1797]: min/max keep it; 3000 lies above every group.
    const near = bindPredicate({ op: '=', column: 'k', value: 1501n }, () => T.k);
    const kept = await readParquetSelected(source, 'x.parquet', {
      rowGroupFilter: (rg) => mayMatch(near, (c) => rg.stats(c)),
    });
    expect(kept.rowGroups.map((rg) => rg.index)).toEqual([5]);
    const miss = bindPredicate({ op: '=', column: 'k', value: 3000n }, () => T.k);
    const none = await readParquetSelected(source, 'x.parquet', {
      rowGroupFilter: (rg) => mayMatch(miss, (c) => rg.stats(c)),
    });
    expect(none.table).toBeUndefined();
    expect(none.skippedRowGroups).toBe(10);
  });
});

describe('deletion vectors over pruned row groups', () => {
  it('as a selection vector over the rows read, map them back to file positions', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
        fc.array(fc.nat(80)),
        (sizes, keep, deleted) => {
          let first = 0;
          const groups = sizes.map((rows, index) => {
            const g = { index, firstRow: first, rows, stats: () => undefined };
            first += rows;
            return g;
          });
          const kept = groups.filter((g) => keep[g.index]);
          const del = new Set(deleted);
          // Positions past the file's end (a corrupt vector) select nothing.
          const mask = deletionMask(
            [...del].sort((a, b) => a - b),
            kept,
          );
          const positions = kept.flatMap((g) => Array.from({ length: g.rows }, (_, i) => g.firstRow + i));
          expect(mask.length).toBe(positions.length);
          positions.forEach((p, r) => {
            expect(mask[r]).toBe(del.has(p) ? 1 : 0);
          });
        },
      ),
    );
  });
});

function cmpNullable(a: bigint | null, b: bigint | null): number {
  if (a === null || b === null) return a === null ? (b === null ? 0 : -1) : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
