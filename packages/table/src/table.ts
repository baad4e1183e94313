import type * as arrow from 'apache-arrow';
import { Table as ArrowTable, RecordBatch } from 'apache-arrow';
import type { Identifier } from './catalog/identifier.ts';
import {
  type CommitOptions,
  type CommitResult,
  FileStoreCommit,
  isCommitOutcomeUnknown,
} from './commit/file-store-commit.ts';
import { ManifestFiles } from './commit/manifest-files.ts';
import { SnapshotManager } from './commit/snapshot-manager.ts';
import { arrowField, makeRecordBatch } from './format/arrow.ts';
import { deserializeBinaryRow, serializeBinaryRow } from './format/binary-row.ts';
import { ColumnBuilder, columnValue, toInternalValue, toPublicValue } from './format/columns.ts';
import type { DataFileMeta } from './format/manifest.ts';
import type { Snapshot } from './format/snapshot.ts';
import type { FileIO } from './io/file-io.ts';
import { compactBucket, deleteFiles } from './lsm/bucket-compaction.ts';
import { produceChangelog } from './lsm/changelog-producer.ts';
import { sortedRuns } from './lsm/levels.ts';
import { forcePickL0, pickCompaction, type UniversalOptions } from './lsm/universal-compaction.ts';
import {
  type ExpireSnapshotsOptions,
  type ExpireSnapshotsResult,
  expireSnapshots,
} from './maintenance/expire-snapshots.ts';
import {
  type RemoveOrphanFilesOptions,
  type RemoveOrphanFilesResult,
  removeOrphanFiles,
} from './maintenance/remove-orphan-files.ts';
import type { CoreOptions } from './options/core-options.ts';
import { type ColumnBatch, SplitReader } from './read/split-reader.ts';
import { bindPredicate, type Predicate } from './scan/predicate.ts';
import { type DataSplit, type ScanPlan, ScanPlanner } from './scan/scan-planner.ts';
import { SchemaManager } from './schema/schema-manager.ts';
import type { TableSchema } from './schema/table-schema.ts';
import { type ChangeEvent, type ChangeOptions, ChangeReader } from './stream/change-reader.ts';
import type { DataField, DataType } from './types/data-types.ts';
import { EddyError } from './types/errors.ts';
import { type InternalValue, ROW_KIND_NAMES, type RowKindName } from './types/internal.ts';
import type { MemoryBudget } from './write/memory-budget.ts';
import {
  bucketKeyOf,
  type CommitMessage,
  newCommitUser,
  type RestoredSequences,
  type Row,
  TableWriter,
  type TableWriterOptions,
} from './write/table-writer.ts';

const universalOptions = (o: CoreOptions): UniversalOptions => ({
  trigger: o.numSortedRunCompactionTrigger,
  maxSizeAmplificationPercent: o.maxSizeAmplificationPercent,
  sizeRatio: o.compactionSizeRatio,
  numLevels: o.numLevels,
});

export interface ScanOptions {
  /** Columns to return, in this order (default: all). */
  readonly select?: readonly string[];
  readonly where?: Predicate;
  readonly limit?: number;
  /** Time travel: read this snapshot id. */
  readonly snapshotId?: number;
  /** Time travel: read the latest snapshot at or before this time. */
  readonly asOf?: Date | number;
}

export interface CompactOptions {
  /** Rewrite every bucket into the last level (Paimon's full compaction). */
  readonly full?: boolean;
  readonly commitUser?: string;
  /** The identifier of the commit this compaction follows (a writer's checkpoint). */
  readonly commitIdentifier?: bigint;
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
  /** Whether the universal picker would compact this bucket now. */
  readonly needsCompaction: boolean;
}

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
type OverwriteScope = (messages: readonly CommitMessage[]) => NonNullable<CommitOptions['overwrite']>;

const describePartition = (spec: Readonly<Record<string, unknown>>) =>
  Object.entries(spec)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(', ');

