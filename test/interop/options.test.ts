/**
 * Options on shared tables (issue 17 §1-2): every option of Paimon Java 1.4.2's CoreOptions (read
 * from the class by reflection, `core-options`) is implemented, performance-only or refused in
 * Eddy's registry; Java-written tables with sequence groups, several sequence fields, descending
 * order and aggregation options read in Eddy as Java reads them, at every snapshot, after a Java
 * compaction, and after Eddy writes and compacts (Java reading Eddy's result).
 */
import { mkdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { Catalog } from '@eddy/table';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { durationMillis, parseMemorySize } from '../../packages/table/src/options/core-options.ts';
import { type OptionSpec, optionSpec, TABLE_OPTIONS } from '../../packages/table/src/options/registry.ts';
import { mulberry32 } from '../../packages/table/test/helpers.ts';
import type { CanonicalRow, TableSpec, WriteLine } from './canonical.ts';
import { closePeers, eddy, java, javaCommand, setupProblem, WORK_DIR } from './drivers.ts';

const WAREHOUSE = path.join(WORK_DIR, 'options');
const problem = setupProblem();

type Gen = (r: () => number, k: number) => { kind: WriteLine['kind']; row: CanonicalRow };
interface Case {
  readonly name: string;
  readonly spec: TableSpec;
  readonly gen: Gen;
}

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
const maybe = <T>(r: () => number, v: T): T | null => (r() < 0.25 ? null : v);
const int = (r: () => number, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));

