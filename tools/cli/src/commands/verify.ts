import type { Command } from 'commander';
import { act, examples, W } from '../kit.ts';
import type { VerifyOptions } from '../verify.ts';

export function register(program: Command): void {
  program
    .command('verify <table>')
    .description('fsck: every snapshot, manifest and data file exists with its recorded size and agrees with its stats')
    .option('--deep', 'read every data file back (default: a sample of the latest snapshot)')
    .option('--sample <n>', 'data files of the latest snapshot to read back', '5')
    .addHelpText(
      'after',
      `${examples(`eddy ${W} verify shop.orders`, `eddy ${W} verify shop.orders --deep --json`)}\nAlso: every schema and consumer file parses and is sane, and every path the metadata names is inside\nthe table (or a data-file.external-paths root). Exit code 2 when problems are found; each is listed\nwith its snapshot and file.\nWarnings (exit code 0) name hazards for other engines sharing the table, such as min/max stats on\nbinary columns that older Eddy versions wrote and Paimon Java compares differently.\n`,
    )
    .action(act(async (g, name: string, o: VerifyOptions) => (await import('../verify.ts')).runVerify(g, name, o)));
}
