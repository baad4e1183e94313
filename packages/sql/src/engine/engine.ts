/**
 * The main thread's side of the engine worker: starts it, runs statements on it, and answers the
 * calls its table functions make (through a ScanProvider) on the data port.
 */
import { MessageChannel, Worker } from 'node:worker_threads';
import { EddyError } from '@eddy/table';
import type {
  EngineReply,
  EngineRequest,
  ResolveArgs,
  ScanAnswer,
  ScanCall,
  WireBatch,
  WireField,
} from './protocol.ts';
import { transferList } from './protocol.ts';

/** What the table functions ask for: implemented by EddySql. */
export interface ScanProvider {
  /** Binds a table function call: a handle and its columns. */
  resolve(session: number, fn: string, args: ResolveArgs): Promise<{ handle: number; fields: readonly WireField[] }>;
  /** Starts reading a handle with these column indexes (-1: any column, unread). */
  open(handle: number, projection: readonly number[]): Promise<number>;
  /** The next batch of a cursor, or undefined at its end. */
  next(cursor: number): Promise<WireBatch | undefined>;
}

/** A statement's result as it streams from the engine. */
export interface EngineResult {
  readonly fields: readonly WireField[];
  /** Batches in order; ends (and frees the statement) when exhausted or returned. */
  readonly batches: AsyncGenerator<WireBatch>;
}

type Waiter = { resolve: (r: EngineReply) => void; reject: (e: Error) => void };

const isCompiled = import.meta.url.endsWith('.js');
const BOOT = new URL('./boot.mjs', import.meta.url);
const ENTRY = new URL(isCompiled ? './worker.js' : './worker.ts', import.meta.url);

export class Engine {
  private readonly worker: Worker;
  private readonly dataPort: MessageChannel['port1'];
  private readonly counter: Int32Array;
  private readonly waiters = new Map<number, Waiter>();
  private nextStmt = 1;
  /** The last statement posted per session (what an interrupt stops). */
  private readonly lastStmt = new Map<number, number>();
  private pending = 0;
  private dead: Error | undefined;
  private readonly ready: Promise<void>;

  private constructor(
    private readonly provider: ScanProvider,
    config: Readonly<Record<string, string>>,
  ) {
    const signal = new SharedArrayBuffer(4);
    this.counter = new Int32Array(signal);
    const channel = new MessageChannel();
    this.dataPort = channel.port1;
    this.worker = new Worker(BOOT, {
      workerData: { entry: ENTRY.href, dataPort: channel.port2, signal, config },
      transferList: [channel.port2],
    });
    this.worker.unref();
    this.ready = new Promise((resolve, reject) => {
      this.waiters.set(0, {
        resolve: (r) => (r.op === 'ready' ? resolve() : reject(new EddyError('IO_ERROR', `SQL engine: ${errorOf(r)}`))),
        reject,
      });
    });
    this.hold();
    this.worker.on('message', (m: EngineReply) => this.onMessage(m));
    this.worker.on('error', (e) => this.die(e));
    this.worker.on('exit', (code) => this.die(new Error(`the SQL engine exited (code ${code})`)));
  }

  static async start(provider: ScanProvider, config: Readonly<Record<string, string>> = {}): Promise<Engine> {
    const e = new Engine(provider, config);
    await e.ready;
    return e;
  }

  /** Keeps the process alive while a reply is awaited (the worker is unreferenced otherwise). */
  private hold(): void {
    if (this.pending++ === 0) this.worker.ref();
  }

  private release(): void {
    if (--this.pending === 0) this.worker.unref();
  }

  private die(e: Error): void {
    if (this.dead) return;
    this.dead = e;
    for (const w of this.waiters.values()) w.reject(new EddyError('IO_ERROR', `SQL engine: ${e.message}`));
    this.waiters.clear();
  }

  private onMessage(m: EngineReply): void {
    switch (m.op) {
      case 'resolve':
      case 'open':
      case 'next':
        void this.answer(m);
        return;
      case 'ready':
      case 'fatal': {
        const w = this.waiters.get(0);
        this.waiters.delete(0);
        this.release();
        w?.resolve(m);
        return;
      }
      default: {
        const w = this.waiters.get(m.stmt);
        if (!w) return;
        this.waiters.delete(m.stmt);
        this.release();
        w.resolve(m);
      }
    }
  }

