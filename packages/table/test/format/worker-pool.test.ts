import { tableFromArrays, tableFromIPC, tableToIPC } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { ParquetWorkerPool } from '../../src/format/parquet-workers.ts';

const options = { compression: 'zstd', createdBy: 'worker-pool test' };
const ipc = (values: number[]) => tableToIPC(tableFromArrays({ a: Int32Array.from(values) }), 'stream');

describe('ParquetWorkerPool', () => {
  it('runs a decode that a streamed encode waits for, with every worker holding a stream', async () => {
    // A compaction's streamed encode pulls merged rows, and the merge waits for decodes of its next
    // input slices: with the only worker held by the encode, the decode must still run.
    const pool = new ParquetWorkerPool(1);
    const file = await pool.run({ op: 'encode', bytes: ipc([1, 2, 3]), options }, 'input.parquet');
    let pulls = 0;
    const out = await pool.run(
      {
        op: 'encode-stream',
        options,
        next: async () => {
          if (pulls++ > 0) return undefined;
          const decoded = tableFromIPC(
            await pool.run({ op: 'decode', bytes: file, columns: undefined }, 'input.parquet'),
          );
          const values = [...decoded.getChild('a')!.toArray()].map((v) => Number(v) * 10);
          return ipc(values);
        },
      },
      'output.parquet',
    );
    const back = tableFromIPC(await pool.run({ op: 'decode', bytes: out, columns: undefined }, 'output.parquet'));
    expect([...back.getChild('a')!.toArray()]).toEqual([10, 20, 30]);
  }, 30_000);
});
