import { deserializeBinaryRow } from '../format/binary-row.ts';
import { BucketFunction } from '../format/bucket.ts';
import type { DataFileMeta, ManifestEntry, SimpleStats } from '../format/manifest.ts';
import { FileKind } from '../format/manifest.ts';
import type { Snapshot } from '../format/snapshot.ts';
import type { ColumnStats } from '../format/stats.ts';
import type { FileIO } from '../io/file-io.ts';
import { mapLimit } from '../io/map-limit.ts';
import type { DataSplit } from '../meta/data-split.ts';
import type { ManifestFiles } from '../meta/manifest-files.ts';
import type { SnapshotManager } from '../meta/snapshot-manager.ts';
import type { TablePaths } from '../meta/table-paths.ts';
import { fileIndexColumns, fileIndexReadEnabled } from '../options/file-index-options.ts';
import type { SchemaManager } from '../schema/schema-manager.ts';
import type { TableSchema } from '../schema/table-schema.ts';
import { sameType } from '../schema/type-evolution.ts';
import type { DataType } from '../types/data-types.ts';
import { EddyError } from '../types/errors.ts';
import type { InternalValue } from '../types/internal.ts';
import { FileIndexReader, type FileIndexView, provesAbsent } from './file-index-filter.ts';
import { type BoundPredicate, isLogical, mayMatch } from './predicate.ts';

export interface ScanPlan {
  readonly snapshot: Snapshot | undefined;
  readonly splits: readonly DataSplit[];
  /** Files pruned by partition, stats or file index, for tests and `explain`. */
  readonly skippedFiles: number;
  /** Of skippedFiles, those only a file index (bloom filter) ruled out. */
  readonly skippedByIndex?: number;
}

export interface PlanOptions {
  /** A snapshot already resolved (a tag's, or one a reader picked). */
  readonly snapshot?: Snapshot;
  readonly snapshotId?: number;
  /** Time travel: the latest snapshot at or before this time. */
  readonly asOfMillis?: number;
  readonly filter?: BoundPredicate;
  /**
   * Which levels to read: `batch` (default) as a batch read does (see batchScanSkipsLevel0);
   * `streaming-full` as the full phase of a change feed (`latest-full`, Java's DataTableStreamScan
   * starting scan), which depends on the changelog producer; `all` every level (compaction).
   */
  readonly levels?: 'batch' | 'streaming-full' | 'all' | 'compaction';
}

/** snapshot → manifest lists → manifests → live files grouped by (partition, bucket), pruned. */
export class ScanPlanner {
  private readonly fileIndex: FileIndexReader | undefined;

  constructor(
    private readonly schema: TableSchema,
    private readonly schemas: SchemaManager,
    private readonly snapshots: SnapshotManager,
    private readonly manifests: ManifestFiles,
    /** Where data files are, to read their `.index` files; without it only embedded indexes are used. */
    files?: { readonly io: FileIO; readonly paths: TablePaths },
  ) {
    this.fileIndex = files && new FileIndexReader(files.io, files.paths);
  }

  async resolveSnapshot(options: PlanOptions): Promise<Snapshot | undefined> {
    if (options.snapshot !== undefined) return options.snapshot;
    if (options.snapshotId !== undefined) {
      if (!Number.isInteger(options.snapshotId) || options.snapshotId < 1) {
        throw new EddyError('INVALID_ARGUMENT', `snapshot id must be a positive integer, got ${options.snapshotId}`);
      }
      return this.snapshots.snapshot(options.snapshotId);
    }
    if (options.asOfMillis !== undefined) {
      const s = await this.snapshots.snapshotAsOf(options.asOfMillis);
      if (!s)
        throw new EddyError('NOT_FOUND', `no snapshot at or before ${new Date(options.asOfMillis).toISOString()}`);
      return s;
    }
    return this.snapshots.latestSnapshot();
  }

