import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { fromSource, sourceEnv } from '../../vitest.shared.ts';

/**
 * The reliability suite: `npm run test:reliability` (about 2 minutes on 2 cores). Fault injection,
 * the randomized multi-process driver with kill -9 (local disk; with EDDY_RELIABILITY_STORAGE=s3
 * also against a real S3 server, started by .ci/s3-server.sh unless EDDY_S3_ENDPOINT names one),
 * the conflict matrix, hostile input and decoder fuzzing, all with fixed seeds.
 */
const s3 = process.env.EDDY_RELIABILITY_STORAGE === 's3';
export default defineConfig({
  ...fromSource,
  root: path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..'),
  test: {
    include: ['test/reliability/**/*.test.ts'],
    globalSetup: s3 ? ['test/s3/global-setup.ts'] : [],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // The driver runs five processes of its own on the 2 cores: one test file at a time.
    fileParallelism: false,
    env: { ...sourceEnv, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