  /** Answers a table function's call; DuckDB (in the worker) waits for it. */
  private async answer(c: ScanCall): Promise<void> {
    let a: ScanAnswer;
    try {
      switch (c.op) {
        case 'resolve': {
          const r = await this.provider.resolve(c.session, c.fn, c.args);
          a = { call: c.call, handle: r.handle, fields: r.fields };
          break;
        }
        case 'open':
          a = { call: c.call, cursor: await this.provider.open(c.handle, c.projection) };
          break;
        case 'next': {
          const batch = await this.provider.next(c.cursor);
          a = batch ? { call: c.call, batch } : { call: c.call, done: true };
          break;
        }
      }
    } catch (e) {
      a = { call: c.call, error: e instanceof Error ? e.message : String(e) };
    }
    this.dataPort.postMessage(a, 'batch' in a ? transferList(a.batch) : []);
    Atomics.add(this.counter, 0, 1);
    Atomics.notify(this.counter, 0);
  }

  private request(m: EngineRequest, stmt: number): Promise<EngineReply> {
    if (this.dead) return Promise.reject(new EddyError('IO_ERROR', `SQL engine: ${this.dead.message}`));
    return new Promise((resolve, reject) => {
      this.waiters.set(stmt, { resolve, reject });
      this.hold();
      this.worker.postMessage(m);
    });
  }

  private post(m: EngineRequest): void {
    if (!this.dead) this.worker.postMessage(m);
  }

  /**
   * Runs a statement on a session's connection; its result streams in batches of about
   * `batchRows` rows. A DuckDB error rejects with its message (a plain Error: the caller words it).
   * `stopped` is asked before each fetch (where DuckDB does the work): once true, the statement is
   * closed unrun.
   */
  async run(session: number, sql: string, batchRows = 65_536, stopped?: () => boolean): Promise<EngineResult> {
    if (stopped?.()) throw new Error('INTERRUPT Error: Interrupted!');
    const stmt = this.nextStmt++;
    this.lastStmt.set(session, stmt);
    const first = await this.request({ op: 'run', stmt, session, sql, batchRows }, stmt);
    if (first.op === 'error') throw new Error(first.message);
    if (first.op !== 'columns') throw new Error(`SQL engine: unexpected ${first.op}`);
    const self = this;
    async function* batches(): AsyncGenerator<WireBatch> {
      let ended = false;
      const fetch = () => {
        if (stopped?.()) throw new Error('INTERRUPT Error: Interrupted!');
        return self.request({ op: 'fetch', stmt }, stmt);
      };
      // One batch ahead: DuckDB computes the next batch while the consumer works on this one.
      let next: Promise<EngineReply> | undefined = fetch();
      try {
        for (;;) {
          if (!next) return;
          const r: EngineReply = await next;
          next = undefined;
          if (r.op === 'error') {
            ended = true;
            throw new Error(r.message);
          }
          if (r.op === 'end') {
            ended = true;
            return;
          }
          if (r.op === 'batch') {
            next = fetch();
            next.catch(() => undefined);
            yield r.batch;
          }
        }
      } finally {
        if (!ended) {
          // Let a fetch in flight finish before the statement is closed (its reply has a waiter).
          if (next) await next.catch(() => undefined);
          self.post({ op: 'close', stmt });
        }
      }
    }
    return { fields: first.fields, batches: batches() };
  }

  /** Runs a statement to its end and returns all its batches. */
  async all(session: number, sql: string): Promise<{ fields: readonly WireField[]; batches: WireBatch[] }> {
    const r = await this.run(session, sql);
    const batches: WireBatch[] = [];
    for await (const b of r.batches) batches.push(b);
    return { fields: r.fields, batches };
  }

  /** Interrupts what a session's connection runs (DuckDB fails it with an INTERRUPT error). */
  interrupt(session: number): void {
    this.post({ op: 'interrupt', session, stmt: this.lastStmt.get(session) ?? 0 });
  }

  closeSession(session: number): void {
    this.post({ op: 'closeSession', session });
  }

  async close(): Promise<void> {
    this.dead ??= new Error('closed');
    this.dataPort.close();
    await this.worker.terminate();
  }
}

function errorOf(r: EngineReply): string {
  return r.op === 'fatal' ? r.message : r.op;
}
