import { compareValues } from '../data/columns.ts';
import { deserializeBinaryRow } from '../format/binary-row.ts';
import { DELETION_VECTORS_INDEX, HASH_INDEX } from '../format/index-manifest.ts';
import { type DataFileMeta, FileKind, type ManifestEntry } from '../format/manifest.ts';
import type { ManifestFileMeta } from '../format/manifest-list.ts';
import { BATCH_COMMIT_IDENTIFIER, type CommitKind, type Snapshot } from '../format/snapshot.ts';
import { deltaEntriesSince } from '../meta/changes-since.ts';
import { coalescedProperty, identifierIn } from '../meta/commit-identities.ts';
import type { CommitMessage } from '../meta/commit-message.ts';
import type { CommitUserManager } from '../meta/commit-user-manager.ts';
import { addedSince, bucketKeyOf, maxSequences } from '../meta/committed-sequences.ts';
import { combineDeletionVectorIndex, type DeletionVectorIndexCommit, referencedDataFiles } from '../meta/dv-index.ts';
import { combineHashIndex, type HashIndexCommit, indexKey } from '../meta/hash-index.ts';
import type { ManifestFiles } from '../meta/manifest-files.ts';
import { entriesPerFile, mergeManifests } from '../meta/manifest-merge.ts';
import type { SnapshotManager } from '../meta/snapshot-manager.ts';
import { carryOverProblem } from '../schema/schema-change.ts';
import type { SchemaManager } from '../schema/schema-manager.ts';
import type { TableSchema } from '../schema/table-schema.ts';
import type { DataType } from '../types/data-types.ts';
import { EddyError } from '../types/errors.ts';
import type { InternalValue } from '../types/internal.ts';

export interface CommitOptions {
  readonly commitUser: string;
  /** Checkpoint id; Long.MAX_VALUE for batch commits. */
  readonly commitIdentifier?: bigint;
  readonly kind?: CommitKind;
  readonly properties?: Readonly<Record<string, string>>;
  /**
   * Skip the exactly-once check: a writer's compaction lands right after its APPEND with the same
   * identifier (as Paimon does), so that identifier is already committed by design.
   */
  readonly skipCommittedCheck?: boolean;
  /**
   * An OVERWRITE commit: every file live at the snapshot it lands on whose partition `replaces`
   * selects is removed, and the new files take their place. Decided again at each attempt, so an
   * overwrite is ordered after every commit that landed before it (Paimon's semantics).
   */
  readonly overwrite?: { readonly replaces: (partition: Uint8Array) => boolean };
  /**
   * The snapshot the committing writer's sequence numbers rank above (every file live there has
   * lower numbers in the buckets this commit writes). A commit landing after it may have numbered
   * rows of the same keys at or above this commit's — another writer's, or an OVERWRITE numbered
   * from the files it replaced: then nothing is published and SequenceConflictError says which
   * buckets to re-base (the later commit must win).
   */
  readonly sequencedAfter?: number;
  /** Dynamic bucket mode: HASH index files to publish (and the index they built on). */
  readonly hashIndex?: HashIndexCommit;
  /**
   * Other writers' streaming commits published in the same snapshot (commit/commit-coalescer.ts):
   * their files join this commit's, their checkpoints are recorded in the snapshot's properties
   * (meta/commit-identities.ts). Each is checked as its own commit would be (exactly-once, its
   * sequencing point); one that already landed or must re-base stops the attempt with
   * CoalescedMemberError naming it, and nothing is published.
   */
  readonly coalesced?: readonly CoalescedMember[];
  /** Deletion-vector tables: the index files a compaction rewrote (and the ones it built on). */
  readonly deletionVectors?: DeletionVectorIndexCommit;
  /**
   * The snapshot a compaction was planned on: every file it deletes, and every file its deletion
   * vectors mark, was live there. Then each attempt reads only the snapshots committed since, not
   * the whole live set (a file leaves it only by a DELETE entry).
   */
  readonly plannedAt?: number;
}

/** A streaming commit published together with others (see CommitOptions.coalesced). */
export interface CoalescedMember {
  readonly commitUser: string;
  readonly commitIdentifier: bigint;
  readonly messages: readonly CommitMessage[];
  readonly sequencedAfter?: number;
}

/**
 * A coalesced commit stopped because of one member (index 0: the commit's own options, i ≥ 1:
 * `coalesced[i - 1]`): it already landed (`landed`: the snapshot holding it), or its files must be
 * re-based first (`conflict`). Nothing was published; the others can be committed without it.
 */
export class CoalescedMemberError extends Error {
  constructor(
    readonly member: number,
    readonly landed: Snapshot | undefined,
    readonly conflict: SequenceConflictError | undefined,
  ) {
    super(`coalesced commit member ${member} ${landed ? 'already landed' : 'must re-base'}`);
  }
}

