import type { DataType } from '../types/data-types.ts';
import { EddyError } from '../types/errors.ts';
import { type Column, type ColumnData, floatData } from './columns.ts';

/**
 * A decoded column as a Parquet worker hands it over (format/parquet-worker.cjs): buffers of its
 * own, moved to this thread without a copy, already in Column's layout where the two agree (one
 * byte per row for validity and booleans, offsets from 0 for strings). `format` is the Arrow C
 * data interface format string: `c` `s` `i` `l` (8..64-bit signed integers), `f` `g` (float,
 * double), `tdD` (date32), `ts{s,m,u}:<zone>` (timestamps), `d:P,S` (decimal128), `b` (boolean),
 * `u` `z` (UTF-8, binary).
 */
export interface RawColumn {
  readonly name: string;
  readonly format: string;
  readonly length: number;
  /** One byte per row, 0 = null; null when no row is. */
  readonly validity: Uint8Array | null;
  readonly data: Uint8Array;
  /** `u` and `z`: length + 1 offsets into `data`, the first 0. */
  readonly offsets?: Int32Array;
}

/** Rows of a decode job, a column per file column read. */
export interface RawBatch {
  /** Rows handed over (those a decode job's `drop` left out are not). */
  readonly rows: number;
  /** Rows decoded, when a `drop` left some out. */
  readonly read?: number;
  readonly columns: readonly RawColumn[];
}

export interface RawColumns {
  readonly batches: readonly RawBatch[];
}

const MICROS_PER: Record<string, bigint> = { s: 1_000_000n, m: 1000n, u: 1n };

type IntArray = Int8Array | Int16Array | Int32Array | BigInt64Array;

/** An integer (or date32) raw column's values as the typed array of its width; undefined if it is not one. */
function rawInts(c: RawColumn): IntArray | undefined {
  const b = c.data.buffer;
  const o = c.data.byteOffset;
  switch (c.format) {
    case 'c':
      return new Int8Array(b, o, c.length);
    case 's':
      return new Int16Array(b, o, c.length);
    case 'i':
    case 'tdD':
      return new Int32Array(b, o, c.length);
    case 'l':
      return new BigInt64Array(b, o, c.length);
    default:
      return undefined;
  }
}

/** Integers in the width `Ctor` makes (a view when they already are; converted otherwise, as arrowToColumn does). */
function asInts<
  C extends Int8ArrayConstructor | Int16ArrayConstructor | Int32ArrayConstructor | BigInt64ArrayConstructor,
>(v: IntArray, Ctor: C): InstanceType<C> {
  if (v.constructor === Ctor) return v as InstanceType<C>;
  if (Ctor === BigInt64Array) return BigInt64Array.from(v as Int32Array, (x) => BigInt(x)) as InstanceType<C>;
  if (v instanceof BigInt64Array) return (Ctor as Int32ArrayConstructor).from(v, (x) => Number(x)) as InstanceType<C>;
  return (Ctor as Int32ArrayConstructor).from(v as Int32Array) as InstanceType<C>;
}

/**
 * A raw column as a Column of Paimon type `type`: views over the moved buffers for the types whose
 * layouts agree, the same conversions as arrowToColumn (data/arrow.ts) otherwise. A format that
 * does not fit the type is a corrupt file.
 */
export function rawToColumn(c: RawColumn, type: DataType): Column {
  const n = c.length;
  const f = c.format;
  const mismatch = () => new EddyError('CORRUPT_FILE', `type mismatch: an Arrow '${f}' column read as ${type.root}`);
  const ints = rawInts(c);
  let out: ColumnData;
  switch (type.root) {
    case 'BOOLEAN':
      if (f !== 'b') throw mismatch();
      out = c.data;
      break;
    case 'TINYINT':
      if (!ints) throw mismatch();
      out = asInts(ints, Int8Array);
      break;
    case 'SMALLINT':
      if (!ints) throw mismatch();
      out = asInts(ints, Int16Array);
      break;
    case 'INT':
    case 'DATE':
      if (!ints) throw mismatch();
      out = asInts(ints, Int32Array);
      break;
    case 'BIGINT':
      if (!ints || f === 'tdD') throw mismatch();
      out = asInts(ints, BigInt64Array);
      break;
    case 'FLOAT':
    case 'DOUBLE': {
      if (f !== 'f' && f !== 'g') throw mismatch();
      const v =
        f === 'f'
          ? new Float32Array(c.data.buffer, c.data.byteOffset, n)
          : new Float64Array(c.data.buffer, c.data.byteOffset, n);
      out = floatData(type.root, v);
      break;
    }
    case 'CHAR':
    case 'VARCHAR':
    case 'BINARY':
    case 'VARBINARY':
      if ((f !== 'u' && f !== 'z') || !c.offsets) throw mismatch();
      out = { offsets: c.offsets, bytes: Buffer.from(c.data.buffer, c.data.byteOffset, c.data.byteLength) };
      break;
    case 'DECIMAL': {
      if (/^d:\d+,\d+$/.test(f)) {
        // decimal128: 16 bytes per value, little-endian two's complement (unscaled).
        const view = new DataView(c.data.buffer, c.data.byteOffset, c.data.byteLength);
        const small = type.precision <= 18;
        const arr: BigInt64Array | bigint[] = small ? new BigInt64Array(n) : new Array<bigint>(n);
        for (let i = 0; i < n; i++) {
          const lo = view.getBigUint64(i * 16, true);
          arr[i] = small ? BigInt.asIntN(64, lo) : (view.getBigInt64(i * 16 + 8, true) << 64n) | lo;
        }
        out = arr;
        break;
      }
      // Parquet INT32/INT64 decimals read back without the logical type: the values are unscaled.
      if (!ints || f === 'tdD') throw mismatch();
      const unscaled = asInts(ints, BigInt64Array);
      out = type.precision <= 18 ? unscaled : Array.from(unscaled);
      break;
    }
    case 'TIMESTAMP':
    case 'TIMESTAMP_LTZ': {
      const unit = /^ts([smu]):/.exec(f)?.[1];
      if (unit === undefined) throw mismatch();
      const raw = new BigInt64Array(c.data.buffer, c.data.byteOffset, n);
      const mul = MICROS_PER[unit];
      if (mul === 1n) out = raw;
      else {
        const m = new BigInt64Array(n);
        for (let i = 0; i < n; i++) m[i] = raw[i] * mul;
        out = m;
      }
      break;
    }
  }
  return { type, length: n, data: out, validity: c.validity };
}
