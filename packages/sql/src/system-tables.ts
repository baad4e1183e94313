/**
 * Paimon's system tables, by Paimon's names and columns (org.apache.paimon.table.system.*):
 * `t$snapshots`, `$schemas`, `$options`, `$files`, `$manifests`, `$partitions`, `$buckets`,
 * `$tags`, `$consumers`, `$audit_log` — of the latest snapshot where they depend on one.
 */
import { DuckDBTypeId } from '@duckdb/node-api';
import { type DataType, EddyError, type Table } from '@eddy/table';
import { inspect } from '@eddy/table/inspect';
import type { WireBatch, WireColumn, WireField, WireType } from './engine/protocol.ts';
import { allValid } from './engine/vectors.ts';
import { BatchSource, RowsSource, type ScanSource } from './scans.ts';
import { dataManifests, formatValue, type LiveFile, liveFiles, partitionValues, schemaVersions } from './sdk.ts';
import { fieldsOf } from './types.ts';

const T = {
  VARCHAR: { id: DuckDBTypeId.VARCHAR, sql: 'VARCHAR' },
  BIGINT: { id: DuckDBTypeId.BIGINT, sql: 'BIGINT' },
  INTEGER: { id: DuckDBTypeId.INTEGER, sql: 'INTEGER' },
  BOOLEAN: { id: DuckDBTypeId.BOOLEAN, sql: 'BOOLEAN' },
  TIMESTAMP_MS: { id: DuckDBTypeId.TIMESTAMP_MS, sql: 'TIMESTAMP_MS' },
} as const satisfies Record<string, WireType>;

type Kind = keyof typeof T;
type Row = readonly unknown[];

const f = (name: string, kind: Kind): WireField => ({ name, type: T[kind] });

