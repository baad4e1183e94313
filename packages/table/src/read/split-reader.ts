import * as arrow from 'apache-arrow';
import { arrowToColumn } from '../data/arrow.ts';
import {
  type Column,
  compareColumnRows,
  compareValues,
  concatColumns,
  gatherColumn,
  gatherRuns,
} from '../data/columns.ts';
import { type RawColumn, rawToColumn } from '../data/raw-columns.ts';
import { deserializeBinaryRow } from '../format/binary-row.ts';
import { BucketFunction } from '../format/bucket.ts';
import {
  type DeletionVector,
  deletionVectorPositions,
  deletionVectorReadLength,
  readDeletionVector,
} from '../format/deletion-vector.ts';
import type { DataFileMeta } from '../format/manifest.ts';
import {
  type DecodedBatch,
  type ParquetFooter,
  type RowGroupStats,
  readFooter,
  readParquetBatches,
} from '../format/parquet.ts';
import { type KeyProbe, probeParquet, probeSupport } from '../format/parquet-probe.ts';
import { type FileIO, joinPath } from '../io/file-io.ts';
import { readCache, readCacheKey } from '../io/read-cache.ts';
import { mergeExtraFields, mergeFunction } from '../merge/merge-function.ts';
import { compareSequence, mergeRuns, type RunSource } from '../merge/merge-runs.ts';
import type { DataSplit } from '../meta/data-split.ts';
import type { TablePaths } from '../meta/table-paths.ts';
import { type BoundPredicate, mayMatch, predicateColumns, testRow } from '../scan/predicate.ts';
import type { SchemaManager } from '../schema/schema-manager.ts';
import { KEY_FIELD_PREFIX, type TableSchema } from '../schema/table-schema.ts';
import { castColumn, isImplementedWidening, sameType } from '../schema/type-evolution.ts';
import type { DataField, DataType } from '../types/data-types.ts';
import { EddyError } from '../types/errors.ts';
import { type InternalValue, isRetract } from '../types/internal.ts';
import { columnsAt, fileKeyIndex, findRows, keysAt } from './key-index.ts';
import { fileKeyProbe, type KeySet, keySetOf, probedToColumn, probedTypeOk } from './key-probe.ts';

/** Local files above this size are read by column chunk too (projections skip most bytes). */
const RANGED_READ_MIN_BYTES = 16 * 1024 * 1024;

/**
 * A scan without a merge reads files ahead (beyond the next one) while their live rows in flight
 * stay within this: two decode jobs' worth, so small files keep every worker busy while a large
 * file is never held twice over.
 */
const READ_AHEAD_ROWS = 256 * 1024;

/** A file's rows less those its deletion vector removes (what a read of it yields at most). */
function liveRowsOf(split: DataSplit, meta: DataFileMeta): number {
  const deleted = split.deletionFiles?.get(meta.fileName)?.cardinality ?? 0;
  return Math.max(0, meta.rowCount - deleted);
}

/**
 * A compaction reads each input in slices of whole row groups of about this many rows (at least
 * one row group), one slice ahead per sorted run, rather than whole files: its memory (and the
 * decoding workers' WebAssembly memory, which never shrinks) follows the number of runs times the
 * slice, not the files' sizes. Tests shrink it to put slice boundaries everywhere.
 */
export const compactionReadTuning = { sliceRows: 128 * 1024 };

/** Files a compaction read in more than one slice (so tests can see the sliced path ran). */
export const compactionReadStats = { slicedFiles: 0 };

/** Some row groups of a file, read with its footer and deletion vector already in hand. */
interface FileSlice {
  readonly footer: ParquetFooter;
  readonly rowGroups: ReadonlySet<number>;
  readonly deletionVector: DeletionVector | undefined;
}

/** A decoded column (raw from a worker, or Arrow data) as a Column of Paimon type `type`. */
function decodedToColumn(c: RawColumn | arrow.Data, type: DataType): Column {
  return c instanceof arrow.Data ? arrowToColumn(c, type) : rawToColumn(c, type);
}

/** Rows of one split after merging: columns in the order of `fields`. */
export interface ColumnBatch {
  readonly fields: readonly DataField[];
  readonly columns: readonly Column[];
  readonly length: number;
}

/** Merged records of a bucket with their system columns (compaction input). */
export interface CompactionBatch {
  readonly columns: readonly Column[];
  readonly seq: BigInt64Array;
  readonly kind: Int8Array;
  readonly length: number;
}

/** Rows [start[i], end[i]) of each file take part in one merge step. */
interface KeyWindow {
  readonly files: FileColumns[];
  readonly start: number[];
  readonly end: number[];
}

interface FileColumns {
  readonly cols: Map<string, Column>;
  readonly seq: BigInt64Array | undefined;
  readonly kind: Int8Array | Uint8Array | undefined;
  readonly length: number;
  /**
   * Rows (of those read) a deletion vector removes: 1 at a deleted row. A selection vector built
   * once per file from the vector's positions, so filtering rows is a typed-array walk.
   */
  readonly deleted: Uint8Array | undefined;
}

/** Row groups a read may skip: those whose statistics rule out every row of `filter`. */
interface RowGroupPruning {
  readonly filter: BoundPredicate;
  /**
   * Value-column statistics may prune only when no other file can shadow a row (no merge);
   * key statistics always may: every version of a key carries the key.
   */
  readonly valueStatsSafe: boolean;
  /** The finite set of keys the filter allows: files are then probed by key (key-probe.ts). */
  readonly keys?: KeySet;
}

/**
 * Reads a split: the projected (plus key, sequence and filter) columns of each file, merge-on-read
 * by key with the deduplicate engine (the highest sequence wins, retractions remove the key), the
 * row filter, then a gather into output columns.
 */
export class SplitReader {
  /** Where footers are cached (the read cache's scope), or undefined: read once, not kept. */
  private readonly footerCache: FileIO | undefined;

  /**
   * `cacheFooters: false` for readers that read each file once (a change feed's new files, a
   * compaction's inputs it is about to replace): their footers would fill the read cache with
   * files no one reads again (issue 23: a feed at 40 files/s grew the heap by ~50 MB a minute).
   */
  constructor(
    private readonly io: FileIO,
    private readonly paths: TablePaths,
    private readonly schema: TableSchema,
    private readonly schemas: SchemaManager,
    options: { readonly cacheFooters?: boolean } = {},
  ) {
    this.footerCache = options.cacheFooters === false ? undefined : io;
  }

  bucketPath(split: Pick<DataSplit, 'partition' | 'bucket'>): string {
    return this.paths.bucketDirOf(split.partition, split.bucket);
  }

  /** A split's rows in one batch (see readBatches). */
  async read(split: DataSplit, projection: readonly DataField[], filter?: BoundPredicate): Promise<ColumnBatch> {
    const batches: ColumnBatch[] = [];
    for await (const b of this.readBatches(split, projection, filter)) batches.push(b);
    if (batches.length === 1) return batches[0];
    const columns = projection.map((f, i) =>
      batches.length === 0 ? emptyTyped(f, 0) : concatColumns(batches.map((b) => b.columns[i])),
    );
    return { fields: projection, columns, length: batches.reduce((n, b) => n + b.length, 0) };
  }

