import { cpSync } from 'node:fs';
import * as path from 'node:path';
import type { Ctx } from '../context.ts';
import { runEddy, runEddyBundled, runJava, runPython } from '../env.ts';
import type { Figure, Workload } from '../report.ts';

interface MemOut {
  baselineRssMb: number;
  vmHwmMb: number;
  ms: number;
  files: number;
}

/** 6. Peak RSS of one writer process with 1, 16 and 256 buckets under the same write-buffer-size. */
export async function memorySuite(ctx: Ctx): Promise<Workload> {
  const { memRows: N, memBuckets, writeBuffer, memChunk } = ctx.p;
  const w: Workload = {
    id: 'memory',
    title: `Writer memory: peak RSS writing ${N} rows into ${memBuckets.join(' / ')} buckets, write-buffer-size ${writeBuffer}`,
    description:
      `Each writer runs alone in a fresh process: rows generated on the fly in chunks of ${memChunk}, written through ` +
      'one writer, one commit at the end; peak RSS = VmHWM of the process (so it includes the runtime: Node running ' +
      'Eddy bundled into plain JavaScript as an application ships it (no tsx, which adds about 50 MB), the ' +
      'JVM with its default heap sizing, CPython + pyarrow). Same table options (write-only, parquet, zstd, ' +
      `write-buffer-size ${writeBuffer}) for every writer.`,
    metrics: [],
    notes: [],
    unmeasured: ['DuckDB, LanceDB: no buckets or write buffer to compare (not applicable).'],
  };
  const runs: Record<string, MemOut[]> = { Eddy: [] };
  if (ctx.has('java')) runs['Paimon Java'] = [];
  if (ctx.has('pypaimon')) runs.pypaimon = [];
  const wh = path.join(ctx.work, 'memory');
  for (const b of memBuckets) {
    const e = await runEddyBundled<MemOut>([
      'memory',
      path.join(wh, 'eddy'),
      `bench.mem${b}`,
      N,
      b,
      writeBuffer,
      memChunk,
    ]);
    runs.Eddy.push(e.out);
    console.log(
      `  eddy ${b} buckets: peak ${e.out.vmHwmMb.toFixed(0)} MB (baseline ${e.out.baselineRssMb.toFixed(0)}), ${e.out.ms.toFixed(0)} ms`,
    );
    if (ctx.has('java')) {
      const j = await runJava<MemOut>([
        'memory',
        path.join(wh, 'java'),
        `bench.mem${b}`,
        N,
        b,
        writeBuffer,
        '128 mb',
        memChunk,
      ]);
      runs['Paimon Java'].push(j.out);
      console.log(`  java ${b} buckets: peak ${j.out.vmHwmMb.toFixed(0)} MB, ${j.out.ms.toFixed(0)} ms`);
    }
    if (ctx.has('pypaimon')) {
      const p = await runPython<MemOut>([
        'memory',
        path.join(wh, 'pypaimon'),
        `bench.mem${b}`,
        N,
        b,
        writeBuffer,
        '128 mb',
        memChunk,
      ]);
      runs.pypaimon.push(p.out);
      console.log(`  pypaimon ${b} buckets: peak ${p.out.vmHwmMb.toFixed(0)} MB, ${p.out.ms.toFixed(0)} ms`);
    }
  }
  if (!ctx.has('java')) w.unmeasured.push(`Paimon Java: ${ctx.why('java')}`);
  if (!ctx.has('pypaimon')) w.unmeasured.push(`pypaimon: ${ctx.why('pypaimon')}`);
  const peerNames = Object.keys(runs).filter((k) => k !== 'Eddy');
  memBuckets.forEach((b, i) => {
    const peers: Figure[] = peerNames.map((p) => ({ system: p, value: runs[p][i].vmHwmMb }));
    w.metrics.push({
      label: `peak RSS, ${b} bucket${b > 1 ? 's' : ''}`,
      unit: 'MB',
      better: 'lower',
      eddy: runs.Eddy[i].vmHwmMb,
      peers,
    });
  });
  // The goal: a writer's peak RSS, worker heaps included, within write-buffer-size + 200 MB.
  const budgetMb = parseMb(writeBuffer) + 200;
  memBuckets.forEach((b, i) => {
    w.metrics.push({
      label: `peak RSS vs the goal (write-buffer-size + 200 MB), ${b} bucket${b > 1 ? 's' : ''}`,
      unit: 'MB',
      better: 'lower',
      eddy: runs.Eddy[i].vmHwmMb,
      peers: [{ system: `goal: ${writeBuffer} + 200 MB`, value: budgetMb }],
    });
  });
  await compactionMemory(ctx, w);
  const growth = (xs: MemOut[]) => xs[xs.length - 1].vmHwmMb / xs[0].vmHwmMb;
  if (memBuckets.length > 1) {
    w.metrics.push({
      label: `peak RSS growth, ${memBuckets[memBuckets.length - 1]} vs ${memBuckets[0]} bucket${memBuckets[0] > 1 ? 's' : ''}`,
      unit: '×',
      better: 'lower',
      eddy: growth(runs.Eddy),
      peers: peerNames.map((p) => ({ system: p, value: growth(runs[p]) })),
    });
  }
  for (const [name, xs] of Object.entries(runs)) {
    w.notes.push(
      `${name}: ${memBuckets
        .map(
          (b, i) =>
            `${b} bucket${b > 1 ? 's' : ''}: ${xs[i].ms.toFixed(0)} ms, ${xs[i].files} files, baseline RSS ${xs[i].baselineRssMb.toFixed(0)} MB`,
        )
        .join('; ')}.`,
    );
  }
  return w;
}

