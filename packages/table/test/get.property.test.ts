import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Catalog, EddyError } from '../src/index.ts';
import { keyIndexTuning } from '../src/read/key-index.ts';
import { probeTuning } from '../src/read/split-reader.ts';
import { extractGolden, tempDir } from './helpers.ts';

// table.get against an in-memory model: upserts, deletes, flushes into several sorted runs,
// compactions; then batched gets of present, deleted and never-written keys.

type Row = { p: string; k: number; v: string | null; n: bigint };
type Op =
  | { t: 'upsert'; rows: Row[] }
  | { t: 'delete'; keys: { p: string; k: number }[] }
  | { t: 'commit' }
  | { t: 'compact'; full: boolean };

const partition = fc.constantFrom('a', 'b');
const key = fc.integer({ min: -30, max: 30 });
const row = fc.record({
  p: partition,
  k: key,
  v: fc.option(fc.string({ maxLength: 6 }), { nil: null }),
  n: fc.bigInt({ min: -1000n, max: 1000n }),
});
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({ t: fc.constant('upsert' as const), rows: fc.array(row, { minLength: 1, maxLength: 12 }) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('delete' as const),
      keys: fc.array(fc.record({ p: partition, k: key }), { minLength: 1, maxLength: 5 }),
    }),
  },
  { weight: 3, arbitrary: fc.constant({ t: 'commit' as const }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('compact' as const), full: fc.boolean() }) },
);
const id = (p: string, k: number) => `${p}/${k}`;

