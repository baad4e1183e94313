import * as arrow from 'apache-arrow';
import {
  type ColumnMetaData,
  type FileMetaData,
  type ParquetParsers,
  parquetMetadata,
  type SchemaElement,
} from 'hyparquet';
import type { Column, VarBytes } from '../data/columns.ts';
import type { RawBatch, RawColumn } from '../data/raw-columns.ts';
import { readCache, readCacheKey } from '../io/read-cache.ts';
import type { DataField } from '../types/data-types.ts';
import { EddyError } from '../types/errors.ts';
import type { InternalValue } from '../types/internal.ts';
import { type EncodeOptions, parquetWorkers } from './parquet-workers.ts';
import type { ColumnStats } from './stats.ts';

export type ParquetCompression = 'zstd' | 'snappy' | 'gzip' | 'lz4' | 'none';

export interface ParquetWriteOptions {
  compression: ParquetCompression;
  /** Accepted for Paimon's `file.compression.zstd-level`; parquet-wasm encodes at its default level. */
  zstdLevel?: number;
  /** Columns written with DELTA_BINARY_PACKED (sorted keys, sequence numbers). */
  deltaColumns?: readonly string[];
  /** Columns whose dictionary encoding is off (high-cardinality). */
  plainColumns?: readonly string[];
  /** Rows per row group (default 1Mi): smaller groups let lookups decode less. */
  rowGroupRows?: number;
  /** Data page size limit in bytes (default 1 MiB). */
  pageBytes?: number;
  /** Write the page index (per-page min/max and offsets). */
  pageIndex?: boolean;
}

const CREATED_BY = 'eddy (parquet-wasm/arrow-rs)';

/**
 * Writes one RecordBatch as a Parquet file, encoded by parquet-wasm (arrow-rs) in a worker thread
 * (parquet-workers.ts). Field ids travel as Arrow field metadata (`PARQUET:field_id`); arrow-rs
 * writes them into the Parquet schema and per-column statistics. `path` names the file in errors.
 */
export async function writeParquet(
  batch: arrow.RecordBatch,
  options: ParquetWriteOptions,
  path = 'a Parquet file',
): Promise<Uint8Array> {
  const ipc = arrow.tableToIPC(new arrow.Table(batch), 'stream');
  const job = { op: 'encode' as const, bytes: ipc, options: encodeOptions(options) };
  return parquetWorkers().run(job, path, true);
}

/**
 * @internal Rows per slice of a streamed encode: a quarter of a primary-key file's row group
 * (PRIMARY_KEY_LAYOUT), which keeps a worker's WebAssembly memory near 23 MB (45 MB at a whole
 * row group). Tests lower it so small files take the streamed path.
 */
export const encodeTuning = { sliceRows: 32 * 1024 };

/**
 * Writes `rows` rows as one Parquet file, handed to the encoder in slices of `sliceRows` made by
 * `batchOf(start, end)` only when the worker asks for them: neither this thread nor the worker's
 * WebAssembly memory (which never shrinks) holds the file's rows twice over — one slice is in
 * flight, and the encoder buffers one row group. A file of one slice is encoded as one batch.
 */
export async function writeParquetSlices(
  rows: number,
  batchOf: (start: number, end: number) => arrow.RecordBatch,
  options: ParquetWriteOptions,
  path = 'a Parquet file',
  sliceRows = encodeTuning.sliceRows,
): Promise<Uint8Array> {
  if (rows <= sliceRows) return writeParquet(batchOf(0, rows), options, path);
  let start = 0;
  const next = (): Uint8Array | undefined => {
    if (start >= rows) return undefined;
    const end = Math.min(rows, start + sliceRows);
    const ipc = arrow.tableToIPC(new arrow.Table(batchOf(start, end)), 'stream');
    start = end;
    return ipc;
  };
  return parquetWorkers().run({ op: 'encode-stream', options: encodeOptions(options), next }, path);
}

/**
 * Writes one Parquet file from batches that `nextBatch` produces while the file encodes (undefined:
 * the file ends): a compaction's merge or a flush's rolling writer feeds it as rows come, so the
 * encoder works on one core while the caller merges on another, and neither side holds the file's
 * rows. The worker asks one batch ahead.
 */
