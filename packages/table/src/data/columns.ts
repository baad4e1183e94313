import type { DataType } from '../types/data-types.ts';
import { EddyError } from '../types/errors.ts';
import type { InternalValue } from '../types/internal.ts';

/**
 * Columnar buffers: the in-memory form of rows between the API edge and Parquet. One typed array
 * per fixed-width type, offsets + UTF-8 bytes for strings and binaries, a byte per row for nulls.
 *
 * | type                                   | data                          |
 * |----------------------------------------|-------------------------------|
 * | BOOLEAN                                | Uint8Array (0/1)              |
 * | TINYINT / SMALLINT / INT, DATE         | Int8Array / Int16Array / Int32Array |
 * | FLOAT / DOUBLE                         | Float32Array / Float64Array   |
 * | BIGINT, TIMESTAMP*, DECIMAL(p ≤ 18)    | BigInt64Array (micros; unscaled) |
 * | DECIMAL(p > 18)                        | bigint[] (unscaled)           |
 * | CHAR / VARCHAR / BINARY / VARBINARY    | VarBytes                      |
 */
export interface VarBytes {
  readonly offsets: Int32Array;
  readonly bytes: Uint8Array;
}

export type ColumnData =
  | Uint8Array
  | Int8Array
  | Int16Array
  | Int32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | bigint[]
  | VarBytes;

export interface Column {
  readonly type: DataType;
  readonly length: number;
  readonly data: ColumnData;
  /** One byte per row, 1 = present; null when no row is null. */
  readonly validity: Uint8Array | null;
}

const MICROS_PER_DAY = 86_400_000_000n;
const utf8 = new TextDecoder('utf-8', { fatal: false });
const encoder = new TextEncoder();

/** Decodes UTF-8 bytes [start, end): short ASCII strings without TextDecoder's call overhead. */
export function decodeUtf8(bytes: Uint8Array, start: number, end: number): string {
  const n = end - start;
  if (n <= 24) {
    let ascii = true;
    for (let i = start; i < end; i++) {
      if (bytes[i] > 0x7f) {
        ascii = false;
        break;
      }
    }
    if (ascii) {
      switch (n) {
        case 0:
          return '';
        case 1:
          return String.fromCharCode(bytes[start]);
        default:
          return String.fromCharCode.apply(null, bytes.subarray(start, end) as unknown as number[]);
      }
    }
  }
  if (bytes instanceof Buffer) return bytes.utf8Slice(start, end);
  return utf8.decode(bytes.subarray(start, end));
}

declare global {
  interface Buffer {
    utf8Slice(start: number, end: number): string;
  }
}

// ---------------------------------------------------------------------------------------------
// Public JS values ⇄ internal values

const INT_RANGES = { TINYINT: [-128, 127], SMALLINT: [-32768, 32767], INT: [-2147483648, 2147483647] } as const;
const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (typeof v === 'bigint') return `bigint ${v}n`;
  if (typeof v === 'number') return `number ${v}`;
  if (v instanceof Date) return `Date ${Number.isNaN(v.getTime()) ? 'Invalid Date' : v.toISOString()}`;
  if (v instanceof Uint8Array) return `Uint8Array(${v.length})`;
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

function invalid(where: string, expected: string, v: unknown): EddyError {
  return new EddyError('INVALID_ROW', `${where}: expected ${expected}, got ${describe(v)}`);
}

/**
 * Converts a public JS value (see the README's value table) to the internal value of `type`,
 * validating it. `where` names the row and column for the error message.
 */
