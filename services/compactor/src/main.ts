/**
 * `eddy-compactor`: Paimon's dedicated-compaction mode as a daemon. Compacts the tables of a
 * warehouse, expires their snapshots and removes orphan files; serves /healthz and Prometheus
 * /metrics; logs JSON lines (pino) to stdout. SIGTERM/SIGINT: finish running work (bounded by
 * --shutdown-timeout), exit 0; a second signal abandons running work at once.
 */
import { statSync } from 'node:fs';
import * as nodePath from 'node:path';
import { fileURLToPath } from 'node:url';
import { Catalog, EddyError } from '@eddy/table';
import { Command, CommanderError, Option } from 'commander';
import pino, { type Logger } from 'pino';
import { type DaemonConfig, type RawConfig, readConfigFile, resolveConfig } from './config.ts';
import { CompactorDaemon } from './daemon.ts';
import { startHttp, stopHttp } from './http.ts';
import { Metrics } from './metrics.ts';

/** Flag (commander attribute) → config key. */
const FLAGS: Record<string, keyof DaemonConfig> = {
  warehouse: 'warehouse',
  tables: 'tables',
  concurrency: 'concurrency',
  interval: 'intervalMs',
  shard: 'shard',
  host: 'host',
  port: 'port',
  logLevel: 'logLevel',
  expire: 'expire',
  expireGrace: 'expireGraceMs',
  orphanInterval: 'orphanIntervalMs',
  orphanOlderThan: 'orphanOlderThanMs',
  shutdownTimeout: 'shutdownTimeoutMs',
  tableBudget: 'tableBudgetMs',
  startTimeout: 'startTimeoutMs',
  once: 'once',
};

function program(): Command {
  const opt = (flags: string, help: string, env?: string) => {
    const o = new Option(flags, help);
    return env ? o.env(env) : o;
  };
  return new Command()
    .name('eddy-compactor')
    .description('Compacts, expires and cleans the Eddy (Apache Paimon) tables of a warehouse.')
    .addOption(opt('--warehouse <path|uri>', 'warehouse path, file:// or s3://bucket/prefix', 'EDDY_WAREHOUSE'))
    .addOption(opt('--tables <globs>', "tables to look after, comma-separated globs (default '*.*')", 'EDDY_TABLES'))
    .addOption(opt('--concurrency <n>', 'tables maintained at once (default 2)', 'EDDY_CONCURRENCY'))
    .addOption(opt('--interval <duration>', 'pause between rounds: 500ms, 5s, 1m (default 5s)', 'EDDY_INTERVAL'))
    .addOption(opt('--shard <i/n>', 'take only the tables whose stable hash mod n is i', 'EDDY_SHARD'))
    .addOption(opt('--host <address>', 'HTTP address for /healthz and /metrics (default 127.0.0.1)', 'EDDY_HOST'))
    .addOption(opt('--port <n>', 'HTTP port (default 9464; 0 = any free port, -1 = no HTTP)', 'EDDY_PORT'))
    .addOption(opt('--config <file>', 'JSON or YAML file with these settings (flags and env win)', 'EDDY_CONFIG'))
    .addOption(opt('--log-level <level>', 'trace, debug, info, warn, error (default info)', 'EDDY_LOG_LEVEL'))
    .addOption(opt('--no-expire', 'do not expire snapshots (EDDY_EXPIRE=false)'))
    .addOption(
      opt('--expire-grace <duration>', 'keep files of expired snapshots this long (default 1m)', 'EDDY_EXPIRE_GRACE'),
    )
    .addOption(
      opt(
        '--orphan-interval <duration>',
        'orphan-file cleanup per table every (default 1h; 0 = never)',
        'EDDY_ORPHAN_INTERVAL',
      ),
    )
    .addOption(
      opt(
        '--orphan-older-than <duration>',
        'only remove orphan files older than (default 1d)',
        'EDDY_ORPHAN_OLDER_THAN',
      ),
    )
    .addOption(
      opt(
        '--shutdown-timeout <duration>',
        'on SIGTERM, wait this long for running work (default 30s)',
        'EDDY_SHUTDOWN_TIMEOUT',
      ),
    )
    .addOption(
      opt(
        '--table-budget <duration>',
        "most time one table's maintenance may take per round, then it is skipped (default 10m; 0 = no limit)",
        'EDDY_TABLE_BUDGET',
      ),
    )
    .addOption(
      opt(
        '--start-timeout <duration>',
        'keep retrying an unreachable warehouse at start this long, then exit 1 (default 5m)',
        'EDDY_START_TIMEOUT',
      ),
    )
    .addOption(opt('--once', 'run one round and exit'))
    .exitOverride();
}

/** Settings given by flags or environment (commander tells which), as raw config. */
function fromFlagsAndEnv(cmd: Command): RawConfig {
  const opts = cmd.opts<Record<string, unknown>>();
  const out: RawConfig = {};
  for (const [flag, key] of Object.entries(FLAGS)) {
    const src = cmd.getOptionValueSource(flag);
    if (src === 'cli' || src === 'env') out[key] = opts[flag];
  }
  if (out.expire === undefined && process.env.EDDY_EXPIRE !== undefined) out.expire = process.env.EDDY_EXPIRE;
  return out;
}

/**
 * A local warehouse must exist as a directory: a daemon started on a typo would otherwise create
 * an empty warehouse and idle there, healthy. Undefined when fine (or not local); else the problem.
 */
