/**
 * ALTER TABLE: the changes a schema can go through, and the next schema they make. Paimon's rules
 * (SchemaManager.generateTableSchema): column ids never change or get reused, renames keep the id,
 * keys cannot be dropped, renamed or retyped, types change only where Paimon can cast, NOT NULL
 * can be dropped but not added (unless 'alter-column-null-to-not-null.disabled' is false), and some
 * options cannot change once the table has snapshots.
 *
 * Java: org.apache.paimon.schema.SchemaChange, SchemaManager#generateTableSchema,
 * SchemaManager#checkAlterTableOption / #checkResetTableOption, CoreOptions.IMMUTABLE_OPTIONS.
 */
import { toInternalValue } from '../data/columns.ts';
import { validateOptionKeys } from '../options/registry.ts';
import { type DataField, type DataType, formatDataType, parseDataType, withNullable } from '../types/data-types.ts';
import { EddyError } from '../types/errors.ts';
import type { InternalValue } from '../types/internal.ts';
import { TableSchema, validateColumnName, validateFirstRow } from './table-schema.ts';
import { checkTypeChange, isImplementedWidening } from './type-evolution.ts';

/** Where a column goes: first, last, or next to another column. */
export type ColumnPosition = 'first' | 'last' | { readonly after: string } | { readonly before: string };

/** One change of an ALTER TABLE (Paimon's SchemaChange kinds). Types are Paimon SQL strings. */
export type SchemaChange =
  | {
      readonly kind: 'addColumn';
      readonly name: string;
      /** Must be nullable: Paimon cannot add a NOT NULL column to a table that has rows. */
      readonly type: string;
      readonly comment?: string;
      /** Default: last (or, with 'add-column-before-partition', before the first partition column). */
      readonly position?: ColumnPosition;
      /** Written instead of null by writers from now on (Paimon's DataField default value). */
      readonly defaultValue?: string;
    }
  | { readonly kind: 'dropColumn'; readonly name: string }
  | { readonly kind: 'renameColumn'; readonly name: string; readonly newName: string }
  | {
      readonly kind: 'updateColumnType';
      readonly name: string;
      readonly type: string;
      /** Keep the column's nullability whatever `type` says (Paimon's keepNullability). */
      readonly keepNullability?: boolean;
    }
  | { readonly kind: 'updateColumnNullability'; readonly name: string; readonly nullable: boolean }
  | { readonly kind: 'updateColumnComment'; readonly name: string; readonly comment: string | null }
  | { readonly kind: 'updateColumnPosition'; readonly name: string; readonly position: ColumnPosition }
  | { readonly kind: 'updateColumnDefaultValue'; readonly name: string; readonly defaultValue: string | null }
  | { readonly kind: 'setOption'; readonly key: string; readonly value: string | number | boolean }
  | { readonly kind: 'removeOption'; readonly key: string }
  | { readonly kind: 'updateComment'; readonly comment: string | null };

export const SCHEMA_CHANGE_KINDS = [
  'addColumn',
  'dropColumn',
  'renameColumn',
  'updateColumnType',
  'updateColumnNullability',
  'updateColumnComment',
  'updateColumnPosition',
  'updateColumnDefaultValue',
  'setOption',
  'removeOption',
  'updateComment',
] as const;

/**
 * Options Paimon refuses to change once set (CoreOptions.IMMUTABLE_OPTIONS, Paimon 1.4/2.0), plus
 * the keys that the schema holds itself.
 */
export const IMMUTABLE_OPTIONS: readonly string[] = [
  'type',
  'bucket-key',
  'bucket-function.type',
  'data-file.path-directory',
  'merge-engine',
  'sequence.snapshot-ordering',
  'aggregation.remove-record-on-delete',
  'partial-update.remove-record-on-delete',
  'partial-update.remove-record-on-sequence-group',
  'rowkind.field',
  'primary-key',
  'primary-key.nullable',
  'partition',
  'dynamic-bucket.initial-buckets',
  'force-lookup',
  'row-tracking.enabled',
  'data-evolution.enabled',
  'index-file-in-data-file-dir',
  'blob-field',
  'blob-descriptor-field',
  'blob-view-field',
  'pk-clustering-override',
];

