/**
 * EddySql: SQL over a catalog's Eddy tables with an embedded DuckDB.
 *
 * Reads: a query's Eddy table references are found in DuckDB's own parse tree, planned by Eddy
 * (snapshot, filters pushed into partition/bucket/stats pruning) and replaced by what reads them —
 * DuckDB's `read_parquet` where the files are the merged rows as they are, Eddy's reader (through
 * a table function) elsewhere. Writes and DDL are executed by Eddy's writers and catalog, one
 * commit per statement. Anything else is DuckDB's.
 */
import { DuckDBTypeId } from '@duckdb/node-api';
import { type Catalog, EddyError, type Table } from '@eddy/table';
import { inspect } from '@eddy/table/inspect';
import type * as arrow from 'apache-arrow';
import type { ScanReport, StatementContext, StatementReport } from './context.ts';
import { createDatabase, createTable, dropDatabase, dropTable } from './ddl.ts';
import { Engine, type EngineResult } from './engine/engine.ts';
import type { WireBatch, WireField } from './engine/protocol.ts';
import { wireString } from './engine/vectors.ts';
import { changesSource, Registry, timeTravel } from './registry.ts';
import { planScan, type ReadAt, replacementSql, type ScanSource, TableSource } from './scans.ts';
import { quoteIdent, quoteString, splitStatements, type Token, TokenReader, tokenize } from './sql/lexer.ts';
import {
  analyse,
  constantSql,
  constantsQuery,
  type Evaluated,
  type FoundRef,
  predicateText,
  shapeConstants,
  shapeOf,
  toPredicate,
} from './sql/rewrite.ts';
import { rowsToWire, systemTable } from './system-tables.ts';
import { wireBatchToArrow, wireRows, wireToArrowTable } from './types.ts';
import { runDelete, runInsert, runMerge, runTruncate, runUpdate } from './writes.ts';

export type { ScanReport, StatementReport } from './context.ts';

export interface EddySqlOptions {
  /** DuckDB settings, e.g. `{ threads: '2', memory_limit: '2GB' }`. */
  readonly duckdb?: Readonly<Record<string, string>>;
}

export interface QueryOptions {
  /** Stops the statement: DuckDB is interrupted and Eddy's reads end; the call rejects with the signal's reason. */
  readonly signal?: AbortSignal;
}

/** A column of a result: its name and DuckDB type. */
export interface SqlColumn {
  readonly name: string;
  readonly type: string;
}

/** The result of a statement: Arrow or plain rows, plus what Eddy read and did. */
export class SqlResult {
  constructor(
    private readonly wireFields: readonly WireField[],
    private readonly batches: readonly WireBatch[],
    /** How each Eddy table reference was read. */
    readonly scans: readonly ScanReport[] = [],
    /** For statements Eddy executed (writes, DDL): what it did. */
    readonly statement?: StatementReport,
  ) {}

  get columns(): SqlColumn[] {
    return this.wireFields.map((f) => ({ name: f.name, type: f.type.sql }));
  }

  get numRows(): number {
    return this.batches.reduce((s, b) => s + b.length, 0);
  }

  toArrow(): arrow.Table {
    return wireToArrowTable(this.wireFields, this.batches);
  }

  /** Rows as plain objects (see the README's SQL value table). */
  rows(): Record<string, unknown>[] {
    return wireRows(this.wireFields, this.batches);
  }
}

/** A statement being executed: its columns and batches, and what to do when it is done. */
interface Running {
  readonly fields: readonly WireField[];
  readonly batches: AsyncGenerator<WireBatch>;
  readonly scans: ScanReport[];
  readonly statement?: StatementReport;
}

const VARCHAR_TYPE = { id: DuckDBTypeId.VARCHAR, sql: 'VARCHAR' };
const BIGINT_TYPE = { id: DuckDBTypeId.BIGINT, sql: 'BIGINT' };

const DUCK_SCHEMAS = new Set(['main', 'temp', 'pg_catalog', 'information_schema', 'system', 'memory']);

const READ_HEADS = new Set([
  'SELECT',
  'WITH',
  'FROM',
  'VALUES',
  'TABLE',
  'PIVOT',
  'UNPIVOT',
  'SUMMARIZE',
  'DESCRIBE',
  'SHOW',
]);

let nextScope = 1;

export class EddySql implements AsyncDisposable {
  private readonly registry: Registry;
  private engine!: Engine;
  /** Sessions: 1 is the caller's (temp tables and settings persist); others serve statements issued while a stream is open. */
  private busy = new Set<number>();
  /** Statement scopes whose signal fired: their DuckDB queries stop before their next fetch. */
  private readonly abortedScopes = new Set<number>();
  private nextSession = 2;
  private readonly views = new Set<string>();
  private template!: Record<string, unknown>;
  private closed = false;
  /** Tables by name, reused while their schema is unchanged (their manifest caches stay warm). */
  private readonly tables = new Map<string, Table>();
  /** Parse trees by statement text (parsing is deterministic; planning is redone every time). */
  private readonly trees = new Map<string, Record<string, unknown>>();

