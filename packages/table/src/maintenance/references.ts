import { decodeConsumer } from '../format/consumer.ts';
import { FileKind } from '../format/manifest.ts';
import type { Snapshot } from '../format/snapshot.ts';
import { joinPath } from '../io/file-io.ts';
import type { TableContext } from '../meta/table-context.ts';
import type { TablePaths } from '../meta/table-paths.ts';
import { TagManager } from '../meta/tag-manager.ts';
import { EddyError } from '../types/errors.ts';

export const isNotFound = (e: unknown): boolean => e instanceof EddyError && e.code === 'NOT_FOUND';

export const baseName = (path: string): string => path.slice(path.lastIndexOf('/') + 1);

export interface TagRef {
  readonly name: string;
  readonly snapshot: Snapshot;
}

/** Every tag's snapshot (`tag/tag-<name>`), by snapshot id. */
export async function readTags(table: TableContext): Promise<TagRef[]> {
  return (await new TagManager(table.io, table.path).list()).map((t) => ({ name: t.name, snapshot: t.snapshot }));
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
export async function readConsumers(table: TableContext): Promise<ConsumerRef[]> {
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
    const next = decodeConsumer(text, f.path);
    out.push({
      id: name.slice('consumer-'.length),
      path: f.path,
      nextSnapshot: next,
      modifiedMillis: f.modifiedMillis,
    });
  }
  return out;
}

/**
 * Metadata files of a snapshot, by name: its manifest lists, the manifests in them, its index
 * manifest, the index files that manifest lists and its statistics file. Index files are keyed by
 * their path (they may be external).
 */
export async function metadataOf(
  table: TableContext,
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
        .filter((e) => e.kind === FileKind.ADD)
        .map((e) => paths.indexFile(e.fileName, e.externalPath));
      indexCache.set(snapshot.indexManifest, files);
    }
    indexFiles.push(...files);
  }
  return { manifestDirFiles, indexFiles, statistics: snapshot.statistics ? [snapshot.statistics] : [] };
}

/**
 * Leaves first (index files, manifests), the files naming them last: a crash part-way leaves only
 * unreferenced files, which orphan cleanup finds from the lists that remain.
 */
export function sortMetadata(files: string[]): string[] {
  const rank = (p: string) => {
    const n = baseName(p);
    return n.startsWith('manifest-list-') ? 3 : n.startsWith('index-manifest-') ? 2 : n.startsWith('manifest-') ? 1 : 0;
  };
  return files.sort((a, b) => rank(a) - rank(b));
}