/** Whether the table has any snapshot: some option changes are refused only then (Paimon's rule). */
export interface AlterContext {
  readonly hasSnapshots: boolean;
  /** `database.table`, for messages. */
  readonly table: string;
  readonly nowMillis?: number;
}

const bad = (table: string, message: string) => new EddyError('INVALID_ARGUMENT', `ALTER TABLE ${table}: ${message}`);
const refused = (table: string, message: string) => new EddyError('UNSUPPORTED', `ALTER TABLE ${table}: ${message}`);

/**
 * The schema after `changes` (applied in order, as one ALTER), with id `old.id + 1`. Throws
 * INVALID_ARGUMENT for what Paimon refuses, UNSUPPORTED for what Paimon allows but Eddy does not
 * implement, INVALID_OPTION for bad option values — always naming the column or option.
 */
export function applySchemaChanges(old: TableSchema, changes: readonly SchemaChange[], ctx: AlterContext): TableSchema {
  const t = ctx.table;
  if (!Array.isArray(changes) || changes.length === 0) throw bad(t, 'no changes given');
  const oldOptions = old.rawOptions;
  const options: Record<string, string> = { ...oldOptions };
  const bool = (k: string, def: boolean) =>
    oldOptions[k] === undefined ? def : oldOptions[k].toLowerCase() === 'true';
  const disableNullToNotNull = bool('alter-column-null-to-not-null.disabled', true);
  const allowExplicit = !bool('disable-explicit-type-casting', false);
  const addBeforePartition = bool('add-column-before-partition', false);
  let fields: DataField[] = [...old.fields];
  let highest = old.highestFieldId;
  let comment = old.comment;
  const renames = new Map<string, string>(); // old name → new name, for keys and options

  const find = (name: unknown, what: string): number => {
    if (typeof name !== 'string') throw bad(t, `${what}: a column name must be a string`);
    const i = fields.findIndex((f) => f.name === name);
    if (i < 0) throw bad(t, `${what}: column '${name}' does not exist`);
    return i;
  };
  const isPartition = (f: DataField) => old.partitionKeys.includes(originalName(f));
  const isPrimary = (f: DataField) => old.primaryKeys.includes(originalName(f));
  // Keys are checked against the schema's key lists by the column's name before this ALTER.
  const originalName = (f: DataField) => old.fieldById(f.id)?.name ?? f.name;

  for (const [n, c] of changes.entries()) {
    if (typeof c !== 'object' || c === null || !SCHEMA_CHANGE_KINDS.includes((c as SchemaChange).kind)) {
      throw bad(
        t,
        `change ${n}: unknown kind ${JSON.stringify((c as { kind?: unknown })?.kind)} (expected one of ${SCHEMA_CHANGE_KINDS.join(', ')})`,
      );
    }
    switch (c.kind) {
      case 'setOption': {
        const key = String(c.key);
        const value = String(c.value);
        const before = oldOptions[key];
        if (before === value) break;
        if (key === 'type') throw refused(t, "option 'type' cannot be changed");
        if (key === 'path') throw refused(t, "option 'path' cannot be changed");
        try {
          validateOptionKeys(
            { [key]: value },
            fields.map((f) => f.name),
          );
        } catch (e) {
          if (!(e instanceof EddyError)) throw e;
          throw new EddyError(e.code, `ALTER TABLE ${t}: ${e.message}`, { cause: e });
        }
        if (ctx.hasSnapshots) checkAlterOption(t, oldOptions, key, before, value);
        options[key] = value;
        break;
      }
      case 'removeOption': {
        const key = String(c.key);
        if (key === 'type') throw refused(t, "option 'type' cannot be changed");
        if (ctx.hasSnapshots) checkResetOption(t, oldOptions, key);
        delete options[key];
        break;
      }
      case 'updateComment':
        comment = c.comment ?? undefined;
        break;
      case 'addColumn': {
        validateColumnName(c.name);
        if (fields.some((f) => f.name === c.name)) throw bad(t, `add column: column '${c.name}' already exists`);
        const type = parseDataType(c.type, `add column '${c.name}'`);
        if (!type.nullable) {
          throw bad(t, `add column: column '${c.name}' cannot be NOT NULL (Paimon adds only nullable columns)`);
        }
        let f: DataField = { id: ++highest, name: c.name, type };
        if (c.comment !== undefined) f = { ...f, description: c.comment };
        if (c.defaultValue !== undefined && c.defaultValue !== null) {
          defaultValueOf({ ...f, defaultValue: String(c.defaultValue) }, t);
          f = { ...f, defaultValue: String(c.defaultValue) };
        }
        if (c.position !== undefined) fields = place(fields, f, c.position, t, 'add column');
        else if (addBeforePartition && old.partitionKeys.length > 0) {
          const at = fields.findIndex((x) => isPartition(x));
          fields.splice(at < 0 ? fields.length : at, 0, f);
        } else fields.push(f);
        break;
      }
      case 'dropColumn': {
        const i = find(c.name, 'drop column');
        const f = fields[i];
        if (isPartition(f) || isPrimary(f)) {
          throw bad(t, `drop column: cannot drop partition key or primary key '${c.name}'`);
        }
        fields.splice(i, 1);
        if (fields.length === 0) throw bad(t, 'drop column: cannot drop every column of the table');
        // Options about the dropped column go with it.
        for (const k of Object.keys(options)) if (k.startsWith(`fields.${c.name}.`)) delete options[k];
        break;
      }
      case 'renameColumn': {
        const i = find(c.name, 'rename column');
        const f = fields[i];
        if (isPartition(f)) throw bad(t, `rename column: cannot rename partition column '${c.name}'`);
        validateColumnName(c.newName);
        if (fields.some((x) => x.name === c.newName))
          throw bad(t, `rename column: column '${c.newName}' already exists`);
        fields[i] = { ...f, name: c.newName };
        for (const [k, v] of renames) if (v === c.name) renames.set(k, c.newName);
        if (![...renames.values()].includes(c.newName)) renames.set(c.name, c.newName);
        break;
      }
      case 'updateColumnType': {
        const i = find(c.name, 'update column type');
        const f = fields[i];
        if (isPartition(f)) throw bad(t, `update column type: cannot update partition column '${c.name}'`);
        if (isPrimary(f)) throw bad(t, `update column type: cannot update primary key '${c.name}'`);
        let to = parseDataType(c.type, `update column type of '${c.name}'`);
        if (c.keepNullability) to = withNullable(to, f.type.nullable);
        else checkNullability(t, f, to.nullable, disableNullToNotNull);
        const verdict = checkTypeChange(f.type, to, allowExplicit);
        if (!verdict.ok) {
          const msg = `update column type: column '${c.name}': ${verdict.reason}`;
          throw verdict.code === 'UNSUPPORTED' ? refused(t, msg) : bad(t, msg);
        }
        const next: DataField = { ...f, type: to };
        if (next.defaultValue !== undefined) defaultValueOf(next, t);
        fields[i] = next;
        break;
      }
      case 'updateColumnNullability': {
        const i = find(c.name, 'update column nullability');
        const f = fields[i];
        if (c.nullable && isPrimary(f))
          throw bad(t, `update column nullability: cannot change nullability of primary key '${c.name}'`);
        checkNullability(t, f, c.nullable, disableNullToNotNull);
        fields[i] = { ...f, type: withNullable(f.type, c.nullable) };
        break;
      }
      case 'updateColumnComment': {
        const i = find(c.name, 'update column comment');
        const { description: _, ...rest } = fields[i];
        fields[i] = c.comment === null || c.comment === undefined ? rest : { ...rest, description: c.comment };
        break;
      }
      case 'updateColumnPosition': {
        const i = find(c.name, 'update column position');
        const f = fields[i];
        const pos = c.position;
        const ref = typeof pos === 'object' && pos !== null ? ('after' in pos ? pos.after : pos.before) : undefined;
        if (ref === c.name) throw bad(t, `update column position: cannot move column '${c.name}' relative to itself`);
        if ((pos === 'first' && i === 0) || (pos === 'last' && i === fields.length - 1))
          throw bad(t, `update column position: cannot move column '${c.name}' to where it is`);
        fields = place(
          fields.filter((x) => x !== f),
          f,
          pos,
          t,
          'update column position',
        );
        break;
      }
      case 'updateColumnDefaultValue': {
        const i = find(c.name, 'update column default value');
        const { defaultValue: _, ...rest } = fields[i];
        if (c.defaultValue === null || c.defaultValue === undefined) fields[i] = rest;
        else {
          const next = { ...rest, defaultValue: String(c.defaultValue) };
          defaultValueOf(next, t);
          fields[i] = next;
        }
        break;
      }
    }
  }

  const rename = (n: string) => renames.get(n) ?? n;
  const newOptions = renameInOptions(options, renames);
  let schema: TableSchema;
  try {
    schema = new TableSchema(
      old.id + 1,
      fields,
      highest,
      old.partitionKeys.map(rename),
      old.primaryKeys.map(rename),
      newOptions,
      comment,
      ctx.nowMillis ?? Date.now(),
    );
    validateFirstRow(schema);
  } catch (e) {
    if (!(e instanceof EddyError)) throw e;
    throw new EddyError(e.code, `ALTER TABLE ${t}: ${e.message}`, { cause: e });
  }
  return schema;
}

