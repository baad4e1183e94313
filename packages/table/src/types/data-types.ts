import { EddyError } from './errors.ts';

/**
 * Paimon's logical types, as a discriminated union. `nullable` follows Paimon: the JSON spelling
 * appends " NOT NULL" when false.
 */
export type AtomicTypeRoot =
  | 'BOOLEAN'
  | 'TINYINT'
  | 'SMALLINT'
  | 'INT'
  | 'BIGINT'
  | 'FLOAT'
  | 'DOUBLE'
  | 'DATE'
  | 'CHAR'
  | 'VARCHAR'
  | 'BINARY'
  | 'VARBINARY'
  | 'DECIMAL'
  | 'TIMESTAMP'
  | 'TIMESTAMP_LTZ';

export type DataType =
  | {
      readonly root: 'BOOLEAN' | 'TINYINT' | 'SMALLINT' | 'INT' | 'BIGINT' | 'FLOAT' | 'DOUBLE' | 'DATE';
      readonly nullable: boolean;
    }
  | { readonly root: 'CHAR' | 'VARCHAR' | 'BINARY' | 'VARBINARY'; readonly nullable: boolean; readonly length: number }
  | { readonly root: 'DECIMAL'; readonly nullable: boolean; readonly precision: number; readonly scale: number }
  | { readonly root: 'TIMESTAMP' | 'TIMESTAMP_LTZ'; readonly nullable: boolean; readonly precision: number };

export interface DataField {
  readonly id: number;
  readonly name: string;
  readonly type: DataType;
  readonly description?: string;
  /** Written instead of null by writers (Paimon's DataField defaultValue, as SQL text). */
  readonly defaultValue?: string;
}

export const MAX_LENGTH = 2147483647;

export const isStringType = (t: DataType): boolean => t.root === 'CHAR' || t.root === 'VARCHAR';
export const isBinaryType = (t: DataType): boolean => t.root === 'BINARY' || t.root === 'VARBINARY';

export function withNullable(t: DataType, nullable: boolean): DataType {
  return t.nullable === nullable ? t : { ...t, nullable };
}

/** Paimon's JSON spelling of a type (DataTypeJsonParser / DataType.asSQLString). */
export function formatDataType(t: DataType): string {
  return baseTypeString(t) + (t.nullable ? '' : ' NOT NULL');
}

function baseTypeString(t: DataType): string {
  switch (t.root) {
    case 'CHAR':
      return `CHAR(${t.length})`;
    case 'VARCHAR':
      return t.length === MAX_LENGTH ? 'STRING' : `VARCHAR(${t.length})`;
    case 'BINARY':
      return `BINARY(${t.length})`;
    case 'VARBINARY':
      return t.length === MAX_LENGTH ? 'BYTES' : `VARBINARY(${t.length})`;
    case 'DECIMAL':
      return `DECIMAL(${t.precision}, ${t.scale})`;
    case 'TIMESTAMP':
      return `TIMESTAMP(${t.precision})`;
    case 'TIMESTAMP_LTZ':
      return `TIMESTAMP(${t.precision}) WITH LOCAL TIME ZONE`;
    default:
      return t.root;
  }
}

const UNSUPPORTED_COMPOSITES = ['ARRAY', 'MAP', 'MULTISET', 'ROW', 'VARIANT', 'BLOB', 'VECTOR', 'TIME'];

/**
 * Parses a type as written in schema JSON or typed by a user (`"DECIMAL(10, 2) NOT NULL"`).
 * Composite types (objects in JSON) and types Eddy cannot store yet fail with UNSUPPORTED,
 * naming the type, instead of being mangled.
 */
