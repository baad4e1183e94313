import * as path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { and, eq, ge, lt, type Predicate, type Table } from '@eddy/table';
import { inspect } from '@eddy/table/inspect';
import type { Ctx } from '../context.ts';
import { draw } from '../data.ts';
import { runEddy, runJava, runPython } from '../env.ts';
import { fileIndexMetrics } from '../file-index.ts';
import type { Figure, Workload } from '../report.ts';

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

const pct = (xs: number[], q: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))];

/** Latencies of `q` over `keys`, after a warm-up pass. */
async function timeQueries(keys: readonly number[], q: (k: number) => Promise<void>): Promise<number[]> {
  for (const k of keys) await q(k);
  const lat: number[] = [];
  for (const k of keys) {
    const t0 = performance.now();
    await q(k);
    lat.push(performance.now() - t0);
  }
  return lat;
}

/**
 * 3. Point-ish scans: key = x and x ≤ key < x + W on compacted tables, one per target-file-size
 * (the default, whose files hold a whole bucket, and 1 MB); files read vs total; a batched get.
 */
export async function pointSuite(ctx: Ctx): Promise<Workload> {
  const { rows: N, pointQueries: K, rangeWidth: W } = ctx.p;
  const keys = Array.from({ length: K }, (_, i) => Math.floor(draw(7, i) * (N - W)));
  const w: Workload = {
    id: 'point',
    title: `Point and range lookups on compacted tables (target-file-size ${ctx.p.pointTargetFileSizes.join(', ')}; ${K} queries each)`,
    description:
      "The ingest rows written by Eddy and fully compacted, once per target-file-size, so each bucket's files cover " +
      `disjoint key ranges. Queries: id = x, and x ≤ id < x + ${W}. Latency = plan + read + exact filtering of the rows, ` +
      'p50, p95 and p99 over the queries after a warm-up pass; "files read" = data files the plan keeps (of all live files). ' +
      'Paimon Java and pypaimon read the same table; "DuckDB (same files)" runs the query with read_parquet over the ' +
      'table\'s live data files (the ratio that compares the readers, not the layouts); "DuckDB (plain Parquet)" one ' +
      'plain Parquet file of the final rows sorted by id; LanceDB its optimized table with a BTREE index on id. ' +
      'Batched get: table.get of 1,000 random keys, keys/s (DuckDB: the same keys as id IN (...) over the same files).',
    metrics: [],
    notes: [],
    unmeasured: [],
  };
  for (const size of ctx.p.pointTargetFileSizes) {
    const table = await ctx.ensurePointTable(size);
    const tableName = table.name;
    const plan = await table.plan();
    const totalFiles = plan.splits.reduce((a, s) => a + s.files.length, 0);
    const ins = inspect(table);
    const files = plan.splits.flatMap((s) =>
      s.files.map((file) => ins.dataFilePath({ partition: s.partitionBytes, bucket: s.bucket, file })),
    );
    const tag = `target-file-size ${size}`;
    const duckSame = ctx.has('duckdb') ? await ctx.duckTables() : undefined;
    const duckFrom = `read_parquet([${files.map((f) => `'${f}'`).join(', ')}])`;
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
      const lat = await timeQueries(keys, one);
      let filesRead = 0;
      for (const k of keys)
        filesRead += (await table.plan({ where: pred(k) })).splits.reduce((a, s) => a + s.files.length, 0);
      const eddyFiles = filesRead / K;
      const label = `${kind === 'eq' ? 'id = x' : `x ≤ id < x + ${W}`} (${tag})`;

      const latPeers: Figure[] = [];
      const p95Peers: Figure[] = [];
      const p99Peers: Figure[] = [];
      const filePeers: Figure[] = [];
      const proc: Figure[] = [];
      const ep = await runEddy<{ rows: number; endEpochMs: number }>([
        'point',
        ctx.eddyWh,
        tableName,
        kind,
        W,
        keys[0],
      ]);
      if (ep.out.rows !== wantRows) throw new Error(`Eddy (process) ${kind}: ${ep.out.rows} rows`);
      const args = [kind, W, ...keys];
      if (ctx.has('java')) {
        const j = await runJava<PeerPoint>(['point', ctx.eddyWh, tableName, ...args]);
        if (j.out.rows !== wantRows * K) throw new Error(`Paimon Java ${kind}: ${j.out.rows} rows`);
        latPeers.push({ system: 'Paimon Java (in-JVM, warm)', value: j.out.p50Ms });
        proc.push({ system: 'Paimon Java (process)', value: j.out.coldEndEpochMs - j.spawnEpochMs });
        filePeers.push({ system: 'Paimon Java (in-JVM, warm)', value: j.out.filesRead });
        console.log(
          `  java ${kind} (${tag}): p50 ${j.out.p50Ms.toFixed(1)} ms, files ${j.out.filesRead}/${j.out.totalFiles}`,
        );
      } else if (kind === 'eq') w.unmeasured.push(`Paimon Java: ${ctx.why('java')}`);
      if (ctx.has('pypaimon')) {
        const p = await runPython<PeerPoint>(['point', ctx.eddyWh, tableName, ...args]);
        if (p.out.rows !== wantRows * K) throw new Error(`pypaimon ${kind}: ${p.out.rows} rows`);
        latPeers.push({ system: 'pypaimon (in-Python)', value: p.out.p50Ms });
        proc.push({ system: 'pypaimon (process)', value: p.out.coldEndEpochMs - p.spawnEpochMs });
        filePeers.push({ system: 'pypaimon (in-Python)', value: p.out.filesRead });
        console.log(
          `  pypaimon ${kind} (${tag}): p50 ${p.out.p50Ms.toFixed(1)} ms, files ${p.out.filesRead}/${p.out.totalFiles}`,
        );
      } else if (kind === 'eq') w.unmeasured.push(`pypaimon: ${ctx.why('pypaimon')}`);
      let duckP50: number | undefined;
      let duckP99: number | undefined;
      if (duckSame) {
        const q = async (k: number) => {
          const where = kind === 'eq' ? `id = ${k}` : `id >= ${k} AND id < ${k + W}`;
          const rows = (
            await duckSame.runAndReadAll(
              `SELECT id, name, amount, qty, ts, category, flag, version FROM ${duckFrom} WHERE ${where}`,
            )
          ).getRowObjectsJS();
          if (rows.length !== wantRows) throw new Error(`DuckDB (same files) ${kind} ${k}: ${rows.length} rows`);
        };
        const dl = await timeQueries(keys, q);
        duckP50 = median(dl);
        duckP99 = pct(dl, 0.99);
        latPeers.push({ system: 'DuckDB (same files)', value: duckP50 });
        p95Peers.push({ system: 'DuckDB (same files)', value: pct(dl, 0.95) });
        p99Peers.push({ system: 'DuckDB (same files)', value: duckP99 });
        const con = await ctx.ensureDuckFiles();
        if (!ctx.duck!.sortedFinal) {
          const out = path.join(ctx.duckDir, 'compacted.parquet');
          await con.run(
            `COPY (${ctx.duckLatest(ctx.p.rounds)} ORDER BY id) TO '${out}' (FORMAT parquet, COMPRESSION zstd)`,
          );
          ctx.duck!.sortedFinal = out;
        }
        const file = ctx.duck!.sortedFinal!;
        const qp = async (k: number) => {
          const where = kind === 'eq' ? `id = ${k}` : `id >= ${k} AND id < ${k + W}`;
          const rows = (
            await con.runAndReadAll(`SELECT * FROM read_parquet('${file}') WHERE ${where}`)
          ).getRowObjectsJS();
          if (rows.length !== wantRows) throw new Error(`DuckDB ${kind} ${k}: ${rows.length} rows`);
        };
        latPeers.push({ system: 'DuckDB (plain Parquet)', value: median(await timeQueries(keys, qp)) });
      } else if (kind === 'eq') w.unmeasured.push(`DuckDB: ${ctx.why('duckdb')}`);
      if (ctx.has('lancedb') && size === ctx.p.pointTargetFileSizes[0]) {
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
        latPeers.push({ system: 'LanceDB', value: median(await timeQueries(keys, q)) });
      } else if (kind === 'eq' && !ctx.has('lancedb')) w.unmeasured.push(`LanceDB: ${ctx.why('lancedb')}`);

      w.metrics.push(
        { label: `${label}, p50 latency`, unit: 'ms', better: 'lower', eddy: median(lat), peers: latPeers },
        { label: `${label}, p95 latency`, unit: 'ms', better: 'lower', eddy: pct(lat, 0.95), peers: p95Peers },
        { label: `${label}, p99 latency`, unit: 'ms', better: 'lower', eddy: pct(lat, 0.99), peers: p99Peers },
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
      );
      const ratio =
        duckP50 === undefined || duckP99 === undefined
          ? ''
          : `; DuckDB (same files) p50 ${duckP50.toFixed(1)} ms, p99 ${duckP99.toFixed(1)} ms: ${(median(lat) / duckP50).toFixed(2)}× / ${(pct(lat, 0.99) / duckP99).toFixed(2)}×`;
      console.log(
        `  eddy ${kind} (${tag}): p50 ${median(lat).toFixed(1)} ms, p95 ${pct(lat, 0.95).toFixed(1)} ms, p99 ${pct(lat, 0.99).toFixed(1)} ms${ratio}, files ${eddyFiles}/${totalFiles}`,
      );
    }
    await batchedGet(ctx, w, table, tag, duckSame ? { con: duckSame, from: duckFrom } : undefined);
    if (size === ctx.p.pointTargetFileSizes[0]) await coldProcess(ctx, w, tableName, files, keys[0], tag);
  }
  await fileIndexMetrics(ctx, w, ctx.catalog);
  w.notes.push(
    'Process figures: spawn → end of the first query (a one-shot lookup from a fresh node + tsx / JVM / CPython).',
    'DuckDB and LanceDB have no files-read figure (one Parquet file with row groups; Lance fragments + index).',
    'Cold process: both children load through tools/bench/bin/child.js (tsx), which imports Eddy even for DuckDB; "open → end" is timed inside the process and leaves the runtime start-up out.',
    "File index: two append tables of the same rows (one data file per commit), with and without file-index.bloom-filter.columns = sku; sku = x looks up a value present in one file, or absent; DuckDB reads the indexed table's files.",
  );
  return w;
}

