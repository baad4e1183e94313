/**
 * Paimon's BinaryRow: the byte layout used for partition values, min/max keys, stats rows and as
 * the input of the fixed-bucket hash. Byte-exactness matters (the bucket hash runs over these bytes).
 *
 * Layout (one buffer; all multi-byte values little-endian, as Java's MemorySegment on x86):
 *
 *   [ null bits: W bytes ][ fixed slots: 8 bytes x arity ][ variable part, 8-byte words ]
 *   W = floor((arity + 63 + 8) / 64) * 8; byte 0 = row kind; field i's null bit = bit i + 8.
 *
 * Verified against apache/paimon (master 5dacde51): BinaryRow.java, BinaryRowWriter.java,
 * AbstractBinaryWriter.java (writeBytesToFixLenPart, writeDecimal, writeTimestamp,
 * roundNumberOfBytesToNearestWord), RowHelper.java and codegen GenerateUtils.binaryWriterWriteNull
 * (a NULL non-compact DECIMAL / TIMESTAMP still reserves its 16 / 8 variable bytes and keeps
 * `offset << 32` in the slot), MemorySegmentUtils.readBinary/readBinaryString/readDecimal/
 * readTimestampData, Decimal.isCompact (precision <= 18), Timestamp.isCompact (precision <= 3),
 * BinaryString.encodeUTF8 (lone surrogates become '?', like the JDK), and
 * SerializationUtils.serializeBinaryRow (4-byte big-endian arity + row bytes).
 */
import type { DataType } from '../types/data-types.ts';
import { formatDataType } from '../types/data-types.ts';
import { EddyError } from '../types/errors.ts';
import type { InternalValue } from '../types/internal.ts';

const HEADER_SIZE_IN_BITS = 8;
/** Strings / binaries up to this many bytes are stored inside their 8-byte slot. */
const MAX_FIX_PART_DATA_SIZE = 7;
const MAX_COMPACT_DECIMAL_PRECISION = 18;
const MAX_COMPACT_TIMESTAMP_PRECISION = 3;

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

/** Width of the header + null-bit region, in bytes (BinaryRow.calculateBitSetWidthInBytes). */
export function nullBitsSizeInBytes(arity: number): number {
  return Math.floor((arity + 63 + HEADER_SIZE_IN_BITS) / 64) * 8;
}

/** Size of the fixed-length part (null bits + slots), in bytes. */
export function fixedPartSize(arity: number): number {
  return nullBitsSizeInBytes(arity) + 8 * arity;
}

export const isCompactDecimal = (precision: number): boolean => precision <= MAX_COMPACT_DECIMAL_PRECISION;
export const isCompactTimestamp = (precision: number): boolean => precision <= MAX_COMPACT_TIMESTAMP_PRECISION;

const roundToWord = (n: number): number => (n + 7) & ~7;

// ------------------------------------------------------------------------------------------------
// UTF-8 the way Java's String.getBytes(UTF_8) does it: lone surrogates become '?'.

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8');

export function javaUtf8(s: string): Uint8Array {
  return encoder.encode(s.replace(LONE_SURROGATE, '?'));
}

// ------------------------------------------------------------------------------------------------
// Big integers <-> Java BigInteger.toByteArray (big-endian two's complement, minimal length).