export async function writeParquetStream(
  nextBatch: () => Promise<arrow.RecordBatch | undefined>,
  options: ParquetWriteOptions,
  path = 'a Parquet file',
): Promise<Uint8Array> {
  const next = async (): Promise<Uint8Array | undefined> => {
    const b = await nextBatch();
    return b === undefined ? undefined : arrow.tableToIPC(new arrow.Table(b), 'stream');
  };
  return parquetWorkers().run({ op: 'encode-stream', options: encodeOptions(options), next }, path);
}

function encodeOptions(options: ParquetWriteOptions): EncodeOptions {
  return {
    compression: options.compression,
    createdBy: CREATED_BY,
    deltaColumns: options.deltaColumns,
    plainColumns: options.plainColumns,
    rowGroupRows: options.rowGroupRows,
    pageBytes: options.pageBytes,
    pageIndex: options.pageIndex,
  };
}

/** Where a file's bytes come from: ranged reads, or the whole file at once. */
export interface ParquetSource {
  readonly size: number;
  readRange(offset: number, length: number): Promise<Uint8Array>;
  /** The whole file in one read (local files below the ranged-read size): the footer is parsed from it. */
  readAll?(): Promise<Uint8Array>;
}

/** A row group as pruning sees it: its rows and its column statistics (exact bounds or none). */
export interface RowGroupStats {
  readonly index: number;
  /** The row group's first row in the file (0-based), for deletion-vector positions. */
  readonly firstRow: number;
  readonly rows: number;
  /** Min, max and null count of a top-level column, when the footer has exact, usable ones. */
  stats(column: string): (ColumnStats & { rowCount: number }) | undefined;
}

export interface ParquetSelectOptions extends ParquetReadOptions {
  /** The path names one immutable file (a table's data file) read through this FileIO: its footer is cached per FileIO. */
  readonly cacheFooter?: object;
  /** Keeps the row groups that may hold a wanted row; absent: every row group. */
  readonly rowGroupFilter?: (rg: RowGroupStats) => boolean;
  /** The file's footer, already read (a file read in slices of row groups reads it once). */
  readonly footer?: ParquetFooter;
  /**
   * The rows of a kept row group to decode: ranges [from, to) of its rows (ascending, disjoint),
   * or undefined for all of them. Rows known to be unwanted (a deletion vector's) are then never
   * decoded: the decoder skips the pages outside the ranges. The selection's `rowGroups` are then
   * these pieces of row groups (a row group with no range is skipped).
   */
  readonly rowRanges?: (rg: RowGroupStats) => readonly (readonly [number, number])[] | undefined;
  /**
   * Rows to leave out (a deletion vector's) of a run of kept pieces: one byte per row of theirs, 1 =
   * drop; undefined when none. The workers drop them while handing the columns over where they
   * can (readParquetBatches only); a batch's `deleted` holds the ones left to the caller.
   */
  readonly dropRows?: (pieces: readonly RowGroupStats[]) => Uint8Array | undefined;
  /**
   * Rows whose integer column `column` holds none of `values` may be left out by the workers
   * (readParquetBatches only; a batch may still hold some: the caller filters them as before).
   */
  readonly keepKeys?: { readonly column: string; readonly values: BigInt64Array };
}

/** A kept row group, or rows [offset, offset + limit) of one (firstRow and rows are the piece's). */
interface RowPiece extends RowGroupStats {
  readonly offset?: number;
  readonly limit?: number;
}

