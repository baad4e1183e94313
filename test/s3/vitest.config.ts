import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { fromSource, sourceEnv } from '../../vitest.shared.ts';

/**
 * The object-storage suite: `npm run test:s3`. Runs against a real S3 server: the one named by
 * EDDY_S3_ENDPOINT (plus the standard AWS_* credentials), else radosgw (or EDDY_S3_BACKEND=moto)
 * started on 127.0.0.1 by .ci/s3-server.sh for the run and stopped afterwards. A server that cannot
 * be started, or that does not enforce If-None-Match, fails the run: nothing is skipped.
 */
export default defineConfig({
  ...fromSource,
  root: path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..'),
  test: {
    include: ['test/s3/**/*.test.ts'],
    globalSetup: ['test/s3/global-setup.ts'],
    testTimeout: 180_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // The SDK warns on every process under Node < 22; the project supports Node 20.
    env: { ...sourceEnv, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    // One file at a time: the server shares the 2 cores, the race test spawns 8 processes, and the
    // figures printed by perf.test.ts are only meaningful without other load.
    fileParallelism: false,
  },
});
