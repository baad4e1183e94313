import { EddyError } from '../types/errors.ts';
import { checkSupported, withFallbackKeys } from './registry.ts';

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
  /** `sequence.field.sort-order` = descending: the smaller sequence.field value is the newer record. */
  readonly sequenceFieldDescending: boolean;
  /** `ignore-update-before`: -U records are dropped on write. */
  readonly ignoreUpdateBefore: boolean;
  /** `aggregation.remove-record-on-delete`: a -D removes the row of an aggregation table. */
  readonly aggregationRemoveRecordOnDelete: boolean;
  /** `partial-update.remove-record-on-delete`: a -D removes the row of a partial-update table. */
  readonly partialUpdateRemoveRecordOnDelete: boolean;
  /** `partial-update.remove-record-on-sequence-group`: sequence fields whose newer -D removes the row. */
  readonly partialUpdateRemoveRecordOnSequenceGroup: readonly string[];
  /** `fields.<seq,...>.sequence-group` = `<cols>` (partial-update), in option order. */
  readonly sequenceGroups: readonly SequenceGroup[];
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
  /**
   * `target-file-size` of a table without primary key: the option, else Paimon's 256 MB for append
   * tables (CoreOptions.targetFileSize(false); `targetFileSize` holds the primary-key default).
   */
  readonly appendTargetFileSize: number;
  /** `compaction.min.file-num` (5): files an append-table compaction waits for. */
  readonly compactionMinFileNum: number;
  /** `compaction.force-rewrite-all-files`: a full append compaction rewrites large files too. */
  readonly compactionForceRewriteAllFiles: boolean;
  /** `source.split.open-file-cost` (4 MB): the size a file counts for beyond its bytes when packed. */
  readonly splitOpenFileCost: number;
  /** `write-only`: writers never compact (a separate compactor does). */
  readonly writeOnly: boolean;
  /**
   * `dynamic-partition-overwrite` (true): an overwrite without a static partition replaces only the
   * partitions it writes to; false: the whole table.
   */
  readonly dynamicPartitionOverwrite: boolean;
  readonly manifestMergeMinCount: number;
  readonly manifestTargetFileSize: number;
  /** `manifest.full-compaction-threshold-size` (16 MB): manifests to change that trigger a full merge. */
  readonly manifestFullCompactionThresholdSize: number;
  /** `snapshot.num-retained.min` (10): expiry always keeps at least this many newest snapshots. */
  readonly snapshotNumRetainedMin: number;
  /** `snapshot.num-retained.max` (Integer.MAX_VALUE): expiry keeps at most this many. */
  readonly snapshotNumRetainedMax: number;
  /** `snapshot.time-retained` (1 h): snapshots younger than this are kept (within min/max). */
  readonly snapshotTimeRetainedMs: number;
  /** `snapshot.expire.limit` (50): at most this many snapshots are expired per run. */
  readonly snapshotExpireLimit: number;
  /**
   * `snapshot.expire.execution-mode`: when set, a writer that is not `write-only` expires snapshots
   * after its commits, waiting for it (sync) or beside it (async). Unset: Eddy's writers leave
   * expiry to `expireSnapshots` and the compactor (Paimon's writers run it, sync, unless write-only).
   */
  readonly snapshotExpireExecutionMode: 'sync' | 'async' | undefined;
  /** `consumer.expiration-time`: consumers not updated for this long stop protecting snapshots. */
  readonly consumerExpirationTimeMs: number | undefined;
  /** `changelog.num-retained.min` (default: `snapshot.num-retained.min`). */
  readonly changelogNumRetainedMin: number;
  /** `changelog.num-retained.max` (default: `snapshot.num-retained.max`). */
  readonly changelogNumRetainedMax: number;
  /** `changelog.time-retained` (default: `snapshot.time-retained`). */
  readonly changelogTimeRetainedMs: number;
  /**
   * Whether changelog outlives snapshots (Paimon's `changelogLifecycleDecoupled`): any changelog
   * retention above the snapshot one. Expiry then keeps expired snapshots' changelog in
   * `changelog/changelog-N` files.
   */
  readonly changelogDecoupled: boolean;
  /** `consumer.changelog-only` (false; only with decoupled changelog): consumers protect changelog, not snapshots. */
  readonly consumerChangelogOnly: boolean;
  /** `tag.default-time-retained`: the retention time of new tags (none by default: kept until deleted). */
  readonly tagDefaultTimeRetainedMs: number | undefined;
  /** `tag.time-expire-enabled` (true): expiry deletes tags past their retention time. */
  readonly tagTimeExpireEnabled: boolean;
  /** `tag.automatic-creation` (none): Paimon commits create tags by time; Eddy writes refuse other values. */
  readonly tagAutomaticCreation: string;
  /**
   * `eddy.commit-user.time-retained` (30 d; an Eddy option, which Paimon ignores): how long after a
   * streaming writer's last commit its commit-user record — the last checkpoint it committed, for
   * exactly-once after its snapshots expired — is kept. Longer than any writer stays down.
   */
  readonly commitUserTimeRetainedMs: number;
  /**
   * `eddy.commit.coalesce-ms` (0: off; an Eddy option): streaming commits of this table by writers
   * sharing a FileIO that arrive within this window publish one snapshot (commit/commit-coalescer.ts).
   */
  readonly commitCoalesceMs: number;
}

