/**
 * Avro object container files (the encoding of Paimon's manifest lists, manifests and index
 * manifests), built on avsc's binary record codec.
 *
 * Container layout (Avro 1.x spec): magic `Obj\x01`, a metadata map<bytes> (Paimon Java writes only
 * `avro.schema` and `avro.codec`), a 16-byte sync marker, then blocks of
 * `long recordCount, long byteSize, <byteSize compressed bytes>, sync marker`.
 *
 * Block codecs: `null`; `deflate` = raw deflate (no zlib header); `snappy` = raw snappy followed by
 * the big-endian CRC32 of the uncompressed block; `zstandard` = one zstd frame per block.
 *
 * Reading always uses the writer schema embedded in the file, so records come back as plain
 * objects keyed by Avro field name: callers look fields up by name and treat missing ones as null,
 * which is how Paimon's own reader tolerates older and newer writers. `["null", T]` unions are
 * unwrapped (a null branch reads as `null`). All Avro `long`s decode to `bigint`.
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { compress as zstdCompress, init as zstdInit } from '@bokuweb/zstd-wasm';
import avsc from 'avsc';
import { Decompress as ZstdDecompress } from 'fzstd';
import { corruptFile, EddyError } from '../types/errors.ts';
import { checkMetadataSize, MAX_AVRO_DECODED_BYTES, MAX_AVRO_SCHEMA_BYTES } from '../types/limits.ts';

/** Block compression codecs, spelled as in the `avro.codec` metadata entry. */
export type AvroCodec = 'zstandard' | 'snappy' | 'deflate' | 'null';

/** An Avro record value as avsc reads/writes it: field name → value. */
export type AvroRecord = Record<string, unknown>;

/** Avro schema JSON (records, unions, arrays, primitives). */
export type AvroSchema = string | AvroSchema[] | { readonly [key: string]: unknown };

interface Snappy {
  compress(data: Uint8Array): Uint8Array;
  uncompress(data: Uint8Array, maxLength?: number): Uint8Array;
}
// snappyjs is plain CommonJS without type declarations.
const snappy = createRequire(import.meta.url)('snappyjs') as Snappy;

/** Level Paimon uses by default (`file.compression.zstd-level` = 1). */
const ZSTD_LEVEL = 1;
/** Uncompressed bytes per block before it is flushed (Avro Java's default sync interval is 64000). */
const BLOCK_TARGET_BYTES = 64 * 1024;
const MAGIC = new Uint8Array([0x4f, 0x62, 0x6a, 0x01]);
const SYNC_SIZE = 16;

// ---------------------------------------------------------------------------------------------
// CRC32 (IEEE, as java.util.zip.CRC32). Also used for deletion-vector checksums.

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC32 of `data` as an unsigned 32-bit number (same value as java.util.zip.CRC32). */
export function crc32(data: Uint8Array, start = 0, end = data.length): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// ---------------------------------------------------------------------------------------------
// avsc types

/** Avro long as bigint (avsc's default long type refuses values beyond 2^53). */
const BIGINT_LONG = avsc.types.LongType.__with({
  fromBuffer: (buf: Buffer) => buf.readBigInt64LE(0),
  toBuffer: (n: bigint) => {
    const buf = Buffer.alloc(8);
    buf.writeBigInt64LE(n, 0);
    return buf;
  },
  fromJSON: (v: unknown) => BigInt(v as number | string | bigint),
  toJSON: (n: bigint) => Number(n),
  isValid: (n: unknown) => typeof n === 'bigint',
  compare: (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0),
});

const typeCache = new Map<string, avsc.Type>();

/** The part of avsc's (untyped) Tap a reader needs. */
interface Tap {
  buf: Uint8Array;
  pos: number;
  readLong(): number;
  skipLong(): void;
  readString(): string;
}
type AvscTypeClass = new (schema: avsc.Schema, opts: unknown) => avsc.Type;
type Reader = { _read(tap: Tap): unknown };

/** A block count no data can back: every item of an array or map takes at least one byte. */
function checkBlockCount(n: number, tap: Tap, what: string): void {
  if (n > tap.buf.length - tap.pos)
    throw new Error(`${what} block of ${n} items cannot fit in the ${tap.buf.length - tap.pos} bytes left`);
}

