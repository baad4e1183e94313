import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ColumnBuilder } from '../src/data/columns.ts';
import { BloomFilter64 } from '../src/format/bloom-filter.ts';
import { HASH, hashValue, xxHash64 } from '../src/format/fast-hash.ts';
import { decodeFileIndexHead, encodeFileIndex } from '../src/format/file-index.ts';
import { Catalog, EddyError, eq, isIn, type Table } from '../src/index.ts';
import { parseDataType } from '../src/types/data-types.ts';
import type { InternalValue } from '../src/types/internal.ts';
import { tempDir } from './helpers.ts';

const utf8 = new TextEncoder();
const hex = () => ((BigInt(HASH[0] >>> 0) << 32n) | BigInt(HASH[1] >>> 0)).toString(16).padStart(16, '0');

describe('file index format', () => {
  it('xxHash64 (seed 0) gives the reference values', () => {
    // XXH64 test vectors (xxhash's own): "", "a", "abc", and a 64-byte input through the stripe loop.
    const cases: [Uint8Array, string][] = [
      [utf8.encode(''), 'ef46db3751d8e999'],
      [utf8.encode('a'), 'd24ec4f1a98c6e5b'],
      [utf8.encode('abc'), '44bc2cf5ad770999'],
    ];
    for (const [b, want] of cases) {
      xxHash64(b);
      expect(hex()).toBe(want);
    }
  });

  it('round-trips a container: heads name every index with its bytes; empty indexes keep start -1', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            column: fc.string({ maxLength: 8 }),
            indexType: fc.constantFrom('bloom-filter', 'bitmap', 'bsi', 'x\u0000y'),
            bytes: fc.option(fc.uint8Array({ maxLength: 40 }), { nil: null }),
          }),
          { maxLength: 6 },
        ),
        (parts) => {
          const bytes = encodeFileIndex(parts);
          const head = decodeFileIndexHead(bytes, bytes.length, 'f');
          expect(head).toBeDefined();
          // Later entries of one (column, type) win, as Java's HashMap put.
          const want = new Map<string, Uint8Array | null>();
          for (const p of parts) want.set(`${p.column}\u0001${p.indexType}`, p.bytes);
          let n = 0;
          for (const [column, types] of head!.columns) {
            for (const [type, e] of types) {
              n++;
              const w = want.get(`${column}\u0001${type}`);
              if (w === null) expect(e.start).toBe(-1);
              else expect(Buffer.from(bytes.subarray(e.start, e.start + e.length))).toEqual(Buffer.from(w!));
            }
          }
          expect(n).toBe(want.size);
        },
      ),
    );
  });

  it('hostile bytes: CORRUPT_FILE naming the file or a usable head, never another error', () => {
    const good = encodeFileIndex([
      { column: 'a', indexType: 'bloom-filter', bytes: new Uint8Array(20) },
      { column: 'b', indexType: 'bitmap', bytes: new Uint8Array(9) },
    ]);
    fc.assert(
      fc.property(
        fc.array(fc.record({ at: fc.nat(good.length - 1), v: fc.integer({ min: 0, max: 255 }) }), { maxLength: 6 }),
        fc.nat(good.length),
        (edits, cut) => {
          const b = good.slice(0, cut === 0 ? good.length : cut);
          for (const e of edits) if (e.at < b.length) b[e.at] = e.v;
          try {
            const head = decodeFileIndexHead(b, b.length, 'hostile.index');
            if (head)
              for (const types of head.columns.values())
                for (const e of types.values())
                  if (e.start !== -1) expect(e.start + e.length).toBeLessThanOrEqual(b.length);
          } catch (err) {
            expect(err).toBeInstanceOf(EddyError);
            expect((err as EddyError).code).toBe('CORRUPT_FILE');
            expect((err as EddyError).message).toContain('hostile.index');
          }
        },
      ),
      { numRuns: 500 },
    );
    // A head length of 2^31-1 allocates nothing: refused before reading.
    const huge = good.slice();
    new DataView(huge.buffer).setInt32(12, 0x7fffffff);
    expect(() => decodeFileIndexHead(huge, huge.length, 'h.index')).toThrow(/h\.index/);
    // Bloom bytes with an absurd number of hash functions are corrupt; too short too.
    expect(() => BloomFilter64.deserialize(Uint8Array.from([0x7f, 0, 0, 0, 1]), 'k.index')).toThrow(/k\.index/);
    expect(() => BloomFilter64.deserialize(Uint8Array.from([0, 0, 0, 1]), 'k.index')).toThrow(/too short/);
  });

  const TYPES = [
    'TINYINT',
    'SMALLINT',
    'INT',
    'BIGINT',
    'FLOAT',
    'DOUBLE',
    'DATE',
    'STRING',
    'CHAR(3)',
    'BYTES',
    'TIMESTAMP(3)',
    'TIMESTAMP(6)',
    'TIMESTAMP_LTZ(6)',
  ];
  const arbitraryOf = (t: string): fc.Arbitrary<InternalValue> => {
    if (t === 'TINYINT') return fc.integer({ min: -128, max: 127 });
    if (t === 'SMALLINT') return fc.integer({ min: -32768, max: 32767 });
    if (t === 'INT' || t === 'DATE') return fc.integer();
    if (t === 'BIGINT') return fc.bigInt(-(2n ** 63n), 2n ** 63n - 1n);
    if (t === 'FLOAT') return fc.float().map((x) => Math.fround(x));
    if (t === 'DOUBLE') return fc.double();
    if (t === 'STRING' || t === 'CHAR(3)') return fc.string({ maxLength: 40, unit: 'binary' });
    if (t === 'BYTES') return fc.uint8Array({ maxLength: 70 });
    return fc.bigInt(-(2n ** 50n), 2n ** 50n).map((m) => (t === 'TIMESTAMP(3)' ? m * 1000n : m));
  };

  for (const t of TYPES) {
    it(`bloom filter of ${t}: every value added (column path) tests present (value path)`, () => {
      const type = parseDataType(t, 'c');
      fc.assert(
        fc.property(
          fc.array(fc.option(arbitraryOf(t), { nil: null, freq: 5 }), { maxLength: 60 }),
          fc.integer({ min: 1, max: 200 }),
          (values, items) => {
            const b = new ColumnBuilder({ ...type, nullable: true }, 'c');
            for (const v of values) b.appendInternal(v);
            const filter = BloomFilter64.forItems(items, 0.05);
            filter.addColumn(b.finish());
            const back = BloomFilter64.deserialize(filter.serialize(), 'f');
            for (const v of values) if (v !== null) expect(back.mightContain(type, v)).toBe(true);
          },
        ),
        { numRuns: 60 },
      );
    });
  }

  it('hashes as Java: floats by their bits with one NaN, TIMESTAMP(3) by milliseconds', () => {
    const f = parseDataType('FLOAT', 'f');
    hashValue(f, Number.NaN);
    const nan = hex();
    hashValue(f, -Number.NaN);
    expect(hex()).toBe(nan);
    hashValue(f, 0);
    const zero = hex();
    hashValue(f, -0);
    expect(hex()).not.toBe(zero); // Java's floatToIntBits: -0.0 is not 0.0 (nor are they equal for Eddy's filters)
    const ts3 = parseDataType('TIMESTAMP(3)', 't');
    hashValue(ts3, 1_500n);
    const a = hex();
    hashValue(parseDataType('BIGINT', 'b'), 1n);
    expect(hex()).toBe(a); // 1500 µs = 1 ms
    hashValue(ts3, -1_500n);
    const b = hex();
    hashValue(parseDataType('BIGINT', 'b'), -2n);
    expect(hex()).toBe(b); // floor division
  });
});

