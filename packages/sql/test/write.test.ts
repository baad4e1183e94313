import { writeFileSync } from 'node:fs';
import { Catalog } from '@eddy/table';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EddySql } from '../src/index.ts';
import { sorted, tempDir } from './helpers.ts';

// Writes through SQL against an in-memory model: every statement is one commit through Eddy's
// writers; a failing statement leaves the table as it was.

type Kv = { id: number; grp: string; v: bigint; note: string | null };

const RUNS = Number(process.env.EDDY_SQL_RUNS ?? 6);

describe('SQL writes', () => {
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

  const latest = async (name: string) => (await (await catalog.getTable(name)).latestSnapshot())?.id;

  // The statements, each with what it means to the model.
  type Step = { sql: string; apply: (m: Map<number, Kv>, pk: boolean, log: Kv[]) => void };
  const sqlString = (s: string | null) => (s === null ? 'NULL' : `'${s}'`);
  const stepArb = (table: string): fc.Arbitrary<Step> =>
    fc.oneof(
      fc
        .array(
          fc.record({
            id: fc.integer({ min: 0, max: 12 }),
            v: fc.bigInt({ min: -50n, max: 50n }),
            note: fc.option(fc.constantFrom('a', 'b', "it's")),
          }),
          { minLength: 1, maxLength: 5 },
        )
        .map((rows) => ({
          sql: `INSERT INTO ${table} VALUES ${rows.map((r) => `(${r.id}, 'g${r.id % 3}', ${r.v}, ${sqlString(r.note?.replace("'", "''") ?? null)})`).join(', ')}`,
          apply: (m: Map<number, Kv>, pk: boolean, log: Kv[]) => {
            for (const r of rows) {
              const row = { id: r.id, grp: `g${r.id % 3}`, v: r.v, note: r.note ?? null };
              if (pk) m.set(r.id, row);
              else log.push(row);
            }
          },
        })),
      fc
        .record({
          mod: fc.integer({ min: 1, max: 4 }),
          rem: fc.integer({ min: 0, max: 3 }),
          by: fc.bigInt({ min: -5n, max: 5n }),
        })
        .map(({ mod, rem, by }) => ({
          sql: `UPDATE ${table} SET v = v + ${by}, note = 'u' WHERE id % ${mod} = ${rem % mod}`,
          apply: (m: Map<number, Kv>, _pk: boolean, log: Kv[]) => {
            for (const r of [...m.values(), ...log])
              if (r.id % mod === rem % mod) Object.assign(r, { v: r.v + by, note: 'u' });
          },
        })),
      fc.bigInt({ min: -40n, max: 40n }).map((x) => ({
        sql: `DELETE FROM ${table} WHERE v < ${x}`,
        apply: (m: Map<number, Kv>, _pk: boolean, log: Kv[]) => {
          for (const [k, r] of m) if (r.v < x) m.delete(k);
          for (let i = log.length - 1; i >= 0; i--) if (log[i].v < x) log.splice(i, 1);
        },
      })),
      fc
        .array(fc.record({ id: fc.integer({ min: 0, max: 15 }), v: fc.bigInt({ min: -20n, max: 20n }) }), {
          minLength: 1,
          maxLength: 4,
        })
        .map((src) => {
          const uniq = [...new Map(src.map((s) => [s.id, s])).values()];
          return {
            sql: `MERGE INTO ${table} AS t USING (VALUES ${uniq.map((s) => `(${s.id}, ${s.v})`).join(', ')}) AS s(id, v) ON t.id = s.id WHEN MATCHED AND s.v < 0 THEN DELETE WHEN MATCHED THEN UPDATE SET v = s.v WHEN NOT MATCHED THEN INSERT VALUES (s.id, 'm', s.v, NULL)`,
            apply: (m: Map<number, Kv>, pk: boolean, log: Kv[]) => {
              for (const s of uniq) {
                const hits = pk ? (m.has(s.id) ? [m.get(s.id) as Kv] : []) : log.filter((r) => r.id === s.id);
                if (hits.length === 0) {
                  const row = { id: s.id, grp: 'm', v: s.v, note: null };
                  if (pk) m.set(s.id, row);
                  else log.push(row);
                } else if (s.v < 0) {
                  if (pk) m.delete(s.id);
                  else for (let i = log.length - 1; i >= 0; i--) if (log[i].id === s.id) log.splice(i, 1);
                } else for (const h of hits) h.v = s.v;
              }
            },
          };
        }),
    );

  for (const pk of [true, false]) {
    it(`statement sequences on ${pk ? 'a primary-key' : 'an append'} table match the model`, async () => {
      let n = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(stepArb(`w.t${pk ? 'pk' : 'log'}`), { minLength: 1, maxLength: 5 }),
          async (steps) => {
            const name = `w.t${pk ? 'pk' : 'log'}`;
            await db.query(`DROP TABLE IF EXISTS ${name}`);
            await db.query(
              `CREATE TABLE ${name} (id INT NOT NULL, grp STRING, v BIGINT, note STRING${pk ? ', PRIMARY KEY (id) NOT ENFORCED' : ''}) WITH ('bucket' = '${pk ? 2 : -1}'${n++ % 2 ? ", 'write-only' = 'true'" : ''})`,
            );
            const model = new Map<number, Kv>();
            const log: Kv[] = [];
            for (const step of steps) {
              const before = await latest(name);
              const r = await db.query(step.sql);
              step.apply(model, pk, log);
              const want = sorted(pk ? [...model.values()] : log).map((x) => ({ ...x }));
              expect(sorted((await db.query(`SELECT * FROM ${name}`)).rows())).toEqual(want);
              expect(sorted(await (await catalog.getTable(name)).toArray())).toEqual(want);
              // One commit per statement that changed something (plus the writer's own compaction).
              const after = await latest(name);
              if (r.statement?.snapshotId !== undefined) expect(r.statement.snapshotId).toBeGreaterThan(before ?? 0);
              else expect(after).toBe(before);
            }
          },
        ),
        { numRuns: RUNS, endOnFailure: true },
      );
    });
  }

  it('INSERT forms: column list, BY NAME, from CSV and Parquet files, OVERWRITE a partition, CREATE TABLE AS', async () => {
    await db.query(
      `CREATE TABLE w.p (id BIGINT, day DATE, v DOUBLE, PRIMARY KEY (id, day) NOT ENFORCED) PARTITIONED BY (day) WITH ('bucket' = '1')`,
    );
    await db.query(`INSERT INTO w.p (day, id) VALUES ('2026-01-01', 1), ('2026-01-02', 2)`);
    await db.query(`INSERT INTO w.p BY NAME SELECT 3 AS id, 0.5 AS v, DATE '2026-01-01' AS day`);
    using f = tempDir();
    writeFileSync(`${f.path}/in.csv`, 'id,day,v\n4,2026-01-02,1.5\n5,2026-01-02,2.5\n');
    await db.query(`INSERT INTO w.p SELECT * FROM read_csv('${f.path}/in.csv')`);
    await db.query(`COPY (SELECT 6 AS id, DATE '2026-01-03' AS day, 6.5 AS v) TO '${f.path}/in.parquet'`);
    await db.query(`INSERT INTO w.p SELECT id, day, v FROM read_parquet('${f.path}/in.parquet')`);
    const t = await catalog.getTable('w.p');
    expect(sorted(await t.toArray()).map((r) => [r.id, r.day, r.v])).toEqual([
      [1n, '2026-01-01', null],
      [2n, '2026-01-02', null],
      [3n, '2026-01-01', 0.5],
      [4n, '2026-01-02', 1.5],
      [5n, '2026-01-02', 2.5],
      [6n, '2026-01-03', 6.5],
    ]);
    const ow = await db.query(`INSERT OVERWRITE w.p PARTITION (day = '2026-01-02') SELECT 9, 9.5`);
    expect(ow.statement?.kind).toBe('INSERT OVERWRITE');
    expect(sorted(await t.toArray()).map((r) => r.id)).toEqual([1n, 3n, 6n, 9n]);
    const ctas = await db.query(
      `CREATE TABLE w.big WITH ('primary-key' = 'id', 'bucket' = '2') AS SELECT id, v * 2 AS v2, 'x' || id AS s FROM w.p`,
    );
    expect(ctas.statement).toMatchObject({ kind: 'CREATE TABLE AS', rows: 4 });
    const big = await catalog.getTable('w.big');
    expect(big.schema.primaryKeys).toEqual(['id']);
    expect(big.schema.options.bucket).toBe(2);
    expect(big.schema.fields.map((x) => [x.name, x.type.root])).toEqual([
      ['id', 'BIGINT'],
      ['v2', 'DOUBLE'],
      ['s', 'VARCHAR'],
    ]);
    expect((await big.toArray()).length).toBe(4);
  });

  it('refuses clearly and leaves the table as it was', async () => {
    await db.query(
      `CREATE TABLE w.r (id INT NOT NULL, v INT NOT NULL, PRIMARY KEY (id) NOT ENFORCED) WITH ('bucket' = '1')`,
    );
    await db.query(`INSERT INTO w.r VALUES (1, 10), (2, 20)`);
    const snap = await latest('w.r');
    const t = await catalog.getTable('w.r');
    const rows = sorted(await t.toArray());
    const cases: [string, string, RegExp][] = [
      ['INSERT INTO w.r VALUES (3, NULL)', 'INVALID_ROW', /NOT NULL/],
      [`INSERT INTO w.r SELECT 3, CAST('x' AS INT)`, 'INVALID_ARGUMENT', /Conversion Error/],
      ['INSERT INTO w.r VALUES (3)', 'INVALID_ARGUMENT', /gives 1 column for 2/],
      ['UPDATE w.r SET id = 1', 'INVALID_ARGUMENT', /two rows with the key/],
      ['UPDATE w.r SET v = v / 0', 'INVALID_ARGUMENT', /SQL/],
      ['DELETE FROM w.r WHERE nope = 1', 'INVALID_ARGUMENT', /nope/],
      ['INSERT INTO w.r VALUES (5, 5) RETURNING *', 'UNSUPPORTED', /RETURNING/],
      ['INSERT OR IGNORE INTO w.r VALUES (5, 5)', 'UNSUPPORTED', /OR IGNORE/],
      ['ALTER TABLE w.r ADD COLUMN x INT', 'UNSUPPORTED', /schema evolution/],
      ['BEGIN', 'UNSUPPORTED', /transactions/],
      ['CREATE VIEW w.v AS SELECT 1', 'UNSUPPORTED', /TEMP/],
      ['CREATE OR REPLACE TABLE w.r (id INT)', 'UNSUPPORTED', /OR REPLACE/],
      ['CREATE TABLE w.r (id INT)', 'ALREADY_EXISTS', /already exists/],
      ["COPY w.r FROM 'x.csv'", 'UNSUPPORTED', /INSERT INTO w\.r SELECT/],
      ['SELECT * FROM w.missing', 'NOT_FOUND', /w\.missing/],
      ['INSERT INTO w.missing VALUES (1)', 'NOT_FOUND', /w\.missing/],
      ['INSERT INTO nodb.t VALUES (1)', 'NOT_FOUND', /nodb/],
      ['SELEC 1', 'INVALID_ARGUMENT', /syntax error/],
      ['CREATE TABLE w.bad (x INTERVAL)', 'UNSUPPORTED', /INTERVAL/],
      ['CREATE TABLE w.bad2 AS SELECT [1, 2] AS l', 'UNSUPPORTED', /INTEGER\[\]/],
    ];
    for (const [sql, code, message] of cases) {
      await expect(db.query(sql), sql).rejects.toMatchObject({ code, message: expect.stringMatching(message) });
    }
    expect(await latest('w.r')).toBe(snap);
    expect(sorted(await t.toArray())).toEqual(rows);
    expect(await catalog.tableExists('w.bad2')).toBe(false);
    // A statement that fails while writing (after rows were buffered) commits nothing either.
    await expect(
      db.query(`INSERT INTO w.r SELECT range::INT, CASE WHEN range = 5000 THEN NULL ELSE 1 END FROM range(10000)`),
    ).rejects.toMatchObject({
      code: 'INVALID_ROW',
    });
    expect(await latest('w.r')).toBe(snap);
  });

  it('merge-engine rules for row-level statements (as Paimon has them)', async () => {
    await db.query(
      `CREATE TABLE w.first (id INT NOT NULL, v INT, PRIMARY KEY (id) NOT ENFORCED) WITH ('merge-engine' = 'first-row', 'bucket' = '1')`,
    );
    await db.query(
      `CREATE TABLE w.agg (id INT NOT NULL, v INT, PRIMARY KEY (id) NOT ENFORCED) WITH ('merge-engine' = 'aggregation', 'fields.v.aggregate-function' = 'sum', 'bucket' = '1')`,
    );
    await db.query(
      `CREATE TABLE w.part (id INT NOT NULL, a INT, b INT, PRIMARY KEY (id) NOT ENFORCED) WITH ('merge-engine' = 'partial-update', 'bucket' = '1')`,
    );
    await db.query(`INSERT INTO w.first VALUES (1, 1)`);
    await db.query(`INSERT INTO w.agg VALUES (1, 1)`);
    await db.query(`INSERT INTO w.agg VALUES (1, 2)`);
    expect((await db.query('SELECT v FROM w.agg')).rows()).toEqual([{ v: 3 }]);
    await db.query(`INSERT INTO w.part VALUES (1, 1, NULL)`);
    await db.query(`INSERT INTO w.part VALUES (1, NULL, 2)`);
    expect((await db.query('SELECT a, b FROM w.part')).rows()).toEqual([{ a: 1, b: 2 }]);
    await db.query('UPDATE w.part SET a = 5');
    expect((await db.query('SELECT a, b FROM w.part')).rows()).toEqual([{ a: 5, b: 2 }]);
    for (const [sql, message] of [
      ['UPDATE w.first SET v = 2', /first-row/],
      ['DELETE FROM w.first WHERE id = 1', /first-row/],
      ['MERGE INTO w.agg t USING (SELECT 1 AS id) s ON t.id = s.id WHEN MATCHED THEN DELETE', /aggregation/],
      ['DELETE FROM w.agg', /aggregation/],
      ['UPDATE w.part SET b = NULL', /NULL/],
      ['DELETE FROM w.part', /remove-record-on-delete/],
    ] as const)
      await expect(db.query(sql), sql).rejects.toMatchObject({ message: expect.stringMatching(message) });
    expect((await db.query('SELECT a, b FROM w.part')).rows()).toEqual([{ a: 5, b: 2 }]);
  });

  it('UPDATE respects sequence.field sort-order descending and refuses partial-update sequence groups', async () => {
    const t = await catalog.createTable('db.seqdesc', {
      columns: { id: 'INT', s: 'INT', v: 'STRING' },
      primaryKey: ['id'],
      options: { 'sequence.field': 's', 'sequence.field.sort-order': 'descending' },
    });
    await t.upsert([{ id: 1, s: 5, v: 'a' }]);
    // Descending: a smaller sequence is newer, so lowering it is fine and raising it is refused.
    await db.query("UPDATE db.seqdesc SET s = 4, v = 'b' WHERE id = 1");
    expect((await db.query('SELECT v FROM db.seqdesc')).rows()).toEqual([{ v: 'b' }]);
    await expect(db.query('UPDATE db.seqdesc SET s = 9 WHERE id = 1')).rejects.toMatchObject({
      code: 'UNSUPPORTED',
      message: expect.stringMatching(/makes the sequence field \(s\) of a row older/),
    });
    await catalog.createTable('db.groups', {
      columns: { id: 'INT', g: 'INT', v: 'STRING' },
      primaryKey: ['id'],
      options: { 'merge-engine': 'partial-update', 'fields.g.sequence-group': 'v' },
    });
    await expect(db.query("UPDATE db.groups SET v = 'x' WHERE id = 1")).rejects.toMatchObject({
      code: 'UNSUPPORTED',
      message: expect.stringMatching(/sequence groups/),
    });
  });
});
