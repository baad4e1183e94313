/**
 * The reference model of the randomized driver: which rows every writer writes at each checkpoint
 * (a pure function of the run seed, the writer and the checkpoint), the table state after a writer's
 * first `m` checkpoints, and the checks that compare a table (at any snapshot) with it.
 *
 * Writers own disjoint key ranges (log writers: their own partition), so the expected state of a
 * table is the union over writers of "writer w after its first m_w checkpoints", where m_w is what
 * landed: a writer's checkpoints land in order and each exactly once (every checkpoint changes
 * something, so each is exactly one APPEND — or, for a log writer's overwrite, OVERWRITE — snapshot
 * with commitUser `writer-<w>` and commitIdentifier = the checkpoint).
 */
import type { RowKindName, SchemaInput, Snapshot } from '../../packages/table/src/index.ts';
import { mulberry32, seedOf } from './fault-file-io.ts';

export const DATABASE = 'rel';
/** A primary-key table with an input changelog: upserts, updates (-U/+U) and deletes. */
export const KV_TABLE = 'kv';
/**
 * An append-only table partitioned by writer: every duplicated append shows as duplicated rows; some
 * checkpoints overwrite the writer's partition instead (INSERT OVERWRITE), replacing all it had.
 */
export const LOG_TABLE = 'log';
export const KEYS_PER_WRITER = 48;

export const KV_SCHEMA: SchemaInput = {
  columns: { k: 'BIGINT', w: 'INT', ck: 'INT', v: 'STRING' },
  primaryKey: ['k'],
  options: {
    bucket: 2,
    'changelog-producer': 'input',
    'num-sorted-run.compaction-trigger': 3,
    'manifest.merge-min-count': 8,
    'commit.max-retries': 40,
    'commit.max-retry-wait': '500 ms',
  },
};

export const LOG_SCHEMA: SchemaInput = {
  columns: { w: 'INT', ck: 'INT', i: 'INT', p: 'STRING' },
  partitionKeys: ['w'],
  options: { 'manifest.merge-min-count': 8, 'commit.max-retries': 40, 'commit.max-retry-wait': '500 ms' },
};

/**
 * Writer race (issue 16 §3): a primary-key table whose writers share every key and keep one writer
 * open across checkpoints, flushing halfway through each, so their commits race on the same keys.
 * For each key the later commit must win: the table at a snapshot is the fold of the checkpoints
 * in snapshot order, and the change feed agrees. The compactor compacts it but never expires it,
 * so the whole chain is there to fold.
 */
export const RACE_TABLE = 'race';
export const RACE_KEYS = 12;

export const RACE_SCHEMA: SchemaInput = {
  columns: { k: 'INT', w: 'INT', ck: 'INT', v: 'STRING' },
  primaryKey: ['k'],
  options: {
    bucket: 2,
    'changelog-producer': 'input',
    'num-sorted-run.compaction-trigger': 3,
    'commit.max-retries': 40,
    'commit.max-retry-wait': '500 ms',
  },
};

export type RaceRow = { k: number; w: number; ck: number; v: string };

/** Race writer `w`'s checkpoint `ck`: 1-6 blind upserts (+I) and deletes (-D) of shared keys. */
export function raceCheckpoint(seed: number, w: number, ck: number): { kind: '+I' | '-D'; row: RaceRow }[] {
  const rnd = mulberry32(seedOf(seed, 'race', w, ck));
  const n = 1 + Math.floor(rnd() * 6);
  return Array.from({ length: n }, (_, i) => ({
    kind: rnd() < 0.3 ? ('-D' as const) : ('+I' as const),
    row: { k: Math.floor(rnd() * RACE_KEYS), w, ck, v: `r${w}c${ck}o${i}` },
  }));
}

export const raceRowKey = (r: RaceRow): string => `${r.k}|${r.w}|${r.ck}|${r.v}`;

