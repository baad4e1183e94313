import { compareValues } from '../data/columns.ts';
import { aggregateFunctionName, partialUpdateFunctionName } from '../options/merge-options.ts';
import type { AggregateFunctionName } from '../options/registry.ts';
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
 * flush, merge-on-read, compaction and the changelog producers. `keepRetracts` keeps a final
 * retraction (compaction into a level that still has older data below it); otherwise a retracted
 * key yields nothing.
 *
 * Java: DeduplicateMergeFunction, FirstRowMergeFunction, PartialUpdateMergeFunction,
 * AggregateMergeFunction and the FieldAggregator classes (Paimon 1.4.2), mirrored record by record.
 */
export interface MergeFunction {
  merge(group: readonly KeyRecord[], keepRetracts: boolean): MergedRecord | null;
}

type Fn = AggregateFunctionName | 'primary-key';

/** Columns whose sequence fields a merge needs too (partial-update sequence groups). */
export function mergeExtraFields(schema: TableSchema): string[] {
  if (schema.options.mergeEngine !== 'partial-update') return [];
  return schema.options.sequenceGroups.flatMap((g) => g.sequenceFields);
}

/** The merge function for `schema`'s engine over `fields` (a subset of the table's columns). */
export function mergeFunction(schema: TableSchema, fields: readonly DataField[]): MergeFunction {
  const o = schema.options;
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
    case 'partial-update':
      return reducer(partialUpdate(schema, fields), fields.length);
    case 'aggregation':
      return reducer(aggregation(schema, fields), fields.length);
  }
}

/**
 * A key with one record keeps it as it is, kind included (Paimon's ReducerMergeFunctionWrapper,
 * used by write buffers, reads and compaction): a lone -U stays a -U (dropped at the top level)
 * instead of becoming a +I of retracted values.
 */
function reducer(fn: MergeFunction, n: number): MergeFunction {
  return {
    merge(group, keepRetracts) {
      if (group.length !== 1) return fn.merge(group, keepRetracts);
      const r = group[0];
      if (isRetract(r.kind) && !keepRetracts) return null;
      return { kind: r.kind, values: valuesOf(r, n) };
    },
  };
}

const valuesOf = (r: KeyRecord, n: number) => Array.from({ length: n }, (_, i) => r.get(i));

