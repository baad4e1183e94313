/**
 * `changesBetween(tagA, tagB)`: the difference between two tags' states, as Paimon's
 * `incremental-between` with two tags reads it (IncrementalDiffStartingScanner,
 * SnapshotReaderImpl.readIncrementalDiff, IncrementalDiffSplitRead) through the audit log:
 *
 * per (partition, bucket), the files only the start tag has ("before") and those only the end tag
 * has ("after") are each merged by key (retractions kept); then a key only before (and live there)
 * is -D with its old values, a key only after comes as merged (its kind as stored), a key on both
 * sides comes from after when its values or its kind differ. Files both tags share are left out on
 * both sides, as in Java. Append tables: the rows of the after-only files, as +I.
 *
 * Rows are in the end tag's schema (`schemaId` of each batch); `select` follows field ids of the
 * table's current schema, like the change feed.
 */
import { compareColumnRows, concatColumns, gatherRuns } from '../data/columns.ts';
import type { DataFileMeta, ManifestEntry } from '../format/manifest.ts';
import { manifestEntryIdentifier } from '../format/manifest.ts';
import type { Snapshot } from '../format/snapshot.ts';
import type { DataSplit } from '../meta/data-split.ts';
import { TagManager, validateTagName } from '../meta/tag-manager.ts';
import { type CompactionBatch, SplitReader } from '../read/split-reader.ts';
import type { TableSchema } from '../schema/table-schema.ts';
import type { DataField } from '../types/data-types.ts';
import { EddyError } from '../types/errors.ts';
import { isRetract, RowKind } from '../types/internal.ts';
import type { ChangeBatch, ChangeSource } from './change-reader.ts';

const bucketKey = (e: ManifestEntry) => `${Buffer.from(e.partition).toString('base64')}/${e.bucket}`;

export async function* tagDiff(
  table: ChangeSource,
  startTag: string,
  endTag: string,
  select: readonly string[] | undefined,
): AsyncGenerator<ChangeBatch> {
  const tags = new TagManager(table.io, table.path);
  const start = (await tags.getOrThrow(validateTagName(startTag), table.name)).snapshot;
  const end = (await tags.getOrThrow(validateTagName(endTag), table.name)).snapshot;
  if (end.id < start.id) {
    throw new EddyError(
      'INVALID_ARGUMENT',
      `changesBetween('${startTag}', '${endTag}'): tag '${endTag}' (snapshot ${end.id}) is before tag '${startTag}' (snapshot ${start.id})`,
    );
  }
  const current = table.schema;
  if (current.options.deletionVectorsEnabled)
    throw new EddyError('UNSUPPORTED', `changesBetween by tag: tables with deletion vectors are not supported yet`);
  const ids = select?.map((c) => {
    const f = current.fields.find((x) => x.name === c);
    if (!f) throw new EddyError('INVALID_ARGUMENT', `select: unknown column '${c}' in table ${table.name}`);
    return f.id;
  });
  if (end.id === start.id) return;
  const startSchema = await table.schemas.forSnapshot(start.schemaId, current);
  const schema = await table.schemas.forSnapshot(end.schemaId, current);
  if (startSchema.options.bucket !== schema.options.bucket) {
    // Java: TimeTravelUtil.checkRescaleBucketForIncrementalDiffQuery.
    throw new EddyError(
      'UNSUPPORTED',
      `changesBetween('${startTag}', '${endTag}'): the bucket numbers of the two tags differ (${startSchema.options.bucket}, ${schema.options.bucket})`,
    );
  }
  const projection: DataField[] = ids
    ? ids.map((id) => schema.fields.find((f) => f.id === id)).filter((f) => f !== undefined)
    : [...schema.fields];
  if (projection.length === 0) return;

  const group = async (s: Snapshot) => {
    const out = new Map<string, ManifestEntry[]>();
    for (const e of await table.manifests.liveEntries(s)) {
      if (schema.options.bucket === -2 && e.bucket < 0) continue; // postpone rows are not read
      const k = bucketKey(e);
      const l = out.get(k);
      if (l) l.push(e);
      else out.set(k, [e]);
    }
    return out;
  };
  const before = await group(start);
  const after = await group(end);
  const reader = new SplitReader(table.io, table.paths, schema, table.schemas);
  for (const key of new Set([...after.keys(), ...before.keys()])) {
    const b = before.get(key) ?? [];
    const a = after.get(key) ?? [];
    const inA = new Set(a.map(manifestEntryIdentifier));
    const inB = new Set(b.map(manifestEntryIdentifier));
    const beforeOnly = b.filter((e) => !inA.has(manifestEntryIdentifier(e)));
    const afterOnly = a.filter((e) => !inB.has(manifestEntryIdentifier(e)));
    if (beforeOnly.length === 0 && afterOnly.length === 0) continue;
    const any = (afterOnly[0] ?? beforeOnly[0])!;
    const split = (entries: ManifestEntry[]): DataSplit => ({
      snapshotId: end.id,
      partition: table.paths.partitionValues(any.partition),
      partitionBytes: any.partition,
      bucket: any.bucket,
      totalBuckets: any.totalBuckets,
      files: entries
        .map((e) => e.file)
        .sort((x: DataFileMeta, y: DataFileMeta) =>
          x.minSequenceNumber < y.minSequenceNumber ? -1 : x.minSequenceNumber > y.minSequenceNumber ? 1 : 0,
        ),
    });
    if (!schema.isPrimaryKeyTable) {
      if (afterOnly.length === 0) continue;
      const { batch } = await reader.readRecords(split(afterOnly), projection);
      if (batch.length > 0)
        yield { snapshotId: end.id, schemaId: schema.id, kinds: new Int8Array(batch.length), batch };
      continue;
    }
    const batch = diffBucket(
      schema,
      projection,
      await mergedSide(reader, beforeOnly.length ? split(beforeOnly) : undefined, schema),
      await mergedSide(reader, afterOnly.length ? split(afterOnly) : undefined, schema),
    );
    if (batch) yield { snapshotId: end.id, schemaId: schema.id, ...batch };
  }
}

