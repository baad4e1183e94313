import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { S3FileIO } from '../../packages/s3/src/index.ts';
import { Catalog, EddyError, type Table } from '../../packages/table/src/index.ts';
import { LOOKUP_FRESH_MS } from '../../packages/table/src/meta/snapshot-manager.ts';
import { mulberry32 } from '../../packages/table/test/helpers.ts';
import { FAULTS, type Fault, FaultProxy, type FaultRule, type ProxiedRequest } from './fault-proxy.ts';
import { s3Env, testS3IO, uniqueS3Path } from './helpers.ts';

/** S3FileIO settings for going through the proxy: short deadlines, quick retries. */
const FAST = { requestTimeoutMs: 1_000, maxAttempts: 6, retryBaseDelayMs: 5, retryMaxDelayMs: 50 } as const;

const isSnapshotPut = (r: ProxiedRequest) =>
  r.method === 'PUT' && /\/snapshot\/snapshot-\d+$/.test(r.path) && r.headers['if-none-match'] === '*';

/** Request classes a commit makes, to aim faults at. */
const TARGETS: Record<string, (r: ProxiedRequest) => boolean> = {
  'snapshot PUT If-None-Match': isSnapshotPut,
  'LATEST hint GET': (r) => r.method === 'GET' && r.path.endsWith('/snapshot/LATEST'),
  'snapshot probe HEAD': (r) => r.method === 'HEAD' && /\/snapshot\/snapshot-\d+$/.test(r.path),
  'data file PUT': (r) => r.method === 'PUT' && /\/bucket-\d+\/data-/.test(r.path),
  'manifest PUT': (r) => r.method === 'PUT' && /\/manifest\//.test(r.path),
  'LATEST hint PUT': (r) => r.method === 'PUT' && r.path.endsWith('/snapshot/LATEST'),
};

/** Fires `fault` on the first `times` requests matching `pred`. */
function firstMatching(pred: (r: ProxiedRequest) => boolean, fault: Fault, times = 1): FaultRule {
  let left = times;
  return (r) => {
    if (left > 0 && pred(r)) {
      left--;
      return fault;
    }
    return undefined;
  };
}

