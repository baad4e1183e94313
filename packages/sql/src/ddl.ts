/**
 * CREATE TABLE (with columns, or AS SELECT), DROP TABLE, CREATE/DROP SCHEMA on Eddy's catalog, in
 * Flink/Paimon's SQL: `PRIMARY KEY (...) NOT ENFORCED`, `PARTITIONED BY (...)`,
 * `WITH ('bucket' = '4', ...)` (Paimon's options; `'primary-key'` and `'partition'` too, as
 * Paimon's CREATE TABLE AS takes them).
 */
import { EddyError, parseDataType, type SchemaInput } from '@eddy/table';
import type { StatementContext, StatementReport } from './context.ts';
import { quoteIdent, type TokenReader, tokenize } from './sql/lexer.ts';
import { paimonTypeOf } from './types.ts';
import { runInsert } from './writes.ts';

/** DuckDB/SQL type spellings → Paimon's. */
const TYPE_ALIASES: Record<string, string> = {
  INTEGER: 'INT',
  INT4: 'INT',
  SIGNED: 'INT',
  INT8: 'BIGINT',
  LONG: 'BIGINT',
  INT2: 'SMALLINT',
  SHORT: 'SMALLINT',
  INT1: 'TINYINT',
  REAL: 'FLOAT',
  FLOAT4: 'FLOAT',
  FLOAT8: 'DOUBLE',
  TEXT: 'STRING',
  BLOB: 'BYTES',
  BYTEA: 'BYTES',
  BOOL: 'BOOLEAN',
  LOGICAL: 'BOOLEAN',
  NUMERIC: 'DECIMAL',
  DATETIME: 'TIMESTAMP(6)',
  TIMESTAMPTZ: 'TIMESTAMP_LTZ(6)',
  TIMESTAMP_MS: 'TIMESTAMP(3)',
  TIMESTAMP_S: 'TIMESTAMP(0)',
  TIMESTAMP_US: 'TIMESTAMP(6)',
};

/** A column type as written in CREATE TABLE, in Paimon's spelling, validated by the SDK. */
export function paimonType(column: string, written: string): string {
  let t = written.trim().replace(/\s+/g, ' ').toUpperCase();
  t = t
    .replace(/^DOUBLE PRECISION$/, 'DOUBLE')
    .replace(/^TIMESTAMP(\(\d+\))? WITH TIME ZONE$/, (_m, p) => `TIMESTAMP_LTZ${p ?? '(6)'}`);
  t = t.replace(/^TIMESTAMP(\(\d+\))? WITHOUT TIME ZONE$/, (_m, p) => `TIMESTAMP${p ?? '(6)'}`);
  const m = /^([A-Z_0-9]+)(.*)$/.exec(t);
  if (m && TYPE_ALIASES[m[1]]) t = TYPE_ALIASES[m[1]] + m[2];
  if (t === 'TIMESTAMP') t = 'TIMESTAMP(6)';
  try {
    parseDataType(t);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new EddyError('UNSUPPORTED', `SQL: column '${column}': type ${written.trim()} (${why})`);
  }
  return t;
}

/** `('k' = 'v', ...)` → options. */
function withOptions(r: TokenReader): Record<string, string> {
  const out: Record<string, string> = {};
  const inner = tokenize(r.group());
  for (let i = 0; i < inner.length; ) {
    const k = inner[i];
    const eq = inner[i + 1];
    const v = inner[i + 2];
    if (!k || !v || eq?.text !== '=' || (k.kind !== 'string' && k.kind !== 'ident' && k.kind !== 'word'))
      throw new EddyError('INVALID_ARGUMENT', "SQL: WITH expects ('key' = 'value', ...)");
    out[k.kind === 'word' ? k.text : k.value] = v.kind === 'string' ? v.value : v.text;
    i += 3;
    if (inner[i]?.text === ',') i++;
  }
  return out;
}

function nameList(text: string): string[] {
  return tokenize(text)
    .filter((t) => t.kind === 'word' || t.kind === 'ident')
    .map((t) => (t.kind === 'ident' ? t.value : t.text));
}

