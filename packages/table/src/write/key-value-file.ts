import { randomUUID } from 'node:crypto';
import * as nodePath from 'node:path';
import type * as arrow from 'apache-arrow';
import { arrowField, arrowToColumn, makeRecordBatch } from '../data/arrow.ts';
import {
  type Column,
  type ColumnData,
  columnValue,
  concatColumns,
  gatherColumn,
  type VarBytes,
} from '../data/columns.ts';
import { serializeBinaryRow } from '../format/binary-row.ts';
import type { DataFileMeta } from '../format/manifest.ts';
import {
  encodeTuning,
  encodingHints,
  type ParquetWriteOptions,
  readParquet,
  writeParquet,
  writeParquetStream,
} from '../format/parquet.ts';
import { type ColumnStats, columnStatsOf, mergeStats, toSimpleStats } from '../format/stats.ts';
import { type FileIO, joinPath } from '../io/file-io.ts';
import type { FileIndexWriteOptions } from '../options/file-index-options.ts';
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
export const PRIMARY_KEY_LAYOUT: { rowGroupRows: number; readonly pageBytes: number; readonly pageIndex: boolean } = {
  rowGroupRows: 128 * 1024, // tests shrink it to get files of many row groups
  pageBytes: 64 * 1024,
  pageIndex: true,
};

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
  const m = parts.reduce((n, p) => n + p.length, 0);
  if (m === 0) throw new EddyError('INVALID_ARGUMENT', `${path}: a data file needs at least one row`);
  const f = new StreamedKeyValueFile(io, path, schema, level, fileSource);
  try {
    for (const p of parts) await f.add(p, 0, p.length);
  } catch (e) {
    await f.abandon();
    throw e;
  }
  return f.finish();
}

/** Rows [start, end) of records (in record order). */
interface RecordRange {
  readonly r: KeyValueRecords;
  start: number;
  readonly end: number;
}

/**
 * One primary-key data file (`_KEY_*`, `_SEQUENCE_NUMBER`, `_VALUE_KIND`, then the table columns)
 * written as its records arrive: each `add` queues rows that the encoder (a worker) takes a slice
 * at a time while the caller produces the next ones, and the file's statistics are gathered as
 * rows come. Memory holds the queued rows (at most about two slices: `add` waits for the encoder)
 * and the indexed columns of a file index, never the file's rows as a whole.
 */
export class StreamedKeyValueFile {
  private readonly keyIdx: number[];
  private readonly keyTypes: DataType[];
  private readonly arrowFields: arrow.Field[];
  private readonly nCols: number;
  private readonly queue: RecordRange[] = [];
  private queuedRows = 0;
  private ended = false;
  /** The encoder waits for rows; the producer waits for room. */
  private wakeEncoder: (() => void) | undefined;
  private wakeProducer: (() => void) | undefined;
  private encoded: Promise<Uint8Array> | undefined;
  private failed: unknown;
  rows = 0;
  private minSeq = 0n;
  private maxSeq = 0n;
  private deleteRows = 0;
  private stats: ColumnStats[] = [];
  private firstKey: InternalValue[] = [];
  private lastKey: InternalValue[] = [];
  private readonly indexed: FileIndexWriteOptions | undefined;
  /** The file index's columns, in pieces, by field index. */
  private readonly indexPieces = new Map<number, Column[]>();
  private readonly sliceRows = encodeTuning.sliceRows;

  constructor(
    private readonly io: FileIO,
    readonly path: string,
    private readonly schema: TableSchema,
    private readonly level: number,
    private readonly fileSource: FileSource,
  ) {
    this.keyIdx = schema.trimmedPrimaryKeys.map((k) => schema.fieldIndex(k));
    const keyFields: DataField[] = this.keyIdx.map((i) => {
      const f = schema.fields[i];
      return { id: f.id + KEY_FIELD_ID_START, name: KEY_FIELD_PREFIX + f.name, type: f.type };
    });
    this.keyTypes = keyFields.map((f) => f.type);
    this.fields = [...keyFields, SEQUENCE_FIELD, KIND_FIELD, ...schema.fields];
    this.arrowFields = this.fields.map((f) => arrowField(f));
    this.nCols = schema.fields.length;
    this.indexed = schemaFileIndexOptions(schema);
    if (this.indexed)
      for (const b of this.indexed.bloom)
        this.indexPieces.set(
          schema.fields.findIndex((f) => f.name === b.column),
          [],
        );
  }

