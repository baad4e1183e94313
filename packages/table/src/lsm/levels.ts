import type { DataFileMeta } from '../format/manifest.ts';

/**
 * A sorted run: files whose key ranges don't overlap. Every level-0 file is a run of its own;
 * each level ≥ 1 is one run (Paimon's LSM layout, `_LEVEL` in the manifest).
 */
export interface SortedRun {
  readonly level: number;
  readonly files: readonly DataFileMeta[];
  readonly size: number;
}

/** The runs of one bucket, newest first: level-0 files by descending sequence, then levels 1, 2, … */
export function sortedRuns(files: readonly DataFileMeta[]): SortedRun[] {
  const l0 = files.filter((f) => f.level === 0).sort((a, b) => cmpBig(b.maxSequenceNumber, a.maxSequenceNumber));
  const runs: SortedRun[] = l0.map((f) => ({ level: 0, files: [f], size: f.fileSize }));
  const byLevel = new Map<number, DataFileMeta[]>();
  for (const f of files) {
    if (f.level === 0) continue;
    const l = byLevel.get(f.level);
    if (l) l.push(f);
    else byLevel.set(f.level, [f]);
  }
  for (const level of [...byLevel.keys()].sort((a, b) => a - b)) {
    const fs = byLevel.get(level)!;
    runs.push({ level, files: fs, size: fs.reduce((s, f) => s + f.fileSize, 0) });
  }
  return runs;
}

const cmpBig = (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0);
