/**
 * Known differences between what Flink (Paimon's connector) and Eddy read or do on the same table,
 * each with its cause and the option that governs it. A cell covered here must still show the
 * difference, with a message matching `failure`; a listed difference that no longer reproduces
 * fails the suite ("remove it from limitations.ts"), so this list cannot go stale silently.
 */
import { expect } from 'vitest';

export interface KnownDifference {
  readonly id: string;
  /** 'eddy': an Eddy bug or gap. 'paimon': documented Paimon/Flink behaviour Eddy does not share. */
  readonly kind: 'eddy' | 'paimon';
  /** The cells it covers, e.g. `batch:first`. */
  readonly cells: readonly string[];
  readonly reason: string;
  readonly failure: RegExp;
}

export const KNOWN_DIFFERENCES: readonly KnownDifference[] = [];

export function knownDifference(cell: string): KnownDifference | undefined {
  return KNOWN_DIFFERENCES.find((k) => k.cells.includes(cell));
}

/**
 * A step of a cell that a known difference breaks: while one is listed for the cell, the step must
 * fail the documented way (then `ok` is false and the cell stops there — nothing after it can be
 * checked); without one it runs normally. A listed step that succeeds fails the suite.
 */
export async function unlessKnown<T>(
  cell: string,
  step: () => Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false }> {
  const known = knownDifference(cell);
  if (!known) return { ok: true, value: await step() };
  const failure = await step().then(
    () => undefined,
    (e: unknown) => String(e instanceof Error ? e.message : e),
  );
  expect(
    failure,
    `known difference ${known.id} no longer reproduces in ${cell}: remove it from limitations.ts`,
  ).toBeDefined();
  expect(failure).toMatch(known.failure);
  console.log(`known difference ${known.id} (${known.kind}) in ${cell}: ${failure!.match(known.failure)![0]}`);
  return { ok: false };
}
