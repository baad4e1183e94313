import { columnValue, toPublicValue } from '../data/columns.ts';
import { decodeConsumer } from '../format/consumer.ts';
import type { ManifestEntry } from '../format/manifest.ts';
import { FileKind, mergeManifestEntries } from '../format/manifest.ts';
import type { Snapshot } from '../format/snapshot.ts';
import { type FileIO, joinPath } from '../io/file-io.ts';
import { ChangelogManager } from '../meta/changelog-manager.ts';
import type { DataSplit } from '../meta/data-split.ts';
import type { TableContext } from '../meta/table-context.ts';
import { type ColumnBatch, SplitReader } from '../read/split-reader.ts';
import { ScanPlanner } from '../scan/scan-planner.ts';
import type { TableSchema } from '../schema/table-schema.ts';
import type { DataField } from '../types/data-types.ts';
import { EddyError } from '../types/errors.ts';
import { ROW_KIND_NAMES } from '../types/internal.ts';
import type { NullableRow } from '../types/row-type.ts';

/** Paimon's `scan.mode` values a change feed understands. */
export type ScanMode =
  | 'default'
  | 'latest'
  | 'latest-full'
  | 'full'
  | 'from-snapshot'
  | 'from-snapshot-full'
  | 'from-timestamp';

export interface ChangeOptions {
  /** Where to start (Paimon's `scan.mode`); `default` = from-timestamp / from-snapshot when given, else latest-full. */
  readonly scanMode?: ScanMode;
  /** `scan.snapshot-id` for from-snapshot(-full). */
  readonly snapshotId?: number;
  /** `scan.timestamp-millis` for from-timestamp. */
  readonly timestamp?: Date | number;
  /** Consumer id: the position is kept in `consumer/consumer-<id>` and resumed from. */
  readonly consumerId?: string;
  /** How often to look for a new snapshot (Paimon's `continuous.discovery-interval`), ms. */
  readonly pollIntervalMs?: number;
  /** Stop after delivering this snapshot (a bounded, batch-like feed). */
  readonly endSnapshotId?: number;
  /**
   * Stops the feed: within one batch of the abort the iteration throws the signal's reason (an
   * `AbortError` DOMException unless `abort(reason)` gave another), as fetch and Node's streams do.
   */
  readonly signal?: AbortSignal;
  readonly select?: readonly string[];
  /**
   * When the next snapshot was expired before it could be read: `error` (default) throws
   * SNAPSHOT_EXPIRED naming the earliest snapshot; `restart` continues from the earliest one and
   * reports the gap through `onGap`.
   */
  readonly onExpired?: 'error' | 'restart';
  readonly onGap?: (gap: { readonly missedFrom: number; readonly resumedAt: number }) => void;
}

/**
 * One change: `+I`/`+U` carry the row; `-U`/`-D` its before-image, which may hold only the key
 * (the other columns null) when the table's changelog producer does not keep full rows. The row is
 * in the schema of its snapshot (`schemaId`): the column names the table had then.
 */
export type ChangeEvent<R = Record<string, unknown>> =
  | { readonly kind: '+I' | '+U'; readonly row: R; readonly snapshotId: number; readonly schemaId: number }
  | {
      readonly kind: '-U' | '-D';
      readonly row: NullableRow<R>;
      readonly snapshotId: number;
      readonly schemaId: number;
    };

/** A batch of changes: the rows' columns plus their kinds, from one snapshot, in its schema. */
export interface ChangeBatch {
  readonly snapshotId: number;
  /** The schema of `batch.fields` (the snapshot's `schemaId`). */
  readonly schemaId: number;
  readonly kinds: Int8Array;
  readonly batch: ColumnBatch;
}

/** Change events (rows as plain objects) of change batches. */
export async function* eventsOf(
  batches: AsyncIterable<ChangeBatch>,
  signal?: AbortSignal,
): AsyncGenerator<ChangeEvent> {
  for await (const b of batches) {
    signal?.throwIfAborted();
    const { fields, columns, length } = b.batch;
    for (let r = 0; r < length; r++) {
      const row: Record<string, unknown> = {};
      for (let c = 0; c < fields.length; c++)
        row[fields[c].name] = toPublicValue(fields[c].type, columnValue(columns[c], r));
      yield { kind: ROW_KIND_NAMES[b.kinds[r]], row, snapshotId: b.snapshotId, schemaId: b.schemaId } as ChangeEvent;
    }
  }
}