export function toInternalValue(type: DataType, value: unknown, where: string): InternalValue {
  if (value === null || value === undefined) {
    if (!type.nullable)
      throw new EddyError(
        'INVALID_ROW',
        `${where}: is NOT NULL but the value is ${value === null ? 'null' : 'missing'}`,
      );
    return null;
  }
  switch (type.root) {
    case 'BOOLEAN':
      if (typeof value !== 'boolean') throw invalid(where, 'a boolean', value);
      return value;
    case 'TINYINT':
    case 'SMALLINT':
    case 'INT': {
      const [lo, hi] = INT_RANGES[type.root];
      const n = typeof value === 'bigint' && value >= BigInt(lo) && value <= BigInt(hi) ? Number(value) : value;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < lo || n > hi)
        throw invalid(where, `an integer in [${lo}, ${hi}] (${type.root})`, value);
      return n;
    }
    case 'BIGINT': {
      if (typeof value === 'bigint') {
        if (value < I64_MIN || value > I64_MAX) throw invalid(where, 'a 64-bit integer (BIGINT)', value);
        return value;
      }
      if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
      throw invalid(where, 'a bigint or a safe integer (BIGINT)', value);
    }
    case 'FLOAT':
    case 'DOUBLE':
      if (typeof value !== 'number') throw invalid(where, `a number (${type.root})`, value);
      return type.root === 'FLOAT' ? Math.fround(value) : value;
    case 'CHAR':
    case 'VARCHAR':
      if (typeof value !== 'string') throw invalid(where, `a string (${type.root})`, value);
      if (value.length > type.length)
        throw new EddyError(
          'INVALID_ROW',
          `${where}: string of length ${value.length} exceeds ${type.root}(${type.length})`,
        );
      return value;
    case 'BINARY':
    case 'VARBINARY':
      if (!(value instanceof Uint8Array)) throw invalid(where, `a Uint8Array (${type.root})`, value);
      if (value.length > type.length)
        throw new EddyError('INVALID_ROW', `${where}: ${value.length} bytes exceed ${type.root}(${type.length})`);
      return value;
    case 'DECIMAL':
      return toUnscaled(type.precision, type.scale, value, where);
    case 'DATE':
      return toEpochDays(value, where);
    case 'TIMESTAMP':
    case 'TIMESTAMP_LTZ':
      return truncateMicros(toEpochMicros(value, where), type.precision);
  }
}

function toUnscaled(precision: number, scale: number, value: unknown, where: string): bigint {
  let unscaled: bigint;
  if (typeof value === 'bigint') unscaled = value * 10n ** BigInt(scale);
  else if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw invalid(where, `a finite number (DECIMAL(${precision}, ${scale}))`, value);
    unscaled = parseDecimal(String(value), scale, where, value);
  } else if (typeof value === 'string') unscaled = parseDecimal(value.trim(), scale, where, value);
  else throw invalid(where, `a decimal string, number or bigint (DECIMAL(${precision}, ${scale}))`, value);
  const abs = unscaled < 0n ? -unscaled : unscaled;
  if (abs >= 10n ** BigInt(precision))
    throw new EddyError('INVALID_ROW', `${where}: ${describe(value)} does not fit DECIMAL(${precision}, ${scale})`);
  return unscaled;
}

const DECIMAL_RE = /^([+-])?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/** Parses a decimal literal to an unscaled integer at `scale`, rounding half up like Paimon. */
function parseDecimal(s: string, scale: number, where: string, original: unknown): bigint {
  const m = DECIMAL_RE.exec(s);
  if (!m || (m[2] === '' && (m[3] === undefined || m[3] === ''))) throw invalid(where, 'a decimal number', original);
  const digits = (m[2] || '') + (m[3] || '');
  const exp = (m[4] ? Number(m[4]) : 0) - (m[3] || '').length; // value = digits × 10^exp
  let v = BigInt(digits || '0');
  const shift = exp + scale;
  if (shift >= 0) v *= 10n ** BigInt(shift);
  else {
    const div = 10n ** BigInt(-shift);
    const q = v / div;
    v = (v % div) * 2n >= div ? q + 1n : q;
  }
  return m[1] === '-' ? -v : v;
}

const DATE_RE = /^(-?\d{4,})-(\d{2})-(\d{2})$/;

/** Date.UTC without its two-digit-year rule (which reads years 0..99 as 1900..1999). */
function utcMillis(year: number, month: number, day: number, h = 0, min = 0, sec = 0): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month, day);
  d.setUTCHours(h, min, sec, 0);
  return d.getTime();
}

