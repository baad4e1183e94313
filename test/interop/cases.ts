/**
 * The tables of the interop matrix: a spec plus the lines a writer writes (canonical rows with row
 * kinds, grouped in commits). Data is deterministic (seeded), so a red cell reproduces.
 */
import { mulberry32 } from '../../packages/table/test/helpers.ts';
import type { CanonicalRow, Kind, TableSpec, WriteLine } from './canonical.ts';
import type { DriverName } from './drivers.ts';

export interface Scenario {
  readonly name: string;
  readonly spec: TableSpec;
  readonly lines: readonly WriteLine[];
  /** After writing, this implementation runs a full compaction; readers then read every snapshot. */
  readonly compactWith?: 'java' | 'eddy';
  /** What the table exercises, for the report. */
  readonly about: string;
  /** Writers whose cells wait for a feature being built (it.todo with the reason). */
  readonly pending?: Readonly<Partial<Record<DriverName, string>>>;
}

const line = (commit: number, kind: Kind, row: CanonicalRow): WriteLine => ({ commit, kind, row });
const b64 = (bytes: number[]): string => Buffer.from(bytes).toString('base64');
const nines = (n: number) => '9'.repeat(n);

// ---------------------------------------------------------------------------------------------
// Every type Eddy supports, with NULLs and edge values

export const ALL_TYPES: Readonly<Record<string, string>> = {
  id: 'BIGINT',
  b: 'BOOLEAN',
  i8: 'TINYINT',
  i16: 'SMALLINT',
  i32: 'INT',
  i64: 'BIGINT',
  f32: 'FLOAT',
  f64: 'DOUBLE',
  dec9: 'DECIMAL(9, 2)',
  dec18: 'DECIMAL(18, 4)',
  dec38: 'DECIMAL(38, 10)',
  dec38i: 'DECIMAL(38, 0)',
  ch: 'CHAR(5)',
  vc: 'VARCHAR(20)',
  s: 'STRING',
  bin: 'BINARY(4)',
  vbin: 'VARBINARY(10)',
  bytes: 'BYTES',
  d: 'DATE',
  ts0: 'TIMESTAMP(0)',
  ts3: 'TIMESTAMP(3)',
  ts6: 'TIMESTAMP(6)',
  ltz3: 'TIMESTAMP(3) WITH LOCAL TIME ZONE',
  ltz6: 'TIMESTAMP(6) WITH LOCAL TIME ZONE',
};

