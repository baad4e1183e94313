import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Catalog, type ChangeEvent } from '@eddy/table';
import { describe, expect, it } from 'vitest';
import { binEnv } from '../bin-env.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SECONDS = Number(process.env.EDDY_SOAK_SECONDS ?? 20);

/**
 * A bounded soak: one writer upserting and deleting continuously (write-only), the compaction
 * daemon compacting and expiring in its own process, a consumer tailing the change feed, and a
 * batch reader scanning — no errors anywhere, sorted runs stay bounded, and the consumer's replay
 * equals the final scan.
 */
describe('soak', () => {
  it(
    `writer + eddy-compactor + tailing consumer + scans for ${SECONDS}s`,
    async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'eddy-soak-'));
      let daemon: ChildProcess | undefined;
      try {
        const catalog = await Catalog.open(dir);
        const table = await catalog.createTable('soak.t', {
          columns: { k: 'INT', v: 'STRING', n: 'BIGINT' },
          primaryKey: ['k'],
          options: {
            bucket: 2,
            'write-only': 'true',
            'changelog-producer': 'input',
            'num-sorted-run.compaction-trigger': 3,
            'snapshot.num-retained.min': 3,
            'snapshot.time-retained': '1 s',
          },
        });
        let daemonLog = '';
        daemon = spawn(
          process.execPath,
          [
            path.join(ROOT, 'services/compactor/bin/eddy-compactor.js'),
            '--warehouse',
            dir,
            '--interval',
            '300ms',
            '--port',
            '-1',
            '--expire-grace',
            '1s',
          ],
          { stdio: ['ignore', 'pipe', 'pipe'], env: binEnv() },
        );
        daemon.stdout?.on('data', (b) => {
          daemonLog += String(b);
        });
        daemon.stderr?.on('data', (b) => {
          daemonLog += String(b);
        });

        // The consumer tails from the first snapshot; its position protects what it still needs.
        const ac = new AbortController();
        const replay = new Map<number, string>();
        let consumed = 0;
        const consumer = (async () => {
          for await (const e of table.changes({
            consumerId: 'soak',
            scanMode: 'from-snapshot',
            snapshotId: 1,
            pollIntervalMs: 50,
            signal: ac.signal,
          })) {
            apply(replay, e);
            consumed++;
          }
        })().catch((e) => {
          if (!ac.signal.aborted) throw e; // the abort ends the feed with an AbortError
        });

        let maxRuns = 0;
        let scans = 0;
        const reader = (async () => {
          while (!ac.signal.aborted) {
            const rows = await table.toArray();
            expect(new Set(rows.map((r) => r.k)).size).toBe(rows.length); // no duplicate keys
            for (const b of await table.bucketHealth()) maxRuns = Math.max(maxRuns, b.sortedRuns);
            scans++;
            await new Promise((r) => setTimeout(r, 200));
          }
        })();

        const w = table.newWriter({ commitUser: 'soak-writer' });
        const end = Date.now() + SECONDS * 1000;
        let checkpoint = 0;
        let seed = 1;
        const rand = (m: number) => {
          seed = (seed * 1103515245 + 12345) % 2147483648;
          return seed % m;
        };
        while (Date.now() < end) {
          const rows = Array.from({ length: 200 }, () => {
            const k = rand(2000);
            return { k, v: `v${checkpoint}-${k}`, n: BigInt(checkpoint) };
          });
          await w.write(rows);
          await w.delete(Array.from({ length: 10 }, () => ({ k: rand(2000) })));
          await w.commit(++checkpoint);
        }
        w.close();
        const latest = (await table.latestSnapshot())!.id;
        // Let the consumer catch up with the last snapshot, then stop everything.
        const deadline = Date.now() + 20_000;
        while (Date.now() < deadline) {
          const pos = await table.io.read(path.join(table.path, 'consumer/consumer-soak')).catch(() => undefined);
          if (pos && JSON.parse(Buffer.from(pos).toString()).nextSnapshot > latest) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        ac.abort();
        await Promise.all([consumer, reader]);

        const final = new Map((await table.toArray()).map((r) => [Number(r.k), String(r.v)]));
        expect(new Map([...replay].sort())).toEqual(new Map([...final].sort()));
        const kinds = (await table.listSnapshots()).map((s) => s.commitKind);
        expect(kinds).toContain('COMPACT'); // the daemon compacted
        expect((await table.snapshots.earliestSnapshotId()) ?? 1).toBeGreaterThan(1); // and expired
        // Runs stay bounded: once the writer stops, the daemon's next rounds bring every bucket
        // back under the trigger (how many runs pile up meanwhile depends on the machine's speed).
        let settled = false;
        for (const until = Date.now() + 30_000; !settled && Date.now() < until; ) {
          settled = (await table.bucketHealth()).every((b) => !b.needsCompaction);
          if (!settled) await new Promise((r) => setTimeout(r, 100));
        }
        expect(settled).toBe(true);
        expect(scans).toBeGreaterThan(3);
        expect(consumed).toBeGreaterThan(checkpoint);
        expect(daemonLog).not.toMatch(/"level":50/); // no error logs from the daemon
        console.log(
          `soak: ${checkpoint} commits, ${kinds.filter((k) => k === 'COMPACT').length} compactions, ` +
            `earliest snapshot ${await table.snapshots.earliestSnapshotId()} of ${latest}, ${consumed} changes consumed, ` +
            `${scans} scans, max sorted runs ${maxRuns}`,
        );
      } finally {
        daemon?.kill('SIGTERM');
        await new Promise((r) => (daemon && daemon.exitCode === null ? daemon.once('exit', r) : r(null)));
        rmSync(dir, { recursive: true, force: true });
      }
    },
    SECONDS * 1000 + 90_000,
  );
});

function apply(state: Map<number, string>, e: ChangeEvent): void {
  const k = Number(e.row.k);
  if (e.kind === '-D' || e.kind === '-U') state.delete(k);
  else state.set(k, String(e.row.v));
}
