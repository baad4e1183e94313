/**
 * The benchmark data, defined so that every implementation (this file, the Java peer
 * peers/java/PaimonBench.java and the Python peer peers/pypaimon_bench.py) generates the same rows
 * from the same seeds. A checksum of the generated rows is compared across all of them.
 *
 * Draw i of stream `seed` is mulberry32's output at state seed + (i + 1)·0x6D2B79F5 (mod 2^32), so
 * draws can be computed independently (numpy vectorises them in the Python peer). Row i of a batch
 * takes draws 5i … 5i+4.
 *
 * Keys: the initial load is the permutation key(i) = (i · STRIDE) mod N; update round r (1-based)
 * writes key(i) = (offset(r) + i · STRIDE) mod N for i < U — distinct keys within a round (pypaimon
 * keeps both rows of a key written twice in one commit), spread over the whole key space.
 */
import * as arrow from 'apache-arrow';

export const COLUMNS = {
  id: 'BIGINT',
  name: 'STRING',
  amount: 'DOUBLE',
  qty: 'INT',
  ts: 'TIMESTAMP(6)',
  category: 'STRING',
  flag: 'BOOLEAN',
  version: 'INT',
} as const;
export const COLUMN_NAMES = Object.keys(COLUMNS) as (keyof typeof COLUMNS)[];
/** The projected scan: 2 of the 8 columns. */
export const PROJECTION = ['id', 'qty'] as const;

// A type alias, not an interface: rows must be assignable to an untyped table's Record<string, unknown>.
export type BenchRow = {
  id: bigint;
  name: string;
  amount: number;
  qty: number;
  ts: bigint;
  category: string;
  flag: boolean;
  version: number;
};

const GOLDEN = 0x6d2b79f5;
const DRAWS = 5;
const TS0 = 1_700_000_000_000_000n;

export function draw(seed: number, i: number): number {
  let t = (seed + Math.imul(i + 1, GOLDEN)) >>> 0;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

/** A prime step coprime with n, so i ↦ i·stride mod n is a permutation. */
export function stride(n: number): number {
  for (const p of [1_000_003, 999_983, 999_979]) if (n % p !== 0) return p;
  throw new Error(`no stride for ${n}`);
}

export const seedOf = (round: number): number => (round === 0 ? 1 : 100 + round);
export const offsetOf = (round: number, n: number): number => (round === 0 ? 0 : (round * 7_654_321) % n);

/**
 * Rows [from, from + count) of round `round` (0 = the initial load of n keys; r ≥ 1 = update
 * round r) over the key space [0, n).
 */
export function makeRows(n: number, round: number, from: number, count: number): BenchRow[] {
  const seed = seedOf(round);
  const off = offsetOf(round, n);
  const st = stride(n);
  const rows: BenchRow[] = new Array(count);
  for (let k = 0; k < count; k++) {
    const i = from + k;
    const d = DRAWS * i;
    rows[k] = {
      id: BigInt((off + i * st) % n),
      name: `customer-${Math.floor(draw(seed, d) * 100_000)}`,
      amount: Math.floor(draw(seed, d + 1) * 1e8) / 100,
      qty: Math.floor(draw(seed, d + 2) * 1000),
      ts: TS0 + BigInt(round * n + i) * 1000n,
      category: `cat-${Math.floor(draw(seed, d + 3) * 50)}`,
      flag: draw(seed, d + 4) < 0.5,
      version: round,
    };
  }
  return rows;
}

/** Order-independent checksum of generated rows (every peer prints the same over its own rows). */
export interface Checksum {
  rows: number;
  id: number;
  nameNum: number;
  amountCents: number;
  qty: number;
  flags: number;
  version: number;
}

export function checksum(rows: readonly BenchRow[]): Checksum {
  const c: Checksum = { rows: 0, id: 0, nameNum: 0, amountCents: 0, qty: 0, flags: 0, version: 0 };
  for (const r of rows) {
    c.rows++;
    c.id += Number(r.id);
    c.nameNum += Number(r.name.slice(9));
    c.amountCents += Math.round(r.amount * 100);
    c.qty += r.qty;
    c.flags += r.flag ? 1 : 0;
    c.version += r.version;
  }
  return c;
}

export function addChecksums(a: Checksum, b: Checksum): Checksum {
  return {
    rows: a.rows + b.rows,
    id: a.id + b.id,
    nameNum: a.nameNum + b.nameNum,
    amountCents: a.amountCents + b.amountCents,
    qty: a.qty + b.qty,
    flags: a.flags + b.flags,
    version: a.version + b.version,
  };
}

/**
 * The expected table state after the load and `rounds` update rounds: rows, Σqty and Σversion of
 * the surviving row of each key (what every reader must return).
 */
export function expectedState(
  n: number,
  rounds: number,
  u: number,
): { rows: number; qty: number; version: number; lastRound: Int8Array } {
  const qty = new Int32Array(n);
  const lastRound = new Int8Array(n);
  for (const r of makeRows(n, 0, 0, n)) qty[Number(r.id)] = r.qty;
  for (let round = 1; round <= rounds; round++) {
    for (const r of makeRows(n, round, 0, u)) {
      qty[Number(r.id)] = r.qty;
      lastRound[Number(r.id)] = round;
    }
  }
  let q = 0;
  let v = 0;
  for (let i = 0; i < n; i++) {
    q += qty[i];
    v += lastRound[i];
  }
  return { rows: n, qty: q, version: v, lastRound };
}

/** Rows as an Arrow table of the given apache-arrow module (Eddy's v21, or LanceDB's own v18). */
export function toArrow(rows: readonly BenchRow[], a: typeof arrow = arrow): arrow.Table {
  const n = rows.length;
  const ts = BigInt64Array.from(rows, (r) => r.ts);
  return new a.Table({
    id: a.makeVector(BigInt64Array.from(rows, (r) => r.id)),
    name: a.vectorFromArray(
      rows.map((r) => r.name),
      new a.Utf8(),
    ),
    amount: a.makeVector(Float64Array.from(rows, (r) => r.amount)),
    qty: a.makeVector(Int32Array.from(rows, (r) => r.qty)),
    ts: a.makeVector(a.makeData({ type: new a.TimestampMicrosecond(), length: n, nullCount: 0, data: ts as never })),
    category: a.vectorFromArray(
      rows.map((r) => r.category),
      new a.Utf8(),
    ),
    flag: a.vectorFromArray(
      rows.map((r) => r.flag),
      new a.Bool(),
    ),
    version: a.makeVector(Int32Array.from(rows, (r) => r.version)),
  });
}