/** The pieces of the kept row groups that `rowRanges` asks for. */
function piecesOf(
  kept: readonly RowGroupStats[],
  rowRanges: ParquetSelectOptions['rowRanges'],
  path: string,
): RowPiece[] {
  if (!rowRanges) return [...kept];
  const out: RowPiece[] = [];
  for (const rg of kept) {
    const ranges = rowRanges(rg);
    if (!ranges) {
      out.push(rg);
      continue;
    }
    let prev = 0;
    for (const [from, to] of ranges) {
      if (!(Number.isSafeInteger(from) && Number.isSafeInteger(to) && from >= prev && to > from && to <= rg.rows))
        throw new Error(`${path}: bad row range [${from}, ${to}) of row group ${rg.index}`);
      prev = to;
      if (from === 0 && to === rg.rows) out.push(rg);
      else
        out.push({
          index: rg.index,
          firstRow: rg.firstRow + from,
          rows: to - from,
          stats: (c) => rg.stats(c),
          offset: from,
          limit: to - from,
        });
    }
  }
  return out;
}

/** The row groups a read kept, and their rows decoded. */
export interface ParquetSelection {
  /** Undefined when no row group was kept (nothing was decoded). */
  readonly table: arrow.Table | undefined;
  /** Rows in the whole file, from the footer. */
  readonly totalRows: number;
  /** The kept row groups, in file order; the table's rows are theirs, concatenated. */
  readonly rowGroups: readonly RowGroupStats[];
  readonly skippedRowGroups: number;
}

/**
 * Reads the row groups of a Parquet file that `rowGroupFilter` keeps, only the requested columns:
 * the footer first (one ranged read from the end, or parsed from the whole file when the source
 * reads whole files), then the byte ranges of the kept column chunks (adjacent ranges coalesced,
 * read in parallel). The pieces are placed in a sparse buffer the size of the file, which
 * parquet-wasm decodes without touching the holes.
 */
export async function readParquetSelected(
  source: ParquetSource,
  path: string,
  options: ParquetSelectOptions = {},
): Promise<ParquetSelection> {
  const s = await selectRowGroups(source, path, options, decodeRowGroups);
  return { table: s.decoded, totalRows: s.totalRows, rowGroups: s.rowGroups, skippedRowGroups: s.skippedRowGroups };
}

/** One decoded batch of a selection: its rows, and its columns by file column name. */
export interface DecodedBatch {
  /** Rows in the batch's columns. */
  readonly rows: number;
  /** Rows decoded: `rows` plus those `dropRows` asked to leave out and the worker did. */
  readonly rowsRead: number;
  /** Of the batch's rows, those `dropRows` asked to leave out and are still there (1 = drop). */
  readonly deleted?: Uint8Array;
  /** A column of the batch: raw buffers from the worker, or Arrow data (IPC) for formats it does not hand over raw. */
  column(name: string): RawColumn | arrow.Data | undefined;
}

/** The row groups a read kept, decoded as batches (see readParquetBatches). */
export interface ParquetBatchSelection extends Omit<ParquetSelection, 'table'> {
  /** Undefined when no row group was kept (nothing was decoded). */
  readonly batches: readonly DecodedBatch[] | undefined;
}

/**
 * readParquetSelected for a scan: the decoded columns cross from the workers as buffers moved to
 * this thread (no IPC stream to encode there and parse here), in file order.
 */
export async function readParquetBatches(
  source: ParquetSource,
  path: string,
  options: ParquetSelectOptions = {},
): Promise<ParquetBatchSelection> {
  const s = await selectRowGroups(source, path, options, (bytes, p, columns, kept, rowGroups) =>
    decodeRowGroupBatches(bytes, p, columns, kept, rowGroups, options.dropRows, options.keepKeys),
  );
  return {
    batches: s.decoded,
    totalRows: s.totalRows,
    rowGroups: s.rowGroups,
    skippedRowGroups: s.skippedRowGroups,
  };
}

type RowGroupDecoder<T> = (
  bytes: Uint8Array,
  path: string,
  columns: readonly string[] | undefined,
  kept: readonly RowPiece[],
  rowGroups: readonly number[] | undefined,
) => Promise<T>;

