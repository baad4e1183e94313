/**
 * Daemon configuration: defaults < config file (JSON or YAML) < environment < flags.
 */
import { readFileSync } from 'node:fs';
import { durationMillis } from '@eddy/table';
import { parse as parseYaml } from 'yaml';
import { ALL, parseShard, type Shard } from './select.ts';

export interface DaemonConfig {
  /** Warehouse path or URI (`/data/wh`, `file:///…`, `s3://bucket/prefix`). */
  readonly warehouse: string;
  /** Table globs (`db.*`); see select.ts. */
  readonly tables: readonly string[];
  /** Maintenance tasks (one table each) run at once. */
  readonly concurrency: number;
  /** Pause between the end of one round and the start of the next. */
  readonly intervalMs: number;
  readonly shard: Shard;
  /** HTTP address for /healthz and /metrics; port 0 picks a free port (logged); -1 disables HTTP. */
  readonly host: string;
  readonly port: number;
  readonly logLevel: string;
  /** Run snapshot expiry after compaction (the tables' `snapshot.*` options). */
  readonly expire: boolean;
  /** How long files of expired snapshots stay after their snapshot files went (readers in flight). */
  readonly expireGraceMs: number;
  /** How often orphan-file cleanup runs per table; 0 disables it. */
  readonly orphanIntervalMs: number;
  /** Orphan files must be at least this old. */
  readonly orphanOlderThanMs: number;
  /** On SIGTERM/SIGINT, how long to wait for running tasks before aborting them. */
  readonly shutdownTimeoutMs: number;
  /**
   * Most time one table's maintenance (compaction, cleanup, expiry) may take in a round; past it the
   * table is skipped until the next round (logged, `table_budget_exceeded_total`). 0: no limit.
   */
  readonly tableBudgetMs: number;
  /** How long to keep retrying an unreachable warehouse (S3 endpoint) at start before exiting 1. */
  readonly startTimeoutMs: number;
  /** Run one round and exit. */
  readonly once: boolean;
}

export const DEFAULTS: DaemonConfig = {
  warehouse: '',
  tables: ['*.*'],
  concurrency: 2,
  intervalMs: 5_000,
  shard: ALL,
  host: '127.0.0.1',
  port: 9464,
  logLevel: 'info',
  expire: true,
  expireGraceMs: 60_000,
  orphanIntervalMs: 3_600_000,
  orphanOlderThanMs: 86_400_000,
  shutdownTimeoutMs: 30_000,
  tableBudgetMs: 600_000,
  startTimeoutMs: 300_000,
  once: false,
};

/** `500ms`, `5s`, `1m`, `2h`, `1d`; a bare number is seconds. */
export function parseDuration(value: string | number, what: string): number {
  if (typeof value === 'number') {
    if (!(value >= 0)) throw new Error(`${what}: expected a duration ≥ 0, got ${value}`);
    return value * 1000;
  }
  const ms = durationMillis(value, { bareUnit: 's', fractions: true });
  if (ms === undefined) throw new Error(`${what}: cannot parse duration '${value}' (e.g. 500ms, 5s, 1m, 1h)`);
  return ms;
}

function parseInteger(value: string | number, what: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = typeof value === 'number' ? value : /^\s*-?\d+\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new Error(`${what}: expected an integer in [${min}, ${max}], got '${value}'`);
  }
  return n;
}

function parseBool(value: string | boolean, what: string): boolean {
  if (typeof value === 'boolean') return value;
  const s = value.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(s)) return true;
  if (['false', '0', 'no', 'off'].includes(s)) return false;
  throw new Error(`${what}: expected true or false, got '${value}'`);
}

/** Raw settings from one source (flags, env or file): strings, or JSON/YAML scalars. */
export type RawConfig = Partial<Record<keyof DaemonConfig, unknown>>;

const KEYS = new Set<string>(Object.keys(DEFAULTS));
/** Config-file spellings: the field names, plus the flag names in kebab case. */
const ALIASES: Record<string, keyof DaemonConfig> = {
  interval: 'intervalMs',
  'log-level': 'logLevel',
  'expire-grace': 'expireGraceMs',
  expireGrace: 'expireGraceMs',
  'orphan-interval': 'orphanIntervalMs',
  orphanInterval: 'orphanIntervalMs',
  'orphan-older-than': 'orphanOlderThanMs',
  orphanOlderThan: 'orphanOlderThanMs',
  'shutdown-timeout': 'shutdownTimeoutMs',
  shutdownTimeout: 'shutdownTimeoutMs',
  'table-budget': 'tableBudgetMs',
  tableBudget: 'tableBudgetMs',
  'start-timeout': 'startTimeoutMs',
  startTimeout: 'startTimeoutMs',
};

