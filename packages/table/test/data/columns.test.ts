import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arrowField, arrowToColumn, makeRecordBatch } from '../../src/data/arrow.ts';
import {
  ColumnBuilder,
  columnValue,
  compareColumnRows,
  compareStrings,
  compareValues,
  concatColumns,
  gatherColumn,
  gatherRuns,
  toInternalValue,
  toPublicValue,
} from '../../src/data/columns.ts';
import { readParquet, readParquetRanged, writeParquet } from '../../src/format/parquet.ts';
import type { DataField, DataType } from '../../src/types/data-types.ts';
import type { InternalValue } from '../../src/types/internal.ts';

const T = {
  bool: { root: 'BOOLEAN', nullable: true },
  i8: { root: 'TINYINT', nullable: true },
  i16: { root: 'SMALLINT', nullable: true },
  i32: { root: 'INT', nullable: false },
  i64: { root: 'BIGINT', nullable: true },
  f32: { root: 'FLOAT', nullable: true },
  f64: { root: 'DOUBLE', nullable: true },
  date: { root: 'DATE', nullable: true },
  str: { root: 'VARCHAR', nullable: true, length: 2147483647 },
  bin: { root: 'VARBINARY', nullable: true, length: 2147483647 },
  dec: { root: 'DECIMAL', nullable: true, precision: 10, scale: 2 },
  dec38: { root: 'DECIMAL', nullable: true, precision: 38, scale: 4 },
  ts3: { root: 'TIMESTAMP', nullable: true, precision: 3 },
  ts6: { root: 'TIMESTAMP_LTZ', nullable: true, precision: 6 },
} as const satisfies Record<string, DataType>;

const fields: DataField[] = Object.entries(T).map(([name, type], id) => ({ id, name, type }));

const arbitraryFor = (t: DataType): fc.Arbitrary<InternalValue> => {
  const v = ((): fc.Arbitrary<InternalValue> => {
    switch (t.root) {
      case 'BOOLEAN':
        return fc.boolean();
      case 'TINYINT':
        return fc.integer({ min: -128, max: 127 });
      case 'SMALLINT':
        return fc.integer({ min: -32768, max: 32767 });
      case 'INT':
        return fc.integer();
      case 'DATE':
        return fc.integer({ min: -100000, max: 100000 });
      case 'BIGINT':
        return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
      case 'FLOAT':
        return fc.float({ noNaN: true });
      case 'DOUBLE':
        return fc.double({ noNaN: true });
      case 'VARCHAR':
      case 'CHAR':
        return fc.string({ unit: 'grapheme', maxLength: 30 });
      case 'VARBINARY':
      case 'BINARY':
        return fc.uint8Array({ maxLength: 20 });
      case 'DECIMAL':
        return fc.bigInt({ min: -(10n ** BigInt(t.precision)) + 1n, max: 10n ** BigInt(t.precision) - 1n });
      case 'TIMESTAMP':
      case 'TIMESTAMP_LTZ':
        return fc
          .bigInt({ min: -(10n ** 15n), max: 10n ** 16n })
          .map((m) => (t.precision <= 3 ? (m / 1000n) * 1000n : m));
    }
  })();
  return t.nullable ? fc.option(v, { nil: null, freq: 5 }) : v;
};

const rowArb = fc.tuple(...fields.map((f) => arbitraryFor(f.type)));

