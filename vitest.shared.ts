import { defaultServerConditions } from 'vite';

/**
 * Every suite runs the TypeScript sources, never a stale dist/: `@eddy/*` packages resolve through
 * their `@eddy/source` export condition in the test process (Vite) and in the processes tests spawn
 * (the bins run from source with EDDY_FROM_SOURCE=1; tsx scripts get the condition from NODE_OPTIONS).
 */
export const SOURCE_CONDITION = '@eddy/source';

const conditions = [SOURCE_CONDITION, ...defaultServerConditions];

export const fromSource = {
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: [SOURCE_CONDITION] } },
};

export const sourceEnv: Record<string, string> = {
  EDDY_FROM_SOURCE: '1',
  NODE_OPTIONS: [process.env.NODE_OPTIONS, `--conditions=${SOURCE_CONDITION}`].filter(Boolean).join(' '),
};
