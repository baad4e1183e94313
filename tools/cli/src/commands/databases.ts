import type { Command } from 'commander';
import { act, examples, W } from '../kit.ts';

export function register(program: Command): void {
  program
    .command('databases')
    .description('list the databases of the warehouse, with their table counts')
    .addHelpText('after', examples(`eddy ${W} databases`, `EDDY_WAREHOUSE=./wh eddy databases --json`))
    .action(act(async (g) => (await import('../inspect.ts')).runDatabases(g)));
}
