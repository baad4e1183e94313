/**
 * The SDK modules the CLI needs beyond `@eddy/table`'s public exports (file-level codecs for
 * `files`, `verify` and `load`), imported from one place so a later public export is a one-line change.
 */

export { arrowToColumn } from '../../../packages/table/src/data/arrow.ts';
export { columnValue, compareValues, toPublicValue } from '../../../packages/table/src/data/columns.ts';
export { deserializeBinaryRow } from '../../../packages/table/src/format/binary-row.ts';
export { parseJsonWithLongs } from '../../../packages/table/src/format/json-long.ts';
export type { DataFileMeta, ManifestEntry } from '../../../packages/table/src/format/manifest.ts';
export { mergeManifestEntries } from '../../../packages/table/src/format/manifest.ts';
export type { ManifestFileMeta } from '../../../packages/table/src/format/manifest-list.ts';
export { readParquet } from '../../../packages/table/src/format/parquet.ts';
export { decodeSnapshot } from '../../../packages/table/src/format/snapshot.ts';
export { ChangelogManager } from '../../../packages/table/src/meta/changelog-manager.ts';
export type { DataSplit } from '../../../packages/table/src/meta/data-split.ts';
export type { InternalValue } from '../../../packages/table/src/types/internal.ts';
