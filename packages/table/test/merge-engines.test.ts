import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Catalog } from '../src/index.ts';
import { tempDir } from './helpers.ts';

type Engine = 'deduplicate' | 'first-row' | 'partial-update' | 'aggregation';
type Rec = { k: number; a: bigint | null; b: number | null; c: string | null };
type Op =
  | { t: 'upsert'; rows: Rec[] }
  | { t: 'delete'; keys: number[] }
  | { t: 'flush' }
  | { t: 'commit' }
  | { t: 'compact'; full: boolean };

const OPTIONS: Record<Engine, Record<string, string>> = {
  deduplicate: {},
  'first-row': {},
  'partial-update': { 'partial-update.remove-record-on-delete': 'true' },
  aggregation: {
    'fields.a.aggregate-function': 'sum',
    'fields.b.aggregate-function': 'max',
    'fields.b.ignore-retract': 'true',
    'fields.c.aggregate-function': 'listagg',
    'fields.c.ignore-retract': 'true',
  },
};

/** The engine's meaning, record by record in write order. */
function apply(engine: Engine, model: Map<number, Rec>, r: Rec, del: boolean): void {
  const cur = model.get(r.k);
  switch (engine) {
    case 'deduplicate':
      if (del) model.delete(r.k);
      else model.set(r.k, r);
      return;
    case 'first-row':
      if (!cur && !del) model.set(r.k, r);
      return;
    case 'partial-update':
      if (del) model.delete(r.k);
      else if (!cur) model.set(r.k, r);
      else model.set(r.k, { k: r.k, a: r.a ?? cur.a, b: r.b ?? cur.b, c: r.c ?? cur.c });
      return;
    case 'aggregation': {
      const base = cur ?? { k: r.k, a: null, b: null, c: null };
      if (del) {
        // sum retracts; max and listagg ignore retractions.
        model.set(r.k, { ...base, a: r.a === null ? base.a : (base.a ?? 0n) - r.a });
        return;
      }
      model.set(r.k, {
        k: r.k,
        a: r.a === null ? base.a : (base.a ?? 0n) + r.a,
        b: r.b === null ? base.b : base.b === null ? r.b : Math.max(base.b, r.b),
        c: r.c === null ? base.c : base.c === null ? r.c : `${base.c},${r.c}`,
      });
    }
  }
}

const rec = fc.record({
  k: fc.integer({ min: 0, max: 6 }),
  a: fc.option(fc.bigInt({ min: -1000n, max: 1000n }), { nil: null }),
  b: fc.option(fc.integer({ min: -50, max: 50 }), { nil: null }),
  c: fc.option(fc.constantFrom('x', 'y', 'z'), { nil: null }),
});

const ops = (engine: Engine) =>
  fc.array(
    fc.oneof(
      {
        weight: 5,
        arbitrary: fc.record({
          t: fc.constant('upsert' as const),
          rows: fc.array(rec, { minLength: 1, maxLength: 6 }),
        }),
      },
      {
        weight: engine === 'first-row' ? 0 : 2,
        arbitrary: fc.record({
          t: fc.constant('delete' as const),
          keys: fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 3 }),
        }),
      },
      { weight: 1, arbitrary: fc.constant({ t: 'flush' as const }) },
      { weight: 3, arbitrary: fc.constant({ t: 'commit' as const }) },
      { weight: 1, arbitrary: fc.record({ t: fc.constant('compact' as const), full: fc.boolean() }) },
    ),
    { minLength: 1, maxLength: 20 },
  );

const norm = (rows: Record<string, unknown>[]) => [...rows].sort((x, y) => Number(x.k) - Number(y.k));

