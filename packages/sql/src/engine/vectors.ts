/**
 * DuckDB vectors ⇄ wire columns, in the engine worker. Fixed-width values are copied with one
 * memcpy per vector; strings of up to 12 bytes are written inline into DuckDB's 16-byte string
 * structs, longer ones through DuckDB's string heap; validity bitmaps have DuckDB's layout.
 */

import { type DuckDBDataChunk, type DuckDBType, DuckDBTypeId, JSDuckDBValueConverter } from '@duckdb/node-api';
import duckdb from '@duckdb/node-bindings';
import type { WireBatch, WireColumn, WireField, WireType } from './protocol.ts';

/** DuckDB's standard vector size: the most rows a table function emits per call. */
export const VECTOR_SIZE = 2048;

/** Bytes per value of a fixed-width DuckDB type, or 0 when it is not fixed-width on the wire. */
export function fixedWidth(t: WireType): number {
  switch (t.id) {
    case DuckDBTypeId.BOOLEAN:
    case DuckDBTypeId.TINYINT:
    case DuckDBTypeId.UTINYINT:
      return 1;
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.USMALLINT:
      return 2;
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.UINTEGER:
    case DuckDBTypeId.FLOAT:
    case DuckDBTypeId.DATE:
      return 4;
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.DOUBLE:
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_S:
    case DuckDBTypeId.TIMESTAMP_MS:
    case DuckDBTypeId.TIMESTAMP_NS:
    case DuckDBTypeId.TIMESTAMP_TZ:
    case DuckDBTypeId.TIME:
      return 8;
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UHUGEINT:
      return 16;
    case DuckDBTypeId.DECIMAL:
      return decimalWidth(t.width ?? 18);
    default:
      return 0;
  }
}

/** DuckDB stores DECIMAL(p, s) in 2, 4, 8 or 16 bytes by precision. */
export function decimalWidth(precision: number): number {
  return precision <= 4 ? 2 : precision <= 9 ? 4 : precision <= 18 ? 8 : 16;
}

export const isVarType = (t: WireType): boolean => t.id === DuckDBTypeId.VARCHAR || t.id === DuckDBTypeId.BLOB;

export function wireType(t: DuckDBType): WireType {
  const sql = t.toString();
  if (t.typeId === DuckDBTypeId.DECIMAL) {
    const d = t as unknown as { width: number; scale: number };
    return { id: t.typeId, width: d.width, scale: d.scale, sql };
  }
  return { id: t.typeId, sql };
}

// ---------------------------------------------------------------------------------------------
// Wire → DuckDB (a table function filling its output chunk)

const structs = new Uint8Array(VECTOR_SIZE * 16);
const structView = new DataView(structs.buffer);

