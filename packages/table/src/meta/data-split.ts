import type { DataFileMeta } from '../format/manifest.ts';
import type { InternalValue } from '../types/internal.ts';

/**
 * The live files of one (partition, bucket) at a snapshot: the unit a reader merges.
 * Java: org.apache.paimon.table.source.DataSplit.
 */
export interface DataSplit {
  readonly snapshotId: number;
  readonly partition: readonly InternalValue[];
  readonly partitionBytes: Uint8Array;
  readonly bucket: number;
  readonly totalBuckets: number;
  readonly files: readonly DataFileMeta[];
  /** Deletion-vector index entries for these files (DV tables), by data file name. */
  readonly deletionFiles?: ReadonlyMap<string, DeletionFile>;
}

/** Where a data file's deletion vector lies inside an index file (Java: DeletionFile). */
export interface DeletionFile {
  readonly indexFile: string;
  readonly indexFileSize: number;
  readonly offset: number;
  readonly length: number;
  readonly cardinality: number | null;
}
