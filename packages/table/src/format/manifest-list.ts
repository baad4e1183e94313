/**
 * Manifest lists (`manifest/manifest-list-<uuid>-<n>`): Avro records of ManifestFileMeta,
 * `_VERSION` = 2, record `org.apache.paimon.avro.generated.record` with the nested
 * `record__PARTITION_STATS`. Written with the Paimon 1.4 schema (ManifestFileMeta.SCHEMA, incl.
 * `_MIN/_MAX_BUCKET`, `_MIN/_MAX_LEVEL`, `_MIN/_MAX_ROW_ID`); read by field name so older files
 * (without those nullable fields) decode with nulls.
 */

import { checkFileName } from '../types/errors.ts';
import {
  type AvroCodec,
  asRecord,
  decodeAvroFile,
  encodeAvroFile,
  FieldReader,
  field,
  nullableField,
  PAIMON_RECORD_NAMESPACE,
  simpleStatsSchema,
  toLong,
} from './avro.ts';
import { checkVersion, type SimpleStats, simpleStatsFromAvro, simpleStatsToAvro } from './manifest.ts';

/** Avro codec name written to `avro.codec` (Paimon's `manifest.compression` zstd ⇒ `zstandard`). */
export type ManifestCodec = AvroCodec;

export interface ManifestFileMeta {
  fileName: string;
  fileSize: number;
  numAddedFiles: number;
  numDeletedFiles: number;
  partitionStats: SimpleStats;
  schemaId: number;
  minBucket: number | null;
  maxBucket: number | null;
  minLevel: number | null;
  maxLevel: number | null;
  minRowId: number | null;
  maxRowId: number | null;
}

/** `_VERSION` of manifest-list records (ManifestFileMetaSerializer.getVersion). */
export const MANIFEST_FILE_META_VERSION = 2;

export const MANIFEST_LIST_SCHEMA = {
  type: 'record',
  name: 'record',
  namespace: PAIMON_RECORD_NAMESPACE,
  fields: [
    field('_VERSION', 'int'),
    field('_FILE_NAME', 'string'),
    field('_FILE_SIZE', 'long'),
    field('_NUM_ADDED_FILES', 'long'),
    field('_NUM_DELETED_FILES', 'long'),
    field('_PARTITION_STATS', simpleStatsSchema('record__PARTITION_STATS')),
    field('_SCHEMA_ID', 'long'),
    nullableField('_MIN_BUCKET', 'int'),
    nullableField('_MAX_BUCKET', 'int'),
    nullableField('_MIN_LEVEL', 'int'),
    nullableField('_MAX_LEVEL', 'int'),
    nullableField('_MIN_ROW_ID', 'long'),
    nullableField('_MAX_ROW_ID', 'long'),
  ],
} as const;

export function encodeManifestList(metas: readonly ManifestFileMeta[], codec: ManifestCodec): Promise<Uint8Array> {
  return encodeAvroFile(
    MANIFEST_LIST_SCHEMA,
    metas.map((m) => ({
      _VERSION: MANIFEST_FILE_META_VERSION,
      _FILE_NAME: m.fileName,
      _FILE_SIZE: toLong(m.fileSize),
      _NUM_ADDED_FILES: toLong(m.numAddedFiles),
      _NUM_DELETED_FILES: toLong(m.numDeletedFiles),
      _PARTITION_STATS: simpleStatsToAvro(m.partitionStats),
      _SCHEMA_ID: toLong(m.schemaId),
      _MIN_BUCKET: m.minBucket,
      _MAX_BUCKET: m.maxBucket,
      _MIN_LEVEL: m.minLevel,
      _MAX_LEVEL: m.maxLevel,
      _MIN_ROW_ID: toLong(m.minRowId),
      _MAX_ROW_ID: toLong(m.maxRowId),
    })),
    codec,
  );
}

export async function decodeManifestList(bytes: Uint8Array, path: string): Promise<ManifestFileMeta[]> {
  const { records } = await decodeAvroFile(bytes, path);
  return records.map((rec) => {
    const r = new FieldReader(asRecord(rec, path, 'manifest file meta'), path, 'manifest file meta');
    checkVersion(r, MANIFEST_FILE_META_VERSION, path);
    return {
      fileName: checkFileName(r.requiredString('_FILE_NAME'), path, 'manifest file name'),
      fileSize: r.requiredInt('_FILE_SIZE'),
      numAddedFiles: r.requiredInt('_NUM_ADDED_FILES'),
      numDeletedFiles: r.requiredInt('_NUM_DELETED_FILES'),
      partitionStats: simpleStatsFromAvro(r.requiredRecord('_PARTITION_STATS'), path),
      schemaId: r.requiredInt('_SCHEMA_ID'),
      minBucket: r.optionalInt('_MIN_BUCKET'),
      maxBucket: r.optionalInt('_MAX_BUCKET'),
      minLevel: r.optionalInt('_MIN_LEVEL'),
      maxLevel: r.optionalInt('_MAX_LEVEL'),
      minRowId: r.optionalInt('_MIN_ROW_ID'),
      maxRowId: r.optionalInt('_MAX_ROW_ID'),
    };
  });
}
