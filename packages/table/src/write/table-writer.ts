import { randomUUID } from 'node:crypto';
import * as arrow from 'apache-arrow';
import { arrowToColumn } from '../data/arrow.ts';
import {
  type Column,
  ColumnBuilder,
  columnValue,
  gatherColumn,
  toInternalValue,
  toPublicValue,
} from '../data/columns.ts';
import { serializeBinaryRow } from '../format/binary-row.ts';
import { BucketFunction } from '../format/bucket.ts';
import { parquetWorkers } from '../format/parquet-workers.ts';
import { partitionPath } from '../format/partition-path.ts';
import type { FileIO } from '../io/file-io.ts';
import { aggregateFunctionOf, canRetract } from '../merge/merge-function.ts';
import type { CommitMessage } from '../meta/commit-message.ts';
import { bucketKeyOf } from '../meta/committed-sequences.ts';
import type { HashIndexCommit } from '../meta/hash-index.ts';
import { deletionVectorWriteProblem } from '../schema/deletion-vector-support.ts';
import { defaultValueOf } from '../schema/schema-change.ts';
import type { TableSchema } from '../schema/table-schema.ts';
import { type DataField, type DataType, formatDataType } from '../types/data-types.ts';
import { EddyError } from '../types/errors.ts';
import { type InternalValue, ROW_KIND_NAMES, RowKind, type RowKindName } from '../types/internal.ts';
import { BucketWriter } from './bucket-writer.ts';
import type { DynamicBucketAssigner } from './dynamic-bucket.ts';
import { MemoryBudget } from './memory-budget.ts';

/** A row as a plain object keyed by column name. */
export type Row = object;

export interface TableWriterOptions {
  /** A budget shared with other writers; by default each writer has its own `write-buffer-size`. */
  readonly memoryBudget?: MemoryBudget;
  /** Dynamic bucket mode (bucket = -1): the table's hash index. */
  readonly dynamicBucket?: DynamicBucketAssigner;
}

/** Max sequence number already committed per (partition, bucket), and the snapshot they are from. */
export interface RestoredSequences {
  readonly snapshotId: number | undefined;
  readonly max: Map<string, bigint>;
}

/**
 * Where a writer's sequence numbers come from: `restore` reads the latest snapshot's files (once,
 * at the first flush); `since(from)` the max numbers of what commits after snapshot `from` added
 * (undefined when nothing landed since).
 */
export interface SequenceSource {
  readonly restore: () => Promise<RestoredSequences>;
  readonly since: (
    from: number,
  ) => Promise<{ readonly through: number; readonly max: Map<string, bigint> } | undefined>;
}

export { bucketKeyOf };

/**
 * Routes rows to (partition, bucket) buffers that share one memory budget, and turns them into
 * level-0 files. Rows are validated column by column before anything is buffered.
 */
export class TableWriter {
  private readonly buckets = new Map<string, BucketWriter>();
  /** The same writers by bucketKeyOf (the key sequence numbers are tracked by). */
  private readonly bySequenceKey = new Map<string, BucketWriter>();
  private byBucket: BucketWriter[] = [];
  private readonly partitionCache = new Map<
    string,
    { values: InternalValue[]; bytes: Uint8Array; dir: string; b64: string }
  >();
  /** Dynamic bucket mode: the hash index, and the hash of the trimmed primary key it is keyed by. */
  private readonly dynamic: DynamicBucketAssigner | undefined;
  private readonly keyHash: BucketFunction | undefined;
  private readonly keyIdx: number[];
  private readonly budget: MemoryBudget;
  private readonly bucketFunction: BucketFunction | undefined;
  private readonly partitionIdx: number[];
  private readonly partitionTypes: DataType[];
  private readonly bucketKeyIdx: number[];
  private readonly fieldNames: Set<string>;
  private readonly numBuckets: number;
  private rowNumber = 0;
  private sinceCheck = 0;
  private restored: Promise<RestoredSequences> | undefined;
  private restoredAt: number | undefined;

