import { EddyError } from '../types/errors.ts';

/**
 * Table options, by their Paimon names. Values in schema JSON are always strings; this module
 * parses and validates them once, so the rest of the code reads typed fields.
 */
export type MergeEngine = 'deduplicate' | 'partial-update' | 'aggregation' | 'first-row';
export type ChangelogProducer = 'none' | 'input' | 'lookup' | 'full-compaction';

export interface CoreOptions {
  /** `bucket`: fixed bucket count (> 0), -1 for dynamic (PK) / unaware (append). */
  readonly bucket: number;
  readonly bucketKey: readonly string[];
  readonly mergeEngine: MergeEngine;
  readonly changelogProducer: ChangelogProducer;
  readonly sequenceFields: readonly string[];
  readonly ignoreDelete: boolean;
  readonly deletionVectorsEnabled: boolean;
  readonly fileFormat: 'parquet';
  readonly fileCompression: 'zstd' | 'snappy' | 'none';
  readonly zstdLevel: number;
  readonly manifestCompression: 'zstd' | 'snappy' | 'deflate' | 'none';
  readonly writeBufferSize: number;
  readonly targetFileSize: number;
  readonly partitionDefaultName: string;
  readonly commitMaxRetries: number;
  readonly commitMinRetryWaitMs: number;
  readonly commitMaxRetryWaitMs: number;
  readonly numSortedRunCompactionTrigger: number;
  /** `num-sorted-run.stop-trigger` (trigger + 3): writers wait for compaction beyond it. */
  readonly numSortedRunStopTrigger: number;
  readonly numLevels: number;
  readonly maxSizeAmplificationPercent: number;
  readonly compactionSizeRatio: number;
  /** `write-only`: writers never compact (a separate compactor does). */
  readonly writeOnly: boolean;
  readonly manifestMergeMinCount: number;
  readonly manifestTargetFileSize: number;
}

const MB = 1024 * 1024;

export function parseMemorySize(value: string, key: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?(?:ytes?)?\s*$/i.exec(value);
  if (!m) throw new EddyError('INVALID_OPTION', `option '${key}': cannot parse memory size '${value}' (e.g. 256 mb)`);
  const mult = { '': 1, k: 1024, m: MB, g: 1024 * MB, t: 1024 * 1024 * MB }[
    m[2].toLowerCase() as '' | 'k' | 'm' | 'g' | 't'
  ];
  return Math.floor(Number(m[1]) * mult);
}

export function parseDuration(value: string, key: string): number {
  const m = /^\s*(\d+)\s*(ms|s|min|m|h|d)?\s*$/i.exec(value);
  if (!m) throw new EddyError('INVALID_OPTION', `option '${key}': cannot parse duration '${value}' (e.g. 10 s, 1 h)`);
  const unit = (m[2] ?? 'ms').toLowerCase();
  const mult: Record<string, number> = { ms: 1, s: 1000, min: 60_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  return Number(m[1]) * mult[unit];
}

function int(opts: Readonly<Record<string, string>>, key: string, def: number, min = -Infinity): number {
  const v = opts[key];
  if (v === undefined) return def;
  if (!/^\s*-?\d+\s*$/.test(v))
    throw new EddyError('INVALID_OPTION', `option '${key}': expected an integer, got '${v}'`);
  const n = Number(v);
  if (n < min) throw new EddyError('INVALID_OPTION', `option '${key}': must be ≥ ${min}, got ${n}`);
  return n;
}

function bool(opts: Readonly<Record<string, string>>, key: string, def: boolean): boolean {
  const v = opts[key];
  if (v === undefined) return def;
  const s = v.trim().toLowerCase();
  if (s === 'true') return true;
  if (s === 'false') return false;
  throw new EddyError('INVALID_OPTION', `option '${key}': expected true or false, got '${v}'`);
}

function oneOf<T extends string>(
  opts: Readonly<Record<string, string>>,
  key: string,
  allowed: readonly T[],
  def: T,
): T {
  const v = opts[key];
  if (v === undefined) return def;
  const s = v.trim().toLowerCase() as T;
  if (!allowed.includes(s))
    throw new EddyError('INVALID_OPTION', `option '${key}': expected one of ${allowed.join(', ')}, got '${v}'`);
  return s;
}

const list = (v: string | undefined): string[] =>
  v === undefined
    ? []
    : v
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0);