/**
 * avsc allocates and loops as many times as an array or map block header says before it notices the
 * data ran out, so a corrupt count of a few bytes cost gigabytes (or the process). These subclasses
 * refuse counts larger than the bytes left. (Arrays of zero-byte items such as `null` are thus
 * limited to the bytes left in the block; Paimon never writes them.)
 */
class BoundedArrayType extends (avsc.types.ArrayType as unknown as AvscTypeClass) {}
Object.defineProperty(BoundedArrayType.prototype, '_read', {
  value(this: { itemsType: Reader }, tap: Tap): unknown[] {
    const items = this.itemsType;
    const out: unknown[] = [];
    for (let n = tap.readLong(); n; n = tap.readLong()) {
      if (n < 0) {
        n = -n;
        tap.skipLong();
      }
      checkBlockCount(n, tap, 'array');
      while (n--) out.push(items._read(tap));
    }
    return out;
  },
});
class BoundedMapType extends (avsc.types.MapType as unknown as AvscTypeClass) {}
Object.defineProperty(BoundedMapType.prototype, '_read', {
  value(this: { valuesType: Reader }, tap: Tap): Record<string, unknown> {
    const values = this.valuesType;
    const out: Record<string, unknown> = {};
    for (let n = tap.readLong(); n; n = tap.readLong()) {
      if (n < 0) {
        n = -n;
        tap.skipLong();
      }
      checkBlockCount(n, tap, 'map');
      while (n--) {
        const key = tap.readString();
        out[key] = values._read(tap);
      }
    }
    return out;
  },
});

/** Compiles (and caches by JSON text) an avsc type whose longs are bigints. */
export function avroType(schema: AvroSchema): avsc.Type {
  const json = typeof schema === 'string' ? schema : JSON.stringify(schema);
  let t = typeCache.get(json);
  if (!t) {
    t = avsc.Type.forSchema(JSON.parse(json) as avsc.Schema, {
      registry: {},
      wrapUnions: 'auto',
      // every long, also `{"type": "long", "logicalType": "timestamp-millis"}`, reads as bigint
      typeHook: (s: avsc.Schema, opts: unknown) => {
        const type = typeof s === 'object' && s !== null ? (s as { type?: unknown }).type : s;
        if (type === 'long') return BIGINT_LONG;
        if (type === 'array' && s !== 'array') return new BoundedArrayType(s, opts);
        if (type === 'map' && s !== 'map') return new BoundedMapType(s, opts);
        return undefined;
      },
    });
    if (typeCache.size > 64) typeCache.delete(typeCache.keys().next().value as string);
    typeCache.set(json, t);
  }
  return t;
}

// ---------------------------------------------------------------------------------------------
// Codecs

let zstdReady: Promise<void> | undefined;
const ensureZstd = (): Promise<void> => {
  zstdReady ??= zstdInit();
  return zstdReady;
};

async function compressBlock(codec: AvroCodec, data: Uint8Array): Promise<Uint8Array> {
  switch (codec) {
    case 'null':
      return data;
    case 'deflate':
      return deflateRawSync(data);
    case 'snappy': {
      const c = snappy.compress(data);
      const out = new Uint8Array(c.length + 4);
      out.set(c, 0);
      new DataView(out.buffer).setUint32(c.length, crc32(data), false);
      return out;
    }
    case 'zstandard': {
      await ensureZstd();
      const out = zstdCompress(data, ZSTD_LEVEL);
      // Metadata is the table: a block that would not read back is refused before it is written
      // (a wasm codec's state is one bug away from silently wrong bytes; reading back is cheap).
      let back: Uint8Array | undefined;
      try {
        back = zstdDecompressBounded(out, data.length, 'a manifest block being written');
      } catch {
        back = undefined;
      }
      if (!back || Buffer.compare(back, data) !== 0)
        throw new EddyError(
          'IO_ERROR',
          'zstd compressed an Avro block to bytes that do not decompress to it; nothing was written',
        );
      return out;
    }
    default:
      throw new EddyError('INVALID_ARGUMENT', `unknown Avro codec '${codec as string}'`);
  }
}

/**
 * Most bytes one block may decompress to. Paimon's (and Avro Java's) writers close a block at about
 * 64 KB; the limit stops a small "decompression bomb" from taking gigabytes of memory.
 */
export const MAX_AVRO_BLOCK_BYTES = 64 * 1024 * 1024;

