import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Catalog, type FileIO, LocalFileIO, type Table } from '../../packages/table/src/index.ts';
import { percentile, s3Env, testS3IO, uniqueS3Path } from './helpers.ts';

/** Measurements for the closing note (logged, not asserted beyond sanity): loopback server, 2 cores. */
describe('figures on the loopback server', () => {
  it.each([
    ['primary-key table (bucket 1, compaction included)', { primaryKey: ['id'], options: { bucket: 1 } }],
    ['append table', {}],
  ])('commit latency and requests per commit, single writer, 10-row commits: %s', async (label, extra) => {
    const io = testS3IO();
    try {
      const t = await (await Catalog.open(uniqueS3Path('perf-commit'), { fileIO: io })).createTable('db.t', {
        columns: { id: 'BIGINT', v: 'STRING' },
        ...extra,
      });
      await t.upsert([{ id: -1n, v: 'warm-up' }]);
      const N = 100;
      const latencies: number[] = [];
      const commitOnly: number[] = [];
      io.resetRequestCounts();
      for (let i = 0; i < N; i++) {
        const rows = Array.from({ length: 10 }, (_, j) => ({ id: BigInt(i * 10 + j), v: `value ${i}/${j}` }));
        const w = t.newWriter();
        const t0 = performance.now();
        await w.write(rows);
        const t1 = performance.now();
        const r = await w.commit();
        const t2 = performance.now();
        w.close();
        expect(r.published).toBe(true);
        latencies.push(t2 - t0);
        commitOnly.push(t2 - t1);
      }
      const c = io.requestCounts();
      const per = (k: keyof typeof c) => (c[k] / N).toFixed(2);
      console.log(
        `[s3] ${s3Env().backend}, ${label}: write+commit latency p50 ${percentile(latencies, 50).toFixed(1)} ms ` +
          `p99 ${percentile(latencies, 99).toFixed(1)} ms (commit step alone p50 ${percentile(commitOnly, 50).toFixed(1)} ms ` +
          `p99 ${percentile(commitOnly, 99).toFixed(1)} ms); requests per commit ${per('total')} ` +
          `(GET ${per('GET')}, HEAD ${per('HEAD')}, PUT ${per('PUT')}, PUT_IF_ABSENT ${per('PUT_IF_ABSENT')}, LIST ${per('LIST')}, ` +
          `DELETE ${per('DELETE')}); ${(await t.listSnapshots()).length} snapshots for ${N + 1} commits`,
      );
      expect(c.LIST).toBe(0);
    } finally {
      io.destroy();
    }
  });

  it('scan throughput: S3 vs local disk, same data', async () => {
    const ROWS = 200_000;
    const rows = Array.from({ length: ROWS }, (_, i) => ({
      id: BigInt(i),
      name: `customer-${i % 5000}-${(i * 2654435761) % 1000003}`,
      amount: (i % 10007) / 7,
    }));
    const schema = {
      columns: { id: 'BIGINT', name: 'STRING', amount: 'DOUBLE' },
      primaryKey: ['id'],
      options: { bucket: 4 },
    };
    const measure = async (t: Table, io: FileIO) => {
      const files = (await t.plan()).splits.flatMap((s) => s.files);
      const bytes = files.reduce((a, f) => a + Number(f.fileSize), 0);
      const fresh = await (await Catalog.open(t.path.slice(0, t.path.indexOf('/db.db')), { fileIO: io })).getTable(
        'db.t',
      );
      const t0 = performance.now();
      let n = 0;
      for await (const b of fresh.scanColumns()) n += b.length;
      const ms = performance.now() - t0;
      expect(n).toBe(ROWS);
      return { ms, mb: bytes / 1e6, files: files.length };
    };
    const dir = mkdtempSync(path.join(tmpdir(), 'eddy-perf-'));
    const s3io = testS3IO();
    try {
      const local = await (await Catalog.open(dir, { fileIO: new LocalFileIO() })).createTable('db.t', schema);
      await local.upsert(rows);
      const remote = await (await Catalog.open(uniqueS3Path('perf-scan'), { fileIO: s3io })).createTable(
        'db.t',
        schema,
      );
      await remote.upsert(rows);
      const l = await measure(local, new LocalFileIO());
      s3io.resetRequestCounts();
      const r = await measure(remote, s3io);
      const scanRequests = s3io.requestCounts();
      console.log(
        `[s3] scan of ${ROWS} rows (${r.files} files, ${r.mb.toFixed(1)} MB): S3 ${r.ms.toFixed(0)} ms = ${(r.mb / (r.ms / 1000)).toFixed(1)} MB/s ` +
          `(${scanRequests.total} requests: ${scanRequests.GET} GET, ${scanRequests.GET_RANGE} ranged GET, ${scanRequests.HEAD} HEAD, ${scanRequests.LIST} LIST); ` +
          `local ${l.ms.toFixed(0)} ms = ${(l.mb / (l.ms / 1000)).toFixed(1)} MB/s`,
      );
    } finally {
      s3io.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