export interface CommitResult {
  /** The snapshot that holds this commit (an earlier one when the commit had already landed). */
  readonly snapshot: Snapshot | undefined;
  /** False when nothing was published: no files, or the identifier was already committed. */
  readonly published: boolean;
  readonly attempts: number;
  /**
   * Writer commits: how many times this commit's files were re-based (rewritten above the sequence
   * numbers of a concurrent commit on the same keys) before it landed.
   */
  readonly rebases?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** COMMIT_CONFLICT errors of commits that lost every race (nothing they depend on changed). */
const lostRaces = new WeakSet<object>();

/**
 * Whether `e` is a commit that failed only because other committers created every snapshot id it
 * tried (`commit.max-retries`): nothing it was built on changed, so it may be committed again as it is.
 */
export const isLostEveryRace = (e: unknown): boolean => typeof e === 'object' && e !== null && lostRaces.has(e);

/** Errors thrown while publishing a snapshot: the commit may or may not have landed. */
const outcomeUnknown = new WeakSet<object>();

/**
 * Whether `e` was thrown while the snapshot file was being created, so the commit may have landed
 * (a lost acknowledgement, a timeout). The caller must then keep every file the commit references.
 */
export const isCommitOutcomeUnknown = (e: unknown): boolean =>
  typeof e === 'object' && e !== null && outcomeUnknown.has(e);

/**
 * Publishes commit messages as one snapshot: write the delta manifest once, then per attempt read
 * the latest snapshot, write base and delta manifest lists, and create `snapshot-(latest+1)`
 * without replacing. Losing the race re-reads and retries; the snapshot file is the only thing
 * that makes a commit visible, so it is all or nothing.
 */
/** A manifest list as written: its name and size, recorded in the snapshot. */
type ListRef = { name: string; size: number };

export class FileStoreCommit {
  /** Index manifests checked to hold only indexes Eddy maintains (checkIndexesMaintained). */
  private readonly maintainedIndexManifests = new Set<string>();

  constructor(
    private readonly schema: TableSchema,
    private readonly snapshots: SnapshotManager,
    private readonly manifests: ManifestFiles,
    /** When given, each attempt checks for a newer schema (see schemaToCommit). */
    private readonly schemas?: SchemaManager,
    /**
     * When given, streaming commits record their identifier there and the exactly-once check falls
     * back to it once every snapshot of the user has expired (meta/commit-user-manager.ts).
     */
    private readonly commitUsers?: CommitUserManager,
  ) {}

  /**
   * The schema id the snapshot records: the table's latest, as Paimon's commit does. The files keep
   * the schema they were written in; when the table moved on since, they are published only if
   * readers carry them over unchanged (carryOverProblem), else the commit fails SCHEMA_CHANGED.
   */
  private async schemaToCommit(fileCount: number): Promise<number> {
    if (!this.schemas) return this.schema.id;
    const latest = await this.schemas.latestFrom(this.schema);
    if (latest.id === this.schema.id || fileCount === 0) return latest.id;
    const problem = carryOverProblem(this.schema, latest);
    if (problem) {
      throw new EddyError(
        'SCHEMA_CHANGED',
        `the table's schema changed from ${this.schema.id} to ${latest.id} since this writer started (${problem}): nothing was committed; reload the table and write again`,
      );
    }
    return latest.id;
  }

  private partitionTypes() {
    return this.schema.partitionKeys.map((k) => this.schema.field(k).type);
  }

  /**
   * Whether `commitUser` already committed `identifier` (Paimon's exactly-once rule: a writer's
   * identifiers increase, so its latest snapshot tells which ones landed). When no snapshot of the
   * user is retained, its commit-user record tells (then the latest snapshot is returned: the
   * commit's own has expired, and the latest holds its rows). `latestId` (default: the latest)
   * saves a look-up when the caller just read it.
   */
  async isCommitted(commitUser: string, identifier: bigint, latestId?: number): Promise<Snapshot | undefined> {
    if (identifier === BATCH_COMMIT_IDENTIFIER) return undefined;
    const state = await this.lastCommitted(commitUser, latestId);
    if (state === undefined || state.identifier < identifier) return undefined;
    return state.snapshot ?? (await this.snapshots.latestSnapshot());
  }

  /**
   * The highest identifier `commitUser` committed: from its newest retained snapshot, else from its
   * commit-user record (when that record's snapshot has expired: a record naming a retained
   * snapshot of another user is left over from a rollback and ignored). Walks back from `latestId`
   * to the user's newest snapshot or the first expired one; the snapshots this process read or
   * published are cached, so a writer reads only those committed by others since its last commit.
   */
  async lastCommitted(
    commitUser: string,
    latestId?: number,
  ): Promise<{ identifier: bigint; snapshot?: Snapshot } | undefined> {
    const latest = latestId ?? (await this.snapshots.latestSnapshotId());
    let scannedDownTo = (latest ?? 0) + 1;
    if (latest !== undefined) {
      for (let id = latest; id >= 1; id--) {
        let s: Snapshot;
        try {
          s = await this.snapshots.snapshot(id);
        } catch (e) {
          if (e instanceof EddyError && e.code === 'NOT_FOUND') break; // expired (before the earliest, or under us)
          throw e;
        }
        scannedDownTo = id;
        const identifier = identifierIn(s, commitUser);
        if (identifier !== undefined) return { identifier, snapshot: s };
      }
    }
    const record = await this.commitUsers?.read(commitUser);
    if (record && record.snapshotId < scannedDownTo) return { identifier: record.commitIdentifier };
    return undefined;
  }

