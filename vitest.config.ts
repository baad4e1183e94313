import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import { fromSource, sourceEnv } from './vitest.shared.ts';

export default defineConfig({
  ...fromSource,
  test: {
    env: sourceEnv,
    include: [
      'packages/*/src/**/*.test.ts',
      'packages/*/test/**/*.test.ts',
      'tools/*/src/**/*.test.ts',
      'services/*/test/**/*.test.ts',
      'test/unit/**/*.test.ts',
    ],
    testTimeout: 180_000,
    hookTimeout: 180_000,
    pool: 'forks',
    // Vitest's default is one worker per core but one: a single worker on a 2-core machine, while
    // many files mostly wait on subprocesses, workers and disk.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    // One process per worker for all its files, not one per file: a fresh process per file re-imported
    // the sources through Vite and warmed up the JIT and the Parquet worker threads (parquet-wasm)
    // again, about half the suite's CPU time. No test file changes process-wide state (environment,
    // globals, mocks) without restoring it; each makes its own temp directories.
    isolate: false,
    globalSetup: ['test/build-dist.ts', 'test/memory-tmpdir.ts'],
  },
});
