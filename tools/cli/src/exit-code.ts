/** The exit code of a command that finished (verify: 2 when it found problems; 130 interrupted). */
let exitCode = 0;

export function setExitCode(code: number): void {
  exitCode = Math.max(exitCode, code);
}

export const pendingExitCode = (): number => exitCode;
