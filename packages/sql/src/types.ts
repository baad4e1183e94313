/**
 * Types and values between Eddy, DuckDB and Arrow:
 * - an Eddy (Paimon) column type ⇄ the DuckDB type SQL sees it as;
 * - Eddy's Arrow batches → wire batches a table function hands DuckDB;
 * - wire batches of a result → Arrow (for `query`/`stream`) and plain JS rows.
 */
import { DuckDBTypeId } from '@duckdb/node-api';
import { type DataType, EddyError, formatDataType } from '@eddy/table';
import * as arrow from 'apache-arrow';
import type { WireBatch, WireColumn, WireField, WireType } from './engine/protocol.ts';
import { copyBits, decimalWidth, fixedWidth } from './engine/vectors.ts';

// ---------------------------------------------------------------------------------------------
// Eddy column types ⇄ DuckDB types

/** The DuckDB type of an Eddy column. TIMESTAMP(p ≤ 3) stays in milliseconds (Paimon's storage). */
export function wireTypeOf(t: DataType): WireType {
  switch (t.root) {
    case 'BOOLEAN':
      return { id: DuckDBTypeId.BOOLEAN, sql: 'BOOLEAN' };
    case 'TINYINT':
      return { id: DuckDBTypeId.TINYINT, sql: 'TINYINT' };
    case 'SMALLINT':
      return { id: DuckDBTypeId.SMALLINT, sql: 'SMALLINT' };
    case 'INT':
      return { id: DuckDBTypeId.INTEGER, sql: 'INTEGER' };
    case 'BIGINT':
      return { id: DuckDBTypeId.BIGINT, sql: 'BIGINT' };
    case 'FLOAT':
      return { id: DuckDBTypeId.FLOAT, sql: 'FLOAT' };
    case 'DOUBLE':
      return { id: DuckDBTypeId.DOUBLE, sql: 'DOUBLE' };
    case 'DATE':
      return { id: DuckDBTypeId.DATE, sql: 'DATE' };
    case 'CHAR':
    case 'VARCHAR':
      return { id: DuckDBTypeId.VARCHAR, sql: 'VARCHAR' };
    case 'BINARY':
    case 'VARBINARY':
      return { id: DuckDBTypeId.BLOB, sql: 'BLOB' };
    case 'DECIMAL':
      return {
        id: DuckDBTypeId.DECIMAL,
        width: t.precision,
        scale: t.scale,
        sql: `DECIMAL(${t.precision},${t.scale})`,
      };
    case 'TIMESTAMP':
      return t.precision <= 3
        ? { id: DuckDBTypeId.TIMESTAMP_MS, sql: 'TIMESTAMP_MS' }
        : { id: DuckDBTypeId.TIMESTAMP, sql: 'TIMESTAMP' };
    case 'TIMESTAMP_LTZ':
      return { id: DuckDBTypeId.TIMESTAMP_TZ, sql: 'TIMESTAMPTZ' };
  }
}

/** The DuckDB SQL type of an Eddy column (for CASTs). */
export const duckSqlType = (t: DataType): string => wireTypeOf(t).sql;

/**
 * The Paimon type of a DuckDB result column (CREATE TABLE … AS SELECT), or an UNSUPPORTED error
 * naming the column: only types Eddy stores exactly.
 */
