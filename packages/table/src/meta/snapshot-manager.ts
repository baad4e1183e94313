import { decodeSnapshot, encodeSnapshot, type Snapshot } from '../format/snapshot.ts';
import { type FileIO, joinPath, readIfExists } from '../io/file-io.ts';
import { EddyError } from '../types/errors.ts';
import { type PublishedMetadata, publishedMetadata } from './published-metadata.ts';

const SNAPSHOT_PREFIX = 'snapshot-';

/**
 * How long this process trusts that the highest snapshot it confirmed is still the latest without
 * probing `snapshot-(N+1)` again (issue 23: at a high commit rate every request counts). Neither
 * use decides what lands: following only raises sequence numbers (the commit's sequence guard is
 * the check) and the commit's look-up still reads the LATEST hint (a rollback or another process's
 * commit moves it) and its publish is a create-if-absent (losing the race re-reads and retries).
 * A stale view costs at worst a re-base or a lost race.
 */
export const FOLLOW_FRESH_MS = 250;
export const LOOKUP_FRESH_MS = 100;

/** Reads and publishes `snapshot/snapshot-N` files and the LATEST / EARLIEST hints. */
export class SnapshotManager {
  readonly dir: string;
  private readonly cache = new Map<number, Snapshot>();
  /** `published.rollbacks` when `cache` was last known valid. */
  private rollbacksSeen: number;
  /** What the table objects of this process on the same FileIO published or read (and the highest id seen). */
  private readonly published: PublishedMetadata;

  /** `incarnation`: see publishedMetadata (tests of one manager alone may leave it out). */
  constructor(
    private readonly io: FileIO,
    tablePath: string,
    incarnation = '',
  ) {
    this.dir = joinPath(tablePath, 'snapshot');
    this.published = publishedMetadata(io, tablePath, incarnation);
    this.rollbacksSeen = this.published.rollbacks;
  }

  /** Drops this object's cached snapshots when another table object of this process saw a rollback. */
  private get validCache(): Map<number, Snapshot> {
    if (this.rollbacksSeen !== this.published.rollbacks) {
      this.cache.clear();
      this.rollbacksSeen = this.published.rollbacks;
    }
    return this.cache;
  }

  /**
   * The latest id is below one this process saw exist: the table was rolled back (by Eddy or another
   * engine's rollback_to) and ids after the rollback's target may already be reused by new commits,
   * the latest itself too. Forget every cached snapshot, in every table object of this process. (A
   * rollback followed by commits past the highest id seen before this process looks again cannot
   * be told from new commits; see docs/decisions.md.)
   */
  private checkRollback(latest: number): void {
    if (latest >= this.highestSeen) return;
    this.published.snapshots.deleteWhere(() => true);
    this.published.rollbacks++;
    this.published.highestSeen = latest;
  }

  /** The highest snapshot id this process has seen exist: a LATEST hint below it is checked, not trusted. */
  private get highestSeen(): number {
    return this.published.highestSeen;
  }

  private set highestSeen(id: number) {
    if (id !== this.published.highestSeen) this.published.confirmedAt = 0;
    this.published.highestSeen = id;
  }

  /** `id` is the latest as of now: this process published it or found `snapshot-(id+1)` absent. */
  private confirmLatest(id: number): void {
    if (id < this.highestSeen) return;
    this.highestSeen = id;
    this.published.confirmedAt = performance.now();
  }

  /** Whether the highest snapshot seen was confirmed the latest within `ms` and is known without asking. */
  private confirmedWithin(ms: number): boolean {
    const id = this.highestSeen;
    return id > 0 && this.known(id) && performance.now() - this.published.confirmedAt < ms;
  }

  /** Whether snapshot `id` is known without asking: read or published by a table object of this process. */
  private known(id: number): boolean {
    return this.validCache.has(id) || this.published.snapshots.get(id) !== undefined;
  }

  snapshotPath(id: number): string {
    return joinPath(this.dir, `${SNAPSHOT_PREFIX}${id}`);
  }

  /** Reads snapshot `id`; snapshots are immutable, so they are cached by id. */
  async snapshot(id: number): Promise<Snapshot> {
    const hit = this.validCache.get(id);
    if (hit) return hit;
    const sibling = this.published.snapshots.get(id);
    if (sibling) {
      this.remember(sibling);
      return sibling;
    }
    const path = this.snapshotPath(id);
    let bytes: Uint8Array;
    try {
      bytes = await this.io.read(path);
    } catch (e) {
      if (e instanceof EddyError && e.code === 'NOT_FOUND') {
        throw new EddyError('NOT_FOUND', `snapshot ${id} does not exist (${path})`, { path, cause: e });
      }
      throw e;
    }
    return this.decodeAt(id, path, bytes);
  }

