import type { Command } from 'commander';
import { act, examples, W } from '../kit.ts';

export function register(program: Command): void {
  program
    .command('remove-orphans <table>')
    .description('delete files no snapshot, tag or changelog references (left by failed or aborted writes)')
    .option('--older-than <duration>', 'only files older than this (default 1d: never touch commits in flight)')
    .option('--dry-run', 'list what would be removed')
    .addHelpText(
      'after',
      examples(
        `eddy ${W} remove-orphans shop.orders --dry-run`,
        `eddy ${W} remove-orphans shop.orders --older-than 2h`,
      ),
    )
    .action(
      act(async (g, name: string, o: { olderThan?: string; dryRun?: boolean }) =>
        (await import('../maintenance.ts')).runRemoveOrphans(g, name, o),
      ),
    );
}