async function selectRowGroups<T>(
  source: ParquetSource,
  path: string,
  options: ParquetSelectOptions,
  decodeRowGroups: RowGroupDecoder<T>,
): Promise<{
  decoded: T | undefined;
  totalRows: number;
  rowGroups: readonly RowGroupStats[];
  skippedRowGroups: number;
}> {
  const size = source.size;
  if (!Number.isSafeInteger(size) || size < 12)
    throw new EddyError(
      'CORRUPT_FILE',
      `${path}: cannot read Parquet: ${size} bytes is not a plausible Parquet file size`,
      { path },
    );
  const whole = source.readAll ? await source.readAll() : undefined;
  if (whole && whole.byteLength !== size)
    throw new EddyError(
      'CORRUPT_FILE',
      `${path}: cannot read Parquet: the file has ${whole.byteLength} bytes, the manifest says ${size}`,
      { path },
    );
  const footer =
    options.footer ??
    (await readFooter(
      whole ? { size, readRange: async (o, l) => whole.subarray(o, o + l) } : source,
      path,
      options.cacheFooter,
    ));
  const metadata = footer.metadata;
  const tail = footer.tail;
  const tailLength = tail.byteLength;
  const all = footer.rowGroups;
  const pieces = piecesOf(options.rowGroupFilter ? all.filter(options.rowGroupFilter) : all, options.rowRanges, path);
  // The row groups whose column chunks are read (those with a piece).
  const kept = all.filter((rg) => pieces.some((p) => p.index === rg.index));
  const totalRows = all.reduce((n, rg) => n + rg.rows, 0);
  const selection = (decoded: T | undefined) => ({
    decoded,
    totalRows,
    rowGroups: pieces,
    skippedRowGroups: all.length - kept.length,
  });
  if (pieces.length === 0) return selection(undefined);
  const rowGroups = kept.length === all.length ? undefined : kept.map((rg) => rg.index);
  if (whole) return selection(await decodeRowGroups(whole, path, options.columns, pieces, rowGroups));
  // Allocated only now: the tail read proved the file really is `size` bytes (the size comes from a
  // manifest, and a corrupt one must not allocate whatever it says).
  const sparse = kept.length >= 2 ? new Uint8Array(new SharedArrayBuffer(size)) : new Uint8Array(size);
  sparse.set(tail, size - tailLength);
  const wanted = options.columns ? new Set(options.columns) : undefined;
  const ranges: [number, number][] = [];
  for (const k of kept) {
    for (const c of metadata.row_groups[k.index].columns) {
      const m = c.meta_data;
      if (!m || (wanted && !wanted.has(m.path_in_schema[0]))) continue;
      const data = Number(m.data_page_offset);
      const dict = m.dictionary_page_offset === undefined ? undefined : Number(m.dictionary_page_offset);
      const start = dict !== undefined && dict > 0 && dict < data ? dict : data;
      const length = Number(m.total_compressed_size);
      if (start < 0 || length < 0 || start + length > size) {
        throw new EddyError(
          'CORRUPT_FILE',
          `${path}: column chunk ${m.path_in_schema.join('.')} lies outside the file`,
          { path },
        );
      }
      ranges.push([start, start + length]);
    }
  }
  // The page indexes (between the last column chunk and the footer), in case the decoder reads them.
  let indexStart = size - tailLength;
  for (const rg of metadata.row_groups)
    for (const c of rg.columns) {
      for (const o of [c.column_index_offset, c.offset_index_offset])
        if (o !== undefined && Number(o) >= 0 && Number(o) < indexStart) indexStart = Number(o);
    }
  if (indexStart < size - tailLength) ranges.push([indexStart, size - tailLength]);
  ranges.sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const r of ranges) {
    const last = merged[merged.length - 1];
    if (last && r[0] - last[1] <= 64 * 1024) last[1] = Math.max(last[1], r[1]);
    else merged.push([r[0], r[1]]);
  }
  const chunks = await Promise.all(merged.map(([a, b]) => source.readRange(a, b - a)));
  for (let i = 0; i < merged.length; i++) sparse.set(chunks[i], merged[i][0]);
  return selection(await decodeRowGroups(sparse, path, options.columns, pieces, rowGroups));
}

/**
 * A file's parsed footer: its metadata, row groups with statistics, and the footer bytes (metadata,
 * length, magic). Cached (io/read-cache.ts) by path and size: data files are immutable.
 */
