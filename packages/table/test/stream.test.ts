import { rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Catalog, type ChangeEvent, type Table } from '../src/index.ts';
import { tempDir } from './helpers.ts';

async function table(dir: string, options: Record<string, string | number> = {}): Promise<Table> {
  const c = await Catalog.open(dir);
  return c.createTable('db.t', {
    columns: { k: 'INT', v: 'STRING' },
    primaryKey: ['k'],
    options: { bucket: 2, 'write-only': 'true', ...options },
  });
}

async function collect(it: AsyncIterable<ChangeEvent>, max = Number.POSITIVE_INFINITY): Promise<ChangeEvent[]> {
  const out: ChangeEvent[] = [];
  for await (const e of it) {
    out.push(e);
    if (out.length >= max) break;
  }
  return out;
}

const brief = (es: ChangeEvent[]) => es.map((e) => `${e.snapshotId}:${e.kind}${e.row.k}=${e.row.v}`).sort();

describe('change feed', () => {
  it('latest-full delivers the state, then tails new commits until aborted', async () => {
    using d = tempDir();
    const t = await table(d.path);
    await t.upsert([
      { k: 1, v: 'a' },
      { k: 2, v: 'b' },
    ]);
    const ac = new AbortController();
    const seen: ChangeEvent[] = [];
    // The outcome is taken at once (a rejection must not wait unhandled while the test writes).
    const feed = (async () => {
      for await (const e of t.changes({ signal: ac.signal, pollIntervalMs: 10 })) {
        seen.push(e);
        if (seen.length === 5) ac.abort();
      }
    })().then(
      () => 'ended',
      (e: unknown) => e,
    );
    await t.upsert({ k: 1, v: 'a2' });
    await t.delete({ k: 2 });
    await t.upsert({ k: 3, v: 'c' });
    // An aborted feed ends with the signal's AbortError, as fetch and streams do.
    expect(await feed).toMatchObject({ name: 'AbortError' });
    expect(brief(seen)).toEqual(['1:+I1=a', '1:+I2=b', '2:+I1=a2', '3:-D2=null', '4:+I3=c'].sort());
    // In commit order.
    expect(seen.map((e) => e.snapshotId)).toEqual([...seen.map((e) => e.snapshotId)].sort((a, b) => a - b));
  });

  it('an abort stops the feed within one batch, also while it waits for a snapshot', async () => {
    using d = tempDir();
    const t = await table(d.path);
    // Snapshot 1 has one file per bucket (two batches); abort after the first event.
    await t.upsert(Array.from({ length: 200 }, (_, k) => ({ k, v: `v${k}` })));
    const ac = new AbortController();
    const seen: ChangeEvent[] = [];
    const reading = (async () => {
      for await (const e of t.changes({ scanMode: 'from-snapshot', snapshotId: 1, signal: ac.signal })) {
        seen.push(e);
        if (seen.length === 1) ac.abort();
      }
    })();
    await expect(reading).rejects.toMatchObject({ name: 'AbortError' });
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.length).toBeLessThan(200); // the second bucket's batch never came
    // Waiting for the next snapshot with a poll interval of an hour: the abort ends the wait.
    const waiting = new AbortController();
    const tail = (async () => {
      for await (const _ of t.changes({ scanMode: 'latest', pollIntervalMs: 3_600_000, signal: waiting.signal })) {
        // no new snapshots arrive
      }
    })();
    setImmediate(() => waiting.abort(new Error('shutting down')));
    await expect(tail).rejects.toThrow('shutting down'); // the signal's own reason
  });

  it('supports Paimon scan modes and incremental-between', async () => {
    using d = tempDir();
    const t = await table(d.path);
    for (let i = 1; i <= 4; i++) await t.upsert({ k: i, v: `v${i}` });
    const bounded = { endSnapshotId: 4 };
    expect(brief(await collect(t.changes({ ...bounded, scanMode: 'from-snapshot', snapshotId: 3 })))).toEqual([
      '3:+I3=v3',
      '4:+I4=v4',
    ]);
    expect(brief(await collect(t.changes({ ...bounded, scanMode: 'from-snapshot-full', snapshotId: 2 })))).toEqual(
      ['2:+I1=v1', '2:+I2=v2', '3:+I3=v3', '4:+I4=v4'].sort(),
    );
    expect(brief(await collect(t.changesBetween(1, 3)))).toEqual(['2:+I2=v2', '3:+I3=v3']);
    const snaps = await t.listSnapshots();
    expect(
      brief(await collect(t.changes({ ...bounded, scanMode: 'from-timestamp', timestamp: snaps[3].timeMillis }))),
    ).toEqual(['4:+I4=v4']);
    expect(await collect(t.changes({ ...bounded, scanMode: 'latest' }))).toEqual([]);
    await expect(collect(t.changes({ scanMode: 'from-snapshot' }))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('a consumer resumes after the last fully delivered snapshot', async () => {
    using d = tempDir();
    const t = await table(d.path);
    for (let i = 1; i <= 5; i++) await t.upsert({ k: i, v: `v${i}` });
    const first = await collect(
      t.changes({ consumerId: 'c1', scanMode: 'from-snapshot', snapshotId: 1, endSnapshotId: 5 }),
      3,
    );
    expect(first.map((e) => e.snapshotId)).toEqual([1, 2, 3]);
    // Snapshots 1 and 2 were fully pulled before the consumer stopped inside snapshot 3.
    const rest = await collect(t.changes({ consumerId: 'c1', endSnapshotId: 5 }));
    expect(rest.map((e) => e.snapshotId)).toEqual([3, 4, 5]);
    expect(JSON.parse(Buffer.from(await t.io.read(path.join(t.path, 'consumer/consumer-c1'))).toString())).toEqual({
      nextSnapshot: 6,
    });
    await expect(collect(t.changes({ consumerId: '../x' }))).rejects.toMatchObject({ code: 'INVALID_NAME' });
  });

  it('reports an expired position with the earliest snapshot, or restarts from it', async () => {
    using d = tempDir();
    const t = await table(d.path);
    for (let i = 1; i <= 3; i++) await t.upsert({ k: i, v: `v${i}` });
    rmSync(path.join(t.path, 'snapshot/snapshot-1'));
    writeFileSync(path.join(t.path, 'snapshot/EARLIEST'), '2');
    await expect(collect(t.changes({ scanMode: 'from-snapshot', snapshotId: 1 }))).rejects.toMatchObject({
      code: 'SNAPSHOT_EXPIRED',
      message: expect.stringMatching(/earliest is 2/),
    });
    await t.io.write(path.join(t.path, 'consumer/consumer-late'), JSON.stringify({ nextSnapshot: 1 }));
    const gaps: unknown[] = [];
    const got = await collect(
      t.changes({ consumerId: 'late', endSnapshotId: 3, onExpired: 'restart', onGap: (g) => gaps.push(g) }),
    );
    expect(gaps).toEqual([{ missedFrom: 1, resumedAt: 2 }]);
    expect(got.map((e) => e.snapshotId)).toEqual([2, 3]);
  });

  it('with changelog-producer = input, CDC input comes out exactly as it went in', async () => {
    using d = tempDir();
    const t = await table(d.path, { 'changelog-producer': 'input' });
    const w = t.newWriter({ commitUser: 'cdc' });
    await w.write({ k: 1, v: 'a' }, '+I');
    await w.write({ k: 2, v: 'b' }, '+I');
    await w.commit(1);
    await w.write({ k: 1, v: 'a' }, '-U');
    await w.write({ k: 1, v: 'a2' }, '+U');
    await w.write({ k: 2, v: 'b' }, '-D');
    await w.write({ k: 3, v: 'c' }, '+I');
    await w.commit(2);
    w.close();
    const snap = (await t.listSnapshots())[1];
    expect(snap.changelogManifestList).toBeTruthy();
    expect(snap.changelogRecordCount).toBe(4);
    const events = await collect(t.changes({ scanMode: 'from-snapshot', snapshotId: 1, endSnapshotId: 2 }));
    const perKey = (k: number) => events.filter((e) => e.row.k === k).map((e) => `${e.kind}${e.row.v}`);
    expect(perKey(1)).toEqual(['+Ia', '-Ua', '+Ua2']);
    expect(perKey(2)).toEqual(['+Ib', '-Db']);
    expect(perKey(3)).toEqual(['+Ic']);
    // The merged table is unaffected by the changelog files.
    expect((await t.toArray()).sort((a, b) => Number(a.k) - Number(b.k))).toEqual([
      { k: 1, v: 'a2' },
      { k: 3, v: 'c' },
    ]);
    // Arrow batches carry Paimon's `rowkind` column first.
    for await (const b of t.changeBatches({ scanMode: 'from-snapshot', snapshotId: 2, endSnapshotId: 2 })) {
      expect(b.batch.schema.fields[0].name).toBe('rowkind');
    }
  });

  it('replaying the feed with consumer restarts reconstructs every snapshot (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.array(
            fc.record({ k: fc.integer({ min: 0, max: 8 }), v: fc.option(fc.string({ maxLength: 3 }), { nil: null }) }),
            {
              minLength: 1,
              maxLength: 6,
            },
          ),
          { minLength: 1, maxLength: 8 },
        ),
        fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 4 }),
        fc.constantFrom('none', 'input'),
        async (commits, stops, producer) => {
          using d = tempDir();
          const t = await table(d.path, { 'changelog-producer': producer });
          const w = t.newWriter({ commitUser: 'p' });
          let id = 0;
          for (const batch of commits) {
            for (const r of batch) {
              if (r.v === null) await w.write({ k: r.k, v: null }, '-D');
              else await w.write(r, '+I');
            }
            await w.commit(++id);
          }
          w.close();
          const latest = (await t.latestSnapshot())!.id;
          // A consumer that stops after a few events each time, then resumes; it skips snapshots it
          // had fully applied (delivery is per snapshot, at least once).
          const state = new Map<number, string>();
          let applied = 0;
          let guard = 0;
          for (let round = 0; applied < latest && guard++ < 50; round++) {
            const max = stops[round % stops.length] + 6; // more than one snapshot holds, so it progresses
            const events = await collect(
              t.changes({ consumerId: 'replay', scanMode: 'from-snapshot', snapshotId: 1, endSnapshotId: latest }),
              max,
            );
            const complete = events.length < max ? latest : Math.max(applied, (events.at(-1)?.snapshotId ?? 1) - 1);
            for (const e of events) {
              if (e.snapshotId <= applied || e.snapshotId > complete) continue;
              const k = Number(e.row.k);
              if (e.kind === '-D' || e.kind === '-U') state.delete(k);
              else state.set(k, String(e.row.v));
            }
            applied = complete;
          }
          const want = new Map((await t.toArray()).map((r) => [Number(r.k), String(r.v)]));
          expect(new Map([...state].sort())).toEqual(new Map([...want].sort()));
        },
      ),
      { numRuns: 25, seed: 20261125 },
    );
  });
});
