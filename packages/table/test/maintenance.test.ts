import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FileKind } from '../src/format/manifest.ts';
import { Catalog, type FileIO, LocalFileIO, type Table } from '../src/index.ts';
import { baseName, metadataOf, readTags } from '../src/maintenance/references.ts';
import { tempDir } from './helpers.ts';

const SCHEMA = {
  columns: { k: 'INT', v: 'STRING' },
  primaryKey: ['k'],
  options: { bucket: 2, 'num-sorted-run.compaction-trigger': 2 },
};

const sorted = (rows: Record<string, unknown>[]) => [...rows].sort((a, b) => Number(a.k) - Number(b.k));

async function scanAll(table: Table): Promise<Map<number, Record<string, unknown>[]>> {
  const out = new Map<number, Record<string, unknown>[]>();
  for (const id of await table.snapshots.listSnapshotIds()) {
    out.set(id, sorted(await table.toArray({ snapshotId: id })));
  }
  return out;
}

/** Commits `n` upserts (each with a few overlapping keys); the writer compacts now and then. */
async function commits(table: Table, n: number, from = 0, gapMs = 0): Promise<void> {
  for (let i = from; i < from + n; i++) {
    await table.upsert([
      { k: i % 7, v: `v${i}` },
      { k: (i * 3) % 11, v: `w${i}` },
    ]);
    if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
  }
}

/** Paths of every file a remaining snapshot or tag references (data, changelog, metadata). */
async function referencedFiles(table: Table): Promise<Set<string>> {
  const paths = table.paths;
  const out = new Set<string>();
  const cache = new Map<string, string[]>();
  const snaps = [];
  for (const id of await table.snapshots.listSnapshotIds()) snaps.push(await table.snapshots.snapshot(id));
  for (const t of await readTags(table)) snaps.push(t.snapshot);
  for (const s of snaps) {
    const m = await metadataOf(table, s, paths, cache);
    for (const f of m.manifestDirFiles) out.add(table.manifests.path(f));
    for (const f of m.indexFiles) out.add(f);
    const live = await table.manifests.liveEntries(s);
    const changelog = s.changelogManifestList ? await table.manifests.entriesOfList(s.changelogManifestList) : [];
    for (const e of [...live, ...changelog]) if (e.kind === FileKind.ADD) for (const p of paths.filesOf(e)) out.add(p);
  }
  return out;
}

async function expectRetainedIntact(table: Table, before: Map<number, Record<string, unknown>[]>): Promise<void> {
  const ids = await table.snapshots.listSnapshotIds();
  for (const id of ids)
    expect(sorted(await table.toArray({ snapshotId: id })), `snapshot ${id}`).toEqual(before.get(id));
  for (const p of await referencedFiles(table)) expect(existsSync(p), p).toBe(true);
}

const earliestHint = (table: Table) => Number(readFileSync(path.join(table.path, 'snapshot', 'EARLIEST'), 'utf8'));

