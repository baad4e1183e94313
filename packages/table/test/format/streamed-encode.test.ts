import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ColumnBuilder } from '../../src/data/columns.ts';
import { encodeTuning, readFooter } from '../../src/format/parquet.ts';
import { Catalog, ge, type Table } from '../../src/index.ts';
import { mulberry32, tempDir } from '../helpers.ts';

const DEFAULT_SLICE = encodeTuning.sliceRows;

interface Row {
  id: bigint;
  amount: number;
  name: string | null;
  flag: boolean;
}

/**
 * Rows with duplicate keys: the first half writes random keys of [0, n/2) with amounts ≥ 1e6, the
 * second half writes every key of [0, n/2) once more (a shuffle) with amounts below 1e6, so the
 * kept (last) rows all have amounts below 1e6 while the buffer also holds the older ones.
 */
function rows(n: number): Row[] {
  const rnd = mulberry32(7);
  const half = Math.floor(n / 2);
  const order = Array.from({ length: half }, (_, i) => i);
  for (let i = half - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return Array.from({ length: n }, (_, i) => {
    const id = BigInt(i < half ? Math.floor(rnd() * half) : order[i - half]);
    return {
      id,
      amount: i < half ? 1e6 + i : i,
      name: rnd() < 0.2 ? null : 'x'.repeat(1 + Math.floor(rnd() * 40)) + String(id),
      flag: rnd() < 0.5,
    };
  });
}

async function written(dir: string, name: string, sliceRows: number, input: Row[]) {
  encodeTuning.sliceRows = sliceRows;
  const c = await Catalog.open(dir);
  const t = await c.createTable(`db.${name}`, {
    columns: { id: 'BIGINT', amount: 'DOUBLE', name: 'STRING', flag: 'BOOLEAN' },
    primaryKey: ['id'],
    options: { bucket: '1', 'write-only': 'true' },
  });
  const w = t.newWriter();
  await w.write(input);
  await w.commit();
  w.close();
  return t;
}

async function files(t: Table) {
  const plan = await t.plan();
  return plan.splits.flatMap((s) => s.files);
}

describe('streamed Parquet encoding', () => {
  afterEach(() => {
    encodeTuning.sliceRows = DEFAULT_SLICE;
  });

  it('a file encoded slice by slice holds the rows, statistics and page index of one encoded whole', async () => {
    using d = tempDir();
    const input = rows(3000);
    const whole = await written(d.path, 'whole', 1 << 20, input);
    const sliced = await written(d.path, 'sliced', 37, input);
    const read = async (t: Table) => {
      const out: unknown[] = [];
      for await (const r of t.scan()) out.push(r);
      return out;
    };
    const [a, b] = [await read(whole), await read(sliced)];
    expect(b).toEqual(a);
    expect(b.length).toBeGreaterThan(1000);
    const [fa, fb] = [await files(whole), await files(sliced)];
    expect(fb).toHaveLength(1);
    const meta = (f: (typeof fa)[number]) => ({
      rowCount: f.rowCount,
      minKey: f.minKey,
      maxKey: f.maxKey,
      keyStats: f.keyStats,
      valueStats: f.valueStats,
      minSequenceNumber: f.minSequenceNumber,
      maxSequenceNumber: f.maxSequenceNumber,
    });
    expect(meta(fb[0])).toEqual(meta(fa[0]));
    // Statistics are of the rows written, not of the buffer: no kept amount reaches 1e6, so a
    // filter on it skips the file.
    expect(Math.max(...b.map((r) => (r as Row).amount))).toBeLessThan(1e6);
    expect((await sliced.plan({ where: ge('amount', 1e6) })).skippedFiles).toBe(1);
    // The Parquet footer: the same row groups, with the page index that point lookups read.
    const footer = async (t: Table, f: (typeof fa)[number]) => {
      const bytes = new Uint8Array(readFileSync(path.join(t.path, 'bucket-0', f.fileName)));
      const source = { size: bytes.length, readRange: async (o: number, l: number) => bytes.subarray(o, o + l) };
      const m = (await readFooter(source, f.fileName, undefined)).metadata;
      return {
        groups: m.row_groups.map((g) => Number(g.num_rows)),
        pageIndex: m.row_groups.every((g) =>
          g.columns.every(
            (c) => c.meta_data && c.column_index_offset !== undefined && c.offset_index_offset !== undefined,
          ),
        ),
      };
    };
    const [ga, gb] = [await footer(whole, fa[0]), await footer(sliced, fb[0])];
    expect(gb).toEqual(ga);
    expect(gb.pageIndex).toBe(true);
  });

  it('a compaction writes its files slice by slice with the rows of a whole encode', async () => {
    using d = tempDir();
    const input = rows(2000);
    const tables: Table[] = [];
    for (const [name, slice] of [
      ['cwhole', 1 << 20],
      ['csliced', 23],
    ] as const) {
      const t = await written(d.path, name, slice, input);
      const w = t.newWriter();
      await w.write(rows(900).map((r) => ({ ...r, amount: -1 })));
      await w.commit();
      w.close();
      await t.compact({ full: true });
      tables.push(t);
    }
    const read = async (t: Table) => {
      const out: unknown[] = [];
      for await (const r of t.scan()) out.push(r);
      return out;
    };
    expect(await read(tables[1])).toEqual(await read(tables[0]));
    const [fa, fb] = [await files(tables[0]), await files(tables[1])];
    expect(fb.map((f) => [f.level, f.rowCount, f.valueStats])).toEqual(
      fa.map((f) => [f.level, f.rowCount, f.valueStats]),
    );
  });
});

describe('ColumnBuilder.byteSize', () => {
  it('counts the capacity it allocated, not only the rows appended', () => {
    const b = new ColumnBuilder({ root: 'BIGINT', nullable: true }, 'x');
    for (let i = 0; i < 300; i++) b.append(BigInt(i), i);
    // Capacity doubled from 256 to 512 rows of 8 bytes.
    expect(b.byteSize).toBeGreaterThanOrEqual(512 * 8);
    const s = new ColumnBuilder({ root: 'VARCHAR', nullable: true, length: 2147483647 }, 's');
    for (let i = 0; i < 300; i++) s.append('ab', i);
    expect(s.byteSize).toBeGreaterThanOrEqual(513 * 4 + 600);
  });
});
