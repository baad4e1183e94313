/**
 * Property: random ALTERs (add at a position, drop, rename, move, widen INT→BIGINT, set an option)
 * interleaved with upserts, deletes, compactions, writers that started before an ALTER, and time
 * travel read like a model that keeps, per snapshot, the schema it was committed in and the rows by
 * field id.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Catalog, type SchemaChange, type Table } from '../src/index.ts';
import { tempDir } from './helpers.ts';

interface Col {
  readonly id: number;
  readonly name: string;
  readonly type: 'INT' | 'BIGINT' | 'STRING';
}
type Vals = Map<number, number | string>;
interface State {
  readonly cols: readonly Col[];
  readonly rows: ReadonlyMap<number, Vals>;
}

type Op =
  | { op: 'upsert'; keys: number[]; seed: number }
  | { op: 'delete'; keys: number[] }
  | { op: 'compact'; full: boolean }
  | { op: 'alter'; pick: number; which: number; at: number }
  | { op: 'staleWrite'; keys: number[]; seed: number; pick: number; which: number; at: number }
  | { op: 'travel'; back: number };

const keys = fc.uniqueArray(fc.integer({ min: 0, max: 11 }), { minLength: 1, maxLength: 6 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('upsert' as const), keys, seed: fc.nat(1000) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('delete' as const), keys }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('compact' as const), full: fc.boolean() }) },
  {
    weight: 3,
    arbitrary: fc.record({ op: fc.constant('alter' as const), pick: fc.nat(5), which: fc.nat(20), at: fc.nat(20) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('staleWrite' as const),
      keys,
      seed: fc.nat(1000),
      pick: fc.nat(3),
      which: fc.nat(20),
      at: fc.nat(20),
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('travel' as const), back: fc.nat(10) }) },
);

class Model {
  cols: Col[] = [
    { id: 0, name: 'k', type: 'INT' },
    { id: 1, name: 'a', type: 'INT' },
    { id: 2, name: 's', type: 'STRING' },
  ];
  rows = new Map<number, Vals>();
  nextId = 3;
  nameCounter = 0;
  /** Snapshot id → the state it holds and the schema it reads in. */
  readonly snapshots = new Map<number, State>();

  state(): State {
    return { cols: [...this.cols], rows: new Map([...this.rows].map(([k, v]) => [k, new Map(v)])) };
  }

  /** The change `pick` makes now (undefined when it does not apply), applied to the model too. */
  change(pick: number, which: number, at: number): SchemaChange | undefined {
    const values = this.cols.filter((c) => c.name !== 'k');
    const target = values[which % Math.max(values.length, 1)];
    const ref = this.cols[at % this.cols.length];
    switch (pick) {
      case 0: {
        const name = `c${this.nameCounter++}`;
        const type = at % 2 ? 'INT' : 'STRING';
        const col: Col = { id: this.nextId++, name, type };
        const i = this.cols.indexOf(ref);
        this.cols.splice(i + 1, 0, col);
        return { kind: 'addColumn', name, type, position: { after: ref.name } };
      }
      case 1: {
        if (!target || values.length < 2) return undefined;
        this.cols = this.cols.filter((c) => c !== target);
        return { kind: 'dropColumn', name: target.name };
      }
      case 2: {
        if (!target) return undefined;
        const newName = `r${this.nameCounter++}`;
        this.cols = this.cols.map((c) => (c === target ? { ...c, name: newName } : c));
        return { kind: 'renameColumn', name: target.name, newName };
      }
      case 3: {
        const ints = values.filter((c) => c.type === 'INT');
        const t = ints[which % Math.max(ints.length, 1)];
        if (!t) return undefined;
        this.cols = this.cols.map((c) => (c === t ? { ...c, type: 'BIGINT' } : c));
        return { kind: 'updateColumnType', name: t.name, type: 'BIGINT' };
      }
      case 4: {
        if (!target || ref === target) return undefined;
        this.cols = this.cols.filter((c) => c !== target);
        this.cols.splice(this.cols.indexOf(ref) + 1, 0, target);
        return { kind: 'updateColumnPosition', name: target.name, position: { after: ref.name } };
      }
      default:
        return { kind: 'setOption', key: 'snapshot.num-retained.min', value: String(10 + (which % 5)) };
    }
  }

  /** A row of `cols` for key k (values from seed), as the model stores it (by field id). */
  row(cols: readonly Col[], k: number, seed: number): Vals {
    const v: Vals = new Map();
    for (const c of cols) {
      if (c.name === 'k') v.set(c.id, k);
      else if ((seed + c.id + k) % 5 === 0)
        continue; // null
      else v.set(c.id, c.type === 'STRING' ? `v${seed}-${k}-${c.id}` : (seed * 31 + k * 7 + c.id) % 100000);
    }
    return v;
  }
}