/** CREATE TABLE [IF NOT EXISTS] db.t (...) [COMMENT ...] [PARTITIONED BY (...)] [WITH (...)] [AS query]; the reader is after TABLE. */
export async function createTable(ctx: StatementContext, r: TokenReader): Promise<StatementReport> {
  let ifNotExists = false;
  if (r.acceptWord('IF')) {
    r.expectWord('NOT');
    r.expectWord('EXISTS');
    ifNotExists = true;
  }
  const name = r.qualifiedName().join('.');
  const columns: { name: string; type: string; description?: string }[] = [];
  let primaryKey: string[] = [];
  if (r.isOp('(')) {
    const body = r.group();
    for (const def of splitTop(body)) {
      const d = tokenize(def);
      if (d.length === 0) continue;
      const head = d[0].kind === 'word' ? d[0].value : '';
      if (head === 'PRIMARY' || head === 'CONSTRAINT') {
        const open = d.findIndex((t) => t.text === '(');
        const close = d.findIndex((t, i) => i > open && t.text === ')');
        if (open < 0 || close < 0) throw new EddyError('INVALID_ARGUMENT', `SQL: bad constraint '${def.trim()}'`);
        primaryKey = nameList(def.slice(d[open].end, d[close].start));
        continue;
      }
      const col = d[0].kind === 'ident' ? d[0].value : d[0].text;
      let end = d.length;
      let notNull = false;
      let description: string | undefined;
      for (let i = 1; i < d.length; i++) {
        const v = d[i].kind === 'word' ? d[i].value : '';
        if (v === 'NOT' && d[i + 1]?.value === 'NULL') {
          end = Math.min(end, i);
          notNull = true;
        } else if (v === 'NULL' && d[i - 1]?.value !== 'NOT') end = Math.min(end, i);
        else if (v === 'PRIMARY' && d[i + 1]?.value === 'KEY') {
          end = Math.min(end, i);
          primaryKey = [col];
        } else if (v === 'COMMENT' && d[i + 1]?.kind === 'string') {
          end = Math.min(end, i);
          description = d[i + 1].value;
        }
      }
      if (end <= 1) throw new EddyError('INVALID_ARGUMENT', `SQL: column '${col}' needs a type`);
      const type = paimonType(col, def.slice(d[1].start, d[end - 1].end));
      columns.push({ name: col, type: notNull ? `${type} NOT NULL` : type, description });
    }
  }
  let comment: string | undefined;
  let partitionKeys: string[] = [];
  let options: Record<string, string> = {};
  for (;;) {
    if (r.acceptWord('COMMENT')) {
      const t = r.peek();
      if (t?.kind !== 'string') r.fail('expected a comment string');
      comment = t.value;
      r.pos++;
    } else if (r.acceptWord('PARTITIONED')) {
      r.expectWord('BY');
      partitionKeys = nameList(r.group());
    } else if (r.acceptWord('WITH')) options = withOptions(r);
    else break;
  }
  // Paimon's CREATE TABLE AS takes the keys as options.
  if (options['primary-key']) {
    primaryKey = options['primary-key'].split(',').map((s) => s.trim());
    delete options['primary-key'];
  }
  if (options.partition) {
    partitionKeys = options.partition.split(',').map((s) => s.trim());
    delete options.partition;
  }
  const query = r.acceptWord('AS') ? r.rest() : undefined;
  if (!query && !r.done) r.fail('unexpected text in CREATE TABLE');
  if (!query && columns.length === 0)
    throw new EddyError('INVALID_ARGUMENT', 'SQL: CREATE TABLE needs columns or AS query');
  if (query && columns.length > 0)
    throw new EddyError(
      'UNSUPPORTED',
      'SQL: CREATE TABLE … (columns) AS query is not supported: give the columns or the query',
    );

  if (await ctx.catalog.tableExists(name)) {
    if (ifNotExists) return { kind: 'CREATE TABLE', table: name };
    throw new EddyError('ALREADY_EXISTS', `table '${name}' already exists`);
  }
  if (query) {
    const p = await ctx.prepareRead(query);
    const described = await ctx.all(`SELECT * FROM (${p.sql}) LIMIT 0`);
    for (const f of described.fields) {
      const type = paimonTypeOf(f.name, f.type);
      columns.push({ name: f.name, type: primaryKey.includes(f.name) ? `${type} NOT NULL` : type });
    }
  }
  const input: SchemaInput = { columns, primaryKey, partitionKeys, options, comment };
  const table = await ctx.catalog.createTable(name, input);
  if (!query) return { kind: 'CREATE TABLE', table: table.name };
  try {
    const [db, t] = [table.identifier.database, table.identifier.table];
    const sql = `INSERT INTO ${quoteIdent(db)}.${quoteIdent(t)} ${query}`;
    const report = await runInsert(ctx, sql, tokenize(sql));
    return { ...report, kind: 'CREATE TABLE AS' };
  } catch (e) {
    // All or nothing: the table this statement created goes too.
    await ctx.catalog.dropTable(name, { ignoreIfNotExists: true }).catch(() => undefined);
    throw e;
  }
}

