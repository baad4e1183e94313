/**
 * TableWrite: a pipeline's writer with a stable commitUser (exactly-once by checkpoint id), and the
 * overwrite scopes of INSERT OVERWRITE. Java: org.apache.paimon.table.sink.TableWriteImpl and
 * TableCommitImpl, as one object.
 */
import type * as arrow from 'apache-arrow';
import { Table as ArrowTable, RecordBatch } from 'apache-arrow';
import { coalescable, commitCoalesced } from '../commit/commit-coalescer.ts';
import { type CoalescedTiming, commitTraceChannel, tracing } from '../commit/commit-trace.ts';
import {
  type CommitOptions,
  type CommitResult,
  FileStoreCommit,
  isCommitOutcomeUnknown,
  SequenceConflictError,
} from '../commit/file-store-commit.ts';
import { toInternalValue } from '../data/columns.ts';
import { serializeBinaryRow } from '../format/binary-row.ts';
import type { DataFileMeta } from '../format/manifest.ts';
import type { Snapshot } from '../format/snapshot.ts';
import { deleteFiles } from '../lsm/bucket-compaction.ts';
import { compactTable } from '../lsm/table-compaction.ts';
import { ExpireAfterCommit } from '../maintenance/expire-after-commit.ts';
import type { CommitMessage } from '../meta/commit-message.ts';
import { CommitUserManager } from '../meta/commit-user-manager.ts';
import { addedSince, bucketKeyOf, maxSequences } from '../meta/committed-sequences.ts';
import type { TableContext } from '../meta/table-context.ts';
import type { DataType } from '../types/data-types.ts';
import { EddyError } from '../types/errors.ts';
import type { RowKindName } from '../types/internal.ts';
import { DynamicBucketAssigner } from './dynamic-bucket.ts';
import { rebaseKeyValueFile } from './key-value-file.ts';
import type { MemoryBudget } from './memory-budget.ts';
import { type Row, type SequenceSource, TableWriter, type TableWriterOptions } from './table-writer.ts';
import { checkWritable } from './writable.ts';

export interface WriterOptions {
  /** Stable identity of a writer across restarts (exactly-once); random by default. */
  readonly commitUser?: string;
  readonly memoryBudget?: MemoryBudget;
  /**
   * Make this a batch overwrite writer (Paimon's `withOverwrite`): its one commit is an OVERWRITE
   * (see Table.overwrite). `{}` replaces the partitions the rows go to; `{ partition }` a static one.
   */
  readonly overwrite?: OverwriteOptions;
}

export interface OverwriteOptions {
  /** A static partition, e.g. `{ dt: '2024-06-01' }` (some or all partition keys). */
  readonly partition?: Readonly<Record<string, unknown>>;
}

/** Given the commit messages of an overwrite, which partitions it replaces (throws to refuse it). */
export type OverwriteScope = (messages: readonly CommitMessage[]) => NonNullable<CommitOptions['overwrite']>;

const describePartition = (spec: Readonly<Record<string, unknown>>) =>
  Object.entries(spec)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(', ');

/** Which partitions an overwrite replaces; a static partition is checked now, before any row is written. */
export function overwriteScope(t: TableContext, options: OverwriteOptions): OverwriteScope {
  const static_ = options.partition ? staticPartition(t, options.partition) : undefined;
  return (messages) => {
    if (static_) {
      const outside = messages.find((m) => !static_(m.partitionBytes));
      if (outside) {
        const where = t.schema.partitionKeys.map((k, i) => `${k}=${String(outside.partition[i])}`).join(', ');
        throw new EddyError(
          'INVALID_ARGUMENT',
          `overwrite of ${t.name}: rows in partition ${where} lie outside the partition being overwritten (${describePartition(options.partition!)})`,
        );
      }
      return { replaces: static_ };
    }
    if (t.schema.partitionKeys.length === 0 || !t.schema.options.dynamicPartitionOverwrite)
      return { replaces: () => true };
    const written = new Set(messages.map((m) => Buffer.from(m.partitionBytes).toString('base64')));
    return { replaces: (p) => written.has(Buffer.from(p).toString('base64')) };
  };
}

