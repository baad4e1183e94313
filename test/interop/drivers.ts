/**
 * The implementations behind one interface: Eddy in-process; Paimon Java, pypaimon and paimon-rust
 * (through pypaimon-rust) as long-lived child processes in their drivers' `serve` mode, built by
 * .ci/interop-setup.sh. All speak canonical rows (canonical.ts).
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { and, Catalog, type DataType, ge, lt, type RowKindName } from '@eddy/table';
import { keyIndexTuning } from '../../packages/table/src/read/key-index.ts';
import { type CanonicalRow, columnTypes, fromEddy, type TableSpec, toEddy, type WriteLine } from './canonical.ts';

export const INTEROP_DIR = path.dirname(fileURLToPath(import.meta.url));
export const WORK_DIR = path.join(INTEROP_DIR, '.work');
const JAVA_DIR = path.join(INTEROP_DIR, 'java', 'target');
const JAVA_20_DIR = path.join(INTEROP_DIR, 'java', 'target-2.0');
const VENV_PYTHON = path.join(INTEROP_DIR, '.venv', 'bin', 'python');
const VENV_PYPAIMON_14 = path.join(INTEROP_DIR, '.venv-pypaimon-1.4', 'bin', 'python');
const PY_DIR = path.join(INTEROP_DIR, 'python');

/**
 * The matrix's implementations: Eddy, Paimon Java 1.4.2 and 2.0 (the same driver built twice),
 * pypaimon 2.1, paimon-rust (through pypaimon-rust 0.4) and the previous pypaimon, 1.4.2.
 */
export type DriverName = 'eddy' | 'java' | 'java-2.0' | 'pypaimon' | 'rust' | 'pypaimon-1.4';
export const DRIVERS: readonly DriverName[] = ['eddy', 'java', 'java-2.0', 'pypaimon', 'rust', 'pypaimon-1.4'];
/** The peers' versions, as installed by .ci/interop-setup.sh (pinned in java/pom.xml and python/requirements.txt). */
export const PEER_VERSIONS: Readonly<Record<Exclude<DriverName, 'eddy'>, string>> = {
  java: 'Paimon Java 1.4.2',
  'java-2.0': 'Paimon Java 2.0.0 (paimon-flink-2.0 jar)',
  pypaimon: 'pypaimon 2.1.0',
  rust: 'paimon-rust (pypaimon-rust 0.4.0)',
  'pypaimon-1.4': 'pypaimon 1.4.2',
};

/** Something an implementation documents it cannot do (its driver exits 3 with "LIMITATION: ..."). */
export class LimitationError extends Error {}

export interface Driver {
  readonly name: DriverName;
  /** Creates the table when absent and writes the lines; returns the snapshot id after each commit. */
  write(warehouse: string, table: string, spec: TableSpec, lines: readonly WriteLine[]): Promise<number[]>;
  /** Batch read (at a snapshot: time travel), rows as printed in canonical JSON. */
  read(warehouse: string, table: string, snapshotId?: number): Promise<Record<string, unknown>[]>;
  /** Reads several snapshots (undefined: the latest) in one request. */
  readMany(
    warehouse: string,
    table: string,
    snapshotIds: readonly (number | undefined)[],
  ): Promise<Record<string, unknown>[][]>;
}

/** Splits the output of a multi-snapshot read at its {"_snapshot": ...} marker lines. */
function splitGroups(rows: Record<string, unknown>[], n: number): Record<string, unknown>[][] {
  if (n === 1) return [rows];
  const groups: Record<string, unknown>[][] = [];
  for (const r of rows) {
    if (Object.keys(r).length === 1 && '_snapshot' in r) groups.push([]);
    else groups[groups.length - 1].push(r);
  }
  if (groups.length !== n) throw new Error(`expected ${n} snapshot groups, got ${groups.length}`);
  return groups;
}

const snapshotArgs = (ids: readonly (number | undefined)[]): string[] =>
  ids.length === 1 && ids[0] === undefined ? [] : ids.map((id) => (id === undefined ? 'latest' : String(id)));

export function setupProblem(): string | undefined {
  const missing: string[] = [];
  if (!existsSync(path.join(JAVA_DIR, 'eddy-interop.jar')) || !existsSync(path.join(JAVA_DIR, 'classpath.txt')))
    missing.push('the Java driver (test/interop/java/target)');
  if (!existsSync(path.join(JAVA_20_DIR, 'eddy-interop.jar')) || !existsSync(path.join(JAVA_20_DIR, 'classpath.txt')))
    missing.push('the Paimon 2.0 Java driver (test/interop/java/target-2.0)');
  if (!existsSync(VENV_PYTHON)) missing.push('the pypaimon / pypaimon-rust virtualenv (test/interop/.venv)');
  if (!existsSync(VENV_PYPAIMON_14)) missing.push('the pypaimon 1.4.2 virtualenv (test/interop/.venv-pypaimon-1.4)');
  return missing.length ? `missing ${missing.join(' and ')}: run \`bash .ci/interop-setup.sh\` first` : undefined;
}

