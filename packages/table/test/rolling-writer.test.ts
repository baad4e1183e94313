import { describe, expect, it } from 'vitest';
import { Catalog } from '../src/index.ts';
import { LocalFileIO } from '../src/io/local-file-io.ts';
import { type KeyValueRecords, RollingKeyValueWriter } from '../src/write/key-value-file.ts';
import { mulberry32, tempDir } from './helpers.ts';

/**
 * The rolling writer learns the bytes per row from each finished file while it fills the next: an
 * estimate that drops below the rows the open file already holds ends that file at once (it once
 * made the writer loop forever).
 */
describe('RollingKeyValueWriter', () => {
  it('ends the open file when a finished file shrinks the estimate below its rows', async () => {
    using d = tempDir();
    const t = await (await Catalog.open(d.path)).createTable('db.t', {
      columns: { k: 'BIGINT', v: 'STRING' },
      primaryKey: ['k'],
      options: { bucket: '1', 'target-file-size': '100 kb' },
    });
    const schema = t.schema;
    const batch = (from: number, n: number): KeyValueRecords => {
      const keys = new BigInt64Array(n);
      const offsets = new Int32Array(n + 1);
      const rnd = mulberry32(from + 1);
      // Random hex: about 20 compressed bytes per row, twice the first estimate.
      const text = Array.from({ length: n }, () =>
        Array.from({ length: 4 }, () => Math.floor(rnd() * 2 ** 32).toString(16)).join(''),
      );
      const bytes = Buffer.from(text.join(''));
      let o = 0;
      for (let i = 0; i < n; i++) {
        keys[i] = BigInt(from + i);
        o += Buffer.byteLength(text[i]);
        offsets[i + 1] = o;
      }
      return {
        columns: [
          { type: { root: 'BIGINT', nullable: false }, length: n, data: keys, validity: null },
          {
            type: { root: 'VARCHAR', length: 2147483647, nullable: true },
            length: n,
            data: { offsets, bytes },
            validity: null,
          },
        ],
        seq: BigInt64Array.from({ length: n }, (_, i) => BigInt(from + i)),
        kind: new Int8Array(n),
        length: n,
      };
    };
    let no = 0;
    // First estimate: 10 bytes per row, so 10,240 rows per file; the real figure is far higher.
    const w = new RollingKeyValueWriter(new LocalFileIO(), schema, () => `${d.path}/f-${no++}.parquet`, 5, 1, 10);
    await w.add(batch(0, 10_240)); // fills file 0, which rolls and starts finishing
    await w.add(batch(10_240, 9_000)); // file 1 holds 9,000 rows
    await new Promise((r) => setTimeout(r, 1500)); // file 0 finishes: the estimate drops below that
    await w.add(batch(19_240, 3_000));
    const files = await w.finish();
    expect(files.reduce((n, f) => n + f.rowCount, 0)).toBe(22_240);
    expect(files[0].rowCount).toBe(10_240);
    // The open file ended at its 9,000 rows; the rest went to new, smaller files.
    expect(files[1].rowCount).toBe(9_000);
    expect(files[0].fileSize / files[0].rowCount).toBeGreaterThan(102_400 / 9_000);
    expect(files.length).toBeGreaterThanOrEqual(3);
    let next = 0n;
    for (const f of files) {
      expect(f.minSequenceNumber).toBe(next);
      next = f.maxSequenceNumber + 1n;
    }
  }, 30_000);
});