function toEpochDays(value: unknown, where: string): number {
  if (typeof value === 'number') {
    if (!Number.isInteger(value))
      throw invalid(where, "an integer of epoch days, a 'YYYY-MM-DD' string or a Date (DATE)", value);
    return value;
  }
  if (value instanceof Date) {
    const t = value.getTime();
    if (Number.isNaN(t)) throw invalid(where, 'a valid Date (DATE)', value);
    return Math.floor(t / 86_400_000);
  }
  if (typeof value === 'string') {
    const m = DATE_RE.exec(value);
    if (m) {
      const t = utcMillis(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
      const d = new Date(t);
      if (d.getUTCMonth() === Number(m[2]) - 1 && d.getUTCDate() === Number(m[3])) return Math.floor(t / 86_400_000);
    }
  }
  throw invalid(where, "a 'YYYY-MM-DD' string, a Date or epoch days (DATE)", value);
}

const TS_RE =
  /^(-?\d{4,})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;

function toEpochMicros(value: unknown, where: string): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw invalid(where, 'a finite epoch-millis number (TIMESTAMP)', value);
    return BigInt(Math.round(value * 1000));
  }
  if (value instanceof Date) {
    const t = value.getTime();
    if (Number.isNaN(t)) throw invalid(where, 'a valid Date (TIMESTAMP)', value);
    return BigInt(t) * 1000n;
  }
  if (typeof value === 'string') {
    const m = TS_RE.exec(value.trim());
    if (m) {
      // A string without a zone is a wall-clock time: stored as if it were UTC (Paimon's TIMESTAMP).
      const millis = utcMillis(
        Number(m[1]),
        Number(m[2]) - 1,
        Number(m[3]),
        Number(m[4] ?? 0),
        Number(m[5] ?? 0),
        Number(m[6] ?? 0),
      );
      if (!Number.isNaN(millis)) {
        let micros = BigInt(millis) * 1000n + BigInt(((m[7] ?? '') + '000000').slice(0, 6));
        const zone = m[8];
        if (zone && zone.toUpperCase() !== 'Z') {
          const sign = zone[0] === '-' ? -1n : 1n;
          const hhmm = zone.slice(1).replace(':', '');
          micros -= sign * (BigInt(hhmm.slice(0, 2)) * 60n + BigInt(hhmm.slice(2))) * 60_000_000n;
        }
        return micros;
      }
    }
  }
  throw invalid(where, 'a Date, epoch-millis number, bigint microseconds or ISO-8601 string (TIMESTAMP)', value);
}

/** Drops digits below the type's precision (TIMESTAMP(3) keeps millis). */
function truncateMicros(micros: bigint, precision: number): bigint {
  if (precision >= 6) return micros;
  const unit = 10n ** BigInt(6 - precision);
  const r = micros % unit;
  return r === 0n ? micros : micros - (r < 0n ? r + unit : r);
}

/** Internal value → public JS value (the README's "read" column). */
export function toPublicValue(type: DataType, v: InternalValue): unknown {
  if (v === null) return null;
  switch (type.root) {
    case 'DECIMAL':
      return formatDecimal(v as bigint, type.scale);
    case 'DATE':
      return formatDate(v as number);
    case 'TIMESTAMP':
    case 'TIMESTAMP_LTZ':
      return type.precision <= 3 ? new Date(Number((v as bigint) / 1000n)) : v;
    default:
      return v;
  }
}

export function formatDecimal(unscaled: bigint, scale: number): string {
  const neg = unscaled < 0n;
  let s = (neg ? -unscaled : unscaled).toString();
  if (scale > 0) {
    if (s.length <= scale) s = '0'.repeat(scale - s.length + 1) + s;
    s = `${s.slice(0, s.length - scale)}.${s.slice(s.length - scale)}`;
  }
  return neg ? `-${s}` : s;
}

export function formatDate(days: number): string {
  const d = new Date(days * 86_400_000);
  const y = d.getUTCFullYear();
  const ys = y < 0 ? `-${String(-y).padStart(4, '0')}` : String(y).padStart(4, '0');
  return `${ys}-${String(d.getUTCMonth() + 1).padStart(2, '0')}-${String(d.getUTCDate()).padStart(2, '0')}`;
}

export function microsToDays(micros: bigint): number {
  const q = micros / MICROS_PER_DAY;
  return Number(micros < 0n && q * MICROS_PER_DAY !== micros ? q - 1n : q);
}

// ---------------------------------------------------------------------------------------------
// Comparison (Paimon's order: numbers numerically, strings and binaries by unsigned bytes)

