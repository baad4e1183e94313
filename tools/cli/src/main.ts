import { EddyError } from '@eddy/table';
import { Command, CommanderError, Option } from 'commander';
import { type GlobalOptions, pendingExitCode } from './context.ts';
import { runDemo } from './demo.ts';
import {
  runBuckets,
  runCreateTable,
  runDatabases,
  runDescribe,
  runDropTable,
  runFiles,
  runManifests,
  runSnapshots,
  runTables,
} from './inspect.ts';
import { runLoad } from './load.ts';
import {
  runCompact,
  runExpire,
  runRemoveOrphans,
  runRollback,
  runTagCreate,
  runTagDelete,
  runTagList,
} from './maintenance.ts';
import { runScan } from './scan.ts';
import { runSql } from './sql.ts';
import { runAudit, runTail } from './tail.ts';
import { runVerify } from './verify.ts';

const W = '--warehouse ./wh';

/** Help text with examples, shown after a command's options. */
const examples = (...lines: string[]) => `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;

/** Wraps an action: the last argument commander passes is the Command; global options come from it. */
function act<A extends unknown[]>(
  fn: (g: GlobalOptions, ...args: A) => Promise<void>,
): (...args: unknown[]) => Promise<void> {
  return async (...args: unknown[]) => {
    const cmd = args[args.length - 1] as Command;
    const g = cmd.optsWithGlobals() as GlobalOptions;
    await fn(g, ...(args.slice(0, -1) as A));
  };
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function buildProgram(): Command {
  const program = new Command()
    .name('eddy')
    .description('Eddy: streaming lakehouse tables in Apache Paimon format — inspect, query, load and maintain them')
    .option('-w, --warehouse <uri>', 'warehouse: a local path or s3://bucket/prefix (default: $EDDY_WAREHOUSE)')
    .option('--json', 'output one JSON document (exact numbers and sizes)')
    .option('--jsonl', 'output JSON Lines, one object per line')
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .exitOverride()
    .addHelpText(
      'after',
      `${examples(
        'eddy demo',
        `eddy ${W} tables`,
        `eddy ${W} describe shop.orders`,
        `eddy ${W} scan shop.orders --where "region = 'eu' and amount > 100" --limit 10`,
        `eddy ${W} tail shop.orders --from latest`,
      )}\nExit codes: 0 success, 1 user error (one-line message on stderr), 2 verify found problems.\n`,
    );

  program
    .command('demo [dir]')
    .description(
      'create a demo warehouse (default ./eddy-demo, or s3://bucket/prefix), stream upserts and deletes while a change feed prints, compact, then show snapshots, files and a scan',
    )
    .option('--seconds <n>', 'how long to stream', '3')
    .addHelpText('after', examples('eddy demo', 'eddy demo /tmp/eddy-demo --seconds 2'))
    .action(async (dir: string | undefined, opts: { seconds: string }) => {
      const seconds = Number(opts.seconds);
      if (!Number.isFinite(seconds) || seconds < 0)
        throw new EddyError('INVALID_ARGUMENT', `--seconds: expected a number, got '${opts.seconds}'`);
      await runDemo(dir ?? './eddy-demo', seconds);
    });

  // --- catalog --------------------------------------------------------------------------------
  program
    .command('databases')
    .description('list the databases of the warehouse, with their table counts')
    .addHelpText('after', examples(`eddy ${W} databases`, `EDDY_WAREHOUSE=./wh eddy databases --json`))
    .action(act(runDatabases));
  program
    .command('tables [db]')
    .description('list the tables of one database (or of all), with keys, buckets and latest snapshot')
    .addHelpText('after', examples(`eddy ${W} tables`, `eddy ${W} tables shop --json`))
    .action(act(runTables));
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
    .action(act(runCreateTable));
  program
    .command('drop-table <table>')
    .description('delete db.table and all its files')
    .option('--if-exists', 'succeed when the table does not exist')
    .addHelpText('after', examples(`eddy ${W} drop-table shop.orders`))
    .action(act(runDropTable));

  // --- inspection -----------------------------------------------------------------------------
  program
    .command('describe <table>')
    .description('schema with field ids, keys, partitions, options, snapshot range, files, sizes and record counts')
    .option('--count', 'also count the live rows (a merge-on-read scan of one column)')
    .addHelpText('after', examples(`eddy ${W} describe shop.orders`, `eddy ${W} describe shop.orders --count --json`))
    .action(act(runDescribe));
  program
    .command('snapshots <table>')
    .description('snapshots: id, time, kind, commit user/identifier, record counts, manifest lists')
    .addHelpText(
      'after',
      examples(`eddy ${W} snapshots shop.orders`, `eddy ${W} snapshots shop.orders --jsonl | tail -1`),
    )
    .action(act(runSnapshots));
  program
    .command('files <table>')
    .description('live data files per partition/bucket/level: rows, size, key range, sequence range')
    .option('--snapshot <id>', 'at this snapshot (default: latest)')
    .option('--partition <k=v,...>', 'only this partition')
    .option('--bucket <n>', 'only this bucket')
    .addHelpText(
      'after',
      examples(`eddy ${W} files shop.orders`, `eddy ${W} files shop.orders --partition region=eu --snapshot 3 --json`),
    )
    .action(act(runFiles));
  program
    .command('manifests <table>')
    .description('the manifests of a snapshot (base, delta, changelog lists) with file counts and ranges')
    .option('--snapshot <id>', 'of this snapshot (default: latest)')
    .addHelpText(
      'after',
      examples(`eddy ${W} manifests shop.orders`, `eddy ${W} manifests shop.orders --snapshot 2 --json`),
    )
    .action(act(runManifests));
  program
    .command('buckets <table>')
    .description('compaction health per bucket: sorted runs, level-0 files, size, whether compaction is due')
    .addHelpText('after', examples(`eddy ${W} buckets shop.orders`))
    .action(act(runBuckets));

  // --- reading --------------------------------------------------------------------------------
  program
    .command('scan <table>')
    .description('merged rows of db.table (merge-on-read), filtered, projected, limited, time-travelled')
    .option(
      '--where <expr>',
      "filter: =, !=, <, <=, >, >=, [NOT] IN (...), [NOT] BETWEEN x AND y, IS [NOT] NULL, AND, OR, NOT, ( ); strings in 'quotes'",
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
        `eddy ${W} scan shop.orders --where "customer is null" --select order_id,status --json`,
        `eddy ${W} scan shop.orders --snapshot 3 --jsonl > orders-at-3.jsonl`,
        `eddy ${W} scan shop.orders --tag before-backfill`,
      )}\nTime travel reads a snapshot in its own schema: the columns the table had then.\n`,
    )
    .action(act(runScan));
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
    .action(act(runSql));
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
    .action(act(runTail));
  program
    .command('audit <table>')
    .description('the changes committed by a range of snapshots, with their row kinds (Paimon audit_log)')
    .option('--from <id|tag>', 'first snapshot (default: earliest), or a tag (then --to is a tag too)')
    .option('--to <id|tag>', 'last snapshot (default: latest), or a tag: the difference between the two tags')
    .option('--select <cols>', 'comma-separated columns')
    .option('--limit <n>', 'at most n changes')
    .addHelpText(
      'after',
      examples(
        `eddy ${W} audit shop.orders`,
        `eddy ${W} audit shop.orders --from 3 --to 5 --json`,
        `eddy ${W} audit shop.orders --from nightly-1 --to nightly-2`,
      ),
    )
    .action(act(runAudit));

  // --- writing --------------------------------------------------------------------------------
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
      )}\nCSV: a header line names the columns; an empty field is NULL, "" is an empty string.\nBinary values are base64 or 0x-hex; DECIMAL, DATE and TIMESTAMP are parsed from text exactly.\n`,
    )
    .action(act(runLoad));

  // --- maintenance ----------------------------------------------------------------------------
  program
    .command('compact <table>')
    .description('compact the buckets whose sorted runs call for it (universal compaction), or all with --full')
    .option('--full', 'rewrite every bucket into the last level')
    .addHelpText('after', examples(`eddy ${W} compact shop.orders`, `eddy ${W} compact shop.orders --full --json`))
    .action(act(runCompact));
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
    .action(act(runExpire));
  program
    .command('remove-orphans <table>')
    .description('delete files no snapshot, tag or changelog references (left by failed or aborted writes)')
    .option('--older-than <duration>', 'only files older than this (default 1d: never touch commits in flight)')
    .option('--dry-run', 'list what would be removed')
    .addHelpText(
      'after',
      examples(
        `eddy ${W} remove-orphans shop.orders --dry-run`,
        `eddy ${W} remove-orphans shop.orders --older-than 2h`,
      ),
    )
    .action(act(runRemoveOrphans));
  const tag = program
    .command('tag')
    .description('named snapshots that expiry keeps: create, delete, list')
    .addHelpText(
      'after',
      examples(
        `eddy ${W} tag create shop.orders before-backfill`,
        `eddy ${W} tag create shop.orders nightly-2026-11-24 --snapshot 42`,
        `eddy ${W} tag list shop.orders`,
        `eddy ${W} tag delete shop.orders before-backfill`,
      ),
    );
  tag
    .command('create <table> <name>')
    .description('tag a snapshot (default: the latest); expiry keeps what a tag needs')
    .option('--snapshot <id>', 'the snapshot to tag')
    .option('--time-retained <duration>', "delete the tag this long after now (default: 'tag.default-time-retained')")
    .addHelpText(
      'after',
      examples(
        `eddy ${W} tag create shop.orders before-backfill --snapshot 42`,
        `eddy ${W} tag create shop.orders daily-check --time-retained 7d`,
      ),
    )
    .action(act(runTagCreate));
  tag
    .command('delete <table> <name>')
    .description('delete a tag (when its snapshot expired, also the files only it kept)')
    .addHelpText('after', examples(`eddy ${W} tag delete shop.orders before-backfill`))
    .action(act(runTagDelete));
  tag
    .command('list <table>')
    .description('list the tags with their snapshots')
    .addHelpText('after', examples(`eddy ${W} tag list shop.orders --json`))
    .action(act(runTagList));
  program
    .command('rollback <table>')
    .description('roll the table back to a snapshot or tag: later snapshots and tags are removed (stop writers first)')
    .option('--to <id>', 'the snapshot to roll back to')
    .option('--tag <name>', 'the tag to roll back to (restores its snapshot if it was expired)')
    .addHelpText(
      'after',
      examples(`eddy ${W} rollback shop.orders --to 12`, `eddy ${W} rollback shop.orders --tag before-backfill`),
    )
    .action(act(runRollback));
  program
    .command('verify <table>')
    .description('fsck: every snapshot, manifest and data file exists with its recorded size and agrees with its stats')
    .option('--deep', 'read every data file back (default: a sample of the latest snapshot)')
    .option('--sample <n>', 'data files of the latest snapshot to read back', '5')
    .addHelpText(
      'after',
      `${examples(`eddy ${W} verify shop.orders`, `eddy ${W} verify shop.orders --deep --json`)}\nExit code 2 when problems are found; each is listed with its snapshot and file.\n`,
    )
    .action(act(runVerify));

  return program;
}

export async function main(argv: string[]): Promise<number> {
  // `eddy … | head` closes the pipe early: that is not an error.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return pendingExitCode();
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    const line = (s: string) => s.replace(/\s*\n\s*/g, ' ');
    if (e instanceof EddyError) {
      process.stderr.write(`eddy: ${e.code}: ${line(e.message)}\n`);
      return 1;
    }
    process.stderr.write(`eddy: ${line(e instanceof Error ? e.message : String(e))}\n`);
    if (process.env.EDDY_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
    return 1;
  }
}
