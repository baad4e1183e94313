/** Who may talk to the server (guard.ts) and what the read-only console lets through (sql-policy.ts). */
import { describe, expect, it } from 'vitest';
import { checkRequest } from '../src/guard.ts';
import { readOnlyViolation } from '../src/sql-policy.ts';

const url = (s = '/') => new URL(s, 'http://x.invalid');
const loopback = { port: 7431 };
const TOKEN = 'a-secret-of-sixteen+';

describe('checkRequest', () => {
  it('loopback: answers only to the loopback names with the port', () => {
    for (const host of ['127.0.0.1:7431', 'localhost:7431', '[::1]:7431'])
      expect(checkRequest('GET', url(), { host }, loopback)).toEqual({ ok: true });
    for (const host of ['evil.example:7431', '127.0.0.1:80', '127.0.0.1', 'localhost.evil.example:7431', ''])
      expect(checkRequest('GET', url(), { host }, loopback)).toMatchObject({ ok: false, status: 403 });
    expect(checkRequest('GET', url(), {}, loopback)).toMatchObject({ ok: false, status: 403 });
  });

  it('token: required in a header, a cookie or the URL, whatever the Host', () => {
    const access = { port: 7431, token: TOKEN };
    const host = 'box.lan:7431';
    expect(checkRequest('GET', url(), { host }, access)).toMatchObject({ ok: false, status: 401 });
    expect(checkRequest('GET', url(), { host, authorization: 'Bearer wrong' }, access)).toMatchObject({ status: 401 });
    expect(checkRequest('GET', url(`/?token=${TOKEN}x`), { host }, access)).toMatchObject({ status: 401 });
    expect(checkRequest('GET', url(), { host, authorization: `Bearer ${TOKEN}` }, access)).toEqual({ ok: true });
    expect(checkRequest('GET', url(), { host, cookie: `a=b; eddy_ui_token=${TOKEN}` }, access)).toEqual({ ok: true });
    expect(checkRequest('GET', url(`/?token=${encodeURIComponent(TOKEN)}`), { host }, access)).toEqual({
      ok: true,
      fromQuery: true,
    });
  });

  it("POST: JSON only, and only from the page's own origin", () => {
    const host = '127.0.0.1:7431';
    expect(checkRequest('POST', url('/api/sql'), { host }, loopback)).toMatchObject({ status: 403 });
    expect(
      checkRequest('POST', url('/api/sql'), { host, 'content-type': 'application/x-www-form-urlencoded' }, loopback),
    ).toMatchObject({ status: 403 });
    const json = { host, 'content-type': 'application/json' };
    expect(checkRequest('POST', url('/api/sql'), json, loopback)).toEqual({ ok: true });
    expect(checkRequest('POST', url('/api/sql'), { ...json, origin: 'http://127.0.0.1:7431' }, loopback)).toEqual({
      ok: true,
    });
    expect(checkRequest('POST', url('/api/sql'), { ...json, origin: 'http://evil.example' }, loopback)).toMatchObject({
      status: 403,
    });
  });
});

describe('readOnlyViolation', () => {
  it('lets queries through', () => {
    for (const q of [
      'SELECT 1',
      "select * from shop.orders where status = 'DELETE' and note = 'drop table x'",
      'WITH a AS (SELECT 1 AS x) SELECT * FROM a',
      '(SELECT 1) UNION ALL (SELECT 2)',
      'FROM shop.orders LIMIT 3',
      'EXPLAIN SELECT 1',
      'DESCRIBE shop.orders',
      'SHOW TABLES',
      'SELECT "update" FROM t',
      'SELECT 1; SELECT 2;',
    ])
      expect(readOnlyViolation(q), q).toBeUndefined();
  });

  it('refuses writes, DDL, file and setting changes anywhere in a script', () => {
    for (const q of [
      'DELETE FROM shop.orders',
      "INSERT INTO shop.orders VALUES ('eu', 1)",
      "UPDATE shop.orders SET status = 'x'",
      'WITH a AS (SELECT 1) INSERT INTO t SELECT * FROM a',
      'SELECT 1; DROP TABLE shop.orders',
      'CREATE TABLE db.t (id INT)',
      "COPY (SELECT 1) TO '/tmp/x.csv'",
      "ATTACH '/tmp/x.duckdb'",
      'SET threads = 1',
      'PRAGMA version',
      'INSTALL httpfs',
      'TRUNCATE shop.orders',
      'MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE',
      'SELEC 1',
    ])
      expect(readOnlyViolation(q), q).toBeDefined();
  });
});
