/**
 * Hostile input: damaged or malicious metadata and data files, bad options and bad names. Each case
 * must end in a typed EddyError naming the file (or the option, or the name) and the problem, within
 * bounded time and memory, without writing anything.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeAvroFile } from '../../packages/table/src/format/avro.ts';
import { decodeIndexManifest, encodeIndexManifest } from '../../packages/table/src/format/index-manifest.ts';
import { decodeManifest, encodeManifest } from '../../packages/table/src/format/manifest.ts';
import { decodeManifestList } from '../../packages/table/src/format/manifest-list.ts';
import { readParquet } from '../../packages/table/src/format/parquet.ts';
import {
  Catalog,
  type EddyErrorCode,
  LocalFileIO,
  type SchemaInput,
  type Table,
} from '../../packages/table/src/index.ts';
import { mulberry32 } from './fault-file-io.ts';
import { bounded, expectEddy, failure, GateFileIO, sortBy, tempDir, treeOf } from './helpers.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SCHEMA: SchemaInput = {
  columns: { k: 'INT', v: 'STRING' },
  primaryKey: ['k'],
  options: { bucket: 1, 'write-only': true },
};

/** The files of the fixture table that cases damage. */
interface Fixture {
  readonly root: string;
  readonly warehouse: string;
  readonly table: string;
  readonly snapshot3: string;
  readonly snapshot2: string;
  readonly deltaList: string;
  readonly manifest: string;
  readonly dataFile: string;
  readonly schema0: string;
}

let template: { path: string; [Symbol.dispose](): void };
let base: Fixture;

/** A table with three commits; every case works on a fresh copy. */
beforeAll(async () => {
  template = tempDir('eddy-hostile-');
  const warehouse = path.join(template.path, 'wh');
  const t = await (await Catalog.open(warehouse)).createTable('db.t', SCHEMA);
  for (let i = 0; i < 3; i++)
    await t.upsert([
      { k: i, v: `v${i}` },
      { k: 10, v: `ten${i}` },
    ]);
  const s3 = (await t.latestSnapshot())!;
  const delta = await t.manifests.readManifestList(s3.deltaManifestList);
  const entries = await t.manifests.readManifest(delta[0].fileName);
  base = {
    root: template.path,
    warehouse,
    table: t.path,
    snapshot3: t.snapshots.snapshotPath(3),
    snapshot2: t.snapshots.snapshotPath(2),
    deltaList: t.manifests.path(s3.deltaManifestList),
    manifest: t.manifests.path(delta[0].fileName),
    dataFile: path.join(t.path, 'bucket-0', entries[0].file.fileName),
    schema0: path.join(t.path, 'schema', 'schema-0'),
  };
});
afterAll(() => template[Symbol.dispose]());

function fresh(): Fixture & { [Symbol.dispose](): void } {
  const dir = tempDir('eddy-hostile-case-');
  cpSync(base.root, dir.path, { recursive: true });
  const move = (p: string) => path.join(dir.path, path.relative(base.root, p));
  return {
    root: dir.path,
    warehouse: move(base.warehouse),
    table: move(base.table),
    snapshot3: move(base.snapshot3),
    snapshot2: move(base.snapshot2),
    deltaList: move(base.deltaList),
    manifest: move(base.manifest),
    dataFile: move(base.dataFile),
    schema0: move(base.schema0),
    [Symbol.dispose]: dir[Symbol.dispose],
  };
}

const open = async (f: Fixture): Promise<Table> => (await Catalog.open(f.warehouse)).getTable('db.t');

type Op = 'getTable' | 'scan' | 'latest' | 'snapshots' | 'timeTravel' | 'feed' | 'expire' | 'orphans';
const OPS: Record<Op, (f: Fixture) => Promise<unknown>> = {
  getTable: (f) => open(f),
  scan: async (f) => (await open(f)).toArray(),
  latest: async (f) => (await open(f)).latestSnapshot(),
  snapshots: async (f) => (await open(f)).listSnapshots(),
  timeTravel: async (f) => (await open(f)).toArray({ snapshotId: 3 }),
  feed: async (f) => {
    const out = [];
    for await (const e of (await open(f)).changes({ scanMode: 'from-snapshot', snapshotId: 1, endSnapshotId: 3 }))
      out.push(e);
    return out;
  },
  // Maintenance must refuse too, before deleting anything.
  expire: async (f) => (await open(f)).expireSnapshots({ retainMin: 1, timeRetainedMs: 0 }),
  orphans: async (f) => (await open(f)).removeOrphanFiles({ olderThanMs: 0 }),
};

/** Runs each op on the damaged copy: a typed error naming `mention`, bounded, and the files untouched. */
async function expectRefused(
  f: Fixture,
  ops: readonly Op[],
  codes: EddyErrorCode | EddyErrorCode[],
  mention: string | RegExp,
): Promise<void> {
  for (const op of ops) {
    const before = treeOf(f.root);
    let e: unknown;
    try {
      e = await bounded(() => failure(() => OPS[op](f)));
      expectEddy(e, codes, mention);
    } catch (x) {
      throw new Error(`${op}: ${(x as Error).message}${e ? ` (got: ${(e as Error).message})` : ''}`);
    }
    expect(treeOf(f.root), `${op} wrote or deleted files`).toEqual(before);
  }
}

const READS: Op[] = ['scan', 'latest', 'snapshots', 'timeTravel', 'feed', 'expire', 'orphans'];
const rewriteJson = (file: string, edit: (o: Record<string, unknown>) => void) => {
  const o = JSON.parse(readFileSync(file, 'utf8'));
  edit(o);
  writeFileSync(file, JSON.stringify(o));
};
const garbage = (n: number, seed: number) => {
  const r = mulberry32(seed);
  return Buffer.from(Array.from({ length: n }, () => Math.floor(r() * 256)));
};
const name = (p: string) => path.basename(p);