  constructor(
    private readonly io: FileIO,
    private readonly tablePath: string,
    readonly schema: TableSchema,
    private readonly sequences: SequenceSource,
    options: TableWriterOptions = {},
  ) {
    const dvProblem = deletionVectorWriteProblem(schema);
    if (dvProblem) throw new EddyError('UNSUPPORTED', `writing to tables ${dvProblem}`);
    if (schema.isPrimaryKeyTable && schema.options.bucket <= 0 && schema.options.bucket !== -1) {
      throw new EddyError(
        'UNSUPPORTED',
        `writing to primary-key tables with bucket = ${schema.options.bucket} (postponed buckets) is not supported yet`,
      );
    }
    this.keyIdx = schema.trimmedPrimaryKeys.map((k) => schema.fieldIndex(k));
    if (schema.isPrimaryKeyTable && schema.options.bucket === -1) {
      const outside = schema.partitionKeys.filter((k) => !schema.primaryKeys.includes(k));
      if (outside.length > 0) {
        throw new EddyError(
          'UNSUPPORTED',
          `writing cross-partition upsert tables (bucket = -1 with partition keys ${outside.join(', ')} outside the primary key) is not supported: it needs Paimon's global key index`,
        );
      }
      if (!options.dynamicBucket)
        throw new EddyError('UNSUPPORTED', 'a dynamic-bucket (bucket = -1) table needs its writer from newTableWriter');
      this.dynamic = options.dynamicBucket;
      this.keyHash = new BucketFunction(
        this.keyIdx.map((i) => schema.fields[i].type),
        1,
      );
    }
    this.budget = options.memoryBudget ?? new MemoryBudget(schema.options.writeBufferSize);
    this.partitionIdx = schema.partitionKeys.map((k) => schema.fieldIndex(k));
    this.partitionTypes = this.partitionIdx.map((i) => schema.fields[i].type);
    this.bucketKeyIdx = schema.bucketKeys.map((k) => schema.fieldIndex(k));
    this.numBuckets = schema.options.bucket;
    this.bucketFunction =
      this.numBuckets > 0
        ? new BucketFunction(
            this.bucketKeyIdx.map((i) => schema.fields[i].type),
            this.numBuckets,
          )
        : undefined;
    this.fieldNames = new Set(schema.fields.map((f) => f.name));
    for (const f of schema.fields) {
      if (f.defaultValue !== undefined) this.defaults.set(f.name, defaultValueOf(f));
    }
  }

  /** Columns with a default value: written instead of null (Paimon's TableWriteImpl.wrapDefaultValue). */
  private readonly defaults = new Map<string, InternalValue>();