const CASES: readonly Case[] = [
  {
    name: 'pu_groups',
    spec: {
      columns: { k: 'INT', g1: 'INT', a: 'INT', b: 'STRING', g2: 'INT', c: 'INT', d: 'INT' },
      primaryKey: ['k'],
      options: {
        bucket: '1',
        'merge-engine': 'partial-update',
        'fields.g1.sequence-group': 'a,b',
        'fields.g2.sequence-group': 'c',
        'fields.c.aggregate-function': 'sum',
      },
    },
    gen: (r, k) => {
      const del = r() < 0.15;
      return {
        kind: del ? '-D' : '+I',
        row: {
          k,
          g1: maybe(r, int(r, 0, 5)),
          a: del ? null : maybe(r, int(r, -9, 9)),
          b: del ? null : maybe(r, pick(r, ['x', 'y'])),
          g2: maybe(r, int(r, 0, 5)),
          c: maybe(r, int(r, -9, 9)),
          d: del ? null : maybe(r, int(r, -9, 9)),
        },
      };
    },
  },
  {
    name: 'pu_multi_seq_group',
    spec: {
      columns: { k: 'INT', s1: 'INT', s2: 'INT', a: 'INT', l: 'STRING', d: 'INT' },
      primaryKey: ['k'],
      options: {
        bucket: '2',
        'merge-engine': 'partial-update',
        'fields.s1,s2.sequence-group': 'a,l',
        'fields.l.aggregate-function': 'listagg',
        'fields.l.ignore-retract': 'true',
        'partial-update.remove-record-on-sequence-group': 's1',
      },
    },
    gen: (r, k) => {
      const del = r() < 0.1;
      return {
        kind: del ? '-D' : '+I',
        row: {
          k,
          s1: maybe(r, int(r, 0, 3)),
          s2: maybe(r, int(r, 0, 3)),
          a: del ? null : maybe(r, int(r, -9, 9)),
          l: del ? null : maybe(r, pick(r, ['p', 'q'])),
          d: del ? null : maybe(r, int(r, -9, 9)),
        },
      };
    },
  },
  {
    // -D rows carry their values, as CDC deletes do: Paimon keeps them as the base of later
    // partial updates until a compaction to the top level drops the deleted row.
    name: 'pu_remove_on_delete',
    spec: {
      columns: { k: 'INT', a: 'INT', b: 'STRING', s: 'INT' },
      primaryKey: ['k'],
      options: {
        bucket: '1',
        'merge-engine': 'partial-update',
        'partial-update.remove-record-on-delete': 'true',
        'sequence.field': 's',
      },
    },
    gen: (r, k) => ({
      kind: pick(r, ['+I', '+I', '+I', '-D', '-U'] as const),
      row: { k, a: maybe(r, int(r, -9, 9)), b: maybe(r, pick(r, ['x', 'y'])), s: maybe(r, int(r, 0, 4)) },
    }),
  },
  {
    // Options that only tune Paimon's jobs: read, written and compacted as if absent.
    name: 'performance_only',
    spec: {
      columns: { k: 'INT', v: 'STRING' },
      primaryKey: ['k'],
      options: {
        bucket: '2',
        'sort-engine': 'min-heap',
        'write-buffer-spillable': 'false',
        'lookup.cache-max-memory-size': '32 mb',
        'file.block-size': '1 mb',
        'metadata.stats-mode': 'full',
        'snapshot.expire.execution-mode': 'async',
        'compaction.optimization-interval': '1 h',
        'commit.user-prefix': 'x',
      },
    },
    gen: (r, k) => ({ kind: r() < 0.1 ? '-D' : '+I', row: { k, v: maybe(r, pick(r, ['x', 'y', 'z'])) } }),
  },
  {
    name: 'dedup_desc',
    spec: {
      columns: { k: 'INT', s1: 'INT', s2: 'BIGINT', v: 'STRING' },
      primaryKey: ['k'],
      options: { bucket: '2', 'sequence.field': 's1,s2', 'sequence.field.sort-order': 'descending' },
    },
    gen: (r, k) => ({
      kind: r() < 0.1 ? '-D' : '+I',
      row: { k, s1: maybe(r, int(r, 0, 3)), s2: maybe(r, String(int(r, 0, 3))), v: maybe(r, pick(r, ['x', 'y', 'z'])) },
    }),
  },
  {
    name: 'agg_options',
    spec: {
      columns: { k: 'INT', s: 'BIGINT', m: 'INT', l: 'STRING', p: 'INT', f: 'INT', ln: 'INT', q: 'INT' },
      primaryKey: ['k'],
      options: {
        bucket: '1',
        'merge-engine': 'aggregation',
        'fields.default-aggregate-function': 'sum',
        'fields.m.aggregate-function': 'max',
        'fields.m.ignore-retract': 'true',
        'fields.l.aggregate-function': 'listagg',
        'fields.l.distinct': 'true',
        'fields.l.list-agg-delimiter': ';',
        'fields.l.ignore-retract': 'true',
        'fields.p.aggregate-function': 'product',
        'fields.f.aggregate-function': 'first_non_null_value',
        'fields.f.ignore-retract': 'true',
        'fields.ln.aggregate-function': 'last_non_null_value',
        'sequence.field': 'q',
      },
    },
    gen: (r, k) => ({
      kind: r() < 0.2 ? '-U' : '+I',
      row: {
        k,
        s: maybe(r, String(int(r, -50, 50))),
        m: maybe(r, int(r, -9, 9)),
        l: maybe(r, pick(r, ['a', 'b', 'a;c', ''])),
        p: maybe(r, pick(r, [1, 2, 3, -1])),
        f: maybe(r, int(r, -9, 9)),
        ln: maybe(r, int(r, -9, 9)),
        q: maybe(r, int(r, 0, 5)),
      },
    }),
  },
  {
    name: 'agg_remove_on_delete',
    spec: {
      columns: { k: 'INT', s: 'INT', m: 'INT', fv: 'STRING' },
      primaryKey: ['k'],
      options: {
        bucket: '1',
        'merge-engine': 'aggregation',
        'aggregation.remove-record-on-delete': 'true',
        'fields.s.aggregate-function': 'sum',
        'fields.m.aggregate-function': 'min',
        'fields.fv.aggregate-function': 'first_value',
      },
    },
    gen: (r, k) => ({
      kind: r() < 0.2 ? '-D' : '+I',
      row: { k, s: maybe(r, int(r, -9, 9)), m: maybe(r, int(r, -9, 9)), fv: maybe(r, pick(r, ['u', 'v'])) },
    }),
  },
];

