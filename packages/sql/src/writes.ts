/**
 * INSERT, UPDATE, DELETE, MERGE INTO and TRUNCATE on Eddy tables, executed by Eddy's writers in
 * one commit per statement: DuckDB computes the rows, Eddy writes them. Nothing is committed
 * until the statement's rows are all computed, so a failing statement leaves the table as it was.
 *
 * INSERT streams the query's rows into a writer. UPDATE, DELETE and MERGE run as DuckDB executes
 * them — on a temporary copy of the rows they can touch (the target's rows matching the WHERE
 * clause, or the ON condition's semi-join, when that can be told from the statement; else all) —
 * and then write the difference: on a primary-key table the deleted keys as -D and the new or
 * changed rows as upserts; on an append table (no keys to address rows by) the table's new
 * content as an OVERWRITE. The target is read at one snapshot throughout.
 */
import { EddyError, type Table, type TableWrite } from '@eddy/table';
import type { StatementContext, StatementReport } from './context.ts';
import { quoteIdent, quoteString, type Token, TokenReader, tokenize } from './sql/lexer.ts';
import { duckSqlType, wireBatchToArrow } from './types.ts';

const SOURCE_HEADS = new Set(['SELECT', 'WITH', 'VALUES', 'FROM', 'TABLE']);

/** Checks the statement has no clause Eddy cannot honour (RETURNING, ON CONFLICT). */
function refuseClauses(tokens: readonly Token[], what: string): void {
  let depth = 0;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.kind === 'op' && t.text === '(') depth++;
    if (t.kind === 'op' && t.text === ')') depth--;
    if (depth !== 0 || t.kind !== 'word') continue;
    if (t.value === 'RETURNING')
      throw new EddyError('UNSUPPORTED', `SQL: ${what} … RETURNING is not supported on Eddy tables`);
    if (t.value === 'ON' && tokens[i + 1]?.value === 'CONFLICT')
      throw new EddyError('UNSUPPORTED', `SQL: ${what} … ON CONFLICT is not supported (primary-key tables upsert)`);
  }
}

/** Writes batches of a query's result into a writer with a row kind; returns the row count. */
async function writeQuery(ctx: StatementContext, w: TableWrite, sql: string, kind: '+I' | '-D'): Promise<number> {
  const r = await ctx.run(sql);
  let n = 0;
  for await (const b of r.batches) {
    n += b.length;
    await w.write(wireBatchToArrow(r.fields, b), kind);
  }
  return n;
}

async function commit(w: TableWrite): Promise<number | undefined> {
  const res = await w.commit();
  return res.published ? res.snapshot?.id : undefined;
}

function columnsSql(table: Table, from: string): string {
  return table.schema.fields.map((f) => `${from}.${quoteIdent(f.name)}`).join(', ');
}

// ---------------------------------------------------------------------------------------------
// INSERT

