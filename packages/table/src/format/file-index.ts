/**
 * Paimon's file index container (Java: org.apache.paimon.fileindex.FileIndexFormat, version 1):
 * the bytes of `_EMBEDDED_FILE_INDEX` in a manifest entry, or of a `<data file>.index` file listed
 * in `_EXTRA_FILES`. All integers big-endian; strings in Java's modified UTF-8 (DataOutput.writeUTF:
 * a 2-byte length, then the bytes).
 *
 * ```
 * magic            8   1493475289347502
 * version          4   1
 * head length      4   bytes from the start of the file to the end of the head
 * column count     4
 *   column name    UTF
 *   index count    4
 *     index type   UTF    (bloom-filter, bitmap, bsi, range-bitmap, …)
 *     start        4      from the start of the file; -1: the index is empty (no rows)
 *     length       4
 * redundant length 4   0 (the reader skips whatever of the head follows)
 * body                 the indexes' bytes
 * ```
 *
 * A reader looks indexes up by the column names of the schema the data file was written with.
 */
import { corruptFile, EddyError } from '../types/errors.ts';

const MAGIC = 1493475289347502n;
const VERSION = 1;
/** The start of an index without bytes (FileIndexFormat.EMPTY_INDEX_FLAG). */
export const EMPTY_INDEX = -1;
/** Magic, version and head length: what a reader needs to know the head's size. */
export const FILE_INDEX_PREFIX = 16;
/** Larger heads (column names of 16 MiB) are not ones Paimon writes. */
const MAX_HEAD = 16 * 1024 * 1024;

export interface FileIndexEntry {
  /** Byte offset from the start of the index bytes, or EMPTY_INDEX. */
  readonly start: number;
  readonly length: number;
}

/** A parsed head: column → index type → where its bytes are. */
export interface FileIndexHead {
  readonly headLength: number;
  readonly columns: ReadonlyMap<string, ReadonlyMap<string, FileIndexEntry>>;
}

/** One index of one column, to write. */
export interface FileIndexPart {
  readonly column: string;
  readonly indexType: string;
  /** null: an empty index (no rows), written with start EMPTY_INDEX. */
  readonly bytes: Uint8Array | null;
}

/** Java's DataOutput.writeUTF encoding (no length prefix): U+0000 as two bytes, surrogates one by one. */
export function modifiedUtf8(s: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x01 && c <= 0x7f) out.push(c);
    else if (c <= 0x7ff) out.push(0xc0 | (c >> 6), 0x80 | (c & 0x3f));
    else out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
  }
  if (out.length > 0xffff)
    throw new EddyError('INVALID_ARGUMENT', `file index: name of ${out.length} bytes is too long`);
  return Uint8Array.from(out);
}

/**
 * The container bytes of `parts`, in their order (Java writes a HashMap's order; readers look
 * indexes up by name, so the order only matters for byte-identical output).
 */
export function encodeFileIndex(parts: readonly FileIndexPart[]): Uint8Array {
  // Group by column, keeping first-seen order.
  const byColumn = new Map<string, FileIndexPart[]>();
  for (const p of parts) {
    const list = byColumn.get(p.column);
    if (list) list.push(p);
    else byColumn.set(p.column, [p]);
  }
  let headLength = 8 + 4 + 4 + 4 + 4;
  const names = new Map<string, Uint8Array>();
  const utf = (s: string) => {
    let b = names.get(s);
    if (!b) {
      b = modifiedUtf8(s);
      names.set(s, b);
    }
    return b;
  };
  for (const [column, list] of byColumn) {
    headLength += 2 + utf(column).length + 4;
    for (const p of list) headLength += 2 + utf(p.indexType).length + 8;
  }
  let bodyLength = 0;
  for (const p of parts) bodyLength += p.bytes?.length ?? 0;
  const out = new Uint8Array(headLength + bodyLength);
  const view = new DataView(out.buffer);
  let at = 0;
  const int = (v: number) => {
    view.setInt32(at, v);
    at += 4;
  };
  const str = (s: string) => {
    const b = utf(s);
    view.setUint16(at, b.length);
    out.set(b, at + 2);
    at += 2 + b.length;
  };
  view.setBigInt64(0, MAGIC);
  at = 8;
  int(VERSION);
  int(headLength);
  int(byColumn.size);
  let body = headLength;
  for (const [column, list] of byColumn) {
    str(column);
    int(list.length);
    for (const p of list) {
      str(p.indexType);
      if (p.bytes === null) {
        int(EMPTY_INDEX);
        int(0);
      } else {
        int(body);
        int(p.bytes.length);
        out.set(p.bytes, body);
        body += p.bytes.length;
      }
    }
  }
  int(0); // redundant length
  return out;
}

