/**
 * The machine, the peers' installation, and child processes (timed as whole processes).
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_DIR = path.resolve(BENCH_DIR, '..', '..');
export const CACHE_DIR = path.join(BENCH_DIR, '.cache');
const INTEROP = path.join(REPO_DIR, 'test', 'interop');
const JAVA_TARGET = path.join(INTEROP, 'java', 'target');
export const PYTHON = path.join(INTEROP, '.venv', 'bin', 'python');
const JAVA_SRC = path.join(BENCH_DIR, 'peers', 'java', 'PaimonBench.java');
const JAVA_CLASSES = path.join(CACHE_DIR, 'java');
const PY_SCRIPT = path.join(BENCH_DIR, 'peers', 'pypaimon_bench.py');

export type PeerName = 'java' | 'pypaimon' | 'duckdb' | 'lancedb' | 'flink';
export const ALL_PEERS: readonly PeerName[] = ['java', 'pypaimon', 'duckdb', 'lancedb', 'flink'];

// ---------------------------------------------------------------------------------------------
// Load average, sampled through the run (the machine is shared: timings are noisy).

export class LoadSampler {
  private readonly samples: number[] = [];
  private timer: NodeJS.Timeout | undefined;
  start(): void {
    this.samples.push(loadavg()[0]);
    this.timer = setInterval(() => this.samples.push(loadavg()[0]), 5000);
    this.timer.unref();
  }
  stop(): { min: number; mean: number; max: number; samples: number } {
    if (this.timer) clearInterval(this.timer);
    this.samples.push(loadavg()[0]);
    const s = this.samples;
    return {
      min: Math.min(...s),
      mean: s.reduce((a, b) => a + b, 0) / s.length,
      max: Math.max(...s),
      samples: s.length,
    };
  }
}

/** stdout, or stderr when stdout is empty (`java -version` prints there); undefined on failure. */
function tryRun(cmd: string, args: string[]): string | undefined {
  const r = spawnSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.error || r.status !== 0) return undefined;
  return r.stdout.trim() || r.stderr.trim() || undefined;
}

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  os: string;
  node: string;
  java?: string;
  python?: string;
  versions: Record<string, string>;
}

export function describeMachine(): Machine {
  const java = tryRun('java', ['-version'])?.split('\n')[0];
  const python = existsSync(PYTHON) ? tryRun(PYTHON, ['--version']) : undefined;
  let os = `${process.platform} ${process.arch}`;
  try {
    const rel = readFileSync('/etc/os-release', 'utf8').match(/^PRETTY_NAME="?([^"\n]*)"?/m);
    if (rel) os = `${rel[1]} (${process.arch})`;
  } catch {
    // not Linux
  }
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? '?',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    os,
    node: process.version,
    java,
    python,
    versions: {},
  };
}

export function machineLine(m: Machine): string {
  return `${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB RAM, ${m.os}, node ${m.node}${m.java ? `, ${m.java}` : ''}${m.python ? `, ${m.python}` : ''}`;
}

// ---------------------------------------------------------------------------------------------
// Child processes

export interface ChildResult<T> {
  out: T;
  /** Date.now() just before the spawn (children report epoch times against it). */
  spawnEpochMs: number;
  /** Whole process, spawn to exit. */
  wallMs: number;
}

