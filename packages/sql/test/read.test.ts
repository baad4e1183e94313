import { copyFileSync, readdirSync, symlinkSync, unlinkSync } from 'node:fs';
import * as path from 'node:path';
import { Catalog, type Table } from '@eddy/table';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EddySql } from '../src/index.ts';
import { extractGolden, prng, sorted, tempDir } from './helpers.ts';

// Every merge engine, append tables and a Java-written deletion-vector table, queried in SQL: the
// rows must be exactly what table.scan() reads — merged through Eddy's reader or read by DuckDB
// directly from raw-convertible files.

const COLUMNS = {
  id: 'BIGINT',
  region: 'STRING',
  b: 'BOOLEAN',
  ti: 'TINYINT',
  si: 'SMALLINT',
  i: 'INT',
  f: 'FLOAT',
  d: 'DOUBLE',
  dec: 'DECIMAL(10, 2)',
  big: 'DECIMAL(30, 4)',
  dt: 'DATE',
  ts3: 'TIMESTAMP(3)',
  ts6: 'TIMESTAMP(6)',
  ltz: 'TIMESTAMP_LTZ(6)',
  bin: 'BYTES',
  s: 'STRING',
} as const;

function row(rand: () => number, id: number, round: number): Record<string, unknown> {
  const nul = () => rand() < 0.15;
  const regions = ['eu', 'us', 'ap'];
  return {
    id: BigInt(id),
    region: regions[id % 3],
    b: nul() ? null : rand() < 0.5,
    ti: nul() ? null : Math.floor(rand() * 255) - 128,
    si: nul() ? null : Math.floor(rand() * 65535) - 32768,
    i: nul() ? null : Math.floor(rand() * 2 ** 31) * (rand() < 0.5 ? -1 : 1),
    f: nul() ? null : Math.fround(rand() * 1000 - 500),
    d: id % 11 === 0 ? Number.NaN : nul() ? null : rand() * 1e6 - 5e5,
    dec: nul() ? null : (Math.floor(rand() * 2e8) / 100 - 1e6).toFixed(2),
    big: nul()
      ? null
      : `${Math.floor(rand() * 1e12)}${Math.floor(rand() * 1e12)}.${String(Math.floor(rand() * 1e4)).padStart(4, '0')}`,
    dt: nul()
      ? null
      : new Date(Date.UTC(1970 + Math.floor(rand() * 80), 0, 1 + Math.floor(rand() * 365))).toISOString().slice(0, 10),
    ts3: nul() ? null : new Date(Math.floor(rand() * 2e12)),
    ts6: nul() ? null : BigInt(Math.floor(rand() * 2e15)),
    ltz: nul() ? null : BigInt(Math.floor(rand() * 2e15)),
    bin: nul() ? null : new Uint8Array([id & 255, round, 7]),
    s: nul() ? null : `${'x'.repeat(Math.floor(rand() * 20))}-${id}-${round}-é`,
  };
}

