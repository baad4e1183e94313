/**
 * A compaction's commit of DELETION_VECTORS index files, and how the snapshot's index manifest
 * takes them: a bucket's new file replaces its previous one (Paimon's
 * IndexManifestFileHandler.BucketedCombiner). Shared by compaction and the committer.
 */
import { DELETION_VECTORS_INDEX, type IndexManifestEntry } from '../format/index-manifest.ts';
import { EddyError } from '../types/errors.ts';
import { indexKey } from './hash-index.ts';

export interface DeletionVectorIndexCommit {
  /** New index files, one per changed (partition, bucket). */
  readonly added: readonly IndexManifestEntry[];
  /** The file each of those buckets had when the compaction read it (`partition/bucket` → name or null). */
  readonly expected: ReadonlyMap<string, string | null>;
}

/** Every data file the new vectors name (they must stay live), with its partition and bucket. */
export function referencedDataFiles(
  commit: DeletionVectorIndexCommit,
): { partition: Uint8Array; bucket: number; fileName: string }[] {
  const out: { partition: Uint8Array; bucket: number; fileName: string }[] = [];
  for (const e of commit.added)
    for (const r of e.deletionVectorRanges ?? [])
      out.push({ partition: e.partition, bucket: e.bucket, fileName: r.fileName });
  return out;
}

/**
 * The index manifest a commit publishes: the previous entries with the new DV files replacing
 * their buckets' files. Fails COMMIT_CONFLICT when a bucket's file changed since the compaction
 * read it (a concurrent compaction's vectors would be lost, or applied to rewritten files).
 */
export function combineDeletionVectorIndex(
  previous: readonly IndexManifestEntry[],
  commit: DeletionVectorIndexCommit,
): IndexManifestEntry[] {
  const now = new Map<string, string>();
  for (const e of previous)
    if (e.indexType === DELETION_VECTORS_INDEX) now.set(indexKey(e.partition, e.bucket), e.fileName);
  for (const [key, expected] of commit.expected) {
    if ((now.get(key) ?? null) !== expected) {
      throw new EddyError(
        'COMMIT_CONFLICT',
        `deletion vectors of bucket ${key.slice(key.lastIndexOf('/') + 1)} were changed by a concurrent commit; this compaction is discarded`,
      );
    }
  }
  const replaced = new Set(commit.added.map((e) => indexKey(e.partition, e.bucket)));
  return [
    ...previous.filter(
      (e) => !(e.indexType === DELETION_VECTORS_INDEX && replaced.has(indexKey(e.partition, e.bucket))),
    ),
    ...commit.added,
  ];
}
