/**
 * Where a table's files live: bucket directories, and the data, changelog and index files that
 * manifests name. Java: org.apache.paimon.utils.FileStorePathFactory.
 */
import { deserializeBinaryRow } from '../format/binary-row.ts';
import type { ManifestEntry } from '../format/manifest.ts';
import { type PartitionField, partitionPath } from '../format/partition-path.ts';
import { joinPath } from '../io/file-io.ts';
import type { TableSchema } from '../schema/table-schema.ts';
import type { InternalValue } from '../types/internal.ts';

/** The directory of a bucket: `bucket-N`, or `bucket-postpone` for Paimon's postpone bucket (-2). */
export const bucketDirName = (bucket: number): string => (bucket === -2 ? 'bucket-postpone' : `bucket-${bucket}`);

export class TablePaths {
  private readonly fields: PartitionField[];
  private readonly dirs = new Map<string, string>();

  constructor(
    readonly root: string,
    private readonly schema: TableSchema,
  ) {
    this.fields = schema.partitionKeys.map((k) => schema.field(k));
  }

  /** Partition values of a serialized partition row. */
  partitionValues(partition: Uint8Array): InternalValue[] {
    return deserializeBinaryRow(
      partition,
      this.fields.map((f) => f.type),
    );
  }

  /** The directory of a (partition, bucket), from partition values. */
  bucketDirOf(partition: readonly InternalValue[], bucket: number): string {
    const part = partitionPath(this.fields, partition, this.schema.options.partitionDefaultName);
    return joinPath(this.root, part, bucketDirName(bucket));
  }

  /** The directory of a (partition, bucket), from a serialized partition row (cached). */
  bucketDir(partition: Uint8Array, bucket: number): string {
    const key = `${Buffer.from(partition).toString('base64')}/${bucket}`;
    let dir = this.dirs.get(key);
    if (dir === undefined) {
      dir = this.bucketDirOf(this.partitionValues(partition), bucket);
      this.dirs.set(key, dir);
    }
    return dir;
  }

  /** The path of a data or changelog file in `dir` (its bucket directory). */
  dataFile(dir: string, file: { readonly fileName: string; readonly externalPath: string | null }): string {
    return file.externalPath ?? joinPath(dir, file.fileName);
  }

  /** The data (or changelog) file of an entry and its extra files (e.g. `.index` sidecars). */
  filesOf(e: ManifestEntry): string[] {
    const dir = this.bucketDir(e.partition, e.bucket);
    return [this.dataFile(dir, e.file), ...e.file.extraFiles.map((x) => joinPath(dir, x))];
  }

  indexFile(fileName: string, externalPath: string | null | undefined): string {
    return externalPath ?? joinPath(this.root, 'index', fileName);
  }

  statisticsFile(name: string): string {
    return joinPath(this.root, 'statistics', name);
  }
}
