import type { DataFileMeta } from '../format/manifest.ts';
import type { SortedRun } from './levels.ts';

/** What to compact in one bucket: these runs' files, rewritten into `outputLevel`. */
export interface CompactUnit {
  readonly outputLevel: number;
  readonly runs: readonly SortedRun[];
  readonly files: readonly DataFileMeta[];
}

export interface UniversalOptions {
  /** `num-sorted-run.compaction-trigger` (5). */
  readonly trigger: number;
  /** `compaction.max-size-amplification-percent` (200). */
  readonly maxSizeAmplificationPercent: number;
  /** `compaction.size-ratio` (1). */
  readonly sizeRatio: number;
  /** `num-levels` (trigger + 1). */
  readonly numLevels: number;
}

/**
 * Paimon's universal compaction picker (UniversalCompaction.pick): size amplification first, then
 * size ratio, then the run count; runs are newest first. `full` picks everything.
 */
export function pickCompaction(runs: readonly SortedRun[], o: UniversalOptions, full = false): CompactUnit | undefined {
  const maxLevel = o.numLevels - 1;
  if (runs.length === 0) return undefined;
  if (full) {
    if (runs.length === 1 && runs[0].level === maxLevel) return undefined;
    return unit(maxLevel, runs);
  }
  // 1. Size amplification: everything newer than the oldest run, relative to it.
  if (runs.length >= o.trigger) {
    let candidate = 0;
    for (let i = 0; i < runs.length - 1; i++) candidate += runs[i].size;
    if (candidate * 100 > o.maxSizeAmplificationPercent * runs[runs.length - 1].size) return unit(maxLevel, runs);
  }
  // 2. Size ratio.
  if (runs.length >= o.trigger) {
    const u = pickForSizeRatio(runs, maxLevel, 1, o.sizeRatio);
    if (u) return u;
  }
  // 3. Run count.
  if (runs.length > o.trigger) return pickForSizeRatio(runs, maxLevel, runs.length - o.trigger + 1, o.sizeRatio);
  return undefined;
}

/**
 * All level-0 runs, extended by the size-ratio rule (Paimon's forcePickL0): lookup tables (see
 * lookup-strategy.ts) compact level 0 at every compaction the picker would skip, so changes
 * surface at once and readers that skip level 0 see every commit.
 */
export function forcePickL0(runs: readonly SortedRun[], o: UniversalOptions): CompactUnit | undefined {
  let count = 0;
  while (count < runs.length && runs[count].level === 0) count++;
  return count === 0 ? undefined : pickForSizeRatio(runs, o.numLevels - 1, count, o.sizeRatio, true);
}

function pickForSizeRatio(
  runs: readonly SortedRun[],
  maxLevel: number,
  count: number,
  sizeRatio: number,
  forcePick = false,
): CompactUnit | undefined {
  let size = 0;
  for (let i = 0; i < count; i++) size += runs[i].size;
  let triggered = forcePick || count > 1;
  for (let i = count; i < runs.length; i++) {
    const next = runs[i];
    if ((size * (100 + sizeRatio)) / 100 < next.size && (!triggered || next.level > 1)) break;
    size += next.size;
    count++;
    triggered = true;
  }
  return triggered ? createUnit(runs, maxLevel, count) : undefined;
}

function createUnit(runs: readonly SortedRun[], maxLevel: number, count: number): CompactUnit {
  let outputLevel = count === runs.length ? maxLevel : Math.max(0, runs[count].level - 1);
  if (outputLevel === 0) {
    // Never write compaction output to level 0: extend the pick to the next non-zero level.
    for (let i = count; i < runs.length; i++) {
      count++;
      if (runs[i].level !== 0) {
        outputLevel = runs[i].level;
        break;
      }
    }
  }
  if (count === runs.length) outputLevel = maxLevel;
  return unit(outputLevel, runs.slice(0, count));
}

function unit(outputLevel: number, runs: readonly SortedRun[]): CompactUnit {
  return { outputLevel, runs, files: runs.flatMap((r) => r.files) };
}
