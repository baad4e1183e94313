import type { Ctx } from '../context.ts';
import { COLUMNS } from '../data.ts';
import { runJava, runPython } from '../env.ts';
import type { Figure, Workload } from '../report.ts';

interface PeerFeed {
  commits: number;
  missing: number;
  p50Ms: number;
  p99Ms: number;
  commitP50Ms: number;
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];

/** 5. Change feed: commit → delivery latency of a tailing reader over many small commits. */
export async function feedSuite(ctx: Ctx): Promise<Workload> {
  const { feedCommits: C, feedRowsPerCommit: P, pollMs } = ctx.p;
  const w: Workload = {
    id: 'feed',
    title: `Change feed: commit → delivery latency over ${C} commits of ${P} rows`,
    description:
      `A writer commits ${C} small batches back to back into a 2-bucket PK table (write-only) while a reader ` +
      `tails it from "latest", polling every ${pollMs} ms (Eddy's default; the peers are given the same interval). ` +
      'Latency = time from the end of a commit to the first row of that snapshot reaching the reader, in one process ' +
      '(Eddy: one event loop, table.changes({scanMode: "latest", signal}); Paimon Java: a writer thread and a ' +
      'StreamTableScan reader thread; pypaimon: writer in the main thread, its streaming scan in another).',
    metrics: [],
    notes: [],
    unmeasured: [],
  };
  const table = await ctx.catalog.createTable('bench.feed', {
    columns: { ...COLUMNS },
    primaryKey: ['id'],
    options: { bucket: '2', 'write-only': 'true' },
  });
  const writer = table.newWriter({ commitUser: 'bench-feed' });
  await writer.write({ id: -1n, name: 'seed', amount: 0, qty: 0, ts: null, category: null, flag: false, version: 0 });
  await writer.commit(0); // snapshot 1: the reader starts at "latest" after it
  const committedAt = new Map<number, number>();
  const deliveredAt = new Map<number, number>();
  const commitMs: number[] = [];
  const ac = new AbortController();
  const tail = (async () => {
    for await (const e of table.changes({ scanMode: 'latest', signal: ac.signal, pollIntervalMs: pollMs })) {
      if (!deliveredAt.has(e.snapshotId)) deliveredAt.set(e.snapshotId, performance.now());
      if (deliveredAt.size === C) ac.abort(); // snapshots 2 … C + 1
    }
  })().catch((e) => {
    if (!ac.signal.aborted) throw e; // the abort ends the feed with an AbortError
  });
  await new Promise((r) => setTimeout(r, 300));
  for (let i = 0; i < C; i++) {
    const t0 = performance.now();
    const rows = Array.from({ length: P }, (_, j) => ({
      id: BigInt((i * P + j) % 500),
      name: `v${i}`,
      amount: i,
      qty: j,
      ts: null,
      category: null,
      flag: true,
      version: i,
    }));
    await writer.write(rows);
    const res = await writer.commit(i + 1);
    const now = performance.now();
    commitMs.push(now - t0);
    committedAt.set(res.snapshot!.id, now);
  }
  writer.close();
  const deadline = setTimeout(() => ac.abort(), 30_000);
  await tail;
  clearTimeout(deadline);
  const lat = [...committedAt]
    .filter(([id]) => deliveredAt.has(id))
    .map(([id, t]) => Math.max(0, deliveredAt.get(id)! - t))
    .sort((a, b) => a - b);
  const missing = C - lat.length;
  if (missing > 0) w.notes.push(`Eddy: ${missing} snapshots not delivered within 30 s.`);
  commitMs.sort((a, b) => a - b);
  console.log(`  eddy: p50 ${pct(lat, 0.5).toFixed(1)} ms, p99 ${pct(lat, 0.99).toFixed(1)} ms`);

  const p50: Figure[] = [];
  const p99: Figure[] = [];
  const commit: Figure[] = [];
  const peer = (name: string, o: PeerFeed) => {
    p50.push({ system: name, value: o.p50Ms });
    p99.push({ system: name, value: o.p99Ms });
    commit.push({ system: name, value: o.commitP50Ms });
    if (o.missing > 0) w.notes.push(`${name}: ${o.missing} snapshots not delivered within 30 s.`);
    console.log(`  ${name}: p50 ${o.p50Ms?.toFixed(1)} ms, p99 ${o.p99Ms?.toFixed(1)} ms`);
  };
  if (ctx.has('java')) {
    const j = await runJava<PeerFeed>(['feed', ctx.javaWh, 'bench.feed', C, P, pollMs]);
    peer('Paimon Java (in-JVM)', j.out);
  } else w.unmeasured.push(`Paimon Java: ${ctx.why('java')}`);
  if (ctx.has('pypaimon')) {
    const p = await runPython<PeerFeed>(['feed', ctx.pyWh, 'bench.feed', C, P, pollMs]);
    peer('pypaimon (in-Python)', p.out);
  } else w.unmeasured.push(`pypaimon: ${ctx.why('pypaimon')}`);
  if (ctx.has('flink')) {
    // Flink tails Eddy's commits (its own writer is not measured): a second table, the same workload.
    const { FlinkDriver } = await import('../../../../test/flink/driver.ts');
    const { flinkFeedLatency } = await import('../../../../test/flink/feed.ts');
    const d = await FlinkDriver.start();
    try {
      await d.catalog('bench', ctx.eddyWh);
      const r = await flinkFeedLatency(d, ctx.catalog, {
        flinkCatalog: 'bench',
        table: 'bench.feed_flink',
        commits: C,
        rowsPerCommit: P,
        pollMs,
      });
      peer('Flink 2.0 SQL tailing Eddy', { ...r.flink, commitP50Ms: Number.NaN });
      w.notes.push(
        'Flink 2.0 SQL tailing Eddy: a Flink streaming query (PyFlink 2.0.2, paimon-flink-2.0 2.0.0, one local ' +
          `mini-cluster, parallelism 1, continuous.discovery-interval ${pollMs} ms) tails a second Eddy table while ` +
          "Eddy's writer commits the same batches; latency = commit end → the row leaving Flink's result iterator " +
          '(its collect sink is fetched about every 100 ms, as for any client of a Flink SQL query). No commit figure: ' +
          'the writer is Eddy.',
      );
    } finally {
      await d.close();
    }
  } else w.unmeasured.push(`Flink: ${ctx.why('flink')}`);
  w.unmeasured.push(
    'DuckDB: no change feed (plain Parquet).',
    'LanceDB: no change feed API in its TypeScript SDK (versions can be diffed, not tailed).',
  );
  w.metrics.push(
    { label: 'commit → delivery, p50', unit: 'ms', better: 'lower', eddy: pct(lat, 0.5), peers: p50 },
    { label: 'commit → delivery, p99', unit: 'ms', better: 'lower', eddy: pct(lat, 0.99), peers: p99 },
    { label: `commit of ${P} rows, p50`, unit: 'ms', better: 'lower', eddy: pct(commitMs, 0.5), peers: commit },
  );
  w.notes.push(
    `With polling every ${pollMs} ms and commits arriving faster than that, the expected latency is about half the interval plus the read; a shorter interval trades latency for storage requests.`,
    'pypaimon: each commit is a new batch write (its StreamTableCommit commits once only).',
  );
  return w;
}
