import type { Command } from 'commander';
import { act, examples, W } from '../kit.ts';

export function register(program: Command): void {
  program
    .command('compact <table>')
    .description('compact the buckets whose sorted runs call for it (universal compaction), or all with --full')
    .option('--full', 'rewrite every bucket into the last level')
    .addHelpText('after', examples(`eddy ${W} compact shop.orders`, `eddy ${W} compact shop.orders --full --json`))
    .action(
      act(async (g, name: string, o: { full?: boolean }) => (await import('../maintenance.ts')).runCompact(g, name, o)),
    );
}