  async commit(messages: readonly CommitMessage[], options: CommitOptions): Promise<CommitResult> {
    const identifier = options.commitIdentifier ?? BATCH_COMMIT_IDENTIFIER;
    const overwrite = options.overwrite;
    const kind = overwrite ? 'OVERWRITE' : (options.kind ?? 'APPEND');
    const coalesced = options.coalesced ?? [];
    if (
      coalesced.length > 0 &&
      (overwrite || options.hashIndex || options.skipCommittedCheck || identifier === BATCH_COMMIT_IDENTIFIER)
    )
      throw new EddyError('INVALID_ARGUMENT', 'only streaming APPEND commits can be coalesced');
    // Every member's identity and sequencing point; member 0 is this commit's own.
    const members: CoalescedMember[] = [
      {
        commitUser: options.commitUser,
        commitIdentifier: identifier,
        messages,
        sequencedAfter: options.sequencedAfter,
      },
      ...coalesced,
    ];
    const group = coalesced.length > 0;
    const allMessages = group ? members.flatMap((m) => m.messages) : messages;
    const entries = entriesOf(allMessages);
    const changelog: ManifestEntry[] = [];
    for (const m of allMessages) {
      for (const file of m.changelogFiles ?? []) {
        changelog.push({
          kind: FileKind.ADD,
          partition: m.partitionBytes,
          bucket: m.bucket,
          totalBuckets: m.totalBuckets,
          file,
        });
      }
    }
    const o = this.schema.options;
    const nothing = entries.length === 0 && !overwrite;
    // The delta manifest is encoded first and written while the latest snapshot is looked up and
    // the lists are written (they need only its name, size and stats); it is awaited before the
    // publish, so a snapshot never names a file that is not durable. An overwrite's delta depends
    // on the base it lands on: written per attempt.
    const deltaPrepared =
      overwrite || nothing
        ? undefined
        : await this.manifests.prepareManifest(entries, this.partitionTypes(), this.schema.id);
    const fixedDelta = deltaPrepared?.meta;
    const deltaWritten = deltaPrepared?.write();
    // Observed here so a failure is not unhandled while the look-up runs; awaited before publishing.
    deltaWritten?.catch(() => undefined);
    let changelogManifest: ManifestFileMeta | undefined;
    try {
      changelogManifest =
        !nothing && changelog.length > 0
          ? await this.manifests.writeManifest(changelog, this.partitionTypes(), this.schema.id)
          : undefined;
    } catch (e) {
      if (fixedDelta) {
        await deltaWritten?.catch(() => undefined);
        await this.manifests.delete(fixedDelta.fileName);
      }
      throw e;
    }
    const changelogRecords = changelog.reduce((n, e) => n + e.file.rowCount, 0);
    const dropManifests = async () => {
      if (fixedDelta) {
        // Never delete before the write settled: a late write would leave the file behind.
        await deltaWritten?.catch(() => undefined);
        await this.manifests.delete(fixedDelta.fileName);
      }
      if (changelogManifest) await this.manifests.delete(changelogManifest.fileName);
    };

    // One look-up of the latest snapshot serves the exactly-once check and the first attempt (a
    // commit costs as few requests as the format allows). If the latest moves before we publish,
    // the check runs again: an earlier attempt whose outcome was unknown may have landed meanwhile.
    // A coalesced commit: the first member that already landed stops it (the caller drops it).
    const landedMember = async (latestId: number | undefined): Promise<Snapshot | undefined> => {
      for (let i = 0; i < members.length; i++) {
        const landed = await this.isCommitted(members[i].commitUser, members[i].commitIdentifier, latestId);
        if (landed && !group) return landed;
        if (landed) throw new CoalescedMemberError(i, landed, undefined);
      }
      return undefined;
    };
    let first: Snapshot | undefined;
    let already: Snapshot | undefined;
    try {
      first = await this.snapshots.latestSnapshot();
      if (!options.skipCommittedCheck) already = await landedMember(first?.id);
    } catch (e) {
      await dropManifests();
      throw e;
    }
    const checkedAt = first?.id;
    if (already) {
      await dropManifests();
      return { snapshot: already, published: false, attempts: 0 };
    }
    if (nothing) return { snapshot: first, published: false, attempts: 0 };

    const guards = members.map((m) =>
      m.sequencedAfter === undefined
        ? undefined
        : new SequenceGuard(this.schema, this.snapshots, this.manifests, m.sequencedAfter),
    );
    const memberEntries = group ? members.map((m) => entriesOf(m.messages)) : [entries];
    const needed = filesThatMustBeLive(entries, options.deletionVectors);
    const liveGuard =
      needed.size > 0 ? new LiveFilesGuard(this.snapshots, this.manifests, needed, options.plannedAt) : undefined;
    const properties = group
      ? { ...options.properties, ...Object.fromEntries(coalesced.map(coalescedProperty)) }
      : options.properties;
    let wait = o.commitMinRetryWaitMs;
    /** The snapshot id the previous attempt lost: another committer's snapshot exists there. */
    let lostAt: number | undefined;
    for (let attempt = 1; attempt <= o.commitMaxRetries + 1; attempt++) {
      let latest: Snapshot | undefined;
      try {
        // A compaction's retry reads the snapshot it lost to and the next one side by side (one round
        // trip). Writers racing each other look up through the hint: most of them lose to several
        // commits at once, and a stale answer costs them another lost attempt.
        latest =
          attempt === 1
            ? first
            : lostAt !== undefined && kind === 'COMPACT'
              ? await this.snapshots.latestAfterLost(lostAt)
              : await this.snapshots.latestSnapshot();
        if (!options.skipCommittedCheck && (attempt > 1 || latest?.id !== checkedAt)) {
          const landed = await landedMember(latest?.id);
          if (landed) {
            await dropManifests();
            return { snapshot: landed, published: false, attempts: attempt };
          }
        }
      } catch (e) {
        await dropManifests();
        throw e;
      }
      const written: string[] = [];
      /** Manifests of the latest snapshot's chain that this attempt's merge replaced. */
      const replaced: string[] = [];
      // Set while publishing: if tryPublish throws, the outcome is unknown (on S3, a put that timed out
      // may have landed) and snapshot-N may reference these files, so they must be kept.
      let publishing = false;
      // What may refuse this attempt: a compaction's checks run while its lists are built and written
      // (both need only the latest snapshot): against a fast stream of writers' commits, an attempt
      // lands only if it is short. A writer checks first: writers racing each other are refused
      // (re-based) often, and lists written for nothing are requests and round trips for all of them.
      const checked = (async () => {
        for (let i = 0; latest && i < guards.length; i++) {
          try {
            await guards[i]?.check(latest, memberEntries[i]);
          } catch (e) {
            if (group && e instanceof SequenceConflictError) throw new CoalescedMemberError(i, undefined, e);
            throw e;
          }
        }
        await this.checkIndexesMaintained(latest);
        await liveGuard?.check(latest);
      })();
      checked.catch(() => undefined); // observed here; awaited before publishing (or on failure)
      try {
        if (kind !== 'COMPACT') await checked;
        let attemptEntries = entries;
        let delta = fixedDelta;
        if (overwrite) {
          const replaced = latest
            ? (await this.liveEntries(latest)).filter((e) => overwrite.replaces(e.partition))
            : [];
          attemptEntries = [...replaced.map((e) => ({ ...e, kind: FileKind.DELETE })), ...entries];
          if (attemptEntries.length === 0) return { snapshot: latest, published: false, attempts: attempt };
          delta = await this.manifests.writeManifest(attemptEntries, this.partitionTypes(), this.schema.id);
          written.push(delta.fileName);
        }
        const schemaId = await this.schemaToCommit(attemptEntries.length + changelog.length);
        let deltaRecords = 0;
        for (const e of attemptEntries) deltaRecords += e.kind === FileKind.ADD ? e.file.rowCount : -e.file.rowCount;
        // The lists are independent objects: written side by side (each is a durable write, and a
        // commit's latency is the chain of them).
        const lists = await Promise.allSettled([
          (async () =>
            this.manifests.writeManifestList(
              latest ? await this.baseManifests(latest, written, replaced, attempt === 1 || kind !== 'COMPACT') : [],
            ))(),
          this.manifests.writeManifestList([delta!]),
          changelogManifest ? this.manifests.writeManifestList([changelogManifest]) : Promise.resolve(undefined),
        ]);
        for (const l of lists) if (l.status === 'fulfilled' && l.value) written.push(l.value.name);
        for (const l of lists) if (l.status === 'rejected') throw l.reason;
        const [baseList, deltaList, changelogList] = lists.map((l) =>
          l.status === 'fulfilled' ? l.value : undefined,
        ) as [ListRef, ListRef, ListRef | undefined];
        const indexManifest = await this.nextIndexManifest(latest, options, attemptEntries);
        if (indexManifest !== (latest?.indexManifest ?? null)) written.push(indexManifest!);
        const snapshot: Snapshot = {
          version: 3,
          id: (latest?.id ?? 0) + 1,
          schemaId,
          baseManifestList: baseList.name,
          baseManifestListSize: baseList.size,
          deltaManifestList: deltaList.name,
          deltaManifestListSize: deltaList.size,
          changelogManifestList: changelogList?.name ?? null,
          changelogManifestListSize: changelogList?.size,
          indexManifest,
          commitUser: options.commitUser,
          commitIdentifier: identifier,
          commitKind: kind,
          timeMillis: Date.now(),
          totalRecordCount: (latest?.totalRecordCount ?? 0) + deltaRecords,
          deltaRecordCount: deltaRecords,
          changelogRecordCount: changelogManifest ? changelogRecords : undefined,
          watermark: latest?.watermark,
          properties,
          nextRowId: latest?.nextRowId ?? 0n,
        };
        await checked;
        await deltaWritten; // the snapshot names it: durable first
        publishing = true;
        if (await this.snapshots.tryPublish(snapshot)) {
          // Published: a failure from here on leaves the outcome "landed", which a replay finds —
          // unless the id was free only because an expiry had deleted its snapshot meanwhile. The
          // hint and the members' records only after that check (a hint moved back to a snapshot in
          // a gap would lead readers and committers to it; a record naming it would make a replay
          // skip the commit), side by side (on S3 one round trip, not one per member).
          const gap = await this.gapAfter(snapshot, attemptEntries);
          if (gap !== undefined) {
            await this.snapshots.retract(snapshot.id, gap);
            publishing = false;
            throw new PublishedInGap();
          }
          const records =
            this.commitUsers && identifier !== BATCH_COMMIT_IDENTIFIER && !options.skipCommittedCheck
              ? members.map((m) =>
                  this.commitUsers!.write({
                    commitUser: m.commitUser,
                    commitIdentifier: m.commitIdentifier,
                    snapshotId: snapshot.id,
                    timeMillis: snapshot.timeMillis,
                  }),
                )
              : [];
          const settled = await Promise.allSettled([this.snapshots.writeHints(snapshot.id), ...records]);
          for (const r of settled) if (r.status === 'rejected') throw r.reason;
          this.manifests.forgetManifests(replaced);
          return { snapshot, published: true, attempts: attempt };
        }
      } catch (e) {
        await checked.catch(() => undefined); // settled before its files are cleaned up
        if (e instanceof PublishedInGap) {
          lostAt = undefined; // the id was taken long ago: the hint finds the latest
          await this.cleanup(written);
          continue;
        }
        if (!publishing) {
          await this.cleanup(written);
          await dropManifests();
        } else if (typeof e === 'object' && e !== null) outcomeUnknown.add(e);
        throw e;
      }
      // Lost the race: another committer created this snapshot id. Our lists were built on a stale
      // base, so drop them and try again on the new latest.
      lostAt = (latest?.id ?? 0) + 1;
      await checked.catch(() => undefined);
      await this.cleanup(written);
      await sleep(wait * (0.5 + Math.random()));
      wait = Math.min(wait * 2, o.commitMaxRetryWaitMs);
    }
    await dropManifests();
    const lost = new EddyError(
      'COMMIT_CONFLICT',
      `commit of ${entries.length} files failed after ${o.commitMaxRetries + 1} attempts: other writers kept winning`,
    );
    lostRaces.add(lost);
    throw lost;
  }

