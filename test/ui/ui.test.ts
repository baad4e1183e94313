/**
 * `eddy ui` in a real browser: the `eddy` bin serves a demo warehouse (`eddy demo`), headless
 * Chromium opens every page. The warehouse and table pages show the table and its buckets, a
 * commit by another process appears in the live feed, a SQL query returns the rows the SDK counts,
 * a bad query and a refused write show their errors. Each page is saved as a screenshot in
 * test/ui/.artifacts/ (docs/ui.png in the README is one of them).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Catalog, eq } from '@eddy/table';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binEnv } from '../bin-env.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const EDDY = path.join(ROOT, 'tools/cli/bin/eddy.js');
const ARTIFACTS = path.join(ROOT, 'test/ui/.artifacts');
const CHROMIUM = process.env.EDDY_CHROMIUM ?? '/usr/bin/chromium';
const run = promisify(execFile);

const eddy = (cwd: string, ...args: string[]) =>
  run(process.execPath, [EDDY, ...args], { cwd, env: binEnv({ EDDY_SQL_HISTORY: path.join(cwd, 'history') }) });

describe('eddy ui in Chromium', () => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'eddy-ui-browser-'));
  const warehouse = path.join(tmp, 'eddy-demo');
  let server: ChildProcess;
  let base: string;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(`no Chromium at ${CHROMIUM}: run \`bash .ci/ui-setup.sh\` (or set EDDY_CHROMIUM)`);
    mkdirSync(ARTIFACTS, { recursive: true });
    await eddy(tmp, 'demo', warehouse, '--seconds', '1');
    const catalog = await Catalog.open(warehouse);
    const orders = await catalog.getTable('shop.orders');
    await orders.createTag('release-1');
    for await (const _ of orders.changes({
      consumerId: 'billing',
      scanMode: 'from-snapshot',
      snapshotId: 1,
      endSnapshotId: 2,
    })) {
      // reading moves the consumer to snapshot 3
    }
    await catalog.close();
    server = spawn(process.execPath, [EDDY, '--warehouse', warehouse, 'ui', '--port', '0'], {
      cwd: tmp,
      env: binEnv(),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    base = await new Promise<string>((resolve, reject) => {
      let out = '';
      server.stdout?.on('data', (c: Buffer) => {
        out += c.toString();
        const m = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
        if (m) resolve(m[1]);
      });
      server.once('exit', (code) => reject(new Error(`eddy ui exited with ${code}: ${out}`)));
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    page.on('pageerror', (e) => pageErrors.push(e.message));
  });

  afterAll(async () => {
    await browser?.close();
    if (server && server.exitCode === null) {
      const exited = new Promise((r) => server.once('exit', r));
      server.kill('SIGTERM');
      await exited;
    }
    rmSync(tmp, { recursive: true, force: true });
  });

  /** Opens a page by its hash and waits until it has drawn. */
  async function open(hash: string) {
    await page.goto(`${base}${hash}`);
    await page.waitForSelector('main[data-ready="true"]');
    expect(await page.locator('main [data-testid=error]').count()).toBe(0);
  }

  const shot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });

  it('warehouse: the demo table with its size, latest snapshot and sorted runs', async () => {
    await open('');
    const row = page.locator('[data-testid=tables-shop] tbody tr');
    await expect.poll(() => row.count()).toBe(1);
    expect(await row.locator('[data-testid=table-link]').textContent()).toBe('shop.orders');
    expect(await row.locator('[data-testid=worst-runs]').textContent()).toMatch(/^\d+/);
    expect(await page.locator('#mode').textContent()).toBe('read-only');
    await shot('warehouse');
  });

  it('table: schema, options and partitions; its timeline chart', async () => {
    await open('#/table/shop.orders');
    expect(await page.locator('[data-testid=table-name]').textContent()).toBe('shop.orders');
    const fields = await page.locator('[data-testid=fields] tbody tr td:nth-child(2)').allTextContents();
    expect(fields).toEqual(['region', 'order_id', 'customer', 'amount', 'status', 'updated_at']);
    const partitions = await page.locator('[data-testid=partitions] tbody tr td:first-child').allTextContents();
    expect(partitions.sort()).toEqual(['region=apac', 'region=eu', 'region=us']);
    await shot('table');

    await open('#/table/shop.orders/timeline');
    const catalog = await Catalog.open(warehouse);
    const snapshots = await (await catalog.getTable('shop.orders')).listSnapshots();
    await catalog.close();
    expect(await page.locator('[data-testid=commits] tbody tr').count()).toBe(snapshots.length);
    expect(await page.locator('[data-testid=timeline-chart] canvas').count()).toBe(1);
    expect(await page.locator('[data-testid=commits] tbody tr .badge').allTextContents()).toContain('COMPACT');
    await shot('timeline');
    // Zoom: drag across the left half of the plot; double-click zooms back out.
    const chart = page.locator('[data-testid=timeline-chart]');
    const full = `1-${snapshots.length}`;
    expect(await chart.getAttribute('data-x-range')).toBe(full);
    const plot = (await page.locator('[data-testid=timeline-chart] .u-over').boundingBox())!;
    await page.mouse.move(plot.x + 2, plot.y + plot.height / 2);
    await page.mouse.down();
    await page.mouse.move(plot.x + plot.width * 0.5, plot.y + plot.height / 2, { steps: 5 });
    await page.mouse.up();
    await expect.poll(() => chart.getAttribute('data-x-range')).not.toBe(full);
    const [lo, hi] = (await chart.getAttribute('data-x-range'))!.split('-').map(Number);
    expect(hi - lo).toBeLessThan(snapshots.length - 1);
    await page.mouse.dblclick(plot.x + plot.width / 2, plot.y + plot.height / 2);
    await expect.poll(() => chart.getAttribute('data-x-range')).toBe(full);
  });

  it('LSM shape: every bucket with its files, and before/after the compaction', async () => {
    await open('#/table/shop.orders/lsm');
    // The demo: three regions × two buckets, fully compacted.
    const buckets = page.locator('[data-testid=lsm-pane] [data-testid=lsm-bucket]');
    await expect.poll(() => buckets.count()).toBe(6);
    const headings = await buckets.locator('h3').allTextContents();
    expect(headings.map((h) => h.replace(/ —.*/, '')).sort()).toEqual([
      'region=apac · bucket 0',
      'region=apac · bucket 1',
      'region=eu · bucket 0',
      'region=eu · bucket 1',
      'region=us · bucket 0',
      'region=us · bucket 1',
    ]);
    expect(await page.locator('[data-testid=lsm-file]').count()).toBeGreaterThanOrEqual(6);
    await shot('lsm');
    await page.click('[data-testid=compare-compaction]');
    await expect.poll(() => page.locator('[data-testid=lsm-pane]').count()).toBe(2);
    const before = await page.locator('[data-testid=lsm-pane]').nth(0).locator('[data-testid=lsm-file]').count();
    const after = await page.locator('[data-testid=lsm-pane]').nth(1).locator('[data-testid=lsm-file]').count();
    expect(before).toBeGreaterThan(after);
    await shot('lsm-compaction');
  });

  it('files with key ranges; tags and consumers', async () => {
    await open('#/table/shop.orders/files');
    const rows = page.locator('[data-testid=files] tbody tr');
    expect(await rows.count()).toBeGreaterThanOrEqual(6);
    expect(await rows.first().locator('td:nth-child(8)').textContent()).toMatch(/^\d+ … \d+$/);
    await shot('files');

    await open('#/table/shop.orders/refs');
    expect(await page.locator('[data-testid=tags] tbody td:first-child').allTextContents()).toEqual(['release-1']);
    expect(await page.locator('[data-testid=consumers] tbody td:first-child').allTextContents()).toEqual(['billing']);
    expect(await page.locator('[data-testid=consumers] tbody td:nth-child(2)').allTextContents()).toEqual(['3']);
    await shot('refs');
  });

  it('live feed: a commit by another process appears', async () => {
    await open('#/feed');
    await page.waitForSelector('[data-testid=feed-status][data-state=live]');
    const catalog = await Catalog.open(warehouse);
    const next = ((await (await catalog.getTable('shop.orders')).latestSnapshot())?.id ?? 0) + 1;
    await catalog.close();
    await eddy(
      tmp,
      '--warehouse',
      warehouse,
      'sql',
      "INSERT INTO shop.orders (region, order_id, customer, amount, status, updated_at) VALUES ('eu', 900001, 'from-the-test', 12.34, 'new', TIMESTAMP '2026-01-02 03:04:05')",
    );
    const item = page.locator(`[data-testid=feed-item][data-snapshot="${next}"]`);
    await item.waitFor();
    expect(await item.textContent()).toMatch(/shop\.orders.*APPEND.*\+1 \/ −0 rows/);
    await shot('feed');
  });

  it('SQL: a query returns the rows the SDK counts; a bad query and a write show their errors', async () => {
    await open('#/sql');
    await page.fill(
      '[data-testid=sql-input]',
      'SELECT region, count(*) AS orders FROM shop.orders GROUP BY region ORDER BY region',
    );
    await page.click('[data-testid=sql-run]');
    await page.waitForSelector('[data-testid=sql-output][data-state=done]');
    const cells = await page
      .locator('[data-testid=sql-result] tbody tr')
      .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    const catalog = await Catalog.open(warehouse);
    const orders = await catalog.getTable('shop.orders');
    const expected = [];
    for (const region of ['apac', 'eu', 'us'])
      expected.push([region, String(await orders.count({ where: eq('region', region) }))]);
    await catalog.close();
    expect(cells).toEqual(expected);
    expect(await page.locator('[data-testid=sql-chart] canvas').count()).toBe(1);
    await shot('sql');

    await page.fill('[data-testid=sql-input]', 'SELECT no_such_column FROM shop.orders');
    await page.click('[data-testid=sql-run]');
    await page.waitForSelector('[data-testid=sql-output][data-state=error]');
    expect(await page.locator('[data-testid=sql-output] [data-testid=error]').textContent()).toMatch(
      /Binder Error.*no_such_column/,
    );
    await shot('sql-error');

    await page.fill('[data-testid=sql-input]', "DELETE FROM shop.orders WHERE region = 'eu'");
    await page.click('[data-testid=sql-run]');
    await page.waitForSelector('[data-testid=sql-output][data-state=error]');
    expect(await page.locator('[data-testid=sql-output] [data-testid=error]').textContent()).toMatch(/^read-only/);
    expect(pageErrors).toEqual([]);
  });
});
