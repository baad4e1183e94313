import { type Command, Option } from 'commander';
import { act, examples, W } from '../kit.ts';
import type { LoadOptions } from '../load.ts';

export function register(program: Command): void {
  program
    .command('load <table> <file>')
    .description('upsert the rows of a .jsonl, .json (array), .csv or .parquet file in one commit')
    .addOption(
      new Option('--format <format>', 'file format (default: from the extension)').choices([
        'jsonl',
        'json',
        'csv',
        'parquet',
      ]),
    )
    .option('--delimiter <char>', 'CSV field delimiter', undefined)
    .option('--batch-rows <n>', 'rows handed to the writer at a time', '10000')
    .option('--ignore-unknown-columns', 'skip CSV/Parquet columns the table does not have')
    .option(
      '--overwrite [k=v,...]',
      'commit an OVERWRITE (INSERT OVERWRITE): of this partition, else of the partitions the rows go to',
    )
    .addHelpText(
      'after',
      `${examples(
        `eddy ${W} load shop.orders orders.jsonl`,
        `eddy ${W} load shop.orders eu-orders.csv --overwrite region=eu`,
        `eddy ${W} load shop.orders orders.csv --delimiter ';'`,
        `eddy ${W} load shop.orders part-0.parquet --ignore-unknown-columns`,
      )}\nCSV: a header line names the columns; an empty field is NULL, "" is an empty string.\nBinary values are base64 or 0x-hex; DECIMAL, DATE and TIMESTAMP are parsed from text exactly.\nAll rows land in one commit, or none: Ctrl-C before the commit leaves the table as it was.\n`,
    )
    .action(
      act(async (g, name: string, file: string, o: LoadOptions) =>
        (await import('../load.ts')).runLoad(g, name, file, o),
      ),
    );
}