  /** Snapshot `id` decoded from its file's bytes, checked and cached. */
  private decodeAt(id: number, path: string, bytes: Uint8Array): Snapshot {
    const snap = decodeSnapshot(new TextDecoder().decode(bytes), path);
    if (snap.id !== id) throw new EddyError('CORRUPT_FILE', `${path}: holds snapshot id ${snap.id}`, { path });
    this.remember(snap);
    this.published.snapshots.set(id, snap);
    return snap;
  }

  /** Caches a snapshot, dropping the least recently added beyond 256 (a commit's exactly-once walk reads the newest). */
  private remember(snap: Snapshot): void {
    const cache = this.validCache;
    cache.delete(snap.id);
    cache.set(snap.id, snap);
    if (cache.size > 256) cache.delete(cache.keys().next().value as number);
  }

  /**
   * Snapshot `id` as storage has it now (not from a cache: it may have been expired since), or
   * undefined when there is none: one request where an existence check and a read are two.
   */
  async snapshotIfExists(id: number): Promise<Snapshot | undefined> {
    const path = this.snapshotPath(id);
    const bytes = await readIfExists(this.io, path);
    if (bytes === undefined) return undefined;
    return this.decodeAt(id, path, bytes);
  }

  async snapshotExists(id: number): Promise<boolean> {
    return this.io.exists(this.snapshotPath(id));
  }

  private async readHint(name: 'LATEST' | 'EARLIEST'): Promise<number | undefined> {
    try {
      const text = new TextDecoder().decode(await this.io.read(joinPath(this.dir, name))).trim();
      const n = Number(text);
      return /^\d+$/.test(text) && n > 0 ? n : undefined;
    } catch (e) {
      if (e instanceof EddyError && e.code === 'NOT_FOUND') return undefined;
      throw e;
    }
  }

  /** All snapshot ids present, ascending (lists the directory: maintenance and fallbacks only). */
  async listSnapshotIds(): Promise<number[]> {
    const ids: number[] = [];
    for (const f of await this.io.list(this.dir)) {
      const name = f.path.slice(f.path.lastIndexOf('/') + 1);
      if (name.startsWith(SNAPSHOT_PREFIX) && /^\d+$/.test(name.slice(SNAPSHOT_PREFIX.length))) {
        ids.push(Number(name.slice(SNAPSHOT_PREFIX.length)));
      }
    }
    return ids.sort((a, b) => a - b);
  }

  /**
   * The latest snapshot id, or undefined for an empty table. As Paimon's HintFileUtils.findLatest:
   * the LATEST hint is the latest when `snapshot-(hint+1)` does not exist (the hint is written after
   * the snapshot and may lag: then probe forward); lists only without a usable hint. That the hint's
   * snapshot exists is known without asking when this process read or published it and has seen no
   * later one (expiry never removes the latest; rollback moves the hint back to a snapshot it keeps) —
   * so a commit on a table this process follows costs two requests here: the hint and one probe —
   * one, the hint, when the hint names the snapshot this process confirmed the latest less than
   * LOOKUP_FRESH_MS ago (the probe only catches a snapshot whose hint is not yet written).
   */
  async latestSnapshotId(): Promise<number | undefined> {
    const hint = await this.readHint('LATEST');
    if (hint !== undefined) {
      if (hint === this.highestSeen && this.confirmedWithin(LOOKUP_FRESH_MS)) return hint;
      let id = hint;
      while (await this.snapshotExists(id + 1)) id++;
      if (id > hint || (this.known(hint) && hint >= this.highestSeen) || (await this.snapshotExists(hint))) {
        this.checkRollback(id);
        this.confirmLatest(id);
        return id;
      }
    }
    const ids = await this.listSnapshotIds();
    const latest = ids.length > 0 ? ids[ids.length - 1] : 0;
    this.checkRollback(latest);
    this.highestSeen = Math.max(this.highestSeen, latest);
    return latest > 0 ? latest : undefined;
  }

  /**
   * The latest snapshot for a writer following the commits of others (it only raises its sequence
   * numbers; its commit's own look-up and sequence guard are the check): from the highest snapshot
   * this process has seen exist, probe forward — usually one request, `snapshot-(N+1)` absent,
   * instead of the hint and a probe; none when this process confirmed N the latest less than
   * FOLLOW_FRESH_MS ago, and writers of the process following at the same moment share one probe.
   * It does not notice a rollback since (the commit's look-up reads the hint); more than two
   * snapshots ahead it reads the hint.
   */
  async latestSnapshotToFollow(): Promise<Snapshot | undefined> {
    const pending = this.published.following;
    if (pending) await pending; // settled without throwing (see below); its result is in highestSeen
    if (this.confirmedWithin(FOLLOW_FRESH_MS)) return this.snapshot(this.highestSeen);
    const run = this.probeToFollow();
    const shared = run.then(
      () => undefined,
      () => undefined, // the caller below sees the error; sharers probe again themselves
    );
    this.published.following = shared;
    try {
      return await run;
    } finally {
      if (this.published.following === shared) this.published.following = undefined;
    }
  }

