import type { Command } from 'commander';
import { act, examples, W } from '../kit.ts';
import type { AuditOptions } from '../tail.ts';

export function register(program: Command): void {
  program
    .command('audit <table>')
    .description('the changes committed by a range of snapshots, with their row kinds (Paimon audit_log)')
    .option('--from <id|tag>', 'first snapshot (default: earliest), or a tag (then --to is a tag too)')
    .option('--to <id|tag>', 'last snapshot (default: latest), or a tag: the difference between the two tags')
    .option('--select <cols>', 'comma-separated columns')
    .option('--limit <n>', 'at most n changes')
    .addHelpText(
      'after',
      examples(
        `eddy ${W} audit shop.orders`,
        `eddy ${W} audit shop.orders --from 3 --to 5 --json`,
        `eddy ${W} audit shop.orders --from nightly-1 --to nightly-2`,
      ),
    )
    .action(act(async (g, name: string, o: AuditOptions) => (await import('../tail.ts')).runAudit(g, name, o)));
}
