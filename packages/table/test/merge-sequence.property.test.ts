// Sequence groups (partial-update) and several sequence fields in descending order (deduplicate),
// against in-memory models, with flushes and compactions interleaved: every way the LSM splits
// and re-merges a key's records must read as the model (Paimon 1.4.2's semantics).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Catalog } from '../src/index.ts';
import { tempDir } from './helpers.ts';

type Step = { t: 'flush' } | { t: 'commit' } | { t: 'compact'; full: boolean };
const steps = fc.oneof(
  { weight: 1, arbitrary: fc.constant({ t: 'flush' as const }) },
  { weight: 3, arbitrary: fc.constant({ t: 'commit' as const }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('compact' as const), full: fc.boolean() }) },
);
const norm = (rows: Record<string, unknown>[]) => [...rows].sort((x, y) => Number(x.k) - Number(y.k));
const nil = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: null, freq: 3 });

describe('deduplicate with sequence.field = s1,s2 descending', () => {
  type Rec = { k: number; s1: number | null; s2: number | null; v: string | null };
  type Op = { t: 'write'; rows: Rec[]; del: boolean } | Step;
  // Paimon's order: nulls first, then the smaller value is the newer; ties by write order.
  const cmp = (a: Rec, b: Rec) => {
    for (const f of ['s1', 's2'] as const) {
      const x = a[f];
      const y = b[f];
      if (x === y) continue;
      if (x === null) return -1;
      if (y === null) return 1;
      return y - x;
    }
    return 0;
  };
  const rec = fc.record({
    k: fc.integer({ min: 0, max: 4 }),
    s1: nil(fc.integer({ min: 0, max: 3 })),
    s2: nil(fc.integer({ min: 0, max: 3 })),
    v: nil(fc.constantFrom('x', 'y', 'z')),
  });
  const op = fc.oneof(
    {
      weight: 5,
      arbitrary: fc.record({
        t: fc.constant('write' as const),
        rows: fc.array(rec, { minLength: 1, maxLength: 5 }),
        del: fc.constant(false),
      }),
    },
    { weight: 3, arbitrary: steps },
  );

  // Inserts only: a delete that wins by sequence is dropped by a full compaction, after which an
  // older-sequenced insert shows again (in Paimon too), so deletes have no compaction-free model.
  it('reads the record with the smallest sequence (nulls oldest), after any compaction', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 16 }), async (list) => {
        using d = tempDir();
        const t = await (await Catalog.open(d.path)).createTable('db.t', {
          columns: { k: 'INT', s1: 'INT', s2: 'INT', v: 'STRING' },
          primaryKey: ['k'],
          options: {
            bucket: 1,
            'sequence.field': 's1,s2',
            'sequence.field.sort-order': 'descending',
            'num-sorted-run.compaction-trigger': 2,
          },
        });
        const w = t.newWriter({ commitUser: 'm' });
        const history = new Map<number, [Rec, boolean][]>();
        let pending: [Rec, boolean][] = [];
        let id = 0;
        const expected = () => {
          const out: Rec[] = [];
          for (const recs of history.values()) {
            let win = recs[0];
            for (const r of recs.slice(1)) if (cmp(r[0], win[0]) >= 0) win = r;
            if (!win[1]) out.push(win[0]);
          }
          return out;
        };
        for (const o of [...list, { t: 'commit' } as Op]) {
          if (o.t === 'write') {
            await w.write(o.rows, o.del ? '-D' : '+I');
            for (const r of o.rows) pending.push([r, o.del]);
          } else if (o.t === 'flush') await w.flush();
          else if (o.t === 'compact') await t.compact({ full: o.full });
          else {
            await w.commit(++id);
            for (const p of pending) history.set(p[0].k, [...(history.get(p[0].k) ?? []), p]);
            pending = [];
            expect(norm(await t.toArray())).toEqual(norm(expected()));
          }
        }
        w.close();
        await t.compact({ full: true });
        expect(norm(await t.toArray())).toEqual(norm(expected()));
      }),
      { numRuns: 12, seed: 20261207 },
    );
  });
});

