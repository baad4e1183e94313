import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { RawColumns } from '../data/raw-columns.ts';
import { EddyError } from '../types/errors.ts';

/**
 * A small pool of worker threads that encode and decode Parquet files (parquet-worker.cjs). Two
 * reasons: isolation — a corrupt file makes parquet-wasm's async reader trap in a way no caller
 * can catch, and in a worker that ends the worker instead of the process — and parallelism: the
 * files of a split decode, and the buckets of a commit encode, on all cores while the main thread
 * sorts, merges and converts rows.
 *
 * Each worker runs one job at a time, so a crash fails exactly the job that caused it. Idle
 * workers are unreferenced: they never keep a finished program alive.
 */

/** What a worker is asked: decode a file into an Arrow IPC stream, or encode one into a file. */
export type ParquetJob =
  | {
      readonly op: 'decode';
      readonly bytes: Uint8Array;
      readonly columns: string[] | undefined;
      /** Only these row groups (all when absent). */
      readonly rowGroups?: number[] | undefined;
      /**
       * Only `limit` rows from the `offset`-th row of those row groups (all when absent): pages wholly
       * outside are not decoded (the decoder reads the offset index).
       */
      readonly offset?: number;
      readonly limit?: number;
      /**
       * One byte per row the job decodes, 1 = leave the row out (a deletion vector's): honoured
       * with `raw` only (a raw batch then reports `read` beside `rows`); the IPC stream has them all.
       */
      readonly drop?: Uint8Array;
      /**
       * With `raw`: rows whose integer `column` holds none of `values` may be left out too (a
       * superset of a lookup's matches crosses; the caller still filters).
       */
      readonly keepKeys?: { readonly column: string; readonly values: BigInt64Array };
      /**
       * Columns as raw buffers moved to this thread (RawColumns) where their formats allow it,
       * else (and without `raw`) an Arrow IPC stream.
       */
      readonly raw?: boolean;
    }
  | { readonly op: 'encode'; readonly bytes: Uint8Array; readonly options: EncodeOptions }
  | {
      /**
       * A file encoded from slices of its rows, each an Arrow IPC stream that `next` makes when
       * the worker asks for it (undefined: no more rows). The worker holds one slice at a time.
       * `next` may wait for rows that are still being produced (a compaction's merge).
       */
      readonly op: 'encode-stream';
      readonly options: EncodeOptions;
      readonly next: () => Uint8Array | undefined | Promise<Uint8Array | undefined>;
    };

export interface EncodeOptions {
  readonly compression: string;
  readonly createdBy: string;
  readonly deltaColumns?: readonly string[];
  readonly plainColumns?: readonly string[];
  /** Rows per row group (default 1Mi). */
  readonly rowGroupRows?: number;
  /** Data page size limit in bytes (default 1 MiB). */
  readonly pageBytes?: number;
  /** Write the page index (column and offset indexes). */
  readonly pageIndex?: boolean;
}

interface Queued {
  readonly id: number;
  readonly job: ParquetJob;
  /** The file the job is about, for error messages. */
  readonly path: string;
  /** The caller gave up `job.bytes`: moved to the worker without a copy. */
  readonly transfer: boolean;
  readonly resolve: (out: Uint8Array | RawColumns) => void;
  readonly reject: (e: Error) => void;
  /** An error of an `encode-stream` job's `next`: the job fails with it. */
  producerError?: Error;
}

interface Reply {
  id: number;
  bytes?: Uint8Array;
  raw?: RawColumns;
  error?: string;
  /** The worker asks for the next slice of an `encode-stream` job. */
  pull?: boolean;
}

const WORKER_URL = new URL('./parquet-worker.cjs', import.meta.url);

function failure(q: Queued, message: string): Error {
  if (q.producerError) return q.producerError;
  return q.job.op === 'decode'
    ? new EddyError('CORRUPT_FILE', `${q.path}: cannot read Parquet: ${message}`, { path: q.path })
    : new EddyError('IO_ERROR', `${q.path}: cannot write Parquet: ${message}`, { path: q.path });
}

class Slot {
  readonly worker: Worker;
  current: Queued | undefined;
  dead = false;

  constructor(private readonly pool: ParquetWorkerPool) {
    this.worker = new Worker(WORKER_URL);
    this.worker.unref();
    this.worker.on('message', (r: Reply) => {
      const q = this.current;
      if (!q || q.id !== r.id) return;
      if (r.pull) {
        this.feed(q);
        return;
      }
      this.current = undefined;
      this.worker.unref();
      if (r.raw) q.resolve(r.raw);
      else if (r.bytes) q.resolve(r.bytes);
      else q.reject(failure(q, r.error ?? 'unknown error'));
      this.pool.next(this);
    });
    // A trap in the decoder surfaces here; the worker is gone, and so is the job it was running.
    this.worker.on('error', (e) => this.die(`the decoder crashed (${e.message})`));
    this.worker.on('exit', (code) => this.die(`the decoder exited with code ${code}`));
  }

  run(q: Queued): void {
    this.current = q;
    this.worker.ref();
    if (q.job.op === 'encode-stream') {
      this.worker.postMessage({ op: q.job.op, options: q.job.options, id: q.id });
      return;
    }
    // Moved, not cloned: a clone of a view would copy its whole underlying buffer. The caller's
    // bytes are copied first unless it gave them up.
    const b = q.job.bytes;
    // Shared memory (a file several workers decode parts of) is posted as is: nothing to copy.
    if (b.buffer instanceof SharedArrayBuffer) {
      this.worker.postMessage({ ...q.job, id: q.id });
      return;
    }
    const owned = q.transfer && b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? b : b.slice();
    this.worker.postMessage({ ...q.job, id: q.id, bytes: owned }, [owned.buffer as ArrayBuffer]);
  }

