import { EddyError } from '../types/errors.ts';

/** `database.table`. */
export interface Identifier {
  readonly database: string;
  readonly table: string;
}

/**
 * Database and table names become directory names, so anything that could escape the warehouse
 * or confuse a listing is refused: separators, `.`/`..`, leading dots, control characters.
 */
export function validateName(kind: 'database' | 'table', name: unknown): string {
  if (typeof name !== 'string' || name.length === 0)
    throw new EddyError('INVALID_NAME', `${kind} name must be a non-empty string`);
  // File systems allow 255 bytes per path segment (the database's gets `.db`): count UTF-8 bytes,
  // not characters, or a multibyte name fails later with a raw ENAMETOOLONG.
  const max = kind === 'database' ? 252 : 255;
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes > max)
    throw new EddyError(
      'INVALID_NAME',
      `${kind} name is ${bytes} bytes in UTF-8 (${name.length} characters); at most ${max} bytes fit a directory name`,
    );
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  if (/[/\\\u0000-\u001f\u007f]/.test(name)) {
    throw new EddyError(
      'INVALID_NAME',
      `${kind} name ${JSON.stringify(name)} must not contain path separators or control characters`,
    );
  }
  if (name.startsWith('.'))
    throw new EddyError('INVALID_NAME', `${kind} name ${JSON.stringify(name)} must not start with '.'`);
  if (kind === 'database' && name.endsWith('.db')) {
    throw new EddyError('INVALID_NAME', `database name ${JSON.stringify(name)} must not end with '.db'`);
  }
  return name;
}

export function parseIdentifier(input: string | Identifier): Identifier {
  if (typeof input !== 'string') {
    return { database: validateName('database', input.database), table: validateName('table', input.table) };
  }
  const dot = input.indexOf('.');
  if (dot <= 0 || dot === input.length - 1) {
    throw new EddyError('INVALID_NAME', `table identifier '${input}' must be 'database.table'`);
  }
  return {
    database: validateName('database', input.slice(0, dot)),
    table: validateName('table', input.slice(dot + 1)),
  };
}

export const formatIdentifier = (id: Identifier): string => `${id.database}.${id.table}`;