describe('partial-update with sequence groups', () => {
  // Group g1 guards a and b; group g2 guards c (sum inside the group); d is in no group.
  type Rec = {
    k: number;
    g1: number | null;
    a: number | null;
    b: string | null;
    g2: number | null;
    c: number | null;
    d: number | null;
  };
  type Op = { t: 'write'; rows: Rec[]; del: boolean } | Step;
  const GROUPS = [
    { seq: 'g1', cols: ['a', 'b'] },
    { seq: 'g2', cols: ['c'] },
  ] as const;
  type Row = Rec;
  /** PartialUpdateMergeFunction, record by record in write order. */
  function fold(recs: [Rec, boolean][]): Row | undefined {
    let row: Row | undefined;
    let meetInsert = false;
    for (const [r, del] of recs) {
      if (del) {
        row ??= { ...r };
        for (const g of GROUPS) {
          if (r[g.seq] === null) continue;
          const cur = row[g.seq];
          if (cur !== null && r[g.seq]! < cur) {
            if (g.seq === 'g2' && r.c !== null) row.c = (row.c ?? 0) - r.c; // sum retracts in any case
            continue;
          }
          row[g.seq] = r[g.seq];
          for (const c of g.cols)
            (row as Record<string, unknown>)[c] = c === 'c' ? (r.c === null ? row.c : (row.c ?? 0) - r.c) : null;
        }
        continue;
      }
      row ??= { k: r.k, g1: null, a: null, b: null, g2: null, c: null, d: null };
      if (r.d !== null) row.d = r.d;
      for (const g of GROUPS) {
        if (r[g.seq] === null) continue;
        const cur = row[g.seq];
        const newer = cur === null || r[g.seq]! >= cur;
        if (g.seq === 'g2') {
          row.c = row.c === null ? r.c : r.c === null ? row.c : row.c + r.c;
          if (newer) row.g2 = r.g2;
        } else if (newer) {
          row.g1 = r.g1;
          row.a = r.a;
          row.b = r.b;
        }
      }
      meetInsert = true;
    }
    return meetInsert ? row : undefined;
  }
  const anyRec = fc.record({
    k: fc.integer({ min: 0, max: 4 }),
    g1: nil(fc.integer({ min: 0, max: 4 })),
    a: nil(fc.integer({ min: -9, max: 9 })),
    b: nil(fc.constantFrom('x', 'y')),
    g2: nil(fc.integer({ min: 0, max: 4 })),
    c: nil(fc.integer({ min: -9, max: 9 })),
    d: nil(fc.integer({ min: -9, max: 9 })),
  });
  // A key's only record is kept as written (Paimon's ReducerMergeFunctionWrapper), so a group
  // column set without its sequence field would read until a second record merges it away: the
  // model's records set group columns only with their sequence.
  const rec = anyRec.map((r) => ({
    ...r,
    ...(r.g1 === null ? { a: null, b: null } : {}),
    ...(r.g2 === null ? { c: null } : {}),
  }));
  // Deletes carry the key and the group sequences, other columns null, and only for keys already
  // inserted: a key's records merged in pieces (flush, compaction) read as if merged at once, which
  // for retractions of aggregates, or keys that have only deletes (dropped at the top level), holds
  // neither in Paimon.
  const delRec = rec.map((r) => ({ ...r, a: null, b: null, c: null, d: null }));
  const op = fc.oneof(
    {
      weight: 5,
      arbitrary: fc.record({
        t: fc.constant('write' as const),
        rows: fc.array(rec, { minLength: 1, maxLength: 5 }),
        del: fc.constant(false),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        t: fc.constant('write' as const),
        rows: fc.array(delRec, { minLength: 1, maxLength: 2 }),
        del: fc.constant(true),
      }),
    },
    { weight: 3, arbitrary: steps },
  );

  it('a group updates (nulls included) only when its sequence is not older; aggregates inside groups; -D retracts groups', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 16 }), async (list) => {
        using d = tempDir();
        const t = await (await Catalog.open(d.path)).createTable('db.t', {
          columns: { k: 'INT', g1: 'INT', a: 'INT', b: 'STRING', g2: 'INT', c: 'INT', d: 'INT' },
          primaryKey: ['k'],
          options: {
            bucket: 1,
            'merge-engine': 'partial-update',
            'fields.g1.sequence-group': 'a,b',
            'fields.g2.sequence-group': 'c',
            'fields.c.aggregate-function': 'sum',
            'num-sorted-run.compaction-trigger': 2,
          },
        });
        const w = t.newWriter({ commitUser: 'm' });
        const history = new Map<number, [Rec, boolean][]>();
        let pending: [Rec, boolean][] = [];
        let id = 0;
        const expected = () => [...history.values()].map(fold).filter((r): r is Row => r !== undefined);
        for (const o of [...list, { t: 'commit' } as Op]) {
          if (o.t === 'write') {
            const inserted = (k: number) => history.has(k) || pending.some(([r, del]) => r.k === k && !del);
            const rows = o.del ? o.rows.filter((r) => inserted(r.k)) : o.rows;
            if (rows.length === 0) continue;
            await w.write(rows, o.del ? '-D' : '+I');
            for (const r of rows) pending.push([r, o.del]);
          } else if (o.t === 'flush') await w.flush();
          else if (o.t === 'compact') await t.compact({ full: o.full });
          else {
            await w.commit(++id);
            for (const p of pending) history.set(p[0].k, [...(history.get(p[0].k) ?? []), p]);
            pending = [];
            expect(norm(await t.toArray())).toEqual(norm(expected()));
          }
        }
        w.close();
        await t.compact({ full: true });
        expect(norm(await t.toArray())).toEqual(norm(expected()));
      }),
      { numRuns: 15, seed: 20261207 },
    );
  });

  it('remove-record-on-sequence-group: a -D newer than the group removes the row; refusals name the fix', async () => {
    using d = tempDir();
    const c = await Catalog.open(d.path);
    const t = await c.createTable('db.r', {
      columns: { k: 'INT', g: 'INT', a: 'INT', h: 'INT', b: 'INT' },
      primaryKey: ['k'],
      options: {
        'merge-engine': 'partial-update',
        'fields.g.sequence-group': 'a',
        'fields.h.sequence-group': 'b',
        'partial-update.remove-record-on-sequence-group': 'g',
      },
    });
    await t.upsert([
      { k: 1, g: 5, a: 1, h: 5, b: 2 },
      { k: 2, g: 5, a: 1, h: 5, b: 2 },
    ]);
    const w = t.newWriter();
    await w.write([{ k: 1, g: 4, a: null, h: null, b: null }], '-D'); // older than group g: nothing
    await w.write([{ k: 2, g: null, a: null, h: 6, b: null }], '-D'); // group h: retracts b
    await w.commit(1);
    expect(norm(await t.toArray())).toEqual([
      { k: 1, g: 5, a: 1, h: 5, b: 2 },
      { k: 2, g: 5, a: 1, h: 6, b: null },
    ]);
    await t.delete({ k: 1, g: 6 });
    expect(norm(await t.toArray())).toEqual([{ k: 2, g: 5, a: 1, h: 6, b: null }]);
    await expect(
      c.createTable('db.bad', {
        columns: { k: 'INT', g: 'INT', a: 'INT' },
        primaryKey: ['k'],
        options: { 'merge-engine': 'partial-update', 'fields.a.aggregate-function': 'sum' },
      }),
    ).rejects.toMatchObject({
      code: 'INVALID_OPTION',
      message: expect.stringMatching(/needs the column in a sequence group/),
    });
    await expect(
      c.createTable('db.bad', {
        columns: { k: 'INT', g: 'INT', a: 'INT' },
        primaryKey: ['k'],
        options: { 'merge-engine': 'partial-update', 'partial-update.remove-record-on-sequence-group': 'g' },
      }),
    ).rejects.toMatchObject({ code: 'INVALID_OPTION' });
  });
});

