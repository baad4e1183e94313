/**
 * The JSON documents the pages draw: warehouse, table, snapshot timeline, LSM shape, files with
 * key ranges, tags and consumers. Built from `@eddy/table` and `@eddy/table/inspect` only.
 */
import { EddyError, formatDataType, type Snapshot, schemaDiff, type Table } from '@eddy/table';
import { FileKind, inspect, type ManifestEntry } from '@eddy/table/inspect';
import type { Tables } from './tables.ts';

/** The commit identifier of batch (non-streaming) commits: Long.MAX_VALUE. */
const BATCH_COMMIT = 9223372036854775807n;

// --- warehouse -----------------------------------------------------------------------------------

export async function warehouseView(tables: Tables) {
  const databases: { name: string; tables: unknown[] }[] = [];
  for (const db of await tables.catalog.listDatabases()) {
    const rows = [];
    for (const name of await tables.catalog.listTables(db)) {
      const t = await tables.get(`${db}.${name}`);
      const latest = await t.latestSnapshot();
      const health = latest ? await t.bucketHealth() : [];
      rows.push({
        name: `${db}.${name}`,
        primaryKey: t.schema.primaryKeys,
        partitionKeys: t.schema.partitionKeys,
        latestSnapshot: latest ? snapshotHead(latest) : null,
        records: latest?.totalRecordCount ?? 0,
        sizeBytes: health.reduce((a, b) => a + b.sizeBytes, 0),
        files: health.reduce((a, b) => a + b.files, 0),
        buckets: health.length,
        worstSortedRuns: health.reduce((a, b) => Math.max(a, b.sortedRuns), 0),
        bucketsNeedingCompaction: health.filter((b) => b.needsCompaction).length,
      });
    }
    databases.push({ name: db, tables: rows });
  }
  return { warehouse: tables.catalog.warehouse, databases };
}

const snapshotHead = (s: Snapshot) => ({ id: s.id, kind: s.commitKind, timeMillis: s.timeMillis });

// --- table ---------------------------------------------------------------------------------------

export async function tableView(table: Table) {
  const s = table.schema;
  const meta = inspect(table);
  const latest = await table.latestSnapshot();
  const files = latest ? await meta.liveFiles(latest) : [];
  const history = await table.schemaHistory();
  const partitions = new Map<
    string,
    { values: Record<string, unknown>; files: number; rows: number; sizeBytes: number; buckets: Set<number> }
  >();
  for (const e of files) {
    const values = meta.partition(e.partition);
    const label = partitionLabel(values);
    let p = partitions.get(label);
    if (!p) {
      p = { values, files: 0, rows: 0, sizeBytes: 0, buckets: new Set() };
      partitions.set(label, p);
    }
    p.files++;
    p.rows += e.file.rowCount;
    p.sizeBytes += e.file.fileSize;
    p.buckets.add(e.bucket);
  }
  return {
    name: table.name,
    path: table.path,
    comment: s.comment ?? null,
    schemaId: s.id,
    fields: s.fields.map((f) => ({
      id: f.id,
      name: f.name,
      type: formatDataType(f.type),
      primaryKey: s.primaryKeys.includes(f.name),
      partitionKey: s.partitionKeys.includes(f.name),
      description: f.description ?? null,
    })),
    primaryKeys: s.primaryKeys,
    partitionKeys: s.partitionKeys,
    bucketKeys: s.bucketKeys,
    bucket: s.options.bucket,
    mergeEngine: s.isPrimaryKeyTable ? s.options.mergeEngine : null,
    options: s.rawOptions,
    schemas: history.map((h, i) => ({
      id: h.id,
      timeMillis: h.timeMillis,
      changes: schemaDiff(i === 0 ? undefined : history[i - 1], h),
    })),
    snapshots: {
      earliest: (await meta.earliestSnapshotId()) ?? null,
      latest: latest ? snapshotHead(latest) : null,
    },
    records: latest?.totalRecordCount ?? 0,
    dataFiles: files.length,
    sizeBytes: files.reduce((a, e) => a + e.file.fileSize, 0),
    partitions: [...partitions].map(([label, p]) => ({
      partition: label,
      values: p.values,
      files: p.files,
      rows: p.rows,
      sizeBytes: p.sizeBytes,
      buckets: p.buckets.size,
    })),
  };
}

