/**
 * What Paimon's bloom-filter file index buys Eddy: equality lookups on a non-key column of an
 * append table whose values are spread over every file (min/max statistics cannot skip any).
 *
 *   npx tsx tools/bench/src/file-index.ts [--rows 1000000] [--files 40] [--queries 50]
 *
 * Two tables with the same rows, one with `file-index.bloom-filter.columns = sku` (items = rows
 * per file, fpp 0.01), one without. Reports the write time of each, p50/p95 of `sku = x` for
 * present and absent values, files planned, and the load average.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { Catalog, eq, type Table } from '../../../packages/table/src/index.ts';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    files: { type: 'string', default: '40' },
    queries: { type: 'string', default: '50' },
  },
});
const ROWS = Number(values.rows);
const FILES = Number(values.files);
const Q = Number(values.queries);
const PER_FILE = Math.ceil(ROWS / FILES);

/** A deterministic pseudo-random token per row (a counter hashed): no order across files. */
const sku = (i: number) => {
  let x = Math.imul(i ^ 0x9e3779b9, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return `sku-${(x >>> 0).toString(36)}-${i % 97}`;
};

const pct = (xs: number[], q: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))];

async function build(t: Table): Promise<number> {
  const t0 = performance.now();
  for (let f = 0; f < FILES; f++) {
    const rows = [];
    for (let i = f * PER_FILE; i < Math.min(ROWS, (f + 1) * PER_FILE); i++)
      rows.push({ id: BigInt(i), sku: sku(i), qty: i % 1000 });
    await t.upsert(rows as never);
  }
  return performance.now() - t0;
}

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
      if (n !== expectRows) throw new Error(`sku = ${w}: ${n} rows, expected ${expectRows}`);
      if (pass === 1) {
        lat.push(ms);
        files += plan.splits.reduce((a, s) => a + s.files.length, 0);
      }
    }
  }
  return { p50: pct(lat, 0.5), p95: pct(lat, 0.95), filesPerQuery: files / wanted.length };
}

const dir = mkdtempSync(path.join(tmpdir(), 'eddy-file-index-bench-'));
try {
  const catalog = await Catalog.open(dir);
  const columns = { id: 'BIGINT', sku: 'STRING', qty: 'INT' };
  const base = { bucket: '1', 'bucket-key': 'id' };
  const plain = await catalog.createTable('db.plain', { columns, options: base });
  const indexed = await catalog.createTable('db.indexed', {
    columns,
    options: {
      ...base,
      'file-index.bloom-filter.columns': 'sku',
      'file-index.bloom-filter.sku.items': String(PER_FILE),
      'file-index.bloom-filter.sku.fpp': '0.01',
    },
  });
  // Warm up the writer (JIT, workers) on a throwaway table, then write both, each twice in turn.
  await build(await catalog.createTable('db.warm', { columns, options: base }));
  const writePlain = await build(plain);
  const writeIndexed = await build(indexed);
  const present = Array.from({ length: Q }, (_, k) =>
    sku(Math.floor((((k * 2654435761) % 4294967296) / 4294967296) * ROWS)),
  );
  const absent = Array.from({ length: Q }, (_, k) => `sku-absent-${k}`);
  const load0 = loadavg()[0];
  const r = {
    plainPresent: await lookups(plain, present, 1),
    indexedPresent: await lookups(indexed, present, 1),
    plainAbsent: await lookups(plain, absent, 0),
    indexedAbsent: await lookups(indexed, absent, 0),
  };
  const load1 = loadavg()[0];
  const f = (x: number) => x.toFixed(1);
  console.log(
    `rows ${ROWS}, ${FILES} files of ${PER_FILE} rows; ${Q} queries each (p50 / p95 ms, data files planned per query)`,
  );
  console.log(
    `write: plain ${f(writePlain)} ms, indexed ${f(writeIndexed)} ms (× ${(writeIndexed / writePlain).toFixed(2)})`,
  );
  for (const [name, x] of Object.entries(r))
    console.log(
      `${name.padEnd(15)} p50 ${f(x.p50).padStart(7)}  p95 ${f(x.p95).padStart(7)}  files ${f(x.filesPerQuery)}`,
    );
  console.log(
    `speed-up p50: present ${f(r.plainPresent.p50 / r.indexedPresent.p50)}x, absent ${f(r.plainAbsent.p50 / r.indexedAbsent.p50)}x`,
  );
  console.log(`load average (1 min) ${load0.toFixed(2)} → ${load1.toFixed(2)}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
