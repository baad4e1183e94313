/**
 * Orphan-file cleanup (Paimon's `remove_orphan_files`): files under the table that no snapshot,
 * tag or changelog references — written by a writer or compaction that never committed, or left
 * behind by an interrupted expiry — and that are older than a grace period (so files of commits in
 * flight are never touched).
 *
 * Order matters: the table directories are listed first and the references collected after, so a
 * snapshot committed meanwhile is seen. A snapshot that disappears while being read was expired by
 * someone else and its files are that expiry's business; a manifest missing for a snapshot that
 * still exists means a damaged table, and the cleanup stops rather than guess.
 */

import { FileKind, type ManifestEntry, mergeManifestEntries } from '../format/manifest.ts';
import type { Snapshot } from '../format/snapshot.ts';
import { type FileStatus, joinPath } from '../io/file-io.ts';
import { forgetCachedFile } from '../io/read-cache.ts';
import { ChangelogManager } from '../meta/changelog-manager.ts';
import type { TableContext } from '../meta/table-context.ts';
import { EddyError } from '../types/errors.ts';
import { baseName, isNotFound, metadataOf, readTags } from './references.ts';

export interface RemoveOrphanFilesOptions {
  /** Only files last modified more than this long ago are removed (default 1 day). */
  readonly olderThanMs?: number;
  /** List what would be removed without removing it. */
  readonly dryRun?: boolean;
  /** The clock (tests). */
  readonly now?: number;
}

export interface RemoveOrphanFilesResult {
  /** Paths removed (or, with `dryRun`, that would be). */
  readonly orphans: string[];
  readonly bytes: number;
  readonly dryRun: boolean;
  /** Files looked at (candidates of any age). */
  readonly scannedFiles: number;
}

const DAY = 86_400_000;
/** Table-root directories holding metadata that is never an orphan (or not ours to judge). */
const METADATA_DIRS = new Set(['schema', 'snapshot', 'tag', 'consumer', 'branch', 'changelog', 'commit-user']);
const TEMP_FILE = /^\..+\.tmp$/;

async function listCandidates(table: TableContext): Promise<FileStatus[]> {
  const io = table.io;
  const out: FileStatus[] = [];
  const walkData = async (dir: string): Promise<void> => {
    for (const f of await io.list(dir)) {
      const name = baseName(f.path);
      if (f.isDirectory) {
        // Partition directories (`k=v`) and bucket directories only.
        if (name.includes('=') || name.startsWith('bucket-')) await walkData(f.path);
      } else if (baseName(dir).startsWith('bucket-')) out.push(f);
    }
  };
  for (const f of await io.list(table.path)) {
    const name = baseName(f.path);
    if (!f.isDirectory) continue;
    if (name === 'manifest' || name === 'index' || name === 'statistics') {
      for (const g of await io.list(f.path)) if (!g.isDirectory) out.push(g);
    } else if (
      name === 'snapshot' ||
      name === 'schema' ||
      name === 'tag' ||
      name === 'consumer' ||
      name === 'changelog' ||
      name === 'commit-user'
    ) {
      // Only temp files of interrupted atomic writes; the metadata itself is never an orphan.
      for (const g of await io.list(f.path)) if (!g.isDirectory && TEMP_FILE.test(baseName(g.path))) out.push(g);
    } else if (!METADATA_DIRS.has(name)) {
      await walkData(f.path);
    }
  }
  return out;
}

/**
 * Names of the files every snapshot, tag and long-lived changelog still references. Files are matched by name,
 * not path: every name Eddy and Paimon generate carries a UUID, and names don't depend on how a
 * FileIO spells paths.
 */
