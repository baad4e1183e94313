/**
 * `eddy-compactor`: Paimon's dedicated-compaction mode as a daemon. Compacts the tables of a
 * warehouse, expires their snapshots and removes orphan files; serves /healthz and Prometheus
 * /metrics; logs JSON lines (pino) to stdout. SIGTERM/SIGINT: finish running work (bounded by
 * --shutdown-timeout), exit 0; a second signal abandons running work at once.
 */
import { Catalog } from '@eddy/table';
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

  let catalog: Catalog;
  try {
    catalog = await Catalog.open(config.warehouse);
  } catch (e) {
    log.fatal({ warehouse: config.warehouse, err: (e as Error).message }, 'cannot open the warehouse');
    return 1;
  }

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
