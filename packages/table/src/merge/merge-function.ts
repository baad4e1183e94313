import { compareValues } from '../data/columns.ts';
import type { TableSchema } from '../schema/table-schema.ts';
import type { DataField, DataType } from '../types/data-types.ts';
import { EddyError } from '../types/errors.ts';
import { type InternalValue, isRetract, RowKind } from '../types/internal.ts';

/** One record of a key group, oldest first (merge order: sequence.field, then sequence number). */
export interface KeyRecord {
  readonly kind: number;
  /** Value of the merged field at position `i` (in `fields` order). */
  get(i: number): InternalValue;
}

export interface MergedRecord {
  readonly kind: number;
  readonly values: InternalValue[];
}

/**
 * The merge engine applied to all records of one key (`merge-engine`): the same function serves
 * merge-on-read and compaction. `keepRetracts` keeps a final retraction (compaction into a level
 * that still has older data below it); otherwise a retracted key yields nothing.
 */
export interface MergeFunction {
  merge(group: readonly KeyRecord[], keepRetracts: boolean): MergedRecord | null;
}

export const AGGREGATE_FUNCTIONS = [
  'sum',
  'product',
  'count',
  'max',
  'min',
  'last_value',
  'last_non_null_value',
  'first_value',
  'first_non_null_value',
  'listagg',
  'bool_and',
  'bool_or',
] as const;
export type AggregateFunction = (typeof AGGREGATE_FUNCTIONS)[number];

const RETRACTABLE: ReadonlySet<AggregateFunction> = new Set(['sum', 'count']);

/** The merge function for `schema`'s engine over `fields` (a subset of the table's columns). */
export function mergeFunction(schema: TableSchema, fields: readonly DataField[]): MergeFunction {
  const o = schema.options;
  const keys = new Set(schema.primaryKeys);
  const isKey = fields.map((f) => keys.has(f.name));
  switch (o.mergeEngine) {
    case 'deduplicate':
      return {
        merge(group, keepRetracts) {
          const last = group[group.length - 1];
          if (isRetract(last.kind) && !keepRetracts) return null;
          return { kind: last.kind, values: fields.map((_, i) => last.get(i)) };
        },
      };
    case 'first-row':
      return {
        merge(group) {
          for (const r of group)
            if (!isRetract(r.kind)) return { kind: RowKind.INSERT, values: fields.map((_, i) => r.get(i)) };
          return null;
        },
      };
    case 'partial-update': {
      const removeOnDelete = flag(schema, 'partial-update.remove-record-on-delete');
      return {
        merge(group, keepRetracts) {
          let acc: InternalValue[] | null = null;
          let deleted: KeyRecord | null = null;
          for (const r of group) {
            if (isRetract(r.kind)) {
              if (removeOnDelete) {
                acc = null;
                deleted = r;
              }
              continue; // otherwise deletes don't apply to partial updates (rejected at write)
            }
            deleted = null;
            if (acc === null) acc = fields.map((_, i) => r.get(i));
            else {
              for (let i = 0; i < fields.length; i++) {
                const v = r.get(i);
                // Nulls don't overwrite; keys are always the record's own.
                if (v !== null || isKey[i]) acc[i] = v;
              }
            }
          }
          if (acc !== null) return { kind: RowKind.INSERT, values: acc };
          if (deleted && keepRetracts) return { kind: RowKind.DELETE, values: fields.map((_, i) => deleted!.get(i)) };
          return null;
        },
      };
    }
    case 'aggregation': {
      const fns = fields.map((f, i) => (isKey[i] ? 'last_value' : aggregateFunctionOf(schema, f.name)));
      const ignoreRetract = fields.map((f) => flag(schema, `fields.${f.name}.ignore-retract`));
      const delimiter = fields.map((f) => schema.rawOptions[`fields.${f.name}.list-agg-delimiter`] ?? ',');
      return {
        merge(group) {
          let acc: InternalValue[] | null = null;
          const seen = new Uint8Array(fields.length);
          for (const r of group) {
            const retract = isRetract(r.kind);
            if (acc === null) acc = fields.map(() => null);
            for (let i = 0; i < fields.length; i++) {
              const v = r.get(i);
              if (retract) {
                if (isKey[i]) acc[i] = v;
                if (isKey[i] || ignoreRetract[i]) continue;
                acc[i] = retractValue(fns[i], fields[i], acc[i], v);
              } else {
                acc[i] = aggregate(fns[i], fields[i].type, acc[i], v, seen[i] === 1, delimiter[i]);
                seen[i] = 1;
              }
            }
          }
          return acc === null ? null : { kind: RowKind.INSERT, values: acc };
        },
      };
    }
  }
}

function flag(schema: TableSchema, key: string): boolean {
  return schema.rawOptions[key]?.toLowerCase() === 'true';
}

