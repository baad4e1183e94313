/**
 * The maintenance loop. Each round: list the tables this daemon looks after (globs, shard), ask
 * each which buckets need compaction, then run one task per table on a p-queue — worst read
 * amplification (most sorted runs) first — that now and then removes orphan files, expires
 * snapshots until retention is met, then compacts, expiring again every interval while the
 * compaction runs (a slow compaction must not hold retention back). Files of expired snapshots are deleted after a grace period, so a reader
 * that resolved a snapshot just before it expired can finish — as soon as it is over, on a timer of
 * their own rather than at the next round (at a high commit rate a round's compaction would
 * otherwise add its duration to the grace, and the files waiting grow with it).
 *
 * Stopping: no new rounds or tasks start, queued tasks are dropped, running ones get
 * `shutdownTimeoutMs` to finish; then they are aborted (a compaction stops at its next batch,
 * deletes what it wrote and commits nothing) and, should one not stop within ABORT_GRACE_MS,
 * abandoned (its files are orphans for a later cleanup — never wrong data).
 *
 * Bounded work: each table's maintenance runs under `tableBudgetMs`; past it the task is aborted
 * the same way and the table skipped until the next round, so one huge or hostile table cannot
 * starve the others.
 */
import { randomUUID } from 'node:crypto';
import { type BucketHealth, type Catalog, EddyError, type Table } from '@eddy/table';
import PQueue from 'p-queue';
import type { Logger } from 'pino';
import type { DaemonConfig } from './config.ts';
import type { Metrics } from './metrics.ts';
import { inShard, tableFilter } from './select.ts';

interface Job {
  readonly name: string;
  readonly table: Table;
  readonly compact: boolean;
  /** Worst sorted-run count among the buckets that need compaction (0: none). */
  readonly priority: number;
}

interface PendingDeletion {
  readonly due: number;
  readonly name: string;
  readonly table: Table;
  readonly files: string[];
}

/** How long aborted tasks get to stop (at their next batch) before the daemon exits anyway. */
const ABORT_GRACE_MS = 5_000;

/** Why a table's task was aborted: its time budget ran out, or the daemon is stopping. */
class TaskAborted extends Error {
  constructor(readonly reason: 'budget' | 'shutdown') {
    super(reason === 'budget' ? 'the table ran past its time budget' : 'the daemon is stopping');
  }
}

/** `work`, or a rejection with the signal's reason as soon as it aborts (the work is left to stop on its own). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  work.catch(() => undefined);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/** Resolves after `ms`, or as soon as any of `signals` aborts. */
function abortableSleep(ms: number, ...signals: AbortSignal[]): Promise<void> {
  if (signals.some((s) => s.aborted)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(t);
      for (const s of signals) s.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    for (const s of signals) s.addEventListener('abort', done, { once: true });
  });
}

/** Expiry runs one table's round makes at most (each up to `snapshot.expire.limit` snapshots). */
const MAX_EXPIRE_RUNS_PER_ROUND = 20;

const expireLimitOf = (t: Table): number => t.schema.options.snapshotExpireLimit;

const codeOf = (e: unknown): string | undefined => (e instanceof EddyError ? e.code : undefined);
const errInfo = (e: unknown) => ({ code: codeOf(e), err: (e as Error)?.message ?? String(e) });

export class CompactorDaemon {
  readonly commitUser = `eddy-compactor-${randomUUID()}`;
  private readonly queue: PQueue;
  private stopping = false;
  /** Aborted when running tasks must stop (shutdown timeout, second signal). */
  private readonly shutdown = new AbortController();
  private wake: (() => void) | undefined;
  private pending: PendingDeletion[] = [];
  /** Fires when the earliest pending deletion is due. */
  private reaper: NodeJS.Timeout | undefined;
  /** Deletions in flight (timer and round start both delete; one at a time keeps the order simple). */
  private deleting: Promise<void> = Promise.resolve();
  private readonly lastOrphanRun = new Map<string, number>();
  private readonly gauged = new Set<string>();
  private readonly unsupported = new Set<string>();
  private resolveExit!: (r: { abandoned: boolean; error?: unknown }) => void;
  /** Settles when the daemon is done: after `--once`, or after `stop()` drained or timed out. */
  readonly exited: Promise<{ abandoned: boolean; error?: unknown }>;
  rounds = 0;
  lastRoundEndedAt: number | undefined;
  state: 'idle' | 'running' | 'draining' | 'stopped' = 'idle';

