import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Catalog, type Table } from '@eddy/table';
import { afterEach, describe, expect, it } from 'vitest';
import { binEnv } from '../../../test/bin-env.ts';

const BIN = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'eddy-compactor.js');

type LogLine = Record<string, unknown> & { msg: string; level: string };

class Daemon {
  readonly lines: LogLine[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private buf = '';

  constructor(
    readonly child: ChildProcess,
    private readonly waiters: { pred: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [],
  ) {
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      this.buf += chunk;
      let nl = this.buf.indexOf('\n');
      while (nl >= 0) {
        const text = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 1);
        nl = this.buf.indexOf('\n');
        if (text.trim() === '') continue;
        const line = JSON.parse(text) as LogLine; // every stdout line is one JSON object
        this.lines.push(line);
        for (const w of [...this.waiters]) {
          if (w.pred(line)) {
            this.waiters.splice(this.waiters.indexOf(w), 1);
            w.resolve(line);
          }
        }
      }
    });
    child.stderr?.setEncoding('utf8').on('data', (c: string) => this.stderr.push(c));
    this.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  // The timeout only turns a hang into a message with the log: far above any real wait, below the test timeout.
  waitFor(pred: (l: LogLine) => boolean, ms = 150_000): Promise<LogLine> {
    const hit = this.lines.find(pred);
    if (hit) return Promise.resolve(hit);
    return new Promise((resolve, reject) => {
      const t = setTimeout(
        () =>
          reject(
            new Error(
              `timed out; log so far:\n${this.lines.map((l) => JSON.stringify(l)).join('\n')}\n${this.stderr.join('')}`,
            ),
          ),
        ms,
      );
      this.waiters.push({
        pred,
        resolve: (l) => {
          clearTimeout(t);
          resolve(l);
        },
      });
    });
  }
}

const running: Daemon[] = [];
const dirs: string[] = [];

function startDaemon(args: string[], env: Record<string, string> = {}): Daemon {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: binEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const d = new Daemon(child);
  running.push(d);
  return d;
}

afterEach(async () => {
  for (const d of running.splice(0)) {
    if (d.child.exitCode === null && d.child.signalCode === null) {
      d.child.kill('SIGKILL');
      await d.exited;
    }
  }
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function warehouse(tables: string[], commits = 8): Promise<{ dir: string; catalog: Catalog }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'eddy-compactor-'));
  dirs.push(dir);
  const catalog = await Catalog.open(dir);
  for (const name of tables) {
    const t = await catalog.createTable(name, {
      columns: { k: 'INT', v: 'STRING' },
      primaryKey: ['k'],
      // write-only: the writers leave compaction to the daemon, as in production.
      options: { bucket: 2, 'write-only': 'true', 'snapshot.num-retained.min': '2', 'snapshot.time-retained': '0 ms' },
    });
    await upserts(t, commits);
  }
  return { dir, catalog };
}

async function upserts(t: Table, n: number, from = 0): Promise<void> {
  for (let i = from; i < from + n; i++)
    await t.upsert([
      { k: i % 10, v: `v${i}` },
      { k: 50 + i, v: `w${i}` },
    ]);
}

const sortRows = (rows: Record<string, unknown>[]) => [...rows].sort((a, b) => Number(a.k) - Number(b.k));

async function get(port: number, p: string): Promise<{ status: number; type: string | null; body: string }> {
  const r = await fetch(`http://127.0.0.1:${port}${p}`);
  return { status: r.status, type: r.headers.get('content-type'), body: await r.text() };
}