export function parseCoreOptions(opts: Readonly<Record<string, string>>): CoreOptions {
  for (const [k, v] of Object.entries(opts)) {
    if (typeof v !== 'string')
      throw new EddyError('INVALID_OPTION', `option '${k}': values must be strings, got ${typeof v}`);
  }
  const bucket = int(opts, 'bucket', -1);
  if (bucket === 0 || bucket < -2)
    throw new EddyError('INVALID_OPTION', `option 'bucket': must be > 0, -1 or -2, got ${bucket}`);
  const trigger = int(opts, 'num-sorted-run.compaction-trigger', 5, 1);
  const format = oneOf(opts, 'file.format', ['parquet', 'orc', 'avro'] as const, 'parquet');
  if (format !== 'parquet')
    throw new EddyError('UNSUPPORTED', `option 'file.format': only parquet data files are supported, got '${format}'`);
  const fileCompression = oneOf(opts, 'file.compression', ['zstd', 'snappy', 'none', 'uncompressed'] as const, 'zstd');
  const manifestCompression = oneOf(
    opts,
    'manifest.compression',
    ['zstd', 'snappy', 'deflate', 'none', 'null'] as const,
    'zstd',
  );
  return {
    bucket,
    bucketKey: list(opts['bucket-key']),
    mergeEngine: oneOf(
      opts,
      'merge-engine',
      ['deduplicate', 'partial-update', 'aggregation', 'first-row'] as const,
      'deduplicate',
    ),
    changelogProducer: oneOf(
      opts,
      'changelog-producer',
      ['none', 'input', 'lookup', 'full-compaction'] as const,
      'none',
    ),
    sequenceFields: list(opts['sequence.field']),
    ignoreDelete: bool(opts, 'ignore-delete', false),
    deletionVectorsEnabled: bool(opts, 'deletion-vectors.enabled', false),
    fileFormat: 'parquet',
    fileCompression: fileCompression === 'uncompressed' ? 'none' : fileCompression,
    zstdLevel: int(opts, 'file.compression.zstd-level', 1, 1),
    manifestCompression: manifestCompression === 'null' ? 'none' : manifestCompression,
    writeBufferSize: opts['write-buffer-size']
      ? parseMemorySize(opts['write-buffer-size'], 'write-buffer-size')
      : 256 * MB,
    targetFileSize: opts['target-file-size'] ? parseMemorySize(opts['target-file-size'], 'target-file-size') : 128 * MB,
    partitionDefaultName: opts['partition.default-name'] ?? '__DEFAULT_PARTITION__',
    commitMaxRetries: int(opts, 'commit.max-retries', 10, 0),
    commitMinRetryWaitMs: opts['commit.min-retry-wait']
      ? parseDuration(opts['commit.min-retry-wait'], 'commit.min-retry-wait')
      : 10,
    commitMaxRetryWaitMs: opts['commit.max-retry-wait']
      ? parseDuration(opts['commit.max-retry-wait'], 'commit.max-retry-wait')
      : 10_000,
    numSortedRunCompactionTrigger: trigger,
    numSortedRunStopTrigger: int(opts, 'num-sorted-run.stop-trigger', trigger + 3, 1),
    numLevels: int(opts, 'num-levels', trigger + 1, 2),
    maxSizeAmplificationPercent: int(opts, 'compaction.max-size-amplification-percent', 200, 0),
    compactionSizeRatio: int(opts, 'compaction.size-ratio', 1, 0),
    writeOnly: bool(opts, 'write-only', false),
    manifestMergeMinCount: int(opts, 'manifest.merge-min-count', 30, 1),
    manifestTargetFileSize: opts['manifest.target-file-size']
      ? parseMemorySize(opts['manifest.target-file-size'], 'manifest.target-file-size')
      : 8 * MB,
  };
}
