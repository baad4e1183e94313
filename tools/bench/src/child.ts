/**
 * Eddy in a fresh process, for the figures taken per process (spawn → done, like the peers'
 * "process" figures) and for the memory suite (peak RSS of one writer). Prints one JSON line.
 *
 *   ingest  WH DB.T N BUCKETS ROUNDS U            the ingest workload from JS objects
 *   scan    WH DB.T SNAPSHOT all|c1,c2           one merge-on-read scan → JS objects
 *   scan-arrow WH DB.T SNAPSHOT all|c1,c2 K      scanArrow() cold, then K warm runs (best): Eddy's
 *                                                warm figure in a heap of its own, as Java's is taken
 *   point   WH DB.T eq|range WIDTH KEY            one filtered scan
 *   point-cold WH DB.T KEY IDS                    open the table, id = KEY, then get of IDS (comma-separated)
 *   duckdb-point WH - FILES KEY IDS               the same two queries in plain DuckDB over FILES (comma-separated)
 *   compact WH DB.T                               full compaction
 *   memory  WH DB.T N BUCKETS WRITE_BUFFER CHUNK  rows generated on the fly, one writer, one commit
 *   sql     WH - QUERY                            one query through EddySql (peak RSS of SQL over Eddy)
 *   duckdb  WH - QUERY                            the same in plain DuckDB (its peak RSS)
 *   census  WH DB.T                               the stream suite's census, one JSON line per stdin line
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { and, Catalog, eq, ge, lt } from '@eddy/table';
import type { RecordBatch } from 'apache-arrow';
import { COLUMNS, makeRows } from './data.ts';
import { census } from './stream-census.ts';

function procStatusMb(key: string): number {
  try {
    const m = readFileSync('/proc/self/status', 'utf8').match(new RegExp(`^${key}:\\s+(\\d+)`, 'm'));
    return m ? Number(m[1]) / 1024 : -1;
  } catch {
    return -1;
  }
}

const baseOptions = { 'write-only': 'true', 'file.format': 'parquet', 'file.compression': 'zstd' };

export async function main(argv: string[]): Promise<void> {
  const [cmd, wh, name, ...a] = argv;
  const out: Record<string, unknown> = {};
  const catalog = await Catalog.open(wh);
  switch (cmd) {
    case 'ingest': {
      const [n, buckets, rounds, u] = a.map(Number);
      const t0 = performance.now();
      const load = makeRows(n, 0, 0, n);
      const upd = Array.from({ length: rounds }, (_, r) => makeRows(n, r + 1, 0, u));
      out.genMs = performance.now() - t0;
      const t = await catalog.createTable(name, {
        columns: { ...COLUMNS },
        primaryKey: ['id'],
        options: { ...baseOptions, bucket: String(buckets) },
      });
      const w = t.newWriter({ commitUser: 'bench-child' });
      await w.write(load);
      await w.commit(1);
      for (let r = 0; r < rounds; r++) {
        await w.write(upd[r]);
        await w.commit(2 + r);
      }
      w.close();
      break;
    }
    case 'scan': {
      const t = await catalog.getTable(name);
      const select = a[1] === 'all' ? undefined : a[1].split(',');
      let rows = 0;
      let qty = 0;
      for await (const r of t.scan({ snapshotId: Number(a[0]), select })) {
        rows++;
        qty += r.qty as number;
      }
      Object.assign(out, { rows, qty });
      break;
    }
    case 'scan-arrow': {
      const t = await catalog.getTable(name);
      const select = a[1] === 'all' ? undefined : a[1].split(',');
      const sum = (b: RecordBatch, c: string) => {
        let s = 0;
        for (const d of b.getChild(c)?.data ?? []) {
          const v = d.values as Int32Array;
          for (let i = 0; i < d.length; i++) s += v[d.offset + i];
        }
        return s;
      };
      let best = Number.POSITIVE_INFINITY;
      for (let i = 0; i <= Number(a[2]); i++) {
        const t0 = performance.now();
        let rows = 0;
        let qty = 0;
        let version = 0;
        for await (const b of t.scanArrow({ snapshotId: Number(a[0]), select })) {
          rows += b.numRows;
          qty += sum(b, 'qty');
          if (!select) version += sum(b, 'version');
        }
        if (i > 0) best = Math.min(best, performance.now() - t0);
        Object.assign(out, { rows, qty, version });
      }
      out.warmMs = best;
      break;
    }
    case 'point': {
      const t = await catalog.getTable(name);
      const [kind, width, key] = [a[0], BigInt(a[1]), BigInt(a[2])];
      let rows = 0;
      const where = kind === 'eq' ? eq('id', key) : and(ge('id', key), lt('id', key + width));
      for await (const r of t.scan({ where })) {
        const id = r.id as bigint;
        if (kind === 'eq' ? id === key : id >= key && id < key + width) rows++;
      }
      out.rows = rows;
      break;
    }
    case 'point-cold': {
      // Timed inside too (open → rows): the figure without node's and tsx's start-up.
      const t0 = performance.now();
      const t = await (await Catalog.open(wh)).getTable(name);
      const key = BigInt(a[0]);
      let rows = 0;
      for await (const r of t.scan({ where: eq('id', key) })) if (r.id === key) rows++;
      out.eqMs = performance.now() - t0;
      const ids = a[1].split(',').map((x) => ({ id: BigInt(x) }));
      const t1 = performance.now();
      out.found = (await t.get(ids)).filter((r) => r !== undefined).length;
      out.getMs = performance.now() - t1;
      out.ms = performance.now() - t0;
      out.rows = rows;
      break;
    }
    case 'duckdb-point': {
      const t0 = performance.now();
      const { DuckDBInstance } = await import('@duckdb/node-api');
      const con = await (await DuckDBInstance.create(':memory:')).connect();
      const from = `read_parquet([${a[0]
        .split(',')
        .map((f) => `'${f}'`)
        .join(', ')}])`;
      out.rows = (await con.runAndReadAll(`SELECT * FROM ${from} WHERE id = ${a[1]}`)).getRowObjectsJS().length;
      out.eqMs = performance.now() - t0;
      const t1 = performance.now();
      out.found = (await con.runAndReadAll(`SELECT * FROM ${from} WHERE id IN (${a[2]})`)).getRowObjectsJS().length;
      out.getMs = performance.now() - t1;
      out.ms = performance.now() - t0;
      break;
    }
    case 'compact': {
      const t = await catalog.getTable(name);
      const t0 = performance.now();
      const res = await t.compact({ full: true });
      out.ms = performance.now() - t0;
      out.rowsIn = res.rowsIn;
      break;
    }
    case 'memory': {
      const [n, buckets, buffer, chunk] = [Number(a[0]), a[1], a[2], Number(a[3])];
      const t = await catalog.createTable(name, {
        columns: { ...COLUMNS },
        primaryKey: ['id'],
        options: { ...baseOptions, bucket: buckets, 'write-buffer-size': buffer },
      });
      out.baselineRssMb = procStatusMb('VmRSS');
      const w = t.newWriter({ commitUser: 'bench-mem' });
      const t0 = performance.now();
      for (let from = 0; from < n; from += chunk) await w.write(makeRows(n, 0, from, Math.min(chunk, n - from)));
      await w.commit(1);
      out.ms = performance.now() - t0;
      w.close();
      out.files = (await t.plan()).splits.reduce((s, x) => s + x.files.length, 0);
      break;
    }
    case 'sql': {
      const { EddySql } = await import('@eddy/sql');
      out.baselineRssMb = procStatusMb('VmRSS');
      const db = await EddySql.open(catalog);
      const t0 = performance.now();
      out.rows = (await db.query(a[0])).numRows;
      out.ms = performance.now() - t0;
      await db.close();
      break;
    }
    case 'duckdb': {
      const { DuckDBInstance } = await import('@duckdb/node-api');
      out.baselineRssMb = procStatusMb('VmRSS');
      const con = await (await DuckDBInstance.create(':memory:')).connect();
      const t0 = performance.now();
      out.rows = (await con.runAndReadAll(a[0])).getRowObjectsJS().length;
      out.ms = performance.now() - t0;
      break;
    }
    case 'census': {
      // Long-lived: the stream suite asks for a census by writing a line, until it closes stdin.
      await catalog.close();
      const lines = createInterface({ input: process.stdin });
      for await (const _ of lines) console.log(JSON.stringify(await census(wh, name.replace(/^bench\./, ''))));
      return;
    }
    default:
      throw new Error(`unknown command ${cmd}`);
  }
  out.endEpochMs = Date.now();
  out.vmHwmMb = procStatusMb('VmHWM');
  console.log(JSON.stringify(out));
}
