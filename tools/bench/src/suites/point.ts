import * as path from 'node:path';
import { and, eq, ge, lt, type Predicate } from '@eddy/table';
import type { Ctx } from '../context.ts';
import { draw } from '../data.ts';
import { runEddy, runJava, runPython } from '../env.ts';
import type { Figure, Metric, Workload } from '../report.ts';

interface PeerPoint {
  totalFiles: number;
  coldMs: number;
  coldEndEpochMs: number;
  p50Ms: number;
  meanMs: number;
  filesRead: number;
  rows: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** 3. Point-ish scans: key = x and x ≤ key < x + W on the compacted table; files read vs total. */
export async function pointSuite(ctx: Ctx): Promise<Workload> {
  const { rows: N, pointQueries: K, rangeWidth: W } = ctx.p;
  const table = await ctx.ensurePointTable();
  const keys = Array.from({ length: K }, (_, i) => Math.floor(draw(7, i) * (N - W)));
  const totalFiles = (await table.plan()).splits.reduce((a, s) => a + s.files.length, 0);
  const w: Workload = {
    id: 'point',
    title: `Point and range lookups on the compacted table (${totalFiles} files, ${K} queries each)`,
    description:
      `The ingest rows written by Eddy and fully compacted with target-file-size ${ctx.p.pointTargetFileSize}, so each ` +
      `bucket's files cover disjoint key ranges. Queries: id = x, and x ≤ id < x + ${W}. Latency = plan + read + ` +
      'exact filtering of the rows, p50 over the queries after a warm-up pass; "files read" = data files the plan ' +
      'keeps (of all live files). Paimon Java and pypaimon read the same table; DuckDB reads the same final rows as ' +
      'one plain Parquet file sorted by id (row-group statistics); LanceDB its optimized table with a BTREE index on id.',
    metrics: [],
    notes: [],
    unmeasured: [],
  };

  for (const kind of ['eq', 'range'] as const) {
    const pred = (k: number): Predicate =>
      kind === 'eq' ? eq('id', BigInt(k)) : and(ge('id', BigInt(k)), lt('id', BigInt(k + W)));
    const wantRows = kind === 'eq' ? 1 : W;
    const one = async (k: number) => {
      let n = 0;
      for await (const r of table.scan({ where: pred(k) })) {
        const id = Number(r.id as bigint);
        if (kind === 'eq' ? id === k : id >= k && id < k + W) n++;
      }
      if (n !== wantRows) throw new Error(`Eddy ${kind} ${k}: ${n} rows, expected ${wantRows}`);
    };
    for (const k of keys) await one(k); // warm-up
    const lat: number[] = [];
    for (const k of keys) {
      const t0 = performance.now();
      await one(k);
      lat.push(performance.now() - t0);
    }
    let files = 0;
    for (const k of keys)
      files += (await table.plan({ where: pred(k) })).splits.reduce((a, s) => a + s.files.length, 0);
    const eddyFiles = files / K;
    const label = kind === 'eq' ? 'id = x' : `x ≤ id < x + ${W}`;

    const latPeers: Figure[] = [];
    const filePeers: Figure[] = [];
    const proc: Figure[] = [];
    const ep = await runEddy<{ rows: number; endEpochMs: number }>([
      'point',
      ctx.eddyWh,
      'bench.point',
      kind,
      W,
      keys[0],
    ]);
    if (ep.out.rows !== wantRows) throw new Error(`Eddy (process) ${kind}: ${ep.out.rows} rows`);
    const args = [kind, W, ...keys];
    if (ctx.has('java')) {
      const j = await runJava<PeerPoint>(['point', ctx.eddyWh, 'bench.point', ...args]);
      if (j.out.rows !== wantRows * K) throw new Error(`Paimon Java ${kind}: ${j.out.rows} rows`);
      latPeers.push({ system: 'Paimon Java (in-JVM, warm)', value: j.out.p50Ms });
      proc.push({ system: 'Paimon Java (process)', value: j.out.coldEndEpochMs - j.spawnEpochMs });
      filePeers.push({ system: 'Paimon Java (in-JVM, warm)', value: j.out.filesRead });
      console.log(`  java ${kind}: p50 ${j.out.p50Ms.toFixed(1)} ms, files ${j.out.filesRead}/${j.out.totalFiles}`);
    } else if (kind === 'eq') w.unmeasured.push(`Paimon Java: ${ctx.why('java')}`);
    if (ctx.has('pypaimon')) {
      const p = await runPython<PeerPoint>(['point', ctx.eddyWh, 'bench.point', ...args]);
      if (p.out.rows !== wantRows * K) throw new Error(`pypaimon ${kind}: ${p.out.rows} rows`);
      latPeers.push({ system: 'pypaimon (in-Python)', value: p.out.p50Ms });
      proc.push({ system: 'pypaimon (process)', value: p.out.coldEndEpochMs - p.spawnEpochMs });
      filePeers.push({ system: 'pypaimon (in-Python)', value: p.out.filesRead });
      console.log(`  pypaimon ${kind}: p50 ${p.out.p50Ms.toFixed(1)} ms, files ${p.out.filesRead}/${p.out.totalFiles}`);
    } else if (kind === 'eq') w.unmeasured.push(`pypaimon: ${ctx.why('pypaimon')}`);
    if (ctx.has('duckdb')) {
      const con = await ctx.ensureDuckFiles();
      if (!ctx.duck!.sortedFinal) {
        const out = path.join(ctx.duckDir, 'compacted.parquet');
        await con.run(
          `COPY (${ctx.duckLatest(ctx.p.rounds)} ORDER BY id) TO '${out}' (FORMAT parquet, COMPRESSION zstd)`,
        );
        ctx.duck!.sortedFinal = out;
      }
      const file = ctx.duck!.sortedFinal!;
      const q = async (k: number) => {
        const where = kind === 'eq' ? `id = ${k}` : `id >= ${k} AND id < ${k + W}`;
        const rows = (
          await con.runAndReadAll(`SELECT * FROM read_parquet('${file}') WHERE ${where}`)
        ).getRowObjectsJS();
        if (rows.length !== wantRows) throw new Error(`DuckDB ${kind} ${k}: ${rows.length} rows`);
      };
      for (const k of keys) await q(k);
      const dl: number[] = [];
      for (const k of keys) {
        const t0 = performance.now();
        await q(k);
        dl.push(performance.now() - t0);
      }
      latPeers.push({ system: 'DuckDB (plain Parquet)', value: median(dl) });
    } else if (kind === 'eq') w.unmeasured.push(`DuckDB: ${ctx.why('duckdb')}`);
    if (ctx.has('lancedb')) {
      const t = await ctx.ensureLance();
      if (!ctx.lanceOptimized) {
        await t.optimize();
        ctx.lanceOptimized = true;
      }
      if (kind === 'eq') {
        try {
          await t.createIndex('id');
        } catch (e) {
          w.notes.push(`LanceDB: createIndex('id') failed (${(e as Error).message.slice(0, 120)}); queries scan.`);
        }
      }
      const q = async (k: number) => {
        const where = kind === 'eq' ? `id = ${k}` : `id >= ${k} AND id < ${k + W}`;
        const res = await t.query().where(where).toArrow();
        if (res.numRows !== wantRows) throw new Error(`LanceDB ${kind} ${k}: ${res.numRows} rows`);
      };
      for (const k of keys) await q(k);
      const ll: number[] = [];
      for (const k of keys) {
        const t0 = performance.now();
        await q(k);
        ll.push(performance.now() - t0);
      }
      latPeers.push({ system: 'LanceDB', value: median(ll) });
    } else if (kind === 'eq') w.unmeasured.push(`LanceDB: ${ctx.why('lancedb')}`);

    const metrics: Metric[] = [
      { label: `${label}, p50 latency`, unit: 'ms', better: 'lower', eddy: median(lat), peers: latPeers },
      {
        label: `${label}, one query as a fresh process (start → rows)`,
        unit: 'ms',
        better: 'lower',
        eddy: ep.out.endEpochMs - ep.spawnEpochMs,
        peers: proc,
      },
      {
        label: `${label}, data files read per query (of ${totalFiles})`,
        unit: 'files',
        better: 'lower',
        eddy: eddyFiles,
        peers: filePeers,
      },
    ];
    w.metrics.push(...metrics);
    console.log(`  eddy ${kind}: p50 ${median(lat).toFixed(1)} ms, files ${eddyFiles}/${totalFiles}`);
  }
  w.notes.push(
    'Process figures: spawn → end of the first query (a one-shot lookup from a fresh node + tsx / JVM / CPython).',
    'DuckDB and LanceDB have no files-read figure (one Parquet file with row groups; Lance fragments + index).',
  );
  return w;
}
