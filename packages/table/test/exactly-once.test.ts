/**
 * Issue 16 §4: exactly-once that survives snapshot expiry. A writer that restarts and replays its
 * last checkpoint must be a no-op even after every snapshot of its commitUser expired, and
 * `lastCommittedIdentifier` tells a pipeline where to resume.
 */
import { readdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Catalog, type Table } from '../src/index.ts';
import { tempDir } from './helpers.ts';

async function kv(dir: string, options: Record<string, string> = {}): Promise<Table> {
  return (await Catalog.open(dir)).createTable('db.t', {
    columns: { k: 'INT', v: 'STRING' },
    primaryKey: ['k'],
    options: { bucket: 1, 'write-only': 'true', ...options },
  });
}

const rows = async (t: Table) => (await t.toArray()).map((r) => `${r.k}=${r.v}`).sort();

/** Commits checkpoint `ck` of user U: k=1 set to `v`. */
async function checkpoint(t: Table, ck: number, v: string) {
  const w = t.newWriter({ commitUser: 'U' });
  try {
    await w.write({ k: 1, v });
    return await w.commit(ck);
  } finally {
    w.close();
  }
}

describe('exactly-once beyond snapshot expiry', () => {
  it('replaying checkpoint 5 after all of its snapshots expired is a no-op, and the API says 5', async () => {
    using d = tempDir();
    const t = await kv(d.path);
    expect(await t.lastCommittedIdentifier('U')).toBeUndefined();
    expect((await checkpoint(t, 5, 'old')).published).toBe(true);
    // Others commit; k=1 gets a newer value.
    for (let i = 0; i < 4; i++) await t.upsert({ k: 1, v: `new${i}` });
    const expiry = await t.expireSnapshots({ retainMin: 1, timeRetainedMs: 0 });
    expect(expiry.expired).toContain(1); // U's only snapshot is gone
    expect((await t.listSnapshots()).some((s) => s.commitUser === 'U')).toBe(false);

    expect(await t.lastCommittedIdentifier('U')).toBe(5n);
    const replay = await checkpoint(t, 5, 'old');
    expect(replay.published).toBe(false);
    expect(replay.snapshot?.id).toBe((await t.latestSnapshot())!.id);
    expect(await rows(t)).toEqual(['1=new3']);
    // The next checkpoint commits as usual; an older one is a no-op too.
    expect((await checkpoint(t, 4, 'older')).published).toBe(false);
    expect((await checkpoint(t, 6, 'six')).published).toBe(true);
    expect(await t.lastCommittedIdentifier('U')).toBe(6n);
    const w = t.newWriter({ commitUser: 'U' });
    expect(await w.lastCommittedIdentifier()).toBe(6n);
    w.close();
    expect(await rows(t)).toEqual(['1=six']);
  });

  it('also when the snapshots were expired by another engine (the commit recorded the checkpoint)', async () => {
    using d = tempDir();
    const t = await kv(d.path);
    await checkpoint(t, 5, 'old');
    await t.upsert({ k: 1, v: 'new' });
    // As Java's expiry does it: snapshot-1 and the hint go, nothing of Eddy's runs.
    rmSync(path.join(t.path, 'snapshot', 'snapshot-1'));
    rmSync(path.join(t.path, 'snapshot', 'EARLIEST'), { force: true });
    expect(await t.lastCommittedIdentifier('U')).toBe(5n);
    expect((await checkpoint(t, 5, 'old')).published).toBe(false);
    expect(await rows(t)).toEqual(['1=new']);
  });

  it('the record is a small file in commit-user/, kept for eddy.commit-user.time-retained after the last commit', async () => {
    using d = tempDir();
    const t = await kv(d.path, { 'eddy.commit-user.time-retained': '1 h' });
    await checkpoint(t, 5, 'old');
    expect(readdirSync(path.join(t.path, 'commit-user'))).toEqual(['user-U']);
    await t.upsert({ k: 2, v: 'x' });
    const now = Date.now();
    let r = await t.expireSnapshots({ retainMin: 1, timeRetainedMs: 0, now });
    expect(r.expiredCommitUsers).toEqual([]);
    expect(await t.lastCommittedIdentifier('U')).toBe(5n);
    r = await t.expireSnapshots({ retainMin: 1, timeRetainedMs: 0, now: now + 3_600_001 });
    expect(r.expiredCommitUsers).toEqual(['U']);
    expect(await t.lastCommittedIdentifier('U')).toBeUndefined();
    // The folder is not an orphan.
    await checkpoint(t, 6, 'six');
    await t.removeOrphanFiles({ olderThanMs: 0 });
    expect(readdirSync(path.join(t.path, 'commit-user'))).toEqual(['user-U']);
  });

  it('users whose names are not plain file names get a hashed file name; batch commits record nothing', async () => {
    using d = tempDir();
    const t = await kv(d.path);
    const w = t.newWriter({ commitUser: 'job/../ä x' });
    await w.write({ k: 1, v: 'a' });
    await w.commit(7);
    w.close();
    await t.upsert({ k: 3, v: 'batch' });
    const files = readdirSync(path.join(t.path, 'commit-user'));
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^user-~[0-9a-f]{64}$/);
    await t.expireSnapshots({ retainMin: 1, timeRetainedMs: 0 });
    expect(await t.lastCommittedIdentifier('job/../ä x')).toBe(7n);
  });

  it('a rollback past a checkpoint forgets it, so replaying it commits again', async () => {
    using d = tempDir();
    const t = await kv(d.path);
    await checkpoint(t, 1, 'one');
    await checkpoint(t, 2, 'two');
    await checkpoint(t, 3, 'three');
    await t.rollbackTo({ snapshotId: 1 });
    expect(await t.lastCommittedIdentifier('U')).toBe(1n);
    expect((await checkpoint(t, 2, 'two again')).published).toBe(true);
    expect(await rows(t)).toEqual(['1=two again']);
  });
});