/** A predicate on serialized partitions: those whose values equal `spec`'s on the keys it names. */
function staticPartition(t: TableContext, spec: Readonly<Record<string, unknown>>): (partition: Uint8Array) => boolean {
  const keys = t.schema.partitionKeys;
  const checks: { index: number; type: DataType; bytes: Buffer }[] = [];
  for (const [name, value] of Object.entries(spec)) {
    const index = keys.indexOf(name);
    if (index < 0) {
      throw new EddyError(
        'INVALID_ARGUMENT',
        `overwrite of ${t.name}: '${name}' is not a partition key (partition keys: ${keys.join(', ') || 'none'})`,
      );
    }
    const type = t.schema.field(name).type;
    if (value === null || value === undefined)
      throw new EddyError('INVALID_ARGUMENT', `overwrite of ${t.name}: partition value of '${name}' is ${value}`);
    const internal = toInternalValue(type, value, `overwrite partition '${name}'`);
    checks.push({ index, type, bytes: Buffer.from(serializeBinaryRow([type], [internal])) });
  }
  return (partition) => {
    const values = t.paths.partitionValues(partition);
    return checks.every((c) => Buffer.from(serializeBinaryRow([c.type], [values[c.index]])).equals(c.bytes));
  };
}

/** Max committed sequence numbers per (partition, bucket): at the latest snapshot, or added since one. */
function sequenceSource(t: TableContext): SequenceSource {
  return {
    async restore() {
      const latest = await t.snapshots.latestSnapshot();
      if (!latest) return { snapshotId: undefined, max: new Map() };
      return { snapshotId: latest.id, max: maxSequences(await t.manifests.liveEntries(latest)) };
    },
    async since(from) {
      const follow = async (latest: Snapshot | undefined) => {
        if (!latest || latest.id <= from) return undefined;
        const added = await addedSince(t.snapshots, t.manifests, from, latest);
        return { through: added.through, max: maxSequences(added.entries) };
      };
      // Following only raises sequence numbers (the commit's guard checks against the latest), so
      // the cheap look-up serves; if what it found is gone (a rollback), the hint decides.
      try {
        return await follow(await t.snapshots.latestSnapshotToFollow());
      } catch (e) {
        if (!(e instanceof EddyError && e.code === 'NOT_FOUND')) throw e;
        return await follow(await t.snapshots.latestSnapshot());
      }
    },
  };
}

/**
 * The highest commit identifier (checkpoint id) `commitUser` committed to the table, or undefined
 * if it never committed: from its newest retained snapshot, or — after expiry removed them all —
 * from its commit-user record, kept for `eddy.commit-user.time-retained` after its last commit.
 * Long.MAX_VALUE when its last commit was a batch commit.
 */
export async function lastCommittedIdentifier(t: TableContext, commitUser: string): Promise<bigint | undefined> {
  const commit = new FileStoreCommit(
    t.schema,
    t.snapshots,
    t.manifests,
    undefined,
    new CommitUserManager(t.io, t.path),
  );
  return (await commit.lastCommitted(commitUser))?.identifier;
}

/** The bucketed writer behind a TableWrite (also used by tests that drive flushes directly). */
export function newTableWriter(t: TableContext, options: TableWriterOptions = {}): TableWriter {
  checkWritable(t);
  const o = t.schema.options;
  const dynamic =
    t.schema.isPrimaryKeyTable && o.bucket === -1
      ? new DynamicBucketAssigner(
          t.io,
          t.path,
          t.manifests,
          () => t.snapshots.latestSnapshot(),
          Number(t.schema.rawOptions['dynamic-bucket.target-row-num'] ?? '2000000'),
          Number(t.schema.rawOptions['dynamic-bucket.max-buckets'] ?? '-1'),
          t.name,
        )
      : undefined;
  return new TableWriter(t.io, t.path, t.schema, sequenceSource(t), { ...options, dynamicBucket: dynamic });
}

