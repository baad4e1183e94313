/**
 * Vitest global setup: builds dist/ (incremental `tsc -b`, about a second when nothing changed), so
 * the bins the tests spawn (`eddy`, `eddy-compactor`) run the built JavaScript of the current
 * sources, as users run them — and start in a fraction of the time tsx needs.
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export default function setup(): void {
  const env = { ...process.env, NODE_OPTIONS: '' };
  execFileSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-b', 'tsconfig.build.json'], {
    cwd: ROOT,
    env,
    stdio: 'inherit',
  });
  execFileSync(process.execPath, ['scripts/copy-assets.mjs', 'packages/table/src', 'packages/table/dist', '.cjs'], {
    cwd: ROOT,
    env,
    stdio: 'inherit',
  });
}
