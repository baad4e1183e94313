/**
 * Read-only views of a warehouse and its tables: databases, tables, describe, snapshots, files,
 * manifests, buckets — plus create-table and drop-table.
 */
import { readFileSync } from 'node:fs';
import {
  type DataType,
  EddyError,
  formatDataType,
  type SchemaInput,
  type Snapshot,
  schemaDiff,
  type Table,
  type TableSchema,
} from '@eddy/table';
import {
  type DataFileMeta,
  deserializeBinaryRow,
  inspect,
  type ManifestEntry,
  toPublicValue,
} from '@eddy/table/inspect';
import {
  type GlobalOptions,
  openCatalog,
  openTable,
  outputMode,
  parseInteger,
  parseList,
  parsePartitionSpec,
  printDocument,
  println,
  printRows,
  usage,
} from './context.ts';
import { cellText, humanBytes, humanCount, renderPairs, renderTable } from './format.ts';

const LONG_MAX = 9223372036854775807n;

// ---------------------------------------------------------------------------------------------
// Shared helpers

/** `manifest-list-5e07ff5a-eeb7-49ef-8769-c73b058ae171-2` → `manifest-list-5e07ff5a…-2`. */
export function shortName(name: string): string {
  const m = /^(.*?)([0-9a-f]{8})-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(-\d+.*)$/.exec(name);
  return m ? `${m[1]}${m[2]}…${m[3]}` : name;
}

/** Partition values of a serialized partition row as `k=v/k2=v2` (public values; '' unpartitioned). */
export function partitionLabel(table: Table, partition: Uint8Array): string {
  const keys = table.schema.partitionKeys;
  if (keys.length === 0) return '';
  const values = inspect(table).partitionValues(partition);
  return keys.map((k, i) => `${k}=${cellText(toPublicValue(table.schema.field(k).type, values[i]))}`).join('/');
}

