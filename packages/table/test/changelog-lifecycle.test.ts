/**
 * Changelog that outlives snapshots (`changelog.num-retained.*`, `changelog.time-retained`):
 * snapshot expiry keeps `changelog/changelog-N` and what it needs, change feeds read across it,
 * changelog expiry frees it, orphan cleanup leaves it alone — against an in-memory model of every
 * snapshot's changes and rows.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeSnapshot } from '../src/format/snapshot.ts';
import { Catalog, type ChangeEvent, EddyError, type Table } from '../src/index.ts';
import { tempDir } from './helpers.ts';

const options = (producer: string) => ({
  bucket: 1,
  'changelog-producer': producer,
  'num-sorted-run.compaction-trigger': 3,
  'snapshot.num-retained.min': 1,
  'snapshot.time-retained': '1 ms',
  'changelog.num-retained.min': 4,
  'changelog.num-retained.max': 4,
  'changelog.time-retained': '1 ms',
});

async function create(dir: string, producer: string): Promise<Table> {
  return (await Catalog.open(dir)).createTable('db.t', {
    columns: { k: 'INT', v: 'STRING' },
    primaryKey: ['k'],
    options: options(producer),
  });
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

const events = (ev: ChangeEvent[]) => ev.map((e) => `${e.snapshotId} ${e.kind} ${JSON.stringify(e.row)}`);
const rows = (r: Record<string, unknown>[]) => r.map((x) => JSON.stringify(x)).sort();
const ls = (dir: string) => (existsSync(dir) ? readdirSync(dir).sort() : []);

describe('long-lived changelog', () => {
  it('expiry writes changelog-N for each expired snapshot and keeps what it needs; feeds read across it', async () => {
    using d = tempDir();
    const t = await create(d.path, 'none');
    for (let i = 1; i <= 6; i++) await t.upsert([{ k: i % 3, v: `v${i}` }]);
    const latest = (await t.snapshots.latestSnapshotId())!;
    const before = events(await collect(t.changesBetween(0, latest)));
    const snapshotJson = readFileSync(t.snapshots.snapshotPath(2), 'utf8');

    const r = await t.expireSnapshots();
    expect(r.expired.length).toBe(latest - 1);
    expect(r.changelogsKept).toEqual(r.expired);
    expect(ls(path.join(t.path, 'snapshot'))).toEqual(['EARLIEST', 'LATEST', `snapshot-${latest}`]);
    // changelog.num-retained.min = 4 counts back from the latest snapshot: older changelogs go at once.
    const kept = ls(path.join(t.path, 'changelog')).filter((f) => f.startsWith('changelog-'));
    expect(kept).toEqual(Array.from({ length: 3 }, (_, i) => `changelog-${latest - 3 + i}`).sort());
    expect(r.expiredChangelogs).toEqual(Array.from({ length: latest - 4 }, (_, i) => i + 1));
    expect(readFileSync(path.join(t.path, 'changelog', 'LATEST'), 'utf8')).toBe(String(latest - 1));
    // A changelog file is the snapshot's JSON.
    if (existsSync(path.join(t.path, 'changelog', 'changelog-2')))
      expect(decodeSnapshot(readFileSync(path.join(t.path, 'changelog', 'changelog-2'), 'utf8'), 'c')).toEqual(
        decodeSnapshot(snapshotJson, 's'),
      );

    // The feed still reads the changes of the retained changelogs, then the snapshot.
    const from = latest - 3;
    expect(events(await collect(t.changesBetween(from - 1, latest)))).toEqual(
      before.filter((l) => Number(l.split(' ')[0]) >= from),
    );
    expect(
      events(await collect(t.changes({ scanMode: 'from-snapshot', snapshotId: from, endSnapshotId: latest }))),
    ).toEqual(before.filter((l) => Number(l.split(' ')[0]) >= from));
    // Starting before the earliest changelog is SNAPSHOT_EXPIRED, as before.
    const e = await collect(t.changesBetween(0, latest)).catch((x) => x);
    expect(e).toBeInstanceOf(EddyError);
    expect(e.code).toBe('SNAPSHOT_EXPIRED');

    // Orphan cleanup keeps what the changelogs need, and does not refuse.
    const orphans = await t.removeOrphanFiles({ olderThanMs: 0, now: Date.now() + 60_000 });
    expect(orphans.orphans).toEqual([]);
    expect(events(await collect(t.changesBetween(from - 1, latest)))).toEqual(
      before.filter((l) => Number(l.split(' ')[0]) >= from),
    );
  });

  it('a changelog left from a longer retention, then a gap: the feed fails with SNAPSHOT_EXPIRED, not a hang', async () => {
    using d = tempDir();
    const t = await (await Catalog.open(d.path)).createTable('db.t', {
      columns: { k: 'INT', v: 'STRING' },
      primaryKey: ['k'],
      options: { ...options('none'), 'write-only': true },
    });
    for (let i = 1; i <= 3; i++) await t.upsert([{ k: i, v: 'x' }]);
    await t.expireSnapshots({ retainMin: 2, changelogRetainMin: 3, changelogRetainMax: 3 });
    expect(ls(path.join(t.path, 'changelog'))).toContain('changelog-1');
    for (let i = 4; i <= 5; i++) await t.upsert([{ k: i, v: 'x' }]);
    // Not decoupled any more for this run: snapshots 2..3 go without a changelog.
    await t.expireSnapshots({ retainMin: 2, changelogRetainMin: 2, changelogRetainMax: 2 });
    expect(await t.snapshots.earliestSnapshotId()).toBe(4);
    const e = await Promise.race([
      collect(t.changesBetween(0, 5)).catch((x) => x),
      new Promise((r) => setTimeout(() => r('hung'), 5000)),
    ]);
    expect(e).toBeInstanceOf(EddyError);
    expect((e as EddyError).code).toBe('SNAPSHOT_EXPIRED');
  });

  it('without decoupled retention, expiry keeps no changelog (and reads stop at the earliest snapshot)', async () => {
    using d = tempDir();
    const t = (await Catalog.open(d.path)).createTable('db.t', {
      columns: { k: 'INT', v: 'STRING' },
      primaryKey: ['k'],
      options: { bucket: 1, 'snapshot.num-retained.min': 1, 'snapshot.time-retained': '1 ms' },
    });
    const table = await t;
    for (let i = 1; i <= 3; i++) await table.upsert([{ k: i, v: 'x' }]);
    const r = await table.expireSnapshots();
    expect(r.changelogsKept).toEqual([]);
    expect(ls(path.join(table.path, 'changelog'))).toEqual([]);
  });
});

type Op =
  | { t: 'upsert'; keys: number[]; tag: number }
  | { t: 'delete'; keys: number[] }
  | { t: 'compact' }
  | { t: 'expire'; retainMin: number; changelogMin: number }
  | { t: 'orphans' };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      t: fc.constant('upsert' as const),
      keys: fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 4 }),
      tag: fc.nat(99),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      t: fc.constant('delete' as const),
      keys: fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 2 }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ t: 'compact' as const }) },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('expire' as const),
      retainMin: fc.integer({ min: 1, max: 3 }),
      changelogMin: fc.integer({ min: 1, max: 6 }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ t: 'orphans' as const }) },
);

describe('long-lived changelog against a model', () => {
  for (const producer of ['none', 'input']) {
    it(`changelog-producer ${producer}: every readable snapshot's changes and every retained snapshot's rows stay as committed`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(op, { minLength: 3, maxLength: 12 }), async (ops) => {
          using d = tempDir();
          const t = await create(d.path, producer);
          const changes = new Map<number, string[]>();
          const states = new Map<number, string[]>();
          const record = async () => {
            const latest = (await t.snapshots.latestSnapshotId())!;
            for (let id = 1; id <= latest; id++) {
              if (changes.has(id)) continue;
              changes.set(id, events(await collect(t.changesBetween(id - 1, id))));
              states.set(id, rows(await t.toArray({ snapshotId: id })));
            }
          };
          for (const o of ops) {
            if (o.t === 'upsert') await t.upsert(o.keys.map((k) => ({ k, v: `v${o.tag}` })));
            else if (o.t === 'delete') await t.delete(o.keys.map((k) => ({ k })));
            else if (o.t === 'compact') await t.compact({ full: true });
            else if (o.t === 'expire')
              // Always decoupled (changelog retention above the snapshot one).
              await t.expireSnapshots({
                retainMin: o.retainMin,
                timeRetainedMs: 0,
                changelogRetainMin: o.retainMin + o.changelogMin,
                changelogRetainMax: o.retainMin + o.changelogMin,
                changelogTimeRetainedMs: 0,
              });
            else await t.removeOrphanFiles({ olderThanMs: 0, now: Date.now() + 60_000 });
            if (o.t === 'expire') {
              // Expiry leaves nothing behind: no file is unreferenced afterwards.
              const left = await t.removeOrphanFiles({ olderThanMs: 0, now: Date.now() + 60_000, dryRun: true });
              expect(left.orphans).toEqual([]);
            }
            if (o.t === 'upsert' || o.t === 'delete' || o.t === 'compact') await record();
            // Invariants: every snapshot still there scans as committed; every snapshot or
            // changelog from the earliest readable one on yields the changes it yielded then.
            const latest = await t.snapshots.latestSnapshotId();
            if (latest === undefined) continue;
            const earliest = (await t.snapshots.earliestSnapshotId())!;
            for (let id = earliest; id <= latest; id++)
              expect(rows(await t.toArray({ snapshotId: id })), `snapshot ${id}`).toEqual(states.get(id));
            const changelogIds = ls(path.join(t.path, 'changelog'))
              .filter((f) => f.startsWith('changelog-'))
              .map((f) => Number(f.slice('changelog-'.length)))
              .sort((a, b) => a - b);
            const from = changelogIds.length ? changelogIds[0] : earliest;
            // Changelogs are contiguous up to the earliest snapshot.
            expect(changelogIds).toEqual(Array.from({ length: changelogIds.length }, (_, i) => from + i));
            if (changelogIds.length) expect(changelogIds[changelogIds.length - 1]).toBe(earliest - 1);
            const all = await collect(t.changesBetween(from - 1, latest));
            const expected: string[] = [];
            for (let id = from; id <= latest; id++) expected.push(...changes.get(id)!);
            expect(events(all)).toEqual(expected);
          }
        }),
        { numRuns: 4 },
      );
    });
  }
});
