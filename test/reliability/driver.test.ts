/**
 * The randomized driver in CI: fixed seeds, about a minute in all (EDDY_RELIABILITY_STORAGE=s3:
 * against the S3 server instead of local disk). Longer runs: `npm run soak -- --minutes 30`.
 * EDDY_RELIABILITY_SEEDS (comma-separated) and EDDY_RELIABILITY_MS override seeds and duration.
 */
import { expect, it } from 'vitest';
import { runDriver, type Storage, summarize } from './driver.ts';

const storage: Storage = process.env.EDDY_RELIABILITY_STORAGE === 's3' ? 's3' : 'local';
const seeds = (process.env.EDDY_RELIABILITY_SEEDS ?? (storage === 's3' ? '101' : '1,2')).split(',').map(Number);
const durationMs = Number(process.env.EDDY_RELIABILITY_MS ?? (storage === 's3' ? 35_000 : 30_000));

for (const seed of seeds) {
  it(`randomized writers, compactor and reader with faults and kill -9: seed ${seed} on ${storage}`, {
    timeout: durationMs + 240_000,
  }, async () => {
    const r = await runDriver({ seed, storage, durationMs });
    console.log(summarize(r));
    expect(r.violations).toEqual([]);
    expect(r.unexpected).toEqual([]);
    expect(r.crashes).toBe(0);
    expect(r.verify?.problems).toEqual([]);
    // The run exercised what it claims to.
    expect(r.kills).toBeGreaterThanOrEqual(5);
    expect(r.faults.before > 0 && r.faults.after > 0 && r.faults.stall > 0).toBe(true);
    expect(Object.values(r.faults).reduce((a, b) => a + b, 0)).toBeGreaterThan(20);
    expect(r.commits.published).toBeGreaterThan(20);
    expect(r.commits.overwrites).toBeGreaterThan(0);
    expect(r.commits.unknownLanded + (r.verify?.inDoubtLanded ?? 0)).toBeGreaterThan(0);
    expect(r.feedEvents).toBeGreaterThan(0);
  });
}