// ---------------------------------------------------------------------------------------------

const SCHEMA_TYPES = {
  id: 'INT',
  i: 'INT',
  l: 'BIGINT',
  s: 'STRING',
  d: 'DOUBLE',
  dt: 'DATE',
  ts: 'TIMESTAMP(6)',
  bin: 'BYTES',
} as const;
const COLS = Object.keys(SCHEMA_TYPES).filter((c) => c !== 'id') as (keyof typeof SCHEMA_TYPES)[];

const bloomOptions = (cols: readonly string[], extra: Record<string, string> = {}) => {
  const o: Record<string, string> = { 'file-index.bloom-filter.columns': cols.join(','), ...extra };
  for (const c of cols) o[`file-index.bloom-filter.${c}.items`] = '50';
  return o;
};

/** A small pool per column; values are drawn from the first half, the second half never occurs. */
const POOL: Record<string, (k: number) => unknown> = {
  i: (k) => k * 37 - 300,
  l: (k) => BigInt(k) * 10_000_000_019n - 99n,
  s: (k) => `s-${k}-${'ü'.repeat(k % 3)}`,
  d: (k) => (k === 0 ? -0 : k * 0.75 - 4),
  dt: (k) => `2020-01-${String(1 + k).padStart(2, '0')}`,
  ts: (k) => BigInt(k) * 1_000_001n,
  bin: (k) => Uint8Array.from([k, 255 - k, k * 3]),
};
const HALF = 10;

