import type { SchemaElement } from 'hyparquet';
import { arrowToColumn } from '../data/arrow.ts';
import { type Column, type ColumnData, gatherColumn, type VarBytes } from '../data/columns.ts';
import { type ParquetFooter, type ParquetSource, type RowGroupStats, readParquetSelected } from '../format/parquet.ts';
import { columnPageStarts, decodeRowRanges, type KeyProbe } from '../format/parquet-probe.ts';
import { readCache, readCacheKey } from '../io/read-cache.ts';
import type { DataType } from '../types/data-types.ts';
import { EddyError } from '../types/errors.ts';
import { probedToColumn } from './key-probe.ts';

/**
 * Lookups by key served from memory, the way a key-value store (or Paimon's LocalTableQuery, which
 * builds local lookup files from data files and keeps them) serves them: a data file's key column
 * (integers or strings) decoded once (Paimon writes each data file sorted by key), binary searched
 * per wanted key or range, and the other columns decoded by page and kept decoded (whole pages while
 * they fit, else the rows asked of them). Both live in the process-wide read cache
 * (io/read-cache.ts), under its one byte budget, keyed by the FileIO and the file (path and size):
 * data files are immutable, so an entry is never stale, only evicted.
 */

/**
 * A data file's keys in file order, ascending, each `base` + the element. BIGINT keys that all lie
 * within ±2^53 are held as numbers (exact there): a search then compares numbers, where reading a
 * BigInt64Array allocates a bigint per element read; and when they span less than 2^32, as 32-bit
 * offsets from the smallest (half the memory: more of the cache left for pages).
 */
export interface FileKeyIndex {
  readonly keys: Int8Array | Int16Array | Int32Array | Uint32Array | Float64Array | BigInt64Array;
  /** Added to each element (0 unless BIGINT keys are held as offsets). */
  readonly base: number;
}

/**
 * A data file's string keys (CHAR, VARCHAR) in file order: their UTF-8 bytes, ascending by unsigned
 * byte comparison (the order Paimon sorts BinaryString keys in).
 */
export interface StringKeyIndex {
  readonly strings: VarBytes;
}

const isStringIndex = (i: FileKeyIndex | StringKeyIndex): i is StringKeyIndex => 'strings' in i;

const STRING_KEYS = new Set(['CHAR', 'VARCHAR']);

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
): Promise<FileKeyIndex | StringKeyIndex | undefined> {
  const cache = readCache();
  const key = readCacheKey(f.io, `key-index:${column}:${type.root}`, fileId(f));
  const hit = cache.get(key) as FileKeyIndex | StringKeyIndex | null | undefined;
  if (hit !== undefined) return hit ?? undefined;
  if (keyIndexTuning.mode === 'never') return undefined;
  const strings = STRING_KEYS.has(type.root);
  const bytes = strings
    ? f.footer.totalRows * 4 + stringBytes(f.footer, column)
    : f.footer.totalRows * (type.root === 'BIGINT' ? 8 : 4);
  if (bytes > cache.budget / INDEX_SHARE) return undefined;
  if (keyIndexTuning.mode !== 'always') {
    // Built at a file's second lookup of its kind: a one-off lookup of a few keys decodes a page, and
    // a one-off batch of many (`dense`, the caller reads row groups without an index) decodes whole
    // row groups on the workers; only a repeated batch pays for the column decode and the pages kept.
    const touch = readCacheKey(f.io, `key-touch:${column}:${build ? 'dense' : 'sparse'}`, fileId(f));
    const other = readCacheKey(f.io, `key-touch:${column}:dense`, fileId(f));
    if (cache.get(touch) === undefined && (build || cache.get(other) === undefined)) {
      cache.set(touch, true, 128);
      return undefined;
    }
  }
  // A batch of many keys waits for the index; a lookup of a few is probed by page meanwhile and
  // finds the index built in the background at a later lookup (the build is off its latency).
  let pending = building.get(key);
  if (!pending) {
    pending = buildIndex(f, column, type, key, strings).finally(() => building.delete(key));
    building.set(key, pending);
  }
  if (build || keyIndexTuning.mode === 'always') return pending;
  // A failed build is left to a later lookup, which builds in the foreground and reports it.
  pending.catch(() => undefined);
  return undefined;
}

