#!/usr/bin/env node
// Import cycles (part of `npm run lint`): madge over the sources of every package, tool and service,
// type-only imports included. Fails on any cycle not in ALLOWED.
import madge from 'madge';

const ROOTS = ['packages', 'tools', 'services'];

/**
 * Known cycles, each until the session that owns the code removes it. schema/table-schema.ts ↔
 * merge/merge-function.ts: the options session (issue 17) moves option parsing into options/,
 * which ends it — then delete the entry (a listed cycle that no longer exists fails too).
 */
const ALLOWED = [];

const key = (cycle) => [...cycle].sort().join(' ↔ ');
const result = await madge(ROOTS, {
  baseDir: process.cwd(),
  fileExtensions: ['ts'],
  tsConfig: 'tsconfig.json',
  excludeRegExp: [/node_modules/, /\/dist\//, /\.test\.ts$/],
  detectiveOptions: { ts: { skipTypeImports: false }, es6: { skipTypeImports: false } },
});
const cycles = result.circular();
const allowed = new Set(ALLOWED.map(key));
const found = new Set(cycles.map(key));
const bad = cycles.filter((c) => !allowed.has(key(c)));
const stale = ALLOWED.filter((c) => !found.has(key(c)));
for (const c of bad) console.error(`import cycle: ${[...c, c[0]].join(' → ')}`);
for (const c of stale) console.error(`check-cycles.mjs: the allowed cycle ${key(c)} is gone: remove it from ALLOWED`);
if (bad.length > 0 || stale.length > 0) process.exit(1);
console.log(
  `no import cycles in ${Object.keys(result.obj()).length} modules${found.size ? ` (besides ${found.size} known, listed in scripts/check-cycles.mjs)` : ''}`,
);
