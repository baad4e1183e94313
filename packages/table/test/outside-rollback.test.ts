/**
 * A table rolled back by another process (Eddy's CLI, or Flink's `CALL sys.rollback_to`) while this
 * process keeps table objects open: snapshot ids after the rollback's target are reused by new
 * commits, so snapshots this process cached by id must not be served again.
 */
import { describe, expect, it } from 'vitest';
import { Catalog } from '../src/index.ts';
import { tempDir } from './helpers.ts';

describe('a rollback by another process', () => {
  it('is noticed at the next look-up of the latest snapshot: no table object of this process serves a snapshot it cached before', async () => {
    using dir = tempDir();
    const here = await Catalog.open(dir.path);
    const t = await here.createTable('d.t', {
      columns: { id: 'INT', v: 'STRING' },
      primaryKey: ['id'],
      options: { bucket: 1 },
    });
    for (let k = 1; k <= 4; k++) await t.upsert({ id: k, v: 'old' });
    // A second table object of this process reads snapshot 3 (cached by id).
    const t2 = await here.getTable('d.t');
    expect(await t2.count({ snapshotId: 3 })).toBe(3);

    // Elsewhere: roll back to 2, then a new commit reuses id 3.
    const there = await (await Catalog.open(dir.path)).getTable('d.t');
    await there.rollbackTo({ snapshotId: 2 });
    await there.upsert({ id: 9, v: 'new' });

    const rows = (await t.toArray()).sort((a, b) => a.id - b.id);
    expect(rows).toEqual([
      { id: 1, v: 'old' },
      { id: 2, v: 'old' },
      { id: 9, v: 'new' },
    ]);
    expect((await t2.toArray({ snapshotId: 3 })).map((r) => r.id).sort()).toEqual([1, 2, 9]);
    // A commit from this process builds on the new snapshot 3, not on the one it wrote before.
    const r = await t.upsert({ id: 10, v: 'here' });
    expect(r.snapshot?.id).toBe(4);
    expect((await there.toArray()).map((row) => Number(row.id)).sort((a, b) => a - b)).toEqual([1, 2, 9, 10]);
  });
});
