import { defaultServerConditions } from 'vite';

/**
 * Every suite runs the TypeScript sources, never a stale dist/: `@eddy/*` packages resolve through
 * their `@eddy/source` export condition in the test process (Vite) and in the tsx scripts tests
 * spawn (NODE_OPTIONS). The bins tests spawn run dist/, built from the same sources by the global
 * setup test/build-dist.ts, with test/bin-env.ts's environment.
 */
export const SOURCE_CONDITION = '@eddy/source';

const conditions = [SOURCE_CONDITION, ...defaultServerConditions];

export const fromSource = {
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: [SOURCE_CONDITION] } },
};

export const sourceEnv: Record<string, string> = {
  NODE_OPTIONS: [process.env.NODE_OPTIONS, `--conditions=${SOURCE_CONDITION}`].filter(Boolean).join(' '),
};
