#!/usr/bin/env node
// `copy-assets.mjs <from> <to> <ext>…`: copies the files with these extensions from a package's src/
// to its dist/, keeping their folders. tsc emits only what it compiles; plain JavaScript loaded by
// URL at run time (the Parquet worker, format/parquet-worker.cjs) must ship beside the built modules.
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

const [from, to, ...exts] = process.argv.slice(2);
if (!from || !to || exts.length === 0) throw new Error('usage: copy-assets.mjs <from> <to> <ext>...');
const walk = (dir) =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : exts.some((x) => e.name.endsWith(x)) ? [join(dir, e.name)] : [],
  );
for (const file of walk(from)) {
  const target = join(to, relative(from, file));
  mkdirSync(join(target, '..'), { recursive: true });
  copyFileSync(file, target);
}