export async function runInsert(
  ctx: StatementContext,
  text: string,
  tokens: readonly Token[],
): Promise<StatementReport> {
  const r = new TokenReader(tokens, text);
  r.expectWord('INSERT');
  if (r.acceptWord('OR')) {
    if (r.acceptWord('IGNORE'))
      throw new EddyError(
        'UNSUPPORTED',
        'SQL: INSERT OR IGNORE is not supported on Eddy tables (primary-key tables upsert)',
      );
    r.expectWord('REPLACE');
  }
  const overwrite = r.acceptWord('OVERWRITE');
  if (!overwrite) r.expectWord('INTO');
  r.acceptWord('TABLE');
  const name = r.qualifiedName().join('.');
  if (r.acceptWord('AS')) r.ident();
  const table = await ctx.table(name);
  refuseClauses(tokens.slice(r.pos), 'INSERT');

  // PARTITION (k = v, ...): a static partition; the query gives the other columns.
  const partition: Record<string, unknown> = {};
  if (r.acceptWord('PARTITION')) {
    const inner = new TokenReader(tokenize(r.group()), '');
    const t = inner.tokens;
    for (let i = 0; i < t.length; ) {
      const key = t[i].kind === 'ident' ? t[i].value : t[i].text;
      if (t[i + 1]?.text !== '=' || !t[i + 2])
        throw new EddyError('INVALID_ARGUMENT', 'SQL: PARTITION expects (key = value, ...)');
      const v = t[i + 2];
      partition[key] = v.kind === 'string' ? v.value : v.kind === 'number' ? Number(v.text) : v.text;
      if (!table.schema.partitionKeys.includes(key))
        throw new EddyError('INVALID_ARGUMENT', `SQL: '${key}' is not a partition key of ${table.name}`);
      i += 3;
      if (t[i]?.text === ',') i++;
    }
  }
  let byName = false;
  if (r.acceptWord('BY')) {
    if (r.acceptWord('NAME')) byName = true;
    else r.expectWord('POSITION');
  }
  let columns: string[] | undefined;
  const next = r.peek(1);
  if (r.isOp('(') && !(next?.kind === 'word' && SOURCE_HEADS.has(next.value))) {
    const inner = tokenize(r.group());
    columns = inner
      .filter((t) => t.kind === 'word' || t.kind === 'ident')
      .map((t) => (t.kind === 'ident' ? t.value : t.text));
  }
  if (r.isWord('DEFAULT')) throw new EddyError('UNSUPPORTED', 'SQL: INSERT … DEFAULT VALUES is not supported');
  const source = r.rest();
  if (!source) r.fail('expected a query or VALUES');
  const prepared = await ctx.prepareRead(source);

  // Map the query's columns to the table's (by position, by the column list, or by name).
  const described = await ctx.rows(`DESCRIBE ${prepared.sql}`);
  const srcNames = described.map((d) => String(d.column_name));
  const fields = table.schema.fields;
  const free = fields.filter((f) => !(f.name in partition));
  const from = new Map<string, number>();
  if (byName) {
    for (const [i, s] of srcNames.entries()) {
      const f = free.find((x) => x.name === s) ?? free.find((x) => x.name.toLowerCase() === s.toLowerCase());
      if (!f) throw new EddyError('INVALID_ARGUMENT', `SQL: INSERT BY NAME: ${table.name} has no column '${s}'`);
      from.set(f.name, i);
    }
  } else {
    const targets = columns ?? free.map((f) => f.name);
    for (const c of targets)
      if (!free.some((f) => f.name === c))
        throw new EddyError(
          'INVALID_ARGUMENT',
          `SQL: INSERT: ${table.name} has no column '${c}'${c in partition ? ' outside its PARTITION clause' : ''}`,
        );
    if (targets.length !== srcNames.length)
      throw new EddyError(
        'INVALID_ARGUMENT',
        `SQL: INSERT into ${table.name} gives ${srcNames.length} column${srcNames.length === 1 ? '' : 's'} for ${targets.length} (${targets.join(', ')})`,
      );
    for (const [i, c] of targets.entries()) from.set(c, i);
  }
  const exprs = fields.map((f) => {
    const type = duckSqlType(f.type);
    const i = from.get(f.name);
    const value =
      f.name in partition
        ? quoteString(String(partition[f.name]))
        : i === undefined
          ? 'NULL'
          : `__src.${quoteIdent(`c${i}`)}`;
    return `CAST(${value} AS ${type}) AS ${quoteIdent(f.name)}`;
  });
  const aliases = srcNames.map((_, i) => quoteIdent(`c${i}`)).join(', ');
  const sql = `SELECT ${exprs.join(', ')} FROM (${prepared.sql}) AS __src(${aliases})`;

  const hasPartition = Object.keys(partition).length > 0;
  const w = table.newWriter(overwrite ? { overwrite: hasPartition ? { partition } : {} } : {});
  try {
    const rows = await writeQuery(ctx, w, sql, '+I');
    return { kind: overwrite ? 'INSERT OVERWRITE' : 'INSERT', table: table.name, rows, snapshotId: await commit(w) };
  } finally {
    w.close();
  }
}

