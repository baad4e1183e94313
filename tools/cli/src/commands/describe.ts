import type { Command } from 'commander';
import { act, examples, W } from '../kit.ts';

export function register(program: Command): void {
  program
    .command('describe <table>')
    .description('schema with field ids, keys, partitions, options, snapshot range, files, sizes and record counts')
    .option('--count', 'also count the live rows (a merge-on-read scan of one column)')
    .addHelpText('after', examples(`eddy ${W} describe shop.orders`, `eddy ${W} describe shop.orders --count --json`))
    .action(
      act(async (g, name: string, o: { count?: boolean }) => (await import('../inspect.ts')).runDescribe(g, name, o)),
    );
}