  /** Sends the next slice of a streamed encode (or its end, or the producer's error). */
  private feed(q: Queued): void {
    if (q.job.op !== 'encode-stream') return;
    let made: Uint8Array | undefined | Promise<Uint8Array | undefined>;
    try {
      made = q.job.next();
    } catch (e) {
      this.producerFailed(q, e);
      return;
    }
    if (made instanceof Promise) {
      made.then(
        (slice) => {
          if (this.current === q) this.send(q, slice);
        },
        (e) => {
          if (this.current === q) this.producerFailed(q, e);
        },
      );
      return;
    }
    this.send(q, made);
  }

  private producerFailed(q: Queued, e: unknown): void {
    q.producerError = e instanceof Error ? e : new Error(String(e));
    this.worker.postMessage({ id: q.id, error: q.producerError.message });
  }

  private send(q: Queued, slice: Uint8Array | undefined): void {
    if (slice === undefined) {
      this.worker.postMessage({ id: q.id, end: true });
      return;
    }
    const owned = slice.byteOffset === 0 && slice.byteLength === slice.buffer.byteLength ? slice : slice.slice();
    this.worker.postMessage({ id: q.id, slice: owned }, [owned.buffer as ArrayBuffer]);
  }

  private die(why: string): void {
    if (this.dead) return;
    this.dead = true;
    const q = this.current;
    this.current = undefined;
    void this.worker.terminate();
    if (q) {
      const what = q.job.op === 'decode' ? 'the file is corrupt, or too large for the decoder' : 'out of memory?';
      const size = q.job.op === 'encode-stream' ? 'streamed' : `${q.job.bytes.byteLength} bytes`;
      q.reject(failure(q, `${why}: ${what} (${size})`));
    }
    this.pool.replace(this);
  }
}

export class ParquetWorkerPool {
  private readonly slots: (Slot | undefined)[];
  /**
   * A worker beyond `size`, for jobs that would otherwise wait behind streamed encodes only. A
   * streamed encode holds its worker until its producer ends the file, and a compaction's producer
   * (the merge) waits for decodes of its next input slices: with every worker held by such encodes,
   * a queued decode would never run.
   */
  private extra: Slot | undefined;
  private readonly queue: Queued[] = [];
  private nextId = 1;

  constructor(size: number) {
    this.slots = new Array(Math.max(1, size)).fill(undefined);
  }

  get size(): number {
    return this.slots.length;
  }

  /** Runs a job on the next free worker; resolves to the worker's bytes (IPC stream or file). */
  run(job: ParquetJob, path: string, transfer = false): Promise<Uint8Array> {
    return this.submit(job, path, transfer).then((out) => {
      if (out instanceof Uint8Array) return out;
      throw new Error(`${path}: a worker answered a job without \`raw\` with raw columns`);
    });
  }

  /** A decode job with `raw`: the raw columns, or the IPC stream when the worker could not give them. */
  decodeRaw(
    job: Extract<ParquetJob, { op: 'decode' }>,
    path: string,
    transfer = false,
  ): Promise<Uint8Array | RawColumns> {
    return this.submit({ ...job, raw: true }, path, transfer);
  }

  private submit(job: ParquetJob, path: string, transfer: boolean): Promise<Uint8Array | RawColumns> {
    return new Promise((resolve, reject) => {
      const q: Queued = { id: this.nextId++, job, path, transfer, resolve, reject };
      const free = this.freeSlot() ?? (job.op === 'encode-stream' ? undefined : this.extraSlot());
      if (free) free.run(q);
      else this.queue.push(q);
    });
  }

  /** Called by a slot that finished a job. */
  next(slot: Slot): void {
    if (slot !== this.extra) {
      const q = this.queue.shift();
      if (q) slot.run(q);
    }
    this.startExtra();
  }

  /** Runs the first queued job that is not a streamed encode on the extra worker, if it may run one. */
  private startExtra(): void {
    const i = this.queue.findIndex((q) => q.job.op !== 'encode-stream');
    if (i < 0) return;
    const s = this.extraSlot();
    if (s) s.run(this.queue.splice(i, 1)[0]);
  }

  /** Called by a slot whose worker died: a fresh worker takes over the queue. */
  replace(slot: Slot): void {
    if (slot === this.extra) this.extra = undefined;
    else {
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots[i] = undefined;
      const q = this.queue.shift();
      if (q) this.freeSlot()!.run(q);
    }
    this.startExtra();
  }

  /** The extra worker, free, when every worker of the pool runs a streamed encode. */
  private extraSlot(): Slot | undefined {
    if (!this.slots.every((s) => s !== undefined && !s.dead && s.current?.job.op === 'encode-stream')) return undefined;
    this.extra ??= new Slot(this);
    return this.extra.current || this.extra.dead ? undefined : this.extra;
  }

  private freeSlot(): Slot | undefined {
    for (const s of this.slots) if (s && !s.current && !s.dead) return s;
    const empty = this.slots.indexOf(undefined);
    if (empty < 0) return undefined;
    const s = new Slot(this);
    this.slots[empty] = s;
    return s;
  }
}

let shared: ParquetWorkerPool | undefined;

/** The process-wide pool: one worker per core, at most 4 (EDDY_PARQUET_WORKERS overrides). */
export function parquetWorkers(): ParquetWorkerPool {
  if (!shared) {
    const env = Number(process.env.EDDY_PARQUET_WORKERS);
    shared = new ParquetWorkerPool(Number.isInteger(env) && env > 0 ? env : Math.min(availableParallelism(), 4));
  }
  return shared;
}
