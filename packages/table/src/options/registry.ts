import { EddyError } from '../types/errors.ts';

/**
 * Every table option Eddy knows: Paimon 1.4's `CoreOptions` (name, type, default, allowed values)
 * and the per-column patterns (`fields.<f>.…`), each with what Eddy does with it:
 *
 * - `implemented`: Eddy honours it (some values may be refused, see `unsupportedValue`);
 * - `performance-only`: it tunes Paimon's jobs (memory, parallelism, caches, file sizes, metadata of
 *   engines) and cannot change which rows a reader sees: Eddy ignores it on purpose;
 * - `refused`: it changes merge, sequence, changelog, bucket or read semantics and Eddy does not
 *   implement it: any value but the default fails with UNSUPPORTED naming it, on create, alter,
 *   open, read, write and compaction alike (Java-written tables included).
 *
 * `docs/options.md` is generated from this list (`node scripts/options-doc.mjs`).
 * Java: org.apache.paimon.CoreOptions (paimon-api 1.4.2).
 */
export type OptionType = 'string' | 'int' | 'long' | 'boolean' | 'double' | 'duration' | 'memory' | 'enum' | 'map';
export type OptionStatus = 'implemented' | 'performance-only' | 'refused';

export interface OptionSpec {
  /** Paimon's name. */
  readonly key: string;
  readonly type: OptionType;
  /** Paimon's default, as text (absent: none). */
  readonly default?: string;
  /** Allowed values of an enum option (Paimon's spelling). */
  readonly values?: readonly string[];
  readonly status: OptionStatus;
  /** Older names Paimon still reads for this option. */
  readonly fallbackKeys?: readonly string[];
  /** For an implemented option with values Eddy does not implement: why `value` is refused. */
  readonly unsupportedValue?: (value: string) => string | undefined;
  /** A refusal that holds for writes and compaction only (reads are as Paimon's). */
  readonly refusedFor?: 'write';
  /** One line of docs. */
  readonly doc: string;
}

/** A per-column option, `fields.<f>.<suffix>` (`<f>` may be several columns, comma-separated). */
export interface FieldOptionSpec {
  readonly suffix: string;
  readonly type: OptionType;
  readonly status: OptionStatus;
  /** Whether `<f>` may list several columns (`fields.a,b.sequence-group`). */
  readonly multiField?: boolean;
  readonly doc: string;
}

const lower = (v: string) => v.trim().toLowerCase();