describe('columns → Arrow → Parquet → columns', () => {
  it('round-trips every supported type, nulls included', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(rowArb, { minLength: 1, maxLength: 40 }), async (rows) => {
        const builders = fields.map((f) => new ColumnBuilder(f.type, f.name));
        for (const r of rows) for (let i = 0; i < builders.length; i++) builders[i].appendInternal(r[i]);
        const cols = builders.map((b) => b.finish());
        const bytes = await writeParquet(
          makeRecordBatch(
            fields.map((f) => arrowField(f)),
            cols,
          ),
          { compression: 'zstd' },
        );
        const table = await readParquet(bytes, 'mem.parquet');
        expect(table.numRows).toBe(rows.length);
        fields.forEach((f, c) => {
          const col = arrowToColumn(table.getChild(f.name)!, f.type);
          for (let r = 0; r < rows.length; r++) {
            const got = columnValue(col, r);
            const want = rows[r][c];
            if (f.type.root === 'FLOAT' && typeof want === 'number') expect(got).toBe(Math.fround(want));
            else expect(got).toEqual(want);
          }
        });
      }),
      { numRuns: 30, seed: 20261125 },
    );
  });

  it('writes Parquet field ids and reads a column subset', async () => {
    const b = new ColumnBuilder(T.i64, 'i64');
    b.append(7n, 0);
    const c = new ColumnBuilder(T.str, 'str');
    c.append('x', 0);
    const batch = makeRecordBatch(
      [arrowField({ id: 2147483646, name: 'i64', type: T.i64 }), arrowField({ id: 5, name: 'str', type: T.str })],
      [b.finish(), c.finish()],
    );
    const bytes = await writeParquet(batch, { compression: 'zstd' });
    const table = await readParquet(bytes, 'ids.parquet', { columns: ['str'] });
    expect(table.schema.fields.map((f) => f.name)).toEqual(['str']);
    const readBack = await readParquet(bytes, 'ids.parquet');
    expect(readBack.schema.fields.find((f) => f.name === 'i64')?.metadata.get('PARQUET:field_id')).toBe('2147483646');
  });

  it('reads a projection by ranges: footer first, then only the needed column chunks', async () => {
    const n = 50_000;
    const a = new ColumnBuilder(T.i64, 'a');
    const b = new ColumnBuilder(T.str, 'b');
    for (let i = 0; i < n; i++) {
      a.append(BigInt(i % 100), i);
      b.append(`value-${(i * 104729) % 99991}-${i}-${(i * 7919) % 65537}`, i);
    }
    const fields = [
      { id: 0, name: 'a', type: T.i64 },
      { id: 1, name: 'b', type: T.str },
    ];
    const bytes = await writeParquet(
      makeRecordBatch(
        fields.map((f) => arrowField(f)),
        [a.finish(), b.finish()],
      ),
      { compression: 'zstd' },
    );
    let fetched = 0;
    const readRange = async (o: number, l: number) => {
      fetched += l;
      return bytes.slice(o, o + l);
    };
    const ranged = await readParquetRanged(readRange, bytes.length, 'x.parquet', { columns: ['a'] });
    const whole = await readParquet(bytes, 'x.parquet', { columns: ['a'] });
    expect(ranged.numRows).toBe(n);
    expect(arrowToColumn(ranged.getChild('a')!, T.i64).data).toEqual(arrowToColumn(whole.getChild('a')!, T.i64).data);
    expect(fetched).toBeLessThan(bytes.length / 2); // the string column was never fetched
    await expect(readParquetRanged(readRange, 100, 'bad.parquet')).rejects.toThrow(/bad\.parquet/);
  });

  it('names the file when Parquet bytes are corrupt', async () => {
    await expect(readParquet(new Uint8Array([1, 2, 3, 4]), 'bucket-0/data-x.parquet')).rejects.toThrow(
      /data-x\.parquet/,
    );
  });
});

describe('public values', () => {
  it('converts the README value table both ways', () => {
    expect(toInternalValue(T.dec, '12.5', 'w')).toBe(1250n);
    expect(toInternalValue(T.dec, 12.345, 'w')).toBe(1235n);
    expect(toInternalValue(T.dec, -3n, 'w')).toBe(-300n);
    expect(toPublicValue(T.dec, 1250n)).toBe('12.50');
    expect(toPublicValue(T.dec, -5n)).toBe('-0.05');
    expect(toInternalValue(T.date, '2024-02-29', 'w')).toBe(19782);
    expect(toPublicValue(T.date, 19782)).toBe('2024-02-29');
    expect(toInternalValue(T.ts3, '2024-01-01T00:00:00.123456', 'w')).toBe(1704067200123000n);
    expect(toInternalValue(T.ts6, '2024-01-01T01:00:00.000001+01:00', 'w')).toBe(1704067200000001n);
    expect(toInternalValue(T.ts6, new Date(5), 'w')).toBe(5000n);
    expect(toPublicValue(T.ts3, 1704067200123000n)).toEqual(new Date(1704067200123));
    expect(toPublicValue(T.ts6, 7n)).toBe(7n);
    expect(toInternalValue(T.i64, 42, 'w')).toBe(42n);
  });

  it('rejects bad values with the place and the type', () => {
    expect(() => toInternalValue(T.i32, null, 'row 3, column "id"')).toThrow(/row 3.*NOT NULL/);
    expect(() => toInternalValue(T.i32, 1.5, 'row 1')).toThrow(/row 1: expected an integer/);
    expect(() => toInternalValue(T.i8, 300, 'r')).toThrow(/TINYINT/);
    expect(() => toInternalValue(T.i64, 2 ** 60, 'r')).toThrow(/BIGINT/);
    expect(() => toInternalValue(T.dec, '1e9', 'r')).toThrow(/does not fit DECIMAL\(10, 2\)/);
    expect(() => toInternalValue(T.date, '2023-02-29', 'r')).toThrow(/DATE/);
    expect(() => toInternalValue(T.str, 5, 'r')).toThrow(/string/);
    expect(() => toInternalValue({ root: 'VARCHAR', nullable: true, length: 2 }, 'abc', 'r')).toThrow(/VARCHAR\(2\)/);
  });

  it('builder rollback and hand-over keep rows apart', () => {
    const b = new ColumnBuilder(T.str, 's');
    b.append('a', 0);
    b.append('b', 1);
    b.truncate(1);
    b.append(null, 2);
    const col = b.finish();
    b.append('zzz', 3);
    expect([columnValue(col, 0), columnValue(col, 1)]).toEqual(['a', null]);
    expect(col.length).toBe(2);
  });
});

