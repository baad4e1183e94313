import { decompress as zstdDecompress } from 'fzstd';
import {
  type AsyncBuffer,
  type ColumnChunk,
  type DecodedArray,
  type ParquetParsers,
  parquetScan,
  readColumnIndex,
  readOffsetIndex,
  type SchemaElement,
} from 'hyparquet';
import { EddyError } from '../types/errors.ts';
import type { ParquetFooter, ParquetSource, RowGroupStats } from './parquet.ts';

/**
 * Point lookups in one Parquet file by page: decode the key column of the row groups (and, with a
 * page index, only the pages) whose statistics may hold a wanted key, find the rows whose key is
 * wanted (an equality test of every decoded key: no assumption about sort order), then decode the
 * other columns only in the pages that hold those rows. Pure JavaScript (hyparquet), on the calling
 * thread: a lookup decodes a few pages, less than posting a job to a worker costs.
 *
 * Only files whose columns this path decodes exactly are probed (see probeSupport); for any other
 * the caller reads row groups as before.
 */

/** A key column value as the decoder returns it: INT32 → number, INT64 → bigint, strings → latin1 of the UTF-8 bytes. */
export type ProbeKey = number | bigint | string;

export interface KeyProbe {
  /** The file's key column (`_KEY_<name>`). */
  readonly column: string;
  /** The wanted keys; absent when `range` says which are wanted. */
  readonly values?: ReadonlySet<ProbeKey>;
  /** Integer keys in a range (bounds in the decoder's representation). */
  readonly range?: KeyRange;
  /** Smallest and largest wanted key (integer keys): pages whose min/max exclude them are skipped. */
  readonly min?: number | bigint;
  readonly max?: number | bigint;
}

/** Integer keys between bounds (a missing bound: unbounded on that side). */
export interface KeyRange {
  readonly min?: number | bigint;
  readonly minInclusive: boolean;
  readonly max?: number | bigint;
  readonly maxInclusive: boolean;
}

/** Whether integer key `k` lies in `r`. */
export function inKeyRange(r: KeyRange, k: number | bigint): boolean {
  if (r.min !== undefined && (r.minInclusive ? k < r.min : k <= r.min)) return false;
  if (r.max !== undefined && (r.maxInclusive ? k > r.max : k >= r.max)) return false;
  return true;
}

/** A column's values at the rows a probe found (one entry per row, nulls as null). */
export interface ProbedColumn {
  readonly element: SchemaElement;
  readonly values: readonly unknown[];
}

export interface ProbeResult {
  /** Rows of the whole file whose key is wanted, ascending. */
  readonly positions: Float64Array;
  /** The key column at those rows. */
  readonly keys: ProbedColumn;
  readonly columns: ReadonlyMap<string, ProbedColumn>;
  readonly totalRows: number;
}

/**
 * @internal Rows decoded on the calling thread, key column and other columns apart: tests assert
 * that a lookup decodes what it must and no page twice (a guard that does not depend on speed).
 */
export const probeStats = { keyRows: 0, valueRows: 0 };

/** Raw values: the decoder's conversions would make timestamps Dates and strings JS strings. */
const RAW_PARSERS: Partial<ParquetParsers> = {
  timestampFromMilliseconds: (v: bigint) => v,
  timestampFromMicroseconds: (v: bigint) => v,
  timestampFromNanoseconds: (v: bigint) => v,
  dateFromDays: (v: number) => v,
  stringFromBytes: (b: Uint8Array) => b,
};

// fzstd (pure JS). Not @bokuweb/zstd-wasm's decompress, though faster: with it, some valid pages
// failed to decode and a bench process that probed files then wrote a corrupt manifest list with
// the same module's compress (cause not pinned down; the module is left to Avro compression).
// No output buffer passed: fzstd compares it with `== 1`, which turns the whole array into a
// string (a quarter of a lookup's time in the profile). The decoder checks the length.
const COMPRESSORS = {
  ZSTD: (input: Uint8Array): Uint8Array => zstdDecompress(input),
};

/**
 * Whether a column decodes exactly on this path: a top-level, non-repeated leaf of a physical type
 * Eddy reads (no DECIMAL, no INT96, no nanosecond timestamps), compressed with a codec the decoder
 * has. Anything else goes the row-group way.
 */
export function probeSupport(footer: ParquetFooter, column: string): SchemaElement | undefined {
  // Judged once per file and column (a lookup asks it of every column of every file it reads).
  const key = `probe-support:${column}`;
  const hit = footer.pageIndexes.get(key) as SchemaElement | null | undefined;
  if (hit !== undefined) return hit ?? undefined;
  const el = judgeProbeSupport(footer, column);
  footer.pageIndexes.set(key, el ?? null);
  return el;
}