function checkNullability(table: string, f: DataField, nullable: boolean, disableNullToNotNull: boolean): void {
  if (f.type.nullable && !nullable && disableNullToNotNull) {
    throw new EddyError(
      'INVALID_ARGUMENT',
      `ALTER TABLE ${table}: cannot change column '${f.name}' from nullable to NOT NULL ('alter-column-null-to-not-null.disabled' is true)`,
    );
  }
  if (f.type.nullable && !nullable) {
    // Paimon allows it when the option is false, without checking the rows already written: a NOT
    // NULL column with nulls in old files would read wrong. Eddy does not take that risk.
    throw new EddyError(
      'UNSUPPORTED',
      `ALTER TABLE ${table}: changing column '${f.name}' from nullable to NOT NULL is not supported (rows already written may hold nulls)`,
    );
  }
}

function place(fields: DataField[], f: DataField, pos: ColumnPosition, table: string, what: string): DataField[] {
  const out = [...fields];
  if (pos === 'first') out.unshift(f);
  else if (pos === 'last') out.push(f);
  else if (typeof pos === 'object' && pos !== null && ('after' in pos || 'before' in pos)) {
    const ref = 'after' in pos ? pos.after : pos.before;
    const i = out.findIndex((x) => x.name === ref);
    if (i < 0) throw bad(table, `${what}: reference column '${ref}' does not exist`);
    out.splice('after' in pos ? i + 1 : i, 0, f);
  } else {
    throw bad(table, `${what}: position must be 'first', 'last', { after: column } or { before: column }`);
  }
  return out;
}

