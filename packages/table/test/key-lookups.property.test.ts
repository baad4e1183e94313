import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { and, Catalog, ge, lt } from '../src/index.ts';
import { readCache } from '../src/io/read-cache.ts';
import { keyIndexTuning, pageCacheTuning } from '../src/read/key-index.ts';
import { probeTuning } from '../src/read/split-reader.ts';
import { tempDir } from './helpers.ts';

// Lookups by key (Table.get, `k = x`, key ranges) read only the rows of the wanted keys: by row
// group, by page (parquet-probe.ts) or from the in-memory key index and its cached pages
// (key-index.ts). Every way must read what a full scan reads, filtered by key: across several sorted
// runs (the newest version wins by sequence number), deletes, and deletion-vector tables.

type Row = { k: number; v: string | null; n: bigint };
type Op =
  | { t: 'upsert'; rows: Row[] }
  | { t: 'delete'; keys: number[] }
  | { t: 'commit' }
  | { t: 'compact'; full: boolean };

const key = fc.integer({ min: -40, max: 40 });
const row = fc.record({
  k: key,
  v: fc.option(fc.string({ maxLength: 6 }), { nil: null }),
  n: fc.bigInt({ min: -1000n, max: 1000n }),
});
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({ t: fc.constant('upsert' as const), rows: fc.array(row, { minLength: 1, maxLength: 15 }) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ t: fc.constant('delete' as const), keys: fc.array(key, { minLength: 1, maxLength: 6 }) }),
  },
  { weight: 3, arbitrary: fc.constant({ t: 'commit' as const }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('compact' as const), full: fc.boolean() }) },
);

const MODES = [
  // Row groups for many keys, pages for a few; the index after a second probe of a file.
  { name: 'as tuned', rowsPerKey: 32768, index: 'auto', pages: 'auto' },
  { name: 'every file probed by page', rowsPerKey: 1, index: 'never', pages: 'auto' },
  { name: 'every file read by row group', rowsPerKey: 1e9, index: 'never', pages: 'auto' },
  { name: 'every file through its key index', rowsPerKey: 1, index: 'always', pages: 'full' },
  // A full cache: pages kept as slices of the rows asked, which later lookups of other rows extend.
  { name: 'key index, pages cached as slices', rowsPerKey: 1, index: 'always', pages: 'slices' },
] as const;