  private constructor(readonly catalog: Catalog) {
    this.registry = new Registry(catalog);
  }

  /** Starts DuckDB (in a worker thread) over a catalog's tables. */
  static async open(catalog: Catalog, options: EddySqlOptions = {}): Promise<EddySql> {
    const db = new EddySql(catalog);
    db.engine = await Engine.start(db.registry, options.duckdb ?? {});
    const t = await db.engine.all(1, `SELECT json_serialize_sql('SELECT 1 AS c0')`);
    db.template = JSON.parse(wireString(t.batches[0].columns[0], 0) ?? '{}');
    return db;
  }

  /** Runs a script (statements separated by `;`); returns the last statement's result. */
  async query(sql: string, options: QueryOptions = {}): Promise<SqlResult> {
    // Each statement runs to its end; the last one's result is returned.
    let fields: readonly WireField[] = [];
    let batches: WireBatch[] = [];
    let meta: Pick<Running, 'scans' | 'statement'> = { scans: [] };
    for await (const e of this.batches(sql, options.signal, true)) {
      if (e.start) {
        fields = e.fields;
        batches = [];
        meta = e.meta;
      }
      if (e.batch) batches.push(e.batch);
    }
    return new SqlResult(fields, batches, meta.scans, meta.statement);
  }

  /**
   * Streams a query's result as Arrow RecordBatches (earlier statements of a script run first).
   * Leaving the loop early, or `signal`, stops the query.
   */
  async *stream(sql: string, options: QueryOptions = {}): AsyncGenerator<arrow.RecordBatch> {
    for await (const { fields, batch } of this.batches(sql, options.signal, false))
      if (batch) yield wireBatchToArrow(fields, batch);
  }

  /**
   * Streams a query's result as batches of plain row objects (the values `rows()` gives). An empty
   * result still yields one batch with no rows, so the caller learns the columns.
   */
  async *streamRows(
    sql: string,
    options: QueryOptions = {},
  ): AsyncGenerator<{ columns: SqlColumn[]; rows: Record<string, unknown>[] }> {
    let empty: SqlColumn[] | undefined;
    for await (const { fields, batch } of this.batches(sql, options.signal, false)) {
      const columns = fields.map((f) => ({ name: f.name, type: f.type.sql }));
      if (!batch) {
        empty = columns;
        continue;
      }
      empty = undefined;
      yield { columns, rows: wireRows(fields, [batch]) };
    }
    if (empty) yield { columns: empty, rows: [] };
  }

  /**
   * The statements of a script, run in order: each one's batches (with `start` at its first, when
   * `every`; else only the last statement's batches are yielded).
   */
  private async *batches(
    sql: string,
    signal: AbortSignal | undefined,
    every: boolean,
  ): AsyncGenerator<{
    fields: readonly WireField[];
    batch?: WireBatch;
    start?: boolean;
    meta: Pick<Running, 'scans' | 'statement'>;
  }> {
    const statements = this.statements(sql);
    signal?.throwIfAborted();
    for (const [i, s] of statements.entries()) {
      const session = this.acquire();
      let scope = 0;
      const abort = () => {
        // An abort while Eddy plans the scans finds no DuckDB query to interrupt yet: the scope
        // stops the query before it is fetched (run).
        if (scope) this.abortedScopes.add(scope);
        this.engine.interrupt(session);
        if (scope) void this.registry.close(scope);
      };
      signal?.addEventListener('abort', abort, { once: true });
      try {
        const r = await this.execute(s.text, s.tokens, session, (sc) => {
          scope = sc;
        });
        const meta = { scans: r.scans, statement: r.statement };
        const show = every || i === statements.length - 1;
        if (show) yield { fields: r.fields, start: true, meta };
        for await (const batch of r.batches) {
          signal?.throwIfAborted();
          if (show) yield { fields: r.fields, batch, meta };
        }
        signal?.throwIfAborted();
      } catch (e) {
        if (signal?.aborted) throw signal.reason;
        throw e;
      } finally {
        signal?.removeEventListener('abort', abort);
        this.abortedScopes.delete(scope);
        this.release(session);
      }
    }
  }

  /** The plan of a query: Eddy's scans (files read and pruned) and DuckDB's plan, as text. */
  async explain(sql: string): Promise<string> {
    const r = await this.query(`EXPLAIN ${sql}`);
    return r
      .rows()
      .map((row) => `${row.explain_key}\n${row.explain_value}`)
      .join('\n');
  }

  /** A table, reused from an earlier statement (in its latest schema). */
  private async table(name: string): Promise<Table> {
    const cached = this.tables.get(name);
    if (cached) {
      await cached.refresh(); // picks up an ALTER committed since
      return cached;
    }
    const t = await this.catalog.getTable(name);
    if (this.tables.size >= 256) this.tables.delete(this.tables.keys().next().value as string);
    this.tables.set(name, t);
    return t;
  }