// biome-ignore format: one option per line reads best
export const TABLE_OPTIONS: readonly OptionSpec[] = [
  { key: 'type', type: 'enum', default: 'table', values: ['table', 'format-table', 'materialized-table', 'object-table', 'lance-table', 'iceberg-table'], status: 'implemented', unsupportedValue: (v) => (v.trim().toLowerCase() === 'table' ? undefined : 'only regular tables are supported'), doc: "Table type; Eddy reads and writes 'table' (other table types are refused)." },
  { key: 'bucket', type: 'int', default: '-1', status: 'implemented', doc: 'Bucket count: N > 0 fixed buckets, -1 dynamic (primary key) or unaware (append), -2 postpone (read only).' },
  { key: 'bucket-key', type: 'string', status: 'implemented', doc: 'Columns that choose the bucket (default: the primary key minus partition keys).' },
  { key: 'bucket-append-ordered', type: 'boolean', default: 'true', status: 'performance-only', doc: 'Whether append writers keep rows ordered within a bucket; Eddy always does.' },
  { key: 'bucket-function.type', type: 'enum', default: 'default', values: ['default', 'mod', 'hive'], status: 'refused', doc: "How keys hash to buckets; only 'default' (Paimon's murmur hash) is implemented." },
  { key: 'data-file.external-paths', type: 'string', status: 'implemented', doc: 'External roots of data files: Eddy reads files below them (confined to the roots); writes are refused while a strategy is set.' },
  { key: 'data-file.external-paths.strategy', type: 'enum', default: 'none', values: ['none', 'specific-fs', 'round-robin', 'entropy-inject', 'weight-robin'], status: 'performance-only', doc: "How external roots are chosen; without 'data-file.external-paths' it has no effect." },
  { key: 'data-file.external-paths.specific-fs', type: 'string', status: 'performance-only', doc: "File system for the 'specific-fs' external path strategy." },
  { key: 'data-file.external-paths.weights', type: 'string', status: 'performance-only', doc: "Weights for the 'weight-robin' external path strategy." },
  { key: 'compaction.force-rewrite-all-files', type: 'boolean', default: 'false', status: 'performance-only', doc: 'Whether full compaction rewrites every file; layout only.' },
  { key: 'path', type: 'string', status: 'performance-only', doc: 'Table path, set by catalogs; Eddy takes the path from the catalog.' },
  { key: 'branch', type: 'string', default: 'main', status: 'refused', doc: "Branch the table options refer to; Eddy reads and writes the 'main' branch only." },
  { key: 'chain-table.enabled', type: 'boolean', default: 'false', status: 'refused', doc: 'Chain tables read partitions across a snapshot branch and a delta branch.' },
  { key: 'scan.fallback-snapshot-branch', type: 'string', status: 'refused', doc: 'Chain table snapshot branch (changes what reads return).' },
  { key: 'scan.fallback-delta-branch', type: 'string', status: 'refused', doc: 'Chain table delta branch (changes what reads return).' },
  { key: 'chain-table.chain-partition-keys', type: 'string', status: 'refused', doc: 'Chain table partition keys (changes what reads return).' },
  { key: 'file.format', type: 'string', default: 'parquet', status: 'implemented', unsupportedValue: (v) => (v.trim().toLowerCase() === 'parquet' ? undefined : 'only parquet data files are supported'), doc: 'Data file format; Eddy reads and writes Parquet (ORC, Avro and others are refused).' },
  { key: 'file.compression.per.level', type: 'map', status: 'performance-only', doc: 'Data file compression per LSM level; Eddy writes every level with file.compression.' },
  { key: 'file.format.per.level', type: 'map', status: 'refused', doc: 'Data file format per LSM level (other formats than Parquet).' },
  { key: 'file.compression', type: 'string', default: 'zstd', status: 'implemented', doc: 'Compression of data files Eddy writes: zstd, snappy or none.' },
  { key: 'file.compression.zstd-level', type: 'int', default: '1', status: 'implemented', doc: 'Zstandard level of data files Eddy writes.' },
  { key: 'data-file.prefix', type: 'string', default: 'data-', status: 'performance-only', doc: "File name prefix of new data files; Eddy names them 'data-'." },
  { key: 'data-file.path-directory', type: 'string', status: 'refused', doc: 'Puts data files in a sub-directory of the bucket directory.' },
  { key: 'changelog-file.prefix', type: 'string', default: 'changelog-', status: 'performance-only', doc: "File name prefix of new changelog files; Eddy names them 'changelog-'." },
  { key: 'changelog-file.format', type: 'string', status: 'implemented', unsupportedValue: (v) => (v.trim().toLowerCase() === 'parquet' ? undefined : 'only parquet changelog files are supported'), doc: 'Changelog file format; Eddy writes and reads Parquet (other formats are refused).' },
  { key: 'changelog-file.compression', type: 'string', status: 'performance-only', doc: 'Compression of changelog files; Eddy uses file.compression.' },
  { key: 'changelog-file.stats-mode', type: 'string', status: 'performance-only', doc: 'Statistics kept for changelog files.' },
  { key: 'file.suffix.include.compression', type: 'boolean', default: 'false', status: 'performance-only', doc: 'Whether file names carry the compression; readers take names from manifests.' },
  { key: 'file.block-size', type: 'memory', status: 'performance-only', doc: 'File block size of data files.' },
  { key: 'file-index.in-manifest-threshold', type: 'memory', default: '500 bytes', status: 'implemented', doc: "Size up to which a data file's index goes into its manifest entry; larger ones are written as a '<data file>.index' extra file." },
  { key: 'file-index.read.enabled', type: 'boolean', default: 'true', status: 'implemented', doc: 'Whether readers use file indexes (bloom filters) to skip files.' },
  { key: 'variant.shreddingSchema', type: 'string', status: 'performance-only', fallbackKeys: ['parquet.variant.shreddingSchema'], doc: 'Variant shredding (VARIANT types are refused).' },
  { key: 'variant.inferShreddingSchema', type: 'boolean', default: 'false', status: 'performance-only', doc: 'Variant shredding (VARIANT types are refused).' },
  { key: 'variant.shredding.maxSchemaWidth', type: 'int', default: '300', status: 'performance-only', doc: 'Variant shredding (VARIANT types are refused).' },
  { key: 'variant.shredding.maxSchemaDepth', type: 'int', default: '50', status: 'performance-only', doc: 'Variant shredding (VARIANT types are refused).' },
  { key: 'variant.shredding.minFieldCardinalityRatio', type: 'double', default: '0.1', status: 'performance-only', doc: 'Variant shredding (VARIANT types are refused).' },
  { key: 'variant.shredding.maxInferBufferRow', type: 'int', default: '4096', status: 'performance-only', doc: 'Variant shredding (VARIANT types are refused).' },
  { key: 'manifest.format', type: 'string', default: 'avro', status: 'implemented', unsupportedValue: (v) => (v.trim().toLowerCase() === 'avro' ? undefined : 'only avro manifests are supported'), doc: "Manifest file format; only 'avro' is supported." },
  { key: 'manifest.compression', type: 'string', default: 'zstd', status: 'implemented', doc: 'Compression of manifest files Eddy writes.' },
  { key: 'manifest.target-file-size', type: 'memory', default: '8 mb', status: 'implemented', doc: 'Target size of manifest files.' },
  { key: 'manifest.full-compaction-threshold-size', type: 'memory', default: '16 mb', status: 'implemented', doc: 'Size of delete entries that triggers a full manifest compaction.' },
  { key: 'manifest.merge-min-count', type: 'int', default: '30', status: 'implemented', doc: 'Number of small manifest files that triggers their merge.' },
  { key: 'upsert-key', type: 'string', status: 'refused', doc: 'Upsert key of an append table (MERGE INTO on insert).' },
  { key: 'partition.default-name', type: 'string', default: '__DEFAULT_PARTITION__', status: 'implemented', doc: 'Partition directory name of null and empty values.' },
  { key: 'partition.legacy-name', type: 'boolean', default: 'true', status: 'implemented', unsupportedValue: (v) => (v.trim().toLowerCase() === 'true' ? undefined : 'only legacy partition names are supported'), doc: "Partition path formatting; only the default 'true' is supported." },
  { key: 'snapshot.num-retained.min', type: 'int', default: '10', status: 'implemented', doc: 'Minimum number of snapshots expiry keeps.' },
  { key: 'snapshot.num-retained.max', type: 'int', default: '2147483647', status: 'implemented', doc: 'Maximum number of snapshots expiry keeps.' },
  { key: 'snapshot.time-retained', type: 'duration', default: '1 h', status: 'implemented', doc: 'Snapshots younger than this are kept by expiry.' },
  { key: 'changelog.num-retained.min', type: 'int', status: 'implemented', doc: 'Minimum number of changelogs expiry keeps (default: snapshot.num-retained.min).' },
  { key: 'changelog.num-retained.max', type: 'int', status: 'implemented', doc: 'Maximum number of changelogs expiry keeps (default: snapshot.num-retained.max).' },
  { key: 'changelog.time-retained', type: 'duration', status: 'implemented', doc: 'Changelogs younger than this are kept (default: snapshot.time-retained).' },
  { key: 'snapshot.expire.execution-mode', type: 'enum', default: 'sync', values: ['sync', 'async'], status: 'implemented', doc: 'When set, writers that are not write-only expire snapshots after their commits (sync: waiting, async: beside); unset, Eddy leaves expiry to expireSnapshots and the compactor.' },
  { key: 'snapshot.expire.limit', type: 'int', default: '50', status: 'implemented', doc: 'Maximum number of snapshots one expiry run removes.' },
  { key: 'snapshot.clean-empty-directories', type: 'boolean', default: 'false', status: 'performance-only', fallbackKeys: ['snapshot.expire.clean-empty-directories'], doc: 'Whether expiry deletes empty directories.' },
  { key: 'continuous.discovery-interval', type: 'duration', default: '10 s', status: 'performance-only', doc: 'How often streaming readers look for new snapshots.' },
  { key: 'scan.max-splits-per-task', type: 'int', default: '10', status: 'performance-only', doc: 'Splits per streaming read task (Flink).' },
  { key: 'merge-engine', type: 'enum', default: 'deduplicate', values: ['deduplicate', 'partial-update', 'aggregation', 'first-row'], status: 'implemented', doc: 'How records of one key merge: deduplicate, partial-update, aggregation or first-row.' },
  { key: 'ignore-delete', type: 'boolean', default: 'false', status: 'implemented', fallbackKeys: ['first-row.ignore-delete', 'deduplicate.ignore-delete', 'partial-update.ignore-delete'], doc: 'Drop -D and -U records on write.' },
  { key: 'ignore-update-before', type: 'boolean', default: 'false', status: 'implemented', doc: 'Drop -U records on write.' },
  { key: 'sort-engine', type: 'enum', default: 'loser-tree', values: ['min-heap', 'loser-tree'], status: 'performance-only', doc: 'Sort-merge algorithm of Paimon readers.' },
  { key: 'sort-spill-threshold', type: 'int', status: 'performance-only', doc: 'Sorted runs that make Paimon spill while merging.' },
  { key: 'sort-spill-buffer-size', type: 'memory', default: '64 mb', status: 'performance-only', doc: 'Buffer of spilled sort data.' },
  { key: 'spill-compression', type: 'string', default: 'zstd', status: 'performance-only', doc: 'Compression of spilled data.' },
  { key: 'spill-compression.zstd-level', type: 'int', default: '1', status: 'performance-only', doc: 'Zstandard level of spilled data.' },
  { key: 'write-only', type: 'boolean', default: 'false', status: 'implemented', fallbackKeys: ['write.compaction-skip'], doc: 'Writers never compact (a separate compaction job does).' },
  { key: 'source.split.target-size', type: 'memory', default: '128 mb', status: 'performance-only', doc: 'Target size of a read split (Flink/Spark sources).' },
  { key: 'source.split.open-file-cost', type: 'memory', default: '4 mb', status: 'performance-only', doc: 'Cost of opening a file when packing read splits.' },
  { key: 'write-buffer-size', type: 'memory', default: '256 mb', status: 'implemented', doc: 'Memory a writer buffers before it flushes a sorted run.' },
  { key: 'write-buffer-spill.max-disk-size', type: 'memory', default: 'unlimited', status: 'performance-only', doc: 'Disk used by a spilling write buffer.' },
  { key: 'write-buffer-spillable', type: 'boolean', default: 'true', status: 'performance-only', doc: 'Whether the write buffer spills to disk.' },
  { key: 'write-buffer-for-append', type: 'boolean', default: 'false', status: 'performance-only', doc: 'Whether append writers buffer in memory.' },
  { key: 'write-max-writers-to-spill', type: 'int', default: '10', status: 'performance-only', doc: 'Open writers above which append writers spill.' },
  { key: 'local-sort.max-num-file-handles', type: 'int', default: '128', status: 'performance-only', doc: 'Open files of an external merge sort.' },
  { key: 'page-size', type: 'memory', default: '64 kb', status: 'performance-only', doc: 'Memory page size of Paimon writers.' },
  { key: 'cache-page-size', type: 'memory', default: '64 kb', status: 'performance-only', doc: 'Memory page size of caches.' },
  { key: 'target-file-size', type: 'memory', status: 'implemented', doc: 'Target size of data files.' },
  { key: 'blob.target-file-size', type: 'memory', status: 'performance-only', doc: 'Target size of blob files (BLOB columns are refused).' },
  { key: 'blob.split-by-file-size', type: 'boolean', status: 'performance-only', doc: 'Whether blob files are split by size (BLOB columns are refused).' },
  { key: 'num-sorted-run.compaction-trigger', type: 'int', default: '5', status: 'implemented', doc: 'Sorted runs that trigger a compaction.' },
  { key: 'num-sorted-run.stop-trigger', type: 'int', status: 'implemented', doc: 'Sorted runs above which writers wait for compaction.' },
  { key: 'num-levels', type: 'int', status: 'implemented', doc: 'Number of LSM levels.' },
  { key: 'commit.force-compact', type: 'boolean', default: 'false', status: 'performance-only', doc: 'Whether every commit compacts.' },
  { key: 'commit.timeout', type: 'duration', status: 'performance-only', doc: 'Timeout of a commit with retries.' },
  { key: 'commit.max-retries', type: 'int', default: '10', status: 'implemented', doc: 'Commit attempts after conflicts.' },
  { key: 'commit.min-retry-wait', type: 'duration', default: '10 ms', status: 'implemented', doc: 'Shortest wait between commit retries.' },
  { key: 'commit.max-retry-wait', type: 'duration', default: '10 s', status: 'implemented', doc: 'Longest wait between commit retries.' },
  { key: 'compaction.max-size-amplification-percent', type: 'int', default: '200', status: 'implemented', doc: 'Size amplification that triggers a full compaction.' },
  { key: 'compaction.force-up-level-0', type: 'boolean', default: 'false', status: 'performance-only', doc: 'Whether compaction always takes level-0 files up.' },
  { key: 'compaction.size-ratio', type: 'int', default: '1', status: 'implemented', doc: 'Size ratio (percent) for picking runs to compact.' },
  { key: 'compaction.offpeak.start.hour', type: 'int', default: '-1', status: 'performance-only', doc: 'Start of off-peak hours for compaction.' },
  { key: 'compaction.offpeak.end.hour', type: 'int', default: '-1', status: 'performance-only', doc: 'End of off-peak hours for compaction.' },
  { key: 'compaction.offpeak-ratio', type: 'int', default: '0', status: 'performance-only', doc: 'Compaction size ratio during off-peak hours.' },
  { key: 'compaction.optimization-interval', type: 'duration', status: 'performance-only', doc: 'How often a full compaction runs for read optimization.' },
  { key: 'compaction.total-size-threshold', type: 'memory', status: 'performance-only', doc: 'Total bucket size under which compaction is full.' },
  { key: 'compaction.incremental-size-threshold', type: 'memory', status: 'performance-only', doc: 'Incremental size that forces a full compaction.' },
  { key: 'compaction.min.file-num', type: 'int', default: '5', status: 'implemented', doc: 'Minimum files of an append-table compaction.' },
  { key: 'compaction.file-num-limit', type: 'int', default: '100000', status: 'performance-only', doc: 'Maximum files of one compaction.' },
  { key: 'compaction.delete-ratio-threshold', type: 'double', default: '0.2', status: 'performance-only', doc: 'Deleted-row ratio that makes append compaction rewrite a file.' },
  { key: 'changelog-producer', type: 'enum', default: 'none', values: ['none', 'input', 'full-compaction', 'lookup'], status: 'implemented', doc: 'How changelog files are produced: none, input, lookup or full-compaction.' },
  { key: 'changelog-producer.row-deduplicate', type: 'boolean', default: 'false', status: 'implemented', doc: 'Skip -U/+U pairs whose rows are equal in produced changelog.' },
  { key: 'changelog-producer.row-deduplicate-ignore-fields', type: 'string', status: 'implemented', doc: 'Columns ignored when deduplicating produced changelog.' },
  { key: 'table-read.sequence-number.enabled', type: 'boolean', default: 'false', status: 'refused', doc: 'Reads return the system sequence number as a column.' },
  { key: 'key-value.sequence_number.enabled', type: 'boolean', default: 'false', status: 'refused', doc: 'Reads return the system sequence number as a column.' },
  { key: 'sequence.field', type: 'string', status: 'implemented', doc: 'Columns that order records of one key (before the system sequence number).' },
  { key: 'sequence.field.sort-order', type: 'enum', default: 'ascending', values: ['ascending', 'descending'], status: 'implemented', doc: 'Order of sequence.field: ascending (larger wins) or descending (smaller wins).' },
  { key: 'aggregation.remove-record-on-delete', type: 'boolean', default: 'false', status: 'implemented', doc: 'In aggregation tables a -D removes the whole row.' },
  { key: 'partial-update.remove-record-on-delete', type: 'boolean', default: 'false', status: 'implemented', doc: 'In partial-update tables a -D removes the whole row.' },
  { key: 'partial-update.remove-record-on-sequence-group', type: 'string', status: 'implemented', doc: 'In partial-update tables a -D newer than these sequence groups removes the whole row.' },
  { key: 'rowkind.field', type: 'string', status: 'refused', doc: 'Takes the row kind of each record from a column.' },
  { key: 'scan.mode', type: 'enum', default: 'default', values: ['default', 'latest-full', 'full', 'latest', 'compacted-full', 'from-timestamp', 'from-creation-timestamp', 'from-file-creation-time', 'from-snapshot', 'from-snapshot-full', 'incremental'], status: 'refused', fallbackKeys: ['log.scan'], doc: 'Default scan mode of reads (table-level time travel or streaming start).' },
  { key: 'scan.timestamp', type: 'string', status: 'refused', doc: 'Default time travel of reads, to a timestamp.' },
  { key: 'scan.timestamp-millis', type: 'long', status: 'refused', fallbackKeys: ['log.scan.timestamp-millis'], doc: 'Default time travel of reads, to a timestamp in milliseconds.' },
  { key: 'scan.watermark', type: 'long', status: 'refused', doc: 'Default time travel of reads, to a watermark.' },
  { key: 'scan.file-creation-time-millis', type: 'long', status: 'refused', doc: 'Reads only files created after this time.' },
  { key: 'scan.creation-time-millis', type: 'long', status: 'refused', doc: 'Default time travel of reads, by creation time.' },
  { key: 'scan.snapshot-id', type: 'long', status: 'refused', doc: 'Default time travel of reads, to a snapshot.' },
  { key: 'scan.tag-name', type: 'string', status: 'refused', doc: 'Default time travel of reads, to a tag.' },
  { key: 'scan.version', type: 'string', status: 'refused', doc: 'Default time travel of reads, to a snapshot or tag.' },
  { key: 'scan.bounded.watermark', type: 'long', status: 'refused', doc: 'Ends streaming reads at a watermark.' },
  { key: 'scan.manifest.parallelism', type: 'int', status: 'performance-only', doc: 'Threads that read manifests.' },
  { key: 'streaming.read.snapshot.delay', type: 'duration', status: 'performance-only', doc: 'Delay before a streaming reader consumes a snapshot.' },
  { key: 'scan.ignore-corrupt-files', type: 'boolean', default: 'false', status: 'performance-only', doc: 'Whether Paimon readers skip corrupt files; Eddy always fails with CORRUPT_FILE.' },
  { key: 'scan.ignore-lost-files', type: 'boolean', default: 'false', status: 'performance-only', doc: 'Whether Paimon readers skip missing files; Eddy always fails with NOT_FOUND.' },
  { key: 'auto-create', type: 'boolean', default: 'false', status: 'performance-only', doc: 'Whether Paimon creates the table on first write.' },
  { key: 'streaming-read-overwrite', type: 'boolean', default: 'false', status: 'refused', doc: 'Streaming reads include the changes of overwrite commits.' },
  { key: 'streaming-read-append-overwrite', type: 'boolean', default: 'false', status: 'refused', doc: 'Streaming reads include the rows added by overwrite commits.' },
  { key: 'dynamic-partition-overwrite', type: 'boolean', default: 'true', status: 'implemented', doc: 'An overwrite without a static partition replaces only the partitions it writes.' },
  { key: 'partition.expiration-strategy', type: 'string', default: 'values-time', status: 'performance-only', doc: 'How Paimon writers find expired partitions; Eddy does not expire partitions.' },
  { key: 'partition.expiration-time', type: 'duration', status: 'performance-only', doc: 'Partitions older than this are dropped by Paimon writers; Eddy does not expire partitions.' },
  { key: 'partition.expiration-check-interval', type: 'duration', default: '1 h', status: 'performance-only', doc: 'How often Paimon writers look for expired partitions.' },
  { key: 'partition.expiration-max-num', type: 'int', default: '100', status: 'performance-only', doc: 'Partitions one expiry drops.' },
  { key: 'partition.expiration-batch-size', type: 'int', status: 'performance-only', doc: 'Partitions dropped per batch.' },
  { key: 'partition.timestamp-formatter', type: 'string', status: 'performance-only', doc: 'Formatter of partition values into timestamps (partition expiry, mark-done).' },
  { key: 'partition.timestamp-pattern', type: 'string', status: 'performance-only', doc: 'Pattern of partition values into timestamps (partition expiry, mark-done).' },
  { key: 'partition.timestamp-format.strict', type: 'boolean', default: 'false', status: 'performance-only', doc: 'Whether partition timestamps must match the formatter.' },
  { key: 'partition.end-input-to-done', type: 'boolean', default: 'false', status: 'performance-only', doc: 'Marks partitions done at the end of a batch job.' },
  { key: 'scan.plan-sort-partition', type: 'boolean', default: 'false', status: 'performance-only', doc: 'Whether scan plans are sorted by partition.' },
  { key: 'primary-key', type: 'string', status: 'refused', doc: 'Primary key given as an option (Flink DDL); give it in the schema instead.' },
  { key: 'partition', type: 'string', status: 'refused', doc: 'Partition keys given as an option (Flink DDL); give them in the schema instead.' },
  { key: 'lookup.hash-load-factor', type: 'double', default: '0.75', status: 'performance-only', doc: 'Lookup cache tuning.' },
  { key: 'lookup.cache-file-retention', type: 'duration', default: '1 h', status: 'performance-only', doc: 'Lookup cache tuning.' },
  { key: 'lookup.cache-max-disk-size', type: 'memory', default: 'unlimited', status: 'performance-only', doc: 'Lookup cache tuning.' },
  { key: 'lookup.cache-spill-compression', type: 'string', default: 'zstd', status: 'performance-only', doc: 'Lookup cache tuning.' },
  { key: 'lookup.cache-max-memory-size', type: 'memory', default: '256 mb', status: 'performance-only', doc: 'Lookup cache tuning.' },
  { key: 'lookup.cache.high-priority-pool-ratio', type: 'double', default: '0.25', status: 'performance-only', doc: 'Lookup cache tuning.' },
  { key: 'lookup.cache.bloom.filter.enabled', type: 'boolean', default: 'true', status: 'performance-only', doc: 'Lookup cache tuning.' },
  { key: 'lookup.cache.bloom.filter.fpp', type: 'double', default: '0.05', status: 'performance-only', doc: 'Lookup cache tuning.' },
  { key: 'lookup.remote-file.enabled', type: 'boolean', default: 'false', status: 'performance-only', doc: 'Whether lookup files are kept remotely.' },
  { key: 'lookup.remote-file.level-threshold', type: 'int', default: '-2147483648', status: 'performance-only', doc: 'Levels whose lookup files are kept remotely.' },
  { key: 'read.batch-size', type: 'int', default: '1024', status: 'performance-only', doc: 'Rows per read batch.' },
  { key: 'write.batch-size', type: 'int', default: '1024', status: 'performance-only', fallbackKeys: ['orc.write.batch-size'], doc: 'Rows per write batch.' },
  { key: 'write.batch-memory', type: 'memory', default: '128 mb', status: 'performance-only', doc: 'Memory per write batch.' },
  { key: 'consumer-id', type: 'string', status: 'performance-only', doc: 'Consumer id of a streaming read (a read option; Eddy takes it per read).' },
  { key: 'full-compaction.delta-commits', type: 'int', status: 'implemented', doc: 'Commits between full compactions.' },
  { key: 'stream-scan-mode', type: 'enum', default: 'none', values: ['none', 'compact-bucket-table', 'file-monitor'], status: 'refused', doc: 'Internal streaming scan mode of compaction jobs.' },
  { key: 'batch-scan-mode', type: 'enum', default: 'none', values: ['none', 'compact'], status: 'refused', doc: 'Internal batch scan mode of compaction jobs.' },
  { key: 'consumer.expiration-time', type: 'duration', status: 'implemented', doc: 'Consumers not updated for this long stop protecting snapshots.' },
  { key: 'consumer.mode', type: 'enum', default: 'exactly-once', values: ['exactly-once', 'at-least-once'], status: 'performance-only', doc: 'Consistency of consumer progress (Flink checkpoints).' },
  { key: 'consumer.ignore-progress', type: 'boolean', default: 'false', status: 'performance-only', doc: 'Whether a new streaming job ignores the recorded consumer progress.' },
  { key: 'consumer.changelog-only', type: 'boolean', default: 'false', status: 'implemented', doc: 'Consumers protect only changelog, not snapshots (with decoupled changelog).' },
  { key: 'dynamic-bucket.target-row-num', type: 'long', default: '2000000', status: 'implemented', doc: 'Rows per bucket of a dynamic-bucket table.' },
  { key: 'dynamic-bucket.initial-buckets', type: 'int', status: 'performance-only', doc: 'Initial buckets of the dynamic-bucket assigner (Flink parallelism).' },
  { key: 'dynamic-bucket.max-buckets', type: 'int', default: '-1', status: 'implemented', doc: 'Maximum buckets of a dynamic-bucket table (-1: no limit).' },
  { key: 'dynamic-bucket.assigner-parallelism', type: 'int', status: 'performance-only', doc: 'Parallelism of the dynamic-bucket assigner.' },
  { key: 'incremental-between', type: 'string', status: 'refused', doc: 'Default incremental read between two snapshots or tags.' },
  { key: 'incremental-between-scan-mode', type: 'enum', default: 'auto', values: ['auto', 'delta', 'changelog', 'diff'], status: 'refused', doc: 'Scan mode of the default incremental read.' },
  { key: 'incremental-between-timestamp', type: 'string', status: 'refused', doc: 'Default incremental read between two timestamps.' },
  { key: 'incremental-to-auto-tag', type: 'string', status: 'refused', doc: 'Default incremental read up to an automatic tag.' },
  { key: 'incremental-between-tag-to-snapshot', type: 'boolean', default: 'false', status: 'refused', doc: 'Whether incremental reads between tags use their snapshots.' },
  { key: 'end-input.check-partition-expire', type: 'boolean', default: 'false', status: 'performance-only', doc: 'Partition expiry at the end of a batch job.' },
  { key: 'metadata.stats-mode', type: 'string', default: 'truncate(16)', status: 'performance-only', doc: 'Column statistics kept in manifests.' },
  { key: 'metadata.stats-mode.per.level', type: 'map', status: 'performance-only', doc: 'Column statistics per LSM level.' },
  { key: 'metadata.stats-dense-store', type: 'boolean', default: 'true', status: 'performance-only', doc: 'Whether statistics are stored densely.' },
  { key: 'metadata.stats-keep-first-n-columns', type: 'int', default: '-1', status: 'performance-only', doc: 'Columns that keep statistics.' },
  { key: 'commit.callbacks', type: 'string', status: 'refused', refusedFor: 'write', doc: 'Classes Paimon calls after each commit; Eddy does not call them.' },
  { key: 'commit.callback.#.param', type: 'string', status: 'performance-only', doc: 'Parameter of a commit callback.' },
  { key: 'tag.callbacks', type: 'string', status: 'refused', refusedFor: 'write', doc: 'Classes Paimon calls after each tag creation; Eddy does not call them.' },
  { key: 'tag.callback.#.param', type: 'string', status: 'performance-only', doc: 'Parameter of a tag callback.' },
  { key: 'partition.mark-done-action', type: 'string', default: 'success-file', status: 'performance-only', doc: 'What Paimon jobs do when a partition is done.' },
  { key: 'partition.mark-done-action.custom.class', type: 'string', status: 'performance-only', doc: 'Custom mark-done action.' },
  { key: 'partition.mark-done-action.http.url', type: 'string', status: 'performance-only', doc: 'HTTP mark-done action.' },
  { key: 'partition.mark-done-action.http.params', type: 'string', status: 'performance-only', doc: 'HTTP mark-done action parameters.' },
  { key: 'partition.sink-strategy', type: 'enum', default: 'NONE', values: ['NONE', 'HASH'], status: 'performance-only', doc: 'How Flink sinks shuffle by partition.' },
  { key: 'metastore.partitioned-table', type: 'boolean', default: 'false', status: 'performance-only', doc: 'Whether the Hive metastore table is partitioned.' },
  { key: 'metastore.tag-to-partition', type: 'string', status: 'performance-only', doc: 'Hive metastore partition of tags.' },
  { key: 'metastore.tag-to-partition.preview', type: 'enum', default: 'none', values: ['none', 'process-time', 'watermark', 'batch'], status: 'performance-only', doc: 'Hive metastore tag preview.' },
  { key: 'tag.automatic-creation', type: 'enum', default: 'none', values: ['none', 'process-time', 'watermark', 'batch'], status: 'implemented', doc: "Automatic tag creation by Paimon commits; Eddy writes are refused unless 'none'." },
  { key: 'tag.create-success-file', type: 'boolean', default: 'false', status: 'performance-only', doc: 'Success file of automatic tags.' },
  { key: 'tag.creation-period', type: 'enum', default: 'daily', values: ['daily', 'hourly', 'two-hours'], status: 'performance-only', doc: 'Period of automatic tags.' },
  { key: 'tag.creation-delay', type: 'duration', default: '0 s', status: 'performance-only', doc: 'Delay of automatic tags.' },
  { key: 'tag.period-formatter', type: 'enum', default: 'with_dashes', values: ['with_dashes', 'without_dashes', 'without_dashes_and_spaces'], status: 'performance-only', doc: 'Name format of automatic tags.' },
  { key: 'tag.creation-period-duration', type: 'duration', status: 'performance-only', doc: 'Period of automatic tags as a duration.' },
  { key: 'tag.num-retained-max', type: 'int', status: 'performance-only', doc: 'Automatic tags kept by Paimon commits.' },
  { key: 'tag.default-time-retained', type: 'duration', status: 'implemented', doc: 'Retention time of new tags.' },
  { key: 'tag.time-expire-enabled', type: 'boolean', default: 'true', status: 'implemented', doc: 'Whether expiry deletes tags past their retention time.' },
  { key: 'tag.automatic-completion', type: 'boolean', default: 'false', status: 'performance-only', doc: 'Whether Paimon creates missing automatic tags.' },
  { key: 'tag.batch.customized-name', type: 'string', status: 'performance-only', doc: 'Name of batch-created tags.' },
  { key: 'snapshot.watermark-idle-timeout', type: 'duration', status: 'performance-only', doc: 'Idle time after which a source is idle for watermarks.' },
  { key: 'parquet.enable.dictionary', type: 'int', status: 'performance-only', doc: 'Parquet dictionary encoding of written files.' },
  { key: 'sink.watermark-time-zone', type: 'string', default: 'UTC', status: 'performance-only', doc: 'Time zone of watermarks for automatic tags and partition marks.' },
  { key: 'sink.process-time-zone', type: 'string', status: 'performance-only', doc: 'Time zone of process time for automatic tags and partition marks.' },
  { key: 'local-merge-buffer-size', type: 'memory', status: 'performance-only', doc: 'Buffer of Flink pre-merge before the writer.' },
  { key: 'cross-partition-upsert.index-ttl', type: 'duration', status: 'performance-only', doc: 'TTL of the cross-partition upsert index (Eddy refuses such writes).' },
  { key: 'cross-partition-upsert.bootstrap-parallelism', type: 'int', default: '10', status: 'performance-only', doc: 'Bootstrap parallelism of the cross-partition index.' },
  { key: 'zorder.var-length-contribution', type: 'int', default: '8', status: 'performance-only', doc: 'Bytes of variable-length columns in z-order sorting.' },
  { key: 'file-reader-async-threshold', type: 'memory', default: '10 mb', status: 'performance-only', doc: 'File size above which readers read asynchronously.' },
  { key: 'commit.force-create-snapshot', type: 'boolean', default: 'false', status: 'performance-only', doc: 'Whether Paimon commits create a snapshot even when empty.' },
  { key: 'deletion-vectors.enabled', type: 'boolean', default: 'false', status: 'implemented', doc: 'Deletion vectors mark deleted rows (read-optimised mode: batch reads skip level 0 and read each file once). Eddy reads such tables, and writes and compacts primary-key tables with fixed buckets, the deduplicate merge engine, no sequence.field and changelog-producer none, input or lookup like Paimon (lookup compaction marks the older rows of updated keys deleted, one index file per bucket); other such tables are refused.' },
  { key: 'deletion-vectors.modifiable', type: 'boolean', default: 'false', status: 'implemented', doc: 'Whether deletion-vectors.enabled may change after data exists.' },
  { key: 'deletion-vector.index-file.target-size', type: 'memory', default: '2 mb', status: 'performance-only', doc: 'Target size of deletion vector index files.' },
  { key: 'deletion-vectors.bitmap64', type: 'boolean', default: 'false', status: 'performance-only', doc: 'Writes 64-bit deletion vectors; Eddy reads both formats and writes the one this option names.' },
  { key: 'delete.force-produce-changelog', type: 'boolean', default: 'false', status: 'refused', refusedFor: 'write', doc: 'Forces changelog for deletes (DELETE statements).' },
  { key: 'sort-compaction.range-strategy', type: 'enum', default: 'SIZE', values: ['SIZE', 'QUANTITY'], status: 'performance-only', doc: 'Range strategy of sort compaction.' },
  { key: 'sort-compaction.local-sample.magnification', type: 'int', default: '1000', status: 'performance-only', doc: 'Sample size of sort compaction.' },
  { key: 'record-level.expire-time', type: 'duration', status: 'refused', doc: 'Compaction drops records older than this (by record-level.time-field).' },
  { key: 'record-level.time-field', type: 'string', status: 'refused', doc: 'Time column of record-level expiry.' },
  { key: 'fields.default-aggregate-function', type: 'string', status: 'implemented', doc: 'Aggregate function of columns without fields.<f>.aggregate-function.' },
  { key: 'commit.user-prefix', type: 'string', status: 'performance-only', doc: 'Prefix of commit users.' },
  { key: 'force-lookup', type: 'boolean', default: 'false', status: 'performance-only', doc: 'Whether Paimon writers look up keys on every compaction.' },
  { key: 'lookup-wait', type: 'boolean', default: 'true', status: 'performance-only', fallbackKeys: ['changelog-producer.lookup-wait'], doc: 'Whether commits wait for lookup compaction.' },
  { key: 'lookup-compact', type: 'enum', default: 'RADICAL', values: ['RADICAL', 'GENTLE'], status: 'performance-only', doc: 'Lookup compaction mode.' },
  { key: 'lookup-compact.max-interval', type: 'int', status: 'performance-only', doc: 'Maximum interval of gentle lookup compaction.' },
  { key: 'file-operation.thread-num', type: 'int', status: 'performance-only', fallbackKeys: ['delete-file.thread-num'], doc: 'Threads of file operations.' },
  { key: 'scan.fallback-branch', type: 'string', status: 'refused', doc: 'Reads fall back to another branch for missing partitions.' },
  { key: 'scan.primary-branch', type: 'string', status: 'refused', doc: 'Primary branch of a fallback read.' },
  { key: 'async-file-write', type: 'boolean', default: 'true', status: 'performance-only', doc: 'Whether files are written asynchronously.' },
  { key: 'manifest.delete-file-drop-stats', type: 'boolean', default: 'false', status: 'performance-only', doc: 'Whether delete entries keep statistics.' },
  { key: 'data-file.thin-mode', type: 'boolean', default: 'false', status: 'refused', doc: 'Data files without the _KEY_ copies of primary-key columns.' },
  { key: 'partition.idle-time-to-report-statistic', type: 'duration', default: '0 s', status: 'performance-only', doc: 'Idle time before partition statistics are reported.' },
  { key: 'query-auth.enabled', type: 'boolean', default: 'false', status: 'performance-only', doc: 'Query authorization through a REST catalog.' },
  { key: 'materialized-table.definition-query', type: 'string', status: 'performance-only', doc: 'Materialized table metadata (Flink).' },
  { key: 'materialized-table.interval-freshness', type: 'string', status: 'performance-only', doc: 'Materialized table metadata (Flink).' },
  { key: 'materialized-table.interval-freshness.time-unit', type: 'enum', values: ['SECOND', 'MINUTE', 'HOUR', 'DAY'], status: 'performance-only', doc: 'Materialized table metadata (Flink).' },
  { key: 'materialized-table.logical-refresh-mode', type: 'enum', values: ['CONTINUOUS', 'FULL', 'AUTOMATIC'], status: 'performance-only', doc: 'Materialized table metadata (Flink).' },
  { key: 'materialized-table.refresh-mode', type: 'enum', values: ['CONTINUOUS', 'FULL', 'AUTOMATIC'], status: 'performance-only', doc: 'Materialized table metadata (Flink).' },
  { key: 'materialized-table.refresh-status', type: 'enum', values: ['INITIALIZING', 'ACTIVATED', 'SUSPENDED'], status: 'performance-only', doc: 'Materialized table metadata (Flink).' },
  { key: 'materialized-table.refresh-handler-description', type: 'string', status: 'performance-only', doc: 'Materialized table metadata (Flink).' },
  { key: 'materialized-table.refresh-handler-bytes', type: 'string', status: 'performance-only', doc: 'Materialized table metadata (Flink).' },
  { key: 'alter-column-null-to-not-null.disabled', type: 'boolean', default: 'true', status: 'implemented', doc: 'Whether ALTER may make a nullable column NOT NULL.' },
  { key: 'disable-explicit-type-casting', type: 'boolean', default: 'false', status: 'implemented', doc: 'Whether ALTER refuses explicit (narrowing) type changes.' },
  { key: 'add-column-before-partition', type: 'boolean', default: 'false', status: 'implemented', doc: 'Whether new columns go before the partition columns.' },
  { key: 'commit.strict-mode.last-safe-snapshot', type: 'long', status: 'performance-only', doc: 'Strict commit check against other writers since a snapshot.' },
  { key: 'clustering.columns', type: 'string', status: 'performance-only', fallbackKeys: ['sink.clustering.by-columns'], doc: 'Columns that clustering compaction sorts append tables by.' },
  { key: 'clustering.strategy', type: 'string', default: 'auto', status: 'performance-only', fallbackKeys: ['sink.clustering.strategy'], doc: 'Sort strategy of clustering.' },
  { key: 'clustering.incremental', type: 'boolean', default: 'false', status: 'performance-only', doc: 'Incremental clustering of append tables.' },
  { key: 'clustering.history-partition.limit', type: 'int', default: '5', status: 'performance-only', doc: 'Partitions of history clustering.' },
  { key: 'clustering.history-partition.idle-to-full-sort', type: 'duration', status: 'performance-only', doc: 'Idle time before history partitions are fully sorted.' },
  { key: 'clustering.incremental.optimize-write', type: 'boolean', default: 'false', status: 'performance-only', doc: 'Write optimization of incremental clustering.' },
  { key: 'clustering.incremental.mode', type: 'enum', default: 'global-sort', values: ['global-sort', 'local-sort'], status: 'performance-only', doc: 'Sort mode of incremental clustering.' },
  { key: 'row-tracking.enabled', type: 'boolean', default: 'false', status: 'refused', doc: 'Row ids and sequence numbers tracked per row (_ROW_ID).' },
  { key: 'data-evolution.enabled', type: 'boolean', default: 'false', status: 'refused', doc: 'Data evolution: files that hold only some columns of rows.' },
  { key: 'snapshot.ignore-empty-commit', type: 'boolean', status: 'performance-only', doc: 'Whether empty commits make no snapshot.' },
  { key: 'index-file-in-data-file-dir', type: 'boolean', default: 'false', status: 'refused', doc: 'Index files live in the data file directories.' },
  { key: 'global-index.external-path', type: 'string', status: 'performance-only', doc: 'Path of global index files (Eddy does not use global indexes).' },
  { key: 'global-index.column-update-action', type: 'enum', default: 'THROW_ERROR', values: ['THROW_ERROR', 'DROP_PARTITION_INDEX'], status: 'performance-only', doc: 'What happens to global indexes on column updates.' },
  { key: 'lookup.merge-buffer-size', type: 'memory', default: '8 mb', status: 'performance-only', doc: 'Buffer of lookup merges.' },
  { key: 'lookup.merge-records-threshold', type: 'int', default: '1024', status: 'performance-only', doc: 'Records above which lookup merges spill.' },
  { key: 'format-table.implementation', type: 'enum', default: 'paimon', values: ['paimon', 'engine'], status: 'performance-only', doc: 'Implementation of format tables (format tables are refused).' },
  { key: 'format-table.partition-path-only-value', type: 'boolean', default: 'false', status: 'performance-only', doc: 'Partition paths of format tables (format tables are refused).' },
  { key: 'format-table.file.compression', type: 'string', status: 'performance-only', fallbackKeys: ['file.compression'], doc: 'Compression of format tables (format tables are refused).' },
  { key: 'format-table.commit-hive-sync-url', type: 'string', status: 'performance-only', doc: 'Hive sync of format tables (format tables are refused).' },
  { key: 'blob-field', type: 'string', status: 'performance-only', doc: 'BLOB columns (BLOB types are refused by name).' },
  { key: 'blob-descriptor-field', type: 'string', status: 'performance-only', fallbackKeys: ['blob.stored-descriptor-fields'], doc: 'BLOB descriptor columns (BLOB types are refused by name).' },
  { key: 'blob-as-descriptor', type: 'boolean', default: 'false', status: 'performance-only', doc: 'Whether BLOBs are read as descriptors.' },
  { key: 'blob-external-storage-path', type: 'string', status: 'performance-only', doc: 'External storage of BLOBs.' },
  { key: 'blob-external-storage-field', type: 'string', status: 'performance-only', doc: 'Columns of BLOBs stored externally.' },
  { key: 'commit.discard-duplicate-files', type: 'boolean', default: 'false', status: 'performance-only', doc: 'Whether commits drop files already committed.' },
  { key: 'postpone.batch-write-fixed-bucket', type: 'boolean', default: 'true', status: 'performance-only', doc: 'Batch writes of postpone-bucket tables (writes refused).' },
  { key: 'postpone.batch-write-fixed-bucket.max-parallelism', type: 'int', default: '2048', status: 'performance-only', doc: 'Batch writes of postpone-bucket tables (writes refused).' },
  { key: 'postpone.default-bucket-num', type: 'int', default: '1', status: 'performance-only', doc: 'Bucket count chosen for postpone-bucket partitions.' },
  { key: 'global-index.row-count-per-shard', type: 'long', default: '100000', status: 'performance-only', doc: 'Global index building.' },
  { key: 'global-index.build.max-shard', type: 'int', default: '32', status: 'performance-only', doc: 'Global index building.' },
  { key: 'global-index.build.max-parallelism', type: 'int', default: '4096', status: 'performance-only', doc: 'Global index building.' },
  { key: 'global-index.enabled', type: 'boolean', default: 'true', status: 'performance-only', doc: 'Whether reads use global indexes (Eddy reads without them).' },
  { key: 'global-index.thread-num', type: 'int', status: 'performance-only', doc: 'Global index threads.' },
  { key: 'overwrite-upgrade', type: 'boolean', default: 'true', status: 'performance-only', doc: 'Whether overwrite commits upgrade files to the top level.' },
  { key: 'visibility-callback.enabled', type: 'boolean', default: 'false', status: 'performance-only', doc: 'Whether commits wait for visibility callbacks.' },
  { key: 'visibility-callback.timeout', type: 'duration', default: '30 min', status: 'performance-only', doc: 'Timeout of visibility callbacks.' },
  { key: 'visibility-callback.check-interval', type: 'duration', default: '10 s', status: 'performance-only', doc: 'Interval of visibility callback checks.' },
  { key: 'vector.file.format', type: 'string', status: 'performance-only', doc: 'Vector file format (vector types are refused).' },
  { key: 'vector-field', type: 'string', status: 'performance-only', doc: 'Vector columns (vector types are refused).' },
  { key: 'vector.target-file-size', type: 'memory', status: 'performance-only', doc: 'Target size of vector files.' },
  { key: 'pk-clustering-override', type: 'boolean', default: 'false', status: 'refused', doc: 'Clusters primary-key tables by clustering.columns instead of the key.' },
  // Eddy's own options (Paimon ignores them).
  { key: 'eddy.commit.coalesce-ms', type: 'duration', default: '0 ms', status: 'implemented', doc: "Eddy only: streaming commits of one table by writers of one process (one FileIO) arriving within this window are published as one snapshot; every grouped checkpoint stays exactly-once (recorded in the snapshot's properties). 0 (default): off." },
  { key: 'eddy.commit-user.time-retained', type: 'duration', default: '30 d', status: 'implemented', doc: "Eddy only: how long a streaming writer's commit-user record (its last committed checkpoint, for exactly-once after expiry) is kept after its last commit." },
];

