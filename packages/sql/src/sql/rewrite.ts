/**
 * Finds the Eddy tables a query reads — `db.table`, `db.table$system`, `db.table AT (VERSION => n)`,
 * `eddy_scan(...)`, `eddy_changes(...)` — in DuckDB's own parse tree (`json_serialize_sql`), and
 * the filters of each that Eddy's planner can use: conjuncts of the WHERE clause over one table's
 * columns and constants, pushed only where that cannot lose rows (not below an outer join's
 * null-supplying side; constants converted to the column type only when DuckDB would compare
 * the same values). DuckDB still applies the whole WHERE clause: a pushed filter only prunes.
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
} from '@eddy/table';
import { duckSqlType } from '../types.ts';
import { quoteString, type Token, tokenize } from './lexer.ts';

type Json = Record<string, unknown>;

/** A table reference found in a query. */
export interface FoundRef {
  readonly kind: 'table' | 'function';
  /** Table references: the name parts as written (`[db, table]`). */
  readonly parts: readonly string[];
  /** Table functions: eddy_scan, eddy_changes or eddy_system. */
  readonly fn?: string;
  /** Constant arguments of a table function (positional), by index into the constants. */
  readonly args: readonly number[];
  readonly named: Readonly<Record<string, number>>;
  /** `AT (VERSION => …)` / `AT (TIMESTAMP => …)`: the unit and its constant. */
  readonly at?: { readonly unit: string; readonly constant: number };
  /** The text to replace (JS string indexes into the statement). */
  readonly start: number;
  readonly end: number;
  readonly hasAlias: boolean;
  /** The alias as written ('' when none). */
  readonly aliasName: string;
  readonly defaultAlias: string;
  /** Candidate filters: conjuncts of the WHERE clause over this reference's columns. */
  readonly conjuncts: Json[];
  /** Resolves a column reference of this query's WHERE clause to this table, given its columns. */
  readonly owns: (ref: readonly string[], columns: ReadonlySet<string>) => string | undefined;
}

export interface Analysis {
  readonly refs: FoundRef[];
  /** Constant expressions to evaluate (AST nodes). */
  readonly constants: Json[];
}

