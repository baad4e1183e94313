import type { SchemaElement } from 'hyparquet';
import { arrowToColumn } from '../data/arrow.ts';
import { type Column, type ColumnData, concatColumns, gatherColumn, gatherRuns } from '../data/columns.ts';
import { type ParquetFooter, type ParquetSource, type RowGroupStats, readParquetSelected } from '../format/parquet.ts';
import { columnPageStarts, decodeRowRanges, type KeyProbe } from '../format/parquet-probe.ts';
import { readCache, readCacheKey } from '../io/read-cache.ts';
import type { DataType } from '../types/data-types.ts';
import { EddyError } from '../types/errors.ts';
import { probedToColumn } from './key-probe.ts';

/**
 * Lookups by key served from memory, the way a key-value store (or Paimon's LocalTableQuery, which
 * builds local lookup files from data files and keeps them) serves them: a data file's integer key
 * column decoded once into a typed array (Paimon writes each data file sorted by key), binary
 * searched per wanted key or range, and the other columns decoded by page and kept decoded. Both
 * live in the process-wide read cache (io/read-cache.ts), under its one byte budget, keyed by the
 * FileIO and the file (path and size): data files are immutable, so an entry is never stale, only
 * evicted.
 */

/**
 * A data file's keys in file order, ascending. BIGINT keys that all lie within ±2^53 are held as
 * doubles (exact there): a search then compares numbers, where reading a BigInt64Array allocates a
 * bigint per element read.
 */
export interface FileKeyIndex {
  readonly keys: Int8Array | Int16Array | Int32Array | Float64Array | BigInt64Array;
}

/** @internal 'always' builds an index at the first probe (tests); 'never' turns the index off. */
export const keyIndexTuning: { mode: 'auto' | 'always' | 'never' } = { mode: 'auto' };

/** An index takes at most this share of the cache budget, so indexes and the pages they find both fit. */
const INDEX_SHARE = 4;

export interface KeyIndexFile {
  readonly io: object;
  readonly path: string;
  readonly source: ParquetSource;
  readonly footer: ParquetFooter;
}

const fileId = (f: KeyIndexFile) => `${f.source.size}:${f.path}`;

/**
 * The key index of a file, from the cache, or built now when `build` (the caller judged that a
 * decode of the whole key column pays: many keys wanted, or the file probed before) and it fits the
 * cache. Undefined when not held and not built, or when the file's keys are not sorted (held as
 * such: such a file is always probed by page).
 */