/** The aggregate functions of Paimon 1.4 (`FieldAggregatorFactory` identifiers) and what Eddy does with each. */
export const AGGREGATE_FUNCTIONS_IMPLEMENTED = [
  'sum',
  'product',
  'max',
  'min',
  'last_value',
  'last_non_null_value',
  'first_value',
  'first_non_null_value',
  'first_not_null_value',
  'listagg',
  'bool_and',
  'bool_or',
] as const;
export type AggregateFunctionName = (typeof AGGREGATE_FUNCTIONS_IMPLEMENTED)[number];

/** Paimon 1.4 functions Eddy refuses, with why. */
export const AGGREGATE_FUNCTIONS_REFUSED: Readonly<Record<string, string>> = {
  collect: 'it aggregates into ARRAY columns (nested types are not supported)',
  merge_map: 'it aggregates MAP columns (nested types are not supported)',
  merge_map_with_keytime: 'it aggregates MAP columns (nested types are not supported)',
  nested_update: 'it aggregates ARRAY<ROW> columns (nested types are not supported)',
  nested_partial_update: 'it aggregates ARRAY<ROW> columns (nested types are not supported)',
  hll_sketch: 'it merges HyperLogLog sketches (DataSketches format), which Eddy does not implement',
  theta_sketch: 'it merges Theta sketches (DataSketches format), which Eddy does not implement',
  rbm32: 'it merges serialized 32-bit roaring bitmaps, which Eddy does not implement',
  rbm64: 'it merges serialized 64-bit roaring bitmaps, which Eddy does not implement',
};

