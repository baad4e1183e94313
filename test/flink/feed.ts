/**
 * Delivery latency of a Flink streaming query tailing an Eddy table while an Eddy writer commits
 * small batches back to back — cell 4, and the `flink` row of the bench's feed suite
 * (tools/bench/src/suites/feed.ts). Optionally Eddy's own feed tails the same commits beside it.
 *
 * Latency of commit i = the time its first row reached the client minus the end of Eddy's
 * commit, both on the machine's wall clock: for Flink, when the row left the result iterator in
 * the driver's JVM (RowPump's `t`: the collect sink's fetch, about every 100 ms, is part of it, as
 * for any client of a Flink SQL query); for Eddy, when `table.changes()` yielded it.
 */
import type { Catalog } from '@eddy/table';
import type { FlinkDriver } from './driver.ts';

export interface FeedLatency {
  readonly commits: number;
  /** Commits whose rows did not arrive within the deadline. */
  readonly missing: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Eddy's commit of one batch (the writer's side), p50. */
  readonly commitP50Ms: number;
}

export interface FeedOptions {
  /** The Paimon catalog name the driver knows the catalog's warehouse by (FlinkDriver.catalog). */
  readonly flinkCatalog: string;
  readonly commits: number;
  readonly rowsPerCommit: number;
  /** Flink's `continuous.discovery-interval` and Eddy's `pollIntervalMs`. */
  readonly pollMs: number;
  /** Also tail with Eddy's own feed, in this process, over the same commits. */
  readonly eddyToo?: boolean;
  readonly table?: string;
}

const pct = (sorted: readonly number[], p: number) =>
  sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;

export async function flinkFeedLatency(
  d: FlinkDriver,
  catalog: Catalog,
  o: FeedOptions,
): Promise<{ flink: FeedLatency; eddy?: FeedLatency; rows: { flink: number; eddy?: number } }> {
  const name = o.table ?? 'db.feed_latency';
  const table = await catalog.createTable(name, {
    columns: { id: 'BIGINT', c: 'INT', v: 'STRING' },
    primaryKey: ['id'],
    options: { bucket: '2', 'write-only': 'true' },
  });
  const writer = table.newWriter({ commitUser: 'feed-latency' });
  let warm = 0;
  const commitWarmUp = async () => {
    await writer.write({ id: -1n, c: -1, v: `warm-${warm}` });
    await writer.commit(warm++);
  };
  await commitWarmUp(); // snapshot 1, before the readers start at 'latest'

  const stream = await d.open(
    `feed-${name}`,
    `SELECT id, c FROM ${o.flinkCatalog}.${name} /*+ OPTIONS('scan.mode' = 'latest', ` +
      `'continuous.discovery-interval' = '${o.pollMs}ms') */`,
  );
  const eddyAt = new Map<number, number>();
  let eddyRows = 0;
  const ac = new AbortController();
  let eddyWarm = false;
  const eddyTail = o.eddyToo
    ? (async () => {
        for await (const e of table.changes({ scanMode: 'latest', pollIntervalMs: o.pollMs, signal: ac.signal })) {
          const c = e.row.c as number;
          if (c < 0) eddyWarm = true;
          else {
            eddyRows++;
            if (!eddyAt.has(c)) eddyAt.set(c, Date.now());
          }
        }
      })().catch((e: unknown) => (ac.signal.aborted ? undefined : Promise.reject(e)))
    : undefined;
  try {
    // warm up: commit until both readers have seen a commit made after they started
    const deadline = Date.now() + 180_000;
    for (;;) {
      await commitWarmUp();
      await new Promise((r) => setTimeout(r, 500));
      if (stream.events.some((e) => e.row.c === '-1') && (!o.eddyToo || eddyWarm)) break;
      if (stream.ended || Date.now() > deadline)
        throw new Error(`the Flink feed did not start: ${stream.error ?? 'no row within 180 s'}`);
    }

    const committedAt: number[] = [];
    const commitMs: number[] = [];
    for (let c = 0; c < o.commits; c++) {
      const rows = Array.from({ length: o.rowsPerCommit }, (_, j) => ({
        id: BigInt((c * o.rowsPerCommit + j) % 500),
        c,
        v: `c${c}-${j}`,
      }));
      const t0 = performance.now();
      await writer.write(rows);
      await writer.commit(warm + c);
      commitMs.push(performance.now() - t0);
      committedAt.push(Date.now());
    }
    const expected = o.commits * o.rowsPerCommit;
    // Flink normalizes an upsert source (ChangelogNormalize): an update comes as -U old, +U new
    const arrived = (e: { kind: string; row: Readonly<Record<string, unknown>> }) =>
      (e.kind === '+I' || e.kind === '+U') && e.row.c !== '-1';
    const flinkRows = () => stream.events.filter(arrived).length;
    const until = Date.now() + 60_000;
    while ((flinkRows() < expected || (o.eddyToo && eddyRows < expected)) && Date.now() < until && !stream.ended)
      await new Promise((r) => setTimeout(r, 100));

    const flinkAt = new Map<number, number>();
    for (const e of stream.events) {
      const c = Number(e.row.c);
      if (arrived(e) && !flinkAt.has(c)) flinkAt.set(c, e.t);
    }
    const summarize = (at: Map<number, number>): FeedLatency => {
      const lat = committedAt
        .map((t, c) => (at.has(c) ? Math.max(0, at.get(c)! - t) : undefined))
        .filter((x): x is number => x !== undefined)
        .sort((a, b) => a - b);
      const sortedCommits = [...commitMs].sort((a, b) => a - b);
      return {
        commits: o.commits,
        missing: o.commits - lat.length,
        p50Ms: pct(lat, 0.5),
        p99Ms: pct(lat, 0.99),
        commitP50Ms: pct(sortedCommits, 0.5),
      };
    };
    return {
      flink: summarize(flinkAt),
      eddy: o.eddyToo ? summarize(eddyAt) : undefined,
      rows: { flink: flinkRows(), eddy: o.eddyToo ? eddyRows : undefined },
    };
  } finally {
    writer.close();
    ac.abort();
    await eddyTail;
    await stream.cancel();
  }
}
