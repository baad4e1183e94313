import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { createInterface } from 'node:readline/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { EddySql } from '@eddy/sql';
import { Catalog, EddyError, eq, type Table, warehousePath } from '@eddy/table';
import { renderTable, toJsonLine } from './format.ts';

const REGIONS = ['eu', 'us', 'apac'];
const STATUSES = ['new', 'paid', 'shipped', 'delivered'];

/** Files, sorted runs and size per bucket (the compaction health view). */
async function bucketView(table: Table) {
  return (await table.bucketHealth())
    .sort((a, b) => a.partition.localeCompare(b.partition) || a.bucket - b.bucket)
    .map((b) => ({ partition: b.partition, bucket: b.bucket, files: b.files, sortedRuns: b.sortedRuns }));
}

/**
 * A change-feed consumer running beside the writer: prints the first changes of the first commits,
 * counts the rest, and stops once it has read snapshot `stopAfter` (set when the writer is done).
 */
function startFeed(table: Table) {
  const stop = new AbortController();
  const state = { events: 0, snapshots: new Set<number>(), lastSnapshot: 0, stopAfter: Number.POSITIVE_INFINITY };
  const kinds = new Map<string, number>();
  const shown = new Map<number, number>();
  const done = (async () => {
    for await (const ev of table.changes({ scanMode: 'latest', pollIntervalMs: 50, signal: stop.signal })) {
      state.events++;
      state.snapshots.add(ev.snapshotId);
      state.lastSnapshot = ev.snapshotId;
      kinds.set(ev.kind, (kinds.get(ev.kind) ?? 0) + 1);
      const n = shown.get(ev.snapshotId) ?? 0;
      if (shown.size <= 2 && n < 2 && (shown.has(ev.snapshotId) || shown.size < 2)) {
        shown.set(ev.snapshotId, n + 1);
        const { region, order_id, status, amount } = ev.row;
        console.log(
          `    feed ▸ snapshot ${ev.snapshotId} ${ev.kind} ${toJsonLine(ev.kind === '-D' ? { region, order_id } : { region, order_id, status, amount })}`,
        );
      }
      if (ev.snapshotId >= state.stopAfter) stop.abort();
    }
  })().catch((e) => {
    if (!stop.signal.aborted) throw e; // the abort ends the feed with an AbortError
  });
  return {
    state,
    kinds,
    /** Waits until the feed has delivered snapshot `last` (or gives up after 10 s), then stops it. */
    async finish(last: number) {
      state.stopAfter = last;
      const deadline = Date.now() + 10_000;
      while (state.lastSnapshot < last && Date.now() < deadline) await sleep(20);
      stop.abort();
      await done;
    },
  };
}

/**
 * The main job for a new user: a partitioned primary-key table in a local folder, a writer that
 * streams upserts and deletes in checkpointed commits while a change feed prints, a full
 * compaction, then the snapshots, files per bucket and a merged scan.
 */
export interface DemoOptions {
  readonly seconds: string;
  /** Replace an existing shop.orders without asking. */
  readonly force?: boolean;
}

/** Asks a yes/no question on the terminal; anything but y/yes is no. */
async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

