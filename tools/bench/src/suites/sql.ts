import * as path from 'node:path';
import { EddySql } from '@eddy/sql';
import type { Ctx, State } from '../context.ts';
import { COLUMNS, toArrow } from '../data.ts';
import { runEddy } from '../env.ts';
import type { Figure, Workload } from '../report.ts';

/** The three queries, over a table reference `T` (an Eddy table, or DuckDB's read_parquet). */
const QUERIES = {
  'count(*)': (t: string) => `SELECT count(*) AS n FROM ${t}`,
  'group-by': (t: string) =>
    `SELECT category, count(*) AS n, sum(qty) AS qty, avg(amount) AS amount FROM ${t} GROUP BY category`,
  'filtered projection': (t: string) => `SELECT id, name, qty FROM ${t} WHERE amount < 10000`,
} as const;
type QueryName = keyof typeof QUERIES;

interface ChildSql {
  rows: number;
  ms: number;
  vmHwmMb: number;
  baselineRssMb: number;
}

/** Runs `fn` once cold, then `repeat` times; returns the best warm time (ms). */
async function bestOf(repeat: number, fn: () => Promise<unknown>): Promise<number> {
  await fn();
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < repeat; i++) {
    const t0 = performance.now();
    await fn();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

/**
 * 7. SQL (@eddy/sql) over the ingest table with 5 sorted runs and after a full compaction, against
 * DuckDB over a plain Parquet file of the same live rows; INSERT … SELECT against the writer.
 */
export async function sqlSuite(ctx: Ctx): Promise<Workload> {
  const { rows: N, rounds: R, repeat } = ctx.p;
  const runs = Math.min(5, 1 + R);
  const w: Workload = {
    id: 'sql',
    title: `SQL over Eddy (embedded DuckDB): count(*), a group-by and a filtered projection over ${N} keys with ${runs} sorted runs and after full compaction; INSERT … SELECT of ${N} rows`,
    description:
      `Eddy: \`EddySql.query()\` on the ingest table at snapshot ${runs} (${runs} sorted runs per bucket: merged by Eddy's reader and ` +
      'streamed into DuckDB) and on a fully compacted copy (one run per bucket: DuckDB reads the data files itself, ' +
      "Eddy's system columns projected away). DuckDB: the same query over one plain Parquet file (zstd) of the same live rows, " +
      `in the bench process (\`runAndReadAll\`). Best of ${repeat} warm runs (5 for the compacted table) after a cold one; results checked (rows, Σqty). ` +
      "Rates are live rows / query time, so Eddy/DuckDB is the ratio of DuckDB's time to Eddy's. Peak RSS: each query alone in a " +
      'fresh process (VmHWM, Node + tsx included for both). INSERT … SELECT: the load (N rows) from a Parquet file into an ' +
      'empty table (4 buckets, write-only) in one commit, against the same rows written from an in-memory Arrow table ' +
      "through `table.newWriter()` (Eddy's Arrow ingest).",
    metrics: [],
    notes: [],
    unmeasured: [],
  };
  if (!ctx.has('duckdb')) w.unmeasured.push(`DuckDB: ${ctx.why('duckdb')}`);
  const rate = (ms: number) => N / (ms / 1000);

  // Tables: the ingest table (5 runs at snapshot `runs`) and a fully compacted copy of its latest state.
  await ctx.ensureIngest();
  const compacted = await ctx.copyIngest('sql_compacted');
  await compacted.compact({ full: true });
  const states: { label: string; table: string; state: State; file?: string }[] = [
    { label: `${runs} sorted runs`, table: `bench.ingest AT (VERSION => ${runs})`, state: ctx.state(runs) },
    { label: 'fully compacted', table: 'bench.sql_compacted', state: ctx.state(1 + R) },
  ];
  if (ctx.has('duckdb')) {
    states[0].file = await ctx.duckStateFile(runs);
    states[1].file = await ctx.duckStateFile(1 + R);
  }
  const db = await EddySql.open(ctx.catalog);
  try {
    for (const s of states) {
      for (const [name, q] of Object.entries(QUERIES) as [QueryName, (t: string) => string][]) {
        const check = (who: string, got: { n: number; qty: number }) => {
          const want =
            name === 'filtered projection'
              ? undefined
              : { n: s.state.rows, qty: name === 'group-by' ? s.state.qty : got.qty };
          if (want && (got.n !== want.n || got.qty !== want.qty))
            throw new Error(`${who} ${name} (${s.label}): ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
        };
        const summarize = (rows: Record<string, unknown>[]) => {
          if (name === 'count(*)') return { n: Number(rows[0].n), qty: 0 };
          if (name === 'group-by')
            return { n: rows.reduce((a, r) => a + Number(r.n), 0), qty: rows.reduce((a, r) => a + Number(r.qty), 0) };
          return { n: rows.length, qty: rows.reduce((a, r) => a + Number(r.qty), 0) };
        };
        // Queries of tens of milliseconds take more repetitions (a shared machine's noise).
        const reps = s.table.includes(' AT ') ? repeat : Math.max(repeat, 5);
        let eddyOut = { n: 0, qty: 0 };
        let scans = '';
        const eddyMs = await bestOf(reps, async () => {
          const r = await db.query(q(s.table));
          eddyOut = summarize(r.rows());
          const sc = r.scans[0];
          scans = sc ? `(${sc.directFiles} files read by DuckDB, ${sc.mergedFiles} merged by Eddy)` : '';
          check('Eddy', eddyOut);
        });
        const peers: Figure[] = [];
        if (s.file) {
          const con = ctx.duck!.con;
          const duckMs = await bestOf(reps, async () => {
            const got = summarize((await con.runAndReadAll(q(`read_parquet('${s.file}')`))).getRowObjectsJS());
            check('DuckDB', got);
            if (name === 'filtered projection' && (got.n !== eddyOut.n || got.qty !== eddyOut.qty))
              throw new Error(`DuckDB ${name} (${s.label}): ${JSON.stringify(got)}, Eddy ${JSON.stringify(eddyOut)}`);
          });
          peers.push({ system: 'DuckDB (plain Parquet)', value: rate(duckMs) });
          console.log(`  ${name}, ${s.label}: eddy ${eddyMs.toFixed(1)} ms ${scans}, duckdb ${duckMs.toFixed(1)} ms`);
        } else console.log(`  ${name}, ${s.label}: eddy ${eddyMs.toFixed(1)} ms ${scans}`);
        w.metrics.push({
          label: `${name}, ${s.label}`,
          unit: 'rows/s',
          better: 'higher',
          eddy: rate(eddyMs),
          peers,
          detail: { Eddy: scans },
        });
      }
    }
  } finally {
    await db.close();
  }

  // Peak RSS: each query in a fresh process.
  const rssQueries = (ctx.p.smoke ? ['group-by'] : Object.keys(QUERIES)) as QueryName[];
  for (const s of states) {
    for (const name of rssQueries) {
      const q = QUERIES[name];
      const e = await runEddy<ChildSql>(['sql', ctx.eddyWh, '-', q(s.table)]);
      const peers: Figure[] = [];
      if (s.file) {
        const d = await runEddy<ChildSql>(['duckdb', ctx.eddyWh, '-', q(`read_parquet('${s.file}')`)]);
        peers.push({ system: 'DuckDB (plain Parquet)', value: d.out.vmHwmMb });
        console.log(
          `  peak RSS ${name}, ${s.label}: eddy ${e.out.vmHwmMb.toFixed(0)} MB, duckdb ${d.out.vmHwmMb.toFixed(0)} MB`,
        );
      }
      w.metrics.push({
        label: `peak RSS, ${name}, ${s.label}`,
        unit: 'MB',
        better: 'lower',
        eddy: e.out.vmHwmMb,
        peers,
      });
    }
  }

  // INSERT … SELECT from a Parquet file against the Arrow writer, same rows, empty tables.
  await ctx.ensureDuckFiles();
  const loadFile = ctx.duck!.loadFile;
  const options = { bucket: '4', 'write-only': 'true', 'file.format': 'parquet', 'file.compression': 'zstd' };
  const arrowTable = await ctx.catalog.createTable('bench.sql_arrow_ingest', {
    columns: { ...COLUMNS },
    primaryKey: ['id'],
    options,
  });
  const load = toArrow(ctx.loadRows);
  let t0 = performance.now();
  const writer = arrowTable.newWriter();
  await writer.write(load);
  await writer.commit();
  writer.close();
  const arrowMs = performance.now() - t0;
  await ctx.catalog.createTable('bench.sql_insert', { columns: { ...COLUMNS }, primaryKey: ['id'], options });
  const sqlDb = await EddySql.open(ctx.catalog);
  let insertMs: number;
  try {
    t0 = performance.now();
    const r = await sqlDb.query(`INSERT INTO bench.sql_insert SELECT * FROM read_parquet('${loadFile}')`);
    insertMs = performance.now() - t0;
    if (r.statement?.rows !== N) throw new Error(`INSERT … SELECT wrote ${r.statement?.rows} rows, expected ${N}`);
    const n = (await sqlDb.query('SELECT count(*) AS n, sum(qty) AS q FROM bench.sql_insert')).rows()[0];
    if (Number(n.n) !== N || Number(n.q) !== ctx.state(1).qty)
      throw new Error(`bench.sql_insert holds ${n.n} rows, Σqty ${n.q}; expected ${JSON.stringify(ctx.state(1))}`);
  } finally {
    await sqlDb.close();
  }
  console.log(`  INSERT … SELECT ${N} rows: ${insertMs.toFixed(0)} ms; Arrow writer: ${arrowMs.toFixed(0)} ms`);
  w.metrics.push({
    label: `INSERT … SELECT of ${N} rows from Parquet, one commit`,
    unit: 'rows/s',
    better: 'higher',
    eddy: rate(insertMs),
    peers: [{ system: "Eddy's Arrow ingest (newWriter, one commit)", value: rate(arrowMs) }],
  });
  w.notes.push(
    `Warehouse: ${path.basename(ctx.eddyWh)}; the compacted copy is bench.sql_compacted. DuckDB runs with a thread per core, in the bench process (peak RSS: in a child process of its own).`,
  );
  return w;
}
