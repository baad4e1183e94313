/**
 * Index manifests (`manifest/index-manifest-<uuid>-<n>`): Avro records of IndexManifestEntry,
 * `_VERSION` = 1 (IndexManifestEntrySerializer). A snapshot's index manifest lists the complete set
 * of live index files (HASH, DELETION_VECTORS, global indexes such as `btree`/`bitmap`).
 *
 * Writer schema = Paimon 1.4 IndexManifestEntry.SCHEMA: `_KIND`, `_PARTITION`, `_BUCKET`,
 * `_INDEX_TYPE`, `_FILE_NAME`, `_FILE_SIZE`, `_ROW_COUNT`, `_DELETIONS_VECTORS_RANGES`
 * (`["null", array<["null", record__DELETIONS_VECTORS_RANGES{f0 string, f1 int, f2 int,
 * _CARDINALITY ["null",long]}]>]`), `_EXTERNAL_PATH`, `_GLOBAL_INDEX` (`["null",
 * record__GLOBAL_INDEX]`). Master (2.x) adds `_GLOBAL_INDEX._SOURCE_META`; it is written only when
 * an entry carries one, so round-tripping a newer table's entries keeps it.
 *
 * DV ranges: `f1` offset = position of the blob's 4-byte size prefix in the index file, `f2` length
 * (see deletion-vector.ts for what exactly it counts).
 */
import { checkFileName, corruptFile } from '../types/errors.ts';
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
  toAvroBytes,
  toLong,
} from './avro.ts';
import { checkVersion, FileKind } from './manifest.ts';

export interface DeletionVectorRange {
  /** Data file the deletion vector applies to (`f0`). */
  fileName: string;
  /** `f1`: offset of the DV blob (its 4-byte size prefix) in the index file. */
  offset: number;
  /** `f2`: see deletion-vector.ts (32-bit DVs: magic + bitmap bytes; 64-bit DVs: whole blob). */
  length: number;
  /** Number of deleted rows; null for files written before Paimon 0.9. */
  cardinality: number | null;
}

/** `_GLOBAL_INDEX` (Paimon 1.4+), kept opaque so entries can be rewritten without loss. */
export interface GlobalIndexMeta {
  rowRangeStart: number;
  rowRangeEnd: number;
  indexFieldId: number;
  extraFieldIds: number[] | null;
  indexMeta: Uint8Array | null;
  /** Master-only `_SOURCE_META`. */
  sourceMeta?: Uint8Array | null;
}

export interface IndexManifestEntry {
  kind: 0 | 1;
  partition: Uint8Array;
  bucket: number;
  /** `HASH`, `DELETION_VECTORS`, or a global index type. */
  indexType: string;
  fileName: string;
  fileSize: number;
  /** HASH: number of hashes; DELETION_VECTORS: number of data files with a DV in the file. */
  rowCount: number;
  deletionVectorRanges: DeletionVectorRange[] | null;
  externalPath?: string | null;
  globalIndex?: GlobalIndexMeta | null;
}

export const DELETION_VECTORS_INDEX = 'DELETION_VECTORS';
export const HASH_INDEX = 'HASH';

/** `_VERSION` of index-manifest records (IndexManifestEntrySerializer.getVersion). */
export const INDEX_MANIFEST_ENTRY_VERSION = 1;

const globalIndexSchema = (withSourceMeta: boolean) => ({
  type: 'record',
  name: 'record__GLOBAL_INDEX',
  fields: [
    field('_ROW_RANGE_START', 'long'),
    field('_ROW_RANGE_END', 'long'),
    field('_INDEX_FIELD_ID', 'int'),
    nullableField('_EXTRA_FIELD_IDS', { type: 'array', items: 'int' }),
    nullableField('_INDEX_META', 'bytes'),
    ...(withSourceMeta ? [nullableField('_SOURCE_META', 'bytes')] : []),
  ],
});

export const indexManifestSchema = (withSourceMeta = false) => ({
  type: 'record',
  name: 'record',
  namespace: PAIMON_RECORD_NAMESPACE,
  fields: [
    field('_VERSION', 'int'),
    field('_KIND', 'int'),
    field('_PARTITION', 'bytes'),
    field('_BUCKET', 'int'),
    field('_INDEX_TYPE', 'string'),
    field('_FILE_NAME', 'string'),
    field('_FILE_SIZE', 'long'),
    field('_ROW_COUNT', 'long'),
    nullableField('_DELETIONS_VECTORS_RANGES', {
      type: 'array',
      items: [
        'null',
        {
          type: 'record',
          name: 'record__DELETIONS_VECTORS_RANGES',
          fields: [
            field('f0', 'string'),
            field('f1', 'int'),
            field('f2', 'int'),
            nullableField('_CARDINALITY', 'long'),
          ],
        },
      ],
    }),
    nullableField('_EXTERNAL_PATH', 'string'),
    nullableField('_GLOBAL_INDEX', globalIndexSchema(withSourceMeta)),
  ],
});

