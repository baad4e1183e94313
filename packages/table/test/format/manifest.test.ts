import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { inflateRawSync } from 'node:zlib';
import avsc from 'avsc';
import { decompress as zstdDecompress } from 'fzstd';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AvroCodec,
  type AvroSchema,
  avroType,
  crc32,
  decodeAvroFile,
  encodeAvroFile,
} from '../../src/format/avro.ts';
import {
  decodeIndexManifest,
  encodeIndexManifest,
  type IndexManifestEntry,
  indexManifestSchema,
} from '../../src/format/index-manifest.ts';
import {
  type DataFileMeta,
  decodeManifest,
  encodeManifest,
  FileKind,
  MANIFEST_SCHEMA,
  type ManifestEntry,
  mergeManifestEntries,
  type SimpleStats,
} from '../../src/format/manifest.ts';
import {
  decodeManifestList,
  encodeManifestList,
  MANIFEST_LIST_SCHEMA,
  type ManifestFileMeta,
} from '../../src/format/manifest-list.ts';
import { EddyError } from '../../src/types/errors.ts';
import { extractGolden, mulberry32 } from '../helpers.ts';

const CODECS: AvroCodec[] = ['null', 'deflate', 'snappy', 'zstandard'];
const EMPTY_ROW = Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const intKey = (v: number) => {
  const b = new Uint8Array(20);
  const dv = new DataView(b.buffer);
  dv.setInt32(0, 1, false);
  dv.setInt32(12, v, true);
  return b;
};