  private readonly fields: DataField[];

  /**
   * Queues records [start, end) (they must stay unchanged until the file is finished or the
   * encoder took them); waits while the encoder is more than a slice behind.
   */
  async add(r: KeyValueRecords, start: number, end: number): Promise<void> {
    if (start >= end) return;
    if (this.failed !== undefined) throw this.failed;
    const rows = r.order
      ? r.order.subarray(start, end)
      : start === 0 && end === r.length
        ? undefined
        : range(start, end);
    const stats = r.columns.map((c) => columnStatsOf(c, rows));
    this.stats =
      this.rows === 0 ? stats : stats.map((s, i) => mergeStats(this.schema.fields[i].type, [this.stats[i], s]));
    const seqs = r.seq;
    let minSeq = this.rows === 0 ? seqs[start] : this.minSeq;
    let maxSeq = this.rows === 0 ? seqs[start] : this.maxSeq;
    let deletes = 0;
    for (let i = start; i < end; i++) {
      const q = seqs[i];
      if (q < minSeq) minSeq = q;
      if (q > maxSeq) maxSeq = q;
      if (isRetract(r.kind[i])) deletes++;
    }
    this.minSeq = minSeq;
    this.maxSeq = maxSeq;
    this.deleteRows += deletes;
    const keyAt = (row: number) => this.keyIdx.map((i) => columnValue(r.columns[i], r.order ? r.order[row] : row));
    if (this.rows === 0) this.firstKey = keyAt(start);
    this.lastKey = keyAt(end - 1);
    for (const [i, pieces] of this.indexPieces) pieces.push(rows ? gatherColumn(r.columns[i], rows) : r.columns[i]);
    this.rows += end - start;
    // The encoder starts with the first rows: its per-column encodings come from a sample of them.
    this.encoded ??= this.startEncoder(r, start, end);
    this.queue.push({ r, start, end });
    this.queuedRows += end - start;
    this.wakeEncoder?.();
    while (this.queuedRows > 2 * this.sliceRows && this.failed === undefined)
      await new Promise<void>((resolve) => {
        this.wakeProducer = resolve;
      });
    if (this.failed !== undefined) throw this.failed;
  }

  /** Rows [start, end) of one queued range, in file order: table columns, then seq and kind. */
  private piece(p: KeyValueRecords, start: number, end: number): Column[] {
    const rows = p.order?.subarray(start, end);
    const table = p.columns.map((c) => (rows ? gatherColumn(c, rows) : viewColumn(c, start, end)));
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
  }

  private fileOrder(cols: Column[]): Column[] {
    const n = this.nCols;
    const table = cols.slice(0, n);
    return [...this.keyIdx.map((i) => table[i]), cols[n], cols[n + 1], ...table];
  }

  private writeOptions(sample: Column[]): ParquetWriteOptions {
    return {
      compression: this.schema.options.fileCompression,
      zstdLevel: this.schema.options.zstdLevel,
      ...encodingHints(this.fields, sample),
      ...PRIMARY_KEY_LAYOUT,
    };
  }

  /**
   * The compressed bytes per row of records [0, rows) encoded as this file would be (nothing is
   * written): a first estimate for rolling when no file of the writer was written yet.
   */
  async sampleBytesPerRow(r: KeyValueRecords, rows: number): Promise<number> {
    const cols = this.fileOrder(this.piece(r, 0, rows));
    const bytes = await writeParquet(makeRecordBatch(this.arrowFields, cols), this.writeOptions(cols), this.path);
    return bytes.byteLength / rows;
  }

  private startEncoder(first: KeyValueRecords, start: number, end: number): Promise<Uint8Array> {
    const sample = this.fileOrder(this.piece(first, start, Math.min(end, start + 4096)));
    const p = writeParquetStream(() => this.nextBatch(), this.writeOptions(sample), this.path);
    p.catch((e) => {
      this.failed = e;
      this.wakeProducer?.();
    });
    return p;
  }

