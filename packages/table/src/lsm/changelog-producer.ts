import { randomUUID } from 'node:crypto';
import { type Column, ColumnBuilder, columnValue, compareColumnRows } from '../data/columns.ts';
import type { DataFileMeta } from '../format/manifest.ts';
import { type FileIO, joinPath } from '../io/file-io.ts';
import type { DataSplit } from '../meta/data-split.ts';
import type { CompactionBatch, SplitReader } from '../read/split-reader.ts';
import type { TableSchema } from '../schema/table-schema.ts';
import { EddyError } from '../types/errors.ts';
import { RowKind } from '../types/internal.ts';
import { writeKeyValueFile } from '../write/key-value-file.ts';
import { BatchCursor, keyComparator } from './batch-cursor.ts';
import type { CompactUnit } from './universal-compaction.ts';

/**
 * Changelog from compaction (`changelog-producer` = `lookup` or `full-compaction`): for each key
 * the compaction settles, compare the table's state before the new records with the state after,
 * and emit +I (new key), -D (removed key), or -U old / +U new. With `lookup` the keys are those of
 * the level-0 files being compacted and "before" is every other file of the bucket; with
 * `full-compaction` (only when everything goes to the last level) the keys are those of the files
 * below the last level and "before" is the previous last level, so a key found only in the last
 * level has not changed and emits nothing (Paimon's FullChangelogMergeFunctionWrapper). A
 * `first-row` key only ever changes by appearing: +I for a new key, nothing else
 * (FirstRowMergeFunctionWrapper). With `changelog-producer.row-deduplicate`, an update to an equal
 * row (ignoring `changelog-producer.row-deduplicate-ignore-fields`) emits nothing. Returns the
 * changelog file, or undefined when nothing changed.
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
  let keyFiles: readonly DataFileMeta[];
  let beforeFiles: readonly DataFileMeta[];
  if (producer === 'lookup') {
    const l0 = new Set(unit.files.filter((f) => f.level === 0).map((f) => f.fileName));
    keyFiles = split.files.filter((f) => l0.has(f.fileName));
    beforeFiles = split.files.filter((f) => !l0.has(f.fileName));
  } else if (producer === 'full-compaction') {
    if (unit.outputLevel !== maxLevel || unit.files.length !== split.files.length) return undefined;
    keyFiles = split.files.filter((f) => f.level !== maxLevel);
    beforeFiles = split.files.filter((f) => f.level === maxLevel);
  } else return undefined;
  if (keyFiles.length === 0) return undefined;
  const firstRow = schema.options.mergeEngine === 'first-row';

  const seq: bigint[] = [];
  const kind: number[] = [];
  let columns: Column[] = [];
  // Three merged streams in key order, walked together: memory follows the files each merge holds.
  const stream = (files: readonly DataFileMeta[], dropRetracts: boolean) =>
    new BatchCursor(files.length === 0 ? undefined : reader.compactionBatches({ ...split, files }, dropRetracts));
  const before = stream(beforeFiles, true);
  const after = stream(split.files, true);
  const keys = stream(keyFiles, false);
  try {
    await Promise.all([before.fill(), after.fill(), keys.fill()]);
    const cmp = keyComparator(schema);
    const sameRow = rowEqualiser(schema);

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
      // Only keys with a record in the key files (the new ones) produce changes.
      const probe = c <= 0 ? { b: b!, r: before.row } : { b: a!, r: after.row };
      while (keys.batch && cmp(keys.batch, keys.row, probe.b, probe.r) < 0) if (keys.step()) await keys.fill();
      const touched = keys.batch !== undefined && cmp(keys.batch, keys.row, probe.b, probe.r) === 0;
      if (c < 0) {
        if (touched) emit(b!, before.row, RowKind.DELETE);
        if (before.step()) await before.fill();
      } else if (c > 0) {
        if (touched) emit(a!, after.row, RowKind.INSERT);
        if (after.step()) await after.fill();
      } else {
        if (touched && !firstRow && !sameRow?.(b!, before.row, a!, after.row)) {
          emit(b!, before.row, RowKind.UPDATE_BEFORE);
          emit(a!, after.row, RowKind.UPDATE_AFTER);
        }
        if (before.step()) await before.fill();
        if (after.step()) await after.fill();
      }
    }
    columns = builders.map((bl) => bl.finish());
  } finally {
    await Promise.allSettled([before.close(), after.close(), keys.close()]);
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

/**
 * `changelog-producer.row-deduplicate`: whether an update's before and after rows are equal in
 * every column but `changelog-producer.row-deduplicate-ignore-fields` (Paimon's
 * ValueEqualiserSupplier.fromIgnoreFields: names split at ',' as written; a name the table does
 * not have ignores nothing). Undefined without the option: every update is emitted.
 */
function rowEqualiser(
  schema: TableSchema,
): ((a: CompactionBatch, ra: number, b: CompactionBatch, rb: number) => boolean) | undefined {
  const raw = schema.rawOptions['changelog-producer.row-deduplicate'];
  if (raw === undefined || raw.trim().toLowerCase() === 'false') return undefined;
  if (raw.trim().toLowerCase() !== 'true') {
    throw new EddyError(
      'INVALID_OPTION',
      `option 'changelog-producer.row-deduplicate': expected true or false, got '${raw}'`,
    );
  }
  const ignored = new Set(schema.rawOptions['changelog-producer.row-deduplicate-ignore-fields']?.split(',') ?? []);
  const compared = schema.fields.flatMap((f, i) => (ignored.has(f.name) ? [] : [i]));
  return (a, ra, b, rb) => compared.every((i) => compareColumnRows(a.columns[i], ra, b.columns[i], rb) === 0);
}