function bigIntToBytes(v: bigint): Uint8Array {
  let n = 1;
  while (v < -(1n << BigInt(8 * n - 1)) || v >= 1n << BigInt(8 * n - 1)) n++;
  const out = new Uint8Array(n);
  let x = BigInt.asUintN(8 * n, v);
  for (let i = n - 1; i >= 0; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

function bytesToBigInt(bytes: Uint8Array): bigint {
  let x = 0n;
  for (const b of bytes) x = (x << 8n) | BigInt(b);
  if (bytes.length > 0 && (bytes[0] & 0x80) !== 0) x -= 1n << BigInt(8 * bytes.length);
  return x;
}

const floorDiv = (a: bigint, b: bigint): bigint => {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
};

// ------------------------------------------------------------------------------------------------
// Value checks (the API edge converts user values; these catch internal mistakes early).

function bad(i: number, t: DataType, what: string, v: unknown): EddyError {
  const shown = typeof v === 'bigint' ? `${v}n` : typeof v === 'string' ? JSON.stringify(v) : String(v);
  return new EddyError(
    'INVALID_ARGUMENT',
    `BinaryRow field ${i} (${formatDataType(t)}): expected ${what}, got ${shown}`,
  );
}

function intValue(i: number, t: DataType, v: InternalValue, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw bad(i, t, `an integer in ${min}..${max}`, v);
  }
  return v;
}

function longValue(i: number, t: DataType, v: InternalValue): bigint {
  let b: bigint;
  if (typeof v === 'bigint') b = v;
  else if (typeof v === 'number' && Number.isSafeInteger(v)) b = BigInt(v);
  else throw bad(i, t, 'a bigint', v);
  if (b < INT64_MIN || b > INT64_MAX) throw bad(i, t, 'a 64-bit integer', v);
  return b;
}

function stringBytes(i: number, t: DataType, v: InternalValue): Uint8Array {
  if (typeof v !== 'string') throw bad(i, t, 'a string', v);
  return javaUtf8(v);
}

function binaryBytes(i: number, t: DataType, v: InternalValue): Uint8Array {
  if (!(v instanceof Uint8Array)) throw bad(i, t, 'a Uint8Array', v);
  return v;
}

/** The unscaled value of a DECIMAL(p, s), checked to have at most p digits. */
function decimalValue(i: number, t: DataType & { root: 'DECIMAL' }, v: InternalValue): bigint {
  const unscaled = typeof v === 'bigint' ? v : typeof v === 'number' && Number.isSafeInteger(v) ? BigInt(v) : undefined;
  if (unscaled === undefined) throw bad(i, t, 'a bigint (unscaled decimal)', v);
  const limit = 10n ** BigInt(t.precision);
  if (unscaled <= -limit || unscaled >= limit)
    throw bad(i, t, `an unscaled value with at most ${t.precision} digits`, v);
  return unscaled;
}

/** Splits microseconds since epoch into Paimon's (epoch millis, nano of millisecond). */
function splitMicros(i: number, t: DataType, v: InternalValue): { millis: bigint; nanoOfMilli: number } {
  const micros = typeof v === 'bigint' ? v : typeof v === 'number' && Number.isSafeInteger(v) ? BigInt(v) : undefined;
  if (micros === undefined) throw bad(i, t, 'a bigint (microseconds since epoch)', v);
  const millis = floorDiv(micros, 1000n);
  if (millis < INT64_MIN || millis > INT64_MAX) throw bad(i, t, 'a timestamp in range', v);
  return { millis, nanoOfMilli: Number(micros - millis * 1000n) * 1000 };
}

// ------------------------------------------------------------------------------------------------
// Encoding

/** What a field contributes to the variable part. */
type VarPart = { kind: 'none' } | { kind: 'bytes'; bytes: Uint8Array } | { kind: 'reserve'; size: number };

const NONE: VarPart = { kind: 'none' };

function planField(i: number, t: DataType, v: InternalValue): VarPart {
  switch (t.root) {
    case 'CHAR':
    case 'VARCHAR':
    case 'BINARY':
    case 'VARBINARY': {
      if (v === null) return NONE;
      return {
        kind: 'bytes',
        bytes: t.root === 'CHAR' || t.root === 'VARCHAR' ? stringBytes(i, t, v) : binaryBytes(i, t, v),
      };
    }
    case 'DECIMAL':
      if (isCompactDecimal(t.precision)) return NONE;
      // 16 bytes are reserved even for NULL (AbstractBinaryWriter.writeDecimal).
      return v === null
        ? { kind: 'reserve', size: 16 }
        : { kind: 'bytes', bytes: bigIntToBytes(decimalValue(i, t, v)) };
    case 'TIMESTAMP':
    case 'TIMESTAMP_LTZ':
      if (isCompactTimestamp(t.precision)) return NONE;
      return { kind: 'reserve', size: 8 };
    default:
      return NONE;
  }
}

function varSize(t: DataType, p: VarPart): number {
  if (p.kind === 'reserve') return p.size;
  if (p.kind === 'none') return 0;
  if (t.root === 'DECIMAL') return 16;
  return p.bytes.length <= MAX_FIX_PART_DATA_SIZE ? 0 : roundToWord(p.bytes.length);
}

/**
 * Encodes values as Paimon BinaryRow bytes (without the serialized arity prefix). `rowKind` is the
 * header byte (0 = +I, 1 = -U, 2 = +U, 3 = -D).
 */
export function encodeBinaryRow(types: readonly DataType[], values: readonly InternalValue[], rowKind = 0): Uint8Array {
  const arity = types.length;
  if (values.length !== arity) {
    throw new EddyError('INVALID_ARGUMENT', `BinaryRow: ${values.length} values for ${arity} types`);
  }
  if (!Number.isInteger(rowKind) || rowKind < 0 || rowKind > 127) {
    throw new EddyError('INVALID_ARGUMENT', `BinaryRow: invalid row kind ${rowKind}`);
  }
  const plans: VarPart[] = new Array(arity);
  const nullBits = nullBitsSizeInBytes(arity);
  const fixed = nullBits + 8 * arity;
  let total = fixed;
  for (let i = 0; i < arity; i++) {
    plans[i] = planField(i, types[i], values[i]);
    total += varSize(types[i], plans[i]);
  }

  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out[0] = rowKind;
  let cursor = fixed;
  const setOffsetAndSize = (slot: number, offset: number, size: number) => {
    view.setUint32(slot, size, true);
    view.setUint32(slot + 4, offset, true);
  };

  for (let i = 0; i < arity; i++) {
    const t = types[i];
    const v = values[i];
    const slot = nullBits + 8 * i;
    const plan = plans[i];
    if (v === null) {
      out[(i + HEADER_SIZE_IN_BITS) >> 3] |= 1 << ((i + HEADER_SIZE_IN_BITS) & 7);
      if (plan.kind === 'reserve') {
        // Non-compact DECIMAL / TIMESTAMP: the slot keeps the offset, the reserved bytes stay zero.
        setOffsetAndSize(slot, cursor, 0);
        cursor += plan.size;
      }
      continue;
    }
    switch (t.root) {
      case 'BOOLEAN':
        if (typeof v !== 'boolean') throw bad(i, t, 'a boolean', v);
        out[slot] = v ? 1 : 0;
        break;
      case 'TINYINT':
        view.setInt8(slot, intValue(i, t, v, -128, 127));
        break;
      case 'SMALLINT':
        view.setInt16(slot, intValue(i, t, v, -32768, 32767), true);
        break;
      case 'INT':
      case 'DATE':
        view.setInt32(slot, intValue(i, t, v, -2147483648, 2147483647), true);
        break;
      case 'BIGINT':
        view.setBigInt64(slot, longValue(i, t, v), true);
        break;
      case 'FLOAT':
        if (typeof v !== 'number') throw bad(i, t, 'a number', v);
        view.setFloat32(slot, v, true);
        break;
      case 'DOUBLE':
        if (typeof v !== 'number') throw bad(i, t, 'a number', v);
        view.setFloat64(slot, v, true);
        break;
      case 'CHAR':
      case 'VARCHAR':
      case 'BINARY':
      case 'VARBINARY': {
        const bytes = (plan as { bytes: Uint8Array }).bytes;
        if (bytes.length <= MAX_FIX_PART_DATA_SIZE) {
          out.set(bytes, slot);
          out[slot + 7] = 0x80 | bytes.length;
        } else {
          out.set(bytes, cursor);
          setOffsetAndSize(slot, cursor, bytes.length);
          cursor += roundToWord(bytes.length);
        }
        break;
      }
      case 'DECIMAL':
        if (isCompactDecimal(t.precision)) {
          view.setBigInt64(slot, decimalValue(i, t, v), true);
        } else {
          const bytes = (plan as { bytes: Uint8Array }).bytes;
          if (bytes.length > 16) throw bad(i, t, 'an unscaled value of at most 16 bytes', v);
          out.set(bytes, cursor);
          setOffsetAndSize(slot, cursor, bytes.length);
          cursor += 16;
        }
        break;
      case 'TIMESTAMP':
      case 'TIMESTAMP_LTZ': {
        const { millis, nanoOfMilli } = splitMicros(i, t, v);
        if (isCompactTimestamp(t.precision)) {
          view.setBigInt64(slot, millis, true);
        } else {
          view.setBigInt64(cursor, millis, true);
          setOffsetAndSize(slot, cursor, nanoOfMilli);
          cursor += 8;
        }
        break;
      }
      default: {
        const never: never = t;
        throw new EddyError('UNSUPPORTED', `BinaryRow: unsupported type ${formatDataType(never)}`);
      }
    }
  }
  return out;
}

/** SerializationUtils.serializeBinaryRow: 4-byte big-endian arity, then the BinaryRow bytes. */
export function serializeBinaryRow(types: readonly DataType[], values: readonly InternalValue[]): Uint8Array {
  const row = encodeBinaryRow(types, values, 0);
  const out = new Uint8Array(4 + row.length);
  new DataView(out.buffer).setInt32(0, types.length, false);
  out.set(row, 4);
  return out;
}

/** BinaryRow.EMPTY_ROW serialized: arity 0 and 8 zero bytes (12 bytes in all). */
export const EMPTY_SERIALIZED_ROW: Uint8Array = serializeBinaryRow([], []);

// ------------------------------------------------------------------------------------------------
// Decoding

function corrupt(message: string): EddyError {
  return new EddyError('CORRUPT_FILE', `corrupt BinaryRow: ${message}`);
}

/**
 * Decodes the BinaryRow stored at `bytes[offset, offset + length)`. `arity` is the row's field count
 * (defaults to `types.length`). Fields beyond the stored arity decode as null (schema evolution);
 * stored fields beyond `types.length` are ignored.
 */
export function decodeBinaryRow(
  bytes: Uint8Array,
  offset: number,
  length: number,
  types: readonly DataType[],
  arity: number = types.length,
): InternalValue[] {
  if (!Number.isInteger(arity) || arity < 0) throw corrupt(`negative arity ${arity}`);
  if (offset < 0 || length < 0 || offset + length > bytes.length) {
    throw corrupt(`row range ${offset}+${length} outside a buffer of ${bytes.length} bytes`);
  }
  const nullBits = nullBitsSizeInBytes(arity);
  const fixed = nullBits + 8 * arity;
  if (length < fixed)
    throw corrupt(`${length} bytes is shorter than the fixed part (${fixed} bytes) of a row of arity ${arity}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, length);
  const row = bytes.subarray(offset, offset + length);

  const varRange = (i: number, subOffset: number, size: number): Uint8Array => {
    if (subOffset < fixed || size < 0 || subOffset + size > length) {
      throw corrupt(
        `field ${i}: variable part ${subOffset}+${size} outside the row (fixed part ${fixed}, length ${length})`,
      );
    }
    return row.subarray(subOffset, subOffset + size);
  };

  const out: InternalValue[] = new Array(types.length);
  for (let i = 0; i < types.length; i++) {
    if (i >= arity) {
      out[i] = null;
      continue;
    }
    const bit = i + HEADER_SIZE_IN_BITS;
    if ((row[bit >> 3] & (1 << (bit & 7))) !== 0) {
      out[i] = null;
      continue;
    }
    const t = types[i];
    const slot = nullBits + 8 * i;
    switch (t.root) {
      case 'BOOLEAN':
        out[i] = row[slot] !== 0;
        break;
      case 'TINYINT':
        out[i] = view.getInt8(slot);
        break;
      case 'SMALLINT':
        out[i] = view.getInt16(slot, true);
        break;
      case 'INT':
      case 'DATE':
        out[i] = view.getInt32(slot, true);
        break;
      case 'BIGINT':
        out[i] = view.getBigInt64(slot, true);
        break;
      case 'FLOAT':
        out[i] = view.getFloat32(slot, true);
        break;
      case 'DOUBLE':
        out[i] = view.getFloat64(slot, true);
        break;
      case 'CHAR':
      case 'VARCHAR':
      case 'BINARY':
      case 'VARBINARY': {
        const mark = row[slot + 7];
        let data: Uint8Array;
        if ((mark & 0x80) !== 0) {
          const len = mark & 0x7f;
          if (len > MAX_FIX_PART_DATA_SIZE) throw corrupt(`field ${i}: inline length ${len} exceeds 7`);
          data = row.subarray(slot, slot + len);
        } else {
          data = varRange(i, view.getInt32(slot + 4, true), view.getInt32(slot, true));
        }
        out[i] = t.root === 'CHAR' || t.root === 'VARCHAR' ? decoder.decode(data) : data.slice();
        break;
      }
      case 'DECIMAL':
        if (isCompactDecimal(t.precision)) {
          out[i] = view.getBigInt64(slot, true);
        } else {
          const size = view.getInt32(slot, true);
          if (size < 1 || size > 16) throw corrupt(`field ${i}: decimal of ${size} bytes (expected 1..16)`);
          out[i] = bytesToBigInt(varRange(i, view.getInt32(slot + 4, true), size));
        }
        break;
      case 'TIMESTAMP':
      case 'TIMESTAMP_LTZ':
        if (isCompactTimestamp(t.precision)) {
          out[i] = view.getBigInt64(slot, true) * 1000n;
        } else {
          const nanoOfMilli = view.getInt32(slot, true);
          if (nanoOfMilli < 0 || nanoOfMilli > 999_999) {
            throw corrupt(`field ${i}: nano-of-millisecond ${nanoOfMilli} out of range`);
          }
          const sub = varRange(i, view.getInt32(slot + 4, true), 8);
          const millis = new DataView(sub.buffer, sub.byteOffset, 8).getBigInt64(0, true);
          out[i] = millis * 1000n + BigInt(Math.floor(nanoOfMilli / 1000));
        }
        break;
      default: {
        const never: never = t;
        throw new EddyError('UNSUPPORTED', `BinaryRow: unsupported type ${formatDataType(never)}`);
      }
    }
  }
  return out;
}

/** Reads the arity prefix of a serialized BinaryRow (SerializationUtils.deserializeBinaryRow). */
export function serializedRowArity(bytes: Uint8Array): number {
  if (bytes.length < 4) throw corrupt(`serialized row of ${bytes.length} bytes has no arity prefix`);
  const arity = new DataView(bytes.buffer, bytes.byteOffset, 4).getInt32(0, false);
  if (arity < 0) throw corrupt(`negative arity ${arity}`);
  return arity;
}

/**
 * Inverse of serializeBinaryRow. A stored arity smaller than `types.length` (columns added later)
 * yields null for the missing trailing fields.
 */
export function deserializeBinaryRow(bytes: Uint8Array, types: readonly DataType[]): InternalValue[] {
  const arity = serializedRowArity(bytes);
  return decodeBinaryRow(bytes, 4, bytes.length - 4, types, arity);
}
