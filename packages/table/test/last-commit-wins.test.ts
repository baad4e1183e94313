/**
 * Issue 16 §3: between concurrent writers of one primary-key table, for the same key the later
 * commit wins (no `sequence.field`), and the change feed agrees with the scan. Each interleaving is
 * forced deterministically with explicit flushes.
 */
import { describe, expect, it } from 'vitest';
import { Catalog, type Table } from '../src/index.ts';
import { tempDir } from './helpers.ts';

type Row = { k: number; v: string };

async function table(dir: string, options: Record<string, string | number> = {}): Promise<Table> {
  return (await Catalog.open(dir)).createTable('db.t', {
    columns: { k: 'INT', v: 'STRING' },
    primaryKey: ['k'],
    options: { bucket: 1, 'changelog-producer': 'input', 'write-only': 'true', ...options },
  });
}

const plain = (r: Record<string, unknown>): Row => ({ k: Number(r.k), v: String(r.v) });
const rowsOf = async (t: Table) => (await t.toArray()).map(plain).sort((a, b) => a.k - b.k);

/** The table's state per the change feed from the first snapshot to the latest. */
async function feedState(t: Table): Promise<Row[]> {
  const end = (await t.latestSnapshot())!.id;
  const state = new Map<number, Row>();
  for await (const e of t.changes({ scanMode: 'from-snapshot', snapshotId: 1, endSnapshotId: end })) {
    if (e.kind === '+I' || e.kind === '+U') state.set(Number(e.row.k), plain(e.row));
    else state.delete(Number(e.row.k));
  }
  return [...state.values()].sort((a, b) => a.k - b.k);
}

describe('last commit wins between concurrent writers', () => {
  it('a long-lived writer whose counter lags: its later delete wins over the other writer’s earlier upsert', async () => {
    using d = tempDir();
    const t = await table(d.path);
    const a = t.newWriter({ commitUser: 'A' });
    const b = t.newWriter({ commitUser: 'B' });
    await a.write({ k: 1, v: 'a1' });
    await a.commit(1);
    // B numbers many rows, then upserts k=1: its numbers are far above A's counter.
    await b.write(Array.from({ length: 20 }, (_, i) => ({ k: 100 + i, v: 'b' })));
    await b.commit(1);
    await b.write({ k: 1, v: 'b1' });
    await b.commit(2);
    // A deletes k=1, committed after B's upsert: the delete wins. (A followed B's commits before
    // numbering it, so nothing had to be rewritten.)
    await a.delete({ k: 1 });
    expect((await a.commit(2)).rebases).toBe(0);
    const rows = await rowsOf(t);
    expect(rows.find((r) => r.k === 1)).toBeUndefined();
    expect(rows).toHaveLength(20);
    expect(await feedState(t)).toEqual(rows);
    a.close();
    b.close();
  });

  it('a delete flushed before the other writer’s upsert committed, committed after it: the delete wins', async () => {
    using d = tempDir();
    const t = await table(d.path);
    await t.upsert({ k: 1, v: 'v0' });
    const a = t.newWriter({ commitUser: 'A' });
    await a.delete({ k: 1 });
    await a.flush(); // numbered now, above snapshot 1
    // B numbers more rows than A did, so its upsert of k=1 gets a higher number than A's delete.
    const b = t.newWriter({ commitUser: 'B' });
    await b.write([
      { k: 5, v: 'b' },
      { k: 6, v: 'b' },
      { k: 1, v: 'b1' },
    ]);
    await b.commit(1);
    expect((await a.commit(1)).rebases).toBe(1); // its flushed file was rewritten above B's
    const rows = await rowsOf(t);
    expect(rows).toEqual([
      { k: 5, v: 'b' },
      { k: 6, v: 'b' },
    ]);
    expect(await feedState(t)).toEqual(rows);
    // The change feed ends with the delete, the scan agrees; and A's later rows still win.
    await b.write({ k: 5, v: 'b2' });
    await b.commit(2);
    await a.write({ k: 5, v: 'a2' });
    await a.commit(2);
    expect(await rowsOf(t)).toEqual([
      { k: 5, v: 'a2' },
      { k: 6, v: 'b' },
    ]);
    expect(await feedState(t)).toEqual(await rowsOf(t));
    a.close();
    b.close();
  });

  it('an upsert flushed early and committed last wins over a compacted concurrent upsert', async () => {
    using d = tempDir();
    const t = await table(d.path, { 'write-only': 'false', 'num-sorted-run.compaction-trigger': 2 });
    const a = t.newWriter({ commitUser: 'A' });
    await a.write({ k: 1, v: 'a' });
    await a.flush();
    for (let i = 0; i < 3; i++)
      await t.upsert([
        { k: 1, v: `other${i}` },
        { k: 2, v: `x${i}` },
      ]);
    await t.compact({ full: true });
    await a.commit(1);
    expect(await rowsOf(t)).toEqual([
      { k: 1, v: 'a' },
      { k: 2, v: 'x2' },
    ]);
    expect(await feedState(t)).toEqual(await rowsOf(t));
    a.close();
  });

  it('sequence.field still decides over commit order', async () => {
    using d = tempDir();
    const t = await (await Catalog.open(d.path)).createTable('db.t', {
      columns: { k: 'INT', v: 'STRING', ts: 'INT' },
      primaryKey: ['k'],
      options: { bucket: 1, 'sequence.field': 'ts', 'write-only': 'true' },
    });
    const a = t.newWriter({ commitUser: 'A' });
    await a.write({ k: 1, v: 'old', ts: 1 });
    await a.flush();
    await t.upsert({ k: 1, v: 'new', ts: 2 });
    await a.commit(1);
    expect((await t.toArray()).map((r) => r.v)).toEqual(['new']);
    a.close();
  });
});
