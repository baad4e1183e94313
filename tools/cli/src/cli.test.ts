/**
 * The `eddy` CLI as users run it: `node tools/cli/bin/eddy.js …` as a subprocess, on tables made with
 * the SDK and on the Java-written golden warehouse, in human and JSON output.
 */
import { type ChildProcessWithoutNullStreams, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { and, Catalog, eq, gt, isNull, or, parseWhere, type Table } from '@eddy/table';
import * as arrow from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeParquet } from '../../../packages/table/src/format/parquet.ts';
import { binEnv } from '../../../test/bin-env.ts';
import { buildProgram } from './main.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const BIN = path.join(root, 'tools/cli/bin/eddy.js');
const GOLDEN_TGZ = path.join(root, 'packages/table/test/fixtures/pk_global_index_golden.tar.gz');
const GOLDEN_TABLE = 'default.test_pk_global_index_golden';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

let tmp: string;

/** Runs the CLI in `cwd` (default: the temp dir) and collects its output. */
function eddy(args: string[], cwd = tmp, extraEnv: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    // No progress lines: a slow machine must not make stderr differ (one test turns them on).
    const env = binEnv({ EDDY_PROGRESS: 'off', ...extraEnv });
    delete env.EDDY_WAREHOUSE;
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env });
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
  });
}

/** Runs the CLI and parses its stdout as JSON, expecting success. */
async function eddyJson<T = unknown>(args: string[]): Promise<T> {
  const r = await eddy(args);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as T;
}

const byId = <T extends Record<string, unknown>>(rows: T[]) => [...rows].sort((a, b) => Number(a.id) - Number(b.id));

let golden: string;
let wh: string; // SDK-made warehouse, read-only in the tests
let orders: Table;

const ORDERS = {
  columns: { region: 'STRING', id: 'BIGINT', customer: 'STRING', amount: 'DECIMAL(10, 2)', day: 'DATE' },
  primaryKey: ['region', 'id'],
  partitionKeys: ['region'],
  options: { bucket: 2 },
};

async function makeOrders(warehouse: string): Promise<Table> {
  const catalog = await Catalog.open(warehouse);
  const t = await catalog.createTable('shop.orders', ORDERS);
  const rows = [];
  for (let i = 1; i <= 20; i++)
    rows.push({
      region: i % 2 ? 'eu' : 'us',
      id: BigInt(i),
      customer: i % 5 === 0 ? null : `c${i}`,
      amount: `${i}.50`,
      day: '2026-11-24',
    });
  await t.upsert(rows);
  await t.upsert({ region: 'eu', id: 1n, customer: 'ada', amount: '99.99', day: '2026-11-25' });
  await t.delete({ region: 'us', id: 2n });
  return t;
}