export function parseDataType(input: unknown, where = 'type'): DataType {
  if (typeof input === 'object' && input !== null) {
    const name = String((input as { type?: unknown }).type ?? 'object');
    throw new EddyError(
      'UNSUPPORTED',
      `${where}: unsupported type ${name.replace(/ NOT NULL$/, '')} (nested types are not supported yet)`,
    );
  }
  if (typeof input !== 'string')
    throw new EddyError('INVALID_ARGUMENT', `${where}: a type must be a string, got ${typeof input}`);
  let s = input.trim().toUpperCase().replace(/\s+/g, ' ');
  let nullable = true;
  if (s.endsWith(' NOT NULL')) {
    nullable = false;
    s = s.slice(0, -' NOT NULL'.length).trim();
  } else if (s.endsWith(' NULL')) {
    s = s.slice(0, -' NULL'.length).trim();
  }
  const m = /^([A-Z_]+)(?:\s*\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\))?(.*)$/.exec(s);
  if (!m) throw new EddyError('INVALID_ARGUMENT', `${where}: cannot parse type '${input}'`);
  const [, word, a, b, rest] = m;
  const tail = rest.trim();
  const p1 = a === undefined ? undefined : Number(a);
  const p2 = b === undefined ? undefined : Number(b);
  const bad = () => new EddyError('INVALID_ARGUMENT', `${where}: cannot parse type '${input}'`);
  const noArgs = () => {
    if (p1 !== undefined || tail) throw bad();
  };
  switch (word) {
    case 'BOOLEAN':
    case 'TINYINT':
    case 'SMALLINT':
    case 'BIGINT':
    case 'FLOAT':
    case 'DOUBLE':
    case 'DATE':
      noArgs();
      return { root: word, nullable };
    case 'INT':
    case 'INTEGER':
      noArgs();
      return { root: 'INT', nullable };
    case 'STRING':
      noArgs();
      return { root: 'VARCHAR', nullable, length: MAX_LENGTH };
    case 'BYTES':
      noArgs();
      return { root: 'VARBINARY', nullable, length: MAX_LENGTH };
    case 'CHAR':
    case 'VARCHAR':
    case 'BINARY':
    case 'VARBINARY': {
      if (p2 !== undefined || tail) throw bad();
      const length = p1 ?? 1;
      if (length < 1 || length > MAX_LENGTH)
        throw new EddyError('INVALID_ARGUMENT', `${where}: ${word} length must be in 1..${MAX_LENGTH}`);
      return { root: word, nullable, length };
    }
    case 'DECIMAL':
    case 'NUMERIC':
    case 'DEC': {
      if (tail) throw bad();
      const precision = p1 ?? 10;
      const scale = p2 ?? 0;
      if (precision < 1 || precision > 38 || scale < 0 || scale > precision) {
        throw new EddyError(
          'INVALID_ARGUMENT',
          `${where}: DECIMAL(${precision}, ${scale}) is out of range (precision 1..38, scale 0..precision)`,
        );
      }
      return { root: 'DECIMAL', nullable, precision, scale };
    }
    case 'TIMESTAMP':
    case 'TIMESTAMP_LTZ': {
      if (p2 !== undefined) throw bad();
      let ltz = word === 'TIMESTAMP_LTZ';
      if (tail === 'WITH LOCAL TIME ZONE') ltz = true;
      else if (tail && tail !== 'WITHOUT TIME ZONE') throw bad();
      const precision = p1 ?? 6;
      if (precision < 0 || precision > 9)
        throw new EddyError('INVALID_ARGUMENT', `${where}: TIMESTAMP precision must be in 0..9`);
      if (precision > 6)
        throw new EddyError(
          'UNSUPPORTED',
          `${where}: unsupported type TIMESTAMP(${precision}): precision above 6 (nanoseconds) is not supported yet`,
        );
      return { root: ltz ? 'TIMESTAMP_LTZ' : 'TIMESTAMP', nullable, precision };
    }
    default:
      if (UNSUPPORTED_COMPOSITES.includes(word))
        throw new EddyError('UNSUPPORTED', `${where}: unsupported type ${word}`);
      throw new EddyError('INVALID_ARGUMENT', `${where}: unknown type '${input}'`);
  }
}
