import type { Command } from 'commander';
import { act, examples, W } from '../kit.ts';

export function register(program: Command): void {
  program
    .command('rollback <table>')
    .description('roll the table back to a snapshot or tag: later snapshots and tags are removed (stop writers first)')
    .option('--to <id>', 'the snapshot to roll back to')
    .option('--tag <name>', 'the tag to roll back to (restores its snapshot if it was expired)')
    .addHelpText(
      'after',
      examples(`eddy ${W} rollback shop.orders --to 12`, `eddy ${W} rollback shop.orders --tag before-backfill`),
    )
    .action(
      act(async (g, name: string, o: { to?: string; tag?: string }) =>
        (await import('../maintenance.ts')).runRollback(g, name, o),
      ),
    );
}
