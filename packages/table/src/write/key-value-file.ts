import { randomUUID } from 'node:crypto';
import * as nodePath from 'node:path';
import { arrowField, arrowToColumn, makeRecordBatch } from '../data/arrow.ts';
import { type Column, columnValue, compareValues, concatColumns, gatherColumn, sliceColumn } from '../data/columns.ts';
import { serializeBinaryRow } from '../format/binary-row.ts';
import type { DataFileMeta } from '../format/manifest.ts';
import { encodingHints, readParquet, writeParquetSlices } from '../format/parquet.ts';
import { type ColumnStats, columnStatsOf, toSimpleStats } from '../format/stats.ts';
import { type FileIO, joinPath } from '../io/file-io.ts';
import {
  KEY_FIELD_ID_START,
  KEY_FIELD_PREFIX,
  SEQUENCE_NUMBER_FIELD_ID,
  type TableSchema,
  VALUE_KIND_FIELD_ID,
} from '../schema/table-schema.ts';
import type { DataField, DataType } from '../types/data-types.ts';
import { EddyError } from '../types/errors.ts';
import { type InternalValue, isRetract } from '../types/internal.ts';
import { schemaFileIndexOptions, writeFileIndex } from './file-index-writer.ts';

const SEQUENCE_FIELD: DataField = {
  id: SEQUENCE_NUMBER_FIELD_ID,
  name: '_SEQUENCE_NUMBER',
  type: { root: 'BIGINT', nullable: false },
};
const KIND_FIELD: DataField = {
  id: VALUE_KIND_FIELD_ID,
  name: '_VALUE_KIND',
  type: { root: 'TINYINT', nullable: false },
};

/**
 * Row groups and pages sized for lookups by key: a point lookup prunes row groups with the
 * `_KEY_*` statistics and decodes one group of at most 128Ki rows instead of the whole file
 * (a 1.25M-row file at the default target-file-size had one 1Mi-row group, then a 230k one), and
 * the page index (per-page min/max) lets a reader narrow further. Scans lose little: a group still
 * holds megabytes per column.
 */
export const PRIMARY_KEY_LAYOUT = { rowGroupRows: 128 * 1024, pageBytes: 64 * 1024, pageIndex: true } as const;

/** Records sorted by key, one per key, with their system columns. */
export interface KeyValueRecords {
  /** The table's columns: in record order, or (with `order`) rows in any order. */
  readonly columns: readonly Column[];
  /**
   * Record i is row `order[i]` of `columns` (a writer's sort permutation): the rows are gathered a
   * slice at a time while the file encodes, never as a whole sorted copy of the buffer.
   */
  readonly order?: Uint32Array;
  /** In record order. */
  readonly seq: BigInt64Array;
  readonly kind: Int8Array;
  readonly length: number;
}

/** `_FILE_SOURCE`: 0 = written by a flush (APPEND), 1 = written by compaction. */
export type FileSource = 0 | 1;

/**
 * Writes a primary-key data file (`_KEY_*`, `_SEQUENCE_NUMBER`, `_VALUE_KIND`, then the table
 * columns) and returns its manifest metadata: key range, key and value stats, sequence range.
 */
export function writeKeyValueFile(
  io: FileIO,
  path: string,
  schema: TableSchema,
  records: KeyValueRecords,
  level: number,
  fileSource: FileSource,
): Promise<DataFileMeta> {
  return writeKeyValueParts(io, path, schema, [records], level, fileSource);
}

/**
 * writeKeyValueFile of records given in consecutive parts (a compaction's merged batches): the
 * file's slices are taken across the parts, which are never joined into one copy.
 */
