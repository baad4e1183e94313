/**
 * Table maintenance: compact, expire (snapshot expiry), remove-orphans, tags and rollback.
 *
 * Tags and rollback work on the files directly, with Paimon's layout and semantics: a tag is a copy
 * of a snapshot's JSON at `tag/tag-<name>` (which expiry and orphan cleanup treat as in use); a
 * rollback removes the snapshots after the target (newest first) and the tags that point after it,
 * moves the LATEST hint back and rewinds consumers that were past it. The data files only the
 * removed snapshots used become unreferenced; `remove-orphans` deletes them after its grace period.
 */
import { EddyError, type ExpireSnapshotsOptions, type Snapshot, type Table } from '@eddy/table';
import { decodeSnapshot, inspect } from '@eddy/table/inspect';
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
import { onInterrupt } from './interrupt.ts';
import { Progress } from './progress.ts';

const isNotFound = (e: unknown) => e instanceof EddyError && e.code === 'NOT_FOUND';
const baseName = (p: string) => p.slice(p.lastIndexOf('/') + 1);

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
  const before = (await table.latestSnapshot())?.id;
  const progress = new Progress(`compacting ${table.name}${o.full ? ' (full)' : ''}`, 0, () => 'running');
  progress.update(0);
  // A compaction commits once, at its end: until then Ctrl-C leaves the table as it was.
  const interrupt = onInterrupt(
    () =>
      `compaction of ${table.name} stopped before its commit: nothing committed (latest snapshot still ${before ?? 'none'}); files it wrote are orphans for eddy remove-orphans`,
  );
  const started = Date.now();
  let r: Awaited<ReturnType<Table['compact']>>;
  try {
    r = await table.compact({ full: o.full === true });
  } finally {
    progress.finish();
    interrupt.dispose();
  }
  if (interrupt.requested)
    process.stderr.write(
      `eddy: the compaction finished before it could stop: ${r.snapshot ? `snapshot ${r.snapshot.id} (COMPACT) committed` : 'nothing to commit'}\n`,
    );
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
// expire / remove-orphans

export interface ExpireCliOptions {
  retainMin?: string;
  retainMax?: string;
  olderThan?: string;
  limit?: string;
}

