/**
 * The randomized reliability driver: writer processes, a compactor and a reader on one warehouse
 * (local disk, or S3 with EDDY_RELIABILITY_STORAGE=s3), every table operation behind a seeded
 * FaultFileIO, and random `kill -9` + restart of any process. At the end everything is stopped and
 * verify.ts checks the table against the model.
 *
 * Determinism: the workload (rows per checkpoint), each process's fault decisions (per incarnation)
 * and the kill schedule come from the seed; the interleaving of processes does not, so a seed
 * reproduces the run's shape, not its exact history. Failures print the seed and the run directory.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { S3FileIO } from '../../packages/s3/src/index.ts';
import { Catalog, EddyError, type FileIO, fileIOForWarehouse, LocalFileIO } from '../../packages/table/src/index.ts';
import { type FaultPolicy, mulberry32, seedOf } from './fault-file-io.ts';
import { type ExpirePolicy, type ProcConfig, READER_CONSUMER } from './journal.ts';
import {
  DATABASE,
  KV_SCHEMA,
  KV_TABLE,
  LOG_SCHEMA,
  LOG_TABLE,
  RACE_SCHEMA,
  RACE_TABLE,
  type WriterSpec,
  writerUser,
} from './model.ts';
import { type VerifyReport, verifyRun } from './verify.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const PROC = path.join(HERE, 'proc.ts');

export type Storage = 'local' | 's3';

export interface DriverOptions {
  readonly seed: number;
  /**
   * Minimum run time. The run goes on past it until `minWork` is done (so what a test asserts does
   * not depend on the machine's speed), but never past `maxDurationMs`.
   */
  readonly durationMs: number;
  /** Hard stop (default: 5 × durationMs + 60 s); the report says whether `minWork` was reached. */
  readonly maxDurationMs?: number;
  readonly minWork?: Partial<WorkTargets>;
  readonly storage?: Storage;
  readonly kvWriters?: number;
  readonly logWriters?: number;
  /** Writers racing on the shared keys of the race table (issue 16 §3). */
  readonly raceWriters?: number;
  /**
   * Probability that a killed KV writer stays down until every snapshot of its commitUser has
   * expired, then replays its last checkpoint (issue 16 §4: must be a no-op).
   */
  readonly longDowntimeProbability?: number;
  readonly faults?: FaultPolicy;
  /** How long a stalled FileIO call hangs before it times out. */
  readonly timeoutMs?: number;
  /** Mean time between kill -9s (exponentially distributed); 0 = no kills. */
  readonly killMeanIntervalMs?: number;
  /** A killed process is restarted after a uniform delay in this range (ms). */
  readonly restartDelayMs?: readonly [number, number];
  readonly expire?: ExpirePolicy;
  /** Progress lines (default: none). */
  readonly log?: (line: string) => void;
  /** Keep the run directory (and a local warehouse) afterwards. Default: only when the run failed. */
  readonly keep?: boolean;
}

/**
 * The default fault mix: rare on reads (a scan or an expiry makes hundreds of calls), more frequent
 * on writes and deletes, and frequent on the commit primitive, where an unknown outcome matters most.
 */
export const DEFAULT_FAULTS: FaultPolicy = {
  default: { before: 0.002, after: 0.001, stall: 0.001 },
  write: { before: 0.004, after: 0.003, stall: 0.002, partial: 0.003 },
  delete: { before: 0.005, after: 0.005, stall: 0.002 },
  writeIfAbsent: { before: 0.03, after: 0.04, stall: 0.03 },
};

/**
 * Aggressive expiry: exactly-once no longer needs a writer's last snapshot to outlive its downtime
 * (the commit-user record keeps its last checkpoint), so snapshots go after 2 s; writers that stay
 * down until all their snapshots are gone then replay their last checkpoint (long downtimes).
 */
export const DEFAULT_EXPIRE: ExpirePolicy = { retainMin: 6, timeRetainedMs: 2000, expireLimit: 50 };

/** What a run must have done before it may stop (counted from the processes' events). */
export interface WorkTargets {
  readonly published: number;
  readonly kills: number;
  /** Injected faults in all, and at least one of each kind before / after / stall. */
  readonly faults: number;
  readonly overwrites: number;
  /** Commits of the race writers (issue 16 §3). */
  readonly raceCommits: number;
  /** Checkpoints that failed with an unknown outcome, had landed, and were found on replay. */
  readonly unknownLanded: number;
  /** Replays of a confirmed checkpoint after every snapshot of the writer expired (issue 16 §4). */
  readonly replaysAfterExpiry: number;
  readonly feedEvents: number;
}

