/**
 * Ctrl-C (SIGINT) and SIGTERM for commands that write: the first signal asks the command to stop at
 * a safe point (it then says what was and was not committed, exit 130); a second one exits at once
 * with `lastWords()` — what is known at that moment — on stderr.
 */
import { setExitCode } from './exit-code.ts';

export interface Interrupt {
  /** Whether a first signal arrived. */
  readonly requested: boolean;
  /** Fires with the first signal. */
  readonly signal: AbortSignal;
  dispose(): void;
}

export function onInterrupt(lastWords: () => string): Interrupt {
  const ac = new AbortController();
  let count = 0;
  const handler = () => {
    count++;
    if (count === 1) {
      setExitCode(130);
      ac.abort();
      process.stderr.write('\neddy: interrupted: stopping at the next safe point (Ctrl-C again to exit now)\n');
      return;
    }
    process.stderr.write(`\neddy: interrupted: ${lastWords()}\n`);
    process.exit(130);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    get requested() {
      return count > 0;
    },
    signal: ac.signal,
    dispose() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
