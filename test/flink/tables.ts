/**
 * The Eddy-written tables of the batch cell: one per merge engine plus append tables, their
 * deterministic commits, and an in-memory model of each engine's merge (the expected rows).
 */
import type { Table } from '@eddy/table';
import type { CanonicalRow, TableSpec } from '../interop/canonical.ts';
import { fromEddy } from '../interop/canonical.ts';
import { rng, specTypes } from './helpers.ts';

export type Row = Record<string, unknown>;

/** One commit: rows upserted (+I) and keys deleted (-D). */
export interface Commit {
  readonly upserts: readonly Row[];
  readonly deletes: readonly Row[];
}

export interface Case {
  readonly name: string;
  readonly spec: TableSpec;
  readonly commits: readonly Commit[];
  /** The table state after each commit (index i = after commits[0..i]). */
  readonly states: readonly CanonicalRow[][];
}

const REGIONS = ['eu', 'us', 'apac'];
const day = (i: number) => new Date(Date.UTC(2026, 0, 1 + (i % 60))).toISOString().slice(0, 10);
const money = (r: () => number) => (Math.floor(r() * 1_000_000) / 100).toFixed(2);

/** Folds commits into states with a per-key merge; `undefined` from merge drops the key. */
function fold(
  spec: TableSpec,
  commits: readonly Commit[],
  merge: (old: CanonicalRow | undefined, row: CanonicalRow) => CanonicalRow,
): CanonicalRow[][] {
  const types = specTypes(spec);
  const pk = spec.primaryKey ?? [];
  const state = new Map<string, CanonicalRow>();
  const all: CanonicalRow[] = [];
  const out: CanonicalRow[][] = [];
  for (const c of commits) {
    for (const u of c.upserts) {
      const row = fromEddy(types, u);
      if (pk.length === 0) {
        all.push(row);
        continue;
      }
      const k = JSON.stringify(pk.map((x) => row[x]));
      state.set(k, merge(state.get(k), row));
    }
    for (const d of c.deletes) state.delete(JSON.stringify(pk.map((x) => fromEddy(types, d)[x])));
    out.push(pk.length === 0 ? [...all] : [...state.values()]);
  }
  return out;
}

function dedup(): Case {
  const spec: TableSpec = {
    columns: {
      p: 'STRING',
      id: 'BIGINT',
      name: 'STRING',
      amount: 'DECIMAL(10, 2)',
      qty: 'INT',
      d: 'DATE',
      ts: 'TIMESTAMP(3)',
      score: 'DOUBLE',
      flag: 'BOOLEAN',
    },
    primaryKey: ['p', 'id'],
    partitionKeys: ['p'],
    // write-only: the commits stay separate sorted runs, so reads merge across runs until compaction
    options: { bucket: '3', 'write-only': 'true' },
  };
  const r = rng(1);
  const commits: Commit[] = [];
  for (let c = 0; c < 4; c++) {
    const upserts: Row[] = [];
    const used = new Set<string>();
    for (let i = 0; i < 80; i++) {
      const p = REGIONS[Math.floor(r() * 3)]!;
      const id = BigInt(Math.floor(r() * 120));
      if (used.has(`${p}/${id}`)) continue;
      used.add(`${p}/${id}`);
      upserts.push({
        p,
        id,
        name: r() < 0.1 ? null : `n${c}-${i}`,
        amount: money(r),
        qty: Math.floor(r() * 100) - 20,
        d: day(Math.floor(r() * 100)),
        ts: r() < 0.1 ? null : new Date(Date.UTC(2026, 1, 1) + Math.floor(r() * 1e9)),
        score: r() < 0.05 ? null : r() * 1000 - 500,
        flag: r() < 0.5,
      });
    }
    // deletes from the second commit on: keys written before and not in this commit
    const deletes: Row[] = [];
    if (c > 0)
      for (let i = 0; i < 15; i++) {
        const p = REGIONS[Math.floor(r() * 3)]!;
        const id = BigInt(Math.floor(r() * 120));
        if (used.has(`${p}/${id}`)) continue;
        used.add(`${p}/${id}`);
        deletes.push({ p, id });
      }
    commits.push({ upserts, deletes });
  }
  return { name: 'dedup', spec, commits, states: fold(spec, commits, (_, row) => row) };
}

function partial(): Case {
  const spec: TableSpec = {
    columns: { id: 'BIGINT', a: 'STRING', b: 'INT', c: 'DOUBLE' },
    primaryKey: ['id'],
    options: { bucket: '2', 'merge-engine': 'partial-update' },
  };
  const r = rng(2);
  const commits: Commit[] = [];
  for (let c = 0; c < 4; c++) {
    const upserts: Row[] = [];
    const used = new Set<bigint>();
    for (let i = 0; i < 60; i++) {
      const id = BigInt(Math.floor(r() * 50));
      if (used.has(id)) continue;
      used.add(id);
      upserts.push({
        id,
        a: r() < 0.5 ? null : `a${c}-${i}`,
        b: r() < 0.5 ? null : Math.floor(r() * 1000),
        c: r() < 0.5 ? null : r() * 10,
      });
    }
    commits.push({ upserts, deletes: [] });
  }
  const merge = (old: CanonicalRow | undefined, row: CanonicalRow) => {
    if (!old) return row;
    const out = { ...old };
    for (const [k, v] of Object.entries(row)) if (v !== null) out[k] = v;
    return out;
  };
  return { name: 'partial', spec, commits, states: fold(spec, commits, merge) };
}