export const DEFAULT_POLL_INTERVAL_MS = 200;

/** A table as the change feed sees it: its parts, and full reads of a snapshot (`latest-full` and friends). */
export interface ChangeSource extends TableContext {
  scanColumns(options: {
    snapshotId: number;
    select: readonly string[];
    splits: readonly DataSplit[];
  }): AsyncIterable<ColumnBatch>;
}

/**
 * A table's change feed: optionally the full state at a snapshot (as +I), then the changes of each
 * following snapshot in commit order — the delta files of APPEND snapshots, or the changelog
 * files when the table has a changelog producer. New snapshots are found by probing
 * `snapshot-(N+1)`, never by listing; when the changelog outlives snapshots, an expired snapshot's
 * changes are read from its long-lived `changelog/changelog-N` (Java's NextSnapshotFetcher).
 *
 * Each snapshot's changes come in that snapshot's schema (its `schemaId`). `select` names columns
 * of the table's current schema; they are followed by field id, so a renamed column comes under
 * the name it had at each snapshot, and one that did not exist yet is left out.
 */
export class ChangeReader {
  /** Field ids of the selected columns (undefined: all columns of each snapshot's schema). */
  private readonly selectedIds: number[] | undefined;
  private readonly changelogs: ChangelogManager;
  private readonly readers = new Map<number, SplitReader>();

  constructor(
    private readonly table: ChangeSource,
    private readonly options: ChangeOptions = {},
  ) {
    const schema = table.schema;
    this.selectedIds = options.select?.map((c) => {
      const i = schema.fieldIndex(c);
      const f = i < 0 ? undefined : schema.fields[i];
      if (!f) throw new EddyError('INVALID_ARGUMENT', `select: unknown column '${c}' in table ${table.name}`);
      return f.id;
    });
    this.changelogs = new ChangelogManager(table.io, table.path);
  }

  /** The schema a snapshot's changes are read in, and the selected fields in it. */
  private async schemaOf(snapshot: Snapshot): Promise<{ schema: TableSchema; projection: DataField[] }> {
    const schema = await this.table.schemas.forSnapshot(snapshot.schemaId, this.table.schema);
    const projection = this.selectedIds
      ? this.selectedIds.map((id) => schema.fieldById(id)).filter((f) => f !== undefined)
      : [...schema.fields];
    return { schema, projection };
  }

  private readerOf(schema: TableSchema): SplitReader {
    let r = this.readers.get(schema.id);
    if (!r) {
      // Each delta is read once: its footers are not worth a place in the read cache.
      r = new SplitReader(this.table.io, this.table.paths, schema, this.table.schemas, { cacheFooters: false });
      this.readers.set(schema.id, r);
    }
    return r;
  }

  private get decoupled(): boolean {
    return this.table.schema.options.changelogDecoupled;
  }

  /** The first snapshot whose changes can still be read: the earliest changelog or snapshot. */
  private async earliestReadable(): Promise<number | undefined> {
    const snapshot = await this.table.snapshots.earliestSnapshotId();
    const changelog = this.decoupled ? await this.changelogs.earliestId() : undefined;
    if (changelog === undefined) return snapshot;
    return snapshot === undefined ? changelog : Math.min(snapshot, changelog);
  }