describe('snapshot expiry', () => {
  it('keeps num-retained.min, deletes snapshot files, moves EARLIEST and frees only unreferenced files', async () => {
    using d = tempDir();
    const table = await (await Catalog.open(d.path)).createTable('db.t', SCHEMA);
    await commits(table, 12);
    const before = await scanAll(table);
    const latest = (await table.snapshots.latestSnapshotId()) as number;
    expect(latest).toBeGreaterThan(12); // writer compactions add COMPACT snapshots

    const r = await table.expireSnapshots({ retainMin: 3, timeRetainedMs: 0, expireLimit: 1000 });
    expect(await table.snapshots.listSnapshotIds()).toEqual([latest - 2, latest - 1, latest]);
    expect(r.expired).toEqual(Array.from({ length: latest - 3 }, (_, i) => i + 1));
    expect(r.earliestSnapshotId).toBe(latest - 2);
    expect(earliestHint(table)).toBe(latest - 2);
    expect(await table.snapshots.earliestSnapshotId()).toBe(latest - 2);
    expect(r.deletedDataFiles).toBeGreaterThan(0);
    expect(r.deletedMetadataFiles).toBeGreaterThan(0);
    await expectRetainedIntact(table, before);
    const referenced = await referencedFiles(table);
    for (const f of r.files) {
      expect(referenced.has(f), f).toBe(false);
      expect(existsSync(f), f).toBe(false);
    }
    // The files of the retained snapshots are all that is left in the bucket directories.
    const onDisk = new Set<string>();
    for (const b of ['bucket-0', 'bucket-1']) {
      for (const n of readdirSync(path.join(table.path, b))) onDisk.add(path.join(table.path, b, n));
    }
    for (const f of onDisk) expect(referenced.has(f), f).toBe(true);
    expect((await table.listSnapshots()).map((s) => s.id)).toEqual([latest - 2, latest - 1, latest]);
  });

  it('reads the rules from the table options (min, max, time, limit)', async () => {
    using d = tempDir();
    const table = await (await Catalog.open(d.path)).createTable('db.t', {
      ...SCHEMA,
      options: {
        ...SCHEMA.options,
        'write-only': 'true',
        'snapshot.num-retained.min': '2',
        'snapshot.num-retained.max': '5',
        'snapshot.time-retained': '1 h',
        'snapshot.expire.limit': '3',
      },
    });
    await commits(table, 10);
    const before = await scanAll(table);
    // All snapshots are younger than 1 h: only num-retained.max (5) expires some, 3 per run.
    let r = await table.expireSnapshots();
    expect(r.expired).toEqual([1, 2, 3]);
    r = await table.expireSnapshots();
    expect(r.expired).toEqual([4, 5]);
    r = await table.expireSnapshots();
    expect(r.expired).toEqual([]);
    expect(await table.snapshots.listSnapshotIds()).toEqual([6, 7, 8, 9, 10]);
    // An hour later, time no longer protects them: down to num-retained.min.
    r = await table.expireSnapshots({ now: Date.now() + 3_600_001, expireLimit: 50 });
    expect(r.expired).toEqual([6, 7, 8]);
    await expectRetainedIntact(table, before);
  });

  it('stops at the first snapshot younger than snapshot.time-retained', async () => {
    using d = tempDir();
    const table = await (await Catalog.open(d.path)).createTable('db.t', {
      ...SCHEMA,
      options: { ...SCHEMA.options, 'write-only': 'true' },
    });
    await commits(table, 8, 0, 3);
    const s5 = await table.snapshots.snapshot(5);
    const r = await table.expireSnapshots({ retainMin: 1, timeRetainedMs: 60_000, now: s5.timeMillis + 60_000 });
    expect(r.expired).toEqual([1, 2, 3, 4]);
  });

  it('never expires what a consumer still needs, unless the consumer itself expired', async () => {
    using d = tempDir();
    const table = await (await Catalog.open(d.path)).createTable('db.t', SCHEMA);
    await commits(table, 10);
    const before = await scanAll(table);
    mkdirSync(path.join(table.path, 'consumer'), { recursive: true });
    const consumer = path.join(table.path, 'consumer', 'consumer-tail');
    writeFileSync(consumer, JSON.stringify({ nextSnapshot: 4 }));
    let r = await table.expireSnapshots({ retainMin: 1, timeRetainedMs: 0 });
    expect(r.expired).toEqual([1, 2, 3]);
    expect(await table.snapshots.earliestSnapshotId()).toBe(4);
    await expectRetainedIntact(table, before);

    // A consumer not updated for longer than consumer.expiration-time no longer protects anything.
    const old = new Date(Date.now() - 2 * 3_600_000);
    utimesSync(consumer, old, old);
    r = await table.expireSnapshots({ retainMin: 1, timeRetainedMs: 0, consumerExpirationTimeMs: 3_600_000 });
    expect(r.expiredConsumers).toEqual(['tail']);
    expect(existsSync(consumer)).toBe(false);
    const latest = (await table.snapshots.latestSnapshotId()) as number;
    expect(await table.snapshots.listSnapshotIds()).toEqual([latest]);
    await expectRetainedIntact(table, before);
  });

  it('keeps the files of tagged snapshots', async () => {
    using d = tempDir();
    const table = await (await Catalog.open(d.path)).createTable('db.t', SCHEMA);
    await commits(table, 4);
    const tagged = (await table.snapshots.latestSnapshotId()) as number;
    const taggedRows = sorted(await table.toArray({ snapshotId: tagged }));
    mkdirSync(path.join(table.path, 'tag'), { recursive: true });
    copyFileSync(table.snapshots.snapshotPath(tagged), path.join(table.path, 'tag', 'tag-v1'));
    await commits(table, 10, 4);
    await table.compact({ full: true });
    // The full compaction rewrote every file the tag uses: only the tag keeps them alive.
    const latestFiles = new Set(
      (await table.manifests.liveEntries((await table.latestSnapshot())!)).map((e) => e.file.fileName),
    );
    const tagFiles = (await table.manifests.liveEntries(await table.snapshots.snapshot(tagged))).map(
      (e) => e.file.fileName,
    );
    expect(tagFiles.filter((f) => latestFiles.has(f))).toEqual([]);
    const r = await table.expireSnapshots({ retainMin: 1, timeRetainedMs: 0, expireLimit: 1000 });
    expect(r.expired).toContain(tagged);
    expect(r.deletedDataFiles).toBeGreaterThan(0);
    // Everything the tag references is still there, and reads back as the tagged snapshot did.
    await expectRetainedIntact(table, await scanAll(table));
    const tag = (await readTags(table))[0].snapshot;
    const plan = await table.newScanPlanner().liveEntries(tag);
    expect(plan.length).toBeGreaterThan(0);
    // Re-publish the tag as a snapshot id of its own in a copy of the table to scan it.
    using d2 = tempDir();
    const copy = await (await Catalog.open(d2.path)).createTable('db.t', SCHEMA);
    copyTableFiles(table.path, copy.path);
    writeFileSync(
      path.join(copy.path, 'snapshot', `snapshot-${tag.id}`),
      readFileSync(path.join(table.path, 'tag', 'tag-v1')),
    );
    expect(sorted(await copy.toArray({ snapshotId: tag.id }))).toEqual(taggedRows);
  });

  it('deletes snapshot files first (oldest first), then EARLIEST, then data files, then metadata', async () => {
    using d = tempDir();
    const log: string[] = [];
    const local = new LocalFileIO();
    const io: FileIO = new Proxy(local, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver);
        if (prop === 'delete' || prop === 'write') {
          return (p: string, ...rest: unknown[]) => {
            log.push(`${String(prop)} ${p}`);
            return (v as (...a: unknown[]) => unknown).call(target, p, ...rest);
          };
        }
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const table = await (await Catalog.open(d.path, { fileIO: io })).createTable('db.t', SCHEMA);
    await commits(table, 8);
    log.length = 0;
    const r = await table.expireSnapshots({ retainMin: 2, timeRetainedMs: 0 });
    expect(r.expired.length).toBeGreaterThan(3);
    const kind = (line: string) => {
      const p = line.slice(line.indexOf(' ') + 1);
      const rel = p.slice(table.path.length + 1);
      if (line.startsWith('write') && rel === 'snapshot/EARLIEST') return 1;
      if (rel.startsWith('snapshot/')) return 0;
      if (rel.startsWith('bucket-')) return 2;
      if (rel.startsWith('manifest/')) return 3;
      return 9;
    };
    const kinds = log.map(kind);
    expect(kinds).not.toContain(9);
    expect([...kinds].sort((a, b) => a - b)).toEqual(kinds);
    const snapDeletes = log.filter((l) => kind(l) === 0).map((l) => Number(l.slice(l.lastIndexOf('-') + 1)));
    expect(snapDeletes).toEqual(r.expired);
  });

  it('deletes the changelog files of expired snapshots only', async () => {
    using d = tempDir();
    const table = await (await Catalog.open(d.path)).createTable('db.t', {
      ...SCHEMA,
      options: { ...SCHEMA.options, 'changelog-producer': 'input' },
    });
    await commits(table, 6);
    const before = await scanAll(table);
    const r = await table.expireSnapshots({ retainMin: 2, timeRetainedMs: 0 });
    expect(r.deletedChangelogFiles).toBeGreaterThan(0);
    const changelogs = r.files.filter((f) => baseName(f).startsWith('changelog-'));
    expect(changelogs).toHaveLength(r.deletedChangelogFiles);
    for (const f of changelogs) expect(existsSync(f)).toBe(false);
    await expectRetainedIntact(table, before); // includes the retained snapshots' changelog files
  });

  it('can defer the file deletion and finish it later', async () => {
    using d = tempDir();
    const table = await (await Catalog.open(d.path)).createTable('db.t', SCHEMA);
    await commits(table, 8);
    const before = await scanAll(table);
    const r = await table.expireSnapshots({ retainMin: 2, timeRetainedMs: 0, deferFileDeletion: true });
    expect(r.pendingFiles.length).toBeGreaterThan(0);
    for (const f of r.pendingFiles) expect(existsSync(f)).toBe(true);
    for (const id of r.expired) expect(existsSync(table.snapshots.snapshotPath(id))).toBe(false);
    await table.deleteExpiredFiles(r.pendingFiles);
    for (const f of r.pendingFiles) expect(existsSync(f)).toBe(false);
    await expectRetainedIntact(table, before);
  });

  it('does nothing on an empty table and writes a missing EARLIEST hint', async () => {
    using d = tempDir();
    const table = await (await Catalog.open(d.path)).createTable('db.t', SCHEMA);
    expect((await table.expireSnapshots()).expired).toEqual([]);
    await commits(table, 2);
    const hint = path.join(table.path, 'snapshot', 'EARLIEST');
    const fs = await import('node:fs');
    fs.rmSync(hint);
    expect((await table.expireSnapshots()).expired).toEqual([]);
    expect(readFileSync(hint, 'utf8')).toBe('1');
  });

  // A's FileIO runs a whole expiry B the moment A first reads a file `trigger` matches: B deletes
  // what A planned with (a manifest), or a snapshot A saw exist before reading it.
  it.each([
    ['its inputs (a manifest)', (p: string) => p.includes('/manifest/')],
    ['a snapshot between exists and read', (p: string) => /\/snapshot\/snapshot-\d+$/.test(p)],
  ])(
    'two expiries racing: the one that loses %s to the other expires nothing and fails nothing',
    async (_n, trigger) => {
      using d = tempDir();
      const table = await (await Catalog.open(d.path)).createTable('db.t', SCHEMA);
      await commits(table, 8);
      const before = await scanAll(table);
      let raced = false;
      class RacingFileIO extends LocalFileIO {
        override async read(p: string): Promise<Uint8Array> {
          if (!raced && trigger(p)) {
            raced = true;
            await table.expireSnapshots({ retainMin: 2, timeRetainedMs: 0 });
          }
          return super.read(p);
        }
      }
      const a = await (await Catalog.open(d.path, { fileIO: new RacingFileIO() })).getTable('db.t');
      const r = await a.expireSnapshots({ retainMin: 2, timeRetainedMs: 0 });
      expect(raced).toBe(true);
      expect(r.expired).toEqual([]);
      expect(await table.snapshots.listSnapshotIds()).toHaveLength(2);
      await expectRetainedIntact(table, before);
    },
  );

  it('refuses with CORRUPT_FILE, deleting nothing, when a retained snapshot names a missing file', async () => {
    using d = tempDir();
    const table = await (await Catalog.open(d.path)).createTable('db.t', SCHEMA);
    await commits(table, 4);
    const latest = await table.latestSnapshot();
    const lost = table.manifests.path(latest!.deltaManifestList);
    (await import('node:fs')).rmSync(lost);
    const ids = await table.snapshots.listSnapshotIds();
    const fresh = await (await Catalog.open(d.path)).getTable('db.t'); // no cached manifests
    await expect(fresh.expireSnapshots({ retainMin: 1, timeRetainedMs: 0 })).rejects.toMatchObject({
      code: 'CORRUPT_FILE',
      message: expect.stringContaining(path.basename(lost)),
    });
    expect(await table.snapshots.listSnapshotIds()).toEqual(ids);
  });

  it('validates the options', async () => {
    using d = tempDir();
    const c = await Catalog.open(d.path);
    await expect(
      c.createTable('db.x', {
        ...SCHEMA,
        options: { 'snapshot.num-retained.min': '5', 'snapshot.num-retained.max': '2' },
      }),
    ).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    await expect(
      c.createTable('db.y', { ...SCHEMA, options: { 'snapshot.time-retained': 'soon' } }),
    ).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    const t = await c.createTable('db.z', {
      ...SCHEMA,
      options: { 'snapshot.time-retained': '2 days', 'consumer.expiration-time': '30min' },
    });
    expect(t.schema.options.snapshotTimeRetainedMs).toBe(2 * 86_400_000);
    expect(t.schema.options.consumerExpirationTimeMs).toBe(30 * 60_000);
    expect(t.schema.options.snapshotNumRetainedMax).toBe(2147483647);
  });
});