/**
 * A writer with a stable commitUser. Each `commit(id)` publishes what was written since the last
 * one; committing an id that this commitUser already committed is a no-op (exactly-once).
 */
export class TableWrite<R extends object = Record<string, unknown>> implements AsyncDisposable {
  private readonly writer: TableWriter;
  private closed = false;
  private commitsSinceFull = 0;

  private committed = false;
  /** Rows were written since the last commit. */
  private dirty = false;
  private readonly expiry: ExpireAfterCommit;

  /** @internal Use `table.newWriter()`. */
  constructor(
    private readonly table: TableContext,
    readonly commitUser: string,
    options: TableWriterOptions,
    private readonly overwrite?: OverwriteScope,
  ) {
    this.writer = newTableWriter(table, options);
    this.expiry = new ExpireAfterCommit(table);
  }

  /**
   * The last checkpoint this writer's commitUser committed (see lastCommittedIdentifier): where a
   * restarted pipeline resumes — replay from the checkpoint after it.
   */
  async lastCommittedIdentifier(): Promise<bigint | undefined> {
    return lastCommittedIdentifier(this.table, this.commitUser);
  }

  /** Buffers rows of one kind: plain objects, or an Arrow RecordBatch / Table (columnar, faster). */
  async write(rows: R | Iterable<R> | arrow.RecordBatch | arrow.Table, kind: RowKindName = '+I'): Promise<void> {
    if (this.closed) throw new EddyError('INVALID_ARGUMENT', 'this writer is closed');
    this.dirty = true;
    if (rows instanceof RecordBatch || rows instanceof ArrowTable) await this.writer.writeArrow(rows, kind);
    else await this.writer.write(rows, kind);
  }

  async delete(keys: Partial<R> | Iterable<Partial<R>>): Promise<void> {
    await this.write(keys as R | Iterable<R>, '-D');
  }

  /** Writes every buffer out as level-0 files now (they become visible at the next commit). */
  async flush(): Promise<void> {
    await this.writer.flushAll();
  }