function zstdDecompressBounded(data: Uint8Array, limit: number, path: string): Uint8Array {
  const chunks: Uint8Array[] = [];
  let n = 0;
  const d = new ZstdDecompress((chunk) => {
    n += chunk.length;
    if (n > limit) throw corruptFile(path, `zstd block decompresses to more than ${limit} bytes`);
    chunks.push(chunk);
  });
  d.push(data, true);
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(n);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

/** The uncompressed length a raw snappy block declares (its leading varint). */
function snappyLength(data: Uint8Array): number {
  let n = 0;
  for (let i = 0, mul = 1; i < 5 && i < data.length; i++, mul *= 128) {
    n += (data[i] & 0x7f) * mul;
    if ((data[i] & 0x80) === 0) return n;
  }
  return Number.POSITIVE_INFINITY;
}

function decompressBlock(codec: string, data: Uint8Array, path: string): Uint8Array {
  const limit = MAX_AVRO_BLOCK_BYTES;
  switch (codec) {
    case 'null':
      return data;
    case 'deflate':
      try {
        return inflateRawSync(data, { maxOutputLength: limit });
      } catch (e) {
        if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE')
          throw corruptFile(path, `deflate block decompresses to more than ${limit} bytes`, e);
        throw e;
      }
    case 'snappy': {
      if (data.length < 4) throw corruptFile(path, 'snappy block shorter than its checksum');
      const body = data.subarray(0, data.length - 4);
      if (snappyLength(body) > limit) throw corruptFile(path, `snappy block declares more than ${limit} bytes`);
      const out = snappy.uncompress(body);
      const expected = new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(data.length - 4, false);
      if (crc32(out) !== expected) throw corruptFile(path, 'snappy block checksum mismatch');
      return out;
    }
    case 'zstandard':
      return zstdDecompressBounded(data, limit, path);
    default:
      throw new EddyError('UNSUPPORTED', `${path}: unsupported Avro codec '${codec}'`, { path });
  }
}

// ---------------------------------------------------------------------------------------------
// Varint helpers (zig-zag longs for block headers and the metadata map)

class ByteWriter {
  private chunks: Uint8Array[] = [];
  private scratch: number[] = [];
  length = 0;

  long(v: number): void {
    // zig-zag, then base-128 little-endian groups; `v` stays within safe integers here
    let n = v >= 0 ? v * 2 : -v * 2 - 1;
    const s = this.scratch;
    s.length = 0;
    while (n >= 0x80) {
      s.push((n % 0x80) | 0x80);
      n = Math.floor(n / 0x80);
    }
    s.push(n);
    this.bytes(Uint8Array.from(s));
  }

  bytes(b: Uint8Array): void {
    this.chunks.push(b);
    this.length += b.length;
  }

  string(s: string): void {
    const b = Buffer.from(s, 'utf8');
    this.long(b.length);
    this.bytes(b);
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let off = 0;
    for (const c of this.chunks) {
      out.set(c, off);
      off += c.length;
    }
    return out;
  }
}

class ByteReader {
  pos = 0;
  constructor(
    readonly buf: Uint8Array,
    private readonly path: string,
  ) {}

  get eof(): boolean {
    return this.pos >= this.buf.length;
  }

  long(): number {
    let n = 0;
    let mul = 1;
    for (let i = 0; ; i++) {
      if (this.pos >= this.buf.length) throw corruptFile(this.path, 'truncated Avro container');
      if (i > 7) throw corruptFile(this.path, 'Avro varint too long');
      const b = this.buf[this.pos++]!;
      n += (b & 0x7f) * mul;
      mul *= 0x80;
      if ((b & 0x80) === 0) break;
    }
    return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
  }

  bytes(len: number): Uint8Array {
    if (len < 0 || this.pos + len > this.buf.length) throw corruptFile(this.path, 'truncated Avro container');
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }

  string(): string {
    return Buffer.from(this.bytes(this.long())).toString('utf8');
  }
}

// ---------------------------------------------------------------------------------------------
// Container encode / decode

/** Encodes `records` (plain objects matching `schema`) as an Avro object container file. */
export async function encodeAvroFile(
  schema: AvroSchema,
  records: readonly AvroRecord[],
  codec: AvroCodec,
): Promise<Uint8Array> {
  const schemaJson = typeof schema === 'string' ? schema : JSON.stringify(schema);
  const type = avroType(schemaJson);
  const sync = randomBytes(SYNC_SIZE);
  const out = new ByteWriter();
  out.bytes(MAGIC);
  out.long(2);
  out.string('avro.schema');
  out.string(schemaJson);
  out.string('avro.codec');
  out.string(codec);
  out.long(0);
  out.bytes(sync);

  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const flush = async () => {
    if (pending.length === 0) return;
    const block = await compressBlock(codec, Buffer.concat(pending, pendingBytes));
    out.long(pending.length);
    out.long(block.length);
    out.bytes(block);
    out.bytes(sync);
    pending = [];
    pendingBytes = 0;
  };
  for (const r of records) {
    const b = type.toBuffer(r);
    pending.push(b);
    pendingBytes += b.length;
    if (pendingBytes >= BLOCK_TARGET_BYTES) await flush();
  }
  await flush();
  return out.finish();
}

/** A decoded container: the writer schema (JSON text), codec and all records. */
export interface AvroFile {
  readonly schema: string;
  readonly codec: string;
  readonly records: unknown[];
}

/**
 * Decodes an Avro object container file with its embedded writer schema. Truncated or corrupt
 * input raises CORRUPT_FILE naming `path`.
 */
export async function decodeAvroFile(bytes: Uint8Array, path: string): Promise<AvroFile> {
  try {
    return decodeAvroFileSync(bytes, path);
  } catch (e) {
    if (e instanceof EddyError) throw e;
    throw corruptFile(path, `cannot decode Avro file: ${(e as Error)?.message ?? String(e)}`, e);
  }
}

function decodeAvroFileSync(bytes: Uint8Array, path: string): AvroFile {
  const r = new ByteReader(bytes, path);
  const magic = r.bytes(4);
  if (!MAGIC.every((b, i) => magic[i] === b)) throw corruptFile(path, 'not an Avro object container file');
  const meta = new Map<string, Uint8Array>();
  for (;;) {
    let count = r.long();
    if (count === 0) break;
    if (count < 0) {
      count = -count;
      r.long(); // block byte size, unused
    }
    for (let i = 0; i < count; i++) {
      const key = r.string();
      meta.set(key, r.bytes(r.long()));
    }
  }
  const sync = r.bytes(SYNC_SIZE);
  const schemaBytes = meta.get('avro.schema');
  if (!schemaBytes) throw corruptFile(path, 'Avro header has no avro.schema');
  // Compiling a huge schema costs more than any manifest is worth.
  checkMetadataSize(schemaBytes.byteLength, MAX_AVRO_SCHEMA_BYTES, path, 'Avro schema');
  const schema = Buffer.from(schemaBytes).toString('utf8');
  const codecBytes = meta.get('avro.codec');
  const codec = codecBytes ? Buffer.from(codecBytes).toString('utf8') : 'null';
  const type = avroType(schema);

  const records: unknown[] = [];
  let decoded = 0;
  while (!r.eof) {
    const count = r.long();
    const size = r.long();
    if (count < 0 || size < 0) throw corruptFile(path, 'negative Avro block header');
    const raw = decompressBlock(codec, r.bytes(size), path);
    decoded += raw.byteLength;
    checkMetadataSize(decoded, MAX_AVRO_DECODED_BYTES, path, 'decompressed Avro data');
    const data = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    // Every record takes at least a byte (Paimon's all do): a larger count is corrupt, and would
    // otherwise loop (and allocate) that many times over records of zero bytes.
    if (count > data.length) throw corruptFile(path, `Avro block of ${data.length} bytes declares ${count} records`);
    let pos = 0;
    for (let i = 0; i < count; i++) {
      const { value, offset } = type.decode(data, pos);
      if (offset < 0) throw corruptFile(path, 'truncated Avro block');
      records.push(value);
      pos = offset;
    }
    if (pos !== data.length) throw corruptFile(path, 'Avro block has trailing bytes');
    const marker = r.bytes(SYNC_SIZE);
    if (!marker.every((b, i) => sync[i] === b)) throw corruptFile(path, 'Avro sync marker mismatch');
  }
  return { schema, codec, records };
}

// ---------------------------------------------------------------------------------------------
// Field access helpers for decoded records (lookup by name, missing → null)

/** Unwraps an old-style `["null", record]` top-level value and checks it is a record. */
export function asRecord(v: unknown, path: string, what: string): AvroRecord {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof Uint8Array) {
    throw corruptFile(path, `${what} is not a record`);
  }
  return v as AvroRecord;
}