  /**
   * Whether `snapshot`, just created, landed in a gap: its id was free only because an expiry had
   * deleted the snapshot that held it — an attempt that outlasted the retention (with a small
   * `snapshot.num-retained.max` at many commits a second, a second or two). Readers and committers
   * would go back from the latest to this snapshot, losing every commit since. Returns the id of a
   * later snapshot (the caller retracts this one and tries again), or undefined.
   *
   * Expiry deletes snapshots oldest first (Eddy's and Paimon's ExpireSnapshotsImpl), so if the
   * snapshot this attempt built on still exists, the id it took was never deleted: one probe per
   * commit. Only when it is gone (expired before this publish, or just after it) are the snapshots
   * listed, and the first later one read. Built on this snapshot, it holds this commit's new files
   * (their names are new) and none of the files this commit deleted; from before it, it cannot
   * hold the new files, and still holds a deleted one unless another commit deleted it too — a
   * commit that adds nothing is then ambiguous, and stays published.
   */
  private async gapAfter(snapshot: Snapshot, entries: readonly ManifestEntry[]): Promise<number | undefined> {
    const base = snapshot.id - 1;
    if (base > 0 && (await this.snapshots.snapshotExists(base))) return undefined;
    if (entries.length === 0) return undefined;
    const next = (await this.snapshots.listSnapshotIds()).find((id) => id > snapshot.id);
    if (next === undefined) return undefined;
    const later = await this.snapshots.snapshotIfExists(next);
    if (!later) return next; // expired already: even later ones exist, and none built on this one so soon
    const added = new Set<string>();
    const deleted = new Set<string>();
    for (const e of entries)
      (e.kind === FileKind.ADD ? added : deleted).add(fileNameKey(e.partition, e.bucket, e.file.fileName));
    if (added.size > 0) {
      const lists = await Promise.all([
        this.manifests.readManifestList(later.baseManifestList),
        this.manifests.readManifestList(later.deltaManifestList),
      ]);
      for (const m of lists.flat())
        for (const e of await this.manifests.readManifest(m.fileName))
          if (added.has(fileNameKey(e.partition, e.bucket, e.file.fileName))) return undefined;
      return next;
    }
    for (const e of await this.manifests.liveEntries(later))
      if (deleted.has(fileNameKey(e.partition, e.bucket, e.file.fileName))) return next;
    return undefined;
  }

