/**
 * Snapshot expiry, Paimon-compatible (`ExpireSnapshotsImpl`): which snapshots go follows Paimon's
 * options and rules exactly; the deletion order is stricter than Paimon's so that a reader never
 * sees a half-deleted snapshot:
 *
 * 1. plan: read everything the deletion needs while all snapshots still exist;
 * 2. delete the expired snapshot files, oldest first, then move the EARLIEST hint — from here on no
 *    reader can start on an expired snapshot, and every retained snapshot is untouched;
 * 3. delete the data files only expired snapshots used (the DELETE entries of the expired deltas,
 *    minus anything the first retained snapshot or a tag still uses) and the changelog files of the
 *    expired snapshots;
 * 4. delete the manifests, manifest lists, index manifests, index files and statistics no retained
 *    snapshot or tag uses.
 *
 * Steps 3-4 can be deferred (`deferFileDeletion`) so a caller gives readers that resolved an
 * expired snapshot just before step 2 a grace period; files a crash leaves behind are unreferenced
 * and removed by orphan-file cleanup.
 */

import { FileKind } from '../format/manifest.ts';
import { joinPath } from '../io/file-io.ts';
import type { TableContext } from '../meta/table-context.ts';
import { EddyError } from '../types/errors.ts';
import { type ConsumerRef, isNotFound, metadataOf, readConsumers, readTags } from './references.ts';

