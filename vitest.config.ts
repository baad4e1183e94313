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
    globalSetup: ['test/build-dist.ts'],
  },
});
