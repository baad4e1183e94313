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

it('the README SQL example runs exactly as written, after the quick start', () => {
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  const block = (heading: string) => /```ts\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf(heading)))?.[1] ?? '';
  const quick = block('## Quick start');
  const sql = block('## SQL');
  expect(sql).toContain('EddySql');
  const imports = (code: string) => code.split('\n').filter((l) => l.startsWith('import '));
  const body = (code: string) => code.split('\n').filter((l) => !l.startsWith('import '));
  const code = [...imports(quick), ...imports(sql), ...body(quick), ...body(sql)].join('\n');
  const file = path.join(root, 'test', `.sql-example-${process.pid}.mts`);
  const cwd = mkdtempSync(path.join(tmpdir(), 'eddy-sql-example-'));
  try {
    writeFileSync(file, code);
    const out = execFileSync(process.execPath, [path.join(root, 'node_modules/tsx/dist/cli.mjs'), file], {
      cwd,
      encoding: 'utf8',
    });
    // cy's order doubled, dee's fixed by the MERGE, eve's inserted by it; snapshot 1 is ada and bob.
    expect(out).toContain("day: '2026-11-25', orders: 2n, revenue: '24.18'");
    expect(out).toContain("day: '2026-11-26', orders: 1n, revenue: '25.00'");
    expect(out).toContain("day: '2026-11-27', orders: 1n, revenue: '1.50'");
    expect(out).toMatch(
      /\[\s*\{ customer: 'ada', amount: '12\.50' \},\s*\{ customer: 'bob', amount: '3\.10' \}\s*\]\s*$/,
    );
  } finally {
    rmSync(file, { force: true });
    rmSync(cwd, { recursive: true, force: true });
  }
});
