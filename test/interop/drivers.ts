/**
 * The three implementations behind one interface: Eddy in-process, Paimon Java and pypaimon as
 * child processes (built by .ci/interop-setup.sh). All speak canonical rows (canonical.ts).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Catalog, type DataType, type RowKindName } from '@eddy/table';
import { type CanonicalRow, columnTypes, fromEddy, type TableSpec, toEddy, type WriteLine } from './canonical.ts';

export const INTEROP_DIR = path.dirname(fileURLToPath(import.meta.url));
export const WORK_DIR = path.join(INTEROP_DIR, '.work');
const JAVA_DIR = path.join(INTEROP_DIR, 'java', 'target');
const PYTHON = path.join(INTEROP_DIR, '.venv', 'bin', 'python');
const PY_SCRIPT = path.join(INTEROP_DIR, 'python', 'paimon_interop.py');

export type DriverName = 'eddy' | 'java' | 'pypaimon';
export const DRIVERS: readonly DriverName[] = ['eddy', 'java', 'pypaimon'];

/** Something an implementation documents it cannot do (pypaimon exits 3 with "LIMITATION: ..."). */
export class LimitationError extends Error {}

export interface Driver {
  readonly name: DriverName;
  /** Creates the table when absent and writes the lines; returns the snapshot id after each commit. */
  write(warehouse: string, table: string, spec: TableSpec, lines: readonly WriteLine[]): Promise<number[]>;
  /** Batch read (at a snapshot: time travel), rows as printed in canonical JSON. */
  read(warehouse: string, table: string, snapshotId?: number): Promise<Record<string, unknown>[]>;
  /** Reads several snapshots (undefined: the latest) in one go (one process for Java and pypaimon). */
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
  if (!existsSync(PYTHON)) missing.push('the pypaimon virtualenv (test/interop/.venv)');
  return missing.length ? `missing ${missing.join(' and ')}: run \`bash .ci/interop-setup.sh\` first` : undefined;
}

function run(cmd: string, args: readonly string[], what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      cmd,
      args,
      { maxBuffer: 1 << 28, encoding: 'utf8', env: { ...process.env, TZ: 'UTC', PYTHONUTF8: '1' } },
      (err, stdout, stderr) => {
        if (!err) return resolve(stdout);
        const code = (err as { code?: unknown }).code;
        const limitation = /^LIMITATION: (.*)$/m.exec(stderr);
        if (code === 3 && limitation) return reject(new LimitationError(limitation[1]));
        const tail = stderr.split('\n').filter(Boolean).slice(-25).join('\n');
        reject(new Error(`${what} failed (exit ${String(code)}):\n${tail}`));
      },
    );
  });
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

// ---------------------------------------------------------------------------------------------

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
        ids.push(r.snapshot.id);
      } finally {
        w.close();
      }
    }
    return ids;
  },
  async read(warehouse, table, snapshotId) {
    const t = await (await Catalog.open(warehouse)).getTable(table);
    const types = t.schema.fields.map((f): [string, DataType] => [f.name, f.type]);
    return (await t.toArray(snapshotId === undefined ? {} : { snapshotId })).map((r) => fromEddy(types, r));
  },
  async readMany(warehouse, table, snapshotIds) {
    const out: Record<string, unknown>[][] = [];
    for (const id of snapshotIds) out.push(await eddy.read(warehouse, table, id));
    return out;
  },
};

// ---------------------------------------------------------------------------------------------

let javaClasspath: string | undefined;

function javaArgs(args: readonly string[]): string[] {
  javaClasspath ??= `${path.join(JAVA_DIR, 'eddy-interop.jar')}:${readFileSync(path.join(JAVA_DIR, 'classpath.txt'), 'utf8').trim()}`;
  return [
    '-XX:TieredStopAtLevel=1',
    '-XX:+UseSerialGC',
    '-Xss4m',
    '-Duser.timezone=UTC',
    '-cp',
    javaClasspath,
    'eddy.interop.Interop',
    ...args,
  ];
}

export function javaCommand(args: readonly string[]): Promise<string> {
  return run('java', javaArgs(args), `java ${args[0]}`);
}

export const java: Driver = {
  name: 'java',
  async write(warehouse, table, spec, lines) {
    const f = tempFiles(spec, lines);
    try {
      return snapshotIds(await javaCommand(['write', warehouse, table, f.spec, f.rows]));
    } finally {
      rmSync(f.dir, { recursive: true, force: true });
    }
  },
  async read(warehouse, table, snapshotId) {
    const args = ['read', warehouse, table];
    if (snapshotId !== undefined) args.push(String(snapshotId));
    return parseLines(await javaCommand(args));
  },
  async readMany(warehouse, table, snapshotIds) {
    const out = await javaCommand(['read', warehouse, table, ...snapshotArgs(snapshotIds)]);
    return splitGroups(parseLines(out), snapshotIds.length);
  },
};

// ---------------------------------------------------------------------------------------------

export function pythonCommand(args: readonly string[]): Promise<string> {
  return run(PYTHON, [PY_SCRIPT, ...args], `pypaimon ${args[0]}`);
}

export const pypaimon: Driver = {
  name: 'pypaimon',
  async write(warehouse, table, spec, lines) {
    const f = tempFiles(spec, lines);
    try {
      return snapshotIds(await pythonCommand(['write', warehouse, table, f.spec, f.rows]));
    } finally {
      rmSync(f.dir, { recursive: true, force: true });
    }
  },
  async read(warehouse, table, snapshotId) {
    const args = ['read', warehouse, table];
    if (snapshotId !== undefined) args.push(String(snapshotId));
    return parseLines(await pythonCommand(args));
  },
  async readMany(warehouse, table, snapshotIds) {
    const out = await pythonCommand(['read', warehouse, table, ...snapshotArgs(snapshotIds)]);
    return splitGroups(parseLines(out), snapshotIds.length);
  },
};

export const DRIVER: Readonly<Record<DriverName, Driver>> = { eddy, java, pypaimon };

export interface BucketJob {
  readonly spec: TableSpec;
  readonly rows: readonly CanonicalRow[];
}

/**
 * Paimon's bucket for each key row of each job, computed by Java's (or pypaimon's) own
 * RowKeyExtractor for a table made from the job's spec; `{ error }` where pypaimon refused a job.
 */
export async function externalBuckets(
  driver: 'java' | 'pypaimon',
  jobs: readonly BucketJob[],
): Promise<(number[] | { error: string })[]> {
  const dir = mkdtempSync(path.join(WORK_DIR, 'bucket-'));
  try {
    const file = path.join(dir, 'jobs.json');
    writeFileSync(file, JSON.stringify(jobs));
    const cmd = driver === 'java' ? javaCommand : pythonCommand;
    return parseLines(await cmd(['buckets', file])) as unknown as (number[] | { error: string })[];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