  /** DuckDB's parse tree of a statement (`json_serialize_sql`), cached by text. */
  private async parse(session: number, text: string): Promise<Record<string, unknown>> {
    const hit = this.trees.get(text);
    if (hit) return hit;
    const ser = await this.engine.all(session, `SELECT json_serialize_sql(${quoteString(text)})`);
    const json = wireString(ser.batches[0]?.columns[0], 0);
    const tree = json ? (JSON.parse(json) as Record<string, unknown>) : { error: true };
    if (this.trees.size >= 128) this.trees.delete(this.trees.keys().next().value as string);
    this.trees.set(text, tree);
    return tree;
  }

  /** `database.table` names of the catalog (for completion and `.tables`). */
  async tableNames(): Promise<string[]> {
    const out: string[] = [];
    for (const d of await this.catalog.listDatabases())
      for (const t of await this.catalog.listTables(d)) out.push(`${d}.${t}`);
    return out;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.engine.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // -------------------------------------------------------------------------------------------

  private statements(sql: string) {
    if (this.closed) throw new EddyError('INVALID_ARGUMENT', 'this EddySql is closed');
    if (typeof sql !== 'string') throw new EddyError('INVALID_ARGUMENT', 'SQL: expected a string');
    const statements = splitStatements(sql);
    if (statements.length === 0) throw new EddyError('INVALID_ARGUMENT', 'SQL: no statement given');
    return statements;
  }

  /** Session 1 unless a stream holds it (then a fresh one, closed after). */
  private acquire(): number {
    const s = this.busy.has(1) ? this.nextSession++ : 1;
    this.busy.add(s);
    return s;
  }

  private release(session: number): void {
    this.busy.delete(session);
    if (session !== 1) this.engine.closeSession(session);
  }

  /** Executes one statement; its scans end when its batches are consumed or abandoned. */
  private async execute(
    written: string,
    writtenTokens: readonly Token[],
    session: number,
    onScope?: (scope: number) => void,
  ): Promise<Running> {
    const text = quoteKeywordArguments(written, writtenTokens);
    const tokens = text === written ? writtenTokens : tokenize(text);
    const scope = nextScope++;
    onScope?.(scope);
    this.registry.enter(session, scope);
    const ctx = this.context(session, scope);
    let r: Running;
    try {
      r = await this.route(ctx, text, tokens);
    } catch (e) {
      const explained = this.explainError(e, scope);
      await this.registry.close(scope);
      throw explained;
    }
    const self = this;
    async function* batches(): AsyncGenerator<WireBatch> {
      try {
        yield* r.batches;
      } catch (e) {
        throw self.explainError(e, scope);
      } finally {
        await self.registry.close(scope);
      }
    }
    return { ...r, batches: batches() };
  }

  /** The error to report: Eddy's own when a read raised one, else DuckDB's message, typed. */
  private explainError(e: unknown, scope: number): unknown {
    const eddy = this.registry.errorOf(scope);
    if (eddy instanceof EddyError) return eddy;
    if (e instanceof EddyError) return e;
    const message = (e instanceof Error ? e.message : String(e)).replace(/^Failed to extract statements: /, '');
    if (/^Catalog Error: .*(does not exist|not found)/i.test(message))
      return new EddyError('NOT_FOUND', `SQL: ${message}`);
    if (/^Not implemented Error/i.test(message)) return new EddyError('UNSUPPORTED', `SQL: ${message}`);
    // A data file DuckDB read directly (inside the warehouse) and could not read: damaged.
    const file = /(?:Invalid Input|IO) Error: [^']*'([^']+\.parquet)'/i.exec(message)?.[1];
    if (file?.startsWith(this.catalog.warehouse))
      return new EddyError('CORRUPT_FILE', `${file}: cannot read Parquet: ${message}`, { path: file, cause: e });
    return new EddyError('INVALID_ARGUMENT', `SQL: ${message}`, { cause: e });
  }

  private context(session: number, scope: number): StatementContext {
    let temps = 0;
    const tables = new Map<string, Promise<Table>>();
    return {
      catalog: this.catalog,
      session,
      scope,
      table: (name) => {
        let t = tables.get(name);
        if (!t) {
          t = this.table(name);
          tables.set(name, t);
        }
        return t;
      },
      prepareRead: (text, pin) => this.prepareRead(text, session, scope, pin),
      run: (sql) => this.engine.run(session, sql, undefined, () => this.abortedScopes.has(scope)),
      all: (sql) => this.engine.all(session, sql),
      rows: async (sql) => {
        const r = await this.engine.all(session, sql);
        return wireRows(r.fields, r.batches);
      },
      ensureViews: (tokens) => this.ensureViews(tokens, session),
      dropViews: (db, table) => this.dropViews(db, table, session),
      tempName: (what) => `__eddy_${what}_${scope}_${temps++}`,
    };
  }

  private async route(ctx: StatementContext, text: string, tokens: readonly Token[]): Promise<Running> {
    const r = new TokenReader(tokens, text);
    const head = r.peek();
    const word = head?.kind === 'word' ? head.value : head?.text === '(' ? 'SELECT' : '';
    switch (word) {
      case 'EXPLAIN':
        return this.explainStatement(ctx, text, tokens);
      case 'INSERT':
      case 'UPDATE':
      case 'DELETE':
      case 'MERGE':
      case 'TRUNCATE': {
        const report = await this.write(ctx, word, text, tokens);
        return report ?? this.passThrough(ctx, text, tokens);
      }
      case 'CREATE':
      case 'DROP':
      case 'ALTER': {
        const report = await this.ddl(ctx, word, text, tokens);
        return report ?? this.passThrough(ctx, text, tokens);
      }
      case 'COPY':
        return this.copy(ctx, text, tokens);
      case 'BEGIN':
      case 'START':
      case 'COMMIT':
      case 'ROLLBACK':
      case 'ABORT':
      case 'END':
        throw new EddyError(
          'UNSUPPORTED',
          'SQL: transactions are not supported: every statement on an Eddy table commits on its own',
        );
      default:
        if (READ_HEADS.has(word)) return this.read(ctx, describeTarget(text, tokens));
        return this.passThrough(ctx, text, tokens);
    }
  }

  private async read(ctx: StatementContext, text: string): Promise<Running> {
    const p = await ctx.prepareRead(text);
    const r = await ctx.run(p.sql);
    return { fields: r.fields, batches: r.batches, scans: p.scans };
  }

  private async passThrough(ctx: StatementContext, text: string, tokens: readonly Token[]): Promise<Running> {
    await ctx.ensureViews(tokens);
    const r = await ctx.run(text);
    return { fields: r.fields, batches: r.batches, scans: [] };
  }

  private async explainStatement(ctx: StatementContext, text: string, tokens: readonly Token[]): Promise<Running> {
    const r = new TokenReader(tokens, text);
    r.expectWord('EXPLAIN');
    const analyze = r.acceptWord('ANALYZE', 'ANALYSE');
    const inner = r.rest();
    const p = await ctx.prepareRead(describeTarget(inner, tokenize(inner)));
    const plan = await ctx.rows(`EXPLAIN ${analyze ? 'ANALYZE ' : ''}${p.sql}`);
    const rows: unknown[][] = [];
    for (const s of p.scans) {
      // Live files of the snapshot, for scale (partition pruning skips whole manifests uncounted).
      const table = await ctx.table(s.table);
      const all = s.snapshotId === undefined ? undefined : await inspect(table).plan({ snapshotId: s.snapshotId });
      const live = all ? all.splits.reduce((n, x) => n + x.files.length, 0) : 0;
      rows.push([
        `eddy_scan ${s.table}`,
        `${s.filter ? `filter: ${s.filter}\n` : ''}snapshot ${s.snapshotId ?? 'none'}\nfiles read: ${s.filesRead} of ${live} live (pruned by stats/bucket: ${s.filesPruned}), buckets: ${s.bucketsRead}\nread by DuckDB: ${s.directFiles} files; merged by Eddy: ${s.mergedFiles} files`,
      ]);
    }
    for (const row of plan) rows.push([row.explain_key, row.explain_value]);
    const fields = [
      { name: 'explain_key', type: VARCHAR_TYPE },
      { name: 'explain_value', type: VARCHAR_TYPE },
    ];
    return { fields, batches: once(rowsToWire(fields, rows)), scans: p.scans };
  }

  /** `COPY (query) TO …` with the query rewritten; other COPY forms as DuckDB runs them. */
  private async copy(ctx: StatementContext, text: string, tokens: readonly Token[]): Promise<Running> {
    const r = new TokenReader(tokens, text);
    r.expectWord('COPY');
    if (r.isOp('(')) {
      const open = r.peek() as Token;
      const inner = r.group();
      const close = tokens[r.pos - 1];
      const p = await ctx.prepareRead(inner);
      const sql = `${text.slice(0, open.start)}(${p.sql})${text.slice(close.end)}`;
      await ctx.ensureViews(tokens.slice(r.pos));
      const res = await ctx.run(sql);
      return { fields: res.fields, batches: res.batches, scans: p.scans };
    }
    const name = r.qualifiedName();
    if (name.length === 2 && r.isWord('FROM') && (await this.isEddyDatabase(name[0])))
      throw new EddyError(
        'UNSUPPORTED',
        `SQL: COPY … FROM into an Eddy table is not supported; use INSERT INTO ${name.join('.')} SELECT * FROM read_csv('file') (or read_parquet, read_json)`,
      );
    return this.passThrough(ctx, text, tokens);
  }

  private async isEddyDatabase(name: string): Promise<boolean> {
    if (DUCK_SCHEMAS.has(name.toLowerCase())) return false;
    try {
      return await this.catalog.databaseExists(name);
    } catch {
      return false;
    }
  }

  private async write(
    ctx: StatementContext,
    word: string,
    text: string,
    tokens: readonly Token[],
  ): Promise<Running | undefined> {
    const target = writeTarget(word, tokens, text);
    if (target?.length !== 2 || DUCK_SCHEMAS.has(target[0].toLowerCase())) return undefined;
    if (!(await this.isEddyDatabase(target[0])))
      throw new EddyError('NOT_FOUND', `database '${target[0]}' does not exist (writing ${target.join('.')})`);
    let report: StatementReport;
    switch (word) {
      case 'INSERT':
        report = await runInsert(ctx, text, tokens);
        break;
      case 'UPDATE':
        report = await runUpdate(ctx, text, tokens);
        break;
      case 'DELETE':
        report = await runDelete(ctx, text, tokens);
        break;
      case 'MERGE':
        report = await runMerge(ctx, text, tokens);
        break;
      default:
        report = await runTruncate(ctx, text, tokens);
    }
    return reportResult(report);
  }

  private async ddl(
    ctx: StatementContext,
    word: string,
    text: string,
    tokens: readonly Token[],
  ): Promise<Running | undefined> {
    const r = new TokenReader(tokens, text);
    r.pos = 1;
    let orReplace = false;
    if (r.acceptWord('OR')) {
      r.expectWord('REPLACE');
      orReplace = true;
    }
    const temporary = r.acceptWord('TEMP', 'TEMPORARY');
    const what = r.peek()?.value;
    if (temporary) return undefined;
    if (word === 'ALTER') {
      r.acceptWord('TABLE');
      const name = r.qualifiedName();
      if (name.length === 2 && (await this.isEddyDatabase(name[0])))
        throw new EddyError(
          'UNSUPPORTED',
          `SQL: ALTER TABLE ${name.join('.')}: schema evolution is not supported by Eddy yet`,
        );
      return undefined;
    }
    if (what === 'SCHEMA' || what === 'DATABASE') {
      r.pos++;
      return reportResult(word === 'CREATE' ? await createDatabase(ctx, r) : await dropDatabase(ctx, r));
    }
    if (what === 'TABLE') {
      const save = r.pos;
      r.pos++;
      skipIfExists(r);
      const name = r.qualifiedName();
      r.pos = save;
      if (name.length !== 2 || DUCK_SCHEMAS.has(name[0].toLowerCase())) return undefined;
      if (word === 'CREATE') {
        if (orReplace)
          throw new EddyError(
            'UNSUPPORTED',
            'SQL: CREATE OR REPLACE TABLE is not supported for Eddy tables (DROP TABLE, then CREATE TABLE)',
          );
        r.pos++;
        return reportResult(await createTable(ctx, r));
      }
      if (!(await this.isEddyDatabase(name[0]))) return undefined;
      r.pos++;
      return reportResult(await dropTable(ctx, r));
    }
    if (what === 'VIEW' || what === 'MACRO' || what === 'SEQUENCE' || what === 'INDEX' || what === 'TYPE') {
      const save = r.pos;
      r.pos++;
      skipIfExists(r);
      const name = r.peek() ? r.qualifiedName() : [];
      r.pos = save;
      if (name.length === 2 && (await this.isEddyDatabase(name[0])))
        throw new EddyError(
          'UNSUPPORTED',
          `SQL: ${word} ${what} in Eddy database '${name[0]}' is not supported; use a temporary one (CREATE TEMP ${what} …)`,
        );
    }
    return undefined;
  }

  // -------------------------------------------------------------------------------------------
  // Reads: finding and planning Eddy table references

  private async prepareRead(
    text: string,
    session: number,
    scope: number,
    pin?: ReadonlyMap<string, number>,
  ): Promise<{ sql: string; scans: ScanReport[] }> {
    const tree = await this.parse(session, text);
    if (tree.error) return { sql: text, scans: [] };
    const { refs, constants } = analyse(text, tree);
    if (refs.length === 0) return { sql: text, scans: [] };

    // What each reference reads, and the constants to evaluate for it.
    type Target =
      | { kind: 'scan'; ref: FoundRef; table: Table; shapes: NonNullable<ReturnType<typeof shapeOf>>[] }
      | { kind: 'system'; ref: FoundRef; table: Table; system: string }
      | { kind: 'changes'; ref: FoundRef; table: Table };
    const targets: Target[] = [];
    const evalTargets: { index: number; type: Parameters<typeof constantSql>[1][number]['type'] }[] = [];
    const indexOf = new Map<unknown, number>();
    const constIndex = (node: Record<string, unknown>, type: (typeof evalTargets)[number]['type']) => {
      let i = indexOf.get(node);
      if (i === undefined) {
        i = constants.indexOf(node);
        if (i < 0) i = constants.push(node) - 1;
        indexOf.set(node, i);
      }
      evalTargets.push({ index: i, type });
      return i;
    };
    for (const ref of refs) {
      if (ref.kind === 'table') {
        const [db, name] = ref.parts;
        if (ref.parts.length !== 2 || !(await this.isEddyDatabase(db))) continue;
        const dollar = name.indexOf('$');
        const base = dollar > 0 ? name.slice(0, dollar) : name;
        const table = await this.table(`${db}.${base}`);
        if (dollar > 0) {
          if (ref.at)
            throw new EddyError('UNSUPPORTED', `SQL: time travel on system table ${db}.${name} is not supported`);
          targets.push({ kind: 'system', ref, table, system: name.slice(dollar + 1) });
          continue;
        }
        if (ref.at)
          evalTargets.push({ index: ref.at.constant, type: ref.at.unit === 'TIMESTAMP' ? 'timestamp' : 'text' });
        const cols = new Set(table.schema.fields.map((f) => f.name));
        const shapes = ref.conjuncts
          .map((c) => shapeOf(c, (parts) => ref.owns(parts, cols)))
          .filter((s): s is NonNullable<typeof s> => s !== undefined);
        for (const s of shapes)
          for (const c of shapeConstants(s)) {
            const col = columnOfConstant(s, c);
            const type = table.schema.fields.find((f) => f.name === col)?.type;
            if (type) constIndex(c, type);
          }
        targets.push({ kind: 'scan', ref, table, shapes });
      } else {
        for (const i of ref.args) evalTargets.push({ index: i, type: 'text' });
        for (const [k, i] of Object.entries(ref.named))
          evalTargets.push({ index: i, type: k === 'timestamp' ? 'timestamp' : k === 'tag' ? 'text' : 'snapshot' });
        targets.push({
          kind: ref.fn === 'eddy_scan' ? 'scan' : ref.fn === 'eddy_changes' ? 'changes' : 'system',
          ref,
        } as Target);
      }
    }
    if (targets.length === 0) return { sql: text, scans: [] };

    // Evaluate the constants (in DuckDB: its casts, its time zone).
    const values = new Map<number, Evaluated>();
    // Integer and string literals are read here; anything else is converted by DuckDB.
    const rest = evalTargets.filter((t) => {
      const v = simpleConstant(constants[t.index], t.type);
      if (v) values.set(t.index, v);
      return !v;
    });
    if (rest.length > 0) {
      const row = (await this.rowsOn(session, constantSql(constantsQuery(this.template, constants), rest)))[0] ?? {};
      for (const [i, t] of rest.entries()) {
        values.set(t.index, {
          text: (row[`v${i}`] as string | null) ?? null,
          type: String(row[`t${i}`] ?? ''),
          exact: row[`x${i}`] === true,
        });
      }
    }
    const text$ = (i: number) => values.get(i)?.text ?? null;
    const argText = (ref: FoundRef, i: number, what: string) => {
      const v = ref.args[i] === undefined ? null : text$(ref.args[i]);
      if (v === null) throw new EddyError('INVALID_ARGUMENT', `SQL: ${ref.fn}(...) needs ${what}`);
      return v;
    };

    // Every reference of one table reads the same snapshot (a self-join sees one state).
    // (A snapshot committed before the table's latest schema is read unpinned: a plain read is in
    // the table's schema, as in Paimon.)
    const latest = new Map<string, Promise<ReadAt>>();
    const latestOnce = (table: Table) => {
      let read = latest.get(table.name);
      if (!read) {
        const pinned = pin?.get(table.name);
        read =
          pinned !== undefined
            ? Promise.resolve({ snapshotId: pinned })
            : table.latestSnapshot().then((s) => (s && s.schemaId === table.schema.id ? { snapshotId: s.id } : {}));
        latest.set(table.name, read);
      }
      return read;
    };

    // Plan every reference, then replace its text.
    const scans: ScanReport[] = [];
    const replacements = await Promise.all(
      targets.map(async (t) => {
        let table = 'table' in t ? t.table : undefined;
        if (!table) table = await this.table(argText(t.ref, 0, "a table name ('database.table')"));
        let source: ScanSource;
        if (t.kind === 'system') {
          const kind = t.ref.kind === 'function' ? argText(t.ref, 1, 'a system table name') : t.system;
          source = systemTable(table, kind);
        } else if (t.kind === 'changes') {
          const n = (k: string) => {
            const i = t.ref.named[k];
            const v = i === undefined ? null : text$(i);
            return v === null ? undefined : Number(v);
          };
          source = await changesSource(table, n('from'), n('to'));
        } else {
          // Time travel: AT (VERSION => n | 'tag') / AT (TIMESTAMP => t), or eddy_scan's named arguments.
          let at: { snapshotId?: number; asOfMillis?: number; tag?: string } = {};
          if (t.ref.at) {
            const v = values.get(t.ref.at.constant);
            if (!v || v.text === null) throw new EddyError('INVALID_ARGUMENT', 'SQL: AT (…) needs a value');
            if (t.ref.at.unit === 'TIMESTAMP') at = { asOfMillis: Number(v.text) };
            else if (/INT/.test(v.type)) at = timeTravel({ snapshot: v.text });
            else at = { tag: v.text };
          } else if (t.ref.kind === 'function') {
            const named: Record<string, unknown> = {};
            for (const [k, i] of Object.entries(t.ref.named)) named[k] = text$(i);
            at = timeTravel(named);
          }
          // The read: time travel, else the latest snapshot (one per table for the statement).
          const read: ReadAt =
            at.tag !== undefined
              ? { tag: at.tag }
              : at.snapshotId !== undefined
                ? { snapshotId: at.snapshotId }
                : at.asOfMillis !== undefined
                  ? { asOf: at.asOfMillis }
                  : await latestOnce(table);
          // Time travel reads in the snapshot's own schema; filters are pushed only in the table's.
          const schema = await table.schemaAt(read);
          const cols = new Set(table.schema.fields.map((f) => f.name));
          const shapes =
            t.ref.kind === 'table'
              ? (t as { shapes: NonNullable<ReturnType<typeof shapeOf>>[] }).shapes
              : t.ref.conjuncts
                  .map((c) => shapeOf(c, (parts) => t.ref.owns(parts, cols)))
                  .filter((s): s is NonNullable<typeof s> => s !== undefined);
          const preds =
            schema.id !== table.schema.id
              ? []
              : shapes
                  .map((s) => toPredicate(s, table.schema.fields, (node) => values.get(indexOf.get(node) ?? -1)))
                  .filter((p) => p !== undefined);
          const where =
            preds.length === 0 ? undefined : preds.length === 1 ? preds[0] : { op: 'and' as const, children: preds };
          const plan = await planScan(table, schema, read, where, true);
          const handle = this.registry.register(
            scope,
            new TableSource(table, schema.fields, { ...read, splits: plan.eddySplits, where }),
          );
          scans.push({
            table: table.name,
            snapshotId: plan.snapshotId,
            filter: where ? predicateText(where) : undefined,
            filesRead: plan.filesRead,
            filesPruned: plan.filesPruned,
            bucketsRead: plan.bucketsRead,
            directFiles: plan.directFiles.length,
            mergedFiles: plan.eddySplits.reduce((s, x) => s + x.files.length, 0),
          });
          return { ref: t.ref, sql: replacementSql(plan, handle) };
        }
        const handle = this.registry.register(scope, source);
        return { ref: t.ref, sql: `SELECT * FROM __eddy_read(${handle})` };
      }),
    );
    let sql = text;
    for (const { ref, sql: repl } of [...replacements].sort((a, b) => b.ref.start - a.ref.start)) {
      const alias = ref.hasAlias ? '' : ` AS ${quoteIdent(ref.defaultAlias)}`;
      sql = `${sql.slice(0, ref.start)}(${repl})${alias}${sql.slice(ref.end)}`;
    }
    return { sql, scans };
  }

  private async rowsOn(session: number, sql: string): Promise<Record<string, unknown>[]> {
    const r = await this.engine.all(session, sql);
    return wireRows(r.fields, r.batches);
  }

  // -------------------------------------------------------------------------------------------
  // Views for statements DuckDB binds itself

  private async ensureViews(tokens: readonly Token[], session: number): Promise<void> {
    const name = (t: Token | undefined) => t !== undefined && (t.kind === 'word' || t.kind === 'ident');
    const text = (t: Token) => (t.kind === 'word' ? t.text : t.value);
    for (let i = 0; i + 2 < tokens.length; i++) {
      if (!name(tokens[i]) || tokens[i + 1].text !== '.' || !name(tokens[i + 2])) continue;
      if (tokens[i - 1]?.text === '.' || tokens[i + 3]?.text === '.' || tokens[i + 3]?.text === '(') continue;
      const db = text(tokens[i]);
      const t = text(tokens[i + 2]);
      const key = `${db}.${t}`;
      if (this.views.has(key) || !(await this.isEddyDatabase(db))) continue;
      const dollar = t.indexOf('$');
      const base = dollar > 0 ? t.slice(0, dollar) : t;
      if (!(await this.catalog.tableExists(`${db}.${base}`))) continue;
      const body =
        dollar > 0
          ? `SELECT * FROM eddy_system(${quoteString(`${db}.${base}`)}, ${quoteString(t.slice(dollar + 1))})`
          : `SELECT * FROM eddy_scan(${quoteString(key)})`;
      await this.engine.all(session, `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(db)}`);
      await this.engine.all(session, `CREATE OR REPLACE VIEW ${quoteIdent(db)}.${quoteIdent(t)} AS ${body}`);
      this.views.add(key);
    }
  }

  private async dropViews(db: string, table: string | undefined, session: number): Promise<void> {
    for (const key of [...this.views]) {
      const [d, t] = [key.slice(0, key.indexOf('.')), key.slice(key.indexOf('.') + 1)];
      if (d !== db || (table !== undefined && t !== table && !t.startsWith(`${table}$`))) continue;
      await this.engine.all(session, `DROP VIEW IF EXISTS ${quoteIdent(d)}.${quoteIdent(t)}`);
      this.views.delete(key);
    }
  }
}

const INT_RANGE: Partial<Record<string, readonly [bigint, bigint]>> = {
  TINYINT: [-128n, 127n],
  SMALLINT: [-32768n, 32767n],
  INT: [-2147483648n, 2147483647n],
  BIGINT: [-(2n ** 63n), 2n ** 63n - 1n],
};

/**
 * A literal whose value needs no conversion: an integer literal (for a snapshot id or an integer
 * column it fits), or a string literal (for a name, or a string column). Else undefined.
 */
function simpleConstant(
  node: Record<string, unknown>,
  target: Parameters<typeof constantSql>[1][number]['type'],
): Evaluated | undefined {
  if (node.class !== 'CONSTANT') return undefined;
  const value = node.value as { type?: { id?: string }; is_null?: boolean; value?: unknown };
  const id = value.type?.id ?? '';
  if (value.is_null) return undefined;
  const integer = ['TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT'].includes(id) && Number.isSafeInteger(value.value);
  const string = id === 'VARCHAR' && typeof value.value === 'string';
  if (!integer && !string) return undefined;
  const text = String(value.value);
  if (target === 'text') return { text, type: id, exact: true };
  if (target === 'snapshot') return integer ? { text, type: id, exact: true } : undefined;
  if (target === 'timestamp') return undefined;
  if (string) return target.root === 'VARCHAR' ? { text, type: id, exact: true } : undefined;
  const range = INT_RANGE[target.root];
  if (!range) return undefined;
  const v = BigInt(text);
  return v >= range[0] && v <= range[1] ? { text, type: id, exact: true } : undefined;
}

/** The column a constant of a shape is compared with. */
function columnOfConstant(s: NonNullable<ReturnType<typeof shapeOf>>, c: unknown): string | undefined {
  switch (s.kind) {
    case 'cmp':
      return s.cmp.constant === c ? s.cmp.column : undefined;
    case 'in':
      return s.constants.includes(c as Record<string, unknown>) ? s.column : undefined;
    case 'null':
      return undefined;
    default:
      for (const k of s.children) {
        const col = columnOfConstant(k, c);
        if (col) return col;
      }
      return undefined;
  }
}

/**
 * `eddy_changes(t, from => 3, to => 9)`, `eddy_scan(t, timestamp => …)`: FROM, TO and TIMESTAMP are
 * SQL keywords, which DuckDB's parser does not take as argument names unless quoted; quote them.
 */
function quoteKeywordArguments(text: string, tokens: readonly Token[]): string {
  let out = text;
  for (let i = tokens.length - 2; i >= 0; i--) {
    const t = tokens[i];
    const next = tokens[i + 1];
    if (t.kind !== 'word' || !['FROM', 'TO', 'TIMESTAMP'].includes(t.value)) continue;
    if (next.text !== '=>' && next.text !== ':=') continue;
    const prev = tokens[i - 1]?.text;
    if (prev !== ',' && prev !== '(') continue;
    if (prev === '(' && tokens[i - 2]?.value === 'AT') continue; // AT (TIMESTAMP => …)
    out = `${out.slice(0, t.start)}"${t.text.toLowerCase()}"${out.slice(t.end)}`;
  }
  return out;
}

/** Skips `IF [NOT] EXISTS`. */
function skipIfExists(r: TokenReader): void {
  if (!r.acceptWord('IF')) return;
  r.acceptWord('NOT');
  r.expectWord('EXISTS');
}

/** `DESCRIBE db.t` / `SUMMARIZE db.t` / `SHOW db.t` → the same over `SELECT * FROM db.t`. */
function describeTarget(text: string, tokens: readonly Token[]): string {
  const r = new TokenReader(tokens, text);
  const head = r.peek()?.value;
  if (head !== 'DESCRIBE' && head !== 'SUMMARIZE' && head !== 'SHOW') return text;
  r.pos++;
  if (r.isWord('SELECT', 'FROM', 'WITH', 'TABLES', 'ALL', 'DATABASES') || r.done) return text;
  const start = r.peek() as Token;
  try {
    r.qualifiedName();
  } catch {
    return text;
  }
  if (!r.done) return text;
  return `${head === 'SHOW' ? 'DESCRIBE' : head} SELECT * FROM ${text.slice(start.start)}`;
}

/** The table a write statement writes (its name parts), or undefined. */
function writeTarget(word: string, tokens: readonly Token[], text: string): string[] | undefined {
  const r = new TokenReader(tokens, text);
  r.pos = 1;
  try {
    if (word === 'INSERT') {
      if (r.acceptWord('OR')) r.acceptWord('REPLACE', 'IGNORE');
      if (!r.acceptWord('INTO')) r.expectWord('OVERWRITE');
      r.acceptWord('TABLE');
    } else if (word === 'DELETE') r.expectWord('FROM');
    else if (word === 'MERGE') r.expectWord('INTO');
    else if (word === 'TRUNCATE') r.acceptWord('TABLE');
    return r.qualifiedName();
  } catch {
    return undefined;
  }
}

function reportResult(report: StatementReport): Running {
  const fields: WireField[] = [
    { name: 'rows', type: BIGINT_TYPE },
    { name: 'snapshot_id', type: BIGINT_TYPE },
  ];
  return {
    fields,
    batches: once(rowsToWire(fields, [[report.rows ?? 0, report.snapshotId ?? null]])),
    scans: [],
    statement: report,
  };
}

async function* once(b: WireBatch): AsyncGenerator<WireBatch> {
  yield b;
}

export type { EngineResult };
