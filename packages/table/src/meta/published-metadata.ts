/**
 * The metadata this process wrote to a table recently — snapshots it published, manifest lists and
 * manifests — shared by every table object on the same FileIO and table path. Each table object
 * caches what it wrote itself; without this, the writers of one process (e.g. a coalesced group's
 * members, issue 23) read back over the network what another of them just wrote. Only files this
 * process created are kept: they are immutable (names are unique; a snapshot id is created once by
 * writeIfAbsent), so serving them is the same as reading them back.
 */
import type { ManifestEntry } from '../format/manifest.ts';
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
}

export class PublishedMetadata {
  readonly snapshots = new Recent<number, Snapshot>(64);
  readonly lists = new Recent<string, ManifestFileMeta[]>(64);
  readonly manifests = new Recent<string, ManifestEntry[]>(128);
  /** The highest snapshot id a table object of this process published or saw exist. */
  highestSeen = 0;
}

const registry = new WeakMap<FileIO, Map<string, PublishedMetadata>>();

/** The shared record of one table (by FileIO instance and table path). */
export function publishedMetadata(io: FileIO, tablePath: string): PublishedMetadata {
  let byPath = registry.get(io);
  if (!byPath) {
    byPath = new Map();
    registry.set(io, byPath);
  }
  let p = byPath.get(tablePath);
  if (!p) {
    p = new PublishedMetadata();
    byPath.set(tablePath, p);
  }
  return p;
}
