import * as nodePath from 'node:path';
import { fileURLToPath } from 'node:url';
import { EddyError } from '../types/errors.ts';
import type { FileIO } from './file-io.ts';
import { LocalFileIO } from './local-file-io.ts';
import { S3FileIO, type S3FileIOOptions } from './s3-file-io.ts';

export interface WarehouseOptions {
  /** Settings for an `s3://` warehouse (default: the standard AWS environment alone). */
  readonly s3?: S3FileIOOptions;
}

const SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;

/**
 * The warehouse location in its FileIO's own scheme: an absolute local path for a path or
 * `file://` URI, `s3://bucket/prefix` (no trailing '/') for S3, the URI unchanged otherwise.
 */
export function warehousePath(uri: string): string {
  if (uri.startsWith('file://')) return fileURLToPath(uri);
  const scheme = SCHEME.exec(uri)?.[1]?.toLowerCase();
  if (scheme === 's3' || scheme === 's3a') {
    const m = /^s3a?:\/\/([^/]+)(\/.*)?$/i.exec(uri);
    if (!m || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(m[1]))
      throw new EddyError('INVALID_ARGUMENT', `warehouse '${uri}': expected s3://bucket/prefix`);
    const prefix = (m[2] ?? '').replace(/\/+/g, '/').replace(/\/$/, '');
    return `s3://${m[1]}${prefix}`;
  }
  if (scheme) return uri;
  return nodePath.resolve(uri);
}

/**
 * The FileIO a warehouse URI implies: LocalFileIO for a path or `file://`, S3FileIO for
 * `s3://bucket/prefix` (endpoint, region and credentials from the standard AWS environment unless
 * given). Other schemes are refused.
 */
export function fileIOForWarehouse(uri: string, options: WarehouseOptions = {}): FileIO {
  const scheme = SCHEME.exec(uri)?.[1]?.toLowerCase();
  if (scheme === undefined || scheme === 'file') return new LocalFileIO();
  if (scheme === 's3' || scheme === 's3a') return new S3FileIO(options.s3);
  throw new EddyError(
    'UNSUPPORTED',
    `warehouse '${uri}': unsupported scheme '${scheme}://' (use a local path, file:// or s3://bucket/prefix, or pass a fileIO)`,
  );
}
