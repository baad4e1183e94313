import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { Catalog, type FileIO, type FileStatus, LocalFileIO } from '@eddy/table';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../src/config.ts';
import { CompactorDaemon } from '../src/daemon.ts';
import { Metrics } from '../src/metrics.ts';

/**
 * Local storage whose data-file reads wait while the gate is closed: a compaction that reads its
 * inputs stalls there as long as the test wants (a compaction slower than the commits, as on S3
 * under load), without any assertion depending on how fast anything runs.
 */
class GatedIO implements FileIO {
  private readonly inner = new LocalFileIO();
  private open = false;
  private waiting: (() => void)[] = [];
  blockedReads = 0;

  release(): void {
    this.open = true;
    for (const w of this.waiting.splice(0)) w();
  }

  private async gate(p: string): Promise<void> {
    if (this.open || !/\/bucket-\d+\/data-[^/]*\.parquet$/.test(p)) return;
    this.blockedReads++;
    await new Promise<void>((r) => this.waiting.push(r));
  }

  async read(p: string): Promise<Uint8Array> {
    await this.gate(p);
    return this.inner.read(p);
  }
  async readRange(p: string, offset: number, length: number): Promise<Uint8Array> {
    await this.gate(p);
    return this.inner.readRange(p, offset, length);
  }
  write(p: string, data: Uint8Array | string): Promise<void> {
    return this.inner.write(p, data);
  }
  writeIfAbsent(p: string, data: Uint8Array | string): Promise<boolean> {
    return this.inner.writeIfAbsent(p, data);
  }
  exists(p: string): Promise<boolean> {
    return this.inner.exists(p);
  }
  stat(p: string): Promise<FileStatus | undefined> {
    return this.inner.stat(p);
  }
  list(dir: string): Promise<FileStatus[]> {
    return this.inner.list(dir);
  }
  delete(p: string): Promise<void> {
    return this.inner.delete(p);
  }
  deleteDirectory(dir: string): Promise<void> {
    return this.inner.deleteDirectory(dir);
  }
  mkdirs(dir: string): Promise<void> {
    return this.inner.mkdirs(dir);
  }
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Polls until `fn` returns a value; a hang is the test timeout's to catch. */
async function until<T>(fn: () => Promise<T | undefined>): Promise<T> {
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('eddy-compactor: expiry beside a slow compaction', () => {
  it('keeps snapshots within retention while a compaction is stalled, never deleting what it reads', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'eddy-compactor-beside-'));
    dirs.push(dir);
    const writers = await Catalog.open(dir);
    const t = await writers.createTable('db.s', {
      columns: { k: 'INT', v: 'STRING' },
      primaryKey: ['k'],
      options: {
        bucket: 1,
        'write-only': 'true',
        'snapshot.num-retained.min': '2',
        'snapshot.num-retained.max': '3',
        'snapshot.time-retained': '1 ms',
      },
    });
    const expected = new Map<number, string>();
    let n = 0;
    const commit = async () => {
      const k = n % 7;
      await t.upsert([{ k, v: `v${n}` }]);
      expected.set(k, `v${n}`);
      n++;
    };
    for (let i = 0; i < 6; i++) await commit(); // 6 sorted runs: compaction is due

    const io = new GatedIO();
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        for (const l of String(chunk).split('\n')) if (l.trim()) lines.push(JSON.parse(l));
        cb();
      },
    });
    const config = resolveConfig({
      warehouse: dir,
      intervalMs: '30ms',
      expireGraceMs: '0ms',
      orphanIntervalMs: '0ms',
      port: -1,
      tableBudgetMs: '0ms',
    });
    const daemon = new CompactorDaemon(await Catalog.open(dir, { fileIO: io }), config, pino(sink), new Metrics());
    daemon.start();
    try {
      // The compaction has planned and is reading its inputs, stalled.
      await until(async () => (io.blockedReads > 0 ? true : undefined));
      // A stream goes on: without expiry beside the stalled compaction, these would all be kept.
      for (let i = 0; i < 12; i++) await commit();
      const latest = (await t.snapshots.latestSnapshotId())!;
      await until(async () => {
        const ids = await t.snapshots.listSnapshotIds();
        return ids[0] >= latest - 2 ? ids : undefined;
      });
      expect(lines.some((l) => l.msg === 'compacted')).toBe(false); // still stalled all along
      expect(io.blockedReads).toBeGreaterThan(0);
    } finally {
      io.release();
    }
    // Its inputs were never deleted under it: it commits.
    await until(async () =>
      lines.some((l) => l.msg === 'compacted' || l.msg === 'compaction failed') ? true : undefined,
    );
    daemon.stop();
    expect((await daemon.exited).abandoned).toBe(false);
    expect(lines.filter((l) => l.msg === 'compaction failed')).toEqual([]);
    expect(lines.some((l) => l.msg === 'compacted')).toBe(true);
    const rows = (await t.toArray()) as { k: number; v: string }[];
    expect(new Map(rows.map((r) => [r.k, r.v]))).toEqual(expected);
    await writers.close();
  });
});
