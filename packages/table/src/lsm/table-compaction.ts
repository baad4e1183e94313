/**
 * Compaction of a whole table: the universal picker per bucket, the bucket rewrites, the changelog
 * producers, one COMPACT commit. Used by `Table.compact`, writers that compact after their commits,
 * and the compaction service (through the SDK).
 */
import { FileStoreCommit, isCommitOutcomeUnknown } from '../commit/file-store-commit.ts';
import type { DataFileMeta } from '../format/manifest.ts';
import type { Snapshot } from '../format/snapshot.ts';
import type { CommitMessage } from '../meta/commit-message.ts';
import type { TableContext } from '../meta/table-context.ts';
import type { CoreOptions } from '../options/core-options.ts';
import { SplitReader } from '../read/split-reader.ts';
import { ScanPlanner } from '../scan/scan-planner.ts';
import { EddyError } from '../types/errors.ts';
import { newCommitUser } from '../write/table-writer.ts';
import { checkWritable } from '../write/writable.ts';
import { compactBucket, deleteFiles } from './bucket-compaction.ts';
import { produceChangelog } from './changelog-producer.ts';
import { sortedRuns } from './levels.ts';
import { forcesUpLevel0 } from './lookup-strategy.ts';
import { forcePickL0, pickCompaction, type UniversalOptions } from './universal-compaction.ts';

export interface CompactOptions {
  /** Rewrite every bucket into the last level (Paimon's full compaction). */
  readonly full?: boolean;
  readonly commitUser?: string;
  /** The identifier of the commit this compaction follows (a writer's checkpoint). */
  readonly commitIdentifier?: bigint;
  /**
   * Stops the compaction between buckets and between merged batches (a daemon's shutdown or time
   * budget): it then rejects with the signal's reason, its files deleted and nothing committed. An
   * abort that comes once the commit has started does not interrupt the commit.
   */
  readonly signal?: AbortSignal;
}

export interface CompactResult {
  /** The COMPACT snapshot, or undefined when no bucket needed compaction. */
  readonly snapshot: Snapshot | undefined;
  readonly buckets: number;
  readonly filesIn: number;
  readonly filesOut: number;
  readonly rowsIn: number;
  readonly rowsOut: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
}

/** Compaction health of one bucket (what a compactor prioritises). */
export interface BucketHealth {
  readonly partition: string;
  readonly bucket: number;
  readonly sortedRuns: number;
  readonly l0Files: number;
  readonly files: number;
  readonly sizeBytes: number;
  /** Whether the universal picker would compact this bucket now, or (lookup tables, e.g. first-row) it has level-0 files to move up. */
  readonly needsCompaction: boolean;
}

const universalOptions = (o: CoreOptions): UniversalOptions => ({
  trigger: o.numSortedRunCompactionTrigger,
  maxSizeAmplificationPercent: o.maxSizeAmplificationPercent,
  sizeRatio: o.compactionSizeRatio,
  numLevels: o.numLevels,
});

const planner = (t: TableContext) => new ScanPlanner(t.schema, t.schemas, t.snapshots, t.manifests);

function checkCompactable(t: TableContext): void {
  checkWritable(t);
  if (!t.schema.isPrimaryKeyTable) {
    throw new EddyError('UNSUPPORTED', `table ${t.name}: compaction of append tables is not supported yet`);
  }
  if (t.schema.options.deletionVectorsEnabled) {
    throw new EddyError('UNSUPPORTED', `table ${t.name}: compaction with deletion vectors is not supported yet`);
  }
}

/**
 * Compacts the buckets whose sorted runs call for it (or all of them into the last level with
 * `full`) and commits one COMPACT snapshot. A conflicting concurrent commit discards this
 * compaction (COMMIT_CONFLICT, its files deleted).
 */