/** Paimon's checkAlterTableOption (only once the table has snapshots). */
function checkAlterOption(
  table: string,
  options: Readonly<Record<string, string>>,
  key: string,
  before: string | undefined,
  after: string,
): void {
  if (IMMUTABLE_OPTIONS.includes(key))
    throw refused(table, `option '${key}' cannot be changed once the table has data`);
  const b = (v: string | undefined, def: boolean) => (v === undefined ? def : v.toLowerCase() === 'true');
  if (key === 'bucket') {
    const oldBucket = before === undefined ? -1 : Number(before);
    if (oldBucket === -1)
      throw refused(table, "option 'bucket': cannot change the bucket count of a dynamic-bucket (-1) table");
    if (Number(after) === -1) throw refused(table, "option 'bucket': cannot change to dynamic bucket mode (-1)");
    // Paimon allows a new count, then needs an INSERT OVERWRITE of every partition (rescale) before
    // writers may continue; Eddy has no rescale yet.
    throw refused(
      table,
      "option 'bucket': changing the bucket count needs a rescale (rewriting every partition), which Eddy does not do yet",
    );
  }
  if (key === 'deletion-vectors.enabled' && !b(options['deletion-vectors.modifiable'], false)) {
    if (b(before, false) !== b(after, false))
      throw refused(
        table,
        `option 'deletion-vectors.enabled': cannot change deletion vectors mode from ${b(before, false)} to ${b(after, false)} (Paimon's rule; 'deletion-vectors.modifiable' allows it)`,
      );
  }
  for (const k of ['ignore-delete', 'ignore-update-before']) {
    if (key === k && b(before, false) && !b(after, false))
      throw refused(table, `option '${k}': cannot change from true to false`);
  }
  if (key === 'clustering.columns' && options['pk-clustering-override'] !== undefined)
    throw refused(table, "option 'clustering.columns': cannot change while 'pk-clustering-override' is set");
}

