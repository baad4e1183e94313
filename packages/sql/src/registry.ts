/**
 * The scans DuckDB's table functions read, by handle: made by a query's rewrite before it runs
 * (`__eddy_read(handle)`), or on demand when DuckDB binds `eddy_scan(...)`, `eddy_changes(...)`
 * or `eddy_system(...)` itself (views, statements Eddy does not rewrite). Handles and their open
 * cursors belong to the statement that made them and end with it.
 */
import { DuckDBTypeId } from '@duckdb/node-api';
import { type Catalog, EddyError, type Table } from '@eddy/table';
import type { ScanProvider } from './engine/engine.ts';
import type { ResolveArgs, WireBatch, WireField } from './engine/protocol.ts';
import { BatchSource, type ScanSource, TableSource } from './scans.ts';
import { systemTable } from './system-tables.ts';
import { fieldsOf } from './types.ts';

interface Cursor {
  readonly scope: number;
  readonly it: AsyncGenerator<WireBatch>;
  ahead: Promise<IteratorResult<WireBatch>> | undefined;
}

/** The statement a session runs now (its scope), so that handles bound on demand end with it. */
export class Registry implements ScanProvider {
  private nextHandle = 1;
  private nextCursor = 1;
  private readonly handles = new Map<number, { scope: number; source: ScanSource }>();
  private readonly cursors = new Map<number, Cursor>();
  private readonly scopeOfSession = new Map<number, number>();
  /** The first error an Eddy read raised in a scope (reported instead of DuckDB's wording). */
  private readonly errors = new Map<number, unknown>();

  constructor(private readonly catalog: Catalog) {}

  enter(session: number, scope: number): void {
    this.scopeOfSession.set(session, scope);
  }

  register(scope: number, source: ScanSource): number {
    const h = this.nextHandle++;
    this.handles.set(h, { scope, source });
    return h;
  }

  /** The Eddy error behind a failed statement, if a read raised one. */
  errorOf(scope: number): unknown {
    return this.errors.get(scope);
  }

  /** Ends a statement's scans: open cursors are closed (their reads stop), handles dropped. */
  async close(scope: number): Promise<void> {
    const closing: Promise<unknown>[] = [];
    for (const [id, c] of this.cursors) {
      if (c.scope !== scope) continue;
      this.cursors.delete(id);
      closing.push((c.ahead ?? Promise.resolve()).catch(() => undefined).then(() => c.it.return(undefined)));
    }
    for (const [id, h] of this.handles) if (h.scope === scope) this.handles.delete(id);
    this.errors.delete(scope);
    await Promise.allSettled(closing);
  }

  async resolve(
    session: number,
    fn: string,
    args: ResolveArgs,
  ): Promise<{ handle: number; fields: readonly WireField[] }> {
    const scope = this.scopeOfSession.get(session) ?? 0;
    try {
      if (fn === '__eddy_read') {
        const h = Number(args.positional[0]);
        const entry = this.handles.get(h);
        if (!entry) throw new EddyError('INVALID_ARGUMENT', `__eddy_read(${h}) is internal to Eddy's query rewrite`);
        return { handle: h, fields: entry.source.fields };
      }
      const source = await this.sourceOf(fn, args);
      return { handle: this.register(scope, source), fields: source.fields };
    } catch (e) {
      if (!this.errors.has(scope)) this.errors.set(scope, e);
      throw e;
    }
  }

  private async table(name: unknown): Promise<Table> {
    if (typeof name !== 'string' || !name.includes('.'))
      throw new EddyError('INVALID_ARGUMENT', `SQL: expected a table name 'database.table', got ${String(name)}`);
    return this.catalog.getTable(name);
  }

  /** The source of an on-demand table function call (no filter pushdown, no direct reads). */
  private async sourceOf(fn: string, args: ResolveArgs): Promise<ScanSource> {
    const [name, kind] = args.positional;
    const table = await this.table(name);
    switch (fn) {
      case 'eddy_scan': {
        const at = timeTravel(args.named);
        const read = { snapshotId: at.snapshotId, asOf: at.asOfMillis, tag: at.tag };
        const schema = await table.schemaAt(read);
        return new TableSource(table, schema.fields, read);
      }
      case 'eddy_changes': {
        const from = args.named.from;
        const to = args.named.to;
        return changesSource(
          table,
          from === undefined ? undefined : Number(from),
          to === undefined ? undefined : Number(to),
        );
      }
      case 'eddy_system':
        return systemTable(table, String(kind));
      default:
        throw new EddyError('UNSUPPORTED', `SQL: unknown table function ${fn}`);
    }
  }