// ---------------------------------------------------------------------------------------------
// UPDATE, DELETE, MERGE: the target, its alias, and what bounds the rows the statement touches

interface Target {
  readonly table: Table;
  /** Token positions of the target's name (replaced by the working copy). */
  readonly nameStart: number;
  readonly nameEnd: number;
  /** The alias as written, or the table's name (what the statement's column references use). */
  readonly alias: string;
  readonly aliased: boolean;
}

async function target(ctx: StatementContext, r: TokenReader, stops: string[]): Promise<Target> {
  const first = r.peek() as Token;
  const parts = r.qualifiedName();
  const last = r.tokens[r.pos - 1];
  const table = await ctx.table(parts.join('.'));
  let alias = table.identifier.table;
  let aliased = false;
  if (r.acceptWord('AS')) {
    alias = r.ident('an alias');
    aliased = true;
  } else if (
    r.peek() &&
    (r.peek()?.kind === 'ident' || (r.peek()?.kind === 'word' && !stops.includes(r.peek()?.value ?? '')))
  ) {
    alias = r.ident('an alias');
    aliased = true;
  }
  return { table, nameStart: first.start, nameEnd: last.end, alias, aliased };
}

const PK_ONLY_ENGINES = new Set(['first-row', 'aggregation']);

/** Paimon's row-level rules: which merge engines take UPDATE/MERGE, and DELETE. */
function checkEngine(table: Table, op: 'UPDATE' | 'MERGE INTO' | 'DELETE'): void {
  const s = table.schema;
  if (!s.isPrimaryKeyTable) return;
  const engine = s.options.mergeEngine;
  if (op !== 'DELETE' && PK_ONLY_ENGINES.has(engine))
    throw new EddyError(
      'UNSUPPORTED',
      `SQL: ${op} on ${table.name}: merge engine '${engine}' does not support it (deduplicate and partial-update do, as in Paimon)`,
    );
}

function checkDeletes(table: Table, op: string): void {
  const s = table.schema;
  if (!s.isPrimaryKeyTable) return;
  const engine = s.options.mergeEngine;
  if (s.options.ignoreDelete)
    throw new EddyError(
      'UNSUPPORTED',
      `SQL: ${op} on ${table.name} would delete rows, but the table sets 'ignore-delete'`,
    );
  if (engine === 'first-row')
    throw new EddyError(
      'UNSUPPORTED',
      `SQL: ${op} on ${table.name} would delete rows, which merge engine 'first-row' ignores`,
    );
  if (engine === 'aggregation')
    throw new EddyError(
      'UNSUPPORTED',
      `SQL: ${op} on ${table.name} would delete rows; merge engine 'aggregation' retracts values instead of removing rows`,
    );
}

/** Runs a row-level statement on a working copy of the target and writes the difference. */
async function viaCopy(
  ctx: StatementContext,
  op: 'UPDATE' | 'DELETE' | 'MERGE INTO',
  text: string,
  tokens: readonly Token[],
  t: Target,
  bound: string | undefined,
): Promise<StatementReport> {
  const table = t.table;
  const latest = await table.latestSnapshot();
  const pin = new Map(latest ? [[table.name, latest.id]] : []);
  const ref = `${quoteIdent(table.identifier.database)}.${quoteIdent(table.identifier.table)} AS ${quoteIdent(t.alias)}`;
  const select = `SELECT ${columnsSql(table, quoteIdent(t.alias))} FROM ${ref}`;
  const before = ctx.tempName('before');
  const after = ctx.tempName('after');
  try {
    const copy = await ctx.prepareRead(bound ? `${select} WHERE ${bound}` : select, pin);
    await ctx.all(`CREATE TEMP TABLE ${before} AS ${copy.sql}`);
    await ctx.all(`CREATE TEMP TABLE ${after} AS SELECT * FROM ${before}`);
    // The statement itself, as DuckDB executes it, on the copy.
    await ctx.ensureViews(tokens);
    const stmt = `${text.slice(0, t.nameStart)}${after}${t.aliased ? '' : ` AS ${quoteIdent(t.alias)}`}${text.slice(t.nameEnd)}`;
    const counted = await ctx.rows(stmt);
    const affected = Number(Object.values(counted[0] ?? {})[0] ?? 0);
    if (table.schema.isPrimaryKeyTable) return await writeDiff(ctx, op, table, before, after, affected);
    return await overwriteWith(ctx, op, table, t, bound, pin, before, after, affected);
  } finally {
    await ctx.all(`DROP TABLE IF EXISTS ${before}`).catch(() => undefined);
    await ctx.all(`DROP TABLE IF EXISTS ${after}`).catch(() => undefined);
  }
}