export async function runDemo(dir: string, o: DemoOptions): Promise<void> {
  const seconds = Number(o.seconds);
  if (!Number.isFinite(seconds) || seconds < 0)
    throw new EddyError('INVALID_ARGUMENT', `--seconds: expected a number, got '${o.seconds}'`);
  const warehouse = warehousePath(dir); // a local path, or s3://bucket/prefix
  const local = !warehouse.includes('://');
  const existed = local && existsSync(warehouse);
  const catalog = await Catalog.open(warehouse);
  const fresh = local ? !existed : (await catalog.listDatabases()).length === 0;
  if (!o.force && (await catalog.tableExists('shop.orders'))) {
    // Never replace a table silently: it may be the user's own shop.orders.
    const what = `${warehouse} already has a table shop.orders`;
    const interactive = process.stdin.isTTY === true && process.stderr.isTTY === true;
    if (!interactive)
      throw new EddyError(
        'ALREADY_EXISTS',
        `${what}: pass --force to replace it, or give the demo another directory (eddy demo ./other-dir)`,
      );
    if (!(await confirm(`${what}. Replace it (all its data is deleted)? [y/N] `)))
      throw new EddyError('ALREADY_EXISTS', `${what}: left as it was (--force replaces it without asking)`);
  }
  await catalog.dropTable('shop.orders', { ignoreIfNotExists: true });
  const table = await catalog.createTable('shop.orders', {
    columns: {
      region: 'STRING',
      order_id: 'BIGINT',
      customer: 'STRING',
      amount: 'DECIMAL(10, 2)',
      status: 'STRING',
      updated_at: 'TIMESTAMP(3)',
    },
    primaryKey: ['region', 'order_id'],
    partitionKeys: ['region'],
    options: { bucket: 2 },
  });
  console.log(`${fresh ? 'created' : 'reusing'} warehouse ${warehouse}`);
  console.log(`created table shop.orders (partitioned by region, primary key region+order_id, 2 buckets)\n`);

  // A seeded generator keeps the demo's output stable from run to run.
  let seed = 42;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  const feed = startFeed(table);
  const writer = table.newWriter({ commitUser: 'eddy-demo' });
  const deadline = Date.now() + Math.max(0.5, seconds) * 1000;
  let checkpoint = 0;
  let upserts = 0;
  let deletes = 0;
  let lastAppend = 0;
  while (Date.now() < deadline || checkpoint < 3) {
    checkpoint++;
    const rows = [];
    for (let i = 0; i < 2000; i++) {
      rows.push({
        region: REGIONS[Math.floor(rand() * REGIONS.length)],
        order_id: BigInt(Math.floor(rand() * 5000)),
        customer: `customer-${Math.floor(rand() * 300)}`,
        amount: (rand() * 500).toFixed(2),
        status: STATUSES[Math.floor(rand() * STATUSES.length)],
        updated_at: new Date(Date.UTC(2026, 10, 24, 12, 0, checkpoint, i)),
      });
    }
    await writer.write(rows);
    const gone = [];
    for (let i = 0; i < 100; i++)
      gone.push({ region: REGIONS[Math.floor(rand() * REGIONS.length)], order_id: BigInt(Math.floor(rand() * 5000)) });
    await writer.delete(gone);
    const result = await writer.commit(checkpoint);
    upserts += rows.length;
    deletes += gone.length;
    const s = result.snapshot!;
    lastAppend = s.id;
    console.log(
      `checkpoint ${String(checkpoint).padStart(2)}: +${rows.length} upserts, -${gone.length} deletes → snapshot ${s.id} (${s.totalRecordCount} records in files)`,
    );
  }
  writer.close();
  await feed.finish(lastAppend);

  console.log(`\nstreamed ${upserts} upserts and ${deletes} deletes in ${checkpoint} commits`);
  const kinds = [...feed.kinds].map(([k, n]) => `${n} ${k}`).join(', ');
  console.log(
    `change feed: ${feed.state.events} changes (${kinds || 'none'}) from ${feed.state.snapshots.size} snapshots, read while the writer ran\n`,
  );

  const before = await bucketView(table);
  const c = await table.compact({ full: true });
  const after = await bucketView(table);
  console.log(
    `full compaction → snapshot ${c.snapshot?.id ?? '(none)'}: ${c.filesIn} files (${c.rowsIn} records) rewritten into ${c.filesOut} files (${c.rowsOut} live rows)`,
  );
  console.log('files per bucket before → after compaction:');
  console.log(
    renderTable(
      before.map((b) => {
        const a = after.find((x) => x.partition === b.partition && x.bucket === b.bucket);
        return {
          region: b.partition.replace(/^region=/, ''),
          bucket: b.bucket,
          'files before': b.files,
          'sorted runs before': b.sortedRuns,
          'files after': a?.files ?? 0,
          'sorted runs after': a?.sortedRuns ?? 0,
        };
      }),
    ),
  );

  const snaps = (await table.listSnapshots()).slice(-5).map((s) => ({
    snapshot: s.id,
    kind: s.commitKind,
    checkpoint: s.commitIdentifier,
    deltaRecords: s.deltaRecordCount,
    totalRecords: s.totalRecordCount,
  }));
  console.log('\nlatest snapshots:');
  console.log(renderTable(snaps));

  const live = await table.count();
  console.log(`\nmerge-on-read scan: ${live} live orders`);
  const sample = await table.toArray({ where: eq('region', 'eu'), limit: 5 });
  console.log("\nfirst rows where region = 'eu':");
  console.log(renderTable(sample));

  const first = await table.toArray({ snapshotId: 1 });
  console.log(`\ntime travel: snapshot 1 had ${first.length} live orders`);
  // The same table in SQL (what `eddy sql` runs): DuckDB over Eddy's merged rows.
  const query =
    "SELECT region, count(*) AS orders, sum(amount) AS revenue FROM shop.orders WHERE status = 'delivered' GROUP BY region ORDER BY region";
  console.log(`\neddy sql "${query}"`);
  {
    await using db = await EddySql.open(catalog);
    console.log(renderTable((await db.query(query)).rows()));
  }
  const w = local ? path.relative(process.cwd(), warehouse) || '.' : warehouse;
  console.log(`\nnext, look inside:`);
  console.log(`  npx eddy --warehouse ${w} snapshots shop.orders`);
  console.log(`  npx eddy --warehouse ${w} files shop.orders --partition region=eu`);
  console.log(`  npx eddy --warehouse ${w} scan shop.orders --where "region = 'eu' and amount > 400" --limit 5`);
  console.log(`  npx eddy --warehouse ${w} sql "SELECT status, count(*) FROM shop.orders GROUP BY status"`);
}