  /** The encoder's next slice: up to sliceRows queued rows (waits for them unless the file ended). */
  private async nextBatch(): Promise<arrow.RecordBatch | undefined> {
    while (this.queuedRows < this.sliceRows && !this.ended)
      await new Promise<void>((resolve) => {
        this.wakeEncoder = resolve;
      });
    this.wakeEncoder = undefined;
    if (this.queuedRows === 0) return undefined;
    const take = Math.min(this.sliceRows, this.queuedRows);
    const pieces: Column[][] = [];
    let n = 0;
    while (n < take) {
      const q = this.queue[0];
      const k = Math.min(take - n, q.end - q.start);
      pieces.push(this.piece(q.r, q.start, q.start + k));
      q.start += k;
      n += k;
      if (q.start === q.end) this.queue.shift();
    }
    this.queuedRows -= take;
    const cols = pieces.length === 1 ? pieces[0] : pieces[0].map((_, c) => concatColumns(pieces.map((x) => x[c])));
    if (this.queuedRows <= 2 * this.sliceRows) {
      const wake = this.wakeProducer;
      this.wakeProducer = undefined;
      wake?.();
    }
    return makeRecordBatch(this.arrowFields, this.fileOrder(cols));
  }

  /** Ends the file: waits for its encoding, writes it (and its file index), returns its metadata. */
  async finish(): Promise<DataFileMeta> {
    if (this.rows === 0 || !this.encoded)
      throw new EddyError('INVALID_ARGUMENT', `${this.path}: a data file needs at least one row`);
    this.ended = true;
    this.wakeEncoder?.();
    const bytes = await this.encoded;
    const { io, path, schema } = this;
    await io.write(path, bytes);
    // Only the records of the file: a permuted buffer's rows the merge dropped are not indexed.
    const index = await writeFileIndex(io, path, schema.fields, (i) => this.indexPieces.get(i) ?? [], this.indexed);
    const keyTypes = this.keyTypes;
    return {
      fileName: nodePath.posix.basename(path),
      fileSize: bytes.byteLength,
      rowCount: this.rows,
      minKey: serializeBinaryRow(keyTypes, this.firstKey),
      maxKey: serializeBinaryRow(keyTypes, this.lastKey),
      keyStats: toSimpleStats(
        keyTypes,
        this.keyIdx.map((i) => this.stats[i]),
      ),
      valueStats: toSimpleStats(
        schema.fields.map((f) => f.type),
        this.stats,
      ),
      minSequenceNumber: this.minSeq,
      maxSequenceNumber: this.maxSeq,
      schemaId: schema.id,
      level: this.level,
      extraFiles: index.extraFiles,
      creationTime: localMillisAsUtc(),
      deleteRowCount: this.deleteRows,
      embeddedIndex: index.embeddedIndex,
      fileSource: this.fileSource,
      valueStatsCols: null,
      externalPath: null,
      firstRowId: null,
      writeCols: null,
    };
  }

  /** Gives the file up (an error elsewhere): stops its encoder; nothing was written yet. */
  async abandon(): Promise<void> {
    this.failed ??= new EddyError('IO_ERROR', `${this.path}: abandoned`);
    this.queue.length = 0;
    this.queuedRows = 0;
    this.ended = true;
    this.wakeEncoder?.();
    await this.encoded?.catch(() => undefined);
  }
}

/**
 * Primary-key data files of about `target-file-size` each from records in key order (Paimon's
 * RollingFileWriter): a file is ended once its rows reach the size the compressed bytes per row
 * predict, learnt from each file written (the first from `bytesPerRow`). Files encode as rows
 * arrive; the previous file finishes on one worker while the next starts on another.
 */
export class RollingKeyValueWriter {
  private current: StreamedKeyValueFile | undefined;
  private readonly finishing: Promise<DataFileMeta>[] = [];
  private readonly paths: string[] = [];
  private bytesPerRow: number;

