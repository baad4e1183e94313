/**
 * Paimon's bloom-filter file index (issue 21) with Paimon Java 1.4.2, both ways and both places an
 * index can live (embedded in the manifest entry, or a `<data file>.index` extra file):
 *
 * - Java writes append tables with `file-index.bloom-filter.columns` over every hashable type;
 *   Eddy, writing the same rows with the same options, produces byte-identical index bytes per
 *   data file (the strongest proof both hash and lay out alike);
 * - for present and absent values of every column, Eddy's per-file verdict (does the index rule
 *   the value out?) equals Java's FileIndexPredicate on the same file, on Java's files and Eddy's;
 * - Eddy's filtered reads return exactly the matching rows, and Java's filtered reads of Eddy's
 *   tables (which prune with Eddy's indexes) still return every matching row.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Catalog, isIn } from '@eddy/table';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toInternalValue } from '../../packages/table/src/data/columns.ts';
import { LocalFileIO } from '../../packages/table/src/io/local-file-io.ts';
import { TablePaths } from '../../packages/table/src/meta/table-paths.ts';
import { FileIndexReader, provesAbsent } from '../../packages/table/src/scan/file-index-filter.ts';
import { mulberry32 } from '../../packages/table/test/helpers.ts';
import { type CanonicalRow, columnTypes, type TableSpec, toEddy, type WriteLine } from './canonical.ts';
import { closePeers, eddy, java, javaCommand, setupProblem, WORK_DIR } from './drivers.ts';

const WAREHOUSE = path.join(WORK_DIR, 'file-index');
const problem = setupProblem();

const COLUMNS = {
  id: 'INT',
  s: 'STRING',
  b: 'BIGINT',
  d: 'DOUBLE',
  f: 'FLOAT',
  dt: 'DATE',
  ts: 'TIMESTAMP(6)',
  t3: 'TIMESTAMP(3)',
  bin: 'BYTES',
  ti: 'TINYINT',
  si: 'SMALLINT',
  c: 'CHAR(4)',
} as const;
const INDEXED = Object.keys(COLUMNS);

/** Per column, distinct canonical values; rows use the first USED of each pool, the rest never occur. */
const USED = 24;
const POOL = 40;
const pools: Record<string, (i: number) => CanonicalRow[string]> = {
  id: (i) => i * 7919 - 100_000,
  s: (i) => (i % 3 === 0 ? `ünï-${i}-𝄞` : `value-${i}`),
  b: (i) => String(BigInt(i) * 1_000_000_007n - 9_000_000_000_000_000_000n),
  d: (i) => (i === 0 ? '-0' : i === 1 ? 'NaN' : i === 2 ? 'Infinity' : i * 1.25 - 7.5),
  f: (i) => (i === 0 ? 'NaN' : i * 0.5 - 3),
  dt: (i) => new Date(Date.UTC(1969, 11, 20 + i)).toISOString().slice(0, 10),
  ts: (i) => `19${60 + i}-03-0${1 + (i % 9)}T12:34:56.${String(100_000 + i * 7).padStart(6, '0')}`,
  t3: (i) => `20${10 + i}-07-15T01:02:03.${String(i * 11).padStart(3, '0')}000`,
  bin: (i) => Buffer.from(Array.from({ length: (i % 5) + 1 }, (_, k) => (i * 31 + k * 7) & 0xff)).toString('base64'),
  ti: (i) => i * 5 - 100,
  si: (i) => i * 1000 - 20_000,
  c: (i) => `c${String(i).padStart(3, '0')}`,
};

function spec(threshold: string, items: number): TableSpec {
  const options: Record<string, string> = {
    bucket: '1',
    'bucket-key': 'id',
    'file-index.bloom-filter.columns': INDEXED.join(','),
    'file-index.in-manifest-threshold': threshold,
  };
  for (const c of INDEXED) options[`file-index.bloom-filter.${c}.items`] = String(items);
  options['file-index.bloom-filter.s.fpp'] = '0.01';
  return { columns: COLUMNS, options };
}

