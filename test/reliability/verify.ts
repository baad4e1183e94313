/**
 * End-of-run verification of the randomized driver (no faults, every process stopped):
 *
 * 1. snapshot ids are gapless from the earliest to the latest, and the hints agree with the listing;
 * 2. every snapshot parses, its manifest lists and manifests decode, no file is deleted that was
 *    never added, every live data file and every changelog file exists with the size the manifest
 *    says, and `totalRecordCount` is the sum of the live files' row counts;
 * 3. exactly-once in the chain: each writer's APPEND/OVERWRITE identifiers are 1, 2, 3… once each;
 * 4. every retained snapshot (sampled when there are many) scans to the model of exactly the
 *    checkpoints the chain says landed by then; the latest one to the checkpoints each writer had
 *    confirmed, plus the one in doubt when (and only when) its identifier is in the chain;
 *    at the latest, `lastCommittedIdentifier` of each writer agrees (it also knows writers whose
 *    snapshots all expired);
 * 5. the reader's change-feed state equals the model at the snapshot it stopped at;
 * 6. the race table (writers sharing keys): every sampled snapshot equals the fold of the race
 *    checkpoints in snapshot order — the later commit wins — and so does the whole change feed;
 * 7. orphan-file cleanup (grace 0) keeps every referenced file: 2 and the latest scan hold again.
 */
import type { Catalog, Table } from '../../packages/table/src/index.ts';
import { type ReaderJournal, readerJournalPath, readJson, type WriterJournal, writerJournalPath } from './journal.ts';
import {
  checkCheckpointIdentifiers,
  compareWithModel,
  DATABASE,
  KV_TABLE,
  KvModel,
  kvRowKey,
  LOG_TABLE,
  landedAt,
  logCheckpoint,
  metaOf,
  RACE_TABLE,
  type RaceRow,
  raceRowKey,
  raceState,
  type SnapshotMeta,
  type WriterSpec,
  writerUser,
} from './model.ts';

export interface VerifyReport {
  readonly problems: string[];
  readonly snapshots: number;
  readonly snapshotsScanned: number;
  readonly dataFiles: number;
  /** Checkpoints landed per writer at the latest snapshot. */
  readonly landed: Record<string, number>;
  /** Of the writers' final checkpoints in doubt (attempted, never confirmed): how many landed. */
  readonly inDoubtLanded: number;
  readonly inDoubtNotLanded: number;
  readonly rowOps: number;
  readonly readerEvents: number;
  readonly orphansRemoved: number;
}

export interface VerifyInput {
  readonly catalog: Catalog;
  readonly seed: number;
  readonly writers: readonly WriterSpec[];
  readonly runDir: string;
  readonly log?: (line: string) => void;
  /** Scan at most this many retained snapshots per table (evenly spread, always the latest). */
  readonly maxScans?: number;
}

/** Structural checks of every snapshot of a table (1-2 above). Returns the metas and data file count. */
export async function checkSnapshots(
  t: Table,
  problems: string[],
): Promise<{ metas: SnapshotMeta[]; dataFiles: number }> {
  const ids = await t.snapshots.listSnapshotIds();
  const metas: SnapshotMeta[] = [];
  let dataFiles = 0;
  for (let i = 1; i < ids.length; i++)
    if (ids[i] !== ids[i - 1] + 1) problems.push(`${t.name}: snapshot ids jump from ${ids[i - 1]} to ${ids[i]}`);
  if (ids.length > 0) {
    const earliest = await t.snapshots.earliestSnapshotId();
    const latest = await t.snapshots.latestSnapshotId();
    if (earliest !== ids[0]) problems.push(`${t.name}: earliestSnapshotId() = ${earliest}, listing says ${ids[0]}`);
    if (latest !== ids[ids.length - 1])
      problems.push(`${t.name}: latestSnapshotId() = ${latest}, listing says ${ids[ids.length - 1]}`);
  }
  const paths = t.paths;
  const checked = new Map<string, number>();
  const fileOk = async (p: string, size: number, what: string) => {
    const known = checked.get(p);
    if (known === size) return;
    const st = await t.io.stat(p);
    if (!st) problems.push(`${what}: ${p} does not exist`);
    else if (st.size !== size) problems.push(`${what}: ${p} has ${st.size} bytes, the manifest says ${size}`);
    else checked.set(p, size);
  };
  for (const id of ids) {
    try {
      const s = await t.snapshots.snapshot(id);
      metas.push(metaOf(s));
      const live = await t.newScanPlanner().liveEntries(s);
      let rows = 0;
      for (const e of live) {
        rows += e.file.rowCount;
        dataFiles++;
        await fileOk(paths.filesOf(e)[0], e.file.fileSize, `${t.name} snapshot ${id}`);
      }
      if (rows !== s.totalRecordCount)
        problems.push(`${t.name} snapshot ${id}: totalRecordCount ${s.totalRecordCount}, live files hold ${rows} rows`);
      if (s.changelogManifestList) {
        for (const m of await t.manifests.readManifestList(s.changelogManifestList)) {
          for (const e of await t.manifests.readManifest(m.fileName)) {
            await fileOk(paths.filesOf(e)[0], e.file.fileSize, `${t.name} snapshot ${id} changelog`);
          }
        }
      }
    } catch (e) {
      problems.push(`${t.name} snapshot ${id}: ${(e as Error).message}`);
    }
  }
  return { metas, dataFiles };
}