  private withDefaults(row: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> {
    let out: Record<string, unknown> | undefined;
    for (const [name, v] of this.defaults) {
      if (row[name] !== null && row[name] !== undefined) continue;
      out ??= { ...row };
      out[name] = toPublicValue(this.schema.field(name).type, v);
    }
    return out ?? row;
  }

  /** Rows buffered and not yet flushed, over all buckets. */
  get bufferedBytes(): number {
    let b = 0;
    for (const w of this.buckets.values()) b += w.bufferedBytes;
    return b;
  }

  /**
   * Buffers rows of one kind (`+I` by default). Resolves once they are buffered; when the shared
   * memory budget is full it first flushes the largest buffers (back-pressure).
   */
  async write(rows: Row | Iterable<Row>, kind: RowKindName = '+I'): Promise<void> {
    const kindByte = this.checkKind(kind);
    if (this.dynamic) await this.dynamic.ready();
    const iterable: Iterable<Row> = isRow(rows) ? [rows as Row] : (rows as Iterable<Row>);
    for (const row of iterable) {
      this.writeOne(row, kindByte);
      if (++this.sinceCheck >= 2048) {
        this.sinceCheck = 0;
        await this.budget.reclaim();
      }
    }
  }

  private checkKind(kind: RowKindName): number {
    const kindByte = ROW_KIND_NAMES.indexOf(kind);
    if (kindByte < 0) throw new EddyError('INVALID_ARGUMENT', `unknown row kind '${kind}' (expected +I, -U, +U or -D)`);
    if (!this.schema.isPrimaryKeyTable && kindByte !== RowKind.INSERT) {
      throw new EddyError('INVALID_ARGUMENT', `append tables accept only +I rows, got ${kind}`);
    }
    if (kindByte === RowKind.UPDATE_BEFORE || kindByte === RowKind.DELETE) this.checkRetractable(kind);
    return kindByte;
  }

  /**
   * Merge engines that cannot apply a retraction refuse it up front, naming the fix (Paimon fails
   * later, in the job, reading or compacting).
   */
  private checkRetractable(kind: RowKindName): void {
    const s = this.schema;
    const o = s.options;
    if (o.ignoreDelete || o.mergeEngine === 'deduplicate') return;
    if (kind === '-U' && o.ignoreUpdateBefore) return;
    const why = (() => {
      switch (o.mergeEngine) {
        case 'partial-update': {
          if (o.sequenceGroups.length > 0) {
            // Groups retract their columns; their aggregate functions must be able to.
            const grouped = new Set(o.sequenceGroups.flatMap((g) => g.fields));
            const bad = s.fields.find(
              (f) =>
                grouped.has(f.name) &&
                s.rawOptions[`fields.${f.name}.aggregate-function`] !== undefined &&
                !canRetract(s, f.name),
            );
            return bad
              ? `column '${bad.name}' uses '${aggregateFunctionOf(s, bad.name)}', which cannot retract; set 'fields.${bad.name}.ignore-retract' or 'ignore-delete'`
              : undefined;
          }
          // Paimon applies -D (removes the row) and skips -U with remove-record-on-delete.
          return o.partialUpdateRemoveRecordOnDelete
            ? undefined
            : "set 'partial-update.remove-record-on-delete' (a -D removes the row), sequence groups ('fields.<seq>.sequence-group', retracting their columns) or 'ignore-delete'";
        }
        case 'aggregation': {
          if (kind === '-D' && o.aggregationRemoveRecordOnDelete) return undefined;
          const bad = s.fields.filter((f) => !s.primaryKeys.includes(f.name) && !canRetract(s, f.name));
          return bad.length === 0
            ? undefined
            : `column '${bad[0].name}' uses '${aggregateFunctionOf(s, bad[0].name)}', which cannot retract; set 'fields.${bad[0].name}.ignore-retract'${kind === '-D' ? ", 'aggregation.remove-record-on-delete' (a -D removes the row)" : ''} or 'ignore-delete'`;
        }
        case 'first-row':
          return "set 'ignore-delete'";
      }
    })();
    if (why)
      throw new EddyError(
        'INVALID_ARGUMENT',
        `table with merge-engine '${o.mergeEngine}' cannot accept ${kind} rows: ${why}`,
      );
  }

  /**
   * Buffers an Arrow RecordBatch (or Table) of one row kind, column by column: columns are matched
   * by name and checked against the schema's types and NOT NULL constraints before anything is
   * buffered; rows are routed to buckets by their keys.
   */
  async writeArrow(input: arrow.RecordBatch | arrow.Table, kind: RowKindName = '+I'): Promise<void> {
    const kindByte = this.checkKind(kind);
    if (this.dynamic) await this.dynamic.ready();
    const schema = this.schema;
    const n = input.numRows;
    for (const f of input.schema.fields) {
      if (!this.fieldNames.has(f.name)) throw new EddyError('INVALID_ROW', `Arrow input: unknown column '${f.name}'`);
    }
    // Arrow's getChild scans the columns: index them once (linear in a wide schema).
    const childIndex = new Map(input.schema.fields.map((f, i) => [f.name, i]));
    const cols: Column[] = schema.fields.map((f) => {
      const at = childIndex.get(f.name);
      const c = this.arrowColumn(at === undefined ? null : input.getChildAt(at), f, n);
      const def = this.defaults.get(f.name);
      return def === undefined || c.validity === null ? c : fillNulls(c, def, f.name);
    });
    this.routeColumns(cols, n, kindByte);
    await this.budget.reclaim();
  }

  private arrowColumn(vec: arrow.Vector | null, f: DataField, n: number): Column {
    if (!vec) {
      // A missing column is all nulls (then its default, if it has one).
      if (!f.type.nullable && !this.defaults.has(f.name))
        throw new EddyError('INVALID_ROW', `Arrow input: column '${f.name}' is NOT NULL but missing`);
      return { type: f.type, length: n, data: emptyData(f.type, n), validity: new Uint8Array(n) };
    }
    if (!arrowTypeFits(vec.type, f.type)) {
      throw new EddyError(
        'INVALID_ROW',
        `Arrow input: column '${f.name}' has Arrow type ${vec.type}, which does not fit ${formatDataType(f.type)}`,
      );
    }
    const c = arrowToColumn(vec, f.type);
    if (!f.type.nullable && c.validity !== null) {
      const r = c.validity.indexOf(0);
      if (r >= 0)
        throw new EddyError(
          'INVALID_ROW',
          `row ${this.rowNumber + r}, column '${f.name}': is NOT NULL but the value is null`,
        );
    }
    return c;
  }

  private routeColumns(cols: Column[], n: number, kindByte: number): void {
    // Route: one (partition, bucket) per row, then one gather per group.
    const groups = new Map<string, { pvals: InternalValue[]; pkey: string; bucket: number; rows: number[] }>();
    const keyCols = this.bucketKeyIdx.map((i) => cols[i]);
    const partCols = this.partitionIdx.map((i) => cols[i]);
    for (let r = 0; r < n; r++) {
      let pkey = '';
      const pvals: InternalValue[] = [];
      for (const c of partCols) {
        const v = columnValue(c, r);
        pvals.push(v);
        pkey += `${v === null ? '\u0000' : typeof v === 'object' ? Buffer.from(v).toString('hex') : String(v)}\u0001`;
      }
      const bucket = this.dynamic
        ? this.dynamicBucket(
            pkey,
            pvals,
            this.keyIdx.map((i) => columnValue(cols[i], r)),
          )
        : this.bucketFunction
          ? this.bucketFunction.bucket(keyCols.map((c) => columnValue(c, r)))
          : 0;
      const g = `${pkey}#${bucket}`;
      const group = groups.get(g);
      if (group) group.rows.push(r);
      else groups.set(g, { pvals, pkey, bucket, rows: [r] });
    }
    for (const g of groups.values()) {
      const idx = Uint32Array.from(g.rows);
      const writer = this.bucketWriter(g.pkey, g.pvals, g.bucket);
      writer.appendColumns(
        cols.map((c) => gatherColumn(c, idx)),
        new Uint8Array(idx.length).fill(kindByte),
      );
    }
    this.rowNumber += n;
  }

  private writeOne(input: Row, kind: number): void {
    const rowNumber = this.rowNumber;
    let row = input as Readonly<Record<string, unknown>>;
    if (row === null || typeof row !== 'object')
      throw new EddyError(
        'INVALID_ROW',
        `row ${rowNumber}: expected an object, got ${row === null ? 'null' : typeof row}`,
      );
    for (const k in row) {
      if (!this.fieldNames.has(k) && row[k] !== undefined)
        throw new EddyError('INVALID_ROW', `row ${rowNumber}: unknown column '${k}'`);
    }
    const schema = this.schema;
    if (this.defaults.size > 0) row = this.withDefaults(row);
    let pkey = '';
    const pvals: InternalValue[] = [];
    for (let i = 0; i < this.partitionIdx.length; i++) {
      const f = schema.fields[this.partitionIdx[i]];
      const v = toInternalValue(f.type, row[f.name], `row ${rowNumber}, column '${f.name}'`);
      pvals.push(v);
      pkey += `${v === null ? '\u0000' : typeof v === 'object' ? Buffer.from(v).toString('hex') : String(v)}\u0001`;
    }
    let bucket = 0;
    if (this.bucketFunction) {
      const kvals: InternalValue[] = [];
      for (const i of this.bucketKeyIdx) {
        const f = schema.fields[i];
        kvals.push(toInternalValue(f.type, row[f.name], `row ${rowNumber}, column '${f.name}'`));
      }
      bucket = this.bucketFunction.bucket(kvals);
    } else if (this.dynamic) {
      const kvals: InternalValue[] = [];
      for (const i of this.keyIdx) {
        const f = schema.fields[i];
        kvals.push(toInternalValue(f.type, row[f.name], `row ${rowNumber}, column '${f.name}'`));
      }
      bucket = this.dynamicBucket(pkey, pvals, kvals);
    }
    // Unpartitioned tables (the common case) find their bucket writer by index, not by string key.
    let writer = this.partitionIdx.length === 0 ? this.byBucket[bucket] : undefined;
    if (!writer) {
      writer = this.bucketWriter(pkey, pvals, bucket);
      if (this.partitionIdx.length === 0) this.byBucket[bucket] = writer;
    }
    writer.append(row, kind, rowNumber);
    this.rowNumber++;
  }

  private partitionOf(pkey: string, pvals: InternalValue[]) {
    let part = this.partitionCache.get(pkey);
    if (!part) {
      const fields = this.partitionIdx.map((i) => this.schema.fields[i]);
      const bytes = serializeBinaryRow(this.partitionTypes, pvals);
      part = {
        values: pvals,
        bytes,
        dir: partitionPath(fields, pvals, this.schema.options.partitionDefaultName),
        b64: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'),
      };
      this.partitionCache.set(pkey, part);
    }
    return part;
  }

  private dynamicBucket(pkey: string, pvals: InternalValue[], keyValues: InternalValue[]): number {
    const p = this.partitionOf(pkey, pvals);
    return this.dynamic!.assign(p.bytes, p.b64, this.keyHash!.hash(keyValues));
  }

  /** Dynamic bucket mode: the hash index files the next commit publishes. */
  async prepareIndexCommit(): Promise<HashIndexCommit | undefined> {
    return this.dynamic?.prepareCommit();
  }

  indexCommitted(c: HashIndexCommit): void {
    this.dynamic?.committed(c);
  }

  async discardIndex(c: HashIndexCommit): Promise<void> {
    await this.dynamic?.discard(c);
  }

  private bucketWriter(pkey: string, pvals: InternalValue[], bucket: number): BucketWriter {
    const key = `${pkey}#${bucket}`;
    let w = this.buckets.get(key);
    if (w) return w;
    const p = this.partitionOf(pkey, pvals);
    w = new BucketWriter(this.io, this.tablePath, this.schema, p.values, p.bytes, p.dir, bucket, async () => {
      return (await this.restoredSequences()).max.get(bucketKeyOf(p.bytes, bucket)) ?? -1n;
    });
    this.buckets.set(key, w);
    this.bySequenceKey.set(bucketKeyOf(p.bytes, bucket), w);
    this.budget.register(w);
    return w;
  }

  private async restoredSequences(): Promise<RestoredSequences> {
    this.restored ??= this.sequences.restore();
    const r = await this.restored;
    this.restoredAt ??= r.snapshotId ?? 0;
    return r;
  }

  /**
   * The snapshot id this writer's sequence numbers rank above: in every bucket, the rows it flushes
   * from now on are numbered above the files live there. Undefined until a flush needed them.
   */
  get sequencedAfter(): number | undefined {
    return this.restoredAt;
  }

  /** Whether files were flushed since the last prepareCommit (memory pressure, or flush()). */
  get hasFlushedFiles(): boolean {
    for (const w of this.buckets.values()) if (w.newFiles.length > 0 || w.changelogFiles.length > 0) return true;
    return false;
  }

  /**
   * Reads what commits landed since `sequencedAfter` (usually a few delta manifests) and raises
   * every bucket's next number above what they wrote, so that rows flushed from now on rank above
   * every commit before this writer's next one: for the same key, the later commit wins.
   */
  async followCommits(): Promise<void> {
    if (!this.restored) return; // nothing numbered yet: the first flush restores from the latest snapshot
    const r = await this.restoredSequences();
    const since = await this.sequences.since(this.restoredAt ?? 0);
    if (!since) return;
    for (const [k, max] of since.max) await this.raise(r, k, max + 1n);
    this.restoredAt = Math.max(this.restoredAt ?? 0, since.through);
  }

  /** The next number flushed to (partition, bucket) will be at least `next` (after a re-base). */
  async raiseFloor(partitionBytes: Uint8Array, bucket: number, next: bigint): Promise<void> {
    await this.raise(await this.restoredSequences(), bucketKeyOf(partitionBytes, bucket), next);
  }

  private async raise(r: RestoredSequences, key: string, next: bigint): Promise<void> {
    const cur = r.max.get(key);
    if (cur === undefined || cur < next - 1n) r.max.set(key, next - 1n);
    await this.bySequenceKey.get(key)?.raiseSequenceFloor(next);
  }

  /**
   * Flushes every buffer, several buckets at a time: one more than there are Parquet workers, so
   * the main thread sorts the next bucket while the workers encode.
   */
  async flushAll(): Promise<void> {
    const writers = [...this.buckets.values()];
    let next = 0;
    const errors: unknown[] = [];
    const lane = async () => {
      while (next < writers.length) {
        const w = writers[next++];
        try {
          await w.flushBuffer();
        } catch (e) {
          errors.push(e);
          return;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(writers.length, parquetWorkers().size + 1) }, lane));
    if (errors.length > 0) throw errors[0];
  }

  /** Flushes every buffer and returns what the next commit must publish; buffers are emptied. */
  async prepareCommit(): Promise<CommitMessage[]> {
    await this.flushAll();
    const out: CommitMessage[] = [];
    for (const w of this.buckets.values()) {
      if (w.newFiles.length === 0 && w.changelogFiles.length === 0) continue;
      out.push({
        partition: w.partition,
        partitionBytes: w.partitionBytes,
        bucket: w.bucket,
        totalBuckets: this.numBuckets,
        newFiles: w.newFiles.splice(0),
        changelogFiles: w.changelogFiles.splice(0),
      });
    }
    return out;
  }

  /** Drops buffered rows (files already flushed stay on disk as orphans until cleanup). */
  abort(): void {
    for (const w of this.buckets.values()) this.budget.unregister(w);
    this.buckets.clear();
    this.bySequenceKey.clear();
    this.byBucket = [];
  }

  close(): void {
    this.abort();
  }
}

function isRow(x: unknown): boolean {
  return typeof x === 'object' && x !== null && !(Symbol.iterator in x);
}

export const newCommitUser = (): string => randomUUID();

/** Arrow types accepted for a column: the type Eddy writes, or a narrower integer / string view. */
function arrowTypeFits(at: arrow.DataType, t: DataType): boolean {
  const A = arrow.DataType;
  switch (t.root) {
    case 'BOOLEAN':
      return A.isBool(at);
    case 'TINYINT':
    case 'SMALLINT':
    case 'INT':
    case 'BIGINT': {
      const width = { TINYINT: 8, SMALLINT: 16, INT: 32, BIGINT: 64 }[t.root];
      return A.isInt(at) && at.isSigned && at.bitWidth <= width;
    }
    case 'FLOAT':
      return A.isFloat(at) && at.precision <= arrow.Precision.SINGLE;
    case 'DOUBLE':
      return A.isFloat(at);
    case 'DATE':
      return A.isDate(at) && at.unit === arrow.DateUnit.DAY;
    case 'CHAR':
    case 'VARCHAR':
      return A.isUtf8(at) || A.isLargeUtf8(at) || (A.isDictionary(at) && A.isUtf8(at.dictionary));
    case 'BINARY':
    case 'VARBINARY':
      return A.isBinary(at) || A.isLargeBinary(at);
    case 'DECIMAL':
      return A.isDecimal(at) && at.scale === t.scale && at.precision <= t.precision;
    case 'TIMESTAMP':
    case 'TIMESTAMP_LTZ':
      return A.isTimestamp(at) && at.unit !== arrow.TimeUnit.NANOSECOND;
  }
}

function emptyData(t: DataType, n: number): Column['data'] {
  switch (t.root) {
    case 'BOOLEAN':
      return new Uint8Array(n);
    case 'TINYINT':
      return new Int8Array(n);
    case 'SMALLINT':
      return new Int16Array(n);
    case 'INT':
    case 'DATE':
      return new Int32Array(n);
    case 'FLOAT':
      return new Float32Array(n);
    case 'DOUBLE':
      return new Float64Array(n);
    case 'CHAR':
    case 'VARCHAR':
    case 'BINARY':
    case 'VARBINARY':
      return { offsets: new Int32Array(n + 1), bytes: new Uint8Array(0) };
    case 'DECIMAL':
      return t.precision > 18 ? new Array<bigint>(n).fill(0n) : new BigInt64Array(n);
    default:
      return new BigInt64Array(n);
  }
}

/** `c` with its nulls replaced by `value` (a column's default value). */
function fillNulls(c: Column, value: InternalValue, name: string): Column {
  const b = new ColumnBuilder(c.type, name);
  for (let r = 0; r < c.length; r++) b.appendInternal(c.validity![r] ? columnValue(c, r) : value);
  return b.finish();
}
