/**
 * Dynamic bucket mode (`bucket` = -1) for primary-key tables: a hash index maps each key to a
 * bucket; a key never seen goes to a bucket with fewer than 'dynamic-bucket.target-row-num' keys,
 * or opens a new one. The index lives in HASH index files (`index/index-<uuid>-<n>`, the key hashes
 * of one (partition, bucket) as big-endian ints), listed in the snapshot's index manifest.
 *
 * Java: org.apache.paimon.index.HashBucketAssigner / PartitionIndex (one assigner: every bucket is
 * this writer's), DynamicBucketIndexMaintainer (a bucket's hashes, rewritten whole when they
 * change), HashIndexFile / IntFileUtils (the file format), IndexManifestFileHandler.BucketedCombiner
 * (a new HASH file replaces its bucket's previous one).
 *
 * Paimon supports one writer per dynamic-bucket table: two would assign the same new key to
 * different buckets. Eddy detects it instead of corrupting the index: a commit fails COMMIT_CONFLICT
 * when the HASH files of a partition it wrote changed since this writer loaded them.
 */
import { randomUUID } from 'node:crypto';
import { HASH_INDEX, type IndexManifestEntry } from '../format/index-manifest.ts';
import { FileKind } from '../format/manifest.ts';
import type { Snapshot } from '../format/snapshot.ts';
import { type FileIO, joinPath } from '../io/file-io.ts';
import { type HashIndexCommit, indexKey } from '../meta/hash-index.ts';
import type { ManifestFiles } from '../meta/manifest-files.ts';
import { corruptFile, EddyError } from '../types/errors.ts';

const b64 = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');

interface PartitionIndex {
  readonly hashToBucket: Map<number, number>;
  /** Buckets with fewer than the target number of keys, in the order they are filled. */
  readonly nonFull: Map<number, number>;
  readonly buckets: Set<number>;
}

interface BucketHashes {
  readonly partition: Uint8Array;
  readonly bucket: number;
  readonly hashes: Set<number>;
  modified: boolean;
}

/** The hash index of one writer: loaded from the latest snapshot at its first write. */
export class DynamicBucketAssigner {
  private readonly partitions = new Map<string, PartitionIndex>();
  private readonly buckets = new Map<string, BucketHashes>();
  /** HASH files as loaded (or last committed by this writer): `partition/bucket` → file name. */
  private base = new Map<string, string>();
  private readonly touched = new Set<string>();
  private loaded: Promise<void> | undefined;
  private readonly uuid = randomUUID();
  private counter = 0;

  constructor(
    private readonly io: FileIO,
    private readonly tablePath: string,
    private readonly manifests: ManifestFiles,
    private readonly latest: () => Promise<Snapshot | undefined>,
    private readonly targetRowNum: number,
    private readonly maxBuckets: number,
    private readonly table: string,
  ) {}

  /** Loads the index (once): every HASH file of the latest snapshot. */
  ready(): Promise<void> {
    this.loaded ??= this.load();
    return this.loaded;
  }

  private async load(): Promise<void> {
    const snapshot = await this.latest();
    if (!snapshot?.indexManifest) return;
    const entries = await this.manifests.readIndexManifest(snapshot.indexManifest);
    for (const e of entries) {
      if (e.indexType !== HASH_INDEX) continue;
      const key = indexKey(e.partition, e.bucket);
      this.base.set(key, e.fileName);
      const path = e.externalPath ?? joinPath(this.tablePath, 'index', e.fileName);
      const bytes = await this.io.read(path);
      if (bytes.length % 4 !== 0 || bytes.length / 4 !== e.rowCount)
        throw corruptFile(
          path,
          `a hash index of ${e.rowCount} keys must be ${e.rowCount * 4} bytes, found ${bytes.length}`,
        );
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const hashes = new Set<number>();
      const p = this.partition(b64(e.partition));
      for (let i = 0; i < bytes.length; i += 4) {
        const h = view.getInt32(i, false);
        hashes.add(h);
        p.hashToBucket.set(h, e.bucket);
      }
      p.buckets.add(e.bucket);
      p.nonFull.set(e.bucket, (p.nonFull.get(e.bucket) ?? 0) + hashes.size);
      this.buckets.set(key, { partition: e.partition, bucket: e.bucket, hashes, modified: false });
    }
    for (const p of this.partitions.values()) {
      for (const [b, n] of p.nonFull) if (n >= this.targetRowNum) p.nonFull.delete(b);
    }
  }

