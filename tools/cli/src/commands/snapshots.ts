import type { Command } from 'commander';
import { act, examples, W } from '../kit.ts';

export function register(program: Command): void {
  program
    .command('snapshots <table>')
    .description('snapshots: id, time, kind, commit user/identifier, record counts, manifest lists')
    .addHelpText(
      'after',
      examples(`eddy ${W} snapshots shop.orders`, `eddy ${W} snapshots shop.orders --jsonl | tail -1`),
    )
    .action(act(async (g, name: string) => (await import('../inspect.ts')).runSnapshots(g, name)));
}
