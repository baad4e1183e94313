/**
 * Profiling aid for the scan path (not a suite): builds the scan suite's ingest and DV tables (1M
 * rows, 4 buckets) once in a kept work directory, then times scanArrow() over them — wall clock and
 * the process's CPU time (all threads: on a loaded machine the steadier figure). Run under
 * `node --cpu-prof`: `node tools/bench/bin/scan-prof.js DIR [1run-all,1run-proj,5run-all,5run-proj,dv-all] [reps]`.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { Ctx, type Params } from './context.ts';
import { sumColumn } from './suites/scan.ts';

export async function main(args: string[]): Promise<void> {
  const [dir, what = 'all', repsArg = '3'] = args;
  const reps = Number(repsArg);
  const rows = 1_000_000;
  const p = {
    rows,
    rounds: 5,
    updateRows: rows / 5,
    buckets: 4,
    repeat: 2,
    smoke: false,
  } as unknown as Params;
  // The bench scans in a process that holds its generated rows (about 2M objects): BALLAST=N keeps
  // N such objects alive here too, since a full GC's cost follows the live heap.
  const ballast = Array.from({ length: Number(process.env.BALLAST ?? 0) }, (_, i) => ({
    id: BigInt(i),
    name: `customer-${i % 100_000}`,
    amount: i / 7,
    qty: i % 100,
    ts: new Date(i),
    category: `c${i % 50}`,
    flag: i % 2 === 0,
    version: 1,
  }));
  const fresh = !existsSync(dir);
  mkdirSync(dir, { recursive: true });
  const ctx = new Ctx(dir, p, new Set());
  await ctx.init();
  const ingest = fresh ? await ctx.ensureIngest() : await ctx.catalog.getTable('bench.ingest');
  const dv = fresh ? await ctx.ensureDvTable() : await ctx.catalog.getTable('bench.ingest_dv');
  const cases: [string, () => AsyncIterable<import('apache-arrow').RecordBatch>][] = [
    ['1run-all', () => ingest.scanArrow({ snapshotId: 1 })],
    ['1run-proj', () => ingest.scanArrow({ snapshotId: 1, select: ['id', 'qty'] })],
    ['5run-all', () => ingest.scanArrow({ snapshotId: 5 })],
    ['5run-proj', () => ingest.scanArrow({ snapshotId: 5, select: ['id', 'qty'] })],
    ['dv-all', () => dv.scanArrow()],
  ];
  for (const [name, scan] of cases) {
    if (what !== 'all' && !what.split(',').includes(name)) continue;
    const times: number[] = [];
    const cpus: number[] = [];
    let rowsRead = 0;
    let qty = 0;
    for (let i = 0; i < reps; i++) {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      rowsRead = 0;
      qty = 0;
      for await (const b of scan()) {
        rowsRead += b.numRows;
        qty += sumColumn(b, 'qty');
      }
      times.push(performance.now() - t0);
      const c = process.cpuUsage(c0);
      cpus.push((c.user + c.system) / 1000);
    }
    console.log(
      `${name}${ballast.length > 0 ? ` (ballast ${ballast.length})` : ''}: rows ${rowsRead} qty ${qty} ms ${times.map((t) => t.toFixed(0)).join(' ')} cpu ms ${cpus.map((t) => t.toFixed(0)).join(' ')}`,
    );
  }
}
