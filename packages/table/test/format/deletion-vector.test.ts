import { describe, expect, it } from 'vitest';
import { crc32 } from '../../src/format/avro.ts';
import {
  BITMAP32_MAGIC,
  deletionVectorPositions,
  deletionVectorRangeLength,
  deletionVectorReadLength,
  encodeDeletionVector,
  encodeDeletionVectorIndexFile,
  readDeletionVector,
  readDeletionVectorFromIndexFile,
} from '../../src/format/deletion-vector.ts';
import { EddyError } from '../../src/types/errors.ts';

const fromHex = (h: string) => Uint8Array.from(Buffer.from(h.replace(/\s+/g, ''), 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/**
 * DV index files written by Paimon Java (apache/paimon, Apache-2.0:
 * paimon-core/src/test/resources/compatibility/dvindex-32 and dvindex-64, read by
 * DeletionVectorsIndexFileTest). Both hold dv1 = {2, 3} and dv2 = {1}.
 */
const JAVA_DV_INDEX_32 = fromHex(`
  01
  00000018 5e43f2d0 3a300000 01000000 00000100 10000000 02000300 c898f63d
  00000016 5e43f2d0 3a300000 01000000 00000000 10000000 0100 fa2b5192`);
const JAVA_DV_INDEX_64 = fromHex(`
  01
  00000024 d1d33964 0100000000000000 00000000 3a300000 01000000 00000100 10000000 02000300 7a813847
  00000022 d1d33964 0100000000000000 00000000 3a300000 01000000 00000000 10000000 0100 eebd85f4`);

function positionsOf(dv: { has(p: number): boolean }, upTo: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < upTo; i++) if (dv.has(i)) out.push(i);
  return out;
}

describe('reading Java-written deletion vectors', () => {
  it('32-bit (BitmapDeletionVector): ranges (1, 24) and (33, 22)', () => {
    const dv1 = readDeletionVectorFromIndexFile(JAVA_DV_INDEX_32, { offset: 1, length: 24 }, 'idx');
    const dv2 = readDeletionVectorFromIndexFile(JAVA_DV_INDEX_32, { offset: 33, length: 22 }, 'idx');
    expect([dv1.cardinality, positionsOf(dv1, 100)]).toEqual([2, [2, 3]]);
    expect([dv2.cardinality, positionsOf(dv2, 100)]).toEqual([1, [1]]);
  });

  it('64-bit (Bitmap64DeletionVector): ranges (1, 44) and (45, 42)', () => {
    const dv1 = readDeletionVectorFromIndexFile(JAVA_DV_INDEX_64, { offset: 1, length: 44 }, 'idx');
    const dv2 = readDeletionVectorFromIndexFile(JAVA_DV_INDEX_64, { offset: 45, length: 42 }, 'idx');
    expect([dv1.cardinality, positionsOf(dv1, 100)]).toEqual([2, [2, 3]]);
    expect([dv2.cardinality, positionsOf(dv2, 100)]).toEqual([1, [1]]);
  });

  it('a slice of length + 8 at the offset is enough (32-bit: exact; 64-bit: 8 bytes extra)', () => {
    const slice = JAVA_DV_INDEX_32.subarray(33, 33 + 22 + 8);
    expect(slice.length).toBe(30);
    expect(positionsOf(readDeletionVector(slice, 'idx', 22), 10)).toEqual([1]);
    const first64 = JAVA_DV_INDEX_64.subarray(1, 1 + 44 + 8);
    expect(positionsOf(readDeletionVector(first64, 'idx', 44), 10)).toEqual([2, 3]);
    // the last 64-bit blob ends at the end of the file: length + 8 would over-read, so clamp
    expect(deletionVectorReadLength({ offset: 45, length: 42 }, JAVA_DV_INDEX_64.length)).toBe(42);
    expect(deletionVectorReadLength({ offset: 33, length: 22 }, JAVA_DV_INDEX_32.length)).toBe(30);
    expect(deletionVectorReadLength({ offset: 33, length: 22 })).toBe(30);
  });

  it('our encoder reproduces Java bytes exactly', () => {
    const { bytes, ranges } = encodeDeletionVectorIndexFile([
      ['dv1', [3, 2]],
      ['dv2', [1]],
    ]);
    expect(toHex(bytes)).toBe(toHex(JAVA_DV_INDEX_32));
    expect(ranges).toEqual([
      { fileName: 'dv1', offset: 1, length: 24, cardinality: 2 },
      { fileName: 'dv2', offset: 33, length: 22, cardinality: 1 },
    ]);
    const b64 = encodeDeletionVectorIndexFile(
      [
        ['dv1', [2, 3, 3]],
        ['dv2', [1]],
      ],
      { bitmap64: true },
    );
    expect(toHex(b64.bytes)).toBe(toHex(JAVA_DV_INDEX_64));
    expect(b64.ranges.map((r) => [r.offset, r.length, r.cardinality])).toEqual([
      [1, 44, 2],
      [45, 42, 1],
    ]);
  });
});

describe('round trips', () => {
  const cases: [string, number[]][] = [
    ['empty', []],
    ['single', [0]],
    ['array container', [1, 5, 7, 100, 65535]],
    ['run container', Array.from({ length: 10000 }, (_, i) => i + 17)],
    ['bitmap container', Array.from({ length: 30000 }, (_, i) => i * 2)],
    ['many containers', Array.from({ length: 5000 }, (_, i) => i * 104729)],
    [
      'mixed',
      [
        ...Array.from({ length: 5000 }, (_, i) => i * 3),
        ...Array.from({ length: 9000 }, (_, i) => 200000 + i),
        2147483647,
      ],
    ],
  ];
  for (const [name, positions] of cases) {
    for (const bitmap64 of [false, true]) {
      it(`${name}${bitmap64 ? ' (64-bit)' : ''}`, () => {
        const blob = encodeDeletionVector(positions, { bitmap64 });
        const len = deletionVectorRangeLength(blob);
        expect(len).toBe(bitmap64 ? blob.length : blob.length - 8);
        const dv = readDeletionVector(blob, 'p', len);
        const set = new Set(positions);
        expect(dv.cardinality).toBe(set.size);
        expect([...deletionVectorPositions(dv)]).toEqual([...set].sort((a, b) => a - b));
        for (const p of positions) expect(dv.has(p)).toBe(true);
        let falsePositives = 0;
        for (let i = 0; i < 70000; i++) if (!set.has(i) && dv.has(i)) falsePositives++;
        for (const p of positions.slice(0, 200)) if (!set.has(p + 1) && dv.has(p + 1)) falsePositives++;
        expect(falsePositives).toBe(0);
        expect(dv.has(-1)).toBe(false);
        expect(dv.has(1.5)).toBe(false);
      });
    }
  }

  it('64-bit positions beyond 2^32 (sparse high keys)', () => {
    const positions = [5, 2 ** 32 + 7, 3 * 2 ** 32, 3 * 2 ** 32 + 1, 2 ** 40 + 123];
    const blob = encodeDeletionVector(positions, { bitmap64: true });
    const dv = readDeletionVector(blob, 'p', blob.length);
    expect(dv.cardinality).toBe(5);
    expect([...deletionVectorPositions(dv)]).toEqual(positions);
    for (const p of positions) expect(dv.has(p)).toBe(true);
    expect(dv.has(7)).toBe(false);
    expect(dv.has(2 ** 32 + 5)).toBe(false);
    expect(dv.has(2 ** 40 + 124)).toBe(false);
  });

  it('32-bit rejects positions beyond Integer.MAX_VALUE', () => {
    expect(() => encodeDeletionVector([2 ** 31])).toThrow(RangeError);
    expect(readDeletionVector(encodeDeletionVector([1]), 'p').has(2 ** 31)).toBe(false);
  });

  it('index file with several vectors', () => {
    const vectors: [string, number[]][] = Array.from({ length: 20 }, (_, i) => [
      `data-${i}.parquet`,
      Array.from({ length: i * 50 }, (_, j) => j * (i + 1)),
    ]);
    const { bytes, ranges } = encodeDeletionVectorIndexFile(vectors);
    expect(bytes[0]).toBe(1);
    ranges.forEach((r, i) => {
      const dv = readDeletionVectorFromIndexFile(bytes, r, 'idx');
      expect(dv.cardinality).toBe(vectors[i]![1].length);
      expect(r.cardinality).toBe(vectors[i]![1].length);
      const slice = bytes.subarray(r.offset, r.offset + deletionVectorReadLength(r, bytes.length));
      expect(readDeletionVector(slice, 'idx', r.length).cardinality).toBe(r.cardinality);
    });
  });
});

describe('corruption', () => {
  const expectCorrupt = (f: () => unknown) => {
    let err: unknown;
    try {
      f();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(EddyError);
    expect((err as EddyError).code).toBe('CORRUPT_FILE');
    expect((err as EddyError).path).toBe('/t/index/index-1');
  };
  const path = '/t/index/index-1';
  const blob = encodeDeletionVector([1, 2, 3, 1000, 70000]);

  it('truncated', () => {
    for (let n = 0; n < blob.length; n++) expectCorrupt(() => readDeletionVector(blob.subarray(0, n), path));
  });

  it('bad checksum, magic, size and version', () => {
    const crc = blob.slice();
    crc[crc.length - 1]! ^= 1;
    expectCorrupt(() => readDeletionVector(crc, path));
    const body = blob.slice();
    body[12]! ^= 1;
    expectCorrupt(() => readDeletionVector(body, path));
    const magic = blob.slice();
    new DataView(magic.buffer).setInt32(4, BITMAP32_MAGIC + 1, false);
    expectCorrupt(() => readDeletionVector(magic, path));
    expectCorrupt(() => readDeletionVector(blob, path, deletionVectorRangeLength(blob) + 1));
    const file = encodeDeletionVectorIndexFile([['a', [1]]]);
    const v2 = file.bytes.slice();
    v2[0] = 2;
    expectCorrupt(() => readDeletionVectorFromIndexFile(v2, file.ranges[0]!, path));
  });

  it('a container whose values do not number its cardinality (checksum intact)', () => {
    // positions() fills an array of the declared cardinality: a mismatch would leave holes.
    const recrc = (b: Uint8Array) => {
      const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
      const end = 4 + v.getInt32(0, false);
      v.setUint32(end, crc32(b, 4, end), false);
      return b;
    };
    // One run container [17, 10017): cookie with run flag, 1 container; its header's cardinality - 1 at byte 8 + 4 + 1 + 2.
    const run = encodeDeletionVector(Array.from({ length: 10000 }, (_, i) => i + 17));
    const badRun = run.slice();
    new DataView(badRun.buffer).setUint16(8 + 4 + 1 + 2, 9998, true);
    expectCorrupt(() => readDeletionVector(recrc(badRun), path));
    // One bitmap container (30,000 even values): no run flag; cardinality - 1 after cookie and count.
    const bitmap = encodeDeletionVector(Array.from({ length: 30000 }, (_, i) => i * 2));
    const badBitmap = bitmap.slice();
    new DataView(badBitmap.buffer).setUint16(8 + 8 + 2, 30000, true);
    expectCorrupt(() => readDeletionVector(recrc(badBitmap), path));
    expect(deletionVectorPositions(readDeletionVector(recrc(bitmap.slice()), path)).length).toBe(30000);
  });
});