/** Four commits (one data file each) of 30 rows; row n has a unique id; pool indexes per column. */
function data(seed: number): { lines: WriteLine[]; picks: Map<number, Record<string, number>> } {
  const r = mulberry32(seed);
  const lines: WriteLine[] = [];
  const picks = new Map<number, Record<string, number>>();
  for (let commit = 0; commit < 4; commit++) {
    for (let n = 0; n < 30; n++) {
      const id = commit * 1000 + n;
      const pick: Record<string, number> = {};
      const row: CanonicalRow = { id };
      for (const c of INDEXED) {
        if (c === 'id') continue;
        // Each commit draws from an overlapping window of the pool, so min/max stats rarely rule a value out.
        const j = (commit * 5 + Math.floor(r() * 14)) % USED;
        pick[c] = j;
        row[c] = r() < 0.1 ? null : pools[c](j);
        if (row[c] === null) pick[c] = -1;
      }
      picks.set(id, pick);
      lines.push({ commit, kind: '+I', row });
    }
  }
  return { lines, picks };
}

const filterFile = (name: string, column: string, values: CanonicalRow[string][]) => {
  const p = path.join(WAREHOUSE, `${name}-${column}.json`);
  writeFileSync(p, JSON.stringify({ column, values }));
  return p;
};

interface JavaVerdict {
  fileName: string;
  index: 'embedded' | 'extra' | 'none';
  remain: boolean;
  bytes?: string;
}

const parseLines = <T>(out: string): T[] =>
  out
    .split('\n')
    .filter((l) => l.trim().startsWith('{'))
    .map((l) => JSON.parse(l) as T);

/** Eddy's verdict per live data file: whether its index leaves `values` of `column` possible. */
async function eddyVerdicts(table: string, column: string, values: CanonicalRow[string][]) {
  const catalog = await Catalog.open(WAREHOUSE);
  const t = await catalog.getTable(table);
  const io = new LocalFileIO();
  const reader = new FileIndexReader(io, new TablePaths(t.path, t.schema));
  const type = t.schema.field(column).type;
  const internal = values.map((v) => toInternalValue(type, toEddy([[column, type]], { [column]: v })[column], column));
  const plan = await t.plan();
  const out = new Map<string, { remain: boolean; bytes?: Buffer }>();
  for (const s of plan.splits) {
    for (const f of s.files) {
      const dir = t.paths.bucketDir(s.partitionBytes, s.bucket);
      const view = await reader.view(f, dir, [column], () => type, true);
      const remain = !view || !internal.every((v) => provesAbsent(view.column(column), type, v));
      const bytes = f.embeddedIndex
        ? Buffer.from(f.embeddedIndex)
        : f.extraFiles.length === 1
          ? Buffer.from(await io.read(path.join(dir, f.extraFiles[0])))
          : undefined;
      out.set(f.fileName, { remain, bytes });
    }
  }
  return out;
}

/** Live files of a table in write order (sequence numbers). */
async function filesInOrder(table: string): Promise<string[]> {
  const rows = parseLines<{ fileName: string; minSequenceNumber: number }>(
    await javaCommand(['files', WAREHOUSE, table]),
  );
  return rows.sort((a, b) => a.minSequenceNumber - b.minSequenceNumber).map((r) => r.fileName);
}

const VARIANTS = [
  { name: 'embedded', threshold: '64 kb', items: 60 },
  { name: 'extra', threshold: '1 b', items: 200 },
] as const;

