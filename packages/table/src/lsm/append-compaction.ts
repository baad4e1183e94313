/**
 * Compaction of append tables (no primary key): small files of a bucket are rewritten, rows in
 * file order, into files of about `target-file-size`. Which files, as Paimon picks them:
 * - fixed buckets (`bucket` > 0): BucketedAppendCompactManager — the files in sequence order, the
 *   first `compaction.min.file-num` consecutive ones whose sizes stay under twice the target; a
 *   full compaction rewrites all but the leading large files, when small files outnumber large ones;
 * - `bucket` = -1: AppendCompactCoordinator — per partition, files below
 *   70% of the target packed smallest first into bins of twice the target,
 *   and a last bin of at least `compaction.min.file-num` files.
 * The rewrite is BaseAppendFileStoreWrite.compactRewrite: sequence numbers continue from the first
 * input's `minSequenceNumber`; outputs are level 0, `_FILE_SOURCE` COMPACT.
 */
import { randomUUID } from 'node:crypto';
import type { Column } from '../data/columns.ts';
import type { DataFileMeta } from '../format/manifest.ts';
import { type FileIO, joinPath } from '../io/file-io.ts';
import type { DataSplit } from '../meta/data-split.ts';
import type { CoreOptions } from '../options/core-options.ts';
import type { SplitReader } from '../read/split-reader.ts';
import type { TableSchema } from '../schema/table-schema.ts';
import { EddyError } from '../types/errors.ts';
import { writeAppendFileFrom } from '../write/append-file.ts';
import { INDEX_FILE_SUFFIX } from '../write/file-index-writer.ts';

/** Fewest files a full compaction of a fixed bucket rewrites (Java: FULL_COMPACT_MIN_FILE). */
const FULL_COMPACT_MIN_FILE = 3;

const bySequence = (a: DataFileMeta, b: DataFileMeta) =>
  a.minSequenceNumber < b.minSequenceNumber ? -1 : a.minSequenceNumber > b.minSequenceNumber ? 1 : 0;

/** Files below this size are small (Java 1.4.2: CoreOptions.compactionFileSize, target / 10 * 7 in longs). */
const compactionFileSize = (o: CoreOptions) => Math.floor(o.appendTargetFileSize / 10) * 7;

/**
 * The files of a fixed bucket to rewrite now, in sequence order, or undefined (Java:
 * BucketedAppendCompactManager.pickCompactBefore, and FullCompactTask with `full`).
 */
export function pickBucketedAppend(
  files: readonly DataFileMeta[],
  o: CoreOptions,
  full: boolean,
): DataFileMeta[] | undefined {
  const sorted = [...files].sort(bySequence);
  if (full) {
    if (!o.compactionForceRewriteAllFiles && sorted.length < FULL_COMPACT_MIN_FILE) return undefined;
    const small = compactionFileSize(o);
    let from = 0;
    while (!o.compactionForceRewriteAllFiles && from < sorted.length && sorted[from].fileSize >= small) from++;
    const rest = sorted.slice(from);
    if (o.compactionForceRewriteAllFiles) return rest.length > 0 ? rest : undefined;
    const big = rest.filter((f) => f.fileSize >= small).length;
    return rest.length - big > big && rest.length >= FULL_COMPACT_MIN_FILE ? rest : undefined;
  }
  const window: DataFileMeta[] = [];
  let size = 0;
  for (const f of sorted) {
    window.push(f);
    size += f.fileSize;
    if (window.length >= o.compactionMinFileNum) return window;
    if (size >= o.appendTargetFileSize * 2) size -= window.shift()!.fileSize;
  }
  return undefined;
}

/**
 * The groups of files of one partition of a `bucket` = -1 table to rewrite now, each into its own
 * files (Java: AppendCompactCoordinator's SubCoordinator.pack, as a batch compaction runs it).
 */
export function packUnawareAppend(files: readonly DataFileMeta[], o: CoreOptions): DataFileMeta[][] {
  const small = compactionFileSize(o);
  const candidates = files.filter((f) => f.fileSize < small).sort((a, b) => a.fileSize - b.fileSize);
  const groups: DataFileMeta[][] = [];
  let bin: DataFileMeta[] = [];
  let size = 0;
  for (const f of candidates) {
    bin.push(f);
    size += f.fileSize + o.splitOpenFileCost;
    if (bin.length > 1 && size >= o.appendTargetFileSize * 2) {
      groups.push(bin);
      bin = [];
      size = 0;
    }
  }
  if (bin.length >= o.compactionMinFileNum) groups.push(bin);
  return groups;
}

/** The groups of files of one split (a bucket, or a partition of a `bucket` = -1 table) to rewrite now. */
export function pickAppendCompaction(split: DataSplit, o: CoreOptions, full: boolean): DataFileMeta[][] {
  if (o.bucket === -1) return packUnawareAppend(split.files, o);
  const picked = pickBucketedAppend(split.files, o, full);
  return picked ? [picked] : [];
}

export interface AppendRewrite {
  readonly after: DataFileMeta[];
  readonly rowsIn: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
}

/**
 * Rewrites `files` (one group, in the order given) of a split into new files of about
 * `target-file-size` in the split's bucket directory. Consecutive inputs whose sizes add up to the
 * target go into one output, read a file at a time while it encodes. Every path it may have
 * written is added to `written` as it starts, so a caller can delete them after a failure.
 */
export async function rewriteAppendFiles(
  io: FileIO,
  schema: TableSchema,
  reader: SplitReader,
  split: DataSplit,
  files: readonly DataFileMeta[],
  written: string[],
  signal?: AbortSignal,
): Promise<AppendRewrite> {
  const target = schema.options.appendTargetFileSize;
  const outputs: DataFileMeta[][] = [];
  let chunk: DataFileMeta[] = [];
  let chunkBytes = 0;
  for (const f of files) {
    chunk.push(f);
    chunkBytes += f.fileSize;
    if (chunkBytes >= target) {
      outputs.push(chunk);
      chunk = [];
      chunkBytes = 0;
    }
  }
  if (chunk.length > 0) outputs.push(chunk);
  const dir = reader.bucketPath(split);
  const uuid = randomUUID();
  let sequence = files[0].minSequenceNumber;
  const after: DataFileMeta[] = [];
  for (const [n, inputs] of outputs.entries()) {
    signal?.throwIfAborted();
    const path = joinPath(dir, `data-${uuid}-${n}.parquet`);
    written.push(path, path + INDEX_FILE_SUFFIX);
    const part: DataSplit = { ...split, files: inputs, deletionFiles: undefined };
    async function* columns(): AsyncGenerator<readonly Column[]> {
      for await (const b of reader.readBatches(part, schema.fields)) yield b.columns;
    }
    const meta = await writeAppendFileFrom(io, schema, path, columns(), sequence, 1, signal);
    const expected = inputs.reduce((s, f) => s + f.rowCount, 0);
    const rows = meta?.rowCount ?? 0;
    // The manifest's row counts are what every reader trusts: a file holding other rows is refused
    // rather than rewritten into the table's next version.
    if (rows !== expected)
      throw new EddyError(
        'CORRUPT_FILE',
        `compaction of ${dir}: files ${inputs.map((f) => f.fileName).join(', ')} hold ${rows} rows, their manifest entries say ${expected}`,
      );
    if (meta) after.push(meta);
    sequence += BigInt(rows);
  }
  return {
    after,
    rowsIn: files.reduce((s, f) => s + f.rowCount, 0),
    bytesIn: files.reduce((s, f) => s + f.fileSize, 0),
    bytesOut: after.reduce((s, f) => s + f.fileSize, 0),
  };
}
