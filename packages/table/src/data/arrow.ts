import * as arrow from 'apache-arrow';
import type { DataField, DataType } from '../types/data-types.ts';
import { EddyError } from '../types/errors.ts';
import { type Column, type ColumnData, concatColumns, floatData, gatherColumn, type VarBytes } from './columns.ts';

/** Arrow field metadata key that arrow-rs (parquet-wasm) turns into the Parquet field id. */
export const PARQUET_FIELD_ID = 'PARQUET:field_id';

/** The Arrow type Eddy uses for a Paimon type (and so the Parquet type written). */
export function arrowType(t: DataType): arrow.DataType {
  switch (t.root) {
    case 'BOOLEAN':
      return new arrow.Bool();
    case 'TINYINT':
      return new arrow.Int8();
    case 'SMALLINT':
      return new arrow.Int16();
    case 'INT':
      return new arrow.Int32();
    case 'BIGINT':
      return new arrow.Int64();
    case 'FLOAT':
      return new arrow.Float32();
    case 'DOUBLE':
      return new arrow.Float64();
    case 'DATE':
      return new arrow.DateDay();
    case 'CHAR':
    case 'VARCHAR':
      return new arrow.Utf8();
    case 'BINARY':
    case 'VARBINARY':
      return new arrow.Binary();
    case 'DECIMAL':
      return new arrow.Decimal(t.scale, t.precision, 128);
    case 'TIMESTAMP':
    case 'TIMESTAMP_LTZ': {
      // Paimon: p ≤ 3 as millis, else micros; LTZ is "adjusted to UTC" (a zone on the Arrow type).
      const unit = t.precision <= 3 ? arrow.TimeUnit.MILLISECOND : arrow.TimeUnit.MICROSECOND;
      return new arrow.Timestamp(unit, t.root === 'TIMESTAMP_LTZ' ? 'UTC' : null);
    }
  }
}

export function arrowField(field: DataField, nullable: boolean = field.type.nullable): arrow.Field {
  return new arrow.Field(field.name, arrowType(field.type), nullable, new Map([[PARQUET_FIELD_ID, String(field.id)]]));
}

function packBits(bytes: Uint8Array, n: number): Uint8Array {
  const out = new Uint8Array((n + 7) >> 3);
  for (let i = 0; i < n; i++) if (bytes[i] !== 0) out[i >> 3] |= 1 << (i & 7);
  return out;
}

function unpackBits(bits: Uint8Array, offset: number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const j = offset + i;
    out[i] = (bits[j >> 3] >> (j & 7)) & 1;
  }
  return out;
}

/** Arrow Data for a column (no copies for fixed-width numbers and strings). */
export function columnToArrow(col: Column, type: arrow.DataType = arrowType(col.type)): arrow.Data {
  const n = col.length;
  let nullCount = 0;
  let nullBitmap: Uint8Array | undefined;
  if (col.validity !== null) {
    for (let i = 0; i < n; i++) if (col.validity[i] === 0) nullCount++;
    if (nullCount > 0) nullBitmap = packBits(col.validity, n);
  }
  const d = col.data;
  const t = col.type;
  const base = { type, length: n, nullCount, nullBitmap } as const;
  switch (t.root) {
    case 'BOOLEAN':
      return arrow.makeData({ ...base, type: type as arrow.Bool, data: packBits(d as Uint8Array, n) });
    case 'CHAR':
    case 'VARCHAR':
    case 'BINARY':
    case 'VARBINARY': {
      const v = d as VarBytes;
      let offsets = v.offsets.subarray(0, n + 1);
      if (offsets[0] !== 0) offsets = offsets.map((o) => o - v.offsets[0]);
      const bytes = v.bytes.subarray(v.offsets[0], v.offsets[n]);
      return arrow.makeData({ ...base, type: type as arrow.Utf8, valueOffsets: offsets, data: bytes });
    }
    case 'DECIMAL': {
      const words = new Uint32Array(n * 4);
      const view = new DataView(words.buffer);
      for (let i = 0; i < n; i++) {
        const u = (d as ArrayLike<bigint>)[i];
        view.setBigUint64(i * 16, BigInt.asUintN(64, u), true);
        view.setBigInt64(i * 16 + 8, BigInt.asIntN(64, u >> 64n), true);
      }
      return arrow.makeData({ ...base, type: type as arrow.Decimal, data: words });
    }
    case 'TIMESTAMP':
    case 'TIMESTAMP_LTZ': {
      let micros = (d as BigInt64Array).subarray(0, n);
      if (t.precision <= 3) {
        const ms = new BigInt64Array(n);
        for (let i = 0; i < n; i++) ms[i] = micros[i] / 1000n;
        micros = ms;
      }
      return arrow.makeData({ ...base, type: type as arrow.Timestamp, data: micros as never });
    }
    default:
      return arrow.makeData({ ...base, type: type as arrow.Int32, data: (d as Int32Array).subarray(0, n) });
  }
}