// biome-ignore format: one pattern per line reads best
export const FIELD_OPTIONS: readonly FieldOptionSpec[] = [
  { suffix: 'aggregate-function', type: 'string', status: 'implemented', doc: `Aggregate function of the column (aggregation tables, or partial-update sequence groups): ${AGGREGATE_FUNCTIONS_IMPLEMENTED.join(', ')}; refused: ${Object.keys(AGGREGATE_FUNCTIONS_REFUSED).join(', ')}.` },
  { suffix: 'ignore-retract', type: 'boolean', status: 'implemented', doc: 'The column ignores -U/-D records instead of retracting them.' },
  { suffix: 'distinct', type: 'boolean', status: 'implemented', doc: 'listagg: append only values not already in the list.' },
  { suffix: 'list-agg-delimiter', type: 'string', status: 'implemented', doc: "listagg: the delimiter (default ',')." },
  { suffix: 'sequence-group', type: 'string', status: 'implemented', multiField: true, doc: 'partial-update: these columns (the value) update only when the group\'s sequence columns (in the key) are not older.' },
  { suffix: 'nested-key', type: 'string', status: 'performance-only', doc: 'Key of nested_update / nested_partial_update, which Eddy refuses by name.' },
  { suffix: 'count-limit', type: 'int', status: 'performance-only', doc: 'Element limit of nested_update, which Eddy refuses by name.' },
  { suffix: 'ts-field', type: 'string', status: 'performance-only', doc: 'Time field of merge_map_with_keytime, which Eddy refuses by name.' },
  { suffix: 'stats-mode', type: 'string', status: 'performance-only', doc: 'Column statistics kept in manifests for the column.' },
  { suffix: 'default-value', type: 'string', status: 'performance-only', doc: 'Pre-1.0 default value option; Paimon 1.4 ignores it (column default values live in the schema).' },
];

