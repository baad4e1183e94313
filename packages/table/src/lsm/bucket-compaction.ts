import { randomUUID } from 'node:crypto';
import { type Column, columnValue, compareColumnRows, compareValues, gatherColumn } from '../data/columns.ts';
import { deserializeBinaryRow } from '../format/binary-row.ts';
import type { DataFileMeta } from '../format/manifest.ts';
import { type FileIO, joinPath } from '../io/file-io.ts';
import type { DataSplit } from '../meta/data-split.ts';
import type { CompactionBatch, SplitReader } from '../read/split-reader.ts';
import type { TableSchema } from '../schema/table-schema.ts';
import type { InternalValue } from '../types/internal.ts';
import { RollingKeyValueWriter } from '../write/key-value-file.ts';
import { BatchCursor, keyComparator } from './batch-cursor.ts';
import type { BucketDeletionVectors } from './bucket-deletion-vectors.ts';
import { planCompaction } from './compact-plan.ts';
import type { CompactUnit } from './universal-compaction.ts';

export interface BucketCompaction {
  /** Files the compaction replaces. */
  readonly before: readonly DataFileMeta[];
  /** Files that replace them (new files, or inputs moved to the output level without rewrite). */
  readonly after: readonly DataFileMeta[];
  /** Files written by this compaction (to delete if its commit is discarded). */
  readonly written: readonly DataFileMeta[];
  readonly rowsIn: number;
  readonly rowsOut: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
}

/**
 * Rewrites one bucket's picked runs into `unit.outputLevel`: a streaming merge by key (through the
 * table's merge engine) into files of about `target-file-size`. Retractions are dropped when
 * nothing older can remain below the output level. A lone file that needs no rewriting is only
 * moved to the output level (Paimon's upgrade).
 */
export async function compactBucket(
  io: FileIO,
  schema: TableSchema,
  reader: SplitReader,
  split: DataSplit,
  unit: CompactUnit,
  dropRetracts: boolean,
  signal?: AbortSignal,
  dv?: DeletionVectorCompaction,
): Promise<BucketCompaction> {
  const before = unit.files;
  // Lookup compaction (deletion vectors): the older rows of keys moving up from level 0 are marked
  // deleted where they live above the output level — whether the level-0 file is rewritten or
  // only moved (Java's LookupChangelogMergeFunctionWrapper on rewrite and on upgrade).
  if (dv && unit.outputLevel > 0 && before.some((f) => f.level === 0))
    await markOverwritten(schema, reader, split, unit, dv.vectors, signal);
  const rowsIn = before.reduce((s, f) => s + f.rowCount, 0);
  const bytesIn = before.reduce((s, f) => s + f.fileSize, 0);
  // First-row: a key of level 0 that a level above the output already holds is not new — its
  // first row is up there — so it is dropped, not copied below it (Paimon's lookup compaction,
  // FirstRowMergeFunctionWrapper). Every key then lives in one level, which Java's reads rely on:
  // they read levels above 0 file by file without merging (MergeTreeSplitGenerator).
  const higher =
    schema.options.mergeEngine === 'first-row' && before.some((f) => f.level === 0)
      ? split.files.filter((f) => f.level > unit.outputLevel)
      : [];
  if (before.length === 1 && higher.length === 0 && !dv?.rewrite) {
    const f = before[0];
    if (!(dropRetracts && (f.deleteRowCount ?? 1) > 0)) {
      // A moved file keeps its name, so it keeps its deletion vector (Java's upgrade).
      const moved = { ...f, level: unit.outputLevel };
      return { before, after: [moved], written: [], rowsIn, rowsOut: f.rowCount, bytesIn, bytesOut: 0 };
    }
  }
  const dir = reader.bucketPath(split);
  const uuid = randomUUID();
  let fileNo = 0;
  const nextPath = () => joinPath(dir, `data-${uuid}-${fileNo++}.parquet`);
  const rewrite = (files: readonly DataFileMeta[]) =>
    rewriteFiles(io, schema, reader, split, files, unit.outputLevel, dropRetracts, higher, nextPath, signal);
  const producer = schema.options.changelogProducer;
  if (!dv && higher.length === 0 && (producer === 'none' || producer === 'input')) {
    // Sections of overlapping files are merged, large lone files only moved up (Paimon's
    // MergeTreeCompactTask). Deletion-vector and first-row compactions read across levels and
    // changelog producers compare whole runs: they rewrite every file of the unit (below).
    const steps = planCompaction(schema, before, unit.outputLevel, (f) => dropRetracts && (f.deleteRowCount ?? 1) > 0);
    const replaced: DataFileMeta[] = [];
    const after: DataFileMeta[] = [];
    const written: DataFileMeta[] = [];
    let rowsOut = 0;
    try {
      for (const step of steps) {
        if (step.kind === 'upgrade') {
          replaced.push(step.file);
          after.push({ ...step.file, level: unit.outputLevel });
          rowsOut += step.file.rowCount;
          continue;
        }
        const r = await rewrite(step.files);
        replaced.push(...step.files);
        written.push(...r.written);
        after.push(...r.written);
        rowsOut += r.rowsOut;
      }
    } catch (e) {
      await deleteFiles(io, dir, written);
      throw e;
    }
    return {
      before: replaced,
      after,
      written,
      rowsIn: replaced.reduce((n, f) => n + f.rowCount, 0),
      rowsOut,
      bytesIn: replaced.reduce((n, f) => n + f.fileSize, 0),
      bytesOut: written.reduce((n, f) => n + f.fileSize, 0),
    };
  }
  const { written, rowsOut } = await rewrite(before);
  // The inputs are rewritten: their vectors were applied while reading and go with them.
  if (dv) for (const f of before) dv.vectors.remove(f.fileName);
  return {
    before,
    after: written,
    written,
    rowsIn,
    rowsOut,
    bytesIn,
    bytesOut: written.reduce((s, f) => s + f.fileSize, 0),
  };
}