/** A model row as the SDK takes it (by column name, in the types of `cols`). */
function toInput(cols: readonly Col[], v: Vals): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const c of cols) {
    const x = v.get(c.id);
    out[c.name] = x === undefined ? null : c.type === 'BIGINT' ? BigInt(x) : x;
  }
  return out;
}

/** What a read in schema `cols` returns for `rows` (columns absent when written read null). */
function view(cols: readonly Col[], rows: ReadonlyMap<number, Vals>): Record<string, unknown>[] {
  return [...rows.keys()].sort((a, b) => a - b).map((k) => toInput(cols, rows.get(k)!));
}

const byKey = (rows: Record<string, unknown>[]) => [...rows].sort((a, b) => Number(a.k) - Number(b.k));

async function run(t: Table, ops: readonly Op[]): Promise<void> {
  const m = new Model();
  const record = (id: number | undefined) => {
    if (id !== undefined) m.snapshots.set(id, m.state());
  };
  for (const o of ops) {
    switch (o.op) {
      case 'upsert': {
        for (const k of o.keys) m.rows.set(k, m.row(m.cols, k, o.seed));
        record((await t.upsert(o.keys.map((k) => toInput(m.cols, m.row(m.cols, k, o.seed))))).snapshot?.id);
        break;
      }
      case 'delete': {
        for (const k of o.keys) m.rows.delete(k);
        const r = await t.delete(o.keys.map((k) => ({ k })));
        if (r.published) record(r.snapshot?.id);
        break;
      }
      case 'compact':
        record((await t.compact({ full: o.full })).snapshot?.id);
        break;
      case 'alter': {
        const c = m.change(o.pick, o.which, o.at);
        if (c) await t.alter(c);
        break;
      }
      case 'staleWrite': {
        // A writer opens on the current schema, an ALTER lands, then it commits: its rows carry over.
        const before = [...m.cols];
        const w = t.newWriter();
        await w.write(o.keys.map((k) => toInput(before, m.row(before, k, o.seed))));
        const c = m.change(o.pick, o.which, o.at);
        if (c) await t.alter(c);
        const r = await w.commit();
        w.close();
        for (const k of o.keys) m.rows.set(k, m.row(before, k, o.seed));
        expect(r.snapshot?.schemaId).toBe(t.schema.id);
        record(r.snapshot?.id);
        break;
      }
      case 'travel': {
        const ids = [...m.snapshots.keys()];
        if (ids.length === 0) break;
        const id = ids[Math.max(0, ids.length - 1 - o.back)];
        const s = m.snapshots.get(id)!;
        expect(byKey(await t.toArray({ snapshotId: id })), `snapshot ${id}`).toEqual(view(s.cols, s.rows));
        break;
      }
    }
    // The latest snapshot always reads in the table's newest schema.
    expect(byKey(await t.toArray())).toEqual(view(m.cols, m.rows));
  }
  // Every snapshot, in its own schema, at the end.
  for (const [id, s] of m.snapshots) {
    expect(byKey(await t.toArray({ snapshotId: id })), `snapshot ${id} (end)`).toEqual(view(s.cols, s.rows));
  }
  // A table opened afresh sees the same.
  const fresh = await (await Catalog.open(t.path.replace(/\/[^/]+\.db\/[^/]+$/, ''))).getTable('db.t');
  expect(byKey(await fresh.toArray())).toEqual(view(m.cols, m.rows));
}

describe('schema evolution against a model', () => {
  it('random ALTERs interleaved with upserts, deletes, compactions, stale writers and time travel', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 4, maxLength: 14 }), async (ops) => {
        using d = tempDir();
        const c = await Catalog.open(d.path);
        const t = await c.createTable('db.t', {
          columns: { k: 'INT', a: 'INT', s: 'STRING' },
          primaryKey: ['k'],
          options: { bucket: 2, 'num-sorted-run.compaction-trigger': 3, 'write-only': 'true' },
        });
        await run(t, ops);
      }),
      { numRuns: 12 },
    );
  });
});