describe('hostile input: snapshot JSON', () => {
  const cases: [string, (f: Fixture) => void, RegExp | undefined][] = [
    ['an empty file', (f) => writeFileSync(f.snapshot3, ''), /not valid JSON/],
    [
      'a truncated file',
      (f) => writeFileSync(f.snapshot3, readFileSync(f.snapshot3).subarray(0, 100)),
      /not valid JSON/,
    ],
    ['random bytes', (f) => writeFileSync(f.snapshot3, garbage(300, 1)), /not valid JSON/],
    ['JSON that is not an object', (f) => writeFileSync(f.snapshot3, '[1, 2, 3]'), /not a JSON object/],
    [
      'a field of the wrong type',
      (f) => rewriteJson(f.snapshot3, (o) => (o.baseManifestList = 42)),
      /'baseManifestList' is not a string/,
    ],
    ['a missing field', (f) => rewriteJson(f.snapshot3, (o) => delete o.commitUser), /has no 'commitUser'/],
    [
      'an unknown commit kind',
      (f) => rewriteJson(f.snapshot3, (o) => (o.commitKind = 'MERGE')),
      /unknown commitKind 'MERGE'/,
    ],
    ['another snapshot id', (f) => writeFileSync(f.snapshot3, readFileSync(f.snapshot2)), /holds snapshot id 2/],
    [
      'a non-finite number',
      (f) => writeFileSync(f.snapshot3, readFileSync(f.snapshot3, 'utf8').replace(/"id": 3/, '"id": 1e999')),
      /'id' is not a number/,
    ],
    [
      '200 000 levels of nesting',
      (f) => writeFileSync(f.snapshot3, `${'['.repeat(200_000)}${']'.repeat(200_000)}`),
      undefined,
    ],
    [
      'a manifest list name with ../',
      (f) => rewriteJson(f.snapshot3, (o) => (o.deltaManifestList = '../../../../../../etc/passwd')),
      /'deltaManifestList' "..\/..\/..\/..\/..\/..\/etc\/passwd" is not a plain file name/,
    ],
    [
      'an absolute manifest list name',
      (f) => rewriteJson(f.snapshot3, (o) => (o.baseManifestList = '/etc/passwd')),
      /is not a plain file name/,
    ],
  ];
  it.each(cases)('%s: CORRUPT_FILE naming snapshot-3', async (_name, damage, problem) => {
    using f = fresh();
    damage(f);
    await expectRefused(f, READS, 'CORRUPT_FILE', /snapshot\/snapshot-3/);
    if (problem) await expectRefused(f, ['scan'], 'CORRUPT_FILE', problem);
  });

  it('a snapshot naming a manifest list that does not exist: NOT_FOUND naming it', async () => {
    using f = fresh();
    rewriteJson(f.snapshot3, (o) => (o.deltaManifestList = 'manifest-list-gone'));
    await expectRefused(
      f,
      ['scan', 'timeTravel', 'feed', 'expire', 'orphans'],
      ['NOT_FOUND', 'CORRUPT_FILE'],
      /manifest-list-gone/,
    );
  });
});

/** A tiny Avro container with any writer schema, codec and one block. */
function avroFile(schema: unknown, codec: string, count: number, block: Uint8Array): Uint8Array {
  const varint = (v: number) => {
    let n = v >= 0 ? v * 2 : -v * 2 - 1;
    const out: number[] = [];
    while (n >= 0x80) {
      out.push((n % 0x80) | 0x80);
      n = Math.floor(n / 0x80);
    }
    out.push(n);
    return out;
  };
  const str = (s: string) => [...varint(Buffer.byteLength(s)), ...Buffer.from(s)];
  const sync = new Array(16).fill(0x5a);
  return new Uint8Array([
    ...[0x4f, 0x62, 0x6a, 1],
    ...varint(2),
    ...str('avro.schema'),
    ...str(JSON.stringify(schema)),
    ...str('avro.codec'),
    ...str(codec),
    ...varint(0),
    ...sync,
    ...varint(count),
    ...varint(block.length),
    ...block,
    ...sync,
  ]);
}