  /**
   * A split's rows: the projected (plus key, sequence and filter) columns of each file, merge-on-read
   * by key, the row filter, then a gather into output columns. Without a merge (one file, append
   * tables, deletion vectors) a batch per file; with one, a batch per key window (see keyWindows),
   * so memory follows the number of sorted runs, not the bucket's size. Empty batches are skipped.
   */
  async *readBatches(
    split: DataSplit,
    projection: readonly DataField[],
    filter?: BoundPredicate,
  ): AsyncGenerator<ColumnBatch> {
    const schema = this.schema;
    const pk = schema.isPrimaryKeyTable;
    const need = new Set<string>(projection.map((f) => f.name));
    if (filter) for (const c of predicateColumns(filter)) need.add(c);
    const dvMode = split.deletionFiles !== undefined || (pk && schema.options.deletionVectorsEnabled);
    const merge = pk && !dvMode && split.files.length > 1 && !this.singleRun(split);
    if (merge)
      for (const k of [...schema.trimmedPrimaryKeys, ...schema.options.sequenceFields, ...mergeExtraFields(schema)])
        need.add(k);
    const needFields = schema.fields.filter((f) => need.has(f.name));
    const dir = this.bucketPath(split);
    if (!merge) {
      const files = pk && split.files.length > 1 && !dvMode ? this.singleRun(split)! : split.files;
      const prune = filter
        ? { filter, valueStatsSafe: true, keys: keysOfBucket(keySetOf(filter, schema), filter, schema, split) }
        : undefined;
      const load = (i: number) => {
        const p = this.readFile(dir, files[i], needFields, pk, false, split, prune, true);
        p.catch(() => undefined); // awaited below unless the consumer stops first
        return p;
      };
      // Files are read ahead while this split's batches are consumed: at least the next one, and
      // more while the rows in flight stay small (a deletion-vector table's split holds several
      // small files, each one decode job: one file ahead left a worker idle).
      const pending: { rows: number; parts: Promise<FileColumns[]> }[] = [];
      let loaded = 0;
      const fill = () => {
        let ahead = pending.reduce((n, p) => n + p.rows, 0);
        while (loaded < files.length) {
          const rows = liveRowsOf(split, files[loaded]);
          if (pending.length > 0 && ahead + rows > READ_AHEAD_ROWS) break;
          ahead += rows;
          pending.push({ rows, parts: load(loaded++) });
        }
      };
      fill();
      while (pending.length > 0) {
        const parts = await pending.shift()!.parts;
        fill();
        for (const fc of parts) {
          const b = selectRows(fc, projection, filter);
          if (b.length > 0) yield b;
        }
      }
      return;
    }
    const prune = filter
      ? { filter, valueStatsSafe: false, keys: keysOfBucket(keySetOf(filter, schema), filter, schema, split) }
      : undefined;
    for await (const w of this.keyWindows(split, needFields, prune)) {
      const b = this.mergeForRead(w, projection, needFields, filter);
      if (b.length > 0) yield b;
    }
  }

  /**
   * The files of a split in key order when they form one sorted run that needs no merge: the
   * deduplicate engine, one level above 0, no file with retractions (deleteRowCount 0), key ranges
   * that do not overlap. Each key is then held once, as its latest version (Paimon reads such a
   * split raw too). Undefined otherwise.
   */
  private singleRun(split: DataSplit): readonly DataFileMeta[] | undefined {
    const schema = this.schema;
    const files = split.files;
    if (schema.options.mergeEngine !== 'deduplicate') return undefined;
    const level = files[0]?.level;
    if (level === undefined || level === 0) return undefined;
    if (!files.every((f) => f.level === level && f.deleteRowCount === 0)) return undefined;
    const runs = runsInKeyOrder(
      files,
      schema.trimmedPrimaryKeys.map((k) => schema.field(k).type),
    );
    return runs.length === 1 ? runs[0] : undefined;
  }

  /** Merge-on-read of one key window: the merge engine's rows, filtered, projected. */
  private mergeForRead(
    w: KeyWindow,
    projection: readonly DataField[],
    needFields: readonly DataField[],
    filter: BoundPredicate | undefined,
  ): ColumnBatch {
    const schema = this.schema;
    const files = w.files;
    if (schema.options.mergeEngine !== 'deduplicate') {
      const merged = this.mergeWithEngine(w, needFields, false);
      return finish(projection, needFields, merged.columns, merged.length, filter);
    }
    const sel = this.mergeByKey(w, false);
    let m = sel.length;
    if (filter) {
      const columnOf = files.map((fc) => (name: string) => fc.cols.get(name)!);
      m = 0;
      for (let i = 0; i < sel.length; i++) {
        if (!testRow(filter, columnOf[sel.file[i]], sel.row[i])) continue;
        sel.file[m] = sel.file[i];
        sel.row[m++] = sel.row[i];
      }
    }
    const runs = sel.file.subarray(0, m);
    const rows = sel.row.subarray(0, m);
    const columns = projection.map((f) =>
      gatherRuns(
        files.map((fc) => fc.cols.get(f.name)!),
        runs,
        rows,
      ),
    );
    return { fields: projection, columns, length: m };
  }

  /**
   * The records of `files` (delta or changelog files of one bucket) as written, in file order and
   * without merging: what a change feed delivers. Append-table rows come back as +I.
   */
  async readRecords(
    split: DataSplit,
    projection: readonly DataField[],
  ): Promise<{ batch: ColumnBatch; kind: Int8Array }> {
    const pk = this.schema.isPrimaryKeyTable;
    const dir = this.bucketPath(split);
    const files = (
      await Promise.all(split.files.map((f) => this.readFile(dir, f, [...projection], pk, false, split)))
    ).flat();
    const length = files.reduce((n, f) => n + f.length, 0);
    const kind = new Int8Array(length);
    let o = 0;
    for (const f of files) {
      if (f.kind) kind.set(f.kind.subarray(0, f.length), o);
      o += f.length;
    }
    const columns = projection.map((p) =>
      files.length === 0 ? emptyTyped(p, 0) : concatColumns(files.map((f) => f.cols.get(p.name)!)),
    );
    return { batch: { fields: projection, columns, length }, kind };
  }

  /**
   * All columns of a bucket's files merged by key, with the winning record's sequence number and
   * kind, in key order as a stream of batches (one per key window, so memory follows the number of
   * sorted runs, not the bucket's size) — the input of a compaction rewrite. Retractions are kept
   * unless `dropRetracts` (output to the last level, where nothing older can remain for them to
   * shadow).
   */
  async *compactionBatches(split: DataSplit, dropRetracts: boolean): AsyncGenerator<CompactionBatch> {
    for await (const w of this.keyWindows(split, this.schema.fields, undefined, true)) {
      const batch = this.mergeWindow(w, !dropRetracts);
      if (batch.length > 0) yield batch;
    }
  }

  /**
   * One file's primary-key columns (trimmed keys, in that order) in file order, without the rows
   * its deletion vector removes, each row with its 0-based position in the file: what a lookup
   * compaction needs to mark an overwritten row deleted.
   */
  async *positionedKeys(
    split: DataSplit,
    file: DataFileMeta,
  ): AsyncGenerator<{ keys: Column[]; positions: Uint32Array }> {
    const keyFields = this.schema.trimmedPrimaryKeys.map((k) => this.schema.field(k));
    const parts = await this.readFile(this.bucketPath(split), file, keyFields, true, false, split);
    let base = 0;
    for (const fc of parts) {
      const idx = new Uint32Array(fc.length);
      let m = 0;
      const del = fc.deleted;
      for (let r = 0; r < fc.length; r++) if (del === undefined || del[r] === 0) idx[m++] = r;
      const keep = idx.subarray(0, m);
      const positions = new Uint32Array(m);
      for (let i = 0; i < m; i++) positions[i] = base + keep[i];
      base += fc.length;
      if (m === 0) continue;
      const all = m === fc.length;
      yield {
        keys: keyFields.map((f) => (all ? fc.cols.get(f.name)! : gatherColumn(fc.cols.get(f.name)!, keep))),
        positions,
      };
    }
  }

  /**
   * A bucket's files (`fields` plus the system columns) as key windows for a merge. Each sorted run
   * is read file by file in key order, one file ahead; a window covers, in every file held, the
   * rows with keys up to the smallest last key among them: every run's later files hold only
   * larger keys, so those keys are complete. Files come in `split.files` order (merge tie-breaks).
   * `sliced`: files are read in slices of row groups (see fileSlices), one slice ahead per run.
   */
  private async *keyWindows(
    split: DataSplit,
    fields: readonly DataField[],
    prune?: RowGroupPruning,
    sliced = false,
  ): AsyncGenerator<KeyWindow> {
    const schema = this.schema;
    const dir = this.bucketPath(split);
    const keyNames = schema.trimmedPrimaryKeys;
    const cmp = (a: FileColumns, ra: number, b: FileColumns, rb: number) => {
      for (const k of keyNames) {
        const c = compareColumnRows(a.cols.get(k)!, ra, b.cols.get(k)!, rb);
        if (c !== 0) return c;
      }
      return 0;
    };
    const order = new Map(split.files.map((f, i) => [f, i]));
    const keyTypes = keyNames.map((k) => schema.field(k).type);
    // Rows a deletion vector removes never reach a merge (a compaction would bring them back).
    const whole = (f: DataFileMeta) => [
      async () => withoutDeletedRows(await this.readFile(dir, f, [...fields], true, true, split, prune, true)),
    ];
    const open = sliced ? (f: DataFileMeta) => this.fileSlices(dir, f, fields, split) : whole;
    const cursors = runsInKeyOrder(split.files, keyTypes).map((run) => new RunCursor(run, open, cmp, dir));
    for (;;) {
      await Promise.all(cursors.map((c) => c.ready()));
      const live = cursors.filter((c) => c.current !== undefined);
      if (live.length === 0) return;
      live.sort((a, b) => order.get(a.meta!)! - order.get(b.meta!)!);
      let bound = live[0].current!;
      for (const c of live) if (cmp(c.current!, c.current!.length - 1, bound, bound.length - 1) < 0) bound = c.current!;
      const last = bound.length - 1;
      const files = live.map((c) => c.current!);
      const start = live.map((c) => c.pos);
      const end = live.map((c) => upperBound(c.pos, c.current!.length, (r) => cmp(c.current!, r, bound, last) <= 0));
      live.forEach((c, i) => {
        c.pos = end[i];
      });
      yield { files, start, end };
    }
  }

