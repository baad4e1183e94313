/**
 * What the suites share: parameters, the work directory, the peers that are available, and the
 * fixtures (the ingest table and its peers' counterparts), built once — timed by the suite that
 * measures them, or untimed on demand when a later suite runs alone.
 */
import { cpSync } from 'node:fs';
import * as path from 'node:path';
import { type DuckDBConnection, DuckDBInstance, DuckDBTimestampValue } from '@duckdb/node-api';
import { Catalog, type Table } from '@eddy/table';
import { type BenchRow, COLUMNS, makeRows, toArrow } from './data.ts';
import { flinkPeer, javaPeer, type PeerName, pythonPeer } from './env.ts';
import { type Lance, type LanceConnection, type LanceTable, loadLance } from './lance.ts';

export interface Params {
  rows: number;
  rounds: number;
  updateRows: number;
  buckets: number;
  /** Warm repetitions (best of) for scans. */
  repeat: number;
  pointQueries: number;
  rangeWidth: number;
  /** target-file-size of each point table ('default': the option unset). */
  pointTargetFileSizes: string[];
  feedCommits: number;
  feedRowsPerCommit: number;
  pollMs: number;
  streamWriters: number;
  streamRate: number;
  streamRows: number;
  streamSeconds: number;
  /** Extra table options of the stream suite, `k=v,k=v`. */
  streamOptions: string;
  /** Warehouse of the stream suite (default: the bench's local one), e.g. `s3://eddy/bench`. */
  streamWarehouse?: string;
  /** The compactor's `--expire-grace` in the stream suite (ms). */
  streamExpireGraceMs: number;
  memRows: number;
  memBuckets: number[];
  writeBuffer: string;
  memChunk: number;
  smoke: boolean;
}

/** Σqty and Σversion of the table state at a snapshot (every reader must return exactly this). */
export interface State {
  rows: number;
  qty: number;
  version: number;
}

export const TABLE_OPTIONS = (p: Params): Record<string, string> => ({
  bucket: String(p.buckets),
  'write-only': 'true',
  'file.format': 'parquet',
  'file.compression': 'zstd',
});

export class Ctx {
  readonly eddyWh: string;
  readonly javaWh: string;
  readonly pyWh: string;
  readonly duckDir: string;
  readonly lanceDir: string;
  catalog!: Catalog;
  readonly unavailable = new Map<PeerName, string>();
  lance?: Lance;
  versions: Record<string, string> = {};

  private load?: BenchRow[];
  private upd?: BenchRow[][];
  private states?: State[];
  ingestTable?: Table;
  ingestArrowTable?: Table;
  readonly pointTables = new Map<string, Table>();
  dvTable?: Table;
  duck?: { con: DuckDBConnection; loadFile: string; roundFiles: string[]; sortedFinal?: string };
  lanceConn?: LanceConnection;
  lanceTable?: LanceTable;
  lanceOptimized = false;

  constructor(
    readonly work: string,
    readonly p: Params,
    readonly peers: Set<PeerName>,
  ) {
    this.eddyWh = path.join(work, 'eddy');
    this.javaWh = path.join(work, 'java');
    this.pyWh = path.join(work, 'pypaimon');
    this.duckDir = path.join(work, 'duckdb');
    this.lanceDir = path.join(work, 'lancedb');
  }

  async init(): Promise<void> {
    this.catalog = await Catalog.open(this.eddyWh);
    const { mkdirSync } = await import('node:fs');
    mkdirSync(this.duckDir, { recursive: true });
    if (this.peers.has('java')) {
      const j = javaPeer();
      if ('problem' in j) this.unavailable.set('java', j.problem);
    }
    if (this.peers.has('pypaimon')) {
      const problem = pythonPeer();
      if (problem) this.unavailable.set('pypaimon', problem);
    }
    if (this.peers.has('flink')) {
      const problem = flinkPeer();
      if (problem) this.unavailable.set('flink', problem);
    }
    if (this.peers.has('lancedb')) {
      const l = await loadLance();
      if ('problem' in l) this.unavailable.set('lancedb', l.problem);
      else {
        this.lance = l;
        this.versions.LanceDB = `@lancedb/lancedb ${l.version}`;
      }
    }
  }

  /** A peer that was asked for and is available. */
  has(peer: PeerName): boolean {
    return this.peers.has(peer) && !this.unavailable.has(peer);
  }

  /** Why a peer has no figure (not asked for, or unavailable). */
  why(peer: PeerName): string {
    return this.unavailable.get(peer) ?? 'not selected (--peers)';
  }

  // -------------------------------------------------------------------------------------------
  // Data

  get loadRows(): BenchRow[] {
    this.load ??= makeRows(this.p.rows, 0, 0, this.p.rows);
    return this.load;
  }