describe('SQL reads equal table.scan()', () => {
  const dir = tempDir();
  let catalog: Catalog;
  let db: EddySql;

  beforeAll(async () => {
    catalog = await Catalog.open(dir.path);
    db = await EddySql.open(catalog);
  });
  afterAll(async () => {
    await db.close();
    dir[Symbol.dispose]();
  });

  async function expectSame(table: Table, where = '', filter?: (r: Record<string, unknown>) => boolean) {
    const got = (await db.query(`SELECT * FROM ${table.name} ${where}`)).rows();
    const want = (await table.toArray()).filter((r) => !filter || filter(r));
    expect(sorted(got)).toEqual(sorted(want));
    return got;
  }

  async function fill(table: Table, rounds: number, keys: number, deletes = true): Promise<void> {
    const rand = prng(table.name.length * 7919 + rounds);
    const w = table.newWriter();
    try {
      for (let r = 0; r < rounds; r++) {
        const rows = [];
        for (let k = 0; k < keys; k++) if (r === 0 || rand() < 0.4) rows.push(row(rand, k, r));
        await w.write(rows);
        if (deletes && r > 0 && table.schema.isPrimaryKeyTable) {
          const gone = [];
          for (let k = r; k < keys; k += 7) gone.push({ id: BigInt(k), region: ['eu', 'us', 'ap'][k % 3] });
          await w.delete(gone);
        }
        await w.commit(r + 1);
      }
    } finally {
      w.close();
    }
  }

  it('deduplicate, partitioned, several sorted runs (merged by Eddy), then compacted (read by DuckDB)', async () => {
    const t = await catalog.createTable('e.dedup', {
      columns: { ...COLUMNS },
      primaryKey: ['id', 'region'],
      partitionKeys: ['region'],
      options: { bucket: 3, 'write-only': 'true' },
    });
    await fill(t, 4, 60);
    const r1 = await db.query(`SELECT * FROM e.dedup`);
    expect(r1.scans[0].mergedFiles).toBeGreaterThan(0);
    await expectSame(t);
    await expectSame(t, `WHERE region = 'eu'`, (r) => r.region === 'eu');
    await expectSame(t, `WHERE id BETWEEN 10 AND 20 AND region IN ('us', 'ap')`, (r) => {
      const id = Number(r.id);
      return id >= 10 && id <= 20 && (r.region === 'us' || r.region === 'ap');
    });
    // DuckDB sorts NaN above every number: a pushed `d > 0` must not lose NaN rows.
    expect((await t.toArray()).some((r) => Number.isNaN(r.d))).toBe(true);
    await expectSame(t, `WHERE d > 0`, (r) => r.d !== null && ((r.d as number) > 0 || Number.isNaN(r.d)));
    await expectSame(t, `WHERE d <> 1.5`, (r) => r.d !== null && r.d !== 1.5);
    await t.compact({ full: true });
    const r2 = await db.query(`SELECT * FROM e.dedup`);
    expect(r2.scans[0].directFiles).toBeGreaterThan(0);
    expect(r2.scans[0].mergedFiles).toBe(0);
    await expectSame(t);
    await expectSame(t, `WHERE d < 0`, (r) => r.d !== null && (r.d as number) < 0);
    await expectSame(t, `WHERE d > 0`, (r) => r.d !== null && ((r.d as number) > 0 || Number.isNaN(r.d)));
    await expectSame(t, `WHERE d <= 0`, (r) => r.d !== null && (r.d as number) <= 0);
    await expectSame(t, `WHERE d <> 1.5`, (r) => r.d !== null && r.d !== 1.5);
    // Projection and an aggregate over both paths agree with the scan.
    const agg = (await db.query(`SELECT count(*) AS n, count(s) AS s, sum(i) AS i FROM e.dedup`)).rows()[0];
    const all = await t.toArray();
    expect(agg.n).toBe(BigInt(all.length));
    expect(agg.s).toBe(BigInt(all.filter((r) => r.s !== null).length));
    expect(agg.i).toBe(all.reduce((s, r) => s + BigInt((r.i as number | null) ?? 0), 0n));
  });

  it('partial-update, aggregation, first-row, sequence.field', async () => {
    const engines: Record<string, Record<string, string>> = {
      partial: { 'merge-engine': 'partial-update', 'partial-update.remove-record-on-delete': 'true' },
      agg: {
        'merge-engine': 'aggregation',
        'fields.i.aggregate-function': 'sum',
        'fields.d.aggregate-function': 'max',
        'fields.d.ignore-retract': 'true',
        'fields.s.aggregate-function': 'listagg',
        'fields.s.ignore-retract': 'true',
        'fields.i.ignore-retract': 'true',
      },
      first: { 'merge-engine': 'first-row', 'ignore-delete': 'true' },
      seq: { 'sequence.field': 'si' },
    };
    for (const [name, options] of Object.entries(engines)) {
      const t = await catalog.createTable(`e.${name}`, {
        columns: { id: 'BIGINT', region: 'STRING', si: 'SMALLINT', i: 'INT', d: 'DOUBLE', s: 'STRING' },
        primaryKey: ['id'],
        options: { bucket: 2, 'write-only': 'true', ...options },
      });
      const rand = prng(name.length);
      const w = t.newWriter();
      for (let r = 0; r < 4; r++) {
        const rows = [];
        for (let k = 0; k < 40; k++)
          if (r === 0 || rand() < 0.5)
            rows.push({
              id: BigInt(k),
              region: 'eu',
              si: rand() < 0.2 ? null : Math.floor(rand() * 100),
              i: rand() < 0.2 ? null : Math.floor(rand() * 100),
              d: rand() < 0.2 ? null : rand(),
              s: rand() < 0.2 ? null : `v${r}`,
            });
        await w.write(rows);
        if (name !== 'agg' && r === 2) await w.delete([{ id: 3n }, { id: 5n }]);
        await w.commit(r + 1);
      }
      w.close();
      // A write-only first-row table's rows are invisible until compacted out of level 0 (as in Java).
      if (name === 'first') {
        expect(await t.toArray()).toEqual([]);
        await t.compact();
        expect((await t.toArray()).length).toBe(40);
      }
      await expectSame(t);
      await expectSame(t, 'WHERE i > 50', (x) => x.i !== null && (x.i as number) > 50);
    }
  });

  it('append tables, partitioned and not', async () => {
    for (const [name, partitionKeys] of [
      ['log', []],
      ['plog', ['region']],
    ] as const) {
      const t = await catalog.createTable(`e.${name}`, { columns: { ...COLUMNS }, partitionKeys: [...partitionKeys] });
      await fill(t, 3, 30);
      const r = await db.query(`SELECT * FROM e.${name}`);
      expect(r.scans[0].directFiles).toBe(r.scans[0].filesRead);
      await expectSame(t);
      await expectSame(t, `WHERE region = 'ap' AND i IS NOT NULL`, (x) => x.region === 'ap' && x.i !== null);
    }
  });

  it('the Java-written deletion-vector table (golden), now and back in time', async () => {
    using g = tempDir();
    const golden = await Catalog.open(extractGolden(g.path));
    await using gdb = await EddySql.open(golden);
    const t = await golden.getTable('default.test_pk_global_index_golden');
    const got = (await gdb.query('SELECT * FROM "default".test_pk_global_index_golden ORDER BY id')).rows();
    expect(got).toEqual(sorted(await t.toArray()).sort((a, b) => (a.id as number) - (b.id as number)));
    expect(got.map((r) => r.id)).toEqual([1, 2, 3, 4, 5, 6]);
    const odd = await gdb.query(
      `SELECT id FROM "default".test_pk_global_index_golden WHERE category = 'odd' ORDER BY id`,
    );
    expect(odd.rows().map((r) => r.id)).toEqual([1, 3, 5]);
    const n4 = await gdb.query(`SELECT id FROM "default".test_pk_global_index_golden WHERE name = 'name-4'`);
    expect(n4.rows()).toEqual([{ id: 4 }]);
    const at = await gdb.query('SELECT id FROM "default".test_pk_global_index_golden AT (VERSION => 4) ORDER BY id');
    expect(at.rows().map((r) => r.id)).toEqual([1, 2, 3, 4]);
    expect(
      (await gdb.query('SELECT count(*) AS n FROM "default".test_pk_global_index_golden AT (VERSION => 1)')).rows(),
    ).toEqual([{ n: 0n }]);
  });

  it('a data file replaced by a symbolic link is refused as Eddy reads it, though DuckDB would follow it', async () => {
    const t = await catalog.createTable('r.linked', {
      columns: { k: 'INT', v: 'STRING' },
      primaryKey: ['k'],
      options: { bucket: 1 },
    });
    await t.upsert([{ k: 1, v: 'a' }]);
    await t.compact({ full: true }); // one sorted run: DuckDB reads it directly
    const bucket = path.join(t.path, 'bucket-0');
    for (const name of readdirSync(bucket).filter((n) => n.endsWith('.parquet'))) {
      const outside = path.join(dir.path, `outside-${name}`);
      copyFileSync(path.join(bucket, name), outside);
      unlinkSync(path.join(bucket, name));
      symlinkSync(outside, path.join(bucket, name));
    }
    await expect(db.query('SELECT * FROM r.linked')).rejects.toMatchObject({
      code: 'CORRUPT_FILE',
      message: expect.stringContaining('symbolic link'),
    });
  });

  it('joins Eddy tables with each other and with files DuckDB reads', async () => {
    using f = tempDir();
    const csv = `${f.path}/names.csv`;
    await db.query(`COPY (SELECT range AS id, 'n' || range AS nick FROM range(0, 40)) TO '${csv}' (HEADER)`);
    const r = await db.query(
      `SELECT a.id, a.region, p.i AS pi, c.nick FROM e.dedup a JOIN e.partial p ON a.id = p.id JOIN read_csv('${csv}') c ON c.id = a.id WHERE a.region = 'eu' ORDER BY a.id`,
    );
    const dedup = await (await catalog.getTable('e.dedup')).toArray();
    const partial = new Map((await (await catalog.getTable('e.partial')).toArray()).map((x) => [x.id, x]));
    const want = sorted(
      dedup
        .filter((x) => x.region === 'eu' && partial.has(x.id) && Number(x.id) < 40)
        .map((x) => ({ id: x.id, region: x.region, pi: partial.get(x.id)?.i ?? null, nick: `n${x.id}` })),
    ).sort((a, b) => Number(a.id) - Number(b.id));
    expect(r.rows()).toEqual(want);
    // A LEFT JOIN's IS NULL on the right side must not be pushed below the join.
    const left = await db.query(
      `SELECT count(*) AS n FROM e.dedup a LEFT JOIN e.partial p ON a.id = p.id AND a.region = p.region WHERE p.id IS NULL`,
    );
    const keys = new Set([...partial.values()].map((x) => `${x.id}/${x.region}`));
    expect(left.rows()[0].n).toBe(BigInt(dedup.filter((x) => !keys.has(`${x.id}/${x.region}`)).length));
  });
});