  /** All live (ADD, merged) entries of a snapshot, with partition pruning when a filter is given. */
  async liveEntries(snapshot: Snapshot, filter?: BoundPredicate): Promise<ManifestEntry[]> {
    const partFilter = filter && this.partitionOnly(filter);
    if (!partFilter) return this.manifests.liveEntries(snapshot);
    const partTypes = this.partitionTypes();
    const keys = this.schema.partitionKeys;
    return this.manifests.liveEntries(snapshot, {
      manifest: (m) => mayMatch(partFilter, this.statsLookup(m.partitionStats, partTypes, keys, undefined)),
      // A pruned manifest may hold the ADD of a file whose DELETE sits in a kept manifest (a commit
      // touching several partitions): filter entries by partition too, before merging.
      entry: (e) => {
        const part = deserializeBinaryRow(e.partition, partTypes);
        return mayMatch(partFilter, (c: string) => {
          const i = keys.indexOf(c);
          if (i < 0) return undefined;
          return { min: part[i], max: part[i], nullCount: part[i] === null ? 1 : 0, rowCount: 1 };
        });
      },
    });
  }

  async plan(options: PlanOptions = {}): Promise<ScanPlan> {
    const snapshot = await this.resolveSnapshot(options);
    if (!snapshot) return { snapshot, splits: [], skippedFiles: 0 };
    const schema = this.schema;
    const o = schema.options;
    const filter = options.filter;
    const entries = await this.liveEntries(snapshot, filter);
    const partTypes = this.partitionTypes();
    const levels = options.levels ?? 'batch';
    const readsLevel = levelFilter(schema, levels);
    // Value stats may prune a file only where no other file can shadow its rows: level 0 skipped
    // for deletion vectors or first-row (the lookup compaction keeps every key in one level).
    const skipLevel0 = batchScanSkipsLevel0(schema) && (levels === 'batch' || o.deletionVectorsEnabled);
    const partFilter = filter && this.partitionOnly(filter);
    const groups = new Map<string, { e: ManifestEntry; files: DataFileMeta[]; partition: InternalValue[] }>();
    let skipped = 0;
    // Postpone-bucket tables (`bucket` = -2): rows still in `bucket-postpone/` are invisible to
    // batch reads until compaction moves them into real buckets (Java's onlyReadRealBuckets).
    const realBucketsOnly = o.bucket === -2;
    for (const e of entries) {
      if (!readsLevel(e.file.level)) continue;
      if (realBucketsOnly && e.bucket < 0) continue;
      const key = `${Buffer.from(e.partition).toString('base64')}/${e.bucket}`;
      let g = groups.get(key);
      if (!g) {
        g = { e, files: [], partition: deserializeBinaryRow(e.partition, partTypes) };
        groups.set(key, g);
      }
      g.files.push(e.file);
    }
    const splits: DataSplit[] = [];
    const keyBuckets = filter ? this.bucketsOfKeyFilter(filter) : undefined;
    const indexColumns = filter && this.fileIndex ? this.indexColumns(filter) : undefined;
    let skippedByIndex = 0;
    for (const g of groups.values()) {
      // `key = x` on every bucket-key column: only x's bucket can hold it (when the files were
      // written with the table's bucket count).
      if (keyBuckets && g.e.totalBuckets === keyBuckets.totalBuckets && !keyBuckets.buckets.has(g.e.bucket)) {
        skipped += g.files.length;
        continue;
      }
      if (partFilter) {
        const part = g.partition;
        const lookup = (c: string) => {
          const i = schema.partitionKeys.indexOf(c);
          if (i < 0) return undefined;
          return { min: part[i], max: part[i], nullCount: part[i] === null ? 1 : 0, rowCount: 1 };
        };
        if (!mayMatch(partFilter, lookup)) {
          skipped += g.files.length;
          continue;
        }
      }
      let files = g.files;
      if (filter) {
        // Key stats are safe for every file: all versions of a key share the key. Value stats are
        // safe only when no other file in the bucket can shadow a row (append tables, DV mode, or a
        // single file); otherwise skipping an old file could resurrect a row. The same holds for
        // file indexes: Java uses them on value columns of append and deletion-vector tables only
        // (KeyValueFileStore: file-index.read.enabled && deletion-vectors.enabled).
        const valueStatsSafe = !schema.isPrimaryKeyTable || skipLevel0 || files.length === 1;
        const dir = this.fileIndex && indexColumns ? this.dirOf(g.e) : undefined;
        const verdicts = await mapLimit(files, 16, (f) =>
          this.fileMayMatch(f, filter, valueStatsSafe, dir === undefined ? undefined : { dir, ...indexColumns! }),
        );
        const kept: DataFileMeta[] = [];
        files.forEach((f, i) => {
          if (verdicts[i] === true) kept.push(f);
          else {
            skipped++;
            if (verdicts[i] === 'index') skippedByIndex++;
          }
        });
        files = kept;
      }
      if (files.length === 0) continue;
      files = [...files].sort((a, b) =>
        a.minSequenceNumber < b.minSequenceNumber ? -1 : a.minSequenceNumber > b.minSequenceNumber ? 1 : 0,
      );
      splits.push({
        snapshotId: snapshot.id,
        partition: g.partition,
        partitionBytes: g.e.partition,
        bucket: g.e.bucket,
        totalBuckets: g.e.totalBuckets,
        files,
      });
    }
    if (schema.isPrimaryKeyTable && o.deletionVectorsEnabled && snapshot.indexManifest)
      await this.attachDeletionVectors(snapshot.indexManifest, splits);
    return { snapshot, splits, skippedFiles: skipped, skippedByIndex };
  }

