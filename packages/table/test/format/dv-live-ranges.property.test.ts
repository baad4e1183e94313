import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { dvSkipTuning, liveRanges } from '../../src/read/split-reader.ts';

// A scan of a file with a deletion vector decodes only the row ranges liveRanges returns: a live
// row outside them would vanish from the read. Checked row by row against the vector.
afterEach(() => {
  dvSkipTuning.minRows = 8192;
});

describe('liveRanges (rows of a row group a deletion-vector scan decodes)', () => {
  it('covers every live row, skips only deleted rows, and skips every long enough stretch', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 300 }), // first row of the group
        fc.integer({ min: 1, max: 300 }), // rows of the group
        // Deleted stretches: [start, length] within and around the group.
        fc.array(fc.tuple(fc.integer({ min: 0, max: 650 }), fc.integer({ min: 1, max: 120 })), { maxLength: 12 }),
        fc.integer({ min: 1, max: 40 }),
        (firstRow, rows, stretches, minRows) => {
          dvSkipTuning.minRows = minRows;
          const del = new Set<number>();
          for (const [a, n] of stretches) for (let i = a; i < a + n; i++) del.add(i);
          const positions = [...del].sort((x, y) => x - y);
          const ranges = liveRanges(positions, { firstRow, rows });
          const decoded = new Uint8Array(rows);
          if (ranges === undefined) decoded.fill(1);
          else {
            let prev = 0;
            for (const [from, to] of ranges) {
              expect(from).toBeGreaterThanOrEqual(prev);
              expect(to).toBeGreaterThan(from);
              expect(to).toBeLessThanOrEqual(rows);
              decoded.fill(1, from, to);
              prev = to;
            }
          }
          for (let r = 0; r < rows; r++) {
            // Never skip a live row.
            if (!del.has(firstRow + r)) expect(decoded[r]).toBe(1);
          }
          // Every run of at least minRows deleted rows inside the group is skipped whole.
          let run = 0;
          for (let r = 0; r <= rows; r++) {
            if (r < rows && del.has(firstRow + r)) {
              run++;
              continue;
            }
            // A stretch ending at the group's end may continue past it: its rows inside count.
            if (run >= minRows) for (let i = r - run; i < r; i++) expect(decoded[i]).toBe(0);
            run = 0;
          }
          // Nothing skipped: undefined, not one range of the whole group.
          if (ranges !== undefined) expect(decoded.includes(0)).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });
});