/** The system tables, their columns, and their rows. */
const TABLES: Record<string, { fields: WireField[]; rows: (t: Table) => Promise<Row[]> }> = {
  snapshots: {
    fields: [
      f('snapshot_id', 'BIGINT'),
      f('schema_id', 'BIGINT'),
      f('commit_user', 'VARCHAR'),
      f('commit_identifier', 'BIGINT'),
      f('commit_kind', 'VARCHAR'),
      f('commit_time', 'TIMESTAMP_MS'),
      f('base_manifest_list', 'VARCHAR'),
      f('delta_manifest_list', 'VARCHAR'),
      f('changelog_manifest_list', 'VARCHAR'),
      f('total_record_count', 'BIGINT'),
      f('delta_record_count', 'BIGINT'),
      f('changelog_record_count', 'BIGINT'),
      f('watermark', 'BIGINT'),
      f('next_row_id', 'BIGINT'),
    ],
    rows: async (t) =>
      (await t.listSnapshots()).map((s) => [
        s.id,
        s.schemaId,
        s.commitUser,
        s.commitIdentifier,
        s.commitKind,
        s.timeMillis,
        s.baseManifestList,
        s.deltaManifestList,
        s.changelogManifestList ?? null,
        s.totalRecordCount,
        s.deltaRecordCount,
        s.changelogRecordCount ?? null,
        s.watermark ?? null,
        s.nextRowId ?? null,
      ]),
  },
  schemas: {
    fields: [
      f('schema_id', 'BIGINT'),
      f('fields', 'VARCHAR'),
      f('partition_keys', 'VARCHAR'),
      f('primary_keys', 'VARCHAR'),
      f('options', 'VARCHAR'),
      f('comment', 'VARCHAR'),
      f('update_time', 'TIMESTAMP_MS'),
    ],
    rows: async (t) =>
      (await schemaVersions(t)).map((s) => [
        s.id,
        JSON.stringify((JSON.parse(s.json) as { fields: unknown }).fields),
        JSON.stringify(s.partitionKeys),
        JSON.stringify(s.primaryKeys),
        JSON.stringify(s.options),
        s.comment ?? null,
        s.timeMillis,
      ]),
  },
  options: {
    fields: [f('key', 'VARCHAR'), f('value', 'VARCHAR')],
    rows: async (t) =>
      Object.entries(t.schema.rawOptions)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([k, v]) => [k, v]),
  },
  files: {
    fields: [
      f('partition', 'VARCHAR'),
      f('bucket', 'INTEGER'),
      f('file_path', 'VARCHAR'),
      f('file_format', 'VARCHAR'),
      f('schema_id', 'BIGINT'),
      f('level', 'INTEGER'),
      f('record_count', 'BIGINT'),
      f('file_size_in_bytes', 'BIGINT'),
      f('min_sequence_number', 'BIGINT'),
      f('max_sequence_number', 'BIGINT'),
      f('creation_time', 'TIMESTAMP_MS'),
      f('deleteRowCount', 'BIGINT'),
      f('file_source', 'VARCHAR'),
    ],
    rows: async (t) =>
      (await latestFiles(t)).map((e) => [
        partitionRow(t, e.partition),
        e.bucket,
        inspect(t).dataFilePath(e),
        e.file.fileName.slice(e.file.fileName.lastIndexOf('.') + 1),
        e.file.schemaId,
        e.file.level,
        e.file.rowCount,
        e.file.fileSize,
        e.file.minSequenceNumber,
        e.file.maxSequenceNumber,
        e.file.creationTime,
        e.file.deleteRowCount,
        e.file.fileSource === null ? null : e.file.fileSource === 0 ? 'APPEND' : 'COMPACT',
      ]),
  },
  manifests: {
    fields: [
      f('file_name', 'VARCHAR'),
      f('file_size', 'BIGINT'),
      f('num_added_files', 'BIGINT'),
      f('num_deleted_files', 'BIGINT'),
      f('schema_id', 'BIGINT'),
      f('min_partition_stats', 'VARCHAR'),
      f('max_partition_stats', 'VARCHAR'),
    ],
    rows: async (t) => {
      const s = await t.latestSnapshot();
      if (!s) return [];
      return (await dataManifests(t, s)).map((m) => [
        m.fileName,
        m.fileSize,
        m.numAddedFiles,
        m.numDeletedFiles,
        m.schemaId,
        partitionRow(t, m.minPartition),
        partitionRow(t, m.maxPartition),
      ]);
    },
  },
  partitions: {
    fields: [
      f('partition', 'VARCHAR'),
      f('record_count', 'BIGINT'),
      f('file_size_in_bytes', 'BIGINT'),
      f('file_count', 'BIGINT'),
      f('last_update_time', 'TIMESTAMP_MS'),
      f('total_buckets', 'INTEGER'),
    ],
    rows: async (t) => {
      const groups = new Map<string, { label: string; files: LiveFile[] }>();
      for (const e of await latestFiles(t)) {
        const label = partitionPath(t, e.partition);
        let g = groups.get(label);
        if (!g) {
          g = { label, files: [] };
          groups.set(label, g);
        }
        g.files.push(e);
      }
      return [...groups.values()]
        .sort((a, b) => (a.label < b.label ? -1 : a.label > b.label ? 1 : 0))
        .map((g) => [g.label, ...totals(g.files), g.files[0].totalBuckets]);
    },
  },
  buckets: {
    fields: [
      f('partition', 'VARCHAR'),
      f('bucket', 'INTEGER'),
      f('record_count', 'BIGINT'),
      f('file_size_in_bytes', 'BIGINT'),
      f('file_count', 'BIGINT'),
      f('last_update_time', 'TIMESTAMP_MS'),
    ],
    rows: async (t) => {
      const groups = new Map<string, { partition: string; bucket: number; files: LiveFile[] }>();
      for (const e of await latestFiles(t)) {
        const partition = partitionRow(t, e.partition);
        const key = `${partition}/${e.bucket}`;
        let g = groups.get(key);
        if (!g) {
          g = { partition, bucket: e.bucket, files: [] };
          groups.set(key, g);
        }
        g.files.push(e);
      }
      return [...groups.values()]
        .sort((a, b) => (a.partition < b.partition ? -1 : a.partition > b.partition ? 1 : a.bucket - b.bucket))
        .map((g) => [g.partition, g.bucket, ...totals(g.files)]);
    },
  },
  tags: {
    fields: [
      f('tag_name', 'VARCHAR'),
      f('snapshot_id', 'BIGINT'),
      f('schema_id', 'BIGINT'),
      f('commit_time', 'TIMESTAMP_MS'),
      f('record_count', 'BIGINT'),
      f('create_time', 'TIMESTAMP_MS'),
      f('time_retained', 'VARCHAR'),
    ],
    rows: async (t) =>
      (await t.listTags())
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
        .map((g) => [
          g.name,
          g.snapshotId,
          g.snapshot.schemaId,
          g.snapshot.timeMillis,
          g.snapshot.totalRecordCount,
          g.createTime?.getTime() ?? null,
          g.timeRetainedMs === undefined ? null : javaDuration(g.timeRetainedMs),
        ]),
  },
  consumers: {
    fields: [f('consumer_id', 'VARCHAR'), f('next_snapshot_id', 'BIGINT')],
    rows: async (t) =>
      (await inspect(t).consumers())
        .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
        .map((c) => [c.id, c.nextSnapshot]),
  },
};

export const SYSTEM_TABLES = [...Object.keys(TABLES), 'audit_log'];

/** A duration as Java's Duration.toString() prints it (`PT1H30M`, `PT0.5S`), as Paimon's $tags shows it. */
function javaDuration(ms: number): string {
  if (ms === 0) return 'PT0S';
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const sec = (ms % 60_000) / 1000;
  return `PT${h ? `${h}H` : ''}${m ? `${m}M` : ''}${sec ? `${sec}S` : ''}`;
}

