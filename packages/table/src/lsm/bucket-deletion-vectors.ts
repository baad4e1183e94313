/**
 * The deletion vectors of one (partition, bucket) while a compaction changes them: Paimon's
 * BucketedDvMaintainer. A bucket has at most one DELETION_VECTORS index file; any change (a row
 * marked deleted, a rewritten file's vector dropped) writes the bucket's whole set into a new file
 * that replaces the old one (DeletionVectorIndexFileWriter.writeSingleFile) — an empty set too: the
 * new file then holds just the version byte.
 */
import { randomUUID } from 'node:crypto';
import {
  deletionVectorPositions,
  encodeDeletionVectorIndexFile,
  readDeletionVectorFromIndexFile,
} from '../format/deletion-vector.ts';
import { DELETION_VECTORS_INDEX, type IndexManifestEntry } from '../format/index-manifest.ts';
import { FileKind } from '../format/manifest.ts';
import type { FileIO } from '../io/file-io.ts';
import type { TablePaths } from '../meta/table-paths.ts';

export class BucketDeletionVectors {
  private modified = false;

  private constructor(
    /** The bucket's index file this set was read from (what a commit replaces). */
    readonly previous: IndexManifestEntry | undefined,
    private readonly vectors: Map<string, Set<number>>,
  ) {}

  static async load(
    io: FileIO,
    paths: TablePaths,
    entry: IndexManifestEntry | undefined,
  ): Promise<BucketDeletionVectors> {
    const vectors = new Map<string, Set<number>>();
    if (entry?.deletionVectorRanges && entry.deletionVectorRanges.length > 0) {
      const path = paths.indexFile(entry.fileName, entry.externalPath);
      const bytes = await io.read(path);
      for (const r of entry.deletionVectorRanges)
        vectors.set(r.fileName, new Set(deletionVectorPositions(readDeletionVectorFromIndexFile(bytes, r, path))));
    }
    return new BucketDeletionVectors(entry, vectors);
  }

  /** Whether `fileName` has rows marked deleted. */
  has(fileName: string): boolean {
    return (this.vectors.get(fileName)?.size ?? 0) > 0;
  }

  /** Marks row `position` of `fileName` deleted (Java: notifyNewDeletion). */
  markDeleted(fileName: string, position: number): void {
    let v = this.vectors.get(fileName);
    if (!v) {
      v = new Set();
      this.vectors.set(fileName, v);
    }
    if (!v.has(position)) {
      v.add(position);
      this.modified = true;
    }
  }

  /** Drops the vector of a file a compaction rewrote (Java: removeDeletionVectorOf). */
  remove(fileName: string): void {
    if (this.vectors.delete(fileName)) this.modified = true;
  }

  /**
   * Drops the vectors of files no longer live (an overwrite removed them without touching the
   * index): carrying them on would name files a commit must find live.
   */
  retainOnly(live: ReadonlySet<string>): void {
    for (const f of [...this.vectors.keys()]) if (!live.has(f)) this.remove(f);
  }

  /** Data files that have a vector. */
  files(): string[] {
    return [...this.vectors.keys()];
  }

  /**
   * Writes the bucket's new index file when anything changed (undefined otherwise): the ADD entry
   * for the index manifest, replacing `previous`.
   */
  async write(
    io: FileIO,
    paths: TablePaths,
    partition: Uint8Array,
    bucket: number,
    bitmap64: boolean,
  ): Promise<IndexManifestEntry | undefined> {
    if (!this.modified) return undefined;
    const { bytes, ranges } = encodeDeletionVectorIndexFile(this.vectors, { bitmap64 });
    const fileName = `index-${randomUUID()}-0`;
    await io.write(paths.indexFile(fileName, null), bytes);
    this.modified = false;
    return {
      kind: FileKind.ADD,
      partition,
      bucket,
      indexType: DELETION_VECTORS_INDEX,
      fileName,
      fileSize: bytes.length,
      rowCount: ranges.length,
      deletionVectorRanges: ranges,
      externalPath: null,
    };
  }
}
