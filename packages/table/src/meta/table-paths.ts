/**
 * Where a table's files live: bucket directories, and the data, changelog and index files that
 * manifests name. Java: org.apache.paimon.utils.FileStorePathFactory.
 */
import { deserializeBinaryRow } from '../format/binary-row.ts';
import type { ManifestEntry } from '../format/manifest.ts';
import { type PartitionField, partitionPath } from '../format/partition-path.ts';
import { joinPath } from '../io/file-io.ts';
import type { TableSchema } from '../schema/table-schema.ts';
import { EddyError } from '../types/errors.ts';
import type { InternalValue } from '../types/internal.ts';

/** The directory of a bucket: `bucket-N`, or `bucket-postpone` for Paimon's postpone bucket (-2). */
export const bucketDirName = (bucket: number): string => (bucket === -2 ? 'bucket-postpone' : `bucket-${bucket}`);

/** `data-file.external-paths`: comma-separated roots (URIs) where Paimon may place data files. */
export const EXTERNAL_PATHS_OPTION = 'data-file.external-paths';
/** `data-file.external-paths.strategy`: none (default), round-robin or specific-fs. */
export const EXTERNAL_PATHS_STRATEGY_OPTION = 'data-file.external-paths.strategy';

/**
 * A path in comparable form: `file:` URIs become plain local paths, `.` and `..` segments are
 * resolved and doubled separators collapsed (a `..` above the root stays at the root, as the
 * file system does). Undefined for what is no path at all (relative, NUL, unknown form).
 */