async function latestFiles(t: Table): Promise<LiveFile[]> {
  const s = await t.latestSnapshot();
  return s ? liveFiles(t, s) : [];
}

/** Σ record count, Σ size, file count, last creation time. */
function totals(files: readonly LiveFile[]): unknown[] {
  let records = 0;
  let size = 0;
  let last: number | null = null;
  for (const e of files) {
    records += e.file.rowCount;
    size += e.file.fileSize;
    if (e.file.creationTime !== null && (last === null || e.file.creationTime > last)) last = e.file.creationTime;
  }
  return [records, size, files.length, last];
}

function partitionTypes(t: Table): DataType[] {
  return t.schema.partitionKeys.map((k) => t.schema.field(k).type);
}

/** A partition as Paimon's row-to-string cast prints it: `{eu, 2024-01-01}` (`{}` when unpartitioned). */
function partitionRow(t: Table, bytes: Uint8Array): string {
  const types = partitionTypes(t);
  if (types.length === 0) return '{}';
  const values = partitionValues(t, bytes);
  return `{${values.map((v, i) => formatValue(types[i], v)).join(', ')}}`;
}

/** A partition as `$partitions` prints it: `region=eu/day=2024-01-01`. */
function partitionPath(t: Table, bytes: Uint8Array): string {
  const types = partitionTypes(t);
  if (types.length === 0) return '';
  const values = partitionValues(t, bytes);
  return t.schema.partitionKeys.map((k, i) => `${k}=${formatValue(types[i], values[i])}`).join('/');
}

/** The source of `<table>$<kind>`. */
export function systemTable(table: Table, kind: string): ScanSource {
  if (kind === 'audit_log') {
    // The latest snapshot's rows, each with its row kind (a batch read of Paimon's $audit_log).
    const columns = [{ name: 'rowkind', type: T.VARCHAR }, ...fieldsOf(table.schema.fields)];
    return new BatchSource(columns, async function* () {
      const latest = await table.latestSnapshot();
      if (!latest) return;
      for await (const b of table.changeBatches({
        scanMode: 'from-snapshot-full',
        snapshotId: latest.id,
        endSnapshotId: latest.id,
      }))
        yield b.batch;
    });
  }
  const def = TABLES[kind];
  if (!def)
    throw new EddyError(
      'UNSUPPORTED',
      `system table '${table.identifier.table}$${kind}' is not supported (supported: ${SYSTEM_TABLES.map((k) => `$${k}`).join(', ')})`,
    );
  return new RowsSource(def.fields, async () => rowsToWire(def.fields, await def.rows(table)));
}

// ---------------------------------------------------------------------------------------------

const encoder = new TextEncoder();

/** Rows of JS values (numbers, bigints, strings, booleans, epoch-ms times) as a wire batch. */
export function rowsToWire(fields: readonly WireField[], rows: readonly Row[]): WireBatch {
  const n = rows.length;
  const columns = fields.map((field, c): WireColumn => {
    let validity: Uint8Array | null = null;
    const present = (i: number) => {
      const v = rows[i][c];
      if (v !== null && v !== undefined) return true;
      validity ??= allValid(n);
      validity[i >> 3] &= ~(1 << (i & 7));
      return false;
    };
    switch (field.type.id) {
      case DuckDBTypeId.VARCHAR: {
        const parts = rows.map((r, i) => (present(i) ? encoder.encode(String(r[c])) : new Uint8Array(0)));
        const offsets = new Int32Array(n + 1);
        for (let i = 0; i < n; i++) offsets[i + 1] = offsets[i] + parts[i].length;
        const bytes = new Uint8Array(offsets[n]);
        for (const [i, p] of parts.entries()) bytes.set(p, offsets[i]);
        return { kind: 'var', offsets, bytes, validity };
      }
      case DuckDBTypeId.INTEGER: {
        const a = new Int32Array(n);
        for (let i = 0; i < n; i++) if (present(i)) a[i] = Number(rows[i][c]);
        return { kind: 'fixed', data: new Uint8Array(a.buffer), validity };
      }
      case DuckDBTypeId.BOOLEAN: {
        const a = new Uint8Array(n);
        for (let i = 0; i < n; i++) if (present(i)) a[i] = rows[i][c] ? 1 : 0;
        return { kind: 'fixed', data: a, validity };
      }
      default: {
        // BIGINT and TIMESTAMP_MS: 64-bit.
        const a = new BigInt64Array(n);
        for (let i = 0; i < n; i++) if (present(i)) a[i] = BigInt(rows[i][c] as number | bigint);
        return { kind: 'fixed', data: new Uint8Array(a.buffer), validity };
      }
    }
  });
  return { length: n, columns };
}
