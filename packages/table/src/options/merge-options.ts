import { type DataField, formatDataType, MAX_LENGTH } from '../types/data-types.ts';
import { EddyError } from '../types/errors.ts';
import type { CoreOptions } from './core-options.ts';
import type { AggregateFunctionName } from './registry.ts';

/**
 * The aggregate function of a column, as Paimon picks it (AggregateMergeFunction.getAggFuncName):
 * sequence fields keep their last value, key columns are the key, then
 * `fields.<f>.aggregate-function`, `fields.default-aggregate-function`, last_non_null_value.
 */
export function aggregateFunctionName(
  raw: Readonly<Record<string, string>>,
  o: CoreOptions,
  primaryKeys: readonly string[],
  field: string,
): AggregateFunctionName | 'primary-key' {
  if (o.sequenceFields.includes(field)) return 'last_value';
  if (primaryKeys.includes(field)) return 'primary-key';
  const fn = (
    raw[`fields.${field}.aggregate-function`] ??
    raw['fields.default-aggregate-function'] ??
    'last_non_null_value'
  ).trim();
  // The registry refused any other name when the options were parsed.
  return (fn === 'first_not_null_value' ? 'first_non_null_value' : fn) as AggregateFunctionName;
}

/**
 * In a partial-update table, the aggregate function of a column (PartialUpdateMergeFunction
 * .getAggFuncName), or undefined for none: only columns in a sequence group may have one (or
 * last_non_null_value, which is what partial-update does anyway).
 */
export function partialUpdateFunctionName(
  raw: Readonly<Record<string, string>>,
  o: CoreOptions,
  primaryKeys: readonly string[],
  field: string,
): AggregateFunctionName | 'primary-key' | undefined {
  if (o.sequenceGroups.some((g) => g.sequenceFields.includes(field))) return undefined;
  if (primaryKeys.includes(field)) return 'primary-key';
  const fn = raw[`fields.${field}.aggregate-function`] ?? raw['fields.default-aggregate-function'];
  if (fn === undefined) return undefined;
  const name = fn.trim() === 'first_not_null_value' ? 'first_non_null_value' : (fn.trim() as AggregateFunctionName);
  if (name !== 'last_non_null_value' && !o.sequenceGroups.some((g) => g.fields.includes(field))) {
    throw new EddyError(
      'INVALID_OPTION',
      `column '${field}': aggregate function '${name}' in a partial-update table needs the column in a sequence group ('fields.<seq>.sequence-group')`,
    );
  }
  return name;
}

const NUMERIC = ['TINYINT', 'SMALLINT', 'INT', 'BIGINT', 'FLOAT', 'DOUBLE', 'DECIMAL'];

/** Paimon's type checks of each aggregate function (its FieldAggregatorFactory). */
function checkFunctionType(fn: string, f: DataField): void {
  const t = f.type;
  const bad =
    ((fn === 'sum' || fn === 'product') && !NUMERIC.includes(t.root)) ||
    (fn === 'listagg' && !(t.root === 'VARCHAR' && t.length === MAX_LENGTH)) ||
    ((fn === 'bool_and' || fn === 'bool_or') && t.root !== 'BOOLEAN');
  if (bad) {
    const need = fn === 'listagg' ? 'STRING' : fn.startsWith('bool') ? 'BOOLEAN' : 'a numeric type';
    throw new EddyError(
      'INVALID_OPTION',
      `option 'fields.${f.name}.aggregate-function': '${fn}' needs ${need}, but column '${f.name}' is ${formatDataType(t)}`,
    );
  }
}

/**
 * The checks Paimon makes when it builds a table's merge function (SchemaValidation,
 * PartialUpdateMergeFunction.Factory, FieldAggregatorFactory): conflicting options, sequence
 * groups over existing columns, functions that fit their columns. INVALID_OPTION naming the option.
 */
export function validateMergeOptions(
  o: CoreOptions,
  raw: Readonly<Record<string, string>>,
  fields: readonly DataField[],
  primaryKeys: readonly string[],
): void {
  const names = new Set(fields.map((f) => f.name));
  const seen = new Set<string>();
  for (const k of o.sequenceFields) {
    if (seen.has(k)) throw new EddyError('INVALID_OPTION', `option 'sequence.field': '${k}' is listed twice`);
    seen.add(k);
    if (raw[`fields.${k}.aggregate-function`] !== undefined)
      throw new EddyError('INVALID_OPTION', `option 'fields.${k}.aggregate-function': '${k}' is a sequence field`);
  }
  if (o.sequenceFields.length > 0 && o.mergeEngine === 'first-row')
    throw new EddyError('INVALID_OPTION', "option 'sequence.field' cannot be used with merge-engine 'first-row'");
  const conflict = (a: string, b: string) =>
    new EddyError('INVALID_OPTION', `options '${a}' and '${b}' conflict and cannot both be set`);
  if (o.mergeEngine === 'partial-update') {
    const grouped = new Set<string>();
    for (const g of o.sequenceGroups) {
      const key = `fields.${g.sequenceFields.join(',')}.sequence-group`;
      for (const c of [...g.sequenceFields, ...g.fields]) {
        if (!names.has(c)) throw new EddyError('INVALID_OPTION', `option '${key}': '${c}' is not a column`);
      }
      for (const c of g.fields) {
        if (grouped.has(c))
          throw new EddyError('INVALID_OPTION', `option '${key}': column '${c}' is in more than one sequence group`);
        grouped.add(c);
      }
    }
    if (o.partialUpdateRemoveRecordOnDelete && o.ignoreDelete)
      throw conflict('partial-update.remove-record-on-delete', 'ignore-delete');
    if (o.partialUpdateRemoveRecordOnSequenceGroup.length > 0 && o.ignoreDelete)
      throw conflict('partial-update.remove-record-on-sequence-group', 'ignore-delete');
    if (o.partialUpdateRemoveRecordOnDelete && o.sequenceGroups.length > 0)
      throw conflict('partial-update.remove-record-on-delete', 'fields.<f>.sequence-group');
    const groupSeq = new Set(o.sequenceGroups.flatMap((g) => g.sequenceFields));
    for (const k of o.partialUpdateRemoveRecordOnSequenceGroup) {
      if (!groupSeq.has(k))
        throw new EddyError(
          'INVALID_OPTION',
          `option 'partial-update.remove-record-on-sequence-group': '${k}' is not the sequence field of a sequence group`,
        );
    }
    for (const f of fields) {
      const fn = partialUpdateFunctionName(raw, o, primaryKeys, f.name);
      if (fn && fn !== 'primary-key') checkFunctionType(fn, f);
    }
  }
  if (o.mergeEngine === 'aggregation') {
    for (const f of fields) {
      const fn = aggregateFunctionName(raw, o, primaryKeys, f.name);
      if (fn === 'primary-key') continue;
      if (o.aggregationRemoveRecordOnDelete && raw[`fields.${f.name}.ignore-retract`]?.trim().toLowerCase() === 'true')
        throw conflict('aggregation.remove-record-on-delete', `fields.${f.name}.ignore-retract`);
      checkFunctionType(fn, f);
    }
  }
}