describe('ordering', () => {
  it('orders strings by UTF-8 bytes, as Paimon does', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), (a, b) => {
        const want = Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b)));
        expect(Math.sign(compareStrings(a, b))).toBe(want);
        const builder = new ColumnBuilder(T.str, 's');
        builder.append(a, 0);
        builder.append(b, 1);
        const col = builder.finish();
        expect(Math.sign(compareColumnRows(col, 0, col, 1))).toBe(want);
      }),
      { seed: 7 },
    );
  });

  it('gathers and concatenates', () => {
    const b = new ColumnBuilder(T.i64, 'x');
    for (let i = 0; i < 5; i++) b.appendInternal(i === 2 ? null : BigInt(i));
    const c = b.finish();
    const g = gatherColumn(c, Uint32Array.of(4, 2, 0));
    expect([0, 1, 2].map((r) => columnValue(g, r))).toEqual([4n, null, 0n]);
    const cat = concatColumns([g, c]);
    expect(cat.length).toBe(8);
    expect(columnValue(cat, 4)).toBe(1n);
    expect(compareValues(T.f64, -0, 0)).toBeLessThan(0);
  });

  it('gathers 1-, 2- and 4-byte values from one column or several, at any offset (fast-check)', () => {
    const kinds = [
      { type: T.bool, make: (v: number[]) => Uint8Array.from(v, (x) => x & 1) },
      { type: T.i8, make: (v: number[]) => Int8Array.from(v) },
      { type: T.i16, make: (v: number[]) => Int16Array.from(v) },
      { type: T.i32, make: (v: number[]) => Int32Array.from(v) },
      { type: T.f32, make: (v: number[]) => Float32Array.from(v, (x) => x / 3) },
    ] as const;
    fc.assert(
      fc.property(
        fc.constantFrom(...kinds),
        fc.array(fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { minLength: 1, maxLength: 20 }), {
          minLength: 1,
          maxLength: 4,
        }),
        fc.nat(),
        fc.integer({ min: 0, max: 3 }),
        (kind, parts, seed, pad) => {
          const srcs = parts.map((vals) => kind.make([...new Array(pad).fill(0), ...vals]).subarray(pad));
          const n = 1 + (seed % 30);
          const runs = Uint16Array.from({ length: n }, (_, i) => (seed + i * 7) % srcs.length);
          const rows = Uint32Array.from({ length: n }, (_, i) => (seed * 13 + i) % srcs[runs[i]].length);
          const cols = srcs.map((d) => ({ type: kind.type, length: d.length, data: d, validity: null }));
          const got = gatherRuns(cols, runs, rows);
          expect(got.data.constructor).toBe(srcs[0].constructor);
          for (let i = 0; i < n; i++) expect((got.data as Int32Array)[i]).toBe(srcs[runs[i]][rows[i]]);
          const idx = rows.map((r) => r % srcs[0].length);
          const one = gatherColumn(cols[0], idx);
          for (let i = 0; i < n; i++) expect((one.data as Int32Array)[i]).toBe(srcs[0][idx[i]]);
        },
      ),
    );
  });

  it('gathers 8-byte values bit for bit, from one column or several, at any byte offset (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.bigInt(-(2n ** 63n), 2n ** 63n - 1n), { minLength: 1, maxLength: 20 }), {
          minLength: 1,
          maxLength: 4,
        }),
        fc.nat(),
        fc.integer({ min: 0, max: 3 }),
        (parts, seed, pad) => {
          // Sources as views at an offset into a larger buffer (a decoder's pages are such views).
          const srcs = parts.map((vals) => {
            const buf = new BigInt64Array(vals.length + pad);
            buf.set(vals, pad);
            return buf.subarray(pad);
          });
          const n = 1 + (seed % 30);
          const runs = Uint16Array.from({ length: n }, (_, i) => (seed + i * 7) % srcs.length);
          const rows = Uint32Array.from({ length: n }, (_, i) => (seed * 13 + i) % srcs[runs[i]].length);
          const cols = srcs.map((d) => ({ type: T.i64, length: d.length, data: d, validity: null }));
          const got = gatherRuns(cols, runs, rows);
          for (let i = 0; i < n; i++) expect(columnValue(got, i)).toBe(srcs[runs[i]][rows[i]]);
          const one = gatherColumn(
            cols[0],
            rows.map((r) => r % srcs[0].length),
          );
          for (let i = 0; i < n; i++) expect(columnValue(one, i)).toBe(srcs[0][rows[i] % srcs[0].length]);
          // Doubles keep their bits (NaN payloads included).
          const doubles = srcs.map((d) => ({
            type: T.f64,
            length: d.length,
            data: new Float64Array(d.buffer, d.byteOffset, d.length),
            validity: null,
          }));
          const g = gatherRuns(doubles, runs, rows);
          const bits = new BigInt64Array((g.data as Float64Array).buffer);
          for (let i = 0; i < n; i++) expect(bits[i]).toBe(srcs[runs[i]][rows[i]]);
        },
      ),
    );
  });
});
