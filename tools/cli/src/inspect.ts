import { Catalog } from '@eddy/table';
import { renderTable, toJson } from './format.ts';

export async function runTables(warehouse: string, db: string | undefined, json: boolean): Promise<void> {
  const catalog = await Catalog.open(warehouse);
  const names = db ? await catalog.listTables(db) : await catalog.listDatabases();
  console.log(json ? toJson(names) : names.join('\n'));
}

export async function runSnapshots(warehouse: string, name: string, json: boolean): Promise<void> {
  const table = await (await Catalog.open(warehouse)).getTable(name);
  const rows = (await table.listSnapshots()).map((s) => ({
    id: s.id,
    time: new Date(s.timeMillis).toISOString(),
    kind: s.commitKind,
    commitUser: s.commitUser,
    commitIdentifier: s.commitIdentifier,
    totalRecords: s.totalRecordCount,
    deltaRecords: s.deltaRecordCount,
  }));
  console.log(json ? toJson(rows) : renderTable(rows));
}

export async function runScan(
  warehouse: string,
  name: string,
  options: { select?: string[]; limit?: number; snapshotId?: number },
  json: boolean,
): Promise<void> {
  const table = await (await Catalog.open(warehouse)).getTable(name);
  const rows = await table.toArray(options);
  console.log(json ? toJson(rows) : renderTable(rows));
}
