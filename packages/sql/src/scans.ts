/**
 * Where a table reference's rows come from. Eddy plans the scan (snapshot, partition, bucket and
 * stats pruning with the filters pushed down from SQL); then each part of the plan is read one of
 * two ways:
 * - **directly by DuckDB** (`read_parquet` over the data files, Eddy's system columns projected
 *   away) where that is provably the merged result: Paimon's raw-convertible splits — one sorted
 *   run above level 0 and no delete rows, or a single file without delete rows — and, for append
 *   tables and deletion-vector tables, every file without a deletion vector; local Parquet files
 *   written in the current schema only;
 * - **through Eddy's reader** (merge-on-read, deletion vectors, other schemas, object storage) as
 *   Arrow batches streamed into DuckDB by the `__eddy_read` table function.
 */
import { lstat } from 'node:fs/promises';
import { type DataField, EddyError, LocalFileIO, type Predicate, type Table, type TableSchema } from '@eddy/table';
import { type DataFileMeta, type DataSplit, inspect } from '@eddy/table/inspect';
import type * as arrow from 'apache-arrow';
import type { WireBatch, WireField, WireType } from './engine/protocol.ts';
import { quoteIdent, quoteString } from './sql/lexer.ts';
import { batchToWire, duckSqlType, fieldsOf, wireTypeOf } from './types.ts';

/** The rows behind a table function handle. */
export interface ScanSource {
  readonly fields: readonly WireField[];
  /** Reads the columns at these indexes (-1: a column DuckDB does not read, e.g. for count(*)). */
  open(projection: readonly number[]): AsyncGenerator<WireBatch>;
}

/** A column cheap to read when DuckDB needs rows but no column (count(*)). */
function cheapestColumn(columns: readonly DataField[]): DataField {
  const fixed = columns.find((c) => !['CHAR', 'VARCHAR', 'BINARY', 'VARBINARY'].includes(c.type.root));
  return fixed ?? columns[0];
}

function projected(columns: readonly DataField[], projection: readonly number[]) {
  const wanted = projection.map((i) => (i >= 0 ? columns[i] : undefined));
  const names = [...new Set(wanted.filter((f): f is DataField => f !== undefined).map((f) => f.name))];
  const select = names.length > 0 ? names : [cheapestColumn(columns).name];
  const cols = wanted.map((f) => (f ? { name: f.name, type: wireTypeOf(f.type) } : undefined));
  return { select, cols };
}

/** Which snapshot a read is at: time travel by id, time or tag; none for the latest. */
export interface ReadAt {
  readonly snapshotId?: number;
  readonly asOf?: number;
  readonly tag?: string;
}

export interface TableReadOptions extends ReadAt {
  readonly splits?: readonly DataSplit[];
  readonly where?: Predicate;
}

/** A table's merged rows through Eddy's reader (`table.scanArrow`). */
export class TableSource implements ScanSource {
  readonly fields: readonly WireField[];

  constructor(
    private readonly table: Table,
    private readonly columns: readonly DataField[],
    private readonly options: TableReadOptions,
  ) {
    this.fields = fieldsOf(columns);
  }

  async *open(projection: readonly number[]): AsyncGenerator<WireBatch> {
    if (this.options.splits?.length === 0) return;
    const { select, cols } = projected(this.columns, projection);
    for await (const b of this.table.scanArrow({ ...this.options, select })) yield batchToWire(b, cols);
  }
}

/** Arrow batches made on demand (change feeds, system tables). */
export class BatchSource implements ScanSource {
  readonly fields: readonly WireField[];

  constructor(
    private readonly columns: readonly { name: string; type: WireType }[],
    private readonly batches: () => AsyncIterable<arrow.RecordBatch>,
  ) {
    this.fields = columns;
  }

  async *open(projection: readonly number[]): AsyncGenerator<WireBatch> {
    const cols = projection.map((i) => (i >= 0 ? this.columns[i] : undefined));
    for await (const b of this.batches()) if (b.numRows > 0) yield batchToWire(b, cols);
  }
}

/** Fixed rows (system tables): wire batches made once. */
export class RowsSource implements ScanSource {
  constructor(
    readonly fields: readonly WireField[],
    private readonly make: () => Promise<WireBatch>,
  ) {}

  async *open(projection: readonly number[]): AsyncGenerator<WireBatch> {
    const b = await this.make();
    if (b.length === 0) return;
    yield { length: b.length, columns: projection.map((i) => (i >= 0 ? b.columns[i] : { kind: 'js', values: [] })) };
  }
}

// ---------------------------------------------------------------------------------------------
// Planning a table reference

export interface PlannedScan {
  readonly table: Table;
  readonly columns: readonly DataField[];
  readonly snapshotId: number | undefined;
  readonly filter: Predicate | undefined;
  /** Data files DuckDB reads itself. */
  readonly directFiles: readonly string[];
  /** What Eddy's reader reads (merge-on-read, deletion vectors, ...). */
  readonly eddySplits: readonly DataSplit[];
  readonly filesRead: number;
  readonly filesPruned: number;
  readonly bucketsRead: number;
}

const isParquet = (f: DataFileMeta) => f.fileName.toLowerCase().endsWith('.parquet');

/**
 * Which files of a split DuckDB may read as they are, exactly as the merged rows would be
 * (Paimon's `rawConvertible`, MergeTreeSplitGenerator, taken conservatively: an unknown delete
 * count is not zero).
 */
