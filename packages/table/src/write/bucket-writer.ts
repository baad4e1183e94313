import { randomUUID } from 'node:crypto';
import type * as arrow from 'apache-arrow';
import { arrowField, makeRecordBatch } from '../data/arrow.ts';
import {
  type Column,
  ColumnBuilder,
  compareColumnRows,
  concatColumns,
  gatherColumn,
  sliceColumn,
} from '../data/columns.ts';
import type { DataFileMeta } from '../format/manifest.ts';
import { encodingHints, writeParquetSlices } from '../format/parquet.ts';
import { columnStats } from '../format/stats.ts';
import { type FileIO, joinPath } from '../io/file-io.ts';
import { mergeFunction } from '../merge/merge-function.ts';
import { compareSequence, mergeRuns } from '../merge/merge-runs.ts';
import { SEQUENCE_NUMBER_FIELD_ID, type TableSchema, VALUE_KIND_FIELD_ID } from '../schema/table-schema.ts';
import type { DataField } from '../types/data-types.ts';
import { type InternalValue, isRetract, RowKind } from '../types/internal.ts';
import { appendFileMeta } from './append-file.ts';
import { schemaFileIndexOptions, writeFileIndex } from './file-index-writer.ts';
import { type KeyValueRecords, RollingKeyValueWriter } from './key-value-file.ts';
import type { BufferOwner } from './memory-budget.ts';

const _SEQUENCE_FIELD: DataField = {
  id: SEQUENCE_NUMBER_FIELD_ID,
  name: '_SEQUENCE_NUMBER',
  type: { root: 'BIGINT', nullable: false },
};
const _KIND_FIELD: DataField = {
  id: VALUE_KIND_FIELD_ID,
  name: '_VALUE_KIND',
  type: { root: 'TINYINT', nullable: false },
};

/** Sequence numbers already used in a bucket: the writer continues after them. */
export type SequenceSource = () => Promise<bigint>;

/**
 * Buffers the rows of one (partition, bucket) in columns and flushes them as a level-0 sorted run:
 * sorted by key (a permutation, not moved rows), merged per key, one Parquet file per flush.
 */
export class BucketWriter implements BufferOwner {
  private readonly builders: ColumnBuilder[];
  private kinds = new Uint8Array(1024);
  private rows = 0;
  private sequenceStart: Promise<bigint> | undefined;
  private sequencesUsed = 0n;
  private fileCounter = 0;
  private readonly uuid = randomUUID();
  readonly newFiles: DataFileMeta[] = [];
  /** Changelog files (`changelog-producer = input`): every written record, not merged. */
  readonly changelogFiles: DataFileMeta[] = [];
  readonly bucketDir: string;

  /** The next flushed row's sequence number will be at least `next` (see TableWriter.followCommits). */
  async raiseSequenceFloor(next: bigint): Promise<void> {
    if (!this.sequenceStart) return; // not restored yet: its restore will read the latest snapshot
    const start = await this.sequenceStart;
    if (start + this.sequencesUsed < next) this.sequenceStart = Promise.resolve(next - this.sequencesUsed);
  }

  constructor(
    private readonly io: FileIO,
    tablePath: string,
    private readonly schema: TableSchema,
    readonly partition: readonly InternalValue[],
    readonly partitionBytes: Uint8Array,
    partitionDir: string,
    readonly bucket: number,
    private readonly maxSequence: SequenceSource,
  ) {
    this.builders = schema.fields.map((f) => new ColumnBuilder(f.type, f.name));
    this.bucketDir = joinPath(tablePath, partitionDir, `bucket-${bucket}`);
  }

  /** Columnar chunks (from Arrow input, or sealed builder rows), in write order. */
  private chunks: { cols: Column[]; kinds: Uint8Array }[] = [];
  private chunkRows = 0;
  private chunkBytes = 0;

  get bufferedRows(): number {
    return this.rows + this.chunkRows;
  }

  get bufferedBytes(): number {
    let b = this.rows + this.chunkBytes;
    for (const c of this.builders) b += c.byteSize;
    return b;
  }

  /** Appends already validated columns (Arrow input); they follow every row appended before. */
  appendColumns(cols: Column[], kinds: Uint8Array): void {
    this.seal();
    this.chunks.push({ cols, kinds });
    this.chunkRows += kinds.length;
    this.chunkBytes += kinds.length + cols.reduce((n, c) => n + columnBytes(c), 0);
  }

