import type { DataFileMeta } from '../format/manifest.ts';
import type { InternalValue } from '../types/internal.ts';

/**
 * The files one (partition, bucket) adds and removes in a commit: what a writer or a compaction
 * hands to the committer. Java: org.apache.paimon.table.sink.CommitMessageImpl.
 */
export interface CommitMessage {
  readonly partition: readonly InternalValue[];
  readonly partitionBytes: Uint8Array;
  readonly bucket: number;
  readonly totalBuckets: number;
  readonly newFiles: readonly DataFileMeta[];
  /** Files this commit removes (compaction inputs); they must still be live when it lands. */
  readonly deletedFiles?: readonly DataFileMeta[];
  /** Changelog files of this commit (changelog producers). */
  readonly changelogFiles?: readonly DataFileMeta[];
}
