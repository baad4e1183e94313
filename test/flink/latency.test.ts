/**
 * Cell 4 — Eddy's writer commits small batches back to back while a Flink streaming query and
 * Eddy's own feed tail the table: every commit reaches both, the rows agree, and the delivery
 * latency of each is measured and reported (never asserted: the machine is shared). The same
 * measurement is the `flink` row of the bench's feed suite (`npm run bench -- feed --peers flink`).
 */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Catalog } from '@eddy/table';
import { describe, expect, it } from 'vitest';
import { flink, WORK_DIR } from './driver.ts';
import { flinkFeedLatency } from './feed.ts';
import { freshWarehouse } from './helpers.ts';

const COMMITS = 100;
const ROWS = 10;
const POLL_MS = 200;

describe('cell 4: delivery latency of Eddy commits to a Flink streaming query (and to Eddy’s own feed)', () => {
  it(`${COMMITS} commits of ${ROWS} rows: all delivered to both; latency measured`, async () => {
    const wh = freshWarehouse('latency');
    const d = await flink();
    await d.catalog('latency_wh', wh);
    const catalog = await Catalog.open(wh);
    const r = await flinkFeedLatency(d, catalog, {
      flinkCatalog: 'latency_wh',
      commits: COMMITS,
      rowsPerCommit: ROWS,
      pollMs: POLL_MS,
      eddyToo: true,
    });
    const line = (who: string, l: { p50Ms: number; p99Ms: number }) =>
      `${who}: p50 ${l.p50Ms.toFixed(0)} ms, p99 ${l.p99Ms.toFixed(0)} ms`;
    console.log(
      `cell 4 (poll ${POLL_MS} ms, Eddy commit p50 ${r.flink.commitP50Ms.toFixed(1)} ms): ` +
        `${line('Flink SQL', r.flink)}; ${line('Eddy feed', r.eddy!)}`,
    );
    writeFileSync(
      path.join(WORK_DIR, 'latency.json'),
      `${JSON.stringify({ commits: COMMITS, rowsPerCommit: ROWS, pollMs: POLL_MS, ...r }, null, 2)}\n`,
    );
    expect(r.flink.missing, 'commits Flink never delivered').toBe(0);
    expect(r.eddy!.missing, 'commits Eddy never delivered').toBe(0);
    // 'latest' on a primary-key table without a changelog producer: each commit's rows as written
    expect(r.rows).toEqual({ flink: COMMITS * ROWS, eddy: COMMITS * ROWS });
  });
});