  /** Merges rows [start[i], end[i]) of each file by key: columns of every field, seq and kind. */
  private mergeWindow(w: KeyWindow, keepRetracts: boolean): CompactionBatch {
    const schema = this.schema;
    const files = w.files;
    if (schema.options.mergeEngine !== 'deduplicate') return this.mergeWithEngine(w, schema.fields, keepRetracts);
    const sel = this.mergeByKey(w, keepRetracts);
    const runs = sel.file.subarray(0, sel.length);
    const rows = sel.row.subarray(0, sel.length);
    const columns = schema.fields.map((f) =>
      gatherRuns(
        files.map((fc) => fc.cols.get(f.name)!),
        runs,
        rows,
      ),
    );
    const seq = new BigInt64Array(rows.length);
    const kind = new Int8Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      seq[i] = files[runs[i]].seq![rows[i]];
      kind[i] = files[runs[i]].kind![rows[i]];
    }
    return { columns, seq, kind, length: rows.length };
  }

  /** Merge by key through the table's merge engine (partial-update, aggregation, first-row). */
  private mergeWithEngine(w: KeyWindow, fields: readonly DataField[], keepRetracts: boolean): CompactionBatch {
    const schema = this.schema;
    const sources: RunSource[] = w.files.map((fc, i) => ({
      columns: fields.map((f) => fc.cols.get(f.name)!),
      seq: fc.seq!,
      kind: fc.kind!,
      start: w.start[i],
      length: w.end[i],
    }));
    const index = new Map(fields.map((f, i) => [f.name, i]));
    const pos = (n: string) => index.get(n) ?? -1;
    return mergeRuns(
      sources,
      fields,
      schema.trimmedPrimaryKeys.map(pos),
      schema.options.sequenceFields.map(pos),
      mergeFunction(schema, fields),
      keepRetracts,
      schema.options.sequenceFieldDescending,
    );
  }

  /** The deduplicate engine over a key window: the winning (file, row) of each key, in key order. */
  private mergeByKey(w: KeyWindow, keepRetracts: boolean): Selection {
    const { files, start: from, end: to } = w;
    const sel = selectionFor(w);
    const keyNames = this.schema.trimmedPrimaryKeys;
    const seqNames = this.schema.options.sequenceFields;
    const descending = this.schema.options.sequenceFieldDescending;
    if (
      keyNames.length === 1 &&
      seqNames.length === 0 &&
      mergeIntegerKeys(files, keyNames[0], sel, keepRetracts, from, to)
    ) {
      return sel;
    }
    const keyCols = files.map((fc) => keyNames.map((k) => fc.cols.get(k)!));
    const seqCols = files.map((fc) => seqNames.map((k) => fc.cols.get(k)!));
    const pos = Int32Array.from(from);
    const cmpKey = (fa: number, ra: number, fb: number, rb: number) => {
      const a = keyCols[fa];
      const b = keyCols[fb];
      for (let k = 0; k < a.length; k++) {
        const c = compareColumnRows(a[k], ra, b[k], rb);
        if (c !== 0) return c;
      }
      return 0;
    };
    // Which record of the same key wins: sequence.field first, then the system sequence number,
    // then the later file (files are ordered by sequence).
    const newer = (fa: number, ra: number, fb: number, rb: number) => {
      for (let k = 0; k < seqNames.length; k++) {
        const c = compareSequence(seqCols[fa][k], ra, seqCols[fb][k], rb, descending);
        if (c !== 0) return c > 0;
      }
      const sa = files[fa].seq![ra];
      const sb = files[fb].seq![rb];
      if (sa !== sb) return sa > sb;
      return fa > fb;
    };
    const n = files.length;
    for (;;) {
      let minF = -1;
      for (let f = 0; f < n; f++) {
        if (pos[f] >= to[f]) continue;
        if (minF < 0 || cmpKey(f, pos[f], minF, pos[minF]) < 0) minF = f;
      }
      if (minF < 0) break;
      const minR = pos[minF];
      let winF = minF;
      let winR = minR;
      for (let f = 0; f < n; f++) {
        // Each file holds a key at most once, but tolerate duplicates (other writers) by looping.
        while (pos[f] < to[f] && cmpKey(f, pos[f], minF, minR) === 0) {
          if (newer(f, pos[f], winF, winR)) {
            winF = f;
            winR = pos[f];
          }
          pos[f]++;
        }
      }
      if (keepRetracts || !isRetract(files[winF].kind![winR])) {
        sel.file[sel.length] = winF;
        sel.row[sel.length++] = winR;
      }
    }
    return sel;
  }

  /**
   * A primary-key file as loaders of slices of its row groups, in file order (sliceRowGroups). A
   * slice boundary falls only where the row groups' `_KEY_` statistics prove the keys ascend across
   * it, so no key has rows on both sides (a merge window ends at a slice's last key). Files whose
   * statistics cannot prove that are one slice, read whole.
   */
  private async fileSlices(
    dir: string,
    meta: DataFileMeta,
    fields: readonly DataField[],
    split: DataSplit,
  ): Promise<(() => Promise<FileColumns[]>)[]> {
    const whole = async () =>
      withoutDeletedRows(await this.readFile(dir, meta, [...fields], true, true, split, undefined, true));
    const maxRows = compactionReadTuning.sliceRows;
    const keys = this.schema.trimmedPrimaryKeys;
    if (meta.rowCount <= maxRows || keys.length === 0 || !/\.parquet$/i.test(meta.fileName)) return [whole];
    const fileSchema = meta.schemaId === this.schema.id ? this.schema : await this.schemas.schema(meta.schemaId);
    const first = this.schema.field(keys[0]);
    const old = fileSchema.fieldById(first.id);
    if (!old || !sameType(old.type, first.type)) return [whole];
    const path = this.paths.dataFile(dir, meta);
    const source = { size: meta.fileSize, readRange: (o: number, l: number) => this.io.readRange(path, o, l) };
    // Not cached: a compaction reads its inputs once (see the constructor).
    const footer = await readFooter(source, path, undefined);
    const slices = sliceRowGroups(footer.rowGroups, KEY_FIELD_PREFIX + old.name, maxRows);
    if (slices.length <= 1) return [whole];
    const deletionVector = await this.deletionVector(split, meta);
    compactionReadStats.slicedFiles++;
    return slices.map((rowGroups) => async () => {
      const slice = { footer, rowGroups, deletionVector };
      return withoutDeletedRows(await this.readFile(dir, meta, [...fields], true, true, split, undefined, true, slice));
    });
  }

  /**
   * One data file's `needFields` (plus the system columns of a primary-key file: `_VALUE_KIND`, and
   * `_SEQUENCE_NUMBER` when `withSeq` — only a merge compares sequence numbers, and decoding them
   * costs a tenth of a file's decode). With `prune`, only the row groups whose statistics may hold
   * a row of the filter are read; with `slice`, only its row groups (by ranged reads). With
   * `dropDeleted` (the caller drops the rows the file's deletion vector removes), long stretches of
   * deleted rows are not decoded at all.
   */
  private async readFile(
    dir: string,
    meta: DataFileMeta,
    needFields: DataField[],
    pk: boolean,
    withSeq: boolean,
    split: DataSplit,
    prune?: RowGroupPruning,
    dropDeleted = false,
    slice?: FileSlice,
  ): Promise<FileColumns[]> {
    const path = this.paths.dataFile(dir, meta);
    // Paimon names data files by format (`.parquet`, `.orc`, `.avro`); Eddy reads Parquet only.
    // (Postpone-bucket tables write their unbucketed rows as Avro, for one.)
    const ext = /\.(orc|avro|csv|json|lance|blob)$/i.exec(meta.fileName)?.[1];
    if (ext)
      throw new EddyError('UNSUPPORTED', `${path}: ${ext.toLowerCase()} data files are not supported (Parquet only)`, {
        path,
      });
    const fileSchema = meta.schemaId === this.schema.id ? this.schema : await this.schemas.schema(meta.schemaId);
    // Columns are found by field id in the file's schema, then read by that schema's name (Paimon's rule).
    const mapping = needFields.map((f) => fileSchema.fieldById(f.id));
    const names = mapping.filter((m) => m !== undefined).map((m) => m!.name);
    if (pk) {
      if (withSeq) names.push('_SEQUENCE_NUMBER');
      names.push('_VALUE_KIND');
    }
    const ranged =
      (this.io.preferRangedReads === true && meta.fileSize > 64 * 1024) || meta.fileSize > RANGED_READ_MIN_BYTES;
    const pruner = prune ? rowGroupPruner(prune.filter, this.schema, fileSchema, prune.valueStatsSafe) : undefined;
    const rowGroupFilter = slice
      ? (rg: RowGroupStats) => slice.rowGroups.has(rg.index) && (pruner === undefined || pruner(rg))
      : pruner;
    if (pk && prune?.keys && rowGroupFilter && !slice) {
      const probed = await this.probeFile(
        path,
        meta,
        fileSchema,
        needFields,
        mapping,
        prune.keys,
        rowGroupFilter,
        split,
        withSeq,
      );
      if (probed) return probed;
    }
    const whole = slice ? slice.deletionVector : await this.deletionVector(split, meta);
    const positions = whole && positionsOf(whole);
    const selected = await readParquetBatches(
      {
        size: meta.fileSize,
        readRange: (o, l) => this.io.readRange(path, o, l),
        readAll: ranged || slice ? undefined : () => this.io.read(path),
      },
      path,
      {
        columns: names,
        rowGroupFilter,
        rowRanges: dropDeleted && positions ? (rg) => liveRanges(positions, rg) : undefined,
        // The workers leave the deleted rows out as they hand the columns over.
        dropRows: dropDeleted && positions ? (pieces) => deletionMask(positions, pieces) : undefined,
        keepKeys: dropDeleted ? keepKeysOf(prune?.keys, this.schema, fileSchema) : undefined,
        cacheFooter: this.footerCache,
        footer: slice?.footer,
      },
    );
    if (selected.totalRows !== meta.rowCount) {
      throw new EddyError(
        'CORRUPT_FILE',
        `${path}: has ${selected.totalRows} rows, the manifest says ${meta.rowCount}`,
        { path },
      );
    }
    const keptRows = selected.rowGroups.reduce((n, rg) => n + rg.rows, 0);
    const batches = selected.batches;
    if (batches === undefined) return [];
    const decodedRows = batches.reduce((n, b) => n + b.rowsRead, 0);
    if (decodedRows !== keptRows) {
      throw new EddyError('CORRUPT_FILE', `${path}: decoded ${decodedRows} rows, the footer says ${keptRows}`, {
        path,
      });
    }
    const columnsOf = (batch: DecodedBatch) => {
      const cols = new Map<string, Column>();
      needFields.forEach((f, i) => {
        const m = mapping[i];
        if (!m) {
          cols.set(f.name, nullColumn(f, batch.rows));
          return;
        }
        const vec = batch.column(m.name);
        if (!vec) throw new EddyError('CORRUPT_FILE', `${path}: column '${m.name}' is missing`, { path });
        if (sameType(m.type, f.type)) {
          cols.set(f.name, decodedToColumn(vec, f.type));
          return;
        }
        // An evolved column: read in the file's type, then widen as Paimon's CastExecutors do.
        if (fileSchema.id > this.schema.id && !isImplementedWidening(m.type, f.type)) {
          throw new EddyError(
            'SCHEMA_CHANGED',
            `${path}: written in schema ${fileSchema.id}, newer than the schema ${this.schema.id} this read uses (column '${f.name}' changed type): reload the table`,
            { path },
          );
        }
        cols.set(f.name, castColumn(decodedToColumn(vec, m.type), m.type, f.type, `${path}: column '${m.name}'`));
      });
      let seq: BigInt64Array | undefined;
      let kind: Int8Array | Uint8Array | undefined;
      if (pk) {
        const s = withSeq ? batch.column('_SEQUENCE_NUMBER') : undefined;
        const k = batch.column('_VALUE_KIND');
        if ((withSeq && !s) || !k)
          throw new EddyError(
            'CORRUPT_FILE',
            `${path}: a primary-key data file needs _SEQUENCE_NUMBER and _VALUE_KIND`,
            {
              path,
            },
          );
        if (s) seq = decodedToColumn(s, { root: 'BIGINT', nullable: false }).data as BigInt64Array;
        kind = decodedToColumn(k, { root: 'TINYINT', nullable: false }).data as Int8Array;
      }
      return { cols, seq, kind };
    };
    // Positions are rows of the whole file; pruned row groups (and skipped rows) shift the rows
    // read. With `dropDeleted` the workers dropped them (or the batch says which are left).
    const deleted = !dropDeleted && positions ? deletionMask(positions, selected.rowGroups) : undefined;
    // One part per decoded batch (a row group, or less): no copy to join them; merges and
    // selections walk the parts in order.
    const parts: FileColumns[] = [];
    let base = 0;
    for (const batch of batches) {
      const dvPart = deleted ? deleted.subarray(base, base + batch.rows) : batch.deleted;
      base += batch.rows;
      if (batch.rows === 0) continue;
      parts.push({ ...columnsOf(batch), length: batch.rows, deleted: dvPart });
    }
    return parts;
  }

  /**
   * The deletion vector of a data file in a split, if it has one. Cached like footers (index files
   * are immutable, named by a UUID): a scan reads and parses each vector once, not every time.
   */
  private async deletionVector(split: DataSplit, meta: DataFileMeta): Promise<DeletionVector | undefined> {
    const dv = split.deletionFiles?.get(meta.fileName);
    if (!dv) return undefined;
    const indexPath = this.paths.indexFile(dv.indexFile, null);
    const cache = this.footerCache;
    const key = cache ? readCacheKey(cache, 'deletion-vector', `${dv.offset}+${dv.length}:${indexPath}`) : '';
    const hit = cache ? (readCache().get(key) as DeletionVector | undefined) : undefined;
    if (hit) return hit;
    // 32-bit DVs are framed by a size int and a CRC outside `length`; 64-bit ones are not: read up
    // to length + 8 but never past the index file's end.
    const n = deletionVectorReadLength(dv, dv.indexFileSize);
    const read = readDeletionVector(await this.io.readRange(indexPath, dv.offset, n), indexPath, dv.length);
    // Weighed as its bytes plus the positions a scan expands it to (8 bytes a deleted row).
    if (cache) readCache().set(key, read, n + 8 * read.cardinality + 256);
    return read;
  }

  /**
   * A primary-key file read by key (parquet-probe.ts): only the rows whose key is in `keys`, the
   * key column decoded in the candidate row groups' pages, the other columns only in the pages
   * that hold those rows. Undefined when a column is of a kind the probe does not decode exactly
   * (the caller then reads row groups).
   */
  private async probeFile(
    path: string,
    meta: DataFileMeta,
    fileSchema: TableSchema,
    needFields: readonly DataField[],
    mapping: readonly (DataField | undefined)[],
    keys: KeySet,
    rowGroupFilter: (rg: RowGroupStats) => boolean,
    split: DataSplit,
    withSeq: boolean,
  ): Promise<FileColumns[] | undefined> {
    const cur = this.schema.field(keys.column);
    const old = fileSchema.fieldById(cur.id);
    if (!old || !sameType(old.type, cur.type)) return undefined;
    const source = { size: meta.fileSize, readRange: (o: number, l: number) => this.io.readRange(path, o, l) };
    const footer = await readFooter(source, path, this.footerCache);
    if (footer.totalRows !== meta.rowCount) {
      throw new EddyError('CORRUPT_FILE', `${path}: has ${footer.totalRows} rows, the manifest says ${meta.rowCount}`, {
        path,
      });
    }
    const keyEl = probeSupport(footer, KEY_FIELD_PREFIX + old.name);
    const probe = keyEl && fileKeyProbe(keys, old.name, keyEl);
    if (!probe) return undefined;
    if (probe.values?.size === 0) return []; // no wanted key can be in this file
    // The key's value column holds what `_KEY_<k>` holds (Paimon writes the key as a copy of it):
    // taken from the probe, not decoded twice.
    const names: string[] = [];
    for (let i = 0; i < needFields.length; i++) {
      const m = mapping[i];
      if (!m) continue;
      const el = probeSupport(footer, m.name);
      if (!el || !probedTypeOk(el, m.type)) return undefined;
      if (m.id !== old.id) names.push(m.name);
    }
    const seqEl = probeSupport(footer, '_SEQUENCE_NUMBER');
    const kindEl = probeSupport(footer, '_VALUE_KIND');
    if (seqEl?.type !== 'INT64' || kindEl?.type !== 'INT32') return undefined;
    // Sequence numbers only order versions in a merge; a read without one needs the kind alone.
    if (withSeq) names.push('_SEQUENCE_NUMBER');
    names.push('_VALUE_KIND');
    const kept = footer.rowGroups.filter(rowGroupFilter);
    if (kept.length === 0) return [];
    const keyColumn = KEY_FIELD_PREFIX + old.name;
    const keptRows = kept.reduce((n, rg) => n + rg.rows, 0);
    const dense = !sparseEnough(probe, kept, keyColumn);
    // Raw columns at the rows found, by file column name, in the file schema's types.
    const fileType = new Map<string, DataType>([
      ['_SEQUENCE_NUMBER', { root: 'BIGINT', nullable: false }],
      ['_VALUE_KIND', { root: 'TINYINT', nullable: false }],
    ]);
    for (const m of mapping) if (m) fileType.set(m.name, m.type);
    const raw = new Map<string, Column>();
    let keyCol: Column;
    let positions: Uint32Array | Float64Array;
    const f = { io: this.io, path, source, footer };
    const index = INDEXED_KEYS.has(old.type.root) ? await fileKeyIndex(f, keyColumn, old.type, dense) : undefined;
    if (index) {
      // Keys from the in-memory index; the other columns by page, decoded once and kept.
      const rows = findRows(index, probe);
      // A wide range: whole row groups decode faster (on the workers) than page by page here.
      if (rows.length > Math.max(PROBE_MAX_KEY_ROWS, keptRows / 4)) return undefined;
      if (rows.length === 0) return [];
      positions = rows;
      keyCol = keysAt(index, rows, old.type);
      const cols = await columnsAt(
        f,
        names.map((n) => ({ column: n, el: footer.leaves.get(n)!, type: fileType.get(n)! })),
        rows,
      );
      names.forEach((n, i) => {
        raw.set(n, cols[i]);
      });
    } else {
      if (dense) return undefined;
      // The key pages probed here; the other columns by page through the page cache, as with an
      // index: a page decoded now serves later lookups whichever way they find their rows (the
      // index may be built in between: its lookups then find these pages decoded).
      const found = await probeParquet(source, footer, kept, probe, [], Math.max(PROBE_MAX_KEY_ROWS, keptRows / 4));
      if (!found) return undefined;
      if (found.positions.length === 0) return [];
      positions = found.positions;
      keyCol = probedToColumn(found.keys, old.type, path);
      const cols = await columnsAt(
        f,
        names.map((n) => ({ column: n, el: footer.leaves.get(n)!, type: fileType.get(n)! })),
        Uint32Array.from(found.positions),
      );
      names.forEach((n, i) => {
        raw.set(n, cols[i]);
      });
    }
    const n = positions.length;
    const cols = new Map<string, Column>();
    needFields.forEach((f, i) => {
      const m = mapping[i];
      if (!m) {
        cols.set(f.name, nullColumn(f, n));
        return;
      }
      const col = m.id === old.id ? keyCol : raw.get(m.name)!;
      if (sameType(m.type, f.type)) {
        cols.set(f.name, col);
        return;
      }
      if (fileSchema.id > this.schema.id && !isImplementedWidening(m.type, f.type)) {
        throw new EddyError(
          'SCHEMA_CHANGED',
          `${path}: written in schema ${fileSchema.id}, newer than the schema ${this.schema.id} this read uses (column '${f.name}' changed type): reload the table`,
          { path },
        );
      }
      cols.set(f.name, castColumn(col, m.type, f.type, `${path}: column '${m.name}'`));
    });
    const seq = raw.get('_SEQUENCE_NUMBER');
    const kind = raw.get('_VALUE_KIND')!;
    if (seq?.validity || kind.validity)
      throw new EddyError('CORRUPT_FILE', `${path}: null _SEQUENCE_NUMBER or _VALUE_KIND`, { path });
    const dv = await this.deletionVector(split, meta);
    let deleted: Uint8Array | undefined;
    if (dv) {
      deleted = new Uint8Array(n);
      for (let r = 0; r < n; r++) if (dv.has(positions[r])) deleted[r] = 1;
    }
    return [{ cols, seq: seq?.data as BigInt64Array | undefined, kind: kind.data as Int8Array, length: n, deleted }];
  }
}

