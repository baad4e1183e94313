/**
 * 9. Streaming at rate (issue 23): N writers × R commits/s of P rows for a while, with the
 * compactor daemon running beside them and a change feed tailing the table. What it reports is
 * what a user streaming into a table lives with: commit latency, delivery latency, how much the
 * table's metadata grows (files on disk vs live, snapshots kept, planning time start vs end) and
 * how much memory the processes hold.
 */
import { spawn } from 'node:child_process';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { openSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { Catalog, EddyError, fileIOForWarehouse, type Table } from '@eddy/table';
import type { Ctx } from '../context.ts';
import { CountingFileIO } from '../counting-io.ts';
import { COLUMNS } from '../data.ts';
import { BENCH_DIR, REPO_DIR, runJava, runPython } from '../env.ts';
import type { Figure, Workload } from '../report.ts';
import type { Census } from '../stream-census.ts';

const pct = (sorted: readonly number[], p: number) =>
  sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** Resident set of a process in MB (Linux /proc), or NaN elsewhere. */
function rssMbOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** Median of `xs` (NaN when empty). */
const median = (xs: readonly number[]) =>
  pct(
    [...xs].sort((a, b) => a - b),
    0.5,
  );

/** Least-squares slope of `ys` over `ts` (same unit per second). */
function slopePerSecond(ts: readonly number[], ys: readonly number[]): number {
  const n = ts.length;
  if (n < 2) return Number.NaN;
  const mt = ts.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (ts[i] - mt) * (ys[i] - my);
    den += (ts[i] - mt) ** 2;
  }
  return den === 0 ? Number.NaN : num / den;
}

/**
 * Whether memory is flat: the median of the second half of the samples against the first half's
 * (the first `warmupS` seconds left out: heaps and caches fill then), and the slope over the second
 * half. A plateau reads ~1.0 and ~0 MB/min whatever its height; a leak grows both with the run.
 */
function memoryTrend(samples: readonly { t: number; mb: number }[], warmupS: number) {
  const xs = samples.filter((x) => x.t >= warmupS);
  const half = Math.floor(xs.length / 2);
  const a = xs.slice(0, half).map((x) => x.mb);
  const b = xs.slice(half);
  return {
    firstHalf: median(a),
    secondHalf: median(b.map((x) => x.mb)),
    slopeMbPerMin:
      slopePerSecond(
        b.map((x) => x.t),
        b.map((x) => x.mb),
      ) * 60,
    max: xs.length ? Math.max(...xs.map((x) => x.mb)) : Number.NaN,
  };
}

const COMPACTOR_INTERVAL_MS = 1000;
/** How often the run samples files on disk, live files and planning (a census in the bench process). */
const SAMPLE_EVERY_MS = 10_000;