interface ColdPoint {
  eqMs: number;
  getMs: number;
  ms: number;
  rows: number;
  found: number;
  endEpochMs: number;
}

/**
 * A fresh process (Eddy: node + tsx running bin/child.js; DuckDB: the same child, plain DuckDB
 * over the table's data files) opens the table, runs id = x, then one get of 1,000 keys (DuckDB:
 * id IN (...)): spawn → end, and open → end timed inside the process (without the runtime's start-up).
 */
async function coldProcess(
  ctx: Ctx,
  w: Workload,
  tableName: string,
  files: readonly string[],
  key: number,
  tag: string,
): Promise<void> {
  const N = ctx.p.rows;
  const n = Math.min(1000, N);
  const ids = Array.from({ length: n }, (_, i) => Math.floor(draw(13, i) * N));
  const want = new Set(ids).size;
  const e = await runEddy<ColdPoint>(['point-cold', ctx.eddyWh, tableName, key, ids.join(',')]);
  if (e.out.rows !== 1 || e.out.found !== n)
    throw new Error(`Eddy cold: id = x ${e.out.rows} rows, get found ${e.out.found} of ${n}`);
  const proc: Figure[] = [];
  const inside: Figure[] = [];
  const parts: Figure[] = [];
  if (ctx.has('duckdb')) {
    const d = await runEddy<ColdPoint>(['duckdb-point', ctx.eddyWh, '-', files.join(','), key, ids.join(',')]);
    if (d.out.rows !== 1 || d.out.found !== want)
      throw new Error(`DuckDB cold: id = x ${d.out.rows} rows, IN found ${d.out.found} of ${want}`);
    proc.push({ system: 'DuckDB (same files, process)', value: d.out.endEpochMs - d.spawnEpochMs });
    inside.push({ system: 'DuckDB (same files)', value: d.out.ms });
    parts.push({ system: 'DuckDB (same files)', value: d.out.getMs });
    console.log(
      `  cold process (${tag}): eddy ${e.out.ms.toFixed(0)} ms in-process (id = x ${e.out.eqMs.toFixed(0)}, get ${e.out.getMs.toFixed(0)}), DuckDB ${d.out.ms.toFixed(0)} ms (id = x ${d.out.eqMs.toFixed(0)}, IN ${d.out.getMs.toFixed(0)}): ${(e.out.ms / d.out.ms).toFixed(2)}×; spawn → end ${(e.out.endEpochMs - e.spawnEpochMs).toFixed(0)} vs ${(d.out.endEpochMs - d.spawnEpochMs).toFixed(0)} ms`,
    );
  }
  w.metrics.push(
    {
      label: `cold process: open, id = x, get of ${n} keys (${tag}), open → end`,
      unit: 'ms',
      better: 'lower',
      eddy: e.out.ms,
      peers: inside,
    },
    {
      label: `cold process: open, id = x, get of ${n} keys (${tag}), spawn → end`,
      unit: 'ms',
      better: 'lower',
      eddy: e.out.endEpochMs - e.spawnEpochMs,
      peers: proc,
    },
    {
      label: `cold process: the get of ${n} keys alone (${tag})`,
      unit: 'ms',
      better: 'lower',
      eddy: e.out.getMs,
      peers: parts,
    },
  );
}

