import { defineConfig } from 'vitest/config';

// The Flink suite (npm run test:flink): Apache Flink with the Paimon connector on Eddy's tables,
// set up by `bash .ci/flink-setup.sh`. One fork without isolation, files in order: every cell
// shares one PyFlink driver process (one JVM, one session mini-cluster), which with Eddy's own
// work already uses both cores.
export default defineConfig({
  test: {
    root: import.meta.dirname,
    include: ['**/*.test.ts'],
    exclude: ['**/node_modules/**', '.venv/**', '.jars/**', '.work/**'],
    pool: 'forks',
    maxWorkers: 1,
    isolate: false,
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 600_000,
    sequence: { concurrent: false },
  },
});
