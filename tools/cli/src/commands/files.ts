import type { Command } from 'commander';
import type { FilesOptions } from '../inspect.ts';
import { act, examples, W } from '../kit.ts';

export function register(program: Command): void {
  program
    .command('files <table>')
    .description('live data files per partition/bucket/level: rows, size, key range, sequence range')
    .option('--snapshot <id>', 'at this snapshot (default: latest)')
    .option('--partition <k=v,...>', 'only this partition')
    .option('--bucket <n>', 'only this bucket')
    .addHelpText(
      'after',
      examples(`eddy ${W} files shop.orders`, `eddy ${W} files shop.orders --partition region=eu --snapshot 3 --json`),
    )
    .action(act(async (g, name: string, o: FilesOptions) => (await import('../inspect.ts')).runFiles(g, name, o)));
}