/** Primary-key tables: deleted keys as -D, new and changed rows as upserts, in one commit. */
async function writeDiff(
  ctx: StatementContext,
  op: string,
  table: Table,
  before: string,
  after: string,
  affected: number,
): Promise<StatementReport> {
  const s = table.schema;
  const keys = s.primaryKeys.map(quoteIdent);
  const on = keys.map((k) => `a.${k} = b.${k}`).join(' AND ');
  const dup = await ctx.rows(`SELECT ${keys.join(', ')} FROM ${after} GROUP BY ALL HAVING count(*) > 1 LIMIT 1`);
  if (dup.length > 0)
    throw new EddyError(
      'INVALID_ARGUMENT',
      `SQL: ${op} on ${table.name} leaves two rows with the key ${Object.entries(dup[0])
        .map(([k, v]) => `${k} = ${String(v)}`)
        .join(', ')}`,
    );
  const nullKey = await ctx.rows(
    `SELECT 1 FROM ${after} WHERE ${keys.map((k) => `${k} IS NULL`).join(' OR ')} LIMIT 1`,
  );
  if (nullKey.length > 0)
    throw new EddyError('INVALID_ARGUMENT', `SQL: ${op} on ${table.name} leaves a row with a NULL primary key`);
  const deletes = `SELECT b.* FROM ${before} b ANTI JOIN ${after} a ON ${on}`;
  const upserts = `SELECT * FROM ${after} EXCEPT SELECT * FROM ${before}`;
  const [{ n: nDeletes }] = (await ctx.rows(`SELECT count(*)::BIGINT AS n FROM (${deletes})`)) as { n: bigint }[];
  if (nDeletes > 0n) checkDeletes(table, op);
  const values = s.fields.filter((f) => !s.primaryKeys.includes(f.name)).map((f) => quoteIdent(f.name));
  if (s.options.mergeEngine === 'partial-update' && values.length > 0) {
    const nulled = await ctx.rows(
      `SELECT 1 FROM (${upserts}) a JOIN ${before} b ON ${on} WHERE ${values.map((v) => `(a.${v} IS NULL AND b.${v} IS NOT NULL)`).join(' OR ')} LIMIT 1`,
    );
    if (nulled.length > 0)
      throw new EddyError(
        'UNSUPPORTED',
        `SQL: ${op} on ${table.name} sets a column to NULL, which merge engine 'partial-update' ignores`,
      );
  }
  if (s.options.mergeEngine === 'partial-update' && s.options.sequenceGroups.length > 0) {
    // Each group updates only when its own sequence fields are newer: an UPDATE's rows would apply
    // group by group, not as written.
    throw new EddyError(
      'UNSUPPORTED',
      `SQL: ${op} on ${table.name}: tables with partial-update sequence groups ('fields.<f>.sequence-group') are not supported`,
    );
  }
  if (s.options.sequenceFields.length > 0) {
    const seq = s.options.sequenceFields.map(quoteIdent);
    // With sort-order descending the smaller sequence is the newer.
    const older = s.options.sequenceFieldDescending ? '>' : '<';
    const lowered = await ctx.rows(
      `SELECT 1 FROM (${upserts}) a JOIN ${before} b ON ${on} WHERE (${seq.map((q) => `a.${q}`).join(', ')}) ${older} (${seq.map((q) => `b.${q}`).join(', ')}) LIMIT 1`,
    );
    if (lowered.length > 0)
      throw new EddyError(
        'UNSUPPORTED',
        `SQL: ${op} on ${table.name} makes the sequence field (${s.options.sequenceFields.join(', ')}) of a row older; the merge would keep the old row`,
      );
  }
  const w = table.newWriter();
  try {
    let rows = await writeQuery(ctx, w, deletes, '-D');
    rows += await writeQuery(ctx, w, upserts, '+I');
    if (rows === 0) return { kind: op, table: table.name, rows: affected };
    return { kind: op, table: table.name, rows: affected, snapshotId: await commit(w) };
  } finally {
    w.close();
  }
}