export function paimonTypeOf(column: string, t: WireType): string {
  switch (t.id) {
    case DuckDBTypeId.BOOLEAN:
      return 'BOOLEAN';
    case DuckDBTypeId.TINYINT:
      return 'TINYINT';
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.UTINYINT:
      return t.id === DuckDBTypeId.UTINYINT ? 'SMALLINT' : 'SMALLINT';
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.USMALLINT:
      return 'INT';
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UINTEGER:
      return 'BIGINT';
    case DuckDBTypeId.FLOAT:
      return 'FLOAT';
    case DuckDBTypeId.DOUBLE:
      return 'DOUBLE';
    case DuckDBTypeId.DATE:
      return 'DATE';
    case DuckDBTypeId.VARCHAR:
      return 'STRING';
    case DuckDBTypeId.BLOB:
      return 'BYTES';
    case DuckDBTypeId.DECIMAL:
      return `DECIMAL(${t.width}, ${t.scale})`;
    case DuckDBTypeId.TIMESTAMP_S:
      return 'TIMESTAMP(0)';
    case DuckDBTypeId.TIMESTAMP_MS:
      return 'TIMESTAMP(3)';
    case DuckDBTypeId.TIMESTAMP:
      return 'TIMESTAMP(6)';
    case DuckDBTypeId.TIMESTAMP_TZ:
      return 'TIMESTAMP_LTZ(6)';
    default:
      throw new EddyError(
        'UNSUPPORTED',
        `column '${column}' has type ${t.sql}, which Eddy tables cannot store; CAST it (e.g. to VARCHAR)`,
      );
  }
}

export function fieldsOf(columns: readonly { name: string; type: DataType }[]): WireField[] {
  return columns.map((c) => ({ name: c.name, type: wireTypeOf(c.type) }));
}

export const describeType = (t: DataType): string => formatDataType(t);

// ---------------------------------------------------------------------------------------------
// Arrow (Eddy's scans) → wire

/** A bitmap of `n` bits starting at bit `offset` of `bits`, in a buffer of its own. */
function sliceBits(bits: Uint8Array, offset: number, n: number): Uint8Array {
  const out = new Uint8Array(Math.ceil(n / 64) * 8);
  if ((offset & 7) === 0) out.set(bits.subarray(offset >> 3, (offset >> 3) + Math.ceil(n / 8)));
  else for (let i = 0; i < n; i++) if ((bits[(offset + i) >> 3] >> ((offset + i) & 7)) & 1) out[i >> 3] |= 1 << (i & 7);
  return out;
}

function validityOf(d: arrow.Data): Uint8Array | null {
  if (d.nullCount === 0 || !d.nullBitmap || d.nullBitmap.length === 0) return null;
  return sliceBits(d.nullBitmap, d.offset, d.length);
}

/** One Arrow column (Eddy's scan output) as a wire column of DuckDB type `t`. */
export function arrowToWire(d: arrow.Data, t: WireType): WireColumn {
  const n = d.length;
  const off = d.offset;
  const validity = validityOf(d);
  const typeId = d.type.typeId;
  if (t.id === DuckDBTypeId.VARCHAR || t.id === DuckDBTypeId.BLOB) {
    const o = d.valueOffsets as Int32Array;
    const base = o[off];
    const offsets = new Int32Array(n + 1);
    for (let i = 0; i <= n; i++) offsets[i] = o[off + i] - base;
    const bytes = (d.values as Uint8Array).slice(base, o[off + n]);
    return { kind: 'var', offsets, bytes, validity };
  }
  if (t.id === DuckDBTypeId.BOOLEAN) {
    const data = new Uint8Array(n);
    const bits = d.values as Uint8Array;
    for (let i = 0; i < n; i++) data[i] = (bits[(off + i) >> 3] >> ((off + i) & 7)) & 1;
    return { kind: 'fixed', data, validity };
  }
  if (t.id === DuckDBTypeId.DECIMAL) {
    const words = d.values as Uint32Array; // 4 little-endian words per value
    const w = decimalWidth(t.width ?? 18);
    const data = new Uint8Array(n * w);
    if (w === 16) data.set(new Uint8Array(words.buffer, words.byteOffset + off * 16, n * 16));
    else {
      const view = new DataView(data.buffer);
      const src = new DataView(words.buffer, words.byteOffset + off * 16, n * 16);
      for (let i = 0; i < n; i++) {
        const v = src.getBigInt64(i * 16, true);
        if (w === 8) view.setBigInt64(i * 8, v, true);
        else if (w === 4) view.setInt32(i * 4, Number(v), true);
        else view.setInt16(i * 2, Number(v), true);
      }
    }
    return { kind: 'fixed', data, validity };
  }
  const values = d.values as ArrayBufferView & { BYTES_PER_ELEMENT: number };
  const width = fixedWidth(t);
  if (!width || values.BYTES_PER_ELEMENT !== width)
    throw new EddyError('UNSUPPORTED', `SQL: cannot pass an Arrow ${arrow.Type[typeId]} column as ${t.sql}`);
  const data = new Uint8Array(values.buffer, values.byteOffset + off * width, n * width).slice();
  return { kind: 'fixed', data, validity };
}

