import type { Command } from 'commander';
import { act, examples, W } from '../kit.ts';

export function register(program: Command): void {
  program
    .command('drop-table <table>')
    .description('delete db.table and all its files')
    .option('--if-exists', 'succeed when the table does not exist')
    .addHelpText('after', examples(`eddy ${W} drop-table shop.orders`))
    .action(
      act(async (g, name: string, o: { ifExists?: boolean }) =>
        (await import('../inspect.ts')).runDropTable(g, name, o),
      ),
    );
}
