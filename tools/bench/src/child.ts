/**
 * Eddy in a fresh process, for the figures taken per process (spawn → done, like the peers'
 * "process" figures) and for the memory suite (peak RSS of one writer). Prints one JSON line.
 *
 *   ingest  WH DB.T N BUCKETS ROUNDS U            the ingest workload from JS objects
 *   scan    WH DB.T SNAPSHOT all|c1,c2           one merge-on-read scan → JS objects
 *   point   WH DB.T eq|range WIDTH KEY            one filtered scan
 *   compact WH DB.T                               full compaction
 *   memory  WH DB.T N BUCKETS WRITE_BUFFER CHUNK  rows generated on the fly, one writer, one commit
 *   sql     WH - QUERY                            one query through EddySql (peak RSS of SQL over Eddy)
 *   duckdb  WH - QUERY                            the same in plain DuckDB (its peak RSS)
 *   census  WH DB.T                               the stream suite's census, one JSON line per stdin line
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { and, Catalog, eq, ge, lt } from '@eddy/table';
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
    case 'compact': {
      const res = await (await catalog.getTable(name)).compact({ full: true });
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
