import { BLOOM_FILTER, DEFAULT_BLOOM_FPP, DEFAULT_BLOOM_ITEMS } from '../format/bloom-filter.ts';
import { hashable } from '../format/fast-hash.ts';
import type { DataField } from '../types/data-types.ts';
import { EddyError } from '../types/errors.ts';
import { parseMemorySize } from './core-options.ts';

/**
 * The file index options (Java: org.apache.paimon.fileindex.FileIndexOptions and CoreOptions):
 * `file-index.<type>.columns` lists the columns a writer indexes with `<type>`,
 * `file-index.<type>.<column>.<option>` tunes one (`items`, `fpp` for bloom filters),
 * `file-index.in-manifest-threshold` (500 B) is the size up to which the index goes into the
 * manifest entry rather than a `<data file>.index` file, and `file-index.read.enabled` (true)
 * whether readers use indexes to skip files.
 *
 * Eddy writes bloom filters only. Other types (`bitmap`, `bsi`, `range-bitmap`) are not written:
 * an index only lets readers skip files, and a reader without it reads the file.
 */
export interface BloomColumn {
  readonly column: string;
  readonly items: number;
  readonly fpp: number;
}

export interface FileIndexWriteOptions {
  /** Bloom-filter columns in Java's write order (see javaHashMapOrder). */
  readonly bloom: readonly BloomColumn[];
  readonly inManifestThreshold: number;
}

const PREFIX = 'file-index.';

/** `file-index.read.enabled`. */
export function fileIndexReadEnabled(options: Readonly<Record<string, string>>): boolean {
  const v = options['file-index.read.enabled'];
  if (v === undefined) return true;
  const s = v.trim().toLowerCase();
  if (s === 'true') return true;
  if (s === 'false') return false;
  throw new EddyError('INVALID_OPTION', `option 'file-index.read.enabled': expected true or false, got '${v}'`);
}

/** The columns `file-index.<type>.columns` names for each type (FileIndexOptions.setupOptions). */
export function fileIndexColumns(options: Readonly<Record<string, string>>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [key, value] of Object.entries(options)) {
    if (!key.startsWith(PREFIX) || !key.endsWith('.columns')) continue;
    const type = key.slice(PREFIX.length, key.length - '.columns'.length);
    const names = value.split(',');
    for (const n of names) {
      if (n.trim() === '')
        throw new EddyError('INVALID_OPTION', `option '${key}': should not have an empty column, got '${value}'`);
    }
    out.set(
      type,
      names.map((n) => n.trim()),
    );
  }
  return out;
}

/**
 * What a writer of `fields` builds, or undefined when no index is asked for. Refuses as Java's
 * writer would (it fails the write): an unknown column, a column of a type bloom filters do not
 * hash (BOOLEAN, DECIMAL, nested), an option for a column not listed, a bad `items` or `fpp`.
 * Map-value indexes (`col[key]`) are refused with UNSUPPORTED.
 */
