import { randomUUID } from 'node:crypto';
import { compareValues } from '../data/columns.ts';
import { deserializeBinaryRow } from '../format/binary-row.ts';
import { decodeIndexManifest, encodeIndexManifest, type IndexManifestEntry } from '../format/index-manifest.ts';
import {
  decodeManifest,
  encodeManifest,
  FileKind,
  type ManifestEntry,
  manifestEntriesWeight,
  mergeManifestEntries,
} from '../format/manifest.ts';
import {
  decodeManifestList,
  encodeManifestList,
  type ManifestCodec,
  type ManifestFileMeta,
} from '../format/manifest-list.ts';
import type { Snapshot } from '../format/snapshot.ts';
import { statsOfRows, toSimpleStats } from '../format/stats.ts';
import { type FileIO, joinPath } from '../io/file-io.ts';
import { forgetCachedFile, readCache, readCacheKey } from '../io/read-cache.ts';
import type { DataType } from '../types/data-types.ts';
import { EddyError } from '../types/errors.ts';
import { type PublishedMetadata, publishedMetadata } from './published-metadata.ts';
import type { PathConfinement } from './table-paths.ts';

/** Bounded LRU of decoded immutable files, keyed by file name. */
class LruCache<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly max: number) {}
  get(k: string): V | undefined {
    const v = this.map.get(k);
    if (v !== undefined) {
      this.map.delete(k);
      this.map.set(k, v);
    }
    return v;
  }
  set(k: string, v: V): void {
    this.map.delete(k);
    this.map.set(k, v);
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value as string);
  }
}

/** Which manifests and entries a reader of live entries needs (both optional: all). */
export interface LiveEntryFilter {
  readonly manifest?: (meta: ManifestFileMeta) => boolean;
  readonly entry?: (entry: ManifestEntry) => boolean;
}

/**
 * Reads and writes the files under `manifest/`: manifests, manifest lists and index manifests.
 * They are immutable once written, so decoded contents are cached by name.
 */
export class ManifestFiles {
  readonly dir: string;
  private readonly uuid = randomUUID();
  private manifestCounter = 0;
  private listCounter = 0;
  private indexCounter = 0;
  private readonly lists = new LruCache<ManifestFileMeta[]>(64);
  /** What the table objects of this process on the same FileIO wrote or read (lists, snapshots). */
  private readonly published: PublishedMetadata;

  constructor(
    private readonly io: FileIO,
    tablePath: string,
    private readonly codec: ManifestCodec,
    /** Checks the external paths of the entries read (none: no check, for tests of the codec). */
    private readonly confinement?: PathConfinement,
    /** Which table lives at the path (see publishedMetadata). */
    incarnation = '',
  ) {
    this.dir = joinPath(tablePath, 'manifest');
    this.published = publishedMetadata(io, tablePath, incarnation);
  }

  path(name: string): string {
    return joinPath(this.dir, name);
  }

  async readManifestList(name: string): Promise<ManifestFileMeta[]> {
    const hit = this.lists.get(name) ?? this.published.lists.get(name);
    if (hit) {
      this.lists.set(name, hit);
      return hit;
    }
    return this.once(`list:${name}`, async () => {
      const path = this.path(name);
      const metas = await decodeManifestList(await this.io.read(path), path);
      this.lists.set(name, metas);
      this.published.lists.set(name, metas);
      return metas;
    });
  }

  /** Reads in flight, by file: a commit checks and builds side by side, and both may need the same file. */
  private readonly reading = new Map<string, Promise<unknown>>();

  private once<T>(key: string, read: () => Promise<T>): Promise<T> {
    const pending = this.reading.get(key) as Promise<T> | undefined;
    if (pending) return pending;
    const p = read().finally(() => this.reading.delete(key));
    this.reading.set(key, p);
    return p;
  }

