import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Catalog } from '../src/index.ts';
import { tempDir } from './helpers.ts';

/**
 * A flush sorts and deduplicates BIGINT keys as doubles when all fit in ±2^53, and as bigints
 * otherwise: either way the level-0 file holds the last write of every key, in key order.
 */
describe('BIGINT keys in a flush', () => {
  it('the table holds the last write per key, keys near 0, near ±2^53 and beyond', async () => {
    const key = fc.oneof(
      fc.bigInt({ min: -50n, max: 50n }),
      fc.bigInt({ min: 2n ** 53n - 20n, max: 2n ** 53n + 20n }),
      fc.bigInt({ min: -(2n ** 53n) - 20n, max: -(2n ** 53n) + 20n }),
      fc.bigInt({ min: 2n ** 32n - 3n, max: 2n ** 32n + 3n }),
      // Neighbours a double cannot tell apart (2^53 + 1 rounds to 2^53).
      fc.constantFrom(2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 53n + 3n, 2n ** 53n + 4n, 2n ** 53n + 5n),
      fc.constantFrom(-(2n ** 53n) + 1n, -(2n ** 53n), -(2n ** 53n) - 1n, -(2n ** 53n) - 3n),
    );
    using d = tempDir();
    const catalog = await Catalog.open(d.path);
    let n = 0;
    await fc.assert(
      // Half the runs also write keys beyond ±2^53, which send the whole buffer to the bigint path.
      fc.asyncProperty(
        fc.array(fc.tuple(key, fc.boolean()), { minLength: 1, maxLength: 80 }),
        fc.boolean(),
        async (ops0, huge) => {
          const ops = huge
            ? [...ops0, [2n ** 62n + 7n, false] as [bigint, boolean], [-(2n ** 63n), false] as [bigint, boolean]]
            : ops0;
          const t = await catalog.createTable(`db.t${n++}`, {
            columns: { k: 'BIGINT', v: 'INT' },
            primaryKey: ['k'],
            options: { bucket: '1', 'write-only': 'true' },
          });
          const model = new Map<bigint, number>();
          const w = t.newWriter({ commitUser: 'c' });
          for (const [i, [k, del]] of ops.entries()) {
            if (del) {
              await w.write({ k, v: i }, '-D');
              model.delete(k);
            } else {
              await w.write({ k, v: i });
              model.set(k, i);
            }
          }
          await w.commit(1);
          w.close();
          const rows = (await t.toArray()).map((r) => [r.k as bigint, r.v as number] as const);
          const want = [...model.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
          expect(rows).toEqual(want);
        },
      ),
      {
        numRuns: 20,
        examples: [
          [
            [
              [2n ** 53n + 1n, false],
              [2n ** 53n, false],
            ],
            false,
          ],
        ],
      },
    );
  });
});
