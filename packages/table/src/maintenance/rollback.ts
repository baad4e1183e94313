/**
 * Rollback to a snapshot or a tag, as Paimon's `rollbackTo` (RollbackHelper): the snapshots after
 * the target go (newest first, so what remains is always a contiguous range readers can probe),
 * the LATEST hint moves back, long-lived changelogs and tags after the target go too. Rolling back
 * to a tag whose snapshot expired writes the tag's snapshot back as `snapshot-N` (and EARLIEST).
 * Eddy also rewinds consumers that were past the target, so they read what is committed next.
 *
 * Data files only the removed snapshots used become unreferenced; orphan cleanup deletes them.
 * Stop writers first: a commit racing a rollback may land on either side of it.
 */
import { BATCH_COMMIT_IDENTIFIER, encodeSnapshot, type Snapshot } from '../format/snapshot.ts';
import { joinPath } from '../io/file-io.ts';
import { ChangelogManager } from '../meta/changelog-manager.ts';
import { identifierIn } from '../meta/commit-identities.ts';
import { CommitUserManager } from '../meta/commit-user-manager.ts';
import type { TableContext } from '../meta/table-context.ts';
import { TagManager, validateTagName } from '../meta/tag-manager.ts';
import { EddyError } from '../types/errors.ts';
import { baseName, isNotFound } from './references.ts';

export type RollbackTarget = { readonly snapshotId: number } | { readonly tag: string };

export interface RollbackResult {
  /** The snapshot the table is at now. */
  readonly snapshotId: number;
  /** The tag whose snapshot was written back (it had expired), if any. */
  readonly restoredFromTag: string | null;
  readonly removedSnapshots: number[];
  readonly removedChangelogs: number[];
  readonly removedTags: string[];
  /** Consumers whose next snapshot was moved back to the one after the target. */
  readonly resetConsumers: string[];
}

export async function rollbackTo(table: TableContext, target: RollbackTarget): Promise<RollbackResult> {
  const sm = table.snapshots;
  const io = table.io;
  const tags = new TagManager(io, table.path);
  const earliest = await sm.earliestSnapshotId();
  const latest = await sm.latestSnapshotId();
  if (earliest === undefined || latest === undefined)
    throw new EddyError('NOT_FOUND', `table ${table.name} has no snapshots to roll back`);

  let snapshot: Snapshot;
  let tagName: string | undefined;
  if ('tag' in target) {
    tagName = validateTagName(target.tag);
    snapshot = (await tags.getOrThrow(tagName, table.name)).snapshot;
  } else {
    const id = target.snapshotId;
    if (!Number.isSafeInteger(id) || id < 1)
      throw new EddyError('INVALID_ARGUMENT', `snapshot id must be a positive integer, got ${id}`);
    if (id <= latest && (await sm.snapshotExists(id))) snapshot = await sm.snapshot(id);
    else {
      // An expired snapshot that a tag still holds (Java falls back to the first such tag).
      const tagged = (await tags.list()).find((t) => t.snapshot.id === id);
      if (!tagged)
        throw new EddyError(
          'NOT_FOUND',
          `snapshot ${id} of ${table.name} does not exist (snapshots ${earliest}..${latest}; no tag holds it)`,
        );
      tagName = tagged.name;
      snapshot = tagged.snapshot;
    }
  }
  const id = snapshot.id;
  if (id > latest)
    throw new EddyError(
      'INVALID_ARGUMENT',
      `${tagName ? `tag '${tagName}' points to` : 'cannot roll back to'} snapshot ${id}, after the latest (${latest})`,
    );
  const restore = !(await sm.snapshotExists(id));

  // Snapshots after the target, newest first.
  const removedSnapshots: number[] = [];
  for (let s = latest; s >= Math.max(earliest, id + 1); s--) {
    try {
      await sm.deleteSnapshot(s);
      removedSnapshots.unshift(s);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
  if (restore) {
    // The tag's snapshot had expired: write it back (the tag fields trimmed, as Java does).
    if (!(await io.writeIfAbsent(sm.snapshotPath(id), encodeSnapshot(snapshot))))
      throw new EddyError('COMMIT_CONFLICT', `snapshot ${id} appeared while restoring it from tag '${tagName}'`);
    await sm.writeEarliestHint(id);
  }
  await io.write(joinPath(sm.dir, 'LATEST'), String(id));

  // Long-lived changelogs after the target.
  const changelogs = new ChangelogManager(io, table.path);
  const removedChangelogs: number[] = [];
  const cEarliest = await changelogs.earliestId();
  const cLatest = await changelogs.latestId();
  if (cEarliest !== undefined && cLatest !== undefined && cLatest > id) {
    const to = Math.max(cEarliest, id + 1);
    await changelogs.writeLatestHint(to === cEarliest ? -1 : to - 1);
    for (let c = cLatest; c >= to; c--) {
      await changelogs.delete(c);
      removedChangelogs.unshift(c);
    }
  }

  // Tags after the target go with the snapshots.
  const removedTags: string[] = [];
  for (const t of await tags.list()) {
    if (t.snapshot.id > id) {
      await tags.delete(t.name);
      removedTags.push(t.name);
    }
  }

  // Consumers past the target would skip what is committed after the rollback: rewind them.
  const resetConsumers: string[] = [];
  for (const f of await io.list(joinPath(table.path, 'consumer'))) {
    const n = baseName(f.path);
    if (f.isDirectory || !n.startsWith('consumer-')) continue;
    let next: unknown;
    try {
      next = (JSON.parse(new TextDecoder().decode(await io.read(f.path))) as { nextSnapshot?: unknown }).nextSnapshot;
    } catch (e) {
      if (isNotFound(e)) continue;
      if (e instanceof SyntaxError)
        throw new EddyError('CORRUPT_FILE', `${f.path}: not valid JSON`, { path: f.path, cause: e });
      throw e;
    }
    if (typeof next === 'number' && next > id + 1) {
      await io.write(f.path, JSON.stringify({ nextSnapshot: id + 1 }));
      resetConsumers.push(n.slice('consumer-'.length));
    }
  }
  // Commit-user records of commits the rollback removed: back to the user's newest snapshot that
  // stays, or gone (its checkpoints after the target are no longer committed).
  const users = new CommitUserManager(io, table.path);
  for (const { path, record } of await users.list()) {
    if (record.snapshotId <= id) continue;
    let kept: { snapshot: Snapshot; identifier: bigint } | undefined;
    for (let s = id; s >= earliest && !kept; s--) {
      const candidate = await sm.snapshot(s).catch((e: unknown) => {
        if (isNotFound(e)) return undefined;
        throw e;
      });
      const identifier = candidate && identifierIn(candidate, record.commitUser);
      if (candidate && identifier !== undefined && identifier !== BATCH_COMMIT_IDENTIFIER)
        kept = { snapshot: candidate, identifier };
    }
    if (kept) {
      await users.write({
        commitUser: record.commitUser,
        commitIdentifier: kept.identifier,
        snapshotId: kept.snapshot.id,
        timeMillis: kept.snapshot.timeMillis,
      });
    } else await users.delete(path);
  }
  return {
    snapshotId: id,
    restoredFromTag: restore ? (tagName ?? null) : null,
    removedSnapshots,
    removedChangelogs,
    removedTags,
    resetConsumers,
  };
}