export interface ParquetFooter {
  readonly path: string;
  readonly metadata: FileMetaData;
  readonly rowGroups: readonly RowGroupStats[];
  readonly totalRows: number;
  /** Top-level leaf columns by name. */
  readonly leaves: ReadonlyMap<string, SchemaElement>;
  /** The file's last bytes: metadata, its length and the magic. */
  readonly tail: Uint8Array;
  /** Page indexes parsed on demand (parquet-probe.ts), null when a chunk has none. */
  readonly pageIndexes: Map<string, unknown>;
  /** The bytes of all page indexes, once read (null: none, or too large to hold). */
  indexRegion?: { readonly start: number; readonly bytes: Uint8Array } | null;
  /** Accounts bytes added to the cached entry. */
  grow(bytes: number): void;
}

/**
 * The footer of a file of `source.size` bytes: one ranged read from the end (two if large), or, when
 * `cache` (the path names an immutable file: a table's data file, named by a UUID), from the cache.
 */
export async function readFooter(
  source: ParquetSource,
  path: string,
  cache: object | undefined,
): Promise<ParquetFooter> {
  const size = source.size;
  const key = cache ? readCacheKey(cache, 'parquet-footer', `${size}:${path}`) : '';
  const hit = cache ? (readCache().get(key) as ParquetFooter | undefined) : undefined;
  if (hit) return hit;
  if (!Number.isSafeInteger(size) || size < 12)
    throw new EddyError(
      'CORRUPT_FILE',
      `${path}: cannot read Parquet: ${size} bytes is not a plausible Parquet file size`,
      { path },
    );
  let tailLength = Math.min(size, 64 * 1024);
  let tail = await source.readRange(size - tailLength, tailLength);
  const view = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
  const metadataLength = view.getUint32(tail.length - 8, true);
  if (view.getUint32(tail.length - 4, true) !== 0x31524150 || metadataLength + 8 > size) {
    throw new EddyError('CORRUPT_FILE', `${path}: cannot read Parquet: not a Parquet file (bad footer)`, { path });
  }
  if (metadataLength + 8 > tailLength) {
    tailLength = metadataLength + 8;
    tail = await source.readRange(size - tailLength, tailLength);
  }
  // Keep only the footer's own bytes (a copy: the read may be a view of the whole file).
  tail = tail.slice(tail.length - metadataLength - 8);
  let metadata: FileMetaData;
  try {
    metadata = parquetMetadata(tail, { parsers: STAT_PARSERS });
  } catch (e) {
    throw new EddyError('CORRUPT_FILE', `${path}: cannot read Parquet: bad footer: ${(e as Error).message}`, {
      path,
      cause: e,
    });
  }
  const rowGroups = rowGroupStats(metadata);
  const leaves = new Map<string, SchemaElement>();
  for (const e of metadata.schema.slice(1)) if (e.num_children === undefined) leaves.set(e.name, e);
  const footer: ParquetFooter = {
    path,
    metadata,
    rowGroups,
    totalRows: rowGroups.reduce((n, rg) => n + rg.rows, 0),
    leaves,
    tail,
    pageIndexes: new Map(),
    grow: (bytes) => {
      if (cache) readCache().grow(key, bytes);
    },
  };
  // The parsed metadata holds a few objects per column chunk: weighed at 8× the footer bytes.
  if (cache) readCache().set(key, footer, tail.byteLength * 9 + 1024);
  return footer;
}

/**
 * Reads only what a projection needs from a Parquet file of `size` bytes by ranged reads (see
 * readParquetSelected), every row group.
 */
export async function readParquetRanged(
  readRange: (offset: number, length: number) => Promise<Uint8Array>,
  size: number,
  path: string,
  options: ParquetReadOptions = {},
): Promise<arrow.Table> {
  const s = await readParquetSelected({ size, readRange }, path, options);
  return s.table ?? (await decodeParquet(await readRange(0, size), path, options.columns, undefined, true));
}

