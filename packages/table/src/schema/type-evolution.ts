/**
 * Column type changes across schemas: which ones Paimon allows (DataTypeCasts.supportsCast, with
 * explicit casts unless 'disable-explicit-type-casting'), which of those Eddy implements, and the
 * cast that reads an older file's column in the newer type (Paimon's CastExecutors, for the
 * lossless widenings Eddy implements).
 *
 * Java: org.apache.paimon.types.DataTypeCasts, org.apache.paimon.casting.CastExecutors,
 * org.apache.paimon.schema.SchemaManager#generateTableSchema (UpdateColumnType).
 */
import type { Column } from '../data/columns.ts';
import { type DataType, formatDataType, withNullable } from '../types/data-types.ts';
import { EddyError } from '../types/errors.ts';

const INTEGERS = ['TINYINT', 'SMALLINT', 'INT', 'BIGINT'] as const;
const EXACT = [...INTEGERS, 'DECIMAL'] as const;
const NUMERIC = [...EXACT, 'FLOAT', 'DOUBLE'] as const;
const STRINGS = ['CHAR', 'VARCHAR'] as const;
const BINARIES = ['BINARY', 'VARBINARY'] as const;
const TIMESTAMPS = ['TIMESTAMP', 'TIMESTAMP_LTZ'] as const;
const DATETIME = ['DATE', ...TIMESTAMPS] as const;

type Root = DataType['root'];
const has = (list: readonly string[], r: Root) => list.includes(r);

/** Paimon's implicit casting rules, by target root (DataTypeCasts' static block). */
function implicitFrom(target: Root, source: Root): boolean {
  if (source === target) return true;
  switch (target) {
    case 'VARCHAR':
      return has(STRINGS, source);
    case 'VARBINARY':
      return has(BINARIES, source);
    case 'DECIMAL':
    case 'DOUBLE':
      return has(NUMERIC, source);
    case 'SMALLINT':
      return source === 'TINYINT';
    case 'INT':
      return source === 'TINYINT' || source === 'SMALLINT';
    case 'BIGINT':
      return has(INTEGERS, source);
    case 'FLOAT':
      return has([...INTEGERS, 'DECIMAL'], source);
    case 'DATE':
      return source === 'TIMESTAMP';
    case 'TIMESTAMP':
    case 'TIMESTAMP_LTZ':
      return has(TIMESTAMPS, source);
    default:
      return false;
  }
}

/** Paimon's explicit casting rules (allowed unless 'disable-explicit-type-casting' = true). */
function explicitFrom(target: Root, source: Root): boolean {
  switch (target) {
    case 'CHAR':
    case 'VARCHAR':
      return true; // every predefined type
    case 'BOOLEAN':
      return has([...STRINGS, ...INTEGERS], source);
    case 'BINARY':
      return has(STRINGS, source) || source === 'VARBINARY';
    case 'VARBINARY':
      return has(STRINGS, source) || source === 'BINARY';
    case 'DECIMAL':
      return has([...STRINGS, 'BOOLEAN', ...TIMESTAMPS], source);
    case 'TINYINT':
    case 'SMALLINT':
    case 'INT':
    case 'BIGINT':
    case 'FLOAT':
    case 'DOUBLE':
      return has([...NUMERIC, ...STRINGS, 'BOOLEAN', ...TIMESTAMPS], source);
    case 'DATE':
      return has([...TIMESTAMPS, ...STRINGS], source);
    case 'TIMESTAMP':
    case 'TIMESTAMP_LTZ':
      return has([...DATETIME, ...STRINGS, ...NUMERIC], source);
  }
}

/** Decimal digits an integer type needs (so DECIMAL(p, s) holds it exactly when p - s ≥ this). */
const INTEGER_DIGITS: Partial<Record<Root, number>> = { TINYINT: 3, SMALLINT: 5, INT: 10, BIGINT: 19 };

/**
 * Whether Eddy reads a column written as `from` in type `to` (nullability aside): the type is the
 * same, or a widening that loses nothing and that Eddy converts exactly as Java's CastExecutors do.
 */
export function isImplementedWidening(from: DataType, to: DataType): boolean {
  const f = from;
  const t = to;
  if (sameType(f, t)) return true;
  if (f.root === 'VARCHAR' && t.root === 'VARCHAR') return t.length >= f.length;
  if (f.root === 'VARBINARY' && t.root === 'VARBINARY') return t.length >= f.length;
  if (has(INTEGERS, f.root) && has(INTEGERS, t.root))
    return INTEGERS.indexOf(t.root as never) >= INTEGERS.indexOf(f.root as never);
  // int → float/double rounds to nearest like Java's (float)/(double) conversions; BIGINT → FLOAT
  // would round twice through a double, so it is not offered.
  if (has(INTEGERS, f.root) && t.root === 'DOUBLE') return true;
  if (has(['TINYINT', 'SMALLINT', 'INT'], f.root) && t.root === 'FLOAT') return true;
  if (f.root === 'FLOAT' && t.root === 'DOUBLE') return true;
  if (has(INTEGERS, f.root) && t.root === 'DECIMAL') return t.precision - t.scale >= INTEGER_DIGITS[f.root]!;
  if (f.root === 'DECIMAL' && t.root === 'DECIMAL')
    return t.scale >= f.scale && t.precision - t.scale >= f.precision - f.scale;
  if (
    f.root === t.root &&
    (f.root === 'TIMESTAMP' || f.root === 'TIMESTAMP_LTZ') &&
    'precision' in t &&
    'precision' in f
  )
    return t.precision >= f.precision;
  return false;
}

