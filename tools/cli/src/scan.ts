/**
 * `eddy scan`: merged rows, filtered by a `--where` expression (the SDK's string filter), projected,
 * limited, and optionally read at an older snapshot. Rows stream: JSON and JSON Lines print each
 * row as it is read; the human table shows the first rows and counts the rest, so memory stays
 * flat whatever the table's size.
 */
import { type DataField, parseWhere, type Table } from '@eddy/table';
import {
  type GlobalOptions,
  openTable,
  outputMode,
  parseInteger,
  parseList,
  parseTime,
  println,
  usage,
  write,
} from './context.ts';
import { humanCount, microsToIso, renderTable, toJsonLine } from './format.ts';
import { onInterrupt } from './interrupt.ts';
import { Progress } from './progress.ts';

/** Rows the human table shows; the rest are counted. */
export const PREVIEW_ROWS = 1000;

// ---------------------------------------------------------------------------------------------
// scan

export interface ScanCliOptions {
  where?: string;
  select?: string;
  limit?: string;
  snapshot?: string;
  asOf?: string;
  tag?: string;
}

/** Values for output: TIMESTAMP(4..6) microseconds become ISO strings (bigint is not readable). */
export function outputRow(fields: readonly DataField[], row: Record<string, unknown>): Record<string, unknown> {
  for (const f of fields) {
    const v = row[f.name];
    if (typeof v === 'bigint' && (f.type.root === 'TIMESTAMP' || f.type.root === 'TIMESTAMP_LTZ'))
      row[f.name] = microsToIso(v);
  }
  return row;
}

export async function runScan(g: GlobalOptions, name: string, o: ScanCliOptions): Promise<void> {
  const mode = outputMode(g);
  const table: Table = await openTable(g, name);
  const select = parseList('--select', o.select);
  if ([o.snapshot, o.asOf, o.tag].filter((x) => x !== undefined).length > 1)
    throw usage('pass one of --snapshot, --as-of and --tag');
  const travel = {
    snapshotId: parseInteger('--snapshot', o.snapshot, 1),
    asOf: parseTime('--as-of', o.asOf),
    tag: o.tag,
  };
  // Time travel reads the snapshot in its own schema: its columns are the ones to select and filter.
  const schema = await table.schemaAt(travel);
  for (const c of select ?? []) {
    if (!schema.fields.some((f) => f.name === c))
      throw usage(`--select: unknown column '${c}' (columns: ${schema.fields.map((f) => f.name).join(', ')})`);
  }
  const where = o.where === undefined ? undefined : parseWhere(o.where, schema.fields);
  const options = { select, where, limit: parseInteger('--limit', o.limit, 0), ...travel };
  const fields = select ? select.map((c) => schema.field(c)) : schema.fields;
  const progress = new Progress(`scanning ${table.name}`, 0, (n) => `${humanCount(n)} rows`);
  // Read-only: Ctrl-C stops reading (the rows printed so far stand).
  const interrupt = onInterrupt(() => 'scan stopped (read-only: nothing to commit)');
  let rows = 0;
  const shown: Record<string, unknown>[] = [];
  try {
    if (mode === 'json') await write('[');
    for await (const r of table.scan(options)) {
      if (interrupt.requested) break;
      rows++;
      progress.update(1);
      if (mode === 'jsonl') await println(toJsonLine(outputRow(fields, r)));
      else if (mode === 'json') await write(`${rows === 1 ? '\n  ' : ',\n  '}${toJsonLine(outputRow(fields, r))}`);
      else if (shown.length < PREVIEW_ROWS) shown.push(outputRow(fields, r));
    }
    if (mode === 'json') await write(rows === 0 ? ']\n' : '\n]\n');
  } finally {
    progress.finish();
    interrupt.dispose();
  }
  if (mode !== 'human') return;
  await println(
    renderTable(
      shown,
      fields.map((f) => f.name),
    ),
  );
  const stopped = interrupt.requested ? ', stopped by Ctrl-C' : '';
  await println(
    rows > shown.length
      ? `(${humanCount(shown.length)} of ${humanCount(rows)} rows shown${stopped}; --limit to read fewer, --json or --jsonl for all)`
      : `(${humanCount(rows)} row${rows === 1 ? '' : 's'}${stopped})`,
  );
}
