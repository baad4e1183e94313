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

const ALL: readonly DriverName[] = ['eddy', 'java', 'java-2.0', 'pypaimon', 'rust', 'pypaimon-1.4'];

export const KNOWN_ISSUES: readonly KnownIssue[] = [
  {
    id: 'pypaimon-1.4-partition-names-write',
    kind: 'paimon',
    scenarios: ['partitioned', 'append-partitioned', 'dynamic-bucket-partitioned'],
    writers: ['pypaimon-1.4'],
    readers: ['eddy', 'java', 'java-2.0', 'pypaimon', 'rust'],
    reason:
      'pypaimon 1.4.2 names partition directories `key=str(value)` (FileStorePathFactory.relative_bucket_path): ' +
      "a DATE as dt=2024-02-29 instead of Paimon's legacy epoch-day name dt=19782, and no %-escaping " +
      "('us/east' becomes two directories); it ignores partition.legacy-name. Java, Eddy, pypaimon 2.1 and " +
      'paimon-rust derive the legacy, escaped name from the partition value, so they look for files pypaimon 1.4.2 ' +
      'put elsewhere (fixed in pypaimon 2.x)',
    failure: /no such file|FileNotFoundException|FileNotFoundError|No such file|not found/i,
  },
  {
    id: 'pypaimon-1.4-partition-names-read',
    kind: 'paimon',
    scenarios: ['partitioned', 'append-partitioned', 'dynamic-bucket-partitioned'],
    writers: ['eddy', 'java', 'java-2.0', 'pypaimon', 'rust'],
    readers: ['pypaimon-1.4'],
    reason:
      'pypaimon 1.4.2 looks for DATE partitions under dt=YYYY-MM-DD and unescaped string values, where Java ' +
      '(and Eddy, pypaimon 2.1 and paimon-rust, byte-compatible with it) write dt=<epoch day> and %-escaped values',
    failure: /FileNotFoundError/,
  },
  {
    id: 'python-writers-dv-no-compaction',
    kind: 'paimon',
    scenarios: ['dv-lookup', 'dv-java-compaction', 'dv-eddy-compaction'],
    writers: ['pypaimon', 'rust', 'pypaimon-1.4'],
    readers: ALL,
    reason:
      'pypaimon (2.1 and 1.4.2) and paimon-rust (pypaimon-rust 0.4) cannot compact: on a deletion-vector table ' +
      'their writes stay at level 0, which batch readers of DV tables skip (Paimon semantics: Java compacts ' +
      'level 0 away before its batch commit), so nothing is visible until a Java/Flink compaction',
    failure: /read 0\)/,
  },
  {
    id: 'pypaimon-1.4-dynamic-bucket-write',
    kind: 'paimon',
    scenarios: ['dynamic-bucket', 'cross-partition'],
    writers: ['pypaimon-1.4'],
    readers: ALL,
    reason:
      'pypaimon 1.4.2 writes dynamic-bucket tables wrongly: an update of a key written in an earlier commit can land ' +
      'in another bucket (dynamic bucket), or stays in another partition (cross-partition upsert: no global key ' +
      'index), so every reader sees both versions. pypaimon 2.1 writes dynamic-bucket tables right and refuses ' +
      'cross-partition upserts',
    failure: /rows differ/,
  },
  {
    id: 'pypaimon-no-cross-partition-write',
    kind: 'paimon',
    scenarios: ['cross-partition'],
    writers: ['pypaimon'],
    readers: ALL,
    reason:
      'pypaimon 2.1 refuses to write cross-partition upsert tables (bucket = -1, key without the partition field): ' +
      "'CROSS_PARTITION primary-key writes require a persistent global primary-key index, which PyPaimon does not yet support'",
    failure: /could not write[\s\S]*CROSS_PARTITION primary-key writes require a persistent global primary-key index/,
  },
  {
    id: 'pypaimon-1.4-schema-evolution',
    kind: 'paimon',
    scenarios: ['evolved-pk', 'evolved-append'],
    writers: ['java', 'eddy'],
    readers: ['pypaimon-1.4'],
    reason:
      'pypaimon 1.4.2 does not read evolved tables right: on the primary-key table it fails (ArrowTypeError ' +
      "'Expected bytes, got a float' after the FLOAT→DOUBLE / add-column changes); on the append table it reads " +
      "every snapshot in the newest schema and finds a renamed column by name, so the old files' values of the " +
      'renamed column come back NULL (silently wrong). pypaimon 2.1 reads both right',
    failure: /ArrowTypeError|rows differ/,
  },
  {
    id: 'eddy-cross-partition-write',
    kind: 'eddy',
    scenarios: ['cross-partition'],
    writers: ['eddy'],
    readers: ALL,
    reason:
      'Eddy gap: cross-partition upsert tables (bucket = -1, primary key without the partition column) need ' +
      "Paimon's global key index (which partition holds a key), which Eddy does not build: createTable and writers " +
      'refuse them by name (UNSUPPORTED) instead of leaving a key in two partitions. Java-written ones are read correctly',
    failure: /could not write[\s\S]*cross-partition upsert/,
  },
];

export function knownIssue(scenario: string, writer: DriverName, reader: DriverName): KnownIssue | undefined {
  return KNOWN_ISSUES.find(
    (k) => k.scenarios.includes(scenario) && k.writers.includes(writer) && k.readers.includes(reader),
  );
}