/** One RecordBatch of columns (all of the same length). */
export function makeRecordBatch(fields: readonly arrow.Field[], cols: readonly Column[]): arrow.RecordBatch {
  const n = cols.length > 0 ? cols[0].length : 0;
  const children = cols.map((c, i) => columnToArrow(c, fields[i].type));
  const schema = new arrow.Schema([...fields]);
  const struct = arrow.makeData({ type: new arrow.Struct(schema.fields), length: n, nullCount: 0, children });
  return new arrow.RecordBatch(schema, struct);
}

const MICROS_PER: Record<number, bigint> = {
  [arrow.TimeUnit.SECOND]: 1_000_000n,
  [arrow.TimeUnit.MILLISECOND]: 1000n,
  [arrow.TimeUnit.MICROSECOND]: 1n,
};

/** Converts an Arrow vector (any number of chunks) to a Column of Paimon type `type`. */
export function arrowToColumn(vector: arrow.Vector | arrow.Data, type: DataType): Column {
  const chunks = vector instanceof arrow.Vector ? vector.data : [vector];
  if (chunks.length === 1) return dataToColumn(chunks[0], type);
  const parts = chunks.map((c) => dataToColumn(c, type));
  return concat(parts, type);
}

function concat(parts: Column[], type: DataType): Column {
  if (parts.length === 0) return { type, length: 0, data: new Int32Array(0), validity: null };
  return concatColumns(parts);
}

