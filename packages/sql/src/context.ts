/** What the statement handlers (reads, writes, DDL) get from EddySql for one statement. */
import type { Catalog, Table } from '@eddy/table';
import type { EngineResult } from './engine/engine.ts';
import type { WireBatch, WireField } from './engine/protocol.ts';
import type { Token } from './sql/lexer.ts';

/** How a table reference of a query was read: what Eddy's planner kept, and who read it. */
export interface ScanReport {
  readonly table: string;
  readonly snapshotId: number | undefined;
  /** The filter pushed into Eddy's planner (SQL-ish text), if any. */
  readonly filter: string | undefined;
  /** Data files the scan reads, and files pruned by partition, bucket or stats. */
  readonly filesRead: number;
  readonly filesPruned: number;
  readonly bucketsRead: number;
  /** Files DuckDB reads directly, and files read (merged) through Eddy's reader. */
  readonly directFiles: number;
  readonly mergedFiles: number;
}

/** What a statement Eddy executed itself did. */
export interface StatementReport {
  readonly kind: string;
  readonly table?: string;
  /** Rows written (inserted, updated or deleted). */
  readonly rows?: number;
  /** The snapshot the statement committed, if it committed one. */
  readonly snapshotId?: number;
}

export interface Prepared {
  readonly sql: string;
  readonly scans: ScanReport[];
}

export interface StatementContext {
  readonly catalog: Catalog;
  readonly session: number;
  readonly scope: number;
  /** Loads a table by `database.table` (NOT_FOUND when absent). */
  table(name: string): Promise<Table>;
  /** Rewrites a query's Eddy table references; `pin` reads these tables at these snapshots. */
  prepareRead(text: string, pin?: ReadonlyMap<string, number>): Promise<Prepared>;
  /** Runs SQL on the statement's session. */
  run(sql: string): Promise<EngineResult>;
  all(sql: string): Promise<{ fields: readonly WireField[]; batches: WireBatch[] }>;
  rows(sql: string): Promise<Record<string, unknown>[]>;
  /** Makes views for the Eddy tables a statement names, for the parts of it DuckDB binds itself. */
  ensureViews(tokens: readonly Token[]): Promise<void>;
  /** Forgets the views of a dropped table. */
  dropViews(database: string, table?: string): Promise<void>;
  /** A fresh name for a temporary table of this statement. */
  tempName(what: string): string;
}