// ---------------------------------------------------------------------------------------------
// Peers as long-lived processes

/**
 * One driver process in `serve` mode: a request is a JSON array of arguments on a stdin line; the
 * reply is the command's stdout up to a `#END {"ok": ...}` line. Requests to one process run one at
 * a time, in order. The process starts on the first request and ends when its stdin closes
 * (closePeers, or this process exiting); one that dies is started again by the next request.
 */
class ServeProcess {
  private child: ChildProcessWithoutNullStreams | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private pending: { lines: string[]; resolve: (out: string) => void; reject: (e: Error) => void } | undefined;
  private stderr: string[] = [];

  constructor(
    readonly label: string,
    private readonly command: () => [string, string[]],
  ) {}

  request(args: readonly string[]): Promise<string> {
    const run = () => this.send(args);
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    return p;
  }

  close(): void {
    this.child?.stdin.end();
    this.child = undefined;
  }

  private start(): ChildProcessWithoutNullStreams {
    const [cmd, args] = this.command();
    const child = spawn(cmd, [...args, 'serve'], {
      env: { ...process.env, TZ: 'UTC', PYTHONUTF8: '1', PYTHONUNBUFFERED: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    createInterface({ input: child.stdout, crlfDelay: Infinity }).on('line', (line) => this.onLine(line));
    createInterface({ input: child.stderr, crlfDelay: Infinity }).on('line', (line) => {
      this.stderr.push(line);
      if (this.stderr.length > 40) this.stderr.shift();
    });
    const died = (why: string) => {
      if (this.child === child) this.child = undefined;
      const p = this.pending;
      this.pending = undefined;
      p?.reject(new Error(`${this.label} driver process ${why}:\n${this.stderr.join('\n')}`));
    };
    child.on('exit', (code, signal) => died(`exited (${signal ?? code})`));
    child.on('error', (e) => died(`failed: ${e.message}`));
    // The suite's process may exit without closePeers: the children then see their stdin close.
    child.unref();
    for (const s of [child.stdin, child.stdout, child.stderr]) (s as unknown as { unref?: () => void }).unref?.();
    return child;
  }

  private send(args: readonly string[]): Promise<string> {
    this.child ??= this.start();
    const child = this.child;
    this.stderr = [];
    return new Promise<string>((resolve, reject) => {
      this.pending = { lines: [], resolve, reject };
      child.stdin.write(`${JSON.stringify(args)}\n`);
    });
  }

  private onLine(line: string): void {
    const p = this.pending;
    if (!p) return;
    if (!line.startsWith('#END ')) {
      p.lines.push(line);
      return;
    }
    this.pending = undefined;
    const status = JSON.parse(line.slice(5)) as { ok: boolean; error?: string; limitation?: string };
    if (status.ok) p.resolve(p.lines.join('\n'));
    else if (status.limitation !== undefined) p.reject(new LimitationError(status.limitation));
    else {
      const trace = (status.error ?? '').split('\n').filter(Boolean);
      // The exception and the driver frames: the head and tail of the trace.
      const shown = trace.length > 30 ? [...trace.slice(0, 12), '...', ...trace.slice(-12)] : trace;
      p.reject(new Error(`${this.label} failed:\n${shown.join('\n')}`));
    }
  }
}

const javaServe = (dir: string) => (): [string, string[]] => {
  const cp = `${path.join(dir, 'eddy-interop.jar')}:${readFileSync(path.join(dir, 'classpath.txt'), 'utf8').trim()}`;
  return [
    'java',
    ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', '-Xss4m', '-Duser.timezone=UTC', '-cp', cp, 'eddy.interop.Interop'],
  ];
};
const javaProcess = new ServeProcess('java', javaServe(JAVA_DIR));
const java20Process = new ServeProcess('java 2.0', javaServe(JAVA_20_DIR));
const pypaimonProcess = new ServeProcess('pypaimon', () => [VENV_PYTHON, [path.join(PY_DIR, 'paimon_interop.py')]]);
const rustProcess = new ServeProcess('paimon-rust', () => [VENV_PYTHON, [path.join(PY_DIR, 'rust_interop.py')]]);
const pypaimon14Process = new ServeProcess('pypaimon 1.4.2', () => [
  VENV_PYPAIMON_14,
  [path.join(PY_DIR, 'paimon_interop.py')],
]);

/** Ends the peer processes (each ends at its end of input). */
export function closePeers(): void {
  for (const p of [javaProcess, java20Process, pypaimonProcess, rustProcess, pypaimon14Process]) p.close();
}

/** A Java driver command (see java/src/main/java/eddy/interop/Interop.java); resolves to its stdout. */
export function javaCommand(args: readonly string[]): Promise<string> {
  return javaProcess.request(args);
}

/** The same Java driver command on Paimon 2.0. */
export function java20Command(args: readonly string[]): Promise<string> {
  return java20Process.request(args);
}

/** A pypaimon driver command (python/paimon_interop.py), on pypaimon 2.1 or 1.4.2. */
export function pythonCommand(args: readonly string[], version: '2.1' | '1.4' = '2.1'): Promise<string> {
  return (version === '2.1' ? pypaimonProcess : pypaimon14Process).request(args);
}

/** A paimon-rust driver command (python/rust_interop.py). */
export function rustCommand(args: readonly string[]): Promise<string> {
  return rustProcess.request(args);
}

function parseLines(out: string): Record<string, unknown>[] {
  return out
    .split('\n')
    .filter((l) => l.trim().length > 0)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

function tempFiles(spec: unknown, lines: readonly unknown[]): { dir: string; spec: string; rows: string } {
  const dir = mkdtempSync(path.join(WORK_DIR, 'io-'));
  const specPath = path.join(dir, 'spec.json');
  const rowsPath = path.join(dir, 'rows.jsonl');
  writeFileSync(specPath, JSON.stringify(spec));
  writeFileSync(rowsPath, lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
  return { dir, spec: specPath, rows: rowsPath };
}

function snapshotIds(out: string): number[] {
  return parseLines(out).map((o) => Number(o.snapshotId));
}

/** A driver over a peer process's write/read commands. */
function peerDriver(name: DriverName, command: (args: readonly string[]) => Promise<string>): Driver {
  const driver: Driver = {
    name,
    async write(warehouse, table, spec, lines) {
      const f = tempFiles(spec, lines);
      try {
        return snapshotIds(await command(['write', warehouse, table, f.spec, f.rows]));
      } finally {
        rmSync(f.dir, { recursive: true, force: true });
      }
    },
    async read(warehouse, table, snapshotId) {
      const args = ['read', warehouse, table];
      if (snapshotId !== undefined) args.push(String(snapshotId));
      return parseLines(await command(args));
    },
    async readMany(warehouse, table, snapshotIds) {
      const out = await command(['read', warehouse, table, ...snapshotArgs(snapshotIds)]);
      return splitGroups(parseLines(out), snapshotIds.length);
    },
  };
  return driver;
}

// ---------------------------------------------------------------------------------------------

/**
 * Every Eddy read of a primary-key table with one integer key (trimmed of partition keys) also
 * reads each row back by key through the in-memory key index and its page cache, and the keys in
 * ranges: whoever wrote the files (Java's parquet-mr pages and page indexes), a lookup must find what
 * the scan read.
 */
async function checkLookups(
  t: Awaited<ReturnType<Catalog['getTable']>>,
  schema: Awaited<ReturnType<Awaited<ReturnType<Catalog['getTable']>>['resolveRead']>>['schema'],
  rows: Record<string, unknown>[],
  at: { snapshotId?: number },
): Promise<void> {
  if (!schema?.isPrimaryKeyTable || schema.trimmedPrimaryKeys.length !== 1 || rows.length === 0) return;
  const k = schema.trimmedPrimaryKeys[0];
  if (!['TINYINT', 'SMALLINT', 'INT', 'BIGINT'].includes(schema.field(k).type.root)) return;
  const pk = schema.primaryKeys;
  const mode = keyIndexTuning.mode;
  keyIndexTuning.mode = 'always';
  try {
    const keys = rows.map((r) => Object.fromEntries(pk.map((c) => [c, r[c]])));
    const got = await t.get(keys, at);
    const same = (a: unknown, b: unknown) => JSON.stringify(a, big) === JSON.stringify(b, big);
    // A table written wrongly (pypaimon 1.4.2's dynamic buckets) can hold a key in two buckets: the
    // scan shows both, a get one of them.
    const byKey = new Map<string, Record<string, unknown>[]>();
    keys.forEach((key, i) => {
      const id = JSON.stringify(key, big);
      byKey.set(id, [...(byKey.get(id) ?? []), rows[i]]);
    });
    rows.forEach((r, i) => {
      const versions = byKey.get(JSON.stringify(keys[i], big))!;
      if (versions.length > 1 ? !versions.some((v) => same(got[i], v)) : !same(got[i], r))
        throw new Error(
          `eddy: get by key ${JSON.stringify(keys[i], big)} read ${JSON.stringify(got[i], big)}, the scan ${JSON.stringify(r, big)}`,
        );
    });
    const values = rows.map((r) => r[k] as number | bigint).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const lo = values[Math.floor(values.length / 3)];
    const hi = values[Math.floor((2 * values.length) / 3)];
    const ranged = await t.toArray({ ...at, where: and(ge(k, lo), lt(k, hi)) });
    const want = rows.filter((r) => (r[k] as number) >= (lo as number) && (r[k] as number) < (hi as number));
    const order = (xs: object[]) => xs.map((x) => JSON.stringify(x, big)).sort();
    if (!same(order(ranged), order(want)))
      throw new Error(`eddy: ${lo} <= ${k} < ${hi} read ${ranged.length} rows, the scan holds ${want.length}`);
  } finally {
    keyIndexTuning.mode = mode;
  }
}

const big = (_: string, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v);

export const eddy: Driver = {
  name: 'eddy',
  async write(warehouse, table, spec, lines) {
    const catalog = await Catalog.open(warehouse);
    const t = await catalog.createTable(table, spec, { ignoreIfExists: true });
    const types = columnTypes(spec);
    const ids: number[] = [];
    const commits = [...new Set(lines.map((l) => l.commit))];
    for (const c of commits) {
      const w = t.newWriter();
      try {
        // Consecutive lines of one kind go in one write call; order is kept (sequence numbers).
        let batch: Record<string, unknown>[] = [];
        let kind: RowKindName = '+I';
        for (const l of lines.filter((x) => x.commit === c)) {
          if (l.kind !== kind && batch.length > 0) {
            await w.write(batch, kind);
            batch = [];
          }
          kind = l.kind;
          batch.push(toEddy(types, l.row));
        }
        if (batch.length > 0) await w.write(batch, kind);
        const r = await w.commit();
        if (!r.snapshot) throw new Error(`eddy: commit ${c} published no snapshot`);
        // The latest snapshot, as the Java driver reports: a writer's own compaction may follow its
        // commit (on deletion-vector tables that is what makes the rows visible).
        ids.push((await t.latestSnapshot())!.id);
      } finally {
        w.close();
      }
    }
    return ids;
  },
  async read(warehouse, table, snapshotId) {
    const t = await (await Catalog.open(warehouse)).getTable(table);
    // Time travel reads in the snapshot's own schema: its columns are the ones to print.
    const at = snapshotId === undefined ? {} : { snapshotId };
    const { schema } = await t.resolveRead(at);
    const types = schema.fields.map((f): [string, DataType] => [f.name, f.type]);
    const rows = await t.toArray(at);
    await checkLookups(t, schema, rows, at);
    return rows.map((r) => fromEddy(types, r));
  },
  async readMany(warehouse, table, snapshotIds) {
    const out: Record<string, unknown>[][] = [];
    for (const id of snapshotIds) out.push(await eddy.read(warehouse, table, id));
    return out;
  },
};

export const java = peerDriver('java', javaCommand);
export const java20 = peerDriver('java-2.0', java20Command);
export const pypaimon = peerDriver('pypaimon', pythonCommand);
export const rust = peerDriver('rust', rustCommand);
export const pypaimon14 = peerDriver('pypaimon-1.4', (args) => pythonCommand(args, '1.4'));

export const DRIVER: Readonly<Record<DriverName, Driver>> = {
  eddy,
  java,
  'java-2.0': java20,
  pypaimon,
  rust,
  'pypaimon-1.4': pypaimon14,
};

export interface BucketJob {
  readonly spec: TableSpec;
  readonly rows: readonly CanonicalRow[];
}

/**
 * Paimon's bucket for each key row of each job, computed by Java's (or pypaimon's) own
 * RowKeyExtractor for a table made from the job's spec; `{ error }` where pypaimon refused a job.
 */
export async function externalBuckets(
  driver: 'java' | 'pypaimon' | 'pypaimon-1.4',
  jobs: readonly BucketJob[],
): Promise<(number[] | { error: string })[]> {
  const dir = mkdtempSync(path.join(WORK_DIR, 'bucket-'));
  try {
    const file = path.join(dir, 'jobs.json');
    writeFileSync(file, JSON.stringify(jobs));
    const args = ['buckets', file];
    const out =
      driver === 'java' ? await javaCommand(args) : await pythonCommand(args, driver === 'pypaimon' ? '2.1' : '1.4');
    return parseLines(out) as unknown as (number[] | { error: string })[];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
