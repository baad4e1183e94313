import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { ParquetWorkerPool } from '../../src/format/parquet-workers.ts';

const options = { compression: 'none', createdBy: 'eddy test' };

describe('Parquet worker pool', () => {
  it('a streamed encode whose producer waits for a decode finishes on a one-worker pool', async () => {
    const pool = new ParquetWorkerPool(1);
    const ipc = arrow.tableToIPC(arrow.tableFromArrays({ x: Int32Array.from([1, 2, 3]) }), 'stream');
    const file = await pool.run({ op: 'encode', bytes: ipc, options }, 'input.parquet');
    let slices = 0;
    // A compaction's producer: each slice of the output is the next input, decoded on the same pool.
    const out = await pool.run(
      {
        op: 'encode-stream',
        options,
        next: async () =>
          slices++ < 2 ? pool.run({ op: 'decode', bytes: file, columns: undefined }, 'input.parquet') : undefined,
      },
      'output.parquet',
    );
    const back = arrow.tableFromIPC(await pool.run({ op: 'decode', bytes: out, columns: undefined }, 'output.parquet'));
    expect([...back.getChild('x')!]).toEqual([1, 2, 3, 1, 2, 3]);
    expect(pool.size).toBe(1);
  }, 30_000);
});
