import type { Command } from 'commander';
import type { DemoOptions } from '../demo.ts';
import { examples } from '../kit.ts';

export function register(program: Command): void {
  program
    .command('demo [dir]')
    .description(
      'create a demo warehouse (default ./eddy-demo, or s3://bucket/prefix), stream upserts and deletes while a change feed prints, compact, then show snapshots, files and a scan',
    )
    .option('--seconds <n>', 'how long to stream', '3')
    .option('--force', 'replace the shop.orders table when the warehouse already has one')
    .addHelpText(
      'after',
      `${examples('eddy demo', 'eddy demo /tmp/eddy-demo --seconds 2', 'eddy demo ./eddy-demo --force')}\nAn existing shop.orders table is never replaced silently: on a terminal the demo asks, otherwise it\nrefuses unless --force is given.\n`,
    )
    .action(async (dir: string | undefined, opts: DemoOptions) => {
      const { runDemo } = await import('../demo.ts');
      await runDemo(dir ?? './eddy-demo', opts);
    });
}