const EDDY_FUNCTIONS = new Set(['eddy_scan', 'eddy_changes', 'eddy_system']);
const DUCK_SCHEMAS = new Set(['main', 'temp', 'pg_catalog', 'information_schema', 'system']);

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Byte offset (DuckDB's query_location) → JS string index. */
function charIndex(text: string, byteOffset: number): number {
  const buf = Buffer.from(text, 'utf8');
  if (byteOffset > buf.length) return -1;
  return buf.subarray(0, byteOffset).toString('utf8').length;
}

/** Whether a node is a constant expression (literal, or casts of one). */
function isConstant(n: unknown): n is Json {
  if (!isObj(n)) return false;
  if (n.class === 'CONSTANT') return !(n.value as Json | undefined)?.is_null;
  if (n.class === 'CAST' && n.try_cast !== true) return isConstant(n.child);
  return false;
}

function columnRef(n: unknown): readonly string[] | undefined {
  return isObj(n) && n.class === 'COLUMN_REF' ? (n.column_names as string[]) : undefined;
}

/**
 * Analyses one statement's parse tree. `text` is the statement; the tree comes from
 * `json_serialize_sql(text)`.
 */
export function analyse(text: string, tree: Json): Analysis {
  const tokens = tokenize(text);
  const byStart = new Map<number, number>();
  for (const [i, t] of tokens.entries()) byStart.set(t.start, i);
  const refs: FoundRef[] = [];
  const constants: Json[] = [];
  const constant = (n: Json) => constants.push(n) - 1;

  /** The end of a dotted name (and an AT clause) or a function call starting at token i. */
  const spanEnd = (i: number, call: boolean): number | undefined => {
    let j = i;
    const name = (t: Token | undefined) => t !== undefined && (t.kind === 'word' || t.kind === 'ident');
    if (!name(tokens[j])) return undefined;
    j++;
    while (tokens[j]?.text === '.' && name(tokens[j + 1])) j += 2;
    const skipGroup = (): boolean => {
      if (tokens[j]?.text !== '(') return false;
      let depth = 0;
      for (; j < tokens.length; j++) {
        if (tokens[j].kind !== 'op') continue;
        if (tokens[j].text === '(') depth++;
        else if (tokens[j].text === ')' && --depth === 0) {
          j++;
          return true;
        }
      }
      return false;
    };
    if (call) {
      if (!skipGroup()) return undefined;
    } else if (tokens[j]?.kind === 'word' && tokens[j].value === 'AT' && tokens[j + 1]?.text === '(') {
      j++;
      if (!skipGroup()) return undefined;
    }
    return tokens[j - 1].end;
  };

  const locate = (node: Json, call: boolean): { start: number; end: number } | undefined => {
    const loc = Number(node.query_location);
    if (!Number.isFinite(loc) || loc < 0 || loc > text.length * 4) return undefined;
    const start = charIndex(text, loc);
    const i = byStart.get(start);
    if (i === undefined) return undefined;
    const end = spanEnd(i, call);
    return end === undefined ? undefined : { start, end };
  };

  /** A FROM item: its Eddy references, and whether rows of each can be filtered before the join. */
  const fromItems = (t: unknown, preserved: boolean, out: { ref: FoundRef; preserved: boolean }[]): void => {
    if (!isObj(t)) return;
    switch (t.type) {
      case 'BASE_TABLE': {
        const schema = String(t.schema_name ?? '');
        const catalog = String(t.catalog_name ?? '');
        if (!schema || DUCK_SCHEMAS.has(schema.toLowerCase()) || (catalog && catalog !== 'memory')) return;
        const span = locate(t, false);
        if (!span) return;
        const at =
          isObj(t.at_clause) && isConstant(t.at_clause.expr)
            ? { unit: String(t.at_clause.unit).toUpperCase(), constant: constant(t.at_clause.expr) }
            : undefined;
        if (isObj(t.at_clause) && !at)
          throw new EddyError('INVALID_ARGUMENT', 'SQL: AT (VERSION => …) / AT (TIMESTAMP => …) takes a constant');
        const alias = String(t.alias ?? '');
        const table = String(t.table_name);
        refs.push(makeRef('table', [schema, table], undefined, [], {}, at, span, alias, table));
        out.push({ ref: refs[refs.length - 1], preserved });
        return;
      }
      case 'TABLE_FUNCTION': {
        const fn = t.function as Json;
        const name = String(fn?.function_name ?? '').toLowerCase();
        if (!EDDY_FUNCTIONS.has(name) || (fn.schema && fn.schema !== '')) {
          visit(t.function);
          return;
        }
        const span = locate(fn, true);
        if (!span) return;
        const args: number[] = [];
        const named: Record<string, number> = {};
        for (const c of (fn.children as Json[]) ?? []) {
          if (!isConstant(c))
            throw new EddyError('INVALID_ARGUMENT', `SQL: the arguments of ${name}(...) must be constants`);
          const alias = String(c.alias ?? '');
          if (alias) named[alias.toLowerCase()] = constant(c);
          else args.push(constant(c));
        }
        const alias = String(t.alias ?? '');
        refs.push(makeRef('function', [], name, args, named, undefined, span, alias, name));
        out.push({ ref: refs[refs.length - 1], preserved });
        return;
      }
      case 'JOIN': {
        const jt = String(t.join_type ?? 'INNER');
        const left = jt === 'INNER' || jt === 'LEFT' || jt === 'SEMI' || jt === 'ANTI';
        const right = jt === 'INNER' || jt === 'RIGHT';
        const plain =
          String(t.ref_type ?? 'REGULAR') === 'REGULAR' || t.ref_type === 'CROSS' || t.ref_type === 'NATURAL';
        fromItems(t.left, preserved && left && plain, out);
        fromItems(t.right, preserved && right && plain, out);
        visit(t.condition);
        return;
      }
      default:
        visit(t);
    }
  };

  const queryNode = (node: Json): void => {
    const items: { ref: FoundRef; preserved: boolean }[] = [];
    fromItems(node.from_table, true, items);
    const single = items.length === 1 && isObj(node.from_table) && node.from_table.type !== 'JOIN';
    for (const { ref, preserved } of items) {
      if (!preserved || !node.where_clause) continue;
      (ref as { owns: FoundRef['owns'] }).owns = (parts, columns) => {
        const col = parts[parts.length - 1];
        if (!columns.has(col)) return undefined;
        if (parts.length === 1) return single ? col : undefined;
        const qual = parts.slice(0, -1);
        const alias = ref.hasAlias ? ref.aliasName : ref.defaultAlias;
        if (qual.length === 1 && qual[0] === alias) return col;
        if (!ref.hasAlias && ref.kind === 'table' && qual.join('.') === ref.parts.join('.')) return col;
        return undefined;
      };
      for (const c of conjuncts(node.where_clause as Json)) ref.conjuncts.push(c);
    }
    for (const [k, v] of Object.entries(node)) if (k !== 'from_table') visit(v);
  };

  const visit = (v: unknown): void => {
    if (Array.isArray(v)) {
      for (const x of v) visit(x);
      return;
    }
    if (!isObj(v)) return;
    if (v.type === 'SELECT_NODE') {
      queryNode(v);
      return;
    }
    if (typeof v.type === 'string' && ['BASE_TABLE', 'TABLE_FUNCTION', 'JOIN'].includes(v.type) && 'alias' in v) {
      fromItems(v, false, []);
      return;
    }
    for (const x of Object.values(v)) visit(x);
  };

  visit(tree);
  return { refs, constants };
}

function makeRef(
  kind: 'table' | 'function',
  parts: string[],
  fn: string | undefined,
  args: number[],
  named: Record<string, number>,
  at: FoundRef['at'],
  span: { start: number; end: number },
  alias: string,
  defaultAlias: string,
): FoundRef {
  return {
    kind,
    parts,
    fn,
    args,
    named,
    at,
    start: span.start,
    end: span.end,
    hasAlias: alias !== '',
    aliasName: alias,
    defaultAlias,
    conjuncts: [],
    owns: () => undefined,
  };
}

function conjuncts(n: Json): Json[] {
  if (n.class === 'CONJUNCTION' && n.type === 'CONJUNCTION_AND') return (n.children as Json[]).flatMap(conjuncts);
  return [n];
}

// ---------------------------------------------------------------------------------------------
// From candidate conjuncts to an Eddy predicate

/** A comparison waiting for its constant's value. */
interface Cmp {
  readonly op: '=' | '!=' | '<' | '<=' | '>' | '>=';
  readonly column: string;
  readonly constant: Json;
}

type Shape =
  | { readonly kind: 'cmp'; readonly cmp: Cmp }
  | { readonly kind: 'in'; readonly column: string; readonly constants: Json[] }
  | { readonly kind: 'null'; readonly column: string; readonly not: boolean }
  | { readonly kind: 'and' | 'or'; readonly children: Shape[] };

const FLIP = { '=': '=', '!=': '!=', '<': '>', '<=': '>=', '>': '<', '>=': '<=' } as const;
const CMP_OPS: Record<string, Cmp['op']> = {
  COMPARE_EQUAL: '=',
  COMPARE_NOTEQUAL: '!=',
  COMPARE_LESSTHAN: '<',
  COMPARE_LESSTHANOREQUALTO: '<=',
  COMPARE_GREATERTHAN: '>',
  COMPARE_GREATERTHANOREQUALTO: '>=',
};

/** The shape of a conjunct Eddy can use for this table, or undefined. */
export function shapeOf(n: Json, col: (ref: readonly string[]) => string | undefined): Shape | undefined {
  const op = CMP_OPS[String(n.type)];
  if (n.class === 'COMPARISON' && op) {
    const l = columnRef(n.left);
    const r = columnRef(n.right);
    if (l && isConstant(n.right)) {
      const c = col(l);
      return c ? { kind: 'cmp', cmp: { op, column: c, constant: n.right as Json } } : undefined;
    }
    if (r && isConstant(n.left)) {
      const c = col(r);
      return c ? { kind: 'cmp', cmp: { op: FLIP[op], column: c, constant: n.left as Json } } : undefined;
    }
    return undefined;
  }
  if (n.class === 'BETWEEN') {
    const c = columnRef(n.input);
    const name = c && col(c);
    if (!name || !isConstant(n.lower) || !isConstant(n.upper)) return undefined;
    return {
      kind: 'and',
      children: [
        { kind: 'cmp', cmp: { op: '>=', column: name, constant: n.lower as Json } },
        { kind: 'cmp', cmp: { op: '<=', column: name, constant: n.upper as Json } },
      ],
    };
  }
  if (n.class === 'OPERATOR' && n.type === 'COMPARE_IN') {
    const [first, ...rest] = n.children as unknown[];
    const c = columnRef(first);
    const name = c && col(c);
    if (!name || rest.length === 0 || !rest.every(isConstant)) return undefined;
    return { kind: 'in', column: name, constants: rest as Json[] };
  }
  if (n.class === 'OPERATOR' && (n.type === 'OPERATOR_IS_NULL' || n.type === 'OPERATOR_IS_NOT_NULL')) {
    const c = columnRef((n.children as unknown[])[0]);
    const name = c && col(c);
    return name ? { kind: 'null', column: name, not: n.type === 'OPERATOR_IS_NOT_NULL' } : undefined;
  }
  if (n.class === 'CONJUNCTION') {
    const kids = (n.children as Json[]).map((c) => shapeOf(c, col));
    if (n.type === 'CONJUNCTION_OR')
      return kids.every((k) => k !== undefined) ? { kind: 'or', children: kids as Shape[] } : undefined;
    const known = kids.filter((k): k is Shape => k !== undefined);
    return known.length > 0 ? { kind: 'and', children: known } : undefined;
  }
  return undefined;
}

export function shapeConstants(s: Shape, out: Json[] = []): Json[] {
  switch (s.kind) {
    case 'cmp':
      out.push(s.cmp.constant);
      break;
    case 'in':
      out.push(...s.constants);
      break;
    case 'and':
    case 'or':
      for (const c of s.children) shapeConstants(c, out);
  }
  return out;
}

/**
 * The SQL that evaluates constants for columns: per constant, its type, whether converting it to
 * the column's type keeps its value, and the converted value as text Eddy parses.
 */
export function constantSql(
  json: string,
  targets: readonly { index: number; type: DataType | 'snapshot' | 'timestamp' | 'text' }[],
): string {
  const cols = targets.map(({ index, type }, i) => {
    const c = `c${index}`;
    if (type === 'snapshot')
      return `CAST(TRY_CAST(${c} AS BIGINT) AS VARCHAR) AS v${i}, typeof(${c}) AS t${i}, true AS x${i}`;
    if (type === 'timestamp')
      return `CAST(epoch_ms(TRY_CAST(${c} AS TIMESTAMPTZ)) AS VARCHAR) AS v${i}, typeof(${c}) AS t${i}, true AS x${i}`;
    if (type === 'text') return `CAST(${c} AS VARCHAR) AS v${i}, typeof(${c}) AS t${i}, true AS x${i}`;
    const t = duckSqlType(type);
    const cast = `TRY_CAST(${c} AS ${t})`;
    const canon =
      type.root === 'TIMESTAMP' || type.root === 'TIMESTAMP_LTZ'
        ? `CAST(epoch_us(${cast}) AS VARCHAR)`
        : `CAST(${cast} AS VARCHAR)`;
    return `${canon} AS v${i}, typeof(${c}) AS t${i}, coalesce(${cast} = ${c}, false) AS x${i}`;
  });
  return `SELECT ${cols.join(', ')} FROM json_execute_serialized_sql(${quoteString(json)})`;
}

/** A SELECT of the constants (`c0`, `c1`, … as aliases) as serialized JSON, from a template tree. */
export function constantsQuery(template: Json, constants: readonly Json[]): string {
  const t = structuredClone(template);
  const stmt = (t.statements as Json[])[0];
  const node = stmt.node as Json;
  node.select_list = constants.map((c, i) => ({ ...structuredClone(c), alias: `c${i}` }));
  // Locations past 2^53 (DuckDB's "none") do not survive JSON.parse; they only point into text.
  return JSON.stringify(t, (k, v) => (k === 'query_location' ? 0 : v));
}

/** A converted constant: its value for Eddy, or undefined when it must not be pushed. */
export interface Evaluated {
  readonly text: string | null;
  readonly type: string;
  readonly exact: boolean;
}

/** Whether a comparison of this column type can be pushed (NaN sorts above all in DuckDB). */
function safeOp(type: DataType, op: string): boolean {
  if (type.root === 'CHAR' || type.root === 'BINARY' || type.root === 'VARBINARY') return false;
  if (type.root === 'FLOAT' || type.root === 'DOUBLE') return op === '<' || op === '<=' || op === '=' || op === 'in';
  return true;
}

function valueFor(type: DataType, e: Evaluated | undefined): unknown {
  if (!e || e.text === null) return undefined;
  const stringLiteral = e.type === 'VARCHAR' || e.type === 'STRING_LITERAL';
  if (type.root === 'VARCHAR') return stringLiteral ? e.text : undefined;
  if (!stringLiteral && !e.exact) return undefined;
  switch (type.root) {
    case 'BOOLEAN':
      return e.text === 'true';
    case 'TINYINT':
    case 'SMALLINT':
    case 'INT':
    case 'FLOAT':
    case 'DOUBLE': {
      const x = Number(e.text);
      return Number.isNaN(x) ? undefined : x;
    }
    case 'BIGINT':
    case 'TIMESTAMP':
    case 'TIMESTAMP_LTZ':
      return /^-?\d+$/.test(e.text) ? BigInt(e.text) : undefined;
    case 'DATE':
      return /^\d{4}-\d{2}-\d{2}$/.test(e.text) ? e.text : undefined;
    case 'DECIMAL':
      return /^-?\d+(\.\d+)?$/.test(e.text) ? e.text : undefined;
    default:
      return undefined;
  }
}

/** The Eddy predicate of a shape, given its constants' values (by node), or undefined. */
export function toPredicate(
  s: Shape,
  columns: readonly DataField[],
  value: (node: Json) => Evaluated | undefined,
): Predicate | undefined {
  const typeOf = (c: string) => columns.find((f) => f.name === c)?.type;
  switch (s.kind) {
    case 'cmp': {
      const type = typeOf(s.cmp.column);
      if (!type || !safeOp(type, s.cmp.op)) return undefined;
      const v = valueFor(type, value(s.cmp.constant));
      if (v === undefined) return undefined;
      const make = { '=': eq, '!=': ne, '<': lt, '<=': le, '>': gt, '>=': ge }[s.cmp.op];
      return make(s.cmp.column, v);
    }
    case 'in': {
      const type = typeOf(s.column);
      if (!type || !safeOp(type, 'in')) return undefined;
      const vs = s.constants.map((c) => valueFor(type, value(c)));
      return vs.every((v) => v !== undefined) ? isIn(s.column, vs) : undefined;
    }
    case 'null':
      return s.not ? isNotNull(s.column) : isNull(s.column);
    case 'and': {
      const kids = s.children.map((c) => toPredicate(c, columns, value)).filter((p): p is Predicate => p !== undefined);
      return kids.length === 0 ? undefined : kids.length === 1 ? kids[0] : and(...kids);
    }
    case 'or': {
      const kids = s.children.map((c) => toPredicate(c, columns, value));
      return kids.every((k) => k !== undefined) ? or(...(kids as Predicate[])) : undefined;
    }
  }
}

/** A predicate as SQL-ish text (EXPLAIN). */
export function predicateText(p: Predicate): string {
  const v = (x: unknown) => (typeof x === 'string' ? quoteString(x) : String(x));
  switch (p.op) {
    case 'and':
    case 'or':
      return p.children
        .map((c) => (c.op === 'and' || c.op === 'or' ? `(${predicateText(c)})` : predicateText(c)))
        .join(` ${p.op.toUpperCase()} `);
    case 'in':
      return `${p.column} IN (${p.values.map(v).join(', ')})`;
    case 'is-null':
      return `${p.column} IS NULL`;
    case 'is-not-null':
      return `${p.column} IS NOT NULL`;
    case 'not':
      return `NOT (${predicateText(p.child)})`;
    case 'like':
      return `${p.column} LIKE ${v(p.value)}`;
    case 'starts-with':
      return `starts_with(${p.column}, ${v(p.value)})`;
    default:
      return `${p.column} ${p.op === '!=' ? '<>' : p.op} ${v(p.value)}`;
  }
}
