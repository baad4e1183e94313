import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Catalog } from '@eddy/table';
import { inspect } from '@eddy/table/inspect';
import { describe, expect, it } from 'vitest';

const SECONDS = Number(process.env.EDDY_SOAK_STREAM_SECONDS ?? 45);
const WRITERS = 4;
const ROWS = 20;
const RETAIN_MIN = 2;
const RETAIN_MAX = 10;

const snapshotIds = (tableDir: string) =>
  (existsSync(path.join(tableDir, 'snapshot')) ? readdirSync(path.join(tableDir, 'snapshot')) : [])
    .filter((f) => /^snapshot-\d+$/.test(f))
    .map((f) => Number(f.slice('snapshot-'.length)));

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else out.push(p);
  }
  return out;
}

async function fileCensus(tableDir: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const f of walk(tableDir)) {
    const rel = path.relative(tableDir, f);
    const name = path.basename(rel);
    const kind = rel.startsWith('bucket-')
      ? name.startsWith('changelog-')
        ? 'changelog'
        : 'data'
      : rel.startsWith('manifest/')
        ? name.startsWith('manifest-list-')
          ? 'manifest-list'
          : name.startsWith('index-manifest')
            ? 'index-manifest'
            : 'manifest'
        : rel.split('/')[0];
    out[kind] = (out[kind] ?? 0) + 1;
  }
  return out;
}

/**
 * Streaming at rate (issue 23), bounded: four writers in one process commit small batches back to
 * back (as fast as the machine allows) into one table whose writers expire snapshots after their
 * commits (`snapshot.expire.execution-mode`, the README's streaming profile), two of them sharing a
 * Catalog with coalesced commits, while a consumer tails the change feed. Asserted, whatever the
 * speed: snapshots stay within `snapshot.num-retained.max` plus what the consumer still needs and the
 * commits in flight; files on disk stay within 3× the files the table references at every sample
 * while the writers run (expiry keeps up, not only after a pause); at the end no file is
 * unreferenced and files on disk are within 3× what a retained snapshot needs, every committed row
 * reached the feed exactly once, and the feed's replay equals the final scan.
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
            'snapshot.num-retained.min': RETAIN_MIN,
            'snapshot.num-retained.max': RETAIN_MAX,
            'snapshot.time-retained': '1 s',
            'manifest.merge-min-count': 10,
            // Four writers racing for every snapshot id: losing many times in a row is expected.
            'commit.max-retries': 1000,
            'commit.max-retry-wait': '200 ms',
            'eddy.commit.coalesce-ms': 20,
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

        // Files on disk against the files some retained snapshot, tag, schema or hint references
        // (what orphan cleanup would keep), sampled while the writers run: what is neither is
        // garbage expiry has not removed yet, or files of commits in flight. One sample at a time.
        const fileSamples: { onDisk: number; referenced: number }[] = [];
        let sampling = true;
        const fileSampler = (async () => {
          await new Promise((r) => setTimeout(r, 5000));
          while (sampling) {
            const onDisk = walk(table.path).length;
            const unreferenced = (await table.removeOrphanFiles({ olderThanMs: 0, dryRun: true })).orphans.length;
            fileSamples.push({ onDisk, referenced: onDisk - unreferenced });
            await new Promise((r) => setTimeout(r, 1000));
          }
        })();

        const committed: bigint[] = [];
        const snapshotsOfShared = new Map<number, number>();
        const end = Date.now() + SECONDS * 1000;
        // Writers 0 and 1 share a Catalog (one storage client): their commits are coalesced
        // (eddy.commit.coalesce-ms); 2 and 3 have their own and race them for snapshot ids.
        const shared = await Catalog.open(dir);
        const writer = async (wi: number) => {
          const t = await (wi < 2 ? shared : await Catalog.open(dir)).getTable('soak.s');
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
            if (wi < 2) snapshotsOfShared.set(r.snapshot!.id, (snapshotsOfShared.get(r.snapshot!.id) ?? 0) + 1);
            for (const row of rows) committed.push(row.k);
          }
          w.close();
        };
        try {
          await Promise.all(Array.from({ length: WRITERS }, (_, i) => writer(i)));
        } finally {
          clearInterval(sampler);
          sampling = false;
          await fileSampler;
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
        expect(fileSamples.length).toBeGreaterThan(0);
        const overFiles = fileSamples.filter((f) => f.onDisk > 3 * f.referenced);
        expect(overFiles, JSON.stringify(fileSamples)).toEqual([]);
        // Some of the sharing writers' commits were published together (they run in lockstep).
        expect([...snapshotsOfShared.values()].some((n) => n === 2)).toBe(true);
        expect(samples).toBeGreaterThan(0);
        // With the consumer caught up, an expiry leaves at most snapshot.num-retained.max.
        await table.expireSnapshots();
        expect(snapshotIds(table.path).length).toBeLessThanOrEqual(RETAIN_MAX);

        // Files on disk: a small multiple of what a reader of the table needs (a retained snapshot's
        // data files, manifests, manifest lists and itself), whatever the speed. Once
        // snapshot.time-retained has passed, expiry keeps snapshot.num-retained.min snapshots; the
        // older of them may still hold the files a compaction just replaced (hence the multiple).
        await new Promise((r) => setTimeout(r, 1100));
        await table.expireSnapshots();
        const retained = snapshotIds(table.path);
        expect(retained.length).toBe(RETAIN_MIN);
        const ins = inspect(table);
        let needed = 0;
        for (const id of retained) {
          const s = await ins.snapshot(id);
          const manifests =
            (await ins.readManifestList(s.baseManifestList)).length +
            (await ins.readManifestList(s.deltaManifestList)).length;
          needed = Math.max(needed, (await ins.liveFiles(s)).length + manifests + 3);
        }
        const census = await fileCensus(table.path);
        // Per table, not per commit: schema, hints, one commit-user record per writer, the consumer.
        const fixed = census.schema + census['commit-user'] + census.consumer + 2;
        const onDisk = Object.values(census).reduce((a, b) => a + b, 0);
        expect(onDisk - fixed).toBeLessThanOrEqual(3 * needed);
        // Nothing on disk that no snapshot references: expiry kept up, lost races cleaned up after
        // themselves (compactions a concurrent commit beat included).
        const orphans = await table.removeOrphanFiles({ olderThanMs: 0, dryRun: true });
        expect(orphans.orphans).toEqual([]);
        console.log(
          `soak stream: ${latest} snapshots from ${committed.length / ROWS} commits of ${ROWS} rows by ${WRITERS} writers ` +
            `in ${SECONDS}s, ${snapshotIds(table.path).length} on disk at the end, ${samples} samples, ` +
            `files on disk / referenced at most ${Math.max(...fileSamples.map((f) => f.onDisk / f.referenced)).toFixed(2)}× (${fileSamples.length} samples), ` +
            `${orphans.scannedFiles} data and manifest files on disk; after expiry ${JSON.stringify(census)}, a snapshot needs up to ${needed}`,
        );
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    SECONDS * 1000 + 180_000,
  );
});
