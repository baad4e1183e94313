import type { Ctx } from '../context.ts';
import { addChecksums, type Checksum, checksum } from '../data.ts';
import { runEddy, runJava, runPython } from '../env.ts';
import type { Figure, Metric, Workload } from '../report.ts';

interface JavaIngest {
  genMs: number;
  checksum: Checksum;
  cold: { loadMs: number; roundsMs: number };
  coldEndEpochMs: number;
  warm: { loadMs: number; roundsMs: number };
  vmHwmMb: number;
}
interface PyIngest {
  genMs: number;
  checksum: Checksum;
  loadMs: number;
  roundsMs: number;
  endEpochMs: number;
  vmHwmMb: number;
}

export function expectChecksum(who: string, got: Checksum, want: Checksum): void {
  if (JSON.stringify(got) !== JSON.stringify(want))
    throw new Error(`${who} generated different rows: ${JSON.stringify(got)} vs ${JSON.stringify(want)}`);
}

/** 1. PK upsert ingest: the load (N rows, one commit), then R rounds of U upserts over the same keys. */
export async function ingestSuite(ctx: Ctx): Promise<Workload> {
  const { rows: N, rounds: R, updateRows: U, buckets } = ctx.p;
  const w: Workload = {
    id: 'ingest',
    title: `PK upsert ingest: ${N} rows into ${buckets} buckets, then ${R} × ${U} upserts`,
    description:
      'Rows generated before timing (fixed seeds, identical in every implementation: checked by checksum). ' +
      'Eddy writes JS objects (and, separately, the same rows as Arrow batches) through one writer, one commit ' +
      'for the load and one per round. Paimon Java writes GenericRows through one StreamTableWrite ' +
      '(same table options: parquet, zstd, write-only); pypaimon writes Arrow tables, one batch commit each; ' +
      'DuckDB writes each batch as a plain Parquet file (COPY, zstd: no keys, no merge — the practical limit); ' +
      'LanceDB creates the table from the load and applies each round with mergeInsert("id") (upsert).',
    metrics: [],
    notes: [],
    unmeasured: [],
  };
  let want = checksum(ctx.loadRows);
  for (const r of ctx.updateRows) want = addChecksums(want, checksum(r));

  // Eddy
  const eddy = await ctx.createIngestTable('ingest');
  const eo = await ctx.writeIngest(eddy, 'objects');
  ctx.ingestTable = eddy;
  const arrowTable = await ctx.createIngestTable('ingest_arrow');
  const ea = await ctx.writeIngest(arrowTable, 'arrow');
  ctx.ingestArrowTable = arrowTable;
  console.log(
    `  eddy: load ${eo.loadMs.toFixed(0)} ms, rounds ${eo.roundsMs.toFixed(0)} ms (arrow ${ea.loadMs.toFixed(0)} / ${ea.roundsMs.toFixed(0)})`,
  );

  const load: Figure[] = [];
  const rounds: Figure[] = [];
  const whole: Figure[] = [];
  const proc: Figure[] = [];
  const rate = (rows: number, ms: number) => rows / (ms / 1000);
  const ep = await runEddy<{ genMs: number; endEpochMs: number }>([
    'ingest',
    ctx.eddyWh,
    'bench.ingest_process',
    N,
    buckets,
    R,
    U,
  ]);
  const eddyProcMs = ep.out.endEpochMs - ep.spawnEpochMs - ep.out.genMs;

  if (ctx.has('java')) {
    const j = await runJava<JavaIngest>(['ingest', ctx.javaWh, 'bench.ingest', N, buckets, R, U, '128 mb']);
    expectChecksum('Paimon Java', j.out.checksum, want);
    const procMs = j.out.coldEndEpochMs - j.spawnEpochMs - j.out.genMs;
    load.push({ system: 'Paimon Java (in-JVM, warm)', value: rate(N, j.out.warm.loadMs) });
    rounds.push({ system: 'Paimon Java (in-JVM, warm)', value: rate(R * U, j.out.warm.roundsMs) });
    whole.push({
      system: 'Paimon Java (in-JVM, warm)',
      value: rate(N + R * U, j.out.warm.loadMs + j.out.warm.roundsMs),
    });
    proc.push({ system: 'Paimon Java (process)', value: rate(N + R * U, procMs) });
    w.notes.push(
      `Paimon Java: cold run (first in the JVM) load ${j.out.cold.loadMs.toFixed(0)} ms, rounds ${j.out.cold.roundsMs.toFixed(0)} ms; warm run (second, in-JVM) load ${j.out.warm.loadMs.toFixed(0)} ms, rounds ${j.out.warm.roundsMs.toFixed(0)} ms; process = JVM spawn → end of the cold run, minus the ${j.out.genMs.toFixed(0)} ms of data generation (${procMs.toFixed(0)} ms); whole process incl. warm run ${(j.wallMs / 1000).toFixed(1)} s, peak RSS ${j.out.vmHwmMb.toFixed(0)} MB (default JVM flags).`,
    );
    console.log(`  java: warm load ${j.out.warm.loadMs.toFixed(0)} ms, rounds ${j.out.warm.roundsMs.toFixed(0)} ms`);
  } else {
    w.unmeasured.push(`Paimon Java: ${ctx.why('java')}`);
  }

  if (ctx.has('pypaimon')) {
    const p = await runPython<PyIngest>(['ingest', ctx.pyWh, 'bench.ingest', N, buckets, R, U, '128 mb']);
    expectChecksum('pypaimon', p.out.checksum, want);
    const procMs = p.out.endEpochMs - p.spawnEpochMs - p.out.genMs;
    load.push({ system: 'pypaimon (in-Python)', value: rate(N, p.out.loadMs) });
    rounds.push({ system: 'pypaimon (in-Python)', value: rate(R * U, p.out.roundsMs) });
    whole.push({ system: 'pypaimon (in-Python)', value: rate(N + R * U, p.out.loadMs + p.out.roundsMs) });
    proc.push({ system: 'pypaimon (process)', value: rate(N + R * U, procMs) });
    w.notes.push(
      `pypaimon: load ${p.out.loadMs.toFixed(0)} ms, rounds ${p.out.roundsMs.toFixed(0)} ms; process = spawn → end, minus ${p.out.genMs.toFixed(0)} ms of data generation (${procMs.toFixed(0)} ms); peak RSS ${p.out.vmHwmMb.toFixed(0)} MB. Each commit is its own batch write (pypaimon 1.4.2's StreamTableCommit commits only once).`,
    );
    console.log(`  pypaimon: load ${p.out.loadMs.toFixed(0)} ms, rounds ${p.out.roundsMs.toFixed(0)} ms`);
  } else {
    w.unmeasured.push(`pypaimon: ${ctx.why('pypaimon')}`);
  }

  if (ctx.has('duckdb')) {
    await ctx.duckTables();
    const d = await ctx.duckWrite();
    load.push({ system: 'DuckDB (plain Parquet)', value: rate(N, d.loadMs) });
    rounds.push({ system: 'DuckDB (plain Parquet)', value: rate(R * U, d.roundsMs) });
    whole.push({ system: 'DuckDB (plain Parquet)', value: rate(N + R * U, d.loadMs + d.roundsMs) });
  } else {
    w.unmeasured.push(`DuckDB: ${ctx.why('duckdb')}`);
  }

  if (ctx.has('lancedb')) {
    const l = await ctx.lanceIngest();
    load.push({ system: 'LanceDB', value: rate(N, l.loadMs) });
    rounds.push({ system: 'LanceDB', value: rate(R * U, l.roundsMs) });
    whole.push({ system: 'LanceDB', value: rate(N + R * U, l.loadMs + l.roundsMs) });
    console.log(`  lancedb: load ${l.loadMs.toFixed(0)} ms, rounds ${l.roundsMs.toFixed(0)} ms`);
  } else {
    w.unmeasured.push(`LanceDB: ${ctx.why('lancedb')}`);
  }

  const m = (label: string, eddyValue: number, peers: Figure[]): Metric => ({
    label,
    unit: 'rows/s',
    better: 'higher',
    eddy: eddyValue,
    peers,
  });
  w.metrics.push(
    m(`load ${N} rows, JS objects → committed`, rate(N, eo.loadMs), load),
    m(`load ${N} rows, Arrow batch → committed`, rate(N, ea.loadMs), load),
    m(`${R} × ${U} upserts, JS objects`, rate(R * U, eo.roundsMs), rounds),
    m(`${R} × ${U} upserts, Arrow`, rate(R * U, ea.roundsMs), rounds),
    m('whole workload (load + upserts), JS objects', rate(N + R * U, eo.loadMs + eo.roundsMs), whole),
    m(
      'whole workload as a fresh process (start → last commit, minus data generation)',
      rate(N + R * U, eddyProcMs),
      proc,
    ),
  );
  w.notes.push(
    `Eddy: load ${eo.loadMs.toFixed(0)} ms (of which the commit, which flushes the buffered rows to files, ${eo.commitMs.toFixed(0)} ms), rounds ${eo.roundsMs.toFixed(0)} ms; Arrow input: load ${ea.loadMs.toFixed(0)} ms, rounds ${ea.roundsMs.toFixed(0)} ms. Eddy's in-process figures are taken in the benchmark's own process; its process figure is a fresh \`node\` (with tsx, as \`npm run bench\` runs) doing the same workload: spawn → last commit, minus ${ep.out.genMs.toFixed(0)} ms of data generation (${eddyProcMs.toFixed(0)} ms).`,
  );
  return w;
}
