import type { Command } from 'commander';
import { act, examples, W } from '../kit.ts';
import type { TailOptions } from '../tail.ts';

export function register(program: Command): void {
  program
    .command('tail <table>')
    .description('follow the change feed (+I/-U/+U/-D) as snapshots are committed, until Ctrl-C')
    .option('--from <where>', 'latest | full (current rows, then changes) | earliest | snapshot:N | time:ISO', 'latest')
    .option('--consumer <id>', 'keep the position in consumer/consumer-<id> and resume from it')
    .option('--select <cols>', 'comma-separated columns')
    .option('--limit <n>', 'stop after n changes')
    .option('--until-snapshot <id>', 'stop after this snapshot')
    .option('--poll <duration>', 'how often to look for a new snapshot', '200ms')
    .addHelpText(
      'after',
      `${examples(
        `eddy ${W} tail shop.orders`,
        `eddy ${W} tail shop.orders --from earliest --consumer audit-job`,
        `eddy ${W} --jsonl tail shop.orders --from snapshot:5 --limit 100`,
      )}\nWith --json or --jsonl each change is one line: {"snapshot":N,"kind":"+I","row":{...}}.\n`,
    )
    .action(act(async (g, name: string, o: TailOptions) => (await import('../tail.ts')).runTail(g, name, o)));
}
