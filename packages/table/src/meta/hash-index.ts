/**
 * A dynamic-bucket writer's commit of HASH index files, and how the snapshot's index manifest
 * takes them: a new HASH file replaces its (partition, bucket)'s previous one (Paimon's
 * IndexManifestFileHandler.BucketedCombiner). Shared by the writer (write/dynamic-bucket.ts) and
 * the committer.
 */
import { HASH_INDEX, type IndexManifestEntry } from '../format/index-manifest.ts';
import { EddyError } from '../types/errors.ts';

const b64 = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
export const indexKey = (partition: Uint8Array, bucket: number) => `${b64(partition)}/${bucket}`;

/** What a commit of a dynamic-bucket writer adds to the index, and the index it built on. */
export interface HashIndexCommit {
  /** New HASH files, one per (partition, bucket) whose keys changed. */
  readonly added: readonly IndexManifestEntry[];
  /** Partitions (base64 of the serialized row) the writer assigned keys in. */
  readonly partitions: ReadonlySet<string>;
  /** The HASH files of those partitions the writer loaded: `partition/bucket` → file name. */
  readonly expected: ReadonlyMap<string, string>;
}

/**
 * The index manifest a commit publishes: the previous one's entries with this writer's new HASH
 * files replacing their buckets' files. Fails COMMIT_CONFLICT when another writer changed the HASH
 * files of a partition this one wrote (Paimon allows one writer per dynamic-bucket table).
 */
export function combineHashIndex(
  previous: readonly IndexManifestEntry[],
  commit: HashIndexCommit,
): IndexManifestEntry[] {
  const now = new Map<string, string>();
  for (const e of previous) {
    if (e.indexType === HASH_INDEX && commit.partitions.has(b64(e.partition)))
      now.set(indexKey(e.partition, e.bucket), e.fileName);
  }
  const same = now.size === commit.expected.size && [...now].every(([k, v]) => commit.expected.get(k) === v);
  if (!same) {
    throw new EddyError(
      'COMMIT_CONFLICT',
      `dynamic-bucket table: another writer changed the bucket index of a partition this writer wrote since it started; Paimon supports one writer per dynamic-bucket table at a time (two would put the same new key in two buckets). Nothing was committed`,
    );
  }
  const replaced = new Set(commit.added.map((e) => indexKey(e.partition, e.bucket)));
  return [
    ...previous.filter((e) => !(e.indexType === HASH_INDEX && replaced.has(indexKey(e.partition, e.bucket)))),
    ...commit.added,
  ];
}
