import type { Command } from 'commander';
import { act, examples, W } from '../kit.ts';
import type { SqlOptions } from '../sql.ts';

export function register(program: Command): void {
  program
    .command('sql [query]')
    .description(
      'SQL over the tables (embedded DuckDB; writes go through Eddy): a query or script, or an interactive prompt',
    )
    .option('--csv', 'output CSV (header line; NULL is an empty field)')
    .option('--parquet <file>', 'write the query result to a Parquet file')
    .option('-f, --file <script>', 'run the statements of a SQL file')
    .option('-i, --interactive', 'the prompt, even when stdin is not a terminal')
    .addHelpText(
      'after',
      `${examples(
        `eddy ${W} sql "SELECT region, count(*), sum(amount) FROM shop.orders GROUP BY region"`,
        `eddy ${W} sql "SELECT * FROM shop.orders AT (VERSION => 3) WHERE id = 42" --json`,
        `eddy ${W} sql "SELECT rowkind, count(*) FROM eddy_changes('shop.orders', from => 3, to => 9) GROUP BY 1"`,
        `eddy ${W} sql "SELECT * FROM shop.orders$snapshots" --csv > snapshots.csv`,
        `eddy ${W} sql "UPDATE shop.orders SET status = 'shipped' WHERE id = 42"`,
        `eddy ${W} sql "SELECT * FROM shop.orders WHERE region = 'eu'" --parquet eu.parquet`,
        `eddy ${W} sql            # interactive: .tables, .schema db.t, .help`,
      )}\nEach statement on an Eddy table commits on its own. See the README's SQL section.\n`,
    )
    .action(
      act(async (g, query: string | undefined, o: SqlOptions) => (await import('../sql.ts')).runSql(g, query, o)),
    );
}
