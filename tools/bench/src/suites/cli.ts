import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Ctx } from '../context.ts';
import type { Workload } from '../report.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

/**
 * A fresh process, best of `runs`: wall-clock ms, and CPU ms (user + system, from /usr/bin/time
 * when present) — the CPU figure holds up on a shared, loaded machine where wall time does not.
 */
function best(args: string[], runs: number): { wallMs: number; cpuMs: number | undefined } {
  // The bins run dist/ as users get it: no tsx, no source condition.
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: '' };
  delete env.EDDY_FROM_SOURCE;
  const timeBin = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
  const out = path.join(mkdtempSync(path.join(tmpdir(), 'eddy-bench-cli-')), 'time');
  let wallMs = Number.POSITIVE_INFINITY;
  let cpuMs: number | undefined;
  for (let i = 0; i < runs; i++) {
    const cmd = timeBin ? [timeBin, '-f', '%U %S', '-o', out, process.execPath, ...args] : [process.execPath, ...args];
    const t0 = performance.now();
    const r = spawnSync(cmd[0], cmd.slice(1), { env, stdio: 'ignore' });
    const ms = performance.now() - t0;
    if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}`);
    wallMs = Math.min(wallMs, ms);
    if (timeBin) {
      const [u, sys] = readFileSync(out, 'utf8').trim().split(/\s+/).map(Number);
      cpuMs = Math.min(cpuMs ?? Number.POSITIVE_INFINITY, (u + sys) * 1000);
    }
  }
  rmSync(path.dirname(out), { recursive: true, force: true });
  return { wallMs, cpuMs };
}

/** 7. CLI start-up: `eddy --help` and friends from the built JavaScript, beside `node -e 0`. */
export async function cliSuite(ctx: Ctx): Promise<Workload> {
  const runs = ctx.p.smoke ? 3 : 10;
  const eddy = path.join(ROOT, 'tools/cli/bin/eddy.js');
  const compactor = path.join(ROOT, 'services/compactor/bin/eddy-compactor.js');
  const floor = best(['-e', '0'], runs);
  const cpu = (ms: number | undefined) => (ms === undefined ? 'n/a' : `${Math.round(ms)} ms`);
  const row = (label: string, args: string[]) => {
    const m = best(args, runs);
    return {
      label,
      unit: 'ms',
      better: 'lower' as const,
      eddy: Math.round(m.wallMs),
      peers: [{ system: 'node -e 0 (floor)', value: Math.round(floor.wallMs) }],
      detail: { Eddy: `(cpu ${cpu(m.cpuMs)})`, 'node -e 0 (floor)': `(cpu ${cpu(floor.cpuMs)})` },
    };
  };
  return {
    id: 'cli',
    title: 'CLI start-up: a fresh process until it exits',
    description:
      `Best of ${runs} runs each of the built bins (dist/, as npm installs them) beside a Node process that does nothing; ` +
      'wall-clock ms, with CPU ms (user + system) under each value, which a loaded machine distorts less. ' +
      "`--help` loads commander and the command definitions only; the SDK loads when a command's action runs.",
    metrics: [
      row('eddy --help', [eddy, '--help']),
      row('eddy --version', [eddy, '--version']),
      row('eddy scan --help', [eddy, 'scan', '--help']),
      row('eddy-compactor --help', [compactor, '--help']),
    ],
    notes: ['Target: eddy --help within 300 ms on this machine (issue 18).'],
    unmeasured: [],
  };
}
