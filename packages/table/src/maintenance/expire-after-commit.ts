/**
 * Snapshot expiry run by the writer after its commits, as Paimon's TableCommitImpl does (its
 * `maintain` after each commit; `snapshot.expire.execution-mode`: `sync` waits for it, `async` runs
 * one at a time beside the writer and reports a failure at the next commit). Skipped with
 * `write-only`: a dedicated compactor expires then (Paimon's rule). Eddy runs it only when the table
 * sets `snapshot.expire.execution-mode` (Paimon: also when unset, as sync); without it, expiry is
 * `Table.expireSnapshots` and the compactor's (see docs/decisions.md).
 *
 * A gate keeps it cheap at a high commit rate: after a run, nothing can expire until the table
 * holds more than `snapshot.num-retained.max` snapshots, or more than `snapshot.num-retained.min`
 * with the earliest past `snapshot.time-retained`, so the check costs no request until then. (A
 * consumer holding snapshots back re-opens the gate at every commit: each run is cheap then too.)
 */
import type { Snapshot } from '../format/snapshot.ts';
import type { TableContext } from '../meta/table-context.ts';
import { EddyError } from '../types/errors.ts';
import { expireSnapshots } from './expire-snapshots.ts';

export class ExpireAfterCommit {
  /** Nothing can expire before the latest id reaches `byCount`, or before `byTime` once past `minCount`. */
  private gate: { byCount: number; minCount: number; byTime: number } | undefined;
  private running: Promise<void> | undefined;
  private failure: { error: unknown } | undefined;

  constructor(private readonly table: TableContext) {}

  /** Throws the failure of an async run since the last commit (Paimon rethrows it at the next maintain). */
  throwPending(): void {
    const f = this.failure;
    this.failure = undefined;
    if (f) throw f.error;
  }

  /** After `snapshot` was published by this writer. */
  async afterCommit(snapshot: Snapshot): Promise<void> {
    const o = this.table.schema.options;
    if (o.writeOnly || o.snapshotExpireExecutionMode === undefined) return;
    const g = this.gate;
    if (g && snapshot.id < g.byCount && (snapshot.id < g.minCount || Date.now() < g.byTime)) return;
    if (o.snapshotExpireExecutionMode === 'async') {
      this.running ??= this.run()
        .catch((error: unknown) => {
          this.failure = { error };
        })
        .finally(() => {
          this.running = undefined;
        });
      return;
    }
    await this.run();
  }

  /** Waits for an async run in flight (close, tests). */
  async settled(): Promise<void> {
    await this.running;
  }

  private async run(): Promise<void> {
    this.gate = undefined;
    const o = this.table.schema.options;
    const r = await expireSnapshots(this.table);
    // A full batch may have left more to expire: no gate, look again after the next commit.
    if (r.expired.length >= o.snapshotExpireLimit || r.earliestSnapshotId === undefined) return;
    const earliest = r.earliestSnapshotId;
    let time: number;
    try {
      time = (await this.table.snapshots.snapshot(earliest)).timeMillis;
    } catch (e) {
      if (e instanceof EddyError && e.code === 'NOT_FOUND') return; // expired by another process meanwhile: no gate
      throw e;
    }
    this.gate = {
      byCount: earliest + o.snapshotNumRetainedMax,
      minCount: earliest + o.snapshotNumRetainedMin,
      byTime: time + o.snapshotTimeRetainedMs,
    };
  }
}