export interface ExpireSnapshotsOptions {
  /** `snapshot.num-retained.min` (default: the table option, 10). */
  readonly retainMin?: number;
  /** `snapshot.num-retained.max` (default: the table option, Integer.MAX_VALUE). */
  readonly retainMax?: number;
  /** `snapshot.time-retained` in ms (default: the table option, 1 h). */
  readonly timeRetainedMs?: number;
  /** `snapshot.expire.limit` (default: the table option, 50). */
  readonly expireLimit?: number;
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

export interface ExpireSnapshotsResult {
  /** Ids of the snapshots expired by this run, ascending. */
  readonly expired: number[];
  /** The earliest snapshot after this run (undefined for an empty table). */
  readonly earliestSnapshotId: number | undefined;
  readonly deletedDataFiles: number;
  readonly deletedChangelogFiles: number;
  /** Manifests, manifest lists, index manifests, index files and statistics files. */
  readonly deletedMetadataFiles: number;
  /** Every file deleted (or, with `deferFileDeletion`, to delete), data files first. */
  readonly files: string[];
  /** With `deferFileDeletion`: the files still to delete, in order. */
  readonly pendingFiles: string[];
  /** Consumers removed because they were older than `consumer.expiration-time`. */
  readonly expiredConsumers: string[];
}

const nothing = (earliest: number | undefined, expiredConsumers: string[]): ExpireSnapshotsResult => ({
  expired: [],
  earliestSnapshotId: earliest,
  deletedDataFiles: 0,
  deletedChangelogFiles: 0,
  deletedMetadataFiles: 0,
  files: [],
  pendingFiles: [],
  expiredConsumers,
});

/** Deletes files planned by an expiry (in the given order); missing files are fine. */
export async function deleteExpiredFiles(table: TableContext, files: readonly string[]): Promise<void> {
  for (const f of files) await table.io.delete(f);
}

async function activeConsumers(
  table: TableContext,
  now: number,
  expirationMs: number | undefined,
): Promise<{ active: ConsumerRef[]; expired: string[] }> {
  const all = await readConsumers(table);
  if (expirationMs === undefined) return { active: all, expired: [] };
  const active: ConsumerRef[] = [];
  const expired: string[] = [];
  for (const c of all) {
    if (c.modifiedMillis < now - expirationMs) {
      await table.io.delete(c.path);
      expired.push(c.id);
    } else active.push(c);
  }
  return { active, expired };
}

export async function expireSnapshots(
  table: TableContext,
  options: ExpireSnapshotsOptions = {},
): Promise<ExpireSnapshotsResult> {
  const o = table.schema.options;
  const retainMin = options.retainMin ?? o.snapshotNumRetainedMin;
  const retainMax = options.retainMax ?? o.snapshotNumRetainedMax;
  const timeRetained = options.timeRetainedMs ?? o.snapshotTimeRetainedMs;
  const limit = options.expireLimit ?? o.snapshotExpireLimit;
  const now = options.now ?? Date.now();
  if (!(retainMin >= 1) || !(retainMax >= retainMin) || !(limit >= 1)) {
    throw new RangeError(`expireSnapshots: need 1 ≤ retainMin ≤ retainMax and limit ≥ 1`);
  }
  const snapshots = table.snapshots;

  const { active, expired: expiredConsumers } = await activeConsumers(
    table,
    now,
    options.consumerExpirationTimeMs ?? o.consumerExpirationTimeMs,
  );
  const latest = await snapshots.latestSnapshotId();
  const earliest = await snapshots.earliestSnapshotId();
  if (latest === undefined || earliest === undefined) return nothing(undefined, expiredConsumers);

  // Paimon's window: [min, maxExclusive) may expire; stop at the first snapshot that is too young.
  const min = Math.max(latest - retainMax + 1, earliest);
  let maxExclusive = latest - retainMin + 1;
  for (const c of active) maxExclusive = Math.min(maxExclusive, c.nextSnapshot);
  maxExclusive = Math.min(maxExclusive, earliest + limit);
  const olderThan = now - timeRetained;
  let end = maxExclusive;
  for (let id = min; id < maxExclusive; id++) {
    if (!(await snapshots.snapshotExists(id))) continue;
    if (olderThan <= (await snapshots.snapshot(id)).timeMillis) {
      end = id;
      break;
    }
  }
  const earliestHint = joinPath(snapshots.dir, 'EARLIEST');
  if (end <= earliest) {
    if (!(await table.io.exists(earliestHint))) await snapshots.writeEarliestHint(earliest);
    return nothing(earliest, expiredConsumers);
  }
  let begin = earliest;
  for (let id = end - 1; id >= earliest; id--) {
    if (!(await snapshots.snapshotExists(id))) {
      begin = id + 1;
      break;
    }
  }

  let plan: Awaited<ReturnType<typeof planDeletion>>;
  try {
    plan = await planDeletion(table, begin, end);
  } catch (e) {
    if (!isNotFound(e)) throw e;
    // Another expiry removed what we were reading: it does this work. (Expiry deletes snapshots
    // oldest first, before any file they use, so then `begin` is gone too.)
    if (!(await snapshots.snapshotExists(begin)))
      return nothing(await snapshots.earliestSnapshotId(), expiredConsumers);
    // Otherwise a snapshot or tag names a file that is gone: the table is damaged, and what it
    // would free can't be known. Refuse before deleting anything.
    throw new EddyError(
      'CORRUPT_FILE',
      `expiring snapshots ${begin}..${end - 1} of ${table.name}: a retained file is missing; nothing was expired (${(e as Error).message})`,
      { cause: e },
    );
  }

  // 2. Snapshot files first, oldest first, then the hint.
  const expired: number[] = [];
  for (let id = begin; id < end; id++) {
    await snapshots.deleteSnapshot(id);
    expired.push(id);
  }
  await snapshots.writeEarliestHint(end);

  // 3-4. Then what only they used.
  const files = [...plan.dataFiles, ...plan.changelogFiles, ...plan.metadataFiles];
  if (!options.deferFileDeletion) await deleteExpiredFiles(table, files);
  return {
    expired,
    earliestSnapshotId: end,
    deletedDataFiles: plan.dataFileCount,
    deletedChangelogFiles: plan.changelogFiles.length,
    deletedMetadataFiles: plan.metadataFiles.length,
    files,
    pendingFiles: options.deferFileDeletion ? files : [],
    expiredConsumers,
  };
}

/** What expiring snapshots [begin, end) frees, computed while everything still exists. */
async function planDeletion(table: TableContext, begin: number, end: number) {
  const snapshots = table.snapshots;
  const paths = table.paths;
  const tags = await readTags(table);
  const endSnapshot = await snapshots.snapshot(end);

  // Data files still in use: live in the first retained snapshot or in a tag. (A file a snapshot
  // after `end` uses is either live at `end` or newly added, and new files are never candidates.)
  const inUse = new Set<string>();
  for (const s of [endSnapshot, ...tags.map((t) => t.snapshot)]) {
    for (const e of await table.manifests.liveEntries(s)) for (const p of paths.filesOf(e)) inUse.add(p);
  }

  // Data files: the DELETE entries of the deltas of (begin, end] — each was live in the snapshot
  // before and is not in this one — unless the same delta re-adds it (a level upgrade).
  const dataFiles: string[] = [];
  let dataFileCount = 0;
  for (let id = begin + 1; id <= end; id++) {
    const s = await snapshots.snapshot(id);
    const deleted = new Map<string, string[]>();
    for (const e of await table.manifests.entriesOfList(s.deltaManifestList)) {
      const [main, ...extra] = paths.filesOf(e);
      if (e.kind === FileKind.DELETE) deleted.set(main, [main, ...extra]);
      else deleted.delete(main);
    }
    for (const [main, all] of deleted) {
      if (inUse.has(main)) continue;
      dataFileCount++;
      for (const p of all) if (!inUse.has(p)) dataFiles.push(p);
    }
  }

  // Changelog files of the expired snapshots (no decoupled changelog retention).
  const changelogFiles: string[] = [];
  for (let id = begin; id < end; id++) {
    const s = await snapshots.snapshot(id);
    if (!s.changelogManifestList) continue;
    for (const e of await table.manifests.entriesOfList(s.changelogManifestList)) {
      if (e.kind === FileKind.ADD) changelogFiles.push(...paths.filesOf(e));
    }
  }

  // Metadata: whatever the expired snapshots reference that the first retained snapshot and the
  // tags don't. (A manifest leaves the chain for good once a snapshot drops it, so `end` stands
  // for every later snapshot.)
  const indexCache = new Map<string, string[]>();
  const keep = new Set<string>();
  const keepMetadata = async (s: (typeof tags)[number]['snapshot']) => {
    const m = await metadataOf(table, s, paths, indexCache);
    for (const f of m.manifestDirFiles) keep.add(table.manifests.path(f));
    for (const f of m.indexFiles) keep.add(f);
    for (const f of m.statistics) keep.add(paths.statisticsFile(f));
  };
  await keepMetadata(endSnapshot);
  for (const t of tags) await keepMetadata(t.snapshot);
  const metadata = new Set<string>();
  for (let id = begin; id < end; id++) {
    const m = await metadataOf(table, await snapshots.snapshot(id), paths, indexCache);
    const candidates = [
      ...m.manifestDirFiles.map((f) => table.manifests.path(f)),
      ...m.indexFiles,
      ...m.statistics.map((f) => paths.statisticsFile(f)),
    ];
    for (const f of candidates) if (!keep.has(f)) metadata.add(f);
  }
  // Leaves first (index files, manifests), the files naming them last: a crash part-way leaves
  // only unreferenced files, which orphan cleanup finds from the lists that remain.
  const rank = (p: string) => {
    const n = p.slice(p.lastIndexOf('/') + 1);
    return n.startsWith('manifest-list-') ? 3 : n.startsWith('index-manifest-') ? 2 : n.startsWith('manifest-') ? 1 : 0;
  };
  const metadataFiles = [...metadata].sort((a, b) => rank(a) - rank(b));
  return { dataFiles, dataFileCount, changelogFiles, metadataFiles };
}