/** Same type ignoring nullability. */
export function sameType(a: DataType, b: DataType): boolean {
  return formatDataType(withNullable(a, true)) === formatDataType(withNullable(b, true));
}

export type TypeChangeVerdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly code: 'INVALID_ARGUMENT' | 'UNSUPPORTED'; readonly reason: string };

/**
 * Whether ALTER may change a column from `from` to `to` (nullability is checked separately): Paimon
 * must allow it (`allowExplicit` unless 'disable-explicit-type-casting'), and Eddy must read old
 * files through it exactly. What Paimon allows but Eddy cannot convert is UNSUPPORTED, by name.
 */
export function checkTypeChange(from: DataType, to: DataType, allowExplicit: boolean): TypeChangeVerdict {
  if (isImplementedWidening(from, to)) return { ok: true };
  const f = formatDataType(withNullable(from, true));
  const t = formatDataType(withNullable(to, true));
  const paimon = implicitFrom(to.root, from.root) || (allowExplicit && explicitFrom(to.root, from.root));
  if (!paimon) {
    return {
      ok: false,
      code: 'INVALID_ARGUMENT',
      reason: `Paimon cannot convert ${f} to ${t}${allowExplicit ? '' : " ('disable-explicit-type-casting' is true)"}`,
    };
  }
  return {
    ok: false,
    code: 'UNSUPPORTED',
    reason:
      `${f} → ${t} may lose information or needs a conversion Eddy does not implement ` +
      '(Eddy changes a type only by lossless widening: TINYINT→SMALLINT→INT→BIGINT, integers→DOUBLE/DECIMAL wide enough, ' +
      'INT→FLOAT, FLOAT→DOUBLE, DECIMAL to more integer and fraction digits, longer VARCHAR/VARBINARY, more TIMESTAMP precision)',
  };
}

const POW10 = (n: number) => 10n ** BigInt(n);

/**
 * A file's column (read in `from`, the type of its schema) in the read type `to`. Only the
 * widenings of isImplementedWidening; anything else fails UNSUPPORTED naming the column and the
 * types, never a guess.
 */
export function castColumn(col: Column, from: DataType, to: DataType, what: string): Column {
  if (sameType(from, to)) return col.type === to ? col : { ...col, type: to };
  if (!isImplementedWidening(from, to)) {
    throw new EddyError(
      'UNSUPPORTED',
      `${what}: reading a column stored as ${formatDataType(withNullable(from, true))} as ${formatDataType(withNullable(to, true))} is not supported (only lossless widenings are)`,
    );
  }
  const n = col.length;
  const d = col.data;
  const out = (data: Column['data']): Column => ({ type: to, length: n, data, validity: col.validity });
  if (has(STRINGS, to.root) || has(BINARIES, to.root) || has(TIMESTAMPS, to.root)) return out(d);
  const num = (i: number): number => Number((d as ArrayLike<number | bigint>)[i]);
  switch (to.root) {
    case 'SMALLINT':
      return out(Int16Array.from(d as Int8Array));
    case 'INT':
      return out(Int32Array.from(d as Int16Array));
    case 'BIGINT': {
      const r = new BigInt64Array(n);
      for (let i = 0; i < n; i++) r[i] = BigInt(num(i));
      return out(r);
    }
    case 'FLOAT': {
      const r = new Float32Array(n);
      for (let i = 0; i < n; i++) r[i] = num(i);
      return out(r);
    }
    case 'DOUBLE': {
      const r = new Float64Array(n);
      // Number(bigint) rounds to nearest, ties to even: Java's (double) long.
      for (let i = 0; i < n; i++) r[i] = num(i);
      return out(r);
    }
    case 'DECIMAL': {
      const scaleUp = POW10(to.scale - (from.root === 'DECIMAL' ? from.scale : 0));
      const big = to.precision > 18;
      const r: BigInt64Array | bigint[] = big ? new Array<bigint>(n).fill(0n) : new BigInt64Array(n);
      const src = d as ArrayLike<number | bigint>;
      for (let i = 0; i < n; i++) r[i] = BigInt(src[i]) * scaleUp;
      return out(r);
    }
    default:
      throw new EddyError('UNSUPPORTED', `${what}: no conversion to ${formatDataType(to)}`);
  }
}