  private dirOf(e: ManifestEntry): string {
    return (this.fileIndex as FileIndexReader).paths.bucketDir(e.partition, e.bucket);
  }

  /**
   * The columns of a filter's equality and IN leaves, which a file index may rule out, and which
   * of them the table's options index (only then is a `.index` file worth a request). Undefined
   * when `file-index.read.enabled` is false or the filter has no such leaf.
   */
  private indexColumns(filter: BoundPredicate): { eqColumns: Set<string>; optionColumns: Set<string> } | undefined {
    if (!fileIndexReadEnabled(this.schema.rawOptions)) return undefined;
    const eqColumns = new Set<string>();
    const walk = (p: BoundPredicate) => {
      if (isLogical(p)) for (const c of p.children) walk(c);
      else if (p.op === '=' || p.op === 'in') eqColumns.add(p.column);
    };
    walk(filter);
    if (eqColumns.size === 0) return undefined;
    const optionColumns = new Set<string>();
    for (const cols of fileIndexColumns(this.schema.rawOptions).values()) for (const c of cols) optionColumns.add(c);
    return { eqColumns, optionColumns };
  }

  /**
   * The buckets a filter's rows can be in, when it pins every bucket-key column: `k = x`, `k IN
   * (...)` on a single bucket key, equalities on all of them under an AND, and ORs of such (a
   * batched get). Undefined when the filter does not pin them.
   */
  private bucketsOfKeyFilter(filter: BoundPredicate): { buckets: Set<number>; totalBuckets: number } | undefined {
    const schema = this.schema;
    const n = schema.options.bucket;
    if (n <= 0 || schema.bucketKeys.length === 0) return undefined;
    const keys = schema.bucketKeys;
    const fn = new BucketFunction(
      keys.map((k) => schema.field(k).type),
      n,
    );
    const of = (p: BoundPredicate): Set<number> | undefined => {
      if (!isLogical(p)) {
        if (keys.length !== 1 || p.column !== keys[0]) return undefined;
        if (p.op === '=') return new Set([fn.bucket([p.value])]);
        if (p.op === 'in') return new Set(p.values.filter((v) => v !== null).map((v) => fn.bucket([v])));
        return undefined;
      }
      if (p.op === 'or') {
        const out = new Set<number>();
        for (const c of p.children) {
          const b = of(c);
          if (!b) return undefined;
          for (const x of b) out.add(x);
        }
        return out;
      }
      // AND: equalities among the children that cover every bucket key pin one bucket; else any
      // child that pins a set bounds the whole (every row satisfies every child).
      const eqs = new Map<string, InternalValue>();
      for (const c of p.children) if (!isLogical(c) && c.op === '=') eqs.set(c.column, c.value);
      if (keys.every((k) => eqs.has(k))) return new Set([fn.bucket(keys.map((k) => eqs.get(k)!))]);
      let out: Set<number> | undefined;
      for (const c of p.children) {
        const b = of(c);
        if (b) out = out ? new Set([...out].filter((x) => b.has(x))) : b;
      }
      return out;
    };
    const buckets = of(filter);
    return buckets && { buckets, totalBuckets: n };
  }