  async *batches(): AsyncGenerator<ChangeBatch> {
    const t = this.table;
    const o = this.options;
    const consumer = o.consumerId === undefined ? undefined : validateConsumerId(o.consumerId);
    let next: number;
    const resumed = consumer === undefined ? undefined : await readConsumer(t, consumer);
    if (resumed !== undefined) next = resumed;
    else {
      const start = await this.startPosition();
      if (start.full !== undefined) {
        const snapshot = await t.snapshots.snapshot(start.full);
        const { schema, projection } = await this.schemaOf(snapshot);
        if (projection.length > 0) {
          // The levels Java's streaming starting scan reads (not the batch rule): see ScanPlanner.
          const { splits } = await new ScanPlanner(schema, t.schemas, t.snapshots, t.manifests).plan({
            snapshot,
            levels: 'streaming-full',
          });
          const select = projection.map((f) => f.name);
          for await (const b of t.scanColumns({ snapshotId: start.full, select, splits })) {
            o.signal?.throwIfAborted();
            yield { snapshotId: start.full, schemaId: schema.id, kinds: new Int8Array(b.length), batch: b };
          }
        }
        if (consumer !== undefined) await writeConsumer(t, consumer, start.full + 1);
        if (o.endSnapshotId !== undefined && start.full >= o.endSnapshotId) return;
      }
      next = start.next;
    }
    const interval = o.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    const waiter = new SnapshotWaiter(t.io, t.snapshots.dir, interval, o.signal);
    try {
      yield* this.follow(next, consumer, waiter);
    } finally {
      waiter.close();
    }
  }

  /** Snapshot `id` and its changes, read ahead of the consumer; never rejects (failures are results). */
  private async fetch(id: number): Promise<Fetched> {
    let snapshot: Snapshot | undefined;
    try {
      snapshot = await this.tryRead(id);
    } catch (e) {
      return { id, readError: e };
    }
    if (snapshot === undefined) return { id };
    try {
      return { id, snapshot, changes: await this.changesOf(snapshot) };
    } catch (e) {
      return { id, snapshot, changesError: e };
    }
  }

  /**
   * The changes of snapshot `next` and each one after it, waiting for each to be committed.
   *
   * A feed that is behind (each snapshot it reads has a successor already) reads the next ones
   * ahead while it delivers — on S3 a snapshot is several round trips (snapshot, manifest list,
   * manifest, data files), and one after the other they fell behind a stream's commits. The next
   * id is read while the consumer takes a snapshot's changes; the window doubles with each snapshot
   * that was read ahead and existed, up to MAX_READ_AHEAD, and closes to one at the first read
   * ahead that does not (a feed that has caught up probes only the next id, as before). Delivery
   * stays in order, and a snapshot gone or failed is dealt with at its turn exactly as without
   * read-ahead; what was read ahead past a missing snapshot is dropped and read again.
   */
  private async *follow(
    next: number,
    consumer: string | undefined,
    waiter: SnapshotWaiter,
  ): AsyncGenerator<ChangeBatch> {
    const t = this.table;
    const o = this.options;
    const ahead = new Map<number, Promise<Fetched>>();
    let width = 1;
    /** Ids read ahead (before the feed reached them). */
    const early = new Set<number>();
    const fetchAt = (id: number): Promise<Fetched> => {
      let p = ahead.get(id);
      if (p === undefined) {
        p = this.fetch(id);
        ahead.set(id, p);
        if (id > next) early.add(id);
        const mine = p;
        void p.then((r) => {
          if (r.snapshot === undefined) {
            // Not there (yet): close the window. The id right after the one being delivered keeps
            // its answer (probing it again at once would find the same); one further is dropped,
            // to be probed again at its turn.
            width = 1;
            if (ahead.get(id) === mine && id > next + 1) {
              ahead.delete(id);
              early.delete(id);
            }
          }
        });
      }
      return p;
    };
    for (;;) {
      o.signal?.throwIfAborted();
      if (o.endSnapshotId !== undefined && next > o.endSnapshotId) return;
      const r = await fetchAt(next);
      ahead.delete(next);
      const wasEarly = early.delete(next);
      if (r.readError !== undefined) throw r.readError;
      const snapshot = r.snapshot;
      if (snapshot === undefined) {
        ahead.clear();
        early.clear();
        // Gone, or not yet committed? Asked at most once per poll interval: the probes between
        // (after a notification, or the quick ones after a delivery) cost one request each.
        if (waiter.dueForExpiryCheck()) {
          let earliest = await this.earliestReadable();
          // Gone, not yet committed: before the earliest, or (a changelog left from a time its
          // retention was longer) between it and later snapshots.
          const latest = earliest !== undefined && next >= earliest ? await t.snapshots.latestSnapshotId() : undefined;
          if (latest !== undefined && next < latest) earliest = await t.snapshots.earliestSnapshotId();
          if (earliest !== undefined && next < earliest) {
            if (o.onExpired !== 'restart') {
              throw new EddyError(
                'SNAPSHOT_EXPIRED',
                `table ${t.name}: snapshot ${next} was expired before this feed read it; the earliest is ${earliest}`,
              );
            }
            o.onGap?.({ missedFrom: next, resumedAt: earliest });
            next = earliest;
            continue;
          }
        }
        try {
          await waiter.wait();
        } catch (e) {
          o.signal?.throwIfAborted();
          throw e;
        }
        continue;
      }
      waiter.found();
      // It was there before the feed got to it: the feed is behind, so read further ahead.
      if (wasEarly) width = Math.min(MAX_READ_AHEAD, width * 2);
      // Read ahead while the consumer takes this one's changes.
      const until = Math.min(next + width, o.endSnapshotId ?? Number.POSITIVE_INFINITY);
      for (let id = next + 1; id <= until; id++) void fetchAt(id);
      if (r.changesError !== undefined) {
        const e = r.changesError;
        // Expiry removed the snapshot (and its changelog files) while it was being read: the same
        // typed outcome as expiring it just before.
        if (!(e instanceof EddyError && e.code === 'NOT_FOUND') || (await this.tryRead(snapshot.id)) !== undefined)
          throw e;
        ahead.clear();
        early.clear();
        const earliest = Math.max((await this.earliestReadable()) ?? 0, snapshot.id + 1);
        if (o.onExpired !== 'restart') {
          throw new EddyError(
            'SNAPSHOT_EXPIRED',
            `table ${t.name}: snapshot ${snapshot.id} was expired while this feed read it; the earliest is ${earliest}`,
            { cause: e },
          );
        }
        o.onGap?.({ missedFrom: snapshot.id, resumedAt: earliest });
        next = earliest;
        continue;
      }
      for (const b of r.changes ?? []) {
        o.signal?.throwIfAborted();
        yield b;
      }
      next = snapshot.id + 1;
      // Every change of the snapshot has been pulled by the consumer: record the position.
      if (consumer !== undefined) await writeConsumer(t, consumer, next);
    }
  }

