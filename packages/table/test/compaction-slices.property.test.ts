import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RowGroupStats } from '../src/format/parquet.ts';
import { Catalog, type Table } from '../src/index.ts';
import { compactionReadStats, compactionReadTuning, sliceRowGroups } from '../src/read/split-reader.ts';
import { PRIMARY_KEY_LAYOUT } from '../src/write/key-value-file.ts';
import { mulberry32, tempDir } from './helpers.ts';

/**
 * A compaction reads its inputs in slices of row groups (split-reader.ts, fileSlices), one slice
 * ahead per sorted run. Files here have row groups of 3–9 rows and slices of 1–40 rows, so slice
 * boundaries fall inside every run, between the versions a merge compares; the compacted table must
 * equal a model of the writes (merge engines, deletes dropped at the top level, deletion vectors).
 */
type Engine = 'deduplicate' | 'partial-update' | 'aggregation' | 'first-row' | 'dv';
type Rec = { k: number; a: number | null; b: string | null };
type Op = { t: 'write'; seed: number; count: number; del: boolean } | { t: 'compact'; full: boolean };

const KEYS = 400;

function apply(engine: Engine, model: Map<number, Rec>, r: Rec, del: boolean): void {
  const cur = model.get(r.k);
  if (engine === 'first-row') {
    if (!cur && !del) model.set(r.k, r);
  } else if (del) model.delete(r.k);
  else if (engine === 'deduplicate' || engine === 'dv' || !cur) model.set(r.k, r);
  else if (engine === 'aggregation') model.set(r.k, { k: r.k, a: (cur.a ?? 0) + (r.a ?? 0), b: r.b ?? cur.b });
  else model.set(r.k, { k: r.k, a: r.a ?? cur.a, b: r.b ?? cur.b });
}

const ops = (engine: Engine) =>
  fc.array(
    fc.oneof(
      {
        weight: 4,
        arbitrary: fc.record({
          t: fc.constant('write' as const),
          seed: fc.integer({ min: 1, max: 1 << 30 }),
          count: fc.integer({ min: 1, max: 300 }),
          del: engine === 'first-row' || engine === 'aggregation' ? fc.constant(false) : fc.boolean(),
        }),
      },
      { weight: 2, arbitrary: fc.record({ t: fc.constant('compact' as const), full: fc.boolean() }) },
    ),
    { minLength: 2, maxLength: 7 },
  );

async function expectModel(t: Table, model: Map<number, Rec>, key: (k: number) => number | bigint): Promise<void> {
  const want = [...model.values()].sort((x, y) => x.k - y.k).map((r) => ({ k: key(r.k), a: r.a, b: r.b }));
  expect(await t.toArray()).toEqual(want);
}

const saved = { rowGroupRows: PRIMARY_KEY_LAYOUT.rowGroupRows, sliceRows: compactionReadTuning.sliceRows };
beforeEach(() => {
  compactionReadStats.slicedFiles = 0;
});
afterEach(() => {
  PRIMARY_KEY_LAYOUT.rowGroupRows = saved.rowGroupRows;
  compactionReadTuning.sliceRows = saved.sliceRows;
});