  /**
   * `keep` false: read once and not kept (a change feed reads each snapshot's delta once; kept, they
   * filled the cache of a process tailing a stream).
   */
  async readManifest(name: string, keep = true): Promise<ManifestEntry[]> {
    const path = this.path(name);
    const key = readCacheKey(this.io, 'manifest', path);
    const hit = readCache().get(key) as ManifestEntry[] | undefined;
    if (hit) return hit;
    return this.once(`manifest:${name}:${keep}`, async () => {
      const bytes = await this.io.read(path);
      const entries = await decodeManifest(bytes, path);
      // A file outside the table's roots fails the whole manifest: nothing it names is read or deleted.
      if (this.confinement)
        for (const e of entries)
          if (e.file.externalPath !== null)
            this.confinement.confine(e.file.externalPath, `_EXTERNAL_PATH of ${e.file.fileName}`, path);
      if (keep) readCache().set(key, entries, manifestEntriesWeight(entries));
      return entries;
    });
  }

  /**
   * Drops manifests from this process's read cache: a merge replaced them, so only readers of
   * older snapshots read them again (from storage), and a writer following a stream kept every
   * merged-away manifest until the cache's budget was reached.
   */
  forgetManifests(names: readonly string[]): void {
    for (const n of names) forgetCachedFile(this.io, this.path(n));
  }

  /** Every entry (ADD and DELETE) of the manifests in a manifest list. */
  async entriesOfList(listName: string): Promise<ManifestEntry[]> {
    const lists = await Promise.all((await this.readManifestList(listName)).map((m) => this.readManifest(m.fileName)));
    return lists.flat();
  }

  /**
   * The files live at a snapshot: its base and delta manifests merged (an ADD cancelled by a later
   * DELETE is gone). `keep` prunes manifests by their metadata and entries before the merge (it
   * must keep an entry's DELETE whenever it keeps its ADD). A DELETE whose file was never added is
   * CORRUPT_FILE: the snapshot cannot say which files are live.
   */
  async liveEntries(snapshot: Snapshot, keep: LiveEntryFilter = {}): Promise<ManifestEntry[]> {
    const [base, delta] = await Promise.all([
      this.readManifestList(snapshot.baseManifestList),
      this.readManifestList(snapshot.deltaManifestList),
    ]);
    const metas: ManifestFileMeta[] = [...base, ...delta];
    const lists = await Promise.all(
      metas.map((m) => (keep.manifest && !keep.manifest(m) ? [] : this.readManifest(m.fileName))),
    );
    const entries: ManifestEntry[] = [];
    for (const l of lists) for (const e of l) if (!keep.entry || keep.entry(e)) entries.push(e);
    const merged = mergeManifestEntries(entries);
    for (const e of merged) {
      if (e.kind !== FileKind.ADD) {
        throw new EddyError(
          'CORRUPT_FILE',
          `snapshot ${snapshot.id}: file ${e.file.fileName} is deleted but was never added`,
          { path: this.path(snapshot.deltaManifestList) },
        );
      }
    }
    return merged;
  }

  /** The entries of an index manifest (immutable by name, so kept in the read cache like manifests). */
  async readIndexManifest(name: string): Promise<readonly IndexManifestEntry[]> {
    const path = this.path(name);
    const key = readCacheKey(this.io, 'index-manifest', path);
    const hit = readCache().get(key) as readonly IndexManifestEntry[] | undefined;
    if (hit) return hit;
    const bytes = await this.io.read(path);
    const entries = await decodeIndexManifest(bytes, path);
    if (this.confinement)
      for (const e of entries)
        if (e.externalPath !== null && e.externalPath !== undefined)
          this.confinement.confine(e.externalPath, `_EXTERNAL_PATH of ${e.fileName}`, path);
    readCache().set(key, entries, indexManifestWeight(bytes.byteLength, entries));
    return entries;
  }

  /** Writes one manifest file of `entries` and returns its ManifestFileMeta. */
  async writeManifest(
    entries: readonly ManifestEntry[],
    partitionTypes: readonly DataType[],
    schemaId: number,
  ): Promise<ManifestFileMeta> {
    const prepared = await this.prepareManifest(entries, partitionTypes, schemaId);
    await prepared.write();
    return prepared.meta;
  }

