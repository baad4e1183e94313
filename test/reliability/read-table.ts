/**
 * `node --import tsx read-table.ts <warehouse> <db.table>`: scans the table and prints `OK <rows>`
 * or the EddyError code and message (exit 0 either way). Used to read hostile files in a child
 * process, where a crash of a native/wasm decoder cannot take the test runner with it.
 */
import { Catalog, EddyError } from '../../packages/table/src/index.ts';

const [warehouse, table] = process.argv.slice(2);
try {
  const rows = await (await Catalog.open(warehouse)).getTable(table).then((t) => t.toArray());
  process.stdout.write(`OK ${rows.length}\n`);
} catch (e) {
  process.stdout.write(`${e instanceof EddyError ? e.code : 'NOT_EDDY'} ${(e as Error).message}\n`);
}
