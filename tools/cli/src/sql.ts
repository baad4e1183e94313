/**
 * `eddy sql "SELECT …"`: SQL over the warehouse's tables (@eddy/sql: an embedded DuckDB; writes go
 * through Eddy's writers). Prints a table, `--json`, `--jsonl` or `--csv`, or writes `--parquet
 * FILE`; without a query on a terminal, an interactive prompt (history, multi-line statements
 * ended by `;`, `.tables`, `.schema t`, completion of table and column names).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { EddySql, isIncomplete, type SqlColumn, type SqlResult, splitStatements } from '@eddy/sql';
import { type Catalog, EddyError } from '@eddy/table';
import { type GlobalOptions, type OutputMode, openCatalog, outputMode, println, usage, write } from './context.ts';
import { microsToIso, renderTable, toJson, toJsonLine } from './format.ts';

export interface SqlOptions {
  readonly csv?: boolean;
  readonly parquet?: string;
  readonly file?: string;
  readonly interactive?: boolean;
}

type Mode = OutputMode | 'csv';

/** The rows shown in a human table at most (the rest is counted). */
const HUMAN_MAX_ROWS = 10_000;

export async function runSql(g: GlobalOptions, query: string | undefined, o: SqlOptions): Promise<void> {
  let mode: Mode = outputMode(g);
  if (o.csv) {
    if (mode !== 'human') throw usage('--csv cannot be combined with --json or --jsonl');
    mode = 'csv';
  }
  if (o.file && query) throw usage('give a query or --file, not both');
  const catalog = await openCatalog(g);
  const db = await EddySql.open(catalog);
  try {
    let text = query ?? (o.file ? readFileSync(o.file, 'utf8') : undefined);
    if (o.interactive || (text === undefined && process.stdin.isTTY)) {
      if (text !== undefined) throw usage('--interactive takes no query or --file');
      return await repl(db, catalog, mode);
    }
    text ??= readFileSync(0, 'utf8');
    if (o.parquet) {
      const file = path.resolve(o.parquet);
      const q = text.trim().replace(/;\s*$/, '');
      const r = await db.query(`COPY (${q}) TO '${file.replaceAll("'", "''")}' (FORMAT parquet, COMPRESSION zstd)`);
      const rows = Number(r.rows()[0]?.Count ?? r.numRows);
      if (mode === 'human') await println(`wrote ${rows} rows to ${file}`);
      else await println((mode === 'json' ? toJson : toJsonLine)({ file, rows }));
      return;
    }
    await runScript(db, text, mode);
  } finally {
    await db.close();
  }
}

/** Runs each statement of a script, printing each result. */
async function runScript(db: EddySql, text: string, mode: Mode): Promise<void> {
  const statements = splitStatements(text);
  if (statements.length === 0) throw usage('no SQL statement given');
  for (const s of statements) {
    const head = s.tokens[0]?.value ?? '';
    if ((mode === 'jsonl' || mode === 'csv') && !WRITES.has(head)) await streamStatement(db, s.text, mode);
    else await printResult(await db.query(s.text), mode);
  }
}

/** Statements whose result is a report of what they did, not rows. */
const WRITES = new Set(['INSERT', 'UPDATE', 'DELETE', 'MERGE', 'TRUNCATE', 'CREATE', 'DROP', 'ALTER']);

// ---------------------------------------------------------------------------------------------
// Values and results

/** A value for output: µs timestamps as ISO text, the rest as the SQL result gives it. */
function display(v: unknown, type: string): unknown {
  if (typeof v === 'bigint' && (type === 'TIMESTAMP' || type === 'TIMESTAMP WITH TIME ZONE')) return microsToIso(v);
  if (v instanceof Date) return v.toISOString();
  return v;
}

function displayRows(columns: readonly SqlColumn[], rows: readonly Record<string, unknown>[]) {
  return rows.map((r) => {
    const out: Record<string, unknown> = {};
    for (const c of columns) out[c.name] = display(r[c.name], c.type);
    return out;
  });
}

