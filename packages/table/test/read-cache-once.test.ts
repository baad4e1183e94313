/**
 * Readers that read each data file once keep none of their footers in the read cache (issue 23):
 * a change feed tailing a stream and a compaction replacing its inputs. At 40 new files a second
 * the cache filled with footers of files no one would read again (the writer process's heap grew
 * ~50 MB a minute until the cache's budget). A scan keeps them (the control that the key is right).
 */
import { describe, expect, it } from 'vitest';
import { Catalog, type Table } from '../src/index.ts';
import { readCache, readCacheKey } from '../src/io/read-cache.ts';
import { tempDir } from './helpers.ts';

const SCHEMA = {
  columns: { k: 'BIGINT', v: 'STRING' },
  primaryKey: ['k'],
  options: { bucket: '2', 'write-only': 'true' },
} as const;

/** The read-cache keys of the footers of the latest snapshot's data files. */
async function footerKeys(t: Table): Promise<string[]> {
  const plan = await t.plan();
  return plan.splits.flatMap((s) =>
    s.files.map((f) =>
      readCacheKey(t.io, 'parquet-footer', `${f.fileSize}:${t.path}/bucket-${s.bucket}/${f.fileName}`),
    ),
  );
}

const cached = (keys: readonly string[]) => keys.filter((k) => readCache().get(k) !== undefined).length;

describe('read cache: files read once', () => {
  it('a change feed and a compaction cache no footer; a scan does', async () => {
    using dir = tempDir();
    const c = await Catalog.open(dir.path);
    const t = await c.createTable('d.t', SCHEMA);
    for (let i = 0; i < 4; i++)
      await t.upsert([
        { k: BigInt(i), v: `a${i}` },
        { k: BigInt(100 + i), v: `b${i}` },
      ]);
    const ac = new AbortController();
    let n = 0;
    for await (const _ of t.changes({ scanMode: 'from-snapshot', snapshotId: 1, signal: ac.signal })) {
      if (++n === 8) break;
    }
    const inputs = await footerKeys(t);
    expect(inputs.length).toBeGreaterThanOrEqual(4);
    expect(cached(inputs)).toBe(0);

    // The compaction reads every file and replaces it: none of its inputs' footers stays.
    await t.compact({ full: true });
    expect(cached(inputs)).toBe(0);

    // A scan keeps the footers of what it read (other scans and lookups read them again).
    expect((await t.toArray()).length).toBe(8);
    const outputs = await footerKeys(t);
    expect(outputs.length).toBeGreaterThan(0);
    expect(cached(outputs)).toBe(outputs.length);
  });
});