/** Compares two non-null internal values of `type`. */
export function compareValues(type: DataType, a: InternalValue, b: InternalValue): number {
  if (a === null || b === null) return a === null ? (b === null ? 0 : -1) : 1;
  switch (type.root) {
    case 'CHAR':
    case 'VARCHAR':
      return compareStrings(a as string, b as string);
    case 'BINARY':
    case 'VARBINARY':
      return compareBytes(a as Uint8Array, 0, (a as Uint8Array).length, b as Uint8Array, 0, (b as Uint8Array).length);
    case 'BOOLEAN':
      return a === b ? 0 : a ? 1 : -1;
    case 'FLOAT':
    case 'DOUBLE':
      return compareDoubles(a as number, b as number);
    default:
      return a < b ? -1 : a > b ? 1 : 0;
  }
}

/** Java's Double.compare: -0.0 < 0.0, NaN above everything. */
function compareDoubles(a: number, b: number): number {
  if (a < b) return -1;
  if (a > b) return 1;
  if (a === b) return a === 0 ? (Object.is(a, -0) ? (Object.is(b, -0) ? 0 : -1) : Object.is(b, -0) ? 1 : 0) : 0;
  return Number.isNaN(a) ? (Number.isNaN(b) ? 0 : 1) : -1;
}

/** UTF-16 strings in code-point order, which is the order of their UTF-8 bytes. */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      // Surrogates (U+D800–DFFF) encode code points above U+FFFF: they sort after U+E000–FFFF.
      if (x >= 0xd800 && y >= 0xd800) return fixupSurrogate(x) - fixupSurrogate(y);
      return x - y;
    }
  }
  return a.length - b.length;
}

const fixupSurrogate = (c: number) => (c >= 0xe000 ? c - 0x800 : c + 0x2000);

export function compareBytes(a: Uint8Array, as: number, ae: number, b: Uint8Array, bs: number, be: number): number {
  const n = Math.min(ae - as, be - bs);
  for (let i = 0; i < n; i++) {
    const d = a[as + i] - b[bs + i];
    if (d !== 0) return d;
  }
  return ae - as - (be - bs);
}

function isVar(d: ColumnData): d is VarBytes {
  // Not `d.offsets !== undefined`: on a typed array that lookup misses through the prototype chain,
  // megamorphic across column types (a tenth of a cached get's time, once per value read).
  return !ArrayBuffer.isView(d) && !Array.isArray(d);
}

/** Compares row `ra` of `a` with row `rb` of `b` (same type); nulls first. */
export function compareColumnRows(a: Column, ra: number, b: Column, rb: number): number {
  const va = a.validity === null || a.validity[ra] === 1;
  const vb = b.validity === null || b.validity[rb] === 1;
  if (!va || !vb) return va === vb ? 0 : va ? 1 : -1;
  const da = a.data;
  const db = b.data;
  if (isVar(da)) {
    const dbv = db as VarBytes;
    return compareBytes(da.bytes, da.offsets[ra], da.offsets[ra + 1], dbv.bytes, dbv.offsets[rb], dbv.offsets[rb + 1]);
  }
  const x = (da as ArrayLike<number | bigint>)[ra];
  const y = (db as ArrayLike<number | bigint>)[rb];
  if (x < y) return -1;
  if (x > y) return 1;
  if (x === y) return typeof x === 'number' && x === 0 ? compareDoubles(x, y as number) : 0;
  return compareDoubles(x as number, y as number);
}

// ---------------------------------------------------------------------------------------------
// Access and reshaping

/** Decoded floats as a FLOAT or DOUBLE column's data: the array itself when it is already that width. */
export function floatData(root: 'FLOAT' | 'DOUBLE', v: Float32Array | Float64Array): Float32Array | Float64Array {
  if (root === 'FLOAT') return v instanceof Float32Array ? v : Float32Array.from(v);
  return v instanceof Float64Array ? v : Float64Array.from(v);
}

/** The internal value at `row`. */
export function columnValue(col: Column, row: number): InternalValue {
  if (col.validity !== null && col.validity[row] === 0) return null;
  const d = col.data;
  const t = col.type.root;
  if (isVar(d)) {
    const s = d.offsets[row];
    const e = d.offsets[row + 1];
    if (t === 'CHAR' || t === 'VARCHAR') return decodeUtf8(d.bytes, s, e);
    const out = new Uint8Array(e - s);
    out.set(d.bytes.subarray(s, e));
    return out;
  }
  const v = (d as ArrayLike<number | bigint>)[row];
  return t === 'BOOLEAN' ? v === 1 : v;
}