function localWarehouseProblem(warehouse: string): string | undefined {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(warehouse)?.[1]?.toLowerCase();
  if (scheme !== undefined && scheme !== 'file') return undefined;
  let dir: string;
  try {
    dir = scheme === 'file' ? fileURLToPath(warehouse) : nodePath.resolve(warehouse);
  } catch (e) {
    return `--warehouse ${warehouse}: ${(e as Error).message}`;
  }
  try {
    if (!statSync(dir).isDirectory()) return `--warehouse ${dir} is not a directory`;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? `--warehouse ${dir} does not exist` : `--warehouse ${dir}: ${(e as Error).message}`;
  }
  return undefined;
}

/** Errors that retrying can cure (a storage endpoint down or slow), as opposed to a wrong setting. */
const transient = (e: unknown) =>
  !(e instanceof EddyError) ||
  e.code === 'IO_ERROR' ||
  /ECONNREFUSED|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|socket/i.test(e.message);

/**
 * Opens the warehouse and lists it once, retrying transient failures with exponential back-off
 * (1 s doubling to 30 s, with jitter; S3FileIO retries each request within an attempt too) until `startTimeoutMs`; `stopped` ends the wait early.
 */
async function openWarehouse(
  config: DaemonConfig,
  log: Logger,
  stopped: () => boolean,
): Promise<{ catalog: Catalog } | { exit: number }> {
  const deadline = Date.now() + config.startTimeoutMs;
  for (let attempt = 1; ; attempt++) {
    let catalog: Catalog | undefined;
    try {
      catalog = await Catalog.open(config.warehouse);
      await catalog.listDatabases();
      return { catalog };
    } catch (e) {
      await catalog?.close().catch(() => undefined);
      const err = (e as Error).message;
      if (!transient(e)) {
        log.fatal({ warehouse: config.warehouse, err }, 'cannot open the warehouse');
        return { exit: 2 };
      }
      const delay = Math.min(30_000, 1_000 * 2 ** (attempt - 1)) * (0.75 + Math.random() * 0.5);
      if (Date.now() + delay > deadline) {
        log.fatal({ warehouse: config.warehouse, attempts: attempt, err }, 'warehouse unreachable: giving up');
        return { exit: 1 };
      }
      log.warn(
        { warehouse: config.warehouse, attempt, retryInMs: Math.round(delay), err },
        'warehouse unreachable: retrying',
      );
      const until = Date.now() + delay;
      while (Date.now() < until) {
        if (stopped()) return { exit: 0 };
        await new Promise((r) => setTimeout(r, Math.min(100, until - Date.now())));
      }
    }
  }
}

export async function main(argv: string[]): Promise<number> {
  const cmd = program();
  let config: DaemonConfig;
  try {
    cmd.parse(argv);
    const flags = fromFlagsAndEnv(cmd);
    const file = cmd.opts<{ config?: string }>().config;
    config = resolveConfig(file ? readConfigFile(file) : {}, flags);
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    process.stderr.write(`eddy-compactor: ${(e as Error).message}\n`);
    return 2;
  }
  const problem = localWarehouseProblem(config.warehouse);
  if (problem) {
    process.stderr.write(`eddy-compactor: ${problem}\n`);
    return 2;
  }

  let log: Logger;
  try {
    log = pino(
      {
        level: config.logLevel,
        base: { service: 'eddy-compactor', pid: process.pid },
        timestamp: pino.stdTimeFunctions.isoTime,
        formatters: { level: (label) => ({ level: label }) },
      },
      pino.destination({ fd: 1, sync: true }),
    );
  } catch (e) {
    process.stderr.write(`eddy-compactor: --log-level: ${(e as Error).message}\n`);
    return 2;
  }

  // A signal while the warehouse is still unreachable ends the wait (exit 0).
  let early = 0;
  const onEarlySignal = () => {
    early++;
  };
  process.on('SIGTERM', onEarlySignal);
  process.on('SIGINT', onEarlySignal);
  const opened = await openWarehouse(config, log, () => early > 0);
  process.off('SIGTERM', onEarlySignal);
  process.off('SIGINT', onEarlySignal);
  if ('exit' in opened) return opened.exit;
  const catalog = opened.catalog;

  const metrics = new Metrics();
  const daemon = new CompactorDaemon(catalog, config, log, metrics);
  let http: Awaited<ReturnType<typeof startHttp>> | undefined;
  if (config.port >= 0) {
    try {
      http = await startHttp(config.host, config.port, {
        metrics: () => metrics.render(),
        health: () => ({
          ok: !daemon.isStopping,
          body: {
            status: daemon.isStopping ? 'stopping' : 'ok',
            rounds: daemon.rounds,
            lastRoundEndedAt: daemon.lastRoundEndedAt ? new Date(daemon.lastRoundEndedAt).toISOString() : null,
          },
        }),
      });
    } catch (e) {
      log.fatal({ host: config.host, port: config.port, err: (e as Error).message }, 'cannot listen');
      return 1;
    }
  }

  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    log.info({ signal }, signals === 1 ? 'signal: shutting down' : 'signal again: abandoning running work');
    if (signals === 1) daemon.stop();
    else daemon.abandon();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  log.info(
    {
      warehouse: config.warehouse,
      tables: config.tables,
      concurrency: config.concurrency,
      intervalMs: config.intervalMs,
      shard: `${config.shard.index}/${config.shard.count}`,
      host: http ? config.host : undefined,
      port: http?.port,
      expire: config.expire,
      commitUser: daemon.commitUser,
    },
    'eddy-compactor started',
  );
  daemon.start();
  const outcome = await daemon.exited;
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
  if (http) await stopHttp(http.server);
  log.info({ rounds: daemon.rounds, abandoned: outcome.abandoned }, 'eddy-compactor stopped');
  return outcome.error ? 1 : 0;
}
