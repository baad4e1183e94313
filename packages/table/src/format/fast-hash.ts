/**
 * The 64-bit hashes Paimon's bloom-filter file index puts values through (Java:
 * org.apache.paimon.fileindex.bloomfilter.FastHash): xxHash64 with seed 0 of the bytes for strings
 * and binaries (zero-allocation-hashing's `LongHashFunction.xx()`), Thomas Wang's 64-bit integer
 * hash of the value widened to a long for numbers, dates and timestamps.
 *
 * 64-bit arithmetic is done on two 32-bit halves (no BigInt: a writer hashes every value of an
 * indexed column). A hash is returned in `HASH`: `HASH[0]` the high 32 bits, `HASH[1]` the low, as
 * signed ints — the two halves BloomFilter64 splits a hash into.
 */
import type { DataType } from '../types/data-types.ts';
import type { InternalValue } from '../types/internal.ts';

/** The last hash computed: [high 32 bits, low 32 bits], signed. */
export const HASH = new Int32Array(2);

// xxHash64 primes as (high, low) halves.
const P1H = 0x9e3779b1;
const P1L = 0x85ebca87;
const P2H = 0xc2b2ae3d;
const P2L = 0x27d4eb4f;
const P3H = 0x165667b1;
const P3L = 0x9e3779f9;
const P4H = 0x85ebca77;
const P4L = 0xc2b2ae63;
const P5H = 0x27d4eb2f;
const P5L = 0x165667c5;

// Result registers of the helpers below (unsigned 32-bit halves), in a typed array: module-level
// numbers above 2^30 would be boxed on every store.
const R = new Uint32Array(2);

/** (ah, al) * (bh, bl) mod 2^64 into (R[0], R[1]). */
function mul(ah: number, al: number, bh: number, bl: number): void {
  const a0 = al & 0xffff;
  const a1 = al >>> 16;
  const b0 = bl & 0xffff;
  const b1 = bl >>> 16;
  const p00 = a0 * b0;
  const p01 = a0 * b1;
  const p10 = a1 * b0;
  const p11 = a1 * b1;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  const carry = p11 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16);
  R[1] = ((mid & 0xffff) * 0x10000 + (p00 & 0xffff)) >>> 0;
  R[0] = (carry + Math.imul(ah, bl) + Math.imul(al, bh)) >>> 0;
}

/** (ah, al) + (bh, bl) mod 2^64 into (R[0], R[1]). */
function add(ah: number, al: number, bh: number, bl: number): void {
  const lo = (al >>> 0) + (bl >>> 0);
  R[1] = lo >>> 0;
  R[0] = ((ah >>> 0) + (bh >>> 0) + (lo > 0xffffffff ? 1 : 0)) >>> 0;
}

/** Rotate left by 0 < r < 32 into (R[0], R[1]). */
function rotl(h: number, l: number, r: number): void {
  R[0] = ((h << r) | (l >>> (32 - r))) >>> 0;
  R[1] = ((l << r) | (h >>> (32 - r))) >>> 0;
}

/** xxHash64's round: rotl(acc + input * P2, 31) * P1. */
function round(acch: number, accl: number, inh: number, inl: number): void {
  mul(inh, inl, P2H, P2L);
  add(acch, accl, R[0], R[1]);
  rotl(R[0], R[1], 31);
  mul(R[0], R[1], P1H, P1L);
}

/** xxHash64's merge of an accumulator into the hash: (h ^ round(0, v)) * P1 + P4. */
function mergeRound(hh: number, hl: number, vh: number, vl: number): void {
  round(0, 0, vh, vl);
  mul((hh ^ R[0]) >>> 0, (hl ^ R[1]) >>> 0, P1H, P1L);
  add(R[0], R[1], P4H, P4L);
}

const le32 = (b: Uint8Array, i: number) => (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) >>> 0;

