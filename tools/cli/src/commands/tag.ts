import type { Command } from 'commander';
import { act, examples, W } from '../kit.ts';

export function register(program: Command): void {
  const tag = program
    .command('tag')
    .description('named snapshots that expiry keeps: create, delete, list')
    .addHelpText(
      'after',
      examples(
        `eddy ${W} tag create shop.orders before-backfill`,
        `eddy ${W} tag create shop.orders nightly-2026-11-24 --snapshot 42`,
        `eddy ${W} tag list shop.orders`,
        `eddy ${W} tag delete shop.orders before-backfill`,
      ),
    );
  tag
    .command('create <table> <name>')
    .description('tag a snapshot (default: the latest); expiry keeps what a tag needs')
    .option('--snapshot <id>', 'the snapshot to tag')
    .option('--time-retained <duration>', "delete the tag this long after now (default: 'tag.default-time-retained')")
    .addHelpText(
      'after',
      examples(
        `eddy ${W} tag create shop.orders before-backfill --snapshot 42`,
        `eddy ${W} tag create shop.orders daily-check --time-retained 7d`,
      ),
    )
    .action(
      act(async (g, name: string, t: string, o: { snapshot?: string; timeRetained?: string }) =>
        (await import('../maintenance.ts')).runTagCreate(g, name, t, o),
      ),
    );
  tag
    .command('delete <table> <name>')
    .description('delete a tag (when its snapshot expired, also the files only it kept)')
    .addHelpText('after', examples(`eddy ${W} tag delete shop.orders before-backfill`))
    .action(act(async (g, name: string, t: string) => (await import('../maintenance.ts')).runTagDelete(g, name, t)));
  tag
    .command('list <table>')
    .description('list the tags with their snapshots')
    .addHelpText('after', examples(`eddy ${W} tag list shop.orders --json`))
    .action(act(async (g, name: string) => (await import('../maintenance.ts')).runTagList(g, name)));
}
