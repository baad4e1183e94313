/**
 * Every suite runs the TypeScript sources, never a stale dist/: `@eddy/*` packages resolve through
 * their `@eddy/source` export condition in the test process (Vite) and in the tsx scripts tests
 * spawn (NODE_OPTIONS). The bins tests spawn run dist/, built from the same sources by the global
 * setup test/build-dist.ts, with test/bin-env.ts's environment.
 */
export const SOURCE_CONDITION = '@eddy/source';

// Not Vite's default 'module': Vitest hands these conditions to Node for the packages it leaves
// external, and 'module' makes Node pick bundler-only builds (the AWS SDK's dist-es).
const conditions = [SOURCE_CONDITION, 'node', 'development|production'];

export const fromSource = {
  resolve: { conditions },
  ssr: { resolve: { conditions } },
};

export const sourceEnv: Record<string, string> = {
  NODE_OPTIONS: [process.env.NODE_OPTIONS, `--conditions=${SOURCE_CONDITION}`].filter(Boolean).join(' '),
};
