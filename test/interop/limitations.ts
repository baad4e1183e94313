/**
 * Known red cells of the interop matrix, each with its cause. A cell listed here must still fail,
 * with a message matching `failure`: then it counts as passed and is shown in the report as a
 * documented limitation (kind 'paimon') or a known Eddy bug (kind 'eddy'). A listed cell that
 * passes, or fails some other way, fails the suite, so this list cannot go stale silently.
 */
import type { DriverName } from './drivers.ts';

export interface KnownIssue {
  readonly id: string;
  /** 'paimon': a documented limitation of Paimon Java or pypaimon. 'eddy': an Eddy bug or gap. */
  readonly kind: 'paimon' | 'eddy';
  readonly scenarios: readonly string[];
  readonly writers: readonly DriverName[];
  readonly readers: readonly DriverName[];
  readonly reason: string;
  readonly failure: RegExp;
}

export const KNOWN_ISSUES: readonly KnownIssue[] = [
  {
    id: 'pypaimon-partition-names-write',
    kind: 'paimon',
    scenarios: ['partitioned', 'append-partitioned'],
    writers: ['pypaimon'],
    readers: ['eddy', 'java'],
    reason:
      'pypaimon 1.4.2 names partition directories `key=str(value)` (FileStorePathFactory.relative_bucket_path): ' +
      "a DATE as dt=2024-02-29 instead of Paimon's legacy epoch-day name dt=19782, and no %-escaping " +
      "('us/east' becomes two directories); it ignores partition.legacy-name. Java and Eddy derive the legacy, " +
      'escaped name from the partition value, so they look for files pypaimon put elsewhere',
    failure: /no such file|FileNotFoundException/,
  },
  {
    id: 'pypaimon-partition-names-read',
    kind: 'paimon',
    scenarios: ['partitioned', 'append-partitioned'],
    writers: ['eddy', 'java'],
    readers: ['pypaimon'],
    reason:
      'pypaimon 1.4.2 looks for DATE partitions under dt=YYYY-MM-DD and unescaped string values, where Java ' +
      '(and Eddy, byte-compatible with it) write dt=<epoch day> and %-escaped values',
    failure: /FileNotFoundError/,
  },
  {
    id: 'pypaimon-dv-no-compaction',
    kind: 'paimon',
    scenarios: ['dv-lookup'],
    writers: ['pypaimon'],
    readers: ['eddy', 'java', 'pypaimon'],
    reason:
      'pypaimon 1.4.2 cannot compact: on a deletion-vector table its writes stay at level 0, which batch ' +
      'readers of DV tables skip (Paimon semantics), so nothing is visible until a Java/Flink compaction',
    failure: /read 0\)/,
  },
  {
    id: 'eddy-dv-level0',
    kind: 'eddy',
    scenarios: ['dv-lookup'],
    writers: ['eddy'],
    readers: ['eddy', 'java', 'pypaimon'],
    reason:
      "Eddy gap: Eddy's compaction does not write deletion vectors yet, and DV batch readers skip level 0, so " +
      "Eddy refuses to create or write tables with 'deletion-vectors.enabled' (UNSUPPORTED) instead of writing " +
      'rows nobody would see. Java-written DV tables are read correctly (the java → eddy cell)',
    failure: /could not write[\s\S]*deletion.vectors/,
  },
];

export function knownIssue(scenario: string, writer: DriverName, reader: DriverName): KnownIssue | undefined {
  return KNOWN_ISSUES.find(
    (k) => k.scenarios.includes(scenario) && k.writers.includes(writer) && k.readers.includes(reader),
  );
}
