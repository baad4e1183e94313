import * as path from 'node:path';
import type { Ctx } from '../context.ts';
import { runEddyBundled, runJava } from '../env.ts';
import type { Figure, Workload } from '../report.ts';
import { sumColumn } from './scan.ts';

interface JavaCompact {
  vmHwmMb: number;
  cold: { filesIn: number; filesOut: number; ms: number };
  coldEndEpochMs: number;
  warm: { filesIn: number; filesOut: number; ms: number };
}

/** Σqty and row count of a table's latest state, read by Eddy (checks a compaction's output). */
async function verify(ctx: Ctx, name: string, who: string): Promise<void> {
  const t = await ctx.catalog.getTable(`bench.${name}`);
  const want = ctx.state(1 + ctx.p.rounds);
  let rows = 0;
  let qty = 0;
  for await (const b of t.scanArrow({ select: ['qty'] })) {
    rows += b.numRows;
    qty += sumColumn(b, 'qty');
  }
  if (rows !== want.rows || qty !== want.qty)
    throw new Error(`${who}'s compacted table holds ${rows} rows, Σqty ${qty}; expected ${JSON.stringify(want)}`);
}

/** 4. Full compaction of the ingest table (1 + R sorted runs per bucket → 1). */
export async function compactionSuite(ctx: Ctx): Promise<Workload> {
  const { rows: N, rounds: R, updateRows: U } = ctx.p;
  const rowsIn = N + R * U;
  const w: Workload = {
    id: 'compaction',
    title: `Full compaction of the ingest table: ${1 + R} sorted runs per bucket (${rowsIn} rows in, ${N} out)`,
    description:
      'Eddy and Paimon Java compact copies of the same table (Eddy-written files, identical input); the result is ' +
      'read back by Eddy and checked. Paimon Java: BatchTableWrite.compact(partition, bucket, fullCompaction=true) ' +
      'for every bucket, one commit (what CompactAction does), cold on one copy, then warm (same JVM) on another. ' +
      'DuckDB: the same rows as the load + round Parquet files, latest row per key (window function), ' +
      'sorted by key, written as one Parquet file. LanceDB: optimize() of its ingest table after the same upserts ' +
      '(rewrites fragments and applies deletions; not a key merge).',
    metrics: [],
    notes: [],
    unmeasured: [],
  };
  const rate = (ms: number) => rowsIn / (ms / 1000);
  const eddyTable = await ctx.copyIngest('compact_eddy');
  const t0 = performance.now();
  const res = await eddyTable.compact({ full: true });
  const eddyMs = performance.now() - t0;
  if (res.rowsIn !== rowsIn) throw new Error(`Eddy compacted ${res.rowsIn} rows, expected ${rowsIn}`);
  await verify(ctx, 'compact_eddy', 'Eddy');
  console.log(`  eddy: ${eddyMs.toFixed(0)} ms (${res.filesIn} → ${res.filesOut} files)`);
  w.notes.push(
    `Eddy: ${res.filesIn} files (${(res.bytesIn / 2 ** 20).toFixed(1)} MB) → ${res.filesOut} files (${(res.bytesOut / 2 ** 20).toFixed(1)} MB) in ${eddyMs.toFixed(0)} ms.`,
  );

  await ctx.copyIngest('compact_eddy_process');
  const ep = await runEddyBundled<{ rowsIn: number; endEpochMs: number; vmHwmMb: number }>([
    'compact',
    ctx.eddyWh,
    'bench.compact_eddy_process',
  ]);
  await verify(ctx, 'compact_eddy_process', 'Eddy (process)');
  const eddyProcMs = ep.out.endEpochMs - ep.spawnEpochMs;
  const peers: Figure[] = [];
  const proc: Figure[] = [];
  const rss: Figure[] = [];
  if (ctx.has('java')) {
    await ctx.copyIngest('compact_java_cold');
    await ctx.copyIngest('compact_java_warm');
    const j = await runJava<JavaCompact>(['compact', ctx.eddyWh, 'bench.compact_java_cold', 'bench.compact_java_warm']);
    await verify(ctx, 'compact_java_cold', 'Paimon Java');
    await verify(ctx, 'compact_java_warm', 'Paimon Java');
    peers.push({ system: 'Paimon Java (in-JVM, warm)', value: rate(j.out.warm.ms) });
    proc.push({ system: 'Paimon Java (process)', value: rate(j.out.coldEndEpochMs - j.spawnEpochMs) });
    rss.push({ system: 'Paimon Java (process: cold + warm)', value: j.out.vmHwmMb });
    w.notes.push(
      `Paimon Java: cold ${j.out.cold.ms.toFixed(0)} ms, warm ${j.out.warm.ms.toFixed(0)} ms (${j.out.warm.filesIn} → ${j.out.warm.filesOut} files); process = spawn → end of the cold compaction.`,
    );
    console.log(`  java: cold ${j.out.cold.ms.toFixed(0)} ms, warm ${j.out.warm.ms.toFixed(0)} ms`);
  } else {
    w.unmeasured.push(`Paimon Java: ${ctx.why('java')}`);
  }
  w.unmeasured.push('pypaimon: pypaimon 1.4.2 has no compaction (its writers only add level-0 files).');

  if (ctx.has('duckdb')) {
    const con = await ctx.ensureDuckFiles();
    const out = path.join(ctx.duckDir, 'compacted.parquet');
    const t1 = performance.now();
    await con.run(`COPY (${ctx.duckLatest(R)} ORDER BY id) TO '${out}' (FORMAT parquet, COMPRESSION zstd)`);
    const ms = performance.now() - t1;
    ctx.duck!.sortedFinal = out;
    peers.push({ system: 'DuckDB (plain Parquet)', value: rate(ms) });
  } else {
    w.unmeasured.push(`DuckDB: ${ctx.why('duckdb')}`);
  }

  if (ctx.has('lancedb')) {
    const t = await ctx.ensureLance();
    const t1 = performance.now();
    const o = await t.optimize();
    const ms = performance.now() - t1;
    ctx.lanceOptimized = true;
    peers.push({ system: 'LanceDB', value: rate(ms), note: '(optimize)' });
    w.notes.push(`LanceDB optimize(): ${ms.toFixed(0)} ms, ${JSON.stringify(o.compaction)}.`);
  } else {
    w.unmeasured.push(`LanceDB: ${ctx.why('lancedb')}`);
  }

  w.metrics.push(
    {
      label: 'full compaction, input rows per second (goal ≥ 1.5× Paimon Java warm)',
      unit: 'rows/s',
      better: 'higher',
      eddy: rate(eddyMs),
      peers,
    },
    {
      label: 'full compaction as a fresh process (start → committed), input rows per second',
      unit: 'rows/s',
      better: 'higher',
      eddy: rate(eddyProcMs),
      peers: proc,
    },
    {
      label: `peak RSS of the compaction process (${ctx.p.buckets} buckets)`,
      unit: 'MB',
      better: 'lower',
      eddy: ep.out.vmHwmMb,
      peers: rss,
    },
    {
      label: 'full compaction, time',
      unit: 's',
      better: 'lower',
      eddy: eddyMs / 1000,
      peers: peers.map((p) => ({ ...p, value: p.value === null ? null : rowsIn / p.value })),
    },
  );
  return w;
}
