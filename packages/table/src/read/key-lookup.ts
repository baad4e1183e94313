import { toInternalValue } from '../data/columns.ts';
import { serializeBinaryRow } from '../format/binary-row.ts';
import type { BoundPredicate } from '../scan/predicate.ts';
import type { TableSchema } from '../schema/table-schema.ts';
import { EddyError } from '../types/errors.ts';
import type { InternalValue } from '../types/internal.ts';

/**
 * A batched lookup by primary key as a scan filter: `k IN (...)` for a one-column key, an OR of
 * equalities otherwise. As a filter it prunes partitions, buckets (by the key's hash), files (by
 * key range) and row groups (by `_KEY_*` statistics); the merge and deletion vectors then apply as
 * for any read. `identity` names a key by its values, to match rows back to the keys asked for.
 */
export interface KeyLookup {
  readonly filter: BoundPredicate;
  /** Each key asked for (in order): its identity. */
  readonly wanted: readonly string[];
  /** The identity of the key a row holds, given its key values in `schema.primaryKeys` order. */
  identity(values: readonly InternalValue[]): string;
}

const INTEGER_KEYS = new Set(['TINYINT', 'SMALLINT', 'INT', 'BIGINT']);

export function keyLookup(schema: TableSchema, keys: readonly object[], table: string): KeyLookup {
  const pk = schema.primaryKeys;
  if (pk.length === 0) throw new EddyError('UNSUPPORTED', `table ${table} has no primary key: get by key needs one`);
  const types = pk.map((k) => schema.field(k).type);
  // One integer key: its decimal string names it (both sides hold the column's internal value);
  // otherwise the key's BinaryRow bytes.
  const identity =
    pk.length === 1 && INTEGER_KEYS.has(types[0].root)
      ? (values: readonly InternalValue[]) => String(values[0])
      : (values: readonly InternalValue[]) => Buffer.from(serializeBinaryRow(types, values)).toString('latin1');
  const wanted: string[] = [];
  const distinct = new Map<string, InternalValue[]>();
  keys.forEach((key, i) => {
    if (key === null || typeof key !== 'object')
      throw new EddyError('INVALID_ARGUMENT', `get: key ${i} is not an object of primary-key columns`);
    const values = pk.map((k, j) => {
      const v = (key as Record<string, unknown>)[k];
      if (v === null || v === undefined)
        throw new EddyError('INVALID_ARGUMENT', `get: key ${i} has no value for primary-key column '${k}'`);
      return toInternalValue(types[j], v, `get: key ${i}, column '${k}'`);
    });
    const id = identity(values);
    wanted.push(id);
    distinct.set(id, values);
  });
  const all = [...distinct.values()];
  const filter: BoundPredicate =
    pk.length === 1
      ? { op: 'in', column: pk[0], type: types[0], values: all.map((v) => v[0]) }
      : {
          op: 'or',
          children: all.map((v) => ({
            op: 'and' as const,
            children: pk.map((column, j) => ({ op: '=' as const, column, type: types[j], value: v[j] })),
          })),
        };
  return { filter, wanted, identity };
}