const partitionLabel = (values: Record<string, unknown>): string =>
  Object.entries(values)
    .map(([k, v]) => `${k}=${v === null ? 'null' : String(v)}`)
    .join('/');

// --- timeline ------------------------------------------------------------------------------------

/** What one commit did, from its delta manifests (snapshots are immutable: cached by path). */
export interface CommitSummary {
  readonly id: number;
  readonly kind: string;
  readonly timeMillis: number;
  readonly commitUser: string;
  readonly commitIdentifier: bigint | 'batch';
  readonly schemaId: number;
  readonly totalRecords: number;
  /** Rows in the data files the commit added. */
  readonly addedRows: number;
  /** Rows in the data files the commit removed (compaction inputs, overwritten files). */
  readonly removedRows: number;
  /** Delete and update-before records among the added rows (primary-key tables). */
  readonly retractions: number;
  readonly addedFiles: number;
  readonly removedFiles: number;
  readonly changelogRecords: number | null;
}

const summaries = new Map<string, CommitSummary>();

export async function commitSummary(table: Table, id: number): Promise<CommitSummary> {
  const key = `${table.path}#${id}`;
  const hit = summaries.get(key);
  if (hit) return hit;
  const meta = inspect(table);
  const s = await meta.snapshot(id);
  let addedRows = 0;
  let removedRows = 0;
  let retractions = 0;
  let addedFiles = 0;
  let removedFiles = 0;
  for (const m of await meta.readManifestList(s.deltaManifestList)) {
    for (const e of await meta.readManifest(m.fileName)) {
      if (e.kind === FileKind.ADD) {
        addedFiles++;
        addedRows += e.file.rowCount;
        retractions += e.file.deleteRowCount ?? 0;
      } else {
        removedFiles++;
        removedRows += e.file.rowCount;
      }
    }
  }
  const summary: CommitSummary = {
    id: s.id,
    kind: s.commitKind,
    timeMillis: s.timeMillis,
    commitUser: s.commitUser,
    commitIdentifier: s.commitIdentifier === BATCH_COMMIT ? 'batch' : s.commitIdentifier,
    schemaId: s.schemaId,
    totalRecords: s.totalRecordCount,
    addedRows,
    removedRows,
    retractions,
    addedFiles,
    removedFiles,
    changelogRecords: s.changelogRecordCount ?? null,
  };
  if (summaries.size >= 50_000) summaries.delete(summaries.keys().next().value as string);
  summaries.set(key, summary);
  return summary;
}

/** The last `limit` snapshots, oldest first. */
export async function timelineView(table: Table, limit: number) {
  const ids = await inspect(table).listSnapshotIds();
  const shown = ids.slice(Math.max(0, ids.length - limit));
  const commits: CommitSummary[] = [];
  for (const id of shown) {
    try {
      commits.push(await commitSummary(table, id));
    } catch (e) {
      // Expired between the listing and the read: the timeline starts later.
      if (!(e instanceof EddyError && (e.code === 'NOT_FOUND' || e.code === 'SNAPSHOT_EXPIRED'))) throw e;
    }
  }
  return { table: table.name, total: ids.length, commits };
}

// --- LSM shape and files -------------------------------------------------------------------------

async function snapshotAt(table: Table, id: number | undefined): Promise<Snapshot | undefined> {
  if (id === undefined) return table.latestSnapshot();
  return inspect(table).snapshot(id);
}

/** Sorted runs of a bucket: each level-0 file is one, each deeper level holding files is one. */
export function sortedRuns(levels: readonly number[]): number {
  return levels.filter((l) => l === 0).length + new Set(levels.filter((l) => l > 0)).size;
}

interface BucketGroup {
  partition: string;
  bucket: number;
  entries: ManifestEntry[];
}