/** A new column of rows [start, end) of `col`. */
export function sliceColumn(col: Column, start: number, end: number): Column {
  if (start === 0 && end === col.length) return col;
  const idx = new Uint32Array(end - start);
  for (let i = 0; i < idx.length; i++) idx[i] = start + i;
  return gatherColumn(col, idx);
}

/**
 * A gather of 8-byte values as pairs of 32-bit words: reading a BigInt64Array allocates a bigint
 * per element, and copying doubles through JS numbers may canonicalise NaN payloads.
 */
function gather64(
  srcs: readonly (BigInt64Array | Float64Array)[],
  runs: Uint16Array | null,
  rows: Uint32Array,
  bigint: boolean,
): BigInt64Array | Float64Array {
  const n = rows.length;
  const out = bigint ? new BigInt64Array(n) : new Float64Array(n);
  const o32 = new Int32Array(out.buffer);
  const words = srcs.map((a) => new Int32Array(a.buffer, a.byteOffset, a.length * 2));
  if (runs === null) {
    const w = words[0];
    for (let i = 0; i < n; i++) {
      const r = rows[i] * 2;
      o32[2 * i] = w[r];
      o32[2 * i + 1] = w[r + 1];
    }
  } else {
    for (let i = 0; i < n; i++) {
      const w = words[runs[i]];
      const r = rows[i] * 2;
      o32[2 * i] = w[r];
      o32[2 * i + 1] = w[r + 1];
    }
  }
  return out;
}

/**
 * Gathers of 1-, 2- and 4-byte values. Each element width has a loop of its own over one typed
 * array kind (the values reinterpreted, e.g. Float32Array as Int32Array): a single loop over
 * every kind makes V8's element access polymorphic, several times slower.
 */
function gatherFixed(
  srcs: readonly (Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array)[],
  runs: Uint16Array | null,
  rows: Uint32Array,
): Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array {
  const n = rows.length;
  const first = srcs[0];
  const out = new (first.constructor as new (n: number) => typeof first)(n);
  const width = first.BYTES_PER_ELEMENT;
  if (width === 1) {
    const views = srcs.map((a) => new Uint8Array(a.buffer, a.byteOffset, a.length));
    gather8(views, runs, rows, new Uint8Array(out.buffer));
  } else if (width === 2) {
    const views = srcs.map((a) => new Uint16Array(a.buffer, a.byteOffset, a.length));
    gather16(views, runs, rows, new Uint16Array(out.buffer));
  } else {
    const views = srcs.map((a) => new Int32Array(a.buffer, a.byteOffset, a.length));
    gather32(views, runs, rows, new Int32Array(out.buffer));
  }
  return out;
}

function gather8(srcs: Uint8Array[], runs: Uint16Array | null, rows: Uint32Array, out: Uint8Array): void {
  const n = rows.length;
  if (runs === null) {
    const src = srcs[0];
    for (let i = 0; i < n; i++) out[i] = src[rows[i]];
  } else for (let i = 0; i < n; i++) out[i] = srcs[runs[i]][rows[i]];
}

function gather16(srcs: Uint16Array[], runs: Uint16Array | null, rows: Uint32Array, out: Uint16Array): void {
  const n = rows.length;
  if (runs === null) {
    const src = srcs[0];
    for (let i = 0; i < n; i++) out[i] = src[rows[i]];
  } else for (let i = 0; i < n; i++) out[i] = srcs[runs[i]][rows[i]];
}

function gather32(srcs: Int32Array[], runs: Uint16Array | null, rows: Uint32Array, out: Int32Array): void {
  const n = rows.length;
  if (runs === null) {
    const src = srcs[0];
    for (let i = 0; i < n; i++) out[i] = src[rows[i]];
  } else for (let i = 0; i < n; i++) out[i] = srcs[runs[i]][rows[i]];
}

