import type { Command } from 'commander';
import { act, examples, W } from '../kit.ts';
import type { AuditOptions } from '../tail.ts';

export function register(program: Command): void {
  program
    .command('audit <table>')
    .description('the changes committed by a range of snapshots, with their row kinds (Paimon audit_log)')
    .option('--from <id>', 'first snapshot (default: earliest)')
    .option('--to <id>', 'last snapshot (default: latest)')
    .option('--select <cols>', 'comma-separated columns')
    .option('--limit <n>', 'at most n changes')
    .addHelpText('after', examples(`eddy ${W} audit shop.orders`, `eddy ${W} audit shop.orders --from 3 --to 5 --json`))
    .action(act(async (g, name: string, o: AuditOptions) => (await import('../tail.ts')).runAudit(g, name, o)));
}