/** Readers for fields of a decoded record; `required*` throw CORRUPT_FILE when absent. */
export class FieldReader {
  constructor(
    private readonly rec: AvroRecord,
    private readonly path: string,
    private readonly what: string,
  ) {}

  private missing(name: string): never {
    throw corruptFile(this.path, `${this.what} has no ${name}`);
  }

  raw(name: string): unknown {
    const v = this.rec[name];
    return v === undefined ? null : v;
  }

  has(name: string): boolean {
    return this.raw(name) !== null;
  }

  requiredInt(name: string): number {
    const v = this.optionalInt(name);
    return v === null ? this.missing(name) : v;
  }

  optionalInt(name: string): number | null {
    const v = this.raw(name);
    if (v === null) return null;
    if (typeof v === 'bigint') {
      if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
        throw corruptFile(this.path, `${this.what}.${name} = ${v} exceeds the safe integer range`);
      }
      return Number(v);
    }
    if (typeof v === 'number') return v;
    throw corruptFile(this.path, `${this.what}.${name} is not a number`);
  }

  requiredLong(name: string): bigint {
    const v = this.raw(name);
    if (v === null) return this.missing(name);
    if (typeof v === 'bigint') return v;
    if (typeof v === 'number') return BigInt(v);
    throw corruptFile(this.path, `${this.what}.${name} is not a number`);
  }

  requiredString(name: string): string {
    const v = this.optionalString(name);
    return v === null ? this.missing(name) : v;
  }

  optionalString(name: string): string | null {
    const v = this.raw(name);
    if (v === null) return null;
    if (typeof v !== 'string') throw corruptFile(this.path, `${this.what}.${name} is not a string`);
    return v;
  }

  requiredBytes(name: string): Uint8Array {
    const v = this.optionalBytes(name);
    return v === null ? this.missing(name) : v;
  }

  optionalBytes(name: string): Uint8Array | null {
    const v = this.raw(name);
    if (v === null) return null;
    if (!(v instanceof Uint8Array)) throw corruptFile(this.path, `${this.what}.${name} is not bytes`);
    // copy out of avsc's block buffer into a plain Uint8Array
    return new Uint8Array(v);
  }

  optionalArray(name: string): unknown[] | null {
    const v = this.raw(name);
    if (v === null) return null;
    if (!Array.isArray(v)) throw corruptFile(this.path, `${this.what}.${name} is not an array`);
    return v;
  }

  optionalStringArray(name: string): string[] | null {
    const a = this.optionalArray(name);
    if (a === null) return null;
    return a.map((x) => {
      if (typeof x !== 'string') throw corruptFile(this.path, `${this.what}.${name} has a non-string element`);
      return x;
    });
  }

  optionalRecord(name: string): FieldReader | null {
    const v = this.raw(name);
    if (v === null) return null;
    return new FieldReader(asRecord(v, this.path, `${this.what}.${name}`), this.path, `${this.what}.${name}`);
  }

  requiredRecord(name: string): FieldReader {
    const v = this.optionalRecord(name);
    return v === null ? this.missing(name) : v;
  }
}