  get updateRows(): BenchRow[][] {
    this.upd ??= Array.from({ length: this.p.rounds }, (_, r) => makeRows(this.p.rows, r + 1, 0, this.p.updateRows));
    return this.upd;
  }

  /** Expected state at snapshot s of the ingest table (s = 1: the load; s = 1 + r: after r rounds). */
  state(snapshot: number): State {
    if (!this.states) {
      const n = this.p.rows;
      const qty = new Int32Array(n);
      const ver = new Int32Array(n);
      for (const r of this.loadRows) qty[Number(r.id)] = r.qty;
      const states: State[] = [];
      const sum = () => {
        let q = 0;
        let v = 0;
        for (let i = 0; i < n; i++) {
          q += qty[i];
          v += ver[i];
        }
        states.push({ rows: n, qty: q, version: v });
      };
      sum();
      for (const round of this.updateRows) {
        for (const r of round) {
          qty[Number(r.id)] = r.qty;
          ver[Number(r.id)] = r.version;
        }
        sum();
      }
      this.states = states;
    }
    return this.states[snapshot - 1];
  }

  /** Frees the generated rows (the later suites need only the tables). */
  dropRows(): void {
    this.state(1);
    this.load = undefined;
    this.upd = undefined;
  }

  // -------------------------------------------------------------------------------------------
  // Eddy's ingest table: snapshot 1 = the load (1 sorted run per bucket), snapshot 1 + r = after r
  // upsert rounds (1 + r runs); 'write-only' keeps the runs for the merge-on-read measurements.

  async createIngestTable(name: string): Promise<Table> {
    return this.catalog.createTable(`bench.${name}`, {
      columns: { ...COLUMNS },
      primaryKey: ['id'],
      options: TABLE_OPTIONS(this.p),
    });
  }

  /** Writes the ingest workload; returns the load and the rounds' times (ms). */
  async writeIngest(
    table: Table,
    input: 'objects' | 'arrow',
  ): Promise<{ loadMs: number; roundsMs: number; commitMs: number }> {
    const load = input === 'arrow' ? toArrow(this.loadRows) : this.loadRows;
    const rounds = input === 'arrow' ? this.updateRows.map((r) => toArrow(r)) : this.updateRows;
    const w = table.newWriter({ commitUser: `bench-${input}` });
    try {
      let t0 = performance.now();
      await w.write(load);
      const t1 = performance.now();
      await w.commit(1);
      const loadMs = performance.now() - t0;
      const commitMs = performance.now() - t1;
      t0 = performance.now();
      for (let r = 0; r < rounds.length; r++) {
        await w.write(rounds[r]);
        await w.commit(2 + r);
      }
      return { loadMs, roundsMs: performance.now() - t0, commitMs };
    } finally {
      w.close();
    }
  }

  async ensureIngest(): Promise<Table> {
    if (!this.ingestTable) {
      const t = await this.createIngestTable('ingest');
      await this.writeIngest(t, 'objects');
      this.ingestTable = t;
    }
    return this.ingestTable;
  }

  /** A copy of the ingest table under a new name (same files: the same input for every compactor). */
  async copyIngest(name: string): Promise<Table> {
    const src = await this.ensureIngest();
    cpSync(src.path, path.join(path.dirname(src.path), name), { recursive: true });
    return this.catalog.getTable(`bench.${name}`);
  }

  /**
   * The ingest workload written into a deletion-vector table (`deletion-vectors.enabled`, not
   * write-only): after each commit the writer compacts level 0 up and marks the replaced rows in
   * deletion vectors, so its latest snapshot holds the state after every round in files a reader
   * reads once each, without a merge (Paimon's read-optimised mode).
   */
  async ensureDvTable(): Promise<Table> {
    if (!this.dvTable) {
      const { 'write-only': _, ...opts } = TABLE_OPTIONS(this.p);
      const t = await this.catalog.createTable('bench.ingest_dv', {
        columns: { ...COLUMNS },
        primaryKey: ['id'],
        options: { ...opts, 'deletion-vectors.enabled': 'true' },
      });
      await this.writeIngest(t, 'arrow');
      this.dvTable = t;
    }
    return this.dvTable;
  }

  /**
   * A point-lookup table: the same rows, fully compacted into files of `targetFileSize` ('default':
   * the table's default), so the files of a bucket cover disjoint key ranges (what file skipping can
   * use) and each file's row groups do too (what row-group skipping can use).
   */
  async ensurePointTable(targetFileSize: string): Promise<Table> {
    let t = this.pointTables.get(targetFileSize);
    if (!t) {
      const name = `point_${targetFileSize.replace(/\W+/g, '')}`;
      const sized: Record<string, string> = targetFileSize === 'default' ? {} : { 'target-file-size': targetFileSize };
      t = await this.catalog.createTable(`bench.${name}`, {
        columns: { ...COLUMNS },
        primaryKey: ['id'],
        options: { ...TABLE_OPTIONS(this.p), ...sized },
      });
      await this.writeIngest(t, 'arrow');
      await t.compact({ full: true });
      this.pointTables.set(targetFileSize, t);
    }
    return t;
  }

