import type { Command } from 'commander';
import { act, examples, W } from '../kit.ts';

export function register(program: Command): void {
  program
    .command('tables [db]')
    .description('list the tables of one database (or of all), with keys, buckets and latest snapshot')
    .addHelpText('after', examples(`eddy ${W} tables`, `eddy ${W} tables shop --json`))
    .action(act(async (g, db: string | undefined) => (await import('../inspect.ts')).runTables(g, db)));
}
