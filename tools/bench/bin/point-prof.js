#!/usr/bin/env node
import { register } from 'tsx/esm/api';

register();
// @eddy/* packages resolve to their TypeScript sources (the `@eddy/source` export condition), not dist/.
const { register: hooks } = await import('node:module');
const resolve = `export const resolve = (s, c, next) => next(s, { ...c, conditions: [...c.conditions, '@eddy/source'] });`;
hooks(`data:text/javascript,${encodeURIComponent(resolve)}`);
const { main } = await import('../src/point-prof.ts');
await main(process.argv.slice(2));