/**
 * The wanted keys that can be in `split`'s bucket: on a table with a fixed number of buckets whose
 * bucket key is the key column, a key is only ever written to its hash's bucket (the planner drops
 * whole buckets by the same rule, for files written with the table's bucket count). Each file of
 * the bucket is then searched for its share of a batched get, not all of it.
 */
function keysOfBucket(
  keys: KeySet | undefined,
  filter: BoundPredicate,
  schema: TableSchema,
  split: DataSplit,
): KeySet | undefined {
  const n = schema.options.bucket;
  if (
    !keys?.values ||
    keys.values.length < 2 ||
    n <= 0 ||
    split.totalBuckets !== n ||
    schema.bucketKeys.length !== 1 ||
    schema.bucketKeys[0] !== keys.column
  )
    return keys;
  let byBucket = bucketed.get(filter);
  if (!byBucket || byBucket.n !== n) {
    const fn = new BucketFunction([keys.type], n);
    const map = new Map<number, InternalValue[]>();
    for (const v of keys.values) {
      const b = fn.bucket([v]);
      const list = map.get(b);
      if (list) list.push(v);
      else map.set(b, [v]);
    }
    byBucket = { n, keys: new Map() };
    for (const [b, values] of map) byBucket.keys.set(b, { ...keys, values });
    bucketed.set(filter, byBucket);
  }
  return byBucket.keys.get(split.bucket) ?? { ...keys, values: [] };
}