describe.skipIf(problem !== undefined)('interop: bloom-filter file index (Java ⇄ Eddy)', () => {
  beforeAll(() => {
    rmSync(WAREHOUSE, { recursive: true, force: true });
    mkdirSync(WAREHOUSE, { recursive: true });
  });
  afterAll(() => closePeers());

  for (const [vi, v] of VARIANTS.entries()) {
    it(`${v.name} index: Eddy's index bytes equal Java's for the same rows; both read each other's indexes alike`, async () => {
      const sp = spec(v.threshold, v.items);
      const types = columnTypes(sp);
      const { lines, picks } = data(4242 + vi);
      const jt = `db.java_${v.name}`;
      const et = `db.eddy_${v.name}`;
      await java.write(WAREHOUSE, jt, sp, lines);
      await eddy.write(WAREHOUSE, et, sp, lines);

      // 1. Byte-identical indexes, file by file (same rows per commit, same options).
      const jFiles = await filesInOrder(jt);
      const eFiles = await filesInOrder(et);
      expect(jFiles.length).toBe(4);
      expect(eFiles.length).toBe(4);
      const jIndex = new Map(
        parseLines<JavaVerdict>(await javaCommand(['index-eval', WAREHOUSE, jt, filterFile('bytes', 'id', [0])])).map(
          (x) => [x.fileName, x],
        ),
      );
      const eIndex = await eddyVerdicts(et, 'id', [0]);
      for (let i = 0; i < 4; i++) {
        const j = jIndex.get(jFiles[i]);
        const e = eIndex.get(eFiles[i]);
        expect(j?.index, `Java file ${i}`).toBe(v.name);
        expect(e?.bytes?.toString('base64'), `index bytes of file ${i}`).toBe(j?.bytes);
      }

      // 2. Per file, per column, present and absent values: Eddy's verdict is Java's, on both tables.
      let javaSkips = 0;
      for (const c of INDEXED) {
        const r = mulberry32(77 + c.length);
        const probes: CanonicalRow[string][][] = [];
        for (let k = 0; k < 6; k++) probes.push([pools[c](Math.floor(r() * POOL))]);
        probes.push([pools[c](USED + 1), pools[c](USED + 2)]); // IN of absent values
        probes.push([pools[c](3), pools[c](USED + 3)]);
        for (const [pi, values] of probes.entries()) {
          const f = filterFile(`${v.name}-${pi}`, c, values);
          for (const table of [jt, et]) {
            const jv = parseLines<JavaVerdict>(await javaCommand(['index-eval', WAREHOUSE, table, f]));
            const ev = await eddyVerdicts(table, c, values);
            for (const x of jv) {
              expect(ev.get(x.fileName)?.remain, `${table} ${x.fileName} ${c} IN ${JSON.stringify(values)}`).toBe(
                x.remain,
              );
              if (!x.remain) javaSkips++;
            }
          }
          // 3. Filtered reads: Eddy returns exactly the matching rows of both tables; Java's
          // filtered read of Eddy's table (pruning with Eddy's indexes) misses none of them.
          if (c === 'id') continue; // the id pool is not the ids rows have: covered by the verdicts
          const wanted = new Set(values.map((x) => [...Array(POOL).keys()].find((j) => pools[c](j) === x)));
          const expected = [...picks.entries()]
            .filter(([, p]) => wanted.has(p[c]))
            .map(([id]) => id)
            .sort((a, b) => a - b);
          const where = isIn(
            c,
            values.map((x) => toEddy(types, { [c]: x })[c]),
          );
          for (const table of [jt, et]) {
            const t = await (await Catalog.open(WAREHOUSE)).getTable(table);
            const ids = (await t.toArray({ where })).map((row) => row.id as number).sort((a, b) => a - b);
            expect(ids, `Eddy reads ${table} where ${c} IN ${JSON.stringify(values)}`).toEqual(expected);
          }
          // Java on Eddy's table finds what Java finds on its own (all of the rows, but for BYTES:
          // Paimon 1.4.2's min/max filter drops files holding bytes >= 0x80, its own files too).
          const javaFinds = async (table: string) => {
            const rows = parseLines<Record<string, unknown>>(await javaCommand(['read-filter', WAREHOUSE, table, f]));
            const ids = new Set(rows.filter((x) => !('_splitFiles' in x)).map((x) => x.id as number));
            return expected.filter((id) => ids.has(id));
          };
          const onEddy = await javaFinds(et);
          expect(onEddy, `Java reads Eddy's table where ${c} IN ${JSON.stringify(values)}`).toEqual(
            await javaFinds(jt),
          );
          if (c !== 'bin') expect(onEddy).toEqual(expected);
        }
      }
      expect(javaSkips, 'some files are ruled out by their index').toBeGreaterThan(20);
    });
  }

  it('primary-key table with deletion vectors written by Java: Eddy prunes by value and reads the rows Java reads', async () => {
    const sp: TableSpec = {
      columns: { k: 'INT', v: 'STRING', n: 'INT' },
      primaryKey: ['k'],
      options: {
        bucket: '1',
        'deletion-vectors.enabled': 'true',
        'file-index.bloom-filter.columns': 'v,k',
        'file-index.bloom-filter.v.items': '40',
        'file-index.bloom-filter.k.items': '40',
      },
    };
    const r = mulberry32(5);
    const lines: WriteLine[] = [];
    for (let commit = 0; commit < 4; commit++)
      for (let i = 0; i < 25; i++) {
        const k = Math.floor(r() * 60);
        lines.push({ commit, kind: r() < 0.1 ? '-D' : '+I', row: { k, v: `v${Math.floor(r() * 30)}`, n: commit } });
      }
    await java.write(WAREHOUSE, 'db.java_dv', sp, lines);
    const all = await java.read(WAREHOUSE, 'db.java_dv');
    const t = await (await Catalog.open(WAREHOUSE)).getTable('db.java_dv');
    let skipped = 0;
    for (let j = 0; j < 34; j++) {
      const value = `v${j}`;
      const want = all
        .filter((x) => x.v === value)
        .map((x) => x.k as number)
        .sort((a, b) => a - b);
      const got = (await t.toArray({ where: isIn('v', [value]) })).map((x) => x.k as number).sort((a, b) => a - b);
      expect(got, `v = ${value}`).toEqual(want);
      skipped += (await t.plan({ where: isIn('v', [value]) })).skippedByIndex ?? 0;
      const jv = parseLines<JavaVerdict>(
        await javaCommand(['index-eval', WAREHOUSE, 'db.java_dv', filterFile('dv', 'v', [value])]),
      );
      const ev = await eddyVerdicts('db.java_dv', 'v', [value]);
      for (const x of jv) expect(ev.get(x.fileName)?.remain, `${x.fileName} v = ${value}`).toBe(x.remain);
    }
    expect(skipped, 'files skipped by their index').toBeGreaterThan(0);
  });

  it("a value in no file: Eddy's plan skips every file by its extra-file index, and Java's filtered read of the table returns nothing", async () => {
    const sp = spec('1 b', 100);
    const { lines } = data(99);
    await eddy.write(WAREHOUSE, 'db.eddy_skip', sp, lines);
    const value = pools.s(USED + 5); // in no file
    const out = parseLines<Record<string, unknown>>(
      await javaCommand(['read-filter', WAREHOUSE, 'db.eddy_skip', filterFile('skip', 's', [value])]),
    );
    const files = out.find((x) => '_splitFiles' in x)?._splitFiles;
    // Java plans the files (the extra-file index is read when a file is opened), then reads none.
    expect(out.filter((x) => !('_splitFiles' in x))).toEqual([]);
    expect(typeof files).toBe('number');
    const t = await (await Catalog.open(WAREHOUSE)).getTable('db.eddy_skip');
    const plan = await t.plan({ where: isIn('s', [value]) });
    expect(plan.splits.flatMap((s) => s.files)).toEqual([]);
    expect(plan.skippedByIndex).toBe(4);
  });
});