/**
 * Merges `files` (by key, through the table's merge engine) into new files at `outputLevel`:
 * merged rows stream into the encoder as they come (a worker encodes while this thread merges),
 * files roll at about target-file-size, first estimated from the inputs' compressed bytes per row.
 * On failure its files are deleted.
 */
async function rewriteFiles(
  io: FileIO,
  schema: TableSchema,
  reader: SplitReader,
  split: DataSplit,
  files: readonly DataFileMeta[],
  outputLevel: number,
  dropRetracts: boolean,
  higher: readonly DataFileMeta[],
  nextPath: () => string,
  signal: AbortSignal | undefined,
): Promise<{ written: DataFileMeta[]; rowsOut: number }> {
  const rowsIn = files.reduce((n, f) => n + f.rowCount, 0);
  const bytesIn = files.reduce((n, f) => n + f.fileSize, 0);
  const out = new RollingKeyValueWriter(io, schema, nextPath, outputLevel, 1, bytesIn / Math.max(1, rowsIn));
  let rowsOut = 0;
  try {
    let batches = reader.compactionBatches({ ...split, files: [...files] }, dropRetracts);
    if (higher.length > 0)
      batches = withoutKeysOf(batches, reader.compactionBatches({ ...split, files: [...higher] }, true), schema);
    for await (const batch of batches) {
      signal?.throwIfAborted();
      if (batch.length === 0) continue;
      rowsOut += batch.length;
      await out.add(batch);
    }
    return { written: await out.finish(), rowsOut };
  } catch (e) {
    await out.abort();
    throw e;
  }
}

/** What a compaction of a deletion-vector table needs besides the unit. */
export interface DeletionVectorCompaction {
  /** The bucket's vectors: read, marked and pruned by the compaction. */
  readonly vectors: BucketDeletionVectors;
  /** Rewrite even a lone input (a full compaction clearing the top level's vectors). */
  readonly rewrite: boolean;
}

/**
 * Marks deleted, in the files above `unit.outputLevel`, the live row of every key that reaches the
 * output from level 0 only (no input above level 0 holds it): the first such row, level by level
 * from `outputLevel + 1` (Java's LookupLevels.lookup). Rows already marked are not seen.
 */
