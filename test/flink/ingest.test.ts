/**
 * Cell 3 — a Flink streaming INSERT INTO with checkpoints writes two Eddy-created `write-only`
 * tables while `eddy-compactor` compacts and expires them, an Eddy change-feed consumer and a
 * Flink streaming query (each with a consumer id) tail the primary-key table: the job finishes
 * without failure, no row is lost or duplicated, and the two feeds agree with each other and with
 * the model.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { Catalog, type ChangeEvent } from '@eddy/table';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CanonicalRow, fromEddy } from '../interop/canonical.ts';
import { canonicalFromFlink, type FlinkDriver, flink, REPO_DIR } from './driver.ts';
import {
  eddyCli,
  eddyRows,
  expectSameChanges,
  expectSameRows,
  flinkRows,
  freshWarehouse,
  hint,
  typesOf,
} from './helpers.ts';
import { unlessKnown } from './limitations.ts';

/** Rows the job writes (seq 1..N), at a rate that spreads them over many checkpoints. */
const N = 30_000;
const ROWS_PER_SECOND = 1_500;
const KEYS = 500;
const CAT = 'ingest_wh';

/** Checkpoints every second; any failure fails the job at once (no silent restart from a checkpoint). */
const JOB_CONFIG = { 'execution.checkpointing.interval': '1s', 'restart-strategy.type': 'none' };

let d: FlinkDriver;
let wh: string;
let compactor: ChildProcess | undefined;
const compactorLog: Record<string, unknown>[] = [];

const TABLE_OPTIONS = {
  'write-only': 'true',
  'snapshot.num-retained.min': '3',
  'snapshot.num-retained.max': '6',
  'snapshot.time-retained': '1 s',
  'consumer.expiration-time': '1 h',
};

beforeAll(async () => {
  wh = freshWarehouse('ingest');
  d = await flink();
  await d.catalog(CAT, wh);
});

afterAll(async () => {
  if (compactor && compactor.exitCode === null) compactor.kill('SIGKILL');
});

function startCompactor(): ChildProcess {
  const bin = path.join(REPO_DIR, 'services/compactor/bin/eddy-compactor.js');
  const args = ['--warehouse', wh, '--tables', 'db.*', '--interval', '500ms', '--expire-grace', '1s', '--port', '-1'];
  const child = spawn(process.execPath, [bin, ...args], { cwd: REPO_DIR, stdio: ['ignore', 'pipe', 'pipe'] });
  createInterface({ input: child.stdout! }).on('line', (l) => {
    try {
      compactorLog.push(JSON.parse(l));
    } catch {
      compactorLog.push({ msg: l });
    }
  });
  createInterface({ input: child.stderr! }).on('line', (l) => compactorLog.push({ stderr: l }));
  return child;
}

async function stopCompactor(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill('SIGTERM');
  return exited;
}

