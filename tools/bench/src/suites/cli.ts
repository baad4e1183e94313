import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Ctx } from '../context.ts';
import type { Workload } from '../report.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

/** Wall-clock time of a fresh process, best of `runs` (start-up is noise-prone on a shared machine). */
function bestMs(args: string[], runs: number): number {
  // The bins run dist/ as users get it: no tsx, no source condition.
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: '' };
  delete env.EDDY_FROM_SOURCE;
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, args, { env, stdio: 'ignore' });
    const ms = performance.now() - t0;
    if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}`);
    best = Math.min(best, ms);
  }
  return best;
}

/** 7. CLI start-up: `eddy --help` and friends from the built JavaScript, beside `node -e 0`. */
export async function cliSuite(ctx: Ctx): Promise<Workload> {
  const runs = ctx.p.smoke ? 3 : 10;
  const eddy = path.join(ROOT, 'tools/cli/bin/eddy.js');
  const compactor = path.join(ROOT, 'services/compactor/bin/eddy-compactor.js');
  const floor = bestMs(['-e', '0'], runs);
  const row = (label: string, args: string[]) => {
    const ms = bestMs(args, runs);
    return {
      label,
      unit: 'ms',
      better: 'lower' as const,
      eddy: Math.round(ms),
      peers: [{ system: 'node -e 0 (floor)', value: Math.round(floor) }],
      detail: { 'over the floor': `${Math.round(ms - floor)} ms` },
    };
  };
  return {
    id: 'cli',
    title: 'CLI start-up: a fresh process until it exits',
    description:
      `Best of ${runs} runs each of the built bins (dist/, as npm installs them) beside a Node process that does nothing. ` +
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
