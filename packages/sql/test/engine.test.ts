import { truncateSync } from 'node:fs';
import { Catalog, type FileIO, LocalFileIO } from '@eddy/table';
import { inspect } from '@eddy/table/inspect';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EddySql } from '../src/index.ts';
import { sorted, tempDir } from './helpers.ts';

// The engine's lifecycle: streams stopped early or aborted, statements while a stream is open,
// storage DuckDB cannot read itself, damaged files reported as Eddy reports them.

describe('EddySql engine', () => {
  const dir = tempDir();
  let catalog: Catalog;
  let db: EddySql;

  beforeAll(async () => {
    catalog = await Catalog.open(dir.path);
    db = await EddySql.open(catalog);
    const t = await catalog.createTable('s.big', {
      columns: { id: 'BIGINT', v: 'STRING' },
      primaryKey: ['id'],
      options: { bucket: 2, 'write-only': 'true' },
    });
    for (let r = 0; r < 3; r++)
      await t.upsert(Array.from({ length: 30_000 }, (_, i) => ({ id: BigInt(i * (r + 1)), v: `row-${i}-round-${r}` })));
  });
  afterAll(async () => {
    await db.close();
    dir[Symbol.dispose]();
  });

  it('a stream left early stops its scan; statements run while a stream is open', async () => {
    let seen = 0;
    for await (const b of db.stream('SELECT * FROM s.big')) {
      seen += b.numRows;
      // The caller's session is busy with this stream: this runs on a session of its own.
      const inner = await db.query('SELECT count(*) AS n FROM s.big WHERE id < 10');
      expect(inner.rows()[0].n).toBe(10n);
      break;
    }
    expect(seen).toBeGreaterThan(0);
    const n = (await db.query('SELECT count(*) AS n FROM s.big')).rows()[0].n;
    expect(n).toBe(BigInt((await (await catalog.getTable('s.big')).toArray()).length));
  });

  it('streamRows of an empty result yields its columns once, with no rows', async () => {
    const got: { columns: { name: string }[]; rows: unknown[] }[] = [];
    for await (const b of db.streamRows('SELECT id, v FROM s.big WHERE id < 0')) got.push(b);
    expect(got).toHaveLength(1);
    expect(got[0].columns.map((c) => c.name)).toEqual(['id', 'v']);
    expect(got[0].rows).toEqual([]);
    let batches = 0;
    for await (const b of db.streamRows('SELECT id FROM s.big WHERE id < 5')) {
      batches++;
      expect(b.rows.length).toBeGreaterThan(0);
    }
    expect(batches).toBeGreaterThan(0);
  });

  it('an AbortSignal stops a query and rejects with its reason; the next query runs', async () => {
    const ac = new AbortController();
    const q = db.query('SELECT count(*) FROM s.big a, s.big b WHERE a.v < b.v', { signal: ac.signal });
    setTimeout(() => ac.abort(new Error('stop')), 30);
    await expect(q).rejects.toThrow('stop');
    await expect(db.query('SELECT 1', { signal: AbortSignal.abort(new Error('already')) })).rejects.toThrow('already');
    expect((await db.query('SELECT 2 AS x')).rows()).toEqual([{ x: 2 }]);
  });

  it('an abort while Eddy plans the scans, before DuckDB started the query, still stops it', async () => {
    const ac = new AbortController();
    const q = db.query('SELECT count(*) FROM s.big a, s.big b WHERE a.v < b.v', { signal: ac.signal });
    // A microtask later: the statement is being planned, no DuckDB query exists to interrupt yet.
    void Promise.resolve().then(() => ac.abort(new Error('early')));
    await expect(q).rejects.toThrow('early');
    expect((await db.query('SELECT 3 AS x')).rows()).toEqual([{ x: 3 }]);
  });

  it("reads through Eddy's reader when DuckDB cannot read the storage itself", async () => {
    using d = tempDir();
    const inner = new LocalFileIO();
    // Any FileIO that is not the local one (here: one delegating to it): DuckDB must not bypass it.
    const io = {} as Record<string, unknown>;
    for (const k of Object.getOwnPropertyNames(LocalFileIO.prototype)) {
      const f = (inner as unknown as Record<string, unknown>)[k];
      if (k !== 'constructor' && typeof f === 'function') io[k] = (...a: unknown[]) => f.apply(inner, a);
    }
    const c = await Catalog.open(d.path, { fileIO: io as unknown as FileIO });
    const t = await c.createTable('x.t', {
      columns: { id: 'INT', s: 'STRING' },
      primaryKey: ['id'],
      options: { bucket: 1 },
    });
    await t.upsert([
      { id: 1, s: 'a' },
      { id: 2, s: 'b' },
    ]);
    await t.compact({ full: true });
    await using sql = await EddySql.open(c);
    const r = await sql.query('SELECT * FROM x.t');
    expect(r.scans[0]).toMatchObject({ directFiles: 0, mergedFiles: 1 });
    expect(sorted(r.rows())).toEqual(sorted(await t.toArray()));
  });

  it('a damaged data file is CORRUPT_FILE, whoever reads it', async () => {
    using d = tempDir();
    const c = await Catalog.open(d.path);
    await using sql = await EddySql.open(c);
    for (const compacted of [false, true]) {
      const name = `x.broken${compacted ? 'c' : ''}`;
      const t = await c.createTable(name, {
        columns: { id: 'INT', s: 'STRING' },
        primaryKey: ['id'],
        options: { bucket: 1, 'write-only': 'true' },
      });
      await t.upsert([{ id: 1, s: 'a' }]);
      await t.upsert([{ id: 1, s: 'b' }]);
      if (compacted) await t.compact({ full: true });
      const plan = await inspect(t).plan();
      const split = plan.splits[0];
      const file = split.files[split.files.length - 1];
      truncateSync(inspect(t).dataFilePath({ partition: split.partitionBytes, bucket: split.bucket, file }), 20);
      const r = await sql.query(`SELECT * FROM ${name}`).catch((e: unknown) => e);
      expect(r, name).toMatchObject({ code: 'CORRUPT_FILE' });
      expect(String((r as Error).message)).toContain('.parquet');
    }
  });
});