/** Copies a table directory tree (for scanning a tag through a snapshot file of its own). */
function copyTableFiles(from: string, to: string): void {
  for (const e of readdirSync(from, { withFileTypes: true })) {
    const src = path.join(from, e.name);
    const dst = path.join(to, e.name);
    if (e.isDirectory()) {
      mkdirSync(dst, { recursive: true });
      copyTableFiles(src, dst);
    } else if (!existsSync(dst)) copyFileSync(src, dst);
  }
}

describe('orphan-file cleanup', () => {
  const age = (p: string, ms: number) => {
    const t = new Date(Date.now() - ms);
    utimesSync(p, t, t);
  };

  it('removes stray uncommitted data files and manifests, never referenced ones', async () => {
    using d = tempDir();
    const table = await (await Catalog.open(d.path)).createTable('db.t', {
      ...SCHEMA,
      options: { ...SCHEMA.options, 'changelog-producer': 'input' },
    });
    await commits(table, 6);
    // An uncommitted writer: its flushed files are on disk but in no snapshot.
    const w = table.newWriter();
    await w.write([{ k: 100, v: 'never committed' }]);
    await w.flush();
    w.close();
    const stray = path.join(table.path, 'manifest', 'manifest-00000000-0000-0000-0000-000000000000-0');
    writeFileSync(stray, 'not a manifest');
    const tmp = path.join(table.path, 'snapshot', '.snapshot-99.abc.tmp');
    writeFileSync(tmp, '{}');
    const before = await scanAll(table);
    const referenced = await referencedFiles(table);
    const all: string[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else all.push(p);
      }
    };
    walk(table.path);
    // Young files are never touched.
    expect((await table.removeOrphanFiles()).orphans).toEqual([]);
    for (const p of all) age(p, 2 * 86_400_000);

    const dry = await table.removeOrphanFiles({ dryRun: true });
    expect(dry.dryRun).toBe(true);
    expect(dry.orphans).toContain(stray);
    expect(dry.orphans).toContain(tmp);
    const strayData = dry.orphans.filter((p) => baseName(p).startsWith('data-'));
    expect(strayData.length).toBeGreaterThan(0);
    for (const p of dry.orphans) {
      expect(referenced.has(p), p).toBe(false);
      expect(existsSync(p)).toBe(true);
    }
    const real = await table.removeOrphanFiles();
    expect(real.orphans.sort()).toEqual(dry.orphans.sort());
    for (const p of real.orphans) expect(existsSync(p)).toBe(false);
    await expectRetainedIntact(table, before);
    // Every remaining file in a bucket or manifest directory is referenced.
    for (const p of all.filter((x) => existsSync(x))) {
      const rel = p.slice(table.path.length + 1);
      if (rel.startsWith('bucket-') || rel.startsWith('manifest/')) expect(referenced.has(p), p).toBe(true);
    }
    expect((await table.removeOrphanFiles({ olderThanMs: 0 })).orphans).toEqual([]);
    // Branches share data files and Eddy can't read their metadata: refuse rather than guess.
    mkdirSync(path.join(table.path, 'branch', 'branch-b1'), { recursive: true });
    await expect(table.removeOrphanFiles({ olderThanMs: 0 })).rejects.toMatchObject({ code: 'UNSUPPORTED' });
  });

  it('after expiry, with no grace, keeps every retained snapshot readable', async () => {
    using d = tempDir();
    const table = await (await Catalog.open(d.path)).createTable('db.t', SCHEMA);
    await commits(table, 10);
    const r = await table.expireSnapshots({ retainMin: 3, timeRetainedMs: 0, deferFileDeletion: true });
    const before = await scanAll(table);
    // The deferred files are unreferenced now: orphan cleanup finds exactly those (no grace).
    const o = await table.removeOrphanFiles({ olderThanMs: 0, now: Date.now() + 1000 });
    expect(o.orphans.sort()).toEqual([...r.pendingFiles].sort());
    await expectRetainedIntact(table, before);
  });
});