describe('hostile input: Avro manifests and manifest lists', () => {
  const damages: [string, (bytes: Buffer) => Uint8Array][] = [
    ['an empty file', () => new Uint8Array(0)],
    ['the first half only', (b) => b.subarray(0, b.length >> 1)],
    ['all but the last byte', (b) => b.subarray(0, b.length - 1)],
    ['a broken magic', (b) => Buffer.concat([Buffer.from('Obj\x02'), b.subarray(4)])],
    [
      'a broken sync marker',
      (b) => Buffer.concat([b.subarray(0, b.length - 1), Buffer.from([b[b.length - 1] ^ 0xff])]),
    ],
    ['random bytes after the magic', (b) => Buffer.concat([b.subarray(0, 4), garbage(b.length - 4, 2)])],
  ];
  for (const which of ['manifest', 'deltaList'] as const) {
    it.each(damages)(
      `${which === 'manifest' ? 'manifest' : 'manifest list'} with %s: CORRUPT_FILE naming it`,
      async (_n, damage) => {
        using f = fresh();
        writeFileSync(f[which], damage(readFileSync(f[which])));
        await expectRefused(f, ['scan', 'timeTravel', 'feed', 'expire', 'orphans'], 'CORRUPT_FILE', name(f[which]));
      },
    );
  }

  it.each(['manifest', 'deltaList'] as const)(
    '%s with flipped bytes in its block: a typed error or a clean decode',
    async (which) => {
      // Avro has no checksum on zstd/deflate blocks (snappy blocks carry a CRC): a flipped byte in
      // compressed data may decode to other valid values. What must hold: no crash, no other error
      // type, bounded, nothing written.
      for (let k = 0; k < 40; k++) {
        using f = fresh();
        const b = readFileSync(f[which]);
        const at = b.length - 17 - 1 - Math.floor(mulberry32(k)() * Math.min(200, b.length - 120));
        b[at] ^= 1 << (k % 8);
        writeFileSync(f[which], b);
        const before = treeOf(f.root);
        try {
          await bounded(() => OPS.scan(f));
        } catch (e) {
          expectEddy(e, ['CORRUPT_FILE', 'NOT_FOUND', 'UNSUPPORTED']);
        }
        expect(treeOf(f.root)).toEqual(before);
      }
    },
  );

  it('a manifest that does not exist: NOT_FOUND naming it', async () => {
    using f = fresh();
    unlinkSync(f.manifest);
    await expectRefused(
      f,
      ['scan', 'timeTravel', 'feed', 'expire', 'orphans'],
      ['NOT_FOUND', 'CORRUPT_FILE'],
      name(f.manifest),
    );
  });

  const hostileAvro: [string, () => Promise<Uint8Array>, RegExp][] = [
    [
      'an array block count of 10^12 with no data',
      async () =>
        avroFile(
          { type: 'record', name: 'r', fields: [{ name: 'a', type: { type: 'array', items: 'int' } }] },
          'null',
          1,
          new Uint8Array([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x3a]),
        ),
      /array block of \d+ items cannot fit/,
    ],
    [
      'an array of 10^8 nulls in one byte',
      async () =>
        avroFile(
          { type: 'record', name: 'r', fields: [{ name: 'a', type: { type: 'array', items: 'null' } }] },
          'null',
          1,
          new Uint8Array([0x80, 0x84, 0xaf, 0x5f, 0]),
        ),
      /cannot fit/,
    ],
    [
      '10^7 records of zero bytes',
      async () => avroFile({ type: 'record', name: 'r', fields: [] }, 'null', 10_000_000, new Uint8Array(0)),
      /declares 10000000 records/,
    ],
    [
      'a negative block size',
      async () => avroFile('int', 'null', 1, new Uint8Array(0)).map((x, i, a) => (i === a.length - 17 ? 1 : x)),
      /negative|truncated/,
    ],
    [
      'a deflate bomb (1 GiB of zeros)',
      async () => avroFile('int', 'deflate', 1, deflateRawSync(Buffer.alloc(256 * 1024 * 1024))),
      /decompresses to more than/,
    ],
    [
      'a zstd bomb (256 MiB of zeros)',
      () => encodeAvroFile({ type: 'bytes' }, [Buffer.alloc(256 * 1024 * 1024)] as never, 'zstandard'),
      /decompresses to more than/,
    ],
    [
      'a snappy block declaring 2 GiB',
      async () => avroFile('int', 'snappy', 1, new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x07, 0, 0, 0, 0, 0])),
      /declares more than/,
    ],
    ['an unknown codec', async () => avroFile('int', 'lzma', 1, new Uint8Array([2])), /unsupported Avro codec 'lzma'/],
    [
      'a schema that is not Avro',
      async () => avroFile({ type: 'recurd' }, 'null', 1, new Uint8Array([2])),
      /cannot decode Avro file/,
    ],
  ];
  it.each(hostileAvro)('a manifest with %s: refused in bounded time and memory', async (_n, make, problem) => {
    using f = fresh();
    writeFileSync(f.manifest, await make());
    await expectRefused(f, ['scan'], ['CORRUPT_FILE', 'UNSUPPORTED'], problem);
    await expectRefused(
      f,
      ['timeTravel', 'feed', 'expire', 'orphans'],
      ['CORRUPT_FILE', 'UNSUPPORTED'],
      name(f.manifest),
    );
  });

  /** Rewrites the manifest's entries (valid Avro, hostile values). */
  async function rewriteEntries(f: Fixture, edit: (e: { kind: number; file: Record<string, unknown> }) => void) {
    const entries = await decodeManifest(readFileSync(f.manifest), f.manifest);
    for (const e of entries) edit(e as unknown as { kind: number; file: Record<string, unknown> });
    writeFileSync(f.manifest, await encodeManifest(entries, 'zstandard'));
  }

  const values: [
    string,
    (e: { kind: number; file: Record<string, unknown> }) => void,
    EddyErrorCode,
    (f: Fixture) => RegExp,
  ][] = [
    [
      'a data file name with ../',
      (e) => (e.file.fileName = '../../../../x.parquet'),
      'CORRUPT_FILE',
      () => /data file name "..\/..\/..\/..\/x.parquet" is not a plain file name/,
    ],
    [
      'an absolute data file name',
      (e) => (e.file.fileName = '/etc/passwd'),
      'CORRUPT_FILE',
      () => /is not a plain file name/,
    ],
    [
      'a NUL in a data file name',
      (e) => (e.file.fileName = 'data-\u0000.parquet'),
      'CORRUPT_FILE',
      () => /is not a plain file name/,
    ],
    ['an extra file with ../', (e) => (e.file.extraFiles = ['../../secret']), 'CORRUPT_FILE', () => /extra file name/],
    ['an unknown entry kind', (e) => (e.kind = 7), 'CORRUPT_FILE', () => /unknown _KIND 7/],
    [
      'a schema id that does not exist',
      (e) => (e.file.schemaId = 42),
      'NOT_FOUND',
      () => /schema 42 does not exist .*schema-42/,
    ],
    [
      'a wrong row count',
      (e) => (e.file.rowCount = 1_000_000),
      'CORRUPT_FILE',
      (f) => new RegExp(`${name(f.dataFile)}: has \\d+ rows, the manifest says 1000000`),
    ],
    ['a negative row count', (e) => (e.file.rowCount = -1), 'CORRUPT_FILE', () => /the manifest says -1/],
    ['a file size of 2^52', (e) => (e.file.fileSize = 2 ** 52), 'CORRUPT_FILE', (f) => new RegExp(name(f.dataFile))],
    [
      'a file size of 3 GB',
      (e) => (e.file.fileSize = 3_000_000_000),
      'CORRUPT_FILE',
      (f) => new RegExp(`${name(f.dataFile)}: range .* past the end`),
    ],
    [
      'a data file that does not exist',
      (e) => (e.file.fileName = 'data-gone.parquet'),
      'NOT_FOUND',
      () => /data-gone\.parquet/,
    ],
  ];
  it.each(values)('a manifest entry with %s: a typed error naming the problem', async (_n, edit, code, mention) => {
    using f = fresh();
    await rewriteEntries(f, edit);
    await expectRefused(f, ['scan', 'timeTravel'], code, mention(f));
  });
});

