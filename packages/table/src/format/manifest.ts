/**
 * Manifest files (`manifest/manifest-<uuid>-<n>`): Avro records of ManifestEntry, `_VERSION` = 2.
 *
 * The writer schema is exactly what Paimon Java 1.4 writes (ManifestEntry.SCHEMA with DataFileMeta
 * and SimpleStats nested; record names from AvroSchemaConverter: `record`, `record__FILE`,
 * `record__FILE__KEY_STATS`, `record__FILE__VALUE_STATS`). Reading uses the file's own schema and
 * looks fields up by name, so files from older writers (missing newer nullable fields, or wrapped in
 * `["null", record]` unions) and newer writers (extra fields) decode too.
 */
import { checkFileName, corruptFile, EddyError } from '../types/errors.ts';
import {
  type AvroCodec,
  type AvroRecord,
  asRecord,
  decodeAvroFile,
  encodeAvroFile,
  FieldReader,
  field,
  nullableField,
  PAIMON_RECORD_NAMESPACE,
  simpleStatsSchema,
  toAvroBytes,
  toLong,
} from './avro.ts';

export interface SimpleStats {
  /** Serialized BinaryRow (4-byte big-endian arity + row bytes); opaque here. */
  minValues: Uint8Array;
  maxValues: Uint8Array;
  /** Per stats column; null = unknown. */
  nullCounts: (number | null)[];
}

export interface DataFileMeta {
  fileName: string;
  fileSize: number;
  rowCount: number;
  minKey: Uint8Array;
  maxKey: Uint8Array;
  keyStats: SimpleStats;
  valueStats: SimpleStats;
  minSequenceNumber: bigint;
  maxSequenceNumber: bigint;
  schemaId: number;
  level: number;
  extraFiles: string[];
  /** `_CREATION_TIME`: Avro timestamp-millis (Paimon writes local wall-clock time as if UTC). */
  creationTime: number | null;
  deleteRowCount: number | null;
  embeddedIndex: Uint8Array | null;
  /** 0 = APPEND, 1 = COMPACT. */
  fileSource: number | null;
  valueStatsCols: string[] | null;
  externalPath: string | null;
  firstRowId: number | null;
  writeCols: string[] | null;
}

/** Whether a manifest entry adds or deletes a file. Java: org.apache.paimon.manifest.FileKind. */
export const FileKind = { ADD: 0, DELETE: 1 } as const;
export type FileKind = (typeof FileKind)[keyof typeof FileKind];

export interface ManifestEntry {
  /** FileKind: 0 = ADD, 1 = DELETE. */
  kind: FileKind;
  /** Serialized BinaryRow of the partition values. */
  partition: Uint8Array;
  bucket: number;
  totalBuckets: number;
  file: DataFileMeta;
}

/** `_VERSION` of manifest entries (ManifestEntrySerializer.getVersion). */
export const MANIFEST_ENTRY_VERSION = 2;

export const MANIFEST_SCHEMA = {
  type: 'record',
  name: 'record',
  namespace: PAIMON_RECORD_NAMESPACE,
  fields: [
    field('_VERSION', 'int'),
    field('_KIND', 'int'),
    field('_PARTITION', 'bytes'),
    field('_BUCKET', 'int'),
    field('_TOTAL_BUCKETS', 'int'),
    field('_FILE', {
      type: 'record',
      name: 'record__FILE',
      fields: [
        field('_FILE_NAME', 'string'),
        field('_FILE_SIZE', 'long'),
        field('_ROW_COUNT', 'long'),
        field('_MIN_KEY', 'bytes'),
        field('_MAX_KEY', 'bytes'),
        field('_KEY_STATS', simpleStatsSchema('record__FILE__KEY_STATS')),
        field('_VALUE_STATS', simpleStatsSchema('record__FILE__VALUE_STATS')),
        field('_MIN_SEQUENCE_NUMBER', 'long'),
        field('_MAX_SEQUENCE_NUMBER', 'long'),
        field('_SCHEMA_ID', 'long'),
        field('_LEVEL', 'int'),
        field('_EXTRA_FILES', { type: 'array', items: 'string' }),
        nullableField('_CREATION_TIME', { type: 'long', logicalType: 'timestamp-millis' }),
        nullableField('_DELETE_ROW_COUNT', 'long'),
        nullableField('_EMBEDDED_FILE_INDEX', 'bytes'),
        nullableField('_FILE_SOURCE', 'int'),
        nullableField('_VALUE_STATS_COLS', { type: 'array', items: 'string' }),
        nullableField('_EXTERNAL_PATH', 'string'),
        nullableField('_FIRST_ROW_ID', 'long'),
        nullableField('_WRITE_COLS', { type: 'array', items: 'string' }),
      ],
    }),
  ],
} as const;

// ---------------------------------------------------------------------------------------------
// SimpleStats (shared with the manifest list)