/** Index builds under way, by cache key (one per file and column at a time). */
const building = new Map<string, Promise<FileKeyIndex | StringKeyIndex | undefined>>();

/** @internal Settles when the index builds under way now have (tests). */
export async function keyIndexBuilds(): Promise<void> {
  await Promise.allSettled([...building.values()]);
}

async function buildIndex(
  f: KeyIndexFile,
  column: string,
  type: DataType,
  key: string,
  strings: boolean,
): Promise<FileKeyIndex | StringKeyIndex | undefined> {
  const cache = readCache();
  // Decoded on the workers (parquet-wasm): several times faster than the probe's decoder on a
  // whole column (a 1.25M-row key column took 0.5 s on this thread under load), though a fresh
  // process starts the pool for it.
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
  if (strings) {
    const data = col.data as VarBytes;
    const sorted = stringsSorted(data, col.length);
    const held = sorted ? { strings: data } : null;
    cache.set(key, held, sorted ? data.offsets.byteLength + data.bytes.byteLength + 128 : 128, 'high');
    return held ?? undefined;
  }
  let keys = col.data as FileKeyIndex['keys'];
  if (keys instanceof BigInt64Array) keys = asDoubles(keys) ?? keys;
  let sorted = true;
  for (let i = 1; i < keys.length && sorted; i++) sorted = keys[i - 1] <= keys[i];
  let base = 0;
  if (sorted && keys instanceof Float64Array && keys.length > 0 && keys[keys.length - 1] - keys[0] < 2 ** 32) {
    // Exact: both ends lie within ±2^53 and differ by less than 2^32.
    base = keys[0];
    const offsets = new Uint32Array(keys.length);
    for (let i = 0; i < keys.length; i++) offsets[i] = keys[i] - base;
    keys = offsets;
  }
  const index = sorted ? { keys, base } : null;
  cache.set(key, index, sorted ? keys.byteLength + 128 : 128, 'high');
  return index ?? undefined;
}

/** Bytes a string key column decodes to at most (its uncompressed size, a bound on its values' bytes). */
function stringBytes(footer: ParquetFooter, column: string): number {
  let n = 0;
  for (const rg of footer.metadata.row_groups)
    for (const c of rg.columns) {
      const p = c.meta_data?.path_in_schema;
      if (p && p.length === 1 && p[0] === column) n += Number(c.meta_data!.total_uncompressed_size);
    }
  return n;
}

/** Whether strings i and i + 1 are in ascending byte order for every i. */
function stringsSorted(d: VarBytes, n: number): boolean {
  for (let i = 1; i < n; i++) if (compareBytes(d, i - 1, d, i) > 0) return false;
  return true;
}

/** Unsigned byte comparison of string i of `a` and string j of `b`. */
function compareBytes(a: VarBytes, i: number, b: VarBytes, j: number): number {
  const as = a.offsets[i];
  const al = a.offsets[i + 1] - as;
  const bs = b.offsets[j];
  const bl = b.offsets[j + 1] - bs;
  const n = Math.min(al, bl);
  for (let k = 0; k < n; k++) {
    const d = a.bytes[as + k] - b.bytes[bs + k];
    if (d !== 0) return d;
  }
  return al - bl;
}

/** Unsigned byte comparison of string i of `a` with `want` (bytes as latin1 characters). */
function compareWanted(a: VarBytes, i: number, want: string): number {
  const s = a.offsets[i];
  const l = a.offsets[i + 1] - s;
  const n = Math.min(l, want.length);
  for (let k = 0; k < n; k++) {
    const d = a.bytes[s + k] - want.charCodeAt(k);
    if (d !== 0) return d;
  }
  return l - want.length;
}