  /**
   * Manifests of the previous snapshot, merged as Paimon's ManifestFileMerger does (see
   * meta/manifest-merge.ts) — otherwise every commit would add one forever.
   */
  private async baseManifests(
    latest: Snapshot,
    written: string[],
    replaced: string[],
    merge: boolean,
  ): Promise<ManifestFileMeta[]> {
    // Both lists at once: on S3 each is a round trip, and a commit's latency is the chain of them.
    const [base, delta] = await Promise.all([
      this.manifests.readManifestList(latest.baseManifestList),
      this.manifests.readManifestList(latest.deltaManifestList),
    ]);
    const metas = [...base, ...delta];
    // A compaction's retry keeps the attempt short (it lost a race to the writers once): the lists
    // as they are, one manifest more, which the next writer's merge takes in. (Writers racing each
    // other merge at every attempt: were retries not to, most commits would land unmerged, the
    // lists would grow, and every first attempt would merge more, lose, and throw the merge away.)
    if (!merge) return metas;
    const o = this.schema.options;
    const perFile = entriesPerFile(o.manifestTargetFileSize, metas);
    const merged = await mergeManifests(
      metas,
      {
        read: (m) => this.manifests.readManifest(m.fileName),
        write: async (entries) => {
          const out: ManifestFileMeta[] = [];
          for (let i = 0; i < entries.length; i += perFile) {
            const meta = await this.manifests.writeManifest(
              entries.slice(i, i + perFile),
              this.partitionTypes(),
              this.schema.id,
            );
            written.push(meta.fileName);
            out.push(meta);
          }
          return out;
        },
      },
      {
        targetFileSize: o.manifestTargetFileSize,
        mergeMinCount: o.manifestMergeMinCount,
        fullCompactionThresholdSize: o.manifestFullCompactionThresholdSize,
      },
    );
    const kept = new Set(merged.map((m) => m.fileName));
    for (const m of metas) if (!kept.has(m.fileName)) replaced.push(m.fileName);
    return merged;
  }

