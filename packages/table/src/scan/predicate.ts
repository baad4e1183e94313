import { type Column, columnValue, compareValues, toInternalValue } from '../data/columns.ts';
import type { ColumnStats } from '../format/stats.ts';
import type { DataType } from '../types/data-types.ts';
import { EddyError } from '../types/errors.ts';
import type { InternalValue } from '../types/internal.ts';

/**
 * Filters as plain data, so they can be built, printed and serialized:
 * `and(eq('dt', '2024-01-01'), gt('amount', 10))`, or parsed from a string (`where: "dt =
 * '2024-01-01' and amount > 10"`). Values are public JS values (as rows use). SQL semantics: a
 * comparison with NULL is never true, and neither is its negation.
 */
export type Predicate =
  | { readonly op: '=' | '!=' | '<' | '<=' | '>' | '>='; readonly column: string; readonly value: unknown }
  | { readonly op: 'in'; readonly column: string; readonly values: readonly unknown[] }
  | { readonly op: 'is-null' | 'is-not-null'; readonly column: string }
  /** String columns: `like` with `%` (any run) and `_` (one character); `starts-with` a prefix. */
  | { readonly op: 'like' | 'starts-with'; readonly column: string; readonly value: string }
  | { readonly op: 'not'; readonly child: Predicate }
  | { readonly op: 'and' | 'or'; readonly children: readonly Predicate[] };

export const eq = (column: string, value: unknown): Predicate => ({ op: '=', column, value });
export const ne = (column: string, value: unknown): Predicate => ({ op: '!=', column, value });
export const lt = (column: string, value: unknown): Predicate => ({ op: '<', column, value });
export const le = (column: string, value: unknown): Predicate => ({ op: '<=', column, value });
export const gt = (column: string, value: unknown): Predicate => ({ op: '>', column, value });
export const ge = (column: string, value: unknown): Predicate => ({ op: '>=', column, value });
export const isIn = (column: string, values: readonly unknown[]): Predicate => ({ op: 'in', column, values });
export const isNull = (column: string): Predicate => ({ op: 'is-null', column });
export const isNotNull = (column: string): Predicate => ({ op: 'is-not-null', column });
export const and = (...children: Predicate[]): Predicate => ({ op: 'and', children });
export const or = (...children: Predicate[]): Predicate => ({ op: 'or', children });
/** Negation (SQL NOT: rows where the column is NULL match neither `p` nor `not(p)`). */
export const not = (child: Predicate): Predicate => ({ op: 'not', child });
/** `lo <= column <= hi`. */
export const between = (column: string, lo: unknown, hi: unknown): Predicate => and(ge(column, lo), le(column, hi));
/** SQL LIKE on a string column: `%` matches any run of characters, `_` one character. */
export const like = (column: string, pattern: string): Predicate => ({ op: 'like', column, value: pattern });
/** A string column starting with `prefix`. */
export const startsWith = (column: string, prefix: string): Predicate => ({ op: 'starts-with', column, value: prefix });

/** Negation pushed down to the leaves (De Morgan), keeping SQL's NULL semantics. */
export function negate(p: Predicate): Predicate {
  switch (p.op) {
    case 'and':
      return or(...p.children.map(negate));
    case 'or':
      return and(...p.children.map(negate));
    case 'not':
      return p.child;
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
    case 'like':
    case 'starts-with':
      return not(p);
  }
}

/** A predicate with its values converted to internal values of the column types. */
export type BoundPredicate =
  | {
      readonly op: '=' | '!=' | '<' | '<=' | '>' | '>=';
      readonly column: string;
      readonly type: DataType;
      readonly value: InternalValue;
    }
  | { readonly op: 'in'; readonly column: string; readonly type: DataType; readonly values: readonly InternalValue[] }
  | { readonly op: 'is-null' | 'is-not-null'; readonly column: string; readonly type: DataType }
  | {
      readonly op: 'like' | 'not-like';
      readonly column: string;
      readonly type: DataType;
      readonly regex: RegExp;
      /** The pattern's literal start (before its first wildcard), for pruning by min/max. */
      readonly prefix: string;
    }
  | { readonly op: 'and' | 'or'; readonly children: readonly BoundPredicate[] };

type Logical<P> = Extract<P, { readonly children: unknown }>;
const isLogical = <P extends Predicate | BoundPredicate>(p: P): p is Logical<P> & P => p.op === 'and' || p.op === 'or';

