/**
 * Profiling aid for the point path (not a suite): builds the point suite's table (the ingest rows,
 * fully compacted, default target-file-size; 5M rows unless ROWS is set) once in a kept work
 * directory, then times `id = x`, `x ≤ id < x + 1000`, a warm get and a get of keys never asked
 * before, as the point suite does. `cold` runs the cold-process case (open, id = x, get of 1,000
 * keys) with a timestamp per step. Run under `node --cpu-prof`:
 * `node tools/bench/bin/point-prof.js DIR [eq,range,get,getnew,cold] [queries]`.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { and, Catalog, eq, ge, lt, type Predicate } from '@eddy/table';
import { Ctx, type Params } from './context.ts';
import { draw } from './data.ts';

export async function main(args: string[]): Promise<void> {
  const t00 = performance.now();
  const [dir, what = 'eq,range,get,getnew', qArg = '20'] = args;
  const K = Number(qArg);
  const N = Number(process.env.ROWS ?? 5_000_000);
  const W = 1000;
  const size = process.env.SIZE ?? 'default';
  const name = `point_${size.replace(/\W+/g, '')}`;
  const stamp = (label: string) => console.log(`  ${(performance.now() - t00).toFixed(0)} ms: ${label}`);
  if (what === 'cold') {
    const t0 = performance.now();
    const t = await (await Catalog.open(`${dir}/eddy`)).getTable(`bench.${name}`);
    stamp('open');
    const key = BigInt(Math.floor(draw(7, 0) * (N - W)));
    let rows = 0;
    for await (const r of t.scan({ where: eq('id', key) })) if (r.id === key) rows++;
    stamp(`id = x (${rows} rows)`);
    const ids = Array.from({ length: 1000 }, (_, i) => ({ id: BigInt(Math.floor(draw(13, i) * N)) }));
    const t1 = performance.now();
    const found = (await t.get(ids)).filter((r) => r !== undefined).length;
    stamp(
      `get (${found} found) ${(performance.now() - t1).toFixed(0)} ms; open → end ${(performance.now() - t0).toFixed(0)} ms`,
    );
    return;
  }
  const p = { rows: N, rounds: 5, updateRows: N / 5, buckets: 4, repeat: 2, smoke: false } as unknown as Params;
  const fresh = !existsSync(`${dir}/eddy/bench.db/${name}`);
  mkdirSync(dir, { recursive: true });
  const ctx = new Ctx(dir, p, new Set());
  await ctx.init();
  const table = fresh ? await ctx.ensurePointTable(size) : await ctx.catalog.getTable(`bench.${name}`);
  stamp('table ready');
  const keys = Array.from({ length: K }, (_, i) => Math.floor(draw(7, i) * (N - W)));
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const pct = (xs: number[], q: number) =>
    [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))];
  for (const kind of ['eq', 'range'] as const) {
    if (!what.split(',').includes(kind)) continue;
    const pred = (k: number): Predicate =>
      kind === 'eq' ? eq('id', BigInt(k)) : and(ge('id', BigInt(k)), lt('id', BigInt(k + W)));
    const want = kind === 'eq' ? 1 : W;
    const one = async (k: number) => {
      let n = 0;
      for await (const _ of table.scan({ where: pred(k) })) n++;
      if (n !== want) throw new Error(`${kind} ${k}: ${n} rows`);
    };
    for (const pass of ['first', 'warm']) {
      const lat: number[] = [];
      for (const k of keys) {
        const t0 = performance.now();
        await one(k);
        lat.push(performance.now() - t0);
      }
      console.log(
        `${kind} ${pass}: p50 ${median(lat).toFixed(1)} p95 ${pct(lat, 0.95).toFixed(1)} max ${Math.max(...lat).toFixed(1)} ms: ${lat.map((x) => x.toFixed(0)).join(' ')}`,
      );
    }
  }
  const n = 1000;
  if (what.split(',').includes('get')) {
    const ids = Array.from({ length: n }, (_, i) => ({ id: BigInt(Math.floor(draw(11, i) * N)) }));
    for (let i = 0; i < 4; i++) {
      const t0 = performance.now();
      const found = (await table.get(ids)).filter((r) => r !== undefined).length;
      const ms = performance.now() - t0;
      console.log(`get ${i}: ${found} found, ${ms.toFixed(0)} ms = ${((n / ms) * 1000).toFixed(0)} keys/s`);
    }
  }
  if (what.split(',').includes('getnew')) {
    for (let i = 0; i < 4; i++) {
      const ids = Array.from({ length: n }, (_, j) => ({ id: BigInt(Math.floor(draw(100 + i, j) * N)) }));
      const t0 = performance.now();
      const found = (await table.get(ids)).filter((r) => r !== undefined).length;
      const ms = performance.now() - t0;
      console.log(`get new keys ${i}: ${found} found, ${ms.toFixed(0)} ms = ${((n / ms) * 1000).toFixed(0)} keys/s`);
    }
  }
}