const BY_KEY = new Map<string, OptionSpec>();
for (const o of TABLE_OPTIONS) {
  BY_KEY.set(o.key, o);
  for (const f of o.fallbackKeys ?? []) if (!BY_KEY.has(f)) BY_KEY.set(f, o);
}

/** The spec of a table option by its name or one of its fallback names. */
export function optionSpec(key: string): OptionSpec | undefined {
  return BY_KEY.get(key);
}

/** `fields.<f>.<suffix>` split into its columns and pattern, or undefined when `key` is no such pattern. */
export function fieldOption(
  key: string,
): { readonly fields: readonly string[]; readonly spec: FieldOptionSpec } | undefined {
  if (!key.startsWith('fields.')) return undefined;
  for (const spec of FIELD_OPTIONS) {
    const end = `.${spec.suffix}`;
    if (!key.endsWith(end) || key.length <= 'fields.'.length + end.length) continue;
    const middle = key.slice('fields.'.length, key.length - end.length);
    const fields = middle.split(',');
    if (!spec.multiField && fields.length > 1) continue;
    return { fields, spec };
  }
  return undefined;
}

/**
 * `options` with values given under a fallback name (`partial-update.ignore-delete`) also under
 * the option's own name when that is absent, as Paimon's Options.get reads them.
 */