const bucketed = new WeakMap<BoundPredicate, { n: number; keys: Map<number, KeySet> }>();

/** Integer and string keys: files are searched through an in-memory key index once it pays (key-index.ts). */
const INDEXED_KEYS = new Set(['TINYINT', 'SMALLINT', 'INT', 'BIGINT', 'CHAR', 'VARCHAR']);

/** Key rows a probe decodes at most (or a quarter of the candidate rows, if more). */
const PROBE_MAX_KEY_ROWS = 65536;
/** @internal Tests set `rowsPerKey` to 1 to probe whatever the number of keys. */
export const probeTuning = { rowsPerKey: 32768 };

/**
 * Whether probing pays: the wanted keys that may lie in the candidate row groups are few next to
 * their rows (about one per 32Ki rows). With more, nearly every page is decoded anyway, and the
 * row groups decode faster whole, in the worker threads, than page by page on this thread (1,000
 * random keys: 105–216 keys/s probed vs 366–1,369 by row group on the bench's tables).
 */
function sparseEnough(probe: KeyProbe, kept: readonly RowGroupStats[], keyColumn: string): boolean {
  const rows = kept.reduce((n, rg) => n + rg.rows, 0);
  const limit = Math.max(1, Math.floor(rows / probeTuning.rowsPerKey));
  // A range: its pages are pruned by the page index (probeParquet bounds the rows it decodes).
  if (!probe.values) return true;
  if (probe.values.size <= limit) return true;
  const ranges = kept.map((rg) => rg.stats(keyColumn));
  let hits = 0;
  for (const v of probe.values) {
    const inside = ranges.some(
      (s) =>
        typeof v === 'string' || // probe strings are UTF-8 bytes as latin1: not comparable to bounds
        s === undefined ||
        typeof s.min !== typeof v ||
        typeof s.max !== typeof v ||
        ((v as number) >= (s.min as number) && (v as number) <= (s.max as number)),
    );
    if (inside && ++hits > limit) return false;
  }
  return true;
}

