import { readFileSync, writeFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Catalog } from '../src/index.ts';
import { ByteLru, readCache, readCacheKey } from '../src/io/read-cache.ts';
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

  it('evicts low-priority entries first while high-priority ones stay within their share', () => {
    const c = new ByteLru<string>(100, 0.5);
    c.set('i1', 'I1', 30, 'high');
    c.set('p1', 'P1', 30);
    c.set('p2', 'P2', 30);
    c.set('p3', 'P3', 30); // 120: the oldest low entry goes, not the older index
    expect(c.get('p1')).toBeUndefined();
    expect(c.get('i1')).toBe('I1');
    c.set('i2', 'I2', 30, 'high'); // 120, high 60 > 50: the least recent high entry goes
    expect(c.get('i1')).toBeUndefined();
    expect([c.get('p2'), c.get('p3'), c.get('i2')]).toEqual(['P2', 'P3', 'I2']);
    expect(c.bytes).toBe(90);
    c.set('i2', 'I2', 10); // re-set as low priority: re-weighed, no longer high
    c.set('big', 'B', 80); // 150: low entries go, oldest first, until within the budget
    expect(c.bytes).toBeLessThanOrEqual(100);
    expect(c.get('big')).toBe('B');
  });

  it('never exceeds its budget, and finds what a model of it holds (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            op: fc.constantFrom('set', 'get', 'grow'),
            key: fc.integer({ min: 0, max: 8 }),
            bytes: fc.integer({ min: 0, max: 60 }),
            high: fc.boolean(),
          }),
          { maxLength: 60 },
        ),
        (ops) => {
          const budget = 100;
          const c = new ByteLru<number>(budget, 0.25);
          // The model: entries in recency order per priority, evicting as the class documents.
          const model = { low: new Map<string, number>(), high: new Map<string, number>() };
          const used = () => [...model.low.values(), ...model.high.values()].reduce((a, b) => a + b, 0);
          const highUsed = () => [...model.high.values()].reduce((a, b) => a + b, 0);
          const remove = (k: string) => {
            model.low.delete(k);
            model.high.delete(k);
          };
          const evict = () => {
            while (used() > budget) {
              const fromHigh = model.low.size === 0 || (model.high.size > 0 && highUsed() > budget * 0.25);
              const m = fromHigh ? model.high : model.low;
              const first = m.keys().next();
              if (first.done) return;
              m.delete(first.value);
            }
          };
          ops.forEach(({ op, key, bytes, high }, i) => {
            const k = String(key);
            if (op === 'set') {
              c.set(k, i, bytes, high ? 'high' : 'low');
              remove(k);
              if (bytes <= budget) (high ? model.high : model.low).set(k, bytes);
              evict();
            } else if (op === 'get') {
              const m = model.high.has(k) ? model.high : model.low;
              const held = m.get(k);
              expect(c.get(k) !== undefined).toBe(held !== undefined);
              if (held !== undefined) {
                m.delete(k);
                m.set(k, held);
              }
            } else {
              c.grow(k, bytes);
              const m = model.high.has(k) ? model.high : model.low;
              const held = m.get(k);
              if (held !== undefined) {
                m.set(k, held + bytes);
                if (held + bytes > budget) m.delete(k);
                evict();
              }
            }
            expect(c.bytes).toBe(used());
            expect(c.bytes).toBeLessThanOrEqual(budget);
            expect(c.size).toBe(model.low.size + model.high.size);
          });
        },
      ),
    );
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

describe('files deleted by maintenance leave the read cache', () => {
  // A compactor expiring a stream reads the manifests of every snapshot it expires, then deletes
  // them: kept, they filled the cache to its budget with files never read again (issue 23).
  const cached = (t: { io: object }, files: readonly string[]) =>
    files.filter((f) => readCache().get(readCacheKey(t.io, 'manifest', f)) !== undefined);

  for (const deferred of [false, true]) {
    it(`expiry${deferred ? ' with deferred deletion' : ''} drops the manifests it deleted`, async () => {
      using d = tempDir();
      const t = await (await Catalog.open(d.path)).createTable('db.t', {
        columns: { k: 'BIGINT', v: 'STRING' },
        primaryKey: ['k'],
        options: {
          bucket: 1,
          'snapshot.num-retained.min': '1',
          'snapshot.num-retained.max': '1',
          'snapshot.time-retained': '1 ms',
          'manifest.merge-min-count': '2',
        },
      });
      for (let i = 0; i < 8; i++) await t.upsert([{ k: BigInt(i % 3), v: `v${i}` }]);
      await new Promise((r) => setTimeout(r, 5));
      const r = await t.expireSnapshots({ deferFileDeletion: deferred });
      const manifests = r.files.filter((f) => /\/manifest\/manifest-(?!list)/.test(f));
      expect(r.expired.length).toBeGreaterThan(0);
      expect(manifests.length).toBeGreaterThan(0);
      if (deferred) {
        // The expiry read them (and the writer wrote them): held until they are deleted.
        expect(cached(t, manifests).length).toBeGreaterThan(0);
        await t.deleteExpiredFiles(r.pendingFiles);
      }
      expect(cached(t, manifests)).toEqual([]);
      // What the retained snapshot uses is still read correctly.
      expect((await t.toArray()).map((x) => x.v).sort()).toEqual(['v5', 'v6', 'v7']);
    });
  }
});

describe('a process following a stream keeps only manifests it may read again', () => {
  it('a writer drops the manifests its merges replaced; a feed keeps none of the deltas it read', async () => {
    using d = tempDir();
    const cat = await Catalog.open(d.path);
    const t = await cat.createTable('db.t', {
      columns: { k: 'BIGINT', v: 'STRING' },
      primaryKey: ['k'],
      options: { bucket: 1, 'write-only': 'true', 'manifest.merge-min-count': '3' },
    });
    const feedTable = await (await Catalog.open(d.path)).getTable('db.t');
    const feed = feedTable.changes({ scanMode: 'from-snapshot', snapshotId: 1, endSnapshotId: 12 });
    for (let i = 0; i < 12; i++) await t.upsert([{ k: BigInt(i % 4), v: `v${i}` }]);
    let events = 0;
    for await (const _ of feed) events++;
    expect(events).toBe(12);
    const latest = (await t.latestSnapshot())!;
    const chain = new Set(
      [
        ...(await t.manifests.readManifestList(latest.baseManifestList)),
        ...(await t.manifests.readManifestList(latest.deltaManifestList)),
      ].map((m) => t.manifests.path(m.fileName)),
    );
    const all = new Set<string>();
    for (const id of await t.snapshots.listSnapshotIds()) {
      const s = await t.snapshots.snapshot(id);
      for (const l of [s.baseManifestList, s.deltaManifestList])
        for (const m of await t.manifests.readManifestList(l)) all.add(t.manifests.path(m.fileName));
    }
    const replaced = [...all].filter((p) => !chain.has(p));
    expect(replaced.length).toBeGreaterThan(3); // merges happened
    const cachedBy = (io: object, files: Iterable<string>) =>
      [...files].filter((f) => readCache().get(readCacheKey(io, 'manifest', f)) !== undefined);
    expect(cachedBy(t.io, replaced)).toEqual([]);
    expect(cachedBy(t.io, chain).length).toBeGreaterThan(0); // what the next commit reads stays
    expect(cachedBy(feedTable.io, all)).toEqual([]);
  });
});