const sortedStrings = new WeakMap<ReadonlySet<unknown>, string[]>();

/** Rows of a string index whose key the probe wants (keys as latin1 of their UTF-8 bytes), ascending. */
function findStringRows(index: StringKeyIndex, probe: KeyProbe): Uint32Array {
  const values = probe.values ?? new Set();
  let wanted = sortedStrings.get(values);
  if (!wanted) {
    // Latin1 characters compare as their bytes do (unsigned): the index's order.
    wanted = [...values].filter((v): v is string => typeof v === 'string').sort();
    sortedStrings.set(values, wanted);
  }
  const d = index.strings;
  const n = d.offsets.length - 1;
  const out: number[] = [];
  for (const w of wanted) {
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareWanted(d, mid, w) < 0) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < n && compareWanted(d, i, w) === 0; i++) out.push(i);
  }
  return Uint32Array.from(out);
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
export function findRows(index: FileKeyIndex | StringKeyIndex, probe: KeyProbe): Uint32Array {
  if (isStringIndex(index)) {
    // Only integer keys are probed by range (keySetOf): a string range reaching here is a bug.
    if (probe.range) throw new EddyError('UNSUPPORTED', 'a key range probe on a string key index');
    return findStringRows(index, probe);
  }
  const { keys, base } = index;
  const bigint = keys instanceof BigInt64Array;
  // Wanted keys as the index holds them (BIGINT keys held as numbers: bounds beyond ±2^53 still
  // order correctly as doubles, and a wanted key beyond it is not in the file; minus the base, which
  // keeps the order, and is exact for every key the file can hold).
  const asIndexed = (v: number | bigint): number | bigint =>
    bigint ? v : (typeof v === 'number' ? v : Number(v)) - base;
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
  for (const w of wanted) {
    const v = bigint ? w : (w as number) - base;
    for (let i = bound(keys, v, false); i < keys.length && keys[i] === v; i++) out.push(i);
  }
  return Uint32Array.from(out);
}