interface Side {
  readonly columns: ReturnType<typeof concatColumns>[];
  readonly kind: Int8Array;
  readonly length: number;
}

/** A side's records merged by key (retractions kept), all columns of `schema`, in key order. */
async function mergedSide(reader: SplitReader, split: DataSplit | undefined, schema: TableSchema): Promise<Side> {
  const batches: CompactionBatch[] = [];
  if (split) for await (const b of reader.compactionBatches(split, false)) batches.push(b);
  const length = batches.reduce((n, b) => n + b.length, 0);
  const kind = new Int8Array(length);
  let o = 0;
  for (const b of batches) {
    kind.set(b.kind.subarray(0, b.length), o);
    o += b.length;
  }
  const columns =
    batches.length === 0 ? [] : schema.fields.map((_, i) => concatColumns(batches.map((b) => b.columns[i])));
  return { columns, kind, length };
}

function diffBucket(
  schema: TableSchema,
  projection: readonly DataField[],
  before: Side,
  after: Side,
): Pick<ChangeBatch, 'kinds' | 'batch'> | undefined {
  const keyIdx = schema.trimmedPrimaryKeys.map((k) => schema.fieldIndex(k));
  const cmpKey = (i: number, j: number) => {
    for (const k of keyIdx) {
      const c = compareColumnRows(before.columns[k], i, after.columns[k], j);
      if (c !== 0) return c;
    }
    return 0;
  };
  const sameValues = (i: number, j: number) =>
    schema.fields.every((_, f) => compareColumnRows(before.columns[f], i, after.columns[f], j) === 0);
  const runs: number[] = [];
  const rows: number[] = [];
  const kinds: number[] = [];
  const emit = (side: 0 | 1, row: number, kind: number) => {
    runs.push(side);
    rows.push(row);
    kinds.push(kind);
  };
  let i = 0;
  let j = 0;
  while (i < before.length || j < after.length) {
    const c = i >= before.length ? 1 : j >= after.length ? -1 : cmpKey(i, j);
    if (c < 0) {
      if (!isRetract(before.kind[i])) emit(0, i, RowKind.DELETE);
      i++;
    } else if (c > 0) {
      emit(1, j, after.kind[j]);
      j++;
    } else {
      if (!sameValues(i, j) || isRetract(before.kind[i]) !== isRetract(after.kind[j])) emit(1, j, after.kind[j]);
      i++;
      j++;
    }
  }
  if (rows.length === 0) return undefined;
  const r = Uint16Array.from(runs);
  const idx = Uint32Array.from(rows);
  const columns = projection.map((f) => {
    const k = schema.fields.findIndex((x) => x.id === f.id);
    const sides = [before.columns[k] ?? after.columns[k], after.columns[k] ?? before.columns[k]];
    return gatherRuns(sides, r, idx);
  });
  return { kinds: Int8Array.from(kinds), batch: { fields: projection, columns, length: rows.length } };
}