const MANIFEST_CODEC = { zstd: 'zstandard', snappy: 'snappy', deflate: 'deflate', none: 'null' } as const;

/** A Paimon table in a warehouse: write with upsert/delete or a writer, read with scan. */
export class Table {
  readonly snapshots: SnapshotManager;
  readonly schemas: SchemaManager;
  readonly manifests: ManifestFiles;

  private constructor(
    readonly io: FileIO,
    readonly path: string,
    readonly identifier: Identifier,
    readonly schema: TableSchema,
    schemas: SchemaManager,
  ) {
    this.schemas = schemas;
    this.snapshots = new SnapshotManager(io, path);
    this.manifests = new ManifestFiles(io, path, MANIFEST_CODEC[schema.options.manifestCompression]);
  }

  static async load(io: FileIO, path: string, identifier: Identifier): Promise<Table> {
    const schemas = new SchemaManager(io, path);
    const schema = await schemas.latest();
    if (!schema)
      throw new EddyError('NOT_FOUND', `table '${identifier.database}.${identifier.table}' does not exist`, { path });
    return new Table(io, path, identifier, schema, schemas);
  }

  get name(): string {
    return `${this.identifier.database}.${this.identifier.table}`;
  }

  /** A writer for pipelines: `write` rows, `commit(checkpointId)`; dispose to drop what is buffered. */
  newWriter(options: WriterOptions = {}): TableWrite {
    // The static partition is checked now, before any row is written.
    const scope = options.overwrite ? this.overwriteScope(options.overwrite) : undefined;
    return new TableWrite(this, options.commitUser ?? newCommitUser(), { memoryBudget: options.memoryBudget }, scope);
  }

  /** Inserts or replaces rows by primary key (append tables: appends) in one commit. */
  async upsert(
    rows: Row | Iterable<Row> | AsyncIterable<Row> | arrow.RecordBatch | arrow.Table,
  ): Promise<CommitResult> {
    return this.writeOnce(rows, '+I');
  }

  /**
   * Replaces data in one OVERWRITE commit (Paimon's INSERT OVERWRITE): with `partition`, every
   * partition matching those partition-key values (rows outside it are refused); without it, the
   * partitions the rows go to (`dynamic-partition-overwrite`, the default) or, on an unpartitioned
   * table or with that option false, the whole table. No rows with a `partition` empties it.
   * Whatever committed before the overwrite lands is replaced too; change feeds skip OVERWRITE
   * snapshots, as Paimon's do by default.
   */
  async overwrite(
    rows: Row | Iterable<Row> | AsyncIterable<Row> | arrow.RecordBatch | arrow.Table,
    options: OverwriteOptions = {},
  ): Promise<CommitResult> {
    return this.writeOnce(rows, '+I', options);
  }

  private overwriteScope(options: OverwriteOptions): OverwriteScope {
    const static_ = options.partition ? this.staticPartition(options.partition) : undefined;
    return (messages) => {
      if (static_) {
        const outside = messages.find((m) => !static_(m.partitionBytes));
        if (outside) {
          const where = this.schema.partitionKeys.map((k, i) => `${k}=${String(outside.partition[i])}`).join(', ');
          throw new EddyError(
            'INVALID_ARGUMENT',
            `overwrite of ${this.name}: rows in partition ${where} lie outside the partition being overwritten (${describePartition(options.partition!)})`,
          );
        }
        return { replaces: static_ };
      }
      if (this.schema.partitionKeys.length === 0 || !this.schema.options.dynamicPartitionOverwrite)
        return { replaces: () => true };
      const written = new Set(messages.map((m) => Buffer.from(m.partitionBytes).toString('base64')));
      return { replaces: (p) => written.has(Buffer.from(p).toString('base64')) };
    };
  }