export function withFallbackKeys(options: Readonly<Record<string, string>>): Readonly<Record<string, string>> {
  let out: Record<string, string> | undefined;
  for (const [k, v] of Object.entries(options)) {
    const spec = BY_KEY.get(k);
    if (!spec || spec.key === k || options[spec.key] !== undefined) continue;
    out ??= { ...options };
    out[spec.key] ??= v;
  }
  return out ?? options;
}

/**
 * File index options (`file-index.bloom-filter.columns`, `file-index.bloom-filter.<col>.fpp`, ...),
 * checked by options/file-index-options.ts. Bloom filters are written and read; other index types
 * are neither (an index only lets readers skip files: a reader without it reads the file).
 */
export const FILE_INDEX_PATTERNS: readonly {
  readonly pattern: string;
  readonly type: OptionType;
  readonly status: OptionStatus;
  readonly doc: string;
}[] = [
  {
    pattern: 'file-index.bloom-filter.columns`, `file-index.bloom-filter.<f>.items`, `file-index.bloom-filter.<f>.fpp',
    type: 'string',
    status: 'implemented',
    doc: "Bloom-filter file indexes, byte for byte as Paimon's: writers and compaction build one per listed column (items 1000000 and fpp 0.1 by default: size items for the rows of a file), in the manifest entry up to file-index.in-manifest-threshold, else in a '<data file>.index' extra file. Readers skip files whose filter rules out every value of an equality or IN: on key columns always, on other columns in append and deletion-vector tables (elsewhere an older version of a row could match where the newest does not). BOOLEAN, DECIMAL and nested columns are refused, as Paimon refuses them.",
  },
  {
    pattern: 'file-index.<type>.columns`, `file-index.<type>.<f>.<option>',
    type: 'string',
    status: 'performance-only',
    doc: 'Other file index types (bitmap, bsi, range-bitmap): not written, and ignored on read (an index only lets readers skip files; a reader without it reads the file).',
  },
];