  constructor(
    private readonly io: FileIO,
    private readonly schema: TableSchema,
    private readonly nextPath: () => string,
    private readonly level: number,
    private readonly fileSource: FileSource,
    bytesPerRow: number,
  ) {
    this.bytesPerRow = Math.max(1, bytesPerRow);
  }

  /** Rows per file at the current estimate (at least 1,024: Paimon checks the size per 1,000 records). */
  private rowsPerFile(): number {
    return Math.max(1024, Math.floor(this.schema.options.targetFileSize / this.bytesPerRow));
  }

  /**
   * Replaces the first estimate by the bytes per row of a sample of `r` encoded alone (up to 16Ki
   * rows): for a level-0 flush with no earlier file to learn from, when it may need several files.
   */
  async calibrate(r: KeyValueRecords): Promise<void> {
    const rows = Math.min(r.length, 16 * 1024);
    if (rows === 0) return;
    const probe = new StreamedKeyValueFile(this.io, 'a size sample', this.schema, this.level, this.fileSource);
    this.bytesPerRow = Math.max(1, await probe.sampleBytesPerRow(r, rows));
  }

  /** Adds records [start, end) in key order after every record added before. */
  async add(r: KeyValueRecords, start = 0, end = r.length): Promise<void> {
    while (start < end) {
      if (!this.current) {
        const path = this.nextPath();
        this.paths.push(path);
        this.current = new StreamedKeyValueFile(this.io, path, this.schema, this.level, this.fileSource);
      }
      const f = this.current;
      // The estimate may have dropped below this file's rows (a finished file taught it).
      const room = this.rowsPerFile() - f.rows;
      if (room <= 0) {
        this.roll();
        continue;
      }
      const k = Math.min(end - start, room);
      await f.add(r, start, start + k);
      start += k;
      if (f.rows >= this.rowsPerFile()) this.roll();
    }
  }

  private roll(): void {
    const f = this.current!;
    this.current = undefined;
    const done = f.finish();
    done.then(
      (m) => {
        this.bytesPerRow = Math.max(1, m.fileSize / m.rowCount);
      },
      () => undefined,
    );
    this.finishing.push(done);
  }

  /** Ends the last file; the files written, in key order. */
  async finish(): Promise<DataFileMeta[]> {
    if (this.current) this.roll();
    const settled = await Promise.allSettled(this.finishing);
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed) {
      await this.deleteWritten(settled);
      throw (failed as PromiseRejectedResult).reason;
    }
    return settled.map((s) => (s as PromiseFulfilledResult<DataFileMeta>).value);
  }

  /** Gives up: stops encoding and deletes every file written so far. */
  async abort(): Promise<void> {
    await this.current?.abandon();
    this.current = undefined;
    await this.deleteWritten(await Promise.allSettled(this.finishing));
  }

  private async deleteWritten(settled: PromiseSettledResult<DataFileMeta>[]): Promise<void> {
    for (let i = 0; i < settled.length; i++) {
      const s = settled[i];
      // A failed finish may have written its data file before its index: delete by path.
      await this.io.delete(this.paths[i]);
      if (s.status === 'fulfilled')
        for (const x of s.value.extraFiles) await this.io.delete(joinPath(nodePath.posix.dirname(this.paths[i]), x));
    }
  }
}

/**
 * Rows [start, end) of a column as views of its buffers (no copy: the slice is serialised for the
 * encoder right away; string offsets are rebased by the Arrow conversion).
 */
function viewColumn(c: Column, start: number, end: number): Column {
  if (start === 0 && end === c.length) return c;
  const d = c.data;
  let data: ColumnData;
  if (Array.isArray(d)) data = d.slice(start, end);
  else if ((d as VarBytes).offsets !== undefined) {
    const v = d as VarBytes;
    data = { offsets: v.offsets.subarray(start, end + 1), bytes: v.bytes };
  } else data = (d as Exclude<ColumnData, VarBytes | bigint[]>).subarray(start, end);
  return { type: c.type, length: end - start, data, validity: c.validity?.subarray(start, end) ?? null };
}

function range(start: number, end: number): Uint32Array {
  const idx = new Uint32Array(end - start);
  for (let i = 0; i < idx.length; i++) idx[i] = start + i;
  return idx;
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
