import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Catalog, ge, type Table } from '../src/index.ts';
import { mulberry32, tempDir } from './helpers.ts';

/**
 * Compaction and merge-on-read merge a stream of key windows, holding one file per sorted run.
 * Small files (`target-file-size` 1 kb: 1024 rows per file) make every level a run of several
 * files, so the windows cut through files of every run; scans (whole, filtered and projected,
 * limited) after every step must equal a model of the writes.
 */
type Engine = 'deduplicate' | 'partial-update' | 'first-row';
type Rec = { k: number; a: number | null; b: string | null };
type Op = { t: 'write'; seed: number; count: number; del: boolean } | { t: 'compact'; full: boolean };

const KEYS = 3000;

function apply(engine: Engine, model: Map<number, Rec>, r: Rec, del: boolean): void {
  const cur = model.get(r.k);
  if (engine === 'first-row') {
    if (!cur && !del) model.set(r.k, r);
  } else if (del) model.delete(r.k);
  else if (engine === 'deduplicate' || !cur) model.set(r.k, r);
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
          count: fc.integer({ min: 1, max: 1500 }),
          del: engine === 'first-row' ? fc.constant(false) : fc.boolean(),
        }),
      },
      { weight: 2, arbitrary: fc.record({ t: fc.constant('compact' as const), full: fc.boolean() }) },
    ),
    { minLength: 2, maxLength: 8 },
  );

// One toEqual per scan, not one expect per row: with thousands of rows per scan, per-row expects
// cost more than the scans they check, and a single diff names the differing keys just as well.
async function expectModel(t: Table, model: Map<number, Rec>, key: (k: number) => number | string): Promise<void> {
  const byKey = (a: { k: unknown }, b: { k: unknown }) =>
    String(a.k) < String(b.k) ? -1 : String(a.k) > String(b.k) ? 1 : 0;
  const want = [...model.values()].map((r) => ({ k: key(r.k), a: r.a, b: r.b })).sort(byKey);
  const rows = await t.toArray();
  expect(rows.map((r) => ({ k: r.k, a: r.a, b: r.b })).sort(byKey)).toEqual(want);
  const filtered = await t.toArray({ where: ge('a', 500_000), select: ['b', 'k'] });
  expect(filtered.map((row) => Object.keys(row).join())).toEqual(filtered.map(() => 'b,k'));
  expect(filtered.map((r) => ({ k: r.k, b: r.b })).sort(byKey)).toEqual(
    want.filter((r) => r.a !== null && r.a >= 500_000).map((r) => ({ k: r.k, b: r.b })),
  );
  expect((await t.toArray({ limit: 100 })).length).toBe(Math.min(100, model.size));
}

describe('streaming compaction and merge-on-read over multi-file sorted runs', () => {
  for (const engine of ['deduplicate', 'partial-update', 'first-row'] as const) {
    for (const keyType of ['INT', 'STRING'] as const) {
      it(`${engine}, ${keyType} key`, async () => {
        let multiFileRuns = 0;
        let windowedScans = 0;
        await fc.assert(
          fc.asyncProperty(ops(engine), async (list) => {
            using d = tempDir();
            const t = await (await Catalog.open(d.path)).createTable('db.t', {
              columns: { k: keyType, a: 'INT', b: 'STRING' },
              primaryKey: ['k'],
              options: {
                bucket: 1,
                'merge-engine': engine,
                'target-file-size': '1 kb',
                'num-sorted-run.compaction-trigger': 3,
                'write-only': true,
                ...(engine === 'partial-update' ? { 'partial-update.remove-record-on-delete': true } : {}),
              },
            });
            // STRING keys sort differently from their numbers: '10' < '9'.
            const key = (k: number) => (keyType === 'INT' ? k : String(k));
            const model = new Map<number, Rec>();
            // First-row reads skip level 0 (as Java's do): with write-only, the rows of a commit are
            // visible only once a compaction moved them up, and every compaction moves all of them.
            let visible = new Map<number, Rec>();
            for (const o of [...list, { t: 'compact', full: true } as Op]) {
              if (o.t === 'compact') {
                await t.compact({ full: o.full });
                const health = await t.bucketHealth();
                if (health.length > 0 && health[0].files > health[0].l0Files + 1) multiFileRuns++;
                if (engine === 'first-row') expect(health.reduce((n, h) => n + h.l0Files, 0)).toBe(0);
                visible = new Map(model);
                await expectModel(t, model, key);
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
              // A partial-update -D keeps its values as the base of later updates until a top-level
              // compaction drops it (Paimon's PartialUpdateMergeFunction): deletes by key only
              // (null values) keep the model independent of compaction timing.
              if (o.del) await t.delete(engine === 'partial-update' ? rows.map((r) => ({ k: r.k })) : rows);
              else await t.upsert(rows);
              for (const r of recs) apply(engine, model, r, o.del);
              if (engine !== 'first-row') visible = model;
              let batches = 0;
              for await (const _ of t.scanColumns()) batches++;
              if (batches > 1) windowedScans++;
              await expectModel(t, visible, key);
            }
          }),
          { numRuns: 6, seed: 20261206 },
        );
        // The property ran where it matters: a level held several files.
        expect(multiFileRuns).toBeGreaterThan(0);
        expect(windowedScans).toBeGreaterThan(0);
      });
    }
  }
});
