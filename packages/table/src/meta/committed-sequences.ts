/**
 * The sequence numbers other commits used, per (partition, bucket): what a writer's rows must rank
 * above so that, for the same key, the later commit wins (spec/format.md §7.2). Read from the delta
 * manifests of the snapshots committed since a known point — usually a handful — and from the live
 * files of the latest snapshot when one of those snapshots has expired meanwhile.
 */
import { FileKind, type ManifestEntry } from '../format/manifest.ts';
import type { Snapshot } from '../format/snapshot.ts';
import { deltaEntriesSince } from './changes-since.ts';
import type { ManifestFiles } from './manifest-files.ts';
import type { SnapshotManager } from './snapshot-manager.ts';

export const bucketKeyOf = (partitionBytes: Uint8Array, bucket: number): string =>
  `${Buffer.from(partitionBytes.buffer, partitionBytes.byteOffset, partitionBytes.byteLength).toString('base64')}/${bucket}`;

/** Max `_MAX_SEQUENCE_NUMBER` per bucket key among `entries` (ADD entries only). */
export function maxSequences(entries: Iterable<ManifestEntry>, into = new Map<string, bigint>()): Map<string, bigint> {
  for (const e of entries) {
    if (e.kind !== FileKind.ADD) continue;
    const k = bucketKeyOf(e.partition, e.bucket);
    const cur = into.get(k);
    if (cur === undefined || e.file.maxSequenceNumber > cur) into.set(k, e.file.maxSequenceNumber);
  }
  return into;
}

/** Files that may hold sequence numbers above a writer's sequencing point. */
export interface AddedSince {
  /** The snapshot read up to (inclusive). */
  readonly through: number;
  /**
   * The data files ADDed by the snapshots in (from, through] — or, when one of them could not be
   * read (expired meanwhile), every file live at `through`, which includes them all.
   */
  readonly entries: readonly ManifestEntry[];
  /** True when `entries` are the live files of `through` (a snapshot in between was gone). */
  readonly fromLiveFiles: boolean;
}

/** The data files added after snapshot `from` up to `to` (see AddedSince). */
export async function addedSince(
  snapshots: SnapshotManager,
  manifests: ManifestFiles,
  from: number,
  to: Snapshot,
): Promise<AddedSince> {
  const deltas = await deltaEntriesSince(snapshots, manifests, from, to);
  if (deltas === undefined) return { through: to.id, entries: await manifests.liveEntries(to), fromLiveFiles: true };
  return { through: to.id, entries: deltas.filter((e) => e.kind === FileKind.ADD), fromLiveFiles: false };
}