  /** A predicate on serialized partitions: those whose values equal `spec`'s on the keys it names. */
  private staticPartition(spec: Readonly<Record<string, unknown>>): (partition: Uint8Array) => boolean {
    const keys = this.schema.partitionKeys;
    const checks: { index: number; type: DataType; bytes: Buffer }[] = [];
    for (const [name, value] of Object.entries(spec)) {
      const index = keys.indexOf(name);
      if (index < 0) {
        throw new EddyError(
          'INVALID_ARGUMENT',
          `overwrite of ${this.name}: '${name}' is not a partition key (partition keys: ${keys.join(', ') || 'none'})`,
        );
      }
      const type = this.schema.field(name).type;
      if (value === null || value === undefined)
        throw new EddyError('INVALID_ARGUMENT', `overwrite of ${this.name}: partition value of '${name}' is ${value}`);
      const internal = toInternalValue(type, value, `overwrite partition '${name}'`);
      checks.push({ index, type, bytes: Buffer.from(serializeBinaryRow([type], [internal])) });
    }
    return (partition) => {
      const values = this.partitionValues(partition);
      return checks.every((c) => Buffer.from(serializeBinaryRow([c.type], [values[c.index]])).equals(c.bytes));
    };
  }

  /** Deletes rows by primary key (the key columns are enough) in one commit. */
  async delete(keys: Row | Iterable<Row> | AsyncIterable<Row>): Promise<CommitResult> {
    if (!this.schema.isPrimaryKeyTable)
      throw new EddyError('UNSUPPORTED', `table ${this.name} has no primary key: delete by key needs one`);
    return this.writeOnce(keys, '-D');
  }

