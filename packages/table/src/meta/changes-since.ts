/**
 * The delta entries of the snapshots committed after a known point: what a commit that lands later
 * than the snapshot it was planned or sequenced on checks against (Paimon's CommitScanner
 * readIncrementalChanges). Usually a handful; read side by side, since on S3 each snapshot, its
 * delta list and its manifests are round trips.
 */
import type { ManifestEntry } from '../format/manifest.ts';
import type { Snapshot } from '../format/snapshot.ts';
import { mapLimit } from '../io/map-limit.ts';
import { EddyError } from '../types/errors.ts';
import type { ManifestFiles } from './manifest-files.ts';
import type { SnapshotManager } from './snapshot-manager.ts';

/** Snapshots read at once: enough to cover a commit that fell a few seconds behind at 10 commits/s. */
const READ_CONCURRENCY = 16;

/**
 * The delta entries (ADD and DELETE) of the snapshots in (`from`, `to`], oldest first — or undefined
 * when one of them no longer exists (expired meanwhile): the caller then reads the live files of
 * `to`, which hold every change up to it.
 */
export async function deltaEntriesSince(
  snapshots: SnapshotManager,
  manifests: ManifestFiles,
  from: number,
  to: Snapshot,
): Promise<ManifestEntry[] | undefined> {
  const ids: number[] = [];
  for (let id = from + 1; id <= to.id; id++) ids.push(id);
  let gone = false;
  const perSnapshot = await mapLimit(ids, READ_CONCURRENCY, async (id) => {
    if (gone) return [];
    try {
      const s = id === to.id ? to : await snapshots.snapshot(id);
      return await manifests.entriesOfList(s.deltaManifestList);
    } catch (e) {
      if (!(e instanceof EddyError && e.code === 'NOT_FOUND')) throw e;
      gone = true;
      return [];
    }
  });
  return gone ? undefined : perSnapshot.flat();
}
