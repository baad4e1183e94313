import * as nodePath from 'node:path';
import type { Column } from '../data/columns.ts';
import { BLOOM_FILTER, BloomFilter64 } from '../format/bloom-filter.ts';
import { encodeFileIndex } from '../format/file-index.ts';
import type { FileIO } from '../io/file-io.ts';
import { type FileIndexWriteOptions, fileIndexWriteOptions } from '../options/file-index-options.ts';
import type { TableSchema } from '../schema/table-schema.ts';
import type { DataField } from '../types/data-types.ts';

/** Where a data file's index went: into its manifest entry, or a `<data file>.index` file. */
export interface WrittenFileIndex {
  readonly embeddedIndex: Uint8Array | null;
  readonly extraFiles: string[];
}

export const NO_FILE_INDEX: WrittenFileIndex = { embeddedIndex: null, extraFiles: [] };

/** The suffix of a data file's index file (DataFilePathFactory.INDEX_PATH_SUFFIX). */
export const INDEX_FILE_SUFFIX = '.index';

/**
 * Builds the file index of a data file about to be written at `dataPath` (Java's
 * DataFileIndexWriter): one bloom filter per configured column over the rows of `columns` (the
 * table's columns, `fields` order; a primary-key file indexes every record, retractions too). Up
 * to `file-index.in-manifest-threshold` bytes it is returned for the manifest entry; above, it is
 * written next to the data file as `<data file>.index` and listed in `_EXTRA_FILES`.
 */
export async function writeFileIndex(
  io: FileIO,
  dataPath: string,
  fields: readonly DataField[],
  columns: readonly Column[] | ((fieldIndex: number) => readonly Column[]),
  options: FileIndexWriteOptions | undefined,
): Promise<WrittenFileIndex> {
  if (!options) return NO_FILE_INDEX;
  // A file written in parts (compaction's merged batches, a writer's permuted buffer) gives each
  // indexed column as the pieces of its records, in file order.
  const piecesOf = typeof columns === 'function' ? columns : (i: number) => [columns[i]];
  const parts = options.bloom.map((b) => {
    const i = fields.findIndex((f) => f.name === b.column);
    const filter = BloomFilter64.forItems(b.items, b.fpp);
    for (const piece of piecesOf(i)) filter.addColumn(piece);
    return { column: b.column, indexType: BLOOM_FILTER, bytes: filter.serialize() };
  });
  const bytes = encodeFileIndex(parts);
  if (bytes.length <= options.inManifestThreshold) return { embeddedIndex: bytes, extraFiles: [] };
  const indexPath = dataPath + INDEX_FILE_SUFFIX;
  await io.write(indexPath, bytes);
  return { embeddedIndex: null, extraFiles: [nodePath.posix.basename(indexPath)] };
}

const parsed = new WeakMap<TableSchema, FileIndexWriteOptions | null>();

/** The file index a writer of `schema` builds (parsed once per schema; throws as Java's writer would). */
export function schemaFileIndexOptions(schema: TableSchema): FileIndexWriteOptions | undefined {
  let o = parsed.get(schema);
  if (o === undefined) {
    o = fileIndexWriteOptions(schema.rawOptions, schema.fields) ?? null;
    parsed.set(schema, o);
  }
  return o ?? undefined;
}
