import type { SchemaElement } from 'hyparquet';
import type { Column, ColumnData } from '../data/columns.ts';
import type { KeyProbe, KeyRange, ProbedColumn, ProbeKey } from '../format/parquet-probe.ts';
import type { BoundPredicate } from '../scan/predicate.ts';
import { KEY_FIELD_PREFIX, type TableSchema } from '../schema/table-schema.ts';
import type { DataType } from '../types/data-types.ts';
import { EddyError } from '../types/errors.ts';
import type { InternalValue } from '../types/internal.ts';

/**
 * The key values a filter allows, for probing data files by key (parquet-probe.ts): a table with
 * one (trimmed) primary-key column of an integer or string type, and a filter that holds only for
 * rows whose key is one of a few values (`k = x`, `k IN (...)`, a conjunction with one of those,
 * or a disjunction of them — what `Table.get` asks) or, for an integer key, lies in a range
 * (`k >= x AND k < y`, one side or both). Rows with other keys cannot pass the filter, and every
 * version of a key carries the key, so reading only the rows of these keys from every file merges
 * to the same rows for them (merge engines work key by key); the filter still applies to the
 * merged rows.
 */
export interface KeySet {
  /** The key column (the table's current name). */
  readonly column: string;
  readonly type: DataType;
  /** The wanted keys; absent when `range` says which keys are wanted. */
  readonly values?: readonly InternalValue[];
  readonly range?: KeyRange;
}

const PROBE_TYPES = new Set(['TINYINT', 'SMALLINT', 'INT', 'BIGINT', 'CHAR', 'VARCHAR']);
const INTEGER_TYPES = new Set(['TINYINT', 'SMALLINT', 'INT', 'BIGINT']);

export function keySetOf(filter: BoundPredicate | undefined, schema: TableSchema): KeySet | undefined {
  if (!filter || !schema.isPrimaryKeyTable || schema.trimmedPrimaryKeys.length !== 1) return undefined;
  // Once per filter and schema: every split of a read asks (a get's filter lists 1,000 keys).
  let bySchema = keySets.get(filter);
  if (!bySchema) {
    bySchema = new WeakMap();
    keySets.set(filter, bySchema);
  }
  if (bySchema.has(schema)) return bySchema.get(schema);
  const keys = newKeySet(filter, schema);
  bySchema.set(schema, keys);
  return keys;
}

const keySets = new WeakMap<BoundPredicate, WeakMap<TableSchema, KeySet | undefined>>();

function newKeySet(filter: BoundPredicate, schema: TableSchema): KeySet | undefined {
  const column = schema.trimmedPrimaryKeys[0];
  const type = schema.field(column).type;
  if (!PROBE_TYPES.has(type.root)) return undefined;
  const values = allowed(filter, column);
  if (values) return { column, type, values: [...values] };
  if (!INTEGER_TYPES.has(type.root)) return undefined;
  const range = rangeOf(filter, column);
  return range && (range.min !== undefined || range.max !== undefined) ? { column, type, range } : undefined;
}

/** The key values `p` allows, or undefined when it allows keys outside any finite set. */
function allowed(p: BoundPredicate, column: string): Set<InternalValue> | undefined {
  switch (p.op) {
    case '=':
      return p.column === column ? new Set(p.value === null ? [] : [p.value]) : undefined;
    case 'in':
      return p.column === column ? new Set(p.values.filter((v) => v !== null)) : undefined;
    case 'and': {
      for (const c of p.children) {
        const s = allowed(c, column);
        if (s) return s;
      }
      return undefined;
    }
    case 'or': {
      const out = new Set<InternalValue>();
      for (const c of p.children) {
        const s = allowed(c, column);
        if (!s) return undefined;
        for (const v of s) out.add(v);
      }
      return out;
    }
    default:
      return undefined;
  }
}

/**
 * The range of integer keys `p` allows (bounds of a conjunction intersect), or undefined when it
 * bounds the key on neither side. Only comparisons with an integer (number or bigint) bound.
 */
function rangeOf(p: BoundPredicate, column: string): KeyRange | undefined {
  switch (p.op) {
    case '<':
    case '<=':
    case '>':
    case '>=': {
      const v = p.value;
      if (p.column !== column || (typeof v !== 'bigint' && !(typeof v === 'number' && Number.isInteger(v))))
        return undefined;
      return p.op === '<' || p.op === '<='
        ? { max: v, maxInclusive: p.op === '<=', minInclusive: true }
        : { min: v, minInclusive: p.op === '>=', maxInclusive: true };
    }
    case 'and': {
      let out: KeyRange | undefined;
      for (const c of p.children) {
        const r = rangeOf(c, column);
        if (!r) continue;
        if (!out) {
          out = r;
          continue;
        }
        let { min, minInclusive, max, maxInclusive } = out;
        if (r.min !== undefined && (min === undefined || r.min > min || (r.min === min && !r.minInclusive))) {
          min = r.min;
          minInclusive = r.minInclusive;
        }
        if (r.max !== undefined && (max === undefined || r.max < max || (r.max === max && !r.maxInclusive))) {
          max = r.max;
          maxInclusive = r.maxInclusive;
        }
        out = { min, minInclusive, max, maxInclusive };
      }
      return out;
    }
    default:
      return undefined;
  }
}