  /** Moves the builders' rows into a chunk, so chunks alone hold the buffer in order. */
  private seal(): void {
    if (this.rows === 0) return;
    const cols = this.builders.map((b) => b.finish());
    const kinds = this.kinds.slice(0, this.rows);
    this.chunks.push({ cols, kinds });
    this.chunkRows += this.rows;
    this.chunkBytes += this.rows + cols.reduce((n, c) => n + columnBytes(c), 0);
    this.rows = 0;
  }

  /** Appends one row (a plain object); validation errors leave the buffer unchanged. */
  append(row: Readonly<Record<string, unknown>>, kind: number, rowNumber: number): void {
    const fields = this.schema.fields;
    let i = 0;
    try {
      for (; i < fields.length; i++) this.builders[i].append(row[fields[i].name], rowNumber);
    } catch (e) {
      for (let j = 0; j < i; j++) this.builders[j].truncate(this.rows);
      throw e;
    }
    if (this.rows === this.kinds.length) {
      const k = new Uint8Array(this.kinds.length * 2);
      k.set(this.kinds);
      this.kinds = k;
    }
    this.kinds[this.rows++] = kind;
  }

  async flushBuffer(): Promise<void> {
    // Take the buffered rows synchronously: rows written while this flush awaits go to new buffers.
    this.seal();
    if (this.chunks.length === 0) return;
    const chunks = this.chunks;
    this.chunks = [];
    this.chunkRows = 0;
    this.chunkBytes = 0;
    const bytes = chunks.reduce((n, c) => n + c.kinds.length + c.cols.reduce((m, col) => m + columnBytes(col), 0), 0);
    const cols = this.schema.fields.map((_, i) => concatColumns(chunks.map((c) => c.cols[i])));
    const kinds = chunks.length === 1 ? chunks[0].kinds : concatKinds(chunks.map((c) => c.kinds));
    const n = kinds.length;
    this.sequenceStart ??= this.maxSequence().then((s) => s + 1n);
    const base = (await this.sequenceStart) + this.sequencesUsed;
    this.sequencesUsed += BigInt(n);
    if (this.schema.isPrimaryKeyTable) this.newFiles.push(...(await this.writeSortedRun(cols, kinds, base, bytes)));
    else this.newFiles.push(await this.writeAppendFile(cols, base));
  }

  /** Compressed bytes per row of this writer's last level-0 file (the next flush's size estimate). */
  private bytesPerRow: number | undefined;

  /**
   * Level-0 files of about `target-file-size` each (Paimon's MergeTreeWriter rolls its flush
   * through a RollingFileWriter): rows per file from the compressed bytes per row of this writer's
   * previous file, or at first — when the buffer's bytes exceed the target, so it may take several
   * files — from a sample of the rows encoded alone.
   */
  private async writeRolling(records: KeyValueRecords, prefix: 'data' | 'changelog', rawBytesPerRow: number) {
    const w = new RollingKeyValueWriter(
      this.io,
      this.schema,
      () => joinPath(this.bucketDir, `${prefix}-${this.uuid}-${this.fileCounter++}.parquet`),
      0,
      0,
      this.bytesPerRow ?? rawBytesPerRow,
    );
    try {
      if (this.bytesPerRow === undefined && rawBytesPerRow * records.length > this.schema.options.targetFileSize)
        await w.calibrate(records);
      await w.add(records);
      const files = await w.finish();
      const rows = files.reduce((n, f) => n + f.rowCount, 0);
      if (prefix === 'data') this.bytesPerRow = files.reduce((n, f) => n + f.fileSize, 0) / rows;
      return files;
    } catch (e) {
      await w.abort();
      throw e;
    }
  }

  private nextFileName(): string {
    return `data-${this.uuid}-${this.fileCounter++}.parquet`;
  }

