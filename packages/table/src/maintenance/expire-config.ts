/** The retention rules of a snapshot/changelog expiry run (Paimon's ExpireConfig). */
import type { TableContext } from '../meta/table-context.ts';

export interface ExpireSnapshotsOptions {
  /** `snapshot.num-retained.min` (default: the table option, 10). */
  readonly retainMin?: number;
  /** `snapshot.num-retained.max` (default: the table option, Integer.MAX_VALUE). */
  readonly retainMax?: number;
  /** `snapshot.time-retained` in ms (default: the table option, 1 h). */
  readonly timeRetainedMs?: number;
  /** `snapshot.expire.limit` (default: the table option, 50); also limits changelog expiry. */
  readonly expireLimit?: number;
  /** `changelog.num-retained.min` (default: the table option, else the snapshot one). */
  readonly changelogRetainMin?: number;
  /** `changelog.num-retained.max` (default: the table option, else the snapshot one). */
  readonly changelogRetainMax?: number;
  /** `changelog.time-retained` in ms (default: the table option, else the snapshot one). */
  readonly changelogTimeRetainedMs?: number;
  /** `consumer.expiration-time` in ms (default: the table option; unset = consumers never expire). */
  readonly consumerExpirationTimeMs?: number;
  /** The clock (tests). */
  readonly now?: number;
  /**
   * Delete only the snapshot files now and return the other files in `pendingFiles`, for the
   * caller to delete after a grace period with `deleteExpiredFiles`.
   */
  readonly deferFileDeletion?: boolean;
}

/** The retention rules of one run: the table's options overridden by the caller's (Paimon's ExpireConfig). */
export interface ExpireConfig {
  readonly retainMin: number;
  readonly retainMax: number;
  readonly timeRetainedMs: number;
  readonly limit: number;
  readonly changelogRetainMin: number;
  readonly changelogRetainMax: number;
  readonly changelogTimeRetainedMs: number;
  /** Changelog retention above the snapshot one: expiry keeps changelog in `changelog/`. */
  readonly changelogDecoupled: boolean;
  readonly consumerChangelogOnly: boolean;
}

export function expireConfig(table: TableContext, options: ExpireSnapshotsOptions): ExpireConfig {
  const o = table.schema.options;
  const raw = table.schema.rawOptions;
  const retainMin = options.retainMin ?? o.snapshotNumRetainedMin;
  const retainMax = options.retainMax ?? o.snapshotNumRetainedMax;
  const timeRetainedMs = options.timeRetainedMs ?? o.snapshotTimeRetainedMs;
  const limit = options.expireLimit ?? o.snapshotExpireLimit;
  // Unset changelog options follow the snapshot ones of this run (ExpireConfig.Builder.build).
  const changelogRetainMin =
    options.changelogRetainMin ?? (raw['changelog.num-retained.min'] ? o.changelogNumRetainedMin : retainMin);
  const changelogRetainMax =
    options.changelogRetainMax ?? (raw['changelog.num-retained.max'] ? o.changelogNumRetainedMax : retainMax);
  const changelogTimeRetainedMs =
    options.changelogTimeRetainedMs ?? (raw['changelog.time-retained'] ? o.changelogTimeRetainedMs : timeRetainedMs);
  if (!(retainMin >= 1) || !(retainMax >= retainMin) || !(limit >= 1)) {
    throw new RangeError(`expireSnapshots: need 1 ≤ retainMin ≤ retainMax and limit ≥ 1`);
  }
  if (!(changelogRetainMin >= 1) || !(changelogRetainMax >= changelogRetainMin)) {
    throw new RangeError(`expireSnapshots: need 1 ≤ changelogRetainMin ≤ changelogRetainMax`);
  }
  const changelogDecoupled =
    changelogRetainMax > retainMax || changelogRetainMin > retainMin || changelogTimeRetainedMs > timeRetainedMs;
  return {
    retainMin,
    retainMax,
    timeRetainedMs,
    limit,
    changelogRetainMin,
    changelogRetainMax,
    changelogTimeRetainedMs,
    changelogDecoupled,
    consumerChangelogOnly: changelogDecoupled && (raw['consumer.changelog-only'] ?? '').trim() === 'true',
  };
}