export async function writeKeyValueParts(
  io: FileIO,
  path: string,
  schema: TableSchema,
  parts: readonly KeyValueRecords[],
  level: number,
  fileSource: FileSource,
): Promise<DataFileMeta> {
  parts = parts.filter((p) => p.length > 0);
  const m = parts.reduce((n, p) => n + p.length, 0);
  if (m === 0) throw new EddyError('INVALID_ARGUMENT', `${path}: a data file needs at least one row`);
  const keyIdx = schema.trimmedPrimaryKeys.map((k) => schema.fieldIndex(k));
  let minSeq = parts[0].seq[0];
  let maxSeq = minSeq;
  let deleteRows = 0;
  for (const { seq, kind, length } of parts) {
    for (let i = 0; i < length; i++) {
      if (seq[i] < minSeq) minSeq = seq[i];
      if (seq[i] > maxSeq) maxSeq = seq[i];
      if (isRetract(kind[i])) deleteRows++;
    }
  }
  const keyFields: DataField[] = keyIdx.map((i) => {
    const f = schema.fields[i];
    return { id: f.id + KEY_FIELD_ID_START, name: KEY_FIELD_PREFIX + f.name, type: f.type };
  });
  const fields: DataField[] = [...keyFields, SEQUENCE_FIELD, KIND_FIELD, ...schema.fields];
  const arrowFields = fields.map((f) => arrowField(f));
  // Rows [start, end) of one part, in file order: table columns, then seq and kind.
  const piece = (p: KeyValueRecords, start: number, end: number): Column[] => {
    const rows = p.order?.subarray(start, end);
    const table = p.columns.map((c) => (rows ? gatherColumn(c, rows) : sliceColumn(c, start, end)));
    const seq: Column = {
      type: SEQUENCE_FIELD.type,
      length: end - start,
      data: p.seq.subarray(start, end),
      validity: null,
    };
    const kind: Column = {
      type: KIND_FIELD.type,
      length: end - start,
      data: p.kind.subarray(start, end),
      validity: null,
    };
    return [...table, seq, kind];
  };
  const first = parts[0];
  const sample = piece(first, 0, Math.min(first.length, 4096));
  const nCols = schema.fields.length;
  const bytes = await writeParquetSlices(
    m,
    (start, end) => {
      // The pieces of the parts that overlap [start, end), joined (a slice's worth, no more).
      const pieces: Column[][] = [];
      let o = 0;
      for (const p of parts) {
        const s = Math.max(start, o);
        const e = Math.min(end, o + p.length);
        if (s < e) pieces.push(piece(p, s - o, e - o));
        o += p.length;
        if (o >= end) break;
      }
      const cols = pieces.length === 1 ? pieces[0] : pieces[0].map((_, c) => concatColumns(pieces.map((x) => x[c])));
      const table = cols.slice(0, nCols);
      return makeRecordBatch(arrowFields, [...keyIdx.map((i) => table[i]), cols[nCols], cols[nCols + 1], ...table]);
    },
    {
      compression: schema.options.fileCompression,
      zstdLevel: schema.options.zstdLevel,
      ...encodingHints(fields, [
        ...keyIdx.map((i) => sample[i]),
        sample[nCols],
        sample[nCols + 1],
        ...sample.slice(0, nCols),
      ]),
      ...PRIMARY_KEY_LAYOUT,
    },
    path,
  );
  await io.write(path, bytes);
  // Only the records of the file: a permuted buffer's rows the merge dropped are not indexed.
  const index = await writeFileIndex(
    io,
    path,
    schema.fields,
    (i) => parts.map((p) => (p.order ? gatherColumn(p.columns[i], p.order) : p.columns[i])),
    schemaFileIndexOptions(schema),
  );
  const keyTypes = keyFields.map((f) => f.type);
  const last = parts[parts.length - 1];
  const keyValues = (p: KeyValueRecords, row: number) =>
    keyIdx.map((i) => columnValue(p.columns[i], p.order ? p.order[row] : row));
  const statsOf = (i: number) =>
    mergeStats(
      schema.fields[i].type,
      parts.map((p) => columnStatsOf(p.columns[i], p.order)),
    );
  return {
    fileName: nodePath.posix.basename(path),
    fileSize: bytes.byteLength,
    rowCount: m,
    minKey: serializeBinaryRow(keyTypes, keyValues(first, 0)),
    maxKey: serializeBinaryRow(keyTypes, keyValues(last, last.length - 1)),
    keyStats: toSimpleStats(keyTypes, keyIdx.map(statsOf)),
    valueStats: toSimpleStats(
      schema.fields.map((f) => f.type),
      schema.fields.map((_, i) => statsOf(i)),
    ),
    minSequenceNumber: minSeq,
    maxSequenceNumber: maxSeq,
    schemaId: schema.id,
    level,
    extraFiles: index.extraFiles,
    creationTime: localMillisAsUtc(),
    deleteRowCount: deleteRows,
    embeddedIndex: index.embeddedIndex,
    fileSource,
    valueStatsCols: null,
    externalPath: null,
    firstRowId: null,
    writeCols: null,
  };
}

/** The statistics of consecutive parts of one column as one: the least min, greatest max, all nulls. */
function mergeStats(type: DataType, stats: readonly ColumnStats[]): ColumnStats {
  if (stats.length === 1) return stats[0];
  let min: InternalValue = null;
  let max: InternalValue = null;
  let nullCount = 0;
  for (const s of stats) {
    nullCount += s.nullCount;
    if (s.min !== null && (min === null || compareValues(type, s.min, min) < 0)) min = s.min;
    if (s.max !== null && (max === null || compareValues(type, s.max, max) > 0)) max = s.max;
  }
  return { min, max, nullCount };
}

/** Paimon stores `_CREATION_TIME` as local wall-clock time encoded as if it were UTC. */
export function localMillisAsUtc(): number {
  const now = new Date();
  return now.getTime() - now.getTimezoneOffset() * 60_000;
}

/**
 * Re-bases a written but not yet committed primary-key file: the same records with every sequence
 * number raised by `shift`, under a new name in `dir` (`prefix` `data` or `changelog`). Used when
 * another commit landed rows of the same keys with higher numbers (TableWrite.commit): rewriting
 * the level-0 files of one commit is cheap, and the numbers live in the file, so it is the only way.
 */
export async function rebaseKeyValueFile(
  io: FileIO,
  dir: string,
  schema: TableSchema,
  file: DataFileMeta,
  shift: bigint,
  prefix: 'data' | 'changelog',
): Promise<DataFileMeta> {
  const path = joinPath(dir, file.fileName);
  const table = await readParquet(await io.read(path), path);
  const column = (name: string) => {
    const v = table.getChild(name);
    if (!v) throw new EddyError('CORRUPT_FILE', `${path}: column '${name}' is missing`, { path });
    return v;
  };
  if (table.numRows !== file.rowCount)
    throw new EddyError('CORRUPT_FILE', `${path}: has ${table.numRows} rows, its metadata says ${file.rowCount}`, {
      path,
    });
  const columns = schema.fields.map((f) => arrowToColumn(column(f.name), f.type));
  const seq = new BigInt64Array(arrowToColumn(column('_SEQUENCE_NUMBER'), SEQUENCE_FIELD.type).data as BigInt64Array);
  for (let i = 0; i < seq.length; i++) seq[i] += shift;
  const kind = Int8Array.from(arrowToColumn(column('_VALUE_KIND'), KIND_FIELD.type).data as Int8Array);
  const out = joinPath(dir, `${prefix}-${randomUUID()}-0.parquet`);
  return writeKeyValueFile(
    io,
    out,
    schema,
    { columns, seq, kind, length: table.numRows },
    file.level,
    file.fileSource === 1 ? 1 : 0,
  );
}
