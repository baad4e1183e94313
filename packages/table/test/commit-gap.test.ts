/**
 * A commit whose attempt outlasts the retention: between its look-up of the latest snapshot (N − 1)
 * and its publish, other writers commit N, N + 1, N + 2 and an expiry deletes all but the last.
 * `snapshot-N` no longer exists, so creating it succeeds — a snapshot in a gap, behind the latest,
 * which readers and the next committers would go back to, losing every commit since. The committer
 * finds the snapshot it built on gone, sees a later snapshot that does not hold its files, retracts
 * its own and commits again on the latest.
 */
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Catalog } from '../src/index.ts';
import { ForwardingFileIO, tempDir } from './helpers.ts';

/** Runs `beforeFirstPublish` once, just before the first snapshot this process creates. */
class StallingFileIO extends ForwardingFileIO {
  beforeFirstPublish: (() => Promise<void>) | undefined;
  readonly published: string[] = [];
  override async writeIfAbsent(p: string, d: Uint8Array | string) {
    if (path.basename(p).startsWith('snapshot-') && this.beforeFirstPublish) {
      const run = this.beforeFirstPublish;
      this.beforeFirstPublish = undefined;
      await run();
    }
    const ok = await this.inner.writeIfAbsent(p, d);
    if (ok) this.published.push(path.basename(p));
    return ok;
  }
}

describe('a commit that lands in a gap an expiry left', () => {
  for (const coalesce of [false, true]) {
    it(`is retracted and committed again on the latest, losing nothing${coalesce ? ' (coalesced writer)' : ''}`, async () => {
      using d = tempDir();
      const others = await (await Catalog.open(d.path)).createTable('db.t', {
        columns: { k: 'INT', v: 'STRING' },
        primaryKey: ['k'],
        options: { bucket: 1, 'write-only': 'true', ...(coalesce ? { 'eddy.commit.coalesce-ms': '5' } : {}) },
      });
      await others.upsert([{ k: 0, v: 'first' }]); // snapshot 1
      const io = new StallingFileIO();
      const mine = await (await Catalog.open(d.path, { fileIO: io })).getTable('db.t');
      const w = mine.newWriter({ commitUser: 'slow' });
      await w.write([{ k: 1, v: 'mine' }]);
      io.beforeFirstPublish = async () => {
        // The attempt read snapshot 1 and is about to create snapshot 2: meanwhile 2, 3 and 4
        // land and an expiry keeps only the latest.
        for (let k = 2; k <= 4; k++) await others.upsert([{ k, v: `other-${k}` }]);
        const expired = await others.expireSnapshots({ retainMin: 1, retainMax: 1, timeRetainedMs: 0 });
        expect(expired.expired).toEqual([1, 2, 3]);
      };
      const r = await w.commit(7);
      w.close();
      // It did create snapshot-2 (in the gap), then retracted it and landed on the latest.
      expect(io.published).toEqual(['snapshot-2', 'snapshot-5']);
      expect(r.published).toBe(true);
      expect(r.snapshot?.id).toBe(5);

      const fresh = await (await Catalog.open(d.path)).getTable('db.t');
      expect((await fresh.listSnapshots()).map((s) => s.id)).toEqual([4, 5]);
      expect((await fresh.latestSnapshot())?.id).toBe(5);
      const rows = (await fresh.toArray()).map((x) => [Number(x.k), String(x.v)]).sort((a, b) => +a[0] - +b[0]);
      expect(rows).toEqual([
        [0, 'first'],
        [1, 'mine'],
        [2, 'other-2'],
        [3, 'other-3'],
        [4, 'other-4'],
      ]);
      // Exactly-once: the checkpoint is known committed (at snapshot 5), replaying it is a no-op.
      expect(await fresh.lastCommittedIdentifier('slow')).toBe(7n);
      const again = mine.newWriter({ commitUser: 'slow' });
      await again.write([{ k: 1, v: 'replayed' }]);
      expect((await again.commit(7)).published).toBe(false);
      again.close();
      // The next commit builds on 5, not on the retracted 2.
      const next = await others.upsert([{ k: 9, v: 'next' }]);
      expect(next.snapshot?.id).toBe(6);
      expect(await fresh.count()).toBe(6);
    });
  }

  it('an overwrite that empties the table (it adds no file) is found in the gap by the files it deleted', async () => {
    using d = tempDir();
    const others = await (await Catalog.open(d.path)).createTable('db.t', {
      columns: { k: 'INT', v: 'STRING' },
      primaryKey: ['k'],
      options: { bucket: 1, 'write-only': 'true' },
    });
    await others.upsert([{ k: 0, v: 'first' }]); // snapshot 1
    const io = new StallingFileIO();
    const mine = await (await Catalog.open(d.path, { fileIO: io })).getTable('db.t');
    io.beforeFirstPublish = async () => {
      for (let k = 2; k <= 4; k++) await others.upsert([{ k, v: `other-${k}` }]);
      await others.expireSnapshots({ retainMin: 1, retainMax: 1, timeRetainedMs: 0 });
    };
    const r = await mine.overwrite([]);
    expect(io.published).toEqual(['snapshot-2', 'snapshot-5']);
    expect(r.snapshot?.id).toBe(5);
    const fresh = await (await Catalog.open(d.path)).getTable('db.t');
    expect((await fresh.listSnapshots()).map((s) => s.id)).toEqual([4, 5]);
    // Ordered after every commit that landed before it: it empties all of them.
    expect(await fresh.toArray()).toEqual([]);
    expect((await others.upsert([{ k: 9, v: 'next' }])).snapshot?.id).toBe(6);
  });
});
