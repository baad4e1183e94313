/**
 * Expiry of long-lived changelogs (`changelog/changelog-N`), Paimon-compatible
 * (`ExpireChangelogImpl`): run after snapshot expiry when the changelog outlives snapshots.
 *
 * The window follows Java: changelogs from the earliest one up to (not including) the first that
 * `changelog.num-retained.min` (counted back from the latest snapshot), a consumer, the expire limit
 * or `changelog.time-retained` protects — never the latest changelog. What an expired changelog
 * frees: its changelog files (with a changelog producer), else the files its delta deleted (the
 * appended files snapshot expiry kept for it); its manifest lists and manifests unless the next
 * changelog, the earliest snapshot or a tag uses them.
 *
 * Order as for snapshots: plan, delete the `changelog-N` files oldest first and move the EARLIEST
 * hint, then the data files and metadata (returned to the caller, which may defer them).
 */
import { FileKind } from '../format/manifest.ts';
import type { Snapshot } from '../format/snapshot.ts';
import { ChangelogManager } from '../meta/changelog-manager.ts';
import type { TableContext } from '../meta/table-context.ts';
import type { ExpireConfig } from './expire-snapshots.ts';
import { type ConsumerRef, isNotFound, metadataOf, readTags, sortMetadata } from './references.ts';

export interface ChangelogExpiry {
  readonly expired: number[];
  readonly dataFiles: string[];
  readonly dataFileCount: number;
  readonly metadataFiles: string[];
}

const none: ChangelogExpiry = { expired: [], dataFiles: [], dataFileCount: 0, metadataFiles: [] };

export async function expireChangelogs(
  table: TableContext,
  config: ExpireConfig,
  now: number,
  consumers: readonly ConsumerRef[],
): Promise<ChangelogExpiry> {
  const snapshots = table.snapshots;
  const changelogs = new ChangelogManager(table.io, table.path);
  const latestSnapshot = await snapshots.latestSnapshotId();
  const earliestSnapshot = await snapshots.earliestSnapshotId();
  const latest = await changelogs.latestId();
  const earliest = await changelogs.earliestId();
  if (latestSnapshot === undefined || earliestSnapshot === undefined || latest === undefined || earliest === undefined)
    return none;

  const min = Math.max(latestSnapshot - config.changelogRetainMax + 1, earliest);
  let maxExclusive = latestSnapshot - config.changelogRetainMin + 1;
  // Consumers always protect the changelog they have not read yet.
  for (const c of consumers) maxExclusive = Math.min(maxExclusive, c.nextSnapshot);
  maxExclusive = Math.min(maxExclusive, earliest + config.limit);
  // Only changelogs in the changelog directory, and never the latest of them.
  maxExclusive = Math.min(maxExclusive, latest);
  const olderThan = now - config.changelogTimeRetainedMs;
  let end = maxExclusive;
  for (let id = min; id <= maxExclusive; id++) {
    const c = await changelogs.tryRead(id);
    if (c && olderThan <= c.timeMillis) {
      end = id;
      break;
    }
  }
  if (end <= earliest) return none;

  // 1. Plan while everything exists.
  const expiring: Snapshot[] = [];
  for (let id = earliest; id < end; id++) {
    const c = await changelogs.tryRead(id);
    if (c) expiring.push(c);
  }
  const endChangelog = await changelogs.tryRead(end);
  const tags = await readTags(table);
  const paths = table.paths;
  const manifests = table.manifests;
  const tryEntries = async (list: string) => {
    try {
      return await manifests.entriesOfList(list);
    } catch (e) {
      if (isNotFound(e)) return undefined; // cleaned already (Java checks existence too)
      throw e;
    }
  };

  // What stays: the metadata of the next changelog, the earliest snapshot and the tags, and the
  // live files of the latter two (a superset of Java's neighbouring tags: deleting less is safe).
  const keepFiles = new Set<string>();
  const keepMetadata = new Set<string>();
  const indexCache = new Map<string, string[]>();
  const earliestSnapshotObj = await snapshots.snapshot(earliestSnapshot);
  for (const s of [...tags.map((t) => t.snapshot), earliestSnapshotObj]) {
    const m = await metadataOf(table, s, paths, indexCache);
    for (const f of m.manifestDirFiles) keepMetadata.add(manifests.path(f));
    for (const f of m.indexFiles) keepMetadata.add(f);
    for (const f of m.statistics) keepMetadata.add(paths.statisticsFile(f));
    for (const e of await manifests.liveEntries(s)) for (const p of paths.filesOf(e)) keepFiles.add(p);
  }
  // The next changelog keeps its lists (a producer's changelog has only its changelog list left).
  for (const l of [
    endChangelog?.baseManifestList,
    endChangelog?.deltaManifestList,
    endChangelog?.changelogManifestList,
  ]) {
    if (!l) continue;
    try {
      const metas = await manifests.readManifestList(l);
      keepMetadata.add(manifests.path(l));
      for (const f of metas) keepMetadata.add(manifests.path(f.fileName));
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  const dataFiles: string[] = [];
  let dataFileCount = 0;
  const metadata = new Set<string>();
  const dropList = async (list: string | null | undefined) => {
    if (!list) return;
    const path = manifests.path(list);
    if (!keepMetadata.has(path)) metadata.add(path);
    try {
      for (const m of await manifests.readManifestList(list)) {
        const p = manifests.path(m.fileName);
        if (!keepMetadata.has(p)) metadata.add(p);
      }
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  };
  for (const c of expiring) {
    if (c.changelogManifestList) {
      // A producer's changelog files: every ADD of the changelog manifests.
      for (const e of (await tryEntries(c.changelogManifestList)) ?? []) {
        if (e.kind !== FileKind.ADD) continue;
        dataFileCount++;
        dataFiles.push(...paths.filesOf(e));
      }
      await dropList(c.changelogManifestList);
    } else {
      // No producer: the files this snapshot's delta deleted that snapshot expiry kept for the
      // changelog (unless the same delta re-added them, or someone still uses them).
      const deleted = new Map<string, string[]>();
      for (const e of (await tryEntries(c.deltaManifestList)) ?? []) {
        const [main, ...extra] = paths.filesOf(e);
        if (e.kind === FileKind.DELETE) deleted.set(main, [main, ...extra]);
        else deleted.delete(main);
      }
      for (const [main, all] of deleted) {
        if (keepFiles.has(main)) continue;
        dataFileCount++;
        for (const p of all) if (!keepFiles.has(p)) dataFiles.push(p);
      }
      await dropList(c.deltaManifestList);
      await dropList(c.baseManifestList);
    }
  }

  // 2. The changelog files, oldest first, then the hint.
  const expired: number[] = [];
  for (const c of expiring) {
    await changelogs.delete(c.id);
    expired.push(c.id);
  }
  await changelogs.writeEarliestHint(end);
  return { expired, dataFiles, dataFileCount, metadataFiles: sortMetadata([...metadata]) };
}