function partialUpdate(schema: TableSchema, fields: readonly DataField[]): MergeFunction {
  const o = schema.options;
  const n = fields.length;
  const pos = (name: string) => {
    const i = fields.findIndex((f) => f.name === name);
    if (i < 0) throw new EddyError('INVALID_ARGUMENT', `merge: sequence group field '${name}' is not read`);
    return i;
  };
  const groups = o.sequenceGroups.map((g) => g.sequenceFields);
  const groupOf = new Int32Array(n).fill(-1);
  const groupSeq: number[][] = [];
  o.sequenceGroups.forEach((g, gi) => {
    const members = [...g.fields, ...g.sequenceFields].map((f) => fields.findIndex((x) => x.name === f));
    if (!members.some((i) => i >= 0)) {
      groupSeq.push([]);
      return;
    }
    groupSeq.push(g.sequenceFields.map(pos));
    for (const i of members) if (i >= 0) groupOf[i] = gi;
  });
  const isSeq = fields.map((_, i) => groupOf[i] >= 0 && groupSeq[groupOf[i]].includes(i));
  const fns: (Fn | undefined)[] = fields.map((f) =>
    groups.length === 0 ? undefined : partialUpdateFunctionName(schema.rawOptions, o, schema.primaryKeys, f.name),
  );
  const aggs = fields.map((f, i) => (fns[i] ? new FieldAgg(fns[i]!, f, schema) : undefined));
  const removeOnSeqGroup = new Set(
    o.partialUpdateRemoveRecordOnSequenceGroup.map((f) => fields.findIndex((x) => x.name === f)),
  );
  const types = fields.map((f) => f.type);
  const nullables = fields.map((f) => f.type.nullable);

  return {
    merge(group, keepRetracts) {
      let row: InternalValue[] = new Array(n).fill(null);
      for (const a of aggs) a?.reset();
      let meetInsert = false;
      let filled = false;
      let deleteRow = false;
      const cmpGroup = (g: number, r: KeyRecord) => {
        for (const s of groupSeq[g]) {
          const c = compareValues(types[s], r.get(s), row[s]);
          if (c !== 0) return c;
        }
        return 0;
      };
      const emptyGroup = (g: number, r: KeyRecord, empty: Uint8Array) => {
        if (empty[g]) return true;
        for (const s of groupSeq[g]) if (r.get(s) !== null) return false;
        empty[g] = 1;
        return true;
      };
      for (const r of group) {
        deleteRow = false;
        if (isRetract(r.kind)) {
          if (!filled) {
            row = valuesOf(r, n);
            filled = true;
          }
          if (o.ignoreDelete) continue;
          if (groups.length > 0) {
            // Retract the groups this record is not older than (PartialUpdateMergeFunction.retractWithSequenceGroup).
            const updated = new Set<number>();
            const empty = new Uint8Array(groups.length);
            for (let i = 0; i < n; i++) {
              const g = groupOf[i];
              if (g < 0 || emptyGroup(g, r, empty)) continue;
              if (cmpGroup(g, r) >= 0) {
                if (isSeq[i]) {
                  for (const s of groupSeq[g]) {
                    if (updated.has(s)) continue;
                    if (r.kind === RowKind.DELETE && removeOnSeqGroup.has(s)) {
                      deleteRow = true;
                      row = valuesOf(r, n);
                      i = n;
                      break;
                    }
                    row[s] = r.get(s);
                    updated.add(s);
                  }
                } else row[i] = aggs[i] ? aggs[i]!.retract(row[i], r.get(i)) : null;
              } else if (aggs[i]) row[i] = aggs[i]!.retract(row[i], r.get(i));
            }
            continue;
          }
          if (o.partialUpdateRemoveRecordOnDelete) {
            if (r.kind === RowKind.DELETE) {
              deleteRow = true;
              row = valuesOf(r, n);
            }
            continue;
          }
          throw new EddyError(
            'UNSUPPORTED',
            `a table with merge-engine 'partial-update' holds a ${r.kind === RowKind.DELETE ? '-D' : '-U'} record it cannot apply (as Paimon, Eddy refuses): set 'ignore-delete', 'partial-update.remove-record-on-delete', or sequence groups ('fields.<seq>.sequence-group')`,
          );
        }
        if (groups.length === 0) {
          for (let i = 0; i < n; i++) {
            const v = r.get(i);
            if (v !== null) row[i] = v;
            else if (!nullables[i])
              throw new EddyError('INVALID_ROW', `column '${fields[i].name}' is NOT NULL but a record holds null`);
          }
        } else {
          // PartialUpdateMergeFunction.updateWithSequenceGroup.
          const empty = new Uint8Array(groups.length);
          for (let i = 0; i < n; i++) {
            const g = groupOf[i];
            const agg = aggs[i];
            const v = r.get(i);
            if (g < 0) {
              if (agg) row[i] = agg.agg(row[i], v);
              else if (v !== null) row[i] = v;
              continue;
            }
            if (emptyGroup(g, r, empty)) continue;
            if (cmpGroup(g, r) >= 0) {
              if (isSeq[i]) {
                for (const s of groupSeq[g]) row[s] = r.get(s);
                continue;
              }
              row[i] = agg ? agg.agg(row[i], v) : v;
            } else if (agg) row[i] = agg.agg(v, row[i]);
          }
        }
        meetInsert = true;
        filled = true;
      }
      if (deleteRow || !meetInsert) return keepRetracts ? { kind: RowKind.DELETE, values: row } : null;
      return { kind: RowKind.INSERT, values: row };
    },
  };
}

