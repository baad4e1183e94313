/**
 * Paimon's bloom-filter file index (index type `bloom-filter`; Java:
 * org.apache.paimon.fileindex.bloomfilter.BloomFilterFileIndex over utils.BloomFilter64).
 *
 * Bytes: the number of hash functions k (4 bytes, big-endian), then the bit set, bit i at byte
 * i >>> 3, mask 1 << (i & 7). A value's 64-bit FastHash (fast-hash.ts) splits into h1 = its low 32
 * bits and h2 = its high 32 bits (signed ints); for i = 1..k the bit (h1 + i·h2, wrapped to an int,
 * bit-flipped when negative) mod numBits is set. Nulls are not added: an equality never matches
 * a null. A filter only proves absence: a clear bit means no row of the file holds the value.
 */
import type { Column, VarBytes } from '../data/columns.ts';
import type { DataType } from '../types/data-types.ts';
import { corruptFile, EddyError } from '../types/errors.ts';
import type { InternalValue } from '../types/internal.ts';
import { HASH, hashable, hashValue, longHash, xxHash64 } from './fast-hash.ts';

export const BLOOM_FILTER = 'bloom-filter';

/** Java's defaults (BloomFilterFileIndex.DEFAULT_ITEMS, DEFAULT_FPP). */
export const DEFAULT_BLOOM_ITEMS = 1_000_000;
export const DEFAULT_BLOOM_FPP = 0.1;

/** More hash functions than any fpp a double can hold asks for (~1,100): a hostile file. */
const MAX_HASH_FUNCTIONS = 4096;
/** The largest filter Eddy builds or reads (bytes; its bit count stays a Java int). */
export const MAX_BLOOM_BYTES = 128 * 1024 * 1024;

/** Java's `(int) d` of a double: truncation, saturating, NaN to 0. */
function javaInt(d: number): number {
  if (Number.isNaN(d)) return 0;
  if (d >= 2147483647) return 2147483647;
  if (d <= -2147483648) return -2147483648;
  return Math.trunc(d);
}

export class BloomFilter64 {
  readonly numBits: number;

  /** `bits` is the bit set (without the 4-byte count). */
  constructor(
    readonly numHashFunctions: number,
    readonly bits: Uint8Array,
  ) {
    this.numBits = bits.length * 8;
  }

  /**
   * An empty filter sized as Java's BloomFilter64(items, fpp): numBits from the optimal formula,
   * rounded up to the next multiple of 8 (a whole byte more when already one), k = round(numBits /
   * items · ln 2), at least 1.
   */
  static forItems(items: number, fpp: number): BloomFilter64 {
    const nb = javaInt((-items * Math.log(fpp)) / (Math.log(2) * Math.log(2)));
    const numBits = nb + (8 - (nb % 8));
    if (!(numBits > 0) || numBits / 8 > MAX_BLOOM_BYTES)
      throw new EddyError(
        'INVALID_OPTION',
        `bloom filter of ${items} items at fpp ${fpp}: ${numBits} bits is out of range`,
      );
    const r = Math.floor((numBits / items) * Math.log(2) + 0.5);
    // Java: (int) Math.round(...), a long narrowed to its low 32 bits (Long.MAX_VALUE becomes -1).
    const k = Math.max(1, r >= 2 ** 63 ? -1 : r >= 2 ** 31 ? Number(BigInt.asIntN(32, BigInt(r))) : r);
    return new BloomFilter64(k, new Uint8Array(numBits / 8));
  }

  /** Reads a filter's bytes (BloomFilterFileIndex.Reader); `path` names the file for errors. */
  static deserialize(bytes: Uint8Array, path: string): BloomFilter64 {
    if (bytes.length < 5) throw corruptFile(path, `bloom filter index of ${bytes.length} bytes is too short`);
    // Java adds the bytes as signed values: reproduce it (a count over 127 in a byte is not one Java wrote).
    const b = (i: number) => (bytes[i] << 24) >> 24;
    const k = ((b(0) << 24) + (b(1) << 16) + (b(2) << 8) + b(3)) | 0;
    if (k > MAX_HASH_FUNCTIONS) throw corruptFile(path, `bloom filter index with ${k} hash functions`);
    if (bytes.length - 4 > MAX_BLOOM_BYTES) throw corruptFile(path, `bloom filter index of ${bytes.length} bytes`);
    return new BloomFilter64(k, bytes.subarray(4));
  }

  serialize(): Uint8Array {
    const out = new Uint8Array(4 + this.bits.length);
    new DataView(out.buffer).setInt32(0, this.numHashFunctions);
    out.set(this.bits, 4);
    return out;
  }

  addHash(hi: number, lo: number): void {
    const n = this.numBits;
    for (let i = 1; i <= this.numHashFunctions; i++) {
      let c = (lo + Math.imul(i, hi)) | 0;
      if (c < 0) c = ~c;
      const pos = c % n;
      this.bits[pos >>> 3] |= 1 << (pos & 7);
    }
  }

  /** False only when no value with this hash was added. (k ≤ 0, as Java, never excludes.) */
  testHash(hi: number, lo: number): boolean {
    const n = this.numBits;
    for (let i = 1; i <= this.numHashFunctions; i++) {
      let c = (lo + Math.imul(i, hi)) | 0;
      if (c < 0) c = ~c;
      const pos = c % n;
      if ((this.bits[pos >>> 3] & (1 << (pos & 7))) === 0) return false;
    }
    return true;
  }

  /** Whether a non-null value of `type` may be in the filter (BloomFilterFileIndex visitEqual). */
  mightContain(type: DataType, value: Exclude<InternalValue, null>): boolean {
    hashValue(type, value);
    return this.testHash(HASH[0], HASH[1]);
  }

  /** Adds every non-null value of a column (BloomFilterFileIndex.Writer.write). */
  addColumn(col: Column): void {
    const t = col.type;
    if (!hashable(t)) throw new EddyError('UNSUPPORTED', `bloom filter index of a ${t.root} column`);
    const valid = col.validity;
    const n = col.length;
    const d = col.data;
    if (t.root === 'CHAR' || t.root === 'VARCHAR' || t.root === 'BINARY' || t.root === 'VARBINARY') {
      const { offsets, bytes } = d as VarBytes;
      for (let i = 0; i < n; i++) {
        if (valid !== null && valid[i] === 0) continue;
        xxHash64(bytes, offsets[i], offsets[i + 1]);
        this.addHash(HASH[0], HASH[1]);
      }
      return;
    }
    if (d instanceof Int8Array || d instanceof Int16Array || d instanceof Int32Array) {
      for (let i = 0; i < n; i++) {
        if (valid !== null && valid[i] === 0) continue;
        const v = d[i];
        longHash(v >> 31, v);
        this.addHash(HASH[0], HASH[1]);
      }
      return;
    }
    if (d instanceof BigInt64Array && t.root === 'BIGINT') {
      // The long's halves straight from the buffer (no bigint per row).
      const w = new Int32Array(d.buffer, d.byteOffset, n * 2);
      const [hiAt, loAt] = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? [1, 0] : [0, 1];
      for (let i = 0; i < n; i++) {
        if (valid !== null && valid[i] === 0) continue;
        longHash(w[2 * i + hiAt], w[2 * i + loAt]);
        this.addHash(HASH[0], HASH[1]);
      }
      return;
    }
    // FLOAT, DOUBLE, timestamps: per value.
    const arr = d as ArrayLike<number | bigint>;
    for (let i = 0; i < n; i++) {
      if (valid !== null && valid[i] === 0) continue;
      hashValue(t, arr[i]);
      this.addHash(HASH[0], HASH[1]);
    }
  }
}
