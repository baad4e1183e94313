/**
 * One writer process of the race test: `tsx race-writer.ts <warehouse> <table> <writer> <commits>`.
 * Uses nothing but the standard AWS environment (Catalog.open('s3://…') picks S3FileIO). Commits
 * `commits` times with commitUser `writer-<writer>` and identifiers 1..commits, one row per commit,
 * and prints one JSON line per commit, then a summary line with its request counts.
 */

import type { S3FileIO } from '../../packages/s3/src/index.ts';
import { Catalog } from '../../packages/table/src/index.ts';

const [warehouse, table, writerArg, commitsArg] = process.argv.slice(2);
const writer = Number(writerArg);
const commits = Number(commitsArg);
const catalog = await Catalog.open(warehouse);
const io = catalog.io as S3FileIO;
const t = await catalog.getTable(table);
const w = t.newWriter({ commitUser: `writer-${writer}` });
const latencies: number[] = [];
for (let i = 1; i <= commits; i++) {
  await w.write([{ writer, seq: i, payload: `w${writer}-c${i}` }]);
  const t0 = performance.now();
  const r = await w.commit(i);
  latencies.push(performance.now() - t0);
  process.stdout.write(
    `${JSON.stringify({ writer, seq: i, published: r.published, snapshot: r.snapshot?.id, attempts: r.attempts })}\n`,
  );
}
w.close();
process.stdout.write(`${JSON.stringify({ writer, done: true, requests: io.requestCounts(), latencies })}\n`);
io.destroy();