/** The rows of one file a read returns: no retractions, no rows a deletion vector removes, the filter. */
function selectRows(
  fc: FileColumns,
  projection: readonly DataField[],
  filter: BoundPredicate | undefined,
): ColumnBatch {
  const columnOf = (name: string) => fc.cols.get(name)!;
  const kind = fc.kind;
  const del = fc.deleted;
  const n = fc.length;
  const keep = (r: number) =>
    !(kind !== undefined && isRetract(kind[r])) &&
    !(del !== undefined && del[r] !== 0) &&
    !(filter && !testRow(filter, columnOf, r));
  // The rows up to the first dropped one need no index: a file whose rows all stay (the common
  // case) is returned as decoded, without allocating one.
  let first = 0;
  while (first < n && keep(first)) first++;
  if (first === n) return { fields: projection, columns: projection.map((f) => columnOf(f.name)), length: n };
  let idx = new Uint32Array(n);
  for (let r = 0; r < first; r++) idx[r] = r;
  let m = first;
  for (let r = first + 1; r < n; r++) if (keep(r)) idx[m++] = r;
  idx = idx.subarray(0, m);
  return { fields: projection, columns: projection.map((f) => gatherColumn(columnOf(f.name), idx)), length: m };
}

/** Filter then project columns aligned with `fields`. */
function finish(
  projection: readonly DataField[],
  fields: readonly DataField[],
  columns: readonly Column[],
  length: number,
  filter: BoundPredicate | undefined,
): ColumnBatch {
  const index = new Map(fields.map((f, i) => [f.name, i]));
  const columnOf = (name: string) => columns[index.get(name) ?? -1];
  let idx: Uint32Array | undefined;
  if (filter) {
    idx = new Uint32Array(length);
    let m = 0;
    for (let r = 0; r < length; r++) if (testRow(filter, columnOf, r)) idx[m++] = r;
    idx = idx.subarray(0, m);
  }
  const out = projection.map((f) => (idx ? gatherColumn(columnOf(f.name), idx) : columnOf(f.name)));
  return { fields: projection, columns: out, length: idx ? idx.length : length };
}

/**
 * A row-group filter for one data file: the filter's columns are found by field id in the file's
 * schema (a column whose type changed has statistics in the old type: not used), key columns by
 * their `_KEY_` copy, value columns only when `valueStatsSafe`.
 */
export function rowGroupPruner(
  filter: BoundPredicate,
  schema: TableSchema,
  fileSchema: TableSchema,
  valueStatsSafe: boolean,
): (rg: RowGroupStats) => boolean {
  const keys = schema.isPrimaryKeyTable ? new Set(fileSchema.trimmedPrimaryKeys) : new Set<string>();
  const fileColumn = new Map<string, string[]>();
  for (const c of predicateColumns(filter)) {
    const cur = schema.fields.find((f) => f.name === c);
    const old = cur && fileSchema.fields.find((f) => f.id === cur.id);
    if (!cur || !old || !sameType(old.type, cur.type)) continue;
    const names: string[] = [];
    if (keys.has(old.name)) names.push(KEY_FIELD_PREFIX + old.name);
    if (valueStatsSafe) names.push(old.name);
    fileColumn.set(c, names);
  }
  return (rg) =>
    mayMatch(filter, (c) => {
      for (const n of fileColumn.get(c) ?? []) {
        const s = rg.stats(n);
        if (s) return s;
      }
      return undefined;
    });
}

/**
 * A lookup's keys for the decoding workers to filter rows by (an integer key column of the same
 * type in the file): only the matching rows then cross to this thread, where the filter still
 * applies. Every version of a key carries the key, so a merge over the rows left is the same.
 */
function keepKeysOf(
  keys: KeySet | undefined,
  schema: TableSchema,
  fileSchema: TableSchema,
): { column: string; values: BigInt64Array } | undefined {
  if (!keys?.values || !INTEGER_KEYS.has(keys.type.root)) return undefined;
  const old = fileSchema.fieldById(schema.field(keys.column).id);
  if (!old || !sameType(old.type, keys.type)) return undefined;
  let values = keyValues.get(keys);
  if (!values) {
    values = BigInt64Array.from(keys.values, (v) => BigInt(v as number | bigint));
    keyValues.set(keys, values);
  }
  return { column: old.name, values };
}

const INTEGER_KEYS = new Set(['TINYINT', 'SMALLINT', 'INT', 'BIGINT']);
const keyValues = new WeakMap<KeySet, BigInt64Array>();

/** A deletion vector's positions, expanded once per vector (a cached vector keeps them). */
const expanded = new WeakMap<DeletionVector, Float64Array>();

function positionsOf(dv: DeletionVector): Float64Array {
  let p = expanded.get(dv);
  if (!p) {
    p = deletionVectorPositions(dv);
    expanded.set(dv, p);
  }
  return p;
}

/** @internal Deleted rows in a row (at least this many) are skipped, not decoded; tests set 1. */
export const dvSkipTuning = { minRows: 8192 };

/**
 * The rows of row group `rg` to decode given a deletion vector's positions (ascending file
 * positions): ranges [from, to) of the group's rows around each stretch of at least
 * `dvSkipTuning.minRows` consecutive deleted rows (shorter ones are not worth a decode job of
 * their own: a page holds thousands of rows); undefined when nothing is skipped, empty when every
 * row is deleted. Every row not deleted lies in a range.
 */
export function liveRanges(
  positions: ArrayLike<number>,
  rg: Pick<RowGroupStats, 'firstRow' | 'rows'>,
): [number, number][] | undefined {
  const end = rg.firstRow + rg.rows;
  let lo = 0;
  let hi = positions.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (positions[mid] < rg.firstRow) lo = mid + 1;
    else hi = mid;
  }
  const out: [number, number][] = [];
  let from = 0; // start of the live range being built, in rows of the group
  let skipped = false;
  let p = lo;
  while (p < positions.length && positions[p] < end) {
    // A stretch of consecutive deleted positions [a, b).
    const a = positions[p];
    let b = a + 1;
    p++;
    while (p < positions.length && positions[p] === b && b < end) {
      b++;
      p++;
    }
    if (b - a < dvSkipTuning.minRows) continue;
    skipped = true;
    if (a - rg.firstRow > from) out.push([from, a - rg.firstRow]);
    from = b - rg.firstRow;
  }
  if (!skipped) return undefined;
  if (from < rg.rows) out.push([from, rg.rows]);
  return out;
}

/**
 * A deletion vector's positions (ascending file positions) as a selection vector over the rows of
 * the kept row groups (in file order): 1 at each row read that is deleted. Pruned row groups shift
 * the rows read; positions in them, or past the file's end, select nothing.
 */
export function deletionMask(
  positions: ArrayLike<number>,
  kept: readonly Pick<RowGroupStats, 'firstRow' | 'rows'>[],
): Uint8Array {
  let total = 0;
  for (const rg of kept) total += rg.rows;
  const mask = new Uint8Array(total);
  let p = 0;
  let base = 0;
  for (const rg of kept) {
    const end = rg.firstRow + rg.rows;
    // The first position at or past the group's first row (binary search: a piece of a file
    // deleted almost whole starts deep into its positions).
    let hi = positions.length;
    while (p < hi) {
      const mid = (p + hi) >>> 1;
      if (positions[mid] < rg.firstRow) p = mid + 1;
      else hi = mid;
    }
    for (; p < positions.length && positions[p] < end; p++) mask[base + positions[p] - rg.firstRow] = 1;
    base += rg.rows;
  }
  return mask;
}

function nullColumn(f: DataField, n: number): Column {
  if (!f.type.nullable)
    throw new EddyError('UNSUPPORTED', `column '${f.name}' is NOT NULL but absent from an older data file`);
  const validity = new Uint8Array(n);
  return { ...emptyTyped(f, n), validity };
}

