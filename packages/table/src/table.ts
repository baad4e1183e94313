import type * as arrow from 'apache-arrow';
import type { Identifier } from './catalog/identifier.ts';
import type { CommitResult } from './commit/file-store-commit.ts';
import { arrowField, makeRecordBatch } from './data/arrow.ts';
import { ColumnBuilder, columnValue, toPublicValue } from './data/columns.ts';
import type { Snapshot } from './format/snapshot.ts';
import type { FileIO } from './io/file-io.ts';
import {
  type BucketHealth,
  bucketHealth,
  type CompactOptions,
  type CompactResult,
  compactTable,
} from './lsm/table-compaction.ts';
import {
  deleteExpiredFiles,
  type ExpireSnapshotsOptions,
  type ExpireSnapshotsResult,
  expireSnapshots,
} from './maintenance/expire-snapshots.ts';
import {
  type RemoveOrphanFilesOptions,
  type RemoveOrphanFilesResult,
  removeOrphanFiles,
} from './maintenance/remove-orphan-files.ts';
import { type RollbackResult, type RollbackTarget, rollbackTo } from './maintenance/rollback.ts';
import {
  type CreateTagOptions,
  createTag,
  type DeleteTagResult,
  deleteTag,
  type ExpireTagsOptions,
  expireTags,
  listTags,
  type Tag,
} from './maintenance/tags.ts';
import type { DataSplit } from './meta/data-split.ts';
import { ManifestFiles } from './meta/manifest-files.ts';
import { SnapshotManager } from './meta/snapshot-manager.ts';
import type { TableContext } from './meta/table-context.ts';
import { TablePaths } from './meta/table-paths.ts';
import { TagManager, validateTagName } from './meta/tag-manager.ts';
import { keyLookup } from './read/key-lookup.ts';
import { type ColumnBatch, SplitReader } from './read/split-reader.ts';
import { type BoundPredicate, bindPredicate, type Predicate } from './scan/predicate.ts';
import { type ScanPlan, ScanPlanner } from './scan/scan-planner.ts';
import { parseWhere } from './scan/where.ts';
import type { SchemaChange } from './schema/schema-change.ts';
import { SchemaManager } from './schema/schema-manager.ts';
import type { TableSchema } from './schema/table-schema.ts';
import {
  type ChangeBatch,
  type ChangeEvent,
  type ChangeOptions,
  ChangeReader,
  eventsOf,
} from './stream/change-reader.ts';
import { tagDiff } from './stream/tag-diff.ts';
import type { DataField } from './types/data-types.ts';
import { EddyError } from './types/errors.ts';
import { type InternalValue, ROW_KIND_NAMES } from './types/internal.ts';
import {
  lastCommittedIdentifier,
  type OverwriteOptions,
  overwriteScope,
  TableWrite,
  type WriterOptions,
  writeOnce,
} from './write/table-write.ts';
import { newCommitUser } from './write/table-writer.ts';

export type { BucketHealth, CompactOptions, CompactResult } from './lsm/table-compaction.ts';
export type { OverwriteOptions, WriterOptions } from './write/table-write.ts';
export { TableWrite } from './write/table-write.ts';

export interface ScanOptions {
  /**
   * Columns to return, in this order (default: all). With time travel, the columns of the snapshot
   * read: its own schema's names.
   */
  readonly select?: readonly string[];
  /**
   * Rows to return: a Predicate (`and(eq('region', 'eu'), gt('amount', 400))`) or the same as a
   * string (`"region = 'eu' and amount > 400"`; see scan/where.ts for the grammar).
   */
  readonly where?: Predicate | string;
  readonly limit?: number;
  /** Time travel: read this snapshot id (in the schema it was committed with). */
  readonly snapshotId?: number;
  /** Time travel: read the latest snapshot at or before this time. */
  readonly asOf?: Date | number;
  /** Time travel: read this tag's snapshot (from the tag file: it works after the snapshot expired). */
  readonly tag?: string;
  /**
   * Read exactly these splits of a `plan()` (made with the same snapshotId/asOf/tag, which still
   * choose the schema) instead of planning again, e.g. the part of a plan another reader does not take.
   */
  readonly splits?: readonly DataSplit[];
}

/** Options of `Table.get`: the columns to return and time travel, as for a scan. */
export type GetOptions = Pick<ScanOptions, 'select' | 'snapshotId' | 'asOf' | 'tag'>;

