/** Every error Eddy raises on purpose carries a stable machine-readable code. */
export type EddyErrorCode =
  | 'INVALID_ARGUMENT'
  | 'INVALID_NAME'
  | 'INVALID_OPTION'
  | 'INVALID_ROW'
  | 'UNSUPPORTED'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'COMMIT_CONFLICT'
  /** The table's schema changed under a writer, compaction or reader in a way it cannot carry over. */
  | 'SCHEMA_CHANGED'
  | 'CORRUPT_FILE'
  | 'IO_ERROR'
  | 'SNAPSHOT_EXPIRED'
  /** A writer disposed with rows written after its last commit (they were dropped). */
  | 'UNCOMMITTED';

/** Marks Eddy errors across copies of the package (see `EddyError[Symbol.hasInstance]`). */
const BRAND = Symbol.for('@eddy/table.EddyError');

export class EddyError extends Error {
  readonly code: EddyErrorCode;
  /** The file, table or column the error is about, when there is one. */
  readonly path?: string;

  constructor(code: EddyErrorCode, message: string, options?: { path?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'EddyError';
    this.code = code;
    this.path = options?.path;
    Object.defineProperty(this, BRAND, { value: true });
  }

  /**
   * `e instanceof EddyError` also holds for an error from another copy of @eddy/table — as when
   * `@eddy/s3` and `@eddy/cli` are installed globally, each with its own — so a typed error is never
   * mistaken for an unknown one.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }
}

export const invalidRow = (message: string) => new EddyError('INVALID_ROW', message);
export const unsupported = (message: string) => new EddyError('UNSUPPORTED', message);
export const corruptFile = (path: string, message: string, cause?: unknown) =>
  new EddyError('CORRUPT_FILE', `${path}: ${message}`, { path, cause });

/**
 * Metadata names the files it refers to (manifests, data files) by plain names inside a known
 * directory. A name with a separator or `..` would make readers read — and expiry delete — files
 * elsewhere, so metadata holding one is corrupt (`path` is the metadata file).
 */
export function checkFileName(name: string, path: string, what: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  if (name.length === 0 || name === '.' || name === '..' || /[/\\\u0000-\u001f]/.test(name))
    throw corruptFile(path, `${what} ${JSON.stringify(name)} is not a plain file name`);
  return name;
}