/** Append tables: the table's new content (rows the statement could not touch, plus the copy) as an OVERWRITE. */
async function overwriteWith(
  ctx: StatementContext,
  op: string,
  table: Table,
  t: Target,
  bound: string | undefined,
  pin: ReadonlyMap<string, number>,
  before: string,
  after: string,
  affected: number,
): Promise<StatementReport> {
  const [{ n: changed }] = (await ctx.rows(
    `SELECT ((SELECT count(*) FROM (SELECT * FROM ${after} EXCEPT ALL SELECT * FROM ${before})) + (SELECT count(*) FROM (SELECT * FROM ${before} EXCEPT ALL SELECT * FROM ${after})))::BIGINT AS n`,
  )) as { n: bigint }[];
  if (changed === 0n) return { kind: op, table: table.name, rows: affected };
  const partitioned = table.schema.partitionKeys.length > 0;
  const w = table.newWriter({ overwrite: partitioned ? { partition: {} } : {} });
  try {
    if (bound) {
      const ref = `${quoteIdent(table.identifier.database)}.${quoteIdent(table.identifier.table)} AS ${quoteIdent(t.alias)}`;
      const rest = await ctx.prepareRead(
        `SELECT ${columnsSql(table, quoteIdent(t.alias))} FROM ${ref} WHERE (${bound}) IS NOT TRUE`,
        pin,
      );
      await writeQuery(ctx, w, rest.sql, '+I');
    }
    await writeQuery(ctx, w, `SELECT * FROM ${after}`, '+I');
    // The rows were read at the pinned snapshot: anything committed since would be overwritten.
    const latest = await table.latestSnapshot();
    if ((latest?.id ?? 0) !== (pin.get(table.name) ?? 0))
      throw new EddyError(
        'COMMIT_CONFLICT',
        `SQL: ${op} on ${table.name}: the table changed while the statement ran (snapshot ${latest?.id}); run it again`,
      );
    return { kind: op, table: table.name, rows: affected, snapshotId: await commit(w) };
  } finally {
    w.close();
  }
}

// ---------------------------------------------------------------------------------------------

export async function runUpdate(
  ctx: StatementContext,
  text: string,
  tokens: readonly Token[],
): Promise<StatementReport> {
  const r = new TokenReader(tokens, text);
  r.expectWord('UPDATE');
  const t = await target(ctx, r, ['SET']);
  checkEngine(t.table, 'UPDATE');
  refuseClauses(tokens, 'UPDATE');
  r.expectWord('SET');
  r.until('FROM', 'WHERE');
  const hasFrom = r.acceptWord('FROM');
  if (hasFrom) r.until('WHERE');
  const where = r.acceptWord('WHERE') ? r.rest() : undefined;
  return viaCopy(ctx, 'UPDATE', text, tokens, t, hasFrom ? undefined : where);
}

