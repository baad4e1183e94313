import { type Column, columnValue, compareValues, toInternalValue } from '../data/columns.ts';
import type { ColumnStats } from '../format/stats.ts';
import type { DataType } from '../types/data-types.ts';
import { EddyError } from '../types/errors.ts';
import type { InternalValue } from '../types/internal.ts';

/**
 * Filters as plain data, so they can be built, printed and serialized:
 * `and(eq('dt', '2024-01-01'), gt('amount', 10))`. Values are public JS values (as rows use).
 */
export type Predicate =
  | { readonly op: '=' | '!=' | '<' | '<=' | '>' | '>='; readonly column: string; readonly value: unknown }
  | { readonly op: 'in'; readonly column: string; readonly values: readonly unknown[] }
  | { readonly op: 'is-null' | 'is-not-null'; readonly column: string }
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
  | { readonly op: 'and' | 'or'; readonly children: readonly BoundPredicate[] };

type Logical<P> = Extract<P, { readonly children: unknown }>;
const isLogical = <P extends Predicate | BoundPredicate>(p: P): p is Logical<P> & P => p.op === 'and' || p.op === 'or';

export function bindPredicate(p: Predicate, typeOf: (column: string) => DataType | undefined): BoundPredicate {
  if (isLogical(p)) {
    if (!Array.isArray(p.children))
      throw new EddyError('INVALID_ARGUMENT', `filter '${p.op}' needs a list of children`);
    return { op: p.op, children: p.children.map((c) => bindPredicate(c, typeOf)) };
  }
  const type = typeOf(p.column);
  if (!type) throw new EddyError('INVALID_ARGUMENT', `filter: unknown column '${p.column}'`);
  const where = `filter on '${p.column}'`;
  const nullable = { ...type, nullable: true } as DataType;
  switch (p.op) {
    case 'is-null':
    case 'is-not-null':
      return { op: p.op, column: p.column, type };
    case 'in':
      return { op: 'in', column: p.column, type, values: p.values.map((v) => toInternalValue(nullable, v, where)) };
    case '=':
    case '!=':
    case '<':
    case '<=':
    case '>':
    case '>=': {
      const value = toInternalValue(nullable, p.value, where);
      if (value === null) throw new EddyError('INVALID_ARGUMENT', `${where}: compare with null using isNull/isNotNull`);
      return { op: p.op, column: p.column, type, value };
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
 */
export function mayMatch(
  p: BoundPredicate,
  stats: (column: string) => (ColumnStats & { rowCount: number }) | undefined,
): boolean {
  if (isLogical(p))
    return p.op === 'and' ? p.children.every((c) => mayMatch(c, stats)) : p.children.some((c) => mayMatch(c, stats));
  const s = stats(p.column);
  if (!s) return true;
  const allNull = s.nullCount === s.rowCount;
  if (p.op === 'is-null') return s.nullCount > 0;
  if (p.op === 'is-not-null') return !allNull;
  if (allNull) return false;
  if (s.min === null || s.max === null) return true;
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
    case 'in':
      return v !== null && p.values.some((x) => x !== null && compareValues(p.type, v, x) === 0);
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
