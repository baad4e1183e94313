/**
 * `eddy scan`: merged rows, filtered by a small SQL-like `--where` expression, projected, limited,
 * and optionally read at an older snapshot.
 *
 * Grammar (keywords case-insensitive):
 *   expr     := term ('or' term)*
 *   term     := factor ('and' factor)*
 *   factor   := 'not' factor | '(' expr ')' | test
 *   test     := column op literal | column 'is' ['not'] 'null'
 *             | column ['not'] 'in' '(' literal (',' literal)* ')'
 *             | column ['not'] 'between' literal 'and' literal
 *   op       := '=' | '==' | '!=' | '<>' | '<' | '<=' | '>' | '>='
 *   literal  := number | 'string' ('' escapes a quote) | true | false | x'hex'
 *   column   := identifier | "quoted identifier" | `quoted identifier`
 * Literals are converted to the column's type (a string literal for DATE, TIMESTAMP and DECIMAL; a
 * number for numeric columns), so `amount > 10.5` compares decimals exactly. `not` is pushed down
 * to the comparisons (SQL three-valued logic is preserved: a NULL never matches either way).
 */
import {
  and,
  type DataField,
  type DataType,
  EddyError,
  eq,
  ge,
  gt,
  isIn,
  isNotNull,
  isNull,
  le,
  lt,
  ne,
  or,
  type Predicate,
  type Table,
} from '@eddy/table';
import {
  type GlobalOptions,
  openTable,
  outputMode,
  parseInteger,
  parseList,
  parseTime,
  println,
  usage,
  write,
} from './context.ts';
import { microsToIso, renderTable, toJsonLine } from './format.ts';

// ---------------------------------------------------------------------------------------------
// Tokenizer

type Token =
  | { kind: 'ident'; text: string; quoted: boolean; pos: number }
  | { kind: 'number'; text: string; pos: number }
  | { kind: 'string'; text: string; pos: number }
  | { kind: 'hex'; text: string; pos: number }
  | { kind: 'op'; text: string; pos: number }
  | { kind: 'punct'; text: '(' | ')' | ','; pos: number }
  | { kind: 'end'; text: ''; pos: number };

const whereError = (expr: string, pos: number, message: string) =>
  new EddyError('INVALID_ARGUMENT', `--where: ${message} at position ${pos + 1} of "${expr}"`);

