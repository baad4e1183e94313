/**
 * The canonical JSONL row format that Eddy, Paimon Java and pypaimon exchange in the interop suite
 * (test/interop/README.md), and the node-side adapter between it and Eddy's public values.
 *
 * | type                               | canonical JSON value                                        |
 * |------------------------------------|-------------------------------------------------------------|
 * | BOOLEAN                            | true / false                                                |
 * | TINYINT, SMALLINT, INT             | number                                                      |
 * | BIGINT                             | string of the decimal integer ("-9223372036854775808")      |
 * | FLOAT, DOUBLE                      | number (the value as a double), or "NaN", "Infinity", "-Infinity", "-0" |
 * | DECIMAL(p, s)                      | plain string with exactly s fraction digits ("-0.50")       |
 * | CHAR, VARCHAR, STRING              | string                                                      |
 * | BINARY, VARBINARY, BYTES           | base64 string                                               |
 * | DATE                               | "YYYY-MM-DD"                                                |
 * | TIMESTAMP(p), TIMESTAMP_LTZ(p)     | "YYYY-MM-DDTHH:MM:SS.ffffff" (always 6 digits, UTC wall clock) |
 * | NULL                               | null                                                        |
 *
 * A line of a writer's input is `{"kind": "+I" | "-U" | "+U" | "-D", "commit": n, "row": {...}}`:
 * lines with the same `commit` go into one commit, commits in order of first appearance.
 */
import { type DataType, parseDataType } from '@eddy/table';

export type CanonicalValue = boolean | number | string | null;
export type CanonicalRow = Record<string, CanonicalValue>;
export type Kind = '+I' | '-U' | '+U' | '-D';

export interface WriteLine {
  readonly kind: Kind;
  readonly commit: number;
  readonly row: CanonicalRow;
}

/** A table definition shared by all drivers (Eddy's SchemaInput with string option values). */
export interface TableSpec {
  readonly columns: Readonly<Record<string, string>>;
  readonly primaryKey?: readonly string[];
  readonly partitionKeys?: readonly string[];
  readonly options?: Readonly<Record<string, string>>;
}

export function columnTypes(spec: TableSpec): [string, DataType][] {
  return Object.entries(spec.columns).map(([n, t]) => [n, parseDataType(t, n)]);
}

// ---------------------------------------------------------------------------------------------
// Timestamps: micros since the epoch <-> "YYYY-MM-DDTHH:MM:SS.ffffff"

const MICROS_PER_DAY = 86_400_000_000n;

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

export function formatMicros(micros: bigint): string {
  const days = floorDiv(micros, MICROS_PER_DAY);
  const inDay = micros - days * MICROS_PER_DAY;
  const d = new Date(Number(days) * 86_400_000);
  const pad = (n: number | bigint, w: number) => String(n).padStart(w, '0');
  const secs = inDay / 1_000_000n;
  const frac = inDay % 1_000_000n;
  return (
    `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}T` +
    `${pad(secs / 3600n, 2)}:${pad((secs / 60n) % 60n, 2)}:${pad(secs % 60n, 2)}.${pad(frac, 6)}`
  );
}

const TS_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/;

export function parseMicros(s: string): bigint {
  const m = TS_RE.exec(s);
  if (!m) throw new Error(`not a canonical timestamp: ${s}`);
  const d = new Date(0);
  d.setUTCFullYear(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  d.setUTCHours(Number(m[4]), Number(m[5]), Number(m[6]), 0);
  return BigInt(d.getTime()) * 1000n + BigInt((m[7] ?? '').padEnd(6, '0'));
}

// ---------------------------------------------------------------------------------------------
// Floats

export function canonicalFloat(x: number): CanonicalValue {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Number.POSITIVE_INFINITY) return 'Infinity';
  if (x === Number.NEGATIVE_INFINITY) return '-Infinity';
  if (Object.is(x, -0)) return '-0';
  return x;
}

export function parseFloatValue(v: CanonicalValue): number {
  if (typeof v === 'number') return v;
  switch (v) {
    case 'NaN':
      return Number.NaN;
    case 'Infinity':
      return Number.POSITIVE_INFINITY;
    case '-Infinity':
      return Number.NEGATIVE_INFINITY;
    case '-0':
      return -0;
    default:
      return Number(v);
  }
}

// ---------------------------------------------------------------------------------------------
// Eddy public values <-> canonical

