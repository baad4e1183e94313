import { randomUUID } from 'node:crypto';
import { type Column, ColumnBuilder, columnValue, compareColumnRows } from '../format/columns.ts';
import type { DataFileMeta } from '../format/manifest.ts';
import { type FileIO, joinPath } from '../io/file-io.ts';
import type { CompactionBatch, SplitReader } from '../read/split-reader.ts';
import type { DataSplit } from '../scan/scan-planner.ts';
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

  const read = (files: readonly DataFileMeta[]) =>
    files.length === 0 ? Promise.resolve(EMPTY) : reader.readForCompaction({ ...split, files }, true);
  const [before, after] = await Promise.all([read(beforeFiles), read(split.files)]);
  const keys = keyFiles ? await reader.readForCompaction({ ...split, files: keyFiles }, false) : undefined;

  const keyIdx = schema.trimmedPrimaryKeys.map((k) => schema.fieldIndex(k));
  const cmp = (a: CompactionBatch, ra: number, b: CompactionBatch, rb: number) => {
    for (const k of keyIdx) {
      const c = compareColumnRows(a.columns[k], ra, b.columns[k], rb);
      if (c !== 0) return c;
    }
    return 0;
  };
  const sameRow = (ra: number, rb: number) =>
    before.columns.every((c, i) => compareColumnRows(c, ra, after.columns[i], rb) === 0);
  const dedupe = schema.rawOptions['changelog-producer.row-deduplicate'] === 'true';

  const builders = schema.fields.map((f) => new ColumnBuilder(f.type, f.name));
  const seq: bigint[] = [];
  const kind: number[] = [];
  const emit = (src: CompactionBatch, r: number, k: number) => {
    for (let i = 0; i < builders.length; i++) builders[i].appendInternal(columnValue(src.columns[i], r));
    seq.push(src.seq[r]);
    kind.push(k);
  };
  let i = 0;
  let j = 0;
  let q = 0;
  while (i < before.length || j < after.length) {
    const c = i >= before.length ? 1 : j >= after.length ? -1 : cmp(before, i, after, j);
    // With lookup, only keys the level-0 files touched produce changes.
    const probe = c <= 0 ? { b: before, r: i } : { b: after, r: j };
    let touched = true;
    if (keys) {
      while (q < keys.length && cmp(keys, q, probe.b, probe.r) < 0) q++;
      touched = q < keys.length && cmp(keys, q, probe.b, probe.r) === 0;
    }
    if (c < 0) {
      if (touched) emit(before, i, RowKind.DELETE);
      i++;
    } else if (c > 0) {
      if (touched) emit(after, j, RowKind.INSERT);
      j++;
    } else {
      if (touched && !(dedupe && sameRow(i, j))) {
        emit(before, i, RowKind.UPDATE_BEFORE);
        emit(after, j, RowKind.UPDATE_AFTER);
      }
      i++;
      j++;
    }
  }
  if (seq.length === 0) return undefined;
  const records = {
    columns: builders.map((b) => b.finish()),
    seq: BigInt64Array.from(seq),
    kind: Int8Array.from(kind),
    length: seq.length,
  };
  const path = joinPath(reader.bucketPath(split), `changelog-${randomUUID()}-0.parquet`);
  return writeKeyValueFile(io, path, schema, records, 0, 1);
}

const EMPTY: CompactionBatch = {
  columns: [] as Column[],
  seq: new BigInt64Array(0),
  kind: new Int8Array(0),
  length: 0,
};
