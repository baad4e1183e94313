/**
 * Decoder fuzzing with fast-check: `node --import tsx fuzz-run.ts <seed> <ms per target> [target…]`.
 *
 * Each target decodes mutated valid files (byte flips, overwrites, insertions, deletions,
 * truncations, splices; JSON values replaced by arbitrary JSON) and purely random input. The only
 * allowed outcomes are a result or an EddyError: a TypeError, RangeError or any other error is a
 * failure (fast-check shrinks it and prints the counterexample), and so is a hang — the parent
 * test runs this in a child process with a deadline. One JSON line per target on stdout.
 */
import fc from 'fast-check';
import { decodeAvroFile } from '../../packages/table/src/format/avro.ts';
import { decodeIndexManifest, encodeIndexManifest } from '../../packages/table/src/format/index-manifest.ts';
import {
  type DataFileMeta,
  decodeManifest,
  encodeManifest,
  FileKind,
  type ManifestEntry,
} from '../../packages/table/src/format/manifest.ts';
import {
  decodeManifestList,
  encodeManifestList,
  type ManifestFileMeta,
} from '../../packages/table/src/format/manifest-list.ts';
import { decodeSnapshot, encodeSnapshot } from '../../packages/table/src/format/snapshot.ts';
import { EddyError, TableSchema } from '../../packages/table/src/index.ts';

const CODECS = ['null', 'deflate', 'snappy', 'zstandard'] as const;
const stats = (n: number) => ({
  minValues: new Uint8Array([0, 0, 0, n, 1, 2]),
  maxValues: new Uint8Array([0, 0, 0, n, 9]),
  nullCounts: Array.from({ length: n }, (_, i) => (i % 2 ? null : i)),
});

function dataFile(i: number): DataFileMeta {
  return {
    fileName: `data-${i}.parquet`,
    fileSize: 1000 + i,
    rowCount: 10 * i + 1,
    minKey: new Uint8Array([0, 0, 0, 1, i]),
    maxKey: new Uint8Array([0, 0, 0, 1, i + 1]),
    keyStats: stats(1),
    valueStats: stats(3),
    minSequenceNumber: BigInt(i),
    maxSequenceNumber: 2n ** 40n + BigInt(i),
    schemaId: 0,
    level: i % 5,
    extraFiles: i % 2 ? [`extra-${i}`] : [],
    creationTime: 1_700_000_000_000 + i,
    deleteRowCount: i % 3,
    embeddedIndex: i % 2 ? new Uint8Array([1, 2, 3]) : null,
    fileSource: i % 2,
    valueStatsCols: i % 3 ? ['a', 'b'] : null,
    externalPath: null,
    firstRowId: null,
    writeCols: null,
  };
}