export async function compactTable(t: TableContext, options: CompactOptions = {}): Promise<CompactResult> {
  const signal = options.signal;
  signal?.throwIfAborted();
  checkCompactable(t);
  const o = t.schema.options;
  const plan = await planner(t).plan({ levels: 'all' });
  // Rewriting a file of a newer schema in this one would drop what that schema added.
  for (const split of plan.splits) {
    const newer = split.files.find((f) => f.schemaId > t.schema.id);
    if (newer) {
      throw new EddyError(
        'SCHEMA_CHANGED',
        `compaction of ${t.name}: file ${newer.fileName} is in schema ${newer.schemaId}, newer than this table's ${t.schema.id}: reload the table`,
      );
    }
  }
  const reader = new SplitReader(t.io, t.paths, t.schema, t.schemas);
  // Lookup tables (first-row, lookup changelog) never leave level 0 behind: their readers skip it.
  const forceL0 = forcesUpLevel0(t.schema);
  const messages: CommitMessage[] = [];
  const done: { dir: string; written: readonly DataFileMeta[] }[] = [];
  const totals = { buckets: 0, filesIn: 0, filesOut: 0, rowsIn: 0, rowsOut: 0, bytesIn: 0, bytesOut: 0 };
  try {
    for (const split of plan.splits) {
      signal?.throwIfAborted();
      const runs = sortedRuns(split.files);
      const full = options.full === true;
      const unit =
        pickCompaction(runs, universalOptions(o), full) ??
        (forceL0 && !full ? forcePickL0(runs, universalOptions(o)) : undefined);
      if (!unit) continue;
      const highest = runs[runs.length - 1].level;
      const dropRetracts = unit.outputLevel !== 0 && unit.outputLevel >= highest;
      const changelog = await produceChangelog(t.io, t.schema, reader, split, unit, o.numLevels - 1);
      if (changelog) done.push({ dir: reader.bucketPath(split), written: [changelog] });
      const c = await compactBucket(t.io, t.schema, reader, split, unit, dropRetracts, signal);
      done.push({ dir: reader.bucketPath(split), written: c.written });
      messages.push({
        partition: split.partition,
        partitionBytes: split.partitionBytes,
        bucket: split.bucket,
        totalBuckets: split.totalBuckets,
        newFiles: c.after,
        deletedFiles: c.before,
        changelogFiles: changelog ? [changelog] : [],
      });
      totals.buckets++;
      totals.filesIn += c.before.length;
      totals.filesOut += c.after.length;
      totals.rowsIn += c.rowsIn;
      totals.rowsOut += c.rowsOut;
      totals.bytesIn += c.bytesIn;
      totals.bytesOut += c.bytesOut;
    }
    if (messages.length === 0) return { snapshot: undefined, ...totals };
    signal?.throwIfAborted();
    const r = await new FileStoreCommit(t.schema, t.snapshots, t.manifests, t.schemas).commit(messages, {
      commitUser: options.commitUser ?? newCommitUser(),
      commitIdentifier: options.commitIdentifier,
      kind: 'COMPACT',
      skipCommittedCheck: true,
    });
    return { snapshot: r.snapshot, ...totals };
  } catch (e) {
    // Nothing of a failed compaction may stay behind: its new files are unreferenced — unless the
    // COMPACT snapshot may have landed (a lost acknowledgement): then they may be live, and only
    // orphan cleanup, which sees the snapshots, may remove them.
    if (!isCommitOutcomeUnknown(e)) for (const d of done) await deleteFiles(t.io, d.dir, d.written);
    throw e;
  }
}

/** Sorted runs and sizes per bucket at the latest snapshot. */
export async function bucketHealth(t: TableContext): Promise<BucketHealth[]> {
  const plan = await planner(t).plan({ levels: 'all' });
  const compactable = t.schema.isPrimaryKeyTable && !t.schema.options.deletionVectorsEnabled;
  // Level 0 of a lookup table always calls for compaction: its readers skip it (see compactTable).
  const forceL0 = forcesUpLevel0(t.schema);
  return plan.splits.map((s) => {
    const runs = sortedRuns(s.files);
    const dir = t.paths.bucketDirOf(s.partition, s.bucket);
    return {
      partition: dir.slice(t.path.length + 1, dir.length - `/bucket-${s.bucket}`.length),
      bucket: s.bucket,
      sortedRuns: runs.length,
      l0Files: s.files.filter((f) => f.level === 0).length,
      files: s.files.length,
      sizeBytes: s.files.reduce((a, f) => a + f.fileSize, 0),
      needsCompaction:
        compactable &&
        (pickCompaction(runs, universalOptions(t.schema.options)) !== undefined ||
          (forceL0 && runs.some((r) => r.level === 0))),
    };
  });
}
