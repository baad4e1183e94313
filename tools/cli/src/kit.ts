/**
 * What command definitions share: `--help` examples and the action wrapper. Definitions import
 * only this and commander, so `eddy --help` (and every `--help`) starts without loading the SDK;
 * an action loads its implementation module when it runs.
 */
import type { Command } from 'commander';
import type { GlobalOptions } from './context.ts';

/** `--warehouse ./wh`, as the examples write it. */
export const W = '--warehouse ./wh';

/** Help text with examples, shown after a command's options. */
export const examples = (...lines: string[]): string => `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;

/** Collects a repeatable option's values. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/**
 * An action: commander passes the positional arguments, the options, then the Command, from which
 * the global options (`--warehouse`, `--json`, `--jsonl`) come.
 */
export function act<A extends unknown[]>(
  fn: (g: GlobalOptions, ...args: A) => Promise<void>,
): (...args: unknown[]) => Promise<void> {
  return async (...args: unknown[]) => {
    const cmd = args[args.length - 1] as Command;
    const g = cmd.optsWithGlobals() as GlobalOptions;
    await fn(g, ...(args.slice(0, -1) as A));
  };
}

/** How a command file adds its command (and subcommands) to the program. */
export type Register = (program: Command) => void;
