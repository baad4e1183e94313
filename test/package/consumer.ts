// A TypeScript consumer of the published packages, typechecked by .ci/pack-install.sh against the
// installed tarballs' .d.ts files (strict, NodeNext, no skipLibCheck): what users import must
// resolve, be typed, and compose.
import { S3FileIO, type S3FileIOOptions } from '@eddy/s3';
import {
  and,
  Catalog,
  type ChangeEvent,
  type CommitResult,
  EddyError,
  eq,
  gt,
  type Predicate,
  type Snapshot,
  type Table,
  type TableWrite,
} from '@eddy/table';
import { type DataFileMeta, FileKind, inspect, type ManifestEntry } from '@eddy/table/inspect';

const options: S3FileIOOptions = { endpoint: 'http://127.0.0.1:9000', forcePathStyle: true };
export const s3 = (): S3FileIO => new S3FileIO(options);

export async function main(dir: string): Promise<number> {
  const catalog: Catalog = await Catalog.open(dir);
  const orders: Table = await catalog.createTable(
    'shop.orders',
    { columns: { id: 'BIGINT', customer: 'STRING', amount: 'DECIMAL(10, 2)' }, primaryKey: ['id'] },
    { ignoreIfExists: true },
  );
  const result: CommitResult = await orders.upsert([{ id: 1n, customer: 'ada', amount: '12.50' }]);
  const snapshot: Snapshot | undefined = result.snapshot;
  const where: Predicate = and(eq('customer', 'ada'), gt('amount', '10'));
  const rows: Record<string, unknown>[] = await orders.toArray({ where, limit: 10 });
  const writer: TableWrite = orders.newWriter({ commitUser: 'consumer' });
  await writer.write({ id: 2n, customer: 'bob', amount: '3.10' });
  await writer.commit(1);
  writer.close();
  const live: ManifestEntry[] = await inspect(orders).liveFiles(snapshot!);
  const files: DataFileMeta[] = live.filter((e) => e.kind === FileKind.ADD).map((e) => e.file);
  const ac = new AbortController();
  ac.abort();
  try {
    for await (const change of orders.changes({ scanMode: 'latest', signal: ac.signal })) {
      const c: ChangeEvent = change;
      console.log(c.kind);
    }
  } catch (e) {
    if (!ac.signal.aborted) throw e;
  }
  try {
    await catalog.getTable('shop.missing');
  } catch (e) {
    if (!(e instanceof EddyError) || e.code !== 'NOT_FOUND') throw e;
  }
  return rows.length + files.length + (await orders.count());
}