describe('hostile input: Parquet data files', () => {
  const damages: [string, (b: Buffer) => Uint8Array, RegExp][] = [
    ['an empty file', () => new Uint8Array(0), /cannot read Parquet|too short|not a Parquet/],
    ['the first half only', (b) => b.subarray(0, b.length >> 1), /cannot read Parquet|bad footer/],
    [
      'no footer magic',
      (b) => Buffer.concat([b.subarray(0, b.length - 4), Buffer.from('XXXX')]),
      /cannot read Parquet|bad footer/,
    ],
    [
      'a footer length of 2 GB',
      (b) => {
        const x = Buffer.from(b);
        x.writeUInt32LE(2_000_000_000, x.length - 8);
        return x;
      },
      /cannot read Parquet|bad footer/,
    ],
    [
      'a zeroed footer',
      (b) => Buffer.concat([b.subarray(0, b.length - 200), Buffer.alloc(192), b.subarray(b.length - 8)]),
      /cannot read Parquet|footer/,
    ],
  ];
  it.each(damages)('a data file with %s: CORRUPT_FILE naming it', async (_n, damage, problem) => {
    using f = fresh();
    writeFileSync(f.dataFile, damage(readFileSync(f.dataFile)));
    await expectRefused(
      f,
      ['scan', 'timeTravel'],
      'CORRUPT_FILE',
      new RegExp(`${name(f.dataFile)}: .*(${problem.source})`),
    );
  });

  it('a data file that does not exist: NOT_FOUND naming it', async () => {
    using f = fresh();
    unlinkSync(f.dataFile);
    await expectRefused(f, ['scan', 'timeTravel'], 'NOT_FOUND', name(f.dataFile));
  });

  /**
   * parquet-wasm's async reader cannot report a decode error without a wasm trap that kills the
   * thread it runs on (found here: 62 of 393 single-byte flips). Eddy decodes in worker threads, so
   * the trap costs a worker, not the process. Run in a child process anyway, so a regression
   * cannot take the test runner with it.
   */
  it('a corrupt page or footer length 0xFFFFFFFF: CORRUPT_FILE, not a process crash', () => {
    using f = fresh();
    const b = readFileSync(f.dataFile);
    const results: string[] = [];
    for (const damage of ['page', 'footer'] as const) {
      const x = Buffer.from(b);
      if (damage === 'page') x[14] ^= 0xff;
      else x.writeUInt32LE(0xffffffff, x.length - 8);
      writeFileSync(f.dataFile, x);
      const r = spawnSync(
        process.execPath,
        ['--import', 'tsx', path.join(HERE, 'read-table.ts'), f.warehouse, 'db.t'],
        {
          cwd: path.resolve(HERE, '../..'),
          encoding: 'utf8',
          timeout: 30_000,
        },
      );
      results.push(
        `${damage}: exit ${r.status} ${r.stdout.trim()} ${r.stderr.split('\n').find((l) => /Error/.test(l)) ?? ''}`,
      );
    }
    // A flipped data byte may decode to other values (Parquet pages carry no checksum here, nor in
    // Paimon); what must hold is a clean exit with rows or CORRUPT_FILE.
    expect(results[0], results.join('\n')).toMatch(/^page: exit 0 (OK 4|CORRUPT_FILE)/);
    expect(results[1], results.join('\n')).toMatch(/^footer: exit 0 CORRUPT_FILE .*cannot read Parquet/);
  });

  it('300 single-byte flips over a data file, in this process: rows or CORRUPT_FILE naming it, never a crash', async () => {
    const b = readFileSync(base.dataFile);
    const rows = (await readParquet(b, 'intact.parquet')).numRows;
    const outcomes = { decoded: 0, corrupt: 0 };
    for (let i = 0; i < 300; i++) {
      const x = Uint8Array.from(b);
      x[Math.floor((i / 300) * x.length)] ^= 0xff;
      try {
        await readParquet(x, `flip-${i}.parquet`);
        outcomes.decoded++;
      } catch (e) {
        expectEddy(e, 'CORRUPT_FILE', new RegExp(`flip-${i}\\.parquet: cannot read Parquet`));
        outcomes.corrupt++;
      }
    }
    // Both kinds happen: the flips reach the decoder's error path (the one that used to trap).
    expect(outcomes.decoded).toBeGreaterThan(0);
    expect(outcomes.corrupt).toBeGreaterThan(0);
    // And the decoder still works afterwards.
    expect((await readParquet(b, 'intact.parquet')).numRows).toBe(rows);
  });
});

