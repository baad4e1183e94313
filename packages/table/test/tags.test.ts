/**
 * Tags and rollback in the SDK (Paimon's TagManager, TagTimeExpire, RollbackHelper semantics),
 * changesBetween's argument checks and tag diff, and the refusals of writes Paimon does differently
 * (postpone buckets, automatic tags).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseJsonWithLongs } from '../src/format/json-long.ts';
import { Catalog, EddyError, type Table } from '../src/index.ts';
import { TableSchema } from '../src/schema/table-schema.ts';
import { tempDir } from './helpers.ts';

const SCHEMA = { columns: { k: 'INT', v: 'STRING' }, primaryKey: ['k'], options: { bucket: 1 } };

const byKey = (rows: Record<string, unknown>[]) => [...rows].sort((a, b) => Number(a.k) - Number(b.k));

async function table(dir: string, options: Record<string, string | number> = {}): Promise<Table> {
  return (await Catalog.open(dir)).createTable('db.t', { ...SCHEMA, options: { ...SCHEMA.options, ...options } });
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

const code = async (p: Promise<unknown> | (() => unknown)) => {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    return e instanceof EddyError ? e.code : String(e);
  }
  return 'no error';
};

describe('tags', () => {
  it('creates, lists, reads and deletes tags; a tag keeps working after its snapshot expired', async () => {
    using d = tempDir();
    const t = await table(d.path);
    await t.upsert([{ k: 1, v: 'a' }]);
    await t.upsert([{ k: 2, v: 'b' }]);
    const tag = await t.createTag('two', { snapshotId: 2 });
    expect(tag).toMatchObject({ name: 'two', snapshotId: 2 });
    expect(tag.createTime).toBeUndefined(); // no retention: plain snapshot JSON, as Java writes it
    const file = readFileSync(path.join(t.path, 'tag', 'tag-two'), 'utf8');
    expect(file).not.toContain('tagCreateTime');
    expect(await code(t.createTag('two'))).toBe('ALREADY_EXISTS');
    expect(await code(t.createTag('123'))).toBe('INVALID_NAME');
    expect(await code(t.createTag('a/b'))).toBe('INVALID_NAME');
    expect(await code(t.createTag(' '))).toBe('INVALID_NAME');
    // Paimon's automatic tags look like this: any one-segment name works.
    expect((await t.createTag('2024-01-01 10', { snapshotId: 1 })).snapshotId).toBe(1);
    expect(await t.toArray({ tag: '2024-01-01 10' })).toEqual([{ k: 1, v: 'a' }]);
    await t.deleteTag('2024-01-01 10');
    expect(await code(t.createTag('x', { snapshotId: 9 }))).toBe('NOT_FOUND');

    await t.upsert([
      { k: 1, v: 'a2' },
      { k: 3, v: 'c' },
    ]);
    await t.upsert([{ k: 4, v: 'd' }]);
    await t.createTag('latest');
    expect((await t.listTags()).map((x) => [x.name, x.snapshotId])).toEqual([
      ['two', 2],
      ['latest', 4],
    ]);
    const atTwo = [
      { k: 1, v: 'a' },
      { k: 2, v: 'b' },
    ];
    expect(byKey(await t.toArray({ tag: 'two' }))).toEqual(atTwo);

    // Expire snapshots 1..3: the tag's snapshot file is gone, the tag file still reads.
    const r = await t.expireSnapshots({ retainMin: 1, timeRetainedMs: 0 });
    expect(r.expired).toEqual([1, 2, 3]);
    expect(existsSync(t.snapshots.snapshotPath(2))).toBe(false);
    expect(byKey(await t.toArray({ tag: 'two' }))).toEqual(atTwo);
    expect(await code(t.toArray({ snapshotId: 2 }))).toBe('NOT_FOUND');
    expect(await code(t.toArray({ tag: 'two', snapshotId: 4 }))).toBe('INVALID_ARGUMENT');
    expect(await code(t.toArray({ tag: 'nope' }))).toBe('NOT_FOUND');

    // An expired snapshot can still be tagged from its tag (Java's findSnapshot).
    expect((await t.createTag('two-again', { snapshotId: 2 })).snapshotId).toBe(2);
    // Deleting one of two tags of an expired snapshot deletes no files; the last one cleans up.
    expect((await t.deleteTag('two-again')).deletedFiles).toEqual([]);
    const del = await t.deleteTag('two');
    expect(del.deletedFiles.length).toBeGreaterThan(0);
    for (const f of del.deletedFiles) expect(existsSync(f), f).toBe(false);
    // Everything still referenced reads as before.
    expect(byKey(await t.toArray())).toEqual(byKey(await t.toArray({ tag: 'latest' })));
    expect(byKey(await t.toArray())).toEqual([
      { k: 1, v: 'a2' },
      { k: 2, v: 'b' },
      { k: 3, v: 'c' },
      { k: 4, v: 'd' },
    ]);
    expect(await code(t.deleteTag('two'))).toBe('NOT_FOUND');
  });

  it('writes tagCreateTime and tagTimeRetained like Java, and expiry deletes tags past their retention', async () => {
    using d = tempDir();
    const t = await table(d.path, { 'tag.default-time-retained': '1 h' });
    await t.upsert([{ k: 1, v: 'a' }]);
    const now = Date.UTC(2026, 0, 1, 12, 0, 0);
    const a = await t.createTag('a', { now });
    const b = await t.createTag('b', { now, timeRetainedMs: 10 * 3_600_000 });
    const c = await t.createTag('c', { now, timeRetainedMs: 0 });
    expect(a.timeRetainedMs).toBe(3_600_000); // tag.default-time-retained
    expect(a.createTime?.getTime()).toBe(now);
    const json = parseJsonWithLongs(readFileSync(path.join(t.path, 'tag', 'tag-b'), 'utf8')) as Record<string, unknown>;
    expect(Array.isArray(json.tagCreateTime)).toBe(true);
    expect(readFileSync(path.join(t.path, 'tag', 'tag-b'), 'utf8')).toContain('"tagTimeRetained": 36000.000000000');
    expect(b.timeRetainedMs).toBe(36_000_000);
    expect(c.timeRetainedMs).toBe(0);
    await t.createTag('forever', { snapshotId: 1 });
    // expireSnapshots runs the tag expiry too (tag.time-expire-enabled), as Paimon's commit does.
    const r1 = await t.expireSnapshots({ now: now + 30 * 60_000 });
    expect(r1.expiredTags).toEqual(['c']);
    expect(await t.expireTags({ now: now + 2 * 3_600_000 })).toEqual(['a']);
    expect((await t.listTags()).map((x) => x.name).sort()).toEqual(['b', 'forever']);
    // older_than also expires tags without a retention (by their file time).
    expect((await t.expireTags({ now, olderThan: Date.now() + 60_000 })).sort()).toEqual(['b', 'forever']);
  });

  it('tag time expiry can be turned off (tag.time-expire-enabled = false)', async () => {
    using d = tempDir();
    const t = await table(d.path, { 'tag.time-expire-enabled': 'false' });
    await t.upsert([{ k: 1, v: 'a' }]);
    await t.createTag('a', { timeRetainedMs: 0, now: 0 });
    expect((await t.expireSnapshots()).expiredTags).toEqual([]);
    expect((await t.listTags()).length).toBe(1);
  });
});

describe('rollback', () => {
  it('rolls back to a snapshot: later snapshots and tags go, consumers rewind', async () => {
    using d = tempDir();
    const t = await table(d.path);
    for (let i = 1; i <= 5; i++) await t.upsert([{ k: i, v: `v${i}` }]);
    await t.createTag('at4', { snapshotId: 4 });
    await t.createTag('at2', { snapshotId: 2 });
    const latest = (await t.snapshots.latestSnapshotId())!; // 5, or 6 after a writer compaction
    mkdirSync(path.join(t.path, 'consumer'));
    writeFileSync(path.join(t.path, 'consumer', 'consumer-c'), JSON.stringify({ nextSnapshot: latest + 1 }));
    const before = byKey(await t.toArray({ snapshotId: 3 }));
    const r = await t.rollbackTo({ snapshotId: 3 });
    expect(r).toMatchObject({
      snapshotId: 3,
      removedSnapshots: Array.from({ length: latest - 3 }, (_, i) => i + 4),
      removedTags: ['at4'],
      resetConsumers: ['c'],
    });
    expect(await t.snapshots.latestSnapshotId()).toBe(3);
    expect(byKey(await t.toArray())).toEqual(before);
    expect(JSON.parse(readFileSync(path.join(t.path, 'consumer', 'consumer-c'), 'utf8'))).toEqual({ nextSnapshot: 4 });
    // New commits continue from 4.
    expect((await t.upsert([{ k: 9, v: 'x' }])).snapshot?.id).toBe(4);
    expect(await code(t.rollbackTo({ snapshotId: 99 }))).toBe('NOT_FOUND');
  });

  it('rolls back to a tag whose snapshot expired, writing it back', async () => {
    using d = tempDir();
    const t = await table(d.path);
    for (let i = 1; i <= 4; i++) await t.upsert([{ k: i, v: `v${i}` }]);
    await t.createTag('two', { snapshotId: 2 });
    const atTwo = byKey(await t.toArray({ snapshotId: 2 }));
    await t.expireSnapshots({ retainMin: 1, timeRetainedMs: 0 });
    expect(await t.snapshots.earliestSnapshotId()).toBe(4);
    const r = await t.rollbackTo({ tag: 'two' });
    expect(r).toMatchObject({ snapshotId: 2, restoredFromTag: 'two', removedSnapshots: [4] });
    expect(await t.snapshots.earliestSnapshotId()).toBe(2);
    expect(await t.snapshots.latestSnapshotId()).toBe(2);
    expect(byKey(await t.toArray())).toEqual(atTwo);
    // The restored snapshot file holds no tag fields.
    expect(readFileSync(t.snapshots.snapshotPath(2), 'utf8')).not.toContain('tagCreateTime');
    // Rolling back by the snapshot id of an expired tagged snapshot works the same way (Java).
    await t.upsert([{ k: 7, v: 'z' }]);
    expect((await t.rollbackTo({ snapshotId: 2 })).removedSnapshots).toEqual([3]);
  });
});

describe('changesBetween', () => {
  it('fails at once for an end beyond the latest snapshot, a reversed range or mixed arguments', async () => {
    using d = tempDir();
    const t = await table(d.path);
    await t.upsert([{ k: 1, v: 'a' }]);
    await t.upsert([{ k: 2, v: 'b' }]);
    const quick = (p: Promise<string>) =>
      Promise.race([p, new Promise<string>((r) => setTimeout(() => r('hung'), 5000))]);
    expect(await quick(code(collect(t.changesBetween(1, 5))))).toBe('INVALID_ARGUMENT');
    expect(await quick(code(collect(t.changesBetween(2, 1))))).toBe('INVALID_ARGUMENT');
    expect(await quick(code(collect(t.changesBetween(0, 'x'))))).toBe('INVALID_ARGUMENT');
    expect(await collect(t.changesBetween(2, 2))).toEqual([]);
    const ev = await collect(t.changesBetween(0, 2));
    expect(ev.map((e) => [e.snapshotId, e.kind, e.row.k, e.schemaId])).toEqual([
      [1, '+I', 1, 0],
      [2, '+I', 2, 0],
    ]);
  });

  it('between two tags: the difference of their states (Paimon incremental diff)', async () => {
    using d = tempDir();
    const t = await table(d.path, { 'num-sorted-run.compaction-trigger': 2 });
    await t.upsert([
      { k: 1, v: 'a' },
      { k: 2, v: 'b' },
      { k: 3, v: 'c' },
    ]);
    await t.createTag('start');
    await t.upsert([{ k: 1, v: 'a2' }]);
    await t.delete([{ k: 2 }]);
    await t.upsert([
      { k: 4, v: 'd' },
      { k: 3, v: 'c' }, // same value again: no change
    ]);
    await t.compact({ full: true });
    await t.createTag('end');
    const ev = await collect(t.changesBetween('start', 'end'));
    expect(ev.map((e) => [e.kind, e.row])).toEqual([
      ['+I', { k: 1, v: 'a2' }],
      ['-D', { k: 2, v: 'b' }],
      ['+I', { k: 4, v: 'd' }],
    ]);
    expect(await code(collect(t.changesBetween('end', 'start')))).toBe('INVALID_ARGUMENT');
    expect(await collect(t.changesBetween('end', 'end'))).toEqual([]);
    expect((await collect(t.changesBetween('start', 'end', { select: ['v'] }))).map((e) => e.row)).toEqual([
      { v: 'a2' },
      { v: 'b' },
      { v: 'd' },
    ]);
  });
});

describe('writes Paimon does differently are refused by name', () => {
  async function withOptions(dir: string, options: Record<string, string>): Promise<Table> {
    const catalog = await Catalog.open(dir);
    const t = await catalog.createTable('db.t', SCHEMA);
    await t.upsert([{ k: 1, v: 'a' }]);
    // What ALTER TABLE SET (or Flink's CREATE TABLE) leaves: a newer schema with the option.
    const s = t.schema;
    const next = new TableSchema(
      1,
      s.fields,
      s.highestFieldId,
      s.partitionKeys,
      s.primaryKeys,
      {
        ...s.rawOptions,
        ...options,
      },
      s.comment,
      s.timeMillis,
    );
    expect(await t.schemas.tryCreate(next)).toBe(true);
    return catalog.getTable('db.t');
  }

  it("postpone-bucket tables ('bucket' = -2): reads work, writes and compaction fail with UNSUPPORTED", async () => {
    using d = tempDir();
    const t = await withOptions(d.path, { bucket: '-2' });
    expect(await t.toArray()).toEqual([{ k: 1, v: 'a' }]); // rows in real buckets are read
    for (const op of [
      () => t.upsert([{ k: 2, v: 'b' }]),
      () => t.delete([{ k: 1 }]),
      () => t.compact({ full: true }),
    ]) {
      const e = await op().catch((x) => x);
      expect(e).toBeInstanceOf(EddyError);
      expect(e.code).toBe('UNSUPPORTED');
      expect(e.message).toMatch(/'bucket' = -2/);
    }
    expect(await t.snapshots.latestSnapshotId()).toBe(1);
  });

  it("tables with 'tag.automatic-creation': writes fail with UNSUPPORTED naming it", async () => {
    using d = tempDir();
    const t = await withOptions(d.path, { 'tag.automatic-creation': 'process-time', 'tag.num-retained-max': '3' });
    const e = await t.upsert([{ k: 2, v: 'b' }]).catch((x) => x);
    expect(e.code).toBe('UNSUPPORTED');
    expect(e.message).toMatch(/tag\.automatic-creation/);
  });
});