describe('merge engines against a model, with compactions interleaved', () => {
  for (const engine of ['deduplicate', 'first-row', 'partial-update', 'aggregation'] as const) {
    it(engine, async () => {
      await fc.assert(
        fc.asyncProperty(ops(engine), fc.constantFrom(2, 4), async (list, trigger) => {
          using d = tempDir();
          const t = await (await Catalog.open(d.path)).createTable('db.t', {
            columns: { k: 'INT', a: 'BIGINT', b: 'INT', c: 'STRING' },
            primaryKey: ['k'],
            options: {
              bucket: 2,
              'merge-engine': engine,
              'num-sorted-run.compaction-trigger': trigger,
              ...OPTIONS[engine],
            },
          });
          const w = t.newWriter({ commitUser: 'm' });
          const committed = new Map<number, Rec>();
          let pending: [Rec, boolean][] = [];
          let id = 0;
          for (const o of [...list, { t: 'commit' } as Op]) {
            if (o.t === 'upsert') {
              await w.write(o.rows);
              for (const r of o.rows) pending.push([r, false]);
            } else if (o.t === 'delete') {
              // Retractions carry the full old row for aggregation's sum; a key-only row otherwise.
              // Only keys already inserted: a key whose records are all retractions reads as Paimon
              // merges them, which depends on compaction (a lone -U/-D is kept as it is and dropped
              // at the top level).
              const inserted = (k: number) => committed.has(k) || pending.some(([r, del]) => r.k === k && !del);
              const rows = o.keys
                .filter(inserted)
                .map((k) => ({ k, a: engine === 'aggregation' ? 1n : null, b: null, c: null }));
              if (rows.length === 0) continue;
              await w.write(rows, '-D');
              for (const r of rows) pending.push([r, true]);
            } else if (o.t === 'flush') await w.flush();
            else if (o.t === 'compact') await t.compact({ full: o.full });
            else {
              await w.commit(++id);
              for (const [r, del] of pending) apply(engine, committed, r, del);
              pending = [];
              expect(norm(await t.toArray())).toEqual(norm([...committed.values()]));
            }
          }
          w.close();
          await t.compact({ full: true });
          expect(norm(await t.toArray())).toEqual(norm([...committed.values()]));
        }),
        { numRuns: 25, seed: 20261125 },
      );
    });
  }

  it('refuses retractions an engine cannot apply, and bad aggregate functions, by name', async () => {
    using d = tempDir();
    const c = await Catalog.open(d.path);
    const pu = await c.createTable('db.pu', {
      columns: { k: 'INT', v: 'INT' },
      primaryKey: ['k'],
      options: { 'merge-engine': 'partial-update', bucket: 1 },
    });
    await expect(pu.delete({ k: 1 })).rejects.toThrow(/partial-update.*remove-record-on-delete/);
    const agg = await c.createTable('db.agg', {
      columns: { k: 'INT', v: 'INT' },
      primaryKey: ['k'],
      options: { 'merge-engine': 'aggregation', 'fields.v.aggregate-function': 'max', bucket: 1 },
    });
    await expect(agg.delete({ k: 1, v: 1 })).rejects.toThrow(/column 'v' uses 'max'/);
    await expect(
      c.createTable('db.bad', {
        columns: { k: 'INT', v: 'STRING' },
        primaryKey: ['k'],
        options: { 'merge-engine': 'aggregation', 'fields.v.aggregate-function': 'sum' },
      }),
    ).rejects.toMatchObject({
      code: 'INVALID_OPTION',
      message: expect.stringMatching(/'sum' needs a numeric type, but column 'v' is STRING/),
    });
    await expect(
      c.createTable('db.bad2', {
        columns: { k: 'INT', v: 'INT' },
        primaryKey: ['k'],
        options: { 'merge-engine': 'aggregation', 'fields.v.aggregate-function': 'median' },
      }),
    ).rejects.toMatchObject({
      code: 'INVALID_OPTION',
      message: expect.stringMatching(/'median' is not an aggregate function/),
    });
    await expect(
      c.createTable('db.bad3', {
        columns: { k: 'INT', v: 'STRING' },
        primaryKey: ['k'],
        options: { 'merge-engine': 'aggregation', 'fields.v.aggregate-function': 'collect' },
      }),
    ).rejects.toMatchObject({ code: 'UNSUPPORTED', message: expect.stringMatching(/'collect'.*nested types/) });
    // Paimon's SchemaValidation for first-row
    for (const [options, message] of [
      [{ 'changelog-producer': 'full-compaction' }, /first-row' supports only 'none' and 'lookup'/],
      [{ 'changelog-producer': 'input' }, /first-row' supports only 'none' and 'lookup'/],
      [{ 'sequence.field': 'v' }, /'sequence.field' cannot be used with merge-engine 'first-row'/],
    ] as const)
      await expect(
        c.createTable('db.first', {
          columns: { k: 'INT', v: 'INT' },
          primaryKey: ['k'],
          options: { 'merge-engine': 'first-row', ...options },
        }),
      ).rejects.toMatchObject({ code: 'INVALID_OPTION', message: expect.stringMatching(message) });
    const first = await c.createTable('db.first', {
      columns: { k: 'INT', v: 'INT' },
      primaryKey: ['k'],
      options: { 'merge-engine': 'first-row', bucket: 1 },
    });
    await expect(
      first.alter({ kind: 'setOption', key: 'changelog-producer', value: 'full-compaction' }),
    ).rejects.toMatchObject({
      code: 'INVALID_OPTION',
      message: expect.stringMatching(/ALTER TABLE .*first-row' supports only 'none' and 'lookup'/),
    });
    await first.alter({ kind: 'setOption', key: 'changelog-producer', value: 'lookup' });
  });
});

/**
 * Java reads a first-row table without level 0 (DataTableBatchScan) and its higher levels file by
 * file, unmerged (MergeTreeSplitGenerator: raw-convertible). Eddy's reads and writes must keep
 * both true: level 0 never outlives a writer's commit (unless write-only, then its rows wait for a
 * compaction), and no key is in two files.
 */
describe('first-row tables read as Java reads them', () => {
  const commit = fc.record({
    t: fc.constant('commit' as const),
    rows: fc.array(fc.record({ k: fc.integer({ min: 0, max: 40 }), v: fc.constantFrom('a', 'b', 'c', 'd') }), {
      minLength: 1,
      maxLength: 12,
    }),
  });
  const step = fc.oneof(
    { weight: 5, arbitrary: commit },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('compact' as const), full: fc.boolean() }) },
  );

  it('level 0 is skipped, every key is in one file above it, the rows equal the model', async () => {
    let intermediate = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 1, maxLength: 8 }),
        fc.boolean(),
        fc.constantFrom(2, 3),
        async (list, writeOnly, trigger) => {
          using d = tempDir();
          const t = await (await Catalog.open(d.path)).createTable('db.t', {
            columns: { k: 'INT', v: 'STRING' },
            primaryKey: ['k'],
            options: {
              bucket: 1,
              'merge-engine': 'first-row',
              'num-sorted-run.compaction-trigger': trigger,
              'write-only': writeOnly,
            },
          });
          const model = new Map<number, string>();
          let visible = new Map<number, string>();
          let id = 0;
          const w = t.newWriter({ commitUser: 'f' });
          for (const o of list) {
            if (o.t === 'commit') {
              await w.write(o.rows);
              await w.commit(++id);
              for (const r of o.rows) if (!model.has(r.k)) model.set(r.k, r.v);
              if (!writeOnly) visible = new Map(model);
            } else {
              await t.compact({ full: o.full });
              visible = new Map(model);
            }
            const plan = await t.plan();
            const health = await t.bucketHealth();
            if (!writeOnly)
              expect(
                health.reduce((n, h) => n + h.l0Files, 0),
                'level 0 after a commit',
              ).toBe(0);
            // Java's read: each file of the plan on its own, no merge.
            const raw: [number, string][] = [];
            for (const s of plan.splits) {
              expect(s.files.every((f) => f.level > 0)).toBe(true);
              if (new Set(s.files.map((f) => f.level)).size > 1 && s.files.some((f) => f.level < 5)) intermediate++;
              for (const f of s.files) {
                for (const r of await t.toArray({ splits: [{ ...s, files: [f] }] }))
                  raw.push([Number(r.k), String(r.v)]);
              }
            }
            expect(raw.length, 'no key in two files').toBe(new Set(raw.map(([k]) => k)).size);
            expect(new Map(raw.sort((a, b) => a[0] - b[0]))).toEqual(new Map([...visible].sort((a, b) => a[0] - b[0])));
            const merged = await t.toArray();
            expect(new Map(merged.map((r) => [Number(r.k), String(r.v)]))).toEqual(visible);
          }
          w.close();
        },
      ),
      { numRuns: 8, seed: 20261207 },
    );
    // Some runs had keys in an intermediate level below the top: the case a compaction must not duplicate.
    expect(intermediate).toBeGreaterThan(0);
  });

  it("write-only: a commit's level 0 is invisible and calls for compaction (the compactor's cue) until compacted", async () => {
    using d = tempDir();
    const t = await (await Catalog.open(d.path)).createTable('db.t', {
      columns: { k: 'INT', v: 'STRING' },
      primaryKey: ['k'],
      options: { bucket: 1, 'merge-engine': 'first-row', 'write-only': true },
    });
    await t.upsert([
      { k: 1, v: 'a' },
      { k: 2, v: 'a' },
    ]);
    await t.compact();
    await t.upsert([
      { k: 2, v: 'b' },
      { k: 3, v: 'b' },
    ]);
    // two sorted runs: the universal picker alone would wait for five
    const [h] = await t.bucketHealth();
    expect([h.sortedRuns, h.l0Files, h.needsCompaction]).toEqual([2, 1, true]);
    expect(await t.toArray()).toEqual([
      { k: 1, v: 'a' },
      { k: 2, v: 'a' },
    ]);
    expect((await t.compact()).snapshot?.commitKind).toBe('COMPACT');
    expect((await t.bucketHealth())[0].needsCompaction).toBe(false);
    expect(await t.toArray()).toEqual([
      { k: 1, v: 'a' },
      { k: 2, v: 'a' },
      { k: 3, v: 'b' },
    ]);
  });
});