/** The index's keys at `rows`, as a column of `type`. */
export function keysAt(index: FileKeyIndex | StringKeyIndex, rows: Uint32Array, type: DataType): Column {
  if (isStringIndex(index)) {
    const n = index.strings.offsets.length - 1;
    return gatherColumn({ type, length: n, data: index.strings, validity: null }, rows);
  }
  const { keys: src, base } = index;
  if (src instanceof Float64Array || src instanceof Uint32Array) {
    const data = new BigInt64Array(rows.length);
    for (let i = 0; i < rows.length; i++) data[i] = BigInt(src[rows[i]] + base);
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
 * A page's decoded column as the cache holds it: the whole page, or (once the cache is full) a
 * slice of it: the rows of the page lookups asked for, ascending. A page decoded while the cache
 * has no room for it is kept as such a slice, so the lookups repeated most (the hot keys) are served
 * from memory even when the decoded pages of a table exceed the budget, where caching whole pages
 * would evict each other in turn and serve nothing.
 */
type PageEntry = Column | PageSlice;

interface PageSlice {
  readonly slice: true;
  /** Rows of the page (ascending) the slice holds. */
  readonly rows: Uint32Array;
  readonly col: Column;
}

const isSlice = (e: PageEntry): e is PageSlice => (e as PageSlice).slice === true;

/** @internal 'slices' keeps every page decoded by a lookup as a slice (tests); 'full' never slices. */
export const pageCacheTuning: { mode: 'auto' | 'slices' | 'full' } = { mode: 'auto' };

/**
 * Rows `rows[from, to)` (ascending) replaced by their positions in `held` (ascending) when `held`
 * has them all; false (and `rows` untouched) when one is missing.
 */
function toSlicePositions(held: Uint32Array, rows: Uint32Array, from: number, to: number): boolean {
  let j = 0;
  for (let i = from; i < to; i++) {
    const r = rows[i];
    while (j < held.length && held[j] < r) j++;
    if (j === held.length || held[j] !== r) return false;
  }
  j = 0;
  for (let i = from; i < to; i++) {
    const r = rows[i];
    while (held[j] < r) j++;
    rows[i] = j;
  }
  return true;
}

/** The union of two ascending row lists. */
function unionRows(a: Uint32Array, b: Uint32Array): Uint32Array {
  const out = new Uint32Array(a.length + b.length);
  let i = 0;
  let j = 0;
  let n = 0;
  while (i < a.length || j < b.length) {
    const v = j === b.length || (i < a.length && a[i] <= b[j]) ? a[i++] : b[j++];
    if (n === 0 || out[n - 1] !== v) out[n++] = v;
    if (i < a.length && j < b.length && a[i] === b[j]) j++;
  }
  return out.slice(0, n);
}

/**
 * Columns at rows `rows` (ascending) of a file: each page holding one of them decoded once (the
 * missing pages of every column read in one pass) and kept in the read cache (whole while it has
 * room, else the rows asked of it), then gathered.
 */
export async function columnsAt(f: KeyIndexFile, specs: readonly ColumnSpec[], rows: Uint32Array): Promise<Column[]> {
  const cache = readCache();
  const plans = await Promise.all(specs.map((s) => pagePlan(f, s, rows)));
  const missing: {
    column: string;
    rg: RowGroupStats;
    from: number;
    to: number;
    spec: number;
    page: number;
    old?: PageSlice;
  }[] = [];
  plans.forEach((plan, s) => {
    plan.cols = plan.pages.map((pg, page) => {
      const e = cache.get(pg.key) as PageEntry | undefined;
      if (e !== undefined && !isSlice(e)) return e;
      // A slice serves the rows it holds: the rows asked of this page become positions in it.
      if (e && toSlicePositions(e.rows, plan.rowIn, pg.first, pg.end)) return e.col;
      missing.push({ ...pg, column: specs[s].column, spec: s, page, old: e });
      return undefined;
    });
  });
  if (missing.length > 0) {
    const decoded = await decodeRowRanges(f.source, f.footer, missing);
    missing.forEach((m, i) => {
      const { el, type } = specs[m.spec];
      const plan = plans[m.spec];
      const pg = plan.pages[m.page];
      const c = probedToColumn({ element: el, values: decoded[i] as unknown as readonly unknown[] }, type, f.path);
      plan.cols[m.page] = c;
      const bytes = columnBytes(c);
      const mode = pageCacheTuning.mode;
      if (mode === 'full' || (mode === 'auto' && cache.bytes + bytes <= cache.budget)) {
        cache.set(pg.key, c, bytes);
        return;
      }
      const asked = plan.rowIn.slice(pg.first, pg.end);
      const held = m.old ? unionRows(m.old.rows, asked) : asked;
      const col = gatherColumn(c, held);
      cache.set(pg.key, { slice: true, rows: held, col } satisfies PageSlice, columnBytes(col) + held.byteLength + 64);
    });
  }
  return plans.map((plan, s) => gatherPages(plan, specs[s], rows.length, f.path));
}

interface PagePlan {
  /** The pages holding the rows, in first-use order; rows [first, end) of the lookup lie in each. */
  readonly pages: { rg: RowGroupStats; from: number; to: number; key: string; first: number; end: number }[];
  /** For each row: its row in its page (then its position in the page's cached slice). */
  readonly rowIn: Uint32Array;
  cols: (Column | undefined)[];
}

async function pagePlan(f: KeyIndexFile, spec: ColumnSpec, rows: Uint32Array): Promise<PagePlan> {
  const { column, type } = spec;
  const groups = f.footer.rowGroups;
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
    if (!last || last.rg !== rg || last.from !== starts[p]) {
      if (last) last.end = i;
      pages.push({ rg, from: starts[p], to: starts[p + 1], key: keys![p], first: i, end: rows.length });
    }
    rowIn[i] = local - starts[p];
  }
  return { pages, rowIn, cols: [] };
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
  const { pages, rowIn } = plan;
  if (held.length === 0) return probedToColumn({ element: spec.el, values: [] }, spec.type, path);
  if (held.length === 1) return gatherColumn(held[0], rowIn);
  // Page by page: the rows of a page are a run [first, end) of the lookup's rows, and a loop over
  // one source array at a time stays monomorphic (a get gathers from thousands of small pages).
  let validity: Uint8Array | null = null;
  if (held.some((c) => c.validity !== null)) {
    validity = new Uint8Array(n).fill(1);
    for (let p = 0; p < pages.length; p++) {
      const v = held[p].validity;
      if (v === null) continue;
      for (let i = pages[p].first; i < pages[p].end; i++) validity[i] = v[rowIn[i]];
    }
  }
  const d0 = held[0].data;
  let data: ColumnData;
  if (typeof d0 === 'object' && 'offsets' in d0) {
    const offsets = new Int32Array(n + 1);
    let size = 0;
    for (let p = 0; p < pages.length; p++) {
      const o = (held[p].data as VarBytes).offsets;
      for (let i = pages[p].first; i < pages[p].end; i++) {
        const r = rowIn[i];
        size += o[r + 1] - o[r];
        offsets[i + 1] = size;
      }
    }
    const bytes = Buffer.allocUnsafe(size);
    for (let p = 0; p < pages.length; p++) {
      const src = held[p].data as VarBytes;
      const so = src.offsets;
      const sb = src.bytes;
      for (let i = pages[p].first; i < pages[p].end; i++) {
        const r = rowIn[i];
        const from = so[r];
        const len = so[r + 1] - from;
        const o = offsets[i];
        if (len < 32) for (let k = 0; k < len; k++) bytes[o + k] = sb[from + k];
        else bytes.set(sb.subarray(from, from + len), o);
      }
    }
    data = { offsets, bytes };
  } else if (Array.isArray(d0)) {
    const out: unknown[] = new Array(n);
    for (let p = 0; p < pages.length; p++) {
      const src = held[p].data as unknown[];
      for (let i = pages[p].first; i < pages[p].end; i++) out[i] = src[rowIn[i]];
    }
    data = out as ColumnData;
  } else {
    // Copied as words of the element's width (exact bits; no bigint made per 64-bit element).
    const t0 = d0 as TypedColumn;
    const out = new (t0.constructor as new (n: number) => TypedColumn)(n);
    const width = t0.BYTES_PER_ELEMENT;
    const words = (a: TypedColumn) => {
      let v = wordViews.get(a);
      if (!v) {
        v =
          width >= 4
            ? new Int32Array(a.buffer, a.byteOffset, (a.length * width) / 4)
            : width === 2
              ? new Int16Array(a.buffer, a.byteOffset, a.length)
              : new Uint8Array(a.buffer, a.byteOffset, a.length);
        wordViews.set(a, v);
      }
      return v;
    };
    const w = width === 8 ? 2 : 1;
    const dst = words(out);
    for (let p = 0; p < pages.length; p++) {
      const src = words(held[p].data as TypedColumn);
      const { first, end } = pages[p];
      if (w === 2)
        for (let i = first; i < end; i++) {
          const r = 2 * rowIn[i];
          dst[2 * i] = src[r];
          dst[2 * i + 1] = src[r + 1];
        }
      else for (let i = first; i < end; i++) dst[i] = src[rowIn[i]];
    }
    data = out as unknown as ColumnData;
  }
  return { type: spec.type, length: n, data, validity };
}

/** The cached pages' arrays as words (made once: a get reads thousands of small pages). */
const wordViews = new WeakMap<TypedColumn, Int32Array | Int16Array | Uint8Array>();

type TypedColumn = Int8Array | Uint8Array | Int16Array | Int32Array | Float32Array | Float64Array | BigInt64Array;