/**
 * The head length from the first FILE_INDEX_PREFIX bytes, or undefined for an index version this
 * reader does not know (a later Paimon's: not used, which only costs reading the data file).
 */
export function fileIndexHeadLength(prefix: Uint8Array, totalLength: number, path: string): number | undefined {
  if (prefix.length < FILE_INDEX_PREFIX || totalLength < FILE_INDEX_PREFIX)
    throw corruptFile(path, `file index of ${totalLength} bytes is too short`);
  const view = new DataView(prefix.buffer, prefix.byteOffset, prefix.byteLength);
  if (view.getBigInt64(0) !== MAGIC) throw corruptFile(path, 'not a Paimon file index (bad magic)');
  if (view.getInt32(8) !== VERSION) return undefined;
  const headLength = view.getInt32(12);
  if (headLength < FILE_INDEX_PREFIX + 4 || headLength > totalLength || headLength > MAX_HEAD)
    throw corruptFile(path, `file index head of ${headLength} bytes does not fit its ${totalLength} bytes`);
  return headLength;
}

/**
 * Parses a file index's head. `bytes` holds at least the head (the whole index when embedded);
 * `totalLength` is the size of the index, which every entry must lie within. Undefined for an
 * unknown version. Throws CORRUPT_FILE naming `path` on anything malformed.
 */
export function decodeFileIndexHead(bytes: Uint8Array, totalLength: number, path: string): FileIndexHead | undefined {
  const headLength = fileIndexHeadLength(bytes, totalLength, path);
  if (headLength === undefined) return undefined;
  if (bytes.length < headLength) throw corruptFile(path, 'file index head is cut short');
  const view = new DataView(bytes.buffer, bytes.byteOffset, headLength);
  let at = FILE_INDEX_PREFIX;
  const need = (n: number) => {
    if (at + n > headLength) throw corruptFile(path, 'file index head is cut short');
  };
  const int = () => {
    need(4);
    const v = view.getInt32(at);
    at += 4;
    return v;
  };
  const str = () => {
    need(2);
    const n = view.getUint16(at);
    at += 2;
    need(n);
    const s = readModifiedUtf8(bytes, at, at + n, path);
    at += n;
    return s;
  };
  const columns = new Map<string, Map<string, FileIndexEntry>>();
  const columnCount = int();
  for (let i = 0; i < columnCount; i++) {
    const column = str();
    const indexCount = int();
    let types = columns.get(column);
    if (!types) {
      types = new Map();
      columns.set(column, types);
    }
    for (let j = 0; j < indexCount; j++) {
      const indexType = str();
      const start = int();
      const length = int();
      const empty = start === EMPTY_INDEX;
      if (!empty && (start < 0 || length < 0 || start + length > totalLength))
        throw corruptFile(
          path,
          `file index of '${column}' (${indexType}) at ${start}+${length} is outside its ${totalLength} bytes`,
        );
      types.set(indexType, { start, length: empty ? 0 : length });
    }
  }
  return { headLength, columns };
}

/** Java's DataInput.readUTF decoding of bytes[start, end). */
function readModifiedUtf8(b: Uint8Array, start: number, end: number, path: string): string {
  let s = '';
  let i = start;
  const bad = () => corruptFile(path, 'file index name is not modified UTF-8');
  while (i < end) {
    const c = b[i];
    if (c < 0x80) {
      s += String.fromCharCode(c);
      i++;
    } else if ((c & 0xe0) === 0xc0) {
      if (i + 2 > end || (b[i + 1] & 0xc0) !== 0x80) throw bad();
      s += String.fromCharCode(((c & 0x1f) << 6) | (b[i + 1] & 0x3f));
      i += 2;
    } else if ((c & 0xf0) === 0xe0) {
      if (i + 3 > end || (b[i + 1] & 0xc0) !== 0x80 || (b[i + 2] & 0xc0) !== 0x80) throw bad();
      s += String.fromCharCode(((c & 0x0f) << 12) | ((b[i + 1] & 0x3f) << 6) | (b[i + 2] & 0x3f));
      i += 3;
    } else throw bad();
  }
  return s;
}