function emptyTyped(f: DataField, n: number): Column {
  const t = f.type;
  switch (t.root) {
    case 'BOOLEAN':
      return { type: t, length: n, data: new Uint8Array(n), validity: null };
    case 'TINYINT':
      return { type: t, length: n, data: new Int8Array(n), validity: null };
    case 'SMALLINT':
      return { type: t, length: n, data: new Int16Array(n), validity: null };
    case 'INT':
    case 'DATE':
      return { type: t, length: n, data: new Int32Array(n), validity: null };
    case 'FLOAT':
      return { type: t, length: n, data: new Float32Array(n), validity: null };
    case 'DOUBLE':
      return { type: t, length: n, data: new Float64Array(n), validity: null };
    case 'CHAR':
    case 'VARCHAR':
    case 'BINARY':
    case 'VARBINARY':
      return { type: t, length: n, data: { offsets: new Int32Array(n + 1), bytes: new Uint8Array(0) }, validity: null };
    case 'DECIMAL':
      return t.precision > 18
        ? { type: t, length: n, data: new Array<bigint>(n).fill(0n), validity: null }
        : { type: t, length: n, data: new BigInt64Array(n), validity: null };
    default:
      return { type: t, length: n, data: new BigInt64Array(n), validity: null };
  }
}

/** The winning (file, row) of each key of a merge, in key order: the first `length` entries. */
interface Selection {
  readonly file: Uint16Array;
  readonly row: Uint32Array;
  length: number;
}

/** An empty selection with room for every row of a key window. */
function selectionFor(w: KeyWindow): Selection {
  let cap = 0;
  for (let i = 0; i < w.files.length; i++) cap += w.end[i] - w.start[i];
  return { file: new Uint16Array(cap), row: new Uint32Array(cap), length: 0 };
}

/** Whether this platform stores typed arrays little-endian (a 64-bit value's low word first). */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A BigInt64Array as its 32-bit words: [2r] the low (unsigned) half of row r, [2r + 1] the high (signed). */
function words(a: BigInt64Array): Int32Array {
  return new Int32Array(a.buffer, a.byteOffset, a.length * 2);
}

/**
 * Merge-on-read for the common case of one integer key and no sequence.field: a k-way merge that
 * compares the key arrays directly. 64-bit keys and sequence numbers are compared as (high, low)
 * 32-bit word pairs — signed high, unsigned low, the order of the int64 — so the loop reads no
 * BigInt (each read would allocate one). Returns false (doing nothing) when the key columns don't fit.
 */
function mergeIntegerKeys(
  files: FileColumns[],
  keyName: string,
  sel: Selection,
  keepRetracts: boolean,
  start: readonly number[],
  end: readonly number[],
): boolean {
  if (!LITTLE_ENDIAN) return false;
  const n = files.length;
  let wide = false;
  const narrow: (Int32Array | Int16Array | Int8Array)[] = [];
  const wideKeys: Int32Array[] = [];
  for (let f = 0; f < n; f++) {
    const c = files[f].cols.get(keyName)!;
    const d = c.data;
    if (c.validity !== null) return false;
    if (d instanceof BigInt64Array) {
      wide = true;
      wideKeys.push(words(d));
    } else if (d instanceof Int32Array || d instanceof Int16Array || d instanceof Int8Array) narrow.push(d);
    else return false;
  }
  if (wide && wideKeys.length !== n) return false; // mixed widths: not expected (one read type)
  const pos = Int32Array.from(start);
  const len = end;
  const seqs = files.map((f) => words(f.seq!));
  const kinds = files.map((f) => f.kind!);
  const outFile = sel.file;
  const outRow = sel.row;
  let m = sel.length;
  // Each file's next key as (high, low) words, cached; narrow keys use high alone (low 0).
  const curH = new Float64Array(n);
  const curL = new Float64Array(n);
  const done = new Uint8Array(n);
  const reload = (f: number) => {
    const r = pos[f];
    if (r >= len[f]) {
      done[f] = 1;
      return;
    }
    if (wide) {
      curH[f] = wideKeys[f][2 * r + 1];
      curL[f] = wideKeys[f][2 * r] >>> 0;
    } else curH[f] = narrow[f][r];
  };
  for (let f = 0; f < n; f++) reload(f);
  for (;;) {
    // The smallest and second-smallest next keys among the files.
    let minF = -1;
    let minH = 0;
    let minL = 0;
    let secF = -1;
    let secH = 0;
    let secL = 0;
    for (let f = 0; f < n; f++) {
      if (done[f] === 1) continue;
      const h = curH[f];
      const l = curL[f];
      if (minF < 0 || h < minH || (h === minH && l < minL)) {
        secF = minF;
        secH = minH;
        secL = minL;
        minF = f;
        minH = h;
        minL = l;
      } else if (secF < 0 || h < secH || (h === secH && l < secL)) {
        secF = f;
        secH = h;
        secL = l;
      }
    }
    if (minF < 0) break;
    if (secF < 0 || minH < secH || (minH === secH && minL < secL)) {
      // Only file minF holds keys below the second-smallest next key (the others are sorted): its
      // rows up to there are emitted without looking at the other files. A key it holds more than
      // once (tolerated, from other writers) goes to its highest sequence number, the later row on a tie.
      const f = minF;
      const s = seqs[f];
      const kf = kinds[f];
      const e = len[f];
      let r = pos[f];
      while (r < e) {
        let h: number;
        let l = 0;
        if (wide) {
          h = wideKeys[f][2 * r + 1];
          l = wideKeys[f][2 * r] >>> 0;
        } else h = narrow[f][r];
        if (secF >= 0 && (h > secH || (h === secH && l >= secL))) break;
        let winR = r;
        let winH = s[2 * r + 1];
        let winL = s[2 * r] >>> 0;
        r++;
        for (; r < e; r++) {
          if (wide) {
            if (wideKeys[f][2 * r + 1] !== h || wideKeys[f][2 * r] >>> 0 !== l) break;
          } else if (narrow[f][r] !== h) break;
          const sh = s[2 * r + 1];
          const sl = s[2 * r] >>> 0;
          if (sh > winH || (sh === winH && sl >= winL)) {
            winR = r;
            winH = sh;
            winL = sl;
          }
        }
        if (keepRetracts || !isRetract(kf[winR])) {
          outFile[m] = f;
          outRow[m++] = winR;
        }
      }
      pos[f] = r;
      reload(f);
      continue;
    }
    // The smallest key is in several files: every version of it competes.
    let winF = -1;
    let winR = -1;
    let winH = 0;
    let winL = 0;
    for (let f = 0; f < n; f++) {
      if (done[f] === 1 || curH[f] !== minH || curL[f] !== minL) continue;
      const s = seqs[f];
      // Files hold a key once; tolerate duplicates from other writers by looping.
      for (;;) {
        const r = pos[f];
        if (r >= len[f]) break;
        if (wide) {
          const k = wideKeys[f];
          if (k[2 * r + 1] !== minH || k[2 * r] >>> 0 !== minL) break;
        } else if (narrow[f][r] !== minH) break;
        pos[f]++;
        const sh = s[2 * r + 1];
        const sl = s[2 * r] >>> 0;
        // The highest sequence number wins; on a tie the later file (files are in sequence order).
        if (winF < 0 || sh > winH || (sh === winH && sl >= winL)) {
          winF = f;
          winR = r;
          winH = sh;
          winL = sl;
        }
      }
      reload(f);
    }
    if (keepRetracts || !isRetract(kinds[winF][winR])) {
      outFile[m] = winF;
      outRow[m++] = winR;
    }
  }
  sel.length = m;
  return true;
}