describe('faults between S3FileIO and the real server (in-process proxy)', () => {
  let proxy: FaultProxy;
  const ios: S3FileIO[] = [];
  const viaProxy = (extra = {}) => {
    const io = testS3IO({ endpoint: proxy.endpoint, ...FAST, ...extra });
    ios.push(io);
    return io;
  };
  const direct = () => {
    const io = testS3IO();
    ios.push(io);
    return io;
  };

  beforeAll(async () => {
    proxy = await FaultProxy.start(s3Env().endpoint);
  });
  afterAll(async () => {
    for (const io of ios) io.destroy();
    await proxy.close();
  });

  /** Reads the table without the proxy and checks it against the model of landed rows. */
  async function verify(warehouse: string, table: string, model: readonly string[]): Promise<void> {
    const t = await (await Catalog.open(warehouse, { fileIO: direct() })).getTable(table);
    const snaps = await t.listSnapshots();
    expect(snaps.map((s) => s.id)).toEqual(Array.from({ length: snaps.length }, (_, i) => i + 1));
    const rows = (await t.toArray()).map((r) => String(r.tag));
    expect(rows.sort()).toEqual([...model].sort());
    // One APPEND snapshot per landed commit (one row each): nothing applied twice.
    expect(snaps.filter((s) => s.commitKind === 'APPEND')).toHaveLength(model.length);
  }

  async function newTable(name: string): Promise<{ warehouse: string; table: Table }> {
    const warehouse = uniqueS3Path(name);
    const c = await Catalog.open(warehouse, { fileIO: viaProxy() });
    const table = await c.createTable('db.t', { columns: { tag: 'STRING' } });
    return { warehouse, table };
  }

  it('every fault on every request of a commit: the commit lands exactly once', async () => {
    const { warehouse, table } = await newTable('each-fault');
    const model: string[] = [];
    const io = table.io as S3FileIO;
    for (const [target, pred] of Object.entries(TARGETS)) {
      for (const fault of FAULTS) {
        const tag = `${target} / ${fault}`;
        proxy.rule = firstMatching(pred, fault);
        const before = proxy.log.length;
        // A commit right after this process confirmed the latest snapshot skips the probe HEAD
        // (SnapshotManager.latestSnapshotId): let that window pass so every request class is made.
        await new Promise((r) => setTimeout(r, LOOKUP_FRESH_MS + 20));
        const r = await table.upsert([{ tag }]);
        expect(r.published, tag).toBe(true);
        expect(
          proxy.log.slice(before).some((e) => e.fault === fault),
          `${tag}: fault was injected`,
        ).toBe(true);
        model.push(tag);
      }
    }
    proxy.rule = undefined;
    await verify(warehouse, 'db.t', model);
    expect(io.stats().resolvedUnknownOutcomes).toBeGreaterThanOrEqual(3); // drop-after, hang-after, 500-after
  });

  it('writeIfAbsent: a put that lands late, after the check and before the retry, still counts as ours', async () => {
    const io = viaProxy();
    const path = uniqueS3Path('late/snapshot-7');
    const key = path.replace(/^s3:\/\/[^/]+/, '');
    let held = 0;
    proxy.rule = (r) => (r.method === 'PUT' && r.path.endsWith(key) && !held++ ? 'hold-until-next' : undefined);
    const before = proxy.log.length;
    expect(await io.writeIfAbsent(path, 'our bytes')).toBe(true);
    proxy.rule = undefined;
    const puts = proxy.log.slice(before).filter((e) => e.method === 'PUT');
    // The held put was sent on when the retry arrived and created the object; the retry got 412,
    // and reading the object back showed our bytes.
    expect(puts.map((p) => [p.fault ?? 'ok', p.status])).toEqual([
      ['hold-until-next', 200],
      ['ok', 412],
    ]);
    expect(io.stats().resolvedUnknownOutcomes).toBe(1);
    expect(await io.writeIfAbsent(path, 'our bytes')).toBe(false); // without doubt now: it exists
  });

  it('multipart upload survives faults on create, parts and complete', async () => {
    const io = viaProxy({ multipartThresholdBytes: 5 * 1024 * 1024, multipartPartSizeBytes: 5 * 1024 * 1024 });
    const data = Buffer.alloc(6 * 1024 * 1024 + 7);
    for (let i = 0; i < data.length; i++) data[i] = (i * 31 + (i >> 12)) & 0xff;
    const steps: [string, (r: ProxiedRequest) => boolean][] = [
      ['create', (r) => r.method === 'POST' && /(^|&)uploads(=|&|$)/.test(r.query)],
      ['part', (r) => r.method === 'PUT' && /partNumber=/.test(r.query)],
      ['complete', (r) => r.method === 'POST' && /uploadId=/.test(r.query)],
    ];
    for (const [step, pred] of steps) {
      for (const fault of ['drop-after', 'hang-after', '503', '500-after'] as const) {
        const path = uniqueS3Path(`mpu/${step}-${fault}.bin`);
        proxy.rule = firstMatching(pred, fault);
        await io.write(path, data);
        proxy.rule = undefined;
        expect(Buffer.from(await direct().read(path)).equals(data), `${step} / ${fault}`).toBe(true);
      }
    }
  });

  it('a lost acknowledgement of a snapshot put that raced with another writer is not mistaken for a win', async () => {
    const { warehouse, table } = await newTable('lost-ack-race');
    await table.upsert([{ tag: 'base' }]);
    const other = await (await Catalog.open(warehouse, { fileIO: direct() })).getTable('db.t');
    // Our snapshot PUT is dropped before it reaches the server; meanwhile the other writer takes that
    // snapshot id. The read-back finds *their* bytes: we lost, retry on the next id.
    let fired = false;
    proxy.rule = (r) => {
      if (!fired && isSnapshotPut(r)) {
        fired = true;
        return 'hang-before';
      }
      return undefined;
    };
    const ours = table.upsert([{ tag: 'ours' }]);
    await new Promise((r) => setTimeout(r, 300));
    await other.upsert([{ tag: 'theirs' }]);
    const r = await ours;
    proxy.rule = undefined;
    expect(r.published).toBe(true);
    expect(r.snapshot?.id).toBe(3);
    await verify(warehouse, 'db.t', ['base', 'ours', 'theirs']);
  });

  it('random faults on 10% of requests, two concurrent writers: no committed row lost or duplicated', async () => {
    const { warehouse } = await newTable('chaos');
    const random = mulberry32(20261125);
    proxy.rule = () => (random() < 0.1 ? FAULTS[Math.floor(random() * FAULTS.length)] : undefined);
    const landed: string[] = [];
    const failed: { tag: string; message: string }[] = [];
    await Promise.all(
      [0, 1].map(async (w) => {
        const t = await (await Catalog.open(warehouse, { fileIO: viaProxy({ maxAttempts: 8 }) })).getTable('db.t');
        for (let i = 0; i < 12; i++) {
          const tag = `w${w}-${i}`;
          try {
            await t.upsert([{ tag }]);
            landed.push(tag);
          } catch (e) {
            expect(e, tag).toBeInstanceOf(EddyError);
            failed.push({ tag, message: (e as Error).message });
          }
        }
      }),
    );
    proxy.rule = undefined;
    console.log(
      `[s3] chaos: ${landed.length} commits succeeded, ${failed.length} failed; faults ${JSON.stringify(proxy.faultCounts())}`,
    );
    // Commits that reported an error may or may not have landed (the error said so); the ones that
    // reported success must be there, and nothing may be there twice.
    const t = await (await Catalog.open(warehouse, { fileIO: direct() })).getTable('db.t');
    const rows = (await t.toArray()).map((r) => String(r.tag));
    expect(new Set(rows).size).toBe(rows.length);
    for (const tag of landed) expect(rows).toContain(tag);
    for (const tag of rows) expect([...landed, ...failed.map((f) => f.tag)]).toContain(tag);
    const snaps = await t.listSnapshots();
    expect(snaps.map((s) => s.id)).toEqual(Array.from({ length: snaps.length }, (_, i) => i + 1));
    expect(snaps.filter((s) => s.commitKind === 'APPEND')).toHaveLength(rows.length);
    expect(landed.length).toBeGreaterThanOrEqual(20);
  });

  it('when retries run out, the error names the operation and the object key', async () => {
    const { warehouse, table } = await newTable('exhausted');
    await table.upsert([{ tag: 'one' }]);
    proxy.rule = (r) => (isSnapshotPut(r) ? '503' : undefined);
    const err = await table.upsert([{ tag: 'two' }]).catch((e) => e);
    proxy.rule = undefined;
    expect(err).toBeInstanceOf(EddyError);
    expect(err.code).toBe('IO_ERROR');
    expect(err.message).toMatch(
      /^PutObject \(If-None-Match: \*\) s3:\/\/[^ ]+\/db\.db\/t\/snapshot\/snapshot-2 failed after 6 attempts: HTTP 503 SlowDown/,
    );
    expect(err.path).toMatch(/\/snapshot\/snapshot-2$/);
    await verify(warehouse, 'db.t', ['one']);

    proxy.rule = (r) => (r.method === 'GET' && r.path.endsWith('/snapshot/LATEST') ? 'drop-before' : undefined);
    const readErr = await table.toArray().catch((e) => e);
    proxy.rule = undefined;
    expect(readErr.message).toMatch(/^GetObject s3:\/\/[^ ]+\/db\.db\/t\/snapshot\/LATEST failed after 6 attempts: /);

    // Once the faults stop, commits go through again.
    await table.upsert([{ tag: 'three' }]);
    await verify(warehouse, 'db.t', ['one', 'three']);
  });

  it('an unknown outcome that cannot be resolved is reported as unknown, never as lost', async () => {
    const { warehouse, table } = await newTable('unknown');
    await table.upsert([{ tag: 'one' }]);
    // The snapshot put is applied but its answer is lost, and reading it back fails every time.
    proxy.rule = (r) =>
      isSnapshotPut(r)
        ? 'drop-after'
        : r.method === 'GET' && /\/snapshot\/snapshot-2$/.test(r.path)
          ? 'drop-before'
          : undefined;
    const err = await table.upsert([{ tag: 'two' }]).catch((e) => e);
    proxy.rule = undefined;
    expect(err).toBeInstanceOf(EddyError);
    expect(err.message).toMatch(/snapshot-2: the outcome is unknown \(the put may have been applied/);
    // It did land: the table must hold it once, and be readable (its files kept).
    await verify(warehouse, 'db.t', ['one', 'two']);
  });
});
