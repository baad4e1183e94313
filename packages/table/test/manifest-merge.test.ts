/**
 * Manifest merging (Paimon's ManifestFileMerger) against a model: whatever the history of adds and
 * deletes and whichever merge runs, the live files never change; a full compaction leaves no DELETE
 * entry; and a stream of commits keeps the number of manifests bounded.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type DataFileMeta, FileKind, type ManifestEntry, mergeManifestEntries } from '../src/format/manifest.ts';
import type { ManifestFileMeta } from '../src/format/manifest-list.ts';
import { mergeManifests } from '../src/meta/manifest-merge.ts';

const file = (name: string) =>
  ({ fileName: name, level: 0, extraFiles: [], embeddedIndex: null, externalPath: null }) as unknown as DataFileMeta;
const entry = (kind: FileKind, name: string): ManifestEntry => ({
  kind,
  partition: new Uint8Array(0),
  bucket: 0,
  totalBuckets: 1,
  file: file(name),
});

/** Manifests in memory: 100 bytes per entry. */
class MemoryStore {
  readonly files = new Map<string, ManifestEntry[]>();
  private n = 0;
  add(entries: ManifestEntry[]): ManifestFileMeta {
    const fileName = `m${this.n++}`;
    this.files.set(fileName, entries);
    return {
      fileName,
      fileSize: 100 * entries.length,
      numAddedFiles: entries.filter((e) => e.kind === FileKind.ADD).length,
      numDeletedFiles: entries.filter((e) => e.kind === FileKind.DELETE).length,
      partitionStats: { minValues: new Uint8Array(0), maxValues: new Uint8Array(0), nullCounts: [] },
      schemaId: 0,
      minBucket: 0,
      maxBucket: 0,
      minLevel: 0,
      maxLevel: 0,
      minRowId: null,
      maxRowId: null,
    } as unknown as ManifestFileMeta;
  }
  read = async (m: ManifestFileMeta) => this.files.get(m.fileName)!;
  write = async (entries: readonly ManifestEntry[]) => {
    const out: ManifestFileMeta[] = [];
    for (let i = 0; i < entries.length; i += 10) out.push(this.add(entries.slice(i, i + 10)));
    return out;
  };
}

const live = async (store: MemoryStore, metas: readonly ManifestFileMeta[]) => {
  const all: ManifestEntry[] = [];
  for (const m of metas) all.push(...(await store.read(m)));
  const merged = mergeManifestEntries(all);
  expect(merged.every((e) => e.kind === FileKind.ADD)).toBe(true);
  return merged.map((e) => e.file.fileName).sort();
};

describe('manifest merging', () => {
  it('keeps the live files whatever the history and options (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(4), fc.array(fc.nat(20), { maxLength: 3 }), fc.boolean()), { maxLength: 60 }),
        fc.integer({ min: 100, max: 2000 }),
        fc.integer({ min: 2, max: 8 }),
        fc.integer({ min: 200, max: 5000 }),
        async (commits, target, minCount, fullAt) => {
          const store = new MemoryStore();
          let metas: ManifestFileMeta[] = [];
          const present = new Set<string>();
          let n = 0;
          for (const [adds, deletes, merge] of commits) {
            const es: ManifestEntry[] = [];
            const pool = [...present];
            for (const d of new Set(deletes)) {
              if (pool.length === 0) break;
              const name = pool[d % pool.length];
              if (!present.delete(name)) continue;
              es.push(entry(FileKind.DELETE, name));
            }
            for (let i = 0; i < adds; i++) {
              const name = `f${n++}`;
              present.add(name);
              es.push(entry(FileKind.ADD, name));
            }
            if (es.length > 0) metas.push(store.add(es));
            if (merge) {
              const before = await live(store, metas);
              const next = await mergeManifests(metas, store, {
                targetFileSize: target,
                mergeMinCount: minCount,
                fullCompactionThresholdSize: fullAt,
              });
              expect(await live(store, next)).toEqual(before);
              metas = next;
            }
          }
          expect(await live(store, metas)).toEqual([...present].sort());
        },
      ),
      { numRuns: 150 },
    );
  });

  it('a stream of small commits keeps the manifest count bounded; a full compaction leaves no DELETE', async () => {
    const store = new MemoryStore();
    let metas: ManifestFileMeta[] = [];
    const opts = { targetFileSize: 8 * 1024 * 1024, mergeMinCount: 30, fullCompactionThresholdSize: 16 * 1024 * 1024 };
    let max = 0;
    for (let c = 0; c < 500; c++) {
      // One file added per commit, the one before replaced (a compaction): live stays at one file.
      const es = [entry(FileKind.ADD, `f${c}`)];
      if (c > 0) es.push(entry(FileKind.DELETE, `f${c - 1}`));
      metas = await mergeManifests([...metas, store.add(es)], store, opts);
      max = Math.max(max, metas.length);
    }
    expect(max).toBeLessThanOrEqual(30);
    expect(await live(store, metas)).toEqual(['f499']);
    const full = await mergeManifests(metas, store, { ...opts, fullCompactionThresholdSize: 1 });
    const entries = (await Promise.all(full.map((m) => store.read(m)))).flat();
    expect(entries.map((e) => [e.kind, e.file.fileName])).toEqual([[FileKind.ADD, 'f499']]);
  });
});