async function markOverwritten(
  schema: TableSchema,
  reader: SplitReader,
  split: DataSplit,
  unit: CompactUnit,
  vectors: BucketDeletionVectors,
  signal?: AbortSignal,
): Promise<void> {
  const higher = split.files.filter((f) => f.level > unit.outputLevel);
  if (higher.length === 0) return;
  const l0 = unit.files.filter((f) => f.level === 0);
  const upper = unit.files.filter((f) => f.level > 0);
  let stream = reader.compactionBatches({ ...split, files: l0 }, false);
  if (upper.length > 0)
    stream = withoutKeysOf(stream, reader.compactionBatches({ ...split, files: upper }, false), schema);
  // Level-0 keys: bounded by the write buffers that made those files.
  const keys: CompactionBatch[] = [];
  for await (const b of stream) if (b.length > 0) keys.push(b);
  if (keys.length === 0) return;
  const found = keys.map((b) => new Uint8Array(b.length));
  // Files whose key range misses the looked-up keys are not read.
  const keyIdx = schema.trimmedPrimaryKeys.map((k) => schema.fieldIndex(k));
  const keyTypes = keyIdx.map((i) => schema.fields[i].type);
  const keyAt = (b: CompactionBatch, r: number) => keyIdx.map((i) => columnValue(b.columns[i], r));
  const compareKeys = (a: readonly InternalValue[], b: readonly InternalValue[]) => {
    for (let i = 0; i < keyTypes.length; i++) {
      const c = compareValues(keyTypes[i], a[i], b[i]);
      if (c !== 0) return c;
    }
    return 0;
  };
  const first = keyAt(keys[0], 0);
  const lastBatch = keys[keys.length - 1];
  const last = keyAt(lastBatch, lastBatch.length - 1);
  const levels = [...new Set(higher.map((f) => f.level))].sort((a, b) => a - b);
  for (const level of levels) {
    for (const file of higher.filter((f) => f.level === level)) {
      signal?.throwIfAborted();
      if (
        compareKeys(deserializeBinaryRow(file.maxKey, keyTypes), first) < 0 ||
        compareKeys(deserializeBinaryRow(file.minKey, keyTypes), last) > 0
      )
        continue;
      // Both sides ascend by key: one pass over each.
      let bi = 0;
      let r = 0;
      outer: for await (const { keys: probe, positions } of reader.positionedKeys(split, file)) {
        const cmp = (b: CompactionBatch, row: number, i: number) => {
          for (let k = 0; k < keyIdx.length; k++) {
            const c = compareColumnRows(b.columns[keyIdx[k]], row, probe[k], i);
            if (c !== 0) return c;
          }
          return 0;
        };
        for (let i = 0; i < positions.length; i++) {
          while (bi < keys.length && cmp(keys[bi], r, i) < 0) {
            if (++r >= keys[bi].length) {
              bi++;
              r = 0;
            }
          }
          if (bi >= keys.length) break outer;
          if (found[bi][r] === 0 && cmp(keys[bi], r, i) === 0) {
            found[bi][r] = 1;
            vectors.markDeleted(file.fileName, positions[i]);
          }
        }
      }
    }
  }
}

/** Deletes files this process wrote and did not commit, with their extra files (`.index`). */
export async function deleteFiles(io: FileIO, dir: string, files: readonly DataFileMeta[]): Promise<void> {
  for (const f of files) {
    await io.delete(joinPath(dir, f.fileName));
    for (const x of f.extraFiles) await io.delete(joinPath(dir, x));
  }
}

/** The rows of `batches` whose key `other` (a merged stream in key order) does not hold. */
async function* withoutKeysOf(
  batches: AsyncGenerator<CompactionBatch>,
  other: AsyncGenerator<CompactionBatch>,
  schema: TableSchema,
): AsyncGenerator<CompactionBatch> {
  const cmp = keyComparator(schema);
  const held = new BatchCursor(other);
  try {
    await held.fill();
    for await (const b of batches) {
      const keep = new Uint32Array(b.length);
      let n = 0;
      for (let r = 0; r < b.length; r++) {
        while (held.batch && cmp(held.batch, held.row, b, r) < 0) if (held.step()) await held.fill();
        if (!held.batch || cmp(held.batch, held.row, b, r) !== 0) keep[n++] = r;
      }
      if (n === b.length) yield b;
      else if (n > 0) yield gather(b, keep.subarray(0, n));
    }
  } finally {
    await held.close();
  }
}

function gather(b: CompactionBatch, idx: Uint32Array): CompactionBatch {
  const seq = new BigInt64Array(idx.length);
  const kind = new Int8Array(idx.length);
  for (let i = 0; i < idx.length; i++) {
    seq[i] = b.seq[idx[i]];
    kind[i] = b.kind[idx[i]];
  }
  return { columns: b.columns.map((c: Column) => gatherColumn(c, idx)), seq, kind, length: idx.length };
}