function globalIndexToAvro(g: GlobalIndexMeta, withSourceMeta: boolean): AvroRecord {
  const r: AvroRecord = {
    _ROW_RANGE_START: toLong(g.rowRangeStart),
    _ROW_RANGE_END: toLong(g.rowRangeEnd),
    _INDEX_FIELD_ID: g.indexFieldId,
    _EXTRA_FIELD_IDS: g.extraFieldIds === null ? null : [...g.extraFieldIds],
    _INDEX_META: g.indexMeta === null ? null : toAvroBytes(g.indexMeta),
  };
  if (withSourceMeta) r._SOURCE_META = g.sourceMeta ? toAvroBytes(g.sourceMeta) : null;
  return r;
}

export function encodeIndexManifest(entries: readonly IndexManifestEntry[], codec: AvroCodec): Promise<Uint8Array> {
  const withSourceMeta = entries.some((e) => e.globalIndex?.sourceMeta);
  return encodeAvroFile(
    indexManifestSchema(withSourceMeta),
    entries.map((e) => ({
      _VERSION: INDEX_MANIFEST_ENTRY_VERSION,
      _KIND: e.kind,
      _PARTITION: toAvroBytes(e.partition),
      _BUCKET: e.bucket,
      _INDEX_TYPE: e.indexType,
      _FILE_NAME: e.fileName,
      _FILE_SIZE: toLong(e.fileSize),
      _ROW_COUNT: toLong(e.rowCount),
      _DELETIONS_VECTORS_RANGES:
        e.deletionVectorRanges === null
          ? null
          : e.deletionVectorRanges.map((d) => ({
              f0: d.fileName,
              f1: d.offset,
              f2: d.length,
              _CARDINALITY: toLong(d.cardinality),
            })),
      _EXTERNAL_PATH: e.externalPath ?? null,
      _GLOBAL_INDEX: e.globalIndex ? globalIndexToAvro(e.globalIndex, withSourceMeta) : null,
    })),
    codec,
  );
}

function rangeFromAvro(v: unknown, path: string): DeletionVectorRange {
  const r = new FieldReader(asRecord(v, path, 'deletion vector range'), path, 'deletion vector range');
  return {
    fileName: checkFileName(r.requiredString('f0'), path, 'data file name'),
    offset: r.requiredInt('f1'),
    length: r.requiredInt('f2'),
    cardinality: r.optionalInt('_CARDINALITY'),
  };
}

function globalIndexFromAvro(r: FieldReader, path: string): GlobalIndexMeta {
  const extra = r.optionalArray('_EXTRA_FIELD_IDS');
  return {
    rowRangeStart: r.requiredInt('_ROW_RANGE_START'),
    rowRangeEnd: r.requiredInt('_ROW_RANGE_END'),
    indexFieldId: r.requiredInt('_INDEX_FIELD_ID'),
    extraFieldIds:
      extra === null
        ? null
        : extra.map((x) => {
            if (typeof x !== 'number') throw corruptFile(path, '_EXTRA_FIELD_IDS has a non-int element');
            return x;
          }),
    indexMeta: r.optionalBytes('_INDEX_META'),
    sourceMeta: r.optionalBytes('_SOURCE_META'),
  };
}

export async function decodeIndexManifest(bytes: Uint8Array, path: string): Promise<IndexManifestEntry[]> {
  const { records } = await decodeAvroFile(bytes, path);
  return records.map((rec) => {
    const r = new FieldReader(asRecord(rec, path, 'index manifest entry'), path, 'index manifest entry');
    checkVersion(r, INDEX_MANIFEST_ENTRY_VERSION, path);
    const kind = r.requiredInt('_KIND');
    if (kind !== FileKind.ADD && kind !== FileKind.DELETE) throw corruptFile(path, `unknown _KIND ${kind}`);
    const ranges = r.optionalArray('_DELETIONS_VECTORS_RANGES');
    const g = r.optionalRecord('_GLOBAL_INDEX');
    return {
      kind,
      partition: r.requiredBytes('_PARTITION'),
      bucket: r.requiredInt('_BUCKET'),
      indexType: r.requiredString('_INDEX_TYPE'),
      fileName: checkFileName(r.requiredString('_FILE_NAME'), path, 'index file name'),
      fileSize: r.requiredInt('_FILE_SIZE'),
      rowCount: r.requiredInt('_ROW_COUNT'),
      deletionVectorRanges: ranges === null ? null : ranges.map((x) => rangeFromAvro(x, path)),
      externalPath: r.optionalString('_EXTERNAL_PATH'),
      globalIndex: g === null ? null : globalIndexFromAvro(g, path),
    };
  });
}