  /**
   * The index manifest the new snapshot names: the latest one, with this commit's HASH or
   * DELETION_VECTORS files replacing their buckets' files. An overwrite also drops the index files
   * of the partitions it replaces, as Paimon's FileStoreCommitImpl.overwriteChanges does: every
   * deletion-vector file (the files it marks are gone), and the HASH files of buckets it writes no
   * file to. (Paimon's overwrite writer starts from an empty key index; Eddy's builds on the
   * previous one, so a bucket it writes to keeps its file: dropping it would let a key that is
   * there now be assigned again, to a second bucket.)
   */
  private async nextIndexManifest(
    latest: Snapshot | undefined,
    options: CommitOptions,
    entries: readonly ManifestEntry[],
  ): Promise<string | null> {
    const name = latest?.indexManifest ?? null;
    const overwrite = options.overwrite;
    if (!options.hashIndex && !options.deletionVectors && !(overwrite && name)) return name;
    let index = name ? await this.manifests.readIndexManifest(name) : [];
    const before = index.length;
    if (options.hashIndex) index = combineHashIndex(index, options.hashIndex);
    if (options.deletionVectors) index = combineDeletionVectorIndex(index, options.deletionVectors);
    if (overwrite) {
      const added = new Set([...(options.hashIndex?.added ?? []), ...(options.deletionVectors?.added ?? [])]);
      const written = new Set<string>();
      for (const e of entries) if (e.kind === FileKind.ADD) written.add(indexKey(e.partition, e.bucket));
      index = index.filter(
        (e) =>
          added.has(e) ||
          !overwrite.replaces(e.partition) ||
          (e.indexType === HASH_INDEX && written.has(indexKey(e.partition, e.bucket))),
      );
      if (!options.hashIndex && !options.deletionVectors && index.length === before) return name;
    }
    return this.manifests.writeIndexManifest(index);
  }

  /**
   * Eddy maintains HASH and DELETION_VECTORS index files only. A global index (Paimon 2.x btree,
   * bitmap, full-text) describes the rows of the files it was built on: a commit that adds or
   * replaces files under it would leave it stale for every engine that trusts it, so nothing is
   * published. Each index manifest (immutable, by name) is read once per committer.
   */
  private async checkIndexesMaintained(latest: Snapshot | undefined): Promise<void> {
    const name = latest?.indexManifest;
    if (!name || this.maintainedIndexManifests.has(name)) return;
    for (const e of await this.manifests.readIndexManifest(name)) {
      if (e.kind === FileKind.ADD && e.indexType !== HASH_INDEX && e.indexType !== DELETION_VECTORS_INDEX)
        throw new EddyError(
          'UNSUPPORTED',
          `writing to a table with '${e.indexType}' index files is not supported: Eddy does not maintain global indexes (${e.fileName}, in ${this.snapshots.snapshotPath(latest.id)})`,
        );
    }
    if (this.maintainedIndexManifests.size >= 64) this.maintainedIndexManifests.clear();
    this.maintainedIndexManifests.add(name);
  }

  /** The files live at `snapshot` (base and delta merged). */
  private liveEntries(snapshot: Snapshot): Promise<ManifestEntry[]> {
    return this.manifests.liveEntries(snapshot);
  }