const MANIFEST_CODEC = { zstd: 'zstandard', snappy: 'snappy', deflate: 'deflate', none: 'null' } as const;

// Table is the TableContext its parts (commit, scan, compaction, maintenance, change feeds) take.
const asContext = (t: Table): TableContext => t;
void asContext;

/**
 * Which table lives at a path, for sharing what this process published to it between table objects
 * (meta/published-metadata.ts): a table dropped and created again differs in its schema's time.
 */
const incarnation = (schema: TableSchema) => `${schema.id}@${schema.timeMillis}`;

/**
 * A Paimon table in a warehouse: write with upsert/delete or a writer, read with scan. `R` is the
 * row type: derived from the schema by `Catalog.createTable` (`RowOf<typeof schema>`), declared
 * with `catalog.getTable<Order>('shop.orders')`, or plain `Record<string, unknown>`.
 */
export class Table<R extends object = Record<string, unknown>> {
  // The metadata managers are the table's parts (a TableContext), not its API: tools reach the
  // files through `@eddy/table/inspect`.
  /** @internal */
  readonly snapshots: SnapshotManager;
  /** @internal */
  readonly schemas: SchemaManager;
  private current: TableSchema;
  private manifestFiles: ManifestFiles;
  private tablePaths: TablePaths;

  private constructor(
    readonly io: FileIO,
    readonly path: string,
    readonly identifier: Identifier,
    schema: TableSchema,
    schemas: SchemaManager,
  ) {
    this.schemas = schemas;
    this.snapshots = new SnapshotManager(io, path, incarnation(schema));
    this.current = schema;
    this.tablePaths = new TablePaths(path, schema);
    this.manifestFiles = new ManifestFiles(
      io,
      path,
      MANIFEST_CODEC[schema.options.manifestCompression],
      this.tablePaths.confinement,
      incarnation(schema),
    );
  }

  /** The schema this table object reads and writes in (the latest when loaded or altered here). */
  get schema(): TableSchema {
    return this.current;
  }

  /** @internal */
  get manifests(): ManifestFiles {
    return this.manifestFiles;
  }

  /** @internal Where the table's files live. */
  get paths(): TablePaths {
    return this.tablePaths;
  }

  /** Switches this object to `schema` (after an ALTER, or a reload that found a newer one). */
  private useSchema(schema: TableSchema): void {
    this.current = schema;
    this.tablePaths = new TablePaths(this.path, schema);
    this.manifestFiles = new ManifestFiles(
      this.io,
      this.path,
      MANIFEST_CODEC[schema.options.manifestCompression],
      this.tablePaths.confinement,
      incarnation(schema),
    );
  }

  /** The table's parts as of now, fixed: a writer keeps the schema it started with. */
  private frozen(): TableContext {
    return {
      io: this.io,
      path: this.path,
      name: this.name,
      schema: this.schema,
      schemas: this.schemas,
      snapshots: this.snapshots,
      manifests: this.manifests,
      paths: this.paths,
    };
  }

  /**
   * ALTER TABLE: applies `changes` in order as one new schema (`schema/schema-N+1`, created without
   * replacing, so a concurrent ALTER re-validates on top of this one or fails), and switches this
   * object to it. What Paimon refuses fails INVALID_ARGUMENT; what Paimon allows but Eddy does not
   * implement fails UNSUPPORTED, naming the column or option. Writers already open keep their
   * schema: their commits carry compatible rows over, or fail with SCHEMA_CHANGED.
   */
  async alter(changes: SchemaChange | readonly SchemaChange[]): Promise<TableSchema> {
    const list = Array.isArray(changes) ? (changes as readonly SchemaChange[]) : [changes as SchemaChange];
    const next = await this.schemas.commitChanges(list, {
      table: this.name,
      hasSnapshots: async () => (await this.snapshots.latestSnapshotId()) !== undefined,
    });
    this.useSchema(next);
    return next;
  }

  /** Picks up a schema another process committed since this table was loaded; returns the latest. */
  async refresh(): Promise<TableSchema> {
    const latest = await this.schemas.latestFrom(this.schema);
    if (latest.id !== this.schema.id) this.useSchema(latest);
    return latest;
  }

