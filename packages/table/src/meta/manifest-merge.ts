/**
 * Merging the manifests a new snapshot's base list carries, as Paimon's ManifestFileMerger does
 * (org.apache.paimon.operation.ManifestFileMerger), so that metadata stays small however many
 * commits a table takes:
 *
 * - full compaction, once the manifests that must change (any with DELETE entries, or smaller than
 *   `manifest.target-file-size`) add up to `manifest.full-compaction-threshold-size`: every DELETE
 *   entry is applied, manifests it does not touch are kept as they are, and the rest is rewritten
 *   into files of about the target size — no DELETE entry is left;
 * - otherwise minor compaction: consecutive manifests are merged whenever together they reach the
 *   target size, and the small ones left at the end once there are `manifest.merge-min-count` of
 *   them. An ADD and a later DELETE of one file within a merged group cancel; a DELETE whose ADD is in
 *   an earlier manifest stays, and the order of the manifests is kept, so what is live never changes.
 */
import { FileKind, type ManifestEntry, manifestEntryIdentifier, mergeManifestEntries } from '../format/manifest.ts';
import type { ManifestFileMeta } from '../format/manifest-list.ts';

export interface ManifestMergeOptions {
  /** `manifest.target-file-size`. */
  readonly targetFileSize: number;
  /** `manifest.merge-min-count`. */
  readonly mergeMinCount: number;
  /** `manifest.full-compaction-threshold-size`. */
  readonly fullCompactionThresholdSize: number;
}

/** Reading and writing manifests (ManifestFiles, bound to a table's partition types and schema). */
export interface ManifestStore {
  read(meta: ManifestFileMeta): Promise<readonly ManifestEntry[]>;
  /** Writes entries as one or more manifests of about `targetFileSize` each. */
  write(entries: readonly ManifestEntry[]): Promise<ManifestFileMeta[]>;
}

/** Bytes per manifest entry, to split a rewrite into files of about the target size. */
export function entriesPerFile(targetFileSize: number, sample: readonly ManifestFileMeta[]): number {
  let bytes = 0;
  let entries = 0;
  for (const m of sample) {
    bytes += m.fileSize;
    entries += m.numAddedFiles + m.numDeletedFiles;
  }
  const perEntry = entries > 0 ? Math.max(50, bytes / entries) : 200;
  return Math.max(100, Math.floor(targetFileSize / perEntry));
}

/** The manifests to carry instead of `input`: the same live files, in fewer and larger manifests. */
export async function mergeManifests(
  input: readonly ManifestFileMeta[],
  store: ManifestStore,
  o: ManifestMergeOptions,
): Promise<ManifestFileMeta[]> {
  const full = await tryFullCompaction(input, store, o);
  return full ?? (await minorCompaction(input, store, o));
}

const mustChange = (m: ManifestFileMeta, target: number) => m.numDeletedFiles > 0 || m.fileSize < target;

async function tryFullCompaction(
  input: readonly ManifestFileMeta[],
  store: ManifestStore,
  o: ManifestMergeOptions,
): Promise<ManifestFileMeta[] | undefined> {
  let deltaSize = 0;
  for (const m of input) if (mustChange(m, o.targetFileSize)) deltaSize += m.fileSize;
  if (deltaSize < o.fullCompactionThresholdSize) return undefined;
  const deleted = new Set<string>();
  for (const m of input) {
    if (m.numDeletedFiles === 0) continue;
    for (const e of await store.read(m)) if (e.kind === FileKind.DELETE) deleted.add(manifestEntryIdentifier(e));
  }
  const kept: ManifestFileMeta[] = [];
  const rewrite: ManifestEntry[] = [];
  for (const m of input) {
    let change = mustChange(m, o.targetFileSize);
    const live: ManifestEntry[] = [];
    for (const e of await store.read(m)) {
      if (e.kind === FileKind.DELETE) continue;
      if (deleted.has(manifestEntryIdentifier(e))) change = true;
      else live.push(e);
    }
    if (change) rewrite.push(...live);
    else kept.push(m);
  }
  return rewrite.length > 0 ? [...kept, ...(await store.write(rewrite))] : kept;
}

async function minorCompaction(
  input: readonly ManifestFileMeta[],
  store: ManifestStore,
  o: ManifestMergeOptions,
): Promise<ManifestFileMeta[]> {
  const out: ManifestFileMeta[] = [];
  let group: ManifestFileMeta[] = [];
  let size = 0;
  const flush = async () => {
    if (group.length === 1) out.push(group[0]);
    else if (group.length > 1) {
      const entries: ManifestEntry[] = [];
      for (const m of group) entries.push(...(await store.read(m)));
      const merged = mergeManifestEntries(entries);
      if (merged.length > 0) out.push(...(await store.write(merged)));
    }
    group = [];
    size = 0;
  };
  for (const m of input) {
    group.push(m);
    size += m.fileSize;
    if (size >= o.targetFileSize) await flush();
  }
  if (group.length >= o.mergeMinCount) await flush();
  else out.push(...group);
  return out;
}
