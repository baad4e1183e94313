import { type Column, ColumnBuilder, columnValue, compareColumnRows } from '../data/columns.ts';

/**
 * Sequence order of two values of a sequence.field column: nulls first, and with
 * `sequence.field.sort-order = descending` the smaller value is the newer (Paimon's
 * UserDefinedSeqComparator: the order flips, nulls stay first).
 */
export function compareSequence(a: Column, ra: number, b: Column, rb: number, descending: boolean): number {
  const c = compareColumnRows(a, ra, b, rb);
  if (!descending || c === 0) return c;
  const nullA = a.validity !== null && a.validity[ra] === 0;
  const nullB = b.validity !== null && b.validity[rb] === 0;
  return nullA || nullB ? c : -c;
}

import type { DataField } from '../types/data-types.ts';
import type { KeyRecord, MergeFunction } from './merge-function.ts';

/** A sorted run's records: columns aligned with the merged fields, plus system columns. */
export interface RunSource {
  readonly columns: readonly Column[];
  readonly seq: BigInt64Array;
  readonly kind: Int8Array | Uint8Array;
  /** Rows [start, length) take part (start defaults to 0). */
  readonly start?: number;
  readonly length: number;
}

export interface MergedRuns {
  readonly columns: Column[];
  readonly seq: BigInt64Array;
  readonly kind: Int8Array;
  readonly length: number;
}

/**
 * K-way merge of runs that are each sorted by key, applying `fn` to each key's records in merge
 * order (sequence.field columns, then sequence number, then run order). Used for the merge engines
 * that build new values (partial-update, aggregation, first-row); deduplicate has a faster path
 * that only selects rows.
 */
export function mergeRuns(
  sources: readonly RunSource[],
  fields: readonly DataField[],
  keyIdx: readonly number[],
  seqIdx: readonly number[],
  fn: MergeFunction,
  keepRetracts: boolean,
  descending = false,
): MergedRuns {
  const n = sources.length;
  const pos = Int32Array.from(sources, (s) => s.start ?? 0);
  const builders = fields.map((f) => new ColumnBuilder(f.type, f.name));
  const seqOut: bigint[] = [];
  const kindOut: number[] = [];
  const cmpKey = (fa: number, ra: number, fb: number, rb: number) => {
    for (const k of keyIdx) {
      const c = compareColumnRows(sources[fa].columns[k], ra, sources[fb].columns[k], rb);
      if (c !== 0) return c;
    }
    return 0;
  };
  const older = (a: [number, number], b: [number, number]) => {
    for (const k of seqIdx) {
      const c = compareSequence(sources[a[0]].columns[k], a[1], sources[b[0]].columns[k], b[1], descending);
      if (c !== 0) return c;
    }
    const sa = sources[a[0]].seq[a[1]];
    const sb = sources[b[0]].seq[b[1]];
    if (sa !== sb) return sa < sb ? -1 : 1;
    return a[0] - b[0] || a[1] - b[1];
  };
  for (;;) {
    let minF = -1;
    for (let f = 0; f < n; f++) {
      if (pos[f] >= sources[f].length) continue;
      if (minF < 0 || cmpKey(f, pos[f], minF, pos[minF]) < 0) minF = f;
    }
    if (minF < 0) break;
    const minR = pos[minF];
    const group: [number, number][] = [];
    for (let f = 0; f < n; f++) {
      while (pos[f] < sources[f].length && cmpKey(f, pos[f], minF, minR) === 0) group.push([f, pos[f]++]);
    }
    group.sort(older);
    const records: KeyRecord[] = group.map(([f, r]) => ({
      kind: sources[f].kind[r],
      get: (i: number) => columnValue(sources[f].columns[i], r),
    }));
    const out = fn.merge(records, keepRetracts);
    if (out === null) continue;
    for (let i = 0; i < builders.length; i++) builders[i].appendInternal(out.values[i]);
    let maxSeq = sources[group[0][0]].seq[group[0][1]];
    for (const [f, r] of group) if (sources[f].seq[r] > maxSeq) maxSeq = sources[f].seq[r];
    seqOut.push(maxSeq);
    kindOut.push(out.kind);
  }
  return {
    columns: builders.map((b) => b.finish()),
    seq: BigInt64Array.from(seqOut),
    kind: Int8Array.from(kindOut),
    length: seqOut.length,
  };
}
