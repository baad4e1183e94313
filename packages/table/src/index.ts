/**
 * `@eddy/table`: Apache Paimon-format tables for TypeScript — open a warehouse (`Catalog`), write
 * rows (`upsert`, `delete`, `overwrite`, `newWriter`), read them (`scan`, `scanArrow`, `count`,
 * change feeds), maintain the table (`compact`, `expireSnapshots`, `removeOrphanFiles`).
 * Looking inside a table's files is `@eddy/table/inspect`; S3 storage is `@eddy/s3`.
 */
export { Catalog, type CatalogOptions } from './catalog/catalog.ts';
export type { Identifier } from './catalog/identifier.ts';
export type { CommitResult } from './commit/file-store-commit.ts';
export { parseJsonWithLongs } from './format/json-long.ts';
export type { CommitKind, Snapshot } from './format/snapshot.ts';
export { type FileIO, type FileStatus, joinPath } from './io/file-io.ts';
export { LocalFileIO } from './io/local-file-io.ts';
export { fileIOForWarehouse, type WarehouseOptions, warehousePath } from './io/warehouse.ts';
export type { ExpireSnapshotsOptions, ExpireSnapshotsResult } from './maintenance/expire-snapshots.ts';
export type { RemoveOrphanFilesOptions, RemoveOrphanFilesResult } from './maintenance/remove-orphan-files.ts';
export type { RollbackResult, RollbackTarget } from './maintenance/rollback.ts';
export type { CreateTagOptions, DeleteTagResult, ExpireTagsOptions, Tag } from './maintenance/tags.ts';
export {
  type ChangelogProducer,
  type CoreOptions,
  durationMillis,
  type MergeEngine,
  type SequenceGroup,
} from './options/core-options.ts';
export {
  and,
  between,
  eq,
  ge,
  gt,
  isIn,
  isNotNull,
  isNull,
  le,
  like,
  lt,
  ne,
  not,
  or,
  type Predicate,
  startsWith,
} from './scan/predicate.ts';
export { parseWhere } from './scan/where.ts';
export { type ColumnPosition, type SchemaChange, schemaDiff } from './schema/schema-change.ts';
export { type SchemaInput, TableSchema } from './schema/table-schema.ts';
export type { ChangeBatch, ChangeEvent, ChangeOptions, ScanMode } from './stream/change-reader.ts';
export {
  type BucketHealth,
  type CompactOptions,
  type CompactResult,
  type GetOptions,
  type OverwriteOptions,
  type ScanOptions,
  Table,
  TableWrite,
  type WriterOptions,
} from './table.ts';
export { type DataField, type DataType, formatDataType, parseDataType } from './types/data-types.ts';
export { EddyError, type EddyErrorCode } from './types/errors.ts';
export type { RowKindName } from './types/internal.ts';
export type { ColumnValue, NullableRow, RowOf, SchemaShape } from './types/row-type.ts';
export { MemoryBudget } from './write/memory-budget.ts';
export type { Row } from './write/table-writer.ts';
