import type { Command } from 'commander';
import { act, examples, W } from '../kit.ts';

export function register(program: Command): void {
  program
    .command('buckets <table>')
    .description('compaction health per bucket: sorted runs, level-0 files, size, whether compaction is due')
    .addHelpText('after', examples(`eddy ${W} buckets shop.orders`))
    .action(act(async (g, name: string) => (await import('../inspect.ts')).runBuckets(g, name)));
}