/** table.get of 1,000 random keys (one call), keys/s, best of 3 after a warm-up; DuckDB: id IN (...). */
async function batchedGet(
  ctx: Ctx,
  w: Workload,
  table: Table,
  tag: string,
  duck: { con: DuckDBConnection; from: string } | undefined,
): Promise<void> {
  const N = ctx.p.rows;
  const n = Math.min(1000, N);
  const ids = Array.from({ length: n }, (_, i) => BigInt(Math.floor(draw(11, i) * N)));
  const want = new Set(ids).size;
  const once = async () => {
    const rows = await table.get(ids.map((id) => ({ id })));
    const found = rows.filter((r) => r !== undefined).length;
    if (found !== n) throw new Error(`Eddy get: ${found} of ${n} keys found`);
  };
  const best = async (f: () => Promise<void>) => {
    await f();
    let b = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      await f();
      b = Math.min(b, performance.now() - t0);
    }
    return (n / b) * 1000;
  };
  const eddy = await best(once);
  const peers: Figure[] = [];
  if (duck) {
    const list = ids.join(', ');
    const q = async () => {
      const rows = (await duck.con.runAndReadAll(`SELECT * FROM ${duck.from} WHERE id IN (${list})`)).getRowObjectsJS();
      if (rows.length !== want) throw new Error(`DuckDB get: ${rows.length} of ${want} keys`);
    };
    peers.push({ system: 'DuckDB (same files)', value: await best(q) });
  }
  w.metrics.push({ label: `get of ${n} keys (${tag})`, unit: 'keys/s', better: 'higher', eddy, peers });
  console.log(
    `  eddy get ${n} keys (${tag}): ${eddy.toFixed(0)} keys/s${peers[0] ? `, DuckDB ${peers[0].value?.toFixed(0)} keys/s` : ''}`,
  );
}