export function fileIndexWriteOptions(
  options: Readonly<Record<string, string>>,
  fields: readonly DataField[],
): FileIndexWriteOptions | undefined {
  const byType = fileIndexColumns(options);
  if (byType.size === 0) return undefined;
  for (const [type, cols] of byType) {
    for (const c of cols) {
      if (c.includes('[') && c.endsWith(']'))
        throw new EddyError(
          'UNSUPPORTED',
          `option 'file-index.${type}.columns': map-value index '${c}' is not supported`,
        );
      if (!fields.some((f) => f.name === c))
        throw new EddyError(
          'INVALID_OPTION',
          `option 'file-index.${type}.columns': '${c}' is not a column of the table`,
        );
    }
  }
  // Per-column options: file-index.<type>.<column>.<option>, exactly three parts (others are ignored, as Java).
  const perColumn = new Map<string, Map<string, string>>();
  for (const [key, value] of Object.entries(options)) {
    if (!key.startsWith(PREFIX) || key.endsWith('.columns')) continue;
    const parts = key.slice(PREFIX.length).split('.');
    if (parts.length !== 3) continue;
    const [type, column, opt] = parts;
    if (!byType.get(type)?.includes(column))
      throw new EddyError(
        'INVALID_OPTION',
        `option '${key}': column '${column}' is not in 'file-index.${type}.columns'`,
      );
    const m = perColumn.get(`${type}\u0000${column}`) ?? new Map<string, string>();
    m.set(opt, value);
    perColumn.set(`${type}\u0000${column}`, m);
  }
  const threshold = options['file-index.in-manifest-threshold'];
  const inManifestThreshold =
    threshold === undefined ? 500 : parseMemorySize(threshold, 'file-index.in-manifest-threshold');
  const cols = byType.get(BLOOM_FILTER) ?? [];
  const bloom: BloomColumn[] = [];
  const seen = new Set<string>();
  for (const column of cols) {
    if (seen.has(column)) continue;
    seen.add(column);
    const f = fields.find((x) => x.name === column) as DataField;
    if (!hashable(f.type))
      throw new EddyError(
        'UNSUPPORTED',
        `option 'file-index.bloom-filter.columns': column '${column}' is ${f.type.root}, which Paimon's bloom filter does not support`,
      );
    const o = perColumn.get(`${BLOOM_FILTER}\u0000${column}`);
    const itemsText = o?.get('items');
    const fppText = o?.get('fpp');
    const items = itemsText === undefined ? DEFAULT_BLOOM_ITEMS : Number(itemsText.trim());
    const fpp = fppText === undefined ? DEFAULT_BLOOM_FPP : Number(fppText.trim());
    const where = `file-index.bloom-filter.${column}`;
    if (!Number.isInteger(items) || items < 1 || items > 2147483647)
      throw new EddyError('INVALID_OPTION', `option '${where}.items': expected a positive integer, got '${itemsText}'`);
    if (!(fpp > 0 && fpp < 1))
      throw new EddyError(
        'INVALID_OPTION',
        `option '${where}.fpp': expected a number between 0 and 1, got '${fppText}'`,
      );
    bloom.push({ column, items, fpp });
  }
  if (bloom.length === 0) return undefined;
  return { bloom: javaWriteOrder(bloom), inManifestThreshold };
}

/** Java's String.hashCode. */
function javaStringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

/**
 * Iteration order of a java.util.HashMap filled with `items` in order, by `put` (appends to its
 * bin, resizes after the insert that passes 0.75 full) or `computeIfAbsent` (prepends to its bin,
 * resizes before an insert once past 0.75 full). A resize splits each bin keeping its order.
 * (Bins treeified in tables of 64 and more are not modelled: their order may differ.)
 */
function hashMapOrder<T>(items: readonly T[], hash: (t: T) => number, how: 'put' | 'computeIfAbsent'): T[] {
  let cap = 16;
  let bins: { t: T; h: number }[][] = Array.from({ length: cap }, () => []);
  let size = 0;
  const resize = () => {
    const next: { t: T; h: number }[][] = Array.from({ length: cap * 2 }, () => []);
    bins.forEach((bin, j) => {
      for (const e of bin) next[e.h & cap ? j + cap : j].push(e);
    });
    bins = next;
    cap *= 2;
  };
  for (const t of items) {
    const h0 = hash(t);
    const h = (h0 ^ (h0 >>> 16)) >>> 0;
    if (how === 'computeIfAbsent' && size > cap * 0.75) resize();
    const bin = bins[h & (cap - 1)];
    const before = bin.length;
    if (how === 'put') bin.push({ t, h });
    else bin.unshift({ t, h });
    // A bin reaching 8 entries (9 by put) is "treeified", which in a table under 64 is a resize.
    if ((how === 'put' ? before >= 8 : before >= 7) && cap < 64) resize();
    size++;
    if (how === 'put' && size > cap * 0.75) resize();
  }
  return bins.flat().map((e) => e.t);
}

/**
 * The order in which Java's DataFileIndexWriter writes the columns' indexes: FileIndexOptions keeps
 * columns in a HashMap keyed by Column (hash Arrays.hashCode([name, null, false])), the writer
 * re-keys them by name into HashMaps, and the container follows the last one. Readers look indexes
 * up by name: the order only makes Eddy's bytes identical to Java's (checked by the interop suite).
 */
function javaWriteOrder(bloom: readonly BloomColumn[]): BloomColumn[] {
  const columnHash = (b: BloomColumn) => {
    let r = (31 + javaStringHash(b.column)) | 0;
    r = Math.imul(31, r) | 0;
    return (Math.imul(31, r) + 1237) | 0;
  };
  // FileIndexOptions: computeIfAbsent by Column; the writer's maintainers: put by name; the
  // serialized map: computeIfAbsent by name.
  const byOptions = hashMapOrder(bloom, columnHash, 'computeIfAbsent');
  const maintainers = hashMapOrder(byOptions, (b) => javaStringHash(b.column), 'put');
  return hashMapOrder(maintainers, (b) => javaStringHash(b.column), 'computeIfAbsent');
}
