/**
 * Fuzzing of the Avro (manifest, manifest list, index manifest, any container) and JSON (snapshot,
 * schema) decoders with fast-check, fixed seed, a time budget per decoder: only EddyError may
 * escape, never a TypeError/RangeError, and nothing may hang. Runs in a child process (see
 * fuzz-run.ts) so that a hang or a crash fails this test instead of stalling the runner.
 * EDDY_FUZZ_SEED and EDDY_FUZZ_MS override the seed and the per-decoder budget.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SEED = Number(process.env.EDDY_FUZZ_SEED ?? 20260101);
const MS = Number(process.env.EDDY_FUZZ_MS ?? 2500);
const TARGETS = ['manifest', 'manifest-list', 'index-manifest', 'avro', 'snapshot', 'schema'];

it(`decoders only ever throw EddyError (fast-check, seed ${SEED}, ${MS} ms per decoder)`, {
  timeout: 60_000 + TARGETS.length * MS * 2,
}, () => {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', path.join(HERE, 'fuzz-run.ts'), String(SEED), String(MS), ...TARGETS],
    {
      cwd: path.resolve(HERE, '../..'),
      encoding: 'utf8',
      timeout: 30_000 + TARGETS.length * MS * 2,
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  const lines = r.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map(
      (l) =>
        JSON.parse(l) as {
          start?: string;
          target?: string;
          ok?: boolean;
          runs?: number;
          error?: string;
          cause?: string;
        },
    );
  const started = lines.filter((l) => l.start).map((l) => l.start);
  const results = lines.filter((l) => l.target);
  const hung = started.find((t) => !results.some((x) => x.target === t));
  expect(
    hung,
    `decoder ${hung} did not finish (hang or crash): ${r.signal ?? r.status} ${r.stderr.slice(-2000)}`,
  ).toBeUndefined();
  expect(r.status, r.stderr.slice(-3000)).toBe(0);
  for (const x of results) expect(x.ok, `${x.target}: ${x.error}\n${x.cause ?? ''}`).toBe(true);
  expect(results.map((x) => x.target)).toEqual(TARGETS);
  console.log(`[fuzz] ${results.map((x) => `${x.target} ${x.runs}`).join(', ')} inputs`);
});
