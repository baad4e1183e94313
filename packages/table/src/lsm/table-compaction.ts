/**
 * Compaction of a whole table: the universal picker per bucket, the bucket rewrites, the changelog
 * producers, one COMPACT commit. Used by `Table.compact`, writers that compact after their commits,
 * and the compaction service (through the SDK).
 */
import { FileStoreCommit, isCommitOutcomeUnknown, isLostEveryRace } from '../commit/file-store-commit.ts';
import { DELETION_VECTORS_INDEX, HASH_INDEX, type IndexManifestEntry } from '../format/index-manifest.ts';
import { type DataFileMeta, FileKind } from '../format/manifest.ts';
import type { Snapshot } from '../format/snapshot.ts';
import type { CommitMessage } from '../meta/commit-message.ts';
import { indexKey } from '../meta/hash-index.ts';
import type { TableContext } from '../meta/table-context.ts';
import type { CoreOptions } from '../options/core-options.ts';
import { SplitReader } from '../read/split-reader.ts';
import { ScanPlanner } from '../scan/scan-planner.ts';
import { deletionVectorWriteProblem } from '../schema/deletion-vector-support.ts';
import { EddyError } from '../types/errors.ts';
import { newCommitUser } from '../write/table-writer.ts';
import { checkWritable } from '../write/writable.ts';
import { pickAppendCompaction, rewriteAppendFiles } from './append-compaction.ts';
import { compactBucket, deleteFiles } from './bucket-compaction.ts';
import { BucketDeletionVectors } from './bucket-deletion-vectors.ts';
import { produceChangelog } from './changelog-producer.ts';
import { type SortedRun, sortedRuns } from './levels.ts';
import { forcesUpLevel0 } from './lookup-strategy.ts';
import { type CompactUnit, forcePickL0, pickCompaction, type UniversalOptions } from './universal-compaction.ts';

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
  /**
   * Whether the universal picker would compact this bucket now, or (lookup tables, e.g. first-row)
   * it has level-0 files to move up; for an append table, whether Paimon's append picker has small
   * files to rewrite.
   */
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
  const problem = deletionVectorWriteProblem(t.schema);
  if (problem) throw new EddyError('UNSUPPORTED', `table ${t.name}: compaction ${problem}`);
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
  if (!t.schema.isPrimaryKeyTable) return compactAppendTable(t, options);
  const o = t.schema.options;
  const dvTable = t.schema.options.deletionVectorsEnabled;
  const plan = await planner(t).plan({ levels: dvTable ? 'compaction' : 'all' });
  const dvIndex = new Map<string, IndexManifestEntry>();
  if (dvTable && plan.snapshot?.indexManifest) {
    for (const e of await t.manifests.readIndexManifest(plan.snapshot.indexManifest)) {
      if (e.kind === FileKind.ADD && e.indexType === DELETION_VECTORS_INDEX)
        dvIndex.set(indexKey(e.partition, e.bucket), e);
      // Global indexes (Paimon 2.x btree/bitmap/full-text) point at rows of the files compaction
      // replaces; Eddy does not rebuild them.
      else if (e.indexType !== HASH_INDEX)
        throw new EddyError(
          'UNSUPPORTED',
          `table ${t.name}: compaction of a table with '${e.indexType}' index files is not supported (Eddy does not maintain global indexes)`,
        );
    }
  }
  const dvAdded: IndexManifestEntry[] = [];
  const dvExpected = new Map<string, string | null>();
  const bitmap64 = t.schema.rawOptions['deletion-vectors.bitmap64']?.trim().toLowerCase() === 'true';
  for (const split of plan.splits) checkNotNewer(t, split.files);
  // Inputs are read once and replaced: their footers are not kept in the read cache.
  const reader = new SplitReader(t.io, t.paths, t.schema, t.schemas, { cacheFooters: false });
  // Lookup tables (first-row, lookup changelog) never leave level 0 behind: their readers skip it.
  const forceL0 = forcesUpLevel0(t.schema);
  const messages: CommitMessage[] = [];
  const done: { dir: string; written: readonly DataFileMeta[] }[] = [];
  const indexWritten: string[] = [];
  const totals = { buckets: 0, filesIn: 0, filesOut: 0, rowsIn: 0, rowsOut: 0, bytesIn: 0, bytesOut: 0 };
  type Compacted = { message: CommitMessage; c: Awaited<ReturnType<typeof compactBucket>> } | undefined;
  const compactSplit = async (split: (typeof plan.splits)[number]): Promise<Compacted> => {
    signal?.throwIfAborted();
    const runs = sortedRuns(split.files);
    const full = options.full === true;
    const key = indexKey(split.partitionBytes, split.bucket);
    const vectors = dvTable ? await BucketDeletionVectors.load(t.io, t.paths, dvIndex.get(key)) : undefined;
    vectors?.retainOnly(new Set(split.files.map((f) => f.fileName)));
    const unit =
      pickCompaction(runs, universalOptions(o), full) ??
      (forceL0 && !full ? forcePickL0(runs, universalOptions(o)) : undefined) ??
      (vectors && full ? topLevelWithVectors(runs, o.numLevels - 1, vectors) : undefined);
    if (!unit) return undefined;
    const highest = runs[runs.length - 1].level;
    // Deletion vectors mark the older rows of every key moving up, so a retraction has nothing
    // left to retract above level 0 (Java's MergeTreeCompactManager: dropDelete with a DV maintainer).
    const dropRetracts = unit.outputLevel !== 0 && (unit.outputLevel >= highest || vectors !== undefined);
    const changelog = await produceChangelog(t.io, t.schema, reader, split, unit, o.numLevels - 1);
    if (changelog) done.push({ dir: reader.bucketPath(split), written: [changelog] });
    const rewrite = vectors !== undefined && full && unit.outputLevel === o.numLevels - 1;
    const c = await compactBucket(
      t.io,
      t.schema,
      reader,
      split,
      unit,
      dropRetracts,
      signal,
      vectors && { vectors, rewrite },
    );
    done.push({ dir: reader.bucketPath(split), written: c.written });
    // Every file of the unit already at the output level and left as it is: nothing to commit.
    if (c.before.length === 0 && c.after.length === 0 && !changelog) return undefined;
    if (vectors) {
      const entry = await vectors.write(t.io, t.paths, split.partitionBytes, split.bucket, bitmap64);
      if (entry) {
        dvAdded.push(entry);
        dvExpected.set(key, vectors.previous?.fileName ?? null);
        indexWritten.push(t.paths.indexFile(entry.fileName, null));
      }
    }
    const message: CommitMessage = {
      partition: split.partition,
      partitionBytes: split.partitionBytes,
      bucket: split.bucket,
      totalBuckets: split.totalBuckets,
      newFiles: c.after,
      deletedFiles: c.before,
      changelogFiles: changelog ? [changelog] : [],
    };
    return { message, c };
  };
  try {
    // Two buckets at a time while their inputs are small: one bucket's output encodes in a worker
    // while the next one's inputs decode and merge (a bucket alone leaves a core idle in each
    // phase). Results keep split order.
    const results = await inOrder(
      plan.splits,
      BUCKETS_IN_FLIGHT,
      (split) => split.files.reduce((n, f) => n + f.fileSize, 0),
      IN_FLIGHT_INPUT_BYTES,
      compactSplit,
    );
    for (const r of results) {
      if (!r) continue;
      const { message, c } = r;
      messages.push(message);
      totals.buckets++;
      totals.filesIn += c.before.length;
      totals.filesOut += c.after.length;
      totals.rowsIn += c.rowsIn;
      totals.rowsOut += c.rowsOut;
      totals.bytesIn += c.bytesIn;
      totals.bytesOut += c.bytesOut;
    }
    const deletionVectors = dvAdded.length > 0 ? { added: dvAdded, expected: dvExpected } : undefined;
    return { snapshot: await commitCompaction(t, plan.snapshot, messages, options, deletionVectors), ...totals };
  } catch (e) {
    // Nothing of a failed compaction may stay behind: its new files are unreferenced — unless the
    // COMPACT snapshot may have landed (a lost acknowledgement): then they may be live, and only
    // orphan cleanup, which sees the snapshots, may remove them.
    if (!isCommitOutcomeUnknown(e)) {
      for (const d of done) await deleteFiles(t.io, d.dir, d.written);
      for (const p of indexWritten) await t.io.delete(p);
    }
    throw e;
  }
}