function byBucket(meta: ReturnType<typeof inspect>, files: readonly ManifestEntry[]): BucketGroup[] {
  const groups = new Map<string, BucketGroup>();
  for (const e of files) {
    const partition = partitionLabel(meta.partition(e.partition));
    const key = `${partition}\u0000${e.bucket}`;
    let g = groups.get(key);
    if (!g) {
      g = { partition, bucket: e.bucket, entries: [] };
      groups.set(key, g);
    }
    g.entries.push(e);
  }
  return [...groups.values()].sort((a, b) => a.partition.localeCompare(b.partition) || a.bucket - b.bucket);
}

export async function lsmView(table: Table, snapshotId: number | undefined) {
  const meta = inspect(table);
  const snapshot = await snapshotAt(table, snapshotId);
  const files = snapshot ? await meta.liveFiles(snapshot) : [];
  const numLevels = Number(table.schema.rawOptions['num-levels'] ?? 0);
  return {
    table: table.name,
    snapshot: snapshot ? snapshotHead(snapshot) : null,
    primaryKey: table.schema.isPrimaryKeyTable,
    maxLevel: Math.max(numLevels - 1, ...files.map((e) => e.file.level), 0),
    buckets: byBucket(meta, files).map((g) => ({
      partition: g.partition,
      bucket: g.bucket,
      sortedRuns: sortedRuns(g.entries.map((e) => e.file.level)),
      sizeBytes: g.entries.reduce((a, e) => a + e.file.fileSize, 0),
      files: g.entries
        .map((e) => ({
          name: e.file.fileName,
          level: e.file.level,
          sizeBytes: e.file.fileSize,
          rows: e.file.rowCount,
          creationTime: e.file.creationTime,
          minSequence: e.file.minSequenceNumber,
          maxSequence: e.file.maxSequenceNumber,
        }))
        .sort((a, b) => a.level - b.level || Number(b.maxSequence - a.maxSequence)),
    })),
  };
}

export async function filesView(table: Table, snapshotId: number | undefined, limit: number) {
  const meta = inspect(table);
  const snapshot = await snapshotAt(table, snapshotId);
  const entries = snapshot ? await meta.liveFiles(snapshot) : [];
  const files = [];
  for (const g of byBucket(meta, entries)) {
    for (const e of g.entries.sort((a, b) => a.file.level - b.file.level)) {
      if (files.length >= limit) break;
      const range = await meta.keyRange(e.file);
      files.push({
        partition: g.partition,
        bucket: g.bucket,
        level: e.file.level,
        name: e.file.fileName,
        sizeBytes: e.file.fileSize,
        rows: e.file.rowCount,
        deleteRows: e.file.deleteRowCount,
        minSequence: e.file.minSequenceNumber,
        maxSequence: e.file.maxSequenceNumber,
        schemaId: e.file.schemaId,
        creationTime: e.file.creationTime,
        minKey: range?.min ?? null,
        maxKey: range?.max ?? null,
      });
    }
  }
  return { table: table.name, snapshot: snapshot ? snapshotHead(snapshot) : null, total: entries.length, files };
}

// --- tags and consumers --------------------------------------------------------------------------

export async function refsView(table: Table) {
  const meta = inspect(table);
  const latest = await meta.latestSnapshotId();
  const tags = await table.listTags();
  const consumers = await meta.consumers();
  const changelogs = await meta.listChangelogIds();
  return {
    table: table.name,
    earliestSnapshot: (await meta.earliestSnapshotId()) ?? null,
    latestSnapshot: latest ?? null,
    changelogs: changelogs.length ? { earliest: changelogs[0], latest: changelogs[changelogs.length - 1] } : null,
    tags: tags.map((t) => ({
      name: t.name,
      snapshotId: t.snapshotId,
      kind: t.snapshot.commitKind,
      snapshotTimeMillis: t.snapshot.timeMillis,
      createTime: t.createTime?.toISOString() ?? null,
      timeRetainedMs: t.timeRetainedMs ?? null,
    })),
    consumers: consumers.map((c) => ({
      id: c.id,
      nextSnapshot: c.nextSnapshot,
      modifiedMillis: c.modifiedMillis,
      /** Snapshots committed that the consumer has not read yet. */
      behind: latest === undefined ? 0 : Math.max(0, latest - c.nextSnapshot + 1),
    })),
  };
}
