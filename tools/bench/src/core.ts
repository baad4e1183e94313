import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import * as path from 'node:path';
import { DuckDBInstance, DuckDBTimestampValue } from '@duckdb/node-api';
import { Catalog } from '@eddy/table';
import * as arrow from 'apache-arrow';
import { FileKind } from '../../../packages/table/src/format/manifest.ts';

/**
 * The core benchmark: PK upsert ingest, merge-on-read scans, and the same rows through DuckDB in the
 * same run as the reference. Prints ratios; no thresholds (speed is reported, not asserted).
 */
interface Row {
  id: bigint;
  name: string;
  amount: number;
  qty: number;
  ts: bigint;
  category: string;
  flag: boolean;
}

function makeRows(n: number, keySpace: number, seed: number): Row[] {
  let s = seed >>> 0;
  const rand = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const rows: Row[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const key = keySpace === n ? i : Math.floor(rand() * keySpace);
    rows[i] = {
      id: BigInt(key),
      name: `customer-${Math.floor(rand() * 100_000)}-${key % 97}`,
      amount: Math.round(rand() * 1e6) / 100,
      qty: Math.floor(rand() * 1000),
      ts: 1_700_000_000_000_000n + BigInt(i) * 1000n,
      category: `cat-${Math.floor(rand() * 50)}`,
      flag: rand() < 0.5,
    };
  }
  return rows;
}

const CORE_COLUMNS = {
  id: 'BIGINT',
  name: 'STRING',
  amount: 'DOUBLE',
  qty: 'INT',
  ts: 'TIMESTAMP(6)',
  category: 'STRING',
  flag: 'BOOLEAN',
} as const;

const rssMb = () => process.resourceUsage().maxRSS / 1024;
const fmt = (n: number) =>
  n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : n.toFixed(1);

function dirSize(dir: string, pred: (f: string) => boolean = () => true): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) total += dirSize(p, pred);
    else if (pred(e.name)) total += statSync(p).size;
  }
  return total;
}

interface Result {
  metric: string;
  eddy: number;
  reference: number | null;
  referenceName: string;
  unit: string;
}

export interface CoreOptions {
  rows: number;
  rounds: number;
  updateRows?: number;
  smoke: boolean;
  out: string;
}