const FLIP = { '=': '!=', '!=': '=', '<': '>=', '<=': '>', '>': '<=', '>=': '<' } as const;

/** A LIKE pattern as an anchored RegExp, and its literal start. */
function likePattern(pattern: string): { regex: RegExp; prefix: string } {
  let re = '';
  let prefix = '';
  let literal = true;
  for (const ch of pattern) {
    if (ch === '%' || ch === '_') {
      literal = false;
      re += ch === '%' ? '[\\s\\S]*' : '[\\s\\S]';
    } else {
      if (literal) prefix += ch;
      re += ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    }
  }
  return { regex: new RegExp(`^${re}$`, 'u'), prefix };
}

/** `startsWith` as the bound form of a LIKE: the prefix matched literally (no wildcards). */
const likePrefix = (prefix: string) => ({
  regex: new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`, 'u'),
  prefix,
});

/**
 * Converts a filter's values to the internal values of the column types (`typeOf`), pushing `not`
 * down to the leaves (De Morgan; `negated` flips), so the bound form has no negation nodes.
 */
export function bindPredicate(
  p: Predicate,
  typeOf: (column: string) => DataType | undefined,
  negated = false,
): BoundPredicate {
  if (p === null || typeof p !== 'object' || typeof p.op !== 'string')
    throw new EddyError('INVALID_ARGUMENT', `filter: expected a predicate object, got ${String(p)}`);
  if (p.op === 'not') return bindPredicate(p.child, typeOf, !negated);
  if (isLogical(p)) {
    if (!Array.isArray(p.children))
      throw new EddyError('INVALID_ARGUMENT', `filter '${p.op}' needs a list of children`);
    const op = negated ? (p.op === 'and' ? 'or' : 'and') : p.op;
    return { op, children: p.children.map((c) => bindPredicate(c, typeOf, negated)) };
  }
  const type = typeOf(p.column);
  if (!type) throw new EddyError('INVALID_ARGUMENT', `filter: unknown column '${p.column}'`);
  const where = `filter on '${p.column}'`;
  const nullable = { ...type, nullable: true } as DataType;
  switch (p.op) {
    case 'is-null':
    case 'is-not-null':
      return { op: (p.op === 'is-null') !== negated ? 'is-null' : 'is-not-null', column: p.column, type };
    case 'like':
    case 'starts-with': {
      if (type.root !== 'CHAR' && type.root !== 'VARCHAR')
        throw new EddyError('INVALID_ARGUMENT', `${where}: ${p.op} needs a string column, not ${type.root}`);
      if (typeof p.value !== 'string')
        throw new EddyError('INVALID_ARGUMENT', `${where}: ${p.op} needs a string pattern, got ${typeof p.value}`);
      const m = p.op === 'like' ? likePattern(p.value) : likePrefix(p.value);
      return { op: negated ? 'not-like' : 'like', column: p.column, type, ...m };
    }
    case 'in': {
      const values = p.values.map((v) => toInternalValue(nullable, v, where));
      if (!negated) return { op: 'in', column: p.column, type, values };
      return {
        op: 'and',
        children: values.map((value) => {
          if (value === null) throw new EddyError('INVALID_ARGUMENT', `${where}: NOT IN with a null never matches`);
          return { op: '!=' as const, column: p.column, type, value };
        }),
      };
    }
    case '=':
    case '!=':
    case '<':
    case '<=':
    case '>':
    case '>=': {
      const value = toInternalValue(nullable, p.value, where);
      if (value === null) throw new EddyError('INVALID_ARGUMENT', `${where}: compare with null using isNull/isNotNull`);
      return { op: negated ? FLIP[p.op] : p.op, column: p.column, type, value };
    }
    default:
      throw new EddyError('INVALID_ARGUMENT', `filter: unknown operator '${(p as { op: string }).op}'`);
  }
}

export { isLogical };

export function predicateColumns(p: BoundPredicate, out = new Set<string>()): Set<string> {
  if (isLogical(p)) for (const c of p.children) predicateColumns(c, out);
  else out.add(p.column);
  return out;
}

/**
 * Whether a file (or partition) whose column stats are `stats` may hold a matching row. Columns
 * without stats (undefined) may always match. Stats must be exact or absent, never guessed.
 * `absent(column, value)`, when given, is true only when the file holds no row with that value
 * (its file index says so); it is asked about equality and IN leaves.
 */
export function mayMatch(
  p: BoundPredicate,
  stats: (column: string) => (ColumnStats & { rowCount: number }) | undefined,
  absent?: (column: string, value: InternalValue) => boolean,
): boolean {
  if (isLogical(p))
    return p.op === 'and'
      ? p.children.every((c) => mayMatch(c, stats, absent))
      : p.children.some((c) => mayMatch(c, stats, absent));
  // A file index (bloom filter) that proves a value absent rules an equality out, whatever the stats.
  if (absent) {
    if (p.op === '=' && absent(p.column, p.value)) return false;
    if (p.op === 'in' && p.values.every((v) => absent(p.column, v))) return false;
  }
  const s = stats(p.column);
  if (!s) return true;
  const allNull = s.nullCount === s.rowCount;
  if (p.op === 'is-null') return s.nullCount > 0;
  if (p.op === 'is-not-null') return !allNull;
  if (allNull) return false;
  if (s.min === null || s.max === null) return true;
  if (p.op === 'not-like') return true;
  if (p.op === 'like') {
    // Strings starting with the prefix P sort in [P, P⁺): none when max < P, or min > P without P.
    const prefix = p.prefix;
    if (prefix === '') return true;
    if (typeof s.min !== 'string' || typeof s.max !== 'string') return true;
    return (
      compareValues(p.type, s.max, prefix) >= 0 &&
      (compareValues(p.type, s.min, prefix) <= 0 || s.min.startsWith(prefix))
    );
  }
  const cmpMin = (v: InternalValue) => compareValues(p.type, v, s.min);
  const cmpMax = (v: InternalValue) => compareValues(p.type, v, s.max);
  switch (p.op) {
    case '=':
      return cmpMin(p.value) >= 0 && cmpMax(p.value) <= 0;
    case '!=':
      return !(cmpMin(p.value) === 0 && cmpMax(p.value) === 0);
    case '<':
      return cmpMin(p.value) > 0;
    case '<=':
      return cmpMin(p.value) >= 0;
    case '>':
      return cmpMax(p.value) < 0;
    case '>=':
      return cmpMax(p.value) <= 0;
    case 'in':
      return p.values.some((v) => v !== null && cmpMin(v) >= 0 && cmpMax(v) <= 0);
  }
}

const IN_SETS = new WeakMap<BoundPredicate, Set<InternalValue> | null>();

/**
 * An IN list as a hash set, for the types whose equality is JavaScript's (integers, bigints,
 * strings); undefined for the others (floats: -0.0 and NaN; decimals, bytes), which compare.
 */
function inSet(p: Extract<BoundPredicate, { op: 'in' }>): Set<InternalValue> | undefined {
  let s = IN_SETS.get(p);
  if (s === undefined) {
    const byValue = ['TINYINT', 'SMALLINT', 'INT', 'BIGINT', 'DATE', 'CHAR', 'VARCHAR', 'BOOLEAN'].includes(
      p.type.root,
    );
    s = byValue && p.values.length > 4 ? new Set(p.values.filter((x) => x !== null)) : null;
    IN_SETS.set(p, s);
  }
  return s ?? undefined;
}

/** Row-level test over columns (SQL semantics: a comparison with NULL is not true). */
export function testRow(p: BoundPredicate, columnOf: (name: string) => Column, row: number): boolean {
  if (isLogical(p)) {
    if (p.op === 'and') {
      for (const c of p.children) if (!testRow(c, columnOf, row)) return false;
      return true;
    }
    for (const c of p.children) if (testRow(c, columnOf, row)) return true;
    return false;
  }
  const v = columnValue(columnOf(p.column), row);
  switch (p.op) {
    case 'is-null':
      return v === null;
    case 'is-not-null':
      return v !== null;
    case 'in': {
      if (v === null) return false;
      const set = inSet(p);
      return set ? set.has(v) : p.values.some((x) => x !== null && compareValues(p.type, v, x) === 0);
    }
    case 'like':
      return typeof v === 'string' && p.regex.test(v);
    case 'not-like':
      return typeof v === 'string' && !p.regex.test(v);
  }
  if (v === null) return false;
  const c = compareValues(p.type, v, p.value);
  switch (p.op) {
    case '=':
      return c === 0;
    case '!=':
      return c !== 0;
    case '<':
      return c < 0;
    case '<=':
      return c <= 0;
    case '>':
      return c > 0;
    case '>=':
      return c >= 0;
  }
}