  /** Every schema of the table, oldest first (Paimon's `$schemas` system table). */
  async schemaHistory(): Promise<TableSchema[]> {
    const out: TableSchema[] = [];
    for (const id of await this.schemas.listSchemaIds()) out.push(await this.schemas.schema(id));
    return out;
  }

  /** @internal Opens the table at `path` (use `Catalog.getTable`). */
  static async load<R extends object = Record<string, unknown>>(
    io: FileIO,
    path: string,
    identifier: Identifier,
  ): Promise<Table<R>> {
    const schemas = new SchemaManager(io, path);
    const schema = await schemas.latest();
    if (!schema)
      throw new EddyError('NOT_FOUND', `table '${identifier.database}.${identifier.table}' does not exist`, { path });
    return new Table<R>(io, path, identifier, schema, schemas);
  }

  get name(): string {
    return `${this.identifier.database}.${this.identifier.table}`;
  }

  /** A writer for pipelines: `write` rows, `commit(checkpointId)`; dispose to drop what is buffered. */
  newWriter(options: WriterOptions = {}): TableWrite<R> {
    // The static partition is checked now, before any row is written.
    const ctx = this.frozen();
    const scope = options.overwrite ? overwriteScope(ctx, options.overwrite) : undefined;
    return new TableWrite<R>(ctx, options.commitUser ?? newCommitUser(), { memoryBudget: options.memoryBudget }, scope);
  }

  /**
   * The last checkpoint (commit identifier) `commitUser` committed, or undefined if none: a
   * pipeline restarting with the same commitUser resumes after it. Exactly-once holds beyond
   * snapshot expiry: a commitUser's last identifier is kept for `eddy.commit-user.time-retained`
   * (30 days) after its last commit, so replaying a committed checkpoint stays a no-op.
   */
  async lastCommittedIdentifier(commitUser: string): Promise<bigint | undefined> {
    return lastCommittedIdentifier(this.frozen(), commitUser);
  }

  /** Inserts or replaces rows by primary key (append tables: appends) in one commit. */
  async upsert(rows: R | Iterable<R> | AsyncIterable<R> | arrow.RecordBatch | arrow.Table): Promise<CommitResult> {
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
    rows: R | Iterable<R> | AsyncIterable<R> | arrow.RecordBatch | arrow.Table,
    options: OverwriteOptions = {},
  ): Promise<CommitResult> {
    return this.writeOnce(rows, '+I', options);
  }

  /** Deletes rows by primary key (the key columns are enough) in one commit. */
  async delete(keys: Partial<R> | Iterable<Partial<R>> | AsyncIterable<Partial<R>>): Promise<CommitResult> {
    if (!this.schema.isPrimaryKeyTable)
      throw new EddyError('UNSUPPORTED', `table ${this.name} has no primary key: delete by key needs one`);
    return this.writeOnce(keys, '-D');
  }

  private async writeOnce(
    rows: object | Iterable<object> | AsyncIterable<object> | arrow.RecordBatch | arrow.Table,
    kind: '+I' | '-D',
    overwrite?: OverwriteOptions,
  ): Promise<CommitResult> {
    return writeOnce(this.newWriter({ overwrite }) as TableWrite, rows, kind);
  }

  /**
   * Compacts the buckets whose sorted runs call for it (Paimon's universal compaction), or all of
   * them into the last level with `full`, and commits one COMPACT snapshot. A conflicting
   * concurrent commit discards this compaction (COMMIT_CONFLICT, its files deleted): re-run it.
   */
  async compact(options: CompactOptions = {}): Promise<CompactResult> {
    return compactTable(this.frozen(), options);
  }

  /** Sorted runs and sizes per bucket at the latest snapshot. */
  async bucketHealth(): Promise<BucketHealth[]> {
    return bucketHealth(this);
  }

  /**
   * The change feed: `+I/-U/+U/-D` events in commit order, tailing new snapshots until `signal`
   * aborts (or `endSnapshotId`). Start with `scanMode` (Paimon's names); resume with `consumerId`.
   */
  changes(options: ChangeOptions = {}): AsyncGenerator<ChangeEvent<R>> {
    return new ChangeReader(this, options).events() as AsyncGenerator<ChangeEvent<R>>;
  }