const files = (t: Table) => t.plan().then((p) => p.splits.flatMap((s) => s.files));

describe('file index on read', () => {
  it('property: a file the bloom filter rules out never holds a matching row (append table, every type)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.array(fc.record(Object.fromEntries(COLS.map((c) => [c, fc.option(fc.nat(HALF - 1), { nil: null })]))), {
            minLength: 1,
            maxLength: 12,
          }),
          { minLength: 1, maxLength: 5 },
        ),
        fc.array(
          fc.record({
            column: fc.constantFrom(...COLS),
            picks: fc.array(fc.nat(2 * HALF - 1), { minLength: 1, maxLength: 3 }),
          }),
          { minLength: 1, maxLength: 6 },
        ),
        fc.boolean(),
        async (commits, queries, embedded) => {
          using d = tempDir();
          const t = await (await Catalog.open(d.path)).createTable('db.t', {
            columns: SCHEMA_TYPES,
            options: {
              bucket: '1',
              'bucket-key': 'id',
              ...bloomOptions(COLS, { 'file-index.in-manifest-threshold': embedded ? '64 kb' : '1 b' }),
            },
          });
          const rows: { id: number; pick: Record<string, number | null> }[] = [];
          for (const c of commits) {
            const batch = c.map((pick) => {
              const id = rows.length;
              rows.push({ id, pick });
              const row: Record<string, unknown> = { id };
              for (const col of COLS) row[col] = pick[col] === null ? null : POOL[col](pick[col] as number);
              return row;
            });
            await t.upsert(batch as never);
          }
          for (const q of queries) {
            const values = q.picks.map((k) => POOL[q.column](k));
            const where = values.length === 1 ? eq(q.column, values[0]) : isIn(q.column, values);
            const want = rows
              .filter((r) => r.pick[q.column] !== null && q.picks.includes(r.pick[q.column] as number))
              .map((r) => r.id);
            const got = (await t.toArray({ where })).map((r) => r.id as number).sort((a, b) => a - b);
            expect(got).toEqual(want);
          }
        },
      ),
      { numRuns: 25 },
    );
  });

  it('skips files whose index rules a value out, embedded or in an extra file; file-index.read.enabled = false reads them', async () => {
    for (const embedded of [true, false]) {
      using d = tempDir();
      const t = await (await Catalog.open(d.path)).createTable('db.t', {
        columns: { id: 'INT', s: 'STRING' },
        options: {
          bucket: '1',
          'bucket-key': 'id',
          ...bloomOptions(['s'], { 'file-index.in-manifest-threshold': embedded ? '500 b' : '1 b' }),
        },
      });
      // Interleaved values: min/max of every file spans every probe.
      for (let f = 0; f < 4; f++)
        await t.upsert(
          Array.from({ length: 20 }, (_, i) => ({ id: f * 100 + i, s: `v${String(i * 4 + f).padStart(3, '0')}` })),
        );
      const all = await files(t);
      expect(all.length).toBe(4);
      for (const f of all) {
        expect(f.embeddedIndex !== null).toBe(embedded);
        expect(f.extraFiles).toEqual(embedded ? [] : [`${f.fileName}.index`]);
      }
      const plan = await t.plan({ where: eq('s', 'v006') });
      expect(plan.splits.flatMap((s) => s.files).length).toBe(1);
      expect(plan.skippedByIndex).toBe(3);
      expect(await t.toArray({ where: eq('s', 'v006') })).toEqual([{ id: 201, s: 'v006' }]);
      // Absent from every file (between the bounds of each).
      expect((await t.plan({ where: isIn('s', ['v0061', 'v0101']) })).skippedByIndex).toBe(4);
      await t.alter({ kind: 'setOption', key: 'file-index.read.enabled', value: 'false' });
      const off = await t.plan({ where: eq('s', 'v006') });
      expect(off.splits.flatMap((s) => s.files).length).toBe(4);
      expect(off.skippedByIndex).toBe(0);
      expect(await t.toArray({ where: eq('s', 'v006') })).toEqual([{ id: 201, s: 'v006' }]);
    }
  });

  it('primary-key table without deletion vectors: a value column index never skips a file an older version lives in', async () => {
    using d = tempDir();
    const t = await (await Catalog.open(d.path)).createTable('db.pk', {
      columns: { k: 'INT', v: 'INT' },
      primaryKey: ['k'],
      options: { bucket: '1', 'write-only': 'true', ...bloomOptions(['v', 'k']) },
    });
    await t.upsert([{ k: 1, v: 5 }]); // old version: v = 5
    await t.upsert([
      { k: 1, v: 6 }, // newest: v = 6
      { k: 2, v: 4 },
      { k: 3, v: 8 },
    ]);
    expect((await files(t)).length).toBe(2);
    // The newer file's stats (4..8) admit 5, its bloom filter does not: skipping it by the index
    // would let the old k=1 v=5 through the merge. The right answer is no row.
    expect(await t.toArray({ where: eq('v', 5) })).toEqual([]);
    expect(await t.toArray({ where: eq('v', 6) })).toEqual([{ k: 1, v: 6 }]);
    expect((await t.plan({ where: eq('v', 5) })).skippedByIndex).toBe(0);
    // Key columns are safe: every version of a row shares its key.
    await t.upsert([
      { k: 10, v: 1 },
      { k: 0, v: 1 },
    ]);
    const byKey = await t.plan({ where: eq('k', 7) });
    expect(byKey.skippedByIndex).toBeGreaterThan(0);
    expect(await t.get([{ k: 7 }, { k: 2 }])).toEqual([undefined, { k: 2, v: 4 }]);
  });

  it('deletion-vector table: value column indexes prune (each row lives in one file above level 0)', async () => {
    using d = tempDir();
    const t = await (await Catalog.open(d.path)).createTable('db.dv', {
      columns: { k: 'INT', v: 'STRING' },
      primaryKey: ['k'],
      options: { bucket: '1', 'deletion-vectors.enabled': 'true', ...bloomOptions(['v']) },
    });
    await t.upsert(Array.from({ length: 20 }, (_, i) => ({ k: i, v: `a${i}` })));
    await t.upsert(Array.from({ length: 20 }, (_, i) => ({ k: 100 + i, v: `a${i}x` })));
    await t.upsert([
      { k: 3, v: 'a0' },
      { k: 5, v: 'zz' },
    ]);
    // The old k=3 (a3) is marked deleted: not found by value; k=3's new value is.
    expect(await t.toArray({ where: eq('v', 'a3') })).toEqual([]);
    expect((await t.toArray({ where: eq('v', 'a0') })).map((r) => r.k).sort()).toEqual([0, 3]);
    expect(await t.toArray({ where: eq('v', 'a4') })).toEqual([{ k: 4, v: 'a4' }]);
    // The newest file's stats (a0..zz) admit a4x; its index does not.
    const plan = await t.plan({ where: eq('v', 'a4x') });
    expect((await files(t)).length).toBe(2);
    expect(plan.skippedByIndex).toBe(1);
    expect(await t.toArray({ where: eq('v', 'a4x') })).toEqual([{ k: 104, v: 'a4x' }]);
  });

  it('a damaged extra index file is CORRUPT_FILE naming it; a missing one too', async () => {
    using d = tempDir();
    const t = await (await Catalog.open(d.path)).createTable('db.t', {
      columns: { id: 'INT', s: 'STRING' },
      options: {
        bucket: '1',
        'bucket-key': 'id',
        ...bloomOptions(['s'], { 'file-index.in-manifest-threshold': '1 b' }),
      },
    });
    await t.upsert([
      { id: 1, s: 'a' },
      { id: 2, s: 'z' },
    ]);
    const [f] = await files(t);
    const p = path.join(t.path, 'bucket-0', f.extraFiles[0]);
    const bytes = readFileSync(p);
    new DataView(bytes.buffer, bytes.byteOffset).setInt32(12, 1 << 30); // head length past the end
    writeFileSync(p, bytes);
    const err = await t.toArray({ where: eq('s', 'y') }).catch((e) => e);
    expect(err).toMatchObject({ code: 'CORRUPT_FILE', message: expect.stringContaining(f.extraFiles[0]) });
    // Other filters do not read the index.
    expect(await t.toArray({ where: eq('id', 1) })).toEqual([{ id: 1, s: 'a' }]);
    rmSync(p);
    const missing = await t.toArray({ where: eq('s', 'y') }).catch((e) => e);
    expect(missing).toMatchObject({ code: 'CORRUPT_FILE', message: expect.stringContaining('missing') });
  });
});