export async function verifyRun(input: VerifyInput): Promise<VerifyReport> {
  const { catalog, seed, writers, runDir } = input;
  const log = input.log ?? (() => undefined);
  const problems: string[] = [];
  const model = new KvModel(seed);
  const journals = new Map(
    writers.map((s) => [
      s.w,
      readJson<WriterJournal>(writerJournalPath(runDir, s.w)) ?? { confirmed: 0, attempted: 0, failures: 0 },
    ]),
  );
  const attempted = (w: number) => journals.get(w)!.attempted;
  const landed: Record<string, number> = {};
  let snapshots = 0;
  let snapshotsScanned = 0;
  let dataFiles = 0;
  let inDoubtLanded = 0;
  let inDoubtNotLanded = 0;
  let rowOps = 0;
  let readerEvents = 0;
  let orphansRemoved = 0;
  const kvMetas: SnapshotMeta[] = [];

  for (const name of [KV_TABLE, LOG_TABLE] as const) {
    const t = await catalog.getTable(`${DATABASE}.${name}`);
    const mine = writers.filter((s) => s.table === name);
    const { metas, dataFiles: n } = await checkSnapshots(t, problems);
    if (name === KV_TABLE) kvMetas.push(...metas);
    snapshots += metas.length;
    dataFiles += n;
    problems.push(
      ...checkCheckpointIdentifiers(
        metas,
        mine.map((s) => writerUser(s.w)),
      ).map((p) => `${name}: ${p}`),
    );
    if (metas.length === 0) continue;
    const ids = metas.map((m) => m.id);
    const latest = ids[ids.length - 1];
    const max = input.maxScans ?? 40;
    const pick = new Set<number>([latest, ids[0]]);
    for (let i = 0; i < Math.min(max, ids.length); i++)
      pick.add(ids[Math.floor((i * ids.length) / Math.min(max, ids.length))]);
    for (const at of [...pick].sort((a, b) => a - b)) {
      try {
        const rows = await t.toArray({ snapshotId: at });
        const expected = new Map(mine.map((s) => [s.w, landedAt(metas, writerUser(s.w), at)]));
        if (at === latest) {
          // The SDK's answer, which also covers writers whose snapshots all expired.
          for (const s of mine) {
            const api = await t.lastCommittedIdentifier(writerUser(s.w));
            const chain = expected.get(s.w);
            const n = api === undefined ? 0 : Number(api);
            if (chain !== undefined && chain !== n)
              problems.push(`${name}: lastCommittedIdentifier(${writerUser(s.w)}) = ${api}, the chain says ${chain}`);
            expected.set(s.w, chain ?? n);
          }
        }
        const r = compareWithModel(model, name, rows, writers, expected, attempted);
        snapshotsScanned++;
        problems.push(...r.problems.map((p) => `snapshot ${at}: ${p}`));
        if (at !== latest) continue;
        for (const s of mine) {
          const m = r.counts.get(s.w);
          const j = journals.get(s.w)!;
          landed[writerUser(s.w)] = m ?? -1;
          if (m === undefined) continue;
          // Exactly the confirmed checkpoints, plus the one in doubt if it landed.
          if (m < j.confirmed)
            problems.push(
              `${name}: ${writerUser(s.w)} confirmed checkpoint ${j.confirmed} but only ${m} are in the table`,
            );
          if (m > j.attempted)
            problems.push(`${name}: ${writerUser(s.w)} never attempted checkpoint ${m}, yet it is in the table`);
          if (j.attempted > j.confirmed) {
            if (m === j.attempted) inDoubtLanded++;
            else inDoubtNotLanded++;
          }
          for (let ck = 1; ck <= m; ck++)
            rowOps += name === KV_TABLE ? model.opsOf(s.w, ck).length : logCheckpoint(seed, s.w, ck).length;
        }
      } catch (e) {
        problems.push(`${name}: scan of snapshot ${at} failed: ${(e as Error).message}`);
      }
    }
  }

  // The reader's state machine against the model at the snapshot it reached.
  const rj = readJson<ReaderJournal>(readerJournalPath(runDir));
  if (rj?.dead) log(`[reliability] the reader's feed expired (legal): ${rj.dead}`);
  else if (rj && rj.snap > 0) {
    readerEvents = rj.events;
    const expectedRows: string[] = [];
    for (const s of writers.filter((x) => x.table === KV_TABLE)) {
      // A writer with no checkpoint in the latest snapshot (starved on a loaded machine, or every
      // attempt failed) had none at the reader's snapshot either, though no snapshot names it.
      // A writer with no retained snapshot at all committed everything it ever did before the
      // earliest one, which the reader's consumer kept at or after its position: its count at the
      // latest snapshot (from lastCommittedIdentifier) holds at the reader's too.
      const user = writerUser(s.w);
      const none = !kvMetas.some((x) => x.commitUser === user);
      const m =
        landedAt(kvMetas, user, rj.snap) ??
        (landed[user] === 0 || (none && landed[user] > 0) ? landed[user] : undefined);
      if (m === undefined) {
        problems.push(`reader: cannot tell what ${writerUser(s.w)} had landed at snapshot ${rj.snap}`);
        continue;
      }
      for (const r of model.stateAt(s.w, m).values()) expectedRows.push(kvRowKey(r));
    }
    const actual = rj.state.map(([, r]) => r).sort();
    expectedRows.sort();
    if (actual.includes('retracted')) problems.push(`reader: a key is left between -U and +U at snapshot ${rj.snap}`);
    if (actual.length !== expectedRows.length || actual.some((x, i) => x !== expectedRows[i]))
      problems.push(
        `reader: change-feed state at snapshot ${rj.snap} (${actual.length} keys) differs from the model (${expectedRows.length} keys)`,
      );
    const kvLatest = kvMetas[kvMetas.length - 1]?.id;
    if (rj.snap !== kvLatest && kvLatest !== undefined) {
      // Catch-up stops at the last snapshot with changes; later ones must be COMPACT only.
      const after = kvMetas.filter((m) => m.id > rj.snap && m.commitKind === 'APPEND');
      if (after.length > 0)
        problems.push(`reader: stopped at snapshot ${rj.snap}, but APPEND snapshot ${after[0].id} follows`);
    }
  }

  const race = await verifyRace(input, journals, problems);
  snapshots += race.snapshots;
  snapshotsScanned += race.scanned;
  dataFiles += race.dataFiles;
  Object.assign(landed, race.landed);
  inDoubtLanded += race.inDoubtLanded;
  inDoubtNotLanded += race.inDoubtNotLanded;

  // Orphan cleanup must keep everything referenced.
  for (const name of [KV_TABLE, LOG_TABLE, RACE_TABLE] as const) {
    const t = await catalog.getTable(`${DATABASE}.${name}`);
    try {
      const r = await t.removeOrphanFiles({ olderThanMs: 0 });
      orphansRemoved += r.orphans.length;
      const before = problems.length;
      await checkSnapshots(t, problems);
      const rows = await t.toArray();
      const metas: SnapshotMeta[] = [];
      for (const id of await t.snapshots.listSnapshotIds()) metas.push(metaOf(await t.snapshots.snapshot(id)));
      const latest = metas[metas.length - 1]?.id ?? 0;
      if (name === RACE_TABLE) {
        const want = raceState(seed, raceCommits(metas, writers, latest));
        const p = compareRace(rows, want);
        if (p) problems.push(`race: ${p}`);
        for (let i = before; i < problems.length; i++) problems[i] = `after orphan cleanup: ${problems[i]}`;
        continue;
      }
      const expected = new Map(
        writers.filter((s) => s.table === name).map((s) => [s.w, landedAt(metas, writerUser(s.w), latest)]),
      );
      problems.push(...compareWithModel(model, name, rows, writers, expected, attempted).problems);
      for (let i = before; i < problems.length; i++) problems[i] = `after orphan cleanup: ${problems[i]}`;
    } catch (e) {
      problems.push(`${name}: orphan cleanup: ${(e as Error).message}`);
    }
  }
  return {
    problems,
    snapshots,
    snapshotsScanned,
    dataFiles,
    landed,
    inDoubtLanded,
    inDoubtNotLanded,
    rowOps,
    readerEvents,
    orphansRemoved,
  };
}