  private async attachDeletionVectors(indexManifest: string, splits: DataSplit[]): Promise<void> {
    const index = await this.manifests.readIndexManifest(indexManifest);
    const byBucket = new Map<string, DataSplit>();
    for (const s of splits) byBucket.set(`${Buffer.from(s.partitionBytes).toString('base64')}/${s.bucket}`, s);
    for (const e of index) {
      if (e.kind !== FileKind.ADD || e.indexType !== 'DELETION_VECTORS' || !e.deletionVectorRanges) continue;
      const split = byBucket.get(`${Buffer.from(e.partition).toString('base64')}/${e.bucket}`);
      if (!split) continue;
      const map = new Map(split.deletionFiles ?? []);
      for (const r of e.deletionVectorRanges) {
        if (r)
          map.set(r.fileName, {
            indexFile: e.fileName,
            indexFileSize: e.fileSize,
            offset: r.offset,
            length: r.length,
            cardinality: r.cardinality,
          });
      }
      (split as { deletionFiles?: DataSplit['deletionFiles'] }).deletionFiles = map;
    }
  }

  private partitionTypes(): DataType[] {
    return this.schema.partitionKeys.map((k) => this.schema.field(k).type);
  }

  /** The part of a filter that only touches partition columns (a conservative over-approximation). */
  private partitionOnly(p: BoundPredicate): BoundPredicate | undefined {
    const parts = this.schema.partitionKeys;
    if (isLogical(p)) {
      const kids = p.children.map((c) => this.partitionOnly(c));
      if (p.op === 'or')
        return kids.every((c) => c !== undefined) ? { op: 'or', children: kids as BoundPredicate[] } : undefined;
      const known = kids.filter((c): c is BoundPredicate => c !== undefined);
      return known.length === 0 ? undefined : { op: 'and', children: known };
    }
    return parts.includes(p.column) ? p : undefined;
  }

  private statsLookup(stats: SimpleStats, types: DataType[], names: readonly string[], rowCount: number | undefined) {
    if (stats.nullCounts !== null && stats.nullCounts.length === 0 && names.length > 0) return () => undefined;
    const nullable = types.map((t) => ({ ...t, nullable: true }) as DataType);
    let mins: InternalValue[];
    let maxs: InternalValue[];
    try {
      mins = deserializeBinaryRow(stats.minValues, nullable);
      maxs = deserializeBinaryRow(stats.maxValues, nullable);
    } catch {
      // Stats rows from writers with other column sets: no pruning rather than a wrong answer.
      return () => undefined;
    }
    return (c: string): (ColumnStats & { rowCount: number }) | undefined => {
      const i = names.indexOf(c);
      if (i < 0) return undefined;
      const nc = stats.nullCounts?.[i];
      if (nc === null || nc === undefined) {
        if (mins[i] === null && maxs[i] === null) return undefined;
        return { min: mins[i], max: maxs[i], nullCount: 0, rowCount: rowCount ?? Number.MAX_SAFE_INTEGER };
      }
      return { min: mins[i], max: maxs[i], nullCount: nc, rowCount: rowCount ?? Number.MAX_SAFE_INTEGER };
    };
  }