/**
 * Compacts an append table: per bucket (per partition when `bucket` = -1) the groups of small
 * files Paimon would pick, each rewritten into files of about `target-file-size`, in one COMPACT
 * commit (see append-compaction.ts).
 */
async function compactAppendTable(t: TableContext, options: CompactOptions): Promise<CompactResult> {
  const signal = options.signal;
  const plan = await planner(t).plan({ levels: 'all' });
  for (const split of plan.splits) checkNotNewer(t, split.files);
  const reader = new SplitReader(t.io, t.paths, t.schema, t.schemas, { cacheFooters: false });
  const written: string[] = [];
  const messages: CommitMessage[] = [];
  const totals = { buckets: 0, filesIn: 0, filesOut: 0, rowsIn: 0, rowsOut: 0, bytesIn: 0, bytesOut: 0 };
  try {
    for (const split of plan.splits) {
      const groups = pickAppendCompaction(split, t.schema.options, options.full === true);
      if (groups.length === 0) continue;
      const before: DataFileMeta[] = [];
      const after: DataFileMeta[] = [];
      for (const files of groups) {
        const r = await rewriteAppendFiles(t.io, t.schema, reader, split, files, written, signal);
        before.push(...files);
        after.push(...r.after);
        totals.rowsIn += r.rowsIn;
        totals.rowsOut += r.after.reduce((n, f) => n + f.rowCount, 0);
        totals.bytesIn += r.bytesIn;
        totals.bytesOut += r.bytesOut;
      }
      totals.buckets++;
      totals.filesIn += before.length;
      totals.filesOut += after.length;
      messages.push({
        partition: split.partition,
        partitionBytes: split.partitionBytes,
        bucket: split.bucket,
        totalBuckets: split.totalBuckets,
        newFiles: after,
        deletedFiles: before,
        changelogFiles: [],
      });
    }
    return { snapshot: await commitCompaction(t, plan.snapshot, messages, options), ...totals };
  } catch (e) {
    // As compactTable: unreferenced unless the commit may have landed.
    if (!isCommitOutcomeUnknown(e)) for (const p of written) await t.io.delete(p);
    throw e;
  }
}

