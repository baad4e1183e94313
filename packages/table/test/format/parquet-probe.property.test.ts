import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arrowField, arrowToColumn, makeRecordBatch } from '../../src/data/arrow.ts';
import { type Column, ColumnBuilder, columnValue } from '../../src/data/columns.ts';
import { readFooter, readParquetSelected, writeParquet } from '../../src/format/parquet.ts';
import { probeParquet, probeSupport } from '../../src/format/parquet-probe.ts';
import { columnsAt, fileKeyIndex, findRows, keyIndexTuning, keysAt } from '../../src/read/key-index.ts';
import { fileKeyProbe, keySetOf, probedToColumn, probedTypeOk } from '../../src/read/key-probe.ts';
import { and, bindPredicate, ge, lt, mayMatch, type Predicate } from '../../src/scan/predicate.ts';
import { TableSchema } from '../../src/schema/table-schema.ts';
import type { DataField, DataType } from '../../src/types/data-types.ts';
import type { InternalValue } from '../../src/types/internal.ts';

// Probing a file by key (parquet-probe.ts) against the whole file decoded by parquet-wasm (the
// model): random rows in random row-group and page sizes, random wanted keys. The rows found are
// exactly those whose key is wanted — a page or row group skipped never holds one — and every
// column's values at those rows are the ones the row-group reader decodes.

const KEY_TYPES = {
  BIGINT: { root: 'BIGINT', nullable: false },
  INT: { root: 'INT', nullable: false },
  VARCHAR: { root: 'VARCHAR', nullable: false, length: 2147483647 },
} as const satisfies Record<string, DataType>;
type KeyKind = keyof typeof KEY_TYPES;

const VALUE_TYPES: Record<string, DataType> = {
  b: { root: 'BOOLEAN', nullable: true },
  t: { root: 'TINYINT', nullable: true },
  sm: { root: 'SMALLINT', nullable: false },
  i: { root: 'INT', nullable: true },
  l: { root: 'BIGINT', nullable: true },
  f: { root: 'FLOAT', nullable: true },
  d: { root: 'DOUBLE', nullable: true },
  s: { root: 'VARCHAR', nullable: true, length: 2147483647 },
  bin: { root: 'VARBINARY', nullable: true, length: 2147483647 },
  day: { root: 'DATE', nullable: true },
  ts3: { root: 'TIMESTAMP', nullable: true, precision: 3 },
  ts6: { root: 'TIMESTAMP', nullable: true, precision: 6 },
};
const VALUE_NAMES = Object.keys(VALUE_TYPES);

const STRINGS = ['', 'a', 'ab', 'b', 'é', 'z', 'ÿ', '€', '😀', 'a😀', 'long string value'];
const keyValue = (k: KeyKind): fc.Arbitrary<InternalValue> =>
  k === 'BIGINT'
    ? fc.bigInt(-5000n, 5000n)
    : k === 'INT'
      ? fc.integer({ min: -5000, max: 5000 })
      : fc.constantFrom(...STRINGS, ...STRINGS.map((s) => `${s}x`));
const value = (t: DataType): fc.Arbitrary<unknown> => {
  switch (t.root) {
    case 'BOOLEAN':
      return fc.boolean();
    case 'TINYINT':
      return fc.integer({ min: -128, max: 127 });
    case 'SMALLINT':
      return fc.integer({ min: -32768, max: 32767 });
    case 'INT':
    case 'DATE':
      return fc.integer({ min: -100000, max: 100000 });
    case 'BIGINT':
      return fc.bigInt(-(2n ** 63n), 2n ** 63n - 1n);
    case 'FLOAT':
      return fc.float({ noNaN: true }).map(Math.fround);
    case 'DOUBLE':
      return fc.double({ noNaN: true });
    case 'VARCHAR':
      return fc.constantFrom(...STRINGS);
    case 'VARBINARY':
      return fc.uint8Array({ maxLength: 5 });
    case 'TIMESTAMP':
      return fc
        .bigInt(-(10n ** 15n), 10n ** 15n)
        .map((us) => ((t as { precision: number }).precision <= 3 ? (us / 1000n) * 1000n : us));
    default:
      throw new Error(t.root);
  }
};
const maybe = (t: DataType) => (t.nullable ? fc.option(value(t), { freq: 5 }) : value(t));