export function normalizePath(path: string): string | undefined {
  if (path.includes('\u0000')) return undefined;
  let prefix = '';
  let rest = path;
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(path);
  if (scheme) {
    // Hadoop's s3a:// and s3n:// name the same objects as s3://.
    const name = /^s3[an]?$/i.test(scheme[1]) ? 's3' : scheme[1].toLowerCase();
    if (name === 'file') {
      // file:/x, file:///x (Hadoop writes the first, URIs the second); file://host/x is not local.
      rest = path.slice(5);
      if (rest.startsWith('//')) {
        if (!rest.startsWith('///')) return undefined;
        rest = rest.slice(2);
      }
    } else {
      // scheme://authority/key: the authority (an S3 bucket) must match exactly.
      const m = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/([^/]+)(\/.*)?$/.exec(path);
      if (!m) return undefined;
      prefix = `${name}://${m[1]}`;
      rest = m[2] ?? '/';
    }
  }
  if (!rest.startsWith('/')) return undefined;
  const out: string[] = [];
  for (const seg of rest.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  return `${prefix}/${out.join('/')}`;
}

/** Whether normalized `path` is `root` or below it (both from normalizePath). */
const isWithin = (path: string, root: string): boolean =>
  path === root || path.startsWith(root.endsWith('/') ? root : `${root}/`);

/**
 * The roots a table's files may live under: the table's folder and the roots listed in
 * `data-file.external-paths` (whatever the strategy: files written under an earlier strategy stay
 * readable). Everything Eddy opens or deletes because metadata names it is checked here first.
 */
export class PathConfinement {
  private readonly roots: readonly string[];

  constructor(
    readonly tableRoot: string,
    rawOptions: Readonly<Record<string, string>> = {},
  ) {
    const table = normalizePath(tableRoot);
    if (table === undefined)
      throw new EddyError('INVALID_ARGUMENT', `table path '${tableRoot}' is not an absolute path or URI`);
    const external: string[] = [];
    for (const part of (rawOptions[EXTERNAL_PATHS_OPTION] ?? '').split(',')) {
      const root = part.trim();
      if (root === '') continue;
      const n = normalizePath(root);
      // The file system's root would confine nothing.
      if (n === undefined || n === '/')
        throw new EddyError(
          'INVALID_OPTION',
          `option '${EXTERNAL_PATHS_OPTION}': '${root}' is not an absolute path or URI below a root`,
        );
      external.push(n);
    }
    this.roots = [table, ...external];
  }

  /** The external roots (normalized), from `data-file.external-paths`. */
  get externalRoots(): readonly string[] {
    return this.roots.slice(1);
  }

  /**
   * `path`, read from `field` of metadata file `source`, as the path to open: it must resolve inside
   * the table's folder or an external root; otherwise CORRUPT_FILE naming both, before any IO.
   */
  confine(path: string, field: string, source: string): string {
    const n = normalizePath(path);
    // A local table opens local paths: a `file:` URI becomes the plain path it names.
    if (n !== undefined && this.roots.some((r) => isWithin(n, r))) return n;
    throw new EddyError(
      'CORRUPT_FILE',
      `${source}: ${field} ${JSON.stringify(path)} is outside the table ${this.tableRoot}${
        this.roots.length > 1 ? ` and its '${EXTERNAL_PATHS_OPTION}' roots` : ''
      }; nothing was read or deleted`,
      { path: source },
    );
  }
}

export class TablePaths {
  private readonly fields: PartitionField[];
  private readonly dirs = new Map<string, string>();
  /** Where the files metadata names may be. */
  readonly confinement: PathConfinement;

  constructor(
    readonly root: string,
    private readonly schema: TableSchema,
  ) {
    this.fields = schema.partitionKeys.map((k) => schema.field(k));
    this.confinement = new PathConfinement(root, schema.rawOptions);
  }

  /** Partition values of a serialized partition row. */
  partitionValues(partition: Uint8Array): InternalValue[] {
    return deserializeBinaryRow(
      partition,
      this.fields.map((f) => f.type),
    );
  }

  /** The directory of a (partition, bucket), from partition values. */
  bucketDirOf(partition: readonly InternalValue[], bucket: number): string {
    const part = partitionPath(this.fields, partition, this.schema.options.partitionDefaultName);
    return joinPath(this.root, part, bucketDirName(bucket));
  }

  /** The directory of a (partition, bucket), from a serialized partition row (cached). */
  bucketDir(partition: Uint8Array, bucket: number): string {
    const key = `${Buffer.from(partition).toString('base64')}/${bucket}`;
    let dir = this.dirs.get(key);
    if (dir === undefined) {
      dir = this.bucketDirOf(this.partitionValues(partition), bucket);
      this.dirs.set(key, dir);
    }
    return dir;
  }

  /**
   * The path of a data or changelog file in `dir` (its bucket directory), or its `_EXTERNAL_PATH`
   * once confined to the table's roots (CORRUPT_FILE otherwise).
   */
  dataFile(dir: string, file: { readonly fileName: string; readonly externalPath: string | null }): string {
    return file.externalPath === null
      ? joinPath(dir, file.fileName)
      : this.confinement.confine(file.externalPath, '_EXTERNAL_PATH', `data file ${file.fileName}`);
  }

  /** The data (or changelog) file of an entry and its extra files (e.g. `.index` sidecars). */
  filesOf(e: ManifestEntry): string[] {
    const dir = this.bucketDir(e.partition, e.bucket);
    return [this.dataFile(dir, e.file), ...e.file.extraFiles.map((x) => this.extraFile(dir, e.file, x))];
  }

  /**
   * An extra file of a data file (its `.index`): beside the data file, so in the directory of its
   * `_EXTERNAL_PATH` when it has one (DataFilePathFactory.toAlignedPath).
   */
  extraFile(
    dir: string,
    file: { readonly fileName: string; readonly externalPath: string | null },
    name: string,
  ): string {
    if (file.externalPath === null) return joinPath(dir, name);
    const data = this.dataFile(dir, file);
    return joinPath(data.slice(0, data.lastIndexOf('/')), name);
  }

  /** The path of an index file: in `index/`, or its confined `_EXTERNAL_PATH`. */
  indexFile(fileName: string, externalPath: string | null | undefined): string {
    return externalPath === null || externalPath === undefined
      ? joinPath(this.root, 'index', fileName)
      : this.confinement.confine(externalPath, '_EXTERNAL_PATH', `index file ${fileName}`);
  }

  statisticsFile(name: string): string {
    return joinPath(this.root, 'statistics', name);
  }
}