function typeRows(): CanonicalRow[] {
  const r = mulberry32(7);
  const longUnicode = Array.from({ length: 300 }, (_, i) => ['a', 'ü', '日', '🚀', ' ', '\t'][i % 6]).join('');
  const randomBytes = Array.from({ length: 300 }, () => Math.floor(r() * 256));
  const nulls: CanonicalRow = Object.fromEntries(Object.keys(ALL_TYPES).map((k) => [k, null]));
  return [
    { ...nulls, id: '1' },
    {
      id: '2',
      b: false,
      i8: -128,
      i16: -32768,
      i32: -2147483648,
      i64: '-9223372036854775808',
      f32: -3.4028234663852886e38,
      f64: -1.7976931348623157e308,
      dec9: '-9999999.99',
      dec18: '-99999999999999.9999',
      dec38: `-${nines(28)}.${nines(10)}`,
      dec38i: `-${nines(38)}`,
      ch: '',
      vc: '',
      s: '',
      bin: b64([0, 0, 0, 0]),
      vbin: '',
      bytes: '',
      d: '0001-01-01',
      ts0: '0001-01-01T00:00:00.000000',
      ts3: '1900-01-01T00:00:00.001000',
      ts6: '0001-01-01T00:00:00.000001',
      ltz3: '1969-12-31T23:59:59.999000',
      ltz6: '1969-12-31T23:59:59.999999',
    },
    {
      id: '3',
      b: true,
      i8: 127,
      i16: 32767,
      i32: 2147483647,
      i64: '9223372036854775807',
      f32: 3.4028234663852886e38,
      f64: 1.7976931348623157e308,
      dec9: '9999999.99',
      dec18: '99999999999999.9999',
      dec38: `${nines(28)}.${nines(10)}`,
      dec38i: nines(38),
      ch: 'abcde',
      vc: '日本語テキスト🚀ü',
      s: longUnicode,
      bin: b64([255, 255, 255, 255]),
      vbin: b64([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]),
      bytes: b64(randomBytes),
      d: '9999-12-31',
      ts0: '9999-12-31T23:59:59.000000',
      ts3: '9999-12-31T23:59:59.999000',
      ts6: '9999-12-31T23:59:59.999999',
      ltz3: '2262-04-11T23:47:16.854000',
      ltz6: '9999-12-31T23:59:59.999999',
    },
    {
      ...nulls,
      id: '4',
      f32: 'NaN',
      f64: 'NaN',
      dec38: '0.0000000001',
      dec9: '0.01',
      s: 'tab\tnewline\ncontrol\u0001quote"backslash\\',
      ch: 'ü日本🚀',
    },
    {
      ...nulls,
      id: '5',
      f32: 'Infinity',
      f64: '-Infinity',
      dec38: '-0.0000000001',
      dec18: '0.0000',
      s: 'abcdefg',
      vc: 'abcdefgh',
      ts6: '1969-07-20T20:17:40.123456',
      ts3: '1969-07-20T20:17:40.123000',
      ts0: '1969-07-20T20:17:40.000000',
      d: '1969-12-31',
    },
    {
      ...nulls,
      id: '6',
      f32: '-0',
      f64: '-0',
      i64: '-1',
      d: '1970-01-01',
      ts6: '1970-01-01T00:00:00.000000',
      ltz6: '1970-01-01T00:00:00.000001',
    },
    {
      ...nulls,
      id: '7',
      f32: 1.401298464324817e-45,
      f64: 5e-324,
      i32: 0,
      b: true,
      s: 'NULL',
      vc: 'null',
      d: '2024-02-29',
      ts3: '2024-02-29T12:34:56.789000',
      ltz3: '1901-12-13T20:45:52.000000',
    },
    {
      ...nulls,
      id: '8',
      f32: 0.1,
      f64: 0.1,
      dec9: '-0.50',
      dec38i: '0',
      bin: b64([0, 1, 0, 1]),
      vbin: b64([0]),
      bytes: b64([0]),
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// Primary-key tables with updates and deletes over several commits

interface KeyedOps {
  readonly keyOf: (i: number) => CanonicalRow;
  readonly valuesOf: (i: number, version: number) => CanonicalRow;
}

/**
 * Three commits over `n` keys: (0) insert all; (1) +U a tenth, -D another tenth, insert new keys;
 * (2) -U/+U pairs, delete some new keys, re-insert deleted ones, and a +I that overwrites.
 */
function keyedLines({ keyOf, valuesOf }: KeyedOps, n: number): WriteLine[] {
  const row = (i: number, v: number) => ({ ...keyOf(i), ...valuesOf(i, v) });
  const out: WriteLine[] = [];
  for (let i = 0; i < n; i++) out.push(line(0, '+I', row(i, 0)));
  const t = Math.max(1, Math.floor(n / 10));
  for (let i = 0; i < t; i++) out.push(line(1, '+U', row(i, 1)));
  for (let i = t; i < 2 * t; i++) out.push(line(1, '-D', keyOf(i)));
  for (let i = n; i < n + t; i++) out.push(line(1, '+I', row(i, 1)));
  for (let i = 2 * t; i < 3 * t; i++) {
    out.push(line(2, '-U', row(i, 0)));
    out.push(line(2, '+U', row(i, 2)));
  }
  for (let i = n; i < n + Math.ceil(t / 2); i++) out.push(line(2, '-D', keyOf(i)));
  for (let i = t; i < t + Math.ceil(t / 2); i++) out.push(line(2, '+I', row(i, 2)));
  out.push(line(2, '+I', row(0, 3)));
  // Same key twice in one commit: the later line wins.
  out.push(line(2, '+I', row(3 * t, 4)));
  out.push(line(2, '+I', row(3 * t, 5)));
  return out;
}

const valueColumns = (i: number, v: number): CanonicalRow => ({
  name: v === 0 ? `name-${i}` : `name-${i}-v${v}`,
  amount: `${(i * 7 + v) % 1000}.${String((i + v) % 100).padStart(2, '0')}`,
  qty: v % 2 === 0 ? i * 3 + v : null,
  ts: `2024-0${1 + (v % 9)}-1${i % 10}T10:00:0${v % 10}.${String(i % 1_000_000).padStart(6, '0')}`,
});

const VALUE_TYPES = { name: 'STRING', amount: 'DECIMAL(10, 2)', qty: 'INT', ts: 'TIMESTAMP(6)' };

function pkBucket1(): Scenario {
  return {
    name: 'pk-1-bucket',
    about: 'PK table, 1 bucket, 3 commits with +U, -D, -U/+U, re-inserts; time travel to each snapshot',
    spec: { columns: { id: 'BIGINT', ...VALUE_TYPES }, primaryKey: ['id'], options: { bucket: '1' } },
    lines: keyedLines({ keyOf: (i) => ({ id: String(i * 1_000_003 - 50_000_000) }), valuesOf: valueColumns }, 60),
  };
}

function pkBucket4(): Scenario {
  return {
    name: 'pk-4-buckets',
    about: 'PK table (INT, STRING) key, 4 buckets, 3 commits with updates and deletes; time travel',
    spec: {
      columns: { k1: 'INT', k2: 'STRING', ...VALUE_TYPES },
      primaryKey: ['k1', 'k2'],
      options: { bucket: '4' },
    },
    lines: keyedLines(
      {
        keyOf: (i) => ({ k1: (i % 17) - 8, k2: i % 3 === 0 ? `key-${i}-long-enough` : `k${i}` }),
        valuesOf: valueColumns,
      },
      200,
    ),
  };
}

const REGIONS = ['eu', 'us/east', 'a=b c', 'ü-日本', 'x%y'];
const DAYS = ['1969-12-31', '2024-02-29', '2024-03-01'];

function partitioned(): Scenario {
  return {
    name: 'partitioned',
    about:
      'PK table partitioned by a STRING (with / = % and unicode) and a DATE column, 2 buckets, updates and deletes',
    spec: {
      columns: { region: 'STRING', dt: 'DATE', id: 'BIGINT', v: 'STRING', amount: 'DOUBLE' },
      primaryKey: ['region', 'dt', 'id'],
      partitionKeys: ['region', 'dt'],
      options: { bucket: '2' },
    },
    lines: keyedLines(
      {
        keyOf: (i) => ({ region: REGIONS[i % REGIONS.length], dt: DAYS[i % DAYS.length], id: String(i) }),
        valuesOf: (i, v) => ({ v: `v${v}-${i}`, amount: i * 0.25 + v }),
      },
      90,
    ),
  };
}

function appendTable(): Scenario {
  const lines: WriteLine[] = [];
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < 40; i++) {
      const n = c * 40 + i;
      lines.push(
        line(c, '+I', {
          dt: n % 5 === 0 ? null : DAYS[n % DAYS.length],
          id: String(n % 7), // duplicates are kept in an append table
          msg: n % 9 === 0 ? null : `message ${n} ${'ü'.repeat(n % 4)}`,
          score: n % 4 === 0 ? 'NaN' : n / 3,
        }),
      );
    }
  }
  return {
    name: 'append-partitioned',
    about:
      'append table (bucket -1) partitioned by DATE incl. a NULL partition, duplicate rows, 3 commits; time travel',
    spec: {
      columns: { dt: 'DATE', id: 'BIGINT', msg: 'STRING', score: 'DOUBLE' },
      partitionKeys: ['dt'],
      options: { bucket: '-1' },
    },
    lines,
  };
}

function appendBucketed(): Scenario {
  const lines: WriteLine[] = [];
  for (let c = 0; c < 2; c++)
    for (let i = 0; i < 50; i++) lines.push(line(c, '+I', { k: `key-${i % 13}`, v: c * 50 + i }));
  return {
    name: 'append-3-buckets',
    about: "append table with 3 buckets on 'bucket-key' k, 2 commits; time travel",
    spec: { columns: { k: 'STRING', v: 'INT' }, options: { bucket: '3', 'bucket-key': 'k' } },
    lines,
  };
}

/**
 * An append table written in 4 commits (small files), then compacted by `by`: Paimon's append
 * compaction (fixed buckets: the bucket's small files in sequence order; bucket -1: small files
 * of each partition packed). Every reader reads every snapshot.
 */
function appendCompacted(by: 'java' | 'eddy', bucket: -1 | 2): Scenario {
  const who = by === 'java' ? 'Java' : 'Eddy';
  const lines: WriteLine[] = [];
  for (let c = 0; c < 4; c++)
    for (let i = 0; i < 30; i++) {
      const n = c * 30 + i;
      lines.push(line(c, '+I', { p: n % 3 === 0 ? 'x' : 'y', id: String(n % 11), msg: n % 7 === 0 ? null : `m${n}` }));
    }
  return {
    name: `append${bucket > 0 ? '-buckets' : ''}-${by}-compaction`,
    about: `append table (bucket ${bucket}, partitioned) after 4 commits, then a ${who} full compaction; all snapshots read`,
    compactWith: by,
    spec: {
      columns: { p: 'STRING', id: 'BIGINT', msg: 'STRING' },
      partitionKeys: ['p'],
      options: {
        bucket: String(bucket),
        ...(bucket > 0 ? { 'bucket-key': 'id' } : {}),
        // Java's compact of a write-only table refuses (NoopCompactManager). Four commits stay below
        // the writers' own trigger (5 files); Eddy's full compaction of bucket -1 needs min.file-num 2.
        ...(by === 'eddy' ? { 'write-only': 'true', 'compaction.min.file-num': '2' } : {}),
      },
    },
    lines,
  };
}

function typesPk(): Scenario {
  return {
    name: 'types-pk',
    about: 'every supported type with NULLs and edge values, PK table (2 buckets), one commit',
    spec: { columns: ALL_TYPES, primaryKey: ['id'], options: { bucket: '2' } },
    lines: typeRows().map((r) => line(0, '+I', r)),
  };
}

function typesAppend(): Scenario {
  return {
    name: 'types-append',
    about: 'every supported type with NULLs and edge values, append table, two commits',
    spec: { columns: ALL_TYPES, options: { bucket: '-1' } },
    lines: typeRows().map((r, i) => line(i % 2, '+I', r)),
  };
}

function compacted(by: 'java' | 'eddy'): Scenario {
  const who = by === 'java' ? 'Java' : 'Eddy';
  return {
    name: `${by}-compaction`,
    about: `PK table (2 buckets, partitioned by STRING, manifests merged at every commit) after 3 commits, then a ${who} full compaction; all snapshots read`,
    compactWith: by,
    spec: {
      columns: { p: 'STRING', id: 'BIGINT', ...VALUE_TYPES },
      primaryKey: ['p', 'id'],
      partitionKeys: ['p'],
      // Manifests merged at every commit (minor merges keep DELETE entries whose ADD is in an earlier
      // manifest): every reader must see the same live files through them.
      options: { bucket: '2', 'manifest.merge-min-count': '2' },
    },
    lines: keyedLines({ keyOf: (i) => ({ p: i % 2 ? 'odd' : 'even', id: String(i) }), valuesOf: valueColumns }, 80),
  };
}

/**
 * Deletion vectors without a changelog producer, 2 buckets: writers settle level 0 by lookup
 * compaction each commit (into levels 4 and 3 above the first commit's level 5, marking the older
 * rows there), then `by` runs a full compaction, which applies and drops the vectors.
 */
function deletionVectorsCompacted(by: 'java' | 'eddy'): Scenario {
  const who = by === 'java' ? 'Java' : 'Eddy';
  return {
    name: `dv-${by}-compaction`,
    about: `PK table with 'deletion-vectors.enabled' (2 buckets), updates and deletes over 3 commits, then a ${who} full compaction; all snapshots read`,
    compactWith: by,
    spec: {
      columns: { id: 'BIGINT', ...VALUE_TYPES },
      primaryKey: ['id'],
      options: { bucket: '2', 'deletion-vectors.enabled': 'true' },
    },
    // Enough rows that the first commit's top-level files outweigh the later ones: the universal
    // picker then leaves them (with their vectors) for the full compaction.
    lines: keyedLines({ keyOf: (i) => ({ id: String(i) }), valuesOf: valueColumns }, 4000),
  };
}

function deletionVectors(): Scenario {
  return {
    name: 'dv-lookup',
    about:
      "PK table with 'deletion-vectors.enabled' and 'changelog-producer' = lookup (option agreement), updates and deletes",
    spec: {
      columns: { id: 'BIGINT', ...VALUE_TYPES },
      primaryKey: ['id'],
      options: { bucket: '2', 'deletion-vectors.enabled': 'true', 'changelog-producer': 'lookup' },
    },
    lines: keyedLines({ keyOf: (i) => ({ id: String(i) }), valuesOf: valueColumns }, 50),
  };
}

/**
 * Primary-key tables in dynamic bucket mode (bucket = -1): the writer assigns keys to buckets through
 * its hash index, opening a new bucket each 'dynamic-bucket.target-row-num' keys.
 */
function dynamicBucket(): Scenario {
  return {
    name: 'dynamic-bucket',
    about:
      "PK table with bucket = -1 (dynamic bucket mode), 'dynamic-bucket.target-row-num' = 40 so keys spread over several buckets, updates and deletes",
    spec: {
      columns: { id: 'BIGINT', ...VALUE_TYPES },
      primaryKey: ['id'],
      options: { bucket: '-1', 'dynamic-bucket.target-row-num': '40' },
    },
    lines: keyedLines({ keyOf: (i) => ({ id: String(i * 7919 - 100_000) }), valuesOf: valueColumns }, 150),
  };
}

function dynamicBucketPartitioned(): Scenario {
  return {
    name: 'dynamic-bucket-partitioned',
    about:
      'PK table with bucket = -1 partitioned by a STRING that is part of the key (a hash index per partition), target 30 rows per bucket, updates and deletes',
    spec: {
      columns: { p: 'STRING', id: 'BIGINT', ...VALUE_TYPES },
      primaryKey: ['p', 'id'],
      partitionKeys: ['p'],
      options: { bucket: '-1', 'dynamic-bucket.target-row-num': '30' },
    },
    lines: keyedLines({ keyOf: (i) => ({ p: ['x', 'y/z', 'ü'][i % 3], id: String(i) }), valuesOf: valueColumns }, 120),
  };
}

/**
 * Cross-partition upsert: bucket = -1 and a primary key without the partition column, so a key is
 * unique across partitions and an update that changes the partition moves the row (the writer
 * retracts it from its old partition).
 */
function crossPartition(): Scenario {
  const row = (i: number, v: number): CanonicalRow => ({
    id: String(i),
    p: ['a', 'b', 'c'][(i + v) % 3],
    ...valueColumns(i, v),
  });
  const lines: WriteLine[] = [];
  for (let i = 0; i < 90; i++) lines.push(line(0, '+I', row(i, 0)));
  for (let i = 0; i < 30; i++) lines.push(line(1, '+I', row(i, 1))); // moves to the next partition
  for (let i = 30; i < 40; i++) lines.push(line(1, '-D', { id: String(i), p: ['a', 'b', 'c'][i % 3] }));
  for (let i = 90; i < 100; i++) lines.push(line(1, '+I', row(i, 1)));
  for (let i = 0; i < 10; i++) lines.push(line(2, '+I', row(i, 3))); // moves again (v 3: back where it began)
  for (let i = 40; i < 50; i++) lines.push(line(2, '+I', row(i, 2)));
  for (let i = 35; i < 38; i++) lines.push(line(2, '+I', row(i, 2))); // re-inserts deleted keys
  return {
    name: 'cross-partition',
    about:
      'PK (id) table partitioned by p outside the key, bucket = -1 (cross-partition upsert): updates move keys between partitions; deletes',
    spec: {
      columns: { id: 'BIGINT', p: 'STRING', ...VALUE_TYPES },
      primaryKey: ['id'],
      partitionKeys: ['p'],
      options: { bucket: '-1', 'dynamic-bucket.target-row-num': '25' },
    },
    lines,
  };
}

export const SCENARIOS: readonly Scenario[] = [
  typesPk(),
  typesAppend(),
  pkBucket1(),
  pkBucket4(),
  partitioned(),
  appendTable(),
  appendBucketed(),
  appendCompacted('eddy', -1),
  appendCompacted('eddy', 2),
  appendCompacted('java', 2),
  compacted('java'),
  compacted('eddy'),
  deletionVectors(),
  deletionVectorsCompacted('java'),
  deletionVectorsCompacted('eddy'),
  dynamicBucket(),
  dynamicBucketPartitioned(),
  crossPartition(),
];

/**
 * One table written in turn by every implementation (bucket and sequence-number agreement); with
 * `dynamic`, in dynamic bucket mode (each writer continues the others' hash index); with `dv`, a
 * deletion-vector table written in turn by Eddy and Java only (each one's lookup compaction marks
 * rows in the other's files and continues the other's index files; the Python writers cannot
 * compact, so their rows would stay invisible).
 */
export function mixedWriters(mode: 'fixed' | 'dynamic' | 'dv' = 'fixed'): {
  spec: TableSpec;
  commits: { writer: Exclude<DriverName, 'pypaimon-1.4'>; lines: WriteLine[] }[];
} {
  const spec: TableSpec = {
    columns: { region: 'STRING', id: 'BIGINT', v: 'STRING', n: 'INT' },
    primaryKey: ['region', 'id'],
    partitionKeys: ['region'],
    options:
      mode === 'dynamic'
        ? { bucket: '-1', 'dynamic-bucket.target-row-num': '20' }
        : mode === 'dv'
          ? { bucket: '2', 'deletion-vectors.enabled': 'true' }
          : { bucket: '4' },
  };
  const row = (i: number, v: string) => ({ region: i % 2 ? 'a' : 'b', id: String(i), v, n: i });
  const key = (i: number) => ({ region: i % 2 ? 'a' : 'b', id: String(i) });
  const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);
  const all: { writer: Exclude<DriverName, 'pypaimon-1.4'>; lines: WriteLine[] }[] = [
    { writer: 'eddy', lines: range(0, 100).map((i) => line(0, '+I', row(i, 'eddy-0'))) },
    {
      writer: 'java',
      lines: [
        ...range(0, 30).map((i) => line(1, '+U', row(i, 'java-1'))),
        ...range(30, 40).map((i) => line(1, '-D', key(i))),
        ...range(100, 120).map((i) => line(1, '+I', row(i, 'java-1'))),
      ],
    },
    {
      writer: 'pypaimon',
      lines: [
        ...range(20, 50).map((i) => line(2, '+I', row(i, 'py-2'))),
        ...range(110, 130).map((i) => line(2, '+I', row(i, 'py-2'))),
      ],
    },
    {
      writer: 'eddy',
      lines: [
        ...range(0, 10).map((i) => line(3, '-D', key(i))),
        ...range(45, 55).map((i) => line(3, '+U', row(i, 'eddy-3'))),
        ...range(115, 125).map((i) => line(3, '-D', key(i))),
      ],
    },
    {
      writer: 'java',
      lines: [...range(5, 15).map((i) => line(4, '+I', row(i, 'java-4'))), line(4, '-D', key(120))],
    },
    {
      writer: 'rust',
      lines: [
        ...range(12, 18).map((i) => line(5, '+U', row(i, 'rust-5'))),
        ...range(60, 66).map((i) => line(5, '-D', key(i))),
        ...range(130, 136).map((i) => line(5, '+I', row(i, 'rust-5'))),
      ],
    },
  ];
  return { spec, commits: mode === 'dv' ? all.filter((c) => c.writer === 'eddy' || c.writer === 'java') : all };
}

