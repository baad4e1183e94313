/**
 * `@eddy/table/inspect`: a table's files as Apache Paimon lays them out — snapshots, schemas,
 * manifest lists, manifests, index manifests, data files and the codecs to read them — for tools
 * that look inside a table: the `eddy` CLI (`describe`, `files`, `manifests`, `verify`), monitoring,
 * debugging. Read-only.
 *
 * The types mirror the on-disk format (spec/format.md; 64-bit fields as bigint or number as the
 * format stores them) and change when the format does. Reading and writing rows is the main entry
 * point, `@eddy/table`, which also exports the types used here (Table, Snapshot, TableSchema, ...).
 */
import type * as arrow from 'apache-arrow';
import { toPublicValue as publicValue } from './data/columns.ts';
import { deserializeBinaryRow } from './format/binary-row.ts';
import type { IndexManifestEntry } from './format/index-manifest.ts';
import type { DataFileMeta, ManifestEntry } from './format/manifest.ts';
import type { ManifestFileMeta } from './format/manifest-list.ts';
import { readParquet } from './format/parquet.ts';
import type { Snapshot } from './format/snapshot.ts';
import type { FileIO } from './io/file-io.ts';
import { type ConsumerRef, readConsumers } from './maintenance/references.ts';
import { ChangelogManager } from './meta/changelog-manager.ts';
import type { ScanPlan } from './scan/scan-planner.ts';
import type { TableSchema } from './schema/table-schema.ts';
import type { ScanOptions, Table } from './table.ts';
import type { InternalValue } from './types/internal.ts';

export { arrowToColumn } from './data/arrow.ts';
export {
  type Column,
  type ColumnData,
  columnValue,
  compareValues,
  toPublicValue,
  type VarBytes,
} from './data/columns.ts';
export { decodeConsumer } from './format/consumer.ts';
export type { DeletionVectorRange, GlobalIndexMeta, IndexManifestEntry } from './format/index-manifest.ts';
export {
  type DataFileMeta,
  FileKind,
  type ManifestEntry,
  mergeManifestEntries,
  type SimpleStats,
} from './format/manifest.ts';
export type { ManifestFileMeta } from './format/manifest-list.ts';
export type { ParquetReadOptions } from './format/parquet.ts';
export { decodeSnapshot } from './format/snapshot.ts';
export type { ConsumerRef } from './maintenance/references.ts';
export type { DataSplit, DeletionFile } from './meta/data-split.ts';
export type { ScanPlan } from './scan/scan-planner.ts';
export type { InternalValue } from './types/internal.ts';
export { deserializeBinaryRow, readParquet };

/** The smallest and largest primary key of a data file, by key column (see `TableInspector.keyRange`). */
export interface KeyRange {
  /** The file's smallest key (`minKey`), as `{ column: value }` in the values `scan()` returns. */
  readonly min: Readonly<Record<string, unknown>>;
  /** The file's largest key (`maxKey`). */
  readonly max: Readonly<Record<string, unknown>>;
}

/** Read-only access to one table's metadata and files. */
export class TableInspector {
  /** @internal */
  constructor(readonly table: Table) {}

  /** The table's storage. */
  get io(): FileIO {
    return this.table.io;
  }

  // --- snapshots -------------------------------------------------------------------------------

  /** The folder of `snapshot-N`, `EARLIEST` and `LATEST`. */
  get snapshotDirectory(): string {
    return this.table.snapshots.dir;
  }

  snapshotPath(id: number): string {
    return this.table.snapshots.snapshotPath(id);
  }

  async snapshot(id: number): Promise<Snapshot> {
    return this.table.snapshots.snapshot(id);
  }

  async snapshotExists(id: number): Promise<boolean> {
    return this.table.snapshots.snapshotExists(id);
  }

  /** The ids of the snapshot files present, ascending. */
  async listSnapshotIds(): Promise<number[]> {
    return this.table.snapshots.listSnapshotIds();
  }

  async earliestSnapshotId(): Promise<number | undefined> {
    return this.table.snapshots.earliestSnapshotId();
  }

  async latestSnapshotId(): Promise<number | undefined> {
    return this.table.snapshots.latestSnapshotId();
  }

  // --- long-lived changelogs (`changelog/changelog-N`, kept when changelog outlives snapshots) ----

  changelogPath(id: number): string {
    return this.changelogs().path(id);
  }

  /** The ids of the long-lived changelog files present, ascending. */
  async listChangelogIds(): Promise<number[]> {
    return this.changelogs().listIds();
  }

  /** Long-lived changelog `id` (a Snapshot as Paimon's Changelog is), or undefined once expired. */
  async changelog(id: number): Promise<Snapshot | undefined> {
    return this.changelogs().tryRead(id);
  }

  /**
   * The earliest snapshot a change feed can start from: the earliest snapshot, or the earliest
   * long-lived changelog before it (`changelog.num-retained.*` beyond the snapshots').
   */
  async earliestChangeId(): Promise<number | undefined> {
    const snapshot = await this.earliestSnapshotId();
    const changelog = this.table.schema.options.changelogDecoupled ? await this.changelogs().earliestId() : undefined;
    return changelog !== undefined && (snapshot === undefined || changelog < snapshot) ? changelog : snapshot;
  }

