/**
 * Table maintenance: compact, expire (snapshot expiry), remove-orphans, tags and rollback.
 *
 * Tags and rollback are the SDK's (Paimon's layout and semantics: a tag is the snapshot's JSON at
 * `tag/tag-<name>`, plus its retention time when it has one; a rollback removes the snapshots,
 * changelogs and tags after the target). The data files only the removed snapshots used become
 * unreferenced; `remove-orphans` deletes them after its grace period.
 */
import { EddyError, type Table } from '@eddy/table';
import {
  type GlobalOptions,
  openTable,
  outputMode,
  parseDuration,
  parseInteger,
  printDocument,
  printRows,
  usage,
} from './context.ts';
import { humanBytes, humanCount } from './format.ts';

/** A short `1..5, 7` form of ascending ids. */
export function idRanges(ids: readonly number[]): string {
  const out: string[] = [];
  for (let i = 0; i < ids.length; ) {
    let j = i;
    while (j + 1 < ids.length && ids[j + 1] === ids[j] + 1) j++;
    out.push(j === i ? String(ids[i]) : `${ids[i]}..${ids[j]}`);
    i = j + 1;
  }
  return out.join(', ');
}

// ---------------------------------------------------------------------------------------------
// compact

export async function runCompact(g: GlobalOptions, name: string, o: { full?: boolean }): Promise<void> {
  const table = await openTable(g, name);
  const runs = async () => (await table.bucketHealth()).reduce((a, b) => a + b.sortedRuns, 0);
  const runsBefore = await runs();
  if (process.stderr.isTTY && !process.env.CI)
    process.stderr.write(`compacting ${table.name}${o.full ? ' (full)' : ''}…\r`);
  const started = Date.now();
  const r = await table.compact({ full: o.full === true });
  if (process.stderr.isTTY && !process.env.CI) process.stderr.write('\x1b[K');
  const doc = {
    table: table.name,
    full: o.full === true,
    snapshot: r.snapshot?.id ?? null,
    buckets: r.buckets,
    filesIn: r.filesIn,
    filesOut: r.filesOut,
    rowsIn: r.rowsIn,
    rowsOut: r.rowsOut,
    bytesIn: r.bytesIn,
    bytesOut: r.bytesOut,
    sortedRunsBefore: runsBefore,
    sortedRunsAfter: r.snapshot ? await runs() : runsBefore,
    seconds: (Date.now() - started) / 1000,
  };
  await printDocument(outputMode(g), doc, () =>
    r.snapshot
      ? `compacted ${r.buckets} bucket${r.buckets === 1 ? '' : 's'} of ${table.name}: ${humanCount(r.filesIn)} files (${humanBytes(r.bytesIn)}, ${humanCount(r.rowsIn)} records) → ${humanCount(r.filesOut)} files (${humanBytes(r.bytesOut)}, ${humanCount(r.rowsOut)} records); sorted runs ${doc.sortedRunsBefore} → ${doc.sortedRunsAfter}; snapshot ${r.snapshot.id} (COMPACT)`
      : `nothing to compact in ${table.name}${o.full ? '' : ' (no bucket reached the sorted-run trigger; --full rewrites every bucket)'}`,
  );
}

// ---------------------------------------------------------------------------------------------
// expire / remove-orphans (SDK maintenance, called when this SDK version has it)

function sdkMethod<T>(table: Table, method: string, what: string): T {
  const f = (table as unknown as Record<string, unknown>)[method];
  if (typeof f !== 'function')
    throw new EddyError('UNSUPPORTED', `${what} is not available: this @eddy/table has no table.${method}()`);
  return (f as (...args: unknown[]) => unknown).bind(table) as T;
}

export interface ExpireCliOptions {
  retainMin?: string;
  retainMax?: string;
  olderThan?: string;
  limit?: string;
}