export const DEFAULT_WORK: WorkTargets = {
  published: 30,
  kills: 5,
  faults: 20,
  overwrites: 1,
  raceCommits: 10,
  unknownLanded: 1,
  replaysAfterExpiry: 1,
  feedEvents: 1,
};

/**
 * A process is killed again only once it is this old and has done something in its incarnation (a
 * commit attempt, a compaction or expiry, a read): on a slow machine it is killed less often rather
 * than before it ever gets to work.
 */
const MIN_AGE_BEFORE_KILL_MS = 2500;
const PROGRESS_EVENTS = new Set([
  'commit',
  'commit-error',
  'replay',
  'compact',
  'compact-conflict',
  'compact-error',
  'expire',
  'expire-error',
  'read',
  'read-expired',
  'read-error',
  'feed',
]);

export interface DriverReport {
  readonly seed: number;
  readonly storage: Storage;
  readonly warehouse: string;
  readonly runDir: string;
  readonly wallMs: number;
  readonly spawned: number;
  /** kill -9 during the run (plus the final kill of every process at the end). */
  readonly kills: number;
  readonly finalKills: number;
  /** Processes that died on their own (a crash: counted as a problem). */
  readonly crashes: number;
  readonly ioCalls: number;
  readonly faults: Record<string, number>;
  readonly lateLandings: number;
  /** Whether the run reached `minWork` before `maxDurationMs` (else what is missing). */
  readonly workMissing: string[];
  readonly commits: {
    readonly attempted: number;
    readonly published: number;
    /** Of the published: log-writer checkpoints that overwrote the writer's partition. */
    readonly overwrites: number;
    readonly failed: number;
    /** Checkpoints that failed at least once and then turned out to have landed (found by identifier). */
    readonly unknownLanded: number;
    /** Checkpoints that failed at least once and had not landed (published on replay). */
    readonly unknownNotLanded: number;
    readonly rowOps: number;
    /** Published commits of the race writers. */
    readonly race: number;
    /** Times a writer's files were re-based above a concurrent commit on the same keys. */
    readonly rebases: number;
  };
  /** Restarted writers that replayed their last confirmed checkpoint (a no-op), and of those after expiry. */
  readonly replays: { readonly total: number; readonly afterExpiry: number; readonly longDowntimes: number };
  readonly compactions: {
    readonly ok: number;
    readonly noop: number;
    readonly conflicts: number;
    readonly errors: number;
  };
  readonly expiries: { readonly runs: number; readonly snapshots: number; readonly errors: number };
  readonly reads: { readonly checked: number; readonly expired: number; readonly errors: number };
  readonly feedEvents: number;
  /** Longest time a writer was down (killed → its replacement resumed); may exceed snapshot.time-retained. */
  readonly maxWriterDowntimeMs: number;
  readonly snapshotTimeRetainedMs: number;
  readonly violations: string[];
  readonly unexpected: string[];
  readonly verify: VerifyReport | undefined;
  readonly ok: boolean;
}