  async open(handle: number, projection: readonly number[]): Promise<number> {
    const entry = this.handles.get(handle);
    if (!entry) throw new EddyError('INVALID_ARGUMENT', `SQL: scan ${handle} has ended`);
    const id = this.nextCursor++;
    const c: Cursor = { scope: entry.scope, it: entry.source.open(projection), ahead: undefined };
    this.cursors.set(id, c);
    this.readAhead(c);
    return id;
  }

  private readAhead(c: Cursor): void {
    c.ahead = c.it.next();
    c.ahead.catch((e: unknown) => {
      if (!this.errors.has(c.scope)) this.errors.set(c.scope, e);
    });
  }

  async next(cursor: number): Promise<WireBatch | undefined> {
    const c = this.cursors.get(cursor);
    if (!c) return undefined;
    const r = await (c.ahead ?? c.it.next());
    if (r.done) {
      this.cursors.delete(cursor);
      return undefined;
    }
    // The next batch is read while DuckDB works on this one.
    this.readAhead(c);
    return r.value;
  }
}

export interface TimeTravel {
  readonly snapshotId?: number;
  readonly asOfMillis?: number;
  readonly tag?: string;
}

/** `snapshot`, `timestamp` (epoch ms) or `tag`: at most one. */
export function timeTravel(named: Readonly<Record<string, unknown>>): TimeTravel {
  const given = ['snapshot', 'timestamp', 'tag'].filter((k) => named[k] !== undefined && named[k] !== null);
  if (given.length > 1)
    throw new EddyError(
      'INVALID_ARGUMENT',
      `eddy_scan: give one of snapshot, timestamp or tag, not ${given.join(' and ')}`,
    );
  const s = named.snapshot;
  const t = named.timestamp;
  const tag = named.tag;
  if (s !== undefined && s !== null) {
    const id = Number(s);
    if (!Number.isInteger(id) || id < 1)
      throw new EddyError('INVALID_ARGUMENT', `eddy_scan: snapshot must be a positive integer, got ${String(s)}`);
    return { snapshotId: id };
  }
  if (t !== undefined && t !== null) {
    // A TIMESTAMPTZ parameter arrives as microseconds; the rewrite passes milliseconds.
    const ms = typeof t === 'bigint' ? Number(t / 1000n) : Number(t);
    if (!Number.isFinite(ms)) throw new EddyError('INVALID_ARGUMENT', `eddy_scan: bad timestamp ${String(t)}`);
    return { asOfMillis: ms };
  }
  if (tag !== undefined && tag !== null) return { tag: String(tag) };
  return {};
}

/** `eddy_changes(table, from => a, to => b)`: the changes after snapshot a up to b (Paimon's incremental-between). */
export async function changesSource(
  table: Table,
  from: number | undefined,
  to: number | undefined,
): Promise<ScanSource> {
  const latest = (await table.latestSnapshot())?.id ?? 0;
  const start = from ?? 0;
  const end = to ?? latest;
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end < start)
    throw new EddyError('INVALID_ARGUMENT', `eddy_changes: needs 0 ≤ from ≤ to, got from ${start}, to ${end}`);
  if (end > latest)
    throw new EddyError(
      'INVALID_ARGUMENT',
      `eddy_changes: to ${end} is after the latest snapshot of ${table.name} (${latest})`,
    );
  const columns = [
    { name: 'rowkind', type: { id: DuckDBTypeId.VARCHAR, sql: 'VARCHAR' } },
    ...fieldsOf(table.schema.fields),
  ];
  return new BatchSource(columns, async function* () {
    if (end === start) return;
    for await (const b of table.changeBatches({ scanMode: 'from-snapshot', snapshotId: start + 1, endSnapshotId: end }))
      yield b.batch;
  });
}
