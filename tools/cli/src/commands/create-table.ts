import type { Command } from 'commander';
import type { CreateTableOptions } from '../inspect.ts';
import { act, collect, examples, W } from '../kit.ts';

export function register(program: Command): void {
  program
    .command('create-table <table>')
    .description('create db.table from a schema file or --column flags (the database is created if missing)')
    .option(
      '--schema <file>',
      'JSON: {"columns": {"id": "BIGINT", ...}, "primaryKey": [...], "partitionKeys": [...], "options": {...}}',
    )
    .option('-c, --column <name:TYPE>', 'a column (repeat in order), e.g. --column id:BIGINT', collect)
    .option('--primary-key <cols>', 'comma-separated primary key columns')
    .option('--partition-keys <cols>', 'comma-separated partition columns')
    .option('--bucket <n>', 'fixed bucket count (option bucket)')
    .option('-o, --option <key=value>', 'a table option, e.g. --option changelog-producer=input (repeatable)', collect)
    .option('--comment <text>', 'table comment')
    .option('--if-not-exists', 'succeed when the table already exists')
    .addHelpText(
      'after',
      examples(
        `eddy ${W} create-table shop.orders -c id:BIGINT -c customer:STRING -c 'amount:DECIMAL(10, 2)' --primary-key id --bucket 4`,
        `eddy ${W} create-table shop.events --schema events.schema.json`,
      ),
    )
    .action(
      act(async (g, name: string, o: CreateTableOptions) => (await import('../inspect.ts')).runCreateTable(g, name, o)),
    );
}