  private partition(key: string): PartitionIndex {
    let p = this.partitions.get(key);
    if (!p) {
      p = { hashToBucket: new Map(), nonFull: new Map(), buckets: new Set() };
      this.partitions.set(key, p);
    }
    return p;
  }

  /** The bucket of a key (by its hash) in a partition: the known one, or a bucket with room. */
  assign(partitionBytes: Uint8Array, partitionKey: string, hash: number): number {
    if (this.loaded === undefined) throw new Error('DynamicBucketAssigner.assign before ready()');
    this.touched.add(partitionKey);
    const p = this.partition(partitionKey);
    let bucket = p.hashToBucket.get(hash);
    if (bucket === undefined) bucket = this.newKey(p, hash);
    const key = `${partitionKey}/${bucket}`;
    let b = this.buckets.get(key);
    if (!b) {
      b = { partition: partitionBytes, bucket, hashes: new Set(), modified: false };
      this.buckets.set(key, b);
    }
    if (!b.hashes.has(hash)) {
      b.hashes.add(hash);
      b.modified = true;
    }
    return bucket;
  }

  private newKey(p: PartitionIndex, hash: number): number {
    for (const [bucket, n] of p.nonFull) {
      if (n < this.targetRowNum) {
        p.nonFull.set(bucket, n + 1);
        p.hashToBucket.set(hash, bucket);
        return bucket;
      }
      p.nonFull.delete(bucket);
    }
    const max = (this.maxBuckets === -1 ? 32767 : this.maxBuckets) - 1;
    for (let i = 0; i <= max; i++) {
      if (!p.buckets.has(i)) {
        p.nonFull.set(i, 1);
        p.buckets.add(i);
        p.hashToBucket.set(hash, i);
        return i;
      }
    }
    if (this.maxBuckets === -1) {
      throw new EddyError(
        'INVALID_OPTION',
        `dynamic-bucket table ${this.table}: more than ${max + 1} buckets in a partition; raise 'dynamic-bucket.target-row-num' (${this.targetRowNum})`,
      );
    }
    // Past 'dynamic-bucket.max-buckets': Paimon picks an existing bucket at random.
    const all = [...p.buckets];
    const bucket = all[Math.floor(Math.random() * all.length)];
    p.hashToBucket.set(hash, bucket);
    return bucket;
  }

  /** Writes the changed buckets' HASH files; what the next commit publishes. */
  async prepareCommit(): Promise<HashIndexCommit | undefined> {
    if (this.touched.size === 0) return undefined;
    const added: IndexManifestEntry[] = [];
    for (const [key, b] of this.buckets) {
      if (!b.modified) continue;
      const bytes = new Uint8Array(b.hashes.size * 4);
      const view = new DataView(bytes.buffer);
      let i = 0;
      for (const h of b.hashes) view.setInt32(4 * i++, h, false);
      const fileName = `index-${this.uuid}-${this.counter++}`;
      await this.io.write(joinPath(this.tablePath, 'index', fileName), bytes);
      added.push({
        kind: FileKind.ADD,
        partition: b.partition,
        bucket: b.bucket,
        indexType: HASH_INDEX,
        fileName,
        fileSize: bytes.length,
        rowCount: b.hashes.size,
        deletionVectorRanges: null,
        externalPath: null,
      });
      void key;
    }
    const expected = new Map<string, string>();
    for (const [k, v] of this.base) if (this.touched.has(k.slice(0, k.lastIndexOf('/')))) expected.set(k, v);
    return { added, partitions: new Set(this.touched), expected };
  }

  /** After the commit landed: its files are the base now. */
  committed(c: HashIndexCommit): void {
    for (const e of c.added) this.base.set(indexKey(e.partition, e.bucket), e.fileName);
    for (const b of this.buckets.values()) b.modified = false;
  }

  /** After a refused commit: the new files are nobody's. */
  async discard(c: HashIndexCommit): Promise<void> {
    for (const e of c.added) await this.io.delete(joinPath(this.tablePath, 'index', e.fileName)).catch(() => undefined);
  }
}
