import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { EddyError } from '../types/errors.ts';

/**
 * A small pool of worker threads that decode Parquet files (parquet-worker.cjs). Two reasons:
 * isolation — a corrupt file makes parquet-wasm's async reader trap in a way no caller can catch,
 * and in a worker that ends the worker instead of the process — and parallelism: the files of a
 * split decode on all cores while the main thread merges.
 *
 * Each worker decodes one file at a time, so a crash fails exactly the file that caused it. Idle
 * workers are unreferenced: they never keep a finished program alive.
 */

interface Job {
  id: number;
  bytes: Uint8Array;
  columns: string[] | undefined;
  path: string;
  transfer: boolean;
  resolve: (ipc: Uint8Array) => void;
  reject: (e: Error) => void;
}

interface Reply {
  id: number;
  ipc?: Uint8Array;
  error?: string;
}

const WORKER_URL = new URL('./parquet-worker.cjs', import.meta.url);

class Slot {
  readonly worker: Worker;
  job: Job | undefined;
  dead = false;

  constructor(private readonly pool: ParquetWorkerPool) {
    this.worker = new Worker(WORKER_URL);
    this.worker.unref();
    this.worker.on('message', (r: Reply) => {
      const job = this.job;
      if (!job || job.id !== r.id) return;
      this.job = undefined;
      this.worker.unref();
      if (r.ipc) job.resolve(r.ipc);
      else job.reject(corrupt(job.path, r.error ?? 'unknown decoder error'));
      this.pool.next(this);
    });
    // A trap in the decoder surfaces here; the worker is gone, and so is the file it was decoding.
    this.worker.on('error', (e) => this.die(`the decoder crashed (${e.message})`));
    this.worker.on('exit', (code) => this.die(`the decoder exited with code ${code}`));
  }

  run(job: Job): void {
    this.job = job;
    this.worker.ref();
    // Moved, not cloned: a clone of a view would copy its whole underlying buffer. The caller's
    // bytes are copied first unless it gave them up.
    const owned =
      job.transfer && job.bytes.byteOffset === 0 && job.bytes.byteLength === job.bytes.buffer.byteLength
        ? job.bytes
        : job.bytes.slice();
    this.worker.postMessage({ id: job.id, bytes: owned, columns: job.columns }, [owned.buffer as ArrayBuffer]);
  }

  private die(why: string): void {
    if (this.dead) return;
    this.dead = true;
    const job = this.job;
    this.job = undefined;
    void this.worker.terminate();
    job?.reject(
      corrupt(job.path, `${why}: the file is corrupt, or too large for the decoder (${job.bytes.byteLength} bytes)`),
    );
    this.pool.replace(this);
  }
}

function corrupt(path: string, message: string): EddyError {
  return new EddyError('CORRUPT_FILE', `${path}: cannot read Parquet: ${message}`, { path });
}

export class ParquetWorkerPool {
  private readonly slots: (Slot | undefined)[];
  private readonly queue: Job[] = [];
  private nextId = 1;

  constructor(size: number) {
    this.slots = new Array(Math.max(1, size)).fill(undefined);
  }

  /** Decodes `bytes` into an Arrow IPC stream. `transfer`: the caller gives up `bytes` (no copy). */
  decode(
    bytes: Uint8Array,
    path: string,
    columns: readonly string[] | undefined,
    transfer = false,
  ): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      const job: Job = { id: this.nextId++, bytes, path, columns: columns && [...columns], transfer, resolve, reject };
      const free = this.freeSlot();
      if (free) free.run(job);
      else this.queue.push(job);
    });
  }

  /** Called by a slot that finished a job. */
  next(slot: Slot): void {
    const job = this.queue.shift();
    if (job) slot.run(job);
  }

  /** Called by a slot whose worker died: a fresh worker takes over the queue. */
  replace(slot: Slot): void {
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots[i] = undefined;
    const job = this.queue.shift();
    if (job) this.freeSlot()!.run(job);
  }

  private freeSlot(): Slot | undefined {
    for (let i = 0; i < this.slots.length; i++) {
      const s = this.slots[i];
      if (s && !s.job && !s.dead) return s;
    }
    const empty = this.slots.indexOf(undefined);
    if (empty < 0) return undefined;
    const s = new Slot(this);
    this.slots[empty] = s;
    return s;
  }
}

let shared: ParquetWorkerPool | undefined;

/** The process-wide decoder pool: one worker per core, at most 4 (EDDY_PARQUET_WORKERS overrides). */
export function parquetWorkers(): ParquetWorkerPool {
  if (!shared) {
    const env = Number(process.env.EDDY_PARQUET_WORKERS);
    shared = new ParquetWorkerPool(Number.isInteger(env) && env > 0 ? env : Math.min(availableParallelism(), 4));
  }
  return shared;
}
