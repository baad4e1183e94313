/**
 * The point suite's file-index workload: what Paimon's bloom-filter file index buys on equality
 * lookups of a non-key column of an append table whose values are spread over every file (min/max
 * statistics cannot skip any). Two tables with the same rows, one with
 * `file-index.bloom-filter.columns = sku` (items = rows per file, fpp 0.01), one without; `sku = x`
 * for present and absent values; DuckDB runs the same queries over the indexed table's data files.
 */
import { type Catalog, eq, type Table } from '@eddy/table';
import { inspect } from '@eddy/table/inspect';
import type { Ctx } from './context.ts';
import type { Figure, Workload } from './report.ts';

/** A deterministic pseudo-random token per row (a counter hashed): no order across files. */
export const sku = (i: number): string => {
  let x = Math.imul(i ^ 0x9e3779b9, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return `sku-${(x >>> 0).toString(36)}-${i % 97}`;
};

const pct = (xs: number[], q: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))];

const COLUMNS = { id: 'BIGINT', sku: 'STRING', qty: 'INT' };

/** `files` commits of rows [f·perFile, (f+1)·perFile): one data file each. */
async function build(t: Table, rows: number, files: number): Promise<number> {
  const perFile = Math.ceil(rows / files);
  const t0 = performance.now();
  for (let f = 0; f < files; f++) {
    const batch = [];
    for (let i = f * perFile; i < Math.min(rows, (f + 1) * perFile); i++)
      batch.push({ id: BigInt(i), sku: sku(i), qty: i % 1000 });
    await t.upsert(batch as never);
  }
  return performance.now() - t0;
}

/** p50/p95 of `sku = x` over `wanted` (after a warm-up pass), and data files planned per query. */
async function lookups(t: Table, wanted: readonly string[], expectRows: number) {
  const lat: number[] = [];
  let files = 0;
  for (const pass of [0, 1]) {
    for (const w of wanted) {
      const t0 = performance.now();
      const plan = await t.plan({ where: eq('sku', w) });
      let n = 0;
      for await (const _ of t.scan({ where: eq('sku', w), splits: plan.splits } as never)) n++;
      const ms = performance.now() - t0;
      if (n !== expectRows) throw new Error(`file index: sku = ${w}: ${n} rows, expected ${expectRows}`);
      if (pass === 1) {
        lat.push(ms);
        files += plan.splits.reduce((a, s) => a + s.files.length, 0);
      }
    }
  }
  return { p50: pct(lat, 0.5), p95: pct(lat, 0.95), files: files / wanted.length };
}

async function tableFiles(t: Table): Promise<string[]> {
  const plan = await t.plan();
  const ins = inspect(t);
  return plan.splits.flatMap((s) =>
    s.files.map((file) => ins.dataFilePath({ partition: s.partitionBytes, bucket: s.bucket, file })),
  );
}

/**
 * Adds the file-index rows to the point workload: `rows` rows (at most 1M: the workload is about
 * skipping files, not their size) in 40 files.
 */
export async function fileIndexMetrics(ctx: Ctx, w: Workload, catalog: Catalog): Promise<void> {
  const rows = Math.min(ctx.p.rows, 1_000_000);
  const files = 40;
  const q = Math.max(5, Math.min(50, ctx.p.pointQueries));
  const perFile = Math.ceil(rows / files);
  const base = { bucket: '1', 'bucket-key': 'id' };
  const plain = await catalog.createTable('bench.fi_plain', { columns: COLUMNS, options: base });
  const indexed = await catalog.createTable('bench.fi_indexed', {
    columns: COLUMNS,
    options: {
      ...base,
      'file-index.bloom-filter.columns': 'sku',
      'file-index.bloom-filter.sku.items': String(perFile),
      'file-index.bloom-filter.sku.fpp': '0.01',
    },
  });
  const writePlain = await build(plain, rows, files);
  const writeIndexed = await build(indexed, rows, files);
  const present = Array.from({ length: q }, (_, k) =>
    sku(Math.floor((((k * 2654435761) % 4294967296) / 4294967296) * rows)),
  );
  const absent = Array.from({ length: q }, (_, k) => `sku-absent-${k}`);
  const r = {
    present: { plain: await lookups(plain, present, 1), indexed: await lookups(indexed, present, 1) },
    absent: { plain: await lookups(plain, absent, 0), indexed: await lookups(indexed, absent, 0) },
  };
  const duck: Record<'present' | 'absent', { p50: number; p95: number } | undefined> = {
    present: undefined,
    absent: undefined,
  };
  if (ctx.has('duckdb')) {
    const con = await ctx.duckTables();
    const from = `read_parquet([${(await tableFiles(indexed)).map((f) => `'${f}'`).join(', ')}])`;
    for (const kind of ['present', 'absent'] as const) {
      const lat: number[] = [];
      for (const pass of [0, 1])
        for (const v of kind === 'present' ? present : absent) {
          const t0 = performance.now();
          const got = (await con.runAndReadAll(`SELECT * FROM ${from} WHERE sku = '${v}'`)).getRowObjectsJS();
          if (pass === 1) lat.push(performance.now() - t0);
          if (got.length !== (kind === 'present' ? 1 : 0))
            throw new Error(`DuckDB file index ${kind} ${v}: ${got.length} rows`);
        }
      duck[kind] = { p50: pct(lat, 0.5), p95: pct(lat, 0.95) };
    }
  } else w.unmeasured.push(`DuckDB (file index): ${ctx.why('duckdb')}`);
  const tag = `append table, ${rows} rows in ${files} files`;
  for (const kind of ['present', 'absent'] as const) {
    const x = r[kind];
    const peers = (p: 'p50' | 'p95'): Figure[] => [
      { system: 'Eddy without the index', value: x.plain[p] },
      ...(duck[kind] ? [{ system: 'DuckDB (same files)', value: duck[kind][p] }] : []),
    ];
    w.metrics.push(
      {
        label: `sku = x, ${kind} value, bloom-filter file index (${tag}), p50 latency`,
        unit: 'ms',
        better: 'lower',
        eddy: x.indexed.p50,
        peers: peers('p50'),
      },
      {
        label: `sku = x, ${kind} value, bloom-filter file index (${tag}), p95 latency`,
        unit: 'ms',
        better: 'lower',
        eddy: x.indexed.p95,
        peers: peers('p95'),
      },
      {
        label: `sku = x, ${kind} value, bloom-filter file index (${tag}), data files read per query (of ${files})`,
        unit: 'files',
        better: 'lower',
        eddy: x.indexed.files,
        peers: [{ system: 'Eddy without the index', value: x.plain.files }],
      },
    );
    console.log(
      `  eddy file index ${kind}: p50 ${x.indexed.p50.toFixed(1)} ms (without ${x.plain.p50.toFixed(1)} ms), files ${x.indexed.files.toFixed(1)} (without ${x.plain.files.toFixed(1)})${duck[kind] ? `; DuckDB p50 ${duck[kind].p50.toFixed(1)} ms: ${(x.indexed.p50 / duck[kind].p50).toFixed(2)}×` : ''}`,
    );
  }
  w.metrics.push({
    label: `write ${rows} rows in ${files} commits with the bloom-filter index on sku`,
    unit: 'ms',
    better: 'lower',
    eddy: writeIndexed,
    peers: [{ system: 'Eddy without the index', value: writePlain }],
  });
}