/** The race table after `commits` (race checkpoints in snapshot order): later commits win. */
export function raceState(seed: number, commits: readonly { w: number; ck: number }[]): Map<number, RaceRow> {
  const state = new Map<number, RaceRow>();
  for (const { w, ck } of commits) {
    for (const op of raceCheckpoint(seed, w, ck)) {
      if (op.kind === '-D') state.delete(op.row.k);
      else state.set(op.row.k, op.row);
    }
  }
  return state;
}

export const writerUser = (w: number): string => `writer-${w}`;

// Type aliases, not interfaces: rows must be assignable to an untyped table's Record<string, unknown>.
export type KvRow = {
  k: bigint;
  w: number;
  ck: number;
  v: string;
};

export type LogRow = {
  w: number;
  ck: number;
  i: number;
  p: string;
};

export interface KvOp {
  readonly kind: RowKindName;
  readonly row: KvRow;
}

/**
 * The operations of writer `w` at checkpoint `ck`, given its key state after the previous
 * checkpoints (updated in place): inserts of absent keys (+I), updates (-U old, +U new) and
 * deletes (-D old) of present ones. Never empty.
 */
export function kvCheckpoint(seed: number, w: number, ck: number, state: Map<bigint, KvRow>): KvOp[] {
  const rnd = mulberry32(seedOf(seed, 'kv', w, ck));
  const n = 1 + Math.floor(rnd() * 6);
  const ops: KvOp[] = [];
  for (let i = 0; i < n; i++) {
    const k = BigInt(w * 1_000_000 + Math.floor(rnd() * KEYS_PER_WRITER));
    const old = state.get(k);
    const row: KvRow = { k, w, ck, v: `w${w}c${ck}o${i}-${Math.floor(rnd() * 1e9).toString(36)}` };
    if (!old) {
      ops.push({ kind: '+I', row });
      state.set(k, row);
    } else if (rnd() < 0.7) {
      ops.push({ kind: '-U', row: old }, { kind: '+U', row });
      state.set(k, row);
    } else {
      ops.push({ kind: '-D', row: old });
      state.delete(k);
    }
  }
  return ops;
}

/** The rows writer `w` appends at checkpoint `ck` (1-8 rows). */
export function logCheckpoint(seed: number, w: number, ck: number): LogRow[] {
  const rnd = mulberry32(seedOf(seed, 'log', w, ck));
  const n = 1 + Math.floor(rnd() * 8);
  return Array.from({ length: n }, (_, i) => ({ w, ck, i, p: `w${w}c${ck}i${i}-${Math.floor(rnd() * 1e9)}` }));
}

/** Whether log writer `w`'s checkpoint `ck` overwrites its partition (about 1 in 6, never the first). */
export function logIsOverwrite(seed: number, w: number, ck: number): boolean {
  return ck > 1 && mulberry32(seedOf(seed, 'log-overwrite', w, ck))() < 1 / 6;
}

/** Rows of log writer `w` after its checkpoints 1..m: those since its last overwrite. */
export function logRowsAt(seed: number, w: number, m: number): LogRow[] {
  let from = 1;
  for (let ck = m; ck > 1; ck--) {
    if (logIsOverwrite(seed, w, ck)) {
      from = ck;
      break;
    }
  }
  const rows: LogRow[] = [];
  for (let ck = from; ck <= m; ck++) rows.push(...logCheckpoint(seed, w, ck));
  return rows;
}

/** A writer's checkpoint commit (as opposed to the compactor's COMPACT snapshots). */
export const isCheckpointKind = (kind: string): boolean => kind === 'APPEND' || kind === 'OVERWRITE';

/** Key state of writer `w` after its checkpoints 1..m (cached incrementally). */
export class KvModel {
  private readonly cache = new Map<number, { m: number; state: Map<bigint, KvRow> }>();
  constructor(readonly seed: number) {}

  stateAt(w: number, m: number): Map<bigint, KvRow> {
    let c = this.cache.get(w);
    if (!c || c.m > m) c = { m: 0, state: new Map() };
    const state = new Map(c.state);
    for (let ck = c.m + 1; ck <= m; ck++) kvCheckpoint(this.seed, w, ck, state);
    this.cache.set(w, { m, state: new Map(state) });
    return state;
  }