async function printResult(r: SqlResult, mode: Mode): Promise<void> {
  if (r.statement) {
    const s = r.statement;
    const doc = { statement: s.kind, table: s.table, rows: s.rows, snapshot: s.snapshotId };
    if (mode === 'human') {
      const parts = [s.kind, s.table, s.rows === undefined ? undefined : `${s.rows} row${s.rows === 1 ? '' : 's'}`];
      if (s.snapshotId !== undefined) parts.push(`snapshot ${s.snapshotId}`);
      await println(parts.filter((p) => p !== undefined).join(': '));
    } else await println(mode === 'json' ? toJson(doc) : toJsonLine(doc));
    return;
  }
  const columns = r.columns;
  const rows = displayRows(columns, r.rows());
  if (mode === 'json') return println(toJson(rows));
  if (mode === 'jsonl') {
    for (const row of rows) await println(toJsonLine(row));
    return;
  }
  if (mode === 'csv') return write(csv(columns, rows, true));
  if (columns.length === 2 && columns[0].name === 'explain_key') {
    for (const row of rows) await println(`${row.explain_key}\n${row.explain_value}`);
    return;
  }
  const shown = rows.slice(0, HUMAN_MAX_ROWS);
  // Decimals come as exact strings: right-align them like the other numbers.
  const specs = columns.map((c) => (c.type.startsWith('DECIMAL') ? { key: c.name, kind: 'int' as const } : c.name));
  await println(columns.length === 0 ? 'OK' : renderTable(shown, specs));
  const more = rows.length - shown.length;
  await println(
    `(${rows.length} row${rows.length === 1 ? '' : 's'}${more > 0 ? `, ${more} not shown: use --csv or --jsonl` : ''})`,
  );
}

/** Streams a statement's rows as JSON Lines or CSV, batch by batch. */
async function streamStatement(db: EddySql, sql: string, mode: 'jsonl' | 'csv'): Promise<void> {
  let header = true;
  for await (const { columns, rows } of db.streamRows(sql)) {
    const shown = displayRows(columns, rows);
    if (mode === 'csv') {
      await write(csv(columns, shown, header));
      header = false;
    } else for (const r of shown) await println(toJsonLine(r));
  }
}

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s =
    v instanceof Uint8Array ? `0x${Buffer.from(v).toString('hex')}` : typeof v === 'object' ? toJsonLine(v) : String(v);
  return /[",\n\r]/.test(s) || s === '' ? `"${s.replaceAll('"', '""')}"` : s;
}