/** Parses `--partition k=v[,k2=v2]` and returns a matcher over partition labels. */
export function partitionMatcher(table: Table, spec: string | undefined): (label: string) => boolean {
  if (spec === undefined) return () => true;
  const want = parsePartitionSpec(table, spec, '--partition');
  return (label) => {
    const have = new Map(label.split('/').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
    for (const [k, v] of want) if (have.get(k) !== v) return false;
    return true;
  };
}

/** A serialized key row (minKey/maxKey) as `{column: value}` in the schema the file was written with. */
export function decodeKey(schema: TableSchema, bytes: Uint8Array): Record<string, unknown> | null {
  const names = schema.trimmedPrimaryKeys;
  if (names.length === 0) return null;
  const types = names.map((k) => schema.field(k).type);
  try {
    const values = deserializeBinaryRow(bytes, types);
    return Object.fromEntries(names.map((n, i) => [n, toPublicValue(types[i], values[i])]));
  } catch {
    return null;
  }
}

const keyText = (k: Record<string, unknown> | null): string => {
  if (k === null) return '';
  const vals = Object.values(k).map((v) => cellText(v));
  return vals.length === 1 ? vals[0] : `(${vals.join(', ')})`;
};

async function resolveSnapshot(table: Table, id: number | undefined): Promise<Snapshot | undefined> {
  if (id !== undefined) return inspect(table).snapshot(id);
  return table.latestSnapshot();
}

/** Live data files of a snapshot, with level-0 files of deletion-vector tables included. */
async function liveFiles(table: Table, snapshot: Snapshot): Promise<ManifestEntry[]> {
  return inspect(table).liveFiles(snapshot);
}

// ---------------------------------------------------------------------------------------------
// databases / tables / create-table / drop-table

export async function runDatabases(g: GlobalOptions): Promise<void> {
  const catalog = await openCatalog(g);
  const rows = [];
  for (const database of await catalog.listDatabases())
    rows.push({ database, tables: (await catalog.listTables(database)).length });
  await printRows(outputMode(g), rows, ['database', { key: 'tables', kind: 'count' }], '(no databases)');
}

export async function runTables(g: GlobalOptions, db: string | undefined): Promise<void> {
  const catalog = await openCatalog(g);
  const rows: Record<string, unknown>[] = [];
  for (const database of db ? [db] : await catalog.listDatabases()) {
    for (const table of await catalog.listTables(database)) {
      const row: Record<string, unknown> = { name: `${database}.${table}`, database, table };
      try {
        const t = await catalog.getTable(row.name as string);
        Object.assign(row, {
          primaryKeys: t.schema.primaryKeys,
          partitionKeys: t.schema.partitionKeys,
          bucket: t.schema.options.bucket,
          latestSnapshot: (await inspect(t).latestSnapshotId()) ?? null,
        });
      } catch (e) {
        row.error = e instanceof Error ? e.message : String(e);
      }
      rows.push(row);
    }
  }
  const anyError = rows.some((r) => r.error !== undefined);
  await printRows(
    outputMode(g),
    rows,
    [
      'name',
      { key: 'primaryKeys', label: 'primary key' },
      { key: 'partitionKeys', label: 'partitioned by' },
      { key: 'bucket', kind: 'int' },
      { key: 'latestSnapshot', label: 'snapshot', kind: 'int' },
      ...(anyError ? ['error'] : []),
    ],
    '(no tables)',
  );
}

export interface CreateTableOptions {
  schema?: string;
  column?: string[];
  primaryKey?: string;
  partitionKeys?: string;
  bucket?: string;
  option?: string[];
  comment?: string;
  ifNotExists?: boolean;
}

/** Reads `--schema file.json` (Eddy's SchemaInput, or Paimon's schema JSON with `fields`). */
function schemaFromFile(file: string): Record<string, unknown> {
  let o: unknown;
  try {
    o = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw usage(`--schema ${file}: ${(e as Error).message}`);
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw usage(`--schema ${file}: not a JSON object`);
  const s = { ...(o as Record<string, unknown>) };
  if (s.columns === undefined && Array.isArray(s.fields)) s.columns = s.fields;
  if (s.primaryKey === undefined && s.primaryKeys !== undefined) s.primaryKey = s.primaryKeys;
  if (s.columns === undefined) throw usage(`--schema ${file}: needs "columns" (or "fields")`);
  return s;
}

export async function runCreateTable(g: GlobalOptions, name: string, o: CreateTableOptions): Promise<void> {
  if (o.schema && o.column?.length) throw usage('pass either --schema or --column, not both');
  if (!o.schema && !o.column?.length)
    throw usage('a table needs columns: pass --schema file.json or --column name:TYPE');
  const input: Record<string, unknown> = o.schema ? schemaFromFile(o.schema) : {};
  if (o.column?.length) {
    input.columns = o.column.map((c) => {
      const m = /^\s*([^:\s]+)\s*[:\s]\s*(.+)$/.exec(c);
      if (!m) throw usage(`--column '${c}': expected name:TYPE, e.g. --column 'amount:DECIMAL(10, 2)'`);
      return { name: m[1], type: m[2].trim() };
    });
  }
  const pk = parseList('--primary-key', o.primaryKey);
  if (pk) input.primaryKey = pk;
  const parts = parseList('--partition-keys', o.partitionKeys);
  if (parts) input.partitionKeys = parts;
  const options: Record<string, string> = { ...((input.options as Record<string, string>) ?? {}) };
  for (const kv of o.option ?? []) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw usage(`--option '${kv}': expected key=value`);
    options[kv.slice(0, eq).trim()] = kv.slice(eq + 1).trim();
  }
  if (o.bucket !== undefined) options.bucket = String(parseInteger('--bucket', o.bucket, -2));
  input.options = options;
  if (o.comment !== undefined) input.comment = o.comment;
  const catalog = await openCatalog(g, true);
  const existed = o.ifNotExists ? await catalog.tableExists(name) : false;
  const table = await catalog.createTable(name, input as unknown as SchemaInput, { ignoreIfExists: o.ifNotExists });
  const s = table.schema;
  const doc = {
    table: table.name,
    created: !existed,
    path: table.path,
    schemaId: s.id,
    fields: s.fields.map((f) => ({ id: f.id, name: f.name, type: formatDataType(f.type) })),
    primaryKeys: s.primaryKeys,
    partitionKeys: s.partitionKeys,
    options: s.rawOptions,
  };
  await printDocument(outputMode(g), doc, () => {
    const what = [
      `${s.fields.length} columns`,
      s.primaryKeys.length ? `primary key ${s.primaryKeys.join(', ')}` : 'no primary key (append table)',
      s.partitionKeys.length ? `partitioned by ${s.partitionKeys.join(', ')}` : undefined,
      `bucket ${s.options.bucket}`,
    ].filter(Boolean);
    return `${existed ? 'table already exists' : 'created table'} ${table.name}: ${what.join(', ')}\n${table.path}`;
  });
}

export async function runDropTable(g: GlobalOptions, name: string, o: { ifExists?: boolean }): Promise<void> {
  const catalog = await openCatalog(g);
  const existed = await catalog.tableExists(name);
  if (!existed && !o.ifExists) throw new EddyError('NOT_FOUND', `table '${name}' does not exist`);
  if (existed) await catalog.dropTable(name);
  await printDocument(outputMode(g), { table: name, dropped: existed }, () =>
    existed ? `dropped table ${name}` : `table ${name} does not exist (nothing to drop)`,
  );
}

// ---------------------------------------------------------------------------------------------
// describe

const typeText = (t: DataType) => formatDataType(t);

export async function runDescribe(g: GlobalOptions, name: string, o: { count?: boolean }): Promise<void> {
  const table = await openTable(g, name);
  const s = table.schema;
  const meta = inspect(table);
  const earliest = await meta.earliestSnapshotId();
  const latestId = await meta.latestSnapshotId();
  const latest = latestId === undefined ? undefined : await meta.snapshot(latestId);
  const files = latest ? await liveFiles(table, latest) : [];
  const partitions = new Set(files.map((e) => Buffer.from(e.partition).toString('base64')));
  const buckets = new Set(files.map((e) => `${Buffer.from(e.partition).toString('base64')}/${e.bucket}`));
  const sizeBytes = files.reduce((a, e) => a + e.file.fileSize, 0);
  const recordsInFiles = files.reduce((a, e) => a + e.file.rowCount, 0);
  const liveRows = o.count && latest ? await table.count({ snapshotId: latest.id }) : undefined;
  const history = await table.schemaHistory();
  const schemas = history.map((h, i) => ({
    id: h.id,
    timeMillis: h.timeMillis,
    changes: schemaDiff(i === 0 ? undefined : history[i - 1], h),
  }));
  const doc = {
    table: table.name,
    path: table.path,
    schemaId: s.id,
    schemas,
    comment: s.comment ?? null,
    fields: s.fields.map((f) => ({
      id: f.id,
      name: f.name,
      type: typeText(f.type),
      nullable: f.type.nullable,
      primaryKey: s.primaryKeys.includes(f.name),
      partitionKey: s.partitionKeys.includes(f.name),
      ...(f.description ? { description: f.description } : {}),
    })),
    primaryKeys: s.primaryKeys,
    partitionKeys: s.partitionKeys,
    bucketKeys: s.bucketKeys,
    options: s.rawOptions,
    snapshots: {
      earliest: earliest ?? null,
      latest: latestId ?? null,
      count: earliest !== undefined && latestId !== undefined ? latestId - earliest + 1 : 0,
    },
    latestSnapshot: latest
      ? { id: latest.id, kind: latest.commitKind, timeMillis: latest.timeMillis, time: new Date(latest.timeMillis) }
      : null,
    totalRecordCount: latest?.totalRecordCount ?? 0,
    recordsInFiles,
    ...(liveRows !== undefined ? { liveRows } : {}),
    dataFiles: files.length,
    sizeBytes,
    partitions: partitions.size,
    buckets: buckets.size,
  };
  await printDocument(outputMode(g), doc, () => {
    const pairs: [string, unknown][] = [
      ['table', table.name],
      ['path', table.path],
      ['schema id', s.id],
      ['primary key', s.primaryKeys.length ? s.primaryKeys.join(', ') : '(none: append table)'],
      ['partitioned by', s.partitionKeys.length ? s.partitionKeys.join(', ') : '(not partitioned)'],
      ['bucket', `${s.options.bucket}${s.bucketKeys.length ? ` (bucket key ${s.bucketKeys.join(', ')})` : ''}`],
      ['merge engine', s.options.mergeEngine],
      [
        'snapshots',
        latestId === undefined ? '(none)' : `${doc.snapshots.count} (earliest ${earliest}, latest ${latestId})`,
      ],
    ];
    if (latest)
      pairs.push([
        'latest snapshot',
        `${latest.id} ${latest.commitKind} at ${new Date(latest.timeMillis).toISOString().replace('T', ' ')}`,
      ]);
    pairs.push(['records in files', humanCount(recordsInFiles)]);
    if (liveRows !== undefined) pairs.push(['live rows', humanCount(liveRows)]);
    pairs.push([
      'data files',
      `${humanCount(files.length)} (${humanBytes(sizeBytes)}) in ${partitions.size} partition${partitions.size === 1 ? '' : 's'}, ${buckets.size} bucket${buckets.size === 1 ? '' : 's'}`,
    ]);
    if (s.comment) pairs.push(['comment', s.comment]);
    const cols = renderTable(
      doc.fields.map((f) => ({
        id: f.id,
        name: f.name,
        type: f.type,
        key: [f.primaryKey ? 'primary' : '', f.partitionKey ? 'partition' : ''].filter(Boolean).join(', '),
      })),
      [{ key: 'id', kind: 'int' }, 'name', 'type', 'key'],
    );
    const opts = Object.entries(s.rawOptions).map(([option, value]) => ({ option, value }));
    const hist = renderTable(
      schemas.map((h) => ({
        id: h.id,
        time: h.timeMillis ? new Date(h.timeMillis).toISOString().replace('T', ' ') : '',
        changes: h.changes.join('; '),
      })),
      [{ key: 'id', kind: 'int' }, 'time', 'changes'],
    );
    return `${renderPairs(pairs)}\n\ncolumns:\n${cols}\n\noptions:\n${opts.length ? renderTable(opts) : '(none)'}\n\nschemas:\n${hist}`;
  });
}

// ---------------------------------------------------------------------------------------------
// snapshots

export async function runSnapshots(g: GlobalOptions, name: string): Promise<void> {
  const table = await openTable(g, name);
  const rows = (await table.listSnapshots()).map((s) => ({
    id: s.id,
    time: new Date(s.timeMillis).toISOString(),
    timeMillis: s.timeMillis,
    kind: s.commitKind,
    schemaId: s.schemaId,
    commitUser: s.commitUser,
    commitIdentifier: s.commitIdentifier,
    totalRecords: s.totalRecordCount,
    deltaRecords: s.deltaRecordCount,
    changelogRecords: s.changelogRecordCount ?? null,
    baseManifestList: s.baseManifestList,
    baseManifestListSize: s.baseManifestListSize ?? null,
    deltaManifestList: s.deltaManifestList,
    deltaManifestListSize: s.deltaManifestListSize ?? null,
    changelogManifestList: s.changelogManifestList ?? null,
    indexManifest: s.indexManifest ?? null,
    watermark: s.watermark ?? null,
  }));
  const mode = outputMode(g);
  if (mode !== 'human') return printRows(mode, rows);
  const human = rows.map((r) => ({
    ...r,
    time: r.timeMillis,
    commitIdentifier: r.commitIdentifier === LONG_MAX ? 'batch' : r.commitIdentifier.toString(),
    base: shortName(r.baseManifestList),
    delta: shortName(r.deltaManifestList),
  }));
  await printRows(
    mode,
    human,
    [
      { key: 'id', kind: 'int' },
      { key: 'time', kind: 'time', label: 'time (UTC)' },
      'kind',
      { key: 'commitUser', label: 'commit user' },
      { key: 'commitIdentifier', label: 'commit id' },
      { key: 'totalRecords', label: 'records', kind: 'count' },
      { key: 'deltaRecords', label: 'delta', kind: 'count' },
      { key: 'base', label: 'base manifest list' },
      { key: 'delta', label: 'delta manifest list' },
    ],
    '(no snapshots)',
  );
}

// ---------------------------------------------------------------------------------------------
// files

export interface FilesOptions {
  snapshot?: string;
  partition?: string;
  bucket?: string;
}

export async function runFiles(g: GlobalOptions, name: string, o: FilesOptions): Promise<void> {
  const table = await openTable(g, name);
  const snapshot = await resolveSnapshot(table, parseInteger('--snapshot', o.snapshot, 1));
  const match = partitionMatcher(table, o.partition);
  const bucket = parseInteger('--bucket', o.bucket, -2);
  const entries = snapshot ? await liveFiles(table, snapshot) : [];
  const schemaCache = new Map<number, TableSchema>();
  const schemaOf = async (id: number) => {
    let s = schemaCache.get(id);
    if (!s) {
      s = await inspect(table).schema(id);
      schemaCache.set(id, s);
    }
    return s;
  };
  const rows: Record<string, unknown>[] = [];
  for (const e of entries) {
    const partition = partitionLabel(table, e.partition);
    if (!match(partition) || (bucket !== undefined && e.bucket !== bucket)) continue;
    const f: DataFileMeta = e.file;
    const fs = await schemaOf(f.schemaId);
    rows.push({
      partition,
      bucket: e.bucket,
      level: f.level,
      file: f.fileName,
      rows: f.rowCount,
      sizeBytes: f.fileSize,
      minKey: decodeKey(fs, f.minKey),
      maxKey: decodeKey(fs, f.maxKey),
      minSequenceNumber: f.minSequenceNumber,
      maxSequenceNumber: f.maxSequenceNumber,
      schemaId: f.schemaId,
      source: f.fileSource === 1 ? 'COMPACT' : f.fileSource === 0 ? 'APPEND' : null,
      deleteRowCount: f.deleteRowCount,
      creationTime: f.creationTime,
      extraFiles: f.extraFiles,
    });
  }
  rows.sort(
    (a, b) =>
      (a.partition as string).localeCompare(b.partition as string) ||
      (a.bucket as number) - (b.bucket as number) ||
      (a.level as number) - (b.level as number) ||
      Number((a.minSequenceNumber as bigint) - (b.minSequenceNumber as bigint)),
  );
  const mode = outputMode(g);
  if (mode !== 'human') return printRows(mode, rows);
  const pk = table.schema.isPrimaryKeyTable;
  const human = rows.map((r) => ({
    ...r,
    keys: pk
      ? `${keyText(r.minKey as Record<string, unknown> | null)} … ${keyText(r.maxKey as Record<string, unknown> | null)}`
      : '',
    sequence: `${r.minSequenceNumber}..${r.maxSequenceNumber}`,
  }));
  const partitioned = table.schema.partitionKeys.length > 0;
  await printRows(
    mode,
    human,
    [
      ...(partitioned ? ['partition'] : []),
      { key: 'bucket', kind: 'int' },
      { key: 'level', kind: 'int' },
      'file',
      { key: 'rows', kind: 'count' },
      { key: 'sizeBytes', label: 'size', kind: 'bytes' },
      ...(pk ? [{ key: 'keys', label: 'key range' }] : []),
      { key: 'sequence', label: 'sequence range' },
    ],
    snapshot ? '(no data files)' : '(no snapshots)',
  );
  if (rows.length > 0) {
    const size = rows.reduce((a, r) => a + (r.sizeBytes as number), 0);
    const n = rows.reduce((a, r) => a + (r.rows as number), 0);
    await println(
      `\n${humanCount(rows.length)} files, ${humanBytes(size)}, ${humanCount(n)} records at snapshot ${snapshot!.id}`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// manifests

export async function runManifests(g: GlobalOptions, name: string, o: { snapshot?: string }): Promise<void> {
  const table = await openTable(g, name);
  const snapshot = await resolveSnapshot(table, parseInteger('--snapshot', o.snapshot, 1));
  const mode = outputMode(g);
  if (!snapshot) return printRows(mode, [], undefined, '(no snapshots)');
  const partTypes = table.schema.partitionKeys.map((k) => table.schema.field(k).type);
  const partRange = (min: Uint8Array, max: Uint8Array): string | null => {
    if (partTypes.length === 0) return null;
    try {
      const nullable = partTypes.map((t) => ({ ...t, nullable: true }) as DataType);
      const show = (b: Uint8Array) =>
        deserializeBinaryRow(b, nullable)
          .map((v, i) => cellText(toPublicValue(partTypes[i], v)))
          .join('/');
      const a = show(min);
      const b = show(max);
      return a === b ? a : `${a} … ${b}`;
    } catch {
      return null;
    }
  };
  const lists: [string, string | null | undefined][] = [
    ['base', snapshot.baseManifestList],
    ['delta', snapshot.deltaManifestList],
    ['changelog', snapshot.changelogManifestList],
  ];
  const rows: Record<string, unknown>[] = [];
  for (const [list, listName] of lists) {
    if (!listName) continue;
    for (const m of await inspect(table).readManifestList(listName)) {
      rows.push({
        snapshot: snapshot.id,
        list,
        manifestList: listName,
        manifest: m.fileName,
        sizeBytes: m.fileSize,
        addedFiles: m.numAddedFiles,
        deletedFiles: m.numDeletedFiles,
        schemaId: m.schemaId,
        minBucket: m.minBucket,
        maxBucket: m.maxBucket,
        minLevel: m.minLevel,
        maxLevel: m.maxLevel,
        partitions: partRange(m.partitionStats.minValues, m.partitionStats.maxValues),
      });
    }
  }
  if (mode !== 'human') return printRows(mode, rows);
  const range = (a: unknown, b: unknown) => (a === null || a === undefined ? '' : a === b ? String(a) : `${a}..${b}`);
  const header = [
    `snapshot ${snapshot.id} (${snapshot.commitKind})`,
    `  base manifest list   ${snapshot.baseManifestList}`,
    `  delta manifest list  ${snapshot.deltaManifestList}`,
    ...(snapshot.changelogManifestList ? [`  changelog list       ${snapshot.changelogManifestList}`] : []),
    ...(snapshot.indexManifest ? [`  index manifest       ${snapshot.indexManifest}`] : []),
    '',
  ].join('\n');
  await println(header);
  await printRows(
    mode,
    rows.map((r) => ({
      ...r,
      buckets: range(r.minBucket, r.maxBucket),
      levels: range(r.minLevel, r.maxLevel),
    })),
    [
      'list',
      'manifest',
      { key: 'sizeBytes', label: 'size', kind: 'bytes' },
      { key: 'addedFiles', label: 'added', kind: 'count' },
      { key: 'deletedFiles', label: 'deleted', kind: 'count' },
      'buckets',
      'levels',
      ...(partTypes.length ? ['partitions'] : []),
    ],
    '(no manifests)',
  );
}

// ---------------------------------------------------------------------------------------------
// buckets

export async function runBuckets(g: GlobalOptions, name: string): Promise<void> {
  const table = await openTable(g, name);
  const rows = (await table.bucketHealth()).map((b) => ({ ...b }));
  rows.sort((a, b) => a.partition.localeCompare(b.partition) || a.bucket - b.bucket);
  const mode = outputMode(g);
  if (mode !== 'human') return printRows(mode, rows);
  const partitioned = table.schema.partitionKeys.length > 0;
  await printRows(
    mode,
    rows.map((r) => ({ ...r, compact: r.needsCompaction ? 'yes' : '' })),
    [
      ...(partitioned ? ['partition'] : []),
      { key: 'bucket', kind: 'int' },
      { key: 'sortedRuns', label: 'sorted runs', kind: 'count' },
      { key: 'l0Files', label: 'L0 files', kind: 'count' },
      { key: 'files', kind: 'count' },
      { key: 'sizeBytes', label: 'size', kind: 'bytes' },
      { key: 'compact', label: 'needs compaction' },
    ],
    '(no data files)',
  );
}