export function runChild<T>(
  cmd: string,
  args: readonly string[],
  what: string,
  timeoutMs = 30 * 60_000,
): Promise<ChildResult<T>> {
  return new Promise((resolve, reject) => {
    const spawnEpochMs = Date.now();
    const t0 = performance.now();
    const child = spawn(cmd, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, TZ: 'UTC', PYTHONUTF8: '1' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (stderr.length > 1 << 20) stderr = stderr.slice(-(1 << 19));
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const wallMs = performance.now() - t0;
      const last = stdout.trim().split('\n').pop() ?? '';
      if (code === 0 && last.startsWith('{')) {
        resolve({ out: JSON.parse(last) as T, spawnEpochMs, wallMs });
        return;
      }
      const tail = stderr.split('\n').filter(Boolean).slice(-15).join('\n');
      reject(new Error(`${what} failed (exit ${code ?? signal}):\n${tail || last}`));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Peers: the interop setup (Paimon Java driver classpath, pypaimon venv), the Java peer compiled
// once into .cache, LanceDB in its own npm project (its apache-arrow peer range excludes Eddy's).

let setupDone: string | undefined | null = null;

/** Runs .ci/interop-setup.sh once (idempotent; builds the Java driver, installs pypaimon). */
export function interopSetup(): string | undefined {
  if (setupDone !== null) return setupDone;
  try {
    execFileSync('bash', [path.join(REPO_DIR, '.ci', 'interop-setup.sh')], { stdio: ['ignore', 'pipe', 'pipe'] });
    setupDone = undefined;
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    setupDone = `interop setup failed: ${err.stderr?.toString().trim().split('\n').slice(-3).join(' ') || err.message}`;
  }
  return setupDone;
}

/**
 * The Flink peer (test/flink: PyFlink 2.0 with the Paimon connector): runs `.ci/flink-setup.sh`
 * (idempotent; installs on first use), or says why it is unavailable.
 */
export function flinkPeer(): string | undefined {
  try {
    execFileSync('bash', [path.join(REPO_DIR, '.ci', 'flink-setup.sh')], { stdio: ['ignore', 'pipe', 'pipe'] });
    return undefined;
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    return `flink setup failed: ${err.stderr?.toString().trim().split('\n').slice(-3).join(' ') || err.message}`;
  }
}

let javaCp: string | undefined;

/** The Java peer's classpath (compiling PaimonBench.java when it changed), or a reason it is unavailable. */
export function javaPeer(): { cp: string } | { problem: string } {
  if (javaCp) return { cp: javaCp };
  const problem = interopSetup();
  if (problem) return { problem };
  const jar = path.join(JAVA_TARGET, 'eddy-interop.jar');
  const deps = readFileSync(path.join(JAVA_TARGET, 'classpath.txt'), 'utf8').trim();
  const cp = `${jar}:${deps}`;
  const cls = path.join(JAVA_CLASSES, 'PaimonBench.class');
  if (!existsSync(cls) || statSync(cls).mtimeMs < statSync(JAVA_SRC).mtimeMs) {
    mkdirSync(JAVA_CLASSES, { recursive: true });
    try {
      execFileSync('javac', ['-nowarn', '-cp', cp, '-d', JAVA_CLASSES, JAVA_SRC], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (e) {
      return { problem: `javac failed: ${(e as { stderr?: Buffer }).stderr?.toString().slice(0, 500)}` };
    }
  }
  javaCp = `${JAVA_CLASSES}:${cp}`;
  return { cp: javaCp };
}

/** Runs the Java peer with the JVM's default flags (G1, C2; what a Paimon job gets). */
export function runJava<T>(args: readonly (string | number)[]): Promise<ChildResult<T>> {
  const p = javaPeer();
  if ('problem' in p) throw new Error(p.problem);
  return runChild<T>(
    'java',
    ['-Duser.timezone=UTC', '-cp', p.cp, 'PaimonBench', ...args.map(String)],
    `java ${args[0]}`,
  );
}

/** Runs one Eddy operation in a fresh Node process (bin/child.js: tsx, like `npm run bench`). */
export function runEddy<T>(args: readonly (string | number)[]): Promise<ChildResult<T>> {
  return runChild<T>(
    process.execPath,
    [path.join(BENCH_DIR, 'bin', 'child.js'), ...args.map(String)],
    `eddy ${args[0]}`,
  );
}

let bundle: Promise<string | undefined> | undefined;

/**
 * The child (src/child.ts with @eddy/table's sources) bundled once per run into plain JavaScript by
 * esbuild — the transpiler tsx uses — with every npm package left external: Eddy as an application
 * ships it. Running it needs no TypeScript loader, whose thread and transpiled sources add about
 * 50 MB to a process's RSS (bin/child.js). Undefined when esbuild is unavailable.
 */
function childBundle(): Promise<string | undefined> {
  bundle ??= (async () => {
    try {
      const esbuild = await import('esbuild');
      const dir = path.join(CACHE_DIR, 'child');
      const out = path.join(dir, 'child.mjs');
      await esbuild.build({
        entryPoints: [path.join(BENCH_DIR, 'src', 'child-entry.ts')],
        outfile: out,
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node20',
        conditions: ['@eddy/source'],
        logLevel: 'silent',
        plugins: [
          {
            name: 'npm-external',
            setup(b) {
              b.onResolve({ filter: /^[^./]/ }, (a) =>
                a.path.startsWith('@eddy/table') ? undefined : { path: a.path, external: true },
              );
            },
          },
        ],
      });
      // The Parquet worker is loaded by URL next to the module that starts it.
      copyFileSync(
        path.join(REPO_DIR, 'packages', 'table', 'src', 'format', 'parquet-worker.cjs'),
        path.join(dir, 'parquet-worker.cjs'),
      );
      return out;
    } catch (e) {
      console.warn(`  (bundling the Eddy child failed, using tsx: ${(e as Error).message})`);
      return undefined;
    }
  })();
  return bundle;
}

/**
 * runEddy through the bundled child (plain JavaScript, no tsx; see childBundle): what the memory
 * and compaction suites use for a process's peak RSS and time. Falls back to bin/child.js.
 */
export async function runEddyBundled<T>(args: readonly (string | number)[]): Promise<ChildResult<T>> {
  const js = await childBundle();
  if (!js) return runEddy<T>(args);
  return runChild<T>(process.execPath, [js, ...args.map(String)], `eddy ${args[0]}`);
}

export function pythonPeer(): string | undefined {
  const problem = interopSetup();
  if (problem) return problem;
  return existsSync(PYTHON) ? undefined : 'test/interop/.venv missing';
}

export function runPython<T>(args: readonly (string | number)[]): Promise<ChildResult<T>> {
  return runChild<T>(PYTHON, [PY_SCRIPT, ...args.map(String)], `pypaimon ${args[0]}`);
}

export function pythonVersions(): Record<string, string> {
  const out = tryRun(PYTHON, [
    '-c',
    'import importlib.metadata as m, json; print(json.dumps({k: m.version(k) for k in ["pypaimon", "pyarrow"]}))',
  ]);
  try {
    return out ? (JSON.parse(out) as Record<string, string>) : {};
  } catch {
    return {};
  }
}