export const FILE_INDEX_KEY = /^file-index\.[a-z0-9-]+\.(columns|[^.]+\.[a-z0-9-]+)$/;

// --- Validation ------------------------------------------------------------------------------

/** Paimon's text forms of each type (ConfigOptions parsing), loosely. */
function typeProblem(spec: { type: OptionType; values?: readonly string[] }, value: string): string | undefined {
  const v = value.trim();
  switch (spec.type) {
    case 'int':
    case 'long':
      if (!/^[+-]?\d+$/.test(v)) return 'expected an integer';
      if (spec.type === 'int' && (Number(v) > 2147483647 || Number(v) < -2147483648)) return 'out of the integer range';
      return undefined;
    case 'double':
      return v === '' || Number.isNaN(Number(v)) ? 'expected a number' : undefined;
    case 'boolean':
      return /^(true|false)$/i.test(v) ? undefined : 'expected true or false';
    case 'duration':
      return /^\d+\s*[a-z]*$/i.test(v) ? undefined : 'expected a duration (e.g. 10 s, 1 h)';
    case 'memory':
      return /^\d+(\.\d+)?\s*([kmgt]?i?b?(ytes?)?)$/i.test(v) ? undefined : 'expected a memory size (e.g. 256 mb)';
    case 'enum':
      return spec.values && !spec.values.some((x) => x.toLowerCase() === v.toLowerCase())
        ? `expected one of ${spec.values.join(', ')}`
        : undefined;
    default:
      return undefined;
  }
}