let dir: string;
let table: string;
let snapshot: { baseManifestList: string; deltaManifestList: string; indexManifest: string; totalRecordCount: number };
const read = (name: string) => new Uint8Array(readFileSync(path.join(table, 'manifest', name)));

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'eddy-manifest-'));
  extractGolden(dir);
  table = path.join(dir, 'default.db', 'test_pk_global_index_golden');
  const latest = readFileSync(path.join(table, 'snapshot', 'LATEST'), 'utf8').trim();
  snapshot = JSON.parse(readFileSync(path.join(table, 'snapshot', `snapshot-${latest}`), 'utf8'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function liveEntries(): Promise<ManifestEntry[]> {
  const all: ManifestEntry[] = [];
  for (const list of [snapshot.baseManifestList, snapshot.deltaManifestList]) {
    for (const m of await decodeManifestList(read(list), list)) {
      const entries = await decodeManifest(read(m.fileName), m.fileName);
      expect(entries.filter((e) => e.kind === FileKind.ADD).length).toBe(m.numAddedFiles);
      expect(entries.filter((e) => e.kind === FileKind.DELETE).length).toBe(m.numDeletedFiles);
      all.push(...entries);
    }
  }
  return mergeManifestEntries(all);
}

describe('golden Java-written metadata (test_pk_global_index_golden)', () => {
  it('decodes the base manifest list', async () => {
    const metas = await decodeManifestList(read(snapshot.baseManifestList), snapshot.baseManifestList);
    expect(metas.length).toBe(5);
    expect(metas[0]).toEqual({
      fileName: 'manifest-e97249bb-3e2f-4f2d-92d5-cae38204fb7e-0',
      fileSize: 2121,
      numAddedFiles: 1,
      numDeletedFiles: 0,
      partitionStats: { minValues: EMPTY_ROW, maxValues: EMPTY_ROW, nullCounts: [] },
      schemaId: 0,
      minBucket: 0,
      maxBucket: 0,
      minLevel: 0,
      maxLevel: 0,
      minRowId: null,
      maxRowId: null,
    } satisfies ManifestFileMeta);
    expect(metas.map((m) => m.maxLevel)).toEqual([0, 2, 0, 2, 0]);
    // the manifest sizes recorded in the list are the real file sizes
    for (const m of metas) expect(read(m.fileName).length).toBe(m.fileSize);
  });

  it('decodes manifests field by field (spec §4.6)', async () => {
    const delta = await decodeManifestList(read(snapshot.deltaManifestList), snapshot.deltaManifestList);
    expect(delta.map((m) => [m.numAddedFiles, m.numDeletedFiles, m.minLevel, m.maxLevel])).toEqual([[1, 1, 0, 1]]);
    const entries = await decodeManifest(read(delta[0]!.fileName), delta[0]!.fileName);
    // the last compaction upgrades data-247786b6 from level 0 to level 1 without rewriting it
    expect(entries.map((e) => [e.kind, e.file.fileName, e.file.level])).toEqual([
      [1, 'data-247786b6-227a-4ded-acd5-85708fc3327a-0.parquet', 0],
      [0, 'data-247786b6-227a-4ded-acd5-85708fc3327a-0.parquet', 1],
    ]);
    const e = entries[1]!;
    expect(hex(e.partition)).toBe(hex(EMPTY_ROW));
    expect(e.bucket).toBe(0);
    expect(e.totalBuckets).toBe(1);
    const f = e.file;
    expect(f.fileSize).toBe(1332);
    expect(f.rowCount).toBe(2);
    expect(hex(f.minKey)).toBe(hex(intKey(5)));
    expect(hex(f.maxKey)).toBe(hex(intKey(6)));
    expect(f.keyStats).toEqual({ minValues: intKey(5), maxValues: intKey(6), nullCounts: [0] } satisfies SimpleStats);
    expect(hex(f.valueStats.minValues)).toBe(
      '00000003' + '0000000000000000' + '0500000000000000' + '6e616d652d350086' + '6576656e00000084',
    );
    expect(f.valueStats.nullCounts).toEqual([0, 0, 0]);
    expect([f.minSequenceNumber, f.maxSequenceNumber]).toEqual([4n, 5n]);
    expect(f.schemaId).toBe(0);
    expect(f.extraFiles).toEqual([]);
    expect(f.creationTime).toBe(1784241819714);
    expect(f.deleteRowCount).toBe(0);
    expect(f.embeddedIndex).toBeNull();
    expect(f.fileSource).toBe(0);
    expect(f.valueStatsCols).toBeNull();
    expect(f.externalPath).toBeNull();
    expect(f.firstRowId).toBeNull();
    expect(f.writeCols).toBeNull();
  });

  it('merges base + delta into the live files of the latest snapshot', async () => {
    const live = await liveEntries();
    expect(live.every((e) => e.kind === FileKind.ADD && e.bucket === 0 && e.totalBuckets === 1)).toBe(true);
    expect(live.map((e) => [e.file.fileName, e.file.level, e.file.rowCount, e.file.fileSource])).toEqual([
      ['data-1204a156-ccd1-48bf-96e6-31ac2028e91a-0.parquet', 2, 4, 1],
      ['data-247786b6-227a-4ded-acd5-85708fc3327a-0.parquet', 1, 2, 0],
    ]);
    const rows = live.reduce((s, e) => s + e.file.rowCount - (e.file.deleteRowCount ?? 0), 0);
    expect(rows).toBe(6);
    expect(rows).toBe(snapshot.totalRecordCount);
    // every live file exists in bucket-0
    const files = readdirSync(path.join(table, 'bucket-0'));
    for (const e of live) expect(files).toContain(e.file.fileName);
  });

  it('decodes the index manifest (global btree/bitmap indexes, no deletion vectors here)', async () => {
    const entries = await decodeIndexManifest(read(snapshot.indexManifest), snapshot.indexManifest);
    expect(entries.map((e) => [e.kind, e.indexType, e.fileName, e.fileSize, e.rowCount, e.bucket])).toEqual([
      [0, 'bitmap', 'index-f63ec4ec-4df1-436b-89c8-55dbc50a82af-1', 179, 4, 0],
      [0, 'btree', 'index-f63ec4ec-4df1-436b-89c8-55dbc50a82af-0', 122, 4, 0],
    ]);
    for (const e of entries) {
      expect(hex(e.partition)).toBe(hex(EMPTY_ROW));
      expect(e.deletionVectorRanges).toBeNull();
      expect(e.externalPath).toBeNull();
      expect(readFileSync(path.join(table, 'index', e.fileName)).length).toBe(e.fileSize);
    }
    expect(
      entries.map((e) => [e.globalIndex?.rowRangeStart, e.globalIndex?.rowRangeEnd, e.globalIndex?.indexFieldId]),
    ).toEqual([
      [0, 3, 2],
      [0, 3, 1],
    ]);
    // entries written back keep the global index metadata (incl. the master-only _SOURCE_META)
    const again = await decodeIndexManifest(await encodeIndexManifest(entries, 'zstandard'), 'x');
    expect(again).toEqual(entries);
  });

  it('writes the same writer schemas as Java', async () => {
    const list = await decodeAvroFile(read(snapshot.baseManifestList), 'list');
    expect(list.codec).toBe('zstandard');
    expect(list.schema).toBe(JSON.stringify(MANIFEST_LIST_SCHEMA));
    const metas = await decodeManifestList(read(snapshot.baseManifestList), 'list');
    const manifest = await decodeAvroFile(read(metas[0]!.fileName), 'manifest');
    expect(manifest.schema).toBe(JSON.stringify(MANIFEST_SCHEMA));
    const index = await decodeAvroFile(read(snapshot.indexManifest), 'index');
    // the golden table was written by Paimon master, whose _GLOBAL_INDEX has an extra _SOURCE_META
    expect(index.schema).toBe(JSON.stringify(indexManifestSchema(true)));
  });

  it('re-encodes every golden file to equal records', async () => {
    for (const name of readdirSync(path.join(table, 'manifest'))) {
      if (name.startsWith('manifest-list-')) {
        const v = await decodeManifestList(read(name), name);
        expect(await decodeManifestList(await encodeManifestList(v, 'zstandard'), name)).toEqual(v);
      } else if (name.startsWith('manifest-')) {
        const v = await decodeManifest(read(name), name);
        expect(await decodeManifest(await encodeManifest(v, 'snappy'), name)).toEqual(v);
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------

function randomEntries(n: number, seed: number): ManifestEntry[] {
  const r = mulberry32(seed);
  const int = (max: number) => Math.floor(r() * max);
  const bytes = (len: number) => Uint8Array.from({ length: len }, () => int(256));
  const maybe = <T>(v: T): T | null => (r() < 0.5 ? null : v);
  const str = () => `s-${int(1e9).toString(36)}-é✓`;
  const stats = (): SimpleStats => ({
    minValues: bytes(int(40)),
    maxValues: bytes(int(40)),
    nullCounts: Array.from({ length: int(4) }, () => (r() < 0.2 ? null : int(1e6))),
  });
  return Array.from({ length: n }, (_, i) => {
    const file: DataFileMeta = {
      fileName: `data-${i}-${str()}.parquet`,
      fileSize: int(2 ** 40),
      rowCount: int(1e9),
      minKey: bytes(int(30)),
      maxKey: bytes(int(30)),
      keyStats: stats(),
      valueStats: stats(),
      minSequenceNumber: BigInt(int(1e6)),
      maxSequenceNumber: 9223372036854775807n - BigInt(int(1e6)),
      schemaId: int(10),
      level: int(6),
      extraFiles: Array.from({ length: int(3) }, str),
      creationTime: maybe(1_700_000_000_000 + int(1e9)),
      deleteRowCount: maybe(int(100)),
      embeddedIndex: maybe(bytes(int(20))),
      fileSource: maybe(int(2)),
      valueStatsCols: maybe(Array.from({ length: int(3) }, str)),
      externalPath: maybe(`s3://bucket/${str()}`),
      firstRowId: maybe(int(2 ** 50)),
      writeCols: maybe(Array.from({ length: int(3) }, str)),
    };
    return {
      kind: int(2) as 0 | 1,
      partition: bytes(12 + 8 * int(3)),
      bucket: int(16) - 2,
      totalBuckets: int(16) - 2,
      file,
    };
  });
}

function randomMetas(n: number, seed: number): ManifestFileMeta[] {
  const r = mulberry32(seed);
  const int = (max: number) => Math.floor(r() * max);
  const maybe = <T>(v: T): T | null => (r() < 0.5 ? null : v);
  return Array.from({ length: n }, (_, i) => ({
    fileName: `manifest-${i}-${int(1e9)}`,
    fileSize: int(2 ** 40),
    numAddedFiles: int(1000),
    numDeletedFiles: int(1000),
    partitionStats: { minValues: EMPTY_ROW, maxValues: intKey(int(100)), nullCounts: [int(5), null] },
    schemaId: int(10),
    minBucket: maybe(int(10)),
    maxBucket: maybe(int(10)),
    minLevel: maybe(int(6)),
    maxLevel: maybe(int(6)),
    minRowId: maybe(int(2 ** 50)),
    maxRowId: maybe(int(2 ** 50)),
  }));
}

/** Independent container reader: avsc's own BlockDecoder (with the two codecs it lacks). */
function avscDecode(bytes: Uint8Array): Promise<{ codec: string; records: unknown[] }> {
  const snappy = createRequire(import.meta.url)('snappyjs') as { uncompress(b: Uint8Array): Uint8Array };
  return new Promise((resolve, reject) => {
    const records: unknown[] = [];
    let codec = '';
    const dec = new avsc.streams.BlockDecoder({
      codecs: {
        null: (buf: Buffer, cb: (e: Error | null, b?: Buffer) => void) => cb(null, buf),
        deflate: (buf: Buffer, cb: (e: Error | null, b?: Buffer) => void) => cb(null, inflateRawSync(buf)),
        zstandard: (buf: Buffer, cb: (e: Error | null, b?: Buffer) => void) =>
          cb(null, Buffer.from(zstdDecompress(buf))),
        snappy: (buf: Buffer, cb: (e: Error | null, b?: Buffer) => void) => {
          const out = Buffer.from(snappy.uncompress(buf.subarray(0, buf.length - 4)));
          cb(crc32(out) === buf.readUInt32BE(buf.length - 4) ? null : new Error('crc'), out);
        },
      },
      parseHook: (s: avsc.Schema) => avroType(s as AvroSchema), // bigint longs
    } as unknown as avsc.DecoderOptions);
    dec.on('metadata', (_t: unknown, c: string) => {
      codec = c;
    });
    dec.on('data', (r: unknown) => records.push(r));
    dec.on('end', () => resolve({ codec, records }));
    dec.on('error', reject);
    Readable.from([Buffer.from(bytes)]).pipe(dec);
  });
}

describe('round trips', () => {
  for (const codec of CODECS) {
    it(`manifest, ${codec}`, async () => {
      const entries = randomEntries(300, 7);
      const bytes = await encodeManifest(entries, codec);
      expect(await decodeManifest(bytes, 'm')).toEqual(entries);
      // a standard Avro reader sees the same container, codec and record count
      const viaAvsc = await avscDecode(bytes);
      expect(viaAvsc.codec).toBe(codec);
      expect(viaAvsc.records.length).toBe(300);
    });

    it(`manifest list, ${codec}`, async () => {
      const metas = randomMetas(50, 11);
      const bytes = await encodeManifestList(metas, codec);
      expect(await decodeManifestList(bytes, 'l')).toEqual(metas);
      expect((await avscDecode(bytes)).records.length).toBe(50);
    });

    it(`index manifest, ${codec}`, async () => {
      const entries: IndexManifestEntry[] = [
        {
          kind: FileKind.ADD,
          partition: EMPTY_ROW,
          bucket: 3,
          indexType: 'DELETION_VECTORS',
          fileName: 'index-abc-0',
          fileSize: 120,
          rowCount: 2,
          deletionVectorRanges: [
            { fileName: 'data-1.parquet', offset: 1, length: 24, cardinality: 2 },
            { fileName: 'data-2.parquet', offset: 33, length: 22, cardinality: null },
          ],
          externalPath: null,
          globalIndex: null,
        },
        {
          kind: FileKind.DELETE,
          partition: intKey(4),
          bucket: 0,
          indexType: 'HASH',
          fileName: 'index-abc-1',
          fileSize: 40,
          rowCount: 10,
          deletionVectorRanges: null,
          externalPath: 'oss://x/index-abc-1',
          globalIndex: null,
        },
      ];
      const bytes = await encodeIndexManifest(entries, codec);
      expect(await decodeIndexManifest(bytes, 'i')).toEqual(entries);
      const f = await decodeAvroFile(bytes, 'i');
      expect(f.schema).toBe(JSON.stringify(indexManifestSchema(false)));
    });
  }

  it('empty files', async () => {
    for (const codec of CODECS) {
      expect(await decodeManifest(await encodeManifest([], codec), 'm')).toEqual([]);
      expect(await decodeManifestList(await encodeManifestList([], codec), 'l')).toEqual([]);
      expect(await decodeIndexManifest(await encodeIndexManifest([], codec), 'i')).toEqual([]);
    }
  });

  it('splits large files into several blocks', async () => {
    const entries = randomEntries(3000, 3);
    const bytes = await encodeManifest(entries, 'zstandard');
    expect(await decodeManifest(bytes, 'm')).toEqual(entries);
  });
});

describe('schema evolution and corruption', () => {
  it('reads files from older writers: missing nullable fields become null, top-level unions unwrap', async () => {
    // a pypaimon-style manifest list (fields 0–5 only)
    const oldList = {
      type: 'record',
      name: 'record',
      namespace: 'org.apache.paimon.avro.generated',
      fields: MANIFEST_LIST_SCHEMA.fields.slice(0, 7),
    };
    const bytes = await encodeAvroFile(
      oldList,
      [
        {
          _VERSION: 2,
          _FILE_NAME: 'manifest-1',
          _FILE_SIZE: 10n,
          _NUM_ADDED_FILES: 1n,
          _NUM_DELETED_FILES: 0n,
          _PARTITION_STATS: {
            _MIN_VALUES: Buffer.from(EMPTY_ROW),
            _MAX_VALUES: Buffer.from(EMPTY_ROW),
            _NULL_COUNTS: null,
          },
          _SCHEMA_ID: 3n,
        },
      ],
      'snappy',
    );
    expect(await decodeManifestList(bytes, 'l')).toEqual([
      {
        fileName: 'manifest-1',
        fileSize: 10,
        numAddedFiles: 1,
        numDeletedFiles: 0,
        partitionStats: { minValues: EMPTY_ROW, maxValues: EMPTY_ROW, nullCounts: [] },
        schemaId: 3,
        minBucket: null,
        maxBucket: null,
        minLevel: null,
        maxLevel: null,
        minRowId: null,
        maxRowId: null,
      },
    ]);

    // a ≤0.8-style manifest: top-level and nested records wrapped in ["null", record], 0.8 field set
    const file = MANIFEST_SCHEMA.fields[5].type;
    const keep = new Set([
      '_FILE_NAME',
      '_FILE_SIZE',
      '_ROW_COUNT',
      '_MIN_KEY',
      '_MAX_KEY',
      '_KEY_STATS',
      '_VALUE_STATS',
    ]);
    const more = [
      '_MIN_SEQUENCE_NUMBER',
      '_MAX_SEQUENCE_NUMBER',
      '_SCHEMA_ID',
      '_LEVEL',
      '_EXTRA_FILES',
      '_CREATION_TIME',
    ];
    const oldFile = {
      ...file,
      fields: file.fields
        .filter((f) => keep.has(f.name) || more.includes(f.name))
        .map((f) => (f.name.endsWith('_STATS') ? { name: f.name, type: ['null', f.type], default: null } : f)),
    };
    const oldManifest = [
      'null',
      {
        ...MANIFEST_SCHEMA,
        fields: [...MANIFEST_SCHEMA.fields.slice(0, 5), { name: '_FILE', type: ['null', oldFile], default: null }],
      },
    ];
    const stats = { _MIN_VALUES: Buffer.from(EMPTY_ROW), _MAX_VALUES: Buffer.from(EMPTY_ROW), _NULL_COUNTS: [] };
    const oldBytes = await encodeAvroFile(
      oldManifest,
      [
        {
          _VERSION: 2,
          _KIND: 1,
          _PARTITION: Buffer.from(intKey(1)),
          _BUCKET: 2,
          _TOTAL_BUCKETS: 10,
          _FILE: {
            _FILE_NAME: 'data-x.orc',
            _FILE_SIZE: 100n,
            _ROW_COUNT: 5n,
            _MIN_KEY: Buffer.from(EMPTY_ROW),
            _MAX_KEY: Buffer.from(EMPTY_ROW),
            _KEY_STATS: stats,
            _VALUE_STATS: stats,
            _MIN_SEQUENCE_NUMBER: 0n,
            _MAX_SEQUENCE_NUMBER: 4n,
            _SCHEMA_ID: 0n,
            _LEVEL: 0,
            _EXTRA_FILES: [],
            _CREATION_TIME: 1700000000000n,
          },
        },
      ],
      'deflate',
    );
    const [e] = await decodeManifest(oldBytes, 'old');
    expect(e!.kind).toBe(1);
    expect(e!.totalBuckets).toBe(10);
    expect(e!.file.fileName).toBe('data-x.orc');
    expect(e!.file.creationTime).toBe(1700000000000);
    expect(e!.file.deleteRowCount).toBeNull();
    expect(e!.file.fileSource).toBeNull();
    expect(e!.file.valueStatsCols).toBeNull();
    expect(e!.file.firstRowId).toBeNull();
  });

  it('tolerates extra fields from newer writers', async () => {
    const file = MANIFEST_SCHEMA.fields[5].type;
    const newer = {
      ...MANIFEST_SCHEMA,
      fields: [
        ...MANIFEST_SCHEMA.fields.slice(0, 5),
        {
          name: '_FILE',
          type: {
            ...file,
            fields: [
              ...file.fields,
              { name: '_WRITE_COLS_SEQUENCES', type: ['null', { type: 'array', items: 'long' }], default: null },
            ],
          },
        },
        { name: '_SOMETHING_NEW', type: ['null', 'string'], default: null },
      ],
    };
    const [entry] = randomEntries(1, 5);
    const ours = await encodeManifest([entry!], 'null');
    const plain = (await decodeAvroFile(ours, 'x')).records[0] as Record<string, Record<string, unknown>>;
    const bytes = await encodeAvroFile(
      newer,
      [{ ...plain, _FILE: { ...plain._FILE, _WRITE_COLS_SEQUENCES: [1n, 2n] }, _SOMETHING_NEW: 'x' }],
      'zstandard',
    );
    expect(await decodeManifest(bytes, 'new')).toEqual([entry]);
  });

  it('rejects truncated and corrupt input with CORRUPT_FILE naming the path', async () => {
    const bytes = await encodeManifest(randomEntries(20, 1), 'zstandard');
    const expectCorrupt = async (p: Promise<unknown>) => {
      const err = await p.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(EddyError);
      expect((err as EddyError).code).toBe('CORRUPT_FILE');
      expect((err as EddyError).path).toBe('/t/manifest/m-0');
      expect((err as EddyError).message).toContain('/t/manifest/m-0');
    };
    for (const cut of [0, 3, 10, 200, bytes.length - 20, bytes.length - 1]) {
      await expectCorrupt(decodeManifest(bytes.subarray(0, cut), '/t/manifest/m-0'));
    }
    const flipped = bytes.slice();
    flipped[bytes.length - 40]! ^= 0xff;
    await expectCorrupt(decodeManifest(flipped, '/t/manifest/m-0'));
    await expectCorrupt(decodeManifestList(new TextEncoder().encode('{"not":"avro"}'), '/t/manifest/m-0'));
    // snappy blocks carry a CRC of the uncompressed data
    const snappyBytes = await encodeManifest(randomEntries(5, 2), 'snappy');
    const bad = snappyBytes.slice();
    bad[bad.length - 17]! ^= 0x01; // last CRC byte of the only block
    await expectCorrupt(decodeManifest(bad, '/t/manifest/m-0'));
  });

  it('rejects unsupported _VERSION', async () => {
    const bytes = await encodeAvroFile(MANIFEST_LIST_SCHEMA, [], 'null');
    expect(await decodeManifestList(bytes, 'l')).toEqual([]);
    const metas = randomMetas(1, 1);
    const good = await decodeAvroFile(await encodeManifestList(metas, 'null'), 'l');
    const v1 = await encodeAvroFile(MANIFEST_LIST_SCHEMA, [{ ...(good.records[0] as object), _VERSION: 1 }], 'null');
    await expect(decodeManifestList(v1, 'l')).rejects.toMatchObject({ code: 'UNSUPPORTED' });
  });
});

describe('mergeManifestEntries', () => {
  const entry = (kind: 0 | 1, name: string, level = 0, bucket = 0): ManifestEntry => {
    const [e] = randomEntries(1, 99);
    return {
      ...e!,
      kind,
      bucket,
      partition: EMPTY_ROW,
      file: { ...e!.file, fileName: name, level, extraFiles: [], embeddedIndex: null, externalPath: null },
    };
  };

  it('cancels ADD/DELETE pairs and keeps unmatched DELETEs, in order', () => {
    const merged = mergeManifestEntries([
      entry(0, 'a'),
      entry(0, 'b'),
      entry(1, 'x'), // its ADD lives elsewhere: kept
      entry(1, 'a'),
      entry(0, 'a', 5), // level upgrade: a new identifier
      entry(0, 'c', 0, 1),
      entry(1, 'b', 1), // different level: does not match b@0
    ]);
    expect(merged.map((e) => [e.kind, e.file.fileName, e.file.level, e.bucket])).toEqual([
      [0, 'b', 0, 0],
      [1, 'x', 0, 0],
      [0, 'a', 5, 0],
      [0, 'c', 0, 1],
      [1, 'b', 1, 0],
    ]);
  });

  it('identifier includes partition, extra files, embedded index and external path', () => {
    const add = entry(0, 'a');
    const del = (patch: Partial<DataFileMeta>, partition = EMPTY_ROW): ManifestEntry => ({
      ...add,
      kind: FileKind.DELETE,
      partition,
      totalBuckets: 99, // not part of the identifier
      file: { ...add.file, ...patch, rowCount: 1 },
    });
    expect(mergeManifestEntries([add, del({})])).toEqual([]);
    expect(mergeManifestEntries([add, del({ extraFiles: ['i'] })]).length).toBe(2);
    expect(mergeManifestEntries([add, del({ embeddedIndex: Uint8Array.of(1) })]).length).toBe(2);
    expect(mergeManifestEntries([add, del({ externalPath: 's3://a' })]).length).toBe(2);
    expect(mergeManifestEntries([add, del({}, intKey(1))]).length).toBe(2);
    expect(mergeManifestEntries([add, del({}, Uint8Array.from(EMPTY_ROW))])).toEqual([]);
  });

  it('rejects adding the same file twice, like Java', () => {
    expect(() => mergeManifestEntries([entry(0, 'a'), entry(0, 'a')])).toThrow(EddyError);
  });
});

/**
 * Old-style (Paimon ≤ 0.8 schema: top-level and nested records wrapped in ["null", record]),
 * snappy-compressed manifest and manifest list written by Paimon Java, from apache/paimon-rust
 * (Apache-2.0) crates/paimon/tests/fixtures/manifest/.
 */
const OLD_MANIFEST_B64 =
  'T2JqAQQWYXZyby5zY2hlbWH4GFsibnVsbCIseyJ0eXBlIjoicmVjb3JkIiwibmFtZSI6InJlY29yZCIsIm5hbWVzcGFjZSI6Im9yZy5hcGFjaG' +
  'UucGFpbW9uLmF2cm8uZ2VuZXJhdGVkIiwiZmllbGRzIjpbeyJuYW1lIjoiX1ZFUlNJT04iLCJ0eXBlIjoiaW50In0seyJuYW1lIjoiX0tJTkQi' +
  'LCJ0eXBlIjoiaW50In0seyJuYW1lIjoiX1BBUlRJVElPTiIsInR5cGUiOiJieXRlcyJ9LHsibmFtZSI6Il9CVUNLRVQiLCJ0eXBlIjoiaW50In' +
  '0seyJuYW1lIjoiX1RPVEFMX0JVQ0tFVFMiLCJ0eXBlIjoiaW50In0seyJuYW1lIjoiX0ZJTEUiLCJ0eXBlIjpbIm51bGwiLHsidHlwZSI6InJl' +
  'Y29yZCIsIm5hbWUiOiJyZWNvcmRfX0ZJTEUiLCJmaWVsZHMiOlt7Im5hbWUiOiJfRklMRV9OQU1FIiwidHlwZSI6InN0cmluZyJ9LHsibmFtZS' +
  'I6Il9GSUxFX1NJWkUiLCJ0eXBlIjoibG9uZyJ9LHsibmFtZSI6Il9ST1dfQ09VTlQiLCJ0eXBlIjoibG9uZyJ9LHsibmFtZSI6Il9NSU5fS0VZ' +
  'IiwidHlwZSI6ImJ5dGVzIn0seyJuYW1lIjoiX01BWF9LRVkiLCJ0eXBlIjoiYnl0ZXMifSx7Im5hbWUiOiJfS0VZX1NUQVRTIiwidHlwZSI6Wy' +
  'JudWxsIix7InR5cGUiOiJyZWNvcmQiLCJuYW1lIjoicmVjb3JkX19GSUxFX19LRVlfU1RBVFMiLCJmaWVsZHMiOlt7Im5hbWUiOiJfTUlOX1ZB' +
  'TFVFUyIsInR5cGUiOiJieXRlcyJ9LHsibmFtZSI6Il9NQVhfVkFMVUVTIiwidHlwZSI6ImJ5dGVzIn0seyJuYW1lIjoiX05VTExfQ09VTlRTIi' +
  'widHlwZSI6WyJudWxsIix7InR5cGUiOiJhcnJheSIsIml0ZW1zIjpbIm51bGwiLCJsb25nIl19XSwiZGVmYXVsdCI6bnVsbH1dfV0sImRlZmF1' +
  'bHQiOm51bGx9LHsibmFtZSI6Il9WQUxVRV9TVEFUUyIsInR5cGUiOlsibnVsbCIseyJ0eXBlIjoicmVjb3JkIiwibmFtZSI6InJlY29yZF9fRk' +
  'lMRV9fVkFMVUVfU1RBVFMiLCJmaWVsZHMiOlt7Im5hbWUiOiJfTUlOX1ZBTFVFUyIsInR5cGUiOiJieXRlcyJ9LHsibmFtZSI6Il9NQVhfVkFM' +
  'VUVTIiwidHlwZSI6ImJ5dGVzIn0seyJuYW1lIjoiX05VTExfQ09VTlRTIiwidHlwZSI6WyJudWxsIix7InR5cGUiOiJhcnJheSIsIml0ZW1zIj' +
  'pbIm51bGwiLCJsb25nIl19XSwiZGVmYXVsdCI6bnVsbH1dfV0sImRlZmF1bHQiOm51bGx9LHsibmFtZSI6Il9NSU5fU0VRVUVOQ0VfTlVNQkVS' +
  'IiwidHlwZSI6ImxvbmcifSx7Im5hbWUiOiJfTUFYX1NFUVVFTkNFX05VTUJFUiIsInR5cGUiOiJsb25nIn0seyJuYW1lIjoiX1NDSEVNQV9JRC' +
  'IsInR5cGUiOiJsb25nIn0seyJuYW1lIjoiX0xFVkVMIiwidHlwZSI6ImludCJ9LHsibmFtZSI6Il9FWFRSQV9GSUxFUyIsInR5cGUiOnsidHlw' +
  'ZSI6ImFycmF5IiwiaXRlbXMiOiJzdHJpbmcifX0seyJuYW1lIjoiX0NSRUFUSU9OX1RJTUUiLCJ0eXBlIjpbIm51bGwiLHsidHlwZSI6Imxvbm' +
  'ciLCJsb2dpY2FsVHlwZSI6InRpbWVzdGFtcC1taWxsaXMifV0sImRlZmF1bHQiOm51bGx9LHsibmFtZSI6Il9ERUxFVEVfUk9XX0NPVU5UIiwi' +
  'dHlwZSI6WyJudWxsIiwibG9uZyJdLCJkZWZhdWx0IjpudWxsfSx7Im5hbWUiOiJfRU1CRURERURfRklMRV9JTkRFWCIsInR5cGUiOlsibnVsbC' +
  'IsImJ5dGVzIl0sImRlZmF1bHQiOm51bGx9XX1dLCJkZWZhdWx0IjpudWxsfV19XRRhdnJvLmNvZGVjDHNuYXBweQA7tEBxWJiPEN8xUuqp1dpa' +
  'BOwBzgMgAgQCKAAAAAEADQERCUACFAIUZjEucGFycXVldBTIAVImAFIVABgCOAAAAAIADQEAMQkIAIERWXIdABQCBAICAgT+QgABQkDIAQACAA' +
  'K+/d/kuGQCAAACBFasAAAEAecAMv7nAP7nAP7nAA3nBAIACYYrhDu0QHFYmI8Q3zFS6qnV2lo=' +
  '';
const OLD_MANIFEST_LIST_B64 =
  'T2JqAQQWYXZyby5zY2hlbWHcCVsibnVsbCIseyJ0eXBlIjoicmVjb3JkIiwibmFtZSI6InJlY29yZCIsIm5hbWVzcGFjZSI6Im9yZy5hcGFjaG' +
  'UucGFpbW9uLmF2cm8uZ2VuZXJhdGVkIiwiZmllbGRzIjpbeyJuYW1lIjoiX1ZFUlNJT04iLCJ0eXBlIjoiaW50In0seyJuYW1lIjoiX0ZJTEVf' +
  'TkFNRSIsInR5cGUiOiJzdHJpbmcifSx7Im5hbWUiOiJfRklMRV9TSVpFIiwidHlwZSI6ImxvbmcifSx7Im5hbWUiOiJfTlVNX0FEREVEX0ZJTE' +
  'VTIiwidHlwZSI6ImxvbmcifSx7Im5hbWUiOiJfTlVNX0RFTEVURURfRklMRVMiLCJ0eXBlIjoibG9uZyJ9LHsibmFtZSI6Il9QQVJUSVRJT05f' +
  'U1RBVFMiLCJ0eXBlIjpbIm51bGwiLHsidHlwZSI6InJlY29yZCIsIm5hbWUiOiJyZWNvcmRfX1BBUlRJVElPTl9TVEFUUyIsImZpZWxkcyI6W3' +
  'sibmFtZSI6Il9NSU5fVkFMVUVTIiwidHlwZSI6ImJ5dGVzIn0seyJuYW1lIjoiX01BWF9WQUxVRVMiLCJ0eXBlIjoiYnl0ZXMifSx7Im5hbWUi' +
  'OiJfTlVMTF9DT1VOVFMiLCJ0eXBlIjpbIm51bGwiLHsidHlwZSI6ImFycmF5IiwiaXRlbXMiOlsibnVsbCIsImxvbmciXX1dLCJkZWZhdWx0Ij' +
  'pudWxsfV19XSwiZGVmYXVsdCI6bnVsbH0seyJuYW1lIjoiX1NDSEVNQV9JRCIsInR5cGUiOiJsb25nIn1dfV0UYXZyby5jb2RlYwxzbmFwcHkA' +
  'MjrcUbuGYm45EaGW8iQlPQScAuwB6AIEWm1hbmlmZXN0LTE5ZDEzOGRmLTIzM2YtNDZmNy1iZWI2LWZhZGFmNDc0MWMwZRQUFAI4AAAAAgAACQ' +
  'IAAQkHBAAxCQgEgThuHQAcAgQCAgIEAAIudgCYYTcwM2VlNDgtYzQxMS00MTNlLWI4NGUtYzAzYmRiMTc5NjMxFgAU7nYACXYABJcQpfUyOtxR' +
  'u4ZibjkRoZbyJCU9' +
  '';

describe('Paimon 0.8 files (snappy, union-wrapped records)', () => {
  const b64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));

  it('decodes the manifest', async () => {
    const bytes = b64(OLD_MANIFEST_B64);
    expect((await decodeAvroFile(bytes, 'm')).codec).toBe('snappy');
    const entries = await decodeManifest(bytes, 'm');
    expect(
      entries.map((e) => [e.kind, e.bucket, e.totalBuckets, e.file.fileName, e.file.level, e.file.deleteRowCount]),
    ).toEqual([
      [1, 1, 10, 'f1.parquet', 1, 0],
      [0, 2, 10, 'f2.parquet', 1, 1],
    ]);
    const f = entries[0]!.file;
    expect(hex(entries[0]!.partition)).toBe(hex(intKey(1)));
    expect([f.fileSize, f.rowCount, f.minSequenceNumber, f.maxSequenceNumber, f.schemaId]).toEqual([
      10,
      100,
      1n,
      100n,
      0,
    ]);
    // a (STRING "1", INT 1) stats row: "1" inline with 0x81
    expect(hex(f.valueStats.minValues)).toBe('00000002' + '0000000000000000' + '3100000000000081' + '0100000000000000');
    expect(f.valueStats.nullCounts).toEqual([1, 2]);
    expect(f.creationTime).toBe(1725608755039);
    expect([f.fileSource, f.valueStatsCols, f.externalPath, f.firstRowId, f.writeCols]).toEqual([
      null,
      null,
      null,
      null,
      null,
    ]);
  });

  it('decodes the manifest list', async () => {
    const metas = await decodeManifestList(b64(OLD_MANIFEST_LIST_B64), 'l');
    expect(
      metas.map((m) => [m.fileName, m.fileSize, m.numAddedFiles, m.numDeletedFiles, m.schemaId, m.minBucket]),
    ).toEqual([
      ['manifest-19d138df-233f-46f7-beb6-fadaf4741c0e', 10, 10, 10, 1, null],
      ['manifest-a703ee48-c411-413e-b84e-c03bdb179631', 11, 0, 10, 2, null],
    ]);
  });
});