/** One COMPACT snapshot of `messages`, or undefined when there is nothing to commit. */
async function commitCompaction(
  t: TableContext,
  plannedAt: Snapshot | undefined,
  messages: readonly CommitMessage[],
  options: CompactOptions,
  deletionVectors?: { added: IndexManifestEntry[]; expected: Map<string, string | null> },
): Promise<Snapshot | undefined> {
  if (messages.length === 0) return undefined;
  const commitUser = options.commitUser ?? newCommitUser();
  // Losing every race of one commit (writers committing faster than an attempt) is no conflict: the
  // output stays good while its inputs are live, so it is committed again rather than thrown away
  // and redone bigger (Paimon's compaction job re-commits its committables after a failover).
  for (let round = 1; ; round++) {
    options.signal?.throwIfAborted();
    try {
      const r = await new FileStoreCommit(t.schema, t.snapshots, t.manifests, t.schemas).commit(messages, {
        commitUser,
        commitIdentifier: options.commitIdentifier,
        kind: 'COMPACT',
        skipCommittedCheck: true,
        deletionVectors,
        plannedAt: plannedAt?.id,
      });
      return r.snapshot;
    } catch (e) {
      if (!isLostEveryRace(e) || round >= COMMIT_ROUNDS) throw e;
    }
  }
}