// ---------------------------------------------------------------------------------------------
// Schema builders matching Paimon's AvroSchemaConverter output

/** Top-level record of every Paimon metadata file. */
export const PAIMON_RECORD_NAMESPACE = 'org.apache.paimon.avro.generated';

/** A nullable field: `["null", T]` with `"default": null` (null must be branch 0). */
export const nullableField = <T extends AvroSchema>(name: string, type: T) => ({
  name,
  type: ['null', type] as ['null', T],
  default: null,
});
export const field = <T extends AvroSchema>(name: string, type: T) => ({ name, type });

/** Paimon's SimpleStats record (`_MIN_VALUES`, `_MAX_VALUES`, `_NULL_COUNTS`), named `recordName`. */
export const simpleStatsSchema = (recordName: string) => ({
  type: 'record',
  name: recordName,
  fields: [
    field('_MIN_VALUES', 'bytes'),
    field('_MAX_VALUES', 'bytes'),
    nullableField('_NULL_COUNTS', { type: 'array', items: ['null', 'long'] }),
  ],
});

/** Converts an optional JS number to an Avro long value. */
export const toLong = (v: number | bigint | null | undefined): bigint | null =>
  v === null || v === undefined ? null : typeof v === 'bigint' ? v : BigInt(Math.trunc(v));

/** Buffer view for avsc `bytes` fields. */
export const toAvroBytes = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);