describe('compaction reads its inputs in slices of row groups', () => {
  for (const engine of ['deduplicate', 'partial-update', 'aggregation', 'first-row', 'dv'] as const) {
    for (const keyType of engine === 'deduplicate' ? (['INT', 'BIGINT'] as const) : (['INT'] as const)) {
      it(`${engine}, ${keyType} key: the compacted table equals the model`, async () => {
        await fc.assert(
          fc.asyncProperty(
            ops(engine),
            fc.integer({ min: 3, max: 9 }),
            fc.integer({ min: 1, max: 40 }),
            async (list, rowGroupRows, sliceRows) => {
              PRIMARY_KEY_LAYOUT.rowGroupRows = rowGroupRows;
              compactionReadTuning.sliceRows = sliceRows;
              using d = tempDir();
              const t = await (await Catalog.open(d.path)).createTable('db.t', {
                columns: { k: keyType, a: 'INT', b: 'STRING' },
                primaryKey: ['k'],
                options: {
                  bucket: 1,
                  'merge-engine': engine === 'dv' ? 'deduplicate' : engine,
                  'target-file-size': '2 kb',
                  'num-sorted-run.compaction-trigger': 3,
                  'write-only': true,
                  ...(engine === 'partial-update' ? { 'partial-update.remove-record-on-delete': true } : {}),
                  ...(engine === 'aggregation' ? { 'fields.a.aggregate-function': 'sum' } : {}),
                  ...(engine === 'dv' ? { 'deletion-vectors.enabled': true } : {}),
                },
              });
              const key = (k: number) => (keyType === 'INT' ? k : BigInt(k) * 4_294_967_311n - 2n ** 40n);
              const model = new Map<number, Rec>();
              for (const o of [...list, { t: 'compact', full: true } as Op]) {
                if (o.t === 'compact') {
                  await t.compact({ full: o.full });
                  // First-row and DV reads skip level 0: only a full compaction shows every row.
                  if (o.full || (engine !== 'first-row' && engine !== 'dv')) await expectModel(t, model, key);
                  continue;
                }
                const rnd = mulberry32(o.seed);
                const recs: Rec[] = [];
                const seen = new Set<number>();
                for (let i = 0; i < o.count; i++) {
                  const k = Math.floor(rnd() * KEYS);
                  if (seen.has(k)) continue;
                  seen.add(k);
                  const partial = engine === 'partial-update' && rnd() < 0.5;
                  recs.push({
                    k,
                    a: partial && rnd() < 0.5 ? null : Math.floor(rnd() * 1e6),
                    b: partial && rnd() < 0.5 ? null : `v${o.seed % 1000}-${i}`,
                  });
                }
                const rows = recs.map((r) => ({ k: key(r.k), a: r.a, b: r.b }));
                if (o.del) await t.delete(engine === 'partial-update' ? rows.map((r) => ({ k: r.k })) : rows);
                else await t.upsert(rows);
                for (const r of recs) apply(engine, model, r, o.del);
              }
            },
          ),
          { numRuns: 5, seed: 20261207 },
        );
        // The sliced read ran: inputs of several row groups were read a slice at a time.
        expect(compactionReadStats.slicedFiles).toBeGreaterThan(0);
      });
    }
  }
});

function rg(index: number, rows: number, min: unknown, max: unknown, nullCount = 0): RowGroupStats {
  return {
    index,
    firstRow: index * 100,
    rows,
    stats: (c) =>
      c === '_KEY_k' && min !== undefined
        ? ({ min, max, nullCount, rowCount: rows } as ReturnType<RowGroupStats['stats']>)
        : undefined,
  };
}

describe('sliceRowGroups', () => {
  const sets = (s: ReadonlySet<number>[]) => s.map((x) => [...x]);

  it('cuts at most every maxRows rows, only where the keys ascend strictly across the cut', () => {
    const groups = [rg(0, 4, 1, 10), rg(1, 4, 11, 20), rg(2, 4, 20, 30), rg(3, 4, 31, 40), rg(4, 4, 41, 50)];
    // 20 is the max of group 1 and the min of group 2: a key may have rows on both sides.
    expect(sets(sliceRowGroups(groups, '_KEY_k', 4))).toEqual([[0], [1, 2], [3], [4]]);
    // Group 2 cannot start a slice, so it joins the one before (past the bound).
    expect(sets(sliceRowGroups(groups, '_KEY_k', 8))).toEqual([
      [0, 1, 2],
      [3, 4],
    ]);
    expect(sets(sliceRowGroups(groups, '_KEY_k', 100))).toEqual([[0, 1, 2, 3, 4]]);
    const big = [rg(0, 4, 1n, 10n), rg(1, 4, 11n, 20n)];
    expect(sets(sliceRowGroups(big, '_KEY_k', 1))).toEqual([[0], [1]]);
  });

  it('does not cut without statistics, with nulls, or across keys of other types', () => {
    expect(sets(sliceRowGroups([rg(0, 4, undefined, undefined), rg(1, 4, 5, 6)], '_KEY_k', 4))).toEqual([[0, 1]]);
    expect(sets(sliceRowGroups([rg(0, 4, 1, 2, 1), rg(1, 4, 5, 6)], '_KEY_k', 4))).toEqual([[0, 1]]);
    expect(sets(sliceRowGroups([rg(0, 4, 'a', 'b'), rg(1, 4, 'c', 'd')], '_KEY_k', 4))).toEqual([[0, 1]]);
    expect(sets(sliceRowGroups([rg(0, 4, 1, 2), rg(1, 4, 5n, 6n)], '_KEY_k', 4))).toEqual([[0, 1]]);
    // Keys that descend (an unsorted file) are never a cut: the reader reports the file instead.
    expect(sets(sliceRowGroups([rg(0, 4, 5, 9), rg(1, 4, 1, 3)], '_KEY_k', 4))).toEqual([[0, 1]]);
  });
});
