import type { Command } from 'commander';
import { act, examples, W } from '../kit.ts';
import type { UiCommandOptions } from '../ui.ts';

export function register(program: Command): void {
  program
    .command('ui')
    .description(
      'a local web page over the warehouse: tables, snapshot timeline, LSM shape per bucket, files, tags and consumers, live change feed, SQL',
    )
    .option('-p, --port <port>', 'port to listen on (0: any free port)', '7431')
    .option('--host <address>', 'address to bind (default 127.0.0.1); anything but loopback needs --token')
    .option('--token <secret>', 'a secret every request must present (the printed URL carries it once)')
    .option('--allow-writes', 'let the SQL console run INSERT/UPDATE/DELETE/DDL (default: read-only)')
    .addHelpText(
      'after',
      `${examples(
        `eddy ${W} ui`,
        `eddy ${W} ui --port 8080 --allow-writes`,
        `eddy ${W} ui --host 0.0.0.0 --token "$(openssl rand -hex 16)"`,
      )}\nOnly requests for 127.0.0.1/localhost are answered unless --host is given with --token. Ctrl-C stops.\n`,
    )
    .action(act(async (g, o: UiCommandOptions) => (await import('../ui.ts')).runUi(g, o)));
}