  // -------------------------------------------------------------------------------------------
  // DuckDB: the same rows in memory tables (appender, untimed), then plain Parquet files.

  async duckTables(): Promise<DuckDBConnection> {
    if (this.duck) return this.duck.con;
    const inst = await DuckDBInstance.create(':memory:');
    const con = await inst.connect();
    const cols =
      'id BIGINT, name VARCHAR, amount DOUBLE, qty INTEGER, ts TIMESTAMP, category VARCHAR, flag BOOLEAN, version INTEGER';
    const fill = async (name: string, rows: readonly BenchRow[]) => {
      await con.run(`CREATE TABLE ${name} (${cols})`);
      const app = await con.createAppender(name);
      for (const r of rows) {
        app.appendBigInt(r.id);
        app.appendVarchar(r.name);
        app.appendDouble(r.amount);
        app.appendInteger(r.qty);
        app.appendTimestamp(new DuckDBTimestampValue(r.ts));
        app.appendVarchar(r.category);
        app.appendBoolean(r.flag);
        app.appendInteger(r.version);
        app.endRow();
      }
      app.closeSync();
    };
    await fill('load', this.loadRows);
    for (let r = 0; r < this.p.rounds; r++) await fill(`round${r + 1}`, this.updateRows[r]);
    this.duck = {
      con,
      loadFile: path.join(this.duckDir, 'load.parquet'),
      roundFiles: Array.from({ length: this.p.rounds }, (_, r) => path.join(this.duckDir, `round${r + 1}.parquet`)),
    };
    return con;
  }

  /** Writes the load and each round as a plain Parquet file; returns the times (ms). */
  async duckWrite(): Promise<{ loadMs: number; roundsMs: number }> {
    const con = await this.duckTables();
    const d = this.duck!;
    let t0 = performance.now();
    await con.run(`COPY load TO '${d.loadFile}' (FORMAT parquet, COMPRESSION zstd)`);
    const loadMs = performance.now() - t0;
    t0 = performance.now();
    for (let r = 0; r < this.p.rounds; r++)
      await con.run(`COPY round${r + 1} TO '${d.roundFiles[r]}' (FORMAT parquet, COMPRESSION zstd)`);
    return { loadMs, roundsMs: performance.now() - t0 };
  }

  async ensureDuckFiles(): Promise<DuckDBConnection> {
    const con = await this.duckTables();
    const { existsSync } = await import('node:fs');
    if (!existsSync(this.duck!.loadFile)) await this.duckWrite();
    return con;
  }

  /** SQL for the latest row of each key over the load and the first `rounds` round files. */
  duckLatest(rounds: number): string {
    const files = [this.duck!.loadFile, ...this.duck!.roundFiles.slice(0, rounds)].map((f) => `'${f}'`).join(', ');
    return `SELECT * EXCLUDE (rn) FROM (SELECT *, row_number() OVER (PARTITION BY id ORDER BY version DESC) AS rn FROM read_parquet([${files}])) WHERE rn = 1`;
  }

  /** Plain Parquet holding the state at a snapshot (untimed): what the scans read. */
  async duckStateFile(snapshot: number): Promise<string> {
    const con = await this.ensureDuckFiles();
    const f = path.join(this.duckDir, `state${snapshot}.parquet`);
    const { existsSync } = await import('node:fs');
    if (!existsSync(f))
      await con.run(`COPY (${this.duckLatest(snapshot - 1)}) TO '${f}' (FORMAT parquet, COMPRESSION zstd)`);
    return f;
  }

  // -------------------------------------------------------------------------------------------
  // LanceDB: createTable (the load), then one mergeInsert per round (versions 1 … 1 + rounds).

  async lanceIngest(): Promise<{ loadMs: number; roundsMs: number }> {
    const l = this.lance!;
    const a = l.arrow;
    const load = toArrow(this.loadRows, a);
    const rounds = this.updateRows.map((r) => toArrow(r, a));
    this.lanceConn = await l.connect(this.lanceDir);
    let t0 = performance.now();
    const t = await this.lanceConn.createTable('ingest', load);
    const loadMs = performance.now() - t0;
    t0 = performance.now();
    for (const r of rounds) await t.mergeInsert('id').whenMatchedUpdateAll().whenNotMatchedInsertAll().execute(r);
    const roundsMs = performance.now() - t0;
    this.lanceTable = t;
    return { loadMs, roundsMs };
  }

  async ensureLance(): Promise<LanceTable> {
    if (!this.lanceTable) await this.lanceIngest();
    return this.lanceTable!;
  }
}
