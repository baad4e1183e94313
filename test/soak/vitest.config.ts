import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { fromSource, sourceEnv } from '../../vitest.shared.ts';

/**
 * The bounded soak (`npm run soak`, 20 s; EDDY_SOAK_SECONDS for longer): a writer, the compaction
 * daemon, a tailing consumer and scans at once. Outside `npm test`, which has no run that takes
 * a fixed stretch of wall-clock time; `.ci/run` runs it.
 */
export default defineConfig({
  ...fromSource,
  root: path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..'),
  test: {
    env: sourceEnv,
    include: ['test/soak/**/*.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 120_000,
    pool: 'forks',
    globalSetup: ['test/build-dist.ts'],
  },
});