function metric(text: string, name: string, table?: string): number | undefined {
  const series = table === undefined ? name : `${name}{table="${table}"}`;
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** Polls the daemon's observable state until `fn` returns a value; a hang is the test timeout's to catch. */
async function until<T>(fn: () => Promise<T | undefined>): Promise<T> {
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('eddy-compactor daemon', () => {
  it('compacts and expires, serves /healthz and /metrics, and exits 0 on SIGTERM', async () => {
    const { dir, catalog } = await warehouse(['db.a', 'db.b', 'skip.c']);
    const before = new Map<string, Record<string, unknown>[]>();
    for (const n of ['db.a', 'db.b']) before.set(n, sortRows(await (await catalog.getTable(n)).toArray()));
    const d = startDaemon(['--tables', 'db.*', '--port', '0', '--interval', '200ms', '--expire-grace', '0'], {
      EDDY_WAREHOUSE: dir,
    });
    const started = await d.waitFor((l) => l.msg === 'eddy-compactor started');
    expect(started).toMatchObject({ level: 'info', service: 'eddy-compactor', warehouse: dir, host: '127.0.0.1' });
    const port = started.port as number;
    expect(port).toBeGreaterThan(0);

    // Both db.* tables get compacted and expired; skip.c is not this daemon's.
    const text = await until(async () => {
      const m = (await get(port, '/metrics')).body;
      const done = ['db.a', 'db.b'].every(
        (t) =>
          (metric(m, 'eddy_compactor_compactions_total', t) ?? 0) >= 1 &&
          (metric(m, 'eddy_compactor_snapshots_expired_total', t) ?? 0) >= 1,
      );
      return done && (metric(m, 'eddy_compactor_rounds_total') ?? 0) >= 2 ? m : undefined;
    });
    const health = await get(port, '/healthz');
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toMatchObject({ status: 'ok' });
    const metrics = await get(port, '/metrics');
    expect(metrics.type).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(text).toMatch(/^# HELP eddy_compactor_/m);
    expect(metric(text, 'eddy_compactor_compaction_rows_in_total', 'db.a')).toBeGreaterThan(0);
    expect(metric(text, 'eddy_compactor_compaction_rows_out_total', 'db.a')).toBeGreaterThan(0);
    expect(metric(text, 'eddy_compactor_compaction_bytes_out_total', 'db.a')).toBeGreaterThan(0);
    expect(metric(text, 'eddy_compactor_queue_depth')).toBe(0);
    expect(metric(text, 'eddy_compactor_commit_conflicts_total')).toBe(0);
    expect(metric(text, 'eddy_compactor_tables')).toBe(2);
    expect(metric(text, 'eddy_compactor_sorted_runs', 'db.a')).toBeDefined();
    expect(metric(text, 'eddy_compactor_sorted_runs', 'skip.c')).toBeUndefined();
    expect((await get(port, '/nope')).status).toBe(404);

    // A writer keeps going while the daemon runs; reads stay right.
    const a = await catalog.getTable('db.a');
    await upserts(a, 6, 100);
    const rounds = metric((await get(port, '/metrics')).body, 'eddy_compactor_rounds_total') ?? 0;
    // Two more rounds: one that started after the last commit has expired and compacted.
    await until(async () => {
      const m = (await get(port, '/metrics')).body;
      return (metric(m, 'eddy_compactor_compactions_total', 'db.a') ?? 0) >= 2 &&
        (metric(m, 'eddy_compactor_rounds_total') ?? 0) >= rounds + 2
        ? true
        : undefined;
    });
    const expected = new Map(before.get('db.a')?.map((r) => [r.k, r]));
    for (let i = 100; i < 106; i++) {
      expected.set(i % 10, { k: i % 10, v: `v${i}` });
      expected.set(50 + i, { k: 50 + i, v: `w${i}` });
    }
    expect(sortRows(await (await catalog.getTable('db.a')).toArray())).toEqual(sortRows([...expected.values()]));
    expect(sortRows(await (await catalog.getTable('db.b')).toArray())).toEqual(before.get('db.b'));
    const skip = await catalog.getTable('skip.c');
    expect((await skip.snapshots.listSnapshotIds()).length).toBe(8); // untouched
    const snapsA = await a.snapshots.listSnapshotIds();
    expect(snapsA.length).toBeLessThanOrEqual(3); // num-retained.min = 2, plus the compaction after the expiry

    d.child.kill('SIGTERM');
    const exit = await d.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(d.lines.some((l) => l.msg === 'signal: shutting down' && l.signal === 'SIGTERM')).toBe(true);
    expect(d.lines.at(-1)).toMatchObject({ msg: 'eddy-compactor stopped', abandoned: false });
    expect(d.lines.filter((l) => l.level === 'error' || l.level === 'fatal')).toEqual([]);
  });

  it('splits tables between shards: each compacted by exactly one daemon', async () => {
    const names = ['db.t0', 'db.t1', 'db.t2', 'db.t3', 'db.t4', 'db.t5'];
    const { dir } = await warehouse(names, 6);
    const cfg = path.join(dir, '..', `${path.basename(dir)}.yaml`);
    writeFileSync(cfg, `warehouse: ${dir}\nport: -1\nexpire: false\norphan-interval: 0\n`);
    dirs.push(cfg);
    const ds = [0, 1].map((i) => startDaemon(['--config', cfg, '--shard', `${i}/2`, '--once']));
    const exits = await Promise.all(ds.map((d) => d.exited));
    expect(exits).toEqual([
      { code: 0, signal: null },
      { code: 0, signal: null },
    ]);
    const compacted = ds.map((d) => d.lines.filter((l) => l.msg === 'compacted').map((l) => l.table as string));
    expect([...compacted[0], ...compacted[1]].sort()).toEqual(names);
    expect(compacted[0].filter((t) => compacted[1].includes(t))).toEqual([]);
    expect(ds.every((d) => !d.lines.some((l) => l.msg === 'expired snapshots'))).toBe(true);
  });

  it('on SIGTERM mid-round finishes the running compaction, drops queued work, and exits 0', async () => {
    const names = Array.from({ length: 10 }, (_, i) => `db.q${i}`);
    const { dir, catalog } = await warehouse(names, 8);
    const before = new Map<string, Record<string, unknown>[]>();
    for (const n of names) before.set(n, sortRows(await (await catalog.getTable(n)).toArray()));
    const d = startDaemon(['--warehouse', dir, '--port', '-1', '--concurrency', '1', '--expire-grace', '0']);
    await d.waitFor((l) => l.msg === 'compacted');
    d.child.kill('SIGTERM');
    const exit = await d.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    const stopping = d.lines.find((l) => l.msg === 'stopping: waiting for running tasks');
    expect(stopping).toBeDefined();
    expect(d.lines.at(-1)).toMatchObject({ msg: 'eddy-compactor stopped', abandoned: false });
    const compacted = d.lines.filter((l) => l.msg === 'compacted').length;
    expect(compacted).toBeLessThan(names.length); // queued tables were dropped, not started
    for (const n of names) expect(sortRows(await (await catalog.getTable(n)).toArray())).toEqual(before.get(n));
  });

  it('deletes files of expired snapshots once their grace is over, not at the next round', async () => {
    const { dir, catalog } = await warehouse(['db.g'], 8);
    const t = await catalog.getTable('db.g');
    // A round far beyond the test: only the grace timer can delete within it.
    const d = startDaemon([
      '--warehouse',
      dir,
      '--port',
      '-1',
      '--interval',
      '1h',
      '--expire-grace',
      '300ms',
      '--log-level',
      'debug',
    ]);
    const expired = await d.waitFor((l) => l.msg === 'expired snapshots');
    expect(expired.files).toBeGreaterThan(0);
    const deleted = await d.waitFor((l) => l.msg === 'deleted files of expired snapshots');
    expect(deleted).toMatchObject({ table: 'db.g', files: expired.files });
    // The round compacts after expiring: its output is unreferenced until it commits.
    await d.waitFor((l) => l.msg === 'round done');
    // Nothing unreferenced is left, and the table reads the same rows.
    expect((await t.removeOrphanFiles({ olderThanMs: 0, dryRun: true })).orphans).toEqual([]);
    expect(d.lines.filter((l) => l.msg === 'round done')).toHaveLength(1);
    d.child.kill('SIGTERM');
    expect((await d.exited).code).toBe(0);
  });

  it('expires down to retention in one round, however small snapshot.expire.limit is, before compacting', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'eddy-compactor-'));
    dirs.push(dir);
    const catalog = await Catalog.open(dir);
    const t = await catalog.createTable('db.e', {
      columns: { k: 'INT', v: 'STRING' },
      primaryKey: ['k'],
      options: {
        bucket: 1,
        'write-only': 'true',
        'snapshot.num-retained.min': '2',
        'snapshot.time-retained': '0 ms',
        'snapshot.expire.limit': '2',
      },
    });
    await upserts(t, 9);
    const d = startDaemon([
      '--warehouse',
      dir,
      '--once',
      '--port',
      '-1',
      '--expire-grace',
      '0',
      '--log-level',
      'debug',
    ]);
    expect((await d.exited).code).toBe(0);
    // 9 snapshots, 2 retained: 7 expired in one round, by runs of at most 2.
    const runs = d.lines.filter((l) => l.msg === 'expired snapshots');
    expect(runs.map((l) => l.expired)).toEqual([2, 2, 2, 1]);
    const compacted = d.lines.findIndex((l) => l.msg === 'compacted');
    expect(compacted).toBeGreaterThan(d.lines.indexOf(runs[runs.length - 1]));
    // The compaction's snapshot is the only one past the two retained.
    expect(await t.snapshots.listSnapshotIds()).toEqual([8, 9, 10]);
  });

  it('compacts the worst read amplification first', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'eddy-compactor-'));
    dirs.push(dir);
    const catalog = await Catalog.open(dir);
    const runs = { 'db.few': 5, 'db.most': 12, 'db.many': 8 };
    for (const [name, n] of Object.entries(runs)) {
      const t = await catalog.createTable(name, {
        columns: { k: 'INT', v: 'STRING' },
        primaryKey: ['k'],
        options: { bucket: 1, 'write-only': 'true' },
      });
      await upserts(t, n);
    }
    const d = startDaemon(['--warehouse', dir, '--once', '--port', '-1', '--concurrency', '1', '--no-expire']);
    expect((await d.exited).code).toBe(0);
    expect(d.lines.filter((l) => l.msg === 'compacted').map((l) => l.table)).toEqual(['db.most', 'db.many', 'db.few']);
  });

  it('reports bad configuration on stderr with exit code 2', async () => {
    const d = startDaemon(['--shard', '2/2', '--port', '-1'], { EDDY_WAREHOUSE: '/tmp/x' });
    expect((await d.exited).code).toBe(2);
    expect(d.stderr.join('')).toMatch(/--shard/);
    const e = startDaemon(['--port', '-1'], { EDDY_WAREHOUSE: '' });
    expect((await e.exited).code).toBe(2);
    expect(e.stderr.join('')).toMatch(/warehouse is required/);
  });

  it('a nonexistent --warehouse, or one that is a file: exit 2 at start, nothing created', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'eddy-compactor-'));
    dirs.push(dir);
    const missing = path.join(dir, 'no', 'such', 'wh');
    const d = startDaemon(['--warehouse', missing, '--port', '-1']);
    expect((await d.exited).code).toBe(2);
    expect(d.stderr.join('')).toMatch(/--warehouse .*no\/such\/wh does not exist/);
    expect(existsSync(path.join(dir, 'no'))).toBe(false);
    const file = path.join(dir, 'file');
    writeFileSync(file, 'x');
    const f = startDaemon(['--port', '-1'], { EDDY_WAREHOUSE: `file://${file}` });
    expect((await f.exited).code).toBe(2);
    expect(f.stderr.join('')).toMatch(/is not a directory/);
  });

  it('an unreachable S3 endpoint at start: retried with back-off, then exit 1; SIGTERM ends the wait', async () => {
    const env = {
      EDDY_WAREHOUSE: 's3://eddy-unreachable/wh',
      AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'x',
      AWS_SECRET_ACCESS_KEY: 'y',
      AWS_MAX_ATTEMPTS: '1',
    };
    // Each attempt is S3FileIO's own retries (a few seconds); then 1 s, 2 s, ... between attempts.
    // Two daemons at once: one gives up at its --start-timeout, one is stopped while it waits.
    const d = startDaemon(['--port', '-1', '--start-timeout', '1s'], env);
    const e = startDaemon(['--port', '-1', '--start-timeout', '10m'], env);
    const retry = await e.waitFor((l) => l.msg === 'warehouse unreachable: retrying');
    expect(retry).toMatchObject({ level: 'warn', attempt: 1, warehouse: 's3://eddy-unreachable/wh' });
    expect(retry.err).toMatch(/ECONNREFUSED/);
    expect(retry.retryInMs).toBeGreaterThanOrEqual(750);
    e.child.kill('SIGTERM');
    expect(await e.exited).toEqual({ code: 0, signal: null });
    expect((await d.exited).code).toBe(1);
    expect(d.lines.at(-1)).toMatchObject({ msg: 'warehouse unreachable: giving up', level: 'fatal', attempts: 1 });
    expect(d.lines.at(-1)?.err).toMatch(/ECONNREFUSED/);
  });

  it('a table past --table-budget is aborted and skipped (logged, metric); every table still gets its turn; nothing left behind', async () => {
    const names = ['db.b0', 'db.b1', 'db.b2'];
    const { dir, catalog } = await warehouse(names, 8);
    const before = new Map<string, Record<string, unknown>[]>();
    const files = new Map<string, string[]>();
    const listFiles = (t: Table) =>
      ['bucket-0', 'bucket-1'].flatMap((b) => {
        try {
          return readdirSync(path.join(t.path, b)).map((f) => `${b}/${f}`);
        } catch {
          return [];
        }
      });
    for (const n of names) {
      const t = await catalog.getTable(n);
      before.set(n, sortRows(await t.toArray()));
      files.set(n, listFiles(t).sort());
    }
    // 1 ms: no table's maintenance fits (it reads and writes files), so every one is aborted.
    const d = startDaemon(['--warehouse', dir, '--port', '0', '--interval', '100ms', '--table-budget', '1ms']);
    const port = (await d.waitFor((l) => l.msg === 'eddy-compactor started')).port as number;
    const m = await until(async () => {
      const text = (await get(port, '/metrics')).body;
      return names.every((n) => (metric(text, 'eddy_compactor_table_budget_exceeded_total', n) ?? 0) >= 2)
        ? text
        : undefined;
    });
    expect(metric(m, 'eddy_compactor_rounds_total')).toBeGreaterThanOrEqual(2);
    expect(JSON.parse((await get(port, '/healthz')).body)).toMatchObject({ status: 'ok' });
    d.child.kill('SIGTERM');
    expect(await d.exited).toEqual({ code: 0, signal: null });
    const skipped = d.lines.filter(
      (l) => l.msg === 'table ran past its time budget: aborted and skipped until the next round',
    );
    expect(new Set(skipped.map((l) => l.table))).toEqual(new Set(names));
    expect(skipped[0]).toMatchObject({ level: 'warn', budgetMs: 1 });
    expect(d.lines.filter((l) => l.msg === 'compacted')).toEqual([]);
    // Aborted compactions delete what they wrote: wait for the last one to stop, then compare.
    for (const n of names) {
      const t = await catalog.getTable(n);
      expect(sortRows(await t.toArray())).toEqual(before.get(n));
      // Expiry runs first and one run is not cut short, so snapshots may have expired (their files
      // wait out the 60 s grace), but no compaction committed and none left a file behind.
      expect((await t.snapshots.listSnapshotIds()).at(-1)).toBe(8);
      expect(listFiles(t).sort()).toEqual(files.get(n));
    }
  });

  it('SIGTERM mid-compaction with --shutdown-timeout 0: the compaction is aborted, its files deleted, exit 0', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'eddy-compactor-'));
    dirs.push(dir);
    const catalog = await Catalog.open(dir);
    const t = await catalog.createTable('db.big', {
      columns: { k: 'INT', v: 'STRING' },
      primaryKey: ['k'],
      options: { bucket: 1, 'write-only': 'true' },
    });
    // Enough rows that the merge runs over many batches.
    for (let c = 0; c < 6; c++)
      await t.upsert(Array.from({ length: 40_000 }, (_, i) => ({ k: i * 7 + c, v: `v${c}-${i}` })));
    const files = readdirSync(path.join(t.path, 'bucket-0')).sort();
    const d = startDaemon(
      ['--warehouse', dir, '--port', '-1', '--shutdown-timeout', '0', '--log-level', 'debug', '--no-expire'],
      {},
    );
    await d.waitFor((l) => l.msg === 'compacting');
    d.child.kill('SIGTERM');
    expect(await d.exited).toEqual({ code: 0, signal: null });
    const compacted = d.lines.some((l) => l.msg === 'compacted');
    if (!compacted) {
      // The usual case: aborted between batches, nothing committed, nothing left behind.
      expect(d.lines.some((l) => l.msg === 'shutdown timeout: aborting running tasks')).toBe(true);
      expect(
        d.lines.some((l) => l.msg === 'compaction aborted' || l.msg === 'maintenance aborted: shutting down'),
      ).toBe(true);
      await until(async () =>
        readdirSync(path.join(t.path, 'bucket-0')).sort().join() === files.join() ? true : undefined,
      );
      expect((await t.snapshots.listSnapshotIds()).length).toBe(6);
    }
    expect(d.lines.at(-1)).toMatchObject({ msg: 'eddy-compactor stopped' });
    expect((await t.toArray()).length).toBe(40_000 * 6);
  });
});
