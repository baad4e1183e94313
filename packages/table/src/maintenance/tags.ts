/**
 * Tags, as Paimon keeps them (TagManager, TagDeletion, TagTimeExpire): `tag/tag-<name>` is the
 * tagged snapshot's JSON, plus `tagCreateTime` and `tagTimeRetained` when the tag has a retention
 * time (given, or the table's `tag.default-time-retained`). Expiry keeps whatever a tag uses; a tag
 * keeps working after its snapshot expired (reads use the tag file itself).
 *
 * Deleting a tag whose snapshot still exists only deletes the tag file. Deleting the last tag of
 * an expired snapshot also deletes the files only it kept, as Java does: its live data files and
 * metadata minus what the neighbouring tags, the earliest snapshot and the long-lived changelogs use.
 */
import { FileKind } from '../format/manifest.ts';
import type { Snapshot } from '../format/snapshot.ts';
import { type LocalDateTime, localDateTimeMillis, localDateTimeOf } from '../format/tag.ts';
import { forgetCachedFile } from '../io/read-cache.ts';
import { ChangelogManager } from '../meta/changelog-manager.ts';
import type { TableContext } from '../meta/table-context.ts';
import { type TagEntry, TagManager, validateTagName } from '../meta/tag-manager.ts';
import { EddyError } from '../types/errors.ts';
import { isNotFound, metadataOf, sortMetadata } from './references.ts';

/** A tag as the SDK shows it. */
export interface Tag {
  readonly name: string;
  readonly snapshotId: number;
  /** The tagged snapshot (as stored in the tag file). */
  readonly snapshot: Snapshot;
  /** `tagCreateTime` (a wall-clock time read in this process's zone), for tags with a retention time. */
  readonly createTime?: Date;
  /** `tagTimeRetained` in ms: the tag is deleted by expiry this long after its creation. */
  readonly timeRetainedMs?: number;
}

export interface CreateTagOptions {
  /** The snapshot to tag (default: the latest). An expired one can be tagged from another tag of it. */
  readonly snapshotId?: number;
  /** `tagTimeRetained` in ms (default: the table's `tag.default-time-retained`; none: kept until deleted). */
  readonly timeRetainedMs?: number;
  /** The clock (tests). */
  readonly now?: number;
}

const toTag = (t: TagEntry): Tag => ({
  name: t.name,
  snapshotId: t.snapshot.id,
  snapshot: t.snapshot,
  ...(t.createTime ? { createTime: new Date(localDateTimeMillis(t.createTime)) } : {}),
  ...(t.timeRetainedMs !== undefined ? { timeRetainedMs: t.timeRetainedMs } : {}),
});

const tagManager = (table: TableContext) => new TagManager(table.io, table.path);

/** Every tag, by snapshot id then name. */
export async function listTags(table: TableContext): Promise<Tag[]> {
  return (await tagManager(table).list()).map(toTag);
}

/** The tag `name`, or undefined. */
export async function getTag(table: TableContext, name: string): Promise<Tag | undefined> {
  const t = await tagManager(table).get(validateTagName(name));
  return t ? toTag(t) : undefined;
}

/** Tags snapshot `snapshotId` (default: the latest) as `name` (Java: AbstractFileStoreTable.createTag). */
export async function createTag(table: TableContext, name: string, options: CreateTagOptions = {}): Promise<Tag> {
  validateTagName(name, true);
  const tags = tagManager(table);
  let snapshot: Snapshot | undefined;
  if (options.snapshotId === undefined) {
    snapshot = await table.snapshots.latestSnapshot();
    if (!snapshot) throw new EddyError('NOT_FOUND', `table ${table.name} has no snapshot to tag`);
  } else {
    const id = options.snapshotId;
    if (!Number.isSafeInteger(id) || id < 1)
      throw new EddyError('INVALID_ARGUMENT', `snapshot id must be a positive integer, got ${id}`);
    if (await table.snapshots.snapshotExists(id)) snapshot = await table.snapshots.snapshot(id);
    // An expired snapshot can still be tagged from another tag of it (Java's findSnapshot).
    else snapshot = (await tags.list()).find((t) => t.snapshot.id === id)?.snapshot;
    if (!snapshot) throw new EddyError('NOT_FOUND', `snapshot ${id} of ${table.name} does not exist`);
  }
  const retained = options.timeRetainedMs ?? table.schema.options.tagDefaultTimeRetainedMs;
  if (retained !== undefined && !(Number.isSafeInteger(retained) && retained >= 0))
    throw new EddyError('INVALID_ARGUMENT', `timeRetainedMs must be a non-negative integer, got ${retained}`);
  const createTime: LocalDateTime | undefined =
    retained === undefined ? undefined : localDateTimeOf(options.now ?? Date.now());
  const file = {
    snapshot,
    ...(createTime ? { createTime } : {}),
    ...(retained !== undefined ? { timeRetainedMs: retained } : {}),
  };
  if (!(await tags.create(name, file)))
    throw new EddyError('ALREADY_EXISTS', `tag '${name}' of ${table.name} already exists`, { path: tags.path(name) });
  return toTag({ name, ...file });
}

export interface DeleteTagResult {
  readonly tag: Tag;
  /** Data and metadata files deleted with it (only when it was the last reference to an expired snapshot). */
  readonly deletedFiles: string[];
}