export function simpleStatsToAvro(s: SimpleStats): AvroRecord {
  return {
    _MIN_VALUES: toAvroBytes(s.minValues),
    _MAX_VALUES: toAvroBytes(s.maxValues),
    _NULL_COUNTS: s.nullCounts.map((n) => toLong(n)),
  };
}

export function simpleStatsFromAvro(r: FieldReader, path: string): SimpleStats {
  const counts = r.optionalArray('_NULL_COUNTS') ?? [];
  return {
    minValues: r.requiredBytes('_MIN_VALUES'),
    maxValues: r.requiredBytes('_MAX_VALUES'),
    nullCounts: counts.map((c) => {
      if (c === null || c === undefined) return null;
      if (typeof c === 'bigint') {
        if (c > BigInt(Number.MAX_SAFE_INTEGER) || c < 0n) throw corruptFile(path, `_NULL_COUNTS has ${c}`);
        return Number(c);
      }
      if (typeof c === 'number') return c;
      throw corruptFile(path, '_NULL_COUNTS has a non-numeric element');
    }),
  };
}

/** Throws unless a record's `_VERSION` is the one this format version uses (absent is tolerated). */
export function checkVersion(r: FieldReader, expected: number, path: string): void {
  const v = r.optionalInt('_VERSION');
  if (v !== null && v !== expected) {
    throw new EddyError(
      'UNSUPPORTED',
      `${path}: record _VERSION ${v} is not supported (expected ${expected}); Paimon asks to recreate such tables`,
      { path },
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Encode / decode

function dataFileToAvro(f: DataFileMeta): AvroRecord {
  return {
    _FILE_NAME: f.fileName,
    _FILE_SIZE: toLong(f.fileSize),
    _ROW_COUNT: toLong(f.rowCount),
    _MIN_KEY: toAvroBytes(f.minKey),
    _MAX_KEY: toAvroBytes(f.maxKey),
    _KEY_STATS: simpleStatsToAvro(f.keyStats),
    _VALUE_STATS: simpleStatsToAvro(f.valueStats),
    _MIN_SEQUENCE_NUMBER: f.minSequenceNumber,
    _MAX_SEQUENCE_NUMBER: f.maxSequenceNumber,
    _SCHEMA_ID: toLong(f.schemaId),
    _LEVEL: f.level,
    _EXTRA_FILES: [...f.extraFiles],
    _CREATION_TIME: toLong(f.creationTime),
    _DELETE_ROW_COUNT: toLong(f.deleteRowCount),
    _EMBEDDED_FILE_INDEX: f.embeddedIndex === null ? null : toAvroBytes(f.embeddedIndex),
    _FILE_SOURCE: f.fileSource,
    _VALUE_STATS_COLS: f.valueStatsCols === null ? null : [...f.valueStatsCols],
    _EXTERNAL_PATH: f.externalPath,
    _FIRST_ROW_ID: toLong(f.firstRowId),
    _WRITE_COLS: f.writeCols === null ? null : [...f.writeCols],
  };
}

function dataFileFromAvro(r: FieldReader, path: string): DataFileMeta {
  return {
    fileName: checkFileName(r.requiredString('_FILE_NAME'), path, 'data file name'),
    fileSize: r.requiredInt('_FILE_SIZE'),
    rowCount: r.requiredInt('_ROW_COUNT'),
    minKey: r.requiredBytes('_MIN_KEY'),
    maxKey: r.requiredBytes('_MAX_KEY'),
    keyStats: simpleStatsFromAvro(r.requiredRecord('_KEY_STATS'), path),
    valueStats: simpleStatsFromAvro(r.requiredRecord('_VALUE_STATS'), path),
    minSequenceNumber: r.requiredLong('_MIN_SEQUENCE_NUMBER'),
    maxSequenceNumber: r.requiredLong('_MAX_SEQUENCE_NUMBER'),
    schemaId: r.requiredInt('_SCHEMA_ID'),
    level: r.requiredInt('_LEVEL'),
    extraFiles: (r.optionalStringArray('_EXTRA_FILES') ?? []).map((n) => checkFileName(n, path, 'extra file name')),
    creationTime: r.optionalInt('_CREATION_TIME'),
    deleteRowCount: r.optionalInt('_DELETE_ROW_COUNT'),
    embeddedIndex: r.optionalBytes('_EMBEDDED_FILE_INDEX'),
    fileSource: r.optionalInt('_FILE_SOURCE'),
    valueStatsCols: r.optionalStringArray('_VALUE_STATS_COLS'),
    externalPath: r.optionalString('_EXTERNAL_PATH'),
    firstRowId: r.optionalInt('_FIRST_ROW_ID'),
    writeCols: r.optionalStringArray('_WRITE_COLS'),
  };
}

/** Encodes manifest entries as a manifest file (Paimon 1.4 writer schema). */
export function encodeManifest(entries: readonly ManifestEntry[], codec: AvroCodec): Promise<Uint8Array> {
  return encodeAvroFile(
    MANIFEST_SCHEMA,
    entries.map((e) => ({
      _VERSION: MANIFEST_ENTRY_VERSION,
      _KIND: e.kind,
      _PARTITION: toAvroBytes(e.partition),
      _BUCKET: e.bucket,
      _TOTAL_BUCKETS: e.totalBuckets,
      _FILE: dataFileToAvro(e.file),
    })),
    codec,
  );
}

/** Decodes a manifest file written by Paimon (any 0.8+ version) or by encodeManifest. */
export async function decodeManifest(bytes: Uint8Array, path: string): Promise<ManifestEntry[]> {
  const { records } = await decodeAvroFile(bytes, path);
  return records.map((rec) => {
    const r = new FieldReader(asRecord(rec, path, 'manifest entry'), path, 'manifest entry');
    checkVersion(r, MANIFEST_ENTRY_VERSION, path);
    const kind = r.requiredInt('_KIND');
    if (kind !== FileKind.ADD && kind !== FileKind.DELETE) throw corruptFile(path, `unknown _KIND ${kind}`);
    return {
      kind,
      partition: r.requiredBytes('_PARTITION'),
      bucket: r.requiredInt('_BUCKET'),
      totalBuckets: r.requiredInt('_TOTAL_BUCKETS'),
      file: dataFileFromAvro(r.requiredRecord('_FILE'), path),
    };
  });
}

// ---------------------------------------------------------------------------------------------
// Merging (FileEntry.mergeEntries)

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/**
 * FileEntry.Identifier: partition bytes, bucket, level, file name, extra files, embedded index and
 * external path. (Not total buckets, kind or any stats.)
 */
export function manifestEntryIdentifier(e: ManifestEntry): string {
  const f = e.file;
  return JSON.stringify([
    hex(e.partition),
    e.bucket,
    f.level,
    f.fileName,
    f.extraFiles,
    f.embeddedIndex === null ? null : hex(f.embeddedIndex),
    f.externalPath,
  ]);
}

/**
 * Applies DELETE entries to ADD entries with the same identifier (FileEntry.Identifier) and returns
 * the surviving entries in order, like Paimon's FileEntry.mergeEntries: an ADD is kept until a
 * matching DELETE removes both; a DELETE with no earlier ADD is kept (its ADD lives in a manifest
 * not part of this merge). Adding an identifier that is already present is an error, as in Java.
 */
export function mergeManifestEntries(entries: readonly ManifestEntry[]): ManifestEntry[] {
  const map = new Map<string, ManifestEntry>();
  for (const e of entries) {
    const id = manifestEntryIdentifier(e);
    if (e.kind === FileKind.ADD) {
      if (map.has(id)) {
        throw new EddyError(
          'CORRUPT_FILE',
          `manifest entries add file '${e.file.fileName}' (bucket ${e.bucket}, level ${e.file.level}) twice`,
        );
      }
      map.set(id, e);
    } else if (map.has(id)) {
      map.delete(id);
    } else {
      map.set(id, e);
    }
  }
  return [...map.values()];
}

// ---------------------------------------------------------------------------------------------
// Memory

/**
 * What one small byte array costs on the V8 heap beyond its bytes: the Uint8Array, its ArrayBuffer
 * and the backing store's own record (each field decoded from Avro is copied into its own buffer).
 */
const BYTE_ARRAY_OVERHEAD = 180;
/** The objects, arrays, bigints and strings of one entry other than its byte arrays (measured). */
const ENTRY_OVERHEAD = 850;

const bytesWeight = (b: Uint8Array | null) => (b === null ? 0 : BYTE_ARRAY_OVERHEAD + b.byteLength);

/**
 * An estimate of the heap decoded manifest entries hold, for the read cache's byte budget: an
 * estimate from the file's size alone undercounts entries with many small keys and stats rows by
 * about two (a compactor's cache then grew to twice its budget, issue 23).
 */
export function manifestEntriesWeight(entries: readonly ManifestEntry[]): number {
  let n = 0;
  for (const e of entries) {
    const f = e.file;
    n += ENTRY_OVERHEAD + bytesWeight(e.partition) + bytesWeight(f.minKey) + bytesWeight(f.maxKey);
    n += bytesWeight(f.keyStats.minValues) + bytesWeight(f.keyStats.maxValues) + 8 * f.keyStats.nullCounts.length;
    n += bytesWeight(f.valueStats.minValues) + bytesWeight(f.valueStats.maxValues) + 8 * f.valueStats.nullCounts.length;
    n += bytesWeight(f.embeddedIndex) + 2 * f.fileName.length;
    for (const x of f.extraFiles) n += 32 + 2 * x.length;
    for (const c of f.valueStatsCols ?? []) n += 32 + 2 * c.length;
  }
  return n;
}
