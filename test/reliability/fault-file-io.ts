/**
 * A seeded fault-injecting FileIO wrapper for reliability tests.
 *
 * Every call to the wrapped FileIO draws from a seeded PRNG whether it fails and how:
 *
 * - `before`  — the call throws and the inner operation never runs;
 * - `after`   — the inner operation runs to completion, then the call throws (a lost acknowledgement);
 * - `stall`   — the call hangs for `timeoutMs` and then throws a timeout; the inner operation either
 *               never runs, runs before the timeout fires, or — the realistic object-store case — runs
 *               *after* the caller has already seen the timeout (a "late landing");
 * - `partial` — (writes only) a truncated prefix of the data is left at the target path, then the
 *               call throws (what a non-atomic store leaves after a crash mid-upload).
 *
 * The same seed and the same sequence of calls give the same faults. Probabilities are per operation
 * kind. Injected errors are `InjectedFault`s (an EddyError with code IO_ERROR), so a test can tell
 * them apart from errors the SDK raises itself.
 */
import type { FileIO, FileStatus } from '../../packages/table/src/index.ts';
import { EddyError } from '../../packages/table/src/index.ts';
import { mulberry32 } from '../../packages/table/test/helpers.ts';

export { mulberry32 };

export const FILE_IO_OPS = [
  'read',
  'readRange',
  'write',
  'writeIfAbsent',
  'exists',
  'stat',
  'list',
  'delete',
  'deleteDirectory',
  'mkdirs',
] as const;
export type FileIOOp = (typeof FILE_IO_OPS)[number];
export type FaultKind = 'before' | 'after' | 'stall' | 'partial';
export const FAULT_KINDS: readonly FaultKind[] = ['before', 'after', 'stall', 'partial'];

/** Probability (0..1) of each fault kind for one call. Their sum must be ≤ 1. */
export interface FaultRates {
  readonly before?: number;
  readonly after?: number;
  readonly stall?: number;
  /** Writes only (`write`, `writeIfAbsent`). */
  readonly partial?: number;
}

export type FaultPolicy = Partial<Record<FileIOOp | 'default', FaultRates>>;

export interface FaultRecord {
  /** Index of the call among all calls of this wrapper (0-based). */
  readonly call: number;
  readonly op: FileIOOp;
  readonly kind: FaultKind;
  readonly path: string;
  /** For `stall`: whether the inner operation ran (`before-timeout`, `late`) or not (`never`). */
  readonly landed?: 'never' | 'before-timeout' | 'late';
}

export interface FaultFileIOOptions {
  readonly seed: number;
  readonly policy: FaultPolicy;
  /** How long a stalled call hangs before it throws (default 50 ms). */
  readonly timeoutMs?: number;
  /** Upper bound of the extra delay of a late landing after the timeout (default 100 ms). */
  readonly lateLandingMaxMs?: number;
  /** Of stalls, the share whose operation lands late (default 1/3; the rest split never/before). */
  readonly lateLandingShare?: number;
  /** Only calls for which this returns true can fail (default: all). */
  readonly filter?: (op: FileIOOp, path: string, kind: FaultKind) => boolean;
  readonly onFault?: (f: FaultRecord) => void;
}

/** An error this wrapper made up. */
export class InjectedFault extends EddyError {
  readonly injected = true;
  constructor(
    readonly kind: FaultKind,
    readonly op: FileIOOp,
    path: string,
    detail: string,
  ) {
    super('IO_ERROR', `injected fault (${kind}) on ${op} ${path}: ${detail}`, { path });
  }
}

/** Whether `e` (or anything in its `cause` chain) is an injected fault. */
export function isInjected(e: unknown): boolean {
  for (let x = e, depth = 0; x && depth < 10; x = (x as { cause?: unknown }).cause, depth++) {
    if ((x as { injected?: unknown }).injected === true) return true;
  }
  return false;
}