/** The core suite (what CI's smoke runs): Eddy's phases with DuckDB as the reference. */
export async function runCore(values: CoreOptions): Promise<void> {
  const N = values.rows;
  const rounds = values.rounds;
  const U = values.updateRows ?? Math.max(1, Math.floor(N / 5));
  const work = mkdtempSync(path.join(tmpdir(), 'eddy-bench-'));
  const results: Result[] = [];
  try {
    console.log(
      `machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`,
    );
    console.log(
      `workload: ${N} rows (BIGINT key + 6 mixed columns) into a 4-bucket PK table, then ${rounds} × ${U} upserts\n`,
    );
    const rows = makeRows(N, N, 1);
    const catalog = await Catalog.open(path.join(work, 'wh'));
    const table = await catalog.createTable('bench.t', {
      columns: CORE_COLUMNS,
      primaryKey: ['id'],
      // write-only: the upsert rounds leave their sorted runs for the merge-on-read measurement;
      // compaction is measured on its own below.
      options: { bucket: 4, 'write-only': 'true' },
    });

    // 1. Ingest: JS objects → validated columns → sorted, bucketed Parquet files → one commit.
    const w = table.newWriter({ commitUser: 'bench' });
    let t0 = performance.now();
    await w.write(rows);
    await w.flush();
    const tWrite = performance.now() - t0;
    t0 = performance.now();
    await w.commit(1);
    const tCommit = performance.now() - t0;
    const ingestRate = N / ((tWrite + tCommit) / 1000);
    const tableDir = table.path;
    const dataBytes = dirSize(tableDir, (f) => f.endsWith('.parquet'));

    // 1b. The same rows as Arrow columns (built outside the timing) into a second table.
    const arrowTable = toArrow(rows);
    const tableA = await catalog.createTable('bench.arrow', {
      columns: CORE_COLUMNS,
      primaryKey: ['id'],
      options: { bucket: 4, 'write-only': 'true' },
    });
    const wa = tableA.newWriter({ commitUser: 'bench-arrow' });
    t0 = performance.now();
    await wa.write(arrowTable);
    await wa.commit(1);
    const arrowIngestRate = N / ((performance.now() - t0) / 1000);
    wa.close();

    // 2. Full merge-on-read scan, 1 sorted run per bucket.
    const scanRates = await scanBoth(table, N);

    // 3. Upsert rounds, then a merge-on-read scan over 1 + rounds sorted runs.
    let tUpd = 0;
    for (let r = 0; r < rounds; r++) {
      const upd = makeRows(U, N, 100 + r);
      const t1 = performance.now();
      await w.write(upd);
      await w.commit(2 + r);
      tUpd += performance.now() - t1;
    }
    w.close();
    const updRate = (U * rounds) / (tUpd / 1000);
    const morRates = await scanBoth(table, N);

    // 4. Full compaction of the 1 + rounds runs, then the same scans over one run.
    t0 = performance.now();
    const compaction = await table.compact({ full: true });
    const tCompact = (performance.now() - t0) / 1000;
    const compactedRates = await scanBoth(table, N);

    // 5. Small commits: latency per commit of 100 upserts.
    const latencies: number[] = [];
    const small = table.newWriter({ commitUser: 'bench-small' });
    for (let i = 0; i < (values.smoke ? 20 : 100); i++) {
      const t1 = performance.now();
      await small.write(makeRows(100, N, 1000 + i));
      await small.commit(i + 1);
      latencies.push(performance.now() - t1);
    }
    small.close();
    latencies.sort((a, b) => a - b);
    const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];

    // 6. Change feed: commit-to-delivery latency of a tailing reader (default poll interval) over
    // many small commits to a fresh table.
    const feedTable = await catalog.createTable('bench.feed', {
      columns: { k: 'INT', v: 'STRING' },
      primaryKey: ['k'],
      options: { bucket: 2, 'write-only': 'true' },
    });
    const feedCommits = values.smoke ? 30 : 1000;
    const committedAt = new Map<number, number>();
    const deliveredAt = new Map<number, number>();
    const ac = new AbortController();
    const tail = (async () => {
      for await (const e of feedTable.changes({ scanMode: 'latest', signal: ac.signal })) {
        if (!deliveredAt.has(e.snapshotId)) deliveredAt.set(e.snapshotId, performance.now());
        if (deliveredAt.size === feedCommits) ac.abort();
      }
    })();
    await new Promise((r) => setTimeout(r, 100)); // the reader starts at "latest" = empty table
    const fw = feedTable.newWriter({ commitUser: 'bench-feed' });
    for (let i = 0; i < feedCommits; i++) {
      await fw.write({ k: i % 500, v: `v${i}` });
      const res = await fw.commit(i + 1);
      committedAt.set(res.snapshot!.id, performance.now());
    }
    fw.close();
    const feedDeadline = setTimeout(() => ac.abort(), 30_000);
    await tail;
    clearTimeout(feedDeadline);
    const feedLat = [...committedAt]
      .map(([id, t]) => Math.max(0, (deliveredAt.get(id) ?? Number.POSITIVE_INFINITY) - t))
      .sort((a, b) => a - b);
    const feedPct = (p: number) => feedLat[Math.min(feedLat.length - 1, Math.floor(p * feedLat.length))];
    // 7. Write amplification: 10 rounds of upserts over the same keys, writer compacting as it goes.
    const waTable = await catalog.createTable('bench.wa', {
      columns: CORE_COLUMNS,
      primaryKey: ['id'],
      options: { bucket: 4 },
    });
    const waw = waTable.newWriter({ commitUser: 'bench-wa' });
    for (let r = 0; r < 10; r++) {
      await waw.write(makeRows(U, U, 500 + r));
      await waw.commit(r + 1);
    }
    waw.close();
    let flushedBytes = 0;
    let compactedBytes = 0;
    for (const snap of await waTable.listSnapshots()) {
      for (const m of await waTable.manifests.readManifestList(snap.deltaManifestList)) {
        for (const e of await waTable.manifests.readManifest(m.fileName)) {
          if (e.kind !== FileKind.ADD) continue;
          if (e.file.fileSource === 1) compactedBytes += e.file.fileSize;
          else flushedBytes += e.file.fileSize;
        }
      }
    }
    const writeAmplification = (flushedBytes + compactedBytes) / flushedBytes;
    const eddyRss = rssMb();

    // Reference: DuckDB on the same rows, same process, same run.
    const duck = await DuckDBInstance.create(':memory:');
    const con = await duck.connect();
    await con.run(
      'CREATE TABLE t (id BIGINT, name VARCHAR, amount DOUBLE, qty INTEGER, ts TIMESTAMP, category VARCHAR, flag BOOLEAN)',
    );
    const app = await con.createAppender('t');
    for (const r of rows) {
      app.appendBigInt(r.id);
      app.appendVarchar(r.name);
      app.appendDouble(r.amount);
      app.appendInteger(r.qty);
      app.appendTimestamp(new DuckDBTimestampValue(r.ts));
      app.appendVarchar(r.category);
      app.appendBoolean(r.flag);
      app.endRow();
    }
    app.closeSync();
    const pq = path.join(work, 'duck.parquet');
    // Best of 3 for the reference (it is the noisier side on a shared 2-core machine).
    let duckCopy = 0;
    for (let i = 0; i < 3; i++) {
      t0 = performance.now();
      await con.run(`COPY t TO '${pq}' (FORMAT parquet, COMPRESSION zstd)`);
      duckCopy = Math.max(duckCopy, N / ((performance.now() - t0) / 1000));
    }
    const duckBytes = statSync(pq).size;
    let duckSelect = 0;
    let got = 0;
    for (let i = 0; i < 3; i++) {
      t0 = performance.now();
      const res = await con.runAndReadAll(`SELECT * FROM read_parquet('${pq}')`);
      got = res.getRows().length;
      duckSelect = Math.max(duckSelect, got / ((performance.now() - t0) / 1000));
    }

    results.push(
      {
        metric: 'PK write (objects → committed files), rows/s',
        eddy: ingestRate,
        reference: duckCopy,
        referenceName: 'DuckDB COPY zstd',
        unit: 'rows/s',
      },
      { metric: '  of which commit, ms', eddy: tCommit, reference: null, referenceName: '', unit: 'ms' },
      {
        metric: 'PK write (Arrow batch → committed files), rows/s',
        eddy: arrowIngestRate,
        reference: duckCopy,
        referenceName: 'DuckDB COPY zstd',
        unit: 'rows/s',
      },
      {
        metric: 'upsert rounds (write+commit), rows/s',
        eddy: updRate,
        reference: duckCopy,
        referenceName: 'DuckDB COPY zstd',
        unit: 'rows/s',
      },
      {
        metric: 'scan 1 run → JS objects, rows/s',
        eddy: scanRates.objects,
        reference: duckSelect,
        referenceName: 'DuckDB SELECT * → JS rows',
        unit: 'rows/s',
      },
      {
        metric: 'scan 1 run → Arrow batches, rows/s',
        eddy: scanRates.arrow,
        reference: duckSelect,
        referenceName: 'DuckDB SELECT * → JS rows',
        unit: 'rows/s',
      },
      {
        metric: `MOR scan ${1 + rounds} runs → JS objects, rows/s`,
        eddy: morRates.objects,
        reference: duckSelect,
        referenceName: 'DuckDB SELECT * → JS rows',
        unit: 'rows/s',
      },
      {
        metric: `MOR scan ${1 + rounds} runs → Arrow, rows/s`,
        eddy: morRates.arrow,
        reference: duckSelect,
        referenceName: 'DuckDB SELECT * → JS rows',
        unit: 'rows/s',
      },
      {
        metric: `full compaction of ${1 + rounds} runs, input rows/s`,
        eddy: compaction.rowsIn / tCompact,
        reference: null,
        referenceName: '',
        unit: 'rows/s',
      },
      {
        metric: 'full compaction, input MB/s',
        eddy: compaction.bytesIn / 2 ** 20 / tCompact,
        reference: null,
        referenceName: '',
        unit: 'MB/s',
      },
      {
        metric: 'scan after compaction → JS objects, rows/s',
        eddy: compactedRates.objects,
        reference: duckSelect,
        referenceName: 'DuckDB SELECT * → JS rows',
        unit: 'rows/s',
      },
      {
        metric: 'scan after compaction → Arrow, rows/s',
        eddy: compactedRates.arrow,
        reference: duckSelect,
        referenceName: 'DuckDB SELECT * → JS rows',
        unit: 'rows/s',
      },
      { metric: 'commit of 100 upserts, p50 ms', eddy: pct(0.5), reference: null, referenceName: '', unit: 'ms' },
      { metric: 'commit of 100 upserts, p99 ms', eddy: pct(0.99), reference: null, referenceName: '', unit: 'ms' },
      {
        metric: `change feed commit→delivery over ${feedCommits} commits, p50 ms`,
        eddy: feedPct(0.5),
        reference: null,
        referenceName: '',
        unit: 'ms',
      },
      {
        metric: `change feed commit→delivery over ${feedCommits} commits, p99 ms`,
        eddy: feedPct(0.99),
        reference: null,
        referenceName: '',
        unit: 'ms',
      },
      {
        metric: `write amplification, 10 rounds × ${U} upserts over the same keys (bytes written / bytes flushed)`,
        eddy: writeAmplification,
        reference: null,
        referenceName: '',
        unit: '×',
      },
      {
        metric: 'data file bytes after ingest, MB',
        eddy: dataBytes / 2 ** 20,
        reference: duckBytes / 2 ** 20,
        referenceName: 'DuckDB parquet file',
        unit: 'MB',
      },
      { metric: 'peak RSS (Eddy phases), MB', eddy: eddyRss, reference: null, referenceName: '', unit: 'MB' },
    );
    console.log('| metric | Eddy | reference | ratio Eddy/ref |');
    console.log('|---|---|---|---|');
    for (const r of results) {
      const ratio = r.reference ? (r.eddy / r.reference).toFixed(2) : '';
      const ref = r.reference ? `${fmt(r.reference)} (${r.referenceName})` : '';
      console.log(`| ${r.metric} | ${fmt(r.eddy)} | ${ref} | ${ratio} |`);
    }
    if (!values.smoke) {
      mkdirSync(values.out, { recursive: true });
      writeFileSync(
        path.join(values.out, 'core.json'),
        JSON.stringify({ date: new Date().toISOString(), rows: N, rounds, updateRows: U, results }, null, 2),
      );
    }
    if (got !== N) throw new Error(`DuckDB read ${got} rows, expected ${N}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function toArrow(rows: Row[]): arrow.Table {
  const n = rows.length;
  const ts = BigInt64Array.from(rows, (r) => r.ts);
  return new arrow.Table({
    id: arrow.makeVector(BigInt64Array.from(rows, (r) => r.id)),
    name: arrow.vectorFromArray(
      rows.map((r) => r.name),
      new arrow.Utf8(),
    ),
    amount: arrow.makeVector(Float64Array.from(rows, (r) => r.amount)),
    qty: arrow.makeVector(Int32Array.from(rows, (r) => r.qty)),
    ts: arrow.makeVector(
      arrow.makeData({ type: new arrow.TimestampMicrosecond(), length: n, nullCount: 0, data: ts as never }),
    ),
    category: arrow.vectorFromArray(
      rows.map((r) => r.category),
      new arrow.Utf8(),
    ),
    flag: arrow.vectorFromArray(
      rows.map((r) => r.flag),
      new arrow.Bool(),
    ),
  });
}

async function scanBoth(
  table: Awaited<ReturnType<Catalog['getTable']>>,
  expected: number,
): Promise<{ objects: number; arrow: number }> {
  let t0 = performance.now();
  let n = 0;
  for await (const _ of table.scan()) n++;
  const objects = n / ((performance.now() - t0) / 1000);
  if (n !== expected) throw new Error(`scan returned ${n} rows, expected ${expected}`);
  t0 = performance.now();
  n = 0;
  for await (const b of table.scanArrow()) n += b.numRows;
  const arrow = n / ((performance.now() - t0) / 1000);
  if (n !== expected) throw new Error(`arrow scan returned ${n} rows, expected ${expected}`);
  return { objects, arrow };
}
