import { EddyError } from '../types/errors.ts';
/**
 * The storage seam. Paths are absolute strings in the implementation's own scheme (a local path,
 * or later `s3://bucket/key`). Everything above this interface is storage-agnostic.
 */
export interface FileStatus {
  readonly path: string;
  readonly size: number;
  readonly modifiedMillis: number;
  readonly isDirectory: boolean;
}

export interface FileIO {
  /**
   * Remote storage where a request costs more than the bytes: readers fetch only the Parquet
   * column chunks they need (footer first) instead of whole files.
   */
  readonly preferRangedReads?: boolean;
  /** Whole-file read. Throws EddyError NOT_FOUND when the file does not exist. */
  read(path: string): Promise<Uint8Array>;
  /** Reads `length` bytes at `offset`. */
  readRange(path: string, offset: number, length: number): Promise<Uint8Array>;
  /** Writes a file so that readers see either nothing or the whole content (temp file + rename). */
  write(path: string, data: Uint8Array | string): Promise<void>;
  /**
   * Creates `path` with `data` only if nothing exists there; returns false when it already exists.
   * The file appears fully written or not at all: this is the commit primitive.
   */
  writeIfAbsent(path: string, data: Uint8Array | string): Promise<boolean>;
  exists(path: string): Promise<boolean>;
  /** Status of a file, or undefined when it does not exist. */
  stat(path: string): Promise<FileStatus | undefined>;
  /** Direct children of a directory; an absent directory lists as empty. */
  list(dir: string): Promise<FileStatus[]>;
  delete(path: string): Promise<void>;
  /** Deletes a directory and everything below it. */
  deleteDirectory(dir: string): Promise<void>;
  mkdirs(dir: string): Promise<void>;
  /**
   * Calls `onChange` when entries of `dir` may have changed (a hint only: it may fire for nothing,
   * and callers still poll, since notifications can be lost); returns a function that stops
   * watching. Storage without notifications (S3) leaves it out. The change feed uses it to learn of
   * a new snapshot without waiting for its next poll.
   */
  watch?(dir: string, onChange: () => void): () => void;
  /** Releases what the FileIO holds (connections); `Catalog.close()` calls it for a FileIO it made. */
  close?(): void | Promise<void>;
}

/** The file's bytes, or undefined when it does not exist (one request where exists + read are two). */
export async function readIfExists(io: FileIO, path: string): Promise<Uint8Array | undefined> {
  try {
    return await io.read(path);
  } catch (e) {
    if (e instanceof EddyError && e.code === 'NOT_FOUND') return undefined;
    throw e;
  }
}

/** Joins path segments with '/', never producing doubled separators. */
export function joinPath(base: string, ...parts: string[]): string {
  let out = base.endsWith('/') ? base.slice(0, -1) : base;
  for (const p of parts) {
    if (p === '') continue;
    out += `/${p.startsWith('/') ? p.slice(1) : p}`;
  }
  return out;
}
