import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Catalog } from '../../packages/table/src/index.ts';
import { percentile, s3Env, testS3IO, uniqueS3Path } from './helpers.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');

interface Line {
  writer: number;
  seq?: number;
  published?: boolean;
  snapshot?: number;
  attempts?: number;
  done?: boolean;
  requests?: Record<string, number>;
  latencies?: number[];
}

function runWriter(args: string[]): Promise<Line[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(TSX, [path.join(HERE, 'race-writer.ts'), ...args], {
      cwd: ROOT,
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`writer ${args[2]} exited with ${code}: ${err.slice(-2000)}`));
      else
        resolve(
          out
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as Line),
        );
    });
  });
}

describe('race: 8 writer processes × 25 commits on one S3 table', () => {
  it('lands every commit exactly once, with gapless snapshot ids, and the scan equals the model', async () => {
    s3Env(); // the writers get the standard AWS environment only
    const WRITERS = 8;
    const COMMITS = 25;
    const warehouse = uniqueS3Path('race');
    const io = testS3IO();
    try {
      const catalog = await Catalog.open(warehouse, { fileIO: io });
      // An append table: a commit applied twice would show up as duplicate rows.
      await catalog.createTable('db.race', {
        columns: { writer: 'INT', seq: 'INT', payload: 'STRING' },
        options: { 'commit.max-retries': '1000', 'commit.max-retry-wait': '200 ms' },
      });
      const t0 = performance.now();
      const outputs = await Promise.all(
        Array.from({ length: WRITERS }, (_, w) => runWriter([warehouse, 'db.race', String(w), String(COMMITS)])),
      );
      const seconds = (performance.now() - t0) / 1000;

      const commits = outputs.flat().filter((l) => !l.done);
      expect(commits).toHaveLength(WRITERS * COMMITS);
      expect(commits.every((c) => c.published)).toBe(true);
      // Each commit got its own snapshot id, and the ids are exactly 1..200.
      const ids = commits.map((c) => c.snapshot!).sort((a, b) => a - b);
      expect(ids).toEqual(Array.from({ length: WRITERS * COMMITS }, (_, i) => i + 1));

      const table = await catalog.getTable('db.race');
      const snaps = await table.listSnapshots();
      expect(snaps.map((s) => s.id)).toEqual(Array.from({ length: snaps.length }, (_, i) => i + 1));
      const appends = snaps.filter((s) => s.commitKind === 'APPEND');
      expect(appends).toHaveLength(WRITERS * COMMITS);
      const landed = appends.map((s) => `${s.commitUser}#${s.commitIdentifier}`).sort();
      expect(new Set(landed).size).toBe(WRITERS * COMMITS);
      // Per writer, its identifiers land in order.
      for (let w = 0; w < WRITERS; w++) {
        const mine = appends.filter((s) => s.commitUser === `writer-${w}`).map((s) => Number(s.commitIdentifier));
        expect(mine).toEqual(Array.from({ length: COMMITS }, (_, i) => i + 1));
      }

      const model: string[] = [];
      for (let w = 0; w < WRITERS; w++) for (let i = 1; i <= COMMITS; i++) model.push(`${w}/${i}/w${w}-c${i}`);
      const rows = (await table.toArray()).map((r) => `${r.writer}/${r.seq}/${r.payload}`);
      expect(rows.sort()).toEqual(model.sort());
      expect(snaps.at(-1)?.totalRecordCount).toBe(WRITERS * COMMITS);

      const attempts = commits.map((c) => c.attempts ?? 0);
      const latencies = outputs.flatMap((o) => o.find((l) => l.done)?.latencies ?? []);
      const requests = outputs.map((o) => o.find((l) => l.done)?.requests?.total ?? 0).reduce((a, b) => a + b, 0);
      console.log(
        `[s3] race ${WRITERS}×${COMMITS} on ${s3Env().backend}: ${seconds.toFixed(1)} s, ` +
          `attempts/commit mean ${(attempts.reduce((a, b) => a + b, 0) / attempts.length).toFixed(2)} max ${Math.max(...attempts)}, ` +
          `commit latency under contention p50 ${percentile(latencies, 50).toFixed(0)} ms p99 ${percentile(latencies, 99).toFixed(0)} ms, ` +
          `${(requests / (WRITERS * COMMITS)).toFixed(1)} requests per commit (writes included)`,
      );
    } finally {
      io.destroy();
    }
  }, 300_000); // ~30 s on an idle 2-core machine; allow for a busy one
});