function judgeProbeSupport(footer: ParquetFooter, column: string): SchemaElement | undefined {
  const el = footer.leaves.get(column);
  if (!el || el.repetition_type === 'REPEATED') return undefined;
  if (el.converted_type === 'DECIMAL' || el.logical_type?.type === 'DECIMAL') return undefined;
  switch (el.type) {
    case 'BOOLEAN':
    case 'FLOAT':
    case 'DOUBLE':
    case 'BYTE_ARRAY':
      break;
    case 'INT32':
      if (el.logical_type && el.logical_type.type !== 'INTEGER' && el.logical_type.type !== 'DATE') return undefined;
      if (el.converted_type && !/^(INT_(8|16|32)|DATE)$/.test(el.converted_type)) return undefined;
      break;
    case 'INT64':
      if (el.logical_type?.type === 'TIMESTAMP' && el.logical_type.unit === 'NANOS') return undefined;
      if (el.logical_type && el.logical_type.type !== 'INTEGER' && el.logical_type.type !== 'TIMESTAMP')
        return undefined;
      if (el.converted_type && !/^(INT_64|TIMESTAMP_MILLIS|TIMESTAMP_MICROS)$/.test(el.converted_type))
        return undefined;
      break;
    default:
      return undefined;
  }
  for (const rg of footer.metadata.row_groups) {
    const c = chunkOf(rg.columns, column);
    if (!c?.meta_data) return undefined;
    const codec = c.meta_data.codec;
    if (codec !== 'UNCOMPRESSED' && codec !== 'SNAPPY' && codec !== 'ZSTD') return undefined;
  }
  return el;
}

function chunkOf(columns: readonly ColumnChunk[], name: string): ColumnChunk | undefined {
  for (const c of columns) {
    const p = c.meta_data?.path_in_schema;
    if (p && p.length === 1 && p[0] === name) return c;
  }
  return undefined;
}

/**
 * A source as the decoder's file: slices from bytes already read (the page-index region, pages
 * prefetched in one coalesced pass), else a ranged read.
 */
class ProbeFile implements AsyncBuffer {
  private readonly pieces: { start: number; bytes: Uint8Array }[] = [];

  constructor(
    private readonly source: ParquetSource,
    private readonly footer: ParquetFooter,
  ) {}

  get byteLength(): number {
    return this.source.size;
  }

  private held(start: number, end: number): Uint8Array | undefined {
    const r = this.footer.indexRegion;
    if (r && start >= r.start && end <= r.start + r.bytes.byteLength)
      return r.bytes.subarray(start - r.start, end - r.start);
    for (const p of this.pieces)
      if (start >= p.start && end <= p.start + p.bytes.byteLength)
        return p.bytes.subarray(start - p.start, end - p.start);
    return undefined;
  }

  async slice(start: number, end?: number): Promise<ArrayBuffer> {
    const e = end ?? this.source.size;
    const b = this.held(start, e) ?? (await this.source.readRange(start, e - start));
    return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength
      ? (b.buffer as ArrayBuffer)
      : (b.slice().buffer as ArrayBuffer);
  }

  /** Reads byte ranges not held yet, adjacent ones (gaps up to 64 KiB) as one read, in parallel. */
  async prefetch(ranges: [number, number][]): Promise<void> {
    const need = ranges.filter(([a, b]) => b > a && !this.held(a, b)).sort((x, y) => x[0] - y[0]);
    const merged: [number, number][] = [];
    for (const r of need) {
      const last = merged[merged.length - 1];
      if (last && r[0] - last[1] <= 64 * 1024) last[1] = Math.max(last[1], r[1]);
      else merged.push([r[0], r[1]]);
    }
    const bytes = await Promise.all(merged.map(([a, b]) => this.source.readRange(a, b - a)));
    merged.forEach(([a], i) => {
      this.pieces.push({ start: a, bytes: bytes[i] });
    });
  }

  /** The file's page indexes (column and offset indexes, just before the footer), read once per footer. */
  async loadIndexRegion(): Promise<void> {
    const f = this.footer;
    if (f.indexRegion !== undefined) return;
    const end = this.source.size - f.tail.byteLength;
    let start = end;
    for (const rg of f.metadata.row_groups)
      for (const c of rg.columns)
        for (const o of [c.column_index_offset, c.offset_index_offset])
          if (o !== undefined && Number(o) >= 0 && Number(o) < start) start = Number(o);
    // Over 4 MiB (thousands of row groups): not held; each index is then read when needed.
    if (start === end || end - start > 4 * 1024 * 1024) {
      f.indexRegion = null;
      return;
    }
    const bytes = await this.source.readRange(start, end - start);
    f.indexRegion = { start, bytes };
    f.grow(bytes.byteLength);
  }
}

