/**
 * Snapshot expiry, Paimon-compatible (`ExpireSnapshotsImpl`): which snapshots go follows Paimon's
 * options and rules exactly; the deletion order is stricter than Paimon's so that a reader never
 * sees a half-deleted snapshot:
 *
 * 1. plan: read everything the deletion needs while all snapshots still exist;
 * 2. delete the expired snapshot files, oldest first, then move the EARLIEST hint — from here on no
 *    reader can start on an expired snapshot, and every retained snapshot is untouched. When the
 *    changelog outlives snapshots (`changelog.num-retained.*`, `changelog.time-retained` above the
 *    snapshot ones), each expired snapshot's JSON is first written to `changelog/changelog-N`;
 * 3. delete the data files only expired snapshots used (the DELETE entries of the expired deltas,
 *    minus anything the first retained snapshot or a tag still uses) and the changelog files of the
 *    expired snapshots — except what the long-lived changelog keeps: its changelog files, and with
 *    no changelog producer the appended files (which are the changelog) and the manifest lists;
 * 4. delete the manifests, manifest lists, index manifests, index files and statistics no retained
 *    snapshot or tag uses.
 *
 * Then, as Paimon's commit maintenance does, long-lived changelogs past their retention are expired
 * (expire-changelog.ts) and tags past their `tagTimeRetained` are deleted (tags.ts).
 *
 * Steps 3-4 can be deferred (`deferFileDeletion`) so a caller gives readers that resolved an
 * expired snapshot just before step 2 a grace period; files a crash leaves behind are unreferenced
 * and removed by orphan-file cleanup.
 */

import { FileKind } from '../format/manifest.ts';
import type { Snapshot } from '../format/snapshot.ts';
import { joinPath } from '../io/file-io.ts';
import { forgetCachedFile } from '../io/read-cache.ts';
import { ChangelogManager } from '../meta/changelog-manager.ts';
import { streamingIdentities } from '../meta/commit-identities.ts';
import { CommitUserManager } from '../meta/commit-user-manager.ts';
import type { TableContext } from '../meta/table-context.ts';
import { EddyError } from '../types/errors.ts';
import { expireChangelogs } from './expire-changelog.ts';
import { type ExpireConfig, type ExpireSnapshotsOptions, expireConfig } from './expire-config.ts';

export type { ExpireSnapshotsOptions } from './expire-config.ts';

import { type ConsumerRef, isNotFound, metadataOf, readConsumers, readTags, sortMetadata } from './references.ts';
import { expireTags } from './tags.ts';

export interface ExpireSnapshotsResult {
  /** Ids of the snapshots expired by this run, ascending. */
  readonly expired: number[];
  /** The earliest snapshot after this run (undefined for an empty table). */
  readonly earliestSnapshotId: number | undefined;
  /** Expired snapshots whose changelog was kept in `changelog/changelog-N` (decoupled changelog). */
  readonly changelogsKept: number[];
  /** Long-lived changelogs (`changelog/changelog-N`) expired by this run. */
  readonly expiredChangelogs: number[];
  /** Tags deleted because they were past their retention time (`tagTimeRetained`). */
  readonly expiredTags: string[];
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
  /**
   * Commit-user records (the last checkpoint of a streaming writer whose snapshots expired) removed
   * because the user's last commit is older than `eddy.commit-user.time-retained`.
   */
  readonly expiredCommitUsers: string[];
}

/**
 * Snapshots and manifests an expiry reads at once: on S3 each is a round trip of tens of ms, and
 * one run reads a few per expired snapshot (50 by default), which one at a time outlasted the
 * commits of a stream (issue 23).
 */
const READ_CONCURRENCY = 16;