/** Footer statistics as exact internal values: strings only when their bytes are valid UTF-8. */
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });
const STAT_PARSERS = {
  stringFromBytes: (bytes: Uint8Array | undefined): string | undefined => {
    if (bytes === undefined) return undefined;
    try {
      return STRICT_UTF8.decode(bytes);
    } catch {
      return undefined; // a truncated bound cut inside a character: no bound rather than a wrong one
    }
  },
} as unknown as ParquetParsers;

/**
 * The row groups of a footer with the statistics pruning may use. Only physical types whose
 * footer values are Eddy's internal values exactly: INT32 and INT64 without a logical type other
 * than a signed integer (TINYINT..BIGINT), and UTF-8 strings (byte order = code-point order, the
 * order Eddy compares strings in). Only `min_value`/`max_value` (the deprecated `min`/`max` used
 * signed byte order for strings), and only with a null count.
 */
function rowGroupStats(metadata: FileMetaData): RowGroupStats[] {
  const out: RowGroupStats[] = [];
  const leaves = new Map<string, SchemaElement>();
  for (const e of metadata.schema.slice(1)) if (e.num_children === undefined) leaves.set(e.name, e);
  let firstRow = 0;
  metadata.row_groups.forEach((rg, index) => {
    const rows = Number(rg.num_rows);
    const chunks = new Map<string, ColumnMetaData>();
    for (const c of rg.columns)
      if (c.meta_data && c.meta_data.path_in_schema.length === 1)
        chunks.set(c.meta_data.path_in_schema[0], c.meta_data);
    out.push({
      index,
      firstRow,
      rows,
      stats(column) {
        const m = chunks.get(column);
        const el = leaves.get(column);
        const s = m?.statistics;
        if (!m || !el || !s || s.null_count === undefined) return undefined;
        const nullCount = Number(s.null_count);
        const exactType =
          ((el.type === 'INT32' || el.type === 'INT64') &&
            (el.converted_type === undefined || /^INT_(8|16|32|64)$/.test(el.converted_type)) &&
            (el.logical_type === undefined || (el.logical_type.type === 'INTEGER' && el.logical_type.isSigned))) ||
          (el.type === 'BYTE_ARRAY' && (el.converted_type === 'UTF8' || el.logical_type?.type === 'STRING'));
        if (!exactType) return undefined;
        const bound = (v: unknown): InternalValue | undefined => {
          if (v === undefined) return null;
          if (el.type === 'INT32') return typeof v === 'number' ? v : undefined;
          if (el.type === 'INT64') return typeof v === 'bigint' ? v : undefined;
          return typeof v === 'string' ? v : undefined;
        };
        const min = bound(s.min_value);
        const max = bound(s.max_value);
        if (min === undefined || max === undefined)
          return nullCount === rows ? { min: null, max: null, nullCount, rowCount: rows } : undefined;
        return { min, max, nullCount, rowCount: rows };
      },
    });
    firstRow += rows;
  });
  return out;
}

export interface ParquetReadOptions {
  /** Top-level column names to read (all when absent). */
  columns?: readonly string[];
}

/**
 * Reads a Parquet file (held in memory) into an Arrow table, only the requested columns; corrupt
 * input gets an error naming the path. Decoding happens in a worker thread (parquet-workers.ts):
 * parquet-wasm's async reader, the one that honours a projection, cannot report a decode error
 * without crashing the thread it runs on. `transfer`: the caller gives up `bytes` (no copy).
 */
export async function readParquet(
  bytes: Uint8Array,
  path: string,
  options: ParquetReadOptions = {},
  transfer = false,
): Promise<arrow.Table> {
  return decodeParquet(bytes, path, options.columns, undefined, transfer);
}

/** Rows below which a file's row groups decode as one job (the split costs more than it saves). */
const PARALLEL_DECODE_MIN_ROWS = 64 * 1024;

/**
 * Rows above which a decode job takes no further row group. A worker's WebAssembly memory grows to
 * hold its largest job several times over and never shrinks: half of a 1M-row file per job left
 * each worker at 250 MB, and growing it is slow; a job of one primary-key row group (128Ki rows)
 * keeps it near 45–100 MB, and the jobs of a file still spread over every worker.
 */
const DECODE_JOB_MAX_ROWS = 128 * 1024;