  /**
   * Encodes a manifest and describes it (everything a manifest list needs: name, size, stats)
   * without writing it yet: a commit writes it while it looks up the latest snapshot and writes
   * the lists, and awaits it before publishing (the snapshot must only name durable files).
   */
  async prepareManifest(
    entries: readonly ManifestEntry[],
    partitionTypes: readonly DataType[],
    schemaId: number,
  ): Promise<{ meta: ManifestFileMeta; write: () => Promise<void> }> {
    const fileName = `manifest-${this.uuid}-${this.manifestCounter++}`;
    const bytes = await encodeManifest(entries, this.codec);
    const write = async () => {
      await this.io.write(this.path(fileName), bytes);
      readCache().set(
        readCacheKey(this.io, 'manifest', this.path(fileName)),
        [...entries],
        manifestEntriesWeight(entries),
      );
    };
    return { meta: this.describeManifest(fileName, bytes.byteLength, entries, partitionTypes, schemaId), write };
  }

  private describeManifest(
    fileName: string,
    fileSize: number,
    entries: readonly ManifestEntry[],
    partitionTypes: readonly DataType[],
    schemaId: number,
  ): ManifestFileMeta {
    let added = 0;
    let deleted = 0;
    let minBucket = Number.POSITIVE_INFINITY;
    let maxBucket = Number.NEGATIVE_INFINITY;
    let minLevel = Number.POSITIVE_INFINITY;
    let maxLevel = Number.NEGATIVE_INFINITY;
    for (const e of entries) {
      if (e.kind === FileKind.ADD) added++;
      else deleted++;
      minBucket = Math.min(minBucket, e.bucket);
      maxBucket = Math.max(maxBucket, e.bucket);
      minLevel = Math.min(minLevel, e.file.level);
      maxLevel = Math.max(maxLevel, e.file.level);
    }
    const partitions = entries.map((e) => deserializeBinaryRow(e.partition, partitionTypes));
    const partitionStats = toSimpleStats(partitionTypes, statsOfRows(partitionTypes, partitions, compareValues));
    const empty = entries.length === 0;
    return {
      fileName,
      fileSize,
      numAddedFiles: added,
      numDeletedFiles: deleted,
      partitionStats,
      schemaId,
      minBucket: empty ? null : minBucket,
      maxBucket: empty ? null : maxBucket,
      minLevel: empty ? null : minLevel,
      maxLevel: empty ? null : maxLevel,
      minRowId: null,
      maxRowId: null,
    };
  }

  /** Writes an index manifest (`index-manifest-<uuid>-<n>`: the complete set of live index files). */
  async writeIndexManifest(entries: readonly IndexManifestEntry[]): Promise<string> {
    const name = `index-manifest-${this.uuid}-${this.indexCounter++}`;
    const bytes = await encodeIndexManifest(entries, this.codec);
    await this.io.write(this.path(name), bytes);
    readCache().set(
      readCacheKey(this.io, 'index-manifest', this.path(name)),
      [...entries],
      indexManifestWeight(bytes.byteLength, entries),
    );
    return name;
  }

  /** Writes a manifest list; returns its name and size. */
  async writeManifestList(metas: readonly ManifestFileMeta[]): Promise<{ name: string; size: number }> {
    const name = `manifest-list-${this.uuid}-${this.listCounter++}`;
    const bytes = await encodeManifestList(metas, this.codec);
    await this.io.write(this.path(name), bytes);
    this.lists.set(name, [...metas]);
    this.published.lists.set(name, [...metas]);
    return { name, size: bytes.byteLength };
  }

  async delete(name: string): Promise<void> {
    this.published.lists.delete(name);
    forgetCachedFile(this.io, this.path(name));
    await this.io.delete(this.path(name));
  }
}

/** A generous estimate of decoded index entries (deletion-vector ranges carry a file name each). */
function indexManifestWeight(bytes: number, entries: readonly IndexManifestEntry[]): number {
  let ranges = 0;
  for (const e of entries) ranges += e.deletionVectorRanges?.length ?? 0;
  return bytes * 4 + entries.length * 512 + ranges * 128;
}
