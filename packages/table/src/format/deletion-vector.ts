/**
 * Deletion vectors (Paimon `DELETION_VECTORS` index files, `index/index-<uuid>-<n>`).
 *
 * Index file framing (DeletionFileWriter / DeletionVectorsIndexFile, Paimon 0.8 … 2.x):
 *
 *   byte 0                 version = 1 (VERSION_ID_V1; readers reject anything else)
 *   then one blob per data file, at the offset recorded in the index manifest (`f1`):
 *
 *   32-bit DV (BitmapDeletionVector, default):
 *     int32 BE  size = 4 + bitmap bytes            ← manifest `f2` (length) == size
 *     int32 BE  magic 1581511376 (0x5E43F2D0)
 *     RoaringBitmap portable serialization (little-endian, Java runOptimize()d)
 *     int32 BE  CRC32 over magic + bitmap (the `size` bytes)
 *     ⇒ blob = length + 8 bytes
 *
 *   64-bit DV (Bitmap64DeletionVector, `deletion-vectors.bitmap64=true`):
 *     int32 BE  size = 4 + bitmap data bytes
 *     int32 LE  magic 1681511377 (bytes d1 d3 39 64)
 *     int64 LE  number of 32-bit bitmaps N (dense: keys 0..N-1, gaps hold empty bitmaps)
 *     N × (int32 LE key = high 32 bits, RoaringBitmap portable serialization)
 *     int32 BE  CRC32 over magic + bitmap data
 *     ⇒ blob = length bytes (manifest `f2` = 4 + size + 4)
 *
 * Java's DeletionVector.read(dis, length) reads size and magic, then picks the variant by magic.
 * So a reader holding only (offset, length) must read at least `length + 8` bytes for 32-bit DVs,
 * but a 64-bit blob is only `length` bytes long: reading `length + 8` can run past the end of the
 * index file. readDeletionVector therefore accepts any slice that starts at `offset` and holds the
 * whole blob (extra trailing bytes are ignored); use deletionVectorReadLength() to size the read.
 */
import { corruptFile } from '../types/errors.ts';
import { crc32 } from './avro.ts';
import type { DeletionVectorRange } from './index-manifest.ts';

export interface DeletionVector {
  /** True when the row at 0-based `position` of the data file is deleted. */
  has(position: number): boolean;
  /** Number of deleted rows. */
  readonly cardinality: number;
}

export const DV_INDEX_FILE_VERSION = 1;
export const BITMAP32_MAGIC = 1581511376;
export const BITMAP64_MAGIC = 1681511377;
const MAX_POSITION_32 = 0x7fffffff;

const SERIAL_COOKIE_NO_RUNCONTAINER = 12346;
const SERIAL_COOKIE = 12347;
const NO_OFFSET_THRESHOLD = 4;
const ARRAY_MAX = 4096;
const BITMAP_BYTES = 8192;

// ---------------------------------------------------------------------------------------------
// RoaringBitmap (32-bit) portable format: https://github.com/RoaringBitmap/RoaringFormatSpec

type Container =
  | { kind: 'array'; values: Uint16Array }
  | { kind: 'bitmap'; bits: Uint8Array }
  /** Pairs of (start, length - 1). */
  | { kind: 'run'; runs: Uint16Array };

class Roaring32 {
  constructor(
    readonly keys: Uint16Array,
    readonly containers: Container[],
    readonly cardinality: number,
  ) {}

  /** Every value, ascending, written to `out` from index `at`; returns the index after the last. */
  values(out: Float64Array, at: number, high = 0): number {
    const base = high * 0x100000000;
    let o = at;
    for (let i = 0; i < this.containers.length; i++) {
      const c = this.containers[i]!;
      const hi = base + this.keys[i]! * 0x10000;
      if (c.kind === 'array') {
        const v = c.values;
        for (let j = 0; j < v.length; j++) out[o++] = hi + v[j]!;
      } else if (c.kind === 'run') {
        const r = c.runs;
        for (let j = 0; j < r.length; j += 2) {
          const from = hi + r[j]!;
          for (let x = 0; x <= r[j + 1]!; x++) out[o++] = from + x;
        }
      } else {
        const bits = c.bits;
        for (let b = 0; b < BITMAP_BYTES; b++) {
          let byte = bits[b]!;
          // Lowest set bit first: as many steps as bits set.
          while (byte !== 0) {
            const k = 31 - Math.clz32(byte & -byte);
            out[o++] = hi + b * 8 + k;
            byte &= byte - 1;
          }
        }
      }
    }
    return o;
  }