  /** The ops of checkpoint `ck` (replaying 1..ck-1 for the state they start from). */
  opsOf(w: number, ck: number): KvOp[] {
    return kvCheckpoint(this.seed, w, ck, this.stateAt(w, ck - 1));
  }
}

export const kvRowKey = (r: KvRow): string => `${r.k}|${r.w}|${r.ck}|${r.v}`;
export const logRowKey = (r: LogRow): string => `${r.w}|${r.ck}|${r.i}|${r.p}`;

export function normalizeKv(row: Record<string, unknown>): KvRow {
  return { k: BigInt(row.k as bigint), w: Number(row.w), ck: Number(row.ck), v: String(row.v) };
}

export function normalizeLog(row: Record<string, unknown>): LogRow {
  return { w: Number(row.w), ck: Number(row.ck), i: Number(row.i), p: String(row.p) };
}

/** What the retained snapshots say about how many checkpoints of each writer landed by snapshot `s`. */
export interface SnapshotMeta {
  readonly id: number;
  readonly commitUser: string;
  readonly commitIdentifier: bigint;
  readonly commitKind: string;
}

export const metaOf = (s: Snapshot): SnapshotMeta => ({
  id: s.id,
  commitUser: s.commitUser,
  commitIdentifier: s.commitIdentifier,
  commitKind: s.commitKind,
});

/**
 * Checkpoints of `user` landed at snapshot `at`, from the retained snapshots: the identifier of the
 * user's last checkpoint commit at or before `at`; else one less than its first one after `at`; else
 * undefined (all of the user's snapshots were expired, or it never committed).
 */
export function landedAt(metas: readonly SnapshotMeta[], user: string, at: number): number | undefined {
  let before: number | undefined;
  let after: number | undefined;
  for (const m of metas) {
    if (m.commitUser !== user || !isCheckpointKind(m.commitKind)) continue;
    const ident = Number(m.commitIdentifier);
    if (m.id <= at) before = before === undefined ? ident : Math.max(before, ident);
    else after = after === undefined ? ident : Math.min(after, ident);
  }
  if (before !== undefined) return before;
  if (after !== undefined) return after - 1;
  return undefined;
}

/**
 * Exactly-once in the snapshot chain: each user's checkpoint identifiers (APPEND and OVERWRITE) are
 * 1, 2, 3… in snapshot order, each exactly once (a prefix may be expired). Returns the problems found.
 */
export function checkCheckpointIdentifiers(metas: readonly SnapshotMeta[], users: readonly string[]): string[] {
  const problems: string[] = [];
  for (const u of users) {
    const idents = metas
      .filter((m) => m.commitUser === u && isCheckpointKind(m.commitKind))
      .sort((a, b) => a.id - b.id)
      .map((m) => ({ id: m.id, ident: Number(m.commitIdentifier) }));
    for (let i = 1; i < idents.length; i++) {
      if (idents[i].ident !== idents[i - 1].ident + 1) {
        problems.push(
          `${u}: snapshot ${idents[i].id} has identifier ${idents[i].ident} after snapshot ${idents[i - 1].id} with ${idents[i - 1].ident}` +
            (idents[i].ident === idents[i - 1].ident ? ' (the same checkpoint committed twice)' : ''),
        );
      }
    }
  }
  return problems;
}

export interface WriterSpec {
  readonly w: number;
  readonly table: typeof KV_TABLE | typeof LOG_TABLE | typeof RACE_TABLE;
}

/**
 * Compares the rows of one table at one snapshot with the model. For each writer it infers how
 * many checkpoints are visible (the model must equal the rows for exactly one prefix: atomic
 * checkpoints, in order, no duplicates) and, when the snapshot chain knows it, requires that count.
 * Returns the inferred counts and the problems found.
 */