describe('hostile input: schemas and options', () => {
  const schemaDamage: [string, (f: Fixture) => void, EddyErrorCode | EddyErrorCode[], RegExp][] = [
    [
      'truncated',
      (f) => writeFileSync(f.schema0, readFileSync(f.schema0).subarray(0, 40)),
      'CORRUPT_FILE',
      /schema-0: not valid JSON/,
    ],
    ['another id', (f) => rewriteJson(f.schema0, (o) => (o.id = 3)), 'CORRUPT_FILE', /schema-0: holds schema id 3/],
    [
      'an unknown column type',
      (f) => rewriteJson(f.schema0, (o) => ((o.fields as { type: string }[])[1].type = 'BLOB(7)')),
      ['CORRUPT_FILE', 'INVALID_ARGUMENT', 'UNSUPPORTED'],
      /schema-0.*BLOB/,
    ],
    [
      'fields that are not an array',
      (f) => rewriteJson(f.schema0, (o) => (o.fields = { k: 'INT' })),
      'CORRUPT_FILE',
      /schema-0: 'fields' is not an array/,
    ],
    [
      'a bucket option that is not a number',
      (f) => rewriteJson(f.schema0, (o) => ((o.options as Record<string, unknown>).bucket = 'many')),
      'INVALID_OPTION',
      /schema-0: option 'bucket': expected an integer, got 'many'/,
    ],
    [
      'an option value that is not a string',
      (f) => rewriteJson(f.schema0, (o) => ((o.options as Record<string, unknown>).bucket = 4)),
      'INVALID_OPTION',
      /schema-0: option 'bucket': values must be strings/,
    ],
    [
      'a primary key that is not a column',
      (f) => rewriteJson(f.schema0, (o) => (o.primaryKeys = ['nope'])),
      ['INVALID_ARGUMENT', 'CORRUPT_FILE'],
      /schema-0: key column 'nope'/,
    ],
  ];
  it.each(schemaDamage)('a schema file with %s: a typed error naming it', async (_n, damage, codes, problem) => {
    using f = fresh();
    damage(f);
    await expectRefused(f, ['getTable'], codes, problem);
  });

  it('a table whose schema file is gone does not exist', async () => {
    using f = fresh();
    rmSync(path.dirname(f.schema0), { recursive: true });
    await expectRefused(f, ['getTable'], 'NOT_FOUND', /table 'db.t' does not exist/);
  });

  const badOptions: [Record<string, string>, EddyErrorCode, string][] = [
    [{ bucket: 'abc' }, 'INVALID_OPTION', 'bucket'],
    [{ bucket: '0' }, 'INVALID_OPTION', 'bucket'],
    [{ bucket: '-3' }, 'INVALID_OPTION', 'bucket'],
    [{ bucket: '99999999999999999999' }, 'INVALID_OPTION', 'bucket'],
    [{ 'file.format': 'orc' }, 'UNSUPPORTED', 'file.format'],
    [{ 'file.compression': 'lzma' }, 'INVALID_OPTION', 'file.compression'],
    [{ 'write-buffer-size': 'lots' }, 'INVALID_OPTION', 'write-buffer-size'],
    [{ 'target-file-size': '-5 mb' }, 'INVALID_OPTION', 'target-file-size'],
    [{ 'merge-engine': 'newest-wins' }, 'INVALID_OPTION', 'merge-engine'],
    [{ 'changelog-producer': 'maybe' }, 'INVALID_OPTION', 'changelog-producer'],
    [{ 'commit.max-retries': '-1' }, 'INVALID_OPTION', 'commit.max-retries'],
    [{ 'commit.min-retry-wait': '10 parsecs' }, 'INVALID_OPTION', 'commit.min-retry-wait'],
    [{ 'snapshot.num-retained.min': '0' }, 'INVALID_OPTION', 'snapshot.num-retained.min'],
    [
      { 'snapshot.num-retained.min': '5', 'snapshot.num-retained.max': '2' },
      'INVALID_OPTION',
      'snapshot.num-retained.max',
    ],
    [{ 'snapshot.time-retained': 'forever' }, 'INVALID_OPTION', 'snapshot.time-retained'],
    [{ 'num-sorted-run.compaction-trigger': '0' }, 'INVALID_OPTION', 'num-sorted-run.compaction-trigger'],
    [{ 'deletion-vectors.enabled': 'yes' }, 'INVALID_OPTION', 'deletion-vectors.enabled'],
    [{ 'sequence.field': 'nope' }, 'INVALID_OPTION', 'sequence.field'],
    [{ 'bucket-key': 'nope' }, 'INVALID_OPTION', 'bucket-key'],
  ];
  it.each(badOptions)(
    'createTable with options %j: %s naming the option, nothing written',
    async (options, code, key) => {
      using dir = tempDir();
      const catalog = await Catalog.open(path.join(dir.path, 'wh'));
      const before = treeOf(dir.path);
      const e = await bounded(() =>
        failure(() => catalog.createTable('db.t', { ...SCHEMA, options: { ...SCHEMA.options, ...options } })),
      );
      expectEddy(e, code, key);
      expect(treeOf(dir.path)).toEqual(before);
    },
  );
});

describe('hostile input: names', () => {
  const names: (string | { database: string; table: string })[] = [
    'db.../x',
    '../etc.passwd',
    'db./etc/passwd',
    'db.a/../../b',
    'db.a\\b',
    'db.a\u0000b',
    'db.a\nb',
    'db\u0000.t',
    { database: '/abs', table: 't' },
    { database: 'db', table: '..' },
    { database: 'db', table: '.' },
    { database: '..', table: 't' },
    { database: 'db', table: '' },
    'db.',
    '.t',
    'nodot',
    `db.${'x'.repeat(300)}`,
  ];
  it.each(names.map((n) => [JSON.stringify(n), n]))(
    'table name %s: INVALID_NAME, nothing written anywhere',
    async (_s, n) => {
      using dir = tempDir();
      const warehouse = path.join(dir.path, 'a', 'b', 'wh');
      const catalog = await Catalog.open(warehouse);
      const before = treeOf(dir.path);
      for (const op of [
        () => catalog.createTable(n, SCHEMA),
        () => catalog.getTable(n),
        () => catalog.tableExists(n),
        () => catalog.dropTable(n),
      ]) {
        expectEddy(await failure(op), 'INVALID_NAME');
      }
      expect(treeOf(dir.path)).toEqual(before);
    },
  );

  it.each(['../../x', '/abs', 'a/b', 'a\u0000b', '..', ''])(
    'consumer id %j: INVALID_NAME, nothing written',
    async (id) => {
      using f = fresh();
      const t = await open(f);
      const before = treeOf(f.root);
      const e = await failure(async () => {
        for await (const _ of t.changes({ consumerId: id, endSnapshotId: 3 })) {
        }
      });
      expectEddy(e, 'INVALID_NAME', 'consumer id');
      expect(treeOf(f.root)).toEqual(before);
    },
  );

  it('database names in listTables and dropDatabase are checked too', async () => {
    using dir = tempDir();
    const catalog = await Catalog.open(path.join(dir.path, 'wh'));
    const before = treeOf(dir.path);
    for (const db of ['../x', '/etc', 'a\u0000', '.hidden', 'x.db']) {
      expectEddy(await failure(() => catalog.listTables(db)), 'INVALID_NAME');
      expectEddy(await failure(() => catalog.dropDatabase(db, { cascade: true })), 'INVALID_NAME');
      expectEddy(await failure(() => catalog.createDatabase(db)), 'INVALID_NAME');
    }
    expect(treeOf(dir.path)).toEqual(before);
  });

  it('a warehouse path with a NUL byte: a typed error, nothing written', async () => {
    using dir = tempDir();
    const before = treeOf(dir.path);
    const e = await failure(() => Catalog.open(path.join(dir.path, 'wh\u0000evil')));
    expectEddy(e, ['INVALID_ARGUMENT', 'IO_ERROR']);
    expect(treeOf(dir.path)).toEqual(before);
  });
});

