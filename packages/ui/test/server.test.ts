/**
 * The server over a real warehouse (node:http, no browser): JSON views, the live feed, the SQL
 * console's read-only refusal and its errors, Host and token refusal, static files.
 */
import { request } from 'node:http';
import { Catalog, type Table } from '@eddy/table';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../table/test/helpers.ts';
import { startUi, type UiServer } from '../src/index.ts';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function http(
  port: number,
  path: string,
  o: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: o.method ?? 'GET',
        headers: { host: `127.0.0.1:${port}`, ...o.headers },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(o.body);
  });
}

const json = async (port: number, path: string) => {
  const r = await http(port, path);
  expect(r.status, r.body).toBe(200);
  return JSON.parse(r.body);
};

const sql = (port: number, text: string) =>
  http(port, '/api/sql', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sql: text }),
  });

describe('eddy ui server', () => {
  const dir = tempDir('eddy-ui-');
  let catalog: Catalog;
  let table: Table;
  let ui: UiServer;

  beforeAll(async () => {
    catalog = await Catalog.open(dir.path);
    table = await catalog.createTable('shop.orders', {
      columns: { region: 'STRING', id: 'INT', amount: 'DECIMAL(10, 2)' },
      primaryKey: ['region', 'id'],
      partitionKeys: ['region'],
      options: { bucket: 1 },
    });
    await table.upsert([1, 2, 3].map((id) => ({ region: 'eu', id, amount: '1.50' })));
    await table.upsert([{ region: 'eu', id: 9, amount: '2.00' }]);
    await table.delete([{ region: 'eu', id: 1 }]);
    await table.createTag('v1', { snapshotId: 2 });
    for await (const _ of table.changes({
      consumerId: 'billing',
      scanMode: 'from-snapshot',
      snapshotId: 1,
      endSnapshotId: 2,
    })) {
      // reading moves the consumer
    }
    ui = await startUi({ warehouse: dir.path, port: 0, pollIntervalMs: 50 });
  });

  afterAll(async () => {
    await ui?.close();
    await catalog?.close();
    dir[Symbol.dispose]();
  });

  it('serves the warehouse: tables, size, latest snapshot, worst sorted runs', async () => {
    const w = await json(ui.port, '/api/warehouse');
    expect(w.readOnly).toBe(true);
    const [t] = w.databases[0].tables;
    expect(t).toMatchObject({ name: 'shop.orders', records: 5, files: 3, buckets: 1, worstSortedRuns: 3 });
    expect(t.latestSnapshot).toMatchObject({ id: 3, kind: 'APPEND' });
    expect(t.sizeBytes).toBeGreaterThan(0);
  });

  it('serves a table: schema, options, partitions; its timeline, LSM shape, files with key ranges, refs', async () => {
    const t = await json(ui.port, '/api/tables/shop.orders');
    expect(t.fields.map((f: { name: string }) => f.name)).toEqual(['region', 'id', 'amount']);
    expect(t.options).toEqual({ bucket: '1' });
    expect(t.schemas).toHaveLength(1);
    expect(t.partitions).toEqual([
      expect.objectContaining({ partition: 'region=eu', values: { region: 'eu' }, files: 3, rows: 5, buckets: 1 }),
    ]);

    const tl = await json(ui.port, '/api/tables/shop.orders/timeline');
    expect(
      tl.commits.map((c: { id: number; addedRows: number; retractions: number }) => [c.id, c.addedRows, c.retractions]),
    ).toEqual([
      [1, 3, 0],
      [2, 1, 0],
      [3, 1, 1],
    ]);

    const lsm = await json(ui.port, '/api/tables/shop.orders/lsm?snapshot=2');
    expect(lsm.snapshot.id).toBe(2);
    expect(lsm.buckets).toHaveLength(1);
    expect(lsm.buckets[0]).toMatchObject({ partition: 'region=eu', bucket: 0, sortedRuns: 2 });
    expect(lsm.buckets[0].files.map((f: { level: number }) => f.level)).toEqual([0, 0]);

    const files = await json(ui.port, '/api/tables/shop.orders/files');
    const ranges = files.files.map((f: { minKey: unknown; maxKey: unknown }) => [f.minKey, f.maxKey]);
    expect(ranges).toEqual(
      expect.arrayContaining([
        [{ id: 1 }, { id: 3 }],
        [{ id: 9 }, { id: 9 }],
        [{ id: 1 }, { id: 1 }],
      ]),
    );

    const refs = await json(ui.port, '/api/tables/shop.orders/refs');
    expect(refs.tags).toEqual([expect.objectContaining({ name: 'v1', snapshotId: 2 })]);
    expect(refs.consumers).toEqual([expect.objectContaining({ id: 'billing', nextSnapshot: 3, behind: 1 })]);
  });

  it('answers errors as JSON with a status: unknown table 404, bad parameter 400', async () => {
    const missing = await http(ui.port, '/api/tables/shop.nope');
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body).error.code).toBe('NOT_FOUND');
    expect((await http(ui.port, '/api/tables/shop.orders/lsm?snapshot=x')).status).toBe(400);
    expect((await http(ui.port, '/api/nothing')).status).toBe(404);
  });

  it('SQL: a query returns rows; a write is refused while read-only and changes nothing; errors are shown', async () => {
    const q = await sql(ui.port, 'SELECT id, amount FROM shop.orders ORDER BY id');
    expect(q.status, q.body).toBe(200);
    expect(JSON.parse(q.body).rows).toEqual([
      { id: 2, amount: '1.50' },
      { id: 3, amount: '1.50' },
      { id: 9, amount: '2.00' },
    ]);
    // An empty result still names its columns (the page shows the headers).
    const none = await sql(ui.port, 'SELECT id, amount FROM shop.orders WHERE id < 0');
    expect(JSON.parse(none.body)).toMatchObject({ rows: [], columns: [{ name: 'id' }, { name: 'amount' }] });
    const del = await sql(ui.port, 'DELETE FROM shop.orders');
    expect(del.status).toBe(403);
    expect(JSON.parse(del.body).error).toMatchObject({ code: 'READ_ONLY' });
    expect(await table.count()).toBe(3);
    const typo = await sql(ui.port, 'SELEC 1');
    expect(typo.status).toBe(400);
    expect(JSON.parse(typo.body).error.message).toMatch(/syntax error/);
    const outside = await sql(ui.port, "SELECT * FROM read_csv('/etc/passwd')");
    expect(outside.status).toBe(400);
    expect(JSON.parse(outside.body).error.message).toMatch(/Permission Error/);
    const bad = await sql(ui.port, 'SELECT nope FROM shop.orders');
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).error.message).toMatch(/nope/);
  });

  it('the live feed sends a commit made after the page connected', async () => {
    const events: { table: string; commit: { id: number; kind: string } }[] = [];
    let ready!: () => void;
    const isReady = new Promise<void>((r) => {
      ready = r;
    });
    let seen!: () => void;
    const gotIt = new Promise<void>((r) => {
      seen = r;
    });
    const req = request(
      { host: '127.0.0.1', port: ui.port, path: '/api/feed', headers: { host: `127.0.0.1:${ui.port}` } },
      (res) => {
        expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          buf += c;
          let i = buf.indexOf('\n\n');
          while (i >= 0) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            const type = /^event: (.*)$/m.exec(block)?.[1];
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (type === 'ready') ready();
            if (type === 'commit' && data) {
              const e = JSON.parse(data);
              if (!e.backlog) {
                events.push(e);
                seen();
              }
            }
            i = buf.indexOf('\n\n');
          }
        });
      },
    );
    req.end();
    await isReady;
    const other = await Catalog.open(dir.path);
    await (await other.getTable('shop.orders')).upsert([{ region: 'us', id: 5, amount: '3.00' }]);
    await other.close();
    await gotIt;
    req.destroy();
    expect(events[0]).toMatchObject({ table: 'shop.orders', commit: { id: 4, kind: 'APPEND', addedRows: 1 } });
  });

  it('refuses other Host headers; serves the pages and uPlot; nothing outside static/', async () => {
    const evil = await http(ui.port, '/api/warehouse', { headers: { host: `evil.example:${ui.port}` } });
    expect(evil.status).toBe(403);
    const page = await http(ui.port, '/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.headers['content-security-policy']).toMatch(/default-src 'self'/);
    expect((await http(ui.port, '/vendor/uPlot.esm.js')).status).toBe(200);
    expect((await http(ui.port, '/static/pages/sql.js')).status).toBe(200);
    expect((await http(ui.port, '/static/../package.json')).status).toBe(404);
    expect((await http(ui.port, '/static/%2e%2e/src/server.ts')).status).toBe(404);
    expect((await http(ui.port, '/static/..%2fpackage.json')).status).toBe(404);
    expect((await http(ui.port, '/api/sql', { method: 'PUT' })).status).toBe(403);
  });

  it('--allow-writes: a write commits through Eddy', async () => {
    const rw = await startUi({ warehouse: dir.path, port: 0, allowWrites: true });
    try {
      const r = await sql(rw.port, 'DELETE FROM shop.orders WHERE id = 9');
      expect(r.status, r.body).toBe(200);
      expect(JSON.parse(r.body).statement).toMatchObject({ kind: 'DELETE' });
      await table.refresh();
      expect((await table.toArray()).map((row) => row.id).sort()).toEqual([2, 3, 5]);
    } finally {
      await rw.close();
    }
  });

  it('an append table and a table without snapshots have every view', async () => {
    const events = await catalog.createTable('logs.events', { columns: { at: 'BIGINT', msg: 'STRING' } });
    await events.upsert([{ at: 1n, msg: 'a' }]);
    await catalog.createTable('logs.empty', { columns: { id: 'INT' }, primaryKey: ['id'] });
    const w = await json(ui.port, '/api/warehouse');
    const logs = w.databases.find((d: { name: string }) => d.name === 'logs');
    expect(logs.tables).toEqual([
      expect.objectContaining({ name: 'logs.empty', latestSnapshot: null, files: 0, worstSortedRuns: 0 }),
      expect.objectContaining({ name: 'logs.events', primaryKey: [], files: 1, records: 1 }),
    ]);
    for (const name of ['logs.events', 'logs.empty'])
      for (const part of ['', '/timeline', '/lsm', '/files', '/refs'])
        await json(ui.port, `/api/tables/${name}${part}`);
    expect((await json(ui.port, '/api/tables/logs.events/files')).files[0]).toMatchObject({ minKey: null, rows: 1 });
    expect(await json(ui.port, '/api/tables/logs.empty/lsm')).toMatchObject({ snapshot: null, buckets: [] });
  });

  it('--host beyond loopback needs a token; with one, requests without it are refused', async () => {
    await expect(startUi({ warehouse: dir.path, port: 0, host: '0.0.0.0' })).rejects.toMatchObject({
      code: 'INVALID_OPTION',
    });
    await expect(startUi({ warehouse: dir.path, port: 0, token: 'short' })).rejects.toMatchObject({
      code: 'INVALID_OPTION',
    });
    await expect(startUi({ warehouse: dir.path, port: ui.port })).rejects.toMatchObject({
      code: 'INVALID_OPTION',
      message: expect.stringMatching(/EADDRINUSE.*--port/),
    });
    const token = 'abcdefghijklmnop0123';
    const t = await startUi({ warehouse: dir.path, port: 0, token });
    try {
      expect(t.url).toContain(`?token=${token}`);
      expect((await http(t.port, '/api/warehouse')).status).toBe(401);
      const ok = await http(t.port, '/api/warehouse', {
        headers: { authorization: `Bearer ${token}`, host: 'box.lan' },
      });
      expect(ok.status).toBe(200);
      const link = await http(t.port, `/?token=${token}`);
      expect(link.status).toBe(303);
      expect(link.headers.location).toBe('/');
      expect(String(link.headers['set-cookie'])).toMatch(
        /eddy_ui_token=abcdefghijklmnop0123; HttpOnly; SameSite=Strict/,
      );
    } finally {
      await t.close();
    }
  });
});