interface PageIndex {
  /** First row of each page, relative to the row group, then the group's row count. */
  readonly starts: Float64Array;
  /** Each page's byte range in the file. */
  readonly offsets: Float64Array;
  readonly sizes: Float64Array;
  /** Where the chunk starts (its dictionary page, if any) and its first data page. */
  readonly chunkStart: number;
  readonly min?: readonly unknown[];
  readonly max?: readonly unknown[];
  readonly nullPages?: readonly boolean[];
}

/**
 * The offset index (and, with `withStats`, the column index) of a column chunk, cached with the
 * footer; undefined when the file has none (then the whole chunk is one range).
 */
async function pageIndex(
  footer: ParquetFooter,
  source: ProbeFile,
  rg: number,
  column: string,
  withStats: boolean,
): Promise<PageIndex | undefined> {
  const key = `${rg}:${column}:${withStats ? 'c' : 'o'}`;
  const hit = footer.pageIndexes.get(key) as PageIndex | null | undefined;
  if (hit !== undefined) return hit ?? undefined;
  const group = footer.metadata.row_groups[rg];
  const chunk = chunkOf(group.columns, column);
  let out: PageIndex | undefined;
  if (chunk?.offset_index_offset !== undefined && chunk.offset_index_length) {
    const o = Number(chunk.offset_index_offset);
    const bytes = await source.slice(o, o + chunk.offset_index_length);
    const oi = readOffsetIndex({ view: new DataView(bytes), offset: 0 });
    const n = oi.page_locations.length;
    const starts = new Float64Array(n + 1);
    const offsets = new Float64Array(n);
    const sizes = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const loc = oi.page_locations[i];
      starts[i] = Number(loc.first_row_index);
      offsets[i] = Number(loc.offset);
      sizes[i] = loc.compressed_page_size;
    }
    const m = chunk.meta_data!;
    const chunkStart = Number(m.dictionary_page_offset || m.data_page_offset);
    starts[n] = Number(group.num_rows);
    let ok = starts[0] === 0;
    for (let i = 1; i <= n && ok; i++) ok = starts[i] > starts[i - 1];
    for (let i = 0; i < n && ok; i++) ok = offsets[i] >= chunkStart && offsets[i] + sizes[i] <= source.byteLength;
    if (!ok)
      throw new EddyError('CORRUPT_FILE', `${footer.path}: column ${column} has a bad offset index`, {
        path: footer.path,
      });
    out = { starts, offsets, sizes, chunkStart };
    const el = footer.leaves.get(column);
    if (withStats && el && chunk.column_index_offset !== undefined && chunk.column_index_length) {
      const c = Number(chunk.column_index_offset);
      const cb = await source.slice(c, c + chunk.column_index_length);
      const ci = readColumnIndex({ view: new DataView(cb), offset: 0 }, el, STAT_PARSERS);
      if (ci.min_values.length === n && ci.max_values.length === n)
        out = { ...out, min: ci.min_values, max: ci.max_values, nullPages: ci.null_pages };
    }
  }
  footer.pageIndexes.set(key, out ?? null);
  footer.grow(out ? out.starts.byteLength * 4 + 256 : 64);
  return out;
}

const STAT_PARSERS: Partial<ParquetParsers> = { stringFromBytes: () => undefined };

/** Page ranges [start, end) of a row group that may hold a wanted integer key, by the page index. */
function keyPages(index: PageIndex | undefined, rows: number, probe: KeyProbe): [number, number][] {
  if (!index) return [[0, rows]];
  const { starts, min, max, nullPages } = index;
  const n = starts.length - 1;
  const out: [number, number][] = [];
  for (let p = 0; p < n; p++) {
    if (nullPages?.[p]) continue; // only nulls: keys are never null
    if (min && max && (probe.min !== undefined || probe.max !== undefined)) {
      const lo = min[p];
      const hi = max[p];
      const kind = typeof (probe.min ?? probe.max);
      // Only exact integer bounds prune (INT32 → number, INT64 → bigint); anything else keeps the page.
      if (typeof lo === kind && typeof hi === kind) {
        if (probe.min !== undefined && (hi as number) < (probe.min as number)) continue;
        if (probe.max !== undefined && (lo as number) > (probe.max as number)) continue;
        if (
          probe.values &&
          probe.min !== undefined &&
          probe.max !== undefined &&
          !anyWithin(probe.values, lo as number | bigint, hi as number | bigint, probe.min, probe.max)
        )
          continue;
      }
    }
    const last = out[out.length - 1];
    if (last && last[1] === starts[p]) last[1] = starts[p + 1];
    else out.push([starts[p], starts[p + 1]]);
  }
  return out;
}

