/**
 * The `eddy` program: global options, then one file per command under commands/ (each adds its
 * definition; its action loads the implementation when it runs, so `--help` stays fast).
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { register as alter } from './commands/alter.ts';
import { register as audit } from './commands/audit.ts';
import { register as buckets } from './commands/buckets.ts';
import { register as compact } from './commands/compact.ts';
import { register as completion } from './commands/completion.ts';
import { register as createTable } from './commands/create-table.ts';
import { register as databases } from './commands/databases.ts';
import { register as demo } from './commands/demo.ts';
import { register as describe } from './commands/describe.ts';
import { register as dropTable } from './commands/drop-table.ts';
import { register as expire } from './commands/expire.ts';
import { register as files } from './commands/files.ts';
import { register as load } from './commands/load.ts';
import { register as manifests } from './commands/manifests.ts';
import { register as removeOrphans } from './commands/remove-orphans.ts';
import { register as rollback } from './commands/rollback.ts';
import { register as scan } from './commands/scan.ts';
import { register as snapshots } from './commands/snapshots.ts';
import { register as sql } from './commands/sql.ts';
import { register as tables } from './commands/tables.ts';
import { register as tag } from './commands/tag.ts';
import { register as tail } from './commands/tail.ts';
import { register as ui } from './commands/ui.ts';
import { register as verify } from './commands/verify.ts';
import { pendingExitCode } from './exit-code.ts';
import { examples, type Register, W } from './kit.ts';

/** The commands, in the order `eddy --help` lists them. */
const COMMANDS: readonly Register[] = [
  demo,
  // catalog
  databases,
  tables,
  createTable,
  dropTable,
  alter,
  // inspection
  describe,
  snapshots,
  files,
  manifests,
  buckets,
  // reading
  scan,
  tail,
  audit,
  sql,
  ui,
  // writing
  load,
  // maintenance
  compact,
  expire,
  removeOrphans,
  tag,
  rollback,
  verify,
  // shell
  completion,
];

const version = (): string =>
  (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export function buildProgram(): Command {
  const program = new Command()
    .name('eddy')
    .description('Eddy: streaming lakehouse tables in Apache Paimon format — inspect, query, load and maintain them')
    .version(version(), '-V, --version', 'print the version of eddy')
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
      )}\nExit codes: 0 success, 1 user error (one-line message on stderr), 2 verify found problems,\n130 interrupted (Ctrl-C; the message says what was committed).\n`,
    );
  for (const add of COMMANDS) add(program);
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
    const code = (e as { name?: unknown; code?: unknown }).code;
    if (e instanceof Error && e.name === 'EddyError' && typeof code === 'string') {
      process.stderr.write(`eddy: ${code}: ${line(e.message)}\n`);
    } else {
      process.stderr.write(`eddy: ${line(e instanceof Error ? e.message : String(e))}\n`);
    }
    if (process.env.EDDY_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
    return Math.max(1, pendingExitCode());
  }
}