/** Paimon's checkResetTableOption. */
function checkResetOption(table: string, options: Readonly<Record<string, string>>, key: string): void {
  if (IMMUTABLE_OPTIONS.includes(key))
    throw refused(table, `option '${key}' cannot be changed once the table has data`);
  if (key === 'bucket') throw refused(table, "option 'bucket' cannot be reset");
  if (key === 'deletion-vectors.enabled') checkAlterOption(table, options, key, options[key], 'false');
  if (key === 'clustering.columns' && options['pk-clustering-override'] !== undefined)
    throw refused(table, "option 'clustering.columns': cannot reset while 'pk-clustering-override' is set");
}

/** Renamed columns inside options (Paimon's applyRenameColumnsToOptions). */
function renameInOptions(
  options: Record<string, string>,
  renames: ReadonlyMap<string, string>,
): Record<string, string> {
  if (renames.size === 0) return options;
  const r = (n: string) => renames.get(n.trim()) ?? n;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(options)) {
    if (k === 'bucket-key' || k === 'sequence.field') {
      out[k] = v.split(',').map(r).join(',');
      continue;
    }
    const m = /^fields\.(.+)\.(sequence-group|nested-key)$/.exec(k);
    if (m) {
      out[`fields.${m[1].split(',').map(r).join(',')}.${m[2]}`] = v.split(',').map(r).join(',');
      continue;
    }
    const f = /^fields\.([^.]+)\.(aggregate-function|ignore-retract|distinct|list-agg-delimiter)$/.exec(k);
    if (f) {
      out[`fields.${r(f[1])}.${f[2]}`] = v;
      continue;
    }
    out[k] = v;
  }
  return out;
}

/**
 * A column's default value as an internal value (Paimon converts the text with its string casts
 * when writing; Eddy supports the types whose text form is unambiguous).
 */
export function defaultValueOf(f: DataField, table = ''): InternalValue {
  const text = f.defaultValue;
  if (text === undefined) return null;
  const where = `${table ? `table ${table}: ` : ''}default value of column '${f.name}'`;
  const t: DataType = f.type;
  const fail = () =>
    new EddyError('INVALID_ARGUMENT', `${where}: ${JSON.stringify(text)} is not a ${formatDataType(t)}`);
  const s = text.trim();
  switch (t.root) {
    case 'BOOLEAN':
      if (!/^(true|false)$/i.test(s)) throw fail();
      return s.toLowerCase() === 'true';
    case 'TINYINT':
    case 'SMALLINT':
    case 'INT':
    case 'BIGINT':
      if (!/^[+-]?\d+$/.test(s)) throw fail();
      return wrap(() => toInternalValue(t, BigInt(s), where), fail);
    case 'FLOAT':
    case 'DOUBLE': {
      const n = Number(s);
      if (s === '' || Number.isNaN(n)) throw fail();
      return toInternalValue(t, n, where);
    }
    case 'DECIMAL':
      return wrap(() => toInternalValue(t, s, where), fail);
    case 'CHAR':
    case 'VARCHAR':
      return wrap(() => toInternalValue(t, text, where), fail);
    default:
      throw new EddyError('UNSUPPORTED', `${where}: default values of type ${formatDataType(t)} are not supported`);
  }
}

