/**
 * What every command shares: the global options (`--warehouse`/EDDY_WAREHOUSE, `--json`,
 * `--jsonl`), opening the catalog and a table, argument parsing that fails as a user error, and
 * writing listings in the chosen output mode.
 */
import { existsSync } from 'node:fs';
import { Catalog, durationMillis, EddyError, type Table, warehousePath } from '@eddy/table';
import { type ColumnSpec, renderTable, toJson, toJsonLine } from './format.ts';

export interface GlobalOptions {
  readonly warehouse?: string;
  readonly json?: boolean;
  readonly jsonl?: boolean;
}

export type OutputMode = 'human' | 'json' | 'jsonl';

/** A user error: exit code 1 with a one-line message. */
export const usage = (message: string): EddyError => new EddyError('INVALID_ARGUMENT', message);

export function outputMode(g: GlobalOptions): OutputMode {
  if (g.json && g.jsonl) throw usage('--json and --jsonl cannot be combined');
  return g.json ? 'json' : g.jsonl ? 'jsonl' : 'human';
}

export function warehouseOf(g: GlobalOptions): string {
  const w = g.warehouse ?? process.env.EDDY_WAREHOUSE;
  if (!w) throw usage('no warehouse: pass --warehouse <path|s3://bucket/prefix> or set EDDY_WAREHOUSE');
  return w;
}

/** Opens the warehouse; a local one must exist unless `create` (a typo should not create folders). */
export async function openCatalog(g: GlobalOptions, create = false): Promise<Catalog> {
  const uri = warehouseOf(g);
  const path = warehousePath(uri);
  if (!create && !path.includes('://') && !existsSync(path))
    throw new EddyError('NOT_FOUND', `warehouse ${path} does not exist`);
  return Catalog.open(uri);
}

export async function openTable(g: GlobalOptions, name: string): Promise<Table> {
  if (!/^[^.]+\.[^.]+$/.test(name)) throw usage(`table '${name}': expected <database>.<table>`);
  const catalog = await openCatalog(g);
  if (!(await catalog.tableExists(name)))
    throw new EddyError('NOT_FOUND', `table '${name}' does not exist in ${catalog.warehouse}`);
  return catalog.getTable(name);
}

/** Writes to stdout, waiting when the pipe is full (so a large scan never piles up in memory). */
export function write(text: string): Promise<void> {
  return new Promise((resolve) => {
    if (process.stdout.write(text)) resolve();
    else process.stdout.once('drain', resolve);
  });
}

export const println = (line = ''): Promise<void> => write(`${line}\n`);

/**
 * Prints a listing: a table for people (with `columns` choosing and humanising), an array of
 * objects with `--json`, one object per line with `--jsonl`.
 */
export async function printRows(
  mode: OutputMode,
  rows: readonly Record<string, unknown>[],
  columns?: readonly (string | ColumnSpec)[],
  empty = '(none)',
): Promise<void> {
  if (mode === 'json') return println(toJson(rows));
  if (mode === 'jsonl') {
    for (const r of rows) await println(toJsonLine(r));
    return;
  }
  return println(rows.length === 0 ? empty : renderTable(rows, columns));
}

/** Prints one document (`describe`, command results): JSON in both machine modes. */
export async function printDocument(mode: OutputMode, doc: unknown, human: () => string): Promise<void> {
  if (mode === 'json') return println(toJson(doc));
  if (mode === 'jsonl') return println(toJsonLine(doc));
  return println(human());
}

export function parseInteger(option: string, value: string | undefined, min = 0): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min)
    throw usage(`${option}: expected an integer ≥ ${min}, got '${value}'`);
  return n;
}

/** `500ms`, `30s`, `10m`, `1h`, `7d` (or plain milliseconds) → milliseconds. */
export function parseDuration(option: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = durationMillis(value, { fractions: true });
  if (ms === undefined) throw usage(`${option}: expected a duration such as 30s, 10m, 1h or 7d, got '${value}'`);
  return ms;
}

/** An ISO-8601 time or epoch milliseconds → epoch milliseconds. */
export function parseTime(option: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value);
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw usage(`${option}: expected an ISO-8601 time or epoch milliseconds, got '${value}'`);
  return t;
}

/** `a,b , c` → `['a', 'b', 'c']`. */
export function parseList(option: string, value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (items.length === 0) throw usage(`${option}: expected a comma-separated list`);
  return items;
}

export { setExitCode } from './exit-code.ts';

/** `k=v[,k=v]` (or `k=v/k=v`) naming partition-key values of `table`, as text, for `option`. */
export function parsePartitionSpec(table: Table, spec: string, option: string): Map<string, string> {
  const keys = table.schema.partitionKeys;
  if (keys.length === 0) throw usage(`${option}: table ${table.name} is not partitioned`);
  const out = new Map<string, string>();
  for (const part of spec.split(/[,/]/)) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw usage(`${option}: expected k=v[,k=v], got '${spec}'`);
    const k = part.slice(0, eq).trim();
    if (!keys.includes(k))
      throw usage(`${option}: '${k}' is not a partition key of ${table.name} (${keys.join(', ')})`);
    out.set(k, part.slice(eq + 1).trim());
  }
  return out;
}
