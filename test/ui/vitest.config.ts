import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { fromSource, sourceEnv } from '../../vitest.shared.ts';

/**
 * The browser suite: `npm run test:ui`. A real headless Chromium (Debian's `chromium`, installed
 * by .ci/ui-setup.sh; EDDY_CHROMIUM names another binary) driven by playwright-core against the
 * real `eddy ui` bin on a demo warehouse. Screenshots of every page go to test/ui/.artifacts/.
 * One file, one browser: Chromium alone keeps a core busy.
 */
export default defineConfig({
  ...fromSource,
  root: path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..'),
  test: {
    include: ['test/ui/**/*.test.ts'],
    globalSetup: ['test/build-dist.ts'],
    env: sourceEnv,
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