/** "64 mb", "1 gb", "512kb" → MB. */
function parseMb(size: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmg]?)b?\s*$/i.exec(size);
  if (!m) throw new Error(`cannot parse memory size ${size}`);
  const unit = { '': 1 / 2 ** 20, k: 1 / 1024, m: 1, g: 1024 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Number(m[1]) * unit;
}

/**
 * Peak RSS of full compaction of one bucket: the ingest workload (N rows, then R rounds of U
 * upserts, 1 + R sorted runs) in a 1-bucket table, compacted by a fresh process (goal ≤ 512 MB).
 * Paimon Java compacts two copies in one JVM (cold, then warm), so its figure is that process's peak.
 */
async function compactionMemory(ctx: Ctx, w: Workload): Promise<void> {
  const { memRows: N, rounds: R } = ctx.p;
  const U = Math.max(1, Math.floor(N / 5));
  const wh = path.join(ctx.work, 'memory', 'compact');
  await runEddy(['ingest', wh, 'bench.c1', N, 1, R, U]);
  const tableDir = path.join(wh, 'bench.db', 'c1');
  for (const copy of ['c1_java_cold', 'c1_java_warm'])
    cpSync(tableDir, path.join(wh, 'bench.db', copy), { recursive: true });
  const e = await runEddyBundled<{ rowsIn: number; vmHwmMb: number; endEpochMs: number }>(['compact', wh, 'bench.c1']);
  if (e.out.rowsIn !== N + R * U) throw new Error(`Eddy compacted ${e.out.rowsIn} rows, expected ${N + R * U}`);
  console.log(`  eddy compaction of 1 bucket (${N + R * U} rows in): peak ${e.out.vmHwmMb.toFixed(0)} MB`);
  const peers: Figure[] = [{ system: 'goal: 512 MB', value: 512 }];
  if (ctx.has('java')) {
    const j = await runJava<{ vmHwmMb: number }>(['compact', wh, 'bench.c1_java_cold', 'bench.c1_java_warm']);
    peers.push({ system: 'Paimon Java (process: cold + warm)', value: j.out.vmHwmMb });
    console.log(`  java compaction of 1 bucket: peak ${j.out.vmHwmMb.toFixed(0)} MB`);
  }
  w.metrics.push({
    label: `peak RSS, full compaction of 1 bucket (${1 + R} sorted runs, ${N + R * U} rows in)`,
    unit: 'MB',
    better: 'lower',
    eddy: e.out.vmHwmMb,
    peers,
  });
  w.notes.push(
    `Compaction: a fresh process compacts one bucket (${N} rows, then ${R} × ${U} upserts, written write-only by Eddy), peak RSS = its VmHWM; ${(e.wallMs / 1000).toFixed(1)} s.`,
  );
}
