/**
 * `npm run bench -- [suite ...] [flags]`: Eddy against its peers (Paimon Java, pypaimon, DuckDB,
 * LanceDB; Flink in the feed suite), each workload measured for every system in the same run. See tools/bench/README.md.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { Ctx, type Params } from './context.ts';
import { runCore } from './core.ts';
import {
  ALL_PEERS,
  describeMachine,
  LoadSampler,
  machineLine,
  type PeerName,
  pythonVersions,
  REPO_DIR,
} from './env.ts';
import { printWorkload, type Report, ratioTable, type Workload, writeReport } from './report.ts';
import { cliSuite } from './suites/cli.ts';
import { compactionSuite } from './suites/compaction.ts';
import { feedSuite } from './suites/feed.ts';
import { ingestSuite } from './suites/ingest.ts';
import { memorySuite } from './suites/memory.ts';
import { pointSuite } from './suites/point.ts';
import { scanSuite } from './suites/scan.ts';
import { sqlSuite } from './suites/sql.ts';
import { streamSuite } from './suites/stream.ts';

const SUITES = {
  ingest: ingestSuite,
  scan: scanSuite,
  compaction: compactionSuite,
  point: pointSuite,
  feed: feedSuite,
  memory: memorySuite,
  cli: cliSuite,
  sql: sqlSuite,
  stream: streamSuite,
} as const;
type SuiteName = keyof typeof SUITES;
const ORDER: readonly (SuiteName | 'core')[] = [
  'core',
  'ingest',
  'scan',
  'compaction',
  'point',
  'sql',
  'feed',
  'stream',
  'memory',
  'cli',
];

const USAGE = `usage: npm run bench -- [suite ...] [flags]
suites: core ingest scan point compaction sql feed stream memory cli all (default: all; with --smoke: all, small, no
        Java/pypaimon/LanceDB unless --peers names them)
flags:  --rows N (1000000)  --rounds R (5)  --update-rows U (rows/5)  --buckets B (4)
        --repeat K (2: warm scan repetitions, best of)  --point-queries Q (20)  --range-width W (1000)
        --point-target-file-size LIST ("default,1 mb")  --feed-commits C (1000)  --feed-rows P (10)  --poll-ms T (200)
        --stream-writers N (4)  --stream-rate R (5 commits/s per writer)  --stream-rows P (100)
        --stream-seconds S (600; 20 with --smoke)  --stream-options "k=v,k=v" (table options)
        --stream-warehouse URI (s3://bucket/prefix: the stream suite on S3; default the local work directory)
        --stream-expire-grace S (5: seconds the compactor keeps files of expired snapshots for readers in flight)
        --mem-rows N (1000000)  --mem-buckets LIST (1,16,256)  --write-buffer S ("64 mb")  --mem-chunk N (10000)
        --peers LIST (java,pypaimon,duckdb,lancedb,flink; "none" for Eddy alone)  --out DIR  --keep  --smoke`;

export async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      rows: { type: 'string' },
      rounds: { type: 'string' },
      'update-rows': { type: 'string' },
      buckets: { type: 'string' },
      repeat: { type: 'string' },
      'point-queries': { type: 'string' },
      'range-width': { type: 'string' },
      'point-target-file-size': { type: 'string' },
      'feed-commits': { type: 'string' },
      'feed-rows': { type: 'string' },
      'poll-ms': { type: 'string' },
      'stream-writers': { type: 'string' },
      'stream-rate': { type: 'string' },
      'stream-rows': { type: 'string' },
      'stream-seconds': { type: 'string' },
      'stream-options': { type: 'string' },
      'stream-warehouse': { type: 'string' },
      'stream-expire-grace': { type: 'string' },
      'mem-rows': { type: 'string' },
      'mem-buckets': { type: 'string' },
      'write-buffer': { type: 'string' },
      'mem-chunk': { type: 'string' },
      peers: { type: 'string' },
      out: { type: 'string' },
      keep: { type: 'boolean', default: false },
      smoke: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const smoke = values.smoke;
  const requested = positionals.length === 0 ? ['all'] : positionals;
  for (const s of requested) {
    if (s !== 'all' && !ORDER.includes(s as SuiteName)) throw new Error(`unknown suite '${s}'\n${USAGE}`);
  }
  const suites = ORDER.filter((s) => requested.includes('all') || requested.includes(s));
  const num = (v: string | undefined, d: number) => (v === undefined ? d : Number(v));
  const rows = num(values.rows, 1_000_000);
  const rounds = num(values.rounds, 5);
  const p: Params = {
    rows,
    rounds,
    updateRows: num(values['update-rows'], Math.max(1, Math.floor(rows / 5))),
    buckets: num(values.buckets, 4),
    repeat: num(values.repeat, smoke ? 1 : 2),
    pointQueries: num(values['point-queries'], smoke ? 5 : 20),
    rangeWidth: Math.min(num(values['range-width'], 1000), Math.floor(rows / 10)),
    pointTargetFileSizes: (values['point-target-file-size'] ?? 'default,1 mb').split(',').map((x) => x.trim()),
    feedCommits: num(values['feed-commits'], smoke ? 30 : 1000),
    feedRowsPerCommit: num(values['feed-rows'], 10),
    pollMs: num(values['poll-ms'], 200),
    streamWriters: num(values['stream-writers'], 4),
    streamRate: num(values['stream-rate'], 5),
    streamRows: num(values['stream-rows'], 100),
    streamSeconds: num(values['stream-seconds'], smoke ? 20 : 600),
    streamOptions: values['stream-options'] ?? '',
    streamWarehouse: values['stream-warehouse'],
    streamExpireGraceMs: num(values['stream-expire-grace'], 5) * 1000,
    memRows: num(values['mem-rows'], smoke ? rows : 1_000_000),
    memBuckets: (values['mem-buckets'] ?? (smoke ? '1,16' : '1,16,256')).split(',').map(Number),
    writeBuffer: values['write-buffer'] ?? '64 mb',
    memChunk: num(values['mem-chunk'], 10_000),
    smoke,
  };
  const peerList =
    values.peers === undefined
      ? smoke
        ? ['duckdb']
        : [...ALL_PEERS]
      : values.peers === 'none'
        ? []
        : values.peers.split(',');
  for (const x of peerList) if (!ALL_PEERS.includes(x as PeerName)) throw new Error(`unknown peer '${x}'\n${USAGE}`);
  const peers = new Set(peerList as PeerName[]);
  const out = values.out ?? path.join(REPO_DIR, 'bench', 'results', suites.length === ORDER.length ? '' : 'tmp');

  const t0 = performance.now();
  const load = new LoadSampler();
  load.start();
  const machine = describeMachine();
  console.log(`machine: ${machineLine(machine)}`);
  console.log(`suites: ${suites.join(', ')}; peers: ${[...peers].join(', ') || 'none'}`);

  if (suites.includes('core')) {
    console.log('\n## core');
    await runCore({
      rows,
      rounds,
      updateRows: values['update-rows'] ? p.updateRows : undefined,
      smoke,
      out: values.out ?? path.join(REPO_DIR, 'bench', 'results'),
    });
  }
  const rest = suites.filter((s): s is SuiteName => s !== 'core');
  if (rest.length === 0) return;

  const work = mkdtempSync(path.join(tmpdir(), 'eddy-bench-peers-'));
  const workloads: Workload[] = [];
  try {
    const ctx = new Ctx(work, p, peers);
    await ctx.init();
    for (const [peer, why] of ctx.unavailable) console.log(`peer ${peer} unavailable: ${why}`);
    machine.versions = { ...ctx.versions };
    if (ctx.has('java')) machine.versions['Paimon Java'] = '1.4.2 (paimon-bundle, interop driver classpath)';
    if (ctx.has('pypaimon')) {
      const v = pythonVersions();
      machine.versions.pypaimon = `${v.pypaimon ?? '?'} (pyarrow ${v.pyarrow ?? '?'})`;
    }
    if (ctx.has('duckdb')) {
      const { version } = await import('@duckdb/node-api');
      machine.versions.DuckDB = `@duckdb/node-api (DuckDB ${version()})`;
    }
    for (const s of rest) {
      console.log(`\n## ${s}`);
      const ts = performance.now();
      const w = await SUITES[s](ctx);
      w.seconds = (performance.now() - ts) / 1000;
      workloads.push(w);
      printWorkload(w);
      // The later suites need only the tables: free the generated rows before the child processes.
      if (
        s === 'sql' ||
        (s === 'point' && !rest.includes('sql')) ||
        (s === 'compaction' && !rest.includes('point') && !rest.includes('sql'))
      )
        ctx.dropRows();
    }
  } finally {
    if (values.keep) console.log(`work directory kept: ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
  const seconds = (performance.now() - t0) / 1000;
  const report: Report = {
    date: new Date().toISOString(),
    machine,
    load: load.stop(),
    params: { ...p, peers: [...peers] },
    workloads,
    seconds,
  };
  console.log(`\n## ratios (Eddy/peer; ↑ higher is better, ↓ lower is better)\n\n${ratioTable(workloads)}`);
  console.log(
    `\nload average (1 min) during the run: min ${report.load.min.toFixed(2)}, mean ${report.load.mean.toFixed(2)}, max ${report.load.max.toFixed(2)}; ${(seconds / 60).toFixed(1)} min`,
  );
  if (!smoke) {
    writeReport(out, report);
    console.log(`results: ${path.relative(process.cwd(), out) || '.'}/peers.{md,json} and one SVG per workload`);
  }
}
