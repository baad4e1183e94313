import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDuration, readConfigFile, resolveConfig } from '../src/config.ts';
import { Metrics } from '../src/metrics.ts';
import { inShard, parseShard, stableHash, tableFilter } from '../src/select.ts';

describe('shard filter', () => {
  it('hashes stably (FNV-1a 32)', () => {
    // Reference values of 32-bit FNV-1a.
    expect(stableHash('')).toBe(0x811c9dc5);
    expect(stableHash('a')).toBe(0xe40c292c);
    expect(stableHash('foobar')).toBe(0xbf9cf968);
    expect(stableHash('db.orders')).toBe(stableHash('db.orders'));
  });

  it('gives every key to exactly one of n shards, spread evenly', () => {
    const keys = Array.from({ length: 3000 }, (_, i) => `db${i % 7}.table_${i}`);
    for (const n of [1, 2, 3, 5]) {
      const counts = new Array(n).fill(0);
      for (const k of keys) {
        const owners = Array.from({ length: n }, (_, i) => i).filter((i) => inShard(k, { index: i, count: n }));
        expect(owners).toHaveLength(1);
        counts[owners[0]]++;
      }
      for (const c of counts) expect(c).toBeGreaterThan((keys.length / n) * 0.85);
    }
  });

  it('parses i/n and refuses nonsense', () => {
    expect(parseShard('1/3')).toEqual({ index: 1, count: 3 });
    expect(parseShard(' 0 / 1 ')).toEqual({ index: 0, count: 1 });
    for (const bad of ['3/3', '1/0', '-1/2', 'a/b', '1', '']) expect(() => parseShard(bad), bad).toThrow(/--shard/);
  });
});

describe('table globs', () => {
  const tables = [
    ['db', 'orders'],
    ['db', 'order_items'],
    ['db', 'users'],
    ['sales', 'orders'],
    ['sales_eu', 'orders'],
    ['x', 'a.b'],
  ] as const;
  const pick = (g: string | string[]) => tables.filter(([d, t]) => tableFilter(g)(d, t)).map(([d, t]) => `${d}.${t}`);

  it('matches database and table parts separately', () => {
    expect(pick('db.*')).toEqual(['db.orders', 'db.order_items', 'db.users']);
    expect(pick('*.orders')).toEqual(['db.orders', 'sales.orders', 'sales_eu.orders']);
    expect(pick('db.order*')).toEqual(['db.orders', 'db.order_items']);
    expect(pick('sales*.orders')).toEqual(['sales.orders', 'sales_eu.orders']);
    expect(pick('sales.orders')).toEqual(['sales.orders']);
    expect(pick('db.user?')).toEqual(['db.users']);
    expect(pick('db.[ou]*')).toEqual(['db.orders', 'db.order_items', 'db.users']);
    expect(pick('x.a.b')).toEqual(['x.a.b']);
  });

  it('treats a glob without a dot as databases, lists as unions, ! as exclusions', () => {
    expect(pick('sales')).toEqual(['sales.orders']);
    expect(pick('*.*')).toHaveLength(tables.length);
    expect(pick('*')).toHaveLength(tables.length);
    expect(pick('db.users,sales')).toEqual(['db.users', 'sales.orders']);
    expect(pick(['db.users', 'sales_eu.*'])).toEqual(['db.users', 'sales_eu.orders']);
    expect(pick('db.*,!db.order_items')).toEqual(['db.orders', 'db.users']);
    expect(pick('!db.*')).toEqual(['sales.orders', 'sales_eu.orders', 'x.a.b']);
  });

  it('escapes regex characters in names', () => {
    expect(tableFilter('a+b.c')('a+b', 'c')).toBe(true);
    expect(tableFilter('a+b.c')('aab', 'c')).toBe(false);
    expect(tableFilter('db.t')('db', 'tt')).toBe(false);
  });
});

describe('config', () => {
  it('layers defaults < file < flags/env and converts units', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'eddy-compactor-cfg-'));
    try {
      const yaml = path.join(dir, 'c.yaml');
      writeFileSync(
        yaml,
        'warehouse: /w\ntables: [db.*, other.t]\nconcurrency: 4\ninterval: 2\nshard: 1/2\nexpire-grace: 10s\n',
      );
      const json = path.join(dir, 'c.json');
      writeFileSync(json, JSON.stringify({ warehouse: '/j', intervalMs: 250, port: 0 }));
      const fromYaml = resolveConfig(readConfigFile(yaml));
      expect(fromYaml).toMatchObject({
        warehouse: '/w',
        tables: ['db.*', 'other.t'],
        concurrency: 4,
        intervalMs: 2000,
        shard: { index: 1, count: 2 },
        expireGraceMs: 10_000,
        host: '127.0.0.1',
        port: 9464,
      });
      const layered = resolveConfig(readConfigFile(json), { concurrency: '3', tables: 'a.b,c.*' });
      expect(layered).toMatchObject({
        warehouse: '/j',
        intervalMs: 250,
        port: 0,
        concurrency: 3,
        tables: ['a.b', 'c.*'],
      });
      writeFileSync(path.join(dir, 'bad.json'), JSON.stringify({ warehouse: '/j', bogus: 1 }));
      expect(() => readConfigFile(path.join(dir, 'bad.json'))).toThrow(/unknown setting 'bogus'/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a missing warehouse and bad values', () => {
    expect(() => resolveConfig({})).toThrow(/warehouse is required/);
    expect(() => resolveConfig({ warehouse: '/w', concurrency: '0' })).toThrow(/--concurrency/);
    expect(() => resolveConfig({ warehouse: '/w', intervalMs: 'soon' })).toThrow(/--interval/);
    expect(() => resolveConfig({ warehouse: '/w', port: '70000' })).toThrow(/--port/);
    expect(parseDuration('500ms', 'x')).toBe(500);
    expect(parseDuration('1.5s', 'x')).toBe(1500);
    expect(parseDuration('2m', 'x')).toBe(120_000);
    expect(parseDuration('1d', 'x')).toBe(86_400_000);
    expect(parseDuration('3', 'x')).toBe(3000);
  });
});

describe('metrics', () => {
  it('renders Prometheus text with per-table labels', () => {
    const m = new Metrics();
    m.inc('compactions_total', 1, 'db."t"');
    m.inc('compactions_total', 2, 'db.a');
    m.set('sorted_runs', 7, 'db.a');
    const text = m.render();
    expect(text).toContain('# TYPE eddy_compactor_compactions_total counter');
    expect(text).toContain('eddy_compactor_compactions_total{table="db.a"} 2');
    expect(text).toContain('eddy_compactor_compactions_total{table="db.\\"t\\""} 1');
    expect(text).toContain('# TYPE eddy_compactor_sorted_runs gauge');
    expect(text).toContain('eddy_compactor_sorted_runs{table="db.a"} 7');
    expect(text).toContain('eddy_compactor_queue_depth 0');
    expect(text).toContain('eddy_compactor_commit_conflicts_total');
    expect(text.endsWith('\n')).toBe(true);
  });
});
