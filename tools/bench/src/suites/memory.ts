import * as path from 'node:path';
import type { Ctx } from '../context.ts';
import { runEddy, runJava, runPython } from '../env.ts';
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
      'one writer, one commit at the end; peak RSS = VmHWM of the process (so it includes the runtime: Node + tsx, the ' +
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
    const e = await runEddy<MemOut>(['memory', path.join(wh, 'eddy'), `bench.mem${b}`, N, b, writeBuffer, memChunk]);
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