/** `fn` of every item, at most `limit` at once; results in item order; the first failure rejects (after the running ones settle). */
async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  let failed: { e: unknown } | undefined;
  const lane = async () => {
    while (failed === undefined && next < items.length) {
      const i = next++;
      try {
        out[i] = await fn(items[i]);
      } catch (e) {
        failed ??= { e };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  if (failed) throw failed.e;
  return out;
}

/** Deletes issued at once: on S3 a delete is a round trip, and a stream expires dozens of files a second. */
const DELETE_CONCURRENCY = 16;

/**
 * Deletes files planned by an expiry, in the given order a slice of DELETE_CONCURRENCY at a time
 * (data files before the metadata that names them); missing files are fine.
 */
export async function deleteExpiredFiles(table: TableContext, files: readonly string[]): Promise<void> {
  for (let i = 0; i < files.length; i += DELETE_CONCURRENCY)
    await Promise.all(
      files.slice(i, i + DELETE_CONCURRENCY).map((f) => {
        forgetCachedFile(table.io, f);
        return table.io.delete(f);
      }),
    );
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

/**
 * Expires snapshots, then (decoupled changelog) long-lived changelogs, then tags past their
 * retention time — Paimon's commit maintenance, run on demand.
 */
export async function expireSnapshots(
  table: TableContext,
  options: ExpireSnapshotsOptions = {},
): Promise<ExpireSnapshotsResult> {
  const config = expireConfig(table, options);
  const now = options.now ?? Date.now();
  const { active, expired: expiredConsumers } = await activeConsumers(
    table,
    now,
    options.consumerExpirationTimeMs ?? table.schema.options.consumerExpirationTimeMs,
  );
  const snapshots = await expireSnapshotFiles(table, config, now, active);
  const changelogs = config.changelogDecoupled
    ? await expireChangelogs(table, config, now, active)
    : { expired: [], dataFiles: [], metadataFiles: [], dataFileCount: 0 };
  const files = [
    ...snapshots.dataFiles,
    ...snapshots.changelogFiles,
    ...changelogs.dataFiles,
    ...snapshots.metadataFiles,
    ...changelogs.metadataFiles,
  ];
  if (!options.deferFileDeletion) await deleteExpiredFiles(table, files);
  // Tags last, as Paimon's TagAutoManager runs after the expiry (deleting a tag cleans its files now).
  const expiredTags = table.schema.options.tagTimeExpireEnabled ? await expireTags(table, { now }) : [];
  const expiredCommitUsers = await expireCommitUsers(table, now, snapshots.earliest);
  return {
    expired: snapshots.expired,
    earliestSnapshotId: snapshots.earliest,
    changelogsKept: snapshots.changelogsKept,
    expiredChangelogs: changelogs.expired,
    expiredTags,
    deletedDataFiles: snapshots.dataFileCount,
    deletedChangelogFiles: snapshots.changelogFiles.length + changelogs.dataFileCount,
    deletedMetadataFiles: snapshots.metadataFiles.length + changelogs.metadataFiles.length,
    files,
    pendingFiles: options.deferFileDeletion ? files : [],
    expiredConsumers,
    expiredCommitUsers,
  };
}

/**
 * Removes the commit-user records whose last commit is older than `eddy.commit-user.time-retained`
 * and whose snapshot has expired (a retained snapshot of the user says more anyway).
 */
async function expireCommitUsers(table: TableContext, now: number, earliest: number | undefined): Promise<string[]> {
  const users = new CommitUserManager(table.io, table.path);
  const olderThan = now - table.schema.options.commitUserTimeRetainedMs;
  const expired: string[] = [];
  for (const { path, record } of await users.list()) {
    if (record.timeMillis >= olderThan || (earliest !== undefined && record.snapshotId >= earliest)) continue;
    await users.delete(path);
    expired.push(record.commitUser);
  }
  return expired;
}

/**
 * Before snapshots expire: raise each streaming commitUser's record to the highest identifier it
 * committed among them, so its exactly-once check survives the expiry (meta/commit-user-manager.ts).
 */
async function recordCommitUsers(table: TableContext, expiring: readonly Snapshot[]): Promise<void> {
  // Coalesced commits carry several users' checkpoints (meta/commit-identities.ts).
  const last = new Map<string, { identifier: bigint; snapshot: Snapshot }>();
  for (const s of expiring) {
    for (const c of streamingIdentities(s)) {
      const cur = last.get(c.commitUser);
      if (!cur || c.commitIdentifier > cur.identifier)
        last.set(c.commitUser, { identifier: c.commitIdentifier, snapshot: s });
    }
  }
  const users = new CommitUserManager(table.io, table.path);
  // One record per user, independent of the others: written at once.
  await mapBounded([...last], READ_CONCURRENCY, ([commitUser, { identifier, snapshot }]) =>
    users.raise({
      commitUser,
      commitIdentifier: identifier,
      snapshotId: snapshot.id,
      timeMillis: snapshot.timeMillis,
    }),
  );
}

interface SnapshotExpiry {
  readonly expired: number[];
  readonly earliest: number | undefined;
  readonly changelogsKept: number[];
  readonly dataFiles: string[];
  readonly dataFileCount: number;
  readonly changelogFiles: string[];
  readonly metadataFiles: string[];
}

const ignoreNotFound = (e: unknown): undefined => {
  if (isNotFound(e)) return undefined;
  throw e;
};

const noExpiry = (earliest: number | undefined): SnapshotExpiry => ({
  expired: [],
  earliest,
  changelogsKept: [],
  dataFiles: [],
  dataFileCount: 0,
  changelogFiles: [],
  metadataFiles: [],
});

/** Steps 1-2: plans what expiring snapshots frees and deletes the snapshot files; returns the rest to delete. */
async function expireSnapshotFiles(
  table: TableContext,
  config: ExpireConfig,
  now: number,
  consumers: readonly ConsumerRef[],
): Promise<SnapshotExpiry> {
  const snapshots = table.snapshots;
  const latest = await snapshots.latestSnapshotId();
  const earliest = await snapshots.earliestSnapshotId();
  if (latest === undefined || earliest === undefined) return noExpiry(undefined);

  // Paimon's window: [min, maxExclusive) may expire; stop at the first snapshot that is too young.
  const min = Math.max(latest - config.retainMax + 1, earliest);
  let maxExclusive = latest - config.retainMin + 1;
  if (!config.consumerChangelogOnly) for (const c of consumers) maxExclusive = Math.min(maxExclusive, c.nextSnapshot);
  maxExclusive = Math.min(maxExclusive, earliest + config.limit);
  const olderThan = now - config.timeRetainedMs;
  let end = maxExclusive;
  // READ_CONCURRENCY at a time rather than one by one, up to the first too young (the same answer).
  for (let from = min; from < maxExclusive && end === maxExclusive; from += READ_CONCURRENCY) {
    const ids = Array.from({ length: Math.min(READ_CONCURRENCY, maxExclusive - from) }, (_, i) => from + i);
    const times = await mapBounded(ids, READ_CONCURRENCY, async (id) =>
      // Another expiry may delete the snapshot between the two calls: then it is gone, as if absent.
      (await snapshots.snapshotExists(id))
        ? (await snapshots.snapshot(id).catch(ignoreNotFound))?.timeMillis
        : undefined,
    );
    const young = times.findIndex((t) => t !== undefined && olderThan <= t);
    if (young >= 0) end = ids[young];
  }
  const earliestHint = joinPath(snapshots.dir, 'EARLIEST');
  if (end <= earliest) {
    if (!(await table.io.exists(earliestHint))) await snapshots.writeEarliestHint(earliest);
    return noExpiry(earliest);
  }
  // The first to expire: above the highest id in [earliest, end) that is gone (Paimon walks down
  // from end - 1 one HEAD at a time; on S3 that is a round trip per snapshot, so they go at once).
  const ids = Array.from({ length: end - earliest }, (_, i) => earliest + i);
  const exists = await mapBounded(ids, READ_CONCURRENCY, (id) => snapshots.snapshotExists(id));
  const gone = exists.lastIndexOf(false);
  const begin = gone < 0 ? earliest : ids[gone] + 1;

  let plan: Awaited<ReturnType<typeof planDeletion>>;
  try {
    plan = await planDeletion(table, begin, end, config.changelogDecoupled);
  } catch (e) {
    if (!isNotFound(e)) throw e;
    // Another expiry removed what we were reading: it does this work. (Expiry deletes snapshots
    // oldest first, before any file they use, so then `begin` is gone too.)
    if (!(await snapshots.snapshotExists(begin))) return noExpiry(await snapshots.earliestSnapshotId());
    // Otherwise a snapshot or tag names a file that is gone: the table is damaged, and what it
    // would free can't be known. Refuse before deleting anything.
    throw new EddyError(
      'CORRUPT_FILE',
      `expiring snapshots ${begin}..${end - 1} of ${table.name}: a retained file is missing; nothing was expired (${(e as Error).message})`,
      { cause: e },
    );
  }

  // Exactly-once outlives the snapshots: each streaming user's last identifier among them is recorded first.
  await recordCommitUsers(table, plan.expiredSnapshots);

  // 2. Snapshot files first, oldest first, then the hint. A decoupled changelog is written before
  // its snapshot goes, so a change feed always finds one of them.
  const changelogs = new ChangelogManager(table.io, table.path);
  const expired: number[] = [];
  for (const s of plan.expiredSnapshots) {
    if (config.changelogDecoupled) {
      await changelogs.write(s);
      await changelogs.writeLatestHint(s.id);
    }
    await snapshots.deleteSnapshot(s.id);
    expired.push(s.id);
  }
  await snapshots.writeEarliestHint(end);
  return {
    expired,
    earliest: end,
    changelogsKept: config.changelogDecoupled ? [...expired] : [],
    dataFiles: plan.dataFiles,
    dataFileCount: plan.dataFileCount,
    changelogFiles: plan.changelogFiles,
    metadataFiles: plan.metadataFiles,
  };
}

/** What expiring snapshots [begin, end) frees, computed while everything still exists. */
async function planDeletion(table: TableContext, begin: number, end: number, decoupled: boolean) {
  const snapshots = table.snapshots;
  const paths = table.paths;
  const tags = await readTags(table);
  const endSnapshot = await snapshots.snapshot(end);
  const expiredSnapshots = await mapBounded(
    Array.from({ length: end - begin }, (_, i) => begin + i),
    READ_CONCURRENCY,
    (id) => snapshots.snapshot(id),
  );
  // With no changelog producer, a long-lived changelog is the delta of its snapshot: its appended
  // files and its base and delta manifest lists stay until the changelog expires (Paimon's
  // SnapshotDeletion with changelogDecoupled and produceChangelog = false).
  const keepAppended = decoupled && table.schema.options.changelogProducer === 'none';

  // Data files still in use: live in the first retained snapshot or in a tag. (A file a snapshot
  // after `end` uses is either live at `end` or newly added, and new files are never candidates.)
  // Every expired snapshot must merge cleanly (what `eddy verify` checks): a DELETE of a file its
  // chain never added means the metadata is not Paimon's, and what expiry would delete is unknown.
  await mapBounded(expiredSnapshots, READ_CONCURRENCY, async (s) => {
    try {
      await table.manifests.liveEntries(s);
    } catch (e) {
      if (!(e instanceof EddyError) || e.code !== 'CORRUPT_FILE') throw e;
      throw new EddyError(
        'CORRUPT_FILE',
        `expiring snapshots ${begin}..${end - 1} of ${table.name}: snapshot ${s.id} does not merge (eddy verify reports it); nothing was expired: ${e.message}`,
        { path: e.path, cause: e },
      );
    }
  });
  const inUse = new Set<string>();
  for (const s of [endSnapshot, ...tags.map((t) => t.snapshot)]) {
    for (const e of await table.manifests.liveEntries(s)) for (const p of paths.filesOf(e)) inUse.add(p);
  }

  // Data files: the DELETE entries of the deltas of (begin, end] — each was live in the snapshot
  // before and is not in this one — unless the same delta re-adds it (a level upgrade).
  const dataFiles: string[] = [];
  let dataFileCount = 0;
  const deltas = await mapBounded([...expiredSnapshots.slice(1), endSnapshot], READ_CONCURRENCY, (s) =>
    table.manifests.entriesOfList(s.deltaManifestList),
  );
  for (const delta of deltas) {
    const deleted = new Map<string, string[]>();
    for (const e of delta) {
      const [main, ...extra] = paths.filesOf(e);
      if (e.kind === FileKind.DELETE) {
        // Files of unknown source count as appended (Java's default).
        if (keepAppended && (e.file.fileSource ?? 0) === 0) continue;
        deleted.set(main, [main, ...extra]);
      } else deleted.delete(main);
    }
    for (const [main, all] of deleted) {
      if (inUse.has(main)) continue;
      dataFileCount++;
      for (const p of all) if (!inUse.has(p)) dataFiles.push(p);
    }
  }

  // Changelog files of the expired snapshots — unless a long-lived changelog keeps them.
  const changelogFiles: string[] = [];
  if (!decoupled) {
    for (const s of expiredSnapshots) {
      if (!s.changelogManifestList) continue;
      for (const e of await table.manifests.entriesOfList(s.changelogManifestList)) {
        if (e.kind === FileKind.ADD) changelogFiles.push(...paths.filesOf(e));
      }
    }
  }

  // Metadata: whatever the expired snapshots reference that the first retained snapshot and the
  // tags don't. (A manifest leaves the chain for good once a snapshot drops it, so `end` stands
  // for every later snapshot.) A long-lived changelog keeps its changelog manifest list, and with
  // no changelog producer its base and delta lists too.
  const indexCache = new Map<string, string[]>();
  const keep = new Set<string>();
  const keepMetadata = async (s: Snapshot) => {
    const m = await metadataOf(table, s, paths, indexCache);
    for (const f of m.manifestDirFiles) keep.add(table.manifests.path(f));
    for (const f of m.indexFiles) keep.add(f);
    for (const f of m.statistics) keep.add(paths.statisticsFile(f));
  };
  await keepMetadata(endSnapshot);
  for (const t of tags) await keepMetadata(t.snapshot);
  if (decoupled) {
    for (const s of expiredSnapshots) {
      const lists = [s.changelogManifestList, ...(keepAppended ? [s.baseManifestList, s.deltaManifestList] : [])];
      for (const l of lists) {
        if (!l) continue;
        keep.add(table.manifests.path(l));
        for (const m of await table.manifests.readManifestList(l)) keep.add(table.manifests.path(m.fileName));
      }
    }
  }
  const metadata = new Set<string>();
  const expiredMetadata = await mapBounded(expiredSnapshots, READ_CONCURRENCY, (s) =>
    metadataOf(table, s, paths, indexCache),
  );
  for (const m of expiredMetadata) {
    const candidates = [
      ...m.manifestDirFiles.map((f) => table.manifests.path(f)),
      ...m.indexFiles,
      ...m.statistics.map((f) => paths.statisticsFile(f)),
    ];
    for (const f of candidates) if (!keep.has(f)) metadata.add(f);
  }
  return { expiredSnapshots, dataFiles, dataFileCount, changelogFiles, metadataFiles: sortMetadata([...metadata]) };
}
