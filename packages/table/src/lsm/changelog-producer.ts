import { randomUUID } from 'node:crypto';
import { type Column, ColumnBuilder, columnValue, compareColumnRows } from '../data/columns.ts';
import type { DataFileMeta } from '../format/manifest.ts';
import { type FileIO, joinPath } from '../io/file-io.ts';
import type { DataSplit } from '../meta/data-split.ts';
import type { CompactionBatch, SplitReader } from '../read/split-reader.ts';
import type { TableSchema } from '../schema/table-schema.ts';
import { RowKind } from '../types/internal.ts';
import { writeKeyValueFile } from '../write/key-value-file.ts';
import type { CompactUnit } from './universal-compaction.ts';

/**
 * Changelog from compaction (`changelog-producer` = `lookup` or `full-compaction`): for each key
 * the compaction settles, compare the table's state before the new records with the state after,
 * and emit +I (new key), -D (removed key), or -U old / +U new. With `lookup` the keys are those of
 * the level-0 files being compacted and "before" is every other file of the bucket; with
 * `full-compaction` (only when everything goes to the last level) "before" is the previous last
 * level. Returns the changelog file, or undefined when nothing changed.
 */
export async function produceChangelog(
  io: FileIO,
  schema: TableSchema,
  reader: SplitReader,
  split: DataSplit,
  unit: CompactUnit,
  maxLevel: number,
): Promise<DataFileMeta | undefined> {
  const producer = schema.options.changelogProducer;
  let keyFiles: readonly DataFileMeta[] | undefined;
  let beforeFiles: readonly DataFileMeta[];
  if (producer === 'lookup') {
    const l0 = new Set(unit.files.filter((f) => f.level === 0).map((f) => f.fileName));
    if (l0.size === 0) return undefined;
    keyFiles = split.files.filter((f) => l0.has(f.fileName));
    beforeFiles = split.files.filter((f) => !l0.has(f.fileName));
  } else if (producer === 'full-compaction') {
    if (unit.outputLevel !== maxLevel || unit.files.length !== split.files.length) return undefined;
    beforeFiles = split.files.filter((f) => f.level === maxLevel);
  } else return undefined;

  const seq: bigint[] = [];
  const kind: number[] = [];
  let columns: Column[] = [];
  // Three merged streams in key order, walked together: memory follows the files each merge holds.
  const stream = (files: readonly DataFileMeta[], dropRetracts: boolean) =>
    new BatchCursor(files.length === 0 ? undefined : reader.compactionBatches({ ...split, files }, dropRetracts));
  const before = stream(beforeFiles, true);
  const after = stream(split.files, true);
  const keys = keyFiles ? stream(keyFiles, false) : undefined;
  try {
    await Promise.all([before.fill(), after.fill(), keys?.fill()]);
    const keyIdx = schema.trimmedPrimaryKeys.map((k) => schema.fieldIndex(k));
    const cmp = (a: CompactionBatch, ra: number, b: CompactionBatch, rb: number) => {
      for (const k of keyIdx) {
        const c = compareColumnRows(a.columns[k], ra, b.columns[k], rb);
        if (c !== 0) return c;
      }
      return 0;
    };
    const sameRow = (a: CompactionBatch, ra: number, b: CompactionBatch, rb: number) =>
      a.columns.every((c, i) => compareColumnRows(c, ra, b.columns[i], rb) === 0);
    const dedupe = schema.rawOptions['changelog-producer.row-deduplicate'] === 'true';

    const builders = schema.fields.map((f) => new ColumnBuilder(f.type, f.name));
    const emit = (src: CompactionBatch, r: number, k: number) => {
      for (let i = 0; i < builders.length; i++) builders[i].appendInternal(columnValue(src.columns[i], r));
      seq.push(src.seq[r]);
      kind.push(k);
    };
    while (before.batch || after.batch) {
      const b = before.batch;
      const a = after.batch;
      const c = !b ? 1 : !a ? -1 : cmp(b, before.row, a, after.row);
      // With lookup, only keys the level-0 files touched produce changes.
      let touched = true;
      if (keys) {
        const probe = c <= 0 ? { b: b!, r: before.row } : { b: a!, r: after.row };
        while (keys.batch && cmp(keys.batch, keys.row, probe.b, probe.r) < 0) if (keys.step()) await keys.fill();
        touched = keys.batch !== undefined && cmp(keys.batch, keys.row, probe.b, probe.r) === 0;
      }
      if (c < 0) {
        if (touched) emit(b!, before.row, RowKind.DELETE);
        if (before.step()) await before.fill();
      } else if (c > 0) {
        if (touched) emit(a!, after.row, RowKind.INSERT);
        if (after.step()) await after.fill();
      } else {
        if (touched && !(dedupe && sameRow(b!, before.row, a!, after.row))) {
          emit(b!, before.row, RowKind.UPDATE_BEFORE);
          emit(a!, after.row, RowKind.UPDATE_AFTER);
        }
        if (before.step()) await before.fill();
        if (after.step()) await after.fill();
      }
    }
    columns = builders.map((bl) => bl.finish());
  } finally {
    await Promise.allSettled([before.close(), after.close(), keys?.close()]);
  }
  if (seq.length === 0) return undefined;
  const records = {
    columns,
    seq: BigInt64Array.from(seq),
    kind: Int8Array.from(kind),
    length: seq.length,
  };
  const path = joinPath(reader.bucketPath(split), `changelog-${randomUUID()}-0.parquet`);
  return writeKeyValueFile(io, path, schema, records, 0, 1);
}

/** A row cursor over a stream of merged batches (`batch` is undefined once the stream is done). */
class BatchCursor {
  batch: CompactionBatch | undefined;
  row = 0;
  constructor(private readonly batches: AsyncGenerator<CompactionBatch> | undefined) {}

  /** Loads the next non-empty batch, or sets `batch` undefined at the end. */
  async fill(): Promise<void> {
    this.row = 0;
    for (;;) {
      const r = this.batches ? await this.batches.next() : undefined;
      this.batch = r && !r.done ? r.value : undefined;
      if (!this.batch || this.batch.length > 0) return;
    }
  }

  /** Moves to the next row; true when the batch is used up and `fill` must be awaited (per batch, not per row). */
  step(): boolean {
    return ++this.row >= this.batch!.length;
  }

  async close(): Promise<void> {
    await this.batches?.return(undefined);
  }
}