describe('lookups by key against a full scan', () => {
  it('get, k = x and key ranges read the rows a full scan holds for those keys, whichever way files are read', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { minLength: 1, maxLength: 16 }),
        // BIGINT keys near ±2^62 (the index keeps them as bigints) or small (held as doubles).
        // STRING keys 'é100'-style: byte order (UTF-8, 2-byte prefix) is the numbers' order.
        fc.constantFrom('BIGINT', 'INT', 'BIGINT-huge', 'STRING'),
        fc.boolean(),
        fc.constantFrom('1', '2'),
        fc.array(key, { minLength: 1, maxLength: 25 }),
        fc.tuple(key, key),
        async (ops, kind, dv, buckets, asked, [a, b]) => {
          const keyType = kind === 'INT' ? 'INT' : kind === 'STRING' ? 'STRING' : 'BIGINT';
          const offset = kind === 'BIGINT-huge' ? 2n ** 62n - 20n : 0n;
          using d = tempDir();
          const catalog = await Catalog.open(d.path);
          await catalog.createDatabase('db');
          const table = await catalog.createTable('db.t', {
            columns: { k: `${keyType} NOT NULL`, v: 'STRING', n: 'BIGINT' },
            primaryKey: ['k'],
            options: {
              bucket: buckets,
              'deletion-vectors.enabled': String(dv),
              'num-sorted-run.compaction-trigger': '50',
            },
          });
          const k = (x: number) =>
            keyType === 'BIGINT'
              ? BigInt(x) + offset
              : keyType === 'STRING'
                ? `é${String(x + 100).padStart(3, '0')}`
                : x;
          const x = (r: Record<string, unknown>) =>
            keyType === 'BIGINT'
              ? Number((r.k as bigint) - offset)
              : keyType === 'STRING'
                ? Number((r.k as string).slice(1)) - 100
                : Number(r.k);
          const w = table.newWriter();
          let commit = 0;
          try {
            for (const o of ops) {
              if (o.t === 'upsert') await w.write(o.rows.map((r) => ({ ...r, k: k(r.k) })));
              else if (o.t === 'delete') await w.delete(o.keys.map((y) => ({ k: k(y) })));
              else {
                await w.commit(++commit);
                if (o.t === 'compact') await table.compact({ full: o.full });
              }
            }
            await w.commit(++commit);
          } finally {
            w.close();
          }
          // The reference: a full scan (no key filter: no probe, no index).
          const all = await table.toArray();
          const byKey = new Map(all.map((r) => [x(r), r]));
          const [lo, hi] = a <= b ? [a, b] : [b, a];
          const inRange = all.filter((r) => x(r) >= lo && x(r) < hi);
          const sorted = (rows: Record<string, unknown>[]) => [...rows].sort((p, q) => x(p) - x(q));
          try {
            for (const mode of MODES) {
              probeTuning.rowsPerKey = mode.rowsPerKey;
              keyIndexTuning.mode = mode.index;
              pageCacheTuning.mode = mode.pages;
              // Each way from a cold cache (what one way cached, another would only find).
              readCache().clear();
              // Twice: the second read finds indexes and pages in the cache.
              for (let pass = 0; pass < 2; pass++) {
                const what = `${mode.name}, pass ${pass}`;
                expect(await table.get(asked.map((x) => ({ k: k(x) }))), what).toEqual(asked.map((x) => byKey.get(x)));
                // Neighbours of the keys asked: rows of the same pages, not all in a slice kept so far.
                const near = asked.map((x) => x + 1);
                expect(await table.get(near.map((x) => ({ k: k(x) }))), what).toEqual(near.map((x) => byKey.get(x)));
                expect(await table.toArray({ where: { op: '=', column: 'k', value: k(asked[0]) } }), what).toEqual(
                  byKey.has(asked[0]) ? [byKey.get(asked[0])] : [],
                );
                expect(sorted(await table.toArray({ where: and(ge('k', k(lo)), lt('k', k(hi))) })), what).toEqual(
                  sorted(inRange),
                );
                expect(sorted(await table.toArray({ where: ge('k', k(hi)) })), what).toEqual(
                  sorted(all.filter((r) => x(r) >= hi)),
                );
              }
            }
          } finally {
            probeTuning.rowsPerKey = 32768;
            keyIndexTuning.mode = 'auto';
            pageCacheTuning.mode = 'auto';
          }
        },
      ),
      { numRuns: 12 },
    );
  });
});

describe('pages kept as slices (a full read cache)', () => {
  it('a slice serves the rows it holds, and grows by the rows later lookups ask of its page', async () => {
    using d = tempDir();
    const catalog = await Catalog.open(d.path);
    await catalog.createDatabase('db');
    const table = await catalog.createTable('db.t', {
      columns: { k: 'BIGINT NOT NULL', v: 'STRING', n: 'INT' },
      primaryKey: ['k'],
      options: { bucket: '1' },
    });
    const row = (i: number) => ({ k: BigInt(i), v: i % 7 === 0 ? null : `v${i}`, n: i * 3 });
    await table.upsert(Array.from({ length: 200 }, (_, i) => row(i)));
    const get = (ks: number[]) => table.get(ks.map((i) => ({ k: BigInt(i) })));
    keyIndexTuning.mode = 'always';
    pageCacheTuning.mode = 'slices';
    probeTuning.rowsPerKey = 1;
    readCache().clear();
    try {
      // Each list either extends the slices or reads rows they hold (not from their start).
      const asked = [
        [1, 2],
        [3],
        [2],
        [1, 3, 7],
        [7, 3],
        [2, 199, 0],
        [199],
        [5, 4, 3, 2, 1],
        [4, 5],
        [250, 14],
        [150],
      ];
      for (const ks of asked) expect(await get(ks), ks.join()).toEqual(ks.map((i) => (i < 200 ? row(i) : undefined)));
      const all = Array.from({ length: 200 }, (_, i) => i).reverse();
      expect(await get(all)).toEqual(all.map(row));
      expect(await table.toArray({ where: and(ge('k', 20n), lt('k', 40n)) })).toEqual(
        Array.from({ length: 20 }, (_, i) => row(20 + i)),
      );
    } finally {
      probeTuning.rowsPerKey = 32768;
      keyIndexTuning.mode = 'auto';
      pageCacheTuning.mode = 'auto';
    }
  });
});
