/** Shared pieces of the Flink cells: warehouses, the eddy CLI, row comparison. */
import { execFile } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { DataType, Table } from '@eddy/table';
import { expect } from 'vitest';
import {
  type CanonicalRow,
  columnTypes,
  describeDiff,
  firstDiff,
  fromEddy,
  normalize,
  type TableSpec,
} from '../interop/canonical.ts';
import { canonicalFromFlink, type FlinkRow, REPO_DIR, WORK_DIR } from './driver.ts';

const run = promisify(execFile);

/** A fresh warehouse folder for one cell (kept after the run for inspection, replaced by the next). */
export function freshWarehouse(name: string): string {
  const dir = path.join(WORK_DIR, 'wh', name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Runs the `eddy` CLI; its stdout (JSON when `--json` is among the args). */
export async function eddyCli(warehouse: string, ...args: string[]): Promise<string> {
  const bin = path.join(REPO_DIR, 'tools/cli/bin/eddy.js');
  try {
    const { stdout } = await run(process.execPath, [bin, '--warehouse', warehouse, ...args], {
      cwd: REPO_DIR,
      maxBuffer: 64 << 20,
    });
    return stdout;
  } catch (e) {
    const err = e as { stderr?: string; code?: number };
    throw new Error(`eddy ${args.join(' ')} failed (exit ${err.code}): ${err.stderr}`);
  }
}

/** The column types of a table (for canonical conversion). */
export function typesOf(table: Table): [string, DataType][] {
  return table.schema.fields.map((f) => [f.name, f.type]);
}

export function specTypes(spec: TableSpec): [string, DataType][] {
  return columnTypes(spec);
}

export async function eddyRows(table: Table, snapshotId?: number): Promise<CanonicalRow[]> {
  const types = typesOf(table);
  return (await table.toArray(snapshotId === undefined ? {} : { snapshotId })).map((r) => fromEddy(types, r));
}

/** Rows of a batch read (all +I) in canonical form; a retraction in a batch read is a failure. */
export function flinkRows(types: readonly [string, DataType][], rows: readonly FlinkRow[]): CanonicalRow[] {
  return rows.map((r) => {
    expect(r.kind, `a batch read returned a ${r.kind} row: ${JSON.stringify(r.row)}`).toBe('+I');
    return canonicalFromFlink(types, r.row);
  });
}

/** Asserts two row multisets are equal, naming the first difference. */
export function expectSameRows(
  types: readonly [string, DataType][],
  expected: readonly CanonicalRow[],
  actual: readonly CanonicalRow[],
  expectedBy: string,
  actualBy: string,
): void {
  const d = firstDiff(
    expected.map((r) => normalize(types, r)),
    actual.map((r) => normalize(types, r)),
  );
  if (d) expect.fail(describeDiff(d, expectedBy, actualBy));
}

/** A small deterministic PRNG (mulberry32), so every run writes the same rows. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Percentile of a sorted array (nearest rank below). */
export const pct = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;

/** SQL string literal. */
export const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** Dynamic table options as a Flink SQL hint. */
export const hint = (options: Readonly<Record<string, string | number>>) =>
  `/*+ OPTIONS(${Object.entries(options)
    .map(([k, v]) => `${lit(k)} = ${lit(String(v))}`)
    .join(', ')}) */`;

/** Groups change events by key, each key's events in order: the comparison for feeds (per-key order is what both guarantee). */
export function byKey(
  events: readonly { kind: string; row: CanonicalRow }[],
  key: readonly string[],
  types: readonly [string, DataType][],
): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const e of events) {
    const k = JSON.stringify(key.map((c) => e.row[c]));
    const l = out.get(k) ?? [];
    out.set(k, l);
    l.push(`${e.kind} ${normalize(types, e.row)}`);
  }
  return out;
}

/** Asserts two change streams hold the same events per key, in the same order per key. */
export function expectSameChanges(
  types: readonly [string, DataType][],
  key: readonly string[],
  expected: readonly { kind: string; row: CanonicalRow }[],
  actual: readonly { kind: string; row: CanonicalRow }[],
  expectedBy: string,
  actualBy: string,
): void {
  const e = byKey(expected, key, types);
  const a = byKey(actual, key, types);
  for (const k of new Set([...e.keys(), ...a.keys()])) {
    const x = e.get(k) ?? [];
    const y = a.get(k) ?? [];
    if (JSON.stringify(x) !== JSON.stringify(y))
      expect.fail(
        `changes of key ${k} differ (${expected.length} events from ${expectedBy}, ${actual.length} from ${actualBy}):\n` +
          `  ${expectedBy}: ${x.join(' | ') || '<none>'}\n  ${actualBy}: ${y.join(' | ') || '<none>'}`,
      );
  }
  expect(actual.length).toBe(expected.length);
}
