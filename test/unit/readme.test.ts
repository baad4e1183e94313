import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

it('the README quick start runs exactly as written', () => {
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Quick start'));
  const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  expect(code).toBeDefined();
  // The file must live inside the repo so that '@eddy/table' resolves; it runs in an empty folder.
  const file = path.join(root, 'test', `.quickstart-${process.pid}.mts`);
  const cwd = mkdtempSync(path.join(tmpdir(), 'eddy-quickstart-'));
  try {
    writeFileSync(file, code!);
    const out = execFileSync(process.execPath, [path.join(root, 'node_modules/tsx/dist/cli.mjs'), file], {
      cwd,
      encoding: 'utf8',
    });
    // The filtered scan shows bob's latest version; time travel to snapshot 1 shows ada and bob.
    expect(out).toContain("amount: '4.20'");
    expect(out.match(/customer: 'ada'/g)?.length).toBe(1);
    expect(out.match(/customer: 'bob'/g)?.length).toBe(2);
  } finally {
    rmSync(file, { force: true });
    rmSync(cwd, { recursive: true, force: true });
  }
});
