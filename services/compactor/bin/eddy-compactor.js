#!/usr/bin/env node
// `eddy-compactor`: runs the built JavaScript (dist/). Inside the Eddy repository — no dist/ yet, or
// EDDY_FROM_SOURCE=1 as the test suites set — it runs the TypeScript sources through tsx instead.
import { existsSync } from 'node:fs';

// The AWS SDK (which @eddy/s3 loads for s3:// warehouses) prints a notice about its own future Node
// support at every start under Node 20: not something a user of this command can act on each time.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const built = new URL('../dist/main.js', import.meta.url);
const source = new URL('../src/main.ts', import.meta.url);
let entry = built;
if ((process.env.EDDY_FROM_SOURCE === '1' || !existsSync(built)) && existsSync(source)) {
  const { register } = await import('tsx/esm/api').catch(() => {
    throw new Error(
      'eddy-compactor: dist/ is missing and tsx is not installed: run `npm run build` in the Eddy repository',
    );
  });
  register();
  // Resolve @eddy/* packages to their sources too (the `@eddy/source` export condition).
  const { register: hooks } = await import('node:module');
  const resolve = `export const resolve = (s, c, next) => next(s, { ...c, conditions: [...c.conditions, '@eddy/source'] });`;
  hooks(`data:text/javascript,${encodeURIComponent(resolve)}`);
  entry = source;
}
const { main } = await import(entry.href);
// Exit explicitly: work abandoned at shutdown may still hold the event loop open.
process.exit(await main(process.argv));
