import type { Command } from 'commander';
import { act, examples, W } from '../kit.ts';

export const ALTER_HELP = `
Changes (applied in order, as one ALTER):
  add <col> <TYPE> [comment '<text>'] [default '<value>'] [first | after <col> | before <col>]
  drop <col>
  rename <col> to <new>
  type <col> <TYPE>                  widen a type (INT to BIGINT, FLOAT to DOUBLE, longer VARCHAR, ...)
  nullable <col>                     drop NOT NULL
  comment <col> '<text>'             (comment <col> null removes it)
  move <col> first | last | after <col> | before <col>
  default <col> '<value>'            (default <col> null removes it)
  set <key>=<value>                  a table option
  reset <key>                        remove a table option
  table-comment '<text>'
`;

export function register(program: Command): void {
  program
    .command('alter <table> [changes...]')
    .description('ALTER TABLE: add, drop, rename, move, widen columns, set or reset options — one new schema')
    .option('--file <json>', "a JSON array of the SDK's SchemaChange objects (after the clauses)")
    .addHelpText(
      'after',
      `${ALTER_HELP}${examples(
        `eddy ${W} alter shop.orders "add note STRING comment 'free text' after customer"`,
        `eddy ${W} alter shop.orders "type amount DECIMAL(12, 2)" "rename customer to buyer" "set snapshot.num-retained.max=100"`,
      )}`,
    )
    .action(
      act(async (g, name: string, changes: string[], o: { file?: string }) =>
        (await import('../alter.ts')).runAlter(g, name, changes, o),
      ),
    );
}