/**
 * The probe of one file for a key set: its key column by the file schema's name, the values as the
 * decoder returns them for the column's physical type. Undefined when the physical type is not the
 * one Eddy and Paimon write for the key's type (then the file is read by row group).
 */
export function fileKeyProbe(keys: KeySet, fileKeyName: string, el: SchemaElement): KeyProbe | undefined {
  // One probe per key set and file layout: the files of a read share it (and what is derived from it).
  let byFile = probes.get(keys);
  if (!byFile) {
    byFile = new Map();
    probes.set(keys, byFile);
  }
  const id = `${el.type}:${fileKeyName}`;
  if (byFile.has(id)) return byFile.get(id);
  const probe = newFileKeyProbe(keys, fileKeyName, el);
  byFile.set(id, probe);
  return probe;
}

const probes = new WeakMap<KeySet, Map<string, KeyProbe | undefined>>();

function newFileKeyProbe(keys: KeySet, fileKeyName: string, el: SchemaElement): KeyProbe | undefined {
  const column = KEY_FIELD_PREFIX + fileKeyName;
  if (keys.range) {
    const r = keys.range;
    const bigint = keys.type.root === 'BIGINT';
    if (el.type !== (bigint ? 'INT64' : 'INT32')) return undefined;
    // Bounds in the decoder's representation (INT32 → number, INT64 → bigint).
    const conv = (v: number | bigint | undefined) =>
      v === undefined ? undefined : bigint ? BigInt(v) : typeof v === 'bigint' ? Number(v) : v;
    const range: KeyRange = { ...r, min: conv(r.min), max: conv(r.max) };
    return { column, range, min: range.min, max: range.max };
  }
  const values = new Set<ProbeKey>();
  const wanted = keys.values ?? [];
  switch (keys.type.root) {
    case 'TINYINT':
    case 'SMALLINT':
    case 'INT': {
      if (el.type !== 'INT32') return undefined;
      let min = Number.POSITIVE_INFINITY;
      let max = Number.NEGATIVE_INFINITY;
      for (const v of wanted) {
        if (typeof v !== 'number') return undefined;
        values.add(v);
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
      return values.size > 0 ? { column, values, min, max } : { column, values };
    }
    case 'BIGINT': {
      if (el.type !== 'INT64') return undefined;
      let min: bigint | undefined;
      let max: bigint | undefined;
      for (const v of wanted) {
        if (typeof v !== 'bigint') return undefined;
        values.add(v);
        if (min === undefined || v < min) min = v;
        if (max === undefined || v > max) max = v;
      }
      return { column, values, min, max };
    }
    case 'CHAR':
    case 'VARCHAR': {
      if (el.type !== 'BYTE_ARRAY') return undefined;
      for (const v of wanted) {
        if (typeof v !== 'string') return undefined;
        values.add(Buffer.from(v, 'utf8').toString('latin1'));
      }
      return { column, values };
    }
    default:
      return undefined;
  }
}

/** Whether a probed column of Parquet element `el` converts exactly to Eddy's `type`. */
export function probedTypeOk(el: SchemaElement, type: DataType): boolean {
  switch (type.root) {
    case 'BOOLEAN':
      return el.type === 'BOOLEAN';
    case 'TINYINT':
    case 'SMALLINT':
    case 'INT':
    case 'DATE':
      return el.type === 'INT32';
    case 'BIGINT':
      return el.type === 'INT64' && timestampUnit(el) === undefined;
    case 'FLOAT':
      return el.type === 'FLOAT';
    case 'DOUBLE':
      return el.type === 'DOUBLE';
    case 'CHAR':
    case 'VARCHAR':
    case 'BINARY':
    case 'VARBINARY':
      return el.type === 'BYTE_ARRAY';
    case 'TIMESTAMP':
    case 'TIMESTAMP_LTZ':
      return el.type === 'INT64' && timestampUnit(el) !== undefined;
    default:
      return false;
  }
}

/**
 * A decoded typed array (no nulls: the decoder returns one only for a page without any) copied as
 * the column's data when it already holds the column's representation; undefined otherwise.
 */
function typedDirect(values: readonly unknown[], type: DataType, el: SchemaElement): ColumnData | undefined {
  const v: unknown = values;
  switch (type.root) {
    case 'DOUBLE':
      return v instanceof Float64Array ? v.slice() : undefined;
    case 'FLOAT':
      return v instanceof Float32Array ? v.slice() : undefined;
    case 'INT':
    case 'DATE':
      return v instanceof Int32Array ? v.slice() : undefined;
    case 'BIGINT':
      return v instanceof BigInt64Array ? v.slice() : undefined;
    case 'TIMESTAMP':
    case 'TIMESTAMP_LTZ':
      return v instanceof BigInt64Array && timestampUnit(el) === 1n ? v.slice() : undefined;
    default:
      return undefined;
  }
}

function timestampUnit(el: SchemaElement): 1n | 1000n | undefined {
  if (el.logical_type?.type === 'TIMESTAMP')
    return el.logical_type.unit === 'MILLIS' ? 1000n : el.logical_type.unit === 'MICROS' ? 1n : undefined;
  if (el.converted_type === 'TIMESTAMP_MILLIS') return 1000n;
  if (el.converted_type === 'TIMESTAMP_MICROS') return 1n;
  return undefined;
}

/** A probed column as Eddy's column of `type` (probedTypeOk holds). */
export function probedToColumn(p: ProbedColumn, type: DataType, path: string): Column {
  const v = p.values;
  const n = v.length;
  const direct = typedDirect(v, type, p.element);
  if (direct) return { type, length: n, data: direct, validity: null };
  let validity: Uint8Array | null = null;
  for (let i = 0; i < n; i++) {
    if (v[i] === null || v[i] === undefined) {
      validity ??= new Uint8Array(n).fill(1);
      validity[i] = 0;
    }
  }
  const bad = (i: number) =>
    new EddyError('CORRUPT_FILE', `${path}: column ${p.element.name} holds ${String(v[i])}, not a ${type.root}`, {
      path,
    });
  const ints = <A extends Int8Array | Int16Array | Int32Array>(a: A): A => {
    for (let i = 0; i < n; i++) {
      if (validity && validity[i] === 0) continue;
      const x = v[i];
      if (typeof x !== 'number' || !Number.isInteger(x)) throw bad(i);
      a[i] = x;
      if (a[i] !== x) throw bad(i);
    }
    return a;
  };
  let data: ColumnData;
  switch (type.root) {
    case 'BOOLEAN': {
      const a = new Uint8Array(n);
      for (let i = 0; i < n; i++) a[i] = v[i] === true ? 1 : 0;
      data = a;
      break;
    }
    case 'TINYINT':
      data = ints(new Int8Array(n));
      break;
    case 'SMALLINT':
      data = ints(new Int16Array(n));
      break;
    case 'INT':
    case 'DATE':
      data = ints(new Int32Array(n));
      break;
    case 'FLOAT':
    case 'DOUBLE': {
      const a = type.root === 'FLOAT' ? new Float32Array(n) : new Float64Array(n);
      for (let i = 0; i < n; i++) {
        if (validity && validity[i] === 0) continue;
        if (typeof v[i] !== 'number') throw bad(i);
        a[i] = v[i] as number;
      }
      data = a;
      break;
    }
    case 'BIGINT':
    case 'TIMESTAMP':
    case 'TIMESTAMP_LTZ': {
      const mul = type.root === 'BIGINT' ? 1n : (timestampUnit(p.element) ?? 1n);
      const a = new BigInt64Array(n);
      for (let i = 0; i < n; i++) {
        if (validity && validity[i] === 0) continue;
        if (typeof v[i] !== 'bigint') throw bad(i);
        // No multiplication by 1 (a bigint allocated per value).
        a[i] = mul === 1n ? (v[i] as bigint) : (v[i] as bigint) * mul;
      }
      data = a;
      break;
    }
    case 'CHAR':
    case 'VARCHAR':
    case 'BINARY':
    case 'VARBINARY': {
      const offsets = new Int32Array(n + 1);
      let total = 0;
      for (let i = 0; i < n; i++) {
        if (validity && validity[i] === 0) {
          offsets[i + 1] = total;
          continue;
        }
        if (!(v[i] instanceof Uint8Array)) throw bad(i);
        total += (v[i] as Uint8Array).byteLength;
        offsets[i + 1] = total;
      }
      const bytes = Buffer.allocUnsafe(total);
      for (let i = 0; i < n; i++) if (offsets[i + 1] > offsets[i]) bytes.set(v[i] as Uint8Array, offsets[i]);
      data = { offsets, bytes };
      break;
    }
    default:
      throw new EddyError('UNSUPPORTED', `${path}: a ${type.root} column cannot be probed`, { path });
  }
  return { type, length: n, data, validity };
}