/** The race checkpoints (writer, identifier) in snapshot order up to `at`. */
function raceCommits(
  metas: readonly SnapshotMeta[],
  writers: readonly WriterSpec[],
  at: number,
): { id: number; w: number; ck: number }[] {
  const byUser = new Map(writers.filter((s) => s.table === RACE_TABLE).map((s) => [writerUser(s.w), s.w]));
  return metas
    .filter((m) => m.id <= at && m.commitKind === 'APPEND' && byUser.has(m.commitUser))
    .sort((a, b) => a.id - b.id)
    .map((m) => ({ id: m.id, w: byUser.get(m.commitUser)!, ck: Number(m.commitIdentifier) }));
}

const raceKeyOf = (r: Record<string, unknown>): string =>
  raceRowKey({ k: Number(r.k), w: Number(r.w), ck: Number(r.ck), v: String(r.v) });

/** A problem when `rows` are not exactly `want`. */
function compareRace(rows: readonly Record<string, unknown>[], want: Map<number, RaceRow>): string | undefined {
  const actual = rows.map(raceKeyOf).sort();
  const expected = [...want.values()].map(raceRowKey).sort();
  if (actual.length === expected.length && actual.every((x, i) => x === expected[i])) return undefined;
  const missing = expected.filter((x) => !actual.includes(x));
  const extra = actual.filter((x) => !expected.includes(x));
  return `rows differ from the last-commit-wins fold: missing ${missing.slice(0, 5).join(', ') || 'none'}; unexpected ${extra.slice(0, 5).join(', ') || 'none'}`;
}