/** The first index in [lo, hi) where `inside` turns false (`inside` holds for a prefix). */
function upperBound(lo: number, hi: number, inside: (r: number) => boolean): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (inside(mid)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The sorted runs of a bucket's files, each in key order: every level-0 file is a run; each higher
 * level is one run by Paimon's invariant. Files of a level that overlap (not expected) are put in
 * runs of their own, so the merge stays correct either way.
 */
function runsInKeyOrder(files: readonly DataFileMeta[], keyTypes: readonly DataType[]): DataFileMeta[][] {
  const runs: DataFileMeta[][] = [];
  const levels = new Map<number, DataFileMeta[]>();
  for (const f of files) {
    if (f.level === 0) runs.push([f]);
    else {
      const l = levels.get(f.level);
      if (l) l.push(f);
      else levels.set(f.level, [f]);
    }
  }
  const compareKeys = (a: readonly InternalValue[], b: readonly InternalValue[]) => {
    for (let i = 0; i < keyTypes.length; i++) {
      const c = compareValues(keyTypes[i], a[i], b[i]);
      if (c !== 0) return c;
    }
    return 0;
  };
  for (const level of levels.values()) {
    const ranged = level
      .map((f) => ({ f, min: deserializeBinaryRow(f.minKey, keyTypes), max: deserializeBinaryRow(f.maxKey, keyTypes) }))
      .sort((a, b) => compareKeys(a.min, b.min));
    const levelRuns: { files: DataFileMeta[]; max: readonly InternalValue[] }[] = [];
    for (const r of ranged) {
      const run = levelRuns.find((x) => compareKeys(x.max, r.min) < 0);
      if (run) {
        run.files.push(r.f);
        run.max = r.max;
      } else levelRuns.push({ files: [r.f], max: r.max });
    }
    for (const r of levelRuns) runs.push(r.files);
  }
  return runs;
}

/**
 * Row groups (indexes, in file order) in slices of at most `maxRows` rows — a row group larger than
 * that is a slice alone — cut only between row groups whose `keyColumn` statistics show the keys
 * strictly ascending across the cut (the next group's min above this one's max, no nulls). Only
 * integer statistics are trusted for this (strings compare by bytes in the footer, by code units
 * here); a file without them is one slice.
 */
export function sliceRowGroups(
  rowGroups: readonly RowGroupStats[],
  keyColumn: string,
  maxRows: number,
): ReadonlySet<number>[] {
  const slices: Set<number>[] = [];
  let current = new Set<number>();
  let rows = 0;
  for (let i = 0; i < rowGroups.length; i++) {
    const rg = rowGroups[i];
    if (current.size > 0 && rows + rg.rows > maxRows && keysAscendAcross(rowGroups[i - 1], rg, keyColumn)) {
      slices.push(current);
      current = new Set();
      rows = 0;
    }
    current.add(rg.index);
    rows += rg.rows;
  }
  if (current.size > 0) slices.push(current);
  return slices;
}

function keysAscendAcross(a: RowGroupStats, b: RowGroupStats, keyColumn: string): boolean {
  const sa = a.stats(keyColumn);
  const sb = b.stats(keyColumn);
  if (!sa || !sb || sa.nullCount !== 0 || sb.nullCount !== 0) return false;
  const max = sa.max;
  const min = sb.min;
  if (typeof max === 'number' && typeof min === 'number') return max < min;
  if (typeof max === 'bigint' && typeof min === 'bigint') return max < min;
  return false;
}

/**
 * Reads one sorted run in key order, as chunks of decoded parts: each file is opened into loaders
 * (one for the whole file, or one per slice of row groups), and one chunk is loaded ahead — across
 * files too — while the merge works on the current one.
 */
class RunCursor {
  current: FileColumns | undefined;
  /** The file of `current`. */
  meta: DataFileMeta | undefined;
  /** The first row of `current` not yet merged. */
  pos = 0;
  private next = 0;
  private loaders: { meta: DataFileMeta; load: () => Promise<FileColumns[]> }[] = [];
  private ahead: Promise<{ meta: DataFileMeta; parts: FileColumns[] } | undefined> | undefined;
  /** Parts of the chunk of file `partsMeta` not yet current. */
  private parts: FileColumns[] = [];
  private partsMeta: DataFileMeta | undefined;

  constructor(
    private readonly files: readonly DataFileMeta[],
    private readonly open: (
      f: DataFileMeta,
    ) => (() => Promise<FileColumns[]>)[] | Promise<(() => Promise<FileColumns[]>)[]>,
    private readonly cmp: (a: FileColumns, ra: number, b: FileColumns, rb: number) => number,
    private readonly dir: string,
  ) {}

  /** Makes `current` a part with rows left, or undefined once the run is done. */
  async ready(): Promise<void> {
    while (this.current === undefined || this.pos >= this.current.length) {
      if (this.parts.length === 0) {
        const chunk = await (this.ahead ?? this.fetch());
        if (chunk === undefined) {
          this.ahead = undefined;
          this.current = undefined;
          return;
        }
        this.ahead = this.fetch();
        // Awaited on the next call; if the merge stops first, its outcome no longer matters.
        this.ahead.catch(() => undefined);
        this.partsMeta = chunk.meta;
        this.parts = this.keyedParts(chunk.parts, chunk.meta);
        continue;
      }
      const fc = this.parts.shift()!;
      const meta = this.partsMeta!;
      const prev = this.current;
      if (prev && prev.length > 0 && fc.length > 0 && this.cmp(prev, prev.length - 1, fc, 0) >= 0) {
        const path = joinPath(this.dir, meta.fileName);
        throw new EddyError(
          'CORRUPT_FILE',
          meta === this.meta
            ? `${path}: a primary-key data file whose keys are not sorted`
            : `${path}: level ${meta.level} is not a sorted run: this file's first key is not above the previous file's last key`,
          { path },
        );
      }
      this.current = fc;
      this.meta = meta;
      this.pos = 0;
    }
  }

  /** Loads the run's next chunk (opening its next file when the current one is used up). */
  private async fetch(): Promise<{ meta: DataFileMeta; parts: FileColumns[] } | undefined> {
    while (this.loaders.length === 0) {
      if (this.next >= this.files.length) return undefined;
      const meta = this.files[this.next++];
      this.loaders = (await this.open(meta)).map((load) => ({ meta, load }));
    }
    const { meta, load } = this.loaders.shift()!;
    return { meta, parts: await load() };
  }

  /**
   * A chunk's parts as the merge needs them: every version of a key in one part. A file holds a key
   * once, but the merge tolerates duplicates from other writers when they are adjacent in one part,
   * so parts whose boundary splits a key are joined (a copy, only then). Keys that descend across a
   * boundary mean an unsorted file: an error, not a wrong merge.
   */
  private keyedParts(parts: FileColumns[], meta: DataFileMeta): FileColumns[] {
    const out: FileColumns[] = [];
    for (const p of parts) {
      const last = out[out.length - 1];
      const c = last ? this.cmp(last, last.length - 1, p, 0) : -1;
      if (c < 0) out.push(p);
      else if (c === 0) out[out.length - 1] = joinParts(last, p);
      else {
        const path = joinPath(this.dir, meta.fileName);
        throw new EddyError('CORRUPT_FILE', `${path}: a primary-key data file whose keys are not sorted`, { path });
      }
    }
    return out;
  }
}

/** Parts without the rows their deletion vector removes (empty parts dropped). */
function withoutDeletedRows(parts: FileColumns[]): FileColumns[] {
  if (parts.every((p) => p.deleted === undefined)) return parts;
  const out: FileColumns[] = [];
  for (const p of parts) {
    const del = p.deleted;
    if (!del) {
      if (p.length > 0) out.push(p);
      continue;
    }
    const idx = new Uint32Array(p.length);
    let m = 0;
    for (let r = 0; r < p.length; r++) if (del[r] === 0) idx[m++] = r;
    if (m === 0) continue;
    const keep = idx.subarray(0, m);
    const cols = new Map<string, Column>();
    for (const [name, col] of p.cols) cols.set(name, gatherColumn(col, keep));
    const seq = p.seq && BigInt64Array.from(keep, (r) => p.seq![r]);
    const kind = p.kind && Int8Array.from(keep, (r) => p.kind![r]);
    out.push({ cols, seq, kind, length: m, deleted: undefined });
  }
  return out;
}

/** Two consecutive parts of one file as one (columns, system columns and deletion vector). */
function joinParts(a: FileColumns, b: FileColumns): FileColumns {
  const cols = new Map<string, Column>();
  for (const [name, col] of a.cols) cols.set(name, concatColumns([col, b.cols.get(name)!]));
  const seq = a.seq && b.seq ? new BigInt64Array(a.length + b.length) : undefined;
  if (seq) {
    seq.set(a.seq!.subarray(0, a.length));
    seq.set(b.seq!.subarray(0, b.length), a.length);
  }
  const kind = a.kind && b.kind ? new Int8Array(a.length + b.length) : undefined;
  if (kind) {
    kind.set(a.kind!.subarray(0, a.length));
    kind.set(b.kind!.subarray(0, b.length), a.length);
  }
  let deleted: Uint8Array | undefined;
  if (a.deleted || b.deleted) {
    deleted = new Uint8Array(a.length + b.length);
    if (a.deleted) deleted.set(a.deleted.subarray(0, a.length));
    if (b.deleted) deleted.set(b.deleted.subarray(0, b.length), a.length);
  }
  return { cols, seq, kind, length: a.length + b.length, deleted };
}
