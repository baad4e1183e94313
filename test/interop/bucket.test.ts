/**
 * Bucket agreement: for many random keys of every key type (and composite and nullable bucket
 * keys), Eddy's BucketFunction gives the bucket that Paimon Java's own RowKeyExtractor gives for a
 * table of that schema; pypaimon's extractor is checked against Java's too.
 */
import { parseDataType } from '@eddy/table';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toInternalValue } from '../../packages/table/src/data/columns.ts';
import { BucketFunction } from '../../packages/table/src/format/bucket.ts';
import { mulberry32 } from '../../packages/table/test/helpers.ts';
import { type CanonicalRow, type CanonicalValue, formatMicros, type TableSpec, toEddy } from './canonical.ts';
import { type BucketJob, closePeers, externalBuckets, setupProblem } from './drivers.ts';

const KEY_TYPES = [
  'TINYINT',
  'SMALLINT',
  'INT',
  'BIGINT',
  'BOOLEAN',
  'FLOAT',
  'DOUBLE',
  'DECIMAL(9, 2)',
  'DECIMAL(18, 4)',
  'DECIMAL(38, 10)',
  'DECIMAL(38, 0)',
  'CHAR(10)',
  'VARCHAR(40)',
  'STRING',
  'BINARY(8)',
  'VARBINARY(40)',
  'BYTES',
  'DATE',
  'TIMESTAMP(0)',
  'TIMESTAMP(3)',
  'TIMESTAMP(6)',
  'TIMESTAMP(3) WITH LOCAL TIME ZONE',
  'TIMESTAMP(6) WITH LOCAL TIME ZONE',
];
const BUCKET_COUNTS = [3, 16, 1_000_003];
const KEYS_PER_JOB = 250;

const CHARS = ['a', 'Z', '0', ' ', '-', 'ü', 'ß', 'é', '日', '本', '€', '🚀', '😀', '\u0000', '\t'];

function generator(type: string, r: () => number): () => CanonicalValue {
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const edge =
    <T>(xs: readonly T[], gen: () => T) =>
    () =>
      r() < 0.1 ? pick(xs) : gen();
  const t = parseDataType(type);
  switch (t.root) {
    case 'TINYINT':
      return edge([-128, 127, 0, -1], () => int(-128, 127));
    case 'SMALLINT':
      return edge([-32768, 32767, 0], () => int(-32768, 32767));
    case 'INT':
      return edge([-2147483648, 2147483647, 0, 1], () => int(-2147483648, 2147483647));
    case 'BIGINT':
      return edge(['-9223372036854775808', '9223372036854775807', '0', '-1'], () => {
        const hi = BigInt(int(-2147483648, 2147483647));
        const lo = BigInt(int(0, 4294967295));
        return String((hi << 32n) | lo);
      });
    case 'BOOLEAN':
      return () => r() < 0.5;
    case 'FLOAT':
    case 'DOUBLE': {
      const f32 = t.root === 'FLOAT';
      return edge(['-0', 'Infinity', '-Infinity', 0, 1.5, -3.25], () => {
        const b = new DataView(new ArrayBuffer(8));
        for (let i = 0; i < 8; i++) b.setUint8(i, int(0, 255));
        const x = f32 ? b.getFloat32(0) : b.getFloat64(0);
        return Number.isFinite(x) ? (Object.is(x, -0) ? '-0' : x) : r() * 1e6 - 5e5;
      });
    }
    case 'DECIMAL': {
      const { precision, scale } = t;
      return () => {
        const n = int(1, precision);
        let digits = '';
        for (let i = 0; i < n; i++) digits += String(int(0, 9));
        digits = digits.padStart(scale + 1, '0');
        const v = scale > 0 ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits;
        return r() < 0.5 ? `-${v}` : v;
      };
    }
    case 'CHAR':
    case 'VARCHAR': {
      const max = Math.min(t.length, 40);
      return edge(['', 'a', 'abcdefg', 'abcdefgh'], () => {
        let s = '';
        const n = int(0, max);
        while (s.length < n) {
          const c = pick(CHARS);
          if (s.length + c.length <= max) s += c;
          else break;
        }
        return s;
      });
    }
    case 'BINARY':
    case 'VARBINARY': {
      const max = Math.min(t.length, 40);
      return () => Buffer.from(Array.from({ length: int(0, max) }, () => int(0, 255))).toString('base64');
    }
    case 'DATE':
      return edge(['0001-01-01', '9999-12-31', '1970-01-01', '1969-12-31'], () => {
        const d = new Date(int(-719162, 2932896) * 86_400_000);
        return d.toISOString().slice(0, 10);
      });
    case 'TIMESTAMP':
    case 'TIMESTAMP_LTZ': {
      const unit = 10 ** (6 - t.precision);
      return edge(['1970-01-01T00:00:00.000000', '1969-12-31T23:59:59.000000'], () => {
        // ±190 years around 1970, a multiple of the precision's unit (so every side stores it exactly)
        const micros = BigInt(Math.floor(((r() * 2 - 1) * 6e15) / unit)) * BigInt(unit);
        return formatMicros(micros);
      });
    }
  }
}