function aggregation(schema: TableSchema, fields: readonly DataField[]): MergeFunction {
  const o = schema.options;
  const n = fields.length;
  const aggs = fields.map(
    (f) => new FieldAgg(aggregateFunctionName(schema.rawOptions, o, schema.primaryKeys, f.name), f, schema),
  );
  return {
    merge(group, keepRetracts) {
      let row: InternalValue[] = new Array(n).fill(null);
      for (const a of aggs) a.reset();
      let deleteRow = false;
      for (const r of group) {
        deleteRow = o.aggregationRemoveRecordOnDelete && r.kind === RowKind.DELETE;
        if (deleteRow) {
          row = valuesOf(r, n);
          continue;
        }
        const retract = isRetract(r.kind);
        for (let i = 0; i < n; i++)
          row[i] = retract ? aggs[i].retract(row[i], r.get(i)) : aggs[i].agg(row[i], r.get(i));
      }
      if (group.length === 0) return null;
      if (deleteRow) return keepRetracts ? { kind: RowKind.DELETE, values: row } : null;
      return { kind: RowKind.INSERT, values: row };
    },
  };
}

/** Functions that can apply a retraction (FieldAggregator.retract in Paimon 1.4.2). */
const RETRACTABLE: ReadonlySet<Fn> = new Set<Fn>([
  'sum',
  'product',
  'last_value',
  'last_non_null_value',
  'primary-key',
]);

/** Whether the function of a column can apply -U/-D records (its own retract, or ignore-retract). */
export function canRetract(schema: TableSchema, field: string): boolean {
  if (schema.rawOptions[`fields.${field}.ignore-retract`]?.trim().toLowerCase() === 'true') return true;
  const fn = aggregateFunctionName(schema.rawOptions, schema.options, schema.primaryKeys, field);
  if (fn === 'product' && schema.field(field).type.root === 'DECIMAL') return false;
  return RETRACTABLE.has(fn);
}

export function aggregateFunctionOf(schema: TableSchema, field: string): string {
  return aggregateFunctionName(schema.rawOptions, schema.options, schema.primaryKeys, field);
}

/** One column's aggregator, with the per-key state some functions keep (first_value). */
class FieldAgg {
  private initialized = false;
  private readonly type: DataType;
  private readonly ignoreRetract: boolean;
  private readonly delimiter: string;
  private readonly distinct: boolean;

  constructor(
    readonly fn: Fn,
    private readonly field: DataField,
    schema: TableSchema,
  ) {
    this.type = field.type;
    const raw = schema.rawOptions;
    this.ignoreRetract = raw[`fields.${field.name}.ignore-retract`]?.trim().toLowerCase() === 'true';
    this.delimiter = raw[`fields.${field.name}.list-agg-delimiter`] ?? ',';
    this.distinct = raw[`fields.${field.name}.distinct`]?.trim().toLowerCase() === 'true';
  }

  reset(): void {
    this.initialized = false;
  }

  agg(acc: InternalValue, v: InternalValue): InternalValue {
    const t = this.type;
    switch (this.fn) {
      case 'primary-key':
      case 'last_value':
        return v;
      case 'last_non_null_value':
        return v === null ? acc : v;
      case 'first_value':
        if (this.initialized) return acc;
        this.initialized = true;
        return v;
      case 'first_non_null_value':
      case 'first_not_null_value':
        if (this.initialized || v === null) return acc;
        this.initialized = true;
        return v;
    }
    if (acc === null || v === null) return acc === null ? v : acc;
    switch (this.fn) {
      case 'sum':
        return arith(t, acc, v, '+');
      case 'product':
        return arith(t, acc, v, '*');
      case 'max':
        return compareValues(t, acc, v) < 0 ? v : acc;
      case 'min':
        return compareValues(t, acc, v) > 0 ? v : acc;
      case 'bool_and':
        return (acc as boolean) && (v as boolean);
      case 'bool_or':
        return (acc as boolean) || (v as boolean);
      case 'listagg':
        return listagg(acc as string, v as string, this.delimiter, this.distinct);
    }
  }