  private async writeOnce(
    rows: Row | Iterable<Row> | AsyncIterable<Row> | arrow.RecordBatch | arrow.Table,
    kind: RowKindName,
    overwrite?: OverwriteOptions,
  ): Promise<CommitResult> {
    const w = this.newWriter({ overwrite });
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

  /** @internal The bucketed writer behind TableWrite. */
  createWriter(options: TableWriterOptions = {}): TableWriter {
    return new TableWriter(this.io, this.path, this.schema, () => this.restoreSequences(), options);
  }

  /**
   * Compacts the buckets whose sorted runs call for it (Paimon's universal compaction), or all of
   * them into the last level with `full`, and commits one COMPACT snapshot. A conflicting
   * concurrent commit discards this compaction (COMMIT_CONFLICT, its files deleted): re-run it.
   */
  async compact(options: CompactOptions = {}): Promise<CompactResult> {
    this.checkCompactable();
    const o = this.schema.options;
    const plan = await this.newScanPlanner().plan({});
    const reader = new SplitReader(this.io, this.path, this.schema, this.schemas);
    const messages: CommitMessage[] = [];
    const done: { dir: string; written: readonly DataFileMeta[] }[] = [];
    const totals = { buckets: 0, filesIn: 0, filesOut: 0, rowsIn: 0, rowsOut: 0, bytesIn: 0, bytesOut: 0 };
    try {
      for (const split of plan.splits) {
        const runs = sortedRuns(split.files);
        const full = options.full === true;
        const unit =
          pickCompaction(runs, universalOptions(o), full) ??
          (o.changelogProducer === 'lookup' && !full ? forcePickL0(runs, universalOptions(o)) : undefined);
        if (!unit) continue;
        const highest = runs[runs.length - 1].level;
        const dropRetracts = unit.outputLevel !== 0 && unit.outputLevel >= highest;
        const changelog = await produceChangelog(this.io, this.schema, reader, split, unit, o.numLevels - 1);
        if (changelog) done.push({ dir: reader.bucketPath(split), written: [changelog] });
        const c = await compactBucket(this.io, this.schema, reader, split, unit, dropRetracts);
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
      const r = await this.newCommit().commit(messages, {
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
      if (!isCommitOutcomeUnknown(e)) for (const d of done) await deleteFiles(this.io, d.dir, d.written);
      throw e;
    }
  }

  /** Sorted runs and sizes per bucket at the latest snapshot. */
  async bucketHealth(): Promise<BucketHealth[]> {
    const plan = await this.newScanPlanner().plan({});
    const reader = new SplitReader(this.io, this.path, this.schema, this.schemas);
    const compactable = this.schema.isPrimaryKeyTable && !this.schema.options.deletionVectorsEnabled;
    return plan.splits.map((s) => {
      const runs = sortedRuns(s.files);
      const dir = reader.bucketPath(s);
      return {
        partition: dir.slice(this.path.length + 1, dir.length - `/bucket-${s.bucket}`.length),
        bucket: s.bucket,
        sortedRuns: runs.length,
        l0Files: s.files.filter((f) => f.level === 0).length,
        files: s.files.length,
        sizeBytes: s.files.reduce((a, f) => a + f.fileSize, 0),
        needsCompaction: compactable && pickCompaction(runs, universalOptions(this.schema.options)) !== undefined,
      };
    });
  }

  private checkCompactable(): void {
    const o = this.schema.options;
    if (!this.schema.isPrimaryKeyTable) {
      throw new EddyError('UNSUPPORTED', `table ${this.name}: compaction of append tables is not supported yet`);
    }
    if (o.deletionVectorsEnabled) {
      throw new EddyError('UNSUPPORTED', `table ${this.name}: compaction with deletion vectors is not supported yet`);
    }
  }

  /**
   * The change feed: `+I/-U/+U/-D` events in commit order, tailing new snapshots until `signal`
   * aborts (or `endSnapshotId`). Start with `scanMode` (Paimon's names); resume with `consumerId`.
   */
  changes(options: ChangeOptions = {}): AsyncGenerator<ChangeEvent> {
    return new ChangeReader(this, options).events();
  }

  /** The change feed as Arrow RecordBatches with a leading `rowkind` column (Paimon's audit-log layout). */
  async *changeBatches(options: ChangeOptions = {}): AsyncGenerator<{ snapshotId: number; batch: arrow.RecordBatch }> {
    for await (const b of new ChangeReader(this, options).batches()) {
      const kinds = new ColumnBuilder({ root: 'VARCHAR', nullable: false, length: 2 }, 'rowkind');
      for (let i = 0; i < b.batch.length; i++) kinds.appendInternal(ROW_KIND_NAMES[b.kinds[i]]);
      const fields = [{ id: -1, name: 'rowkind', type: kinds.type }, ...b.batch.fields];
      yield {
        snapshotId: b.snapshotId,
        batch: makeRecordBatch(
          fields.map((f) => arrowField(f)),
          [kinds.finish(), ...b.batch.columns],
        ),
      };
    }
  }

  /** Batch read of the changes committed after snapshot `start` up to `end` (Paimon's `incremental-between`). */
  changesBetween(start: number, end: number, options: Pick<ChangeOptions, 'select'> = {}): AsyncGenerator<ChangeEvent> {
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end < start) {
      throw new EddyError('INVALID_ARGUMENT', `incremental-between needs 0 ≤ start ≤ end, got ${start}, ${end}`);
    }
    return new ChangeReader(this, {
      ...options,
      scanMode: 'from-snapshot',
      snapshotId: start + 1,
      endSnapshotId: end,
    }).events();
  }

  /** @internal */
  newSplitReader(): SplitReader {
    return new SplitReader(this.io, this.path, this.schema, this.schemas);
  }

  /** @internal Partition values of a serialized partition row. */
  partitionValues(partitionBytes: Uint8Array): InternalValue[] {
    return deserializeBinaryRow(
      partitionBytes,
      this.schema.partitionKeys.map((k) => this.schema.field(k).type),
    );
  }

  newCommit(): FileStoreCommit {
    return new FileStoreCommit(this.schema, this.snapshots, this.manifests);
  }

  newScanPlanner(): ScanPlanner {
    return new ScanPlanner(this.schema, this.schemas, this.snapshots, this.manifests);
  }

  /** Max committed sequence number per (partition, bucket) at the latest snapshot. */
  private async restoreSequences(): Promise<RestoredSequences> {
    const max = new Map<string, bigint>();
    const latest = await this.snapshots.latestSnapshot();
    if (!latest) return { snapshotId: undefined, max };
    for (const e of await this.newScanPlanner().liveEntries(latest)) {
      const k = bucketKeyOf(e.partition, e.bucket);
      const cur = max.get(k);
      if (cur === undefined || e.file.maxSequenceNumber > cur) max.set(k, e.file.maxSequenceNumber);
    }
    return { snapshotId: latest.id, max };
  }

  private projection(select: readonly string[] | undefined): DataField[] {
    if (!select) return [...this.schema.fields];
    if (select.length === 0) throw new EddyError('INVALID_ARGUMENT', 'select needs at least one column');
    return select.map((c) => {
      const f = this.schema.fields.find((x) => x.name === c);
      if (!f) throw new EddyError('INVALID_ARGUMENT', `select: unknown column '${c}' in table ${this.name}`);
      return f;
    });
  }

  /** Plans a scan: which files of which buckets a read will touch. */
  async plan(options: ScanOptions = {}): Promise<ScanPlan> {
    const filter = options.where
      ? bindPredicate(options.where, (c) => this.schema.fields.find((f) => f.name === c)?.type)
      : undefined;
    const asOfMillis =
      options.asOf === undefined ? undefined : options.asOf instanceof Date ? options.asOf.getTime() : options.asOf;
    return this.newScanPlanner().plan({ snapshotId: options.snapshotId, asOfMillis, filter });
  }

  /**
   * Merged rows as columns: batches of a (partition, bucket) at a time — a file's rows, or a key
   * window of a merge — so memory follows the files a merge holds, not the table.
   */
  async *scanColumns(options: ScanOptions = {}): AsyncGenerator<ColumnBatch> {
    const projection = this.projection(options.select);
    const filter = options.where
      ? bindPredicate(options.where, (c) => this.schema.fields.find((f) => f.name === c)?.type)
      : undefined;
    const plan = await this.plan(options);
    const reader = new SplitReader(this.io, this.path, this.schema, this.schemas);
    let remaining = options.limit ?? Number.POSITIVE_INFINITY;
    if (remaining <= 0) return;
    // The next split's first batch is read while the consumer works through this one.
    const splits: readonly DataSplit[] = plan.splits;
    const open = (i: number) => {
      const batches = reader.readBatches(splits[i], projection, filter);
      const first = batches.next();
      first.catch(() => undefined); // awaited below unless the consumer stops first
      return { batches, first };
    };
    const opened: ReturnType<typeof open>[] = [];
    try {
      for (let i = 0; i < splits.length; i++) {
        const cur = opened[i] ?? open(i);
        opened[i] = cur;
        let r = await cur.first;
        if (i + 1 < splits.length) opened[i + 1] = open(i + 1);
        for (; !r.done; r = await cur.batches.next()) {
          const batch = r.value;
          if (batch.length >= remaining) {
            const cut = remaining;
            yield { fields: batch.fields, columns: batch.columns.map((c) => ({ ...c, length: cut })), length: cut };
            return;
          }
          remaining -= batch.length;
          yield batch;
        }
      }
    } finally {
      // Stop reading ahead (a generator returns once its pending step is done).
      await Promise.allSettled(opened.map((o) => o.first.then(() => o.batches.return(undefined))));
    }
  }

  /** Merged rows as Arrow RecordBatches. */
  async *scanArrow(options: ScanOptions = {}): AsyncGenerator<arrow.RecordBatch> {
    for await (const b of this.scanColumns(options)) {
      yield makeRecordBatch(
        b.fields.map((f) => arrowField(f)),
        b.columns as never,
      );
    }
  }

  /** Merged rows as plain objects (see the value mapping in the README). */
  async *scan(options: ScanOptions = {}): AsyncGenerator<Record<string, unknown>> {
    for await (const b of this.scanColumns(options)) {
      const { fields, columns, length } = b;
      for (let r = 0; r < length; r++) {
        const row: Record<string, unknown> = {};
        for (let c = 0; c < fields.length; c++)
          row[fields[c].name] = toPublicValue(fields[c].type, columnValue(columns[c], r));
        yield row;
      }
    }
  }

  /** All rows of a scan in an array (convenience for small tables and tests). */
  async toArray(options: ScanOptions = {}): Promise<Record<string, unknown>[]> {
    const out: Record<string, unknown>[] = [];
    for await (const r of this.scan(options)) out.push(r);
    return out;
  }

  async latestSnapshot(): Promise<Snapshot | undefined> {
    return this.snapshots.latestSnapshot();
  }

  /** Snapshots from earliest to latest. */
  async listSnapshots(): Promise<Snapshot[]> {
    const out: Snapshot[] = [];
    const earliest = await this.snapshots.earliestSnapshotId();
    const latest = await this.snapshots.latestSnapshotId();
    if (earliest === undefined || latest === undefined) return out;
    for (let id = earliest; id <= latest; id++) out.push(await this.snapshots.snapshot(id));
    return out;
  }

  /**
   * Expires old snapshots (`snapshot.num-retained.min/max`, `snapshot.time-retained`,
   * `snapshot.expire.limit`), never one a consumer or tag needs; see maintenance/expire-snapshots.ts.
   */
  async expireSnapshots(options: ExpireSnapshotsOptions = {}): Promise<ExpireSnapshotsResult> {
    return expireSnapshots(this, options);
  }

  /** Removes unreferenced files older than `olderThanMs` (default 1 day); `dryRun` only lists them. */
  async removeOrphanFiles(options: RemoveOrphanFilesOptions = {}): Promise<RemoveOrphanFilesResult> {
    return removeOrphanFiles(this, options);
  }
}

/**
 * A writer with a stable commitUser. Each `commit(id)` publishes what was written since the last
 * one; committing an id that this commitUser already committed is a no-op (exactly-once).
 */
export class TableWrite implements AsyncDisposable {
  private readonly writer: TableWriter;
  /** The newest snapshot this writer knows holds no OVERWRITE it has not re-sequenced after. */
  private seen: number | undefined;
  private closed = false;
  private commitsSinceFull = 0;

  private committed = false;

  constructor(
    readonly table: Table,
    readonly commitUser: string,
    options: TableWriterOptions,
    private readonly overwrite?: OverwriteScope,
  ) {
    this.writer = table.createWriter(options);
  }

  /** Buffers rows of one kind: plain objects, or an Arrow RecordBatch / Table (columnar, faster). */
  async write(rows: Row | Iterable<Row> | arrow.RecordBatch | arrow.Table, kind: RowKindName = '+I'): Promise<void> {
    if (this.closed) throw new EddyError('INVALID_ARGUMENT', 'this writer is closed');
    if (rows instanceof RecordBatch || rows instanceof ArrowTable) await this.writer.writeArrow(rows, kind);
    else await this.writer.write(rows, kind);
  }

  async delete(keys: Row | Iterable<Row>): Promise<void> {
    await this.write(keys, '-D');
  }

  /** Writes every buffer out as level-0 files now (they become visible at the next commit). */
  async flush(): Promise<void> {
    await this.writer.flushAll();
  }

  /** Flushes and commits. Without an id this is a batch commit (Long.MAX_VALUE, like Paimon). */
  async commit(commitIdentifier?: number | bigint): Promise<CommitResult> {
    if (this.closed) throw new EddyError('INVALID_ARGUMENT', 'this writer is closed');
    const overwrite = this.overwrite;
    if (overwrite && this.committed)
      throw new EddyError('INVALID_ARGUMENT', `an overwrite writer of ${this.table.name} commits once`);
    this.committed = true;
    const id = commitIdentifier === undefined ? undefined : BigInt(commitIdentifier);
    const pk = this.table.schema.isPrimaryKeyTable;
    // The snapshot after which an OVERWRITE could outrank what this writer flushed so far.
    const after =
      this.writer.sequencedAfter === undefined ? undefined : Math.max(this.seen ?? 0, this.writer.sequencedAfter);
    if (pk && after !== undefined) await this.followOverwrites(after);
    const messages = await this.writer.prepareCommit();
    let result: CommitResult;
    try {
      result = await this.table.newCommit().commit(messages, {
        commitUser: this.commitUser,
        commitIdentifier: id,
        overwrite: overwrite?.(messages),
        // Files flushed before followOverwrites re-sequenced are checked against what it found. (An
        // overwrite replaces every file in the partitions it writes to: nothing there can outrank it.)
        sequencedAfter: pk && !overwrite ? (after ?? this.writer.sequencedAfter) : undefined,
      });
    } catch (e) {
      if (!isCommitOutcomeUnknown(e)) {
        // Refused before anything was published: the files just written are nobody's. The commit's
        // error is the one to report; files a failing delete leaves are orphans, which
        // removeOrphanFiles takes.
        const reader = this.table.newSplitReader();
        for (const m of messages) {
          const dir = reader.bucketPath({ ...m, snapshotId: 0, files: [] });
          await deleteFiles(this.table.io, dir, [...m.newFiles, ...(m.changelogFiles ?? [])]).catch(() => undefined);
        }
        if (e instanceof EddyError && e.code === 'COMMIT_CONFLICT' && pk) await this.writer.resequence();
      }
      throw e;
    }
    if (result.snapshot && result.published) this.seen = result.snapshot.id;
    if (result.published) await this.compactIfNeeded(id);
    return result;
  }

  /**
   * If an OVERWRITE landed since this writer last looked, re-sequence: the overwrite's rows were
   * numbered from the files it replaced, and this writer's next rows must rank above them.
   * Reads only the snapshot files committed since (usually none or a few).
   */
  private async followOverwrites(from: number): Promise<void> {
    const latest = await this.table.snapshots.latestSnapshotId();
    if (latest === undefined || latest <= from) return;
    for (let sid = from + 1; sid <= latest; sid++) {
      const s = await this.table.snapshots.snapshot(sid).catch((e: unknown) => {
        if (e instanceof EddyError && e.code === 'NOT_FOUND') return undefined; // expired: see below
        throw e;
      });
      // An expired snapshot might have been an overwrite: re-sequencing is the safe answer.
      if (!s || s.commitKind === 'OVERWRITE') {
        await this.writer.resequence();
        break;
      }
    }
    this.seen = latest;
  }

  /**
   * Unless `write-only`, a writer compacts after its commits when the universal picker asks for it
   * (Paimon's writer does the same). A compaction that loses to a concurrent commit is discarded
   * and retried at a later commit; it never fails the write.
   */
  private async compactIfNeeded(commitIdentifier: bigint | undefined): Promise<void> {
    const t = this.table;
    const o = t.schema.options;
    if (o.writeOnly || !t.schema.isPrimaryKeyTable || o.deletionVectorsEnabled) return;
    // `full-compaction` produces changelog only at full compactions: every
    // `full-compaction.delta-commits` commits (default 1 for that producer).
    let full = false;
    if (o.changelogProducer === 'full-compaction') {
      const every = Number(t.schema.rawOptions['full-compaction.delta-commits'] ?? '1');
      full = ++this.commitsSinceFull >= every;
      if (full) this.commitsSinceFull = 0;
    }
    try {
      await t.compact({ commitUser: this.commitUser, commitIdentifier, full });
    } catch (e) {
      if (!(e instanceof EddyError && e.code === 'COMMIT_CONFLICT')) throw e;
    }
  }

  close(): void {
    this.closed = true;
    this.writer.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }
}