/** Columns of an Arrow batch, by name, as a wire batch (an absent name: an unread placeholder). */
export function batchToWire(
  batch: arrow.RecordBatch,
  columns: readonly ({ name: string; type: WireType } | undefined)[],
): WireBatch {
  return {
    length: batch.numRows,
    columns: columns.map((c) => {
      if (!c) return { kind: 'js', values: [] };
      const child = batch.getChild(c.name);
      if (!child) throw new EddyError('INVALID_ARGUMENT', `SQL: scan returned no column '${c.name}'`);
      return arrowToWire(child.data[0], c.type);
    }),
  };
}

// ---------------------------------------------------------------------------------------------
// Wire → Arrow and rows (results)

const isValid = (v: Uint8Array | null, i: number) => v === null || ((v[i >> 3] >> (i & 7)) & 1) === 1;

function arrowTypeOf(t: WireType): arrow.DataType | undefined {
  switch (t.id) {
    case DuckDBTypeId.BOOLEAN:
      return new arrow.Bool();
    case DuckDBTypeId.TINYINT:
      return new arrow.Int8();
    case DuckDBTypeId.SMALLINT:
      return new arrow.Int16();
    case DuckDBTypeId.INTEGER:
      return new arrow.Int32();
    case DuckDBTypeId.BIGINT:
      return new arrow.Int64();
    case DuckDBTypeId.UTINYINT:
      return new arrow.Uint8();
    case DuckDBTypeId.USMALLINT:
      return new arrow.Uint16();
    case DuckDBTypeId.UINTEGER:
      return new arrow.Uint32();
    case DuckDBTypeId.UBIGINT:
      return new arrow.Uint64();
    case DuckDBTypeId.FLOAT:
      return new arrow.Float32();
    case DuckDBTypeId.DOUBLE:
      return new arrow.Float64();
    case DuckDBTypeId.DATE:
      return new arrow.DateDay();
    case DuckDBTypeId.TIME:
      return new arrow.TimeMicrosecond();
    case DuckDBTypeId.TIMESTAMP_S:
      return new arrow.TimestampSecond();
    case DuckDBTypeId.TIMESTAMP_MS:
      return new arrow.TimestampMillisecond();
    case DuckDBTypeId.TIMESTAMP:
      return new arrow.TimestampMicrosecond();
    case DuckDBTypeId.TIMESTAMP_NS:
      return new arrow.TimestampNanosecond();
    case DuckDBTypeId.TIMESTAMP_TZ:
      return new arrow.TimestampMicrosecond('UTC');
    case DuckDBTypeId.DECIMAL:
      return new arrow.Decimal(t.scale ?? 0, t.width ?? 18, 128);
    case DuckDBTypeId.HUGEINT:
      return new arrow.Decimal(0, 38, 128);
    case DuckDBTypeId.VARCHAR:
      return new arrow.Utf8();
    case DuckDBTypeId.BLOB:
      return new arrow.Binary();
    default:
      return undefined;
  }
}

function packBytes(bytes: Uint8Array, n: number): Uint8Array {
  const out = new Uint8Array(Math.ceil(n / 8));
  for (let i = 0; i < n; i++) if (bytes[i]) out[i >> 3] |= 1 << (i & 7);
  return out;
}

function nullCount(v: Uint8Array | null, n: number): number {
  if (!v) return 0;
  let c = 0;
  for (let i = 0; i < n; i++) if (!isValid(v, i)) c++;
  return c;
}