beforeAll(async () => {
  tmp = mkdtempSync(path.join(tmpdir(), 'eddy-cli-'));
  golden = path.join(tmp, 'golden');
  execFileSync('mkdir', ['-p', golden]);
  execFileSync('tar', ['-xzf', GOLDEN_TGZ, '-C', golden]);
  wh = path.join(tmp, 'wh');
  orders = await makeOrders(wh);
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('parseWhere', () => {
  const fields = [
    { id: 0, name: 'id', type: { root: 'BIGINT', nullable: false } },
    { id: 1, name: 'name', type: { root: 'VARCHAR', nullable: true, length: 10 } },
    { id: 2, name: 'amount', type: { root: 'DECIMAL', nullable: true, precision: 10, scale: 2 } },
    { id: 3, name: 'n', type: { root: 'INT', nullable: true } },
  ] as const;

  it('parses precedence, parentheses, IN, BETWEEN, IS NULL and NOT, typed by column', () => {
    expect(parseWhere("id = 1 and name > 'x' or amount is null", fields)).toEqual({
      op: 'or',
      children: [
        {
          op: 'and',
          children: [
            { op: '=', column: 'id', value: 1n },
            { op: '>', column: 'name', value: 'x' },
          ],
        },
        { op: 'is-null', column: 'amount' },
      ],
    });
    expect(parseWhere("(n in (1, 2) or name = 'it''s') and amount >= 10.5", fields)).toEqual({
      op: 'and',
      children: [
        {
          op: 'or',
          children: [
            { op: 'in', column: 'n', values: [1, 2] },
            { op: '=', column: 'name', value: "it's" },
          ],
        },
        { op: '>=', column: 'amount', value: '10.5' },
      ],
    });
    expect(parseWhere('not (n between 1 and 3) and name is not null', fields)).toEqual({
      op: 'and',
      children: [
        {
          op: 'or',
          children: [
            { op: '<', column: 'n', value: 1 },
            { op: '>', column: 'n', value: 3 },
          ],
        },
        { op: 'is-not-null', column: 'name' },
      ],
    });
    expect(parseWhere('n not in (1)', fields)).toEqual({ op: 'and', children: [{ op: '!=', column: 'n', value: 1 }] });
  });

  it('rejects bad expressions with the position', () => {
    expect(() => parseWhere('id = ', fields)).toThrow(/expected a value .* position 6/);
    expect(() => parseWhere("n = 'x'", fields)).toThrow(/column 'n' is INT: expected an integer/);
    expect(() => parseWhere('nope = 1', fields)).toThrow(/unknown column 'nope'/);
    expect(() => parseWhere('(id = 1', fields)).toThrow(/expected '\)'/);
    expect(() => parseWhere('id = null', fields)).toThrow(/is null/);
  });
});

describe.concurrent('on the Java-written golden warehouse', () => {
  it('lists tables and describes the golden table (human and JSON)', async () => {
    const tables = await eddyJson<{ name: string }[]>(['--warehouse', golden, 'tables', 'default', '--json']);
    expect(tables.map((t) => t.name)).toContain(GOLDEN_TABLE);
    const human = await eddy(['-w', golden, 'describe', GOLDEN_TABLE]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/primary key\s+id/);
    expect(human.stdout).toMatch(/snapshots\s+6 \(earliest 1, latest 6\)/);
    expect(human.stdout).toMatch(/deletion-vectors.enabled\s+true/);
    const doc = await eddyJson<{
      fields: { id: number; name: string; type: string }[];
      primaryKeys: string[];
      totalRecordCount: number;
    }>(['-w', golden, '--json', 'describe', GOLDEN_TABLE]);
    expect(doc.fields.map((f) => [f.id, f.name, f.type])).toEqual([
      [0, 'id', 'INT NOT NULL'],
      [1, 'name', 'STRING'],
      [2, 'category', 'STRING'],
    ]);
    expect(doc.primaryKeys).toEqual(['id']);
    expect(doc.totalRecordCount).toBe(6);
  });

  it('scans with --where, --select and time travel', async () => {
    const all = await eddyJson<Record<string, unknown>[]>(['-w', golden, 'scan', GOLDEN_TABLE, '--json']);
    expect(byId(all)).toEqual(
      [1, 2, 3, 4, 5, 6].map((id) => ({ id, name: `name-${id}`, category: id % 2 ? 'odd' : 'even' })),
    );
    const odd = await eddyJson<{ id: number }[]>([
      '-w',
      golden,
      'scan',
      GOLDEN_TABLE,
      '--where',
      "category = 'odd' and id <> 3",
      '--select',
      'id',
      '--json',
    ]);
    expect(byId(odd)).toEqual([{ id: 1 }, { id: 5 }]);
    const human = await eddy(['-w', golden, 'scan', GOLDEN_TABLE, '--where', "name in ('name-4', 'name-6')"]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^id\s+name\s+category\n/);
    expect(human.stdout).toMatch(/\n\s*4\s+name-4\s+even\n/);
    expect(human.stdout).toContain('(2 rows)');
    const past = await eddy(['-w', golden, '--jsonl', 'scan', GOLDEN_TABLE, '--snapshot', '4']);
    expect(
      past.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).id)
        .sort(),
    ).toEqual([1, 2, 3, 4]);
  });

  it('shows snapshots, files and the change history', async () => {
    const snaps = await eddyJson<{ id: number; kind: string; commitIdentifier: unknown }[]>([
      '-w',
      golden,
      'snapshots',
      GOLDEN_TABLE,
      '--json',
    ]);
    expect(snaps.map((s) => s.kind)).toEqual(['APPEND', 'COMPACT', 'APPEND', 'COMPACT', 'APPEND', 'COMPACT']);
    expect(snaps[0].commitIdentifier).toBe('9223372036854775807'); // exact, as a string
    const human = await eddy(['-w', golden, 'snapshots', GOLDEN_TABLE]);
    expect(human.stdout).toMatch(/^\s*id\s+time \(UTC\)\s+kind/);
    expect(human.stdout).toMatch(/\n\s*6\s+2026-07-16 \S+\s+COMPACT\s+\S+\s+batch\s+6\s+0\s+manifest-list-/);

    const files = await eddyJson<
      { level: number; rows: number; sizeBytes: number; minKey: { id: number }; maxKey: { id: number } }[]
    >(['-w', golden, 'files', GOLDEN_TABLE, '--json']);
    expect(files.reduce((a, f) => a + f.rows, 0)).toBe(6);
    expect(files.map((f) => [f.level, f.minKey.id, f.maxKey.id])).toEqual([
      [1, 5, 6],
      [2, 1, 4],
    ]);
    expect(files.every((f) => f.sizeBytes > 1000)).toBe(true);
    const fh = await eddy(['-w', golden, 'files', GOLDEN_TABLE]);
    expect(fh.stdout).toMatch(/level\s+file\s+rows\s+size\s+key range\s+sequence range/);
    expect(fh.stdout).toMatch(/1 … 4\s+0\.\.3/);
    expect(fh.stdout).toMatch(/KiB/);

    const audit = await eddyJson<{ snapshot: number; kind: string; row: { id: number } }[]>([
      '-w',
      golden,
      'audit',
      GOLDEN_TABLE,
      '--json',
    ]);
    expect(audit.map((e) => [e.snapshot, e.kind, e.row.id])).toEqual([
      [1, '+I', 1],
      [1, '+I', 2],
      [3, '+I', 3],
      [3, '+I', 4],
      [5, '+I', 5],
      [5, '+I', 6],
    ]);
  });

  it('verifies the golden table deeply, and finds a deleted data file (exit 2)', async () => {
    const ok = await eddy(['-w', golden, 'verify', GOLDEN_TABLE, '--deep']);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/snapshots 1\.\.6 \(6 parsed\).*4 data files, 2 index files.*4 data files read back/);
    expect(ok.stdout).toContain('OK');

    const broken = path.join(tmp, 'golden-broken');
    execFileSync('mkdir', ['-p', broken]);
    execFileSync('tar', ['-xzf', GOLDEN_TGZ, '-C', broken]);
    const bucket = path.join(broken, 'default.db/test_pk_global_index_golden/bucket-0');
    const victim = 'data-247786b6-227a-4ded-acd5-85708fc3327a-0.parquet';
    unlinkSync(path.join(bucket, victim));
    const r = await eddy(['-w', broken, 'verify', GOLDEN_TABLE]);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(new RegExp(`1 problem found:\\n  snapshot 5: .*${victim}: data file is missing`));
  });
});

