/**
 * The node side of the Flink suite's one PyFlink process (python/flink_driver.py): start it once,
 * send SQL, submit and wait for jobs, and follow streaming queries whose rows arrive as events.
 * All cells share one driver (the suite runs its files in one worker without isolation), so the
 * JVM and the planner start once.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import type { DataType } from '@eddy/table';
import type { CanonicalRow, CanonicalValue, Kind } from '../interop/canonical.ts';

export const FLINK_DIR = import.meta.dirname;
export const REPO_DIR = path.resolve(FLINK_DIR, '../..');
export const WORK_DIR = path.join(FLINK_DIR, '.work');
const PYTHON = path.join(FLINK_DIR, '.venv/bin/python');
const CLASSPATH = path.join(FLINK_DIR, '.jars/classpath.txt');
const HELPER_JAR = path.join(FLINK_DIR, '.jars/eddy-flink-driver.jar');
const HELPER_SRC = path.join(FLINK_DIR, 'java/RowPump.java');
const LOG = path.join(WORK_DIR, 'driver.log');
const JVM_LOG = path.join(WORK_DIR, 'jvm.log');

/** A row as the driver prints it: integers and decimals as strings (lossless), see flink_driver.py. */
export type FlinkValue = string | number | boolean | null;
export interface FlinkRow {
  readonly kind: Kind;
  readonly row: Readonly<Record<string, FlinkValue>>;
}
export interface StatementResult {
  readonly columns: readonly string[];
  readonly rows: readonly FlinkRow[];
}
export interface StreamEvent extends FlinkRow {
  /** Epoch milliseconds at which the row reached the driver's Python thread. */
  readonly t: number;
}
type Config = Readonly<Record<string, string | number | boolean>>;
type Mode = 'batch' | 'stream' | 'call';

interface Reply {
  id: number;
  ok: boolean;
  error?: string;
  [k: string]: unknown;
}

/** Converts a driver row to the canonical form of test/interop/canonical.ts, by the columns' types. */
export function canonicalFromFlink(types: readonly [string, DataType][], row: Readonly<Record<string, FlinkValue>>) {
  const out: CanonicalRow = {};
  for (const [name, t] of types) {
    const v = row[name];
    if (v === undefined) throw new Error(`Flink returned no column ${name} (columns: ${Object.keys(row).join(', ')})`);
    if (v === null) out[name] = null;
    else if (t.root === 'TINYINT' || t.root === 'SMALLINT' || t.root === 'INT') out[name] = Number(v);
    else out[name] = v as CanonicalValue;
  }
  return out;
}

/** A continuous query: its rows collect in `events` as they arrive. */
export class FlinkStream {
  readonly events: StreamEvent[] = [];
  ended = false;
  error: string | null = null;
  private waiters: (() => void)[] = [];

  constructor(
    private readonly driver: FlinkDriver,
    readonly name: string,
    readonly jobId: string,
  ) {}

  /** @internal */
  push(e: StreamEvent | { end: true; error: string | null }): void {
    if ('end' in e) {
      this.ended = true;
      this.error = e.error;
    } else this.events.push(e);
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves once `done(events)` holds; rejects when the query ends (or fails) first or on timeout. */
  async waitFor(done: (events: readonly StreamEvent[]) => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done(this.events)) {
      if (this.ended)
        throw new Error(
          `Flink query ${this.name} ended before ${what}: ${this.error ?? 'no error'} (${this.events.length} rows)`,
        );
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(
          `Flink query ${this.name}: no ${what} within ${timeoutMs} ms (${this.events.length} rows so far)`,
        );
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 1000));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  async cancel(): Promise<void> {
    if (!this.ended) await this.driver.cancel(this.name);
    if (this.error) throw new Error(`Flink query ${this.name} failed: ${this.error}`);
  }
}

export class FlinkDriver {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();
  private readonly streams = new Map<string, FlinkStream>();
  private readonly stderrTail: string[] = [];
  private exited: string | undefined;
  /** Milliseconds from spawn to a ready JVM with both table environments. */
  startMs = 0;

  private constructor(private readonly child: ChildProcess) {}

