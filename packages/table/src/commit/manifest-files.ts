import { randomUUID } from 'node:crypto';
import { deserializeBinaryRow } from '../format/binary-row.ts';
import { compareValues } from '../format/columns.ts';
import { decodeIndexManifest, type IndexManifestEntry } from '../format/index-manifest.ts';
import { decodeManifest, encodeManifest, type ManifestEntry } from '../format/manifest.ts';
import {
  decodeManifestList,
  encodeManifestList,
  type ManifestCodec,
  type ManifestFileMeta,
} from '../format/manifest-list.ts';
import { statsOfRows, toSimpleStats } from '../format/stats.ts';
import { type FileIO, joinPath } from '../io/file-io.ts';
import type { DataType } from '../types/data-types.ts';

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

/**
 * Reads and writes the files under `manifest/`: manifests, manifest lists and index manifests.
 * They are immutable once written, so decoded contents are cached by name.
 */
export class ManifestFiles {
  readonly dir: string;
  private readonly uuid = randomUUID();
  private manifestCounter = 0;
  private listCounter = 0;
  private readonly lists = new LruCache<ManifestFileMeta[]>(64);
  private readonly manifests = new LruCache<ManifestEntry[]>(256);

  constructor(
    private readonly io: FileIO,
    tablePath: string,
    private readonly codec: ManifestCodec,
  ) {
    this.dir = joinPath(tablePath, 'manifest');
  }

  path(name: string): string {
    return joinPath(this.dir, name);
  }

  async readManifestList(name: string): Promise<ManifestFileMeta[]> {
    const hit = this.lists.get(name);
    if (hit) return hit;
    const path = this.path(name);
    const metas = await decodeManifestList(await this.io.read(path), path);
    this.lists.set(name, metas);
    return metas;
  }

  async readManifest(name: string): Promise<ManifestEntry[]> {
    const hit = this.manifests.get(name);
    if (hit) return hit;
    const path = this.path(name);
    const entries = await decodeManifest(await this.io.read(path), path);
    this.manifests.set(name, entries);
    return entries;
  }

  async readIndexManifest(name: string): Promise<IndexManifestEntry[]> {
    const path = this.path(name);
    return decodeIndexManifest(await this.io.read(path), path);
  }

  /** Writes one manifest file of `entries` and returns its ManifestFileMeta. */
  async writeManifest(
    entries: readonly ManifestEntry[],
    partitionTypes: readonly DataType[],
    schemaId: number,
  ): Promise<ManifestFileMeta> {
    const fileName = `manifest-${this.uuid}-${this.manifestCounter++}`;
    const bytes = await encodeManifest(entries, this.codec);
    await this.io.write(this.path(fileName), bytes);
    this.manifests.set(fileName, [...entries]);
    let added = 0;
    let deleted = 0;
    let minBucket = Number.POSITIVE_INFINITY;
    let maxBucket = Number.NEGATIVE_INFINITY;
    let minLevel = Number.POSITIVE_INFINITY;
    let maxLevel = Number.NEGATIVE_INFINITY;
    for (const e of entries) {
      if (e.kind === 0) added++;
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
      fileSize: bytes.byteLength,
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

  /** Writes a manifest list; returns its name and size. */
  async writeManifestList(metas: readonly ManifestFileMeta[]): Promise<{ name: string; size: number }> {
    const name = `manifest-list-${this.uuid}-${this.listCounter++}`;
    const bytes = await encodeManifestList(metas, this.codec);
    await this.io.write(this.path(name), bytes);
    this.lists.set(name, [...metas]);
    return { name, size: bytes.byteLength };
  }

  async delete(name: string): Promise<void> {
    await this.io.delete(this.path(name));
  }
}