  has(v: number): boolean {
    const key = v >>> 16;
    const low = v & 0xffff;
    const keys = this.keys;
    let lo = 0;
    let hi = keys.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const k = keys[mid]!;
      if (k < key) lo = mid + 1;
      else if (k > key) hi = mid - 1;
      else return containerHas(this.containers[mid]!, low);
    }
    return false;
  }
}

function containerHas(c: Container, low: number): boolean {
  switch (c.kind) {
    case 'bitmap':
      return ((c.bits[low >>> 3]! >>> (low & 7)) & 1) === 1;
    case 'array': {
      const a = c.values;
      let lo = 0;
      let hi = a.length - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >>> 1;
        const x = a[mid]!;
        if (x < low) lo = mid + 1;
        else if (x > low) hi = mid - 1;
        else return true;
      }
      return false;
    }
    case 'run': {
      const r = c.runs;
      // last run whose start <= low
      let lo = 0;
      let hi = r.length / 2 - 1;
      let found = -1;
      while (lo <= hi) {
        const mid = (lo + hi) >>> 1;
        if (r[2 * mid]! <= low) {
          found = mid;
          lo = mid + 1;
        } else hi = mid - 1;
      }
      return found >= 0 && low <= r[2 * found]! + r[2 * found + 1]!;
    }
  }
}

class Cursor {
  constructor(
    readonly view: DataView,
    public pos: number,
    readonly end: number,
    readonly path: string,
  ) {}