  /** True, or why the file cannot match: 'stats' (or partition), or 'index' (only its file index rules it out). */
  private async fileMayMatch(
    file: DataFileMeta,
    filter: BoundPredicate,
    valueStatsSafe: boolean,
    index?: { dir: string; eqColumns: Set<string>; optionColumns: Set<string> },
  ): Promise<true | 'stats' | 'index'> {
    const fileSchema = file.schemaId === this.schema.id ? this.schema : await this.schemas.schema(file.schemaId);
    // Stats are keyed by the file schema's names; map the current names through field ids.
    // A column whose type changed since the file was written has stats in the old type: no pruning.
    const nameInFile = (c: string) => {
      const cur = this.schema.field(c);
      const old = fileSchema.fields.find((f) => f.id === cur.id);
      return old && sameType(old.type, cur.type) ? old.name : undefined;
    };
    const keyNames = fileSchema.trimmedPrimaryKeys;
    const keyLookup = this.statsLookup(
      file.keyStats,
      keyNames.map((k) => fileSchema.field(k).type),
      keyNames,
      file.rowCount,
    );
    let valueLookup: ((c: string) => (ColumnStats & { rowCount: number }) | undefined) | undefined;
    if (valueStatsSafe) {
      const cols = file.valueStatsCols ?? fileSchema.fields.map((f) => f.name);
      const types = cols.map((c) => fileSchema.fields.find((f) => f.name === c)?.type);
      if (types.every((t) => t !== undefined))
        valueLookup = this.statsLookup(file.valueStats, types as DataType[], cols, file.rowCount);
    }
    const stats = (c: string) => {
      const n = nameInFile(c);
      if (n === undefined) return undefined;
      if (this.schema.isPrimaryKeyTable && keyNames.includes(n)) {
        const s = keyLookup(n);
        if (s) return s;
      }
      return valueLookup?.(n);
    };
    if (!mayMatch(filter, stats)) return 'stats';
    if (!index || !this.fileIndex || (file.embeddedIndex === null && file.extraFiles.length === 0)) return true;
    // The index of a key column is safe in every file, as key stats are (every version of a row
    // shares its key, so a file without the key holds no version of it); value columns only
    // where value stats are.
    const usable = new Map<string, string>();
    for (const c of index.eqColumns) {
      const n = nameInFile(c);
      if (n === undefined) continue;
      if (valueStatsSafe || (this.schema.isPrimaryKeyTable && fileSchema.primaryKeys.includes(n))) usable.set(c, n);
    }
    if (usable.size === 0) return true;
    const fileNames = [...usable.values()];
    const view: FileIndexView | undefined = await this.fileIndex.view(
      file,
      index.dir,
      fileNames,
      (n) => fileSchema.fields.find((f) => f.name === n)?.type,
      [...usable.keys()].some((c) => index.optionColumns.has(c)) || fileNames.some((n) => optionIndexes(fileSchema, n)),
    );
    if (!view) return true;
    const absent = (c: string, v: InternalValue) => {
      const n = usable.get(c);
      return n !== undefined && provesAbsent(view.column(n), this.schema.field(c).type, v);
    };
    return mayMatch(filter, stats, absent) ? true : 'index';
  }
}

/** Whether the options of the schema a file was written with index column `name`. */
function optionIndexes(fileSchema: TableSchema, name: string): boolean {
  for (const cols of fileIndexColumns(fileSchema.rawOptions).values()) if (cols.includes(name)) return true;
  return false;
}

/**
 * Whether a batch read of `schema` skips level 0 (Java's CoreOptions.batchScanSkipLevel0, applied in
 * AbstractBatchTableScan): primary-key tables with deletion vectors or the `first-row` merge engine.
 * Their writers compact level 0 up before each commit (the lookup strategy), so level 0 holds only
 * rows no compaction has settled yet: with `write-only` they stay invisible until a compaction.
 */
export function batchScanSkipsLevel0(schema: TableSchema): boolean {
  const o = schema.options;
  return schema.isPrimaryKeyTable && (o.deletionVectorsEnabled || o.mergeEngine === 'first-row');
}

/**
 * The levels a plan reads. Batch: all but level 0 where batchScanSkipsLevel0. Streaming full phase
 * (DataTableStreamScan.tryFirstPlan): `lookup` skips level 0 (its rows reach the feed as the
 * changelog of the compaction that settles them), `full-compaction` reads only the top level (the
 * rest comes as the next full compaction's changelog), other producers read every level.
 */
function levelFilter(
  schema: TableSchema,
  levels: 'batch' | 'streaming-full' | 'all' | 'compaction',
): (level: number) => boolean {
  const o = schema.options;
  // Compaction reads every level (with the deletion vectors attached).
  if (levels === 'compaction') return () => true;
  // Deletion-vector tables: Eddy reads them only with their vectors, above level 0.
  if (!schema.isPrimaryKeyTable || (levels === 'all' && !o.deletionVectorsEnabled)) return () => true;
  if (levels === 'batch') return batchScanSkipsLevel0(schema) ? (l) => l > 0 : () => true;
  if (o.changelogProducer === 'full-compaction' && !o.deletionVectorsEnabled) return (l) => l === o.numLevels - 1;
  if (o.changelogProducer === 'lookup' || o.deletionVectorsEnabled) return (l) => l > 0;
  return () => true;
}