  private changelogs(): ChangelogManager {
    return new ChangelogManager(this.table.io, this.table.path);
  }

  // --- consumers -------------------------------------------------------------------------------

  /** The consumers (`consumer/consumer-<id>`) with the next snapshot each will read. */
  async consumers(): Promise<ConsumerRef[]> {
    return readConsumers(this.table);
  }

  // --- schemas ---------------------------------------------------------------------------------

  /** The ids of the schema files present (`schema/schema-N`), ascending. */
  async listSchemaIds(): Promise<number[]> {
    return this.table.schemas.listSchemaIds();
  }

  schemaPath(id: number): string {
    return this.table.schemas.schemaPath(id);
  }

  /** The schema with this id (`schema/schema-N`); data files name the schema they were written with. */
  async schema(id: number): Promise<TableSchema> {
    return id === this.table.schema.id ? this.table.schema : this.table.schemas.schema(id);
  }

  // --- manifests -------------------------------------------------------------------------------

  /** The path of a manifest, manifest list or index manifest (all live in `manifest/`). */
  manifestPath(name: string): string {
    return this.table.manifests.path(name);
  }

  async readManifestList(name: string): Promise<ManifestFileMeta[]> {
    return this.table.manifests.readManifestList(name);
  }

  async readManifest(name: string): Promise<ManifestEntry[]> {
    return [...(await this.table.manifests.readManifest(name))];
  }

  async readIndexManifest(name: string): Promise<IndexManifestEntry[]> {
    return [...(await this.table.manifests.readIndexManifest(name))];
  }

  /** The data files live at `snapshot`: its base and delta manifests merged (ADDs only). */
  async liveFiles(snapshot: Snapshot): Promise<ManifestEntry[]> {
    return this.table.newScanPlanner().liveEntries(snapshot);
  }

  /** Which files of which buckets a scan with these options reads (after partition and stats pruning). */
  async plan(options: ScanOptions = {}): Promise<ScanPlan> {
    return this.table.plan(options);
  }

  // --- files -----------------------------------------------------------------------------------

  /** The directory of a bucket, from the serialized partition row of a manifest entry. */
  bucketPath(partition: Uint8Array, bucket: number): string {
    return this.table.paths.bucketDir(partition, bucket);
  }

  /** The path of the data (or changelog) file of a manifest entry. */
  dataFilePath(entry: Pick<ManifestEntry, 'partition' | 'bucket' | 'file'>): string {
    return this.table.paths.dataFile(this.bucketPath(entry.partition, entry.bucket), entry.file);
  }

  /** The paths of a data file's extra files (its `.index`): beside the data file, external or not. */
  extraFilePaths(entry: Pick<ManifestEntry, 'partition' | 'bucket' | 'file'>): string[] {
    const dir = this.bucketPath(entry.partition, entry.bucket);
    return entry.file.extraFiles.map((x) => this.table.paths.extraFile(dir, entry.file, x));
  }

  /** The path of an index file (deletion vectors, hash index) of an index manifest entry. */
  indexFilePath(entry: IndexManifestEntry): string {
    return this.table.paths.indexFile(entry.fileName, entry.externalPath);
  }

  /** Partition values of a serialized partition row, in the format's internal representation. */
  partitionValues(partition: Uint8Array): InternalValue[] {
    return this.table.paths.partitionValues(partition);
  }

  /** Partition values of a serialized partition row as plain values, by partition key. */
  partition(partition: Uint8Array): Record<string, unknown> {
    const values = this.partitionValues(partition);
    const s = this.table.schema;
    return Object.fromEntries(s.partitionKeys.map((k, i) => [k, toPublic(s, k, values[i])]));
  }

  /**
   * The primary-key range of a data file (`minKey`/`maxKey`) as plain values by key column, decoded
   * with the schema the file was written with; undefined for append tables (their files have no key).
   */
  async keyRange(file: DataFileMeta): Promise<KeyRange | undefined> {
    const schema = await this.schema(file.schemaId);
    const names = schema.trimmedPrimaryKeys;
    if (names.length === 0) return undefined;
    const types = names.map((k) => schema.field(k).type);
    const decode = (bytes: Uint8Array) => {
      const values = deserializeBinaryRow(bytes, types);
      return Object.fromEntries(names.map((n, i) => [n, publicValue(types[i], values[i])]));
    };
    return { min: decode(file.minKey), max: decode(file.maxKey) };
  }

  /** Reads a Parquet data file into Arrow (the file's own columns: `_KEY_*`, `_SEQUENCE_NUMBER`, ...). */
  async readDataFile(path: string): Promise<arrow.Table> {
    return readParquet(await this.table.io.read(path), path);
  }
}

const toPublic = (s: TableSchema, key: string, v: InternalValue) => publicValue(s.field(key).type, v);

/** Inspection of a table's metadata and files (see `TableInspector`). */
export function inspect(table: Table): TableInspector {
  return new TableInspector(table);
}