  need(n: number): void {
    if (n < 0 || this.pos + n > this.end) throw corruptFile(this.path, 'truncated deletion vector');
  }
  u16(): number {
    this.need(2);
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  u16s(n: number): Uint16Array {
    this.need(2 * n);
    const out = new Uint16Array(n);
    for (let i = 0; i < n; i++) out[i] = this.view.getUint16(this.pos + 2 * i, true);
    this.pos += 2 * n;
    return out;
  }
  bytes(n: number): Uint8Array {
    this.need(n);
    const out = new Uint8Array(this.view.buffer, this.view.byteOffset + this.pos, n).slice();
    this.pos += n;
    return out;
  }
}

function readRoaring32(c: Cursor): Roaring32 {
  const cookie = c.u32();
  let size: number;
  let runFlags: Uint8Array | null = null;
  if ((cookie & 0xffff) === SERIAL_COOKIE) {
    size = (cookie >>> 16) + 1;
    runFlags = c.bytes((size + 7) >>> 3);
  } else if (cookie === SERIAL_COOKIE_NO_RUNCONTAINER) {
    size = c.u32();
  } else {
    throw corruptFile(c.path, `bad RoaringBitmap cookie ${cookie}`);
  }
  if (size > 65536) throw corruptFile(c.path, `bad RoaringBitmap container count ${size}`);
  const keys = new Uint16Array(size);
  const cards = new Uint32Array(size);
  for (let i = 0; i < size; i++) {
    keys[i] = c.u16();
    cards[i] = c.u16() + 1;
    if (i > 0 && keys[i]! <= keys[i - 1]!) throw corruptFile(c.path, 'RoaringBitmap keys are not ascending');
  }
  if (runFlags === null || size >= NO_OFFSET_THRESHOLD) {
    c.need(4 * size);
    c.pos += 4 * size; // container offsets: containers follow contiguously, read sequentially
  }
  const containers: Container[] = [];
  let cardinality = 0;
  for (let i = 0; i < size; i++) {
    const card = cards[i]!;
    cardinality += card;
    // A container's values must number its cardinality: positions() fills an array of that size.
    if (runFlags !== null && ((runFlags[i >>> 3]! >>> (i & 7)) & 1) === 1) {
      const n = c.u16();
      const runs = c.u16s(2 * n);
      let values = 0;
      for (let j = 0; j < runs.length; j += 2) values += runs[j + 1]! + 1;
      if (values !== card) throw corruptFile(c.path, 'RoaringBitmap run container does not match its cardinality');
      containers.push({ kind: 'run', runs });
    } else if (card <= ARRAY_MAX) {
      containers.push({ kind: 'array', values: c.u16s(card) });
    } else {
      const bits = c.bytes(BITMAP_BYTES);
      let values = 0;
      for (let b = 0; b < BITMAP_BYTES; b++) for (let x = bits[b]!; x !== 0; x &= x - 1) values++;
      if (values !== card) throw corruptFile(c.path, 'RoaringBitmap bitmap container does not match its cardinality');
      containers.push({ kind: 'bitmap', bits });
    }
  }
  return new Roaring32(keys, containers, cardinality);
}

/** Serializes sorted, distinct 32-bit values like Java's RoaringBitmap after runOptimize(). */
function writeRoaring32(values: readonly number[]): Uint8Array {
  interface Group {
    key: number;
    lows: number[];
    kind: 'array' | 'bitmap' | 'run';
    runs: number[];
  }
  const groups: Group[] = [];
  for (const v of values) {
    const key = v >>> 16;
    let g = groups[groups.length - 1];
    if (!g || g.key !== key) {
      g = { key, lows: [], kind: 'array', runs: [] };
      groups.push(g);
    }
    g.lows.push(v & 0xffff);
  }
  let hasRun = false;
  for (const g of groups) {
    for (let i = 0; i < g.lows.length; ) {
      let j = i;
      while (j + 1 < g.lows.length && g.lows[j + 1] === g.lows[j]! + 1) j++;
      g.runs.push(g.lows[i]!, j - i);
      i = j + 1;
    }
    const card = g.lows.length;
    const plain = card <= ARRAY_MAX ? 2 * card : BITMAP_BYTES;
    const runSize = 2 + 4 * (g.runs.length / 2);
    g.kind = plain > runSize ? 'run' : card <= ARRAY_MAX ? 'array' : 'bitmap';
    if (g.kind === 'run') hasRun = true;
  }
  const n = groups.length;
  const bodySize = (g: Group) =>
    g.kind === 'run' ? 2 + 2 * g.runs.length : g.kind === 'array' ? 2 * g.lows.length : BITMAP_BYTES;
  const withOffsets = !hasRun || n >= NO_OFFSET_THRESHOLD;
  const headerSize = (hasRun ? 4 + ((n + 7) >>> 3) : 8) + 4 * n + (withOffsets ? 4 * n : 0);
  let total = headerSize;
  for (const g of groups) total += bodySize(g);
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  let p = 0;
  if (hasRun) {
    dv.setUint32(p, (SERIAL_COOKIE | ((n - 1) << 16)) >>> 0, true);
    p += 4;
    groups.forEach((g, i) => {
      if (g.kind === 'run') out[p + (i >>> 3)]! |= 1 << (i & 7);
    });
    p += (n + 7) >>> 3;
  } else {
    dv.setUint32(p, SERIAL_COOKIE_NO_RUNCONTAINER, true);
    dv.setUint32(p + 4, n, true);
    p += 8;
  }
  for (const g of groups) {
    dv.setUint16(p, g.key, true);
    dv.setUint16(p + 2, g.lows.length - 1, true);
    p += 4;
  }
  if (withOffsets) {
    let off = headerSize;
    for (const g of groups) {
      dv.setUint32(p, off, true);
      p += 4;
      off += bodySize(g);
    }
  }
  for (const g of groups) {
    if (g.kind === 'run') {
      dv.setUint16(p, g.runs.length / 2, true);
      p += 2;
      for (const x of g.runs) {
        dv.setUint16(p, x, true);
        p += 2;
      }
    } else if (g.kind === 'array') {
      for (const x of g.lows) {
        dv.setUint16(p, x, true);
        p += 2;
      }
    } else {
      for (const x of g.lows) out[p + (x >>> 3)]! |= 1 << (x & 7);
      p += BITMAP_BYTES;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Deletion vectors

class Bitmap32DeletionVector implements DeletionVector {
  constructor(private readonly bitmap: Roaring32) {}
  positions(): Float64Array {
    const out = new Float64Array(this.bitmap.cardinality);
    this.bitmap.values(out, 0);
    return out;
  }
  get cardinality(): number {
    return this.bitmap.cardinality;
  }
  has(position: number): boolean {
    if (!Number.isInteger(position) || position < 0 || position > MAX_POSITION_32) return false;
    return this.bitmap.has(position);
  }
}

class Bitmap64DeletionVector implements DeletionVector {
  readonly cardinality: number;
  constructor(private readonly bitmaps: Map<number, Roaring32>) {
    let n = 0;
    for (const b of bitmaps.values()) n += b.cardinality;
    this.cardinality = n;
  }
  positions(): Float64Array {
    const out = new Float64Array(this.cardinality);
    let o = 0;
    for (const high of [...this.bitmaps.keys()].sort((a, b) => a - b)) o = this.bitmaps.get(high)!.values(out, o, high);
    return out;
  }
  has(position: number): boolean {
    if (!Number.isSafeInteger(position) || position < 0) return false;
    const high = Math.floor(position / 0x100000000);
    const b = this.bitmaps.get(high);
    return b?.has(position >>> 0) ?? false;
  }
}

/** The deleted positions of a deletion vector this module read, ascending. */
export function deletionVectorPositions(dv: DeletionVector): Float64Array {
  if (dv instanceof Bitmap32DeletionVector || dv instanceof Bitmap64DeletionVector) return dv.positions();
  throw new TypeError('not a deletion vector read by readDeletionVector');
}

/**
 * How many bytes to read at `range.offset` so that the slice holds the whole DV blob: `length + 8`
 * (right for 32-bit DVs, an over-read of 8 bytes for 64-bit ones), clamped to the index file's
 * size when it is known (IndexManifestEntry.fileSize) so the over-read never passes the end.
 */
export function deletionVectorReadLength(range: { offset: number; length: number }, indexFileSize?: number): number {
  const n = range.length + 8;
  return indexFileSize === undefined ? n : Math.min(n, indexFileSize - range.offset);
}

/**
 * Parses one DV blob. `bytes` starts at the range's offset in the index file (the 4-byte size
 * prefix) and must contain the whole blob; bytes after it are ignored. When `expectedLength` (the
 * manifest's `f2`) is given it is checked like Java does. Checks the CRC32.
 */
export function readDeletionVector(bytes: Uint8Array, path: string, expectedLength?: number): DeletionVector {
  if (bytes.length < 8) throw corruptFile(path, 'truncated deletion vector');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const size = view.getInt32(0, false);
  if (size < 4) throw corruptFile(path, `bad deletion vector size ${size}`);
  const end = 4 + size;
  if (bytes.length < end + 4) {
    throw corruptFile(path, `truncated deletion vector: need ${end + 4} bytes, have ${bytes.length}`);
  }
  const is32 = view.getInt32(4, false) === BITMAP32_MAGIC;
  const is64 = !is32 && view.getInt32(4, true) === BITMAP64_MAGIC;
  if (!is32 && !is64) throw corruptFile(path, `bad deletion vector magic number ${view.getInt32(4, false)}`);
  if (expectedLength !== undefined) {
    const want = is32 ? expectedLength : expectedLength - 8;
    if (size !== want) throw corruptFile(path, `deletion vector size ${size} does not match the index manifest`);
  }
  if (crc32(bytes, 4, end) !== view.getUint32(end, false)) throw corruptFile(path, 'deletion vector checksum mismatch');
  const c = new Cursor(view, 8, end, path);
  let dv: DeletionVector;
  if (is32) {
    dv = new Bitmap32DeletionVector(readRoaring32(c));
  } else {
    c.need(8);
    const count = Number(view.getBigInt64(c.pos, true));
    c.pos += 8;
    if (count < 0 || count > 0x7fffffff) throw corruptFile(path, `bad 64-bit deletion vector bitmap count ${count}`);
    const bitmaps = new Map<number, Roaring32>();
    let last = -1;
    for (let i = 0; i < count; i++) {
      const key = c.u32();
      if (key <= last || key > 0x7ffffffe) throw corruptFile(path, 'bad 64-bit deletion vector key order');
      last = key;
      const b = readRoaring32(c);
      if (b.cardinality > 0) bitmaps.set(key, b);
    }
    dv = new Bitmap64DeletionVector(bitmaps);
  }
  if (c.pos !== end) throw corruptFile(path, 'deletion vector has trailing bytes before its checksum');
  return dv;
}

/** Reads the DV of `range` out of a whole index file's bytes (checks the version byte). */
export function readDeletionVectorFromIndexFile(
  file: Uint8Array,
  range: Pick<DeletionVectorRange, 'offset' | 'length'>,
  path: string,
): DeletionVector {
  if (file.length < 1 || file[0] !== DV_INDEX_FILE_VERSION) {
    throw corruptFile(path, `deletion vector index file version ${file[0]} is not ${DV_INDEX_FILE_VERSION}`);
  }
  if (range.offset < 1 || range.offset >= file.length)
    throw corruptFile(path, `deletion vector offset ${range.offset} out of range`);
  return readDeletionVector(file.subarray(range.offset), path, range.length);
}

export interface EncodeDeletionVectorOptions {
  /** Write the 64-bit format (Paimon `deletion-vectors.bitmap64=true`). Default false. */
  bitmap64?: boolean;
}

function sortedDistinct(positions: Iterable<number>, max: number): number[] {
  const out: number[] = [];
  for (const p of positions) {
    if (!Number.isSafeInteger(p) || p < 0 || p > max) {
      throw new RangeError(`deletion vector position ${p} is out of range [0, ${max}]`);
    }
    out.push(p);
  }
  out.sort((a, b) => a - b);
  let w = 0;
  for (let i = 0; i < out.length; i++) if (i === 0 || out[i] !== out[w - 1]) out[w++] = out[i]!;
  out.length = w;
  return out;
}

/**
 * Serializes a deletion vector blob exactly as Paimon Java does (size prefix, magic, bitmap, CRC).
 * The index-manifest range length is `blob.length - 8` for 32-bit DVs and `blob.length` for 64-bit
 * ones (see deletionVectorRangeLength).
 */
export function encodeDeletionVector(
  positions: Iterable<number>,
  options: EncodeDeletionVectorOptions = {},
): Uint8Array {
  let payload: Uint8Array;
  if (!options.bitmap64) {
    const bitmap = writeRoaring32(sortedDistinct(positions, MAX_POSITION_32));
    payload = new Uint8Array(4 + bitmap.length);
    new DataView(payload.buffer).setInt32(0, BITMAP32_MAGIC, false);
    payload.set(bitmap, 4);
  } else {
    const values = sortedDistinct(positions, Number.MAX_SAFE_INTEGER);
    const byHigh = new Map<number, number[]>();
    for (const v of values) {
      const high = Math.floor(v / 0x100000000);
      const a = byHigh.get(high);
      if (a) a.push(v >>> 0);
      else byHigh.set(high, [v >>> 0]);
    }
    const count = values.length === 0 ? 0 : Math.floor(values[values.length - 1]! / 0x100000000) + 1;
    const parts: Uint8Array[] = [];
    for (let key = 0; key < count; key++) {
      const k = new Uint8Array(4);
      new DataView(k.buffer).setUint32(0, key, true);
      parts.push(k, writeRoaring32(byHigh.get(key) ?? []));
    }
    const len = 4 + 8 + parts.reduce((s, p) => s + p.length, 0);
    payload = new Uint8Array(len);
    const dv = new DataView(payload.buffer);
    dv.setInt32(0, BITMAP64_MAGIC, true);
    dv.setBigInt64(4, BigInt(count), true);
    let off = 12;
    for (const p of parts) {
      payload.set(p, off);
      off += p.length;
    }
  }
  const out = new Uint8Array(4 + payload.length + 4);
  const view = new DataView(out.buffer);
  view.setInt32(0, payload.length, false);
  out.set(payload, 4);
  view.setUint32(4 + payload.length, crc32(payload), false);
  return out;
}

/** The index-manifest length (`f2`) Paimon records for an encoded blob. */
export function deletionVectorRangeLength(blob: Uint8Array): number {
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  return view.getInt32(4, false) === BITMAP32_MAGIC ? blob.length - 8 : blob.length;
}

/**
 * Writes a whole DV index file (version byte + one blob per data file, in iteration order) and
 * returns it with the ranges to record in the index manifest (cardinality = distinct positions).
 */
export function encodeDeletionVectorIndexFile(
  vectors: Iterable<readonly [dataFileName: string, positions: Iterable<number>]>,
  options: EncodeDeletionVectorOptions = {},
): { bytes: Uint8Array; ranges: DeletionVectorRange[] } {
  const blobs: Uint8Array[] = [];
  const ranges: DeletionVectorRange[] = [];
  let offset = 1;
  for (const [fileName, positions] of vectors) {
    const list = [...positions];
    const blob = encodeDeletionVector(list, options);
    const cardinality = new Set(list).size;
    ranges.push({ fileName, offset, length: deletionVectorRangeLength(blob), cardinality });
    blobs.push(blob);
    offset += blob.length;
  }
  const bytes = new Uint8Array(offset);
  bytes[0] = DV_INDEX_FILE_VERSION;
  let p = 1;
  for (const b of blobs) {
    bytes.set(b, p);
    p += b.length;
  }
  return { bytes, ranges };
}
