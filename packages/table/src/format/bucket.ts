/**
 * Paimon's default fixed-bucket function.
 *
 * Verified against apache/paimon (master 5dacde51): DefaultBucketFunction.bucket =
 * `Math.abs(row.hashCode() % numBuckets)` with the row kind asserted INSERT; BinaryRow.hashCode =
 * MemorySegmentUtils.hashByWords over the row's `sizeInBytes` bytes = MurmurHashUtils.hashBytesByWords
 * (murmur3_x86_32, seed 42, 4-byte little-endian words, no tail since BinaryRow sizes are multiples
 * of 8); FixedBucketRowKeyExtractor hashes the projected bucket-key BinaryRow (bucket-key option,
 * else the trimmed primary key). MurmurHashUtils.hashUnsafeBytes additionally mixes a tail of
 * single (sign-extended) bytes; murmurHashBytes does the same, so both agree on word-aligned input.
 */

import type { DataType } from '../types/data-types.ts';
import { EddyError } from '../types/errors.ts';
import type { InternalValue } from '../types/internal.ts';
import { encodeBinaryRow } from './binary-row.ts';

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;
export const DEFAULT_SEED = 42;

const rotl = (x: number, r: number): number => (x << r) | (x >>> (32 - r));

function mixK1(k: number): number {
  return Math.imul(rotl(Math.imul(k, C1), 15), C2);
}

function mixH1(h: number, k: number): number {
  return (Math.imul(rotl(h ^ k, 13), 5) + 0xe6546b64) | 0;
}

function fmix(h: number, length: number): number {
  let x = h ^ length;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x | 0;
}

/** Paimon's MurmurHashUtils hash (murmur3_x86_32) of `bytes`, as a signed 32-bit integer. */
export function murmurHashBytes(bytes: Uint8Array, seed = DEFAULT_SEED): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const aligned = bytes.length - (bytes.length % 4);
  let h = seed | 0;
  for (let i = 0; i < aligned; i += 4) h = mixH1(h, mixK1(view.getInt32(i, true)));
  for (let i = aligned; i < bytes.length; i++) h = mixH1(h, mixK1((bytes[i] << 24) >> 24));
  return fmix(h, bytes.length);
}

/** `Math.abs(hash % numBuckets)` with Java's truncating remainder. */
export function bucketOf(hash: number, numBuckets: number): number {
  return Math.abs((hash | 0) % numBuckets) | 0;
}

/** Hashes bucket-key values (in bucket-key order) the way Paimon's default bucket function does. */
export class BucketFunction {
  private readonly keyTypes: readonly DataType[];
  readonly numBuckets: number;

  constructor(keyTypes: readonly DataType[], numBuckets: number) {
    if (!Number.isInteger(numBuckets) || numBuckets <= 0 || numBuckets > 2147483647) {
      throw new EddyError('INVALID_ARGUMENT', `number of buckets must be a positive integer, got ${numBuckets}`);
    }
    if (keyTypes.length === 0) throw new EddyError('INVALID_ARGUMENT', 'a bucket key needs at least one column');
    this.keyTypes = keyTypes;
    this.numBuckets = numBuckets;
  }

  /** The hash of the bucket key's BinaryRow (row kind INSERT). */
  hash(values: readonly InternalValue[]): number {
    if (values.length === 1 && values[0] !== null) {
      const h = hashSingleFixed(this.keyTypes[0], values[0]);
      if (h !== undefined) return h;
    }
    return murmurHashBytes(encodeBinaryRow(this.keyTypes, values, 0));
  }

  bucket(values: readonly InternalValue[]): number {
    return bucketOf(this.hash(values), this.numBuckets);
  }
}

// A one-field BinaryRow of a non-null fixed-width value is 16 bytes: a zero header/null-bit word
// pair, then the 8-byte slot (the value little-endian, zero-padded). Hash those four words directly:
// the bucket of every written row goes through here.
const STATE_AFTER_ZERO_HEADER = mixH1(mixH1(DEFAULT_SEED, mixK1(0)), mixK1(0));

function hashSlot(lo: number, hi: number): number {
  return fmix(mixH1(mixH1(STATE_AFTER_ZERO_HEADER, mixK1(lo)), mixK1(hi)), 16);
}

function hashSingleFixed(t: DataType, v: InternalValue): number | undefined {
  switch (t.root) {
    case 'INT':
    case 'DATE':
      return hashSlot(v as number, 0);
    case 'SMALLINT':
      return hashSlot((v as number) & 0xffff, 0);
    case 'TINYINT':
      return hashSlot((v as number) & 0xff, 0);
    case 'BIGINT': {
      const b = v as bigint;
      return hashSlot(Number(BigInt.asIntN(32, b)), Number(BigInt.asIntN(32, b >> 32n)));
    }
    default:
      return undefined;
  }
}