describe('file index on write', () => {
  it('refuses what Java refuses: unknown columns, BOOLEAN and DECIMAL columns, options of unlisted columns, bad fpp', async () => {
    using d = tempDir();
    const c = await Catalog.open(d.path);
    const cols = { id: 'INT', b: 'BOOLEAN', m: 'DECIMAL(10, 2)', s: 'STRING' };
    const cases: [Record<string, string>, string, RegExp][] = [
      [{ 'file-index.bloom-filter.columns': 'nope' }, 'INVALID_OPTION', /'nope' is not a column/],
      [{ 'file-index.bloom-filter.columns': 'b' }, 'UNSUPPORTED', /BOOLEAN/],
      [{ 'file-index.bloom-filter.columns': 'm' }, 'UNSUPPORTED', /DECIMAL/],
      [
        { 'file-index.bloom-filter.columns': 's', 'file-index.bloom-filter.id.items': '5' },
        'INVALID_OPTION',
        /'id' is not in/,
      ],
      [{ 'file-index.bloom-filter.columns': 's', 'file-index.bloom-filter.s.fpp': '1.5' }, 'INVALID_OPTION', /fpp/],
      [{ 'file-index.bloom-filter.columns': 's, ,id' }, 'INVALID_OPTION', /empty column/],
    ];
    for (const [options, code, msg] of cases) {
      await expect(c.createTable('db.t', { columns: cols, options }), JSON.stringify(options)).rejects.toMatchObject({
        code,
        message: expect.stringMatching(msg),
      });
    }
    // Other index types are accepted and not written (performance only).
    const t = await c.createTable('db.ok', {
      columns: cols,
      options: { bucket: '1', 'bucket-key': 'id', 'file-index.bitmap.columns': 'b' },
    });
    await t.upsert([{ id: 1, b: true, m: '1.00', s: 'x' }]);
    const [f] = await files(t);
    expect(f.embeddedIndex).toBeNull();
    expect(f.extraFiles).toEqual([]);
  });

  it('compaction writes indexes for its files; expiry deletes extra index files with their data files, orphan cleanup keeps live ones', async () => {
    using d = tempDir();
    const t = await (await Catalog.open(d.path)).createTable('db.pk', {
      columns: { k: 'INT', v: 'STRING' },
      primaryKey: ['k'],
      options: {
        bucket: '1',
        'write-only': 'true',
        ...bloomOptions(['v'], { 'file-index.in-manifest-threshold': '1 b' }),
      },
    });
    for (let i = 0; i < 4; i++) await t.upsert(Array.from({ length: 10 }, (_, j) => ({ k: j, v: `r${i}-${j}` })));
    const before = await files(t);
    expect(before.every((f) => f.extraFiles.length === 1)).toBe(true);
    const bucket = path.join(t.path, 'bucket-0');
    for (const f of before) expect(existsSync(path.join(bucket, f.extraFiles[0]))).toBe(true);
    await t.compact({ full: true });
    const after = await files(t);
    expect(after.length).toBe(1);
    expect(after[0].extraFiles).toEqual([`${after[0].fileName}.index`]);
    expect(await t.toArray({ where: eq('v', 'r3-7') })).toEqual([{ k: 7, v: 'r3-7' }]);
    expect((await t.plan({ where: eq('v', 'r3-75') })).skippedByIndex).toBe(1); // within the file's min/max
    expect(await t.toArray({ where: eq('v', 'r2-7') })).toEqual([]);
    expect((await t.removeOrphanFiles({ olderThanMs: 0 })).orphans).toEqual([]);
    await t.expireSnapshots({ retainMin: 1, timeRetainedMs: 0, expireLimit: 100 });
    const left = readdirSync(bucket).sort();
    expect(left).toEqual([after[0].fileName, after[0].extraFiles[0]].sort());
  });
});
