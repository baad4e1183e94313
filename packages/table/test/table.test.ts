import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { and, Catalog, EddyError, eq, ge, gt, isIn, isNull, lt, or } from '../src/index.ts';
import { tempDir } from './helpers.ts';

const ORDERS = {
  columns: { id: 'BIGINT', name: 'STRING', amount: 'DECIMAL(10, 2)', dt: 'DATE', ts: 'TIMESTAMP(6)', flag: 'BOOLEAN' },
  primaryKey: ['id'],
  options: { bucket: 4 },
};

describe('catalog', () => {
  it('creates, lists and drops databases and tables', async () => {
    using d = tempDir();
    const c = await Catalog.open(d.path);
    await c.createTable('db1.t1', ORDERS);
    await c.createTable('db1.t2', { columns: { a: 'INT' } });
    expect(await c.listDatabases()).toEqual(['db1']);
    expect(await c.listTables('db1')).toEqual(['t1', 't2']);
    await expect(c.createTable('db1.t1', ORDERS)).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
    await c.dropTable('db1.t2');
    expect(await c.listTables('db1')).toEqual(['t1']);
    await expect(c.getTable('db1.t2')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(c.dropDatabase('db1')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await c.dropDatabase('db1', { cascade: true });
    expect(await c.listDatabases()).toEqual([]);
  });

  it('refuses names that could escape the warehouse', async () => {
    using d = tempDir();
    const c = await Catalog.open(d.path);
    for (const bad of ['../x.t', 'db./etc', 'db.a/b', 'db.\u0000x', 'db...', '/abs.t', 'db.', '.hidden.t', 'db.x\\y']) {
      await expect(c.createTable(bad, ORDERS), bad).rejects.toMatchObject({ code: 'INVALID_NAME' });
    }
    expect(readdirSync(d.path)).toEqual([]);
  });

  it('writes schema-0 as Paimon version-3 JSON with field ids and NOT NULL keys', async () => {
    using d = tempDir();
    const c = await Catalog.open(d.path);
    await c.createTable('db.orders', ORDERS);
    const json = JSON.parse(readFileSync(path.join(d.path, 'db.db/orders/schema/schema-0'), 'utf8'));
    expect(json.version).toBe(3);
    expect(json.fields[0]).toEqual({ id: 0, name: 'id', type: 'BIGINT NOT NULL' });
    expect(json.fields[2]).toEqual({ id: 2, name: 'amount', type: 'DECIMAL(10, 2)' });
    expect(json.highestFieldId).toBe(5);
    expect(json.primaryKeys).toEqual(['id']);
    expect(json.options).toEqual({ bucket: '4' });
  });

  it('rejects unsupported types and bad options at creation, naming them', async () => {
    using d = tempDir();
    const c = await Catalog.open(d.path);
    await expect(c.createTable('db.a', { columns: { a: 'ARRAY<INT>' } })).rejects.toThrow(/unsupported type ARRAY/);
    await expect(c.createTable('db.b', { columns: { a: 'MAP<INT, INT>' } })).rejects.toMatchObject({
      code: 'UNSUPPORTED',
    });
    await expect(
      c.createTable('db.c', { columns: { a: 'INT' }, primaryKey: ['a'], options: { bucket: 'four' } }),
    ).rejects.toThrow(/option 'bucket'/);
    await expect(c.createTable('db.d', { columns: { a: 'INT' }, primaryKey: ['b'] })).rejects.toThrow(/'b'/);
    await expect(
      c.createTable('db.e', { columns: { a: 'INT' }, options: { 'merge-engine': 'nope' } }),
    ).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    await expect(
      c.createTable('db.f', {
        columns: { a: 'INT' },
        options: { 'deletion-vectors.enabled': true },
      }),
    ).rejects.toThrow(/deletion-vectors.enabled.*append table/);
    expect(readdirSync(d.path)).toEqual([]); // nothing was written, not even the database
  });
});

describe('primary-key table', () => {
  it('upserts, deletes and scans with the documented value mapping', async () => {
    using d = tempDir();
    const t = await (await Catalog.open(d.path)).createTable('db.orders', ORDERS);
    await t.upsert([
      { id: 1n, name: 'a', amount: '1.50', dt: '2024-01-01', ts: 1_700_000_000_000_001n, flag: true },
      { id: 2n, name: 'b', amount: 2, dt: '1969-12-31', ts: -1n, flag: false },
      { id: 3n, name: null, amount: null, dt: null, ts: null, flag: null },
    ]);
    await t.upsert({ id: 2n, name: 'b2', amount: '2.25', dt: '2024-02-29', ts: 5n, flag: true });
    await t.delete({ id: 3n });
    const rows = (await t.toArray()).sort((a, b) => Number(a.id) - Number(b.id));
    expect(rows).toEqual([
      { id: 1n, name: 'a', amount: '1.50', dt: '2024-01-01', ts: 1_700_000_000_000_001n, flag: true },
      { id: 2n, name: 'b2', amount: '2.25', dt: '2024-02-29', ts: 5n, flag: true },
    ]);
    const snaps = await t.listSnapshots();
    expect(snaps.map((s) => s.id)).toEqual([1, 2, 3]);
    expect(snaps.map((s) => s.commitKind)).toEqual(['APPEND', 'APPEND', 'APPEND']);
    // time travel
    expect((await t.toArray({ snapshotId: 1 })).length).toBe(3);
    expect((await t.toArray({ asOf: snaps[1].timeMillis })).length).toBe(3);
    await expect(t.toArray({ snapshotId: 9 })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('puts INT key 1 in bucket 2 of 4, like Paimon', async () => {
    using d = tempDir();
    const t = await (await Catalog.open(d.path)).createTable('db.b', {
      columns: { k: 'INT', v: 'STRING' },
      primaryKey: ['k'],
      options: { bucket: 4 },
    });
    await t.upsert({ k: 1, v: 'x' });
    expect(readdirSync(path.join(d.path, 'db.db/b')).filter((f) => f.startsWith('bucket-'))).toEqual(['bucket-2']);
    const plan = await t.plan();
    expect(plan.splits.map((s) => s.bucket)).toEqual([2]);
  });

  it('validates rows before writing anything and names the column and row', async () => {
    using d = tempDir();
    const t = await (await Catalog.open(d.path)).createTable('db.orders', ORDERS);
    const cases: [unknown, RegExp][] = [
      [{ id: 1n, name: 5 }, /row 0, column 'name'/],
      [{ id: null, name: 'x' }, /column 'id'/],
      [{ name: 'x' }, /column 'id'/],
      [{ id: 1n, nope: 1 }, /unknown column 'nope'/],
      [{ id: 1n, amount: '123456789.123' }, /column 'amount'/],
      [{ id: 1n, dt: 'yesterday' }, /column 'dt'/],
    ];
    for (const [row, msg] of cases) {
      const err = await t.upsert([{ id: 9n }, row as Record<string, unknown>]).catch((e) => e);
      expect(
        err,
        JSON.stringify(row, (_k, v) => (typeof v === 'bigint' ? String(v) : v)),
      ).toBeInstanceOf(EddyError);
      expect(err.code).toBe('INVALID_ROW');
      expect(err.message).toMatch(msg.source.startsWith('row') ? /row 1, column/ : msg);
    }
    expect(await t.latestSnapshot()).toBeUndefined();
    expect(await t.toArray()).toEqual([]);
  });

  it('prunes files by key stats and partitions by value', async () => {
    using d = tempDir();
    const t = await (await Catalog.open(d.path)).createTable('db.p', {
      columns: { dt: 'STRING', k: 'INT', v: 'DOUBLE' },
      primaryKey: ['dt', 'k'],
      partitionKeys: ['dt'],
      options: { bucket: 1 },
    });
    await t.upsert(Array.from({ length: 100 }, (_, i) => ({ dt: 'a', k: i, v: i / 2 })));
    await t.upsert(Array.from({ length: 100 }, (_, i) => ({ dt: 'b', k: i + 1000, v: i })));
    await t.upsert(Array.from({ length: 10 }, (_, i) => ({ dt: 'b', k: i + 5000, v: i })));
    const plan = await t.plan({ where: eq('dt', 'a') });
    expect(plan.splits.length).toBe(1);
    const byKey = await t.plan({ where: gt('k', 2000) });
    expect(byKey.splits.flatMap((s) => s.files).length).toBe(1);
    expect(byKey.skippedFiles).toBe(2);
    expect(
      (await t.toArray({ where: and(eq('dt', 'b'), ge('k', 1095)) }))
        .map((r) => r.k)
        .sort((a, b) => Number(a) - Number(b)),
    ).toEqual([1095, 1096, 1097, 1098, 1099, 5000, 5001, 5002, 5003, 5004, 5005, 5006, 5007, 5008, 5009]);
    expect((await t.toArray({ where: or(lt('k', 2), isIn('k', [5009])) })).length).toBe(3);
    expect((await t.toArray({ where: isNull('v') })).length).toBe(0);
    expect(await t.toArray({ select: ['k'], where: eq('k', 7) })).toEqual([{ k: 7 }]);
    expect((await t.toArray({ limit: 5 })).length).toBe(5);
  });

  it('keeps the latest value per key across files, and sequence.field orders updates', async () => {
    using d = tempDir();
    const c = await Catalog.open(d.path);
    const t = await c.createTable('db.s', {
      columns: { k: 'INT', v: 'INT', ver: 'BIGINT' },
      primaryKey: ['k'],
      options: { 'sequence.field': 'ver' },
    });
    await t.upsert([{ k: 1, v: 10, ver: 5n }]);
    await t.upsert([{ k: 1, v: 20, ver: 3n }]); // older version arrives later: ignored
    await t.upsert([
      { k: 1, v: 30, ver: 7n },
      { k: 1, v: 31, ver: 6n },
    ]);
    expect(await t.toArray()).toEqual([{ k: 1, v: 30, ver: 7n }]);
  });

  it('commits exactly once per (commitUser, commitIdentifier)', async () => {
    using d = tempDir();
    const t = await (await Catalog.open(d.path)).createTable('db.x', {
      columns: { k: 'INT', v: 'INT' },
      primaryKey: ['k'],
    });
    const w1 = t.newWriter({ commitUser: 'job-1' });
    await w1.write([{ k: 1, v: 1 }]);
    const r1 = await w1.commit(1);
    expect(r1.published).toBe(true);
    // A restarted writer replays checkpoint 1: it must not land twice.
    const w2 = t.newWriter({ commitUser: 'job-1' });
    await w2.write([
      { k: 1, v: 1 },
      { k: 2, v: 2 },
    ]);
    const r2 = await w2.commit(1);
    expect(r2.published).toBe(false);
    expect(r2.snapshot?.id).toBe(1);
    await w2.write([{ k: 3, v: 3 }]);
    expect((await w2.commit(2)).snapshot?.id).toBe(2);
    expect((await t.listSnapshots()).length).toBe(2);
  });

  it('prunes buckets for key equality', async () => {
    using d = tempDir();
    const t = await (await Catalog.open(d.path)).createTable('db.b', {
      columns: { a: 'INT', b: 'STRING', v: 'INT' },
      primaryKey: ['a', 'b'],
      options: { bucket: 4 },
    });
    await t.upsert(Array.from({ length: 200 }, (_, i) => ({ a: i % 20, b: `k${i}`, v: i })));
    expect((await t.plan()).splits.length).toBe(4);
    const one = await t.plan({ where: and(eq('a', 7), eq('b', 'k27'), gt('v', 0)) });
    expect(one.splits.length).toBe(1);
    expect(await t.toArray({ where: and(eq('a', 7), eq('b', 'k27')) })).toEqual([{ a: 7, b: 'k27', v: 27 }]);
    // Only part of the bucket key: no bucket pruning (the answer is still right).
    expect((await t.toArray({ where: eq('a', 7) })).length).toBe(10);
    expect((await t.plan({ where: or(eq('a', 7), eq('b', 'k1')) })).splits.length).toBeGreaterThan(1);
  });

  it('two writers committing at once both land', async () => {
    using d = tempDir();
    const c = await Catalog.open(d.path);
    const t = await c.createTable('db.x', {
      columns: { k: 'INT', v: 'INT' },
      primaryKey: ['k'],
      options: { bucket: 2 },
    });
    const t2 = await c.getTable('db.x');
    await Promise.all([
      ...Array.from({ length: 5 }, (_, i) => t.upsert([{ k: i, v: i }])),
      ...Array.from({ length: 5 }, (_, i) => t2.upsert([{ k: 100 + i, v: i }])),
    ]);
    // Ten APPEND snapshots; writers may add COMPACT snapshots in between (5 runs trigger one).
    expect((await t.listSnapshots()).filter((s) => s.commitKind === 'APPEND').length).toBe(10);
    expect((await t.toArray()).length).toBe(10);
  });

  it('leaves no half-made snapshot: a corrupt snapshot is reported with its path', async () => {
    using d = tempDir();
    const t = await (await Catalog.open(d.path)).createTable('db.x', { columns: { k: 'INT' }, primaryKey: ['k'] });
    await t.upsert({ k: 1 });
    const snapPath = path.join(d.path, 'db.db/x/snapshot/snapshot-1');
    writeFileSync(snapPath, '{"version": 3, "id": 1');
    const t2 = await (await Catalog.open(d.path)).getTable('db.x');
    const err = await t2.toArray().catch((e) => e);
    expect(err).toMatchObject({ code: 'CORRUPT_FILE' });
    expect(err.message).toContain('snapshot-1');
  });
});

describe('append table', () => {
  it('appends rows in bucket-0 and keeps duplicates', async () => {
    using d = tempDir();
    const t = await (await Catalog.open(d.path)).createTable('db.log', { columns: { msg: 'STRING', n: 'INT' } });
    await t.upsert([
      { msg: 'a', n: 1 },
      { msg: 'a', n: 1 },
    ]);
    await t.upsert([{ msg: 'b', n: 2 }]);
    expect(await t.toArray()).toEqual([
      { msg: 'a', n: 1 },
      { msg: 'a', n: 1 },
      { msg: 'b', n: 2 },
    ]);
    expect(readdirSync(path.join(d.path, 'db.db/log'))).toContain('bucket-0');
    await expect(t.delete({ msg: 'a' })).rejects.toMatchObject({ code: 'UNSUPPORTED' });
  });
});
