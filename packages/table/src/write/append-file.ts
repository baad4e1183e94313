import * as nodePath from 'node:path';
import { arrowField, makeRecordBatch } from '../data/arrow.ts';
import { type Column, sliceColumn } from '../data/columns.ts';
import type { DataFileMeta } from '../format/manifest.ts';
import { encodeTuning, encodingHints, writeParquetStream } from '../format/parquet.ts';
import { type ColumnStats, columnStats, EMPTY_STATS, mergeStats, toSimpleStats } from '../format/stats.ts';
import type { FileIO } from '../io/file-io.ts';
import type { TableSchema } from '../schema/table-schema.ts';
import { schemaFileIndexOptions, type WrittenFileIndex, writeFileIndex } from './file-index-writer.ts';
import { type FileSource, localMillisAsUtc } from './key-value-file.ts';

/**
 * The manifest entry of an append-table data file (the table's columns only; no key, sequence or
 * kind columns): its rows hold sequence numbers `minSequenceNumber` onwards, one per row
 * (Java's RowDataRollingFileWriter).
 */
export function appendFileMeta(
  schema: TableSchema,
  fileName: string,
  fileSize: number,
  rowCount: number,
  stats: readonly ColumnStats[],
  minSequenceNumber: bigint,
  index: WrittenFileIndex,
  fileSource: FileSource,
): DataFileMeta {
  return {
    fileName,
    fileSize,
    rowCount,
    minKey: EMPTY_STATS.minValues,
    maxKey: EMPTY_STATS.maxValues,
    keyStats: EMPTY_STATS,
    valueStats: toSimpleStats(
      schema.fields.map((f) => f.type),
      stats,
    ),
    minSequenceNumber,
    maxSequenceNumber: minSequenceNumber + BigInt(rowCount - 1),
    schemaId: schema.id,
    level: 0,
    extraFiles: index.extraFiles,
    creationTime: localMillisAsUtc(),
    deleteRowCount: 0,
    embeddedIndex: index.embeddedIndex,
    fileSource,
    valueStatsCols: null,
    externalPath: null,
    firstRowId: null,
    writeCols: null,
  };
}

/**
 * Writes one append-table data file at `path` from batches of the table's columns (in `schema`'s
 * field order) as they arrive: the encoder (a worker) takes a slice at a time, so memory holds the
 * batch being encoded and the file's compressed bytes, not its decoded rows. Undefined when the
 * batches hold no row (nothing is written).
 */
export async function writeAppendFileFrom(
  io: FileIO,
  schema: TableSchema,
  path: string,
  batches: AsyncIterable<readonly Column[]>,
  minSequenceNumber: bigint,
  fileSource: FileSource,
  signal?: AbortSignal,
): Promise<DataFileMeta | undefined> {
  const fields = schema.fields;
  const it = batches[Symbol.asyncIterator]();
  let current: readonly Column[] | undefined;
  let offset = 0;
  const nextNonEmpty = async (): Promise<readonly Column[] | undefined> => {
    for (;;) {
      const r = await it.next();
      if (r.done) return undefined;
      if (r.value[0].length > 0) return r.value;
    }
  };
  current = await nextNonEmpty();
  if (!current) return undefined;
  const first = current;
  const indexed = schemaFileIndexOptions(schema);
  const indexPieces = new Map<number, Column[]>();
  if (indexed)
    for (const b of indexed.bloom)
      indexPieces.set(
        fields.findIndex((f) => f.name === b.column),
        [],
      );
  let stats: ColumnStats[] = [];
  let rows = 0;
  const arrowFields = fields.map((f) => arrowField(f));
  const nextSlice = async () => {
    signal?.throwIfAborted();
    while (current && offset >= current[0].length) {
      current = await nextNonEmpty();
      offset = 0;
    }
    if (!current) return undefined;
    const end = Math.min(current[0].length, offset + encodeTuning.sliceRows);
    const slice = current.map((c) => (offset === 0 && end === c.length ? c : sliceColumn(c, offset, end)));
    offset = end;
    const s = slice.map(columnStats);
    stats = rows === 0 ? s : s.map((x, i) => mergeStats(fields[i].type, [stats[i], x]));
    rows += slice[0].length;
    for (const [i, pieces] of indexPieces) pieces.push(slice[i]);
    return makeRecordBatch(arrowFields, slice);
  };
  const bytes = await writeParquetStream(
    nextSlice,
    {
      compression: schema.options.fileCompression,
      zstdLevel: schema.options.zstdLevel,
      ...encodingHints(fields, first),
    },
    path,
  );
  signal?.throwIfAborted();
  await io.write(path, bytes);
  const index = await writeFileIndex(io, path, fields, (i) => indexPieces.get(i) ?? [], indexed);
  return appendFileMeta(
    schema,
    nodePath.posix.basename(path),
    bytes.byteLength,
    rows,
    stats,
    minSequenceNumber,
    index,
    fileSource,
  );
}