/** Check 6: the race table against the fold of its checkpoints in commit order. */
async function verifyRace(
  input: VerifyInput,
  journals: Map<number, WriterJournal>,
  problems: string[],
): Promise<{
  snapshots: number;
  scanned: number;
  dataFiles: number;
  landed: Record<string, number>;
  inDoubtLanded: number;
  inDoubtNotLanded: number;
}> {
  const { catalog, seed, writers } = input;
  const out = {
    snapshots: 0,
    scanned: 0,
    dataFiles: 0,
    landed: {} as Record<string, number>,
    inDoubtLanded: 0,
    inDoubtNotLanded: 0,
  };
  const mine = writers.filter((s) => s.table === RACE_TABLE);
  if (mine.length === 0) return out;
  const t = await catalog.getTable(`${DATABASE}.${RACE_TABLE}`);
  const { metas, dataFiles } = await checkSnapshots(t, problems);
  out.snapshots = metas.length;
  out.dataFiles = dataFiles;
  if (metas.length === 0) return out;
  if (metas[0].id !== 1) problems.push(`race: snapshot 1 expired (the race table is never expired): cannot fold`);
  problems.push(
    ...checkCheckpointIdentifiers(
      metas,
      mine.map((s) => writerUser(s.w)),
    ).map((p) => `race: ${p}`),
  );
  const ids = metas.map((m) => m.id);
  const latest = ids[ids.length - 1];
  const max = input.maxScans ?? 40;
  const pick = new Set<number>([latest]);
  for (let i = 0; i < Math.min(max, ids.length); i++)
    pick.add(ids[Math.floor((i * ids.length) / Math.min(max, ids.length))]);
  let latestRows: Record<string, unknown>[] = [];
  for (const at of [...pick].sort((a, b) => a - b)) {
    try {
      const rows = await t.toArray({ snapshotId: at });
      out.scanned++;
      const p = compareRace(rows, raceState(seed, raceCommits(metas, writers, at)));
      if (p) problems.push(`race snapshot ${at}: ${p}`);
      if (at === latest) latestRows = rows;
    } catch (e) {
      problems.push(`race: scan of snapshot ${at} failed: ${(e as Error).message}`);
    }
  }
  // The change feed from the first snapshot agrees with the scan.
  try {
    const feed = new Map<number, string>();
    for await (const e of t.changes({ scanMode: 'from-snapshot', snapshotId: 1, endSnapshotId: latest })) {
      if (e.kind === '+I' || e.kind === '+U') feed.set(Number(e.row.k), raceKeyOf(e.row));
      else feed.delete(Number(e.row.k));
    }
    const scanned = latestRows.map(raceKeyOf).sort();
    const fed = [...feed.values()].sort();
    if (scanned.length !== fed.length || scanned.some((x, i) => x !== fed[i]))
      problems.push(
        `race: the change feed ends in ${fed.length} rows, the scan of snapshot ${latest} has ${scanned.length} (or other values)`,
      );
  } catch (e) {
    problems.push(`race: change feed failed: ${(e as Error).message}`);
  }
  const commits = raceCommits(metas, writers, latest);
  for (const s of mine) {
    const j = journals.get(s.w)!;
    const m = commits.filter((c) => c.w === s.w).reduce((mx, c) => Math.max(mx, c.ck), 0);
    out.landed[writerUser(s.w)] = m;
    if (m < j.confirmed)
      problems.push(`race: ${writerUser(s.w)} confirmed checkpoint ${j.confirmed} but only ${m} landed`);
    if (m > j.attempted) problems.push(`race: ${writerUser(s.w)} never attempted checkpoint ${m}, yet it landed`);
    if (j.attempted > j.confirmed) {
      if (m === j.attempted) out.inDoubtLanded++;
      else out.inDoubtNotLanded++;
    }
  }
  return out;
}