  constructor(
    private readonly catalog: Catalog,
    private readonly config: DaemonConfig,
    private readonly log: Logger,
    private readonly metrics: Metrics,
  ) {
    this.queue = new PQueue({ concurrency: config.concurrency });
    this.exited = new Promise((r) => {
      this.resolveExit = r;
    });
    metrics.onCollect(() => {
      metrics.set('queue_depth', this.queue.size);
      metrics.set('in_flight', this.queue.pending);
      metrics.set(
        'pending_file_deletions',
        this.pending.reduce((n, p) => n + p.files.length, 0),
      );
      metrics.set('up', this.stopping ? 0 : 1);
    });
  }

  start(): void {
    this.state = 'running';
    this.loop().then(
      () => {
        this.state = 'stopped';
        this.resolveExit({ abandoned: false });
      },
      (error) => {
        this.state = 'stopped';
        this.log.fatal(errInfo(error), 'maintenance loop failed');
        this.resolveExit({ abandoned: false, error });
      },
    );
  }

  /** Stop taking work; running tasks get `shutdownTimeoutMs`, then `exited` settles regardless. */
  stop(): void {
    if (this.stopping) return;
    this.stopping = true;
    this.state = 'draining';
    const dropped = this.queue.size;
    this.queue.clear();
    this.wake?.();
    this.log.info({ inFlight: this.queue.pending, dropped }, 'stopping: waiting for running tasks');
    let grace: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      this.log.warn({ inFlight: this.queue.pending }, 'shutdown timeout: aborting running tasks');
      this.shutdown.abort(new TaskAborted('shutdown'));
      grace = setTimeout(() => {
        this.log.warn({ inFlight: this.queue.pending }, 'abandoning running tasks');
        this.resolveExit({ abandoned: true });
      }, ABORT_GRACE_MS);
      grace.unref();
    }, this.config.shutdownTimeoutMs);
    timer.unref();
    void this.exited.then(() => {
      clearTimeout(timer);
      clearTimeout(grace);
    });
  }

  /** Give up on running tasks now (a second signal): abort them and exit without waiting. */
  abandon(): void {
    this.stopping = true;
    this.log.warn({ inFlight: this.queue.pending }, 'abandoning running tasks');
    this.shutdown.abort(new TaskAborted('shutdown'));
    this.resolveExit({ abandoned: true });
  }

  get isStopping(): boolean {
    return this.stopping;
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      await this.round();
      if (this.config.once) break;
      if (!this.stopping) await this.sleep(this.config.intervalMs);
    }
    clearTimeout(this.reaper);
    this.reaper = undefined;
    await this.deleting;
    const left = this.pending.reduce((n, p) => n + p.files.length, 0);
    if (left > 0) {
      this.log.info({ files: left }, 'leaving files of expired snapshots to orphan cleanup (grace period not over)');
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  /** One pass over the tables. */
  async round(): Promise<void> {
    const started = Date.now();
    await this.deleteDueFiles(started);
    let names: string[];
    try {
      names = await this.discover();
    } catch (e) {
      this.metrics.inc('errors_total');
      this.log.error(errInfo(e), 'listing tables failed');
      return;
    }
    this.metrics.set('tables', names.length);
    for (const n of this.gauged) {
      if (!names.includes(n)) {
        this.metrics.forget('sorted_runs', n);
        this.metrics.forget('buckets_needing_compaction', n);
        this.gauged.delete(n);
      }
    }
    const jobs: Job[] = [];
    for (const name of names) {
      if (this.stopping) return;
      const job = await this.assess(name);
      if (job) jobs.push(job);
    }
    jobs.sort((a, b) => b.priority - a.priority);
    for (const job of jobs) {
      if (this.stopping) break;
      void this.queue.add(() => this.maintain(job), { priority: job.priority });
    }
    await this.queue.onIdle();
    if (this.stopping) return;
    this.rounds++;
    this.lastRoundEndedAt = Date.now();
    this.metrics.inc('rounds_total');
    this.log.debug(
      { tables: names.length, compactions: jobs.filter((j) => j.compact).length, ms: Date.now() - started },
      'round done',
    );
  }

  private async discover(): Promise<string[]> {
    const match = tableFilter(this.config.tables);
    const out: string[] = [];
    for (const db of await this.catalog.listDatabases()) {
      let tables: string[];
      try {
        tables = await this.catalog.listTables(db);
      } catch (e) {
        if (codeOf(e) === 'NOT_FOUND') continue; // dropped meanwhile
        throw e;
      }
      for (const t of tables) {
        const name = `${db}.${t}`;
        if (match(db, t) && inShard(name, this.config.shard)) out.push(name);
      }
    }
    return out;
  }

  private async assess(name: string): Promise<Job | undefined> {
    let table: Table;
    try {
      table = await this.catalog.getTable(name);
    } catch (e) {
      if (codeOf(e) !== 'NOT_FOUND') {
        this.metrics.inc('errors_total', 1, name);
        this.log.error({ table: name, ...errInfo(e) }, 'loading table failed');
      }
      return undefined;
    }
    let needs: BucketHealth[] = [];
    if (!this.unsupported.has(name)) {
      try {
        needs = (await table.bucketHealth()).filter((n) => n.needsCompaction);
      } catch (e) {
        if (codeOf(e) === 'UNSUPPORTED') this.noteUnsupported(name, e);
        else {
          this.metrics.inc('errors_total', 1, name);
          this.log.error({ table: name, ...errInfo(e) }, 'reading compaction needs failed');
        }
      }
    }
    const priority = needs.reduce((m, n) => Math.max(m, n.sortedRuns), 0);
    this.metrics.set('sorted_runs', priority, name);
    this.metrics.set('buckets_needing_compaction', needs.length, name);
    this.gauged.add(name);
    return { name, table, compact: needs.length > 0, priority };
  }

  private noteUnsupported(name: string, e: unknown): void {
    if (this.unsupported.has(name)) return;
    this.unsupported.add(name);
    this.log.warn({ table: name, ...errInfo(e) }, 'table cannot be compacted; only expiring it');
  }

  /** One table's task under its time budget and the shutdown signal. */
  private async maintain(job: Job): Promise<void> {
    const budgetMs = this.config.tableBudgetMs;
    // One signal for both causes (AbortSignal.any needs Node 20.3; engines say >= 20).
    const task = new AbortController();
    const timer = budgetMs > 0 ? setTimeout(() => task.abort(new TaskAborted('budget')), budgetMs) : undefined;
    const onShutdown = () => task.abort(this.shutdown.signal.reason);
    if (this.shutdown.signal.aborted) onShutdown();
    else this.shutdown.signal.addEventListener('abort', onShutdown, { once: true });
    const signal = task.signal;
    const started = Date.now();
    const work = this.maintainSteps(job, signal);
    try {
      await untilAborted(work, signal);
    } catch (e) {
      if (!(e instanceof TaskAborted)) throw e;
      // On shutdown, let the task reach its next batch and delete what it wrote (stop() bounds the
      // wait); past a budget, free the slot at once for the other tables.
      if (e.reason === 'shutdown') await work.catch(() => undefined);
      if (e.reason === 'budget') {
        this.metrics.inc('table_budget_exceeded_total', 1, job.name);
        this.log.warn(
          { table: job.name, budgetMs, ms: Date.now() - started },
          'table ran past its time budget: aborted and skipped until the next round',
        );
      } else this.log.warn({ table: job.name, ms: Date.now() - started }, 'maintenance aborted: shutting down');
    } finally {
      clearTimeout(timer);
      this.shutdown.signal.removeEventListener('abort', onShutdown);
    }
  }

  private async maintainSteps(job: Job, signal: AbortSignal): Promise<void> {
    // Orphan cleanup before expiry, and not while files of expired snapshots wait out their grace
    // period: it would delete them early (they are unreferenced, and often old).
    const interval = this.config.orphanIntervalMs;
    const last = this.lastOrphanRun.get(job.name);
    const waiting = this.pending.some((p) => p.name === job.name);
    if (interval > 0 && !waiting && (last === undefined || Date.now() - last >= interval)) await this.cleanOrphans(job);
    if (this.stopping || signal.aborted) return;
    // Expiry before compaction: a compaction slower than the commits (S3 under load) must not hold
    // back retention, or snapshots and the metadata every plan reads pile up and slow it further.
    if (this.config.expire) await this.expire(job, signal);
    if (this.stopping || signal.aborted) return;
    if (!job.compact) return;
    // A compaction can take longer than many rounds' worth of commits (S3 under load): expiry goes
    // on beside it every interval, so retention holds whatever the compaction's speed. Never two
    // expiries of a table at once (this loop is the table's only one while the task runs), and
    // never a file the compaction reads: only a compaction's commit removes files from a table
    // written by write-only writers, and this daemon compacts a table in one task at a time (a
    // foreign compaction that removed them makes ours fail and re-plan, never read other rows).
    const compacting = new AbortController();
    const beside = this.config.expire ? this.expireBeside(job, signal, compacting.signal) : undefined;
    try {
      await this.compact(job, signal);
    } finally {
      compacting.abort();
      await beside;
    }
  }

  /** Expiry of `job`'s table every interval until `done` (or the task's `signal`) aborts. */
  private async expireBeside(job: Job, signal: AbortSignal, done: AbortSignal): Promise<void> {
    for (;;) {
      await abortableSleep(this.config.intervalMs, done, signal, this.shutdown.signal);
      if (done.aborted || signal.aborted || this.stopping) return;
      this.metrics.inc('expiries_beside_compaction_total', 1, job.name);
      await this.expire(job, signal);
    }
  }

  private async compact(job: Job, signal: AbortSignal): Promise<void> {
    const started = Date.now();
    this.log.debug({ table: job.name, sortedRuns: job.priority }, 'compacting');
    try {
      const r = await job.table.compact({ commitUser: this.commitUser, signal });
      if (!r.snapshot) return;
      const m = this.metrics;
      m.inc('compactions_total', 1, job.name);
      m.inc('compaction_rows_in_total', r.rowsIn, job.name);
      m.inc('compaction_rows_out_total', r.rowsOut, job.name);
      m.inc('compaction_bytes_in_total', r.bytesIn, job.name);
      m.inc('compaction_bytes_out_total', r.bytesOut, job.name);
      m.inc('compaction_files_in_total', r.filesIn, job.name);
      m.inc('compaction_files_out_total', r.filesOut, job.name);
      this.log.info(
        {
          table: job.name,
          snapshot: r.snapshot.id,
          buckets: r.buckets,
          filesIn: r.filesIn,
          filesOut: r.filesOut,
          rowsIn: r.rowsIn,
          rowsOut: r.rowsOut,
          bytesIn: r.bytesIn,
          bytesOut: r.bytesOut,
          sortedRuns: job.priority,
          ms: Date.now() - started,
        },
        'compacted',
      );
    } catch (e) {
      const code = codeOf(e);
      if (e instanceof TaskAborted) {
        // Stopped between batches: what it wrote is deleted, nothing committed.
        this.log.info({ table: job.name, ms: Date.now() - started, why: e.reason }, 'compaction aborted');
      } else if (code === 'COMMIT_CONFLICT') {
        this.metrics.inc('commit_conflicts_total', 1, job.name);
        this.log.warn(
          { table: job.name, ...errInfo(e) },
          'compaction lost to a concurrent commit; re-planned next round',
        );
      } else if (code === 'UNSUPPORTED') {
        this.noteUnsupported(job.name, e);
      } else {
        this.metrics.inc('errors_total', 1, job.name);
        this.log.error({ table: job.name, ...errInfo(e) }, 'compaction failed');
      }
    }
  }

  /**
   * Expires until retention is met: one run expires at most `snapshot.expire.limit` snapshots
   * (50), fewer than a fast stream makes between two rounds of a slow compaction.
   */
  private async expire(job: Job, signal: AbortSignal): Promise<void> {
    const limit = expireLimitOf(job.table);
    for (let run = 0; run < MAX_EXPIRE_RUNS_PER_ROUND; run++) {
      const expired = await this.expireOnce(job);
      if (expired < limit || this.stopping || signal.aborted) return;
    }
  }

  /** One expiry run; how many snapshots it expired (0 on failure, which it logs). */
  private async expireOnce(job: Job): Promise<number> {
    const grace = this.config.expireGraceMs;
    try {
      const r = await job.table.expireSnapshots({ deferFileDeletion: grace > 0 });
      if (r.expired.length > 0) {
        this.metrics.inc('snapshots_expired_total', r.expired.length, job.name);
        this.log.info(
          {
            table: job.name,
            expired: r.expired.length,
            from: r.expired[0],
            to: r.expired[r.expired.length - 1],
            earliest: r.earliestSnapshotId,
            files: r.files.length,
            graceMs: grace,
          },
          'expired snapshots',
        );
      }
      if (r.expiredConsumers.length > 0) {
        this.log.info({ table: job.name, consumers: r.expiredConsumers }, 'removed expired consumers');
      }
      if (grace > 0 && r.pendingFiles.length > 0) {
        this.pending.push({ due: Date.now() + grace, name: job.name, table: job.table, files: r.pendingFiles });
        this.scheduleReaper();
      } else if (r.files.length > 0) this.metrics.inc('expired_files_deleted_total', r.files.length, job.name);
      return r.expired.length;
    } catch (e) {
      this.metrics.inc('errors_total', 1, job.name);
      this.log.error({ table: job.name, ...errInfo(e) }, 'snapshot expiry failed');
      return 0;
    }
  }

  /** Arms the timer for the earliest pending deletion (none while stopping: orphan cleanup takes what is left). */
  private scheduleReaper(): void {
    if (this.reaper || this.stopping || this.pending.length === 0) return;
    const due = this.pending.reduce((m, p) => Math.min(m, p.due), Number.POSITIVE_INFINITY);
    this.reaper = setTimeout(
      () => {
        this.reaper = undefined;
        if (this.stopping) return;
        void this.deleteDueFiles(Date.now()).then(() => this.scheduleReaper());
      },
      Math.max(0, due - Date.now()),
    );
  }

  private deleteDueFiles(now: number): Promise<void> {
    const due = this.pending.filter((p) => p.due <= now);
    if (due.length === 0) return this.deleting;
    this.pending = this.pending.filter((p) => p.due > now);
    this.deleting = this.deleting.then(() => this.deleteFiles(due));
    return this.deleting;
  }

  private async deleteFiles(due: PendingDeletion[]): Promise<void> {
    for (const p of due) {
      try {
        await p.table.deleteExpiredFiles(p.files);
        this.metrics.inc('expired_files_deleted_total', p.files.length, p.name);
        this.log.debug({ table: p.name, files: p.files.length }, 'deleted files of expired snapshots');
      } catch (e) {
        // Whatever is left is unreferenced: orphan cleanup removes it later.
        this.metrics.inc('errors_total', 1, p.name);
        this.log.error({ table: p.name, ...errInfo(e) }, 'deleting files of expired snapshots failed');
      }
    }
  }

  private async cleanOrphans(job: Job): Promise<void> {
    this.lastOrphanRun.set(job.name, Date.now());
    try {
      const r = await job.table.removeOrphanFiles({ olderThanMs: this.config.orphanOlderThanMs });
      if (r.orphans.length > 0) {
        this.metrics.inc('orphan_files_removed_total', r.orphans.length, job.name);
        this.log.info({ table: job.name, files: r.orphans.length, bytes: r.bytes }, 'removed orphan files');
      }
    } catch (e) {
      if (codeOf(e) === 'UNSUPPORTED') {
        this.log.warn({ table: job.name, ...errInfo(e) }, 'orphan-file cleanup skipped');
        return;
      }
      this.metrics.inc('errors_total', 1, job.name);
      this.log.error({ table: job.name, ...errInfo(e) }, 'orphan-file cleanup failed');
    }
  }
}