  /**
   * The change feed as Arrow RecordBatches with a leading `rowkind` column (Paimon's audit-log
   * layout), each in the schema of the snapshot it comes from (`schemaId`).
   */
  async *changeBatches(
    options: ChangeOptions = {},
  ): AsyncGenerator<{ snapshotId: number; schemaId: number; batch: arrow.RecordBatch }> {
    for await (const b of new ChangeReader(this, options).batches()) {
      const kinds = new ColumnBuilder({ root: 'VARCHAR', nullable: false, length: 2 }, 'rowkind');
      for (let i = 0; i < b.batch.length; i++) kinds.appendInternal(ROW_KIND_NAMES[b.kinds[i]]);
      const fields = [{ id: -1, name: 'rowkind', type: kinds.type }, ...b.batch.fields];
      yield {
        snapshotId: b.snapshotId,
        schemaId: b.schemaId,
        batch: makeRecordBatch(
          fields.map((f) => arrowField(f)),
          [kinds.finish(), ...b.batch.columns],
        ),
      };
    }
  }

  /**
   * Batch read of the changes between `start` (exclusive) and `end` (Paimon's `incremental-between`):
   * with snapshot ids, the changes each snapshot in (start, end] committed, read from snapshots or
   * long-lived changelogs; with two tags, the difference of their states (Paimon's incremental diff:
   * new and changed rows as stored, removed rows as -D). Fails at once when the range is invalid or
   * `end` is beyond the latest snapshot.
   */
  changesBetween(
    start: number | string,
    end: number | string,
    options: Pick<ChangeOptions, 'select'> = {},
  ): AsyncGenerator<ChangeEvent<R>> {
    return eventsOf(this.changeBatchesBetween(start, end, options)) as AsyncGenerator<ChangeEvent<R>>;
  }

