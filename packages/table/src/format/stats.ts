import {
  type Column,
  columnValue,
  compareBytes,
  compareColumnRows,
  compareValues,
  type VarBytes,
} from '../data/columns.ts';
import type { DataType } from '../types/data-types.ts';
import type { InternalValue } from '../types/internal.ts';
import { EMPTY_SERIALIZED_ROW, serializeBinaryRow } from './binary-row.ts';
import type { SimpleStats } from './manifest.ts';

export interface ColumnStats {
  min: InternalValue;
  max: InternalValue;
  nullCount: number;
}

export const EMPTY_STATS: SimpleStats = {
  minValues: EMPTY_SERIALIZED_ROW,
  maxValues: EMPTY_SERIALIZED_ROW,
  nullCounts: [],
};

/** Min, max and null count of a column (rows [0, length)). Typed arrays are scanned directly. */
export function columnStats(col: Column): ColumnStats {
  return columnStatsOf(col, undefined);
}

/**
 * Min and max of 64-bit integers compared as (signed high word, unsigned low word) pairs: reading
 * a BigInt64Array element allocates a bigint, which made statistics a writer's top cost (and GC).
 */
function bigintStats(
  d: BigInt64Array,
  valid: Uint8Array | null,
  rows: Uint32Array | undefined,
  n: number,
): ColumnStats {
  const w = new Int32Array(d.buffer, d.byteOffset, d.length * 2);
  let nullCount = 0;
  let minIdx = -1;
  let maxIdx = -1;
  let minHi = 0;
  let minLo = 0;
  let maxHi = 0;
  let maxLo = 0;
  // Little-endian words: w[2i] is the low word, w[2i + 1] the high one (Node runs little-endian only).
  for (let j = 0; j < n; j++) {
    const i = rows ? rows[j] : j;
    if (valid !== null && valid[i] === 0) {
      nullCount++;
      continue;
    }
    const hi = w[2 * i + 1];
    const lo = w[2 * i] >>> 0;
    if (minIdx < 0 || hi < minHi || (hi === minHi && lo < minLo)) {
      minIdx = i;
      minHi = hi;
      minLo = lo;
    }
    if (maxIdx < 0 || hi > maxHi || (hi === maxHi && lo > maxLo)) {
      maxIdx = i;
      maxHi = hi;
      maxLo = lo;
    }
  }
  return { min: minIdx < 0 ? null : d[minIdx], max: maxIdx < 0 ? null : d[maxIdx], nullCount };
}

/** columnStats over the rows `rows` of `col` (any order; a writer's sort permutation), all rows without it. */
export function columnStatsOf(col: Column, rows: Uint32Array | undefined): ColumnStats {
  const n = rows ? rows.length : col.length;
  const valid = col.validity;
  let nullCount = 0;
  const d = col.data;
  if (d instanceof BigInt64Array) return bigintStats(d, valid, rows, n);
  if (ArrayBuffer.isView(d) && !(d instanceof DataView)) {
    const arr = d as unknown as ArrayLike<number | bigint>;
    let min: number | bigint | undefined;
    let max: number | bigint | undefined;
    for (let j = 0; j < n; j++) {
      const i = rows ? rows[j] : j;
      if (valid !== null && valid[i] === 0) {
        nullCount++;
        continue;
      }
      const v = arr[i];
      if (typeof v === 'number' && Number.isNaN(v)) continue; // NaN has no order: leave it out of min/max
      if (min === undefined || v < min) min = v;
      if (max === undefined || v > max) max = v;
    }
    const box = (v: number | bigint | undefined): InternalValue => {
      if (v === undefined) return null;
      return col.type.root === 'BOOLEAN' ? v === 1 : v;
    };
    return { min: box(min), max: box(max), nullCount };
  }
  if (col.type.root === 'BINARY' || col.type.root === 'VARBINARY') {
    // Paimon keeps no min/max for binary columns (ParquetSimpleStatsExtractor) and compares bytes
    // signed (CompareUtils): min/max in Parquet's unsigned order made Java skip files that match.
    for (let i = 0; i < n; i++) if (valid !== null && valid[i] === 0) nullCount++;
    return { min: null, max: null, nullCount };
  }
  let minIdx = -1;
  let maxIdx = -1;
  if ((d as VarBytes).offsets !== undefined) {
    // Strings: their bytes compared in place (unsigned, as compareColumnRows does), no dispatch per row.
    const { offsets, bytes } = d as VarBytes;
    let minS = 0;
    let minE = 0;
    let maxS = 0;
    let maxE = 0;
    for (let j = 0; j < n; j++) {
      const i = rows ? rows[j] : j;
      if (valid !== null && valid[i] === 0) {
        nullCount++;
        continue;
      }
      const s = offsets[i];
      const e = offsets[i + 1];
      if (minIdx < 0 || compareBytes(bytes, s, e, bytes, minS, minE) < 0) {
        minIdx = i;
        minS = s;
        minE = e;
      }
      if (maxIdx < 0 || compareBytes(bytes, s, e, bytes, maxS, maxE) > 0) {
        maxIdx = i;
        maxS = s;
        maxE = e;
      }
    }
  } else {
    for (let j = 0; j < n; j++) {
      const i = rows ? rows[j] : j;
      if (valid !== null && valid[i] === 0) {
        nullCount++;
        continue;
      }
      if (minIdx < 0 || compareColumnRows(col, i, col, minIdx) < 0) minIdx = i;
      if (maxIdx < 0 || compareColumnRows(col, i, col, maxIdx) > 0) maxIdx = i;
    }
  }
  return {
    min: minIdx < 0 ? null : columnValue(col, minIdx),
    max: maxIdx < 0 ? null : columnValue(col, maxIdx),
    nullCount,
  };
}

/** SimpleStats as stored in manifests: min and max rows as serialized BinaryRows, null counts. */
export function toSimpleStats(types: readonly DataType[], stats: readonly ColumnStats[]): SimpleStats {
  const nullable = types.map((t) => ({ ...t, nullable: true }) as DataType);
  return {
    minValues: serializeBinaryRow(
      nullable,
      stats.map((s) => s.min),
    ),
    maxValues: serializeBinaryRow(
      nullable,
      stats.map((s) => s.max),
    ),
    nullCounts: stats.map((s) => s.nullCount),
  };
}

/** Stats over many rows of internal values (partition stats in manifest lists). */
export function statsOfRows(
  types: readonly DataType[],
  rows: readonly (readonly InternalValue[])[],
  compare: (t: DataType, a: InternalValue, b: InternalValue) => number,
): ColumnStats[] {
  return types.map((t, c) => {
    let min: InternalValue = null;
    let max: InternalValue = null;
    let nullCount = 0;
    for (const r of rows) {
      const v = r[c];
      if (v === null) {
        nullCount++;
        continue;
      }
      if (min === null || compare(t, v, min) < 0) min = v;
      if (max === null || compare(t, v, max) > 0) max = v;
    }
    return { min, max, nullCount };
  });
}

/** The statistics of consecutive parts of one column as one: the least min, greatest max, all nulls. */
export function mergeStats(type: DataType, stats: readonly ColumnStats[]): ColumnStats {
  if (stats.length === 1) return stats[0];
  let min: InternalValue = null;
  let max: InternalValue = null;
  let nullCount = 0;
  for (const s of stats) {
    nullCount += s.nullCount;
    if (s.min !== null && (min === null || compareValues(type, s.min, min) < 0)) min = s.min;
    if (s.max !== null && (max === null || compareValues(type, s.max, max) > 0)) max = s.max;
  }
  return { min, max, nullCount };
}