/** xxHash64, seed 0, of `bytes[start, end)` into HASH. */
export function xxHash64(bytes: Uint8Array, start = 0, end = bytes.length): void {
  const len = end - start;
  let p = start;
  let hh: number;
  let hl: number;
  if (len >= 32) {
    // v1 = P1 + P2, v2 = P2, v3 = 0, v4 = -P1
    add(P1H, P1L, P2H, P2L);
    let v1h = R[0];
    let v1l = R[1];
    let v2h = P2H;
    let v2l = P2L;
    let v3h = 0;
    let v3l = 0;
    add(~P1H, ~P1L, 0, 1);
    let v4h = R[0];
    let v4l = R[1];
    const limit = end - 32;
    while (p <= limit) {
      round(v1h, v1l, le32(bytes, p + 4), le32(bytes, p));
      v1h = R[0];
      v1l = R[1];
      round(v2h, v2l, le32(bytes, p + 12), le32(bytes, p + 8));
      v2h = R[0];
      v2l = R[1];
      round(v3h, v3l, le32(bytes, p + 20), le32(bytes, p + 16));
      v3h = R[0];
      v3l = R[1];
      round(v4h, v4l, le32(bytes, p + 28), le32(bytes, p + 24));
      v4h = R[0];
      v4l = R[1];
      p += 32;
    }
    rotl(v1h, v1l, 1);
    hh = R[0];
    hl = R[1];
    rotl(v2h, v2l, 7);
    add(hh, hl, R[0], R[1]);
    hh = R[0];
    hl = R[1];
    rotl(v3h, v3l, 12);
    add(hh, hl, R[0], R[1]);
    hh = R[0];
    hl = R[1];
    rotl(v4h, v4l, 18);
    add(hh, hl, R[0], R[1]);
    hh = R[0];
    hl = R[1];
    mergeRound(hh, hl, v1h, v1l);
    mergeRound(R[0], R[1], v2h, v2l);
    mergeRound(R[0], R[1], v3h, v3l);
    mergeRound(R[0], R[1], v4h, v4l);
    hh = R[0];
    hl = R[1];
  } else {
    hh = P5H;
    hl = P5L;
  }
  add(hh, hl, 0, len);
  hh = R[0];
  hl = R[1];
  while (p + 8 <= end) {
    round(0, 0, le32(bytes, p + 4), le32(bytes, p));
    rotl((hh ^ R[0]) >>> 0, (hl ^ R[1]) >>> 0, 27);
    mul(R[0], R[1], P1H, P1L);
    add(R[0], R[1], P4H, P4L);
    hh = R[0];
    hl = R[1];
    p += 8;
  }
  if (p + 4 <= end) {
    mul(0, le32(bytes, p), P1H, P1L);
    rotl((hh ^ R[0]) >>> 0, (hl ^ R[1]) >>> 0, 23);
    mul(R[0], R[1], P2H, P2L);
    add(R[0], R[1], P3H, P3L);
    hh = R[0];
    hl = R[1];
    p += 4;
  }
  while (p < end) {
    mul(0, bytes[p], P5H, P5L);
    rotl((hh ^ R[0]) >>> 0, (hl ^ R[1]) >>> 0, 11);
    mul(R[0], R[1], P1H, P1L);
    hh = R[0];
    hl = R[1];
    p++;
  }
  // Avalanche: h ^= h >>> 33; h *= P2; h ^= h >>> 29; h *= P3; h ^= h >>> 32.
  hl = (hl ^ (hh >>> 1)) >>> 0;
  mul(hh, hl, P2H, P2L);
  hh = R[0];
  hl = (R[1] ^ ((R[1] >>> 29) | (R[0] << 3))) >>> 0;
  hh = (hh ^ (hh >>> 29)) >>> 0;
  mul(hh, hl, P3H, P3L);
  HASH[0] = R[0];
  HASH[1] = R[1] ^ R[0];
}

/**
 * Thomas Wang's 64-bit integer hash (FastHash.getLongHash) of the long (hi, lo) into HASH. Java's
 * `>>` on a long is an arithmetic shift.
 */