  events(): AsyncGenerator<ChangeEvent> {
    return eventsOf(this.batches(), this.options.signal);
  }

  /** Snapshot `id`, or its long-lived changelog once expired (decoupled changelog), or undefined. */
  private async tryRead(id: number): Promise<Snapshot | undefined> {
    // Existence comes from storage (a cached snapshot may have been expired since).
    const snapshot = await this.table.snapshots.snapshotIfExists(id);
    if (snapshot) return snapshot;
    return this.decoupled ? this.changelogs.tryRead(id) : undefined;
  }

  /** The latest snapshot (or long-lived changelog) committed before `millis`, by binary search. */
  private async lastBefore(millis: number): Promise<number | undefined> {
    const latest = await this.table.snapshots.latestSnapshotId();
    let lo = await this.earliestReadable();
    if (latest === undefined || lo === undefined) return undefined;
    let hi = latest;
    let found: number | undefined;
    while (lo <= hi) {
      const mid = Math.floor((lo + hi) / 2);
      const s = await this.tryRead(mid);
      if (s === undefined) {
        lo = mid + 1; // expired meanwhile
        continue;
      }
      if (s.timeMillis < millis) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /** Where the feed starts: an optional full snapshot read, then the first snapshot to follow. */
  private async startPosition(): Promise<{ full?: number; next: number }> {
    const t = this.table;
    const o = this.options;
    let mode = o.scanMode ?? 'default';
    if (mode === 'default')
      mode =
        o.timestamp !== undefined ? 'from-timestamp' : o.snapshotId !== undefined ? 'from-snapshot' : 'latest-full';
    const latest = await t.snapshots.latestSnapshotId();
    switch (mode) {
      case 'latest':
        return { next: (latest ?? 0) + 1 };
      case 'latest-full':
      case 'full':
        return latest === undefined ? { next: 1 } : { full: latest, next: latest + 1 };
      case 'from-snapshot':
      case 'from-snapshot-full': {
        const id = o.snapshotId;
        if (id === undefined || !Number.isInteger(id) || id < 1) {
          throw new EddyError(
            'INVALID_ARGUMENT',
            `scan mode '${mode}' needs snapshotId (a positive integer), got ${id}`,
          );
        }
        const earliest = await this.earliestReadable();
        if (earliest !== undefined && id < earliest) {
          throw new EddyError(
            'SNAPSHOT_EXPIRED',
            `table ${t.name}: snapshot ${id} is expired; the earliest is ${earliest}`,
          );
        }
        return mode === 'from-snapshot' ? { next: id } : { full: id, next: id + 1 };
      }
      case 'from-timestamp': {
        if (o.timestamp === undefined)
          throw new EddyError('INVALID_ARGUMENT', "scan mode 'from-timestamp' needs timestamp");
        const millis = o.timestamp instanceof Date ? o.timestamp.getTime() : o.timestamp;
        const before = await this.lastBefore(millis);
        if (before !== undefined) return { next: before + 1 };
        return { next: (await this.earliestReadable()) ?? 1 };
      }
    }
    throw new EddyError('INVALID_OPTION', `unknown scan mode '${mode}'`);
  }

  /** The changes one snapshot contributes, one batch per (partition, bucket). */
  private async changesOf(snapshot: Snapshot): Promise<ChangeBatch[]> {
    const t = this.table;
    const producer = t.schema.options.changelogProducer;
    // Paimon's default (`streaming-read-overwrite` = false): an overwrite is not a change to stream.
    if (snapshot.commitKind === 'OVERWRITE') return [];
    let list: string | null | undefined;
    if (producer === 'none') list = snapshot.commitKind === 'APPEND' ? snapshot.deltaManifestList : undefined;
    else list = snapshot.changelogManifestList;
    if (!list) return [];
    // Manifests, and below the buckets' files, are read at once (each a round trip on S3).
    const metas = await t.manifests.readManifestList(list);
    const entries = (await Promise.all(metas.map((m) => t.manifests.readManifest(m.fileName, false)))).flat();
    // Postpone-bucket tables with a changelog producer: only real buckets carry changelog (Java's
    // DataTableStreamScan); without one, the rows written to `bucket-postpone/` are the changes.
    const realBucketsOnly = t.schema.options.bucket === -2 && producer !== 'none';
    const added = mergeManifestEntries(entries).filter(
      (e) => e.kind === FileKind.ADD && !(realBucketsOnly && e.bucket < 0),
    );
    if (added.some((e) => e.bucket < 0)) {
      throw new EddyError(
        'UNSUPPORTED',
        `table ${t.name}: option 'bucket' = -2 (postpone bucket mode) with changelog-producer 'none': Paimon's change feed includes the rows still in bucket-postpone/, written in ${added
          .find((e) => e.bucket < 0)!
          .file.fileName.split('.')
          .pop()} format, which Eddy does not read`,
      );
    }
    const byBucket = new Map<string, ManifestEntry[]>();
    for (const e of added) {
      const k = `${Buffer.from(e.partition).toString('base64')}/${e.bucket}`;
      const l = byBucket.get(k);
      if (l) l.push(e);
      else byBucket.set(k, [e]);
    }
    const out: ChangeBatch[] = [];
    const { schema, projection } = await this.schemaOf(snapshot);
    if (projection.length === 0) return out;
    const reader = this.readerOf(schema);
    const read = async (group: ManifestEntry[]): Promise<ChangeBatch | undefined> => {
      const files = group.map((e) => e.file).sort((a, b) => (a.minSequenceNumber < b.minSequenceNumber ? -1 : 1));
      const split: DataSplit = {
        snapshotId: snapshot.id,
        partition: t.paths.partitionValues(group[0].partition),
        partitionBytes: group[0].partition,
        bucket: group[0].bucket,
        totalBuckets: group[0].totalBuckets,
        files,
      };
      const { batch, kind } = await reader.readRecords(split, projection);
      return batch.length > 0 ? { snapshotId: snapshot.id, schemaId: schema.id, kinds: kind, batch } : undefined;
    };
    for (const b of await Promise.all([...byBucket.values()].map(read))) if (b) out.push(b);
    return out;
  }
}

/** Snapshots a feed that is behind reads ahead of its consumer, at most (their changes held in memory). */
const MAX_READ_AHEAD = 8;

/** A snapshot read ahead: absent, or with its changes or the failure reading them. */
interface Fetched {
  readonly id: number;
  readonly snapshot?: Snapshot;
  readonly changes?: ChangeBatch[];
  readonly readError?: unknown;
  readonly changesError?: unknown;
}

const CONSUMER_ID = /^[A-Za-z0-9_.-]{1,128}$/;

function validateConsumerId(id: string): string {
  if (!CONSUMER_ID.test(id) || id === '.' || id === '..') {
    throw new EddyError(
      'INVALID_NAME',
      `consumer id '${id}' must be 1-128 characters of letters, digits, '_', '.', '-'`,
    );
  }
  return id;
}

export function consumerPath(table: TableContext, id: string): string {
  return joinPath(table.path, 'consumer', `consumer-${id}`);
}

/** The next snapshot a consumer will read (`consumer/consumer-<id>`, Paimon's JSON), if any. */
export async function readConsumer(table: TableContext, id: string): Promise<number | undefined> {
  const path = consumerPath(table, id);
  let text: string;
  try {
    text = new TextDecoder().decode(await table.io.read(path));
  } catch (e) {
    if (e instanceof EddyError && e.code === 'NOT_FOUND') return undefined;
    throw e;
  }
  return decodeConsumer(text, path);
}

export async function writeConsumer(table: TableContext, id: string, nextSnapshot: number): Promise<void> {
  await table.io.write(consumerPath(table, id), JSON.stringify({ nextSnapshot }));
}

/**
 * How a feed waits for the next snapshot. Where storage notifies (a local disk: `FileIO.watch` on
 * the snapshot directory) a new file wakes it at once, and polling every interval stays as the
 * fallback for lost notifications. Elsewhere (S3) polling adapts: right after a snapshot was found
 * the next is probed after an eighth of the interval, doubling up to the interval while none comes —
 * so a busy table is followed closely and an idle one costs what fixed polling costs.
 */
class SnapshotWaiter {
  private readonly unwatch: (() => void) | undefined;
  /** A notification arrived since the last wait (the next probe must not sleep). */
  private notified = false;
  private wake: (() => void) | undefined;
  private delay: number;
  private readonly quick: number;
  private lastExpiryCheck = Number.NEGATIVE_INFINITY;

  constructor(
    io: FileIO,
    dir: string,
    private readonly interval: number,
    private readonly signal: AbortSignal | undefined,
  ) {
    this.quick = Math.max(5, Math.floor(interval / 8));
    this.delay = interval;
    this.unwatch = io.watch?.(dir, () => {
      this.notified = true;
      this.wake?.();
    });
  }

  /** Whether to ask if a missing snapshot was expired (at most once per interval). */
  dueForExpiryCheck(): boolean {
    const now = performance.now();
    if (now - this.lastExpiryCheck < this.interval) return false;
    this.lastExpiryCheck = now;
    return true;
  }

  /** A snapshot was found: without notifications, poll quickly again. */
  found(): void {
    this.delay = this.unwatch ? this.interval : this.quick;
  }

  /** Until a notification, the poll delay, or the abort (which rejects). */
  async wait(): Promise<void> {
    this.signal?.throwIfAborted();
    if (this.notified) {
      this.notified = false;
      return;
    }
    const ms = this.delay;
    if (!this.unwatch) this.delay = Math.min(this.interval, this.delay * 2);
    await new Promise<void>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        this.signal?.removeEventListener('abort', onAbort);
        this.wake = undefined;
      };
      const onAbort = () => {
        done();
        reject(this.signal?.reason);
      };
      const timer = setTimeout(() => {
        done();
        resolve();
      }, ms);
      this.wake = () => {
        done();
        this.notified = false;
        resolve();
      };
      this.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  close(): void {
    this.unwatch?.();
    this.wake = undefined;
  }
}