/** Writes rows [from, from + n) of a wire column into a DuckDB vector. `from` is a multiple of 8. */
export function fillVector(vector: duckdb.Vector, type: WireType, col: WireColumn, from: number, n: number): void {
  if (col.kind === 'fixed') {
    const w = fixedWidth(type);
    duckdb.copy_data_to_vector(vector, 0, col.data.buffer as ArrayBuffer, col.data.byteOffset + from * w, n * w);
  } else if (col.kind === 'var') {
    const { offsets, bytes } = col;
    structs.fill(0, 0, n * 16);
    let long: number[] | undefined;
    for (let i = 0; i < n; i++) {
      const s = offsets[from + i];
      const len = offsets[from + i + 1] - s;
      if (len <= 12) {
        structView.setUint32(i * 16, len, true);
        structs.set(bytes.subarray(s, s + len), i * 16 + 4);
      } else {
        long ??= [];
        long.push(i);
      }
    }
    duckdb.copy_data_to_vector(vector, 0, structs.buffer, 0, n * 16);
    if (long)
      for (const i of long)
        duckdb.vector_assign_string_element_len(vector, i, bytes.subarray(offsets[from + i], offsets[from + i + 1]));
  } else {
    throw new Error(`cannot write a ${type.sql} column into DuckDB`);
  }
  if (col.validity) {
    duckdb.vector_ensure_validity_writable(vector);
    duckdb.copy_data_to_vector_validity(
      vector,
      0,
      col.validity.buffer as ArrayBuffer,
      col.validity.byteOffset + (from >> 3),
      Math.ceil(n / 64) * 8,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// DuckDB → wire (query results), a batch gathered from several chunks

/** A bitmap of n rows with room to the next 64-bit word, all present. */
export function allValid(n: number): Uint8Array {
  return new Uint8Array(Math.ceil(n / 64) * 8).fill(0xff);
}

/** Copies n bits from `src` (bit 0 on) into `dst` at bit `at`. */
export function copyBits(dst: Uint8Array, at: number, src: Uint8Array, n: number): void {
  if ((at & 7) === 0) {
    const whole = n >> 3;
    dst.set(src.subarray(0, whole), at >> 3);
    for (let i = whole << 3; i < n; i++) setBit(dst, at + i, (src[i >> 3] >> (i & 7)) & 1);
    return;
  }
  for (let i = 0; i < n; i++) setBit(dst, at + i, (src[i >> 3] >> (i & 7)) & 1);
}

function setBit(bits: Uint8Array, i: number, v: number): void {
  if (v) bits[i >> 3] |= 1 << (i & 7);
  else bits[i >> 3] &= ~(1 << (i & 7));
}

interface Part {
  readonly n: number;
  readonly fixed?: Uint8Array;
  readonly offsets?: Int32Array;
  readonly bytes?: Uint8Array;
  readonly js?: unknown[];
  readonly validity: Uint8Array | null;
}

const decoder = new TextDecoder();

/** Collects result chunks into wire batches of about `target` rows. */
export class BatchBuilder {
  private parts: Part[][];
  private rows = 0;

  constructor(readonly fields: readonly WireField[]) {
    this.parts = fields.map(() => []);
  }

  get length(): number {
    return this.rows;
  }

  add(chunk: DuckDBDataChunk): void {
    const n = chunk.rowCount;
    if (n === 0) return;
    for (let c = 0; c < this.fields.length; c++) {
      const type = this.fields[c].type;
      const vector = duckdb.data_chunk_get_vector(chunk.chunk, c);
      const w = fixedWidth(type);
      const raw = duckdb.vector_get_validity(vector, Math.ceil(n / 64) * 8);
      const validity = raw && !allSet(raw, n) ? own(raw) : null;
      if (w > 0 && type.id !== DuckDBTypeId.UHUGEINT) {
        this.parts[c].push({ n, fixed: own(duckdb.vector_get_data(vector, n * w)), validity });
      } else if (isVarType(type)) {
        this.parts[c].push({ n, ...readStrings(vector, n, validity), validity });
      } else {
        const js = chunk.convertColumnValues(c, JSDuckDBValueConverter);
        this.parts[c].push({ n, js, validity: null });
      }
    }
    this.rows += n;
  }

  /** The rows added so far as one batch (and starts a new one). */
  take(): WireBatch {
    const n = this.rows;
    const columns = this.parts.map((parts, c) => concatParts(this.fields[c].type, parts, n));
    this.parts = this.fields.map(() => []);
    this.rows = 0;
    return { length: n, columns };
  }
}

function allSet(bits: Uint8Array, n: number): boolean {
  const whole = n >> 3;
  for (let i = 0; i < whole; i++) if (bits[i] !== 0xff) return false;
  for (let i = whole << 3; i < n; i++) if (((bits[i >> 3] >> (i & 7)) & 1) === 0) return false;
  return true;
}

/** A copy in a buffer of its own (a Node Buffer may be a view into a shared pool). */
function own(b: Uint8Array): Uint8Array {
  return b.byteOffset === 0 && b.buffer.byteLength === b.byteLength ? b : b.slice();
}

function readStrings(
  vector: duckdb.Vector,
  n: number,
  validity: Uint8Array | null,
): { offsets: Int32Array; bytes: Uint8Array } {
  const data = duckdb.vector_get_data(vector, n * 16);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const offsets = new Int32Array(n + 1);
  let bytes = new Uint8Array(Math.max(64, n * 16));
  let at = 0;
  for (let i = 0; i < n; i++) {
    offsets[i] = at;
    if (validity && ((validity[i >> 3] >> (i & 7)) & 1) === 0) continue;
    const len = view.getUint32(i * 16, true);
    if (at + len > bytes.length) {
      const grown = new Uint8Array(Math.max(bytes.length * 2, at + len));
      grown.set(bytes.subarray(0, at));
      bytes = grown;
    }
    if (len <= 12) bytes.set(data.subarray(i * 16 + 4, i * 16 + 4 + len), at);
    else bytes.set(duckdb.get_data_from_pointer(data.buffer as ArrayBuffer, data.byteOffset + i * 16 + 8, len), at);
    at += len;
  }
  offsets[n] = at;
  return { offsets, bytes: bytes.slice(0, at) };
}

function concatParts(type: WireType, parts: readonly Part[], n: number): WireColumn {
  let validity: Uint8Array | null = null;
  if (parts.some((p) => p.validity !== null)) {
    validity = allValid(n);
    let at = 0;
    for (const p of parts) {
      if (p.validity) copyBits(validity, at, p.validity, p.n);
      at += p.n;
    }
  }
  const first = parts[0];
  if (!first) {
    return fixedWidth(type) > 0
      ? { kind: 'fixed', data: new Uint8Array(0), validity }
      : isVarType(type)
        ? { kind: 'var', offsets: new Int32Array(1), bytes: new Uint8Array(0), validity }
        : { kind: 'js', values: [] };
  }
  if (first.fixed) {
    if (parts.length === 1) return { kind: 'fixed', data: first.fixed, validity };
    const total = parts.reduce((s, p) => s + (p.fixed as Uint8Array).length, 0);
    const data = new Uint8Array(total);
    let at = 0;
    for (const p of parts) {
      data.set(p.fixed as Uint8Array, at);
      at += (p.fixed as Uint8Array).length;
    }
    return { kind: 'fixed', data, validity };
  }
  if (first.offsets) {
    if (parts.length === 1) return { kind: 'var', offsets: first.offsets, bytes: first.bytes as Uint8Array, validity };
    const offsets = new Int32Array(n + 1);
    const total = parts.reduce((s, p) => s + (p.bytes as Uint8Array).length, 0);
    const bytes = new Uint8Array(total);
    let row = 0;
    let at = 0;
    for (const p of parts) {
      const o = p.offsets as Int32Array;
      for (let i = 0; i < p.n; i++) offsets[row + i] = o[i] + at;
      bytes.set(p.bytes as Uint8Array, at);
      at += (p.bytes as Uint8Array).length;
      row += p.n;
    }
    offsets[n] = at;
    return { kind: 'var', offsets, bytes, validity };
  }
  const values: unknown[] = [];
  for (const p of parts) for (const v of p.js as unknown[]) values.push(v);
  return { kind: 'js', values };
}

/** Text of a VARCHAR wire value (for small result columns the worker reads itself). */
export function wireString(col: WireColumn, i: number): string | null {
  if (col.kind !== 'var') return null;
  if (col.validity && ((col.validity[i >> 3] >> (i & 7)) & 1) === 0) return null;
  return decoder.decode(col.bytes.subarray(col.offsets[i], col.offsets[i + 1]));
}