/** Whether some wanted key lies in [lo, hi] (few keys: test each; many: assume so). */
function anyWithin(
  values: ReadonlySet<ProbeKey>,
  lo: number | bigint,
  hi: number | bigint,
  min: number | bigint,
  max: number | bigint,
): boolean {
  if (values.size > 4096) return !(hi < min || lo > max);
  for (const v of values) if ((v as number) >= (lo as number) && (v as number) <= (hi as number)) return true;
  return false;
}

const latin1 = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');

/** Byte ranges holding rows [from, to) of a row group's column chunk (dictionary page included). */
function pageBytes(index: PageIndex, from: number, to: number, out: [number, number][]): void {
  const { starts, offsets, sizes, chunkStart } = index;
  if (offsets.length > 0 && chunkStart < offsets[0]) out.push([chunkStart, offsets[0]]);
  for (let p = 0; p < offsets.length; p++)
    if (starts[p] < to && starts[p + 1] > from) out.push([offsets[p], offsets[p] + sizes[p]]);
}

/**
 * The rows of a file whose `probe.column` value is wanted, with `columns` decoded at those rows.
 * `rowGroups` are the candidate row groups (statistics already applied).
 */
export async function probeParquet(
  source: ParquetSource,
  footer: ParquetFooter,
  rowGroups: readonly RowGroupStats[],
  probe: KeyProbe,
  columns: readonly string[],
  maxKeyRows = Number.POSITIVE_INFINITY,
): Promise<ProbeResult | undefined> {
  const path = footer.path;
  const keyEl = footer.leaves.get(probe.column);
  if (!keyEl) throw new EddyError('CORRUPT_FILE', `${path}: key column ${probe.column} is missing`, { path });
  const file = new ProbeFile(source, footer);
  await file.loadIndexRegion();
  const scan = await parquetScan({
    file,
    metadata: footer.metadata,
    columns: [...new Set([probe.column, ...columns])],
    parsers: RAW_PARSERS,
    compressors: COMPRESSORS,
    utf8: false,
    useOffsetIndex: true,
  });
  const read = async (column: string, start: number, end: number): Promise<DecodedArray> => {
    try {
      const d = await scan.readColumn({ column, rowStart: start, rowEnd: end });
      if (d.length !== end - start) throw new Error(`decoded ${d.length} rows of ${end - start}`);
      if (column === probe.column) probeStats.keyRows += d.length;
      else probeStats.valueRows += d.length;
      return d;
    } catch (e) {
      if (e instanceof EddyError) throw e;
      throw new EddyError('CORRUPT_FILE', `${path}: cannot read Parquet column ${column}: ${(e as Error).message}`, {
        path,
        cause: e,
      });
    }
  };
  // 1. The key pages that may hold a wanted key, read in one pass, then decoded and tested.
  const keyRanges: { rg: RowGroupStats; ranges: [number, number][] }[] = [];
  const fetch: [number, number][] = [];
  for (const rg of rowGroups) {
    const index = await pageIndex(footer, file, rg.index, probe.column, true);
    const ranges = keyPages(index, rg.rows, probe);
    keyRanges.push({ rg, ranges });
    if (index) for (const [a, b] of ranges) pageBytes(index, a, b, fetch);
  }
  // Too many key rows to decode here (a wide range): the caller reads row groups on the workers.
  let keyRows = 0;
  for (const { ranges } of keyRanges) for (const [a, b] of ranges) keyRows += b - a;
  if (keyRows > maxKeyRows) return undefined;
  await file.prefetch(fetch);
  const isString = keyEl.type === 'BYTE_ARRAY';
  const { values, range } = probe;
  const wanted = (k: unknown): boolean =>
    values
      ? values.has(isString ? latin1(k as Uint8Array) : (k as ProbeKey))
      : range !== undefined && inKeyRange(range, k as number | bigint);
  const positions: number[] = [];
  const keyValues: unknown[] = [];
  const perGroup: { rg: RowGroupStats; rows: number[] }[] = [];
  for (const { rg, ranges } of keyRanges) {
    const found: number[] = [];
    for (const [a, b] of ranges) {
      const keys = await read(probe.column, rg.firstRow + a, rg.firstRow + b);
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i] as unknown;
        if (k === null || k === undefined) continue;
        if (wanted(k)) {
          found.push(a + i);
          keyValues.push(k);
        }
      }
    }
    if (found.length > 0) {
      perGroup.push({ rg, rows: found });
      for (const r of found) positions.push(rg.firstRow + r);
    }
  }
  // 2. The other columns: the pages holding those rows, read in one pass, then one decode per page.
  const plans: { column: string; element: SchemaElement; parts: { rg: RowGroupStats; starts: Float64Array }[] }[] = [];
  const dataFetch: [number, number][] = [];
  for (const column of columns) {
    const element = footer.leaves.get(column);
    if (!element) throw new EddyError('CORRUPT_FILE', `${path}: column '${column}' is missing`, { path });
    const parts: { rg: RowGroupStats; starts: Float64Array }[] = [];
    for (const { rg, rows } of perGroup) {
      const index = await pageIndex(footer, file, rg.index, column, false);
      parts.push({ rg, starts: index?.starts ?? Float64Array.of(0, rg.rows) });
      if (index) for (const r of rows) pageBytes(index, r, r + 1, dataFetch);
    }
    plans.push({ column, element, parts });
  }
  await file.prefetch(dataFetch);
  const out = new Map<string, ProbedColumn>();
  await Promise.all(
    plans.map(async ({ column, element, parts }) => {
      const values: unknown[] = new Array(positions.length);
      let o = 0;
      for (let g = 0; g < perGroup.length; g++) {
        const rows = perGroup[g].rows;
        const { rg, starts } = parts[g];
        // Runs of adjacent pages that hold rows, one decode each (the decoder's per-call cost is high).
        let i = 0;
        let p = 0;
        while (i < rows.length) {
          while (starts[p + 1] <= rows[i]) p++;
          let j = i;
          for (;;) {
            while (j < rows.length && rows[j] < starts[p + 1]) j++;
            if (j < rows.length && rows[j] < starts[p + 2]) p++;
            else break;
          }
          const from = rows[i];
          const data = await read(column, rg.firstRow + from, rg.firstRow + rows[j - 1] + 1);
          for (let k = i; k < j; k++) values[o++] = data[rows[k] - from] ?? null;
          i = j;
        }
      }
      out.set(column, { element, values });
    }),
  );
  return {
    positions: Float64Array.from(positions),
    keys: { element: keyEl, values: keyValues },
    columns: out,
    totalRows: footer.totalRows,
  };
}