describe('hostile input: paths outside the table', () => {
  type Entry = { kind: number; file: Record<string, unknown> };
  /** Rewrites the entries of `manifest` (valid Avro, hostile values); `extra` appends entries. */
  async function rewrite(manifest: string, edit: (e: Entry) => void, extra: (es: Entry[]) => Entry[] = () => []) {
    const entries = (await decodeManifest(readFileSync(manifest), manifest)) as unknown as Entry[];
    for (const e of entries) edit(e);
    const all = [...entries, ...extra(entries)];
    writeFileSync(manifest, await encodeManifest(all as never, 'zstandard'));
  }
  /** The first manifest of snapshot 2's delta (its files are live at snapshot 2, gone by 3 only if deleted). */
  async function delta2(f: Fixture): Promise<string> {
    const s = JSON.parse(readFileSync(f.snapshot2, 'utf8')) as { deltaManifestList: string };
    const list = path.join(f.table, 'manifest', s.deltaManifestList);
    const metas = await decodeManifestList(readFileSync(list), list);
    return path.join(f.table, 'manifest', metas[0].fileName);
  }
  /** A valid Parquet file outside the table (a copy of one of its data files): the bait. */
  function bait(f: Fixture): string {
    const p = path.join(f.root, 'outside', 'file.parquet');
    mkdirSync(path.dirname(p), { recursive: true });
    copyFileSync(f.dataFile, p);
    return p;
  }

  type PathOp = 'scan' | 'timeTravel' | 'feed' | 'compact' | 'expire' | 'orphans' | 'inspectPath';
  const run: Record<PathOp, (t: Table) => Promise<unknown>> = {
    scan: (t) => t.toArray(),
    timeTravel: (t) => t.toArray({ snapshotId: 3 }),
    feed: async (t) => {
      for await (const _ of t.changes({ scanMode: 'from-snapshot', snapshotId: 1, endSnapshotId: 3 })) {
      }
    },
    compact: (t) => t.compact({ full: true }),
    expire: (t) => t.expireSnapshots({ retainMin: 1, timeRetainedMs: 0 }),
    orphans: (t) => t.removeOrphanFiles({ olderThanMs: 0 }),
    inspectPath: async (t) => {
      const s = (await t.latestSnapshot())!;
      const list = await t.manifests.readManifestList(s.deltaManifestList);
      return t.manifests.readManifest(list[0].fileName);
    },
  };
  const ALL: PathOp[] = ['scan', 'timeTravel', 'feed', 'compact', 'expire', 'orphans', 'inspectPath'];

  /**
   * Each op on a table opened over a recording FileIO: CORRUPT_FILE naming the field and the
   * manifest, no IO at all on `outside` (nothing read, nothing deleted), and no file changed.
   */
  async function expectConfined(f: Fixture, ops: readonly PathOp[], outside: string, mention: RegExp) {
    for (const op of ops) {
      const touched: string[] = [];
      const io = new GateFileIO(new LocalFileIO());
      io.hook = (_op, p) => {
        if (p.startsWith(path.dirname(outside)) || p.startsWith(outside)) touched.push(`${_op} ${p}`);
      };
      const t = await (await Catalog.open(f.warehouse, { fileIO: io })).getTable('db.t');
      const before = treeOf(f.root);
      const e = await bounded(() => failure(() => run[op](t)));
      try {
        expectEddy(e, 'CORRUPT_FILE', mention);
      } catch (x) {
        throw new Error(`${op}: ${(x as Error).message} (got: ${(e as Error).message})`);
      }
      expect(touched, `${op} touched the outside file`).toEqual([]);
      expect(treeOf(f.root), `${op} wrote or deleted files`).toEqual(before);
    }
  }

  const outsidePaths: [string, (f: Fixture, outside: string) => string][] = [
    ['an absolute path outside', (_f, o) => o],
    [
      'a path that climbs out of the table with ..',
      (f, o) => `${f.table}/bucket-0/../../../${path.relative(f.root, o)}`,
    ],
    ['a file:/// URI outside', (_f, o) => `file://${o}`],
    ['a file:/ URI outside (as Hadoop writes them)', (_f, o) => `file:${o}`],
    ['a path in a sibling folder sharing the table name as prefix', (f, o) => `${f.table}-evil/${path.basename(o)}`],
    ['an s3:// URI of a local table', () => 's3://other-bucket/t/file.parquet'],
  ];
  it.each(outsidePaths)(
    'a data file whose _EXTERNAL_PATH is %s: every reader and maintenance op refuses, the outside file is untouched',
    async (_n, make) => {
      using f = fresh();
      const outside = bait(f);
      const external = make(f, outside);
      await rewrite(f.manifest, (e) => (e.file.externalPath = external));
      await expectConfined(
        f,
        ALL,
        outside,
        new RegExp(`${name(f.manifest)}: _EXTERNAL_PATH of data-.*outside the table`),
      );
      expect(readFileSync(outside)).toEqual(readFileSync(f.dataFile));
    },
  );

  it('a symbolic link in the table pointing outside (data file, manifest, snapshot): readers refuse with CORRUPT_FILE naming it; the outside file is untouched', async () => {
    for (const which of ['dataFile', 'manifest', 'snapshot3'] as const) {
      using f = fresh();
      const outside = path.join(f.root, 'outside', path.basename(f[which]));
      mkdirSync(path.dirname(outside), { recursive: true });
      copyFileSync(f[which], outside);
      unlinkSync(f[which]);
      symlinkSync(outside, f[which]);
      const before = readFileSync(outside);
      const mention = new RegExp(`${path.basename(f[which])}.*symbolic link`);
      for (const op of ['scan', 'compact'] as const) {
        const t = await (await Catalog.open(f.warehouse)).getTable('db.t');
        const e = await bounded(() => failure(() => run[op](t)));
        try {
          expectEddy(e, 'CORRUPT_FILE', mention);
        } catch (x) {
          throw new Error(`${which} ${op}: ${(x as Error).message} (got: ${(e as Error).message})`);
        }
      }
      expect(readFileSync(outside)).toEqual(before);
    }
  });

  it('the literal /some/outside/file.parquet: CORRUPT_FILE (not NOT_FOUND) for scan, compaction, expiry and orphan cleanup', async () => {
    using f = fresh();
    await rewrite(f.manifest, (e) => (e.file.externalPath = '/some/outside/file.parquet'));
    await expectConfined(
      f,
      ['scan', 'compact', 'expire', 'orphans'],
      '/some/outside/file.parquet',
      /_EXTERNAL_PATH of data-.* "\/some\/outside\/file\.parquet" is outside the table/,
    );
  });

  it('an expired snapshot deleting an outside file: expiry refuses and deletes nothing', async () => {
    using f = fresh();
    const outside = bait(f);
    // Snapshot 2's delta deletes a file that lives outside: today's expiry deleted it.
    await rewrite(
      await delta2(f),
      () => {},
      (es) => [{ ...es[0], kind: 1, file: { ...es[0].file, fileName: 'data-evil.parquet', externalPath: outside } }],
    );
    await expectConfined(
      f,
      ['expire', 'orphans'],
      outside,
      /_EXTERNAL_PATH of data-evil\.parquet .* is outside the table/,
    );
    expect(readFileSync(outside).byteLength).toBeGreaterThan(0);
  });

  it('an expired snapshot deleting a file it never added: expiry refuses (verify reports it) and deletes nothing', async () => {
    using f = fresh();
    const victim = path.join(f.table, 'bucket-0', 'data-never-added.parquet');
    copyFileSync(f.dataFile, victim);
    await rewrite(
      await delta2(f),
      () => {},
      (es) => [{ ...es[0], kind: 1, file: { ...es[0].file, fileName: 'data-never-added.parquet' } }],
    );
    const t = await open(f);
    const before = treeOf(f.root);
    const e = await failure(() => t.expireSnapshots({ retainMin: 1, timeRetainedMs: 0 }));
    expectEddy(
      e,
      'CORRUPT_FILE',
      /snapshot 2 does not merge.*data-never-added\.parquet is deleted but was never added/,
    );
    expect(treeOf(f.root)).toEqual(before);
  });

  it('a data file under a data-file.external-paths root is read; writing with round-robin is UNSUPPORTED naming the option', async () => {
    using f = fresh();
    const rowsBefore = await (await open(f)).toArray();
    const root = path.join(f.root, 'external-root');
    const moved = path.join(root, 'bucket-0', name(f.dataFile));
    mkdirSync(path.dirname(moved), { recursive: true });
    // Snapshot 3's delta names the file by its external path (as Paimon writes them: a URI).
    const entries = await decodeManifest(readFileSync(f.manifest), f.manifest);
    for (const e of entries) {
      const src = path.join(f.table, 'bucket-0', e.file.fileName);
      const dst = path.join(root, 'bucket-0', e.file.fileName);
      copyFileSync(src, dst);
      unlinkSync(src);
      (e.file as { externalPath: string | null }).externalPath = `file:${dst}`;
    }
    writeFileSync(f.manifest, await encodeManifest(entries, 'zstandard'));
    // Without the option the file is outside the table.
    expectEddy(await failure(async () => (await open(f)).toArray()), 'CORRUPT_FILE', /outside the table/);
    rewriteJson(
      f.schema0,
      (o) => ((o.options as Record<string, string>)['data-file.external-paths'] = `file://${root}`),
    );
    const t = await open(f);
    expect(sortBy(await t.toArray(), (r) => Number(r.k))).toEqual(sortBy(rowsBefore, (r) => Number(r.k)));
    // A sibling of the root is still outside.
    await rewrite(f.manifest, (e) => (e.file.externalPath = `${root}-2/x.parquet`));
    expectEddy(await failure(async () => (await open(f)).toArray()), 'CORRUPT_FILE', /external-paths' roots/);

    rewriteJson(
      f.schema0,
      (o) => ((o.options as Record<string, string>)['data-file.external-paths.strategy'] = 'round-robin'),
    );
    const w = await open(f);
    expectEddy(await failure(() => w.upsert([{ k: 1, v: 'x' }])), 'UNSUPPORTED', 'data-file.external-paths.strategy');
    expectEddy(await failure(() => w.compact({ full: true })), 'UNSUPPORTED', 'data-file.external-paths.strategy');
  });

  it('an external path that stays inside the table (./ and ../ within it) reads as before', async () => {
    using f = fresh();
    const rowsBefore = await (await open(f)).toArray();
    await rewrite(
      f.manifest,
      (e) => (e.file.externalPath = `${f.table}/./bucket-0/../bucket-0//${e.file.fileName as string}`),
    );
    const t = await open(f);
    expect(sortBy(await t.toArray(), (r) => Number(r.k))).toEqual(sortBy(rowsBefore, (r) => Number(r.k)));
  });
});

describe('hostile input: bounded work per table', () => {
  const wideFields = (n: number) => Array.from({ length: n }, (_, i) => ({ id: 10 + i, name: `c${i}`, type: 'INT' }));

  it('a schema file with 200,000 fields: UNSUPPORTED naming the limit, quickly, for every reader and maintenance op', async () => {
    using f = fresh();
    rewriteJson(f.schema0, (o) => {
      o.fields = (o.fields as unknown[]).concat(wideFields(200_000));
      o.highestFieldId = 200_010;
    });
    await expectRefused(
      f,
      ['getTable', 'scan', 'expire', 'orphans'],
      'UNSUPPORTED',
      /200002 columns; Eddy supports at most 10000/,
    );
  });

  it('createTable with 10,001 columns: UNSUPPORTED, nothing written', async () => {
    using dir = tempDir();
    const catalog = await Catalog.open(path.join(dir.path, 'wh'));
    const before = treeOf(dir.path);
    const columns = Object.fromEntries(Array.from({ length: 10_001 }, (_, i) => [`c${i}`, 'INT']));
    const e = await bounded(() => failure(() => catalog.createTable('db.t', { columns })));
    expectEddy(e, 'UNSUPPORTED', /10001 columns; Eddy supports at most 10000/);
    expect(treeOf(dir.path)).toEqual(before);
  });

  it('a table with 500 columns opens, writes and scans', async () => {
    using dir = tempDir();
    const columns = Object.fromEntries([['k', 'INT'], ...Array.from({ length: 500 }, (_, i) => [`c${i}`, 'INT'])]);
    const t = await (await Catalog.open(path.join(dir.path, 'wh'))).createTable('db.t', {
      columns,
      primaryKey: ['k'],
      options: { bucket: 1 },
    });
    await t.upsert([{ k: 1, c499: 7 }]);
    const rows = await t.toArray({ select: ['k', 'c499', 'c0'] });
    expect(rows).toEqual([{ k: 1, c499: 7, c0: null }]);
  });

  const bigJson = (n: number) => JSON.stringify({ pad: 'x'.repeat(n) });
  it.each([
    [
      'snapshot',
      (f: Fixture) => f.snapshot3,
      17 * 1024 * 1024,
      /snapshot JSON of \d+ bytes is larger than Eddy's limit/,
    ],
    ['schema', (f: Fixture) => f.schema0, 33 * 1024 * 1024, /schema JSON of \d+ bytes is larger than Eddy's limit/],
  ] as const)(
    'a %s file over its size limit: CORRUPT_FILE naming it and the limit',
    async (_n, file, size, problem) => {
      using f = fresh();
      writeFileSync(file(f), bigJson(size));
      await expectRefused(f, [file(f) === f.schema0 ? 'getTable' : 'scan'], 'CORRUPT_FILE', problem);
    },
  );

  it('a consumer file over 64 KiB: CORRUPT_FILE naming it (expiry must not guess its position)', async () => {
    using f = fresh();
    const consumer = path.join(f.table, 'consumer', 'consumer-big');
    mkdirSync(path.dirname(consumer), { recursive: true });
    writeFileSync(consumer, JSON.stringify({ nextSnapshot: 2, pad: 'x'.repeat(100_000) }));
    await expectRefused(f, ['expire'], 'CORRUPT_FILE', /consumer-big: consumer JSON of \d+ bytes is larger/);
  });

  it('a manifest whose Avro schema is 2 MiB: CORRUPT_FILE before compiling it', async () => {
    using f = fresh();
    const varint = (v: number) => {
      let n = v * 2;
      const out: number[] = [];
      while (n >= 0x80) {
        out.push((n % 0x80) | 0x80);
        n = Math.floor(n / 0x80);
      }
      out.push(n);
      return Buffer.from(out);
    };
    const str = (s: string) => Buffer.concat([varint(Buffer.byteLength(s)), Buffer.from(s)]);
    const fields = Array.from({ length: 40_000 }, (_, i) => ({ name: `f${i}`, type: 'int' }));
    const schema = JSON.stringify({ type: 'record', name: 'r', fields });
    expect(schema.length).toBeGreaterThan(1024 * 1024);
    writeFileSync(
      f.manifest,
      Buffer.concat([
        Buffer.from([0x4f, 0x62, 0x6a, 1]),
        varint(1),
        str('avro.schema'),
        str(schema),
        varint(0),
        Buffer.alloc(16, 0x5a),
      ]),
    );
    await expectRefused(f, ['scan'], 'CORRUPT_FILE', /Avro schema of \d+ bytes is larger than Eddy's limit/);
  });
});

describe('hostile input: index files outside the table', () => {
  it('an index-manifest entry whose _EXTERNAL_PATH is outside: writes, expiry and orphan cleanup refuse; the file is untouched', async () => {
    using dir = tempDir();
    const warehouse = path.join(dir.path, 'wh');
    const t = await (await Catalog.open(warehouse)).createTable('db.d', {
      columns: { k: 'INT', v: 'STRING' },
      primaryKey: ['k'],
      options: { bucket: -1, 'write-only': true },
    });
    for (let i = 0; i < 3; i++) await t.upsert([{ k: i, v: `v${i}` }]);
    const s = (await t.latestSnapshot())!;
    const indexManifest = t.manifests.path(s.indexManifest!);
    const outside = path.join(dir.path, 'outside-index');
    writeFileSync(outside, 'not an index');
    const entries = await decodeIndexManifest(readFileSync(indexManifest), indexManifest);
    expect(entries.length).toBeGreaterThan(0);
    for (const e of entries) e.externalPath = outside;
    writeFileSync(indexManifest, await encodeIndexManifest(entries, 'zstandard'));
    const before = treeOf(dir.path);
    const reopen = async () => (await Catalog.open(warehouse)).getTable('db.d');
    const ops: [string, () => Promise<unknown>][] = [
      ['upsert', async () => (await reopen()).upsert([{ k: 9, v: 'x' }])],
      ['expire', async () => (await reopen()).expireSnapshots({ retainMin: 1, timeRetainedMs: 0 })],
      ['orphans', async () => (await reopen()).removeOrphanFiles({ olderThanMs: 0 })],
    ];
    for (const [op, run] of ops) {
      const e = await failure(run);
      try {
        expectEddy(e, 'CORRUPT_FILE', /_EXTERNAL_PATH of index-.* is outside the table/);
      } catch (x) {
        throw new Error(`${op}: ${(x as Error).message} (got: ${(e as Error).message})`);
      }
      expect(treeOf(dir.path), `${op} wrote or deleted files`).toEqual(before);
    }
    expect(readFileSync(outside, 'utf8')).toBe('not an index');
  });
});
