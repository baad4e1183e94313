import { BLOOM_FILTER, BloomFilter64, MAX_BLOOM_BYTES } from '../format/bloom-filter.ts';
import { hashable } from '../format/fast-hash.ts';
import {
  decodeFileIndexHead,
  EMPTY_INDEX,
  FILE_INDEX_PREFIX,
  type FileIndexHead,
  fileIndexHeadLength,
} from '../format/file-index.ts';
import type { DataFileMeta } from '../format/manifest.ts';
import type { FileIO } from '../io/file-io.ts';
import { readCache, readCacheKey } from '../io/read-cache.ts';
import type { TablePaths } from '../meta/table-paths.ts';
import type { DataType } from '../types/data-types.ts';
import { corruptFile, EddyError } from '../types/errors.ts';
import type { InternalValue } from '../types/internal.ts';

/**
 * What a data file's index says about a column (by its name in the file's schema): a bloom
 * filter, `empty` (Java's EmptyFileIndexReader: the index holds no rows, so no value matches), or
 * nothing known. Only bloom filters are read; other types (bitmap, bsi, range-bitmap) are
 * ignored, which only costs reading the file.
 */
export type ColumnIndex = BloomFilter64 | 'empty' | undefined;

/** A file's indexes for the columns a filter asked about. */
export interface FileIndexView {
  column(name: string): ColumnIndex;
}

/** Whether `index` proves that no row holds `value` (an equality with null never matches). */
export function provesAbsent(index: ColumnIndex, type: DataType, value: InternalValue): boolean {
  if (index === undefined) return false;
  if (value === null || index === 'empty') return true;
  return !index.mightContain(type, value);
}

interface ParsedIndex {
  readonly head: FileIndexHead;
  /** The indexes read so far, by column. */
  readonly blooms: Map<string, ColumnIndex>;
}

/** Embedded indexes parsed once per decoded manifest entry (entries are cached with their manifest). */
const embedded = new WeakMap<Uint8Array, ParsedIndex | null>();

/** Extra index files larger than this are read by ranges (head, then the filters needed). */
const WHOLE_READ = 256 * 1024;

/**
 * Reads data files' indexes (Java: FileIndexEvaluator, FileIndexPredicate): `_EMBEDDED_FILE_INDEX`
 * bytes, or the one `.index` file among `_EXTRA_FILES` beside the data file. A malformed index is
 * CORRUPT_FILE naming the file; sizes are checked before anything is allocated.
 */
export class FileIndexReader {
  constructor(
    private readonly io: FileIO,
    readonly paths: TablePaths,
  ) {}

  /**
   * The indexes of `columns` (file-schema names) of `file` in bucket directory `dir`, or undefined
   * when it has none. `mayHaveExtra` false skips the `.index` file (no column asked for is one
   * the table's options index: reading it would cost a request for nothing).
   */
  async view(
    file: DataFileMeta,
    dir: string,
    columns: readonly string[],
    types: (column: string) => DataType | undefined,
    mayHaveExtra: boolean,
  ): Promise<FileIndexView | undefined> {
    if (file.embeddedIndex !== null) {
      const bytes = file.embeddedIndex;
      const what = `embedded file index of ${file.fileName}`;
      let parsed = embedded.get(bytes);
      if (parsed === undefined) {
        const head = decodeFileIndexHead(bytes, bytes.length, what);
        parsed = head ? { head, blooms: new Map() } : null;
        embedded.set(bytes, parsed);
      }
      if (!parsed) return undefined;
      const p = parsed;
      for (const c of columns) {
        if (p.blooms.has(c)) continue;
        p.blooms.set(
          c,
          columnIndex(p.head, c, types(c), (e) => bytes.subarray(e.start, e.start + e.length), what),
        );
      }
      return { column: (c) => p.blooms.get(c) };
    }
    const extras = file.extraFiles.filter((n) => n.endsWith('.index'));
    if (extras.length === 0 || !mayHaveExtra) return undefined;
    if (extras.length > 1)
      throw new EddyError(
        'CORRUPT_FILE',
        `data file ${file.fileName} lists more than one index file: ${extras.join(' and ')}`,
      );
    const path = this.paths.extraFile(dir, file, extras[0]);
    return this.extraView(path, columns, types);
  }

  private async extraView(
    path: string,
    columns: readonly string[],
    types: (column: string) => DataType | undefined,
  ): Promise<FileIndexView | undefined> {
    const io = this.io;
    const key = readCacheKey(io, 'file-index', path);
    const cache = readCache();
    let entry = cache.get(key) as (ParsedIndex & { size: number; bytes?: Uint8Array }) | null | undefined;
    if (entry === undefined) {
      const st = await io.stat(path);
      if (!st) throw new EddyError('CORRUPT_FILE', `${path}: file index listed in _EXTRA_FILES is missing`, { path });
      const size = st.size;
      let head: FileIndexHead | undefined;
      let bytes: Uint8Array | undefined;
      if (size <= WHOLE_READ) {
        bytes = await io.read(path);
        head = decodeFileIndexHead(bytes, bytes.length, path);
      } else {
        const prefix = await io.readRange(path, 0, FILE_INDEX_PREFIX);
        const headLength = fileIndexHeadLength(prefix, size, path);
        if (headLength !== undefined) head = decodeFileIndexHead(await io.readRange(path, 0, headLength), size, path);
      }
      entry = head ? { head, blooms: new Map(), size, bytes } : null;
      cache.set(key, entry, (bytes?.length ?? 0) + 1024);
    }
    if (!entry) return undefined;
    const e = entry;
    for (const c of columns) {
      if (e.blooms.has(c)) continue;
      const type = types(c);
      const loc = e.head.columns.get(c)?.get(BLOOM_FILTER);
      if (
        e.bytes ||
        loc === undefined ||
        loc.start === EMPTY_INDEX ||
        type === undefined ||
        loc.length > MAX_BLOOM_BYTES
      ) {
        e.blooms.set(
          c,
          columnIndex(e.head, c, type, (x) => (e.bytes as Uint8Array).subarray(x.start, x.start + x.length), path),
        );
        continue;
      }
      const bytes = await io.readRange(path, loc.start, loc.length);
      e.blooms.set(
        c,
        columnIndex(e.head, c, type, () => bytes, path),
      );
      cache.grow(key, bytes.length);
    }
    return { column: (c) => e.blooms.get(c) };
  }
}

/**
 * A column's usable index from a head: an empty index (start -1, of any type) or a bloom filter of
 * a column whose type is known. `read` returns an entry's bytes (in bounds: the head was checked).
 */
function columnIndex(
  head: FileIndexHead,
  column: string,
  type: DataType | undefined,
  read: (e: { start: number; length: number }) => Uint8Array,
  what: string,
): ColumnIndex {
  const types = head.columns.get(column);
  if (!types || type === undefined || !hashable(type)) return undefined;
  for (const e of types.values()) if (e.start === EMPTY_INDEX) return 'empty';
  const bloom = types.get(BLOOM_FILTER);
  if (!bloom || bloom.length > MAX_BLOOM_BYTES) return undefined;
  try {
    return BloomFilter64.deserialize(read(bloom), what);
  } catch (e) {
    if (e instanceof EddyError) throw e;
    throw corruptFile(what, `cannot read the bloom filter of '${column}'`, e);
  }
}
