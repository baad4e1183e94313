/**
 * The environment for spawning a bin (`eddy`, `eddy-compactor`) from a test: the built JavaScript
 * (test/build-dist.ts builds it first), without the `@eddy/source` condition the test processes
 * pass to their tsx children (plain node cannot load the .ts files it points at).
 */
export function binEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  env.NODE_OPTIONS = (env.NODE_OPTIONS ?? '')
    .split(/\s+/)
    .filter((o) => o !== '' && o !== '--conditions=@eddy/source')
    .join(' ');
  delete env.EDDY_FROM_SOURCE;
  return env;
}