/** bucket = -1 and a key without every partition field: a key moves between partitions. */
export function isCrossPartition(spec: TableSpec): boolean {
  const pk = spec.primaryKey ?? [];
  return spec.options?.bucket === '-1' && pk.length > 0 && (spec.partitionKeys ?? []).some((p) => !pk.includes(p));
}

/**
 * What pypaimon can write of `lines`: no retractions (-U, -D), because it stores every row as +I
 * (it has row kinds only through a 'rowkind.field' column in the table). pypaimon 2.x keeps the
 * last row of a key written twice in one commit; 1.4.2 keeps both, so for it (`lastPerKey`) only
 * the last line per key per commit stays.
 */
export function forPypaimon(spec: TableSpec, lines: readonly WriteLine[], lastPerKey: boolean): WriteLine[] {
  const pk = spec.primaryKey ?? [];
  const kept = lines.filter((l) => l.kind === '+I' || l.kind === '+U');
  if (pk.length === 0 || !lastPerKey) return kept;
  const keyOf = (l: WriteLine) => JSON.stringify([l.commit, ...pk.map((k) => l.row[k])]);
  const last = new Map<string, number>();
  for (const [i, l] of kept.entries()) last.set(keyOf(l), i);
  return kept.filter((l, i) => last.get(keyOf(l)) === i);
}
