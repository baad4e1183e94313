/** Configuration of the driver's processes and their journals (local files outside the table, never faulted). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FaultPolicy } from './fault-file-io.ts';
import type { WriterSpec } from './model.ts';

export interface ExpirePolicy {
  readonly retainMin: number;
  readonly timeRetainedMs: number;
  readonly expireLimit: number;
}

export interface ProcConfig {
  readonly role: 'writer' | 'compactor' | 'reader';
  readonly warehouse: string;
  readonly runDir: string;
  readonly seed: number;
  readonly incarnation: number;
  readonly faults: FaultPolicy | null;
  readonly timeoutMs: number;
  readonly writers: readonly WriterSpec[];
  /** writer: which one. */
  readonly w?: number;
  readonly expire?: ExpirePolicy;
  /** reader: consume up to the latest snapshot, then exit 0 (end of run). */
  readonly catchUp?: boolean;
}

export interface WriterJournal {
  /** Last checkpoint whose commit returned (published, or found already committed). */
  confirmed: number;
  /** Highest checkpoint a commit was started for. */
  attempted: number;
  /** Failed commit attempts of checkpoint `confirmed + 1` so far. */
  failures: number;
}

export interface ReaderJournal {
  /** Snapshot of the last applied event, and how many of its events were applied. */
  snap: number;
  idx: number;
  /** key → row (as kvRowKey parts) */
  state: [string, string][];
  events: number;
  /** The feed hit SNAPSHOT_EXPIRED and stopped (a legal outcome). */
  dead?: string;
}

export const writerJournalPath = (runDir: string, w: number) => path.join(runDir, `writer-${w}.json`);
export const readerJournalPath = (runDir: string) => path.join(runDir, 'reader.json');
export const READER_CONSUMER = 'reliability-reader';

export function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** The journals live on local disk outside the table and are never faulted: temp file + rename. */
export function writeJsonAtomic(file: string, value: unknown): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(value));
  fs.renameSync(tmp, file);
}
