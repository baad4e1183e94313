import type { FileIO } from '../io/file-io.ts';
import type { SchemaManager } from '../schema/schema-manager.ts';
import type { TableSchema } from '../schema/table-schema.ts';
import type { ManifestFiles } from './manifest-files.ts';
import type { SnapshotManager } from './snapshot-manager.ts';
import type { TablePaths } from './table-paths.ts';

/**
 * What the parts of a table (commit, scan, compaction, maintenance, change feeds) share: its
 * storage, schema and metadata managers. The `Table` facade is one; the parts take this instead of
 * the facade, so none of them imports it.
 */
export interface TableContext {
  readonly io: FileIO;
  /** The table's root directory (or `s3://bucket/prefix`). */
  readonly path: string;
  /** `database.table`, for messages. */
  readonly name: string;
  readonly schema: TableSchema;
  readonly schemas: SchemaManager;
  readonly snapshots: SnapshotManager;
  readonly manifests: ManifestFiles;
  readonly paths: TablePaths;
}
