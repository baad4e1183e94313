/**
 * One memory budget for what readers cache of immutable files: Parquet footers (with their page
 * indexes), decoded manifests, and for lookups by key the files' key indexes and decoded pages
 * (read/key-index.ts). An LRU weighed in bytes (an estimate of what an entry holds in
 * memory): a lookup-heavy process keeps its footers and manifests hot without growing past the
 * budget, whatever the number of tables. Keys name the file (path plus size); Paimon never rewrites
 * a data file or manifest under the same name.
 */
export class ByteLru<V> {
  private readonly low = new Map<string, { value: V; bytes: number }>();
  /** High-priority entries (key indexes): evicted only beyond their share of the budget. */
  private readonly high = new Map<string, { value: V; bytes: number }>();
  private used = 0;
  private highUsed = 0;

  /**
   * `highShare`: the part of the budget high-priority entries keep against low-priority ones (what
   * Paimon's `lookup.cache.high-priority-pool-ratio` reserves for indexes and filters, 0.25).
   */
  constructor(
    readonly budget: number,
    readonly highShare = 0.25,
  ) {}

  get bytes(): number {
    return this.used;
  }

  get size(): number {
    return this.low.size + this.high.size;
  }

  get(key: string): V | undefined {
    for (const map of [this.high, this.low]) {
      const e = map.get(key);
      if (e === undefined) continue;
      map.delete(key);
      map.set(key, e);
      return e.value;
    }
    return undefined;
  }

  /**
   * Keeps `value` unless it alone exceeds the budget; evicts the least recently used entries, the
   * low-priority ones first while high-priority entries stay within their share.
   */
  set(key: string, value: V, bytes: number, priority: 'low' | 'high' = 'low'): void {
    this.remove(key);
    if (bytes > this.budget) return;
    const high = priority === 'high';
    (high ? this.high : this.low).set(key, { value, bytes });
    this.used += bytes;
    if (high) this.highUsed += bytes;
    this.evict();
  }

  /** Adds to an entry's weight (it grew: a page index parsed later, say). */
  grow(key: string, bytes: number): void {
    const high = this.high.get(key);
    const e = high ?? this.low.get(key);
    if (!e) return;
    e.bytes += bytes;
    this.used += bytes;
    if (high) this.highUsed += bytes;
    if (e.bytes > this.budget) this.remove(key);
    this.evict();
  }

  /** Drops one entry (a file that was deleted: it is never read again). */
  delete(key: string): void {
    this.remove(key);
  }

  clear(): void {
    this.low.clear();
    this.high.clear();
    this.used = 0;
    this.highUsed = 0;
  }

  private remove(key: string): void {
    const h = this.high.get(key);
    if (h) {
      this.high.delete(key);
      this.used -= h.bytes;
      this.highUsed -= h.bytes;
      return;
    }
    const l = this.low.get(key);
    if (l) {
      this.low.delete(key);
      this.used -= l.bytes;
    }
  }

  private evict(): void {
    while (this.used > this.budget) {
      const fromHigh = this.low.size === 0 || (this.high.size > 0 && this.highUsed > this.budget * this.highShare);
      const map = fromHigh ? this.high : this.low;
      const first = map.keys().next();
      if (first.done) return;
      this.remove(first.value);
    }
  }
}

let shared: ByteLru<unknown> | undefined;

/**
 * The process-wide cache: 256 MiB unless EDDY_READ_CACHE_BYTES says otherwise (0 turns it off) —
 * Paimon's default for its lookup cache (`lookup.cache-max-memory-size`). It fills only as a
 * process reads: footers and manifests (small), key indexes and decoded pages of lookups (a
 * million-row table's working set for random gets is about 60 MB).
 */
export function readCache(): ByteLru<unknown> {
  if (!shared) {
    const env = Number(process.env.EDDY_READ_CACHE_BYTES);
    shared = new ByteLru(Number.isSafeInteger(env) && env >= 0 ? env : 256 * 1024 * 1024);
  }
  return shared;
}

const scopes = new WeakMap<object, number>();
let nextScope = 1;

/**
 * The cache key of `file` read through `io`: entries are per storage client, so a table opened on
 * another FileIO (another Catalog, another endpoint with the same paths) reads the file itself.
 */
export function readCacheKey(io: object, kind: string, file: string): string {
  let id = scopes.get(io);
  if (id === undefined) {
    id = nextScope++;
    scopes.set(io, id);
  }
  return `${id}:${kind}:${file}`;
}

/** Kinds of entries keyed by a file's path alone (Parquet footers also carry its size: they age out). */
const PATH_KEYED_KINDS = ['manifest', 'index-manifest', 'file-index'] as const;

/**
 * Drops what the read cache holds of `file` read through `io`, once it is deleted: metadata of
 * expired snapshots is read by the expiry that deletes it, then never again, and a compactor that
 * expires a stream kept thousands of such manifests until the LRU reached its budget (issue 23).
 */
export function forgetCachedFile(io: object, file: string): void {
  if (!shared || !scopes.has(io)) return;
  for (const kind of PATH_KEYED_KINDS) shared.delete(readCacheKey(io, kind, file));
}
