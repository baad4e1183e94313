import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Catalog } from '../src/index.ts';
import { ByteLru } from '../src/io/read-cache.ts';
import { tempDir } from './helpers.ts';

describe('ByteLru (footers and manifests under one budget)', () => {
  it('evicts the least recently used entries by bytes, never exceeds the budget', () => {
    const c = new ByteLru<string>(100);
    c.set('a', 'A', 40);
    c.set('b', 'B', 40);
    expect(c.get('a')).toBe('A'); // a is now the most recent
    c.set('c', 'C', 40); // 120 > 100: b goes
    expect(c.get('b')).toBeUndefined();
    expect(c.get('a')).toBe('A');
    expect(c.get('c')).toBe('C');
    expect(c.bytes).toBe(80);
    expect(c.get('a')).toBe('A'); // order now: c, a
    c.grow('a', 30); // 110: the least recent (c) goes
    expect(c.get('c')).toBeUndefined();
    expect(c.bytes).toBe(70);
    c.set('huge', 'H', 101); // larger than the budget: not kept, nothing evicted
    expect(c.get('huge')).toBeUndefined();
    expect(c.get('a')).toBe('A');
    c.set('a', 'A2', 10); // replacing re-weighs
    expect(c.bytes).toBe(10);
    expect(c.get('a')).toBe('A2');
  });

  it('keeps nothing with a zero budget', () => {
    const c = new ByteLru<number>(0);
    c.set('x', 1, 1);
    expect(c.get('x')).toBeUndefined();
    expect(c.size).toBe(0);
  });
});

describe('the read cache is per FileIO', () => {
  it('a table opened on another Catalog reads a manifest and a footer damaged since, and fails naming it', async () => {
    using d = tempDir();
    const t = await (await Catalog.open(d.path)).createTable('db.t', {
      columns: { k: 'BIGINT', v: 'STRING' },
      primaryKey: ['k'],
      options: { bucket: 1 },
    });
    await t.upsert([{ k: 1n, v: 'a' }]);
    expect(await t.get([{ k: 1n }])).toHaveLength(1); // footers and manifests now cached
    const s = (await t.latestSnapshot())!;
    const manifest = (await t.manifests.readManifestList(s.deltaManifestList))[0].fileName;
    const path = t.manifests.path(manifest);
    writeFileSync(path, Buffer.alloc(readFileSync(path).length, 7));
    const fresh = await (await Catalog.open(d.path)).getTable('db.t');
    await expect(fresh.toArray()).rejects.toMatchObject({
      code: 'CORRUPT_FILE',
      message: expect.stringContaining(manifest),
    });
  });
});