describe('expiry property', () => {
  type Op =
    | { t: 'upsert'; keys: number[] }
    | { t: 'delete'; keys: number[] }
    | { t: 'compact'; full: boolean }
    | { t: 'expire'; min: number; max: number; limit: number }
    | { t: 'tag' }
    | { t: 'orphans' };
  const keys = fc.array(fc.integer({ min: 0, max: 15 }), { minLength: 1, maxLength: 6 });
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 6, arbitrary: fc.record({ t: fc.constant('upsert' as const), keys }) },
    { weight: 2, arbitrary: fc.record({ t: fc.constant('delete' as const), keys }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('compact' as const), full: fc.boolean() }) },
    {
      weight: 3,
      arbitrary: fc.record({
        t: fc.constant('expire' as const),
        min: fc.integer({ min: 1, max: 4 }),
        max: fc.integer({ min: 4, max: 8 }),
        limit: fc.integer({ min: 1, max: 6 }),
      }),
    },
    { weight: 1, arbitrary: fc.constant({ t: 'tag' as const }) },
    { weight: 1, arbitrary: fc.constant({ t: 'orphans' as const }) },
  );

  it('retained snapshots scan unchanged through random upserts, compactions and expiries', async () => {
    const totals = { expired: 0, dataFiles: 0, orphans: 0 };
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 5, maxLength: 30 }), async (ops) => {
        using d = tempDir();
        const table = await (await Catalog.open(d.path)).createTable('db.t', {
          columns: { k: 'INT', v: 'STRING' },
          primaryKey: ['k'],
          options: { bucket: 2, 'num-sorted-run.compaction-trigger': 3 },
        });
        const seen = new Map<number, Record<string, unknown>[]>();
        let n = 0;
        let tags = 0;
        const record = async () => {
          const latest = (await table.snapshots.latestSnapshotId()) ?? 0;
          for (let id = latest; id > 0 && !seen.has(id); id--) {
            seen.set(id, sorted(await table.toArray({ snapshotId: id })));
          }
        };
        for (const o of ops) {
          if (o.t === 'upsert') await table.upsert(o.keys.map((k) => ({ k, v: `v${n++}` })));
          else if (o.t === 'delete') await table.delete(o.keys.map((k) => ({ k })));
          else if (o.t === 'compact') await table.compact({ full: o.full });
          else if (o.t === 'tag') {
            const latest = await table.snapshots.latestSnapshotId();
            if (latest !== undefined) {
              mkdirSync(path.join(table.path, 'tag'), { recursive: true });
              copyFileSync(table.snapshots.snapshotPath(latest), path.join(table.path, 'tag', `tag-t${tags++}`));
            }
          } else if (o.t === 'orphans') {
            totals.orphans += (
              await table.removeOrphanFiles({ olderThanMs: 0, now: Date.now() + 1000 })
            ).orphans.length;
          } else {
            const r = await table.expireSnapshots({
              retainMin: o.min,
              retainMax: o.max,
              expireLimit: o.limit,
              timeRetainedMs: 0,
            });
            totals.expired += r.expired.length;
            totals.dataFiles += r.deletedDataFiles;
            const ids = await table.snapshots.listSnapshotIds();
            if (ids.length > 0) expect(earliestHint(table)).toBe(ids[0]);
            expect(ids.length).toBeGreaterThanOrEqual(Math.min(o.min, ids.length + r.expired.length));
          }
          await record();
          const remaining = await table.snapshots.listSnapshotIds();
          for (const id of remaining) {
            expect(sorted(await table.toArray({ snapshotId: id })), `snapshot ${id}`).toEqual(seen.get(id));
          }
          for (const p of await referencedFiles(table)) expect(existsSync(p), p).toBe(true);
        }
      }),
      { seed: 20261125, numRuns: 8 },
    );
    // The runs did exercise expiry of snapshots and of the data files only they used (seeded: 17 and more than 5).
    expect(totals.expired).toBeGreaterThan(12);
    expect(totals.dataFiles).toBeGreaterThan(5);
  });
});