  /** changesBetween as batches (see ChangeBatch). */
  async *changeBatchesBetween(
    start: number | string,
    end: number | string,
    options: Pick<ChangeOptions, 'select'> = {},
  ): AsyncGenerator<ChangeBatch> {
    if (typeof start === 'string' && typeof end === 'string') {
      yield* tagDiff(this, start, end, options.select);
      return;
    }
    if (typeof start === 'string' || typeof end === 'string') {
      throw new EddyError(
        'INVALID_ARGUMENT',
        `changesBetween needs two snapshot ids or two tag names, got ${JSON.stringify(start)} and ${JSON.stringify(end)}`,
      );
    }
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
      throw new EddyError('INVALID_ARGUMENT', `changesBetween needs 0 ≤ start ≤ end, got ${start}, ${end}`);
    }
    const latest = await this.snapshots.latestSnapshotId();
    if (end > (latest ?? 0)) {
      throw new EddyError(
        'INVALID_ARGUMENT',
        `changesBetween(${start}, ${end}): snapshot ${end} is beyond the latest snapshot of ${this.name} (${latest ?? 'none'})`,
      );
    }
    if (start === end) return;
    yield* new ChangeReader(this, {
      ...options,
      scanMode: 'from-snapshot',
      snapshotId: start + 1,
      endSnapshotId: end,
    }).batches();
  }

  /** @internal */
  newSplitReader(schema: TableSchema = this.schema): SplitReader {
    return new SplitReader(this.io, this.paths, schema, this.schemas);
  }

  /** @internal Partition values of a serialized partition row. */
  partitionValues(partitionBytes: Uint8Array): InternalValue[] {
    return this.paths.partitionValues(partitionBytes);
  }

  /** @internal */
  newScanPlanner(schema: TableSchema = this.schema): ScanPlanner {
    return new ScanPlanner(schema, this.schemas, this.snapshots, this.manifests, { io: this.io, paths: this.paths });
  }

  private projection(schema: TableSchema, select: readonly string[] | undefined): DataField[] {
    if (!select) return [...schema.fields];
    if (select.length === 0) throw new EddyError('INVALID_ARGUMENT', 'select needs at least one column');
    return select.map((c) => {
      const i = schema.fieldIndex(c);
      const f = i < 0 ? undefined : schema.fields[i];
      if (!f) {
        const when = schema.id === this.schema.id ? '' : ` at the snapshot read (schema ${schema.id})`;
        throw new EddyError('INVALID_ARGUMENT', `select: unknown column '${c}' in table ${this.name}${when}`);
      }
      return f;
    });
  }

  /**
   * The schema a read with these time-travel options returns rows in: the snapshot's own schema
   * for a snapshot id, time or tag (Paimon's time travel), else the table's.
   */
  async schemaAt(options: Pick<ScanOptions, 'snapshotId' | 'asOf' | 'tag'> = {}): Promise<TableSchema> {
    return (await this.resolveRead(options)).schema;
  }

  private filter(schema: TableSchema, where: Predicate | string | undefined): BoundPredicate | undefined {
    if (where === undefined) return undefined;
    const p = typeof where === 'string' ? parseWhere(where, schema.fields) : where;
    return bindPredicate(p, (c) => schema.fields.find((f) => f.name === c)?.type);
  }

  /**
   * @internal The snapshot a read is at (the latest, or the time-travel target) and the schema to read it in:
   * with time travel the snapshot's own, with the table's current options (Paimon's time travel);
   * else the table's.
   */
  async resolveRead(options: Pick<ScanOptions, 'snapshotId' | 'asOf' | 'tag'> = {}): Promise<{
    snapshot: Snapshot | undefined;
    schema: TableSchema;
  }> {
    const given = [options.snapshotId, options.asOf, options.tag].filter((x) => x !== undefined).length;
    if (given > 1) throw new EddyError('INVALID_ARGUMENT', 'time travel takes one of snapshotId, asOf and tag');
    let snapshot: Snapshot | undefined;
    if (options.tag !== undefined) {
      snapshot = (await new TagManager(this.io, this.path).getOrThrow(validateTagName(options.tag), this.name))
        .snapshot;
    } else {
      const asOfMillis =
        options.asOf === undefined ? undefined : options.asOf instanceof Date ? options.asOf.getTime() : options.asOf;
      snapshot = await this.newScanPlanner().resolveSnapshot({ snapshotId: options.snapshotId, asOfMillis });
    }
    // Like Java, only time travel reads in the snapshot's schema; a plain read of the latest
    // snapshot is in the table's (a column added since the last commit reads as null).
    const travel = given > 0;
    const schema = snapshot && travel ? await this.schemas.forSnapshot(snapshot.schemaId, this.schema) : this.schema;
    return { snapshot, schema };
  }

  /** @internal Plans a scan: which files of which buckets a read will touch (see `inspect(table).plan`). */
  async plan(options: ScanOptions = {}): Promise<ScanPlan> {
    const { snapshot, schema } = await this.resolveRead(options);
    return this.newScanPlanner(schema).plan({ snapshot, filter: this.filter(schema, options.where) });
  }

  /**
   * @internal Merged rows as columns: batches of a (partition, bucket) at a time — a file's rows, or a key
   * window of a merge — so memory follows the files a merge holds, not the table. A time-travel
   * read comes in the snapshot's own schema (its batches' `fields`).
   */
  async *scanColumns(options: ScanOptions = {}): AsyncGenerator<ColumnBatch> {
    const { snapshot, schema } = await this.resolveRead(options);
    const projection = this.projection(schema, options.select);
    const filter = this.filter(schema, options.where);
    if (!snapshot) return;
    const plan = options.splits
      ? { splits: options.splits }
      : await this.newScanPlanner(schema).plan({ snapshot, filter });
    const reader = this.newSplitReader(schema);
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

  /**
   * Merged rows as plain objects (see the value mapping in the README); with `select`, the rows
   * have those columns only.
   */
  scan<K extends keyof R & string>(
    options: ScanOptions & { readonly select: readonly K[] },
  ): AsyncGenerator<Pick<R, K>>;
  scan(options?: ScanOptions): AsyncGenerator<R>;
  async *scan(options: ScanOptions = {}): AsyncGenerator<R> {
    for await (const b of this.scanColumns(options)) {
      const { fields, columns, length } = b;
      for (let r = 0; r < length; r++) {
        const row: Record<string, unknown> = {};
        for (let c = 0; c < fields.length; c++)
          row[fields[c].name] = toPublicValue(fields[c].type, columnValue(columns[c], r));
        yield row as R;
      }
    }
  }

  /**
   * The number of live rows (after merging, deletes and `where`) at the latest snapshot or the one
   * `snapshotId`/`asOf` names. Reads one column of each file (plus the filter's columns).
   */
  async count(options: Pick<ScanOptions, 'where' | 'snapshotId' | 'asOf'> = {}): Promise<number> {
    const s = this.schema;
    const column = s.trimmedPrimaryKeys[0] ?? s.fields[0].name;
    let n = 0;
    for await (const b of this.scanColumns({ ...options, select: [column] })) n += b.length;
    return n;
  }

  /**
   * Rows by primary key, one call for many keys: `result[i]` is the row of `keys[i]` (all
   * primary-key columns, partition keys included), or undefined when the table has no such row.
   * Reads only the partitions, buckets, files and row groups that can hold the keys, and merges
   * them like a scan (merge engine, deletes, deletion vectors). `select` and time travel as for scan.
   */
  get<K extends keyof R & string>(
    keys: readonly Partial<R>[],
    options: GetOptions & { readonly select: readonly K[] },
  ): Promise<(Pick<R, K> | undefined)[]>;
  get(keys: readonly Partial<R>[], options?: GetOptions): Promise<(R | undefined)[]>;
  async get(keys: readonly Partial<R>[], options: GetOptions = {}): Promise<(R | undefined)[]> {
    if (!Array.isArray(keys)) throw new EddyError('INVALID_ARGUMENT', 'get: keys must be an array of key objects');
    if (keys.length === 0) return [];
    const { snapshot, schema } = await this.resolveRead(options);
    const lookup = keyLookup(schema, keys, this.name);
    const out = this.projection(schema, options.select);
    if (!snapshot) return keys.map(() => undefined);
    const pk = schema.primaryKeys;
    const read = [...out, ...pk.filter((k) => !out.some((f) => f.name === k)).map((k) => schema.field(k))];
    const plan = await this.newScanPlanner(schema).plan({ snapshot, filter: lookup.filter });
    const reader = this.newSplitReader(schema);
    const found = new Map<string, R>();
    for (const split of plan.splits) {
      for await (const b of reader.readBatches(split, read, lookup.filter)) {
        const keyCols = pk.map((k) => b.columns[read.findIndex((f) => f.name === k)]);
        for (let r = 0; r < b.length; r++) {
          const row: Record<string, unknown> = {};
          for (let c = 0; c < out.length; c++)
            row[out[c].name] = toPublicValue(out[c].type, columnValue(b.columns[c], r));
          found.set(lookup.identity(keyCols.map((col) => columnValue(col, r))), row as R);
        }
      }
    }
    return lookup.wanted.map((id) => found.get(id));
  }

  /** All rows of a scan in an array (convenience for small tables and tests). */
  toArray<K extends keyof R & string>(options: ScanOptions & { readonly select: readonly K[] }): Promise<Pick<R, K>[]>;
  toArray(options?: ScanOptions): Promise<R[]>;
  async toArray(options: ScanOptions = {}): Promise<R[]> {
    const out: R[] = [];
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

  /**
   * Deletes the files an expiry with `deferFileDeletion` left for later (its `pendingFiles`), in
   * order; files already gone are fine. Call it once readers of the expired snapshots are done.
   */
  async deleteExpiredFiles(files: readonly string[]): Promise<void> {
    return deleteExpiredFiles(this, files);
  }

  /** Removes unreferenced files older than `olderThanMs` (default 1 day); `dryRun` only lists them. */
  async removeOrphanFiles(options: RemoveOrphanFilesOptions = {}): Promise<RemoveOrphanFilesResult> {
    return removeOrphanFiles(this, options);
  }

  /** Tags a snapshot (default: the latest) as `name`; see maintenance/tags.ts. */
  async createTag(name: string, options: CreateTagOptions = {}): Promise<Tag> {
    return createTag(this, name, options);
  }

  /** Deletes a tag (and, when its snapshot expired, the files only it kept). */
  async deleteTag(name: string): Promise<DeleteTagResult> {
    return deleteTag(this, name);
  }

  /** The tags, by snapshot id. */
  async listTags(): Promise<Tag[]> {
    return listTags(this);
  }

  /** Deletes tags past their retention time (and, with `olderThan`, older ones); returns their names. */
  async expireTags(options: ExpireTagsOptions = {}): Promise<string[]> {
    return expireTags(this, options);
  }

  /**
   * Rolls the table back to a snapshot or a tag: later snapshots, changelogs and tags are removed
   * (stop writers first); see maintenance/rollback.ts.
   */
  async rollbackTo(target: RollbackTarget): Promise<RollbackResult> {
    return rollbackTo(this, target);
  }
}
