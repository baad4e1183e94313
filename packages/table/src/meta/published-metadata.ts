/**
 * The snapshots and manifest lists of a table this process wrote or read recently, shared by every
 * table object on the same FileIO and table path (manifests are in the per-FileIO read cache,
 * io/read-cache.ts). Without it, the writers of one process (e.g. a coalesced group's members,
 * issue 23) read back what another of them just wrote, and each reads again what another process
 * published. Safe to share: list names are unique and never rewritten, a snapshot id is created
 * once (writeIfAbsent), and a reader of manifests applies its own path confinement to entries.
 */
import type { ManifestFileMeta } from '../format/manifest-list.ts';
import type { Snapshot } from '../format/snapshot.ts';
import type { FileIO } from '../io/file-io.ts';

/** Bounded insertion-ordered map: the oldest entry goes first. */
class Recent<K, V> {
  private readonly map = new Map<K, V>();
  constructor(private readonly max: number) {}
  get(k: K): V | undefined {
    return this.map.get(k);
  }
  set(k: K, v: V): void {
    this.map.delete(k);
    this.map.set(k, v);
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value as K);
  }
  delete(k: K): void {
    this.map.delete(k);
  }
  deleteWhere(drop: (k: K) => boolean): void {
    for (const k of [...this.map.keys()]) if (drop(k)) this.map.delete(k);
  }
}

export class PublishedMetadata {
  readonly snapshots = new Recent<number, Snapshot>(64);
  readonly lists = new Recent<string, ManifestFileMeta[]>(64);
  /** The highest snapshot id a table object of this process published or saw exist. */
  highestSeen = 0;
  /**
   * Raised when a look-up finds the latest snapshot below `highestSeen`: the table was rolled back
   * (expiry never removes the latest), so ids above it may be reused by new commits and every
   * table object drops the snapshots it cached (SnapshotManager.checkRollback).
   */
  rollbacks = 0;
  /**
   * When (performance.now()) this process last confirmed that `highestSeen` is the latest: it
   * published it, or found `snapshot-(highestSeen+1)` absent. 0 when not confirmed since it moved.
   */
  confirmedAt = 0;
  /** A follow look-up in flight: the writers of this process that follow at the same moment share it. */
  following: Promise<unknown> | undefined;
}

const registry = new WeakMap<FileIO, Map<string, PublishedMetadata>>();

/**
 * The shared record of one table: by FileIO instance, table path and `incarnation` (which table
 * lives at the path: its schema id and creation time, so a table dropped and created again at the
 * same path never shares what the old one's writers published).
 */
export function publishedMetadata(io: FileIO, tablePath: string, incarnation: string): PublishedMetadata {
  let byTable = registry.get(io);
  if (!byTable) {
    byTable = new Map();
    registry.set(io, byTable);
  }
  const key = `${tablePath}\n${incarnation}`;
  let p = byTable.get(key);
  if (!p) {
    p = new PublishedMetadata();
    byTable.set(key, p);
  }
  return p;
}

/** Forgets what was published to the tables at or under `path` (a dropped table or database). */
export function forgetPublished(io: FileIO, path: string): void {
  const byTable = registry.get(io);
  if (!byTable) return;
  for (const key of [...byTable.keys()]) {
    const tablePath = key.slice(0, key.indexOf('\n'));
    if (tablePath === path || tablePath.startsWith(`${path.replace(/\/+$/, '')}/`)) byTable.delete(key);
  }
}
