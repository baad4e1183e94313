/**
 * The change feed from the command line: `eddy tail` follows new snapshots until interrupted (or a
 * limit), `eddy audit` prints the changes of a range of snapshots with their row kinds and stops.
 */
import { type ChangeOptions, type DataField, EddyError, type Table } from '@eddy/table';
import {
  type GlobalOptions,
  openTable,
  outputMode,
  parseDuration,
  parseInteger,
  parseList,
  parseTime,
  println,
  usage,
} from './context.ts';
import { renderTable, toJson, toJsonLine } from './format.ts';
import { outputRow } from './scan.ts';
import { ChangelogManager } from './sdk-internals.ts';

/** `--from latest | full | earliest | snapshot:N | snapshot-full:N | time:ISO` → change-feed options. */
export async function startOptions(table: Table, from: string): Promise<ChangeOptions> {
  const f = from.trim().toLowerCase();
  if (f === 'latest') return { scanMode: 'latest' };
  if (f === 'full' || f === 'latest-full') return { scanMode: 'latest-full' };
  if (f === 'earliest') {
    // The earliest snapshot, or the earliest long-lived changelog before it (decoupled retention).
    const snapshot = await table.snapshots.earliestSnapshotId();
    const changelog = table.schema.options.changelogDecoupled
      ? await new ChangelogManager(table.io, table.path).earliestId()
      : undefined;
    const earliest = changelog !== undefined && (snapshot === undefined || changelog < snapshot) ? changelog : snapshot;
    return earliest === undefined ? { scanMode: 'latest' } : { scanMode: 'from-snapshot', snapshotId: earliest };
  }
  let m = /^snapshot(-full)?:(\d+)$/.exec(f);
  if (m) {
    const snapshotId = parseInteger('--from', m[2], 1)!;
    return { scanMode: m[1] ? 'from-snapshot-full' : 'from-snapshot', snapshotId };
  }
  m = /^time:(.+)$/.exec(from.trim());
  if (m) return { scanMode: 'from-timestamp', timestamp: parseTime('--from', m[1]) };
  throw usage(`--from: expected latest, full, earliest, snapshot:N, snapshot-full:N or time:ISO, got '${from}'`);
}

export interface TailOptions {
  from?: string;
  consumer?: string;
  select?: string;
  limit?: string;
  untilSnapshot?: string;
  poll?: string;
}

/** The columns of a schema (an event's `schemaId`), for printing its rows. */
function schemaFields(table: Table): (schemaId: number) => Promise<readonly DataField[]> {
  const cache = new Map<number, readonly DataField[]>();
  return async (id) => {
    let f = cache.get(id);
    if (!f) {
      f = (await table.schemas.forSnapshot(id, table.schema)).fields;
      cache.set(id, f);
    }
    return f;
  };
}

export async function runTail(g: GlobalOptions, name: string, o: TailOptions): Promise<void> {
  const mode = outputMode(g);
  const table = await openTable(g, name);
  const start = await startOptions(table, o.from ?? 'latest');
  const limit = parseInteger('--limit', o.limit, 1);
  const select = parseList('--select', o.select);
  for (const c of select ?? []) table.schema.field(c);
  const fieldsOf = schemaFields(table);
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  if (process.stderr.isTTY) {
    const where = start.snapshotId !== undefined ? `snapshot ${start.snapshotId}` : (start.scanMode ?? 'latest');
    process.stderr.write(
      `following ${table.name} from ${where}${o.consumer ? ` as consumer ${o.consumer}` : ''} (Ctrl-C to stop)\n`,
    );
  }
  let n = 0;
  try {
    for await (const ev of table.changes({
      ...start,
      consumerId: o.consumer,
      select,
      pollIntervalMs: parseDuration('--poll', o.poll) ?? 200,
      endSnapshotId: parseInteger('--until-snapshot', o.untilSnapshot, 1),
      signal: stop.signal,
    })) {
      const row = outputRow(await fieldsOf(ev.schemaId), ev.row);
      await println(
        mode === 'human'
          ? `${String(ev.snapshotId).padStart(6)}  ${ev.kind}  ${toJsonLine(row)}`
          : toJsonLine({ snapshot: ev.snapshotId, kind: ev.kind, row }),
      );
      if (limit !== undefined && ++n >= limit) break;
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

export interface AuditOptions {
  from?: string;
  to?: string;
  select?: string;
  limit?: string;
}

export async function runAudit(g: GlobalOptions, name: string, o: AuditOptions): Promise<void> {
  const mode = outputMode(g);
  const table = await openTable(g, name);
  const earliest = await table.snapshots.earliestSnapshotId();
  const latest = await table.snapshots.latestSnapshotId();
  const select = parseList('--select', o.select);
  for (const c of select ?? []) table.schema.field(c);
  const fieldsOf = schemaFields(table);
  const limit = parseInteger('--limit', o.limit, 1);
  const events: { snapshot: number; kind: string; row: Record<string, unknown> }[] = [];
  const columns: string[] = [];
  const isTag = (v: string | undefined) => v !== undefined && !/^\d+$/.test(v.trim());
  let changes:
    | AsyncIterable<{ snapshotId: number; schemaId: number; kind: string; row: Record<string, unknown> }>
    | undefined;
  if (isTag(o.from) || isTag(o.to)) {
    // Two tags: the difference of their states (Paimon's incremental-between with tags).
    if (!isTag(o.from) || !isTag(o.to)) throw usage('--from and --to must both be snapshot ids or both be tag names');
    changes = table.changesBetween(o.from!, o.to!, { select });
  } else if (earliest !== undefined && latest !== undefined) {
    const from = parseInteger('--from', o.from, 1) ?? earliest;
    const to = parseInteger('--to', o.to, 1) ?? latest;
    if (from > to) throw usage(`--from ${from} is after --to ${to}`);
    if (to > latest) throw new EddyError('NOT_FOUND', `snapshot ${to} does not exist (latest is ${latest})`);
    changes = table.changesBetween(from - 1, to, { select });
  }
  for await (const ev of changes ?? []) {
    const fields = await fieldsOf(ev.schemaId);
    for (const k of Object.keys(ev.row)) if (!columns.includes(k)) columns.push(k);
    events.push({ snapshot: ev.snapshotId, kind: ev.kind, row: outputRow(fields, ev.row) });
    if (limit !== undefined && events.length >= limit) break;
  }
  if (mode === 'json') return println(toJson(events));
  if (mode === 'jsonl') {
    for (const e of events) await println(toJsonLine(e));
    return;
  }
  if (events.length === 0) return println(latest === undefined ? '(no snapshots)' : '(no changes)');
  await println(
    renderTable(
      events.map((e) => ({ snapshot: e.snapshot, rowkind: e.kind, ...e.row })),
      ['snapshot', 'rowkind', ...columns],
    ),
  );
  await println(`(${events.length} change${events.length === 1 ? '' : 's'})`);
}