export async function fileKeyIndex(
  f: KeyIndexFile,
  column: string,
  type: DataType,
  build: boolean,
): Promise<FileKeyIndex | undefined> {
  const cache = readCache();
  const key = readCacheKey(f.io, `key-index:${column}:${type.root}`, fileId(f));
  const hit = cache.get(key) as FileKeyIndex | null | undefined;
  if (hit !== undefined) return hit ?? undefined;
  if (keyIndexTuning.mode === 'never') return undefined;
  const bytes = f.footer.totalRows * (type.root === 'BIGINT' ? 8 : 4);
  if (bytes > cache.budget / INDEX_SHARE) return undefined;
  if (!build && keyIndexTuning.mode !== 'always') {
    // The second probe of a file builds its index: a one-off lookup decodes a page, not the column.
    const touch = readCacheKey(f.io, `key-touch:${column}`, fileId(f));
    if (cache.get(touch) === undefined) {
      cache.set(touch, true, 128);
      return undefined;
    }
  }
  const sel = await readParquetSelected({ size: f.source.size, readRange: f.source.readRange }, f.path, {
    columns: [column],
    cacheFooter: f.io,
  });
  const vec = sel.table?.getChild(column);
  if (!vec || vec.length !== f.footer.totalRows)
    throw new EddyError('CORRUPT_FILE', `${f.path}: key column ${column} has ${vec?.length ?? 0} rows`, {
      path: f.path,
    });
  const col = arrowToColumn(vec, type);
  if (col.validity)
    throw new EddyError('CORRUPT_FILE', `${f.path}: key column ${column} holds nulls`, { path: f.path });
  let keys = col.data as FileKeyIndex['keys'];
  if (keys instanceof BigInt64Array) keys = asDoubles(keys) ?? keys;
  let sorted = true;
  for (let i = 1; i < keys.length && sorted; i++) sorted = keys[i - 1] <= keys[i];
  const index = sorted ? { keys } : null;
  cache.set(key, index, sorted ? keys.byteLength + 128 : 128, 'high');
  return index ?? undefined;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * BIGINT keys as doubles when every one lies within ±(2^53 − 1), read as 32-bit word pairs (no
 * bigint per element); undefined otherwise. A value beyond that range rounds to a double of
 * magnitude 2^53 or more, so the range test on the double is exact.
 */
function asDoubles(keys: BigInt64Array): Float64Array | undefined {
  const words = new Int32Array(keys.buffer, keys.byteOffset, keys.length * 2);
  const out = new Float64Array(keys.length);
  const max = Number.MAX_SAFE_INTEGER;
  // Little-endian words (typed arrays use the platform's order; Node runs on little-endian hosts).
  for (let i = 0; i < keys.length; i++) {
    const v = words[2 * i + 1] * 4294967296 + (words[2 * i] >>> 0);
    if (v > max || v < -max) return undefined;
    out[i] = v;
  }
  return out;
}

/** First i in [lo, hi) with keys[i] >= v (or > v when `after`). */
function bound(keys: FileKeyIndex['keys'], v: number | bigint, after: boolean): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const k = keys[mid];
    if (k < v || (after && k === v)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const sortedCache = new WeakMap<ReadonlySet<unknown>, { bigint: boolean; sorted: (number | bigint)[] }>();

/**
 * A probe's wanted keys ascending, as an index holds them (as bigints, or as doubles: bigints
 * beyond ±2^53 dropped, no such key is in a file held as doubles); kept per key set, which every
 * file of a read shares.
 */
function sortedWanted(values: ReadonlySet<unknown>, bigint: boolean): readonly (number | bigint)[] {
  const hit = sortedCache.get(values);
  if (hit && hit.bigint === bigint) return hit.sorted;
  const sorted: (number | bigint)[] = [];
  for (const v of values) {
    if (typeof v === 'number' || (bigint && typeof v === 'bigint')) sorted.push(v);
    else if (typeof v === 'bigint' && v >= -MAX_SAFE && v <= MAX_SAFE) sorted.push(Number(v));
  }
  sorted.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  sortedCache.set(values, { bigint, sorted });
  return sorted;
}

/** Rows of the file whose key the probe wants, ascending. */
export function findRows(index: FileKeyIndex, probe: KeyProbe): Uint32Array {
  const keys = index.keys;
  const bigint = keys instanceof BigInt64Array;
  // Wanted keys as the index holds them (BIGINT keys held as doubles: bounds beyond ±2^53 still
  // order correctly as doubles, and a wanted key beyond it is not in the file).
  const asIndexed = (v: number | bigint): number | bigint => (bigint || typeof v === 'number' ? v : Number(v));
  if (probe.range) {
    const r = probe.range;
    const from = r.min === undefined ? 0 : bound(keys, asIndexed(r.min), !r.minInclusive);
    const to = r.max === undefined ? keys.length : bound(keys, asIndexed(r.max), r.maxInclusive);
    const out = new Uint32Array(Math.max(0, to - from));
    for (let i = 0; i < out.length; i++) out[i] = from + i;
    return out;
  }
  const wanted = sortedWanted(probe.values ?? new Set(), bigint);
  const out: number[] = [];
  for (const v of wanted) for (let i = bound(keys, v, false); i < keys.length && keys[i] === v; i++) out.push(i);
  return Uint32Array.from(out);
}

/** The index's keys at `rows`, as a column of `type`. */
export function keysAt(index: FileKeyIndex, rows: Uint32Array, type: DataType): Column {
  const src = index.keys;
  if (src instanceof Float64Array) {
    const data = new BigInt64Array(rows.length);
    for (let i = 0; i < rows.length; i++) data[i] = BigInt(src[rows[i]]);
    return { type, length: rows.length, data, validity: null };
  }
  const data = new (src.constructor as new (n: number) => FileKeyIndex['keys'])(rows.length);
  for (let i = 0; i < rows.length; i++) data[i] = src[rows[i]];
  return { type, length: rows.length, data: data as ColumnData, validity: null };
}

/** Bytes a decoded column holds (its weight in the cache). */
function columnBytes(c: Column): number {
  const d = c.data as ColumnData | { offsets: Int32Array; bytes: Uint8Array };
  const data = 'offsets' in d ? d.offsets.byteLength + d.bytes.byteLength : (d as { byteLength: number }).byteLength;
  return data + (c.validity?.byteLength ?? 0) + 96;
}

/** A column to read at the rows found: its Parquet name and element, read as `type`. */
export interface ColumnSpec {
  readonly column: string;
  readonly el: SchemaElement;
  readonly type: DataType;
}

/**
 * Columns at rows `rows` (ascending) of a file: each page holding one of them decoded once (the
 * missing pages of every column read in one pass) and kept in the read cache, then gathered.
 */
export async function columnsAt(f: KeyIndexFile, specs: readonly ColumnSpec[], rows: Uint32Array): Promise<Column[]> {
  const cache = readCache();
  const plans = await Promise.all(specs.map((s) => pagePlan(f, s, rows)));
  const missing: { column: string; rg: RowGroupStats; from: number; to: number; spec: number; page: number }[] = [];
  plans.forEach((plan, s) => {
    plan.cols = plan.pages.map((pg) => cache.get(pg.key) as Column | undefined);
    plan.cols.forEach((c, page) => {
      if (c === undefined) missing.push({ ...plan.pages[page], column: specs[s].column, spec: s, page });
    });
  });
  if (missing.length > 0) {
    const decoded = await decodeRowRanges(f.source, f.footer, missing);
    missing.forEach((m, i) => {
      const { el, type } = specs[m.spec];
      const c = probedToColumn({ element: el, values: decoded[i] as unknown as readonly unknown[] }, type, f.path);
      plans[m.spec].cols[m.page] = c;
      cache.set(plans[m.spec].pages[m.page].key, c, columnBytes(c));
    });
  }
  return plans.map((plan, s) => gatherPages(plan, specs[s], rows.length, f.path));
}

interface PagePlan {
  /** The pages holding the rows, in first-use order. */
  readonly pages: { rg: RowGroupStats; from: number; to: number; key: string }[];
  /** For each row: its page, and its row in that page. */
  readonly pageOf: Uint32Array;
  readonly rowIn: Uint32Array;
  cols: (Column | undefined)[];
}

async function pagePlan(f: KeyIndexFile, spec: ColumnSpec, rows: Uint32Array): Promise<PagePlan> {
  const { column, type } = spec;
  const groups = f.footer.rowGroups;
  const pageOf = new Uint32Array(rows.length);
  const rowIn = new Uint32Array(rows.length);
  const pages: PagePlan['pages'] = [];
  let g = 0;
  let starts: Float64Array | undefined;
  let keys: readonly string[] | undefined;
  let p = 0;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    if (g < groups.length && r >= groups[g].firstRow + groups[g].rows) {
      while (g < groups.length && r >= groups[g].firstRow + groups[g].rows) g++;
      starts = undefined;
    }
    const rg = groups[g];
    if (!rg) throw new EddyError('CORRUPT_FILE', `${f.path}: row ${r} is past the file's row groups`, { path: f.path });
    if (!starts) {
      starts = await columnPageStarts(f.source, f.footer, rg, column);
      keys = pageKeys(f, column, type, rg, starts);
      p = 0;
    }
    const local = r - rg.firstRow;
    while (starts[p + 1] <= local) p++;
    const last = pages[pages.length - 1];
    if (!last || last.rg !== rg || last.from !== starts[p])
      pages.push({ rg, from: starts[p], to: starts[p + 1], key: keys![p] });
    pageOf[i] = pages.length - 1;
    rowIn[i] = local - starts[p];
  }
  return { pages, pageOf, rowIn, cols: [] };
}

const pageKeyCache = new WeakMap<Float64Array, { io: object; type: string; keys: string[] }>();

/**
 * The cache keys of a column chunk's pages, made once per chunk (the page starts are held with the
 * file's footer): a get names thousands of pages.
 */
function pageKeys(f: KeyIndexFile, column: string, type: DataType, rg: RowGroupStats, starts: Float64Array): string[] {
  const hit = pageKeyCache.get(starts);
  if (hit && hit.io === f.io && hit.type === type.root) return hit.keys;
  const keys = Array.from(starts.subarray(0, starts.length - 1), (from) =>
    readCacheKey(f.io, `page:${column}:${type.root}:${rg.index}:${from}`, fileId(f)),
  );
  pageKeyCache.set(starts, { io: f.io, type: type.root, keys });
  return keys;
}

function gatherPages(plan: PagePlan, spec: ColumnSpec, n: number, path: string): Column {
  const held = plan.cols as Column[];
  const { pageOf, rowIn } = plan;
  if (held.length === 0) return probedToColumn({ element: spec.el, values: [] }, spec.type, path);
  if (held.length === 1) return gatherColumn(held[0], rowIn);
  // gatherRuns numbers its sources in 16 bits: gather at most 65,536 pages at a time.
  const parts: Column[] = [];
  for (let a = 0; a < n; ) {
    const first = pageOf[a];
    let b = a;
    while (b < n && pageOf[b] - first < 65536) b++;
    const runs = new Uint16Array(b - a);
    for (let i = a; i < b; i++) runs[i - a] = pageOf[i] - first;
    parts.push(gatherRuns(held.slice(first, pageOf[b - 1] + 1), runs, rowIn.subarray(a, b)));
    a = b;
  }
  return parts.length === 1 ? parts[0] : concatColumns(parts);
}