function tokenize(expr: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < expr.length) {
    const c = expr[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    if (c === '(' || c === ')' || c === ',') {
      out.push({ kind: 'punct', text: c, pos: i });
      i++;
    } else if ((c === 'x' || c === 'X') && expr[i + 1] === "'") {
      const end = expr.indexOf("'", i + 2);
      if (end < 0) throw whereError(expr, start, 'unterminated hex literal');
      const hex = expr.slice(i + 2, end);
      if (!/^([0-9a-fA-F]{2})*$/.test(hex)) throw whereError(expr, start, `invalid hex literal x'${hex}'`);
      out.push({ kind: 'hex', text: hex, pos: start });
      i = end + 1;
    } else if (c === "'") {
      let s = '';
      i++;
      for (;;) {
        if (i >= expr.length) throw whereError(expr, start, 'unterminated string');
        if (expr[i] === "'") {
          if (expr[i + 1] === "'") {
            s += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        s += expr[i++];
      }
      out.push({ kind: 'string', text: s, pos: start });
    } else if (c === '"' || c === '`') {
      const end = expr.indexOf(c, i + 1);
      if (end < 0) throw whereError(expr, start, 'unterminated quoted column name');
      out.push({ kind: 'ident', text: expr.slice(i + 1, end), quoted: true, pos: start });
      i = end + 1;
    } else if (/[-+0-9.]/.test(c)) {
      const m = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?/.exec(expr.slice(i));
      if (!m) throw whereError(expr, start, `unexpected '${c}'`);
      out.push({ kind: 'number', text: m[0], pos: start });
      i += m[0].length;
    } else if (/[=<>!]/.test(c)) {
      const m = /^(==|!=|<>|<=|>=|=|<|>)/.exec(expr.slice(i));
      if (!m) throw whereError(expr, start, `unexpected '${c}'`);
      out.push({ kind: 'op', text: m[0], pos: start });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_$]*/.exec(expr.slice(i))!;
      out.push({ kind: 'ident', text: m[0], quoted: false, pos: start });
      i += m[0].length;
    } else throw whereError(expr, start, `unexpected '${c}'`);
  }
  out.push({ kind: 'end', text: '', pos: expr.length });
  return out;
}

// ---------------------------------------------------------------------------------------------
// Literal typing

type Literal = Extract<Token, { kind: 'number' | 'string' | 'hex' | 'ident' }>;

/** A literal as the public JS value the SDK expects for a column of `type`. */
function typedValue(expr: string, column: string, type: DataType, lit: Literal): unknown {
  const bad = (want: string) =>
    whereError(expr, lit.pos, `column '${column}' is ${type.root}: expected ${want}, got ${lit.text || "''"}`);
  const word = lit.kind === 'ident' ? lit.text.toLowerCase() : undefined;
  if (lit.kind === 'ident' && (lit.quoted || (word !== 'true' && word !== 'false'))) {
    if (word === 'null') throw whereError(expr, lit.pos, `compare with NULL using '${column} is null'`);
    throw bad('a literal');
  }
  switch (type.root) {
    case 'BOOLEAN':
      if (word === 'true' || (lit.kind === 'string' && lit.text.toLowerCase() === 'true')) return true;
      if (word === 'false' || (lit.kind === 'string' && lit.text.toLowerCase() === 'false')) return false;
      throw bad('true or false');
    case 'TINYINT':
    case 'SMALLINT':
    case 'INT': {
      if (!/^[-+]?\d+$/.test(lit.text)) throw bad('an integer');
      return Number(lit.text);
    }
    case 'BIGINT':
      if (!/^[-+]?\d+$/.test(lit.text)) throw bad('an integer');
      return BigInt(lit.text);
    case 'FLOAT':
    case 'DOUBLE': {
      const n = Number(lit.text);
      if (lit.kind === 'hex' || word !== undefined || lit.text.trim() === '' || Number.isNaN(n)) throw bad('a number');
      return n;
    }
    case 'DECIMAL':
      if (lit.kind === 'hex' || word !== undefined || !/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(lit.text.trim()))
        throw bad('a decimal number');
      return lit.text.trim();
    case 'CHAR':
    case 'VARCHAR':
      if (lit.kind === 'hex' || word !== undefined) throw bad('a string');
      return lit.text;
    case 'BINARY':
    case 'VARBINARY':
      if (lit.kind === 'hex') return Uint8Array.from(Buffer.from(lit.text, 'hex'));
      if (lit.kind === 'string') return new TextEncoder().encode(lit.text);
      throw bad("x'hex' or a string");
    case 'DATE':
      if (lit.kind !== 'string') throw bad("a date string 'YYYY-MM-DD'");
      return lit.text;
    case 'TIMESTAMP':
    case 'TIMESTAMP_LTZ':
      if (lit.kind === 'string') return lit.text;
      if (lit.kind === 'number' && /^\d+$/.test(lit.text)) return Number(lit.text); // epoch millis
      throw bad("a timestamp string 'YYYY-MM-DD HH:MM:SS[.fff]'");
  }
}

// ---------------------------------------------------------------------------------------------
// Parser

/** Negation pushed down to the leaves (De Morgan), keeping SQL's NULL semantics. */
function negate(p: Predicate): Predicate {
  switch (p.op) {
    case 'and':
      return or(...p.children.map(negate));
    case 'or':
      return and(...p.children.map(negate));
    case '=':
      return ne(p.column, p.value);
    case '!=':
      return eq(p.column, p.value);
    case '<':
      return ge(p.column, p.value);
    case '<=':
      return gt(p.column, p.value);
    case '>':
      return le(p.column, p.value);
    case '>=':
      return lt(p.column, p.value);
    case 'in':
      return and(...p.values.map((v) => ne(p.column, v)));
    case 'is-null':
      return isNotNull(p.column);
    case 'is-not-null':
      return isNull(p.column);
  }
}

/** Parses a `--where` expression against the table's columns into an SDK Predicate. */
export function parseWhere(expr: string, fields: readonly DataField[]): Predicate {
  const tokens = tokenize(expr);
  let i = 0;
  const peek = () => tokens[i];
  const next = () => tokens[i++];
  const isWord = (t: Token, w: string) => t.kind === 'ident' && !t.quoted && t.text.toLowerCase() === w;
  const expectPunct = (p: '(' | ')' | ',') => {
    const t = next();
    if (t.kind !== 'punct' || t.text !== p)
      throw whereError(expr, t.pos, `expected '${p}' but found ${t.kind === 'end' ? 'the end' : `'${t.text}'`}`);
  };
  const literal = (): Literal => {
    const t = next();
    if (t.kind === 'number' || t.kind === 'string' || t.kind === 'hex' || t.kind === 'ident') return t;
    throw whereError(expr, t.pos, `expected a value but found ${t.kind === 'end' ? 'the end' : `'${t.text}'`}`);
  };

  const parseOr = (): Predicate => {
    const parts = [parseAnd()];
    while (isWord(peek(), 'or')) {
      next();
      parts.push(parseAnd());
    }
    return parts.length === 1 ? parts[0] : or(...parts);
  };
  const parseAnd = (): Predicate => {
    const parts = [parseFactor()];
    while (isWord(peek(), 'and')) {
      next();
      parts.push(parseFactor());
    }
    return parts.length === 1 ? parts[0] : and(...parts);
  };
  const parseFactor = (): Predicate => {
    const t = peek();
    if (isWord(t, 'not')) {
      next();
      return negate(parseFactor());
    }
    if (t.kind === 'punct' && t.text === '(') {
      next();
      const p = parseOr();
      expectPunct(')');
      return p;
    }
    return parseTest();
  };
  const parseTest = (): Predicate => {
    const t = next();
    if (t.kind !== 'ident' || (!t.quoted && ['and', 'or', 'not', 'is', 'in', 'null'].includes(t.text.toLowerCase())))
      throw whereError(expr, t.pos, `expected a column name but found ${t.kind === 'end' ? 'the end' : `'${t.text}'`}`);
    const field =
      fields.find((f) => f.name === t.text) ?? fields.find((f) => f.name.toLowerCase() === t.text.toLowerCase());
    if (!field)
      throw whereError(expr, t.pos, `unknown column '${t.text}' (columns: ${fields.map((f) => f.name).join(', ')})`);
    const col = field.name;
    const value = (lit: Literal) => typedValue(expr, col, field.type, lit);
    const op = next();
    if (op.kind === 'op') {
      const v = value(literal());
      switch (op.text) {
        case '=':
        case '==':
          return eq(col, v);
        case '!=':
        case '<>':
          return ne(col, v);
        case '<':
          return lt(col, v);
        case '<=':
          return le(col, v);
        case '>':
          return gt(col, v);
        default:
          return ge(col, v);
      }
    }
    if (isWord(op, 'is')) {
      const not = isWord(peek(), 'not');
      if (not) next();
      const n = next();
      if (!isWord(n, 'null')) throw whereError(expr, n.pos, `expected NULL after IS${not ? ' NOT' : ''}`);
      return not ? isNotNull(col) : isNull(col);
    }
    let negated = false;
    let kw: Token = op;
    if (isWord(op, 'not')) {
      negated = true;
      kw = next();
    }
    if (isWord(kw, 'in')) {
      expectPunct('(');
      const values = [value(literal())];
      while (peek().kind === 'punct' && peek().text === ',') {
        next();
        values.push(value(literal()));
      }
      expectPunct(')');
      const p = isIn(col, values);
      return negated ? negate(p) : p;
    }
    if (isWord(kw, 'between')) {
      const lo = value(literal());
      const a = next();
      if (!isWord(a, 'and')) throw whereError(expr, a.pos, "expected AND in 'BETWEEN x AND y'");
      const hi = value(literal());
      const p = and(ge(col, lo), le(col, hi));
      return negated ? negate(p) : p;
    }
    throw whereError(
      expr,
      kw.pos,
      `expected an operator (=, !=, <, <=, >, >=, IS [NOT] NULL, [NOT] IN, [NOT] BETWEEN) after '${col}'`,
    );
  };

  if (peek().kind === 'end') throw whereError(expr, 0, 'empty expression');
  const p = parseOr();
  const rest = peek();
  if (rest.kind !== 'end') throw whereError(expr, rest.pos, `unexpected '${rest.text}'`);
  return p;
}

// ---------------------------------------------------------------------------------------------
// scan

export interface ScanCliOptions {
  where?: string;
  select?: string;
  limit?: string;
  snapshot?: string;
  asOf?: string;
  tag?: string;
}

/** Values for output: TIMESTAMP(4..6) microseconds become ISO strings (bigint is not readable). */
export function outputRow(fields: readonly DataField[], row: Record<string, unknown>): Record<string, unknown> {
  for (const f of fields) {
    const v = row[f.name];
    if (typeof v === 'bigint' && (f.type.root === 'TIMESTAMP' || f.type.root === 'TIMESTAMP_LTZ'))
      row[f.name] = microsToIso(v);
  }
  return row;
}

export async function runScan(g: GlobalOptions, name: string, o: ScanCliOptions): Promise<void> {
  const mode = outputMode(g);
  const table: Table = await openTable(g, name);
  const select = parseList('--select', o.select);
  if ([o.snapshot, o.asOf, o.tag].filter((x) => x !== undefined).length > 1)
    throw usage('pass one of --snapshot, --as-of and --tag');
  const travel = {
    snapshotId: parseInteger('--snapshot', o.snapshot, 1),
    asOf: parseTime('--as-of', o.asOf),
    tag: o.tag,
  };
  // Time travel reads the snapshot in its own schema: its columns are the ones to select and filter.
  const { schema } = await table.resolveRead(travel);
  for (const c of select ?? []) {
    if (!schema.fields.some((f) => f.name === c))
      throw usage(`--select: unknown column '${c}' (columns: ${schema.fields.map((f) => f.name).join(', ')})`);
  }
  const where = o.where === undefined ? undefined : parseWhere(o.where, schema.fields);
  const options = { select, where, limit: parseInteger('--limit', o.limit, 0), ...travel };
  const fields = select ? select.map((c) => schema.field(c)) : schema.fields;
  if (mode === 'jsonl') {
    for await (const r of table.scan(options)) await println(toJsonLine(outputRow(fields, r)));
    return;
  }
  if (mode === 'json') {
    let first = true;
    await write('[');
    for await (const r of table.scan(options)) {
      await write(`${first ? '\n  ' : ',\n  '}${toJsonLine(outputRow(fields, r))}`);
      first = false;
    }
    await write(first ? ']\n' : '\n]\n');
    return;
  }
  const rows: Record<string, unknown>[] = [];
  for await (const r of table.scan(options)) rows.push(outputRow(fields, r));
  await println(
    renderTable(
      rows,
      fields.map((f) => f.name),
    ),
  );
  await println(`(${rows.length} row${rows.length === 1 ? '' : 's'})`);
}
