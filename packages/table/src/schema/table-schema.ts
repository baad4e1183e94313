import { parseJsonWithLongs } from '../format/json-long.ts';
import { type CoreOptions, parseCoreOptions } from '../options/core-options.ts';
import { fileIndexWriteOptions } from '../options/file-index-options.ts';
import { validateMergeOptions } from '../options/merge-options.ts';
import { validateOptionKeys } from '../options/registry.ts';
import { type DataField, type DataType, formatDataType, parseDataType, withNullable } from '../types/data-types.ts';
import { corruptFile, EddyError } from '../types/errors.ts';
import { checkFieldCount, checkMetadataSize, MAX_SCHEMA_JSON_BYTES } from '../types/limits.ts';
import { deletionVectorWriteProblem } from './deletion-vector-support.ts';

/** What a user gives to create a table. Types are Paimon SQL strings (`'DECIMAL(10, 2)'`). */
export interface SchemaInput {
  /** Ordered columns: `{ id: 'BIGINT', name: 'STRING' }` or `[{ name: 'id', type: 'BIGINT' }]`. */
  readonly columns: Readonly<Record<string, string>> | readonly { name: string; type: string; description?: string }[];
  readonly primaryKey?: readonly string[];
  readonly partitionKeys?: readonly string[];
  readonly options?: Readonly<Record<string, string | number | boolean>>;
  readonly comment?: string;
}

/** Field-id offset of the `_KEY_` copies of primary-key columns in data files (Integer.MAX_VALUE / 2). */
export const KEY_FIELD_ID_START = 1073741823;
export const SEQUENCE_NUMBER_FIELD_ID = 2147483646;
export const VALUE_KIND_FIELD_ID = 2147483645;
export const KEY_FIELD_PREFIX = '_KEY_';
export const SYSTEM_FIELD_NAMES = ['_SEQUENCE_NUMBER', '_VALUE_KIND', '_LEVEL', 'rowkind', '_ROW_ID'];

/** A version-3 Paimon table schema (`schema/schema-N`). Immutable. */
export class TableSchema {
  readonly version = 3;
  readonly options: CoreOptions;
  /** Primary key minus partition keys: the key stored in data files and used for bucketing. */
  readonly trimmedPrimaryKeys: readonly string[];
  readonly bucketKeys: readonly string[];

  /** Column name → index in `fields` (lookups are O(1): schemas may be wide). */
  private readonly byName = new Map<string, number>();
  /** Field id → field. */
  private readonly byId = new Map<number, DataField>();

