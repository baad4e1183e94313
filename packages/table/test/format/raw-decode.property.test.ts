import * as arrow from 'apache-arrow';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arrowField, arrowToColumn, makeRecordBatch } from '../../src/data/arrow.ts';
import { type Column, ColumnBuilder, columnValue } from '../../src/data/columns.ts';
import { rawToColumn } from '../../src/data/raw-columns.ts';
import { readParquetBatches, readParquetSelected, writeParquet } from '../../src/format/parquet.ts';
import type { DataField, DataType } from '../../src/types/data-types.ts';

// A scan's columns cross from the Parquet workers as raw buffers (format/parquet-worker.cjs,
// data/raw-columns.ts) instead of an Arrow IPC stream. The model: the rows written (and the IPC
// path must agree). Every flat type, nulls, random row groups and row-group subsets.

const T = {
  b: { root: 'BOOLEAN', nullable: true },
  t: { root: 'TINYINT', nullable: true },
  sm: { root: 'SMALLINT', nullable: false },
  i: { root: 'INT', nullable: true },
  k: { root: 'BIGINT', nullable: false },
  f: { root: 'FLOAT', nullable: true },
  d: { root: 'DOUBLE', nullable: true },
  day: { root: 'DATE', nullable: true },
  s: { root: 'VARCHAR', nullable: true, length: 2147483647 },
  bin: { root: 'VARBINARY', nullable: true, length: 2147483647 },
  ms: { root: 'TIMESTAMP', nullable: true, precision: 3 },
  us: { root: 'TIMESTAMP', nullable: false, precision: 6 },
  ltz: { root: 'TIMESTAMP_LTZ', nullable: true, precision: 6 },
  dec: { root: 'DECIMAL', nullable: true, precision: 10, scale: 2 },
  big: { root: 'DECIMAL', nullable: true, precision: 30, scale: 3 },
} as const satisfies Record<string, DataType>;
type Name = keyof typeof T;
const NAMES = Object.keys(T) as Name[];
const FIELDS: DataField[] = NAMES.map((name, id) => ({ id, name, type: T[name] as DataType }));

const value = (n: Name): fc.Arbitrary<unknown> => {
  switch (n) {
    case 'b':
      return fc.boolean();
    case 't':
      return fc.integer({ min: -128, max: 127 });
    case 'sm':
      return fc.integer({ min: -32768, max: 32767 });
    case 'i':
    case 'day':
      return fc.integer({ min: -100000, max: 100000 });
    case 'k':
      return fc.bigInt(-(2n ** 63n), 2n ** 63n - 1n);
    case 'f':
      return fc.float({ noNaN: true }).map((x) => Math.fround(x));
    case 'd':
      return fc.double({ noNaN: true });
    case 's':
      return fc.string({ unit: 'grapheme', maxLength: 6 });
    case 'bin':
      return fc.uint8Array({ maxLength: 5 });
    case 'ms':
      return fc.bigInt(-(10n ** 15n), 10n ** 15n).map((x) => x * 1000n);
    case 'us':
    case 'ltz':
      return fc.bigInt(-(10n ** 15n), 10n ** 15n);
    case 'dec':
      return fc.bigInt(-(10n ** 7n), 10n ** 7n);
    case 'big':
      return fc.bigInt(-(10n ** 26n), 10n ** 26n);
  }
};
const nullable = (n: Name) => (T[n].nullable ? fc.option(value(n), { freq: 4 }) : value(n));
const row = fc.record(Object.fromEntries(NAMES.map((n) => [n, nullable(n)])) as Record<Name, fc.Arbitrary<unknown>>);

function decoded(
  c: ReturnType<NonNullable<Awaited<ReturnType<typeof readParquetBatches>>['batches']>[number]['column']>,
  type: DataType,
): Column {
  if (c === undefined) throw new Error('missing column');
  return c instanceof arrow.Data ? arrowToColumn(c, type) : rawToColumn(c, type);
}