async function samples(): Promise<Record<string, (Uint8Array | string)[]>> {
  const entries: ManifestEntry[] = Array.from({ length: 6 }, (_, i) => ({
    kind: (i % 4 === 3 ? 1 : 0) as 0 | 1,
    partition: new Uint8Array([0, 0, 0, 0]),
    bucket: i % 2,
    totalBuckets: 2,
    file: dataFile(i),
  }));
  const metas: ManifestFileMeta[] = Array.from({ length: 4 }, (_, i) => ({
    fileName: `manifest-${i}`,
    fileSize: 100 * i,
    numAddedFiles: i,
    numDeletedFiles: 1,
    partitionStats: stats(0),
    schemaId: 0,
    minBucket: 0,
    maxBucket: i,
    minLevel: null,
    maxLevel: 3,
    minRowId: null,
    maxRowId: null,
  }));
  const index = [
    {
      kind: FileKind.ADD,
      partition: new Uint8Array([0, 0, 0, 0]),
      bucket: 0,
      indexType: 'DELETION_VECTORS',
      fileName: 'index-1',
      fileSize: 99,
      rowCount: 2,
      deletionVectorRanges: [
        { fileName: 'data-1.parquet', offset: 1, length: 20, cardinality: 3 },
        { fileName: 'data-2.parquet', offset: 25, length: 30, cardinality: null },
      ],
      globalIndex: null,
    },
    {
      kind: FileKind.DELETE,
      partition: new Uint8Array([0, 0, 0, 0]),
      bucket: 1,
      indexType: 'btree',
      fileName: 'index-2',
      fileSize: 7,
      rowCount: 1,
      deletionVectorRanges: null,
      globalIndex: {
        rowRangeStart: 0,
        rowRangeEnd: 100,
        indexFieldId: 1,
        extraFieldIds: [2, 3],
        indexMeta: new Uint8Array([1]),
      },
    },
  ];
  const out: Record<string, (Uint8Array | string)[]> = {
    manifest: [],
    'manifest-list': [],
    'index-manifest': [],
    avro: [],
  };
  for (const c of CODECS) {
    out.manifest.push(await encodeManifest(entries, c));
    out['manifest-list'].push(await encodeManifestList(metas, c));
    out['index-manifest'].push(await encodeIndexManifest(index, c));
  }
  out.avro = [...out.manifest, ...out['manifest-list'], ...out['index-manifest']];
  out.snapshot = [
    encodeSnapshot({
      version: 3,
      id: 7,
      schemaId: 0,
      baseManifestList: 'manifest-list-a',
      baseManifestListSize: 10,
      deltaManifestList: 'manifest-list-b',
      deltaManifestListSize: 11,
      changelogManifestList: 'manifest-list-c',
      indexManifest: 'index-manifest-d',
      commitUser: 'u',
      commitIdentifier: 9223372036854775807n,
      commitKind: 'APPEND',
      timeMillis: 1_700_000_000_000,
      totalRecordCount: 5,
      deltaRecordCount: 5,
      watermark: -9223372036854775808n,
      properties: { a: 'b' },
      nextRowId: 0n,
    }),
  ];
  out.schema = [
    TableSchema.create({
      columns: { k: 'BIGINT', v: 'STRING', d: 'DECIMAL(38, 10)', t: 'TIMESTAMP(6)', b: 'VARBINARY(20)', x: 'DATE' },
      primaryKey: ['k'],
      partitionKeys: [],
      options: { bucket: 4, 'changelog-producer': 'input', 'snapshot.time-retained': '1 h' },
    }).toJson(),
  ];
  return out;
}

type Decoder = (input: Uint8Array | string) => unknown;
const text = (x: Uint8Array | string) => (typeof x === 'string' ? x : Buffer.from(x).toString('utf8'));
const bytes = (x: Uint8Array | string) => (typeof x === 'string' ? new TextEncoder().encode(x) : x);
const DECODERS: Record<string, Decoder> = {
  manifest: (x) => decodeManifest(bytes(x), '/fuzz/manifest'),
  'manifest-list': (x) => decodeManifestList(bytes(x), '/fuzz/manifest-list'),
  'index-manifest': (x) => decodeIndexManifest(bytes(x), '/fuzz/index-manifest'),
  avro: (x) => decodeAvroFile(bytes(x), '/fuzz/avro'),
  snapshot: (x) => decodeSnapshot(text(x), '/fuzz/snapshot-1'),
  schema: (x) => TableSchema.fromJson(text(x), '/fuzz/schema-0'),
};

type Mutation = {
  op: 'flip' | 'set' | 'insert' | 'delete' | 'truncate' | 'dup';
  at: number;
  value: number;
  len: number;
};
const mutation: fc.Arbitrary<Mutation> = fc.record({
  op: fc.constantFrom('flip', 'set', 'insert', 'delete', 'truncate', 'dup'),
  at: fc.nat(),
  value: fc.integer({ min: 0, max: 255 }),
  len: fc.integer({ min: 1, max: 64 }),
});

function mutate(src: Uint8Array, ms: readonly Mutation[]): Uint8Array {
  let b = Buffer.from(src);
  for (const m of ms) {
    if (b.length === 0) break;
    const at = m.at % b.length;
    switch (m.op) {
      case 'flip':
        b[at] ^= 1 << (m.value % 8);
        break;
      case 'set':
        b[at] = m.value;
        break;
      case 'insert':
        b = Buffer.concat([b.subarray(0, at), Buffer.alloc(m.len, m.value), b.subarray(at)]);
        break;
      case 'delete':
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + m.len)]);
        break;
      case 'truncate':
        b = b.subarray(0, at);
        break;
      case 'dup':
        b = Buffer.concat([b.subarray(0, at + m.len), b.subarray(at)]);
        break;
    }
  }
  return b;
}