  private async cleanup(names: string[]): Promise<void> {
    for (const n of names) await this.manifests.delete(n);
    names.length = 0;
  }
}

/** An attempt published into a gap an expiry left (see FileStoreCommit.gapAfter), retracted: try again. */
class PublishedInGap extends Error {}

/** The data file entries of commit messages: each message's deleted files, then its new ones. */
function entriesOf(messages: readonly CommitMessage[]): ManifestEntry[] {
  const entries: ManifestEntry[] = [];
  for (const m of messages) {
    for (const file of m.deletedFiles ?? []) {
      entries.push({
        kind: FileKind.DELETE,
        partition: m.partitionBytes,
        bucket: m.bucket,
        totalBuckets: m.totalBuckets,
        file,
      });
    }
    for (const file of m.newFiles) {
      entries.push({
        kind: FileKind.ADD,
        partition: m.partitionBytes,
        bucket: m.bucket,
        totalBuckets: m.totalBuckets,
        file,
      });
    }
  }
  return entries;
}

/** A file a commit needs live where it lands, by partition, bucket and name, and why. */
type NeededFile = { readonly fileName: string; readonly bucket: number; readonly why: 'deleted' | 'marked' };

const fileNameKey = (partition: Uint8Array, bucket: number, fileName: string) =>
  `${indexKey(partition, bucket)}/${fileName}`;

/**
 * The files that must still be live when this commit lands: the files it deletes, and the files its
 * new deletion vectors mark other than the ones it adds. (Keyed by name: a file name is unique in
 * its bucket, so a DELETE of it at any level means it moved or went.)
 */
function filesThatMustBeLive(
  entries: readonly ManifestEntry[],
  dv: DeletionVectorIndexCommit | undefined,
): Map<string, NeededFile> {
  const needed = new Map<string, NeededFile>();
  const added = new Set<string>();
  for (const e of entries) {
    const key = fileNameKey(e.partition, e.bucket, e.file.fileName);
    if (e.kind === FileKind.DELETE) needed.set(key, { fileName: e.file.fileName, bucket: e.bucket, why: 'deleted' });
    else added.add(key);
  }
  for (const f of dv ? referencedDataFiles(dv) : []) {
    const key = fileNameKey(f.partition, f.bucket, f.fileName);
    // A vector of a file this commit deletes would mark rows of nothing.
    if (needed.get(key)?.why === 'deleted') throw conflictOn(f.fileName, 'marked');
    if (!added.has(key)) needed.set(key, { fileName: f.fileName, bucket: f.bucket, why: 'marked' });
  }
  return needed;
}

function conflictOn(fileName: string, why: NeededFile['why'], bucket?: number): EddyError {
  return new EddyError(
    'COMMIT_CONFLICT',
    why === 'deleted'
      ? `file ${fileName}${bucket === undefined ? '' : ` (bucket ${bucket})`} was removed by a concurrent commit; this compaction is discarded`
      : `data file ${fileName} that a new deletion vector marks was removed by a concurrent commit; this compaction is discarded`,
  );
}

/**
 * A compaction replaces files (and its deletion vectors mark files): if another commit (a
 * concurrent compaction, an overwrite) removed one of them since it was planned, committing would
 * resurrect or double rows — the attempt fails with COMMIT_CONFLICT instead and the caller discards
 * the compaction. The files were live at the snapshot it was planned on, and a file leaves the live
 * set only by a DELETE entry, so each attempt reads only the delta manifests of the snapshots
 * committed since the last check (as Paimon's ConflictDetection reads incremental changes on
 * retry) — on a table with thousands of files at ten commits a second, re-reading the whole live
 * set per attempt made a compaction lose every race. Without a starting point, or when a snapshot
 * in between has expired (or the latest went back: a rollback), the latest's live files are read.
 */
class LiveFilesGuard {
  constructor(
    private readonly snapshots: SnapshotManager,
    private readonly manifests: ManifestFiles,
    private readonly needed: ReadonlyMap<string, NeededFile>,
    /** The snapshot up to which the files are known live. */
    private through: number | undefined,
  ) {}

  async check(latest: Snapshot | undefined): Promise<void> {
    if (!latest) {
      const [first] = this.needed.values();
      throw conflictOn(first.fileName, first.why, first.bucket);
    }
    if (this.through !== undefined && latest.id >= this.through) {
      const deltas = await deltaEntriesSince(this.snapshots, this.manifests, this.through, latest);
      if (deltas !== undefined) {
        for (const e of deltas) {
          if (e.kind !== FileKind.DELETE) continue;
          const n = this.needed.get(fileNameKey(e.partition, e.bucket, e.file.fileName));
          if (n) throw conflictOn(n.fileName, n.why, n.bucket);
        }
        this.through = latest.id;
        return;
      }
    }
    const live = new Set<string>();
    for (const e of await this.manifests.liveEntries(latest))
      live.add(fileNameKey(e.partition, e.bucket, e.file.fileName));
    for (const [key, n] of this.needed) if (!live.has(key)) throw conflictOn(n.fileName, n.why, n.bucket);
    this.through = latest.id;
  }
}

/**
 * Thrown (before anything is published) when files this commit adds could rank at or below rows of
 * the same keys that other commits landed since the writer numbered them: committed as they are,
 * the earlier commit would win. The writer re-bases those files above `floors` and commits again
 * (TableWrite does), so the later commit wins.
 */
export class SequenceConflictError extends EddyError {
  constructor(
    /** Per bucket key (meta/committed-sequences.ts): the lowest sequence number that ranks above the other commits. */
    readonly floors: ReadonlyMap<string, bigint>,
    /** The snapshot the check read up to: after re-basing, the commit is sequenced after it. */
    readonly through: number,
  ) {
    super(
      'COMMIT_CONFLICT',
      `commits up to snapshot ${through} wrote keys of ${floors.size} bucket(s) this commit writes too, with sequence numbers at or above this commit's: nothing was committed; re-base this commit's files above them and commit again`,
    );
    sequenceConflicts.add(this);
  }