interface ExpireResultLike {
  expired: number[];
  earliestSnapshotId: number | undefined;
  deletedDataFiles: number;
  deletedChangelogFiles: number;
  deletedMetadataFiles: number;
  expiredConsumers?: string[];
}

export async function runExpire(g: GlobalOptions, name: string, o: ExpireCliOptions): Promise<void> {
  const table = await openTable(g, name);
  const expire = sdkMethod<(opts: object) => Promise<ExpireResultLike>>(table, 'expireSnapshots', 'snapshot expiry');
  const options = {
    retainMin: parseInteger('--retain-min', o.retainMin, 1),
    retainMax: parseInteger('--retain-max', o.retainMax, 1),
    timeRetainedMs: parseDuration('--older-than', o.olderThan),
    expireLimit: parseInteger('--limit', o.limit, 1),
  };
  if (options.retainMin !== undefined && options.retainMax !== undefined && options.retainMin > options.retainMax)
    throw usage(`--retain-min ${options.retainMin} is larger than --retain-max ${options.retainMax}`);
  const r = await expire(Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)));
  const doc = {
    table: table.name,
    expired: r.expired,
    earliestSnapshotId: r.earliestSnapshotId ?? null,
    deletedDataFiles: r.deletedDataFiles,
    deletedChangelogFiles: r.deletedChangelogFiles,
    deletedMetadataFiles: r.deletedMetadataFiles,
    expiredConsumers: r.expiredConsumers ?? [],
  };
  await printDocument(outputMode(g), doc, () =>
    r.expired.length === 0
      ? `no snapshot of ${table.name} is due for expiry (earliest is ${r.earliestSnapshotId ?? 'none'}; see --retain-min, --retain-max, --older-than)`
      : `expired snapshots ${idRanges(r.expired)} of ${table.name}; earliest is now ${r.earliestSnapshotId}; deleted ${humanCount(r.deletedDataFiles)} data, ${humanCount(r.deletedChangelogFiles)} changelog and ${humanCount(r.deletedMetadataFiles)} metadata files${doc.expiredConsumers.length ? `; expired consumers ${doc.expiredConsumers.join(', ')}` : ''}`,
  );
}

export async function runRemoveOrphans(
  g: GlobalOptions,
  name: string,
  o: { olderThan?: string; dryRun?: boolean },
): Promise<void> {
  const table = await openTable(g, name);
  const remove = sdkMethod<(opts: object) => Promise<{ orphans: string[]; bytes: number; scannedFiles?: number }>>(
    table,
    'removeOrphanFiles',
    'orphan-file cleanup',
  );
  const olderThanMs = parseDuration('--older-than', o.olderThan);
  const r = await remove({ dryRun: o.dryRun === true, ...(olderThanMs !== undefined ? { olderThanMs } : {}) });
  const doc = {
    table: table.name,
    dryRun: o.dryRun === true,
    orphans: r.orphans,
    bytes: r.bytes,
    scannedFiles: r.scannedFiles ?? null,
  };
  await printDocument(outputMode(g), doc, () => {
    const verb = o.dryRun ? 'would remove' : 'removed';
    const head = `${verb} ${humanCount(r.orphans.length)} orphan file${r.orphans.length === 1 ? '' : 's'} (${humanBytes(r.bytes)}) from ${table.name}`;
    const shown = r.orphans.slice(0, 20).map((p) => `  ${p}`);
    if (r.orphans.length > 20) shown.push(`  … and ${r.orphans.length - 20} more (--json lists all)`);
    return [head, ...shown].join('\n');
  });
}

// ---------------------------------------------------------------------------------------------
// tags and rollback (the SDK's maintenance/tags.ts and rollback.ts)