export function directFilesOf(
  table: Table,
  schema: TableSchema,
  split: DataSplit,
): { direct: DataFileMeta[]; rest: DataFileMeta[] } {
  const none = { direct: [], rest: [...split.files] };
  if (!(table.io instanceof LocalFileIO)) return none;
  const plain = (f: DataFileMeta) =>
    isParquet(f) &&
    f.schemaId === schema.id &&
    f.externalPath === null &&
    f.writeCols === null && // a file of some columns only (data evolution) is not a table's rows
    !split.deletionFiles?.has(f.fileName);
  const noDeletes = (f: DataFileMeta) => f.deleteRowCount === 0;
  if (!schema.isPrimaryKeyTable || schema.options.deletionVectorsEnabled) {
    // Files are independent: no merge (append) or a deletion vector per file (DV tables).
    const ok = (f: DataFileMeta) => plain(f) && (!schema.isPrimaryKeyTable || (f.level !== 0 && noDeletes(f)));
    return { direct: split.files.filter(ok), rest: split.files.filter((f) => !ok(f)) };
  }
  const files = split.files;
  if (!files.every((f) => plain(f) && noDeletes(f))) return none;
  const oneRun = files.every((f) => f.level !== 0) && new Set(files.map((f) => f.level)).size === 1;
  if (oneRun || files.length === 1) return { direct: [...files], rest: [] };
  return none;
}

/**
 * Plans a read of a table (at a snapshot, in `schema`: the one the read is in) with a pushed-down
 * filter (a hint: DuckDB filters again).
 */
export async function planScan(
  table: Table,
  schema: TableSchema,
  read: ReadAt,
  where: Predicate | undefined,
  direct: boolean,
): Promise<PlannedScan> {
  const meta = inspect(table);
  const plan = await meta.plan({ ...read, where });
  const directFiles: string[] = [];
  const eddySplits: DataSplit[] = [];
  let filesRead = 0;
  for (const split of plan.splits) {
    filesRead += split.files.length;
    const { direct: files, rest } = direct ? directFilesOf(table, schema, split) : { direct: [], rest: split.files };
    for (const file of files) {
      const path = meta.dataFilePath({ partition: split.partitionBytes, bucket: split.bucket, file });
      await refuseLink(path);
      directFiles.push(path);
    }
    if (rest.length > 0) eddySplits.push(rest.length === split.files.length ? split : { ...split, files: rest });
  }
  return {
    table,
    columns: schema.fields,
    snapshotId: plan.snapshot?.id,
    filter: where,
    directFiles,
    eddySplits,
    filesRead,
    filesPruned: plan.skippedFiles,
    bucketsRead: plan.splits.length,
  };
}

/**
 * DuckDB follows symbolic links; Eddy's reader does not (a link in the table could point anywhere
 * on the host), so a file DuckDB would read itself is refused as Eddy's reader would refuse it.
 */
async function refuseLink(path: string): Promise<void> {
  const st = await lstat(path).catch(() => undefined); // missing: DuckDB's read reports it
  if (st?.isSymbolicLink())
    throw new EddyError(
      'CORRUPT_FILE',
      `read ${path}: is a symbolic link; Eddy does not follow links to files (one could point outside the table)`,
      { path },
    );
}

/**
 * The `<`, `<=` and `=` conjuncts of a pushed filter on FLOAT/DOUBLE columns, on the raw columns:
 * those DuckDB may push into the Parquet scan (row-group pruning). NaN satisfies none of them in
 * DuckDB's order, so the scan's NaN blindness can only let extra NaN rows through — which the
 * query's own filter, above the opaque column, removes — never drop a row that matches.
 */
function floatBounds(filter: Predicate, columns: readonly DataField[]): string[] {
  if (filter.op === 'and') return filter.children.flatMap((c) => floatBounds(c, columns));
  if (filter.op !== '<' && filter.op !== '<=' && filter.op !== '=') return [];
  const type = columns.find((c) => c.name === filter.column)?.type;
  if (!type || (type.root !== 'FLOAT' && type.root !== 'DOUBLE') || typeof filter.value !== 'number') return [];
  if (!Number.isFinite(filter.value)) return [];
  return [`${quoteIdent(filter.column)} ${filter.op} CAST('${filter.value}' AS ${duckSqlType(type)})`];
}

/**
 * The SQL that stands for a planned table reference: DuckDB's own scan of the direct files,
 * and/or `__eddy_read(handle)` for the rest.
 */
export function replacementSql(p: PlannedScan, handle: number): string {
  const parts: string[] = [];
  if (p.directFiles.length > 0) {
    const cols = p.columns.map((c) => {
      const cast = `CAST(${quoteIdent(c.name)} AS ${duckSqlType(c.type)})`;
      // DuckDB prunes and filters FLOAT/DOUBLE Parquet columns as if NaN were not there (Parquet's
      // min/max leave NaN out; duckdb/duckdb#25521): an opaque identity keeps filters above the scan.
      const value =
        c.type.root === 'FLOAT' || c.type.root === 'DOUBLE'
          ? `CASE WHEN ${cast} IS NULL THEN NULL ELSE ${cast} END`
          : cast;
      return `${value} AS ${quoteIdent(c.name)}`;
    });
    const files = p.directFiles.map((f) => quoteString(f)).join(', ');
    const floatFilter = p.filter ? floatBounds(p.filter, p.columns) : [];
    const where = floatFilter.length > 0 ? ` WHERE ${floatFilter.join(' AND ')}` : '';
    parts.push(`SELECT ${cols.join(', ')} FROM read_parquet([${files}])${where}`);
  }
  if (p.eddySplits.length > 0 || parts.length === 0) parts.push(`SELECT * FROM __eddy_read(${handle})`);
  return parts.join(' UNION ALL ');
}
