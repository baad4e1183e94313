// Writes docs/options.md from the option registry (packages/table/src/options/registry.ts).
// `node scripts/options-doc.mjs` rewrites it; `--check` exits 1 when the page is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

register();
const { renderOptionsDoc } = await import('./options-doc-render.ts');

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const page = join(root, 'docs', 'options.md');
const text = renderOptionsDoc();
if (process.argv.includes('--check')) {
  if (readFileSync(page, 'utf8') !== text) {
    console.error('docs/options.md is stale: run node scripts/options-doc.mjs');
    process.exit(1);
  }
} else {
  writeFileSync(page, text);
  console.log(`wrote ${page}`);
}