describe('Table.get', () => {
  // As tuned (a few keys probe files by page, more read row groups or the key index once a file is
  // probed again), every read probed by page, and every file searched through its key index.
  it.each([
    ['as tuned', 32768, 'auto'],
    ['every file probed by key', 1, 'never'],
    ['every file through its key index', 1, 'always'],
  ] as const)(
    'returns the rows of the model, in the order of the keys asked for (%s)',
    async (_, rowsPerKey, index) => {
      probeTuning.rowsPerKey = rowsPerKey;
      keyIndexTuning.mode = index;
      await fc.assert(
        fc.asyncProperty(
          fc.array(op, { minLength: 1, maxLength: 14 }),
          fc.constantFrom('deduplicate', 'partial-update'),
          fc.array(fc.record({ p: partition, k: key }), { minLength: 1, maxLength: 20 }),
          async (ops, engine, asked) => {
            using d = tempDir();
            const catalog = await Catalog.open(d.path);
            await catalog.createDatabase('db');
            const table = await catalog.createTable('db.t', {
              columns: { p: 'STRING NOT NULL', k: 'INT NOT NULL', v: 'STRING', n: 'BIGINT' },
              primaryKey: ['p', 'k'],
              partitionKeys: ['p'],
              options: {
                bucket: '2',
                'merge-engine': engine,
                'partial-update.remove-record-on-delete': 'true',
                'num-sorted-run.compaction-trigger': '50',
              },
            });
            const model = new Map<string, Row>();
            const pending: Op[] = [];
            const w = table.newWriter();
            let commit = 0;
            try {
              for (const o of ops) {
                if (o.t === 'upsert') {
                  await w.write(o.rows);
                  pending.push(o);
                } else if (o.t === 'delete') {
                  await w.delete(o.keys);
                  pending.push(o);
                } else if (o.t === 'commit') {
                  await w.commit(++commit);
                  for (const x of pending.splice(0)) apply(model, x, engine);
                } else {
                  await w.commit(++commit);
                  for (const x of pending.splice(0)) apply(model, x, engine);
                  await table.compact({ full: o.full });
                }
              }
              await w.commit(++commit);
              for (const x of pending.splice(0)) apply(model, x, engine);
            } finally {
              w.close();
            }
            const got = await table.get(asked);
            expect(got).toEqual(asked.map((a) => model.get(id(a.p, a.k))));
            const some = await table.get(asked, { select: ['k', 'n'] });
            expect(some).toEqual(
              asked.map((a) => {
                const r = model.get(id(a.p, a.k));
                return r && { k: r.k, n: r.n };
              }),
            );
          },
        ),
        { numRuns: 8 },
      );
      probeTuning.rowsPerKey = 32768;
      keyIndexTuning.mode = 'auto';
    },
  );

  it('prunes buckets and files: a key in one bucket reads one bucket', async () => {
    using d = tempDir();
    const catalog = await Catalog.open(d.path);
    await catalog.createDatabase('db');
    const table = await catalog.createTable('db.t', {
      columns: { k: 'BIGINT NOT NULL', v: 'STRING' },
      primaryKey: ['k'],
      options: { bucket: '4' },
    });
    await table.upsert(Array.from({ length: 100 }, (_, i) => ({ k: BigInt(i), v: `v${i}` })));
    const all = await table.plan();
    expect(all.splits.length).toBe(4);
    const one = await table.plan({ where: { op: 'in', column: 'k', values: [5n] } });
    expect(one.splits.length).toBe(1);
    const two = await table.plan({
      where: {
        op: 'or',
        children: [
          { op: '=', column: 'k', value: 5n },
          { op: 'in', column: 'k', values: [5n] },
        ],
      },
    });
    expect(two.splits.length).toBe(1);
    expect(await table.get([{ k: 7n }, { k: 1000n }, { k: 7n }])).toEqual([
      { k: 7n, v: 'v7' },
      undefined,
      { k: 7n, v: 'v7' },
    ]);
    expect(await table.get([])).toEqual([]);
  });

  it('finds keys across row groups, merged with newer runs (files of several row groups)', async () => {
    using d = tempDir();
    const catalog = await Catalog.open(d.path);
    await catalog.createDatabase('db');
    const table = await catalog.createTable('db.t', {
      columns: { k: 'BIGINT NOT NULL', v: 'INT' },
      primaryKey: ['k'],
      options: { bucket: '1' },
    });
    const n = 140_000; // two row groups: 128Ki rows and the rest
    await table.upsert(Array.from({ length: n }, (_, i) => ({ k: BigInt(i), v: i })));
    await table.compact({ full: true });
    await table.upsert([{ k: 5n, v: -5 }]);
    await table.delete({ k: 135_000n });
    const keys = [5n, 135_000n, 100_000n, 139_999n, 0n, 131_072n, 131_071n].map((k) => ({ k }));
    const want = [
      { k: 5n, v: -5 },
      undefined,
      { k: 100_000n, v: 100_000 },
      { k: 139_999n, v: 139_999 },
      { k: 0n, v: 0 },
    ];
    want.push({ k: 131_072n, v: 131_072 }, { k: 131_071n, v: 131_071 });
    expect(await table.get(keys)).toEqual(want);
    expect(await table.toArray({ where: 'k >= 131070 and k < 131074' })).toEqual(
      [131_070, 131_071, 131_072, 131_073].map((i) => ({ k: BigInt(i), v: i })),
    );
    await table.compact({ full: true }); // one sorted run: read without a merge
    expect(await table.get(keys)).toEqual(want);
    expect(await table.count({ where: 'v < 0 or k = 135000' })).toBe(1);
  });

  it('reads tables with file-index options (the index is an optimisation: not reading it is safe)', async () => {
    using d = tempDir();
    const catalog = await Catalog.open(d.path);
    await catalog.createDatabase('db');
    const table = await catalog.createTable('db.t', {
      columns: { k: 'INT NOT NULL', v: 'STRING' },
      primaryKey: ['k'],
      options: { bucket: '1', 'file-index.bloom-filter.columns': 'v', 'file-index.in-manifest-threshold': '1 b' },
    });
    await table.upsert([
      { k: 1, v: 'a' },
      { k: 2, v: 'b' },
    ]);
    await table.upsert([{ k: 2, v: 'c' }]);
    expect(await table.toArray({ where: "v = 'c'" })).toEqual([{ k: 2, v: 'c' }]);
    expect(await table.get([{ k: 1 }, { k: 2 }])).toEqual([
      { k: 1, v: 'a' },
      { k: 2, v: 'c' },
    ]);
  });

  it('refuses keys without every primary-key column, and tables without a primary key', async () => {
    using d = tempDir();
    const catalog = await Catalog.open(d.path);
    await catalog.createDatabase('db');
    const table = await catalog.createTable('db.t', {
      columns: { p: 'STRING NOT NULL', k: 'INT NOT NULL' },
      primaryKey: ['p', 'k'],
      partitionKeys: ['p'],
    });
    await expect(table.get([{ k: 1 }])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: /'p'/ });
    const append = await catalog.createTable('db.a', { columns: { k: 'INT' } });
    await expect(append.get([{ k: 1 }])).rejects.toBeInstanceOf(EddyError);
  });

  it('reads Java-written deletion-vector tables like a scan', async () => {
    using d = tempDir();
    const catalog = await Catalog.open(extractGolden(d.path));
    const table = await catalog.getTable('default.test_pk_global_index_golden');
    const scanned = new Map((await table.toArray()).map((r) => [r.id, r]));
    const keys = [1, 2, 3, 4, 5, 6, 7].map((id) => ({ id }));
    expect(await table.get(keys)).toEqual(keys.map((k) => scanned.get(k.id)));
    // The same through the probe (Java's Parquet files: parquet-mr pages, its page index or none).
    probeTuning.rowsPerKey = 1;
    try {
      expect(await table.get(keys)).toEqual(keys.map((k) => scanned.get(k.id)));
      for (const k of keys) expect(await table.get([k])).toEqual([scanned.get(k.id)]);
    } finally {
      probeTuning.rowsPerKey = 32768;
    }
    expect(await table.get([{ id: 2 }], { snapshotId: 1 })).toEqual([undefined]);
  });
});

function apply(model: Map<string, Row>, o: Op, engine: string): void {
  if (o.t === 'upsert') {
    for (const r of o.rows) {
      const old = model.get(id(r.p, r.k));
      // partial-update: a null field keeps the value before it.
      model.set(
        id(r.p, r.k),
        engine === 'partial-update' && old ? { ...r, v: r.v ?? old.v, n: r.n ?? old.n } : { ...r },
      );
    }
  } else if (o.t === 'delete') {
    for (const k of o.keys) model.delete(id(k.p, k.k));
  }
}