/** A new column of the rows `idx` of `col`, in that order. */
export function gatherColumn(col: Column, idx: Uint32Array): Column {
  const n = idx.length;
  let validity: Uint8Array | null = null;
  if (col.validity !== null) {
    validity = new Uint8Array(n);
    const src = col.validity;
    for (let i = 0; i < n; i++) validity[i] = src[idx[i]];
  }
  const d = col.data;
  let data: ColumnData;
  if (isVar(d)) {
    const offsets = new Int32Array(n + 1);
    let size = 0;
    for (let i = 0; i < n; i++) {
      const r = idx[i];
      size += d.offsets[r + 1] - d.offsets[r];
      offsets[i + 1] = size;
    }
    const bytes = Buffer.allocUnsafe(size);
    const src = d.bytes;
    for (let i = 0; i < n; i++) {
      const r = idx[i];
      const s = d.offsets[r];
      const len = d.offsets[r + 1] - s;
      const o = offsets[i];
      if (len < 16) for (let k = 0; k < len; k++) bytes[o + k] = src[s + k];
      else bytes.set(src.subarray(s, s + len), o);
    }
    data = { offsets, bytes };
  } else if (Array.isArray(d)) {
    data = Array.from(idx, (r) => d[r]);
  } else if (d instanceof BigInt64Array || d instanceof Float64Array) {
    data = gather64([d], null, idx, d instanceof BigInt64Array);
  } else {
    data = gatherFixed([d as Int32Array], null, idx);
  }
  return { type: col.type, length: n, data, validity };
}

/**
 * Row `rows[i]` of column `cols[runs[i]]` for each i: a merge's output gathered straight from its
 * input runs, without concatenating them first.
 */
export function gatherRuns(cols: readonly Column[], runs: Uint16Array, rows: Uint32Array): Column {
  if (cols.length === 1) return gatherColumn(cols[0], rows);
  const n = rows.length;
  const type = cols[0].type;
  let validity: Uint8Array | null = null;
  if (cols.some((c) => c.validity !== null)) {
    validity = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const v = cols[runs[i]].validity;
      validity[i] = v === null ? 1 : v[rows[i]];
    }
  }
  const d0 = cols[0].data;
  let data: ColumnData;
  if (isVar(d0)) {
    const srcs = cols.map((c) => c.data as VarBytes);
    const offsets = new Int32Array(n + 1);
    let size = 0;
    for (let i = 0; i < n; i++) {
      const o = srcs[runs[i]].offsets;
      const r = rows[i];
      size += o[r + 1] - o[r];
      offsets[i + 1] = size;
    }
    const bytes = Buffer.allocUnsafe(size);
    for (let i = 0; i < n; i++) {
      const src = srcs[runs[i]];
      const r = rows[i];
      const s = src.offsets[r];
      const len = src.offsets[r + 1] - s;
      const o = offsets[i];
      if (len < 16) for (let k = 0; k < len; k++) bytes[o + k] = src.bytes[s + k];
      else bytes.set(src.bytes.subarray(s, s + len), o);
    }
    data = { offsets, bytes };
  } else if (Array.isArray(d0)) {
    data = Array.from(rows, (r, i) => (cols[runs[i]].data as bigint[])[r]);
  } else if (d0 instanceof BigInt64Array || d0 instanceof Float64Array) {
    data = gather64(
      cols.map((c) => c.data as BigInt64Array | Float64Array),
      runs,
      rows,
      d0 instanceof BigInt64Array,
    );
  } else {
    data = gatherFixed(
      cols.map((c) => c.data as Int32Array),
      runs,
      rows,
    );
  }
  return { type, length: n, data, validity };
}

/** Concatenates columns of one type. */
export function concatColumns(cols: readonly Column[]): Column {
  if (cols.length === 1) return cols[0];
  const type = cols[0].type;
  let n = 0;
  for (const c of cols) n += c.length;
  let validity: Uint8Array | null = null;
  if (cols.some((c) => c.validity !== null)) {
    validity = new Uint8Array(n).fill(1);
    let o = 0;
    for (const c of cols) {
      if (c.validity !== null) validity.set(c.validity.subarray(0, c.length), o);
      o += c.length;
    }
  }
  const d0 = cols[0].data;
  let data: ColumnData;
  if (isVar(d0)) {
    let size = 0;
    for (const c of cols) {
      const d = c.data as VarBytes;
      size += d.offsets[c.length] - d.offsets[0];
    }
    const offsets = new Int32Array(n + 1);
    const bytes = Buffer.allocUnsafe(size);
    let row = 0;
    let pos = 0;
    for (const c of cols) {
      const d = c.data as VarBytes;
      const base = d.offsets[0];
      for (let i = 1; i <= c.length; i++) offsets[row + i] = pos + d.offsets[i] - base;
      bytes.set(d.bytes.subarray(base, d.offsets[c.length]), pos);
      pos += d.offsets[c.length] - base;
      row += c.length;
    }
    data = { offsets, bytes };
  } else if (Array.isArray(d0)) {
    data = cols.flatMap((c) => (c.data as bigint[]).slice(0, c.length));
  } else {
    const Ctor = (d0 as Int32Array).constructor as new (n: number) => Int32Array;
    const out = new Ctor(n);
    let o = 0;
    for (const c of cols) {
      out.set((c.data as Int32Array).subarray(0, c.length), o);
      o += c.length;
    }
    data = out as ColumnData;
  }
  return { type, length: n, data, validity };
}

