/** `eddy sql` as users run it: a subprocess, one-shot in every output mode, scripts, the prompt. */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Catalog } from '@eddy/table';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binEnv } from '../../../test/bin-env.ts';
import { completions } from './sql.ts';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../bin/eddy.js');

let tmp: string;
let wh: string;

function eddy(args: string[], stdin?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env = binEnv();
    delete env.EDDY_WAREHOUSE;
    env.EDDY_SQL_HISTORY = path.join(tmp, 'sql-history');
    const child = spawn(process.execPath, [BIN, '--warehouse', wh, ...args], { cwd: tmp, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });
}

describe('eddy sql', () => {
  beforeAll(async () => {
    tmp = mkdtempSync(path.join(tmpdir(), 'eddy-cli-sql-'));
    wh = path.join(tmp, 'wh');
    const catalog = await Catalog.open(wh);
    const t = await catalog.createTable('shop.orders', {
      columns: { id: 'BIGINT', region: 'STRING', amount: 'DECIMAL(10, 2)', ts: 'TIMESTAMP(6)' },
      primaryKey: ['id'],
      options: { bucket: 2 },
    });
    await t.upsert([
      { id: 1n, region: 'eu', amount: '10.50', ts: 1_700_000_000_000_001n },
      { id: 2n, region: 'us', amount: '3.25', ts: null },
      { id: 3n, region: 'eu', amount: '7.00', ts: 1_700_000_000_000_000n },
    ]);
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('prints a table, JSON, JSON Lines and CSV; writes Parquet; runs scripts', async () => {
    const q = 'SELECT region, count(*) AS n, sum(amount) AS total FROM shop.orders GROUP BY region ORDER BY region';
    const human = await eddy(['sql', q]);
    expect(human.stderr).toBe('');
    expect(human.stdout).toBe('region  n  total\n------  -  -----\neu      2  17.50\nus      1   3.25\n(2 rows)\n');
    expect(JSON.parse((await eddy(['--json', 'sql', q])).stdout)).toEqual([
      { region: 'eu', n: 2, total: '17.50' },
      { region: 'us', n: 1, total: '3.25' },
    ]);
    const out = path.join(tmp, 'eu.parquet');
    const jsonl = await eddy(
      ['--jsonl', 'sql'],
      `SELECT id, ts FROM shop.orders ORDER BY id; INSERT INTO shop.orders VALUES (4, 'ap', 1.00, NULL); DELETE FROM shop.orders WHERE id = 4; COPY (SELECT * FROM shop.orders WHERE region = 'eu') TO '${out}'`,
    );
    expect(
      jsonl.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual([
      { id: 1, ts: '2023-11-14T22:13:20.000001Z' },
      { id: 2, ts: null },
      { id: 3, ts: '2023-11-14T22:13:20.000000Z' },
      { statement: 'INSERT', table: 'shop.orders', rows: 1, snapshot: expect.any(Number) },
      { statement: 'DELETE', table: 'shop.orders', rows: 1, snapshot: expect.any(Number) },
      { Count: 2 },
    ]);
    const csv = await eddy([
      'sql',
      `SELECT id, region, '' AS e, 'a,"b"' AS q FROM read_parquet('${out}') ORDER BY id`,
      '--csv',
    ]);
    expect(csv.stdout).toBe('id,region,e,q\n1,eu,"","a,""b"""\n3,eu,"","a,""b"""\n');
    const p = await eddy(['sql', `SELECT * FROM shop.orders WHERE region = 'us'`, '--parquet', out]);
    expect(p.stdout).toBe(`wrote 1 rows to ${out}\n`);
    const script = path.join(tmp, 'script.sql');
    writeFileSync(
      script,
      `UPDATE shop.orders SET region = 'ap' WHERE id = 2;\nSELECT count(*) AS n FROM read_parquet('${out}');\n`,
    );
    const s = await eddy(['sql', '-f', script]);
    expect(s.stdout).toMatch(/^UPDATE: shop\.orders: 1 row: snapshot \d+\nn\n-\n1\n\(1 row\)\n$/);
  });

  it('errors: a one-line message and exit code 1', async () => {
    for (const [args, message] of [
      [['sql', 'SELEC 1'], /^eddy: INVALID_ARGUMENT: SQL: Parser Error: syntax error at or near "SELEC"/],
      [['--json', 'sql', 'SELECT 1', '--csv'], /--csv cannot be combined/],
    ] as const) {
      const r = await eddy([...args]);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  it('the prompt: multi-line statements, .tables, .schema, .mode, errors that do not end it', async () => {
    const r = await eddy(
      ['sql', '-i'],
      [
        '.tables',
        'SELECT id',
        '  FROM shop.orders',
        '  WHERE id = 2;',
        '.schema shop.orders',
        'SELEC 1;',
        '.mode jsonl',
        "SELECT 'x' AS v;",
        '.quit',
        '',
      ].join('\n'),
    );
    expect(r.code, `${r.stderr}\n${r.stdout}`).toBe(0);
    expect(r.stdout).toContain('shop.orders\n');
    expect(r.stdout).toMatch(/id\n--\n 2\n\(1 row\)/);
    expect(r.stdout).toMatch(/column_name\s+column_type/);
    expect(r.stdout).toContain('error: INVALID_ARGUMENT: SQL: Parser Error');
    expect(r.stdout).toContain('{"v":"x"}');
  });

  it('completes table names, columns and keywords', () => {
    const c = completions(['shop.orders', 'shop.items'], ['order_id', 'region'], 'SELECT * FROM shop.o');
    expect(c).toEqual([['shop.orders'], 'shop.o']);
    expect(completions([], ['order_id', 'region'], 'SELECT reg')[0]).toEqual(['region']);
    expect(completions([], [], 'sel')[0]).toEqual(['SELECT']);
  });
});