/** Converts a row returned by Eddy's `scan()`/`toArray()` to canonical form. */
export function fromEddy(types: readonly [string, DataType][], row: Record<string, unknown>): CanonicalRow {
  const out: CanonicalRow = {};
  for (const [name, t] of types) {
    const v = row[name];
    if (v === null || v === undefined) {
      out[name] = null;
      continue;
    }
    switch (t.root) {
      case 'BIGINT':
        out[name] = String(v as bigint);
        break;
      case 'FLOAT':
      case 'DOUBLE':
        out[name] = canonicalFloat(v as number);
        break;
      case 'BINARY':
      case 'VARBINARY':
        out[name] = Buffer.from(v as Uint8Array).toString('base64');
        break;
      case 'TIMESTAMP':
      case 'TIMESTAMP_LTZ':
        out[name] = formatMicros(v instanceof Date ? BigInt(v.getTime()) * 1000n : (v as bigint));
        break;
      default:
        out[name] = v as CanonicalValue;
    }
  }
  return out;
}

/** Converts a canonical row to the values Eddy's writers take (only the columns present). */
export function toEddy(types: readonly [string, DataType][], row: CanonicalRow): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, t] of types) {
    if (!(name in row)) continue;
    const v = row[name];
    if (v === null) {
      out[name] = null;
      continue;
    }
    switch (t.root) {
      case 'BIGINT':
        out[name] = BigInt(v as string);
        break;
      case 'FLOAT':
      case 'DOUBLE':
        out[name] = parseFloatValue(v);
        break;
      case 'BINARY':
      case 'VARBINARY':
        out[name] = new Uint8Array(Buffer.from(v as string, 'base64'));
        break;
      case 'TIMESTAMP':
      case 'TIMESTAMP_LTZ':
        out[name] = parseMicros(v as string);
        break;
      default:
        out[name] = v;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Comparison

/**
 * Normalizes a canonical row as printed by any driver: schema column order, floats re-spelled by
 * one rule (Java prints 1.0E-300 where Python prints 1e-300; a FLOAT written as 0.1 reads back as
 * the float32 0.10000000149011612), `_kind` kept when present.
 */
export function normalize(types: readonly [string, DataType][], row: Record<string, unknown>): string {
  const out: Record<string, unknown> = {};
  for (const [name, t] of types) {
    let v = row[name] === undefined ? '<missing>' : row[name];
    if ((t.root === 'FLOAT' || t.root === 'DOUBLE') && v !== null && v !== '<missing>') {
      const x = parseFloatValue(v as CanonicalValue);
      v = canonicalFloat(t.root === 'FLOAT' ? Math.fround(x) : x); // a FLOAT holds the nearest float32
    }
    out[name] = v;
  }
  for (const k of Object.keys(row)) if (!(k in out)) out[k] = row[k];
  return JSON.stringify(out);
}

export interface Diff {
  readonly index: number;
  readonly expected: string | undefined;
  readonly actual: string | undefined;
  readonly expectedCount: number;
  readonly actualCount: number;
}

/** First difference between two row sets, each sorted; undefined when equal. */
export function firstDiff(expected: readonly string[], actual: readonly string[]): Diff | undefined {
  const e = [...expected].sort();
  const a = [...actual].sort();
  const n = Math.max(e.length, a.length);
  for (let i = 0; i < n; i++) {
    if (e[i] !== a[i])
      return { index: i, expected: e[i], actual: a[i], expectedCount: e.length, actualCount: a.length };
  }
  return undefined;
}

export function describeDiff(d: Diff, writer: string, reader: string): string {
  return [
    `rows differ (expected ${d.expectedCount} rows as written by ${writer}, ${reader} read ${d.actualCount}); ` +
      `first difference at sorted row ${d.index}:`,
    `  expected (${writer}): ${d.expected ?? '<no row>'}`,
    `  actual   (${reader}): ${d.actual ?? '<no row>'}`,
  ].join('\n');
}

/** The table state after applying write lines in order (PK tables merge by key; append keeps all). */
export function expectedRows(spec: TableSpec, lines: readonly WriteLine[], upToCommit = Infinity): CanonicalRow[] {
  const pk = spec.primaryKey ?? [];
  const cols = Object.keys(spec.columns);
  const full = (r: CanonicalRow): CanonicalRow => Object.fromEntries(cols.map((c) => [c, r[c] ?? null]));
  if (pk.length === 0) return lines.filter((l) => l.commit <= upToCommit && l.kind === '+I').map((l) => full(l.row));
  const state = new Map<string, CanonicalRow>();
  for (const l of lines) {
    if (l.commit > upToCommit) continue;
    const key = JSON.stringify(pk.map((k) => l.row[k]));
    if (l.kind === '+I' || l.kind === '+U') state.set(key, full(l.row));
    else state.delete(key);
  }
  return [...state.values()];
}
