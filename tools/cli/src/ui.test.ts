/** `eddy ui` as users run it: it prints its URL and serves until SIGTERM; bad options are user errors. */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Catalog } from '@eddy/table';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binEnv } from '../../../test/bin-env.ts';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../bin/eddy.js');

let tmp: string;
let wh: string;

function eddy(args: string[]) {
  const env = binEnv();
  delete env.EDDY_WAREHOUSE;
  return spawn(process.execPath, [BIN, ...args], { cwd: tmp, env });
}

function finished(child: ReturnType<typeof eddy>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('eddy ui', () => {
  beforeAll(async () => {
    tmp = mkdtempSync(path.join(tmpdir(), 'eddy-cli-ui-'));
    wh = path.join(tmp, 'wh');
    const catalog = await Catalog.open(wh);
    await (await catalog.createTable('db.t', { columns: { id: 'INT' } })).upsert([{ id: 1 }]);
    await catalog.close();
  });

  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('prints its URL, answers with the warehouse, and stops on SIGTERM', async () => {
    const child = eddy(['--warehouse', wh, 'ui', '--port', '0']);
    const done = finished(child);
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        const m = /eddy ui: (http:\/\/127\.0\.0\.1:\d+\/) {2}\(read-only; Ctrl-C stops\)/.exec(out);
        if (m) resolve(m[1]);
      });
      child.on('close', () => reject(new Error(`exited before printing its URL: ${out}`)));
    });
    const w = (await (await fetch(`${url}api/warehouse`)).json()) as { databases: { tables: { name: string }[] }[] };
    expect(w.databases[0].tables.map((t) => t.name)).toEqual(['db.t']);
    child.kill('SIGTERM');
    const r = await done;
    expect(r.code).toBe(0);
  });

  it('refuses a non-loopback --host without --token, a bad port and a missing warehouse', async () => {
    const open = await finished(eddy(['--warehouse', wh, 'ui', '--host', '0.0.0.0']));
    expect(open.code).toBe(1);
    expect(open.stderr).toMatch(/INVALID_OPTION: --host 0\.0\.0\.0 .*--token/);
    const port = await finished(eddy(['--warehouse', wh, 'ui', '--port', '70000']));
    expect(port.code).toBe(1);
    expect(port.stderr).toMatch(/--port 70000/);
    const missing = await finished(eddy(['--warehouse', path.join(tmp, 'nope'), 'ui']));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/does not exist/);
  });
});