export function aggregateFunctionOf(schema: TableSchema, field: string): AggregateFunction {
  const fn =
    schema.rawOptions[`fields.${field}.aggregate-function`] ??
    schema.rawOptions['fields.default-aggregate-function'] ??
    'last_non_null_value';
  if (!(AGGREGATE_FUNCTIONS as readonly string[]).includes(fn)) {
    throw new EddyError(
      'UNSUPPORTED',
      `option 'fields.${field}.aggregate-function': '${fn}' is not supported (supported: ${AGGREGATE_FUNCTIONS.join(', ')})`,
    );
  }
  return fn as AggregateFunction;
}

/** Checks at table creation that every aggregate function fits its column's type. */
export function validateAggregation(schema: TableSchema): void {
  const keys = new Set(schema.primaryKeys);
  for (const f of schema.fields) {
    if (keys.has(f.name)) continue;
    const fn = aggregateFunctionOf(schema, f.name);
    const t = f.type.root;
    const numeric = ['TINYINT', 'SMALLINT', 'INT', 'BIGINT', 'FLOAT', 'DOUBLE', 'DECIMAL'].includes(t);
    const bad =
      ((fn === 'sum' || fn === 'product') && !numeric) ||
      (fn === 'listagg' && t !== 'VARCHAR' && t !== 'CHAR') ||
      ((fn === 'bool_and' || fn === 'bool_or') && t !== 'BOOLEAN') ||
      (fn === 'count' && !['INT', 'BIGINT'].includes(t));
    if (bad)
      throw new EddyError(
        'INVALID_OPTION',
        `option 'fields.${f.name}.aggregate-function': '${fn}' does not apply to ${t} column '${f.name}'`,
      );
  }
}

/** Whether a retraction (-U/-D) can be applied to `field` of an aggregation table. */
export function canRetract(schema: TableSchema, field: string): boolean {
  return RETRACTABLE.has(aggregateFunctionOf(schema, field)) || flag(schema, `fields.${field}.ignore-retract`);
}

function add(t: DataType, a: InternalValue, b: InternalValue, sign: 1 | -1): InternalValue {
  if (typeof a === 'bigint') return a + (sign === 1 ? (b as bigint) : -(b as bigint));
  const r = (a as number) + sign * (b as number);
  return t.root === 'FLOAT' ? Math.fround(r) : t.root === 'DOUBLE' ? r : Math.trunc(r) | 0;
}

function aggregate(
  fn: AggregateFunction,
  t: DataType,
  acc: InternalValue,
  v: InternalValue,
  seen: boolean,
  delimiter: string,
): InternalValue {
  switch (fn) {
    case 'last_value':
      return v;
    case 'last_non_null_value':
      return v === null ? acc : v;
    case 'first_value':
      return seen ? acc : v;
    case 'first_non_null_value':
      return acc === null ? v : acc;
    case 'count':
      if (v === null) return acc;
      return t.root === 'BIGINT' ? ((acc as bigint | null) ?? 0n) + 1n : ((acc as number | null) ?? 0) + 1;
  }
  if (v === null) return acc;
  if (acc === null) return v;
  switch (fn) {
    case 'sum':
      return add(t, acc, v, 1);
    case 'product':
      if (typeof acc === 'bigint') {
        // DECIMAL products keep the scale: (a·10^s)(b·10^s)/10^s.
        return t.root === 'DECIMAL' ? (acc * (v as bigint)) / 10n ** BigInt(t.scale) : acc * (v as bigint);
      }
      return t.root === 'FLOAT' ? Math.fround((acc as number) * (v as number)) : (acc as number) * (v as number);
    case 'max':
      return compareValues(t, v, acc) > 0 ? v : acc;
    case 'min':
      return compareValues(t, v, acc) < 0 ? v : acc;
    case 'listagg':
      return `${acc}${delimiter}${v}`;
    case 'bool_and':
      return (acc as boolean) && (v as boolean);
    case 'bool_or':
      return (acc as boolean) || (v as boolean);
  }
}

function retractValue(fn: AggregateFunction, field: DataField, acc: InternalValue, v: InternalValue): InternalValue {
  switch (fn) {
    case 'sum':
      if (v === null) return acc;
      return add(field.type, acc ?? (field.type.root === 'BIGINT' || field.type.root === 'DECIMAL' ? 0n : 0), v, -1);
    case 'count':
      if (v === null) return acc;
      return field.type.root === 'BIGINT' ? ((acc as bigint | null) ?? 0n) - 1n : ((acc as number | null) ?? 0) - 1;
    default:
      throw new EddyError(
        'UNSUPPORTED',
        `column '${field.name}': aggregate function '${fn}' cannot retract a -U/-D record (set 'fields.${field.name}.ignore-retract')`,
      );
  }
}