/**
 * Decodes the kept row groups of a file: as one job, or, when there are several and enough rows,
 * as contiguous runs of row groups on several workers at once (the file's bytes shared with them
 * through a SharedArrayBuffer, never copied per worker), their batches concatenated in file order.
 * A one-bucket scan or a compaction then decodes on every core instead of one.
 */
async function decodeRowGroups(
  bytes: Uint8Array,
  path: string,
  columns: readonly string[] | undefined,
  kept: readonly RowPiece[],
  rowGroups: readonly number[] | undefined,
): Promise<arrow.Table> {
  const tables = await decodeInParts(bytes, kept, rowGroups, (b, groups, transfer, range) =>
    decodeParquet(b, path, columns, groups, transfer, range),
  );
  return tables.length === 1 ? tables[0] : new arrow.Table(tables.flatMap((t) => t.batches));
}

/** decodeRowGroups, as batches whose columns the workers hand over raw where they can. */
async function decodeRowGroupBatches(
  bytes: Uint8Array,
  path: string,
  columns: readonly string[] | undefined,
  kept: readonly RowPiece[],
  rowGroups: readonly number[] | undefined,
  dropRows: ParquetSelectOptions['dropRows'],
  keepKeys: ParquetSelectOptions['keepKeys'],
): Promise<DecodedBatch[]> {
  const parts = await decodeInParts(bytes, kept, rowGroups, async (b, groups, transfer, range, pieces) => {
    const drop = dropRows?.(pieces);
    const job = {
      op: 'decode' as const,
      bytes: b,
      columns: columns ? [...columns] : undefined,
      rowGroups: groups ? [...groups] : undefined,
      ...range,
      drop,
      keepKeys,
    };
    const out = await parquetWorkers().decodeRaw(job, path, transfer);
    if (!(out instanceof Uint8Array)) return out.batches.map(rawBatch);
    // The IPC stream holds every row: the rows to drop go to the caller with each batch.
    let base = 0;
    return arrow.tableFromIPC(out).batches.map((batch) => {
      const deleted = drop?.subarray(base, base + batch.numRows);
      base += batch.numRows;
      return arrowBatch(batch, deleted);
    });
  });
  return parts.flat();
}

function rawBatch(b: RawBatch): DecodedBatch {
  const byName = new Map(b.columns.map((c) => [c.name, c]));
  return { rows: b.rows, rowsRead: b.read ?? b.rows, column: (name) => byName.get(name) };
}

function arrowBatch(b: arrow.RecordBatch, deleted: Uint8Array | undefined): DecodedBatch {
  // Arrow's getChild scans the columns: index them once (a wide table would make it quadratic).
  const byName = new Map(b.schema.fields.map((f, i) => [f.name, i]));
  return {
    rows: b.numRows,
    rowsRead: b.numRows,
    deleted,
    column: (name) => {
      const i = byName.get(name);
      return i === undefined ? undefined : b.getChildAt(i)?.data[0];
    },
  };
}

/**
 * Decodes the kept row groups as one job, or, when there are several and enough rows, as
 * contiguous runs of row groups on several workers at once (see decodeRowGroups); the parts'
 * results in file order.
 */