export async function runDelete(
  ctx: StatementContext,
  text: string,
  tokens: readonly Token[],
): Promise<StatementReport> {
  const r = new TokenReader(tokens, text);
  r.expectWord('DELETE');
  r.expectWord('FROM');
  const t = await target(ctx, r, ['USING', 'WHERE']);
  checkEngine(t.table, 'DELETE');
  refuseClauses(tokens, 'DELETE');
  const hasUsing = r.acceptWord('USING');
  if (hasUsing) r.until('WHERE');
  const where = r.acceptWord('WHERE') ? r.rest() : undefined;
  const table = t.table;
  if (!hasUsing && table.schema.isPrimaryKeyTable) {
    // Delete by key: the matching rows as -D, no copy needed.
    checkDeletes(table, 'DELETE');
    const ref = `${quoteIdent(table.identifier.database)}.${quoteIdent(table.identifier.table)} AS ${quoteIdent(t.alias)}`;
    const p = await ctx.prepareRead(
      `SELECT ${columnsSql(table, quoteIdent(t.alias))} FROM ${ref}${where ? ` WHERE ${where}` : ''}`,
    );
    const w = table.newWriter();
    try {
      const rows = await writeQuery(ctx, w, p.sql, '-D');
      return { kind: 'DELETE', table: table.name, rows, snapshotId: rows > 0 ? await commit(w) : undefined };
    } finally {
      w.close();
    }
  }
  if (!hasUsing && !where) return truncate(table, 'DELETE');
  return viaCopy(ctx, 'DELETE', text, tokens, t, hasUsing ? undefined : where);
}

export async function runMerge(
  ctx: StatementContext,
  text: string,
  tokens: readonly Token[],
): Promise<StatementReport> {
  const r = new TokenReader(tokens, text);
  r.expectWord('MERGE');
  r.expectWord('INTO');
  const t = await target(ctx, r, ['USING']);
  checkEngine(t.table, 'MERGE INTO');
  refuseClauses(tokens, 'MERGE INTO');
  r.expectWord('USING');
  // The source: a (query), a table function call or a table name; then its alias.
  const srcStart = r.peek() as Token;
  if (r.isOp('(')) r.group();
  else {
    r.qualifiedName();
    if (r.isOp('(')) r.group();
  }
  let srcEnd = r.tokens[r.pos - 1];
  if (
    r.acceptWord('AS') ||
    (r.peek() && !r.isWord('ON') && (r.peek()?.kind === 'word' || r.peek()?.kind === 'ident'))
  ) {
    r.ident('an alias');
    if (r.isOp('(')) r.group(); // AS s(a, b)
    srcEnd = r.tokens[r.pos - 1];
  }
  r.expectWord('ON');
  const on = r.until('WHEN');
  // Without WHEN NOT MATCHED BY SOURCE, only target rows the ON condition matches can change.
  const rest = tokens.slice(r.pos).map((x) => x.value);
  const bySource = rest.some((v, i) => v === 'BY' && rest[i + 1] === 'SOURCE');
  const source = text.slice(srcStart.start, srcEnd.end);
  const bound = bySource ? undefined : `EXISTS (SELECT 1 FROM ${source} WHERE ${on})`;
  return viaCopy(ctx, 'MERGE INTO', text, tokens, t, bound);
}

export async function runTruncate(
  ctx: StatementContext,
  text: string,
  tokens: readonly Token[],
): Promise<StatementReport> {
  const r = new TokenReader(tokens, text);
  r.expectWord('TRUNCATE');
  r.acceptWord('TABLE');
  const table = await ctx.table(r.qualifiedName().join('.'));
  if (!r.done) r.fail('unexpected text after TRUNCATE TABLE name');
  return truncate(table, 'TRUNCATE');
}

/** Empties a table in one OVERWRITE commit (Paimon's TRUNCATE TABLE). */
async function truncate(table: Table, kind: string): Promise<StatementReport> {
  const partitioned = table.schema.partitionKeys.length > 0;
  const latest = await table.latestSnapshot();
  const rows = latest?.totalRecordCount ?? 0;
  const w = table.newWriter({ overwrite: partitioned ? { partition: {} } : {} });
  try {
    return { kind, table: table.name, rows, snapshotId: await commit(w) };
  } finally {
    w.close();
  }
}