/** Deletes tag `name` (Java: TagManager.deleteTag); NOT_FOUND when there is none. */
export async function deleteTag(table: TableContext, name: string): Promise<DeleteTagResult> {
  validateTagName(name);
  const tags = tagManager(table);
  const tag = await tags.getOrThrow(name, table.name);
  const snapshot = tag.snapshot;
  if (await table.snapshots.snapshotExists(snapshot.id)) {
    await tags.delete(name);
    return { tag: toTag(tag), deletedFiles: [] };
  }
  // The snapshot is gone: plan what only this tag kept while everything exists (a failure leaves
  // the tag in place), then delete the tag file, then those files.
  const others = (await tags.list()).filter((t) => t.name !== name);
  const files = others.some((t) => t.snapshot.id === snapshot.id)
    ? []
    : await filesOnlyTaggedBy(
        table,
        snapshot,
        others.map((t) => t.snapshot),
      );
  await tags.delete(name);
  for (const f of files) {
    forgetCachedFile(table.io, f);
    await table.io.delete(f);
  }
  return { tag: toTag(tag), deletedFiles: files };
}

/**
 * The files of an expired tagged snapshot nobody else uses: Java keeps the left neighbour tag's and
 * the nearest right one's (the earliest snapshot or the next tag); Eddy also keeps what every other
 * tag, the earliest snapshot and each long-lived changelog use (deleting less is always safe).
 */
async function filesOnlyTaggedBy(table: TableContext, tagged: Snapshot, otherTags: Snapshot[]): Promise<string[]> {
  const paths = table.paths;
  const manifests = table.manifests;
  const keepers = [...otherTags];
  const earliest = await table.snapshots.earliestSnapshotId();
  if (earliest !== undefined) keepers.push(await table.snapshots.snapshot(earliest));
  const keepFiles = new Set<string>();
  const keepMetadata = new Set<string>();
  const indexCache = new Map<string, string[]>();
  for (const s of keepers) {
    const m = await metadataOf(table, s, paths, indexCache);
    for (const f of m.manifestDirFiles) keepMetadata.add(manifests.path(f));
    for (const f of m.indexFiles) keepMetadata.add(f);
    for (const f of m.statistics) keepMetadata.add(paths.statisticsFile(f));
    for (const e of await manifests.liveEntries(s)) for (const p of paths.filesOf(e)) keepFiles.add(p);
  }
  // Long-lived changelogs: whatever of their manifest lists remain, and the files those add.
  const changelogs = new ChangelogManager(table.io, table.path);
  for (const id of await changelogs.listIds()) {
    const c = await changelogs.tryRead(id);
    if (!c) continue;
    for (const l of [c.baseManifestList, c.deltaManifestList, c.changelogManifestList]) {
      if (!l) continue;
      try {
        const metas = await manifests.readManifestList(l);
        keepMetadata.add(manifests.path(l));
        for (const m of metas) {
          keepMetadata.add(manifests.path(m.fileName));
          if (l === c.baseManifestList) continue;
          for (const e of await manifests.readManifest(m.fileName))
            if (e.kind === FileKind.ADD) for (const p of paths.filesOf(e)) keepFiles.add(p);
        }
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
  }
  const data: string[] = [];
  for (const e of await manifests.liveEntries(tagged))
    for (const p of paths.filesOf(e)) if (!keepFiles.has(p)) data.push(p);
  // Its base and delta lists, their manifests, its index manifest and files, its statistics (not its
  // changelog list: snapshot expiry handles changelog).
  const m = await metadataOf(table, { ...tagged, changelogManifestList: null }, paths, indexCache);
  const metadata = [
    ...m.manifestDirFiles.map((f) => manifests.path(f)),
    ...m.indexFiles,
    ...m.statistics.map((f) => paths.statisticsFile(f)),
  ].filter((f) => !keepMetadata.has(f));
  return [...new Set(data), ...sortMetadata([...new Set(metadata)])];
}

export interface ExpireTagsOptions {
  /** Also delete tags created before this time (Paimon's expire_tags `older_than`; file time for tags without one). */
  readonly olderThan?: Date | number;
  /** The clock (tests). */
  readonly now?: number;
}

/**
 * Deletes the tags past their retention time — `tagCreateTime + tagTimeRetained` before now —
 * and, with `olderThan`, those created before it (Java: TagTimeExpire). Returns their names.
 */
export async function expireTags(table: TableContext, options: ExpireTagsOptions = {}): Promise<string[]> {
  const now = options.now ?? Date.now();
  const olderThan =
    options.olderThan === undefined
      ? undefined
      : options.olderThan instanceof Date
        ? options.olderThan.getTime()
        : options.olderThan;
  const expired: string[] = [];
  for (const t of await tagManager(table).list()) {
    let created = t.createTime ? localDateTimeMillis(t.createTime) : undefined;
    if (created === undefined || t.timeRetainedMs === undefined) {
      if (olderThan === undefined) continue;
      created ??= t.fileModifiedMillis;
      if (created === undefined) continue;
    }
    const pastRetention = t.timeRetainedMs !== undefined && now > created + t.timeRetainedMs;
    const tooOld = olderThan !== undefined && olderThan > created;
    if (!pastRetention && !tooOld) continue;
    try {
      await deleteTag(table, t.name);
    } catch (e) {
      // Deleted meanwhile by someone else: fine. Anything else is not.
      if (!isNotFound(e) || (await tagManager(table).exists(t.name))) throw e;
      continue;
    }
    expired.push(t.name);
  }
  return expired;
}