  /**
   * Flushes and commits. Without an id this is a batch commit (Long.MAX_VALUE, like Paimon).
   *
   * Last commit wins: before flushing, the writer raises its sequence numbers above what commits
   * since it last looked wrote; if another commit lands rows of the same keys between this flush
   * and the snapshot, the files are re-based above them (rewritten, see rebaseKeyValueFile) and the
   * commit is tried again, so for every key this commit's rows rank above every earlier commit's.
   */
  async commit(commitIdentifier?: number | bigint): Promise<CommitResult> {
    if (this.closed) throw new EddyError('INVALID_ARGUMENT', 'this writer is closed');
    const t = this.table;
    const overwrite = this.overwrite;
    if (overwrite && this.committed)
      throw new EddyError('INVALID_ARGUMENT', `an overwrite writer of ${t.name} commits once`);
    // An async expiry that failed since the last commit: reported before anything else is published.
    this.expiry.throwPending();
    this.committed = true;
    const id = commitIdentifier === undefined ? undefined : BigInt(commitIdentifier);
    const pk = t.schema.isPrimaryKeyTable;
    // Files flushed before this call were numbered above `sequencedAfter` as it is now; files
    // flushed below, above it after followCommits.
    const flushedBefore = this.writer.hasFlushedFiles ? this.writer.sequencedAfter : undefined;
    const traced = tracing();
    const t0 = traced ? performance.now() : 0;
    if (pk) await this.writer.followCommits();
    const t1 = traced ? performance.now() : 0;
    let messages = await this.writer.prepareCommit();
    const t2 = traced ? performance.now() : 0;
    const timing: CoalescedTiming | undefined = traced ? { queuedMs: 0, publishMs: 0, groupSize: 1 } : undefined;
    const hashIndex = messages.length > 0 ? await this.writer.prepareIndexCommit() : undefined;
    // (An overwrite replaces every file in the partitions it writes to: nothing there can outrank it.)
    let sequencedAfter = pk && !overwrite ? (flushedBefore ?? this.writer.sequencedAfter) : undefined;
    let result: CommitResult;
    for (let rebases = 0; ; rebases++) {
      try {
        const commit = new FileStoreCommit(
          t.schema,
          t.snapshots,
          t.manifests,
          t.schemas,
          new CommitUserManager(t.io, t.path),
        );
        const options: CommitOptions = {
          commitUser: this.commitUser,
          commitIdentifier: id,
          overwrite: overwrite?.(messages),
          sequencedAfter,
          hashIndex,
        };
        // `eddy.commit.coalesce-ms`: one snapshot for the streaming commits of this process's writers.
        result =
          t.schema.options.commitCoalesceMs > 0 && coalescable(options)
            ? await commitCoalesced(t.io, t.path, commit, t.schema, messages, options, timing)
            : await commit.commit(messages, options);
        if (hashIndex && result.published) this.writer.indexCommitted(hashIndex);
        result = { ...result, rebases };
        break;
      } catch (e) {
        let error = e;
        if (e instanceof SequenceConflictError && rebases < t.schema.options.commitMaxRetries) {
          try {
            messages = await this.rebase(messages, e.floors);
            sequencedAfter = e.through;
            continue;
          } catch (rebaseError) {
            error = rebaseError;
          }
        }
        if (!isCommitOutcomeUnknown(error)) {
          // Refused before anything was published: the files just written are nobody's. The commit's
          // error is the one to report; files a failing delete leaves are orphans, which
          // removeOrphanFiles takes.
          for (const m of messages) {
            const dir = t.paths.bucketDirOf(m.partition, m.bucket);
            await deleteFiles(t.io, dir, [...m.newFiles, ...(m.changelogFiles ?? [])]).catch(() => undefined);
          }
          if (hashIndex) await this.writer.discardIndex(hashIndex);
        }
        throw error;
      }
    }
    this.dirty = false;
    if (timing) {
      const coalescedTiming = timing.publishMs > 0;
      commitTraceChannel.publish({
        commitUser: this.commitUser,
        followMs: t1 - t0,
        prepareMs: t2 - t1,
        queuedMs: timing.queuedMs,
        publishMs: coalescedTiming ? timing.publishMs : performance.now() - t2,
        groupSize: timing.groupSize,
      });
    }
    if (result.published) await this.compactIfNeeded(id);
    // Paimon's commit maintenance: expire snapshots once the commit (and its compaction) landed.
    if (result.published && result.snapshot) await this.expiry.afterCommit(result.snapshot);
    return result;
  }

  /**
   * Rewrites the files of the buckets in `floors` with their sequence numbers raised so the lowest
   * is the bucket's floor (their order among themselves kept), deletes the old ones, and makes the
   * writer continue above them. A failure leaves the old files (the caller deletes them) and no new.
   */
  private async rebase(
    messages: readonly CommitMessage[],
    floors: ReadonlyMap<string, bigint>,
  ): Promise<CommitMessage[]> {
    const t = this.table;
    const out: CommitMessage[] = [];
    const written: { dir: string; files: DataFileMeta[] }[] = [];
    const replaced: { dir: string; files: DataFileMeta[] }[] = [];
    try {
      for (const m of messages) {
        const floor = floors.get(bucketKeyOf(m.partitionBytes, m.bucket));
        const files = [...m.newFiles, ...(m.changelogFiles ?? [])];
        if (floor === undefined || files.length === 0) {
          out.push(m);
          continue;
        }
        let min = files[0].minSequenceNumber;
        for (const f of files) if (f.minSequenceNumber < min) min = f.minSequenceNumber;
        const shift = floor - min;
        if (shift <= 0n) {
          out.push(m);
          continue;
        }
        const dir = t.paths.bucketDirOf(m.partition, m.bucket);
        const mine = { dir, files: [] as DataFileMeta[] };
        written.push(mine);
        const rebase = async (f: DataFileMeta, prefix: 'data' | 'changelog') => {
          const r = await rebaseKeyValueFile(t.io, dir, t.schema, f, shift, prefix);
          mine.files.push(r);
          return r;
        };
        const newFiles: DataFileMeta[] = [];
        for (const f of m.newFiles) newFiles.push(await rebase(f, 'data'));
        const changelogFiles: DataFileMeta[] = [];
        for (const f of m.changelogFiles ?? []) changelogFiles.push(await rebase(f, 'changelog'));
        replaced.push({ dir, files });
        let max = floor;
        for (const f of [...newFiles, ...changelogFiles]) if (f.maxSequenceNumber > max) max = f.maxSequenceNumber;
        await this.writer.raiseFloor(m.partitionBytes, m.bucket, max + 1n);
        out.push({ ...m, newFiles, changelogFiles });
      }
    } catch (e) {
      for (const w of written) await deleteFiles(t.io, w.dir, w.files).catch(() => undefined);
      throw e;
    }
    for (const r of replaced) await deleteFiles(t.io, r.dir, r.files).catch(() => undefined);
    return out;
  }