export async function runExpire(g: GlobalOptions, name: string, o: ExpireCliOptions): Promise<void> {
  const table = await openTable(g, name);
  const options = {
    retainMin: parseInteger('--retain-min', o.retainMin, 1),
    retainMax: parseInteger('--retain-max', o.retainMax, 1),
    timeRetainedMs: parseDuration('--older-than', o.olderThan),
    expireLimit: parseInteger('--limit', o.limit, 1),
  };
  if (options.retainMin !== undefined && options.retainMax !== undefined && options.retainMin > options.retainMax)
    throw usage(`--retain-min ${options.retainMin} is larger than --retain-max ${options.retainMax}`);
  const r = await table.expireSnapshots(
    Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as ExpireSnapshotsOptions,
  );
  const doc = {
    table: table.name,
    expired: r.expired,
    earliestSnapshotId: r.earliestSnapshotId ?? null,
    deletedDataFiles: r.deletedDataFiles,
    deletedChangelogFiles: r.deletedChangelogFiles,
    deletedMetadataFiles: r.deletedMetadataFiles,
    expiredConsumers: r.expiredConsumers,
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
  const olderThanMs = parseDuration('--older-than', o.olderThan);
  const r = await table.removeOrphanFiles({
    dryRun: o.dryRun === true,
    ...(olderThanMs !== undefined ? { olderThanMs } : {}),
  });
  const doc = {
    table: table.name,
    dryRun: o.dryRun === true,
    orphans: r.orphans,
    bytes: r.bytes,
    scannedFiles: r.scannedFiles,
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
// tags

const tagDir = (t: Table) => `${t.path}/tag`;
const tagPath = (t: Table, tag: string) => `${tagDir(t)}/tag-${tag}`;

function validateTag(tag: string): string {
  if (!/^[A-Za-z0-9_.-]{1,128}$/.test(tag) || tag === '.' || tag === '..')
    throw usage(`tag name '${tag}' must be 1-128 characters of letters, digits, '_', '.', '-'`);
  if (/^\d+$/.test(tag)) throw usage(`tag name '${tag}' cannot be only digits (it would read as a snapshot id)`);
  return tag;
}

async function readTag(t: Table, tag: string): Promise<{ bytes: Uint8Array; snapshot: Snapshot } | undefined> {
  const p = tagPath(t, tag);
  let bytes: Uint8Array;
  try {
    bytes = await t.io.read(p);
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
  return { bytes, snapshot: decodeSnapshot(new TextDecoder().decode(bytes), p) };
}

async function listTags(t: Table): Promise<{ tag: string; snapshot: Snapshot }[]> {
  const out: { tag: string; snapshot: Snapshot }[] = [];
  for (const f of await t.io.list(tagDir(t))) {
    const n = baseName(f.path);
    if (f.isDirectory || !n.startsWith('tag-')) continue;
    const r = await readTag(t, n.slice(4));
    if (r) out.push({ tag: n.slice(4), snapshot: r.snapshot });
  }
  return out.sort((a, b) => a.snapshot.id - b.snapshot.id || a.tag.localeCompare(b.tag));
}

export async function runTagCreate(
  g: GlobalOptions,
  name: string,
  tag: string,
  o: { snapshot?: string },
): Promise<void> {
  const table = await openTable(g, name);
  validateTag(tag);
  const meta = inspect(table);
  const id = parseInteger('--snapshot', o.snapshot, 1) ?? (await meta.latestSnapshotId());
  if (id === undefined) throw new EddyError('NOT_FOUND', `table ${table.name} has no snapshot to tag`);
  let bytes: Uint8Array;
  try {
    bytes = await table.io.read(meta.snapshotPath(id));
  } catch (e) {
    if (isNotFound(e)) throw new EddyError('NOT_FOUND', `snapshot ${id} of ${table.name} does not exist`);
    throw e;
  }
  const snapshot = decodeSnapshot(new TextDecoder().decode(bytes), meta.snapshotPath(id));
  if (!(await table.io.writeIfAbsent(tagPath(table, tag), bytes)))
    throw new EddyError('ALREADY_EXISTS', `tag '${tag}' of ${table.name} already exists`);
  await printDocument(
    outputMode(g),
    { table: table.name, tag, snapshot: snapshot.id },
    () => `created tag ${tag} of ${table.name} at snapshot ${snapshot.id}`,
  );
}

export async function runTagDelete(g: GlobalOptions, name: string, tag: string): Promise<void> {
  const table = await openTable(g, name);
  validateTag(tag);
  const r = await readTag(table, tag);
  if (!r) throw new EddyError('NOT_FOUND', `tag '${tag}' of ${table.name} does not exist`);
  await table.io.delete(tagPath(table, tag));
  await printDocument(
    outputMode(g),
    { table: table.name, tag, snapshot: r.snapshot.id, deleted: true },
    () =>
      `deleted tag ${tag} (snapshot ${r.snapshot.id}) of ${table.name}; files only it kept are removed by remove-orphans`,
  );
}

export async function runTagList(g: GlobalOptions, name: string): Promise<void> {
  const table = await openTable(g, name);
  const rows = (await listTags(table)).map(({ tag, snapshot: s }) => ({
    tag,
    snapshot: s.id,
    kind: s.commitKind,
    time: new Date(s.timeMillis).toISOString(),
    timeMillis: s.timeMillis,
    totalRecords: s.totalRecordCount,
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
    ],
    '(no tags)',
  );
}

// ---------------------------------------------------------------------------------------------
// rollback

export async function runRollback(g: GlobalOptions, name: string, o: { to?: string; tag?: string }): Promise<void> {
  if ((o.to === undefined) === (o.tag === undefined))
    throw usage('pass exactly one of --to <snapshot> or --tag <name>');
  const table = await openTable(g, name);
  const sm = inspect(table);
  const io = table.io;
  const earliest = await sm.earliestSnapshotId();
  const latest = await sm.latestSnapshotId();
  if (earliest === undefined || latest === undefined)
    throw new EddyError('NOT_FOUND', `table ${table.name} has no snapshots`);
  let target: number;
  let restore: Uint8Array | undefined; // a tag's snapshot that expiry already removed
  if (o.tag !== undefined) {
    const t = await readTag(table, validateTag(o.tag));
    if (!t) throw new EddyError('NOT_FOUND', `tag '${o.tag}' of ${table.name} does not exist`);
    target = t.snapshot.id;
    if (target > latest)
      throw new EddyError(
        'INVALID_ARGUMENT',
        `tag '${o.tag}' points to snapshot ${target}, after the latest (${latest})`,
      );
    if (target < earliest || !(await sm.snapshotExists(target))) restore = t.bytes;
  } else {
    target = parseInteger('--to', o.to, 1)!;
    if (target > latest || target < earliest || !(await sm.snapshotExists(target)))
      throw new EddyError(
        'NOT_FOUND',
        `snapshot ${target} of ${table.name} does not exist (snapshots ${earliest}..${latest}; an expired one can be restored from a tag with --tag)`,
      );
  }
  // Newest first, so what remains is always a contiguous range that readers can probe.
  const removed: number[] = [];
  const stopAt = target < earliest ? earliest : target + 1;
  for (let id = latest; id >= stopAt; id--) {
    try {
      await io.delete(sm.snapshotPath(id));
      removed.unshift(id);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
  if (restore) {
    if (!(await io.writeIfAbsent(sm.snapshotPath(target), restore)))
      throw new EddyError('COMMIT_CONFLICT', `snapshot ${target} appeared while restoring it from tag '${o.tag}'`);
    if (target < earliest) await io.write(`${sm.snapshotDirectory}/EARLIEST`, String(target));
  }
  await io.write(`${sm.snapshotDirectory}/LATEST`, String(target));
  // Tags after the target go with the snapshots (Paimon's rollback does the same).
  const removedTags: string[] = [];
  for (const t of await listTags(table)) {
    if (t.snapshot.id > target) {
      await io.delete(tagPath(table, t.tag));
      removedTags.push(t.tag);
    }
  }
  // Consumers past the target would skip the snapshots committed after the rollback: rewind them.
  const resetConsumers: string[] = [];
  for (const f of await io.list(`${table.path}/consumer`)) {
    const n = baseName(f.path);
    if (f.isDirectory || !n.startsWith('consumer-')) continue;
    try {
      const next = (JSON.parse(new TextDecoder().decode(await io.read(f.path))) as { nextSnapshot?: unknown })
        .nextSnapshot;
      if (typeof next === 'number' && next > target + 1) {
        await io.write(f.path, JSON.stringify({ nextSnapshot: target + 1 }));
        resetConsumers.push(n.slice('consumer-'.length));
      }
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
  const doc = {
    table: table.name,
    snapshot: target,
    restoredFromTag: restore ? o.tag : null,
    removedSnapshots: removed,
    removedTags,
    resetConsumers,
  };
  await printDocument(outputMode(g), doc, () =>
    [
      `rolled back ${table.name} to snapshot ${target}${restore ? ` (restored from tag ${o.tag})` : ''}`,
      removed.length ? `  removed snapshots ${idRanges(removed)}` : '  no snapshot removed',
      ...(removedTags.length ? [`  removed tags ${removedTags.join(', ')}`] : []),
      ...(resetConsumers.length ? [`  rewound consumers ${resetConsumers.join(', ')} to snapshot ${target + 1}`] : []),
      '  files only the removed snapshots used are now unreferenced: eddy remove-orphans deletes them',
    ].join('\n'),
  );
}
