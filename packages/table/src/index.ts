export { Catalog, type CatalogOptions } from './catalog/catalog.ts';
export { type Identifier, parseIdentifier, validateName } from './catalog/identifier.ts';
export type { CommitResult } from './commit/file-store-commit.ts';
export type { DataFileMeta } from './format/manifest.ts';
export type { CommitKind, Snapshot } from './format/snapshot.ts';
export { type FileIO, type FileStatus, joinPath } from './io/file-io.ts';
export { LocalFileIO } from './io/local-file-io.ts';
export {
  endpointNeedsPathStyle,
  parseS3Path,
  type S3Credentials,
  S3FileIO,
  type S3FileIOOptions,
  type S3IOStats,
  type S3RequestCounts,
  type S3RequestKind,
} from './io/s3-file-io.ts';
export { fileIOForWarehouse, type WarehouseOptions, warehousePath } from './io/warehouse.ts';
export {
  deleteExpiredFiles,
  type ExpireSnapshotsOptions,
  type ExpireSnapshotsResult,
  expireSnapshots,
} from './maintenance/expire-snapshots.ts';
export { type ConsumerRef, readConsumers } from './maintenance/references.ts';
export {
  type RemoveOrphanFilesOptions,
  type RemoveOrphanFilesResult,
  removeOrphanFiles,
} from './maintenance/remove-orphan-files.ts';
export { type RollbackResult, type RollbackTarget, rollbackTo } from './maintenance/rollback.ts';
export {
  type CreateTagOptions,
  createTag,
  type DeleteTagResult,
  deleteTag,
  type ExpireTagsOptions,
  expireTags,
  getTag,
  listTags,
  type Tag,
} from './maintenance/tags.ts';
export type { DataSplit, DeletionFile } from './meta/data-split.ts';
export { durationMillis } from './options/core-options.ts';
export { and, eq, ge, gt, isIn, isNotNull, isNull, le, lt, ne, or, type Predicate } from './scan/predicate.ts';
export type { ScanPlan } from './scan/scan-planner.ts';
export type { SchemaInput } from './schema/table-schema.ts';
export { TableSchema } from './schema/table-schema.ts';
export type { ChangeBatch, ChangeEvent, ChangeOptions, ScanMode } from './stream/change-reader.ts';
export {
  type BucketHealth,
  type CompactOptions,
  type CompactResult,
  type OverwriteOptions,
  type ScanOptions,
  Table,
  TableWrite,
  type WriterOptions,
} from './table.ts';
export { type DataField, type DataType, formatDataType, parseDataType } from './types/data-types.ts';
export { EddyError, type EddyErrorCode } from './types/errors.ts';
export type { RowKindName } from './types/internal.ts';
export { MemoryBudget } from './write/memory-budget.ts';
export type { Row } from './write/table-writer.ts';
