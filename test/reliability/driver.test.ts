/**
 * The randomized driver in CI: fixed seeds, at least 30 s each and then until the run's work
 * targets are met (driver.ts DEFAULT_WORK), so a loaded machine runs longer instead of failing
 * (EDDY_RELIABILITY_STORAGE=s3: against the S3 server instead of local disk). Longer runs: `npm run soak -- --minutes 30`.
 * EDDY_RELIABILITY_SEEDS (comma-separated) and EDDY_RELIABILITY_MS override seeds and duration.
 */
import { expect, it } from 'vitest';
import { runDriver, type Storage, summarize } from './driver.ts';

const storage: Storage = process.env.EDDY_RELIABILITY_STORAGE === 's3' ? 's3' : 'local';
const seeds = (process.env.EDDY_RELIABILITY_SEEDS ?? (storage === 's3' ? '101' : '1,2')).split(',').map(Number);
const durationMs = Number(process.env.EDDY_RELIABILITY_MS ?? (storage === 's3' ? 35_000 : 30_000));

for (const seed of seeds) {
  it(`randomized writers, compactor and reader with faults and kill -9: seed ${seed} on ${storage}`, {
    timeout: durationMs * 5 + 60_000 + 240_000,
  }, async () => {
    const r = await runDriver({ seed, storage, durationMs });
    console.log(summarize(r));
    expect(r.violations).toEqual([]);
    expect(r.unexpected).toEqual([]);
    expect(r.crashes).toBe(0);
    expect(r.verify?.problems).toEqual([]);
    // The run exercised what it claims to: it ran until these were done (DEFAULT_WORK), however
    // slow the machine, so none of this depends on speed.
    expect(r.workMissing).toEqual([]);
    expect(r.kills).toBeGreaterThanOrEqual(5);
    expect(r.faults.before > 0 && r.faults.after > 0 && r.faults.stall > 0).toBe(true);
    expect(r.commits.race).toBeGreaterThanOrEqual(10); // writer race (issue 16 §3)
    expect(r.replays.afterExpiry).toBeGreaterThanOrEqual(1); // replay after expiry (issue 16 §4)
  });
}