function wrap<T>(f: () => T, fail: () => Error): T {
  try {
    return f();
  } catch {
    throw fail();
  }
}

/**
 * Why files written in schema `from` cannot be published into a table now at schema `to` (a later
 * schema), or undefined when they can: every column kept its id, its type is the same or a
 * widening readers apply, no column became NOT NULL, keys and options are unchanged. Readers find
 * such files' columns by field id (Paimon's schema evolution), so nothing needs rewriting.
 */
export function carryOverProblem(from: TableSchema, to: TableSchema): string | undefined {
  if (from.id === to.id) return undefined;
  const ids = (s: TableSchema, keys: readonly string[]) => keys.map((k) => s.field(k).id).join(',');
  if (ids(from, from.partitionKeys) !== ids(to, to.partitionKeys)) return 'the partition keys changed';
  if (ids(from, from.primaryKeys) !== ids(to, to.primaryKeys)) return 'the primary key changed';
  const keys = new Set([...Object.keys(from.rawOptions), ...Object.keys(to.rawOptions)]);
  for (const k of keys) {
    if (from.rawOptions[k] !== to.rawOptions[k]) return `option '${k}' changed`;
  }
  for (const f of to.fields) {
    const old = from.fieldById(f.id);
    if (!old) {
      if (!f.type.nullable) return `column '${f.name}' is new and NOT NULL`;
      continue;
    }
    if (old.type.nullable && !f.type.nullable) return `column '${f.name}' became NOT NULL`;
    if (!isImplementedWidening(old.type, f.type))
      return `column '${f.name}' changed type from ${formatDataType(old.type)} to ${formatDataType(f.type)}`;
  }
  return undefined;
}

/**
 * What changed from one schema to the next, by field id, as short lines (`add n INT`, `rename s →
 * title`, `type a INT → BIGINT`, `set k=v`, ...): the `$schemas` history that `eddy describe` shows.
 */
export function schemaDiff(prev: TableSchema | undefined, next: TableSchema): string[] {
  if (!prev) return [`create (${next.fields.length} columns)`];
  const out: string[] = [];
  const before = new Map(prev.fields.map((f) => [f.id, f]));
  const after = new Map(next.fields.map((f) => [f.id, f]));
  for (const f of prev.fields) if (!after.has(f.id)) out.push(`drop ${f.name}`);
  for (const f of next.fields) {
    const o = before.get(f.id);
    if (!o) {
      out.push(`add ${f.name} ${formatDataType(f.type)}`);
      continue;
    }
    if (o.name !== f.name) out.push(`rename ${o.name} → ${f.name}`);
    if (formatDataType(o.type) !== formatDataType(f.type))
      out.push(`type ${f.name} ${formatDataType(o.type)} → ${formatDataType(f.type)}`);
    if (o.description !== f.description) out.push(`comment ${f.name}`);
    if (o.defaultValue !== f.defaultValue) out.push(`default ${f.name} ${f.defaultValue ?? 'null'}`);
  }
  const kept = (s: TableSchema) => s.fields.filter((f) => before.has(f.id) && after.has(f.id)).map((f) => f.id);
  if (kept(prev).join() !== kept(next).join()) out.push('reorder');
  for (const k of new Set([...Object.keys(prev.rawOptions), ...Object.keys(next.rawOptions)])) {
    const a = prev.rawOptions[k];
    const b = next.rawOptions[k];
    if (a === b) continue;
    out.push(b === undefined ? `reset ${k}` : `set ${k}=${b}`);
  }
  if (prev.comment !== next.comment) out.push('table comment');
  return out;
}