/** Levenshtein distance, for did-you-mean. */
function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length];
}

/** The known key (or per-column pattern, for `fields.` keys) closest to `key`, if any is close. */
export function suggestOption(key: string, columns: readonly string[] = []): string | undefined {
  const candidates = [...BY_KEY.keys()];
  const m = /^fields\.(.+)\.([^.]+)$/.exec(key);
  if (m) for (const f of FIELD_OPTIONS) candidates.push(`fields.${m[1]}.${f.suffix}`);
  else if (key.startsWith('fields.'))
    for (const c of columns) for (const f of FIELD_OPTIONS) candidates.push(`fields.${c}.${f.suffix}`);
  let best: string | undefined;
  let bestD = Math.max(2, Math.floor(key.length / 4)) + 1;
  for (const c of candidates) {
    const d = distance(key, c);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best;
}

/**
 * Checks the keys and values a user sets (create or alter): each must be a Paimon option or a
 * per-column pattern over existing columns, with a value of its type. Throws INVALID_OPTION with a
 * did-you-mean suggestion. Refusals (UNSUPPORTED) are `checkSupported`'s.
 */
export function validateOptionKeys(options: Readonly<Record<string, string>>, columns: readonly string[]): void {
  for (const [key, value] of Object.entries(options)) {
    const spec = optionSpec(key);
    if (spec) {
      const problem = typeProblem(spec, value);
      if (problem) throw new EddyError('INVALID_OPTION', `option '${key}': ${problem}, got '${value}'`);
      continue;
    }
    const field = fieldOption(key);
    if (field) {
      for (const f of field.fields) {
        if (!columns.includes(f))
          throw new EddyError('INVALID_OPTION', `option '${key}': '${f}' is not a column of the table`);
      }
      const problem = typeProblem(field.spec, value);
      if (problem) throw new EddyError('INVALID_OPTION', `option '${key}': ${problem}, got '${value}'`);
      continue;
    }
    if (FILE_INDEX_KEY.test(key)) continue; // checked with the columns' types by fileIndexWriteOptions
    const hint = suggestOption(key, columns);
    throw new EddyError(
      'INVALID_OPTION',
      `unknown option '${key}'${hint ? ` (did you mean '${hint}'?)` : ''}: not an Apache Paimon table option (see docs/options.md)`,
    );
  }
}

const isDefault = (spec: OptionSpec, value: string): boolean => {
  const v = lower(value);
  if (v === '') return spec.default === undefined || spec.default === '';
  return spec.default !== undefined && lower(spec.default) === v;
};

/**
 * Refuses (UNSUPPORTED, naming the option) options whose value changes semantics Eddy does not
 * implement. `scope` 'write' also checks the refusals that hold for writes and compaction only.
 */
export function checkSupported(options: Readonly<Record<string, string>>, scope: 'read' | 'write'): void {
  for (const [key, value] of Object.entries(options)) {
    const spec = optionSpec(key);
    if (spec) {
      if (spec.refusedFor === 'write' && scope !== 'write') continue;
      if (spec.status === 'refused' && !isDefault(spec, value)) {
        throw new EddyError(
          'UNSUPPORTED',
          `option '${key}' = '${value}' is not supported by Eddy (${spec.doc.replace(/\.$/, '')}); reading or writing the table could differ from Apache Paimon`,
        );
      }
      const why = spec.unsupportedValue?.(value);
      if (why) throw new EddyError('UNSUPPORTED', `option '${key}' = '${value}': ${why}`);
      continue;
    }
    const field = fieldOption(key);
    if (!field) continue; // unknown keys (other engines' options) cannot change Paimon's semantics
    if (field.spec.status === 'refused')
      throw new EddyError(
        'UNSUPPORTED',
        `option '${key}' is not supported by Eddy (${field.spec.doc.replace(/\.$/, '')})`,
      );
    if (field.spec.suffix === 'aggregate-function') checkAggregateFunction(key, value);
  }
  const dflt = options['fields.default-aggregate-function'];
  if (dflt !== undefined) checkAggregateFunction('fields.default-aggregate-function', dflt);
}

function checkAggregateFunction(key: string, value: string): void {
  const fn = value.trim();
  if ((AGGREGATE_FUNCTIONS_IMPLEMENTED as readonly string[]).includes(fn)) return;
  const why = AGGREGATE_FUNCTIONS_REFUSED[fn];
  if (why) throw new EddyError('UNSUPPORTED', `option '${key}': aggregate function '${fn}' is not supported: ${why}`);
  throw new EddyError(
    'INVALID_OPTION',
    `option '${key}': '${fn}' is not an aggregate function of Apache Paimon 1.4 (known: ${[...AGGREGATE_FUNCTIONS_IMPLEMENTED, ...Object.keys(AGGREGATE_FUNCTIONS_REFUSED)].join(', ')})`,
  );
}

/** Counts per status (the closing note, docs). */
export function optionCounts(): Record<OptionStatus, number> {
  const out: Record<OptionStatus, number> = { implemented: 0, 'performance-only': 0, refused: 0 };
  for (const o of TABLE_OPTIONS) out[o.status]++;
  return out;
}
