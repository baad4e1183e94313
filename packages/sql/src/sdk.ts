/**
 * The table metadata the system tables read, from the SDK's inspection surface
 * (`@eddy/table/inspect`) in one place.
 */
import type { DataType, Snapshot, Table } from '@eddy/table';
import { type DataFileMeta, inspect } from '@eddy/table/inspect';

/** A live data file of a snapshot, with where it lives. */
export interface LiveFile {
  readonly partition: Uint8Array;
  readonly bucket: number;
  readonly totalBuckets: number;
  readonly file: DataFileMeta;
}

export async function liveFiles(table: Table, snapshot: Snapshot): Promise<LiveFile[]> {
  return inspect(table).liveFiles(snapshot);
}

/** Partition values (Eddy's internal values) of a serialized partition row. */
export function partitionValues(table: Table, partition: Uint8Array): unknown[] {
  return inspect(table).partitionValues(partition);
}

export interface ManifestInfo {
  readonly fileName: string;
  readonly fileSize: number;
  readonly numAddedFiles: number;
  readonly numDeletedFiles: number;
  readonly schemaId: number;
  readonly minPartition: Uint8Array;
  readonly maxPartition: Uint8Array;
}

/** The data manifests of a snapshot (base list, then delta list). */
export async function dataManifests(table: Table, snapshot: Snapshot): Promise<ManifestInfo[]> {
  const out: ManifestInfo[] = [];
  for (const list of [snapshot.baseManifestList, snapshot.deltaManifestList]) {
    for (const m of await inspect(table).readManifestList(list)) {
      out.push({
        fileName: m.fileName,
        fileSize: m.fileSize,
        numAddedFiles: m.numAddedFiles,
        numDeletedFiles: m.numDeletedFiles,
        schemaId: m.schemaId,
        minPartition: m.partitionStats.minValues,
        maxPartition: m.partitionStats.maxValues,
      });
    }
  }
  return out;
}

export interface SchemaInfo {
  readonly id: number;
  readonly json: string;
  readonly partitionKeys: readonly string[];
  readonly primaryKeys: readonly string[];
  readonly options: Readonly<Record<string, string>>;
  readonly comment: string | undefined;
  readonly timeMillis: number;
}

export async function schemaVersions(table: Table): Promise<SchemaInfo[]> {
  const out: SchemaInfo[] = [];
  for (const s of await table.schemaHistory()) {
    out.push({
      id: s.id,
      json: s.toJson(),
      partitionKeys: s.partitionKeys,
      primaryKeys: s.primaryKeys,
      options: s.rawOptions,
      comment: s.comment,
      timeMillis: s.timeMillis,
    });
  }
  return out;
}

const MICROS_PER_DAY = 86_400_000_000n;

/** An internal value as Paimon prints it in system tables. */
export function formatValue(type: DataType, v: unknown): string {
  if (v === null || v === undefined) return 'null';
  switch (type.root) {
    case 'DATE':
      return new Date(Number(v) * 86_400_000).toISOString().slice(0, 10);
    case 'TIMESTAMP':
    case 'TIMESTAMP_LTZ': {
      const micros = v as bigint;
      const ms = Number(micros / 1000n);
      const iso = new Date(ms).toISOString().replace('Z', '');
      return micros % MICROS_PER_DAY === 0n ? iso.slice(0, 10) : iso.replace('T', ' ');
    }
    case 'DECIMAL': {
      const x = v as bigint;
      const neg = x < 0n;
      const digits = (neg ? -x : x).toString().padStart(type.scale + 1, '0');
      const s = type.scale > 0 ? `${digits.slice(0, -type.scale)}.${digits.slice(-type.scale)}` : digits;
      return neg ? `-${s}` : s;
    }
    case 'BINARY':
    case 'VARBINARY':
      return Buffer.from(v as Uint8Array).toString('hex');
    default:
      return String(v);
  }
}
