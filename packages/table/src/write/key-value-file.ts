import { randomUUID } from 'node:crypto';
import * as nodePath from 'node:path';
import { arrowField, arrowToColumn, makeRecordBatch } from '../data/arrow.ts';
import { type Column, columnValue } from '../data/columns.ts';
import { serializeBinaryRow } from '../format/binary-row.ts';
import type { DataFileMeta } from '../format/manifest.ts';
import { encodingHints, readParquet, writeParquet } from '../format/parquet.ts';
import { columnStats, toSimpleStats } from '../format/stats.ts';
import { type FileIO, joinPath } from '../io/file-io.ts';
import {
  KEY_FIELD_ID_START,
  KEY_FIELD_PREFIX,
  SEQUENCE_NUMBER_FIELD_ID,
  type TableSchema,
  VALUE_KIND_FIELD_ID,
} from '../schema/table-schema.ts';
import type { DataField } from '../types/data-types.ts';
import { EddyError } from '../types/errors.ts';
import { isRetract } from '../types/internal.ts';
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
  readonly columns: readonly Column[];
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
export async function writeKeyValueFile(
  io: FileIO,
  path: string,
  schema: TableSchema,
  records: KeyValueRecords,
  level: number,
  fileSource: FileSource,
): Promise<DataFileMeta> {
  const { columns, seq, kind, length: m } = records;
  const keyIdx = schema.trimmedPrimaryKeys.map((k) => schema.fieldIndex(k));
  let minSeq = seq[0];
  let maxSeq = seq[0];
  let deleteRows = 0;
  for (let i = 0; i < m; i++) {
    if (seq[i] < minSeq) minSeq = seq[i];
    if (seq[i] > maxSeq) maxSeq = seq[i];
    if (isRetract(kind[i])) deleteRows++;
  }
  const keyFields: DataField[] = keyIdx.map((i) => {
    const f = schema.fields[i];
    return { id: f.id + KEY_FIELD_ID_START, name: KEY_FIELD_PREFIX + f.name, type: f.type };
  });
  const keyCols = keyIdx.map((i) => columns[i]);
  const fields: DataField[] = [...keyFields, SEQUENCE_FIELD, KIND_FIELD, ...schema.fields];
  const seqCol: Column = { type: SEQUENCE_FIELD.type, length: m, data: seq, validity: null };
  const kindCol: Column = { type: KIND_FIELD.type, length: m, data: kind, validity: null };
  const all = [...keyCols, seqCol, kindCol, ...columns];
  const bytes = await writeParquet(
    makeRecordBatch(
      fields.map((f) => arrowField(f)),
      all,
    ),
    {
      compression: schema.options.fileCompression,
      zstdLevel: schema.options.zstdLevel,
      ...encodingHints(fields, all),
      ...PRIMARY_KEY_LAYOUT,
    },
    path,
  );
  await io.write(path, bytes);
  const index = await writeFileIndex(io, path, schema.fields, columns, schemaFileIndexOptions(schema));
  const keyTypes = keyFields.map((f) => f.type);
  const keyValues = (row: number) => keyCols.map((c) => columnValue(c, row));
  return {
    fileName: nodePath.posix.basename(path),
    fileSize: bytes.byteLength,
    rowCount: m,
    minKey: serializeBinaryRow(keyTypes, keyValues(0)),
    maxKey: serializeBinaryRow(keyTypes, keyValues(m - 1)),
    keyStats: toSimpleStats(keyTypes, keyCols.map(columnStats)),
    valueStats: toSimpleStats(
      schema.fields.map((f) => f.type),
      columns.map(columnStats),
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