/** Mixes numbers and strings into a 32-bit seed (FNV-1a over their text). */
export function seedOf(...parts: (number | string)[]): number {
  let h = 0x811c9dc5;
  for (const c of parts.join('\u0001')) {
    h ^= c.charCodeAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const WRITES = new Set<FileIOOp>(['write', 'writeIfAbsent']);

export class FaultFileIO implements FileIO {
  private readonly rng: () => number;
  private calls = 0;
  /** Set to false to pass every call through (setup, verification). */
  enabled = true;
  readonly callCounts: Record<FileIOOp, number> = Object.fromEntries(FILE_IO_OPS.map((o) => [o, 0])) as Record<
    FileIOOp,
    number
  >;
  readonly faultCounts: Record<FaultKind, number> = { before: 0, after: 0, stall: 0, partial: 0 };
  /** Late landings not yet finished (tests can await them). */
  private readonly pendingLate = new Set<Promise<unknown>>();

  constructor(
    readonly inner: FileIO,
    private readonly options: FaultFileIOOptions,
  ) {
    this.rng = mulberry32(options.seed);
    for (const [op, r] of Object.entries(options.policy)) {
      const sum = (r?.before ?? 0) + (r?.after ?? 0) + (r?.stall ?? 0) + (r?.partial ?? 0);
      if (sum > 1 || Object.values(r ?? {}).some((p) => !(p >= 0)))
        throw new RangeError(`fault rates for ${op} must be ≥ 0 and sum to ≤ 1`);
    }
  }

  /** Forwarded: ranged Parquet reads on remote storage go through `readRange`, and are faulted there. */
  get preferRangedReads(): boolean | undefined {
    return this.inner.preferRangedReads;
  }

  get totalCalls(): number {
    return this.calls;
  }

  get totalFaults(): number {
    return FAULT_KINDS.reduce((n, k) => n + this.faultCounts[k], 0);
  }

  /** Resolves when every late landing started so far has run. */
  async settled(): Promise<void> {
    while (this.pendingLate.size > 0) await Promise.allSettled([...this.pendingLate]);
  }

  private decide(op: FileIOOp, path: string): { call: number; kind: FaultKind | undefined; r2: number; r3: number } {
    const call = this.calls++;
    this.callCounts[op]++;
    // Always draw the same number of values per call, so one decision never shifts the next ones.
    const r1 = this.rng();
    const r2 = this.rng();
    const r3 = this.rng();
    if (!this.enabled) return { call, kind: undefined, r2, r3 };
    const rates = this.options.policy[op] ?? this.options.policy.default ?? {};
    let acc = 0;
    for (const kind of FAULT_KINDS) {
      if (kind === 'partial' && !WRITES.has(op)) continue;
      acc += rates[kind] ?? 0;
      if (r1 < acc) {
        if (this.options.filter && !this.options.filter(op, path, kind)) return { call, kind: undefined, r2, r3 };
        return { call, kind, r2, r3 };
      }
    }
    return { call, kind: undefined, r2, r3 };
  }

  private record(call: number, op: FileIOOp, kind: FaultKind, path: string, landed?: FaultRecord['landed']): void {
    this.faultCounts[kind]++;
    this.options.onFault?.({ call, op, kind, path, landed });
  }

  /** Runs `run` under the fault drawn for this call. `partial` is given only to writes. */
  private async apply<T>(
    op: FileIOOp,
    path: string,
    run: () => Promise<T>,
    partial?: (fraction: number) => Promise<unknown>,
  ): Promise<T> {
    const { call, kind, r2, r3 } = this.decide(op, path);
    switch (kind) {
      case undefined:
        return run();
      case 'before':
        this.record(call, op, kind, path);
        throw new InjectedFault(kind, op, path, 'failed before it happened');
      case 'after': {
        await run();
        this.record(call, op, kind, path);
        throw new InjectedFault(kind, op, path, 'it happened, but the acknowledgement was lost');
      }
      case 'stall': {
        const timeout = this.options.timeoutMs ?? 50;
        const lateShare = this.options.lateLandingShare ?? 1 / 3;
        const landed: FaultRecord['landed'] =
          r2 < lateShare ? 'late' : r2 < lateShare + (1 - lateShare) / 2 ? 'before-timeout' : 'never';
        if (landed === 'before-timeout') await run().catch(() => undefined);
        await sleep(timeout);
        if (landed === 'late') {
          const delay = Math.floor(r3 * (this.options.lateLandingMaxMs ?? 100));
          const p: Promise<unknown> = sleep(delay)
            .then(run)
            .catch(() => undefined)
            .finally(() => this.pendingLate.delete(p));
          this.pendingLate.add(p);
        }
        this.record(call, op, kind, path, landed);
        throw new InjectedFault(kind, op, path, `timed out after ${timeout} ms (operation ${landed})`);
      }
      case 'partial': {
        if (!partial) return run();
        await partial(r2);
        this.record(call, op, kind, path);
        throw new InjectedFault(kind, op, path, 'the connection dropped mid-write, leaving a partial file');
      }
    }
  }

  read(path: string): Promise<Uint8Array> {
    return this.apply('read', path, () => this.inner.read(path));
  }

  readRange(path: string, offset: number, length: number): Promise<Uint8Array> {
    return this.apply('readRange', path, () => this.inner.readRange(path, offset, length));
  }

  write(path: string, data: Uint8Array | string): Promise<void> {
    return this.apply(
      'write',
      path,
      () => this.inner.write(path, data),
      (f) => this.inner.write(path, truncate(data, f)),
    );
  }

  writeIfAbsent(path: string, data: Uint8Array | string): Promise<boolean> {
    return this.apply(
      'writeIfAbsent',
      path,
      () => this.inner.writeIfAbsent(path, data),
      (f) => this.inner.writeIfAbsent(path, truncate(data, f)),
    );
  }

  exists(path: string): Promise<boolean> {
    return this.apply('exists', path, () => this.inner.exists(path));
  }

  stat(path: string): Promise<FileStatus | undefined> {
    return this.apply('stat', path, () => this.inner.stat(path));
  }

  list(dir: string): Promise<FileStatus[]> {
    return this.apply('list', dir, () => this.inner.list(dir));
  }

  delete(path: string): Promise<void> {
    return this.apply('delete', path, () => this.inner.delete(path));
  }

  deleteDirectory(dir: string): Promise<void> {
    return this.apply('deleteDirectory', dir, () => this.inner.deleteDirectory(dir));
  }

  mkdirs(dir: string): Promise<void> {
    return this.apply('mkdirs', dir, () => this.inner.mkdirs(dir));
  }
}

/** A strict prefix of `data` (possibly empty), `fraction` of the way in. */
function truncate(data: Uint8Array | string, fraction: number): Uint8Array {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  return bytes.subarray(0, Math.floor(fraction * bytes.length));
}