/** A wire column as Arrow Data. */
export function wireToArrow(col: WireColumn, t: WireType, n: number): arrow.Data {
  if (col.kind === 'js') {
    const values = col.values.map((v) => jsForArrow(v));
    return arrow.vectorFromArray(values).data[0];
  }
  const type = arrowTypeOf(t);
  if (!type) throw new EddyError('UNSUPPORTED', `SQL: no Arrow type for ${t.sql}`);
  const nulls = nullCount(col.validity, n);
  const nullBitmap = nulls > 0 && col.validity ? col.validity.subarray(0, Math.ceil(n / 8)) : undefined;
  const base = { type, length: n, nullCount: nulls, nullBitmap } as const;
  if (col.kind === 'var') {
    return arrow.makeData({ ...base, type: type as arrow.Utf8, valueOffsets: col.offsets, data: col.bytes });
  }
  const buf = col.data;
  if (t.id === DuckDBTypeId.BOOLEAN)
    return arrow.makeData({ ...base, type: type as arrow.Bool, data: packBytes(buf, n) });
  if (t.id === DuckDBTypeId.DECIMAL || t.id === DuckDBTypeId.HUGEINT) {
    const w = t.id === DuckDBTypeId.HUGEINT ? 16 : decimalWidth(t.width ?? 18);
    const words = new Uint32Array(n * 4);
    if (w === 16) new Uint8Array(words.buffer).set(buf.subarray(0, n * 16));
    else {
      const src = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
      const dst = new DataView(words.buffer);
      for (let i = 0; i < n; i++) {
        const v =
          w === 8
            ? src.getBigInt64(i * 8, true)
            : BigInt(w === 4 ? src.getInt32(i * 4, true) : src.getInt16(i * 2, true));
        dst.setBigInt64(i * 16, v, true);
        dst.setBigInt64(i * 16 + 8, v < 0n ? -1n : 0n, true);
      }
    }
    return arrow.makeData({ ...base, type: type as arrow.Decimal, data: words });
  }
  const ctor = (type as arrow.Int32).ArrayType as unknown as {
    new (b: ArrayBufferLike, o: number, n: number): ArrayBufferView;
  };
  const data = new ctor(buf.buffer, buf.byteOffset, n);
  return arrow.makeData({ ...base, type: type as arrow.Int32, data: data as Int32Array });
}

function jsForArrow(v: unknown): unknown {
  if (v === undefined) return null;
  if (v instanceof Uint8Array || v === null) return v;
  if (typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date))
    return JSON.stringify(v, bigintJson);
  return v;
}

const bigintJson = (_k: string, v: unknown) => (typeof v === 'bigint' ? v.toString() : v);

/** Result batches as an Arrow Table. */
export function wireToArrowTable(fields: readonly WireField[], batches: readonly WireBatch[]): arrow.Table {
  return new arrow.Table(batches.map((b) => wireBatchToArrow(fields, b)));
}

export function wireBatchToArrow(fields: readonly WireField[], b: WireBatch): arrow.RecordBatch {
  const children = b.columns.map((c, i) => wireToArrow(c, fields[i].type, b.length));
  const schema = new arrow.Schema(children.map((d, i) => new arrow.Field(fields[i].name, d.type, true)));
  const struct = arrow.makeData({ type: new arrow.Struct(schema.fields), length: b.length, nullCount: 0, children });
  return new arrow.RecordBatch(schema, struct);
}

const decoder = new TextDecoder();
const EPOCH_DAY_MS = 86_400_000;

function formatDecimal(v: bigint, scale: number): string {
  const neg = v < 0n;
  const digits = (neg ? -v : v).toString().padStart(scale + 1, '0');
  const s = scale > 0 ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits;
  return neg ? `-${s}` : s;
}

/**
 * A wire column's values as JS (see the README's SQL value table): BIGINT and µs/ns timestamps
 * as bigint, second/ms timestamps as Date, DECIMAL as a string, DATE as 'YYYY-MM-DD'.
 */
