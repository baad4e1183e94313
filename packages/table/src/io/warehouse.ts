import * as nodePath from 'node:path';
import { fileURLToPath } from 'node:url';
import { EddyError } from '../types/errors.ts';
import type { FileIO } from './file-io.ts';
import { LocalFileIO } from './local-file-io.ts';

export interface WarehouseOptions {
  /**
   * Settings for an `s3://` warehouse: `@eddy/s3`'s `S3FileIOOptions` (default: the standard AWS
   * environment alone).
   */
  readonly s3?: object;
}

/** What `fileIOForWarehouse` needs of the optional `@eddy/s3` package. */
interface S3Module {
  readonly S3FileIO: new (options?: object) => FileIO;
}

/** The package that holds S3FileIO: loaded only for `s3://` warehouses, so the core needs no AWS SDK. */
const S3_PACKAGE = '@eddy/s3';

async function loadS3(uri: string): Promise<S3Module> {
  let mod: Partial<S3Module>;
  try {
    // A variable specifier: TypeScript and bundlers leave the optional package alone.
    mod = (await import(S3_PACKAGE)) as Partial<S3Module>;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND' && String((e as Error).message).includes(S3_PACKAGE))
      throw new EddyError(
        'UNSUPPORTED',
        `warehouse '${uri}': s3:// needs the optional package ${S3_PACKAGE}; install it beside @eddy/table (npm install ${S3_PACKAGE})`,
      );
    throw e;
  }
  if (typeof mod.S3FileIO !== 'function')
    throw new EddyError('UNSUPPORTED', `warehouse '${uri}': ${S3_PACKAGE} does not export S3FileIO`);
  return mod as S3Module;
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
 * The FileIO a warehouse URI implies: LocalFileIO for a path or `file://`, `@eddy/s3`'s S3FileIO
 * for `s3://bucket/prefix` (endpoint, region and credentials from the standard AWS environment
 * unless given; the package is loaded on first use and must be installed). Other schemes are refused.
 */
export async function fileIOForWarehouse(uri: string, options: WarehouseOptions = {}): Promise<FileIO> {
  const scheme = SCHEME.exec(uri)?.[1]?.toLowerCase();
  if (scheme === undefined || scheme === 'file') return new LocalFileIO();
  if (scheme === 's3' || scheme === 's3a') {
    const { S3FileIO } = await loadS3(uri);
    return new S3FileIO(options.s3);
  }
  throw new EddyError(
    'UNSUPPORTED',
    `warehouse '${uri}': unsupported scheme '${scheme}://' (use a local path, file:// or s3://bucket/prefix, or pass a fileIO)`,
  );
}
