import type { Command } from 'commander';
import { act, examples, W } from '../kit.ts';
import type { ExpireCliOptions } from '../maintenance.ts';

export function register(program: Command): void {
  program
    .command('expire <table>')
    .description('expire old snapshots (keeps what tags and consumers need) and delete the files only they used')
    .option('--retain-min <n>', 'always keep at least n snapshots (default: snapshot.num-retained.min)')
    .option('--retain-max <n>', 'keep at most n snapshots (default: snapshot.num-retained.max)')
    .option(
      '--older-than <duration>',
      'expire only snapshots older than this, e.g. 1h (default: snapshot.time-retained)',
    )
    .option('--limit <n>', 'expire at most n snapshots in this run (default: snapshot.expire.limit)')
    .addHelpText(
      'after',
      examples(`eddy ${W} expire shop.orders`, `eddy ${W} expire shop.orders --retain-min 5 --older-than 10m`),
    )
    .action(
      act(async (g, name: string, o: ExpireCliOptions) => (await import('../maintenance.ts')).runExpire(g, name, o)),
    );
}