  /**
   * Unless `write-only`, a writer of a primary-key table compacts after its commits when the
   * universal picker asks for it (Paimon's writer does the same). A compaction that loses to a
   * concurrent commit is discarded and retried at a later commit; it never fails the write.
   * Append tables are left to `Table.compact` and the compactor: Paimon's writers compact them in
   * the background, but here the compaction would sit in the commit's latency (8 contending S3
   * writers: commit p50 105 → 1,032 ms).
   */
  private async compactIfNeeded(commitIdentifier: bigint | undefined): Promise<void> {
    const t = this.table;
    const o = t.schema.options;
    if (o.writeOnly || !t.schema.isPrimaryKeyTable) return;
    // `full-compaction` produces changelog only at full compactions: every
    // `full-compaction.delta-commits` commits (default 1 for that producer).
    let full = false;
    if (o.changelogProducer === 'full-compaction') {
      const every = Number(t.schema.rawOptions['full-compaction.delta-commits'] ?? '1');
      full = ++this.commitsSinceFull >= every;
      if (full) this.commitsSinceFull = 0;
    }
    try {
      await compactTable(t, { commitUser: this.commitUser, commitIdentifier, full });
    } catch (e) {
      // A schema change since this writer started: compaction is left to a writer on the new schema.
      if (!(e instanceof EddyError && (e.code === 'COMMIT_CONFLICT' || e.code === 'SCHEMA_CHANGED'))) throw e;
    }
  }

  /** Whether rows were written since the last commit (close() would drop them). */
  get hasUncommittedRows(): boolean {
    return this.dirty;
  }

  /** Closes the writer and drops whatever was written since the last commit (an explicit abort). */
  close(): void {
    this.closed = true;
    this.writer.close();
  }

  /**
   * `await using writer = table.newWriter()`: closes the writer; rows written since the last commit
   * are dropped and that is an error (UNCOMMITTED) rather than silent loss — commit first, or call
   * `close()` to abort on purpose.
   */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.closed) return;
    const dropped = this.dirty;
    this.close();
    if (dropped)
      throw new EddyError(
        'UNCOMMITTED',
        `a writer of ${this.table.name} was disposed with rows written since its last commit: they were dropped (commit before the writer goes out of scope, or close() it to abort)`,
      );
  }
}

/** Writes rows of one kind through a fresh writer in one commit (Table.upsert/delete/overwrite). */
export async function writeOnce(
  w: TableWrite<object>,
  rows: Row | Iterable<Row> | AsyncIterable<Row> | arrow.RecordBatch | arrow.Table,
  kind: RowKindName,
): Promise<CommitResult> {
  try {
    if (rows instanceof RecordBatch || rows instanceof ArrowTable) await w.write(rows, kind);
    else if (rows !== null && typeof rows === 'object' && Symbol.asyncIterator in rows) {
      let chunk: Row[] = [];
      for await (const r of rows as AsyncIterable<Row>) {
        chunk.push(r);
        if (chunk.length >= 4096) {
          await w.write(chunk, kind);
          chunk = [];
        }
      }
      await w.write(chunk, kind);
    } else await w.write(rows as Row | Iterable<Row>, kind);
    return await w.commit();
  } finally {
    w.close();
  }
}