/** The compactor daemon as its own process, on this warehouse and table, every second. */
function startCompactor(
  wh: string,
  table: string,
  graceMs: number,
): { pid: number; stop: () => Promise<number | null> } {
  const bin = path.join(REPO_DIR, 'services', 'compactor', 'bin', 'eddy-compactor.js');
  // EDDY_BENCH_COMPACTOR_LOG=<file>: the daemon's info log goes there (what it expired and compacted, and when).
  const logTo = process.env.EDDY_BENCH_COMPACTOR_LOG;
  const child = spawn(
    process.execPath,
    [
      bin,
      '--warehouse',
      wh,
      '--tables',
      table,
      '--interval',
      `${COMPACTOR_INTERVAL_MS / 1000}s`,
      '--expire-grace',
      `${graceMs}ms`,
      '--orphan-interval',
      '30s',
      '--orphan-older-than',
      '30s',
      '--port',
      '-1',
      '--log-level',
      logTo ? 'info' : 'warn',
    ],
    { stdio: ['ignore', logTo ? openSync(logTo, 'w') : 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  // A run that throws must not leave the daemon compacting the warehouse after the bench exits.
  const onExit = () => child.kill('SIGKILL');
  process.once('exit', onExit);
  return {
    pid: child.pid ?? -1,
    stop: async () => {
      process.off('exit', onExit);
      child.kill('SIGTERM');
      const code = await exited;
      if (code !== 0 && stderr) console.log(`  compactor stderr: ${stderr.trim().split('\n').slice(-5).join('\n')}`);
      return code;
    },
  };
}

/** The census child (`bin/child.js census`): one census per `ask()`, answered in order. */
function startCensus(wh: string, table: string): { ask: () => Promise<Census>; stop: () => Promise<void> } {
  const child = spawn(process.execPath, [path.join(BENCH_DIR, 'bin', 'child.js'), 'census', wh, table], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const waiting: { resolve: (c: Census) => void; reject: (e: Error) => void }[] = [];
  createInterface({ input: child.stdout }).on('line', (l) => waiting.shift()?.resolve(JSON.parse(l) as Census));
  const onExit = () => child.kill('SIGKILL');
  process.once('exit', onExit);
  const exited = new Promise<void>((r) =>
    child.on('close', (code) => {
      process.off('exit', onExit);
      for (const w of waiting.splice(0)) w.reject(new Error(`census child exited with ${code}: ${stderr.trim()}`));
      r();
    }),
  );
  return {
    ask: () =>
      new Promise<Census>((resolve, reject) => {
        waiting.push({ resolve, reject });
        child.stdin.write('census\n');
      }),
    stop: async () => {
      child.stdin.end();
      await exited;
    },
  };
}

/** `k=v,k=v` → options. */
export function parseTableOptions(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of s.split(',').filter(Boolean)) {
    const i = kv.indexOf('=');
    if (i <= 0) throw new Error(`--stream-options: expected key=value, got '${kv}'`);
    out[kv.slice(0, i).trim()] = kv.slice(i + 1).trim();
  }
  return out;
}

export async function streamSuite(ctx: Ctx): Promise<Workload> {
  const { streamWriters: N, streamRate: R, streamRows: P, streamSeconds: S, streamOptions } = ctx.p;
  const name = 'stream';
  const extra = parseTableOptions(streamOptions);
  // A local folder (the bench's warehouse) or `--stream-warehouse s3://bucket/prefix` (radosgw, with
  // the AWS_* / EDDY_S3_* environment of .ci/s3-server.sh).
  const wh = ctx.p.streamWarehouse ?? ctx.eddyWh;
  const catalog = wh === ctx.eddyWh ? ctx.catalog : await Catalog.open(wh);
  const w: Workload = {
    id: wh.startsWith('s3') ? 'stream-s3' : 'stream',
    title: `Streaming at rate${wh.startsWith('s3') ? ' on S3' : ''}: ${N} writers × ${R} commits/s × ${P} rows for ${S} s, with the compactor`,
    description:
      `${N} writers (one process, one event loop, each its own commitUser and table handle) commit ${P} upserts ` +
      `every ${(1000 / R).toFixed(0)} ms each into a 2-bucket PK table ('write-only': the eddy-compactor daemon, ` +
      'a separate process at a 1 s interval, compacts and expires) while a change feed (table.changes from "latest", ' +
      'default polling) tails it. Commit latency = one writer.commit(); delivery = end of a commit → its first row at ' +
      'the feed. Files on disk = every file under the table directory; live = the data files a scan plans. Planning = ' +
      'plan() on a cold table handle (best of 3). Requests = FileIO calls of the writers divided by their commits ' +
      `(what S3 would bill). Table options: ${JSON.stringify(extra)}.`,
    metrics: [],
    notes: [],
    unmeasured: [],
  };
  const setup = await catalog.createTable(`bench.${name}`, {
    columns: { ...COLUMNS },
    primaryKey: ['id'],
    options: { bucket: '2', 'write-only': 'true', ...extra },
  });
  // Snapshot 1, so the planning baseline has something to plan.
  await setup.upsert({ id: -1n, name: 'seed', amount: 0, qty: 0, ts: 0n, category: 'x', flag: false, version: 0 });

  const commitMs: number[] = [];
  const committedAt = new Map<number, number>();
  const deliveredAt = new Map<number, number>();
  const rowsCommitted = new Map<number, number>();
  const ios: CountingFileIO[] = [];
  /** RSS samples (seconds since the writers started, MB), once a second. */
  const rss: { t: number; mb: number }[] = [];
  const heap: { t: number; mb: number }[] = [];
  const compactorRss: { t: number; mb: number }[] = [];

  // The feed, on its own table handle.
  const feedCat = await Catalog.open(wh);
  const feedTable = await feedCat.getTable(`bench.${name}`);
  const ac = new AbortController();
  let feedRows = 0;
  // A feed without a consumer id that falls further behind than the retention gets SNAPSHOT_EXPIRED
  // (README): it starts again from the latest, and what it skipped counts as not delivered.
  let feedRestarts = 0;
  const tail = (async () => {
    for (;;) {
      try {
        for await (const e of feedTable.changes({ scanMode: 'latest', signal: ac.signal })) {
          feedRows++;
          if (!deliveredAt.has(e.snapshotId)) deliveredAt.set(e.snapshotId, performance.now());
        }
        return;
      } catch (e) {
        if (ac.signal.aborted || !(e instanceof EddyError && e.code === 'SNAPSHOT_EXPIRED')) throw e;
        feedRestarts++;
      }
    }
  })().catch((e) => {
    if (!ac.signal.aborted) throw e;
  });

  const graceMs = ctx.p.streamExpireGraceMs;
  const compactor = startCompactor(wh, `bench.${name}`, graceMs);
  const censusChild = startCensus(wh, `bench.${name}`);
  const census = () => censusChild.ask();
  await sleep(500);
  const initial = await census();
  console.log(`  initial (one-file table): plan ${initial.planMs.toFixed(1)} ms, ${initial.filesOnDisk} files on disk`);

  // pypaimon's streaming read tails the same table from another process (local disk only: its
  // S3 needs its own configuration): delivery of Eddy's commits to a Python reader.
  const local = !wh.startsWith('s3');
  const commitEpoch = new Map<string, number>();
  const pyTail =
    ctx.has('pypaimon') && local
      ? runPython<{ delivered: Record<string, number>; errors: string[] }>([
          'tail',
          wh,
          `bench.${name}`,
          S + 12,
          ctx.p.pollMs,
        ]).catch((e: Error) => e)
      : undefined;

  const sampler = setInterval(() => {
    const t = (performance.now() - t0) / 1000;
    const mu = process.memoryUsage();
    rss.push({ t, mb: mu.rss / 2 ** 20 });
    heap.push({ t, mb: mu.heapUsed / 2 ** 20 });
    const c = rssMbOf(compactor.pid);
    if (Number.isFinite(c)) compactorRss.push({ t, mb: c });
  }, 1000);

  // Where a slow commit's time goes besides storage calls: event-loop stalls and GC pauses.
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const gcPauses: number[] = [];
  const gcObserver = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcPauses.push(e.duration);
  });
  gcObserver.observe({ entryTypes: ['gc'] });
  /** Per commit: total, in write(), attempts + re-bases seen (attempts > 1), for the slow tail. */
  const slow: {
    ms: number;
    writeMs: number;
    attempts: number;
    trace?: { followMs: number; prepareMs: number; queuedMs: number; publishMs: number; groupSize: number };
  }[] = [];
  // The commit's own phases (packages/table commit-trace.ts), the last one per writer.
  const lastTrace = new Map<string, (typeof slow)[number]['trace']>();
  const onTrace = (m: unknown) => {
    const t = m as NonNullable<(typeof slow)[number]['trace']> & { commitUser: string };
    lastTrace.set(t.commitUser, t);
  };
  subscribe('eddy:commit', onTrace);

  const t0 = performance.now();
  const endAt = t0 + S * 1000;
  // Files, live files and planning sampled through the run: the bound must hold at any moment, not
  // only at one end point. The planning baseline is the first sample past the warm-up (the table
  // starts with one file; it reaches its steady shape after a few compactions and manifest merges).
  const warmupS = Math.min(60, S / 4);
  const series: { t: number; c: Census }[] = [];
  const sampling = (async () => {
    for (let due = t0 + SAMPLE_EVERY_MS; due < endAt; due += SAMPLE_EVERY_MS) {
      await sleep(due - performance.now());
      if (performance.now() >= endAt) break;
      const t = (performance.now() - t0) / 1000;
      const c = await census();
      series.push({ t, c });
      console.log(
        `  t=${t.toFixed(0)} s: ${c.filesOnDisk} files, ${c.referenced} referenced (${(c.filesOnDisk / c.referenced).toFixed(2)}×), ${c.liveDataFiles} live data (${(c.filesOnDisk / Math.max(1, c.liveDataFiles)).toFixed(1)}×), ${c.snapshotsOnDisk} snapshots, plan ${c.planMs.toFixed(1)} ms / ${c.planBytes} B`,
      );
    }
  })();
  const periodMs = 1000 / R;
  let seq = 0;
  let conflicts = 0;
  // Commit coalescing groups the commits of writers sharing a FileIO: then the writers share one
  // (one process, one storage client); otherwise each has its own, as separate pipelines would.
  const coalescing = Number.parseFloat(extra['eddy.commit.coalesce-ms'] ?? '0') > 0;
  const shared = coalescing
    ? await (async () => {
        const io = new CountingFileIO(await fileIOForWarehouse(wh));
        ios.push(io);
        return { io, cat: await Catalog.open(wh, { fileIO: io }) };
      })()
    : undefined;
  const writerLoop = async (wi: number) => {
    let io: CountingFileIO;
    let cat: Catalog;
    if (shared) ({ io, cat } = shared);
    else {
      io = new CountingFileIO(await fileIOForWarehouse(wh));
      ios.push(io);
      cat = await Catalog.open(wh, { fileIO: io });
    }
    const t: Table = await cat.getTable(`bench.${name}`);
    const writer = t.newWriter({ commitUser: `bench-stream-${wi}` });
    try {
      // Stagger the writers over one period so their commits interleave.
      let due = t0 + (periodMs * wi) / N;
      for (let k = 1; due < endAt; k++) {
        await sleep(due - performance.now());
        const rows = Array.from({ length: P }, (_, j) => {
          const id = seq++;
          return {
            id: BigInt(id % 50_000),
            name: `w${wi}`,
            amount: id,
            qty: j,
            ts: 0n,
            category: 'c',
            flag: true,
            version: k,
          };
        });
        const c0 = performance.now();
        await writer.write(rows);
        const w1 = performance.now();
        let res: Awaited<ReturnType<typeof writer.commit>>;
        try {
          res = await writer.commit(k);
        } catch (e) {
          // Lost the race for every snapshot id it tried (commit.max-retries): a result, not a crash.
          if (!(e instanceof EddyError && e.code === 'COMMIT_CONFLICT')) throw e;
          conflicts++;
          due += periodMs;
          continue;
        }
        const now = performance.now();
        commitMs.push(now - c0);
        commitEpoch.set(`w${wi}:${k}`, Date.now());
        const trace = lastTrace.get(`bench-stream-${wi}`);
        lastTrace.delete(`bench-stream-${wi}`);
        slow.push({ ms: now - c0, writeMs: w1 - c0, attempts: res.attempts, trace });
        if (res.snapshot && res.published) {
          // Coalesced commits share a snapshot: its rows add up, delivery counts from the first.
          if (!committedAt.has(res.snapshot.id)) committedAt.set(res.snapshot.id, now);
          rowsCommitted.set(res.snapshot.id, (rowsCommitted.get(res.snapshot.id) ?? 0) + P);
        }
        due += periodMs;
        if (due < now) due = now; // behind schedule: do not burst to catch up
      }
    } finally {
      writer.close();
      if (!shared) {
        await cat.close();
        await io.close?.();
      }
    }
  };
  await Promise.all(Array.from({ length: N }, (_, i) => writerLoop(i)));
  await sampling;
  if (shared) {
    await shared.cat.close();
    await shared.io.close?.();
  }
  const writeSeconds = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  loopDelay.disable();
  gcObserver.disconnect();
  unsubscribe('eddy:commit', onTrace);

  // Let the feed catch up (bounded), then the end census with the compactor still running.
  const expectedRows = [...rowsCommitted.values()].reduce((a, b) => a + b, 0);
  for (let i = 0; i < 100 && deliveredAt.size < committedAt.size; i++) await sleep(100);
  const end = await census();
  series.push({ t: (performance.now() - t0) / 1000, c: end });
  // Settled: the compactor's grace period for files of expired snapshots passed, and a round after it.
  await sleep(graceMs + 2 * COMPACTOR_INTERVAL_MS);
  const settled = await census();
  await censusChild.stop();
  const code = await compactor.stop();
  ac.abort();
  await tail;
  await feedCat.close();
  if (catalog !== ctx.catalog) await catalog.close();

  // The references, each beside Eddy's figures in the same run.
  const deliveryP50: Figure[] = [];
  const deliveryP99: Figure[] = [];
  const commitP50: Figure[] = [];
  const commitP99: Figure[] = [];
  if (pyTail) {
    const r = await pyTail;
    if (r instanceof Error) w.unmeasured.push(`pypaimon streaming read: failed (${r.message.slice(0, 300)})`);
    else {
      const d = r.out.delivered;
      const pyLat = [...commitEpoch]
        .filter(([k]) => d[k] !== undefined)
        .map(([k, t]) => Math.max(0, d[k] - t))
        .sort((a, b) => a - b);
      const note = `pypaimon ${ctx.p.pollMs} ms poll, tailing Eddy's commits; ${commitEpoch.size - pyLat.length} of ${commitEpoch.size} commits not delivered${r.out.errors.length ? `; stopped by ${r.out.errors.join('; ').slice(0, 200)}` : ''}`;
      deliveryP50.push({ system: 'pypaimon streaming read', value: pct(pyLat, 0.5), note });
      deliveryP99.push({ system: 'pypaimon streaming read', value: pct(pyLat, 0.99), note });
      console.log(
        `  pypaimon tailing Eddy: delivery p50 ${pct(pyLat, 0.5).toFixed(1)} / p99 ${pct(pyLat, 0.99).toFixed(1)} ms (${note})`,
      );
    }
  } else w.unmeasured.push(`pypaimon streaming read: ${local ? ctx.why('pypaimon') : 'local disk only'}`);
  if (ctx.has('java') && local) {
    // Paimon Java, the same stream with a commit every second per writer (its practical minimum:
    // Flink commits on checkpoints): R × P rows per commit, the same table options but Eddy's own.
    const javaOptions = Object.entries(extra)
      .filter(([k]) => !k.startsWith('eddy.'))
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    try {
      const j = await runJava<{
        commits: number;
        failed: number;
        commitsPerSecond: number;
        snapshots: number;
        missing: number;
        p50Ms: number;
        p99Ms: number;
        commitP50Ms: number;
        commitP99Ms: number;
      }>(['stream', ctx.javaWh, 'bench.stream_java', N, S, R * P, 1000, ctx.p.pollMs, javaOptions]);
      const o = j.out;
      const note = `${N} writers × 1 commit/s × ${R * P} rows, ${o.commits} commits (${o.commitsPerSecond.toFixed(1)}/s), ${o.failed} failed, ${o.missing} not delivered; streaming scan polling every ${ctx.p.pollMs} ms`;
      const sys = 'Paimon Java, 1 commit/s per writer';
      commitP50.push({ system: sys, value: o.commitP50Ms, note });
      commitP99.push({ system: sys, value: o.commitP99Ms, note });
      deliveryP50.push({ system: sys, value: o.p50Ms, note });
      deliveryP99.push({ system: sys, value: o.p99Ms, note });
      console.log(
        `  Paimon Java: commit p50 ${o.commitP50Ms.toFixed(1)} / p99 ${o.commitP99Ms.toFixed(1)} ms, delivery p50 ${o.p50Ms.toFixed(1)} / p99 ${o.p99Ms.toFixed(1)} ms (${note})`,
      );
    } catch (e) {
      w.unmeasured.push(`Paimon Java stream: failed (${(e as Error).message.slice(0, 300)})`);
    }
  } else w.unmeasured.push(`Paimon Java stream: ${local ? ctx.why('java') : 'local disk only'}`);

  const commits = commitMs.length;
  const lat = [...committedAt]
    .filter(([id]) => deliveredAt.has(id))
    .map(([id, t]) => Math.max(0, deliveredAt.get(id)! - t))
    .sort((a, b) => a - b);
  commitMs.sort((a, b) => a - b);
  const requests = ios.reduce((n, io) => n + io.total(), 0);
  const byOp: Record<string, number> = {};
  for (const io of ios) for (const [k, v] of Object.entries(io.calls)) byOp[k] = (byOp[k] ?? 0) + v;
  const missing = committedAt.size - lat.length;
  if (missing > 0) w.notes.push(`${missing} of ${committedAt.size} snapshots not delivered within 10 s of the end.`);
  if (code !== 0) w.notes.push(`the compactor exited with ${code}.`);
  const steady = series.filter((x) => x.t >= warmupS);
  const base = steady[0]?.c ?? initial;
  const worst = (f: (c: Census) => number) => (steady.length ? Math.max(...steady.map((x) => f(x.c))) : Number.NaN);
  const onDiskPerReferenced = worst((c) => c.filesOnDisk / c.referenced);
  const onDiskPerLiveData = worst((c) => c.filesOnDisk / Math.max(1, c.liveDataFiles));
  const onDiskPerNeeded = worst((c) => c.filesOnDisk / Math.max(1, c.liveFiles));
  const planMax = worst((c) => c.planMs);
  // One plan is a few ms on a shared machine: medians of the first and the last three samples.
  const planFirst = median(steady.slice(0, 3).map((x) => x.c.planMs));
  const planLast = median(steady.slice(-3).map((x) => x.c.planMs));
  const bytesFirst = median(steady.slice(0, 3).map((x) => x.c.planBytes));
  const bytesLast = median(steady.slice(-3).map((x) => x.c.planBytes));
  const planBytesMax = worst((c) => c.planBytes);
  const benchMem = memoryTrend(rss, warmupS);
  const heapMem = memoryTrend(heap, warmupS);
  const compMem = memoryTrend(compactorRss, warmupS);
  const trend = (m: ReturnType<typeof memoryTrend>) =>
    `${m.firstHalf.toFixed(0)} → ${m.secondHalf.toFixed(0)} MB (median, 1st → 2nd half), ${m.slopeMbPerMin >= 0 ? '+' : ''}${m.slopeMbPerMin.toFixed(1)} MB/min over the 2nd half, max ${m.max.toFixed(0)}`;
  const line = (k: string, v: string) => console.log(`  ${k.padEnd(34)} ${v}`);
  line('commits (achieved rate)', `${commits} (${(commits / writeSeconds).toFixed(1)}/s of ${N * R}/s)`);
  line('commits failed (COMMIT_CONFLICT)', `${conflicts}`);
  line(
    'snapshots published by the writers',
    `${committedAt.size} (${(commits / Math.max(1, committedAt.size)).toFixed(2)} commits per snapshot)`,
  );
  line('commit p50 / p99', `${pct(commitMs, 0.5).toFixed(1)} / ${pct(commitMs, 0.99).toFixed(1)} ms`);
  line('delivery p50 / p99', `${pct(lat, 0.5).toFixed(1)} / ${pct(lat, 0.99).toFixed(1)} ms`);
  line('feed rows / committed', `${feedRows} / ${expectedRows} (restarted after SNAPSHOT_EXPIRED: ${feedRestarts})`);
  line('requests per commit (writers)', `${(requests / commits).toFixed(1)} ${JSON.stringify(byOp)}`);
  line(
    `samples every ${SAMPLE_EVERY_MS / 1000} s past ${warmupS.toFixed(0)} s`,
    `${steady.length}; worst files on disk / referenced ${onDiskPerReferenced.toFixed(2)}×, / live data ${onDiskPerLiveData.toFixed(1)}×, / needed by a snapshot ${onDiskPerNeeded.toFixed(1)}×`,
  );
  line('files on disk start → end', `${initial.filesOnDisk} → ${end.filesOnDisk}`);
  line('  data / manifest / snapshots', `${end.dataFilesOnDisk} / ${end.manifestFilesOnDisk} / ${end.snapshotsOnDisk}`);
  line('live data files (end)', `${end.liveDataFiles}`);
  line('unreferenced files on disk (end)', `${end.unreferenced}`);
  line('files on disk / live data files', `${(end.filesOnDisk / Math.max(1, end.liveDataFiles)).toFixed(1)}×`);
  line(
    'files on disk / referenced (end)',
    `${end.filesOnDisk} / ${end.referenced} (${(end.filesOnDisk / end.referenced).toFixed(2)}×)`,
  );
  line('files a retained snapshot needs (max)', `${end.liveFiles}`);
  line('files on disk / needed by a snapshot', `${(end.filesOnDisk / Math.max(1, end.liveFiles)).toFixed(1)}×`);
  line(
    `settled (+${(graceMs + 2 * COMPACTOR_INTERVAL_MS) / 1000} s): files / live data / needed`,
    `${settled.filesOnDisk} / ${settled.liveDataFiles} / ${settled.liveFiles} (${(settled.filesOnDisk / Math.max(1, settled.liveDataFiles)).toFixed(1)}× live data, ${(settled.filesOnDisk / Math.max(1, settled.liveFiles)).toFixed(1)}× needed; ${settled.unreferenced} unreferenced)`,
  );
  line(
    `plan at ${(steady[0]?.t ?? 0).toFixed(0)} s → end (max)`,
    `${base.planMs.toFixed(1)} → ${end.planMs.toFixed(1)} ms (${planMax.toFixed(1)}), ${(end.planMs / base.planMs).toFixed(2)}× (one-file table at the start: ${initial.planMs.toFixed(1)} ms)`,
  );
  line(
    'plan, median of first 3 → last 3 samples',
    `${planFirst.toFixed(1)} → ${planLast.toFixed(1)} ms (${(planLast / planFirst).toFixed(2)}×); bytes ${bytesFirst} → ${bytesLast} (${(bytesLast / bytesFirst).toFixed(2)}×)`,
  );
  line(
    'plan bytes read → end (max)',
    `${base.planBytes} → ${end.planBytes} (${planBytesMax}), ${base.planRequests} → ${end.planRequests} requests`,
  );
  const ioMs = (op: keyof CountingFileIO['durations']) => {
    const d = ios.flatMap((io) => io.durations[op]).sort((a, b) => a - b);
    return d.length ? `${op} ${pct(d, 0.5).toFixed(1)}/${pct(d, 0.99).toFixed(1)}/${d[d.length - 1].toFixed(0)}` : '';
  };
  line(
    'storage call p50/p99/max (ms)',
    (['write', 'writeIfAbsent', 'read', 'exists'] as const).map(ioMs).filter(Boolean).join(', '),
  );
  slow.sort((a, b) => b.ms - a.ms);
  const slowest = slow.slice(0, Math.max(1, Math.ceil(slow.length / 100)));
  line(
    'slowest 1% of commits',
    `${slowest.length}: mean ${(slowest.reduce((n, c) => n + c.ms, 0) / slowest.length).toFixed(0)} ms, of it in write() ${(slowest.reduce((n, c) => n + c.writeMs, 0) / slowest.length).toFixed(0)} ms; retried ${slowest.filter((c) => c.attempts > 1).length} (all commits: ${slow.filter((c) => c.attempts > 1).length})`,
  );
  const phases = (cs: typeof slow) => {
    const ts = cs.flatMap((c) => (c.trace ? [c.trace] : []));
    const avg = (f: (t: (typeof ts)[number]) => number) => (ts.reduce((n, t) => n + f(t), 0) / ts.length).toFixed(0);
    return ts.length === 0
      ? 'not traced'
      : `follow ${avg((t) => t.followMs)}, flush ${avg((t) => t.prepareMs)}, queued ${avg((t) => t.queuedMs)}, publish ${avg((t) => t.publishMs)} ms, group ${avg((t) => t.groupSize)}`;
  };
  line('  phases of the slowest 1% (mean)', phases(slowest));
  line('  phases of all commits (mean)', phases(slow));
  line(
    'event loop delay p50/p99/max',
    `${(loopDelay.percentile(50) / 1e6).toFixed(1)} / ${(loopDelay.percentile(99) / 1e6).toFixed(1)} / ${(loopDelay.max / 1e6).toFixed(0)} ms`,
  );
  gcPauses.sort((a, b) => a - b);
  line(
    'GC pauses (count, p99, max, total)',
    `${gcPauses.length}, ${pct(gcPauses, 0.99).toFixed(1)}, ${(gcPauses[gcPauses.length - 1] ?? 0).toFixed(0)}, ${gcPauses.reduce((a, b) => a + b, 0).toFixed(0)} ms`,
  );
  line('bench RSS', trend(benchMem));
  line('bench heap used', trend(heapMem));
  line('compactor RSS', trend(compMem));

  const m = (label: string, unit: string, eddy: number, better: 'lower' | 'higher' = 'lower', peers: Figure[] = []) =>
    w.metrics.push({ label, unit, better, eddy, peers });
  m('commits failed after commit.max-retries', 'commits', conflicts);
  m('writer commits per snapshot (coalescing)', 'commits', commits / Math.max(1, committedAt.size), 'higher');
  m('commit, p50', 'ms', pct(commitMs, 0.5), 'lower', commitP50);
  m('commit, p99', 'ms', pct(commitMs, 0.99), 'lower', commitP99);
  m('commit → delivery, p50', 'ms', pct(lat, 0.5), 'lower', deliveryP50);
  m('commit → delivery, p99', 'ms', pct(lat, 0.99), 'lower', deliveryP99);
  m('storage requests per commit (writers)', 'requests', requests / commits);
  m('files on disk / referenced files, worst sample', '×', onDiskPerReferenced);
  m('files on disk / live data files, worst sample', '×', onDiskPerLiveData);
  m('files on disk at the end', 'files', end.filesOnDisk);
  m('live data files at the end', 'files', end.liveDataFiles);
  m('files on disk / live data files', '×', end.filesOnDisk / Math.max(1, end.liveDataFiles));
  m('files on disk / files a retained snapshot needs (max)', '×', end.filesOnDisk / Math.max(1, end.liveFiles));
  m(
    `files on disk / live data files, settled (compactor grace ${graceMs / 1000} s passed)`,
    '×',
    settled.filesOnDisk / Math.max(1, settled.liveDataFiles),
  );
  m(
    'files on disk / files a retained snapshot needs (max), settled',
    '×',
    settled.filesOnDisk / Math.max(1, settled.liveFiles),
  );
  m('unreferenced files on disk at the end', 'files', end.unreferenced);
  m('snapshots on disk at the end', 'snapshots', end.snapshotsOnDisk);
  m(`scan planning at ${(steady[0]?.t ?? 0).toFixed(0)} s (past the warm-up)`, 'ms', base.planMs);
  m('scan planning at the end', 'ms', end.planMs);
  m('scan planning, end / start', '×', end.planMs / base.planMs);
  m('scan planning, median of the last 3 samples / of the first 3', '×', planLast / planFirst);
  m('bytes read by one plan, median of the last 3 samples / of the first 3', '×', bytesLast / bytesFirst);
  m('bytes read by one plan at the end', 'bytes', end.planBytes);
  m('bench process RSS, median of the 2nd half (writers + feed)', 'MB', benchMem.secondHalf);
  m('bench process RSS, 2nd half / 1st half', '×', benchMem.secondHalf / benchMem.firstHalf);
  m('bench process RSS slope over the 2nd half', 'MB/min', benchMem.slopeMbPerMin);
  m('compactor RSS, median of the 2nd half', 'MB', compMem.secondHalf);
  m('compactor RSS, 2nd half / 1st half', '×', compMem.secondHalf / compMem.firstHalf);
  m('compactor RSS slope over the 2nd half', 'MB/min', compMem.slopeMbPerMin);
  w.notes.push(
    `Achieved ${commits} commits in ${writeSeconds.toFixed(1)} s (${(commits / writeSeconds).toFixed(1)}/s of ${N * R}/s asked); requests by kind: ${JSON.stringify(byOp)}.`,
    `Feed: ${feedRows} rows delivered of ${expectedRows} committed; it fell behind the retention and restarted from the latest ${feedRestarts} times.`,
  );
  w.unmeasured.push(
    ...(wh.startsWith('s3')
      ? []
      : ['S3: run again with --stream-warehouse s3://bucket/prefix (requests per commit = FileIO calls).']),
  );
  return w;
}