interface Proc {
  readonly key: string;
  readonly role: ProcConfig['role'];
  readonly w?: number;
  incarnation: number;
  startedAt?: number;
  /** When the previous incarnation was killed (writers: downtime runs until the next one resumes). */
  downSince?: number;
  child?: ChildProcess;
  exited?: Promise<void>;
  killedByUs: boolean;
  /** Killed, restart pending. */
  restarting?: boolean;
  ioCalls: number;
  stderr: string[];
  /** Work events of the current incarnation. */
  progress: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Where run directories (journals, and the warehouse in local mode) go: EDDY_RELIABILITY_DIR, else
 * /dev/shm when there is one. kill -9 loses no page cache, so a memory file system proves the same
 * crash properties as a disk, without five processes queueing on fsync.
 */
function baseDir(): string {
  const dir = process.env.EDDY_RELIABILITY_DIR;
  if (dir) return dir;
  try {
    fs.accessSync('/dev/shm', fs.constants.W_OK);
    return '/dev/shm';
  } catch {
    return os.tmpdir();
  }
}

export async function s3Warehouse(runId: string): Promise<string> {
  const bucket = process.env.EDDY_S3_BUCKET ?? 'eddy';
  if (!process.env.AWS_ENDPOINT_URL_S3 && !process.env.EDDY_S3_ENDPOINT)
    throw new Error('EDDY_RELIABILITY_STORAGE=s3 needs an S3 server (AWS_ENDPOINT_URL_S3 / EDDY_S3_ENDPOINT)');
  process.env.AWS_ENDPOINT_URL_S3 ??= process.env.EDDY_S3_ENDPOINT;
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  return `s3://${bucket}/reliability/${runId}`;
}

export async function runDriver(options: DriverOptions): Promise<DriverReport> {
  const t0 = Date.now();
  const seed = options.seed;
  const storage = options.storage ?? 'local';
  const log = options.log ?? (() => undefined);
  const runId = `run-${seed}-${Date.now().toString(36)}`;
  const runDir = fs.mkdtempSync(path.join(baseDir(), `eddy-reliability-${seed}-`));
  const warehouse = storage === 's3' ? await s3Warehouse(runId) : path.join(runDir, 'warehouse');
  const writers: WriterSpec[] = [];
  for (let i = 0; i < (options.kvWriters ?? 2); i++) writers.push({ w: writers.length, table: KV_TABLE });
  for (let i = 0; i < (options.logWriters ?? 1); i++) writers.push({ w: writers.length, table: LOG_TABLE });
  for (let i = 0; i < (options.raceWriters ?? 2); i++) writers.push({ w: writers.length, table: RACE_TABLE });
  const faults = options.faults ?? DEFAULT_FAULTS;
  const expire = options.expire ?? DEFAULT_EXPIRE;
  const rnd = mulberry32(seedOf(seed, 'driver'));
  log(`[reliability] seed ${seed}, ${storage}, ${options.durationMs} ms, warehouse ${warehouse}, run dir ${runDir}`);

  // Setup without faults.
  const setupIO: FileIO = storage === 's3' ? await fileIOForWarehouse(warehouse) : new LocalFileIO();
  const catalog = await Catalog.open(warehouse, { fileIO: setupIO });
  const kv = await catalog.createTable(`${DATABASE}.${KV_TABLE}`, KV_SCHEMA);
  await catalog.createTable(`${DATABASE}.${LOG_TABLE}`, LOG_SCHEMA);
  await catalog.createTable(`${DATABASE}.${RACE_TABLE}`, RACE_SCHEMA);
  // The reader's consumer exists from the start, so expiry (2 s) never takes the snapshots its
  // feed has not read yet — also before the reader first starts.
  await setupIO.write(
    `${kv.path}/consumer/consumer-${READER_CONSUMER}`,
    new TextEncoder().encode(JSON.stringify({ nextSnapshot: 1 })),
  );

  const stats = {
    spawned: 0,
    kills: 0,
    finalKills: 0,
    crashes: 0,
    faults: { before: 0, after: 0, stall: 0, partial: 0 } as Record<string, number>,
    lateLandings: 0,
    commitsAttempted: 0,
    published: 0,
    overwrites: 0,
    failed: 0,
    unknownLanded: 0,
    unknownNotLanded: 0,
    rowOps: 0,
    compactOk: 0,
    compactNoop: 0,
    compactConflicts: 0,
    compactErrors: 0,
    expireRuns: 0,
    expiredSnapshots: 0,
    expireErrors: 0,
    readsChecked: 0,
    readsExpired: 0,
    readErrors: 0,
    feedEvents: 0,
    maxWriterDowntimeMs: 0,
    raceCommits: 0,
    rebases: 0,
    replays: 0,
    replaysAfterExpiry: 0,
    longDowntimes: 0,
  };
  const violations: string[] = [];
  const unexpected: string[] = [];
  const procs: Proc[] = [
    ...writers.map((s) => ({ key: `writer-${s.w}`, role: 'writer' as const, w: s.w })),
    { key: 'compactor', role: 'compactor' as const },
    { key: 'reader', role: 'reader' as const },
  ].map((p) => ({ ...p, incarnation: 0, killedByUs: false, ioCalls: 0, stderr: [], progress: 0 }));
  let retiredIoCalls = 0;
  // Every event of every process, for forensics when a run fails (kept with the run directory).
  const events = fs.createWriteStream(path.join(runDir, 'events.log'));
  let running = true;

  const onEvent = (p: Proc, ev: Record<string, unknown>) => {
    if (PROGRESS_EVENTS.has(ev.ev as string)) p.progress++;
    switch (ev.ev) {
      case 'fault':
        stats.faults[ev.kind as string]++;
        if (ev.landed === 'late') stats.lateLandings++;
        break;
      case 'io':
        p.ioCalls = Math.max(p.ioCalls, Number(ev.calls));
        break;
      case 'commit':
        stats.commitsAttempted++;
        if (ev.published) stats.published++;
        if (ev.published && ev.race) stats.raceCommits++;
        stats.rebases += Number(ev.rebases ?? 0);
        if (ev.published && ev.overwrite) stats.overwrites++;
        if (Number(ev.priorFailures) > 0) {
          if (ev.published) stats.unknownNotLanded++;
          else stats.unknownLanded++;
        }
        break;
      case 'commit-error':
        stats.commitsAttempted++;
        stats.failed++;
        break;
      case 'compact':
        if (ev.snapshot === undefined) stats.compactNoop++;
        else stats.compactOk++;
        break;
      case 'compact-conflict':
        stats.compactConflicts++;
        break;
      case 'compact-error':
        stats.compactErrors++;
        break;
      case 'expire':
        stats.expireRuns++;
        stats.expiredSnapshots += Number(ev.expired);
        break;
      case 'expire-error':
        stats.expireErrors++;
        break;
      case 'read':
        stats.readsChecked++;
        break;
      case 'read-expired':
        stats.readsExpired++;
        break;
      case 'read-error':
        stats.readErrors++;
        break;
      case 'feed':
        stats.feedEvents++;
        break;
      case 'replay':
        stats.replays++;
        if (ev.expired && !ev.published) stats.replaysAfterExpiry++;
        break;
      case 'violation':
        violations.push(`${p.key}: ${ev.where}: ${ev.problem}`);
        log(`[reliability] VIOLATION ${p.key}: ${ev.where}: ${ev.problem}`);
        break;
      case 'unexpected':
        unexpected.push(`${p.key}: ${ev.where}: ${ev.code}: ${ev.message}\n${ev.stack}`);
        log(`[reliability] unexpected error in ${p.key}: ${ev.where}: ${ev.code}: ${ev.message}`);
        break;
      case 'resume':
        if (p.downSince !== undefined) {
          stats.maxWriterDowntimeMs = Math.max(stats.maxWriterDowntimeMs, Date.now() - p.downSince);
          p.downSince = undefined;
        }
        break;
    }
  };

  const config = (p: Proc, extra: Partial<ProcConfig> = {}): ProcConfig => ({
    role: p.role,
    warehouse,
    runDir,
    seed,
    incarnation: p.incarnation,
    faults,
    timeoutMs: options.timeoutMs ?? 40,
    writers,
    w: p.w,
    expire,
    ...extra,
  });

  const alive = (p: Proc) => p.child !== undefined && p.child.exitCode === null && p.child.signalCode === null;

  const start = (p: Proc, extra: Partial<ProcConfig> = {}) => {
    // Never two incarnations at once: they would share the journal.
    if (alive(p)) throw new Error(`driver bug: ${p.key} started while running`);
    p.incarnation++;
    p.startedAt = Date.now();
    const tag = `${p.key}#${p.incarnation}`;
    p.killedByUs = false;
    p.progress = 0;
    retiredIoCalls += p.ioCalls;
    p.ioCalls = 0;
    stats.spawned++;
    const child = spawn(process.execPath, ['--import', 'tsx', PROC, JSON.stringify(config(p, extra))], {
      cwd: ROOT,
      // stdin stays open for the child's lifetime: it exits when the driver disappears.
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, NODE_NO_WARNINGS: '1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    });
    p.child = child;
    const lines = readline.createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      events.write(`${Date.now() - t0} ${tag} ${line}\n`);
      try {
        onEvent(p, JSON.parse(line) as Record<string, unknown>);
      } catch {
        p.stderr.push(`stdout: ${line}`);
      }
    });
    child.stderr!.on('data', (d: Buffer) => {
      p.stderr.push(d.toString());
      if (p.stderr.length > 50) p.stderr.splice(0, p.stderr.length - 50);
    });
    p.exited = new Promise<void>((resolve) => {
      child.on('exit', (code, signal) => {
        lines.close();
        if (!p.killedByUs && !(extra.catchUp && code === 0)) {
          stats.crashes++;
          p.downSince ??= Date.now();
          const why = `${p.key} (incarnation ${p.incarnation}) exited on its own: code ${code}, signal ${signal}\n${p.stderr.join('').slice(-3000)}`;
          if (code === 3) violations.push(`${p.key}: exited with violations`);
          else unexpected.push(why);
          log(`[reliability] ${why}`);
          if (running && !extra.catchUp) {
            p.restarting = true;
            setTimeout(() => {
              p.restarting = false;
              if (running) start(p);
            }, 50);
          }
        }
        resolve();
      });
    });
  };

  const kill = async (p: Proc) => {
    if (!alive(p)) return;
    p.killedByUs = true;
    p.downSince ??= Date.now();
    p.child!.kill('SIGKILL');
    await p.exited;
  };

  for (const p of procs) start(p);

  const work = { ...DEFAULT_WORK, ...options.minWork };
  const missingWork = (): string[] => {
    const faultCount = Object.values(stats.faults).reduce((a, b) => a + b, 0);
    const have: [keyof WorkTargets, number][] = [
      ['published', stats.published],
      ['kills', stats.kills],
      ['faults', stats.faults.before > 0 && stats.faults.after > 0 && stats.faults.stall > 0 ? faultCount : 0],
      ['overwrites', stats.overwrites],
      ['raceCommits', stats.raceCommits],
      ['unknownLanded', stats.unknownLanded],
      ['replaysAfterExpiry', stats.replaysAfterExpiry],
      ['feedEvents', stats.feedEvents],
    ];
    return have.filter(([k, n]) => n < work[k]).map(([k, n]) => `${k} ${n} < ${work[k]}`);
  };

  /** Whether any snapshot of `user` is still retained in `table` (read without faults). */
  // The newest snapshot of `user` (a writer that just went down: walk back from the latest).
  const lastSnapshotOf = async (table: string, user: string): Promise<number | undefined> => {
    const t = await catalog.getTable(`${DATABASE}.${table}`);
    const latest = await t.snapshots.latestSnapshotId();
    const earliest = (await t.snapshots.earliestSnapshotId()) ?? 1;
    for (let id = latest ?? 0; id >= earliest; id--) {
      const snap = await t.snapshots.snapshot(id).catch((e: unknown) => {
        if (e instanceof EddyError && e.code === 'NOT_FOUND') return undefined; // expired meanwhile
        throw e;
      });
      if (snap?.commitUser === user) return id;
    }
    return undefined;
  };
  // While a writer waits for its snapshots to expire, the driver expires too, without faults and
  // without a per-run limit: on a fast machine the others commit faster than the compactor's
  // limited, faulty expiry keeps up with, and the writer would wait forever.
  const expireFor = async (table: string, snapshotId: number): Promise<boolean> => {
    const t = await catalog.getTable(`${DATABASE}.${table}`);
    try {
      await t.expireSnapshots({
        retainMin: expire.retainMin,
        timeRetainedMs: expire.timeRetainedMs,
        expireLimit: 1_000_000,
      });
    } catch (e) {
      // Racing the compactor's expiry: the next round goes on from where it stopped.
      if (!(e instanceof EddyError && (e.code === 'NOT_FOUND' || e.code === 'COMMIT_CONFLICT'))) throw e;
    }
    return ((await t.snapshots.earliestSnapshotId()) ?? 0) > snapshotId;
  };

  // Kill loop: at least durationMs, then until the work targets are met (or the hard stop).
  const deadline = t0 + options.durationMs;
  const hardStop = t0 + (options.maxDurationMs ?? options.durationMs * 5 + 60_000);
  const killMean = options.killMeanIntervalMs ?? 1500;
  const [minDelay, maxDelay] = options.restartDelayMs ?? [50, 600];
  const longDowntime = options.longDowntimeProbability ?? 0.35;
  const restarts: Promise<void>[] = [];
  let patientWaiter: (typeof procs)[number] | undefined;
  let lastProgress = Date.now();
  const done = () => Date.now() >= hardStop || (Date.now() >= deadline && missingWork().length === 0);
  while (!done()) {
    const wait = killMean > 0 ? -Math.log(1 - rnd()) * killMean : 1000;
    await sleep(Math.min(wait, Math.max(0, hardStop - Date.now())));
    if (done()) break;
    if (killMean > 0) {
      const p = procs[Math.floor(rnd() * procs.length)];
      const delay = minDelay + rnd() * (maxDelay - minDelay);
      const spec = writers.find((s) => s.w === p.w);
      // A KV writer (another one keeps the chain moving) may stay down until its snapshots expired.
      const long = p.role === 'writer' && spec?.table === KV_TABLE && rnd() < longDowntime;
      if (alive(p) && !p.restarting && p.progress > 0 && Date.now() - (p.startedAt ?? 0) >= MIN_AGE_BEFORE_KILL_MS) {
        stats.kills++;
        p.restarting = true;
        restarts.push(
          kill(p).then(async () => {
            await sleep(delay);
            if (long) {
              stats.longDowntimes++;
              // Until a replay after expiry was seen, one writer at a time waits as long as the run
              // allows: on a slow machine the other KV writers take longer to commit the
              // `retainMin` snapshots that must follow its last one (the target is work, not time).
              const patient = stats.replaysAfterExpiry === 0 && patientWaiter === undefined;
              if (patient) patientWaiter = p;
              const until = patient ? hardStop - 30_000 : Date.now() + 20_000;
              const last = await lastSnapshotOf(KV_TABLE, writerUser(p.w!));
              while (running && last !== undefined && Date.now() < until && !(await expireFor(KV_TABLE, last)))
                await sleep(200);
              if (patientWaiter === p) patientWaiter = undefined;
            }
            p.restarting = false;
            if (running) start(p);
          }),
        );
      }
    }
    if (Date.now() - lastProgress > 10_000) {
      lastProgress = Date.now();
      log(
        `[reliability] ${Math.round((Date.now() - t0) / 1000)} s: ${stats.published} commits, ${stats.kills} kills, ` +
          `${Object.values(stats.faults).reduce((a, b) => a + b, 0)} faults, ${stats.compactOk} compactions` +
          (Date.now() >= deadline ? `; still missing: ${missingWork().join(', ')}` : ''),
      );
    }
  }
  const workMissing = missingWork();
  running = false;
  await Promise.all(restarts);
  for (const p of procs) if (alive(p)) stats.finalKills++;
  await Promise.all(procs.map(kill));
  for (const p of procs) retiredIoCalls += p.ioCalls;

  // The reader catches up with the final table (no faults) so its state can be compared.
  const reader = procs.find((p) => p.role === 'reader')!;
  reader.ioCalls = 0;
  start(reader, { catchUp: true, faults: null });
  const caughtUp = await Promise.race([reader.exited!.then(() => true), sleep(120_000).then(() => false)]);
  if (!caughtUp) {
    unexpected.push('reader: catch-up did not finish within 120 s');
    await kill(reader);
  }
  retiredIoCalls += reader.ioCalls;

  await new Promise((r) => events.end(r));
  let verify: VerifyReport | undefined;
  try {
    verify = await verifyRun({ catalog, seed, writers, runDir, log });
  } catch (e) {
    unexpected.push(`verify: ${(e as Error).stack ?? e}`);
  }
  (setupIO as Partial<S3FileIO>).destroy?.();

  const ok =
    violations.length === 0 && unexpected.length === 0 && stats.crashes === 0 && (verify?.problems.length ?? 1) === 0;
  const report: DriverReport = {
    seed,
    storage,
    warehouse,
    runDir,
    wallMs: Date.now() - t0,
    spawned: stats.spawned,
    kills: stats.kills,
    finalKills: stats.finalKills,
    crashes: stats.crashes,
    ioCalls: retiredIoCalls,
    faults: stats.faults,
    lateLandings: stats.lateLandings,
    workMissing,
    commits: {
      attempted: stats.commitsAttempted,
      published: stats.published,
      overwrites: stats.overwrites,
      failed: stats.failed,
      unknownLanded: stats.unknownLanded,
      unknownNotLanded: stats.unknownNotLanded,
      rowOps: verify?.rowOps ?? 0,
      race: stats.raceCommits,
      rebases: stats.rebases,
    },
    replays: { total: stats.replays, afterExpiry: stats.replaysAfterExpiry, longDowntimes: stats.longDowntimes },
    compactions: {
      ok: stats.compactOk,
      noop: stats.compactNoop,
      conflicts: stats.compactConflicts,
      errors: stats.compactErrors,
    },
    expiries: { runs: stats.expireRuns, snapshots: stats.expiredSnapshots, errors: stats.expireErrors },
    reads: { checked: stats.readsChecked, expired: stats.readsExpired, errors: stats.readErrors },
    feedEvents: stats.feedEvents,
    maxWriterDowntimeMs: stats.maxWriterDowntimeMs,
    snapshotTimeRetainedMs: expire.timeRetainedMs,
    violations,
    unexpected,
    verify,
    ok,
  };
  fs.writeFileSync(path.join(runDir, 'report.json'), JSON.stringify(report, null, 2));
  if (ok && !options.keep) {
    fs.rmSync(runDir, { recursive: true, force: true });
    if (storage === 's3') {
      const io = await fileIOForWarehouse(warehouse);
      await io.deleteDirectory(warehouse).catch(() => undefined);
      (io as Partial<S3FileIO>).destroy?.();
    }
  }
  return report;
}

/** One line per figure, for logs and the closing note. */
export function summarize(r: DriverReport): string {
  const faults = Object.entries(r.faults)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  const v = r.verify;
  return [
    `seed ${r.seed} on ${r.storage}: ${(r.wallMs / 1000).toFixed(1)} s, ${r.spawned} processes started, ${r.kills} kill -9 (+${r.finalKills} at the end), ${r.crashes} crashes`,
    `  FileIO calls ${r.ioCalls}; faults ${Object.values(r.faults).reduce((a, b) => a + b, 0)} (${faults}; ${r.lateLandings} late landings)`,
    `  commits: ${r.commits.attempted} attempts, ${r.commits.published} published (${r.commits.overwrites} partition overwrites, ${r.commits.race} by the race writers; ${r.commits.rebases} re-bases), ${r.commits.failed} failed; checkpoints that failed and had landed anyway (found by identifier on replay) ${r.commits.unknownLanded}, that failed and were published on replay ${r.commits.unknownNotLanded}; ${r.commits.rowOps} row ops in landed checkpoints`,
    `  compactions ${r.compactions.ok} (+${r.compactions.noop} no-op, ${r.compactions.conflicts} conflicts, ${r.compactions.errors} failed); expiry runs ${r.expiries.runs} (${r.expiries.snapshots} snapshots expired, ${r.expiries.errors} failed)`,
    `  longest writer downtime ${(r.maxWriterDowntimeMs / 1000).toFixed(1)} s (snapshot.time-retained ${r.snapshotTimeRetainedMs / 1000} s); ${r.replays.longDowntimes} downtimes until the writer's snapshots expired; restarted writers replayed their last checkpoint ${r.replays.total} times as no-ops, ${r.replays.afterExpiry} of them after all their snapshots expired`,
    `  reads checked ${r.reads.checked} (${r.reads.expired} hit expiry, ${r.reads.errors} failed); change-feed events ${r.feedEvents}`,
    v
      ? `  verify: ${v.snapshots} snapshots (${v.snapshotsScanned} scanned), ${v.dataFiles} live-file checks, checkpoints landed ${JSON.stringify(v.landed)}, final in-doubt checkpoints landed ${v.inDoubtLanded} / not ${v.inDoubtNotLanded}, reader ${v.readerEvents} events, ${v.orphansRemoved} orphans removed`
      : '  verify: did not run',
    ...r.violations.map((x) => `  VIOLATION ${x}`),
    ...r.unexpected.map((x) => `  UNEXPECTED ${x.split('\n')[0]}`),
    ...(v?.problems ?? []).map((x) => `  PROBLEM ${x}`),
    ...(r.workMissing.length > 0 ? [`  WORK NOT DONE by the hard stop: ${r.workMissing.join(', ')}`] : []),
    r.ok ? '  OK' : `  FAILED (run dir kept: ${r.runDir})`,
  ].join('\n');
}