// ---------------------------------------------------------------------------------------------
// Building

type FixedArray = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array | BigInt64Array;

function newFixed(type: DataType, capacity: number): FixedArray | bigint[] | null {
  switch (type.root) {
    case 'BOOLEAN':
      return new Uint8Array(capacity);
    case 'TINYINT':
      return new Int8Array(capacity);
    case 'SMALLINT':
      return new Int16Array(capacity);
    case 'INT':
    case 'DATE':
      return new Int32Array(capacity);
    case 'FLOAT':
      return new Float32Array(capacity);
    case 'DOUBLE':
      return new Float64Array(capacity);
    case 'BIGINT':
    case 'TIMESTAMP':
    case 'TIMESTAMP_LTZ':
      return new BigInt64Array(capacity);
    case 'DECIMAL':
      return type.precision <= 18 ? new BigInt64Array(capacity) : [];
    default:
      return null;
  }
}

const INITIAL_CAPACITY = 256;

/**
 * Appends values of one column into growable typed buffers. Values are validated on the way in;
 * `truncate` rolls back a partly appended row. `finish` hands the buffers over and starts afresh,
 * so rows appended while a flush is in flight never alias the flushed data.
 */
export class ColumnBuilder {
  private fixed: FixedArray | bigint[] | null;
  private offsets: Int32Array | null = null;
  private bytes: Buffer | null = null;
  private validity: Uint8Array | null = null;
  private n = 0;
  private capacity = INITIAL_CAPACITY;
  private readonly isString: boolean;
  private readonly where: string;

  constructor(
    readonly type: DataType,
    readonly name: string,
  ) {
    this.fixed = newFixed(type, this.capacity);
    this.isString = type.root === 'CHAR' || type.root === 'VARCHAR';
    this.where = name;
    if (this.fixed === null) this.initVar();
  }

  private initVar(): void {
    this.offsets = new Int32Array(this.capacity + 1);
    this.bytes = Buffer.allocUnsafe(4096);
  }

  get length(): number {
    return this.n;
  }

  /**
   * Bytes held (for the shared write buffer): what is allocated — capacity grows by doubling, so
   * counting only the rows appended would let a full buffer hold up to twice its budget.
   */
  get byteSize(): number {
    let b = this.validity === null ? 0 : this.validity.byteLength;
    if (this.fixed !== null) b += Array.isArray(this.fixed) ? this.n * 24 : this.fixed.byteLength;
    else b += this.offsets!.byteLength + this.bytes!.length;
    return b;
  }

  /** Appends a public JS value; `rowNumber` names the row in errors. */
  append(value: unknown, rowNumber: number): void {
    const t = this.type;
    // Fast paths for the common cases; everything else goes through toInternalValue.
    if (typeof value === 'string' && this.isString && value.length <= (t as { length: number }).length) {
      this.appendString(value);
      return;
    }
    if (typeof value === 'number' && (t.root === 'DOUBLE' || (t.root === 'INT' && (value | 0) === value))) {
      this.ensure();
      (this.fixed as Float64Array)[this.n] = value;
      this.setValid();
      return;
    }
    if (typeof value === 'bigint' && t.root === 'BIGINT' && value >= I64_MIN && value <= I64_MAX) {
      this.ensure();
      (this.fixed as BigInt64Array)[this.n] = value;
      this.setValid();
      return;
    }
    this.appendInternal(toInternalValue(t, value, `row ${rowNumber}, column '${this.where}'`));
  }

