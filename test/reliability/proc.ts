/**
 * One process of the randomized driver: `node --import tsx proc.ts '<json ProcConfig>'`.
 *
 * - writer:    commits checkpoints 1, 2, 3… of its deterministic workload with a stable commitUser;
 *              on any error it drops its writer and replays from its last confirmed checkpoint
 *              (a journal file outside the table), as after a restart. Exactly-once is the SDK's job.
 * - compactor: compacts the PK table (sometimes fully) and expires snapshots of both tables.
 * - reader:    tails the PK table's change feed with a consumer id and checks it as a per-key state
 *              machine (state persisted after every event, so kill -9 and re-delivery are handled);
 *              concurrently, time-travel reads of random snapshots are compared with the model.
 *
 * All table I/O goes through a FaultFileIO. Every event is one JSON line on stdout; the driver
 * aggregates them (a process killed with -9 cannot report at exit).
 */

import type { S3FileIO } from '../../packages/s3/src/index.ts';
import {
  Catalog,
  EddyError,
  type FileIO,
  fileIOForWarehouse,
  LocalFileIO,
  type Table,
  type TableWrite,
} from '../../packages/table/src/index.ts';
import { FaultFileIO, isInjected, mulberry32, seedOf } from './fault-file-io.ts';
import {
  type ProcConfig,
  READER_CONSUMER,
  type ReaderJournal,
  readerJournalPath,
  readJson,
  type WriterJournal,
  writeJsonAtomic,
  writerJournalPath,
} from './journal.ts';
import {
  ChangelogStateMachine,
  compareWithModel,
  DATABASE,
  isCheckpointKind,
  KV_TABLE,
  KvModel,
  LOG_TABLE,
  landedAt,
  logCheckpoint,
  logIsOverwrite,
  metaOf,
  normalizeKv,
  RACE_TABLE,
  raceCheckpoint,
  type SnapshotMeta,
  type WriterSpec,
  writerUser,
} from './model.ts';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function emit(ev: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(ev, (_k, v) => (typeof v === 'bigint' ? String(v) : v))}\n`);
}

const describe = (e: unknown) => ({
  code: e instanceof EddyError ? e.code : (e as Error)?.name,
  injected: isInjected(e),
  message: String((e as Error)?.message ?? e).slice(0, 400),
});

/** Errors a role may see under injected faults and concurrency; anything else is reported as unexpected. */
function expected(e: unknown, alsoOk: readonly string[] = []): boolean {
  if (isInjected(e)) return true;
  return e instanceof EddyError && alsoOk.includes(e.code);
}

function unexpected(where: string, e: unknown): void {
  emit({ ev: 'unexpected', where, ...describe(e), stack: String((e as Error)?.stack ?? '').slice(0, 1500) });
}

async function main(): Promise<void> {
  const cfg = JSON.parse(process.argv[2]) as ProcConfig;
  const id = cfg.role === 'writer' ? `writer-${cfg.w}` : cfg.role;
  const base: FileIO = cfg.warehouse.startsWith('s3://') ? await fileIOForWarehouse(cfg.warehouse) : new LocalFileIO();
  const io = new FaultFileIO(base, {
    seed: seedOf(cfg.seed, id, cfg.incarnation),
    policy: cfg.faults ?? {},
    timeoutMs: cfg.timeoutMs,
    // Partial files only where a real store could leave one and the SDK must cope: files written once
    // under a fresh name (data, changelog, manifests). Overwritten metadata (hints, consumer
    // positions) and the commit primitive are atomic by the FileIO contract.
    filter: (op, p, kind) => kind !== 'partial' || (op === 'write' && /\/(bucket-\d+|manifest)\/[^/]+$/.test(p)),
    onFault: (f) => emit({ ev: 'fault', op: f.op, kind: f.kind, landed: f.landed, path: f.path.slice(-80) }),
  });
  io.enabled = cfg.faults !== null;
  const report = () => emit({ ev: 'io', calls: io.totalCalls });
  setInterval(report, 500).unref();
  emit({ ev: 'start', pid: process.pid });
  // The driver holds our stdin open: when it goes away (even killed), so do we.
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('error', () => process.exit(0));
  process.stdin.resume();

  let catalog: Catalog | undefined;
  while (!catalog) {
    try {
      catalog = await Catalog.open(cfg.warehouse, { fileIO: io });
    } catch (e) {
      if (!expected(e)) unexpected('Catalog.open', e);
      await sleep(20);
    }
  }
  const getTable = async (name: string): Promise<Table> => catalog.getTable(`${DATABASE}.${name}`);
  try {
    if (cfg.role === 'writer') await runWriter(cfg, getTable);
    else if (cfg.role === 'compactor') await runCompactor(cfg, getTable);
    else await runReader(cfg, getTable);
  } finally {
    report();
    await io.settled();
    (base as Partial<S3FileIO>).destroy?.();
  }
}

/** Writes checkpoint `ck` of writer `spec` into `writer` (not committed). */
async function writeCheckpoint(
  cfg: ProcConfig,
  spec: WriterSpec,
  model: KvModel,
  writer: TableWrite,
  ck: number,
  rnd: () => number,
): Promise<void> {
  if (spec.table === KV_TABLE) {
    for (const op of model.opsOf(spec.w, ck)) await writer.write([op.row], op.kind);
  } else if (spec.table === RACE_TABLE) {
    // Half, a flush (numbered now), a pause, the rest: the other race writer's commits land in between.
    const ops = raceCheckpoint(cfg.seed, spec.w, ck);
    const half = Math.ceil(ops.length / 2);
    for (const op of ops.slice(0, half)) await writer.write([op.row], op.kind);
    await writer.flush();
    await sleep(rnd() * 30);
    for (const op of ops.slice(half)) await writer.write([op.row], op.kind);
  } else {
    await writer.write(logCheckpoint(cfg.seed, spec.w, ck));
  }
}

/**
 * After a restart: the table must know every checkpoint the journal confirmed
 * (lastCommittedIdentifier), also when every snapshot of this writer expired while it was down;
 * and replaying the last confirmed checkpoint must be a no-op (exactly-once beyond expiry).
 */
async function checkResume(
  cfg: ProcConfig,
  spec: WriterSpec,
  j: WriterJournal,
  getTable: (n: string) => Promise<Table>,
  rnd: () => number,
): Promise<void> {
  const user = writerUser(spec.w);
  for (let attempt = 0; attempt < 20; attempt++) {
    let writer: TableWrite | undefined;
    try {
      const t = await getTable(spec.table);
      const retained = await hasRetainedSnapshot(t, user);
      const last = await t.lastCommittedIdentifier(user);
      if (last === undefined || last < BigInt(j.confirmed)) {
        emit({
          ev: 'violation',
          where: 'resume',
          problem: `${user} confirmed checkpoint ${j.confirmed}, but lastCommittedIdentifier says ${last} (its snapshots ${retained ? 'are retained' : 'expired'})`,
        });
        process.exitCode = 3;
      }
      const ck = j.confirmed;
      const overwrite = spec.table === LOG_TABLE && logIsOverwrite(cfg.seed, spec.w, ck);
      writer = t.newWriter({ commitUser: user, overwrite: overwrite ? { partition: { w: spec.w } } : undefined });
      await writeCheckpoint(cfg, spec, new KvModel(cfg.seed), writer, ck, rnd);
      const r = await writer.commit(ck);
      if (r.published) {
        emit({ ev: 'violation', where: 'replay', problem: `${user} replayed checkpoint ${ck}: committed again` });
        process.exitCode = 3;
      }
      emit({ ev: 'replay', w: spec.w, ck, expired: !retained, published: r.published, last: last ?? null });
      return;
    } catch (e) {
      if (!expected(e, ['COMMIT_CONFLICT'])) {
        unexpected(`writer ${spec.w} replay of checkpoint ${j.confirmed}`, e);
        return;
      }
      await sleep(rnd() * 20);
    } finally {
      writer?.close();
    }
  }
}

async function runWriter(cfg: ProcConfig, getTable: (n: string) => Promise<Table>): Promise<void> {
  const w = cfg.w!;
  const spec = cfg.writers.find((s) => s.w === w)!;
  const user = writerUser(w);
  const file = writerJournalPath(cfg.runDir, w);
  const j: WriterJournal = readJson<WriterJournal>(file) ?? { confirmed: 0, attempted: 0, failures: 0 };
  const model = new KvModel(cfg.seed);
  const rnd = mulberry32(seedOf(cfg.seed, 'pace', w, cfg.incarnation));
  if (j.confirmed > 0) await checkResume(cfg, spec, j, getTable, rnd);
  emit({ ev: 'resume', w, confirmed: j.confirmed, attempted: j.attempted });
  // Race writers keep one writer across checkpoints (long-lived, as a pipeline does).
  let kept: TableWrite | undefined;
  for (;;) {
    const ck = j.confirmed + 1;
    if (j.attempted < ck) {
      j.attempted = ck;
      j.failures = 0;
      writeJsonAtomic(file, j);
    }
    let writer: TableWrite | undefined;
    const started = performance.now();
    const overwrite = spec.table === LOG_TABLE && logIsOverwrite(cfg.seed, w, ck);
    try {
      const t = await getTable(spec.table);
      if (spec.table === RACE_TABLE) writer = kept ??= t.newWriter({ commitUser: user });
      else writer = t.newWriter({ commitUser: user, overwrite: overwrite ? { partition: { w } } : undefined });
      await writeCheckpoint(cfg, spec, model, writer, ck, rnd);
      const r = await writer.commit(ck);
      // A commit that failed before and now finds its identifier committed had an unknown outcome and landed.
      emit({
        ev: 'commit',
        w,
        ck,
        race: spec.table === RACE_TABLE,
        overwrite,
        published: r.published,
        snapshot: r.snapshot?.id,
        attempts: r.attempts,
        rebases: r.rebases ?? 0,
        priorFailures: j.failures,
        ms: Math.round(performance.now() - started),
      });
      if (!r.published && r.snapshot === undefined)
        unexpected('commit', new Error(`checkpoint ${ck} published nothing`));
      j.confirmed = ck;
      j.failures = 0;
      writeJsonAtomic(file, j);
    } catch (e) {
      j.failures++;
      writeJsonAtomic(file, j);
      emit({ ev: 'commit-error', w, ck, ...describe(e) });
      if (!expected(e, ['COMMIT_CONFLICT'])) unexpected(`writer ${w} checkpoint ${ck}`, e);
      // The writer's buffers may hold part of the failed checkpoint: start over with a new one.
      kept?.close();
      kept = undefined;
      await sleep(rnd() * 30);
    } finally {
      if (writer !== kept) writer?.close();
    }
    await sleep(rnd() * 20);
  }
}

async function runCompactor(cfg: ProcConfig, getTable: (n: string) => Promise<Table>): Promise<void> {
  const rnd = mulberry32(seedOf(cfg.seed, 'compactor', cfg.incarnation));
  for (;;) {
    try {
      const name = rnd() < 0.7 ? KV_TABLE : RACE_TABLE;
      const t = await getTable(name);
      const full = rnd() < 0.3;
      const r = await t.compact({ full, commitUser: 'compactor' });
      emit({ ev: 'compact', table: name, full, snapshot: r.snapshot?.id, filesIn: r.filesIn, filesOut: r.filesOut });
    } catch (e) {
      const conflict = e instanceof EddyError && e.code === 'COMMIT_CONFLICT';
      emit({ ev: conflict ? 'compact-conflict' : 'compact-error', ...describe(e) });
      if (!expected(e, ['COMMIT_CONFLICT'])) unexpected('compact', e);
    }
    if (cfg.expire) {
      for (const name of [KV_TABLE, LOG_TABLE]) {
        try {
          const t = await getTable(name);
          const r = await t.expireSnapshots({
            retainMin: cfg.expire.retainMin,
            timeRetainedMs: cfg.expire.timeRetainedMs,
            expireLimit: cfg.expire.expireLimit,
          });
          emit({ ev: 'expire', table: name, expired: r.expired.length, files: r.files.length });
        } catch (e) {
          emit({ ev: 'expire-error', table: name, ...describe(e) });
          if (!expected(e)) unexpected(`expire ${name}`, e);
        }
      }
    }
    await sleep(50 + rnd() * 250);
  }
}

async function runReader(cfg: ProcConfig, getTable: (n: string) => Promise<Table>): Promise<void> {
  const stop = new AbortController();
  const feed = runFeed(cfg, getTable, stop.signal);
  if (cfg.catchUp) {
    await feed;
    return;
  }
  await Promise.all([feed, runTimeTravel(cfg, getTable)]);
}

/** The change feed as a state machine, resumable exactly from the journal. */
async function runFeed(cfg: ProcConfig, getTable: (n: string) => Promise<Table>, signal: AbortSignal): Promise<void> {
  const file = readerJournalPath(cfg.runDir);
  for (;;) {
    const j: ReaderJournal = readJson<ReaderJournal>(file) ?? { snap: 0, idx: 0, state: [], events: 0 };
    if (j.dead) return;
    const sm = new ChangelogStateMachine();
    for (const [k, row] of j.state) {
      if (row === 'retracted') {
        sm.state.set(k, 'retracted');
        continue;
      }
      const [kk, w, ck, ...v] = row.split('|');
      sm.state.set(k, { k: BigInt(kk), w: Number(w), ck: Number(ck), v: v.join('|') });
    }
    sm.events = j.events;
    let end: number | undefined;
    try {
      const t = await getTable(KV_TABLE);
      if (cfg.catchUp) {
        end = await t.snapshots.latestSnapshotId();
        if (end === undefined || end <= j.snap) {
          emit({ ev: 'caught-up', snap: j.snap, events: j.events, end });
          return;
        }
      }
      let cur = -1;
      let idx = 0;
      emit({ ev: 'feed-start', snap: j.snap, idx: j.idx, keys: j.state.length });
      for await (const e of t.changes({
        consumerId: READER_CONSUMER,
        scanMode: 'from-snapshot',
        snapshotId: 1,
        pollIntervalMs: 50,
        endSnapshotId: end,
        signal,
      })) {
        if (e.snapshotId !== cur) {
          cur = e.snapshotId;
          idx = 0;
        }
        idx++;
        // Re-delivered after a restart (the consumer position lags the journal by at most a snapshot).
        if (cur < j.snap || (cur === j.snap && idx <= j.idx)) continue;
        const problem = sm.apply(e.kind, normalizeKv(e.row));
        if (problem) {
          emit({ ev: 'violation', where: 'changelog', snapshot: cur, problem });
          process.exitCode = 3;
        }
        j.snap = cur;
        j.idx = idx;
        j.events = sm.events;
        j.state = [...sm.state].map(([k, r]) => [k, r === 'retracted' ? 'retracted' : `${r.k}|${r.w}|${r.ck}|${r.v}`]);
        writeJsonAtomic(file, j);
        emit({ ev: 'feed', snapshot: cur, idx, e: `${e.kind} ${e.row.k}|${e.row.ck}` });
      }
      if (cfg.catchUp) {
        emit({ ev: 'caught-up', snap: j.snap, events: j.events, end });
        return;
      }
    } catch (e) {
      if (e instanceof EddyError && e.code === 'SNAPSHOT_EXPIRED') {
        // Legal: the feed lost its position. (With a consumer id it should not happen: report it.)
        j.dead = e.message;
        writeJsonAtomic(file, j);
        emit({ ev: 'feed-expired', message: e.message });
        return;
      }
      emit({ ev: 'feed-error', ...describe(e) });
      if (!expected(e)) unexpected('change feed', e);
      await sleep(30);
    }
  }
}

/** Reads random snapshots of both tables and compares them with the model. */
async function runTimeTravel(cfg: ProcConfig, getTable: (n: string) => Promise<Table>): Promise<void> {
  const rnd = mulberry32(seedOf(cfg.seed, 'reader', cfg.incarnation));
  const model = new KvModel(cfg.seed);
  const attempted = (w: number) => readJson<WriterJournal>(writerJournalPath(cfg.runDir, w))?.attempted ?? 0;
  for (;;) {
    await sleep(200 + rnd() * 500);
    const name = rnd() < 0.5 ? KV_TABLE : LOG_TABLE;
    let t: Table | undefined;
    let at: number | undefined;
    try {
      t = await getTable(name);
      const ids = await t.snapshots.listSnapshotIds();
      if (ids.length === 0) continue;
      const snap = rnd() < 0.5 ? ids[ids.length - 1] : ids[Math.floor(rnd() * ids.length)];
      at = snap;
      const users = cfg.writers.filter((s) => s.table === name).map((s) => writerUser(s.w));
      const metas = await metasAround(t, snap, ids[ids.length - 1], users);
      const rows = await t.toArray({ snapshotId: snap });
      const expectedCounts = new Map(cfg.writers.map((s) => [s.w, landedAt(metas, writerUser(s.w), snap)]));
      const { problems } = compareWithModel(model, name, rows, cfg.writers, expectedCounts, attempted);
      for (const p of problems) {
        emit({ ev: 'violation', where: `time travel ${name}@${at}`, problem: p });
        process.exitCode = 3;
      }
      emit({ ev: 'read', table: name, snapshot: at, rows: rows.length });
    } catch (e) {
      // A snapshot (or its files) expired while being read is a legal outcome — unless the snapshot
      // is still there, in which case a file it references is missing.
      const gone = e instanceof EddyError && (e.code === 'NOT_FOUND' || e.code === 'SNAPSHOT_EXPIRED');
      if (gone && t && at !== undefined && (await stillExists(t, at))) {
        emit({ ev: 'violation', where: `time travel ${name}@${at}`, problem: `retained snapshot, ${e.message}` });
        process.exitCode = 3;
      }
      emit({ ev: gone ? 'read-expired' : 'read-error', ...describe(e) });
      if (!expected(e, ['NOT_FOUND', 'SNAPSHOT_EXPIRED'])) unexpected(`time travel ${name}`, e);
    }
  }
}

/**
 * The snapshots around `at` that tell how many checkpoints each user had landed by then: walking
 * back from `at` until every user's last checkpoint commit is found, then forward for users not found.
 */
async function metasAround(t: Table, at: number, last: number, users: readonly string[]): Promise<SnapshotMeta[]> {
  const metas: SnapshotMeta[] = [];
  const missing = new Set(users);
  const read = async (id: number): Promise<SnapshotMeta | undefined> => {
    try {
      return metaOf(await t.snapshots.snapshot(id));
    } catch (e) {
      if (e instanceof EddyError && e.code === 'NOT_FOUND') return undefined; // expired meanwhile
      throw e;
    }
  };
  for (let id = at; id >= 1 && missing.size > 0; id--) {
    const m = await read(id);
    if (!m) break;
    metas.push(m);
    if (isCheckpointKind(m.commitKind)) missing.delete(m.commitUser);
  }
  for (let id = at + 1; id <= last && missing.size > 0; id++) {
    const m = await read(id);
    if (!m) continue;
    metas.push(m);
    if (isCheckpointKind(m.commitKind)) missing.delete(m.commitUser);
  }
  return metas;
}

/** Whether a retained snapshot of `user` exists (snapshots expired while listing are skipped). */
async function hasRetainedSnapshot(t: Table, user: string): Promise<boolean> {
  for (const id of await t.snapshots.listSnapshotIds()) {
    try {
      if ((await t.snapshots.snapshot(id)).commitUser === user) return true;
    } catch (e) {
      if (!(e instanceof EddyError && e.code === 'NOT_FOUND')) throw e;
    }
  }
  return false;
}

/** Whether snapshot `id` still exists (asked again on injected faults). */
async function stillExists(t: Table, id: number): Promise<boolean> {
  for (let i = 0; i < 20; i++) {
    try {
      return await t.snapshots.snapshotExists(id);
    } catch (e) {
      if (!isInjected(e)) throw e;
    }
  }
  return false;
}

main().then(
  // stdin (held open by the driver) would keep the process alive.
  () => process.exit(),
  (e) => {
    unexpected('main', e);
    process.exit(2);
  },
);
