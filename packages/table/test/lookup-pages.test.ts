import { describe, expect, it } from 'vitest';
import { probeStats } from '../src/format/parquet-probe.ts';
import { and, Catalog, type FileIO, ge, LocalFileIO, lt } from '../src/index.ts';
import { readCache } from '../src/io/read-cache.ts';
import { keyIndexBuilds, keyIndexTuning } from '../src/read/key-index.ts';
import { probeTuning } from '../src/read/split-reader.ts';
import { tempDir } from './helpers.ts';

// What a key-range lookup decodes, counted (no clock): only the pages of its rows, never whole row
// groups, and a repeated range none at all, whether the file was first probed by page and its key
// index was built in between (the index is built in the background at a file's second lookup).
// Before the page cache was shared by both ways, the first lookups probed by page and kept
// nothing, and the first lookup through the fresh index decoded every page again.

/** A FileIO counting the bytes read from data files. */
function counting(inner: FileIO): FileIO & { dataBytes: number } {
  const io = Object.create(inner) as FileIO & { dataBytes: number };
  io.dataBytes = 0;
  io.read = async (path) => {
    const b = await inner.read(path);
    if (path.endsWith('.parquet')) io.dataBytes += b.byteLength;
    return b;
  };
  io.readRange = async (path, offset, length) => {
    const b = await inner.readRange(path, offset, length);
    if (path.endsWith('.parquet')) io.dataBytes += b.byteLength;
    return b;
  };
  return io;
}

/** One compacted file of 200k rows (2 row groups, pages of a few thousand rows). */
async function table200k(path: string, io: FileIO) {
  const catalog = await Catalog.open(path, { fileIO: io });
  const table = await catalog.createTable('db.t', {
    columns: { k: 'BIGINT NOT NULL', s: 'STRING', x: 'DOUBLE', n: 'INT' },
    primaryKey: ['k'],
    options: { bucket: '1' },
  });
  const N = 200_000;
  const w = table.newWriter();
  const rows = Array.from({ length: N }, (_, i) => ({
    k: BigInt(i * 3),
    s: `name-${(i * 7919) % 100_003}-${i}`,
    x: i / 7,
    n: i % 1000,
  }));
  await w.write(rows);
  await w.commit(1);
  w.close();
  await table.compact({ full: true });
  return { table, rows };
}

describe('key-range lookups by page', () => {
  it('decode the pages of the range once, across the page probe and the key index', async () => {
    using d = tempDir();
    const io = counting(new LocalFileIO());
    const { table } = await table200k(d.path, io);
    const plan = await table.plan();
    const file = plan.splits[0].files;
    expect(file.length).toBe(1);
    const fileBytes = file[0].fileSize;
    readCache().clear();
    const lo = 3n * 120_000n;
    const range = async () => {
      const got = await table.toArray({ where: and(ge('k', lo), lt('k', lo + 3000n)) });
      expect(got.length).toBe(1000);
      expect(got.every((r) => (r.k as bigint) >= lo && (r.k as bigint) < lo + 3000n)).toBe(true);
    };
    const measure = async () => {
      const k0 = probeStats.keyRows;
      const v0 = probeStats.valueRows;
      const b0 = io.dataBytes;
      await range();
      return { keyRows: probeStats.keyRows - k0, valueRows: probeStats.valueRows - v0, bytes: io.dataBytes - b0 };
    };
    // 1. The file's first lookup: key pages probed, the other columns' pages of the 1,000 rows
    //    (4 columns: s, x, n and _VALUE_KIND; pages of a few thousand rows) — a small part of the
    //    file's 200k rows, and of its bytes (no row group read whole).
    const first = await measure();
    expect(first.valueRows).toBeGreaterThan(0);
    expect(first.valueRows).toBeLessThan(4 * 40_000);
    expect(first.bytes).toBeLessThan(fileBytes / 4);
    // 2. Its second lookup: the index build starts (in the background); the pages are cached.
    const second = await measure();
    expect(second.valueRows).toBe(0);
    await keyIndexBuilds();
    // 3. Through the index now: the range's pages were decoded by the first lookup.
    const third = await measure();
    expect(third.keyRows).toBe(0);
    expect(third.valueRows).toBe(0);
    expect(third.bytes).toBe(0);
  });
});

describe('a get of keys spread over a file', () => {
  it('reads the rows written, probed by page or through the key index, from a cold and a warm cache', async () => {
    using d = tempDir();
    const { table, rows } = await table200k(d.path, new LocalFileIO());
    // Every 97th row and its neighbour: many pages per column in both row groups.
    const asked = Array.from({ length: 1000 }, (_, i) => (i * 97 + (i % 2)) % rows.length);
    try {
      probeTuning.rowsPerKey = 1;
      for (const mode of ['always', 'never'] as const) {
        keyIndexTuning.mode = mode;
        readCache().clear();
        const got = await table.get(asked.map((i) => ({ k: rows[i].k })));
        expect(got, `key index ${mode}`).toEqual(asked.map((i) => rows[i]));
        // Keys between those asked: rows of the same pages, now cached.
        const near = asked.map((i) => (i + 1) % rows.length);
        expect(await table.get(near.map((i) => ({ k: rows[i].k })))).toEqual(near.map((i) => rows[i]));
      }
    } finally {
      keyIndexTuning.mode = 'auto';
      probeTuning.rowsPerKey = 32768;
    }
  });
});
