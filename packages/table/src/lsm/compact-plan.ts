import { compareValues } from '../data/columns.ts';
import { deserializeBinaryRow } from '../format/binary-row.ts';
import type { DataFileMeta } from '../format/manifest.ts';
import type { TableSchema } from '../schema/table-schema.ts';
import type { InternalValue } from '../types/internal.ts';

/** One step of a bucket compaction: merge files into new ones, or move one file up a level. */
export type CompactStep =
  | { readonly kind: 'rewrite'; readonly files: readonly DataFileMeta[] }
  | { readonly kind: 'upgrade'; readonly file: DataFileMeta };

/**
 * What a compaction unit does with its files (Paimon's MergeTreeCompactTask): its files are split
 * into sections of overlapping key ranges (IntervalPartition). A section of several files is
 * merged; a lone file of at least `compaction file size` (70% of target-file-size, Java's
 * CoreOptions.compactionFileSize) is moved to the output level without rewriting — smaller lone
 * files are merged with their neighbours — unless `mustRewrite` says it needs rewriting (its
 * retractions have to go). A file already at the output level stays as it is (no step). Adjacent
 * sections merge together, so the output stays one sorted run in key order.
 */
export function planCompaction(
  schema: TableSchema,
  files: readonly DataFileMeta[],
  outputLevel: number,
  mustRewrite: (f: DataFileMeta) => boolean,
): CompactStep[] {
  const minFileSize = Math.floor(schema.options.targetFileSize / 10) * 7;
  const types = schema.trimmedPrimaryKeys.map((k) => schema.field(k).type);
  const keys = new Map<DataFileMeta, { min: InternalValue[]; max: InternalValue[] }>();
  for (const f of files)
    keys.set(f, { min: deserializeBinaryRow(f.minKey, types), max: deserializeBinaryRow(f.maxKey, types) });
  const cmp = (a: readonly InternalValue[], b: readonly InternalValue[]) => {
    for (let i = 0; i < types.length; i++) {
      const c = compareValues(types[i], a[i], b[i]);
      if (c !== 0) return c;
    }
    return 0;
  };
  const sorted = [...files].sort(
    (a, b) => cmp(keys.get(a)!.min, keys.get(b)!.min) || cmp(keys.get(a)!.max, keys.get(b)!.max),
  );
  const sections: DataFileMeta[][] = [];
  let bound: InternalValue[] | undefined;
  for (const f of sorted) {
    const k = keys.get(f)!;
    if (bound === undefined || cmp(k.min, bound) > 0) {
      sections.push([f]);
      bound = k.max;
    } else {
      sections[sections.length - 1].push(f);
      if (cmp(k.max, bound) > 0) bound = k.max;
    }
  }
  const steps: CompactStep[] = [];
  const upgrade = (f: DataFileMeta) => {
    if (f.level === outputLevel) return;
    steps.push(mustRewrite(f) ? { kind: 'rewrite', files: [f] } : { kind: 'upgrade', file: f });
  };
  let candidate: DataFileMeta[][] = [];
  const flush = () => {
    if (candidate.length === 1 && candidate[0].length === 1) upgrade(candidate[0][0]);
    else if (candidate.length > 0) steps.push({ kind: 'rewrite', files: candidate.flat() });
    candidate = [];
  };
  for (const s of sections) {
    if (s.length > 1 || s[0].fileSize < minFileSize) candidate.push(s);
    else {
      flush();
      upgrade(s[0]);
    }
  }
  flush();
  return steps;
}