function lines(c: Case, seed: number, commits: readonly number[], perCommit: number): WriteLine[] {
  const r = mulberry32(seed);
  const out: WriteLine[] = [];
  for (const commit of commits) for (let i = 0; i < perCommit; i++) out.push({ commit, ...c.gen(r, int(r, 0, 5)) });
  return out;
}

const byKey = (rows: Record<string, unknown>[]) => [...rows].sort((a, b) => Number(a.k) - Number(b.k));

describe.skipIf(problem !== undefined)('interop: options (Java ⇄ Eddy)', () => {
  beforeAll(() => {
    rmSync(WAREHOUSE, { recursive: true, force: true });
    mkdirSync(WAREHOUSE, { recursive: true });
  });
  afterAll(() => closePeers());

  it('every option of Paimon 1.4.2 CoreOptions is implemented, performance-only or refused', async () => {
    const out = await javaCommand(['core-options']);
    const keys = out
      .split('\n')
      .filter((l) => l.trim().startsWith('{'))
      .map((l) => JSON.parse(l) as { key: string; fallbackKeys: string[] });
    expect(keys.length).toBeGreaterThan(250);
    const missing = keys.filter((k) => optionSpec(k.key)?.key !== k.key).map((k) => k.key);
    expect(missing, 'CoreOptions keys missing from the registry').toEqual([]);
    // Fallback names resolve to their option (unless the name is an option of its own, as
    // 'file.compression', the fallback of 'format-table.file.compression').
    const own = new Set(keys.map((k) => k.key));
    for (const k of keys) for (const f of k.fallbackKeys) if (!own.has(f)) expect(optionSpec(f)?.key, f).toBe(k.key);
    // And nothing in the registry that Paimon 1.4.2 does not have (but Eddy's own `eddy.` options).
    const java = new Set(keys.map((k) => k.key));
    expect(TABLE_OPTIONS.filter((o) => !java.has(o.key) && !o.key.startsWith('eddy.')).map((o) => o.key)).toEqual([]);
  });

  it("every option's default is Paimon 1.4.2's (the value Eddy assumes when a table does not set it)", async () => {
    const out = await javaCommand(['core-options']);
    const javaDefaults = new Map(
      out
        .split('\n')
        .filter((l) => l.trim().startsWith('{'))
        .map((l) => JSON.parse(l) as { key: string; default: string | null })
        .map((o) => [o.key, o.default] as const),
    );
    const differ: string[] = [];
    for (const o of TABLE_OPTIONS) {
      if (!javaDefaults.has(o.key)) continue;
      const eddyDefault = normalDefault(o, o.default);
      const javaDefault = normalDefault(o, javaDefaults.get(o.key) ?? undefined);
      if (eddyDefault !== javaDefault)
        differ.push(`${o.key}: Eddy ${o.default} (${eddyDefault}), Java ${javaDefaults.get(o.key)}`);
    }
    expect(differ).toEqual([]);
  });

  for (const [i, c] of CASES.entries()) {
    for (const round of [0, 1]) {
      it(`${c.name} (data ${round}): Eddy reads Java's table as Java does, at every snapshot and after compactions both ways`, async () => {
        const table = `db.${c.name}_${round}`;
        const seed = (base: number) => base + i + 100 * round;
        const ids = await java.write(WAREHOUSE, table, c.spec, lines(c, seed(1000), [0, 1, 2, 3], 14));
        const at = [...ids, undefined];
        const j = await java.readMany(WAREHOUSE, table, at);
        const e = await eddy.readMany(WAREHOUSE, table, at);
        for (const [n, id] of at.entries()) expect(byKey(e[n]), `snapshot ${id ?? 'latest'}`).toEqual(byKey(j[n]));
        expect(j[j.length - 1].length, 'rows at the latest snapshot').toBeGreaterThan(0);
        // A Java full compaction, then more Java commits.
        await javaCommand(['compact', WAREHOUSE, table]);
        await java.write(WAREHOUSE, table, c.spec, lines(c, seed(2000), [4, 5], 10));
        expect(byKey(await eddy.read(WAREHOUSE, table))).toEqual(byKey(await java.read(WAREHOUSE, table)));
        // Eddy writes and compacts; Java reads Eddy's files.
        await eddy.write(WAREHOUSE, table, c.spec, lines(c, seed(3000), [6, 7], 10));
        const before = byKey(await java.read(WAREHOUSE, table));
        expect(byKey(await eddy.read(WAREHOUSE, table))).toEqual(before);
        const t = await (await Catalog.open(WAREHOUSE)).getTable(table);
        await t.compact({ full: true });
        expect(byKey(await java.read(WAREHOUSE, table)), 'Java reads the table Eddy compacted').toEqual(before);
        expect(byKey(await eddy.read(WAREHOUSE, table))).toEqual(before);
      });
    }
  }

  it('partial-update.remove-record-on-delete: the -D row is the base of later updates until a top-level compaction, in Java and Eddy', async () => {
    const spec: TableSpec = {
      columns: { k: 'INT', a: 'INT', b: 'STRING' },
      primaryKey: ['k'],
      options: { bucket: '1', 'merge-engine': 'partial-update', 'partial-update.remove-record-on-delete': 'true' },
    };
    await java.write(WAREHOUSE, 'db.pu_base', spec, [
      { commit: 0, kind: '+I', row: { k: 1, a: 1, b: 'x' } },
      { commit: 1, kind: '-D', row: { k: 1, a: 1, b: 'x' } },
      { commit: 2, kind: '+I', row: { k: 1, a: null, b: 'y' } },
    ]);
    expect(await java.read(WAREHOUSE, 'db.pu_base')).toEqual([{ k: 1, a: 1, b: 'y' }]);
    expect(await eddy.read(WAREHOUSE, 'db.pu_base')).toEqual([{ k: 1, a: 1, b: 'y' }]);
  });

  it('a Java table with an option Eddy refuses is refused by name when opened', async () => {
    const options = { bucket: '1', 'record-level.expire-time': '1 d', 'record-level.time-field': 'v' };
    await java.write(WAREHOUSE, 'db.refused', { columns: { k: 'INT', v: 'INT' }, primaryKey: ['k'], options }, [
      { commit: 0, kind: '+I', row: { k: 1, v: 2 } },
    ]);
    await expect((await Catalog.open(WAREHOUSE)).getTable('db.refused')).rejects.toMatchObject({
      code: 'UNSUPPORTED',
      message: expect.stringContaining("'record-level."),
    });
  });
});

/**
 * A default as comparable text: Java prints durations as ISO-8601 (`PT1H`), memory sizes in bytes
 * or units (`256 mb`), unbounded sizes as Long.MAX_VALUE bytes, and no value as null, `""` or `{}`.
 */
function normalDefault(o: OptionSpec, value: string | undefined): string | undefined {
  if (value === undefined || value === '' || value === '{}') return undefined;
  if (o.type === 'duration') {
    const iso = /^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?$/i.exec(value);
    const ms = iso
      ? Number(iso[1] ?? 0) * 3_600_000 + Number(iso[2] ?? 0) * 60_000 + Number(iso[3] ?? 0) * 1000
      : durationMillis(value);
    return `${ms} ms`;
  }
  if (o.type === 'memory') {
    return value === 'unlimited' || value === '9223372036854775807 bytes'
      ? 'unlimited'
      : `${parseMemorySize(value, o.key)} bytes`;
  }
  return value.toLowerCase();
}