/** RFC 4180 CSV (NULL as an empty field, an empty string quoted). */
function csv(columns: readonly { name: string }[], rows: readonly Record<string, unknown>[], header: boolean): string {
  const lines = rows.map((r) => columns.map((c) => csvCell(r[c.name])).join(','));
  if (header) lines.unshift(columns.map((c) => csvCell(c.name)).join(','));
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------
// The interactive prompt

const KEYWORDS = [
  'SELECT',
  'FROM',
  'WHERE',
  'GROUP BY',
  'ORDER BY',
  'LIMIT',
  'JOIN',
  'LEFT JOIN',
  'INSERT INTO',
  'VALUES',
  'UPDATE',
  'SET',
  'DELETE FROM',
  'MERGE INTO',
  'CREATE TABLE',
  'DROP TABLE',
  'EXPLAIN',
  'DESCRIBE',
  'eddy_scan(',
  'eddy_changes(',
];

const HELP = `Statements end with ';' (they may span lines). Tables are database.table; system tables
database.table$snapshots, $schemas, $options, $files, $manifests, $partitions, $buckets, $tags,
$consumers, $audit_log. Time travel: db.t AT (VERSION => 3), eddy_scan('db.t', timestamp => '…'),
eddy_scan('db.t', tag => 'name'). Changes: eddy_changes('db.t', from => 3, to => 9).
.tables [db]   list tables        .schema db.t   columns of a table
.mode table|json|jsonl|csv         .help          this text
.quit          leave (or Ctrl-D)`;

/** Completions of the word before the cursor: table names, column names, keywords. */
export function completions(tables: readonly string[], columns: readonly string[], line: string): [string[], string] {
  const m = /[\w.$"]*$/.exec(line);
  const word = m ? m[0] : '';
  if (word === '') return [[], word];
  const candidates = [...tables, ...columns, ...KEYWORDS];
  return [[...new Set(candidates.filter((c) => c.toLowerCase().startsWith(word.toLowerCase())))], word];
}

async function repl(db: EddySql, catalog: Catalog, initial: Mode): Promise<void> {
  let mode: Mode = initial;
  const historyFile = process.env.EDDY_SQL_HISTORY ?? path.join(homedir(), '.eddy_sql_history');
  const history = existsSync(historyFile)
    ? readFileSync(historyFile, 'utf8').split('\n').filter(Boolean).reverse().slice(0, 1000)
    : [];
  let tables: string[] = await db.tableNames();
  const columns = new Map<string, string[]>();
  const columnsOf = async (name: string) => {
    if (!columns.has(name)) {
      try {
        columns.set(
          name,
          (await catalog.getTable(name)).schema.fields.map((f) => f.name),
        );
      } catch {
        columns.set(name, []);
      }
    }
    return columns.get(name) ?? [];
  };
  // Column names of the tables named so far in the statement being typed (filled as they appear).
  for (const t of tables.slice(0, 200)) await columnsOf(t);
  const completer = (line: string) => completions(tables, [...columns.values()].flat(), line);
  const rl = createInterface({
    input: process.stdin,
    output: process.stdout,
    terminal: Boolean(process.stdin.isTTY && process.stdout.isTTY),
    history,
    historySize: 1000,
    completer,
    prompt: 'eddy> ',
  });
  // Take the line iterator before the first await: lines read while nothing iterates are dropped.
  const lines = rl[Symbol.asyncIterator]();
  // Piped input closes the interface while buffered lines are still being run; prompting after
  // that throws on Node 24 (ERR_USE_AFTER_CLOSE), and there is nobody left to prompt.
  let closed = false;
  rl.once('close', () => {
    closed = true;
  });
  const prompt = (text?: string) => {
    if (closed) return;
    if (text !== undefined) rl.setPrompt(text);
    rl.prompt();
  };
  await println(
    `Eddy SQL on ${catalog.warehouse} — ${tables.length} table${tables.length === 1 ? '' : 's'}; .help for help`,
  );
  let buffer = '';
  const remember = (entry: string) => {
    try {
      mkdirSync(path.dirname(historyFile), { recursive: true });
      writeFileSync(historyFile, `${entry.replace(/\n/g, ' ')}\n`, { flag: 'a' });
    } catch {
      // A history that cannot be saved is not worth failing the prompt for.
    }
  };
  prompt();
  for await (const line of lines) {
    const trimmed = line.trim();
    if (buffer === '' && trimmed.startsWith('.')) {
      const [cmd, arg] = trimmed.split(/\s+/, 2);
      try {
        if (cmd === '.quit' || cmd === '.exit') break;
        if (cmd === '.help') await println(HELP);
        else if (cmd === '.tables') {
          tables = await db.tableNames();
          const shown = arg ? tables.filter((t) => t.startsWith(`${arg}.`)) : tables;
          await println(shown.length === 0 ? '(none)' : shown.join('\n'));
        } else if (cmd === '.schema') {
          if (!arg) throw usage('.schema needs a table: .schema db.table');
          await printResult(await db.query(`DESCRIBE ${arg}`), 'human');
        } else if (cmd === '.mode') {
          if (!['table', 'json', 'jsonl', 'csv'].includes(arg ?? '')) throw usage('.mode table|json|jsonl|csv');
          mode = arg === 'table' ? 'human' : (arg as Mode);
        } else throw usage(`unknown command ${cmd} (.help lists them)`);
      } catch (e) {
        await println(errorLine(e));
      }
      prompt();
      continue;
    }
    buffer = buffer === '' ? line : `${buffer}\n${line}`;
    if (buffer.trim() === '') {
      buffer = '';
      prompt();
      continue;
    }
    if (isIncomplete(buffer)) {
      prompt('   -> ');
      continue;
    }
    const text = buffer;
    buffer = '';
    if (!closed) rl.setPrompt('eddy> ');
    remember(text);
    try {
      const head = /^\s*(\w+)/.exec(text)?.[1]?.toUpperCase() ?? '';
      if ((mode === 'jsonl' || mode === 'csv') && !WRITES.has(head)) await streamStatement(db, text, mode);
      else await printResult(await db.query(text), mode);
      if (/^\s*(create|drop)\b/i.test(text)) tables = await db.tableNames();
      for (const t of tables) if (text.includes(t)) await columnsOf(t);
    } catch (e) {
      await println(errorLine(e));
    }
    prompt();
  }
  if (!closed) rl.close();
}

function errorLine(e: unknown): string {
  if (e instanceof EddyError) return `error: ${e.code}: ${e.message}`;
  return `error: ${e instanceof Error ? e.message : String(e)}`;
}
