/**
 * A compaction's commit lands only if every file it replaces is still live (issue 23: the check
 * reads only the snapshots committed since the compaction was planned, or since its last attempt,
 * and falls back to the live set when one of them expired). Other commits are interleaved at the
 * two points a compaction commits through — after its plan, before its first look-up of the latest
 * snapshot, and at each publish, so the attempt loses the race and tries again — against a model:
 * the compaction fails with COMMIT_CONFLICT exactly when another compaction replaced its inputs
 * meanwhile, and the table always reads the model's rows (a compaction committed over removed
 * inputs would double rows of an append table or leave a DELETE of a file that is gone).
 */
import * as path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Catalog } from '../src/index.ts';
import { ForwardingFileIO, tempDir } from './helpers.ts';

/** `compact` with `expire`: the snapshots it followed expire at once (the check must fall back to the live set). */
type Op = { t: 'append'; keys: number[] } | { t: 'compact'; expire: boolean } | { t: 'expire' };

/** Forwards to the local disk; `onFirstLookup` runs once, `onPublish` before every snapshot creation. */
class InterleavingFileIO extends ForwardingFileIO {
  private wroteData = false;
  private lookedUp = false;
  onFirstLookup: () => Promise<void> = async () => {};
  onPublish: () => Promise<void> = async () => {};
  constructor(private readonly tableDir: string) {
    super();
  }
  private rel(p: string) {
    return path.relative(this.tableDir, p);
  }
  override async read(p: string) {
    // The compaction's commit starts with the LATEST hint, after its output files were written.
    if (this.wroteData && !this.lookedUp && this.rel(p) === 'snapshot/LATEST') {
      this.lookedUp = true;
      await this.onFirstLookup();
    }
    return this.inner.read(p);
  }
  override async write(p: string, d: Uint8Array | string) {
    if (this.rel(p).startsWith('bucket-')) this.wroteData = true;
    return this.inner.write(p, d);
  }
  override async writeIfAbsent(p: string, d: Uint8Array | string) {
    if (this.rel(p).startsWith('snapshot/snapshot-')) await this.onPublish();
    return this.inner.writeIfAbsent(p, d);
  }
}

const keys = fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 4 });
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ t: fc.constant('append' as const), keys }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('compact' as const), expire: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant({ t: 'expire' as const }) },
);

describe('a compaction commit against concurrent commits', () => {
  it('lands exactly when no other compaction replaced its inputs, and the table keeps the model rows', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('primary-key', 'append'),
        fc.array(keys, { minLength: 2, maxLength: 4 }),
        // [0]: between the plan and the first look-up; [i]: at the i-th publish (then it loses).
        fc.array(fc.array(op, { maxLength: 3 }), { minLength: 1, maxLength: 4 }),
        async (kind, seed, schedule) => {
          using d = tempDir();
          const pk = kind === 'primary-key';
          const other = await (await Catalog.open(d.path)).createTable('db.t', {
            columns: { k: 'INT', v: 'STRING' },
            primaryKey: pk ? ['k'] : undefined,
            options: { bucket: 1, ...(pk ? {} : { 'bucket-key': 'k' }), 'write-only': 'true' },
          });
          const io = new InterleavingFileIO(path.join(d.path, 'db.db', 't'));
          const mine = await (await Catalog.open(d.path, { fileIO: io })).getTable('db.t');
          // Model: the latest value per key (primary key) or every row (append).
          const rows: { k: number; v: string }[] = [];
          let n = 0;
          const append = async (ks: number[]) => {
            const batch = ks.map((k) => ({ k, v: `v${n++}` }));
            await other.upsert(batch);
            rows.push(...batch);
          };
          for (const ks of seed) await append(ks);

          const expire = () => other.expireSnapshots({ retainMin: 1, retainMax: 1, timeRetainedMs: 0 });
          let othersCompacted = false;
          let landed = false;
          const run = async (ops: readonly Op[]) => {
            for (const o of ops) {
              if (o.t === 'append') await append(o.keys);
              else if (o.t === 'compact') {
                const r = await other.compact({ full: true });
                if (r.snapshot) othersCompacted = true;
                if (o.expire) await expire();
              } else await expire();
            }
          };
          let publishes = 0;
          io.onFirstLookup = () => run(schedule[0]);
          io.onPublish = () => run(schedule[++publishes] ?? []);

          let error: unknown;
          try {
            landed = (await mine.compact({ full: true })).snapshot !== undefined;
          } catch (e) {
            error = e;
          }
          if (error !== undefined) {
            expect(error).toMatchObject({ code: 'COMMIT_CONFLICT' });
            expect(othersCompacted).toBe(true);
          } else if (landed) {
            expect(othersCompacted).toBe(false);
          }

          const fresh = await (await Catalog.open(d.path)).getTable('db.t');
          const read = (await fresh.toArray()).map((r) => ({ k: Number(r.k), v: String(r.v) }));
          const expected = pk ? [...new Map(rows.map((r) => [r.k, r])).values()] : rows;
          const order = (a: { k: number; v: string }, b: { k: number; v: string }) =>
            a.k - b.k || a.v.localeCompare(b.v);
          expect(read.sort(order)).toEqual([...expected].sort(order));
        },
      ),
      { numRuns: 40 },
    );
  });
});