/** Reads a JSON or YAML config file (by extension; otherwise JSON, then YAML). */
export function readConfigFile(path: string): RawConfig {
  const text = readFileSync(path, 'utf8');
  let doc: unknown;
  try {
    doc = /\.ya?ml$/i.test(path) ? parseYaml(text) : JSON.parse(text);
  } catch (e) {
    if (/\.json$/i.test(path)) throw new Error(`--config ${path}: not valid JSON: ${(e as Error).message}`);
    try {
      doc = parseYaml(text);
    } catch (e2) {
      throw new Error(`--config ${path}: neither JSON nor YAML: ${(e2 as Error).message}`);
    }
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new Error(`--config ${path}: expected an object`);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(doc as Record<string, unknown>)) {
    const key = ALIASES[k] ?? k;
    if (!KEYS.has(key)) throw new Error(`--config ${path}: unknown setting '${k}'`);
    // `intervalMs: 5000` means milliseconds; `interval: 5` seconds, like the flag.
    out[key] = k.endsWith('Ms') && typeof v === 'number' ? `${v}ms` : v;
  }
  return out as RawConfig;
}

/** Later sources win; values are validated and converted once here. */
export function resolveConfig(...sources: RawConfig[]): DaemonConfig {
  const raw: RawConfig = {};
  for (const s of sources)
    for (const [k, v] of Object.entries(s)) if (v !== undefined) raw[k as keyof DaemonConfig] = v;
  const str = (k: keyof DaemonConfig) => raw[k] as string | number;
  const has = (k: keyof DaemonConfig) => raw[k] !== undefined;
  const warehouse = has('warehouse') ? String(raw.warehouse) : '';
  if (warehouse === '') throw new Error('a warehouse is required: --warehouse <path|uri> or EDDY_WAREHOUSE');
  const tables = has('tables')
    ? (Array.isArray(raw.tables) ? raw.tables.map(String) : String(raw.tables).split(','))
        .map((t) => t.trim())
        .filter((t) => t.length > 0)
    : DEFAULTS.tables;
  const shard = raw.shard;
  return {
    warehouse,
    tables: tables.length > 0 ? tables : DEFAULTS.tables,
    concurrency: has('concurrency') ? parseInteger(str('concurrency'), '--concurrency', 1, 1024) : DEFAULTS.concurrency,
    intervalMs: has('intervalMs') ? parseDuration(str('intervalMs'), '--interval') : DEFAULTS.intervalMs,
    shard:
      shard === undefined
        ? DEFAULTS.shard
        : typeof shard === 'object' && shard !== null
          ? parseShard(`${(shard as Shard).index}/${(shard as Shard).count}`)
          : parseShard(String(shard)),
    host: has('host') ? String(raw.host) : DEFAULTS.host,
    port: has('port') ? parseInteger(str('port'), '--port', -1, 65535) : DEFAULTS.port,
    logLevel: has('logLevel') ? String(raw.logLevel) : DEFAULTS.logLevel,
    expire: has('expire') ? parseBool(raw.expire as string | boolean, '--expire') : DEFAULTS.expire,
    expireGraceMs: has('expireGraceMs')
      ? parseDuration(str('expireGraceMs'), '--expire-grace')
      : DEFAULTS.expireGraceMs,
    orphanIntervalMs: has('orphanIntervalMs')
      ? parseDuration(str('orphanIntervalMs'), '--orphan-interval')
      : DEFAULTS.orphanIntervalMs,
    orphanOlderThanMs: has('orphanOlderThanMs')
      ? parseDuration(str('orphanOlderThanMs'), '--orphan-older-than')
      : DEFAULTS.orphanOlderThanMs,
    shutdownTimeoutMs: has('shutdownTimeoutMs')
      ? parseDuration(str('shutdownTimeoutMs'), '--shutdown-timeout')
      : DEFAULTS.shutdownTimeoutMs,
    tableBudgetMs: has('tableBudgetMs')
      ? parseDuration(str('tableBudgetMs'), '--table-budget')
      : DEFAULTS.tableBudgetMs,
    startTimeoutMs: has('startTimeoutMs')
      ? parseDuration(str('startTimeoutMs'), '--start-timeout')
      : DEFAULTS.startTimeoutMs,
    once: has('once') ? parseBool(raw.once as string | boolean, '--once') : DEFAULTS.once,
  };
}