/** Commits of one compaction's output (each up to `commit.max-retries` attempts) before it gives up. */
const COMMIT_ROUNDS = 3;

/** Rewriting a file of a newer schema in this one would drop what that schema added. */
function checkNotNewer(t: TableContext, files: readonly DataFileMeta[]): void {
  const newer = files.find((f) => f.schemaId > t.schema.id);
  if (newer) {
    throw new EddyError(
      'SCHEMA_CHANGED',
      `compaction of ${t.name}: file ${newer.fileName} is in schema ${newer.schemaId}, newer than this table's ${t.schema.id}: reload the table`,
    );
  }
}

/** Buckets compacted at once (each holds its inputs' decoded files and one output slice queue). */
const BUCKETS_IN_FLIGHT = 2;

/**
 * Compressed input bytes of the buckets in flight above which no further bucket starts (a bucket
 * alone always runs): decoded, a compressed byte takes about 15–20 bytes of memory, so a second
 * bucket joins only while both stay well inside the 512 MB a compaction may use.
 */
const IN_FLIGHT_INPUT_BYTES = 24 * 2 ** 20;

/**
 * `fn` of every item in order, at most `limit` at once and, beyond the first, only while the
 * running items' `weight` stays within `budget`; results in item order. On a failure no new item
 * starts, the running ones are awaited (so their files are known for cleanup), then it rethrows.
 */
async function inOrder<T, R>(
  items: readonly T[],
  limit: number,
  weight: (item: T) => number,
  budget: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  let running = 0;
  let load = 0;
  let failure: { e: unknown } | undefined;
  return new Promise((resolve, reject) => {
    const pump = () => {
      if (failure !== undefined || next >= items.length) {
        if (running === 0) {
          if (failure) reject(failure.e);
          else resolve(results);
        }
        return;
      }
      while (failure === undefined && next < items.length && running < limit) {
        const w = weight(items[next]);
        if (running > 0 && load + w > budget) break;
        const i = next++;
        running++;
        load += w;
        fn(items[i])
          .then(
            (r) => {
              results[i] = r;
            },
            (e) => {
              failure ??= { e };
            },
          )
          .finally(() => {
            running--;
            load -= w;
            pump();
          });
      }
      if (running === 0 && (failure !== undefined || next >= items.length)) pump();
    };
    pump();
  });
}

/**
 * A full compaction of a bucket that is one top-level run already: its files with deletion vectors
 * are rewritten without the deleted rows (Java's CompactStrategy.pickFullCompaction).
 */
function topLevelWithVectors(
  runs: readonly SortedRun[],
  maxLevel: number,
  vectors: BucketDeletionVectors,
): CompactUnit | undefined {
  if (runs.length !== 1 || runs[0].level !== maxLevel) return undefined;
  const files = runs[0].files.filter((f) => vectors.has(f.fileName));
  if (files.length === 0) return undefined;
  return {
    outputLevel: maxLevel,
    runs: [{ level: maxLevel, files, size: files.reduce((s, f) => s + f.fileSize, 0) }],
    files,
  };
}

/** Sorted runs and sizes per bucket at the latest snapshot. */
export async function bucketHealth(t: TableContext): Promise<BucketHealth[]> {
  const plan = await planner(t).plan({ levels: t.schema.options.deletionVectorsEnabled ? 'compaction' : 'all' });
  const compactable = deletionVectorWriteProblem(t.schema) === undefined;
  const append = !t.schema.isPrimaryKeyTable;
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
        (append
          ? pickAppendCompaction(s, t.schema.options, false).length > 0
          : pickCompaction(runs, universalOptions(t.schema.options)) !== undefined ||
            (forceL0 && runs.some((r) => r.level === 0))),
    };
  });
}
