/**
 * LanceDB's TypeScript SDK, installed on demand into tools/bench/peers/lancedb (its own npm
 * project: @lancedb/lancedb 0.37.1 is the last release whose engines allow Node 20, and its
 * apache-arrow peer range, <= 18.1.0, excludes the workspace's apache-arrow 21).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as arrow from 'apache-arrow';
import { BENCH_DIR } from './env.ts';

const DIR = path.join(BENCH_DIR, 'peers', 'lancedb');

/** The few LanceDB calls the benchmark makes (typed here: the package is not in the workspace). */
export interface LanceTable {
  mergeInsert(on: string): {
    whenMatchedUpdateAll(): { whenNotMatchedInsertAll(): { execute(data: unknown): Promise<unknown> } };
  };
  query(): LanceQuery;
  checkout(version: number): Promise<void>;
  checkoutLatest(): Promise<void>;
  version(): Promise<number>;
  countRows(): Promise<number>;
  optimize(options?: unknown): Promise<{ compaction: Record<string, number> }>;
  createIndex(column: string, options?: unknown): Promise<void>;
  close(): void;
}
export interface LanceQuery {
  select(columns: string[]): LanceQuery;
  where(predicate: string): LanceQuery;
  toArrow(): Promise<arrow.Table>;
  toArray(): Promise<Record<string, unknown>[]>;
}
export interface LanceConnection {
  createTable(name: string, data: unknown, options?: unknown): Promise<LanceTable>;
  openTable(name: string): Promise<LanceTable>;
  close(): void;
}
export interface Lance {
  connect(uri: string): Promise<LanceConnection>;
  /** LanceDB's own apache-arrow (18.1.0), to build the tables it is given. */
  arrow: typeof arrow;
  version: string;
}

let loaded: Lance | { problem: string } | undefined;

export async function loadLance(): Promise<Lance | { problem: string }> {
  if (loaded) return loaded;
  const [major] = process.versions.node.split('.').map(Number);
  if (major < 18) {
    loaded = { problem: `node ${process.version} < 18` };
    return loaded;
  }
  try {
    if (!existsSync(path.join(DIR, 'node_modules', '@lancedb', 'lancedb', 'package.json'))) {
      console.log('lancedb: installing @lancedb/lancedb into tools/bench/peers/lancedb (npm install) …');
      execFileSync('npm', ['install', '--no-audit', '--no-fund', '--no-package-lock'], {
        cwd: DIR,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    }
    const req = createRequire(path.join(DIR, 'package.json'));
    const lancedb = (await import(pathToFileURL(req.resolve('@lancedb/lancedb')).href)) as Omit<
      Lance,
      'arrow' | 'version'
    >;
    const arrowMod = (await import(pathToFileURL(req.resolve('apache-arrow')).href)) as typeof arrow;
    const version = (
      JSON.parse(readFileSync(path.join(DIR, 'node_modules', '@lancedb', 'lancedb', 'package.json'), 'utf8')) as {
        version: string;
      }
    ).version;
    loaded = { connect: lancedb.connect, arrow: arrowMod, version };
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    loaded = { problem: `LanceDB unavailable: ${err.stderr?.toString().trim().slice(-300) || err.message}` };
  }
  return loaded;
}