describe('cell 3: Flink streaming INSERT INTO (checkpoints, write-only) while eddy-compactor compacts and expires', () => {
  it('no job failure, no lost or duplicated row; Eddy feed, Flink feed and model agree', async () => {
    const catalog = await Catalog.open(wh);
    const pk = await catalog.createTable('db.events_pk', {
      columns: { id: 'BIGINT', seq: 'BIGINT', v: 'STRING' },
      primaryKey: ['id'],
      options: { bucket: '2', 'changelog-producer': 'input', ...TABLE_OPTIONS },
    });
    const log = await catalog.createTable('db.events_log', {
      columns: { seq: 'BIGINT', v: 'STRING' },
      options: { bucket: '-1', ...TABLE_OPTIONS },
    });
    // snapshot 1 of each, so both feeds can start from it
    await pk.upsert({ id: -1n, seq: 0n, v: 'seed' });
    await log.upsert({ seq: 0n, v: 'seed' });

    // the Eddy consumer: tails the changelog from snapshot 1, its position kept in consumer/consumer-eddy-feed
    const ac = new AbortController();
    const eddyFeed: ChangeEvent[] = [];
    const eddyTail = (async () => {
      for await (const e of pk.changes({
        scanMode: 'from-snapshot',
        snapshotId: 1,
        consumerId: 'eddy-feed',
        pollIntervalMs: 100,
        signal: ac.signal,
      }))
        eddyFeed.push(e);
    })().catch((e: unknown) => (ac.signal.aborted ? undefined : Promise.reject(e)));

    // the Flink consumer: a streaming query with its own consumer id (progress kept at checkpoints)
    const flinkTail = await d.open(
      'ingest-tail',
      `SELECT * FROM ${CAT}.db.events_pk ${hint({
        'scan.mode': 'from-snapshot',
        'scan.snapshot-id': 1,
        'consumer-id': 'flink-tail',
        'continuous.discovery-interval': '200ms',
      })}`,
      JOB_CONFIG,
    );

    compactor = startCompactor();
    await d.sql(
      `CREATE TEMPORARY TABLE gen (seq BIGINT) WITH ('connector' = 'datagen', 'fields.seq.kind' = 'sequence', ` +
        `'fields.seq.start' = '1', 'fields.seq.end' = '${N}', 'rows-per-second' = '${ROWS_PER_SECOND}')`,
      { mode: 'stream' },
    );
    const t0 = performance.now();
    let last = t0;
    const phase = (what: string) => {
      const now = performance.now();
      console.log(`cell 3: ${what} after ${((now - last) / 1000).toFixed(1)} s`);
      last = now;
    };
    await d.submit(
      'ingest',
      `EXECUTE STATEMENT SET BEGIN
         INSERT INTO ${CAT}.db.events_pk SELECT seq % ${KEYS} AS id, seq, CONCAT('v', CAST(seq AS STRING)) FROM gen;
         INSERT INTO ${CAT}.db.events_log SELECT seq, CONCAT('v', CAST(seq AS STRING)) FROM gen;
       END`,
      { config: JOB_CONFIG },
    );
    const outcome = await unlessKnown('ingest:job', () => d.wait('ingest', 200_000));
    const jobMs = performance.now() - t0;
    await d.sql('DROP TEMPORARY TABLE gen', { mode: 'stream' });
    phase(`job ${outcome.ok ? outcome.value : 'failed'}`);
    if (!outcome.ok) {
      // the documented failure: nothing after it can be checked
      ac.abort();
      await eddyTail;
      await flinkTail.cancel().catch(() => undefined);
      await stopCompactor(compactor);
      return;
    }
    expect(outcome.value).toBe('FINISHED');
    const code = await stopCompactor(compactor);
    expect(code, JSON.stringify(compactorLog.filter((l) => l.level === 50 || l.stderr))).toBe(0);

    // the job's commits and the compactor's, interleaved
    const snaps = await pk.listSnapshots();
    const lastAppend = snaps.filter((x) => x.commitKind === 'APPEND').at(-1)!.id;
    const said = (msg: string, table: string) => compactorLog.filter((l) => l.msg === msg && l.table === table);
    const compacted = said('compacted', 'db.events_pk').map((l) => l.snapshot as number);
    const expiredPk = said('expired snapshots', 'db.events_pk');
    const expiredLog = said('expired snapshots', 'db.events_log');
    const conflicts = said('compaction lost to a concurrent commit; re-planned next round', 'db.events_pk').length;
    console.log(
      `cell 3: Flink wrote ${N} rows in ${(jobMs / 1000).toFixed(1)} s (${lastAppend - 1} checkpoint commits into ` +
        `events_pk); eddy-compactor compacted it ${compacted.length} times (snapshots ${compacted.join(', ')}), ` +
        `lost ${conflicts} compactions to Flink's commits, expired ${expiredPk.length} + ${expiredLog.length} times`,
    );
    expect(compactorLog.filter((l) => (l.level as number) >= 50 || l.stderr)).toEqual([]);
    expect(
      compacted.some((id) => id < lastAppend),
      'eddy-compactor compacted while Flink was still writing',
    ).toBe(true);
    expect(expiredPk.length, 'eddy-compactor expired events_pk snapshots').toBeGreaterThan(0);
    expect(expiredLog.length, 'eddy-compactor expired events_log snapshots').toBeGreaterThan(0);

    // feeds: the full changelog, seq 0..N, each exactly once, on both sides
    const types = typesOf(pk);
    phase(`checks of the compactor's work (Flink tail has ${flinkTail.events.length}, Eddy feed ${eddyFeed.length})`);
    await flinkTail.waitFor((ev) => ev.length >= N + 1, 300_000, `all ${N + 1} changes`);
    const deadline = Date.now() + 120_000;
    phase('Flink tail complete');
    while (eddyFeed.length < N + 1 && Date.now() < deadline) await sleep(100);
    ac.abort();
    await eddyTail;
    await flinkTail.cancel();
    const eddyChanges = eddyFeed.map((e) => ({ kind: e.kind, row: fromEddy(types, e.row) }));
    const flinkChanges = flinkTail.events.map((e) => ({ kind: e.kind, row: canonicalFromFlink(types, e.row) }));
    phase('Eddy feed complete');
    expectExactlyOnce(eddyChanges, 'Eddy feed');
    expectExactlyOnce(flinkChanges, 'Flink feed');
    expectSameChanges(types, ['id'], eddyChanges, flinkChanges, 'Eddy feed', 'Flink feed');

    // table state: the model, Eddy, Flink
    const model: CanonicalRow[] = [{ id: '-1', seq: '0', v: 'seed' }];
    for (let id = 0; id < KEYS; id++) {
      const last = N - ((N - id) % KEYS); // the largest seq ≤ N with seq % KEYS = id
      model.push({ id: String(id), seq: String(last), v: `v${last}` });
    }
    expectSameRows(types, model, await eddyRows(pk), 'model', 'Eddy events_pk');
    expectSameRows(
      types,
      model,
      flinkRows(types, await d.query(`SELECT * FROM ${CAT}.db.events_pk`)),
      'model',
      'Flink events_pk',
    );
    const logTypes = typesOf(log);
    phase('events_pk compared');
    const logModel = Array.from({ length: N + 1 }, (_, s) => ({ seq: String(s), v: s === 0 ? 'seed' : `v${s}` }));
    expectSameRows(logTypes, logModel, await eddyRows(log), 'model', 'Eddy events_log');
    const [agg] = await d.sql(
      `SELECT count(*) AS n, count(DISTINCT seq) AS d, sum(seq) AS s FROM ${CAT}.db.events_log`,
    );
    expect(agg!.rows[0]!.row).toEqual({ n: String(N + 1), d: String(N + 1), s: String((N * (N + 1)) / 2) });

    phase('events_log compared');
    for (const t of [pk, log]) expect(await eddyCli(wh, 'verify', t.name)).toMatch(/OK/);
  });
});

function sleep(ms: number) {
  return new Promise((r) => setTimeout(r, ms));
}

/** Every seq 0..N appears exactly once, as +I (changelog-producer = input of an insert-only job). */
function expectExactlyOnce(changes: readonly { kind: string; row: CanonicalRow }[], who: string): void {
  const seen = new Map<string, number>();
  for (const c of changes) {
    expect(c.kind, `${who}: ${JSON.stringify(c)}`).toBe('+I');
    seen.set(c.row.seq as string, (seen.get(c.row.seq as string) ?? 0) + 1);
  }
  const dup = [...seen].filter(([, n]) => n > 1).map(([s]) => s);
  const lost = Array.from({ length: N + 1 }, (_, s) => String(s)).filter((s) => !seen.has(s));
  expect({ duplicated: dup.slice(0, 10), lost: lost.slice(0, 10), counts: [dup.length, lost.length] }, who).toEqual({
    duplicated: [],
    lost: [],
    counts: [0, 0],
  });
}