describe('probing a Parquet file by key', () => {
  it('finds exactly the rows whose key is wanted, with the values the row-group reader decodes', async () => {
    let indexedChunks = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<KeyKind>('BIGINT', 'INT', 'VARCHAR'),
        fc.integer({ min: 1, max: 3000 }),
        // Above 1024 rows a group holds several pages (the writer checks page sizes every 1024 rows).
        fc.integer({ min: 1, max: 4000 }),
        fc.constantFrom(64, 256, 4096),
        fc.boolean(),
        fc.nat(),
        async (kind, n, rowGroupRows, pageBytes, sorted, seed) => {
          const rows = fc.sample(
            fc.record({
              k: keyValue(kind),
              ...Object.fromEntries(VALUE_NAMES.map((v) => [v, maybe(VALUE_TYPES[v])])),
            }),
            { numRuns: n, seed },
          ) as Record<string, unknown>[];
          const keyType = KEY_TYPES[kind];
          if (sorted)
            rows.sort((a, b) => {
              const x = a.k as string | number | bigint;
              const y = b.k as string | number | bigint;
              return x < y ? -1 : x > y ? 1 : 0;
            });
          const fields: DataField[] = [
            { id: 0, name: '_KEY_k', type: keyType },
            ...VALUE_NAMES.map((name, i) => ({ id: i + 1, name, type: VALUE_TYPES[name] })),
          ];
          const cols: Column[] = fields.map((f) => {
            const b = new ColumnBuilder(f.type, f.name);
            rows.forEach((r, i) => {
              b.append(f.name === '_KEY_k' ? r.k : r[f.name], i);
            });
            return b.finish();
          });
          const bytes = await writeParquet(
            makeRecordBatch(
              fields.map((f) => arrowField(f)),
              cols,
            ),
            {
              compression: 'zstd',
              rowGroupRows,
              pageBytes,
              pageIndex: true,
              deltaColumns: kind === 'VARCHAR' ? ['l'] : ['_KEY_k', 'l'],
            },
          );
          const source = { size: bytes.length, readRange: async (o: number, l: number) => bytes.slice(o, o + l) };
          const path = `probe-${seed}-${n}-${rowGroupRows}-${pageBytes}.parquet`;
          const footer = await readFooter(source, path, undefined);
          const wanted = fc.sample(keyValue(kind), { numRuns: 1 + (seed % 12), seed: seed + 1 });
          wanted.push(...fc.sample(fc.constantFrom(...rows.map((r) => r.k as InternalValue)), { numRuns: 3, seed }));
          // Integer keys: every third case a range `lo <= k < hi` (or one side of it) instead of a set.
          const ranged = kind !== 'VARCHAR' && seed % 3 === 0;
          const [lo, hi] = [wanted[0], wanted[wanted.length - 1]].sort((a, b) =>
            (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0,
          );
          const side = (seed >> 2) % 3; // 0: both bounds, 1: only lo, 2: only hi
          const pred = (column: string): Predicate =>
            ranged
              ? side === 1
                ? ge(column, lo)
                : side === 2
                  ? lt(column, hi)
                  : and(ge(column, lo), lt(column, hi))
              : { op: 'in', column, values: wanted };
          const isWanted = (v: unknown) =>
            ranged
              ? (side === 2 || (v as number) >= (lo as number)) && (side === 1 || (v as number) < (hi as number))
              : want.has(String(v));
          const want = new Set(wanted.map((w) => String(w)));
          // The key set as the filter sees it, and the row groups its statistics keep.
          const schema = new TableSchema(0, [{ id: 0, name: 'k', type: keyType }], 0, [], ['k'], {}, undefined, 0);
          const filter = bindPredicate(pred('k'), () => keyType);
          const keys = keySetOf(filter, schema)!;
          expect(keys).toBeDefined();
          expect(keys.range !== undefined).toBe(ranged);
          const keyEl = probeSupport(footer, '_KEY_k')!;
          const probe = fileKeyProbe(keys, 'k', keyEl)!;
          expect(probe).toBeDefined();
          const keyFilter = bindPredicate(pred('_KEY_k'), () => keyType);
          const kept = footer.rowGroups.filter((rg) => mayMatch(keyFilter, (c) => rg.stats(c)));
          const names = VALUE_NAMES.filter((v) => {
            const el = probeSupport(footer, v);
            return el && probedTypeOk(el, VALUE_TYPES[v]);
          });
          expect(names).toEqual(VALUE_NAMES); // every type here is probed, none falls back
          const got = (await probeParquet(source, footer, kept, probe, names))!;
          // The model: the whole file decoded by the row-group reader.
          const all = await readParquetSelected(source, path);
          const decoded = new Map(fields.map((f) => [f.name, arrowToColumn(all.table!.getChild(f.name)!, f.type)]));
          const expected: number[] = [];
          const keyCol = decoded.get('_KEY_k')!;
          for (let r = 0; r < rows.length; r++) if (isWanted(columnValue(keyCol, r))) expected.push(r);
          expect([...got.positions]).toEqual(expected);
          const keysGot = probedToColumn(got.keys, keyType, path);
          for (let i = 0; i < expected.length; i++)
            expect(columnValue(keysGot, i)).toEqual(columnValue(keyCol, expected[i]));
          for (const name of names) {
            const col = probedToColumn(got.columns.get(name)!, VALUE_TYPES[name], path);
            expect(col.length).toBe(expected.length);
            const ref = decoded.get(name)!;
            for (let i = 0; i < expected.length; i++)
              expect(columnValue(col, i), `${name} row ${expected[i]}`).toEqual(columnValue(ref, expected[i]));
          }
          // Sorted files: the in-memory key index finds the same rows, and pages decoded by the
          // index path (kept in the read cache, read twice: decoded, then from the cache) hold the
          // same values.
          if (sorted && kind !== 'VARCHAR') {
            const f = { io: {}, path, source, footer };
            keyIndexTuning.mode = 'always';
            try {
              const index = (await fileKeyIndex(f, '_KEY_k', keyType, true))!;
              expect(index).toBeDefined();
              const rows = findRows(index, probe);
              expect([...rows]).toEqual(expected);
              const keysIdx = keysAt(index, rows, keyType);
              for (let i = 0; i < expected.length; i++)
                expect(columnValue(keysIdx, i)).toEqual(columnValue(keyCol, expected[i]));
              for (const pass of [1, 2]) {
                const cols = await columnsAt(
                  f,
                  names.map((name) => ({ column: name, el: footer.leaves.get(name)!, type: VALUE_TYPES[name] })),
                  rows,
                );
                names.forEach((name, c) => {
                  const col = cols[c];
                  expect(col.length).toBe(expected.length);
                  const ref = decoded.get(name)!;
                  for (let i = 0; i < expected.length; i++)
                    expect(columnValue(col, i), `${name} row ${expected[i]}, pass ${pass}`).toEqual(
                      columnValue(ref, expected[i]),
                    );
                });
              }
            } finally {
              keyIndexTuning.mode = 'auto';
            }
          }
          indexedChunks += footer.pageIndexes.size;
        },
      ),
      { numRuns: 10 },
    );
    expect(indexedChunks).toBeGreaterThan(0); // page indexes were read: the page path ran
  });
});
