import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Catalog } from '@eddy/table';
import { describe, expect, it } from 'vitest';

const SECONDS = Number(process.env.EDDY_SOAK_STREAM_SECONDS ?? 45);
const WRITERS = 4;
const ROWS = 20;
const RETAIN_MAX = 20;

const snapshotIds = (tableDir: string) =>
  (existsSync(path.join(tableDir, 'snapshot')) ? readdirSync(path.join(tableDir, 'snapshot')) : [])
    .filter((f) => /^snapshot-\d+$/.test(f))
    .map((f) => Number(f.slice('snapshot-'.length)));

/**
 * Streaming at rate (issue 23), bounded: four writers in one process commit small batches back to
 * back (as fast as the machine allows) into one table whose writers expire snapshots after their
 * commits (`snapshot.expire.execution-mode`), while a consumer tails the change feed. Asserted,
 * whatever the speed: snapshots stay within `snapshot.num-retained.max` plus what the consumer still
 * needs and the commits in flight; at the end no file is unreferenced, every committed row reached
 * the feed exactly once, and the feed's replay equals the final scan.
 */
describe('soak: streaming at rate', () => {
  it(
    `${WRITERS} writers committing back to back for ${SECONDS}s, expiry by the writers, a tailing consumer`,
    async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'eddy-soak-stream-'));
      try {
        const catalog = await Catalog.open(dir);
        const table = await catalog.createTable('soak.s', {
          columns: { k: 'BIGINT', w: 'INT', c: 'INT' },
          primaryKey: ['k'],
          options: {
            bucket: 2,
            'snapshot.expire.execution-mode': 'sync',
            'snapshot.num-retained.min': 5,
            'snapshot.num-retained.max': RETAIN_MAX,
            'snapshot.time-retained': '1 s',
            // Four writers racing for every snapshot id: losing many times in a row is expected.
            'commit.max-retries': 1000,
            'commit.max-retry-wait': '200 ms',
          },
        });

        const ac = new AbortController();
        const delivered = new Map<bigint, number>();
        let duplicates = 0;
        let consumerNext = 1;
        const consumer = (async () => {
          const feed = await (await Catalog.open(dir)).getTable('soak.s');
          for await (const e of feed.changes({
            consumerId: 'soak',
            scanMode: 'from-snapshot',
            snapshotId: 1,
            signal: ac.signal,
          })) {
            expect(e.kind).toBe('+I');
            const k = e.row.k as bigint;
            if (delivered.has(k)) duplicates++;
            delivered.set(k, e.row.c as number);
            consumerNext = e.snapshotId;
          }
        })().catch((e) => {
          if (!ac.signal.aborted) throw e;
        });

        // Snapshots on disk, sampled while the writers run: at most the retained ones, the ones the
        // consumer has not read yet (its position protects them), and two per writer in flight (its
        // commit and the compaction after it land before its expiry runs).
        const violations: string[] = [];
        let samples = 0;
        const sampler = setInterval(() => {
          const ids = snapshotIds(table.path);
          if (ids.length === 0) return;
          const latest = Math.max(...ids);
          const bound = Math.max(RETAIN_MAX, latest - consumerNext + 1) + 2 * WRITERS;
          samples++;
          if (ids.length > bound) violations.push(`${ids.length} snapshots (latest ${latest}, bound ${bound})`);
        }, 250);

        const committed: bigint[] = [];
        const end = Date.now() + SECONDS * 1000;
        const writer = async (wi: number) => {
          const t = await (await Catalog.open(dir)).getTable('soak.s');
          const w = t.newWriter({ commitUser: `soak-stream-${wi}` });
          for (let c = 1; Date.now() < end; c++) {
            const rows = Array.from({ length: ROWS }, (_, j) => ({
              k: BigInt(wi * 1_000_000_000 + c * ROWS + j),
              w: wi,
              c,
            }));
            await w.write(rows);
            const r = await w.commit(c);
            expect(r.published).toBe(true);
            for (const row of rows) committed.push(row.k);
          }
          w.close();
        };
        try {
          await Promise.all(Array.from({ length: WRITERS }, (_, i) => writer(i)));
        } finally {
          clearInterval(sampler);
        }
        const latest = (await table.latestSnapshot())!.id;

        // The consumer catches up (bounded wait), then stops.
        for (const until = Date.now() + 60_000; Date.now() < until && delivered.size < committed.length; )
          await new Promise((r) => setTimeout(r, 100));
        ac.abort();
        await consumer;

        // Every committed row reached the feed exactly once, and the replay is the table.
        expect(duplicates).toBe(0);
        expect(delivered.size).toBe(committed.length);
        const final = await table.toArray();
        expect(final.length).toBe(committed.length);
        expect(new Map(final.map((r) => [r.k as bigint, r.c as number]))).toEqual(
          new Map([...delivered].sort((a, b) => (a[0] < b[0] ? -1 : 1))),
        );

        expect(violations).toEqual([]);
        expect(samples).toBeGreaterThan(0);
        // With the consumer caught up, an expiry leaves at most snapshot.num-retained.max.
        await table.expireSnapshots();
        expect(snapshotIds(table.path).length).toBeLessThanOrEqual(RETAIN_MAX);
        // Nothing on disk that no snapshot references: expiry kept up, lost races cleaned up after
        // themselves (compactions a concurrent commit beat included).
        const orphans = await table.removeOrphanFiles({ olderThanMs: 0, dryRun: true });
        expect(orphans.orphans).toEqual([]);
        console.log(
          `soak stream: ${latest} snapshots from ${committed.length / ROWS} commits of ${ROWS} rows by ${WRITERS} writers ` +
            `in ${SECONDS}s, ${snapshotIds(table.path).length} on disk at the end, ${samples} samples, ` +
            `${orphans.scannedFiles} data and manifest files on disk`,
        );
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    SECONDS * 1000 + 180_000,
  );
});
