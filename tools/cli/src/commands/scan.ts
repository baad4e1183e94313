import type { Command } from 'commander';
import { act, examples, W } from '../kit.ts';
import type { ScanCliOptions } from '../scan.ts';

export function register(program: Command): void {
  program
    .command('scan <table>')
    .description('merged rows of db.table (merge-on-read), filtered, projected, limited, time-travelled')
    .option(
      '--where <expr>',
      "filter: =, !=, <, <=, >, >=, [NOT] IN (...), [NOT] BETWEEN x AND y, [NOT] LIKE 'a%', IS [NOT] NULL, AND, OR, NOT, ( ); strings in 'quotes'",
    )
    .option('--select <cols>', 'comma-separated columns, in this order')
    .option('--limit <n>', 'at most n rows')
    .option('--snapshot <id>', 'read this snapshot (time travel)')
    .option('--as-of <time>', 'read the latest snapshot at or before this ISO time or epoch millis')
    .option('--tag <name>', "read this tag's snapshot (works after the snapshot expired)")
    .addHelpText(
      'after',
      `${examples(
        `eddy ${W} scan shop.orders --limit 20`,
        `eddy ${W} scan shop.orders --where "region = 'eu' and (amount > 100 or status in ('paid', 'shipped'))"`,
        `eddy ${W} scan shop.orders --where "customer like 'ad%'" --select order_id,status --json`,
        `eddy ${W} scan shop.orders --snapshot 3 --jsonl > orders-at-3.jsonl`,
        `eddy ${W} scan shop.orders --tag before-backfill`,
      )}\nTime travel reads a snapshot in its own schema: the columns the table had then.\nRows stream: the human table prints the first 1,000 rows (then counts the rest); --json and --jsonl\nprint every row as it is read.\n`,
    )
    .action(act(async (g, name: string, o: ScanCliOptions) => (await import('../scan.ts')).runScan(g, name, o)));
}
