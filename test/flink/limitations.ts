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

export const KNOWN_DIFFERENCES: readonly KnownDifference[] = [
  {
    id: 'eddy-first-row-level0',
    kind: 'eddy',
    cells: ['batch:first'],
    reason:
      "Paimon's batch scan of a `merge-engine` = `first-row` table skips level 0 (DataTableBatchScan: " +
      '`withLevelFilter(level -> level > 0)` when the merge engine is FIRST_ROW or deletion vectors are on), ' +
      "because Paimon's own writer compacts level 0 up after every commit for these tables (its lookup " +
      "strategy: `needLookup` for FIRST_ROW, `lookup-compact` = radical). Eddy's writer forces that level-0 " +
      "compaction only for `changelog-producer` = `lookup`, and Eddy's scan reads level 0: after an Eddy commit " +
      'that the universal picker does not compact (the first commit, one sorted run), Flink reads none of its ' +
      "rows where Eddy reads them all. The rows agree again once a compaction (Eddy's or Flink's) moves them up",
    failure: /Flink at snapshot \d+ read \d+ rows, a strict subset of Eddy's \d+/,
  },
  {
    id: 'eddy-full-compaction-noop-updates',
    kind: 'eddy',
    cells: ['stream:full-compaction'],
    reason:
      "With `changelog-producer` = `full-compaction` (and `changelog-producer.row-deduplicate` unset), Eddy's " +
      'full compaction writes a -U x / +U x pair for every key already in the top level, changed or not ' +
      "(lsm/changelog-producer.ts treats every key as touched); Paimon's FullChangelogMergeFunctionWrapper " +
      'emits nothing for a key found only in the top level (it has not changed since the last full ' +
      'compaction). Flink reads the pairs Eddy wrote, so Flink and Eddy agree with each other, but a ' +
      'consumer sees a no-op update of every row at each full compaction, which a Paimon-written table ' +
      'would not show. The table state is right',
    failure: /^\d+ no-op -U\/\+U pairs of \d+ changes$/,
  },
];

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