interface BucketLimit {
  readonly id: string;
  readonly cases: RegExp;
  readonly failure: RegExp;
  readonly reason: string;
  /** The key rows the limitation is about (default: all); every other row must agree with Java. */
  readonly rows?: (row: CanonicalRow) => boolean;
}

/** Where pypaimon 2.1's bucket differs from Java's (the 1.4.2 limitations further down are fixed in 2.1). */
const PYPAIMON_BUCKET_LIMITS: readonly BucketLimit[] = [
  {
    id: 'null-non-compact-decimal',
    cases: /DECIMAL\(20, 2\)/,
    rows: (row) => row.a === null,
    failure: /key \{"a":null,[^}]*\}: pypaimon bucket \d+, Java bucket \d+/,
    reason:
      'pypaimon 2.1 hashes a NULL DECIMAL(p > 18) bucket-key field differently from Java, whose BinaryRow keeps ' +
      "the null non-compact decimal's 16-byte slot in the variable part (AbstractBinaryWriter.writeDecimal); " +
      'non-NULL DECIMAL(20, 2) keys agree (pypaimon 1.4.2 disagreed on those too)',
  },
];

/** Where pypaimon 1.4.2's bucket differs from Java's (Eddy agrees with Java on all of these). */
const PYPAIMON_14_BUCKET_LIMITS: readonly BucketLimit[] = [
  {
    id: 'not-null-parametrized-type',
    cases: /^PK DECIMAL|^PK \(STRING, BIGINT, DECIMAL/,
    failure: /Unsupported data type: DECIMAL\(\d+, \d+\) NOT NULL NOT NULL/,
    reason:
      "pypaimon 1.4.2 cannot load a table with a DECIMAL(p, s) primary key: its schema parser keeps ' NOT NULL' " +
      "inside parametrized type names ('DECIMAL(9, 2) NOT NULL NOT NULL')",
  },
  {
    id: 'ltz-key',
    cases: /WITH LOCAL TIME ZONE/,
    failure: /tzinfo not supported/,
    reason:
      'pypaimon 1.4.2 cannot hash TIMESTAMP WITH LOCAL TIME ZONE keys (its BinaryRow writer refuses tz-aware datetimes)',
  },
  {
    id: 'timestamp-non-compact',
    cases: /TIMESTAMP\(6\)(?! WITH)/,
    failure: /pypaimon bucket \d+, Java bucket \d+/,
    reason:
      "pypaimon 1.4.2 hashes TIMESTAMP(p > 3) keys in a layout other than Paimon's non-compact one (millis in the " +
      "variable part, nanos-of-milli in the slot), so its buckets differ from Java's",
  },
  {
    id: 'decimal-non-compact',
    cases: /DECIMAL\(20, 2\)/,
    failure: /argument out of range|pypaimon bucket \d+, Java bucket \d+/,
    reason:
      'pypaimon 1.4.2 hashes DECIMAL(p > 18) keys wrongly (a different bucket for 1.50) and fails on negative ones ' +
      "('argument out of range')",
  },
];

interface Case {
  readonly label: string;
  readonly spec: TableSpec;
  readonly keyColumns: readonly string[];
  readonly rows: CanonicalRow[];
}

function cases(): Case[] {
  const out: Case[] = [];
  const r = mulberry32(2024);
  const add = (label: string, columns: Record<string, string>, pk: string[] | null, nullRate: number) => {
    const keyColumns = pk ?? Object.keys(columns).filter((c) => c !== 'v');
    const gens = Object.fromEntries(Object.entries(columns).map(([c, t]) => [c, generator(t, r)]));
    const rows = Array.from({ length: KEYS_PER_JOB }, () =>
      Object.fromEntries(Object.keys(columns).map((c) => [c, r() < nullRate ? null : gens[c]()])),
    );
    for (const n of BUCKET_COUNTS) {
      const options: Record<string, string> = { bucket: String(n) };
      if (!pk) options['bucket-key'] = keyColumns.join(',');
      out.push({
        label: `${label}, ${n} buckets`,
        spec: { columns, ...(pk ? { primaryKey: pk } : {}), options },
        keyColumns,
        rows,
      });
    }
  };
  for (const t of KEY_TYPES) add(`PK ${t}`, { k: t, v: 'INT' }, ['k'], 0);
  add('PK (INT, STRING, DATE)', { a: 'INT', b: 'STRING', c: 'DATE', v: 'INT' }, ['a', 'b', 'c'], 0);
  add(
    'PK (STRING, BIGINT, DECIMAL(38, 10))',
    { a: 'STRING', b: 'BIGINT', c: 'DECIMAL(38, 10)', v: 'INT' },
    ['a', 'b', 'c'],
    0,
  );
  add(
    'PK (TIMESTAMP(6), BYTES, BOOLEAN)',
    { a: 'TIMESTAMP(6)', b: 'BYTES', c: 'BOOLEAN', v: 'INT' },
    ['a', 'b', 'c'],
    0,
  );
  add('bucket-key (INT, STRING) with NULLs', { a: 'INT', b: 'STRING', v: 'INT' }, null, 0.3);
  add('bucket-key (BIGINT) with NULLs', { a: 'BIGINT', v: 'INT' }, null, 0.3);
  add(
    'bucket-key (DECIMAL(20, 2), TIMESTAMP(3)) with NULLs',
    { a: 'DECIMAL(20, 2)', b: 'TIMESTAMP(3)', v: 'INT' },
    null,
    0.3,
  );
  return out;
}

function eddyBuckets(c: Case): number[] {
  const types = c.keyColumns.map((k) => parseDataType(c.spec.columns[k]));
  const fn = new BucketFunction(types, Number(c.spec.options!.bucket));
  const typed = c.keyColumns.map((k, i): [string, (typeof types)[number]] => [k, types[i]]);
  return c.rows.map((row) => {
    const v = toEddy(typed, row);
    return fn.bucket(c.keyColumns.map((k, i) => toInternalValue(types[i], v[k], k)));
  });
}

function firstMismatch(c: Case, a: readonly number[], b: readonly number[], aName: string, bName: string) {
  const i = a.findIndex((x, j) => x !== b[j]);
  if (i < 0 && a.length === b.length) return undefined;
  const key = Object.fromEntries(c.keyColumns.map((k) => [k, c.rows[i]?.[k]]));
  return `${c.label}: key ${JSON.stringify(key)}: ${aName} bucket ${a[i]}, ${bName} bucket ${b[i]}`;
}

describe.skipIf(setupProblem() !== undefined)('bucket agreement', () => {
  const all = cases();
  const jobs: BucketJob[] = all.map((c) => ({ spec: c.spec, rows: c.rows }));
  let java: (number[] | { error: string })[] = [];
  let python: (number[] | { error: string })[] = [];
  let python14: (number[] | { error: string })[] = [];
  beforeAll(async () => {
    [java, python, python14] = await Promise.all([
      externalBuckets('java', jobs),
      externalBuckets('pypaimon', jobs),
      externalBuckets('pypaimon-1.4', jobs),
    ]);
  });
  afterAll(() => {
    closePeers();
  });

  it(`Eddy's bucket equals Paimon Java's for ${all.length} key schemas × ${KEYS_PER_JOB} random keys`, () => {
    const mismatches: string[] = [];
    all.forEach((c, i) => {
      const j = java[i];
      if (!Array.isArray(j)) {
        mismatches.push(`${c.label}: Java failed: ${j?.error}`);
        return;
      }
      const m = firstMismatch(c, eddyBuckets(c), j, 'Eddy', 'Java');
      if (m) mismatches.push(m);
    });
    expect(mismatches, mismatches.join('\n')).toEqual([]);
  });

  /** Each case agrees with Java, or fails the way its documented limitation says. */
  function checkPypaimon(name: string, got: (number[] | { error: string })[], limits: readonly BucketLimit[]) {
    const problems: string[] = [];
    const limited = new Map<string, string[]>();
    all.forEach((c, i) => {
      const j = java[i];
      const p = got[i];
      if (!Array.isArray(j)) return;
      const known = limits.find((l) => l.cases.test(c.label));
      let outcome = Array.isArray(p) ? firstMismatch(c, p, j, 'pypaimon', 'Java') : `pypaimon failed: ${p?.error}`;
      if (known?.rows && Array.isArray(p)) {
        // Rows outside the limitation must agree; the limitation's own rows must still disagree.
        const inLimit = c.rows.map((r) => known.rows!(r));
        const pick = (xs: readonly number[], want: boolean) => xs.filter((_, k) => inLimit[k] === want);
        const pickCase = (want: boolean): Case => ({ ...c, rows: c.rows.filter((_, k) => inLimit[k] === want) });
        const other = firstMismatch(pickCase(false), pick(p, false), pick(j, false), 'pypaimon', 'Java');
        if (other) {
          problems.push(`${c.label}: outside limitation '${known.id}': ${other}`);
          return;
        }
        outcome = firstMismatch(pickCase(true), pick(p, true), pick(j, true), 'pypaimon', 'Java');
      }
      if (!known) {
        if (outcome) problems.push(`${c.label}: ${outcome}`);
      } else if (!outcome) {
        problems.push(`${c.label}: ${name} agrees with Java now: drop limitation '${known.id}'`);
      } else if (!known.failure.test(outcome)) {
        problems.push(`${c.label}: expected limitation '${known.id}' (${known.failure}), got: ${outcome}`);
      } else limited.set(known.id, [...(limited.get(known.id) ?? []), c.label]);
    });
    for (const l of limits)
      console.log(`${name} bucket limitation ${l.id}: ${l.reason}\n  cases: ${(limited.get(l.id) ?? []).join('; ')}`);
    expect(problems, problems.join('\n')).toEqual([]);
  }

  it("pypaimon 2.1's bucket equals Paimon Java's", () => {
    checkPypaimon('pypaimon 2.1', python, PYPAIMON_BUCKET_LIMITS);
  });

  it("pypaimon 1.4.2's bucket equals Paimon Java's, except its documented limitations", () => {
    checkPypaimon('pypaimon 1.4.2', python14, PYPAIMON_14_BUCKET_LIMITS);
  });
});