  constructor(
    readonly id: number,
    readonly fields: readonly DataField[],
    readonly highestFieldId: number,
    readonly partitionKeys: readonly string[],
    readonly primaryKeys: readonly string[],
    readonly rawOptions: Readonly<Record<string, string>>,
    readonly comment: string | undefined,
    readonly timeMillis: number,
  ) {
    checkFieldCount(fields.length, `schema ${id}`);
    const names = this.byName;
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i];
      if (names.has(f.name)) throw new EddyError('INVALID_ARGUMENT', `duplicate column '${f.name}'`);
      names.set(f.name, i);
      // Readers map file columns by field id: two columns with one id would read each other's data.
      const twin = this.byId.get(f.id);
      if (twin)
        throw new EddyError(
          'INVALID_ARGUMENT',
          `columns '${twin.name}' and '${f.name}' have the same field id ${f.id}`,
        );
      this.byId.set(f.id, f);
    }
    for (const k of [...partitionKeys, ...primaryKeys]) {
      if (!names.has(k)) throw new EddyError('INVALID_ARGUMENT', `key column '${k}' is not a column of the table`);
    }
    this.options = parseCoreOptions(rawOptions);
    this.trimmedPrimaryKeys = primaryKeys.filter((k) => !partitionKeys.includes(k));
    if (primaryKeys.length > 0 && this.trimmedPrimaryKeys.length === 0) {
      throw new EddyError(
        'INVALID_ARGUMENT',
        'the primary key must contain at least one column that is not a partition key',
      );
    }
    if (primaryKeys.length > 0) {
      const missing = partitionKeys.filter((p) => !primaryKeys.includes(p));
      if (missing.length > 0 && this.options.bucket !== -1) {
        throw new EddyError(
          'INVALID_ARGUMENT',
          `the primary key must include the partition keys (missing ${missing.join(', ')})`,
        );
      }
    }
    this.bucketKeys = this.options.bucketKey.length > 0 ? this.options.bucketKey : this.trimmedPrimaryKeys;
    for (const k of this.bucketKeys) {
      if (!names.has(k)) throw new EddyError('INVALID_OPTION', `option 'bucket-key': '${k}' is not a column`);
    }
    for (const k of this.options.sequenceFields) {
      if (!names.has(k)) throw new EddyError('INVALID_OPTION', `option 'sequence.field': '${k}' is not a column`);
    }
    if (primaryKeys.length > 0) validateMergeOptions(this.options, rawOptions, fields, primaryKeys);
  }

  get isPrimaryKeyTable(): boolean {
    return this.primaryKeys.length > 0;
  }

  field(name: string): DataField {
    const i = this.byName.get(name);
    if (i === undefined) throw new EddyError('INVALID_ARGUMENT', `unknown column '${name}'`);
    return this.fields[i];
  }

  /** The index of a column in `fields`, or -1. */
  fieldIndex(name: string): number {
    return this.byName.get(name) ?? -1;
  }

  /** The field with this id, if the schema has it. */
  fieldById(id: number): DataField | undefined {
    return this.byId.get(id);
  }

  /** Builds schema 0 from user input, assigning field ids like Paimon's Schema.Builder. */
  static create(input: SchemaInput, nowMillis = Date.now()): TableSchema {
    const cols: readonly { name: string; type: string; description?: string }[] = Array.isArray(input.columns)
      ? input.columns
      : Object.entries(input.columns as Record<string, string>).map(([name, type]) => ({ name, type }));
    if (cols.length === 0) throw new EddyError('INVALID_ARGUMENT', 'a table needs at least one column');
    const primaryKeys = [...(input.primaryKey ?? [])];
    const partitionKeys = [...(input.partitionKeys ?? [])];
    const fields: DataField[] = cols.map((c, i) => {
      validateColumnName(c.name);
      let type = parseDataType(c.type, `column '${c.name}'`);
      if (primaryKeys.includes(c.name)) type = withNullable(type, false);
      const f: DataField = { id: i, name: c.name, type };
      return c.description ? { ...f, description: c.description } : f;
    });
    const options: Record<string, string> = {};
    for (const [k, v] of Object.entries(input.options ?? {})) options[k] = String(v);
    validateOptionKeys(
      options,
      fields.map((f) => f.name),
    );
    // A file index Java's writer would refuse (unknown column, unhashable type): say so now, not at the first write.
    fileIndexWriteOptions(options, fields);
    if (primaryKeys.length > 0 && options.bucket === undefined) options.bucket = '1';
    if (primaryKeys.length > 0 && options.bucket === '-1') {
      const outside = partitionKeys.filter((k) => !primaryKeys.includes(k));
      if (outside.length > 0) {
        throw new EddyError(
          'UNSUPPORTED',
          `option 'bucket' = -1 with partition keys outside the primary key (${outside.join(', ')}) makes a cross-partition upsert table, which Eddy cannot write (it needs Paimon's global key index); include them in the primary key or use a fixed bucket count`,
        );
      }
    }
    if (options.bucket === '-2')
      throw new EddyError('UNSUPPORTED', "option 'bucket': postpone bucket mode (-2) is not supported yet");
    const schema = new TableSchema(
      0,
      fields,
      fields.length - 1,
      partitionKeys,
      primaryKeys,
      options,
      input.comment,
      nowMillis,
    );
    const o = schema.options;
    if (o.mergeEngine !== 'deduplicate' && !schema.isPrimaryKeyTable) {
      throw new EddyError('INVALID_OPTION', `option 'merge-engine': '${o.mergeEngine}' needs a primary key`);
    }
    validateFirstRow(schema);
    // Readers of DV tables skip level 0 until a compaction writes deletion vectors: a table Eddy
    // could not compact would hide the rows written to it.
    const dvProblem = deletionVectorWriteProblem(schema);
    if (dvProblem)
      throw new EddyError('UNSUPPORTED', `option 'deletion-vectors.enabled': creating tables ${dvProblem}`);
    if (!schema.isPrimaryKeyTable && o.bucket > 0 && o.bucketKey.length === 0) {
      throw new EddyError(
        'INVALID_OPTION',
        "option 'bucket-key' is required for an append table with a fixed bucket count",
      );
    }
    return schema;
  }

  toJson(): string {
    const obj: Record<string, unknown> = {
      version: 3,
      id: this.id,
      fields: this.fields.map((f) => {
        const o: Record<string, unknown> = { id: f.id, name: f.name, type: formatDataType(f.type) };
        if (f.description !== undefined) o.description = f.description;
        if (f.defaultValue !== undefined) o.defaultValue = f.defaultValue;
        return o;
      }),
      highestFieldId: this.highestFieldId,
      partitionKeys: this.partitionKeys,
      primaryKeys: this.primaryKeys,
      options: this.rawOptions,
    };
    if (this.comment !== undefined) obj.comment = this.comment;
    obj.timeMillis = this.timeMillis;
    return JSON.stringify(obj, null, 2);
  }

  static fromJson(text: string, path: string): TableSchema {
    checkMetadataSize(text.length, MAX_SCHEMA_JSON_BYTES, path, 'schema JSON');
    let o: Record<string, unknown>;
    try {
      // Longs beyond 2^53 parse as bigint and are refused below, never rounded.
      o = parseJsonWithLongs(text) as Record<string, unknown>;
    } catch (e) {
      throw corruptFile(path, `not valid JSON: ${(e as Error).message}`, e);
    }
    if (typeof o !== 'object' || o === null || Array.isArray(o)) throw corruptFile(path, 'schema is not a JSON object');
    for (const k of ['id', 'fields', 'highestFieldId', 'partitionKeys', 'primaryKeys', 'options']) {
      if (o[k] === undefined) throw corruptFile(path, `schema has no '${k}'`);
    }
    for (const k of ['version', 'id', 'highestFieldId', 'timeMillis']) {
      if (k === 'timeMillis' && o[k] === undefined) continue;
      if (o[k] !== undefined && !Number.isSafeInteger(o[k])) throw corruptFile(path, `'${k}' is not an integer`);
    }
    const version = o.version === undefined ? 1 : (o.version as number);
    if (!Array.isArray(o.fields)) throw corruptFile(path, "'fields' is not an array");
    // Before any per-field work: a huge schema fails in time linear in the file, not worse.
    checkFieldCount(o.fields.length, path);
    for (const k of ['partitionKeys', 'primaryKeys']) {
      const v = o[k];
      if (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))
        throw corruptFile(path, `'${k}' is not an array of column names`);
    }
    if (typeof o.options !== 'object' || o.options === null || Array.isArray(o.options))
      throw corruptFile(path, "'options' is not an object");
    const fields: DataField[] = (o.fields as Record<string, unknown>[]).map((f, i) => {
      if (typeof f !== 'object' || f === null || !Number.isSafeInteger(f.id) || typeof f.name !== 'string')
        throw corruptFile(path, `field ${i} has no id or name`);
      // Nested types are JSON objects: parseDataType refuses them by name (UNSUPPORTED).
      if (typeof f.type !== 'string' && (typeof f.type !== 'object' || f.type === null))
        throw corruptFile(path, `column '${f.name}' has no type`);
      const type: DataType = parseDataType(f.type, `${path}: column '${f.name}'`);
      let out: DataField = { id: f.id as number, name: f.name, type };
      if (typeof f.description === 'string') out = { ...out, description: f.description };
      if (typeof f.defaultValue === 'string') out = { ...out, defaultValue: f.defaultValue };
      return out;
    });
    const options = { ...(o.options as Record<string, string>) };
    // Versions ≤ 1 default to one bucket and ≤ 2 to ORC when the option is absent (Paimon's rule).
    if (version <= 1 && options.bucket === undefined) options.bucket = '1';
    if (version <= 2 && options['file.format'] === undefined) options['file.format'] = 'orc';
    try {
      return new TableSchema(
        Number(o.id),
        fields,
        Number(o.highestFieldId),
        o.partitionKeys as string[],
        o.primaryKeys as string[],
        options,
        typeof o.comment === 'string' ? o.comment : undefined,
        typeof o.timeMillis === 'number' ? o.timeMillis : 0,
      );
    } catch (e) {
      if (e instanceof EddyError && e.code !== 'CORRUPT_FILE') {
        throw new EddyError(e.code, `${path}: ${e.message}`, { path, cause: e });
      }
      throw e;
    }
  }
}

export function validateColumnName(name: unknown): void {
  if (typeof name !== 'string' || name.length === 0)
    throw new EddyError('INVALID_NAME', 'a column name must be a non-empty string');
  if (name.startsWith(KEY_FIELD_PREFIX) || SYSTEM_FIELD_NAMES.includes(name)) {
    throw new EddyError('INVALID_NAME', `column name '${name}' is reserved for system fields`);
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  if (/[\u0000-\u001f]/.test(name))
    throw new EddyError('INVALID_NAME', `column name ${JSON.stringify(name)} contains control characters`);
}

/** Paimon's SchemaValidation for `first-row` tables: Java refuses to create or alter these. */
export function validateFirstRow(schema: TableSchema): void {
  const o = schema.options;
  if (o.mergeEngine !== 'first-row') return;
  if (o.changelogProducer !== 'none' && o.changelogProducer !== 'lookup') {
    throw new EddyError(
      'INVALID_OPTION',
      `option 'changelog-producer': merge-engine 'first-row' supports only 'none' and 'lookup', got '${o.changelogProducer}'`,
    );
  }
  if (o.sequenceFields.length > 0)
    throw new EddyError('INVALID_OPTION', "option 'sequence.field' cannot be used with merge-engine 'first-row'");
}
