import { defineConfig } from 'vitest/config';
import { fromSource, sourceEnv } from '../../vitest.shared.ts';

// The interop suite (npm run test:interop): Eddy against Apache Paimon Java and pypaimon, built by
// `bash .ci/interop-setup.sh`. One fork, files and tests in order: cells share a warehouse and
// the child processes (a JVM, a Python) already use both cores.
export default defineConfig({
  ...fromSource,
  test: {
    env: sourceEnv,
    root: import.meta.dirname,
    include: ['**/*.test.ts'],
    exclude: ['**/node_modules/**', '.venv/**', 'java/**', '.work/**'],
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 600_000,
    sequence: { concurrent: false },
  },
});