  private async probeToFollow(): Promise<Snapshot | undefined> {
    let id = this.highestSeen;
    if (id === 0 || !this.known(id)) return this.latestSnapshot();
    for (let step = 0; await this.snapshotExists(id + 1); step++) {
      if (step === 2) return this.latestSnapshot();
      id++;
      this.highestSeen = Math.max(this.highestSeen, id);
    }
    this.confirmLatest(id);
    return this.snapshot(id);
  }

  async earliestSnapshotId(): Promise<number | undefined> {
    const hint = await this.readHint('EARLIEST');
    if (hint !== undefined && (await this.snapshotExists(hint))) {
      let id = hint;
      // Expiry deletes from the front: step back while older ones still exist.
      while (id > 1 && (await this.snapshotExists(id - 1))) id--;
      return id;
    }
    const ids = await this.listSnapshotIds();
    return ids.length > 0 ? ids[0] : undefined;
  }

  async latestSnapshot(): Promise<Snapshot | undefined> {
    const id = await this.latestSnapshotId();
    return id === undefined ? undefined : this.snapshot(id);
  }

  /** The latest snapshot committed at or before `timeMillis`, or undefined. */
  async snapshotAsOf(timeMillis: number): Promise<Snapshot | undefined> {
    const latest = await this.latestSnapshotId();
    const earliest = await this.earliestSnapshotId();
    if (latest === undefined || earliest === undefined) return undefined;
    // Commit times increase with ids: binary search.
    let lo = earliest;
    let hi = latest;
    let found: Snapshot | undefined;
    while (lo <= hi) {
      const mid = Math.floor((lo + hi) / 2);
      const s = await this.snapshot(mid);
      if (s.timeMillis <= timeMillis) {
        found = s;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /**
   * The latest snapshot after this process lost the race for snapshot `taken` (another committer
   * created it): `taken` and the next ids are read side by side, one request each that also reads
   * the snapshot, so the usual answer — `taken` is the latest — costs one round trip instead of the
   * hint, a probe and a read, which is what lets a commit retried against a fast stream of commits
   * ever land. When `taken` is gone (expired, or a rollback) the hint decides.
   */
  async latestAfterLost(taken: number): Promise<Snapshot | undefined> {
    for (let from = taken; ; ) {
      const ids = [from, from + 1];
      const found = await Promise.all(ids.map((id) => this.snapshotIfExists(id)));
      if (!found[0]) return this.latestSnapshot();
      let i = 0;
      while (i + 1 < found.length && found[i + 1]) i++;
      if (i < found.length - 1) {
        this.confirmLatest(ids[i]);
        return found[i];
      }
      from = ids[i];
    }
  }

  /**
   * Deletes a snapshot this process published into a gap another committer's expiry left (see
   * FileStoreCommit): nothing was built on it. `next`, which exists, is the highest id known.
   */
  async retract(id: number, next: number): Promise<void> {
    await this.deleteSnapshot(id);
    this.highestSeen = Math.max(this.highestSeen, next);
  }

  /** Deletes `snapshot-N` (expiry) and forgets it, so this process never serves it from the cache. */
  async deleteSnapshot(id: number): Promise<void> {
    this.validCache.delete(id);
    this.published.snapshots.delete(id);
    await this.io.delete(this.snapshotPath(id));
  }

  /** Writes the EARLIEST hint (expiry moves it forward after deleting snapshot files). */
  async writeEarliestHint(id: number): Promise<void> {
    await this.io.write(joinPath(this.dir, 'EARLIEST'), String(id));
  }

  /** Atomically creates `snapshot-N`; false when another committer created it first. */
  async tryPublish(snapshot: Snapshot): Promise<boolean> {
    const ok = await this.io.writeIfAbsent(this.snapshotPath(snapshot.id), encodeSnapshot(snapshot));
    if (ok) {
      this.remember(snapshot);
      this.published.snapshots.set(snapshot.id, snapshot);
      this.confirmLatest(snapshot.id);
    } else if (snapshot.id >= this.highestSeen) {
      // Another committer's snapshot-N exists (not yet read): the next look-up must find it, not
      // trust what it confirmed before.
      this.highestSeen = snapshot.id;
    }
    return ok;
  }

  /**
   * Updates the LATEST (and, for the first snapshot, EARLIEST) hints after a publish. The commit has
   * landed whatever happens here, so a failure is reported as a warning, not as a failed commit:
   * a stale hint only makes the next reader probe a little further.
   */
  async writeHints(snapshotId: number): Promise<void> {
    try {
      await this.io.write(joinPath(this.dir, 'LATEST'), String(snapshotId));
      if (snapshotId === 1) await this.io.write(joinPath(this.dir, 'EARLIEST'), '1');
    } catch (e) {
      process.emitWarning(
        `eddy: snapshot ${snapshotId} committed, but updating the LATEST hint failed: ${(e as Error).message}`,
      );
    }
  }
}