  /** Appends an already validated internal value. */
  appendInternal(v: InternalValue): void {
    if (v === null) {
      this.ensure();
      if (this.validity === null) {
        this.validity = new Uint8Array(this.capacity);
        this.validity.fill(1, 0, this.n);
      }
      this.validity[this.n] = 0;
      if (this.fixed === null) this.offsets![this.n + 1] = this.offsets![this.n];
      else if (Array.isArray(this.fixed)) this.fixed[this.n] = 0n;
      else if (this.fixed instanceof BigInt64Array) this.fixed[this.n] = 0n;
      else this.fixed[this.n] = 0;
      this.n++;
      return;
    }
    if (this.fixed === null) {
      if (typeof v === 'string') this.appendString(v);
      else this.appendBytes(v as Uint8Array);
      return;
    }
    this.ensure();
    if (Array.isArray(this.fixed)) this.fixed[this.n] = v as bigint;
    else if (this.fixed instanceof BigInt64Array) this.fixed[this.n] = v as bigint;
    else this.fixed[this.n] = typeof v === 'boolean' ? (v ? 1 : 0) : (v as number);
    this.setValid();
  }

  private setValid(): void {
    if (this.validity !== null) this.validity[this.n] = 1;
    this.n++;
  }

  private appendString(s: string): void {
    this.ensure();
    const offsets = this.offsets!;
    let pos = offsets[this.n];
    // Worst case 3 bytes per UTF-16 unit.
    const need = pos + s.length * 3;
    if (need > this.bytes!.length) this.growBytes(need);
    const bytes = this.bytes!;
    let ascii = s.length <= 32;
    if (ascii) {
      for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i);
        if (c > 0x7f) {
          ascii = false;
          break;
        }
        bytes[pos + i] = c;
      }
    }
    pos += ascii ? s.length : bytes.utf8Write(s, pos);
    offsets[this.n + 1] = pos;
    this.setValid();
  }

  private appendBytes(b: Uint8Array): void {
    this.ensure();
    const offsets = this.offsets!;
    const pos = offsets[this.n];
    if (pos + b.length > this.bytes!.length) this.growBytes(pos + b.length);
    this.bytes!.set(b, pos);
    offsets[this.n + 1] = pos + b.length;
    this.setValid();
  }

  private growBytes(need: number): void {
    const next = Buffer.allocUnsafe(Math.max(need, this.bytes!.length * 2));
    this.bytes!.copy(next, 0, 0, this.offsets![this.n]);
    this.bytes = next;
  }

  private ensure(): void {
    if (this.n < this.capacity) return;
    const cap = this.capacity * 2;
    if (this.fixed !== null && !Array.isArray(this.fixed)) {
      const Ctor = this.fixed.constructor as new (n: number) => Int32Array;
      const next = new Ctor(cap);
      next.set(this.fixed as Int32Array);
      this.fixed = next as unknown as FixedArray;
    }
    if (this.offsets !== null) {
      const next = new Int32Array(cap + 1);
      next.set(this.offsets);
      this.offsets = next;
    }
    if (this.validity !== null) {
      const next = new Uint8Array(cap);
      next.set(this.validity);
      this.validity = next;
    }
    this.capacity = cap;
  }

  /** Drops rows at and after `rows` (rolls back a partly appended row). */
  truncate(rows: number): void {
    if (rows < this.n) this.n = rows;
  }

  /** The appended rows as a Column; the builder starts empty again. */
  finish(): Column {
    const n = this.n;
    let data: ColumnData;
    if (this.fixed === null)
      data = { offsets: this.offsets!.subarray(0, n + 1), bytes: this.bytes!.subarray(0, this.offsets![n]) };
    else data = Array.isArray(this.fixed) ? this.fixed.slice(0, n) : (this.fixed.subarray(0, n) as ColumnData);
    let validity: Uint8Array | null = null;
    if (this.validity !== null) {
      validity = this.validity.subarray(0, n);
      if (validity.every((v) => v === 1)) validity = null;
    }
    const col: Column = { type: this.type, length: n, data, validity };
    this.reset();
    return col;
  }

  /** Empties the builder (new buffers: a finished Column keeps its own). */
  reset(): void {
    this.n = 0;
    this.capacity = INITIAL_CAPACITY;
    this.validity = null;
    this.fixed = newFixed(this.type, this.capacity);
    if (this.fixed === null) this.initVar();
  }
}

declare global {
  interface Buffer {
    utf8Write(s: string, offset: number): number;
  }
}

export { encoder as utf8Encoder };