  private async writeSortedRun(
    cols: Column[],
    kinds: Uint8Array,
    base: bigint,
    bytes: number,
  ): Promise<DataFileMeta[]> {
    const rawBytesPerRow = bytes / Math.max(1, kinds.length);
    const schema = this.schema;
    const keyIdx = schema.trimmedPrimaryKeys.map((k) => schema.fieldIndex(k));
    const seqIdx = schema.options.sequenceFields.map((k) => schema.fieldIndex(k));
    const keyCols = keyIdx.map((i) => cols[i]);
    const seqCols = seqIdx.map((i) => cols[i]);
    let perm = sortPermutation(keyCols, seqCols, kinds.length, schema.options.sequenceFieldDescending);
    // 'ignore-delete' drops -U/-D records and 'ignore-update-before' -U records before they merge
    // (Paimon's merge functions skip them), so an older +I of the same key still counts.
    const { ignoreDelete, ignoreUpdateBefore } = schema.options;
    if (ignoreDelete || ignoreUpdateBefore)
      perm = perm.filter((r) => !(ignoreDelete ? isRetract(kinds[r]) : kinds[r] === RowKind.UPDATE_BEFORE));
    const n = perm.length;
    if (n === 0) return [];
    if (schema.options.changelogProducer === 'input')
      await this.writeInputChangelog(cols, kinds, base, perm, rawBytesPerRow);
    if (schema.options.mergeEngine !== 'deduplicate')
      return this.writeMergedRun(cols, kinds, base, perm, keyIdx, seqIdx, rawBytesPerRow);
    // Deduplicate: keep the last record of each key (it may be a retraction; it must still be
    // written so that it shadows older files).
    const keep = new Uint32Array(n);
    let m = 0;
    const same = keyEquality(keyCols);
    for (let p = 0; p < n; p++) {
      const r = perm[p];
      if (p + 1 < n && same(r, perm[p + 1])) continue;
      keep[m++] = r;
    }
    const sel = keep.subarray(0, m);
    let identity = m === kinds.length;
    for (let i = 0; identity && i < m; i++) identity = sel[i] === i;
    const seq = new BigInt64Array(m);
    const outKinds = new Int8Array(m);
    for (let i = 0; i < m; i++) {
      const r = sel[i];
      seq[i] = base + BigInt(r);
      outKinds[i] = kinds[r];
    }
    return this.writeRolling(
      // Rows are gathered a slice at a time as the file encodes, not copied sorted as a whole.
      { columns: cols, order: identity ? undefined : sel, seq, kind: outKinds, length: m },
      'data',
      rawBytesPerRow,
    );
  }

  /** Other merge engines: the buffer's records of each key go through the engine's merge function. */
  private async writeMergedRun(
    cols: Column[],
    kinds: Uint8Array,
    base: bigint,
    perm: Uint32Array,
    keyIdx: number[],
    seqIdx: number[],
    rawBytesPerRow: number,
  ): Promise<DataFileMeta[]> {
    const schema = this.schema;
    const order = perm;
    const n = order.length;
    const seq = new BigInt64Array(n);
    const kind = new Int8Array(n);
    for (let i = 0; i < n; i++) {
      seq[i] = base + BigInt(order[i]);
      kind[i] = kinds[order[i]];
    }
    const source = { columns: cols.map((c) => gatherColumn(c, order)), seq, kind, length: n };
    const merged = mergeRuns(
      [source],
      schema.fields,
      keyIdx,
      seqIdx,
      mergeFunction(schema, schema.fields),
      true,
      schema.options.sequenceFieldDescending,
    );
    if (merged.length === 0) return [];
    return this.writeRolling(merged, 'data', rawBytesPerRow);
  }

  /**
   * `changelog-producer = input`: the records exactly as written (all of them, in key then write
   * order) go to a `changelog-*` file that streaming readers consume instead of the merged data.
   */
  private async writeInputChangelog(
    cols: Column[],
    kinds: Uint8Array,
    base: bigint,
    perm: Uint32Array,
    rawBytesPerRow: number,
  ): Promise<void> {
    const n = perm.length;
    const seq = new BigInt64Array(n);
    const kind = new Int8Array(n);
    for (let i = 0; i < n; i++) {
      seq[i] = base + BigInt(perm[i]);
      kind[i] = kinds[perm[i]];
    }
    // Every record (no merge): gathered a slice at a time through the permutation.
    this.changelogFiles.push(
      ...(await this.writeRolling({ columns: cols, order: perm, seq, kind, length: n }, 'changelog', rawBytesPerRow)),
    );
  }

  private async writeAppendFile(cols: Column[], base: bigint): Promise<DataFileMeta> {
    const schema = this.schema;
    const n = cols[0].length;
    const fileName = this.nextFileName();
    const path = joinPath(this.bucketDir, fileName);
    const bytes = await encodeFile(schema.fields, cols, schema, path);
    await this.io.write(path, bytes);
    const index = await writeFileIndex(this.io, path, schema.fields, cols, schemaFileIndexOptions(schema));
    return appendFileMeta(schema, fileName, bytes.byteLength, n, cols.map(columnStats), base, index, 0);
  }
}