describe('aggregation options', () => {
  it('remove-record-on-delete, ignore-retract, default function, listagg distinct, retraction as Java', async () => {
    using d = tempDir();
    const c = await Catalog.open(d.path);
    const t = await c.createTable('db.a', {
      columns: { k: 'INT', s: 'BIGINT', m: 'INT', l: 'STRING', p: 'INT' },
      primaryKey: ['k'],
      options: {
        'merge-engine': 'aggregation',
        'fields.default-aggregate-function': 'sum',
        'fields.m.aggregate-function': 'max',
        'fields.l.aggregate-function': 'listagg',
        'fields.l.distinct': 'true',
        'fields.p.aggregate-function': 'product',
        'aggregation.remove-record-on-delete': 'true',
      },
    });
    await t.upsert([
      { k: 1, s: 2n, m: 3, l: 'a,b', p: 6 },
      { k: 2, s: 1n, m: 1, l: 'x', p: 2 },
    ]);
    await t.upsert([{ k: 1, s: 5n, m: 1, l: 'b,c,a', p: 4 }]);
    expect(norm(await t.toArray())[0]).toEqual({ k: 1, s: 7n, m: 3, l: 'a,b,c', p: 24 });
    await t.delete({ k: 2 }); // max cannot retract, but a -D removes the row
    expect((await t.toArray()).map((r) => r.k)).toEqual([1]);
    const w = t.newWriter();
    await expect(w.write([{ k: 1, s: 1n, m: 1, l: null, p: null }], '-U')).rejects.toThrow(
      /column 'm' uses 'max', which cannot retract; set 'fields.m.ignore-retract'/,
    );
    w.close();
    // ignore-retract conflicts with aggregation.remove-record-on-delete, as in Paimon.
    await expect(t.alter([{ kind: 'setOption', key: 'fields.m.ignore-retract', value: 'true' }])).rejects.toMatchObject(
      {
        code: 'INVALID_OPTION',
        message: expect.stringMatching(/'aggregation.remove-record-on-delete' and 'fields.m.ignore-retract' conflict/),
      },
    );
    const u = await c.createTable('db.u', {
      columns: { k: 'INT', s: 'INT', lv: 'INT', ln: 'INT', p: 'INT', m: 'INT' },
      primaryKey: ['k'],
      options: {
        'merge-engine': 'aggregation',
        'fields.s.aggregate-function': 'sum',
        'fields.lv.aggregate-function': 'last_value',
        'fields.p.aggregate-function': 'product',
        'fields.m.aggregate-function': 'min',
        'fields.m.ignore-retract': 'true',
      },
    });
    await u.upsert([{ k: 1, s: 10, lv: 1, ln: 2, p: 12, m: 5 }]);
    const w2 = u.newWriter();
    // As Java: the -U alone in the write buffer stays a -U (ReducerMergeFunctionWrapper), then
    // retracts from the older row: sum subtracts, last_value and last_non_null_value become null,
    // product divides, ignore-retract keeps.
    await w2.write([{ k: 1, s: 3, lv: 1, ln: 2, p: 4, m: 1 }], '-U');
    await w2.commit(1);
    expect(await u.toArray()).toEqual([{ k: 1, s: 7, lv: null, ln: null, p: 3, m: 5 }]);
  });
});