export function longHash(hi: number, lo: number): void {
  let h = hi >>> 0;
  let l = lo >>> 0;
  // key = ~key + (key << 21)
  add(~h >>> 0, ~l >>> 0, ((h << 21) | (l >>> 11)) >>> 0, (l << 21) >>> 0);
  h = R[0];
  l = R[1];
  // key ^= key >> 24
  l = (l ^ ((l >>> 24) | (h << 8))) >>> 0;
  h = (h ^ (h >> 24)) >>> 0;
  // key = key + (key << 3) + (key << 8)
  add(h, l, ((h << 3) | (l >>> 29)) >>> 0, (l << 3) >>> 0);
  add(R[0], R[1], ((h << 8) | (l >>> 24)) >>> 0, (l << 8) >>> 0);
  h = R[0];
  l = R[1];
  // key ^= key >> 14
  l = (l ^ ((l >>> 14) | (h << 18))) >>> 0;
  h = (h ^ (h >> 14)) >>> 0;
  // key = key + (key << 2) + (key << 4)
  add(h, l, ((h << 2) | (l >>> 30)) >>> 0, (l << 2) >>> 0);
  add(R[0], R[1], ((h << 4) | (l >>> 28)) >>> 0, (l << 4) >>> 0);
  h = R[0];
  l = R[1];
  // key ^= key >> 28
  l = (l ^ ((l >>> 28) | (h << 4))) >>> 0;
  h = (h ^ (h >> 28)) >>> 0;
  // key += key << 31
  add(h, l, ((h << 31) | (l >>> 1)) >>> 0, (l << 31) >>> 0);
  HASH[0] = R[0];
  HASH[1] = R[1];
}

const f32 = new Float32Array(1);
const f32i = new Int32Array(f32.buffer);
const f64 = new Float64Array(1);
const f64i = new Int32Array(f64.buffer);
const big = new BigInt64Array(1);
const bigi = new Int32Array(big.buffer);
const utf8 = new TextEncoder();
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const HI = LITTLE_ENDIAN ? 1 : 0;
const LO = LITTLE_ENDIAN ? 0 : 1;

/** Whether Paimon's FastHash has a hash for `type` (BOOLEAN, DECIMAL and nested types it has not). */
export function hashable(type: DataType): boolean {
  switch (type.root) {
    case 'TINYINT':
    case 'SMALLINT':
    case 'INT':
    case 'DATE':
    case 'BIGINT':
    case 'FLOAT':
    case 'DOUBLE':
    case 'CHAR':
    case 'VARCHAR':
    case 'BINARY':
    case 'VARBINARY':
    case 'TIMESTAMP':
    case 'TIMESTAMP_LTZ':
      return true;
    default:
      return false;
  }
}

/** Java's `(long) i` of an int: sign extension. */
const intHash = (i: number) => longHash(i >> 31, i | 0);

/** A bigint (a Java long) into HASH through longHash. */
function bigHash(v: bigint): void {
  big[0] = v;
  longHash(bigi[HI], bigi[LO]);
}

/** `floorDiv(micros, 1000)`: Paimon's Timestamp.getMillisecond of a timestamp read as micros. */
const millisOf = (micros: bigint) => (micros >= 0n ? micros / 1000n : -((-micros + 999n) / 1000n));

/**
 * FastHash of a non-null internal value of `type` (a `hashable` one) into HASH. Strings hash their
 * UTF-8 bytes, FLOAT/DOUBLE their Float.floatToIntBits / Double.doubleToLongBits (one NaN), and
 * timestamps their milliseconds up to precision 3, else microseconds.
 */
export function hashValue(type: DataType, v: Exclude<InternalValue, null>): void {
  switch (type.root) {
    case 'TINYINT':
    case 'SMALLINT':
    case 'INT':
    case 'DATE':
      intHash(v as number);
      return;
    case 'BIGINT':
      bigHash(v as bigint);
      return;
    case 'FLOAT':
      f32[0] = v as number;
      intHash(Number.isNaN(v) ? 0x7fc00000 : f32i[0]);
      return;
    case 'DOUBLE':
      if (Number.isNaN(v)) {
        longHash(0x7ff80000, 0);
        return;
      }
      f64[0] = v as number;
      longHash(f64i[HI], f64i[LO]);
      return;
    case 'TIMESTAMP':
    case 'TIMESTAMP_LTZ':
      bigHash(type.precision <= 3 ? millisOf(v as bigint) : (v as bigint));
      return;
    case 'CHAR':
    case 'VARCHAR':
      xxHash64(utf8.encode(v as string));
      return;
    case 'BINARY':
    case 'VARBINARY':
      xxHash64(v as Uint8Array);
      return;
    default:
      throw new Error(`no FastHash for ${type.root}`);
  }
}