async function collectReferences(table: TableContext): Promise<Set<string>> {
  const names = new Set<string>();
  const tablePaths = table.paths;
  const indexCache = new Map<string, string[]>();

  /**
   * Adds what a snapshot uses: its metadata files and its data files — all live ones (`full`), or
   * only those its delta adds when the previous snapshot was already added (a file live in a
   * snapshot is live in the one before or added by its delta). Changelog files of its own, too.
   * Files that manifests name only in DELETE entries, or in ADD entries a later entry deleted,
   * are not in use.
   */
  const addSnapshot = async (s: Snapshot, full: boolean, stillExists: () => Promise<boolean>) => {
    try {
      const m = await metadataOf(table, s, tablePaths, indexCache);
      for (const f of m.manifestDirFiles) names.add(f);
      for (const f of m.indexFiles) names.add(baseName(f));
      for (const f of m.statistics) names.add(f);
      const data = full
        ? await table.manifests.liveEntries(s)
        : await table.manifests.entriesOfList(s.deltaManifestList);
      const changelog = s.changelogManifestList ? await table.manifests.entriesOfList(s.changelogManifestList) : [];
      for (const e of [...data, ...changelog]) {
        if (e.kind !== FileKind.ADD) continue;
        names.add(e.file.fileName);
        for (const x of e.file.extraFiles) names.add(x);
      }
    } catch (e) {
      if (isNotFound(e) && !(await stillExists())) return false; // expired meanwhile
      if (isNotFound(e)) {
        throw new EddyError(
          'CORRUPT_FILE',
          `snapshot ${s.id} of ${table.name} references a missing file; refusing to remove orphan files (${(e as Error).message})`,
          { cause: e },
        );
      }
      throw e;
    }
    return true;
  };

  let previous: number | undefined;
  for (const id of await table.snapshots.listSnapshotIds()) {
    let s: Snapshot;
    try {
      s = await table.snapshots.snapshot(id);
    } catch (e) {
      if (isNotFound(e)) continue;
      throw e;
    }
    const added = await addSnapshot(s, previous !== id - 1, () => table.snapshots.snapshotExists(id));
    previous = added ? id : undefined;
  }
  for (const t of await readTags(table)) {
    await addSnapshot(t.snapshot, true, () => table.io.exists(joinPath(table.path, 'tag', `tag-${t.name}`)));
  }
  // Long-lived changelogs (`changelog/changelog-<id>`): snapshot JSON whose base and delta lists
  // are gone once a changelog producer's changelog outlives its snapshot (only its changelog list
  // stays), and whose lists an interrupted changelog expiry may have half-deleted. What remains is
  // referenced; what is missing is expected.
  const changelogs = new ChangelogManager(table.io, table.path);
  for (const id of await changelogs.listIds()) {
    const c = await changelogs.tryRead(id);
    if (c) await addChangelog(table, c, names);
  }
  return names;
}

async function addChangelog(table: TableContext, c: Snapshot, names: Set<string>): Promise<void> {
  const tryList = async (list: string | null | undefined) => {
    if (!list) return undefined;
    try {
      return await table.manifests.readManifestList(list);
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  };
  const addFiles = (entries: readonly ManifestEntry[]) => {
    for (const e of entries) {
      if (e.kind !== FileKind.ADD) continue;
      names.add(e.file.fileName);
      for (const x of e.file.extraFiles) names.add(x);
    }
  };
  const entriesOf = async (metas: readonly { fileName: string }[]) => {
    const out: ManifestEntry[] = [];
    for (const m of metas) {
      names.add(m.fileName);
      try {
        out.push(...(await table.manifests.readManifest(m.fileName)));
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
    return out;
  };
  const base = await tryList(c.baseManifestList);
  const delta = await tryList(c.deltaManifestList);
  const changelog = await tryList(c.changelogManifestList);
  if (base) names.add(c.baseManifestList);
  if (delta) names.add(c.deltaManifestList);
  if (changelog && c.changelogManifestList) names.add(c.changelogManifestList);
  const baseEntries = base ? await entriesOf(base) : [];
  const deltaEntries = delta ? await entriesOf(delta) : [];
  // The files live at the changelog's snapshot (when both lists remain) and those its delta added.
  if (base && delta) addFiles(mergeManifestEntries([...baseEntries, ...deltaEntries]));
  addFiles(deltaEntries);
  if (changelog) addFiles(await entriesOf(changelog));
  // Without a changelog producer, the files its delta deleted are the changelog's until it expires
  // (expire-changelog.ts deletes them then): snapshot expiry left them for it.
  else
    for (const e of deltaEntries) {
      if (e.kind !== FileKind.DELETE) continue;
      names.add(e.file.fileName);
      for (const x of e.file.extraFiles) names.add(x);
    }
}

export async function removeOrphanFiles(
  table: TableContext,
  options: RemoveOrphanFilesOptions = {},
): Promise<RemoveOrphanFilesResult> {
  const olderThanMs = options.olderThanMs ?? DAY;
  if (!(olderThanMs >= 0)) throw new RangeError('removeOrphanFiles: olderThanMs must be ≥ 0');
  const now = options.now ?? Date.now();
  const dryRun = options.dryRun === true;
  // Branches share the table's data files; Eddy does not read their metadata, so it cannot tell
  // what they use.
  const branches = await table.io.list(joinPath(table.path, 'branch'));
  if (branches.some((b) => b.isDirectory)) {
    throw new EddyError(
      'UNSUPPORTED',
      `table ${table.name} has branches; removing orphan files of tables with branches is not supported`,
    );
  }
  const candidates = await listCandidates(table);
  const refs = await collectReferences(table);
  const orphans: string[] = [];
  let bytes = 0;
  for (const f of candidates) {
    if (f.modifiedMillis >= now - olderThanMs) continue;
    const name = baseName(f.path);
    if (!TEMP_FILE.test(name) && refs.has(name)) continue;
    orphans.push(f.path);
    bytes += f.size;
  }
  if (!dryRun)
    for (const p of orphans) {
      forgetCachedFile(table.io, p);
      await table.io.delete(p);
    }
  return { orphans, bytes, dryRun, scannedFiles: candidates.length };
}