/**
 * The stable sort order of rows by key (then sequence.field): input order is the system sequence,
 * so ties keep it and the last written record of a key sorts last. A single fixed-width key — the
 * common case — compares its typed array directly, and input that is already sorted costs one pass.
 */
function sortPermutation(keyCols: Column[], seqCols: Column[], n: number, descending: boolean): Uint32Array {
  const perm = new Uint32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  const k0 = keyCols[0]?.data;
  const integerKey =
    k0 instanceof BigInt64Array || k0 instanceof Int32Array || k0 instanceof Int16Array || k0 instanceof Int8Array;
  if (keyCols.length === 1 && seqCols.length === 0 && keyCols[0].validity === null && integerKey) {
    // BIGINT keys within ±2^53 compare as doubles: reading a BigInt64Array allocates a bigint per
    // element, and a sort reads n·log n of them (garbage that made the flush the writer's peak).
    const k = (k0 instanceof BigInt64Array ? (safeDoubles(k0) ?? k0) : k0) as unknown as ArrayLike<number | bigint>;
    let sorted = true;
    for (let i = 1; i < n; i++) {
      if (k[i - 1] > k[i]) {
        sorted = false;
        break;
      }
    }
    if (!sorted) perm.sort((a, b) => (k[a] < k[b] ? -1 : k[a] > k[b] ? 1 : a - b));
    return perm;
  }
  perm.sort((a, b) => {
    for (let c = 0; c < keyCols.length; c++) {
      const r = compareColumnRows(keyCols[c], a, keyCols[c], b);
      if (r !== 0) return r;
    }
    for (let c = 0; c < seqCols.length; c++) {
      const r = compareSequence(seqCols[c], a, seqCols[c], b, descending);
      if (r !== 0) return r;
    }
    return a - b;
  });
  return perm;
}

/** The values as doubles when every one is a safe integer (|v| ≤ 2^53), else undefined. */
function safeDoubles(k: BigInt64Array): Float64Array | undefined {
  const w = new Int32Array(k.buffer, k.byteOffset, k.length * 2);
  const out = new Float64Array(k.length);
  for (let i = 0; i < k.length; i++) {
    const hi = w[2 * i + 1];
    // hi · 2^32 + lo is exact in a double while hi stays within ±2^21.
    if (hi < -0x200000 || hi >= 0x200000) return undefined;
    out[i] = hi * 4294967296 + (w[2 * i] >>> 0);
  }
  return out;
}

function columnBytes(c: Column): number {
  const d = c.data;
  if ((d as { offsets?: Int32Array }).offsets !== undefined) {
    const v = d as { offsets: Int32Array; bytes: Uint8Array };
    return v.offsets.byteLength + (v.offsets[c.length] - v.offsets[0]);
  }
  return Array.isArray(d) ? c.length * 24 : (d as Int32Array).BYTES_PER_ELEMENT * c.length;
}

function concatKinds(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Whether rows a and b have the same key; a lone non-null BIGINT key compares its 32-bit words (no bigints). */
function keyEquality(keyCols: Column[]): (a: number, b: number) => boolean {
  const d = keyCols[0]?.data;
  if (keyCols.length === 1 && keyCols[0].validity === null && d instanceof BigInt64Array) {
    const w = new Int32Array(d.buffer, d.byteOffset, d.length * 2);
    return (a, b) => w[2 * a] === w[2 * b] && w[2 * a + 1] === w[2 * b + 1];
  }
  return (a, b) => sameKey(keyCols, a, b);
}

function sameKey(keyCols: Column[], a: number, b: number): boolean {
  for (let k = 0; k < keyCols.length; k++) if (compareColumnRows(keyCols[k], a, keyCols[k], b) !== 0) return false;
  return true;
}

function encodeFile(
  fields: readonly DataField[],
  cols: Column[],
  schema: TableSchema,
  path: string,
): Promise<Uint8Array> {
  const arrowFields: arrow.Field[] = fields.map((f) => arrowField(f));
  return writeParquetSlices(
    cols[0]?.length ?? 0,
    (start, end) =>
      makeRecordBatch(
        arrowFields,
        cols.map((c) => sliceColumn(c, start, end)),
      ),
    {
      compression: schema.options.fileCompression,
      zstdLevel: schema.options.zstdLevel,
      ...encodingHints(fields, cols),
    },
    path,
  );
}

export const ROW_KIND_INSERT = RowKind.INSERT;