describe.concurrent('on a table made with the SDK', () => {
  it('lists databases and tables, describes, counts', async () => {
    const dbs = await eddy(['-w', wh, 'databases']);
    expect(dbs.stdout).toMatch(/database\s+tables\n-+\s+-+\nshop\s+1/);
    const tables = await eddyJson<{ name: string; primaryKeys: string[]; latestSnapshot: number }[]>([
      '-w',
      wh,
      'tables',
      '--json',
    ]);
    expect(tables).toEqual([
      expect.objectContaining({ name: 'shop.orders', primaryKeys: ['region', 'id'], latestSnapshot: 3 }),
    ]);
    const doc = await eddyJson<{ liveRows: number; partitions: number; sizeBytes: number; partitionKeys: string[] }>([
      '-w',
      wh,
      'describe',
      'shop.orders',
      '--count',
      '--json',
    ]);
    expect(doc.liveRows).toBe(19);
    expect(doc.partitions).toBe(2);
    expect(doc.partitionKeys).toEqual(['region']);
    expect(Number.isInteger(doc.sizeBytes)).toBe(true);
  });

  it('scans with a --where expression the same as the SDK filter', async () => {
    const where = "region = 'eu' and (amount >= 10 or customer is null) or id in (2, 4, 6) and day = '2026-11-24'";
    const cli = await eddyJson<Record<string, unknown>[]>([
      '-w',
      wh,
      'scan',
      'shop.orders',
      '--where',
      where,
      '--json',
    ]);
    const sdk = await orders.toArray({
      where: or(
        and(eq('region', 'eu'), or({ op: '>=', column: 'amount', value: '10' }, isNull('customer'))),
        and({ op: 'in', column: 'id', values: [2n, 4n, 6n] }, eq('day', '2026-11-24')),
      ),
    });
    const key = (r: Record<string, unknown>) => `${r.region}/${r.id}`;
    expect(cli.map(key).sort()).toEqual(sdk.map(key).sort());
    expect(cli.length).toBeGreaterThan(3);
    const ada = cli.find((r) => r.id === 1);
    expect(ada).toEqual({ region: 'eu', id: 1, customer: 'ada', amount: '99.99', day: '2026-11-25' });
    const limited = await eddyJson<unknown[]>(['-w', wh, 'scan', 'shop.orders', '--limit', '3', '--json']);
    expect(limited).toHaveLength(3);
    const big = await orders.toArray({ where: gt('amount', '15') });
    const human = await eddy(['-w', wh, 'scan', 'shop.orders', '--where', 'amount > 15', '--select', 'id,amount']);
    expect(human.stdout).toMatch(/^id\s+amount\n/);
    expect(human.stdout).toContain(`(${big.length} rows)`);
  });

  it('shows files per partition, buckets and manifests', async () => {
    const files = await eddyJson<
      { partition: string; bucket: number; level: number; rows: number; minSequenceNumber: number }[]
    >(['-w', wh, 'files', 'shop.orders', '--partition', 'region=eu', '--json']);
    expect(files.length).toBeGreaterThan(0);
    expect(files.every((f) => f.partition === 'region=eu' && f.level === 0)).toBe(true);
    const human = await eddy(['-w', wh, 'files', 'shop.orders', '--snapshot', '1']);
    expect(human.stdout).toMatch(/^partition\s+bucket\s+level\s+file/);
    expect(human.stdout).toMatch(/\n\d+ files, [\d.]+ (B|KiB), 20 records at snapshot 1/);
    const buckets = await eddyJson<{ partition: string; bucket: number; sortedRuns: number; l0Files: number }[]>([
      '-w',
      wh,
      'buckets',
      'shop.orders',
      '--json',
    ]);
    expect(buckets.map((b) => b.partition)).toContain('region=us');
    expect(buckets.every((b) => b.sortedRuns >= 1 && b.l0Files === b.sortedRuns)).toBe(true);
    const manifests = await eddyJson<{ list: string; manifest: string; addedFiles: number }[]>([
      '-w',
      wh,
      'manifests',
      'shop.orders',
      '--json',
    ]);
    expect(manifests.some((m) => m.list === 'delta')).toBe(true);
  });

  it('fails with a one-line message and exit 1 on user errors', async () => {
    const cases: [string[], RegExp][] = [
      [['-w', wh, 'scan', 'shop.nope'], /table 'shop.nope' does not exist/],
      [['-w', wh, 'scan', 'shop.orders', '--where', "amount > 'lots'"], /expected a decimal number/],
      [['scan', 'shop.orders'], /no warehouse/],
      [['-w', path.join(tmp, 'missing'), 'tables'], /does not exist/],
      [['-w', wh, 'scan', 'shop.orders', '--limit', 'ten'], /--limit: expected an integer/],
    ];
    for (const [args, message] of cases) {
      const r = await eddy(args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(existsSync(path.join(tmp, 'missing'))).toBe(false);
  });
});

describe.concurrent('writing and maintenance', () => {
  it('create-table refuses a misspelt option with a suggestion, and an unsupported one by name', async () => {
    const w = path.join(tmp, 'opts');
    const typo = await eddy(['-w', w, 'create-table', 'db.t', '-c', 'id:INT', '--primary-key', 'id', '-o', 'bukcet=2']);
    expect(typo.code).not.toBe(0);
    expect(typo.stderr).toMatch(/unknown option 'bukcet' \(did you mean 'bucket'\?\)/);
    const refused = await eddy([
      '-w',
      w,
      'create-table',
      'db.t',
      '-c',
      'id:INT',
      '--primary-key',
      'id',
      '-o',
      'rowkind.field=id',
    ]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/option 'rowkind.field' = 'id' is not supported/);
  });

  it('creates a table and loads JSON Lines, CSV and Parquet', async () => {
    const w = path.join(tmp, 'load');
    const created = await eddy([
      '-w',
      w,
      'create-table',
      'db.people',
      '-c',
      'id:BIGINT',
      '-c',
      'name:STRING',
      '-c',
      'score:DECIMAL(6, 2)',
      '-c',
      'born:DATE',
      '--primary-key',
      'id',
      '--bucket',
      '2',
    ]);
    expect(created.stdout).toMatch(/created table db.people: 4 columns, primary key id, bucket 2/);
    const jsonl = path.join(tmp, 'people.jsonl');
    writeFileSync(
      jsonl,
      '{"id": 1, "name": "ada", "score": "9.50", "born": "1815-12-10"}\n\n{"id": "2", "name": null, "score": 7, "born": null}\n',
    );
    const csv = path.join(tmp, 'people.csv');
    writeFileSync(csv, 'id,name,score,born\r\n3,"Lovelace, ""A""",1.25,2000-01-01\r\n2,,8,\r\n');
    const pq = path.join(tmp, 'people.parquet');
    const t = arrow.tableFromArrays({
      id: BigInt64Array.from([4n, 5n]),
      name: ['grace', 'edsger'],
      score: ['3.00', '4.75'],
    });
    writeFileSync(pq, await writeParquet(t.batches[0], { compression: 'zstd' }));
    const l1 = await eddy(['-w', w, 'load', 'db.people', jsonl]);
    expect(l1.stdout).toMatch(/loaded 2 rows .* into db.people .* snapshot 1/);
    const l2 = await eddyJson<{ rows: number; snapshot: number; format: string }>([
      '-w',
      w,
      'load',
      'db.people',
      csv,
      '--json',
    ]);
    expect(l2).toMatchObject({ rows: 2, snapshot: 2, format: 'csv' });
    const l3 = await eddyJson<{ rows: number }>(['-w', w, '--json', 'load', 'db.people', pq]);
    expect(l3.rows).toBe(2);
    const rows = await eddyJson<Record<string, unknown>[]>(['-w', w, 'scan', 'db.people', '--json']);
    expect(byId(rows)).toEqual([
      { id: 1, name: 'ada', score: '9.50', born: '1815-12-10' },
      { id: 2, name: null, score: '8.00', born: null },
      { id: 3, name: 'Lovelace, "A"', score: '1.25', born: '2000-01-01' },
      { id: 4, name: 'grace', score: '3.00', born: null },
      { id: 5, name: 'edsger', score: '4.75', born: null },
    ]);
    const bad = path.join(tmp, 'bad.jsonl');
    writeFileSync(bad, '{"id": 9, "name": "x"}\n{"id": 10, "nope": 1}\n');
    const r = await eddy(['-w', w, 'load', 'db.people', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bad\.jsonl:2: unknown column 'nope'/);
    expect((await orders.listSnapshots()).length).toBe(3); // untouched
  });

  it('load --overwrite replaces a static partition (and refuses rows outside it)', async () => {
    const w = path.join(tmp, 'overwrite');
    const t = await (await Catalog.open(w)).createTable('db.sales', {
      columns: { region: 'STRING', id: 'INT', v: 'STRING' },
      primaryKey: ['region', 'id'],
      partitionKeys: ['region'],
    });
    await t.upsert([
      { region: 'eu', id: 1, v: 'old' },
      { region: 'eu', id: 2, v: 'old' },
      { region: 'us', id: 1, v: 'old' },
    ]);
    const eu = path.join(tmp, 'eu.jsonl');
    writeFileSync(eu, '{"region": "eu", "id": 9, "v": "new"}\n');
    const r = await eddy(['-w', w, 'load', 'db.sales', eu, '--overwrite', 'region=eu']);
    expect(r.stdout).toMatch(/overwrote with 1 row .* → snapshot 2 \(OVERWRITE\)/);
    const rows = await eddyJson<Record<string, unknown>[]>(['-w', w, 'scan', 'db.sales', '--json']);
    expect(rows.map((x) => `${x.region}${x.id}${x.v}`).sort()).toEqual(['eu9new', 'us1old']);
    const bad = await eddy(['-w', w, 'load', 'db.sales', eu, '--overwrite', 'region=us']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/rows in partition region=eu lie outside the partition being overwritten \(region=us\)/);
    const notKey = await eddy(['-w', w, 'load', 'db.sales', eu, '--overwrite', 'id=1']);
    expect(notKey.stderr).toMatch(/--overwrite: 'id' is not a partition key of db.sales \(region\)/);
    expect((await t.listSnapshots()).map((s) => s.commitKind)).toEqual(['APPEND', 'OVERWRITE']);
  });

  it('tails the change feed while others write', async () => {
    const w = path.join(tmp, 'tail');
    const catalog = await Catalog.open(w);
    const t = await catalog.createTable('app.users', {
      columns: { id: 'INT', name: 'STRING' },
      primaryKey: ['id'],
    });
    const child: ChildProcessWithoutNullStreams = spawn(
      process.execPath,
      [BIN, '-w', w, '--jsonl', 'tail', 'app.users', '--from', 'snapshot:1', '--poll', '50ms'],
      { cwd: tmp, env: binEnv() },
    );
    const lines: string[] = [];
    let buf = '';
    let stderr = '';
    // Waits on output events, not on a clock: resolves when `n` lines have arrived, fails if the
    // tail exits first (a hang is the test timeout's to catch).
    const waiters: { n: number; resolve: () => void; reject: (e: Error) => void }[] = [];
    const settle = () => {
      for (const w of waiters.filter((w) => lines.length >= w.n)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    };
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.stdout.on('data', (d: Buffer) => {
      buf += d;
      const parts = buf.split('\n');
      buf = parts.pop()!;
      lines.push(...parts.filter((p) => p.length > 0));
      settle();
    });
    const waitFor = (n: number) =>
      new Promise<void>((resolve, reject) => {
        waiters.push({ n, resolve, reject });
        settle();
      });
    const exited = new Promise<number | null>((resolve) =>
      child.on('close', (code) => {
        for (const w of waiters.splice(0))
          w.reject(new Error(`tail exited (${code}) after ${lines.length} lines; stderr: ${stderr}`));
        resolve(code);
      }),
    );
    try {
      await t.upsert([
        { id: 1, name: 'ada' },
        { id: 2, name: 'bob' },
      ]);
      await waitFor(2);
      // Another process writes: the CLI's own load.
      const file = path.join(tmp, 'users.jsonl');
      writeFileSync(file, '{"id": 3, "name": "cyd"}\n');
      expect((await eddy(['-w', w, 'load', 'app.users', file])).code).toBe(0);
      await t.delete({ id: 1 });
      await waitFor(4);
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      { snapshot: 1, kind: '+I', row: { id: 1, name: 'ada' } },
      { snapshot: 1, kind: '+I', row: { id: 2, name: 'bob' } },
      { snapshot: 2, kind: '+I', row: { id: 3, name: 'cyd' } },
      { snapshot: 3, kind: '-D', row: { id: 1, name: null } },
    ]);
    // Human form, bounded: the same changes from the start.
    const human = await eddy(['-w', w, 'tail', 'app.users', '--from', 'earliest', '--until-snapshot', '3']);
    expect(human.code).toBe(0);
    expect(human.stdout.split('\n').filter(Boolean)).toEqual([
      '     1  +I  {"id":1,"name":"ada"}',
      '     1  +I  {"id":2,"name":"bob"}',
      '     2  +I  {"id":3,"name":"cyd"}',
      '     3  -D  {"id":1,"name":null}',
    ]);
  });

  it('compacts, tags, rolls back, expires and removes orphans', async () => {
    const w = path.join(tmp, 'maint');
    const t = await makeOrders(w);
    const c = await eddyJson<{ snapshot: number; filesIn: number; filesOut: number; sortedRunsAfter: number }>([
      '-w',
      w,
      'compact',
      'shop.orders',
      '--full',
      '--json',
    ]);
    expect(c.snapshot).toBe(4);
    expect(c.filesOut).toBeLessThan(c.filesIn);
    const buckets = await eddyJson<{ files: number; sortedRuns: number }[]>([
      '-w',
      w,
      'buckets',
      'shop.orders',
      '--json',
    ]);
    expect(buckets.every((b) => b.files === 1 && b.sortedRuns === 1)).toBe(true);

    expect((await eddy(['-w', w, 'tag', 'create', 'shop.orders', 'compacted'])).stdout).toMatch(/at snapshot 4/);
    await t.upsert({ region: 'eu', id: 100n, customer: 'late', amount: '1', day: '2026-11-26' });
    const tags = await eddyJson<{ tag: string; snapshot: number }[]>(['-w', w, 'tag', 'list', 'shop.orders', '--json']);
    expect(tags).toEqual([expect.objectContaining({ tag: 'compacted', snapshot: 4 })]);

    const rb = await eddy(['-w', w, 'rollback', 'shop.orders', '--to', '4']);
    expect(rb.code).toBe(0);
    expect(rb.stdout).toMatch(/rolled back shop.orders to snapshot 4\n {2}removed snapshots 5/);
    const after = await eddyJson<{ id: number }[]>(['-w', w, 'scan', 'shop.orders', '--where', 'id = 100', '--json']);
    expect(after).toEqual([]);

    const ex = await eddyJson<{ expired: number[]; earliestSnapshotId: number }>([
      '-w',
      w,
      'expire',
      'shop.orders',
      '--retain-min',
      '1',
      '--retain-max',
      '1',
      '--older-than',
      '0s',
      '--json',
    ]);
    expect(ex.expired).toEqual([1, 2, 3]);
    expect(ex.earliestSnapshotId).toBe(4);
    const orphans = await eddyJson<{ dryRun: boolean; orphans: string[] }>([
      '-w',
      w,
      'remove-orphans',
      'shop.orders',
      '--older-than',
      '0s',
      '--dry-run',
      '--json',
    ]);
    expect(orphans.dryRun).toBe(true);
    expect(orphans.orphans.some((p) => p.includes('/manifest/'))).toBe(true); // snapshot 5's, rolled back
    const v = await eddy(['-w', w, 'verify', 'shop.orders', '--deep']);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/snapshots 4\.\.4 .*OK/s);
  });

  it('history: tags with retention, scan --tag after expiry, audit between tags, verify with long-lived changelogs', async () => {
    const w = path.join(tmp, 'history');
    const t = await (await Catalog.open(w)).createTable('db.h', {
      columns: { id: 'BIGINT', v: 'STRING' },
      primaryKey: ['id'],
      options: {
        bucket: 1,
        'write-only': true,
        'snapshot.num-retained.min': 1,
        'snapshot.time-retained': '1 ms',
        'changelog.num-retained.min': 10,
      },
    });
    await t.upsert([
      { id: 1n, v: 'a' },
      { id: 2n, v: 'b' },
    ]);
    const created = await eddyJson<{ snapshot: number; timeRetainedMs: number }>([
      '-w',
      w,
      'tag',
      'create',
      'db.h',
      'first',
      '--time-retained',
      '7d',
      '--json',
    ]);
    expect(created).toMatchObject({ snapshot: 1, timeRetainedMs: 7 * 86_400_000 });
    await t.upsert([{ id: 1n, v: 'a2' }]);
    await t.delete([{ id: 2n }]);
    await t.createTag('last');
    await t.expireSnapshots();
    expect(readdirSync(path.join(t.path, 'changelog')).filter((f) => f.startsWith('changelog-'))).toEqual([
      'changelog-1',
      'changelog-2',
    ]);
    const atFirst = await eddyJson<{ id: number; v: string }[]>(['-w', w, 'scan', 'db.h', '--tag', 'first', '--json']);
    expect(byId(atFirst)).toEqual([
      { id: 1, v: 'a' },
      { id: 2, v: 'b' },
    ]);
    const list = await eddyJson<{ tag: string; expires: string | null }[]>(['-w', w, 'tag', 'list', 'db.h', '--json']);
    expect(list.map((x) => [x.tag, x.expires === null])).toEqual([
      ['first', false],
      ['last', true],
    ]);
    const diff = await eddyJson<{ kind: string; row: { id: number; v: string } }[]>([
      '-w',
      w,
      'audit',
      'db.h',
      '--from',
      'first',
      '--to',
      'last',
      '--json',
    ]);
    // (The -D comes as stored: Eddy's delete by key has no values, as in Paimon's diff.)
    expect(diff.map((e) => [e.kind, e.row.id, e.row.v])).toEqual([
      ['+I', 1, 'a2'],
      ['-D', 2, null],
    ]);
    // The changelog of expired snapshots still feeds audit.
    const audit = await eddyJson<{ snapshot: number; kind: string }[]>([
      '-w',
      w,
      'audit',
      'db.h',
      '--from',
      '1',
      '--json',
    ]);
    expect(audit.map((e) => [e.snapshot, e.kind])).toEqual([
      [1, '+I'],
      [1, '+I'],
      [2, '+I'],
      [3, '-D'],
    ]);
    const ok = await eddy(['-w', w, 'verify', 'db.h']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/2 long-lived changelogs/);
    // A changelog's data file gone: a change feed could not read it, verify says so. (After a full
    // compaction and expiry, changelog-1's appended file is live in no snapshot, only in changelogs.)
    await t.compact({ full: true });
    await t.expireSnapshots();
    const changelog1 = await t.snapshots.snapshot(1).catch(() => undefined);
    expect(changelog1).toBeUndefined();
    const json = readFileSync(path.join(t.path, 'changelog', 'changelog-1'), 'utf8');
    const [first] = await t.manifests.entriesOfList(/"deltaManifestList": "([^"]+)"/.exec(json)![1]);
    const victim = path.join(t.path, 'bucket-0', first.file.fileName);
    unlinkSync(victim);
    const bad = await eddy(['-w', w, '--json', 'verify', 'db.h']);
    expect(bad.code).toBe(2);
    expect(JSON.parse(bad.stdout).problems).toEqual([
      expect.objectContaining({ snapshot: 1, path: victim, problem: 'changelog file is missing' }),
    ]);
  });

  it('verify reports a deleted data file with exit code 2', async () => {
    const w = path.join(tmp, 'corrupt');
    await makeOrders(w);
    expect((await eddy(['-w', w, 'verify', 'shop.orders'])).code).toBe(0);
    const dir = path.join(w, 'shop.db/orders/region=us/bucket-0');
    const victim = readdirSync(dir).find((f) => f.endsWith('.parquet'))!;
    unlinkSync(path.join(dir, victim));
    const r = await eddy(['-w', w, '--json', 'verify', 'shop.orders']);
    expect(r.code).toBe(2);
    const doc = JSON.parse(r.stdout) as { ok: boolean; problems: { path: string; problem: string }[] };
    expect(doc.ok).toBe(false);
    expect(doc.problems).toContainEqual(
      expect.objectContaining({ path: path.join(dir, victim), problem: 'data file is missing' }),
    );
  });

  it('runs the demo with a change feed and a compaction', async () => {
    const r = await eddy(['demo', './demo-wh', '--seconds', '0.5']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/feed ▸ snapshot 1 [+-][ID] \{"region":/);
    expect(r.stdout).toMatch(/change feed: \d+ changes .* from \d+ snapshots/);
    expect(r.stdout).toMatch(/full compaction → snapshot \d+/);
    expect(r.stdout).toMatch(/files per bucket before → after compaction:\nregion\s+bucket\s+files before/);
    expect(r.stdout).toContain('merge-on-read scan:');
    expect(r.stdout).toMatch(/eddy sql "SELECT region, count\(\*\)[^\n]*"\nregion\s+orders\s+revenue\n/);
    // Again on the same warehouse: refused (no terminal to ask on), the table left as it was.
    const before = await eddyJson<unknown[]>(['-w', path.join(tmp, 'demo-wh'), 'snapshots', 'shop.orders', '--json']);
    const again = await eddy(['demo', './demo-wh', '--seconds', '0.5']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already has a table shop.orders: pass --force/);
    const after = await eddyJson<unknown[]>(['-w', path.join(tmp, 'demo-wh'), 'snapshots', 'shop.orders', '--json']);
    expect(after).toEqual(before);
    const forced = await eddy(['demo', './demo-wh', '--seconds', '0.5', '--force']);
    expect(forced.code).toBe(0);
  });
});

describe('the eddy command itself', () => {
  it('prints its version, a --help for every command, and completion scripts', async () => {
    const v = await eddy(['--version']);
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    const help = await eddy(['--help']);
    expect(help.code).toBe(0);
    const section = help.stdout.slice(help.stdout.indexOf('Commands:'), help.stdout.indexOf('Examples:'));
    const commands = [...section.matchAll(/^ {2}([a-z][a-z-]*)\b/gm)].map((m) => m[1]).filter((c) => c !== 'help');
    expect(commands).toEqual(expect.arrayContaining(['demo', 'scan', 'tail', 'load', 'verify', 'tag', 'completion']));
    // Every command and subcommand has its own --help (checked in-process: a spawn each is slow).
    const program = buildProgram();
    const all = program.commands.flatMap((c) => [c, ...c.commands]);
    expect(all.map((c) => c.name())).toEqual(expect.arrayContaining([...commands, 'create', 'delete', 'list']));
    for (const c of all) {
      const text = c.helpInformation();
      const name = c.parent === program ? c.name() : `${c.parent!.name()} ${c.name()}`;
      expect(text, name).toMatch(new RegExp(`^Usage: eddy ${name}`));
      expect(text, name).toMatch(/\n\s+-h, --help\s+display help for command/);
    }
    expect((await eddy(['scan', '--help'])).stdout).toMatch(/^Usage: eddy scan \[options\] <table>[\s\S]*Examples:/);
    const bash = await eddy(['completion', 'bash']);
    expect(bash.stdout).toContain('complete -o default -F _eddy eddy');
    execFileSync('bash', ['-n'], { input: bash.stdout });
    // The completion offers what the program has: subcommands of `tag`, options of `scan`.
    const complete = (words: string[]) =>
      execFileSync(
        'bash',
        [
          '-c',
          `${bash.stdout}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _eddy; echo "\${COMPREPLY[@]}"`,
        ],
        { encoding: 'utf8' },
      ).trim();
    expect(complete(['eddy', 'tag', ''])).toBe('create delete list');
    expect(complete(['eddy', '-w', 'wh', 'scan', 'shop.orders', '--wh'])).toBe('--where');
    const zsh = await eddy(['completion', 'zsh']);
    expect(zsh.stdout).toMatch(/^#compdef eddy/);
    expect(zsh.stdout).toContain("'--where[");
    expect((await eddy(['completion', 'fish'])).stderr).toMatch(/expected bash or zsh/);
  });

  it('scan streams: a large table prints the first rows and counts the rest; JSON Lines prints all', async () => {
    const w = path.join(tmp, 'big');
    const t = await (await Catalog.open(w)).createTable('db.big', {
      columns: { id: 'INT', s: 'STRING' },
      primaryKey: ['id'],
    });
    await t.upsert(Array.from({ length: 1500 }, (_, id) => ({ id, s: `s${id}` })));
    const human = await eddy(['-w', w, 'scan', 'db.big']);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('(1,000 of 1,500 rows shown; --limit to read fewer, --json or --jsonl for all)');
    expect(human.stdout.split('\n').length).toBeLessThan(1010);
    const jsonl = await eddy(['-w', w, '--jsonl', 'scan', 'db.big']);
    expect(jsonl.stdout.trim().split('\n')).toHaveLength(1500);
    const json = await eddyJson<unknown[]>(['-w', w, '--json', 'scan', 'db.big', '--where', "s like 's14__'"]);
    expect(json).toHaveLength(100);
  });

  it('load: progress lines off a terminal, and Ctrl-C commits nothing and says so', async () => {
    const w = path.join(tmp, 'interrupt');
    await (await Catalog.open(w)).createTable('db.t', { columns: { id: 'INT', s: 'STRING' }, primaryKey: ['id'] });
    // The load reads from a pipe the test holds open: it is mid-load for as long as the test wants.
    const fifo = path.join(tmp, 'rows.jsonl');
    execFileSync('mkfifo', [fifo]);
    const child = spawn(process.execPath, [BIN, '-w', w, 'load', 'db.t', fifo, '--batch-rows', '10'], {
      cwd: tmp,
      env: binEnv({ EDDY_PROGRESS: '0.05' }),
    });
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const progressSeen = new Promise<void>((resolve, reject) => {
      child.stderr.on('data', (d) => {
        stderr += d;
        if (/loading rows\.jsonl: .*rows/.test(stderr)) resolve();
      });
      void exited.then((code) => reject(new Error(`load exited (${code}) before a progress line: ${stderr}`)));
    });
    const { createWriteStream } = await import('node:fs');
    const pipe = createWriteStream(fifo);
    for (let i = 0; i < 100; i++) pipe.write(`{"id": ${i}, "s": "r${i}"}\n`);
    await progressSeen; // a progress line while the load runs, on a pipe (no terminal)
    child.kill('SIGINT');
    await new Promise((r) => child.stderr.once('data', r)); // "interrupted: stopping at the next safe point"
    pipe.end(); // the reader wakes up, sees the interrupt and stops before committing
    expect(await exited).toBe(130);
    expect(stderr).toMatch(
      /interrupted: nothing committed to db\.t \(\d+ rows read, none written\); the table is as it was/,
    );
    expect(await eddyJson<unknown[]>(['-w', w, '--json', 'snapshots', 'db.t'])).toEqual([]);
    rmSync(fifo);
  });
});