function dataToColumn(data: arrow.Data, type: DataType): Column {
  const n = data.length;
  const off = data.offset;
  const validity = data.nullCount > 0 && data.nullBitmap ? unpackBits(data.nullBitmap, off, n) : null;
  const at = data.type as arrow.DataType;
  const where = () => `an Arrow ${at} column read as ${type.root}`;
  let out: ColumnData;
  if (arrow.DataType.isDictionary(at)) {
    return fromDictionary(data, type, validity);
  }
  switch (type.root) {
    case 'BOOLEAN':
      if (!arrow.DataType.isBool(at)) throw mismatch(where());
      out = unpackBits(data.values as Uint8Array, off, n);
      break;
    case 'TINYINT':
      out = toIntArray(data, Int8Array, where);
      break;
    case 'SMALLINT':
      out = toIntArray(data, Int16Array, where);
      break;
    case 'INT':
    case 'DATE':
      out = toIntArray(data, Int32Array, where);
      break;
    case 'BIGINT':
      if (!arrow.DataType.isInt(at)) throw mismatch(where());
      out =
        at.bitWidth === 64
          ? (data.values as BigInt64Array).subarray(off, off + n)
          : BigInt64Array.from((data.values as Int32Array).subarray(off, off + n), (v) => BigInt(v));
      break;
    case 'FLOAT':
    case 'DOUBLE': {
      if (!arrow.DataType.isFloat(at)) throw mismatch(where());
      const v = (data.values as Float64Array).subarray(off, off + n);
      out = floatData(type.root, v);
      break;
    }
    case 'CHAR':
    case 'VARCHAR':
    case 'BINARY':
    case 'VARBINARY': {
      if (
        !(
          arrow.DataType.isUtf8(at) ||
          arrow.DataType.isBinary(at) ||
          arrow.DataType.isLargeUtf8(at) ||
          arrow.DataType.isLargeBinary(at)
        )
      )
        throw mismatch(where());
      const vo = data.valueOffsets as Int32Array | BigInt64Array;
      const offsets =
        vo instanceof Int32Array
          ? vo.subarray(off, off + n + 1)
          : Int32Array.from(vo.subarray(off, off + n + 1), (x) => Number(x));
      const values = data.values as Uint8Array;
      out = { offsets, bytes: Buffer.from(values.buffer, values.byteOffset, values.byteLength) };
      break;
    }
    case 'DECIMAL': {
      if (!arrow.DataType.isDecimal(at)) {
        if (arrow.DataType.isInt(at)) {
          // Parquet INT32/INT64 decimals read back without the logical type: the values are unscaled.
          const ints = toIntArray(data, BigInt64Array, where);
          out = type.precision <= 18 ? ints : Array.from(ints);
          break;
        }
        throw mismatch(where());
      }
      const words = data.values as Uint32Array;
      const stride = at.bitWidth / 32;
      const view = new DataView(words.buffer, words.byteOffset, words.byteLength);
      const small = type.precision <= 18;
      const arr: BigInt64Array | bigint[] = small ? new BigInt64Array(n) : new Array<bigint>(n);
      for (let i = 0; i < n; i++) {
        const b = (off + i) * stride * 4;
        const lo = view.getBigUint64(b, true);
        const hi = stride >= 4 ? view.getBigInt64(b + 8, true) : 0n;
        arr[i] = small ? BigInt.asIntN(64, lo) : (hi << 64n) | lo;
      }
      out = arr;
      break;
    }
    case 'TIMESTAMP':
    case 'TIMESTAMP_LTZ': {
      if (!arrow.DataType.isTimestamp(at)) throw mismatch(where());
      if (at.unit === arrow.TimeUnit.NANOSECOND) {
        throw new EddyError('UNSUPPORTED', `${where()}: nanosecond timestamps (TIMESTAMP(7..9)) are not supported`);
      }
      const raw = (data.values as BigInt64Array).subarray(off, off + n);
      const mul = MICROS_PER[at.unit];
      if (mul === 1n) out = raw;
      else {
        const m = new BigInt64Array(n);
        for (let i = 0; i < n; i++) m[i] = raw[i] * mul;
        out = m;
      }
      break;
    }
  }
  return { type, length: n, data: out, validity };
}

type IntCtor = Int8ArrayConstructor | Int16ArrayConstructor | Int32ArrayConstructor | BigInt64ArrayConstructor;

function toIntArray<C extends IntCtor>(data: arrow.Data, Ctor: C, where: () => string): InstanceType<C> {
  const at = data.type as arrow.DataType;
  if (!(arrow.DataType.isInt(at) || arrow.DataType.isDate(at))) throw mismatch(where());
  const off = data.offset;
  const n = data.length;
  const v = (data.values as Int32Array).subarray(off, off + n);
  if (v.constructor === Ctor) return v as unknown as InstanceType<C>;
  if (Ctor === BigInt64Array) return BigInt64Array.from(v as Int32Array, (x) => BigInt(x)) as InstanceType<C>;
  if (v instanceof BigInt64Array) return (Ctor as Int32ArrayConstructor).from(v, (x) => Number(x)) as InstanceType<C>;
  return (Ctor as Int32ArrayConstructor).from(v) as InstanceType<C>;
}

function mismatch(what: string): EddyError {
  return new EddyError('CORRUPT_FILE', `type mismatch: ${what}`);
}

/** Dictionary-encoded input (e.g. Arrow IPC): decode the dictionary once, then gather by index. */
function fromDictionary(data: arrow.Data, type: DataType, validity: Uint8Array | null): Column {
  const dict = data.dictionary;
  if (!dict) throw mismatch('a dictionary column without its dictionary');
  const values = arrowToColumn(dict, type);
  const raw = (data.values as Int32Array).subarray(data.offset, data.offset + data.length);
  const idx = Uint32Array.from(raw as ArrayLike<number>, (x, i) =>
    validity !== null && validity[i] === 0 ? 0 : Number(x),
  );
  return { ...gatherColumn(values, idx), validity };
}