/** Top-level comma-separated parts of a parenthesised list's text. */
function splitTop(text: string): string[] {
  const tokens = tokenize(text);
  const parts: string[] = [];
  let depth = 0;
  let from = 0;
  for (const t of tokens) {
    if (t.text === '(') depth++;
    else if (t.text === ')') depth--;
    else if (t.text === ',' && depth === 0) {
      parts.push(text.slice(from, t.start));
      from = t.end;
    }
  }
  parts.push(text.slice(from));
  return parts.filter((p) => p.trim().length > 0);
}

/** DROP TABLE [IF EXISTS] db.t[, ...]; the reader is after TABLE. */
export async function dropTable(ctx: StatementContext, r: TokenReader): Promise<StatementReport> {
  let ifExists = false;
  if (r.acceptWord('IF')) {
    r.expectWord('EXISTS');
    ifExists = true;
  }
  const names: string[][] = [r.qualifiedName()];
  while (r.acceptOp(',')) names.push(r.qualifiedName());
  r.acceptWord('CASCADE', 'RESTRICT');
  if (!r.done) r.fail('unexpected text in DROP TABLE');
  for (const n of names) {
    if (n.length !== 2)
      throw new EddyError('INVALID_ARGUMENT', `SQL: DROP TABLE needs database.table, got ${n.join('.')}`);
    await ctx.catalog.dropTable(n.join('.'), { ignoreIfNotExists: ifExists });
    await ctx.dropViews(n[0], n[1]);
  }
  return { kind: 'DROP TABLE', table: names.map((n) => n.join('.')).join(', ') };
}

/** CREATE SCHEMA|DATABASE [IF NOT EXISTS] name; the reader is after SCHEMA. */
export async function createDatabase(ctx: StatementContext, r: TokenReader): Promise<StatementReport> {
  let ifNotExists = false;
  if (r.acceptWord('IF')) {
    r.expectWord('NOT');
    r.expectWord('EXISTS');
    ifNotExists = true;
  }
  const name = r.ident('a database name');
  if (!r.done) r.fail('unexpected text in CREATE SCHEMA');
  await ctx.catalog.createDatabase(name, { ignoreIfExists: ifNotExists });
  return { kind: 'CREATE SCHEMA', table: name };
}

/** DROP SCHEMA|DATABASE [IF EXISTS] name [CASCADE]; the reader is after SCHEMA. */
export async function dropDatabase(ctx: StatementContext, r: TokenReader): Promise<StatementReport> {
  let ifExists = false;
  if (r.acceptWord('IF')) {
    r.expectWord('EXISTS');
    ifExists = true;
  }
  const name = r.ident('a database name');
  const cascade = r.acceptWord('CASCADE');
  r.acceptWord('RESTRICT');
  if (!r.done) r.fail('unexpected text in DROP SCHEMA');
  await ctx.catalog.dropDatabase(name, { cascade, ignoreIfNotExists: ifExists });
  await ctx.dropViews(name);
  return { kind: 'DROP SCHEMA', table: name };
}