export async function runTagCreate(
  g: GlobalOptions,
  name: string,
  tag: string,
  o: { snapshot?: string; timeRetained?: string },
): Promise<void> {
  const table = await openTable(g, name);
  const t = await table.createTag(tag, {
    snapshotId: parseInteger('--snapshot', o.snapshot, 1),
    timeRetainedMs: parseDuration('--time-retained', o.timeRetained),
  });
  await printDocument(
    outputMode(g),
    { table: table.name, tag, snapshot: t.snapshotId, timeRetainedMs: t.timeRetainedMs ?? null },
    () =>
      `created tag ${tag} of ${table.name} at snapshot ${t.snapshotId}${t.timeRetainedMs !== undefined ? ` (expires ${new Date((t.createTime?.getTime() ?? Date.now()) + t.timeRetainedMs).toISOString()})` : ''}`,
  );
}

export async function runTagDelete(g: GlobalOptions, name: string, tag: string): Promise<void> {
  const table = await openTable(g, name);
  const r = await table.deleteTag(tag);
  await printDocument(
    outputMode(g),
    { table: table.name, tag, snapshot: r.tag.snapshotId, deleted: true, deletedFiles: r.deletedFiles.length },
    () =>
      `deleted tag ${tag} (snapshot ${r.tag.snapshotId}) of ${table.name}${r.deletedFiles.length ? `; deleted ${humanCount(r.deletedFiles.length)} files only it kept` : ''}`,
  );
}

export async function runTagList(g: GlobalOptions, name: string): Promise<void> {
  const table = await openTable(g, name);
  const rows = (await table.listTags()).map((t) => ({
    tag: t.name,
    snapshot: t.snapshotId,
    kind: t.snapshot.commitKind,
    time: new Date(t.snapshot.timeMillis).toISOString(),
    timeMillis: t.snapshot.timeMillis,
    totalRecords: t.snapshot.totalRecordCount,
    schemaId: t.snapshot.schemaId,
    expires:
      t.createTime && t.timeRetainedMs !== undefined
        ? new Date(t.createTime.getTime() + t.timeRetainedMs).toISOString()
        : null,
  }));
  await printRows(
    outputMode(g),
    rows,
    [
      'tag',
      { key: 'snapshot', kind: 'int' },
      'kind',
      { key: 'timeMillis', label: 'time (UTC)', kind: 'time' },
      { key: 'totalRecords', label: 'records', kind: 'count' },
      'expires',
    ],
    '(no tags)',
  );
}

export async function runRollback(g: GlobalOptions, name: string, o: { to?: string; tag?: string }): Promise<void> {
  if ((o.to === undefined) === (o.tag === undefined))
    throw usage('pass exactly one of --to <snapshot> or --tag <name>');
  const table = await openTable(g, name);
  const r = await table.rollbackTo(
    o.tag !== undefined ? { tag: o.tag } : { snapshotId: parseInteger('--to', o.to, 1)! },
  );
  const doc = {
    table: table.name,
    snapshot: r.snapshotId,
    restoredFromTag: r.restoredFromTag,
    removedSnapshots: r.removedSnapshots,
    removedChangelogs: r.removedChangelogs,
    removedTags: r.removedTags,
    resetConsumers: r.resetConsumers,
  };
  await printDocument(outputMode(g), doc, () =>
    [
      `rolled back ${table.name} to snapshot ${r.snapshotId}${r.restoredFromTag ? ` (restored from tag ${r.restoredFromTag})` : ''}`,
      r.removedSnapshots.length ? `  removed snapshots ${idRanges(r.removedSnapshots)}` : '  no snapshot removed',
      ...(r.removedChangelogs.length ? [`  removed changelogs ${idRanges(r.removedChangelogs)}`] : []),
      ...(r.removedTags.length ? [`  removed tags ${r.removedTags.join(', ')}`] : []),
      ...(r.resetConsumers.length
        ? [`  rewound consumers ${r.resetConsumers.join(', ')} to snapshot ${r.snapshotId + 1}`]
        : []),
      '  files only the removed snapshots used are now unreferenced: eddy remove-orphans deletes them',
    ].join('\n'),
  );
}