  retract(acc: InternalValue, v: InternalValue): InternalValue {
    if (this.ignoreRetract) return acc;
    const t = this.type;
    switch (this.fn) {
      case 'primary-key':
        return v;
      case 'last_value':
        return null;
      case 'last_non_null_value':
        return v !== null ? null : acc;
      case 'sum':
        if (acc === null || v === null) return acc === null ? (v === null ? null : arith(t, zero(t), v, '-')) : acc;
        return arith(t, acc, v, '-');
      case 'product':
        if (acc === null || v === null) return acc;
        if (t.root !== 'DECIMAL') return arith(t, acc, v, '/');
        break;
    }
    throw new EddyError(
      'UNSUPPORTED',
      `column '${this.field.name}': aggregate function '${this.fn}'${this.fn === 'product' ? ' on DECIMAL' : ''} cannot retract a -U/-D record; set 'fields.${this.field.name}.ignore-retract' (or 'ignore-delete', or 'aggregation.remove-record-on-delete' for -D)`,
    );
  }
}

const zero = (t: DataType): InternalValue => (t.root === 'BIGINT' || t.root === 'DECIMAL' ? 0n : 0);

/** Java's arithmetic on the column's type: ints wrap to their width, FLOAT rounds to float. */
function arith(t: DataType, a: InternalValue, b: InternalValue, op: '+' | '-' | '*' | '/'): InternalValue {
  if (typeof a === 'bigint') {
    const x = a;
    const y = b as bigint;
    if (t.root === 'DECIMAL') {
      if (op === '*') {
        // Scale s times scale s is scale 2s; back to s rounding half up (Decimal.fromBigDecimal).
        const p = x * y;
        const d = 10n ** BigInt(t.scale);
        const q = p / d;
        const rem = p % d;
        const up = (rem < 0n ? -rem : rem) * 2n >= d;
        const r = up ? q + (p < 0n ? -1n : 1n) : q;
        return (r < 0n ? -r : r) >= 10n ** BigInt(t.precision) ? null : r;
      }
      return op === '+' ? x + y : x - y;
    }
    if (op === '/' && y === 0n) throw new EddyError('INVALID_ROW', 'product retraction divides by zero');
    const r = op === '+' ? x + y : op === '-' ? x - y : op === '*' ? x * y : x / y;
    return BigInt.asIntN(64, r);
  }
  const x = a as number;
  const y = b as number;
  switch (t.root) {
    case 'FLOAT':
      return Math.fround(op === '+' ? x + y : op === '-' ? x - y : op === '*' ? x * y : x / y);
    case 'DOUBLE':
      return op === '+' ? x + y : op === '-' ? x - y : op === '*' ? x * y : x / y;
  }
  if (op === '/' && y === 0) throw new EddyError('INVALID_ROW', 'product retraction divides by zero');
  const r = op === '+' ? (x + y) | 0 : op === '-' ? (x - y) | 0 : op === '*' ? Math.imul(x, y) : Math.trunc(x / y) | 0;
  return t.root === 'TINYINT' ? (r << 24) >> 24 : t.root === 'SMALLINT' ? (r << 16) >> 16 : r;
}

/** FieldListaggAgg: empty strings add nothing; `distinct` appends only tokens not yet in the list. */
function listagg(acc: string, v: string, delimiter: string, distinct: boolean): string {
  if (v.length === 0) return acc;
  if (acc.length === 0) return v;
  if (!distinct) return `${acc}${delimiter}${v}`;
  const seen = new Set(splitTokens(acc, delimiter));
  let out = acc;
  for (const tok of splitTokens(v, delimiter)) {
    if (tok.length === 0 || seen.has(tok)) continue;
    seen.add(tok);
    out += delimiter + tok;
  }
  return out;
}

/** splitByWholeSeparatorPreserveAllTokens. */
function splitTokens(s: string, sep: string): string[] {
  if (sep.length === 0) return s.split(/\s+/);
  return s.split(sep);
}