/** Replaces one JSON value (found by a walk index) with arbitrary JSON. */
function replaceJsonValue(src: string, index: number, value: unknown): string {
  const root = JSON.parse(src);
  const slots: [Record<string, unknown> | unknown[], string | number][] = [];
  const walk = (o: unknown) => {
    if (o && typeof o === 'object') {
      for (const k of Object.keys(o)) {
        slots.push([o as Record<string, unknown>, Array.isArray(o) ? Number(k) : k]);
        walk((o as Record<string, unknown>)[k]);
      }
    }
  };
  walk(root);
  if (slots.length === 0) return JSON.stringify(value);
  const [parent, key] = slots[index % slots.length];
  (parent as Record<string | number, unknown>)[key] = value;
  return JSON.stringify(root);
}

async function fuzz(target: string, seed: number, ms: number, sample: (Uint8Array | string)[]) {
  const decode = DECODERS[target];
  const json = target === 'snapshot' || target === 'schema';
  const input: fc.Arbitrary<Uint8Array | string> = json
    ? fc.oneof(
        fc
          .tuple(fc.constantFrom(...sample), fc.array(mutation, { minLength: 1, maxLength: 6 }))
          .map(([s, m]) => Buffer.from(mutate(bytes(s), m)).toString('utf8')),
        fc
          .tuple(fc.constantFrom(...(sample as string[])), fc.nat(), fc.jsonValue({ maxDepth: 4 }))
          .map(([s, i, v]) => replaceJsonValue(s, i, v)),
        fc.tuple(fc.constantFrom(...(sample as string[])), fc.nat(), fc.anything({ maxDepth: 3 })).map(([s, i, v]) => {
          try {
            return replaceJsonValue(s, i, v);
          } catch {
            return s;
          }
        }),
        fc.json({ maxDepth: 5 }),
        fc.string({ maxLength: 300 }),
      )
    : fc.oneof(
        {
          weight: 6,
          arbitrary: fc
            .tuple(fc.constantFrom(...sample), fc.array(mutation, { minLength: 1, maxLength: 6 }))
            .map(([s, m]) => mutate(bytes(s), m)),
        },
        { weight: 1, arbitrary: fc.uint8Array({ maxLength: 600 }) },
        {
          weight: 1,
          arbitrary: fc.uint8Array({ maxLength: 600 }).map((r) => Buffer.concat([Buffer.from('Obj\x01'), r])),
        },
      );
  let runs = 0;
  let slowest = 0;
  const t0 = Date.now();
  await fc.assert(
    fc.asyncProperty(input, async (x) => {
      runs++;
      const s = performance.now();
      try {
        await decode(x);
      } catch (e) {
        if (!(e instanceof EddyError)) throw e;
      } finally {
        slowest = Math.max(slowest, performance.now() - s);
      }
      if (performance.now() - s > 5000) throw new Error(`decoding took ${Math.round(performance.now() - s)} ms`);
    }),
    { seed, numRuns: 1_000_000, interruptAfterTimeLimit: ms, markInterruptAsFailure: false },
  );
  return { target, runs, ms: Date.now() - t0, slowestMs: Math.round(slowest) };
}

const [seedArg, msArg, ...targets] = process.argv.slice(2);
const all = await samples();
for (const target of targets.length > 0 ? targets : Object.keys(DECODERS)) {
  process.stdout.write(`${JSON.stringify({ start: target })}\n`);
  try {
    const r = await fuzz(target, Number(seedArg), Number(msArg), all[target]);
    process.stdout.write(`${JSON.stringify({ ...r, ok: true })}\n`);
  } catch (e) {
    const cause = (e as { cause?: unknown }).cause as Error | undefined;
    process.stdout.write(
      `${JSON.stringify({ target, ok: false, error: String((e as Error).message ?? e).slice(0, 4000), cause: cause?.stack?.slice(0, 1500) })}\n`,
    );
  }
}
