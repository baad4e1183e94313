/**
 * Writers expire snapshots after their commits when the table sets
 * `snapshot.expire.execution-mode` (Paimon's commit maintenance), so a stream of small commits
 * keeps snapshots and files bounded without a separate job.
 */
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Catalog } from '../src/index.ts';
import { tempDir } from './helpers.ts';

const snapshotFiles = (tableDir: string) =>
  readdirSync(path.join(tableDir, 'snapshot')).filter((f) => /^snapshot-\d+$/.test(f)).length;

async function stream(wh: string, options: Record<string, string>, commits: number) {
  const c = await Catalog.open(wh);
  const t = await c.createTable('d.t', {
    columns: { id: 'BIGINT', v: 'INT' },
    primaryKey: ['id'],
    options: { bucket: '1', 'snapshot.num-retained.min': '2', 'snapshot.num-retained.max': '4', ...options },
  });
  const w = t.newWriter({ commitUser: 'w' });
  const counts: number[] = [];
  for (let k = 1; k <= commits; k++) {
    await w.write([
      { id: BigInt(k % 7), v: k },
      { id: BigInt(100 + k), v: k },
    ]);
    await w.commit(k);
    counts.push(snapshotFiles(t.path));
  }
  w.close();
  return { t, counts };
}

describe('expiry after commit', () => {
  it('sync: snapshots never exceed snapshot.num-retained.max, nothing is left unreferenced, rows are intact', async () => {
    using dir = tempDir();
    const { t, counts } = await stream(dir.path, { 'snapshot.expire.execution-mode': 'sync' }, 16);
    expect(Math.max(...counts)).toBeLessThanOrEqual(4);
    const snaps = await t.listSnapshots();
    expect(snaps.at(-1)!.id).toBeGreaterThanOrEqual(16);
    const orphans = await t.removeOrphanFiles({ olderThanMs: 0, dryRun: true });
    expect(orphans.orphans).toEqual([]);
    expect(await t.count()).toBe(7 + 16);
    const rows = await t.toArray();
    expect(rows.find((r) => r.id === 3n)?.v).toBe(16 - ((16 - 3) % 7));
  });

  it('with write-only, or without the option, writers leave expiry to the compactor', async () => {
    using a = tempDir();
    const writeOnly = await stream(a.path, { 'snapshot.expire.execution-mode': 'sync', 'write-only': 'true' }, 8);
    expect(writeOnly.counts.at(-1)).toBe(8);
    using b = tempDir();
    const unset = await stream(b.path, {}, 8);
    expect(unset.counts.at(-1)).toBeGreaterThanOrEqual(8); // and the writer's own compactions
  });

  it('an invalid mode is INVALID_OPTION', async () => {
    using dir = tempDir();
    const c = await Catalog.open(dir.path);
    await expect(
      c.createTable('d.t', {
        columns: { id: 'BIGINT' },
        primaryKey: ['id'],
        options: { 'snapshot.expire.execution-mode': 'sometimes' },
      }),
    ).rejects.toMatchObject({ code: 'INVALID_OPTION' });
  });
});