async function decodeInParts<T>(
  bytes: Uint8Array,
  kept: readonly RowPiece[],
  rowGroups: readonly number[] | undefined,
  decode: (
    bytes: Uint8Array,
    rowGroups: readonly number[] | undefined,
    transfer: boolean,
    range: { offset: number; limit: number } | undefined,
    /** The kept pieces the job decodes, in file order. */
    pieces: readonly RowPiece[],
  ) => Promise<T>,
): Promise<T[]> {
  const workers = parquetWorkers().size;
  const rows = kept.reduce((n, rg) => n + rg.rows, 0);
  const partial = kept.some((p) => p.offset !== undefined);
  const one = (p: RowPiece) => (p.offset === undefined ? undefined : { offset: p.offset, limit: p.limit! });
  if (kept.length === 1) return [await decode(bytes, [kept[0].index], true, one(kept[0]), kept)];
  if (!partial && rows <= DECODE_JOB_MAX_ROWS && (workers < 2 || rows < PARALLEL_DECODE_MIN_ROWS))
    return [await decode(bytes, rowGroups, true, undefined, kept)];
  let shared = bytes;
  if (!(bytes.buffer instanceof SharedArrayBuffer)) {
    shared = new Uint8Array(new SharedArrayBuffer(bytes.byteLength));
    shared.set(bytes);
  }
  // Pieces of row groups: a job each (the decoder's offset and limit span one row group here).
  if (partial) return Promise.all(kept.map((p) => decode(shared, [p.index], false, one(p), [p])));
  // Contiguous parts of about equal rows: one per worker, or more when a part would exceed
  // DECODE_JOB_MAX_ROWS (a row group larger than that is a part alone); extra parts queue.
  const count = Math.min(kept.length, Math.max(workers, Math.ceil(rows / DECODE_JOB_MAX_ROWS)));
  const per = rows / count;
  const parts: RowPiece[][] = [];
  let acc = 0;
  let partRows = 0;
  for (const rg of kept) {
    const full = partRows > 0 && partRows + rg.rows > DECODE_JOB_MAX_ROWS;
    if (parts.length === 0 || full || (acc >= per * parts.length && parts.length < count)) {
      parts.push([]);
      partRows = 0;
    }
    parts[parts.length - 1].push(rg);
    acc += rg.rows;
    partRows += rg.rows;
  }
  return Promise.all(
    parts.map((p) =>
      decode(
        shared,
        p.map((rg) => rg.index),
        false,
        undefined,
        p,
      ),
    ),
  );
}

async function decodeParquet(
  bytes: Uint8Array,
  path: string,
  columns: readonly string[] | undefined,
  rowGroups: readonly number[] | undefined,
  transfer: boolean,
  range?: { offset: number; limit: number },
): Promise<arrow.Table> {
  const job = {
    op: 'decode' as const,
    bytes,
    columns: columns ? [...columns] : undefined,
    rowGroups: rowGroups ? [...rowGroups] : undefined,
    ...range,
  };
  const ipc = await parquetWorkers().run(job, path, transfer);
  return arrow.tableFromIPC(ipc);
}

/**
 * Per-column encodings for a data file. Measured on 1M-row PK files (docs/decisions.md): dictionary
 * pages only pay off for low-cardinality strings, and DELTA_BINARY_PACKED halves sorted keys,
 * sequence numbers and timestamps — together 2.3× faster writes and files half the size. Only
 * encodings Paimon's Java reader decodes (PLAIN, RLE_DICTIONARY, DELTA_*) are used.
 */
export function encodingHints(
  fields: readonly DataField[],
  cols: readonly Column[],
): Pick<ParquetWriteOptions, 'deltaColumns' | 'plainColumns'> {
  const deltaColumns: string[] = [];
  const plainColumns: string[] = [];
  fields.forEach((f, i) => {
    switch (f.type.root) {
      case 'BIGINT':
      case 'TIMESTAMP':
      case 'TIMESTAMP_LTZ':
      case 'INT':
      case 'DATE':
        deltaColumns.push(f.name);
        break;
      case 'CHAR':
      case 'VARCHAR':
      case 'BINARY':
      case 'VARBINARY':
        if (!fewDistinct(cols[i])) plainColumns.push(f.name);
        break;
      default:
        plainColumns.push(f.name);
    }
  });
  return { deltaColumns, plainColumns };
}

/** Whether a sample of a string column repeats enough for a dictionary to pay off. */
function fewDistinct(col: Column): boolean {
  const n = Math.min(col.length, 1024);
  if (n < 64) return true;
  const d = col.data as VarBytes;
  const seen = new Set<string>();
  const step = Math.max(1, Math.floor(col.length / n));
  for (let i = 0, r = 0; i < n; i++, r += step) {
    const s = d.offsets[r];
    const e = Math.min(d.offsets[r + 1], s + 64);
    seen.add(Buffer.from(d.bytes.buffer, d.bytes.byteOffset + s, e - s).toString('latin1'));
  }
  return seen.size <= n / 4;
}
