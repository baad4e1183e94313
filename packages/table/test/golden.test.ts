import { describe, expect, it } from 'vitest';
import { Catalog } from '../src/index.ts';
import { extractGolden, tempDir } from './helpers.ts';

// Tables written by Apache Paimon (Java) with deletion vectors on: a batch scan reads only files
// above level 0 and applies the deletion vectors (row contents checked with DuckDB on the raw files).
const byId = (rows: Record<string, unknown>[]) => [...rows].sort((a, b) => (a.id as number) - (b.id as number));

describe('Java-written golden warehouse', () => {
  it('scans test_pk_global_index_golden at the latest snapshot and back in time', async () => {
    using d = tempDir();
    const catalog = await Catalog.open(extractGolden(d.path));
    expect(await catalog.listTables('default')).toEqual([
      'test_pk_full_text_golden',
      'test_pk_global_index_golden',
      'test_pk_vector_golden',
    ]);
    const table = await catalog.getTable('default.test_pk_global_index_golden');
    const want = [1, 2, 3, 4, 5, 6].map((id) => ({ id, name: `name-${id}`, category: id % 2 ? 'odd' : 'even' }));
    expect(byId(await table.toArray())).toEqual(want);
    // Snapshot 1 is an APPEND of level-0 files only: invisible to a DV batch scan, as in Java.
    expect(await table.toArray({ snapshotId: 1 })).toEqual([]);
    expect(byId(await table.toArray({ snapshotId: 2 }))).toEqual(want.slice(0, 2));
    expect(byId(await table.toArray({ snapshotId: 4 }))).toEqual(want.slice(0, 4));
    expect(
      byId(await table.toArray({ where: { column: 'category', op: '=', value: 'odd' } })).map((r) => r.id),
    ).toEqual([1, 3, 5]);
    expect(await table.toArray({ where: { column: 'name', op: '=', value: 'name-4' }, select: ['id'] })).toEqual([
      { id: 4 },
    ]);
    const snapshots = await table.listSnapshots();
    expect(snapshots.map((s) => s.commitKind)).toEqual(['APPEND', 'COMPACT', 'APPEND', 'COMPACT', 'APPEND', 'COMPACT']);
  });

  it('scans test_pk_full_text_golden', async () => {
    using d = tempDir();
    const catalog = await Catalog.open(extractGolden(d.path));
    const table = await catalog.getTable('default.test_pk_full_text_golden');
    expect(byId(await table.toArray())).toEqual([
      { id: 1, content: 'Apache Paimon supports primary key tables' },
      { id: 2, content: 'Native full text search' },
      { id: 3, content: 'Paimon global indexes' },
      { id: 4, content: 'Unrelated document' },
    ]);
    expect(await table.toArray({ snapshotId: 2 })).toEqual([
      { id: 1, content: 'Apache Paimon supports primary key tables' },
    ]);
  });

  it('refuses to compact a table with global index files, which Eddy would leave stale', async () => {
    using d = tempDir();
    const table = await (await Catalog.open(extractGolden(d.path))).getTable('default.test_pk_global_index_golden');
    await expect(table.compact({ full: true })).rejects.toMatchObject({
      code: 'UNSUPPORTED',
      message: expect.stringMatching(/index files/),
    });
  });

  it('refuses to write to a table with global index files before publishing anything', async () => {
    using d = tempDir();
    const table = await (await Catalog.open(extractGolden(d.path))).getTable('default.test_pk_global_index_golden');
    const before = (await table.listSnapshots()).length;
    const row = (await table.toArray())[0];
    await expect(table.upsert([row])).rejects.toMatchObject({
      code: 'UNSUPPORTED',
      message: expect.stringMatching(/index files is not supported/),
    });
    expect(await table.listSnapshots()).toHaveLength(before);
  });

  it('refuses the VECTOR type by name instead of misreading it', async () => {
    using d = tempDir();
    const catalog = await Catalog.open(extractGolden(d.path));
    await expect(catalog.getTable('default.test_pk_vector_golden')).rejects.toMatchObject({
      code: 'UNSUPPORTED',
      message: expect.stringMatching(/VECTOR/),
    });
  });
});