  static async start(): Promise<FlinkDriver> {
    if (!existsSync(PYTHON) || !existsSync(CLASSPATH) || !existsSync(HELPER_JAR))
      throw new Error(`the Flink suite is not set up (${PYTHON}, ${CLASSPATH}): run \`bash .ci/flink-setup.sh\``);
    if (statSync(HELPER_SRC).mtimeMs > statSync(HELPER_JAR).mtimeMs)
      throw new Error(`${HELPER_SRC} changed since it was compiled: run \`bash .ci/flink-setup.sh\``);
    mkdirSync(WORK_DIR, { recursive: true });
    appendFileSync(LOG, `\n=== driver start ${new Date().toISOString()}\n`);
    const t0 = performance.now();
    const child = spawn(PYTHON, [path.join(FLINK_DIR, 'python/flink_driver.py')], {
      env: {
        ...process.env,
        // PyFlink's launcher appends HADOOP_CLASSPATH to the JVM's class path (see flink_driver.py).
        HADOOP_CLASSPATH: readFileSync(CLASSPATH, 'utf8').trim(),
        LOG4J_PROPERTIES: path.join(FLINK_DIR, 'python/log4j.properties'),
        EDDY_FLINK_JVM_LOG: JVM_LOG,
        TZ: 'UTC',
        // One JVM runs the session mini-cluster and every job; bound its heap on a shared 2-core machine.
        JVM_ARGS: process.env.JVM_ARGS ?? '-Xmx2g',
        PYTHONUNBUFFERED: '1',
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const d = new FlinkDriver(child);
    const ready = new Promise<void>((resolve, reject) => {
      createInterface({ input: child.stdout! }).on('line', (line) => {
        let msg: Record<string, unknown>;
        try {
          msg = JSON.parse(line);
        } catch {
          d.log(`stdout: ${line}`);
          return;
        }
        if (msg.ready) resolve();
        else if (typeof msg.stream === 'string') d.streams.get(msg.stream)?.push(msg as never);
        else if (typeof msg.id === 'number') {
          const p = d.pending.get(msg.id);
          d.pending.delete(msg.id);
          p?.resolve(msg as Reply);
        }
      });
      createInterface({ input: child.stderr! }).on('line', (line) => d.log(line));
      child.on('exit', (code, signal) => {
        d.exited = `the Flink driver exited (code ${code}, signal ${signal})`;
        const err = new Error(`${d.exited}; its log ends:\n${d.stderrTail.slice(-30).join('\n')}`);
        reject(err);
        for (const p of d.pending.values()) p.reject(err);
        d.pending.clear();
        for (const s of d.streams.values()) s.push({ end: true, error: d.exited });
      });
    });
    await ready;
    d.startMs = performance.now() - t0;
    return d;
  }

  private log(line: string): void {
    this.stderrTail.push(line);
    if (this.stderrTail.length > 400) this.stderrTail.splice(0, 200);
    appendFileSync(LOG, `${line}\n`);
  }

  private async request(op: string, args: Record<string, unknown>): Promise<Reply> {
    if (this.exited) throw new Error(this.exited);
    const id = this.nextId++;
    const reply = new Promise<Reply>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    this.child.stdin!.write(`${JSON.stringify({ id, op, ...args })}\n`);
    const r = await reply;
    if (!r.ok) throw new Error(`Flink ${op} failed: ${r.error}\n(logs: ${LOG}, ${JVM_LOG})`);
    return r;
  }

  /**
   * Runs statements to completion in one table environment; the rows of each (DDL gives none).
   * `call` is for Paimon procedures (CALL sys.compact …): a batch environment whose jobs run on a
   * local mini-cluster of their own (see flink_driver.py).
   */
  async sql(
    statements: string | readonly string[],
    options: { mode?: Mode; config?: Config } = {},
  ): Promise<StatementResult[]> {
    const list = typeof statements === 'string' ? [statements] : statements;
    const r = await this.request('sql', {
      statements: list,
      mode: options.mode ?? 'batch',
      config: options.config ?? {},
    });
    return r.results as StatementResult[];
  }

  /** One batch query's rows. */
  async query(sql: string, config: Config = {}): Promise<readonly FlinkRow[]> {
    const [res] = await this.sql(sql, { config });
    return res!.rows;
  }

  /** Registers a Paimon catalog over a warehouse folder in every environment. */
  async catalog(name: string, warehouse: string): Promise<void> {
    const ddl = `CREATE CATALOG ${name} WITH ('type' = 'paimon', 'warehouse' = 'file://${warehouse}')`;
    for (const mode of ['batch', 'stream', 'call'] as const) await this.sql(ddl, { mode });
  }

  /** Starts a job (INSERT …) without waiting for it. */
  async submit(name: string, sql: string, options: { mode?: 'batch' | 'stream'; config?: Config } = {}) {
    const r = await this.request('submit', { name, sql, mode: options.mode ?? 'stream', config: options.config ?? {} });
    return r.jobId as string;
  }

  /** Waits for a submitted job to finish; throws with Flink's cause when it fails. */
  async wait(name: string, timeoutMs: number): Promise<string> {
    return (await this.request('wait', { name, timeoutMs })).status as string;
  }

  async status(name: string): Promise<string> {
    return (await this.request('status', { name })).status as string;
  }

  async cancel(name: string): Promise<void> {
    await this.request('cancel', { name });
  }

  /** Starts a streaming query (SELECT) whose rows arrive in the returned stream's `events`. */
  async open(name: string, sql: string, config: Config = {}): Promise<FlinkStream> {
    const placeholder = new FlinkStream(this, name, '');
    this.streams.set(name, placeholder);
    try {
      const r = await this.request('open', { name, sql, config });
      const s = new FlinkStream(this, name, r.jobId as string);
      // Rows that arrived before the reply went into the placeholder.
      for (const e of placeholder.events) s.push(e);
      if (placeholder.ended) s.push({ end: true, error: placeholder.error });
      this.streams.set(name, s);
      return s;
    } catch (e) {
      this.streams.delete(name);
      throw e;
    }
  }

  async close(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    await this.request('quit', {}).catch(() => {});
    this.child.stdin!.end();
    const t = setTimeout(() => this.child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(t);
  }

  kill(): void {
    if (!this.exited) this.child.kill('SIGKILL');
  }
}

let shared: Promise<FlinkDriver> | undefined;

/** The suite's one driver, started on first use and stopped when the worker exits. */
export function flink(): Promise<FlinkDriver> {
  if (!shared) {
    shared = FlinkDriver.start();
    shared.then(
      (d) => {
        process.once('exit', () => d.kill());
        console.log(`flink: driver ready in ${(d.startMs / 1000).toFixed(1)} s`);
      },
      () => {},
    );
  }
  return shared;
}