function aggregation(): Case {
  const spec: TableSpec = {
    columns: { id: 'BIGINT', total: 'BIGINT', mx: 'INT', last: 'STRING', cnt: 'INT' },
    primaryKey: ['id'],
    options: {
      bucket: '2',
      'merge-engine': 'aggregation',
      'fields.total.aggregate-function': 'sum',
      'fields.mx.aggregate-function': 'max',
      'fields.last.aggregate-function': 'last_non_null_value',
      'fields.cnt.aggregate-function': 'sum',
    },
  };
  const r = rng(3);
  const commits: Commit[] = [];
  for (let c = 0; c < 4; c++) {
    const upserts: Row[] = [];
    const used = new Set<bigint>();
    for (let i = 0; i < 60; i++) {
      const id = BigInt(Math.floor(r() * 40));
      if (used.has(id)) continue;
      used.add(id);
      upserts.push({
        id,
        total: BigInt(Math.floor(r() * 1e6) - 5e5),
        mx: Math.floor(r() * 1000),
        last: r() < 0.3 ? null : `l${c}-${i}`,
        cnt: 1,
      });
    }
    commits.push({ upserts, deletes: [] });
  }
  const merge = (old: CanonicalRow | undefined, row: CanonicalRow): CanonicalRow => {
    if (!old) return row;
    return {
      id: row.id!,
      total: String(BigInt(old.total as string) + BigInt(row.total as string)),
      mx: Math.max(old.mx as number, row.mx as number),
      last: row.last ?? old.last!,
      cnt: (old.cnt as number) + (row.cnt as number),
    };
  };
  return { name: 'agg', spec, commits, states: fold(spec, commits, merge) };
}

function firstRow(): Case {
  const spec: TableSpec = {
    columns: { id: 'BIGINT', v: 'STRING', at: 'INT' },
    primaryKey: ['id'],
    options: { bucket: '2', 'merge-engine': 'first-row' },
  };
  const r = rng(4);
  const commits: Commit[] = [];
  for (let c = 0; c < 4; c++) {
    const upserts: Row[] = [];
    const used = new Set<bigint>();
    for (let i = 0; i < 50; i++) {
      const id = BigInt(Math.floor(r() * 80));
      if (used.has(id)) continue;
      used.add(id);
      upserts.push({ id, v: `v${c}-${i}`, at: c });
    }
    commits.push({ upserts, deletes: [] });
  }
  return { name: 'first', spec, commits, states: fold(spec, commits, (old, row) => old ?? row) };
}

function appendUnaware(): Case {
  const spec: TableSpec = {
    columns: { p: 'STRING', id: 'BIGINT', v: 'STRING', x: 'DOUBLE' },
    partitionKeys: ['p'],
    options: { bucket: '-1' },
  };
  const r = rng(5);
  const commits: Commit[] = [];
  for (let c = 0; c < 4; c++) {
    const upserts: Row[] = [];
    for (let i = 0; i < 50; i++)
      upserts.push({ p: REGIONS[Math.floor(r() * 3)]!, id: BigInt(c * 1000 + i), v: `r${c}-${i}`, x: r() });
    commits.push({ upserts, deletes: [] });
  }
  return { name: 'append', spec, commits, states: fold(spec, commits, (_, row) => row) };
}

function appendFixed(): Case {
  const spec: TableSpec = {
    columns: { id: 'BIGINT', v: 'STRING', amount: 'DECIMAL(12, 3)' },
    options: { bucket: '2', 'bucket-key': 'id' },
  };
  const r = rng(6);
  const commits: Commit[] = [];
  for (let c = 0; c < 4; c++) {
    const upserts: Row[] = [];
    for (let i = 0; i < 50; i++)
      upserts.push({ id: BigInt(Math.floor(r() * 30)), v: `f${c}-${i}`, amount: (r() * 1000).toFixed(3) });
    commits.push({ upserts, deletes: [] });
  }
  return { name: 'append_bucketed', spec, commits, states: fold(spec, commits, (_, row) => row) };
}

export const CASES: readonly Case[] = [dedup(), partial(), aggregation(), firstRow(), appendUnaware(), appendFixed()];

/** Writes the case's commits with Eddy, one snapshot each; the snapshot ids in order. */
export async function writeCase(table: Table, c: Case): Promise<number[]> {
  const ids: number[] = [];
  for (const [i, commit] of c.commits.entries()) {
    const w = table.newWriter({ commitUser: `flink-cell-${c.name}` });
    try {
      if (commit.upserts.length) await w.write(commit.upserts as Row[]);
      if (commit.deletes.length) await w.delete(commit.deletes as Row[]);
      const res = await w.commit(i);
      ids.push(res.snapshot!.id);
    } finally {
      w.close();
    }
  }
  return ids;
}