/** A partial-update sequence group: `fields` update only when `sequenceFields` are not older. */
export interface SequenceGroup {
  readonly sequenceFields: readonly string[];
  readonly fields: readonly string[];
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

const DURATION_UNITS: Record<string, number> = {
  ms: 1,
  milli: 1,
  millis: 1,
  millisecond: 1,
  milliseconds: 1,
  s: 1000,
  sec: 1000,
  secs: 1000,
  second: 1000,
  seconds: 1000,
  m: 60_000,
  min: 60_000,
  mins: 60_000,
  minute: 60_000,
  minutes: 60_000,
  h: 3_600_000,
  hour: 3_600_000,
  hours: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
  days: 86_400_000,
};

/**
 * Durations as Paimon writes them — `10 s`, `1 h`, `30min`, `2 days` — in milliseconds, or
 * undefined when `text` is not one. A bare number is in `bareUnit` (milliseconds, as in Paimon);
 * `fractions` admits `1.5 s` (tools do; table options do not, Paimon's parser refuses them).
 */
export function durationMillis(
  text: string,
  options: { bareUnit?: 'ms' | 's'; fractions?: boolean } = {},
): number | undefined {
  const m = (options.fractions ? /^\s*(\d+(?:\.\d+)?)\s*([a-z]+)?\s*$/i : /^\s*(\d+)\s*([a-z]+)?\s*$/i).exec(text);
  const mult = m ? DURATION_UNITS[(m[2] ?? options.bareUnit ?? 'ms').toLowerCase()] : undefined;
  return m && mult !== undefined ? Math.round(Number(m[1]) * mult) : undefined;
}

/** A duration-valued table option (see durationMillis). */
export function parseDuration(value: string, key: string): number {
  const ms = durationMillis(value);
  if (ms === undefined)
    throw new EddyError('INVALID_OPTION', `option '${key}': cannot parse duration '${value}' (e.g. 10 s, 1 h)`);
  return ms;
}

function int(opts: Readonly<Record<string, string>>, key: string, def: number, min = -Infinity): number {
  const v = opts[key];
  if (v === undefined) return def;
  if (!/^\s*-?\d+\s*$/.test(v))
    throw new EddyError('INVALID_OPTION', `option '${key}': expected an integer, got '${v}'`);
  const n = Number(v);
  // Paimon's integer options are Java ints.
  if (n > 2147483647 || n < -2147483648)
    throw new EddyError('INVALID_OPTION', `option '${key}': ${v.trim()} is out of the integer range`);
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

/**
 * The typed view of a table's options. Refuses (UNSUPPORTED) options that change semantics Eddy
 * does not implement (see the registry), so every schema Eddy builds or reads is one it honours.
 */
export function parseCoreOptions(given: Readonly<Record<string, string>>): CoreOptions {
  const opts = withFallbackKeys(given);
  for (const [k, v] of Object.entries(opts)) {
    if (typeof v !== 'string')
      throw new EddyError('INVALID_OPTION', `option '${k}': values must be strings, got ${typeof v}`);
  }
  checkSupported(opts, 'read');
  const sequenceGroups: SequenceGroup[] = [];
  for (const [k, v] of Object.entries(opts)) {
    const m = /^fields\.(.+)\.sequence-group$/.exec(k);
    if (m) sequenceGroups.push({ sequenceFields: list(m[1]), fields: list(v) });
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
  const retainMin = int(opts, 'snapshot.num-retained.min', 10, 1);
  const retainMax = int(opts, 'snapshot.num-retained.max', 2147483647, 1);
  if (retainMax < retainMin) {
    throw new EddyError(
      'INVALID_OPTION',
      `option 'snapshot.num-retained.max' (${retainMax}) must not be smaller than 'snapshot.num-retained.min' (${retainMin})`,
    );
  }
  const snapshotTimeRetainedMs = opts['snapshot.time-retained']
    ? parseDuration(opts['snapshot.time-retained'], 'snapshot.time-retained')
    : 3_600_000;
  const changelogMin = int(opts, 'changelog.num-retained.min', retainMin, 1);
  const changelogMax = int(opts, 'changelog.num-retained.max', retainMax, 1);
  if (changelogMax < changelogMin) {
    throw new EddyError(
      'INVALID_OPTION',
      `option 'changelog.num-retained.max' (${changelogMax}) must not be smaller than 'changelog.num-retained.min' (${changelogMin})`,
    );
  }
  const changelogTimeRetainedMs = opts['changelog.time-retained']
    ? parseDuration(opts['changelog.time-retained'], 'changelog.time-retained')
    : snapshotTimeRetainedMs;
  const changelogDecoupled =
    changelogMax > retainMax || changelogTimeRetainedMs > snapshotTimeRetainedMs || changelogMin > retainMin;
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
    sequenceFieldDescending:
      oneOf(opts, 'sequence.field.sort-order', ['ascending', 'descending'] as const, 'ascending') === 'descending',
    ignoreUpdateBefore: bool(opts, 'ignore-update-before', false),
    aggregationRemoveRecordOnDelete: bool(opts, 'aggregation.remove-record-on-delete', false),
    partialUpdateRemoveRecordOnDelete: bool(opts, 'partial-update.remove-record-on-delete', false),
    partialUpdateRemoveRecordOnSequenceGroup: list(opts['partial-update.remove-record-on-sequence-group']),
    sequenceGroups,
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
    appendTargetFileSize: opts['target-file-size']
      ? parseMemorySize(opts['target-file-size'], 'target-file-size')
      : 256 * MB,
    compactionMinFileNum: int(opts, 'compaction.min.file-num', 5, 1),
    compactionForceRewriteAllFiles: bool(opts, 'compaction.force-rewrite-all-files', false),
    splitOpenFileCost: opts['source.split.open-file-cost']
      ? parseMemorySize(opts['source.split.open-file-cost'], 'source.split.open-file-cost')
      : 4 * MB,
    writeOnly: bool(opts, 'write-only', false),
    dynamicPartitionOverwrite: bool(opts, 'dynamic-partition-overwrite', true),
    manifestMergeMinCount: int(opts, 'manifest.merge-min-count', 30, 1),
    manifestTargetFileSize: opts['manifest.target-file-size']
      ? parseMemorySize(opts['manifest.target-file-size'], 'manifest.target-file-size')
      : 8 * MB,
    manifestFullCompactionThresholdSize: opts['manifest.full-compaction-threshold-size']
      ? parseMemorySize(opts['manifest.full-compaction-threshold-size'], 'manifest.full-compaction-threshold-size')
      : 16 * MB,
    snapshotNumRetainedMin: retainMin,
    snapshotNumRetainedMax: retainMax,
    snapshotTimeRetainedMs,
    snapshotExpireLimit: int(opts, 'snapshot.expire.limit', 50, 1),
    snapshotExpireExecutionMode:
      opts['snapshot.expire.execution-mode'] === undefined
        ? undefined
        : oneOf(opts, 'snapshot.expire.execution-mode', ['sync', 'async'] as const, 'sync'),
    consumerExpirationTimeMs: opts['consumer.expiration-time']
      ? parseDuration(opts['consumer.expiration-time'], 'consumer.expiration-time')
      : undefined,
    changelogNumRetainedMin: changelogMin,
    changelogNumRetainedMax: changelogMax,
    changelogTimeRetainedMs,
    changelogDecoupled,
    consumerChangelogOnly: bool(opts, 'consumer.changelog-only', false) && changelogDecoupled,
    tagDefaultTimeRetainedMs: opts['tag.default-time-retained']
      ? parseDuration(opts['tag.default-time-retained'], 'tag.default-time-retained')
      : undefined,
    tagTimeExpireEnabled: bool(opts, 'tag.time-expire-enabled', true),
    tagAutomaticCreation: (opts['tag.automatic-creation'] ?? 'none').trim().toLowerCase(),
    commitUserTimeRetainedMs: opts['eddy.commit-user.time-retained']
      ? parseDuration(opts['eddy.commit-user.time-retained'], 'eddy.commit-user.time-retained')
      : 30 * 86_400_000,
    commitCoalesceMs: opts['eddy.commit.coalesce-ms']
      ? parseDuration(opts['eddy.commit.coalesce-ms'], 'eddy.commit.coalesce-ms')
      : 0,
  };
}
