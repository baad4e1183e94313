/**
 * The long mode of the randomized driver: `npm run soak:driver -- --minutes 30 [--seed N] [--storage s3]
 * [--kv-writers 2] [--log-writers 2] [--kill-every-ms 1500]`. Runs back-to-back driver rounds of a
 * few minutes each (fresh seeds derived from --seed) until the time is up, prints each round's
 * figures and the totals, and exits 1 on the first failed round (its run directory is kept).
 */
import { parseArgs } from 'node:util';
import { type DriverReport, runDriver, type Storage, summarize } from './driver.ts';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '30' },
    seed: { type: 'string', default: String(Date.now() % 1_000_000) },
    storage: { type: 'string', default: process.env.EDDY_RELIABILITY_STORAGE ?? 'local' },
    'round-minutes': { type: 'string', default: '5' },
    'kv-writers': { type: 'string', default: '2' },
    'log-writers': { type: 'string', default: '2' },
    'kill-every-ms': { type: 'string', default: '1500' },
  },
});
const totalMs = Number(values.minutes) * 60_000;
const roundMs = Math.min(totalMs, Number(values['round-minutes']) * 60_000);
const storage = values.storage as Storage;
const t0 = Date.now();
const reports: DriverReport[] = [];
for (let round = 0; Date.now() - t0 < totalMs; round++) {
  const seed = Number(values.seed) + round;
  const r = await runDriver({
    seed,
    storage,
    durationMs: Math.min(roundMs, totalMs - (Date.now() - t0)),
    kvWriters: Number(values['kv-writers']),
    logWriters: Number(values['log-writers']),
    killMeanIntervalMs: Number(values['kill-every-ms']),
    log: (l) => console.log(l),
  });
  reports.push(r);
  console.log(summarize(r));
  if (!r.ok) process.exit(1);
  if (totalMs - (Date.now() - t0) < 20_000) break;
}
const sum = (f: (r: DriverReport) => number) => reports.reduce((a, r) => a + f(r), 0);
console.log(
  `soak: ${reports.length} rounds in ${((Date.now() - t0) / 60_000).toFixed(1)} min: ` +
    `${sum((r) => r.commits.published)} commits, ${sum((r) => r.commits.rowOps)} row ops, ` +
    `${sum((r) => Object.values(r.faults).reduce((a, b) => a + b, 0))} faults, ${sum((r) => r.kills)} kills, ` +
    `${sum((r) => r.compactions.ok)} compactions, ${sum((r) => r.ioCalls)} FileIO calls — all OK`,
);
