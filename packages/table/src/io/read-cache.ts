/**
 * One memory budget for what readers cache of immutable files: Parquet footers (with their page
 * indexes) and decoded manifests. An LRU weighed in bytes (an estimate of what an entry holds in
 * memory): a lookup-heavy process keeps its footers and manifests hot without growing past the
 * budget, whatever the number of tables. Keys name the file (path plus size); Paimon never rewrites
 * a data file or manifest under the same name.
 */
export class ByteLru<V> {
  private readonly map = new Map<string, { value: V; bytes: number }>();
  private used = 0;

  constructor(readonly budget: number) {}

  get bytes(): number {
    return this.used;
  }

  get size(): number {
    return this.map.size;
  }

  get(key: string): V | undefined {
    const e = this.map.get(key);
    if (e === undefined) return undefined;
    this.map.delete(key);
    this.map.set(key, e);
    return e.value;
  }

  /** Keeps `value` unless it alone exceeds the budget; evicts the least recently used entries. */
  set(key: string, value: V, bytes: number): void {
    const old = this.map.get(key);
    if (old) {
      this.map.delete(key);
      this.used -= old.bytes;
    }
    if (bytes > this.budget) return;
    this.map.set(key, { value, bytes });
    this.used += bytes;
    for (const [k, e] of this.map) {
      if (this.used <= this.budget) break;
      this.map.delete(k);
      this.used -= e.bytes;
    }
  }

  /** Adds to an entry's weight (it grew: a page index parsed later, say). */
  grow(key: string, bytes: number): void {
    const e = this.map.get(key);
    if (!e) return;
    e.bytes += bytes;
    this.used += bytes;
    if (e.bytes > this.budget) {
      this.map.delete(key);
      this.used -= e.bytes;
    }
    for (const [k, x] of this.map) {
      if (this.used <= this.budget) break;
      this.map.delete(k);
      this.used -= x.bytes;
    }
  }

  clear(): void {
    this.map.clear();
    this.used = 0;
  }
}

let shared: ByteLru<unknown> | undefined;

/** The process-wide cache: 64 MiB unless EDDY_READ_CACHE_BYTES says otherwise (0 turns it off). */
export function readCache(): ByteLru<unknown> {
  if (!shared) {
    const env = Number(process.env.EDDY_READ_CACHE_BYTES);
    shared = new ByteLru(Number.isSafeInteger(env) && env >= 0 ? env : 64 * 1024 * 1024);
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
