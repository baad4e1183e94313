import { EddyError } from '@eddy/table';
import { Command, CommanderError } from 'commander';
import { runDemo } from './demo.ts';
import { runScan, runSnapshots, runTables } from './inspect.ts';

export async function main(argv: string[]): Promise<number> {
  const program = new Command()
    .name('eddy')
    .description('Eddy: streaming lakehouse tables in Apache Paimon format')
    .option('--warehouse <uri>', 'warehouse path (or EDDY_WAREHOUSE)', process.env.EDDY_WAREHOUSE)
    .option('--json', 'machine-readable output')
    .exitOverride();

  program
    .command('demo [dir]')
    .description('create a demo warehouse, stream upserts and deletes, then show snapshots and a scan')
    .option('--seconds <n>', 'how long to stream', '3')
    .action(async (dir: string | undefined, opts: { seconds: string }) => {
      await runDemo(dir ?? './eddy-demo', Number(opts.seconds));
    });
  program
    .command('tables [db]')
    .description('list databases, or the tables of one')
    .action(async (db: string | undefined) => runTables(warehouse(program), db, json(program)));
  program
    .command('snapshots <table>')
    .description('list the snapshots of db.table')
    .action(async (t: string) => runSnapshots(warehouse(program), t, json(program)));
  program
    .command('scan <table>')
    .description('print the rows of db.table')
    .option('--select <cols>', 'comma-separated columns')
    .option('--limit <n>', 'at most n rows')
    .option('--snapshot <id>', 'time travel to a snapshot id')
    .action(async (t: string, o: { select?: string; limit?: string; snapshot?: string }) =>
      runScan(
        warehouse(program),
        t,
        {
          select: o.select?.split(','),
          limit: o.limit ? Number(o.limit) : undefined,
          snapshotId: o.snapshot ? Number(o.snapshot) : undefined,
        },
        json(program),
      ),
    );

  try {
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    if (e instanceof EddyError) {
      process.stderr.write(`eddy: ${e.code}: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

function warehouse(p: Command): string {
  const w = p.opts().warehouse as string | undefined;
  if (!w) throw new EddyError('INVALID_ARGUMENT', 'no warehouse: pass --warehouse <uri> or set EDDY_WAREHOUSE');
  return w;
}

const json = (p: Command): boolean => p.opts().json === true;