export function wireValues(col: WireColumn, t: WireType, n: number): unknown[] {
  const out: unknown[] = new Array(n);
  if (col.kind === 'js') {
    for (let i = 0; i < n; i++) out[i] = col.values[i] ?? null;
    return out;
  }
  const v = col.validity;
  if (col.kind === 'var') {
    const blob = t.id === DuckDBTypeId.BLOB;
    for (let i = 0; i < n; i++) {
      if (!isValid(v, i)) out[i] = null;
      else {
        const b = col.bytes.subarray(col.offsets[i], col.offsets[i + 1]);
        out[i] = blob ? b.slice() : decoder.decode(b);
      }
    }
    return out;
  }
  const buf = col.data;
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const w = fixedWidth(t);
  for (let i = 0; i < n; i++) {
    if (!isValid(v, i)) {
      out[i] = null;
      continue;
    }
    const at = i * w;
    switch (t.id) {
      case DuckDBTypeId.BOOLEAN:
        out[i] = buf[at] !== 0;
        break;
      case DuckDBTypeId.TINYINT:
        out[i] = dv.getInt8(at);
        break;
      case DuckDBTypeId.UTINYINT:
        out[i] = dv.getUint8(at);
        break;
      case DuckDBTypeId.SMALLINT:
        out[i] = dv.getInt16(at, true);
        break;
      case DuckDBTypeId.USMALLINT:
        out[i] = dv.getUint16(at, true);
        break;
      case DuckDBTypeId.INTEGER:
        out[i] = dv.getInt32(at, true);
        break;
      case DuckDBTypeId.UINTEGER:
        out[i] = dv.getUint32(at, true);
        break;
      case DuckDBTypeId.FLOAT:
        out[i] = dv.getFloat32(at, true);
        break;
      case DuckDBTypeId.DOUBLE:
        out[i] = dv.getFloat64(at, true);
        break;
      case DuckDBTypeId.DATE: {
        const days = dv.getInt32(at, true);
        out[i] = new Date(days * EPOCH_DAY_MS).toISOString().slice(0, 10);
        break;
      }
      case DuckDBTypeId.BIGINT:
      case DuckDBTypeId.TIMESTAMP:
      case DuckDBTypeId.TIMESTAMP_TZ:
      case DuckDBTypeId.TIMESTAMP_NS:
      case DuckDBTypeId.TIME:
        out[i] = dv.getBigInt64(at, true);
        break;
      case DuckDBTypeId.UBIGINT:
        out[i] = dv.getBigUint64(at, true);
        break;
      case DuckDBTypeId.TIMESTAMP_S:
        out[i] = new Date(Number(dv.getBigInt64(at, true)) * 1000);
        break;
      case DuckDBTypeId.TIMESTAMP_MS:
        out[i] = new Date(Number(dv.getBigInt64(at, true)));
        break;
      case DuckDBTypeId.HUGEINT:
      case DuckDBTypeId.UHUGEINT: {
        const lo = dv.getBigUint64(at, true);
        const hi = t.id === DuckDBTypeId.HUGEINT ? dv.getBigInt64(at + 8, true) : dv.getBigUint64(at + 8, true);
        out[i] = (hi << 64n) | lo;
        break;
      }
      case DuckDBTypeId.DECIMAL: {
        const x =
          w === 16
            ? (dv.getBigInt64(at + 8, true) << 64n) | dv.getBigUint64(at, true)
            : w === 8
              ? dv.getBigInt64(at, true)
              : BigInt(w === 4 ? dv.getInt32(at, true) : dv.getInt16(at, true));
        out[i] = formatDecimal(x, t.scale ?? 0);
        break;
      }
      default:
        out[i] = null;
    }
  }
  return out;
}

/** Result batches as plain row objects (column names as keys; later duplicates win). */
export function wireRows(fields: readonly WireField[], batches: readonly WireBatch[]): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  for (const b of batches) {
    const cols = b.columns.map((c, i) => wireValues(c, fields[i].type, b.length));
    for (let r = 0; r < b.length; r++) {
      const row: Record<string, unknown> = {};
      for (let c = 0; c < fields.length; c++) row[fields[c].name] = cols[c][r];
      rows.push(row);
    }
  }
  return rows;
}

export { copyBits };