describe('raw column transfer from the Parquet workers', () => {
  it('reads back the rows written, in every kept row group, as the IPC path does', async () => {
    let raw = 0;
    let ipcOnly = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(row, { minLength: 1, maxLength: 120 }),
        fc.integer({ min: 1, max: 50 }),
        fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
        async (rows, rowGroupRows, keepGroup) => {
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
            { compression: 'zstd', rowGroupRows },
          );
          const source = { size: bytes.length, readRange: async (o: number, l: number) => bytes.slice(o, o + l) };
          const keep = (rg: { index: number }) => keepGroup[rg.index % 8];
          const got = await readParquetBatches(source, 'x.parquet', { rowGroupFilter: keep });
          const ipc = await readParquetSelected(source, 'x.parquet', { rowGroupFilter: keep });
          const wanted = got.rowGroups.flatMap((rg) => Array.from({ length: rg.rows }, (_, i) => rg.firstRow + i));
          expect(ipc.rowGroups.map((rg) => rg.index)).toEqual(got.rowGroups.map((rg) => rg.index));
          if (wanted.length === 0) {
            expect(got.batches).toBeUndefined();
            return;
          }
          expect(got.batches!.reduce((n, b) => n + b.rows, 0)).toBe(wanted.length);
          FIELDS.forEach((f, c) => {
            let r = 0;
            for (const batch of got.batches!) {
              const col = batch.column(f.name);
              if (col !== undefined && !(col instanceof arrow.Data)) raw++;
              else ipcOnly++;
              const out = decoded(col, f.type);
              expect(out.length).toBe(batch.rows);
              const viaIpc = arrowToColumn(ipc.table!.getChild(f.name)!, f.type);
              for (let i = 0; i < batch.rows; i++, r++) {
                const want = columnValue(cols[c], wanted[r]);
                expect(columnValue(out, i), `${f.name} row ${wanted[r]}`).toEqual(want);
                expect(columnValue(viaIpc, r)).toEqual(want);
              }
            }
          });
        },
      ),
      { numRuns: 15 },
    );
    expect(raw).toBeGreaterThan(0); // the raw path ran, not only the IPC fallback
    expect(ipcOnly).toBe(0); // every flat type crosses raw
  });

  it('decodes a file of several row groups on several workers, in file order', async () => {
    const n = 150_000;
    const k = new ColumnBuilder(T.k, 'k');
    const s = new ColumnBuilder(T.s, 's');
    for (let i = 0; i < n; i++) {
      k.append(BigInt(i) * 7n, i);
      s.append(i % 3 === 0 ? null : `v${i}`, i);
    }
    const fields: DataField[] = [
      { id: 0, name: 'k', type: T.k },
      { id: 1, name: 's', type: T.s },
    ];
    const bytes = await writeParquet(
      makeRecordBatch(
        fields.map((f) => arrowField(f)),
        [k.finish(), s.finish()],
      ),
      { compression: 'zstd', rowGroupRows: 20_000 },
    );
    const source = { size: bytes.length, readRange: async (o: number, l: number) => bytes.slice(o, o + l) };
    const got = await readParquetBatches(source, 'x.parquet');
    expect(got.rowGroups.length).toBe(8);
    let r = 0;
    for (const b of got.batches!) {
      const kc = decoded(b.column('k'), T.k);
      const sc = decoded(b.column('s'), T.s);
      for (let i = 0; i < b.rows; i++, r++) {
        expect(columnValue(kc, i)).toBe(BigInt(r) * 7n);
        expect(columnValue(sc, i)).toBe(r % 3 === 0 ? null : `v${r}`);
      }
    }
    expect(r).toBe(n);
  });

  it('leaves out the rows dropRows asks to and those of other keys than keepKeys, raw or through IPC, in whole and partial row groups', async () => {
    // The model: the rows of the kept pieces, less those whose drop flag is set. A nanosecond
    // column (not handed over raw) sends the batch through IPC, where the caller drops the rows.
    let droppedByWorker = 0;
    let droppedByCaller = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.option(fc.string({ maxLength: 4 })), fc.option(fc.boolean()), fc.boolean()), {
          minLength: 1,
          maxLength: 150,
        }),
        fc.integer({ min: 1, max: 40 }),
        fc.array(fc.tuple(fc.nat(60), fc.nat(60)), { minLength: 8, maxLength: 8 }),
        fc.boolean(),
        fc.option(fc.array(fc.integer({ min: -5, max: 160 }), { maxLength: 40 })),
        async (rows, rowGroupRows, cuts, nanos, keys) => {
          const n = rows.length;
          const fields: DataField[] = [
            { id: 0, name: 'k', type: T.k },
            { id: 1, name: 's', type: T.s },
            { id: 2, name: 'b', type: T.b },
            { id: 3, name: 'sm', type: T.sm },
          ];
          const cols = fields.map((f, c) => {
            const b = new ColumnBuilder(f.type, f.name);
            for (let i = 0; i < n; i++) b.append(c === 0 ? BigInt(i) : c === 3 ? (i % 300) - 100 : rows[i][c - 1], i);
            return b.finish();
          });
          let batch = makeRecordBatch(
            fields.map((f) => arrowField(f)),
            cols,
          );
          if (nanos) {
            const t = new arrow.Table(batch);
            const ns = arrow.vectorFromArray(
              Array.from({ length: n }, (_, i) => i),
              new arrow.TimestampNanosecond(),
            );
            batch = new arrow.Table({ ...Object.fromEntries(fields.map((f) => [f.name, t.getChild(f.name)!])), ns })
              .batches[0];
          }
          const bytes = await writeParquet(batch, { compression: 'zstd', rowGroupRows });
          const source = { size: bytes.length, readRange: async (o: number, l: number) => bytes.slice(o, o + l) };
          // Each row group: whole, or less a stretch [a, b) (a cut of 0 rows keeps it whole).
          const rowRanges = (rg: { index: number; rows: number }) => {
            const [x, y] = cuts[rg.index % 8];
            const a = Math.min(x, y) % (rg.rows + 1);
            const b = Math.min(rg.rows, a + (Math.max(x, y) % 4));
            if (b <= a || (a === 0 && b === rg.rows)) return undefined;
            return [
              ...(a > 0 ? [[0, a] as [number, number]] : []),
              ...(b < rg.rows ? [[b, rg.rows] as [number, number]] : []),
            ];
          };
          const dropRows = (pieces: readonly { firstRow: number; rows: number }[]) => {
            const total = pieces.reduce((m, p) => m + p.rows, 0);
            const mask = new Uint8Array(total);
            let o = 0;
            for (const p of pieces) for (let r = 0; r < p.rows; r++) mask[o++] = rows[p.firstRow + r][2] ? 1 : 0;
            return mask;
          };
          const got = await readParquetBatches(source, 'x.parquet', {
            columns: nanos ? ['k', 's', 'b', 'sm', 'ns'] : ['k', 's', 'b', 'sm'],
            rowRanges,
            dropRows,
            keepKeys: keys ? { column: 'k', values: BigInt64Array.from(keys, BigInt) } : undefined,
          });
          const keySet = keys ? new Set(keys) : undefined;
          const wanted = got.rowGroups
            .flatMap((rg) => Array.from({ length: rg.rows }, (_, i) => rg.firstRow + i))
            .filter((r) => !rows[r][2] && (!keySet || keySet.has(r)));
          const out: number[] = [];
          const values: unknown[][] = fields.map(() => []);
          for (const b of got.batches ?? []) {
            if (b.deleted) droppedByCaller++;
            else if (b.rowsRead > b.rows) droppedByWorker++;
            // keepKeys is a superset filter: rows of other keys may cross (IPC), never on the raw path.
            const k = decoded(b.column('k'), T.k);
            const other = (i: number) => keySet !== undefined && !keySet.has(Number(columnValue(k, i)));
            if (!nanos) for (let i = 0; i < b.rows; i++) expect(other(i)).toBe(false);
            fields.forEach((f, c) => {
              const col = decoded(b.column(f.name), f.type);
              for (let i = 0; i < b.rows; i++) if (!b.deleted?.[i] && !other(i)) values[c].push(columnValue(col, i));
            });
          }
          for (const k of values[0]) out.push(Number(k));
          expect(out).toEqual(wanted);
          fields.forEach((_, c) => {
            expect(values[c]).toEqual(wanted.map((r) => columnValue(cols[c], r)));
          });
        },
      ),
      { numRuns: 40 },
    );
    expect(droppedByWorker).toBeGreaterThan(0);
    expect(droppedByCaller).toBeGreaterThan(0);
  });
});