export function compareWithModel(
  model: KvModel,
  table: typeof KV_TABLE | typeof LOG_TABLE,
  rows: readonly Record<string, unknown>[],
  writers: readonly WriterSpec[],
  expected: ReadonlyMap<number, number | undefined>,
  maxCheckpoint: (w: number) => number,
): { counts: Map<number, number>; problems: string[] } {
  const problems: string[] = [];
  const counts = new Map<number, number>();
  const mine = writers.filter((s) => s.table === table);
  const known = new Set(mine.map((s) => s.w));
  const byWriter = new Map<number, string[]>();
  for (const raw of rows) {
    const w = Number(raw.w);
    if (!known.has(w)) {
      problems.push(
        `${table}: row of unknown writer ${w}: ${JSON.stringify(raw, (_k, v) => (typeof v === 'bigint' ? String(v) : v))}`,
      );
      continue;
    }
    const key = table === KV_TABLE ? kvRowKey(normalizeKv(raw)) : logRowKey(normalizeLog(raw));
    const l = byWriter.get(w);
    if (l) l.push(key);
    else byWriter.set(w, [key]);
  }
  for (const { w } of mine) {
    const actual = (byWriter.get(w) ?? []).sort();
    const dup = actual.find((k, i) => i > 0 && actual[i - 1] === k);
    if (dup) problems.push(`${table}: writer ${w}: row ${dup} appears more than once`);
    const expectRows = (m: number): string[] =>
      table === KV_TABLE
        ? [...model.stateAt(w, m).values()].map(kvRowKey).sort()
        : logRowsAt(model.seed, w, m).map(logRowKey).sort();
    const same = (m: number) => {
      const e = expectRows(m);
      return e.length === actual.length && e.every((x, i) => x === actual[i]);
    };
    const maxCk = actual.reduce((mx, k) => Math.max(mx, Number(k.split('|')[table === KV_TABLE ? 2 : 1])), 0);
    const want = expected.get(w);
    if (want !== undefined) {
      if (!same(want)) {
        problems.push(
          `${table}: writer ${w}: rows differ from the model after checkpoint ${want} (the snapshot chain's count); ` +
            `${actual.length} rows, newest checkpoint in them ${maxCk}`,
        );
      }
      counts.set(w, want);
      continue;
    }
    // Unknown from metadata: the rows must be exactly some prefix 1..m.
    let found: number | undefined;
    for (let m = maxCk; m <= Math.max(maxCk, maxCheckpoint(w)); m++) {
      if (same(m)) {
        found = m;
        break;
      }
    }
    if (found === undefined)
      problems.push(`${table}: writer ${w}: rows are no prefix of its checkpoints (newest ${maxCk})`);
    else counts.set(w, found);
  }
  return { counts, problems };
}

/** Per-key changelog state machine: +I on absent, -U/-D of the current row, +U right after -U. */
export class ChangelogStateMachine {
  /** Current row per key, or 'retracted' between a -U and its +U. */
  readonly state = new Map<string, KvRow | 'retracted'>();
  events = 0;

  apply(kind: RowKindName, row: KvRow): string | undefined {
    this.events++;
    const key = String(row.k);
    const cur = this.state.get(key);
    const show = (r: KvRow | 'retracted' | undefined) =>
      r === undefined ? 'absent' : r === 'retracted' ? 'retracted' : kvRowKey(r);
    switch (kind) {
      case '+I':
        if (cur !== undefined) return `+I ${kvRowKey(row)} but the key is ${show(cur)}`;
        this.state.set(key, row);
        return undefined;
      case '-U':
      case '-D':
        if (cur === undefined || cur === 'retracted' || kvRowKey(cur) !== kvRowKey(row))
          return `${kind} ${kvRowKey(row)} but the key is ${show(cur)}`;
        if (kind === '-U') this.state.set(key, 'retracted');
        else this.state.delete(key);
        return undefined;
      case '+U':
        if (cur !== 'retracted') return `+U ${kvRowKey(row)} without a preceding -U (the key is ${show(cur)})`;
        this.state.set(key, row);
        return undefined;
    }
  }

  rows(): KvRow[] {
    return [...this.state.values()].filter((r): r is KvRow => r !== 'retracted');
  }
}
