/**
 * Bounds on what one table's metadata may cost to read. A hostile or broken table must fail fast
 * with a typed error, not hang a reader or starve a compactor serving other tables (issue 16 §2).
 * Paimon sets none of these; each is far above what Paimon's writers produce.
 */
import { corruptFile, EddyError } from './errors.ts';

/**
 * Most columns a table may have. Paimon has no limit of its own; Parquet writers and Arrow slow
 * down well before this, and a schema file with more is refused UNSUPPORTED.
 */
export const MAX_FIELDS = 10_000;

/** Largest schema JSON (`schema/schema-N`): 10,000 columns with long comments fit easily. */
export const MAX_SCHEMA_JSON_BYTES = 32 * 1024 * 1024;

/** Largest snapshot, tag or long-lived changelog JSON (Paimon's are about a kilobyte). */
export const MAX_SNAPSHOT_JSON_BYTES = 16 * 1024 * 1024;

/** Largest consumer file (`{"nextSnapshot": N}`). */
export const MAX_CONSUMER_JSON_BYTES = 64 * 1024;

/** Largest Avro schema in a manifest's header (Paimon's are a few kilobytes). */
export const MAX_AVRO_SCHEMA_BYTES = 1024 * 1024;

/** Most bytes the blocks of one Avro file may decompress to in total. */
export const MAX_AVRO_DECODED_BYTES = 1024 * 1024 * 1024;

/** CORRUPT_FILE when a metadata file of `length` bytes (or characters) is larger than `max`. */
export function checkMetadataSize(length: number, max: number, path: string, what: string): void {
  if (length > max) throw corruptFile(path, `${what} of ${length} bytes is larger than Eddy's limit of ${max} bytes`);
}

/** UNSUPPORTED when a schema has more than MAX_FIELDS columns (`where`: the file or the table). */
export function checkFieldCount(count: number, where: string): void {
  if (count > MAX_FIELDS)
    throw new EddyError(
      'UNSUPPORTED',
      `${where}: ${count} columns; Eddy supports at most ${MAX_FIELDS} columns per table (MAX_FIELDS)`,
      where.includes('/') ? { path: where } : undefined,
    );
}
