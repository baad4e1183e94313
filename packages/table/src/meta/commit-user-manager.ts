/**
 * `commit-user/user-<name>`: the last checkpoint (commit identifier) each streaming commitUser
 * committed, kept beyond snapshot expiry (spec/format.md §3.3). Paimon decides "already committed"
 * from the user's latest snapshot alone, so once expiry removed every snapshot of a user, replaying
 * its last checkpoint commits it again. Eddy's commits write this record after each streaming
 * commit and its expiry before removing a user's snapshots; the exactly-once check falls back to it
 * when no snapshot of the user is retained. An Eddy extension: Java, pypaimon and paimon-rust
 * never read this folder, and Paimon's orphan-file cleanup does not list it.
 */
import { createHash } from 'node:crypto';
import { type FileIO, joinPath, readIfExists } from '../io/file-io.ts';
import { EddyError } from '../types/errors.ts';

export const COMMIT_USER_DIR = 'commit-user';
const PREFIX = 'user-';

/** One commitUser's record. */
export interface CommitUserRecord {
  readonly commitUser: string;
  /** The highest streaming commit identifier (checkpoint id) the user committed. */
  readonly commitIdentifier: bigint;
  /** The snapshot that committed it (it may have expired since). */
  readonly snapshotId: number;
  /** That snapshot's commit time: the record expires `eddy.commit-user.time-retained` after it. */
  readonly timeMillis: number;
}

/** commitUsers that are safe file-name segments are used as they are; others by their SHA-256. */
function fileNameOf(commitUser: string): string {
  if (/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}$/.test(commitUser)) return `${PREFIX}${commitUser}`;
  return `${PREFIX}~${createHash('sha256').update(commitUser, 'utf8').digest('hex')}`;
}

export class CommitUserManager {
  readonly dir: string;

  constructor(
    private readonly io: FileIO,
    tablePath: string,
  ) {
    this.dir = joinPath(tablePath, COMMIT_USER_DIR);
  }

  pathOf(commitUser: string): string {
    return joinPath(this.dir, fileNameOf(commitUser));
  }

  /** The user's record, or undefined when it has none. */
  async read(commitUser: string): Promise<CommitUserRecord | undefined> {
    const path = this.pathOf(commitUser);
    const bytes = await readIfExists(this.io, path);
    if (bytes === undefined) return undefined;
    const r = decodeRecord(new TextDecoder().decode(bytes), path);
    // A different user whose name hashes the same (never, in practice) has no record here.
    return r.commitUser === commitUser ? r : undefined;
  }

  /** Writes the user's record (replacing it: a user's identifiers only grow). */
  async write(r: CommitUserRecord): Promise<void> {
    await this.io.write(this.pathOf(r.commitUser), encodeRecord(r));
  }

  /** Raises the user's record to `r` unless it already holds that identifier or a higher one. */
  async raise(r: CommitUserRecord): Promise<void> {
    const cur = await this.read(r.commitUser);
    if (cur && cur.commitIdentifier >= r.commitIdentifier) return;
    await this.write(r);
  }

  /** Every record (for expiry, rollback and inspection). */
  async list(): Promise<{ path: string; record: CommitUserRecord }[]> {
    const out: { path: string; record: CommitUserRecord }[] = [];
    for (const f of await this.io.list(this.dir)) {
      const name = f.path.slice(f.path.lastIndexOf('/') + 1);
      if (f.isDirectory || !name.startsWith(PREFIX)) continue;
      let bytes: Uint8Array;
      try {
        bytes = await this.io.read(f.path);
      } catch (e) {
        if (e instanceof EddyError && e.code === 'NOT_FOUND') continue; // deleted meanwhile
        throw e;
      }
      out.push({ path: f.path, record: decodeRecord(new TextDecoder().decode(bytes), f.path) });
    }
    return out;
  }

  async delete(path: string): Promise<void> {
    await this.io.delete(path);
  }
}

function encodeRecord(r: CommitUserRecord): string {
  // The identifier is a Java long: written as a JSON number with all its digits.
  return `{"commitUser":${JSON.stringify(r.commitUser)},"commitIdentifier":${r.commitIdentifier},"snapshotId":${r.snapshotId},"timeMillis":${r.timeMillis}}`;
}

function decodeRecord(text: string, path: string): CommitUserRecord {
  const bad = (why: string) => new EddyError('CORRUPT_FILE', `${path}: not a commit-user record (${why})`, { path });
  let o: unknown;
  try {
    // Keep the identifier's digits exact: quote it before parsing.
    o = JSON.parse(text.replace(/("commitIdentifier"\s*:\s*)(-?\d+)/, '$1"$2"'));
  } catch {
    throw bad('not valid JSON');
  }
  if (typeof o !== 'object' || o === null) throw bad('not an object');
  const { commitUser, commitIdentifier, snapshotId, timeMillis } = o as Record<string, unknown>;
  if (typeof commitUser !== 'string') throw bad('commitUser is not a string');
  if (typeof commitIdentifier !== 'string' || !/^-?\d{1,19}$/.test(commitIdentifier))
    throw bad('commitIdentifier is not a long');
  if (!Number.isSafeInteger(snapshotId) || (snapshotId as number) < 1) throw bad('snapshotId is not a snapshot id');
  if (!Number.isSafeInteger(timeMillis)) throw bad('timeMillis is not a time');
  return {
    commitUser,
    commitIdentifier: BigInt(commitIdentifier),
    snapshotId: snapshotId as number,
    timeMillis: timeMillis as number,
  };
}