/**
 * Where the pages of a column chunk start, in rows of its row group, then the group's row count
 * (one page spanning the group when the file has no offset index).
 */
export async function columnPageStarts(
  source: ParquetSource,
  footer: ParquetFooter,
  rg: RowGroupStats,
  column: string,
): Promise<Float64Array> {
  const file = new ProbeFile(source, footer);
  await file.loadIndexRegion();
  const index = await pageIndex(footer, file, rg.index, column, false);
  return index?.starts ?? Float64Array.of(0, rg.rows);
}

/**
 * Rows [from, to) of each part's column (rows of its row group; page-aligned ranges decode just
 * those pages), decoded raw: the bytes of all parts read in one coalesced pass, one decode per part.
 */
export async function decodeRowRanges(
  source: ParquetSource,
  footer: ParquetFooter,
  parts: readonly {
    readonly column: string;
    readonly rg: RowGroupStats;
    readonly from: number;
    readonly to: number;
  }[],
): Promise<DecodedArray[]> {
  const path = footer.path;
  const file = new ProbeFile(source, footer);
  await file.loadIndexRegion();
  const fetch: [number, number][] = [];
  for (const { column, rg, from, to } of parts) {
    const index = await pageIndex(footer, file, rg.index, column, false);
    if (index) pageBytes(index, from, to, fetch);
  }
  await file.prefetch(fetch);
  const scan = await parquetScan({
    file,
    metadata: footer.metadata,
    columns: [...new Set(parts.map((p) => p.column))],
    parsers: RAW_PARSERS,
    compressors: COMPRESSORS,
    utf8: false,
    useOffsetIndex: true,
  });
  const out: DecodedArray[] = [];
  for (const { column, rg, from, to } of parts) {
    try {
      const d = await scan.readColumn({ column, rowStart: rg.firstRow + from, rowEnd: rg.firstRow + to });
      if (d.length !== to - from) throw new Error(`decoded ${d.length} rows of ${to - from}`);
      probeStats.valueRows += d.length;
      out.push(d);
    } catch (e) {
      if (e instanceof EddyError) throw e;
      throw new EddyError('CORRUPT_FILE', `${path}: cannot read Parquet column ${column}: ${(e as Error).message}`, {
        path,
        cause: e,
      });
    }
  }
  return out;
}