  /** EddyError's instanceof accepts every Eddy error; this one only its own instances. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && sequenceConflicts.has(value);
  }
}

const sequenceConflicts = new WeakSet<object>();

/**
 * The files other commits added after a writer's sequencing point, per (partition, bucket), with
 * their key ranges: one of the writer's files would lose to one of them only if their key ranges
 * overlap and its sequence numbers reach the file's own. Read incrementally across attempts.
 */
class SequenceGuard {
  private through: number;
  private fromLiveFiles = false;
  private added: ManifestEntry[] = [];
  private readonly keyTypes: DataType[];

  constructor(
    schema: TableSchema,
    private readonly snapshots: SnapshotManager,
    private readonly manifests: ManifestFiles,
    sequencedAfter: number,
  ) {
    this.keyTypes = schema.trimmedPrimaryKeys.map((k) => schema.field(k).type);
    this.through = sequencedAfter;
  }

  async check(latest: Snapshot, entries: readonly ManifestEntry[]): Promise<void> {
    if (latest.id > this.through) {
      if (this.fromLiveFiles) {
        this.added = await this.manifests.liveEntries(latest);
      } else {
        const r = await addedSince(this.snapshots, this.manifests, this.through, latest);
        this.fromLiveFiles = r.fromLiveFiles;
        this.added = r.fromLiveFiles ? [...r.entries] : [...this.added, ...r.entries];
      }
      this.through = latest.id;
    }
    if (this.added.length === 0) return;
    const byBucket = new Map<string, ManifestEntry[]>();
    for (const e of this.added) {
      const k = bucketKeyOf(e.partition, e.bucket);
      const l = byBucket.get(k);
      if (l) l.push(e);
      else byBucket.set(k, [e]);
    }
    const floors = new Map<string, bigint>();
    for (const e of entries) {
      if (e.kind !== FileKind.ADD) continue;
      const k = bucketKeyOf(e.partition, e.bucket);
      const others = byBucket.get(k);
      if (!others || floors.has(k)) continue;
      const mine = this.range(e);
      const beaten = others.some(
        (o) =>
          o.file.maxSequenceNumber >= e.file.minSequenceNumber &&
          compareKeys(this.keyTypes, mine.min, this.range(o).max) <= 0 &&
          compareKeys(this.keyTypes, this.range(o).min, mine.max) <= 0,
      );
      if (beaten) floors.set(k, maxSequences(others).get(k)! + 1n);
    }
    if (floors.size > 0) throw new SequenceConflictError(floors, latest.id);
  }

  private readonly ranges = new WeakMap<ManifestEntry, { min: InternalValue[]; max: InternalValue[] }>();

  private range(e: ManifestEntry): { min: InternalValue[]; max: InternalValue[] } {
    let r = this.ranges.get(e);
    if (!r) {
      r = {
        min: deserializeBinaryRow(e.file.minKey, this.keyTypes),
        max: deserializeBinaryRow(e.file.maxKey, this.keyTypes),
      };
      this.ranges.set(e, r);
    }
    return r;
  }
}

/**
 * Whether some file of `later` could rank at or below a file of `earlier` for the same key: same
 * (partition, bucket), overlapping key ranges, and `earlier`'s sequence numbers reaching `later`'s.
 * Then `later` must not share a snapshot with `earlier` (within one snapshot, the higher sequence
 * number wins, not the later commit); committed after it, its sequence guard re-bases it.
 */
export function mayRankBelow(
  schema: TableSchema,
  later: readonly CommitMessage[],
  earlier: readonly CommitMessage[],
): boolean {
  if (!schema.isPrimaryKeyTable) return false;
  const keyTypes = schema.trimmedPrimaryKeys.map((k) => schema.field(k).type);
  const files = (m: CommitMessage) => [...m.newFiles, ...(m.changelogFiles ?? [])];
  const byBucket = new Map<string, DataFileMeta[]>();
  for (const m of earlier) {
    const k = bucketKeyOf(m.partitionBytes, m.bucket);
    byBucket.set(k, [...(byBucket.get(k) ?? []), ...files(m)]);
  }
  for (const m of later) {
    const others = byBucket.get(bucketKeyOf(m.partitionBytes, m.bucket));
    if (!others) continue;
    for (const f of files(m)) {
      const fMin = deserializeBinaryRow(f.minKey, keyTypes);
      const fMax = deserializeBinaryRow(f.maxKey, keyTypes);
      for (const o of others) {
        if (
          o.maxSequenceNumber >= f.minSequenceNumber &&
          compareKeys(keyTypes, fMin, deserializeBinaryRow(o.maxKey, keyTypes)) <= 0 &&
          compareKeys(keyTypes, deserializeBinaryRow(o.minKey, keyTypes), fMax) <= 0
        )
          return true;
      }
    }
  }
  return false;
}

function compareKeys(types: readonly DataType[], a: readonly InternalValue[], b: readonly InternalValue[]): number {
  for (let i = 0; i < types.length; i++) {
    const c = compareValues(types[i], a[i], b[i]);
    if (c !== 0) return c;
  }
  return 0;
}
