/**
 * What the metadata of a table references: tags, consumers, the files behind a snapshot. Shared
 * by snapshot expiry and orphan-file cleanup (both must agree on what is in use).
 */
import { type ManifestEntry, mergeManifestEntries } from '../format/manifest.ts';
import { type PartitionField, partitionPath } from '../format/partition-path.ts';
import { decodeSnapshot, type Snapshot } from '../format/snapshot.ts';
import { joinPath } from '../io/file-io.ts';
import type { Table } from '../table.ts';
import { EddyError } from '../types/errors.ts';

export const isNotFound = (e: unknown): boolean => e instanceof EddyError && e.code === 'NOT_FOUND';

export const baseName = (path: string): string => path.slice(path.lastIndexOf('/') + 1);

export interface TagRef {
  readonly name: string;
  readonly snapshot: Snapshot;
}

/** `tag/tag-<name>`: Snapshot JSON (plus tag fields, ignored). */
export async function readTags(table: Table): Promise<TagRef[]> {
  const out: TagRef[] = [];
  for (const f of await table.io.list(joinPath(table.path, 'tag'))) {
    const name = baseName(f.path);
    if (f.isDirectory || !name.startsWith('tag-')) continue;
    let bytes: Uint8Array;
    try {
      bytes = await table.io.read(f.path);
    } catch (e) {
      if (isNotFound(e)) continue; // deleted while listing
      throw e;
    }
    out.push({ name: name.slice(4), snapshot: decodeSnapshot(new TextDecoder().decode(bytes), f.path) });
  }
  return out;
}

export interface ConsumerRef {
  readonly id: string;
  readonly path: string;
  readonly nextSnapshot: number;
  readonly modifiedMillis: number;
}

/**
 * `consumer/consumer-<id>`: `{"nextSnapshot": N}`. A file that cannot be parsed is refused (an
 * unknown consumer position must not let expiry delete what the consumer still needs).
 */
export async function readConsumers(table: Table): Promise<ConsumerRef[]> {
  const out: ConsumerRef[] = [];
  for (const f of await table.io.list(joinPath(table.path, 'consumer'))) {
    const name = baseName(f.path);
    if (f.isDirectory || !name.startsWith('consumer-')) continue;
    let text: string;
    try {
      text = new TextDecoder().decode(await table.io.read(f.path));
    } catch (e) {
      if (isNotFound(e)) continue;
      throw e;
    }
    let next: unknown;
    try {
      next = (JSON.parse(text) as { nextSnapshot?: unknown }).nextSnapshot;
    } catch (e) {
      throw new EddyError('CORRUPT_FILE', `${f.path}: not valid JSON`, { path: f.path, cause: e });
    }
    if (typeof next !== 'number' || !Number.isInteger(next)) {
      throw new EddyError('CORRUPT_FILE', `${f.path}: nextSnapshot must be an integer`, { path: f.path });
    }
    out.push({
      id: name.slice('consumer-'.length),
      path: f.path,
      nextSnapshot: next,
      modifiedMillis: f.modifiedMillis,
    });
  }
  return out;
}

/** Resolves the storage paths of data, changelog and index files named in manifests. */
export class TablePaths {
  private readonly fields: PartitionField[];
  private readonly dirs = new Map<string, string>();

  constructor(private readonly table: Table) {
    this.fields = table.schema.partitionKeys.map((k) => table.schema.field(k));
  }

  bucketDir(partition: Uint8Array, bucket: number): string {
    const key = `${Buffer.from(partition).toString('base64')}/${bucket}`;
    let dir = this.dirs.get(key);
    if (dir === undefined) {
      const part = partitionPath(
        this.fields,
        this.table.partitionValues(partition),
        this.table.schema.options.partitionDefaultName,
      );
      dir = joinPath(this.table.path, part, bucket === -2 ? 'bucket-postpone' : `bucket-${bucket}`);
      this.dirs.set(key, dir);
    }
    return dir;
  }

  /** The data (or changelog) file of an entry and its extra files (e.g. `.index` sidecars). */
  filesOf(e: ManifestEntry): string[] {
    const dir = this.bucketDir(e.partition, e.bucket);
    const main = e.file.externalPath ?? joinPath(dir, e.file.fileName);
    return [main, ...e.file.extraFiles.map((x) => joinPath(dir, x))];
  }

  indexFile(fileName: string, externalPath: string | null | undefined): string {
    return externalPath ?? joinPath(this.table.path, 'index', fileName);
  }

  statisticsFile(name: string): string {
    return joinPath(this.table.path, 'statistics', name);
  }
}

/** Every entry (ADD and DELETE) of the manifests in a manifest list. */
export async function entriesOfList(table: Table, listName: string): Promise<ManifestEntry[]> {
  const out: ManifestEntry[] = [];
  for (const m of await table.manifests.readManifestList(listName)) {
    for (const e of await table.manifests.readManifest(m.fileName)) out.push(e);
  }
  return out;
}

/** The live data files of a snapshot (base ∪ delta, merged). */
export async function liveEntries(table: Table, snapshot: Snapshot): Promise<ManifestEntry[]> {
  const all = [
    ...(await entriesOfList(table, snapshot.baseManifestList)),
    ...(await entriesOfList(table, snapshot.deltaManifestList)),
  ];
  return mergeManifestEntries(all).filter((e) => e.kind === 0);
}

/**
 * Metadata files of a snapshot, by name: its manifest lists, the manifests in them, its index
 * manifest, the index files that manifest lists and its statistics file. Index files are keyed by
 * their path (they may be external).
 */
export async function metadataOf(
  table: Table,
  snapshot: Snapshot,
  paths: TablePaths,
  indexCache: Map<string, string[]>,
): Promise<{ manifestDirFiles: string[]; indexFiles: string[]; statistics: string[] }> {
  const manifestDirFiles: string[] = [];
  const lists = [snapshot.baseManifestList, snapshot.deltaManifestList];
  if (snapshot.changelogManifestList) lists.push(snapshot.changelogManifestList);
  for (const l of lists) {
    manifestDirFiles.push(l);
    for (const m of await table.manifests.readManifestList(l)) manifestDirFiles.push(m.fileName);
  }
  const indexFiles: string[] = [];
  if (snapshot.indexManifest) {
    manifestDirFiles.push(snapshot.indexManifest);
    let files = indexCache.get(snapshot.indexManifest);
    if (!files) {
      files = (await table.manifests.readIndexManifest(snapshot.indexManifest))
        .filter((e) => e.kind === 0)
        .map((e) => paths.indexFile(e.fileName, e.externalPath));
      indexCache.set(snapshot.indexManifest, files);
    }
    indexFiles.push(...files);
  }
  return { manifestDirFiles, indexFiles, statistics: snapshot.statistics ? [snapshot.statistics] : [] };
}
