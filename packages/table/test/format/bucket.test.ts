import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeBinaryRow } from '../../src/format/binary-row.ts';
import { BucketFunction, bucketOf, murmurHashBytes } from '../../src/format/bucket.ts';
import type { DataType } from '../../src/types/data-types.ts';
import { EddyError } from '../../src/types/errors.ts';

const INT: DataType = { root: 'INT', nullable: false };
const BIGINT: DataType = { root: 'BIGINT', nullable: false };
const STRING: DataType = { root: 'VARCHAR', nullable: false, length: 2147483647 };

describe('murmurHashBytes', () => {
  it('is 0 for empty input with seed 0 (murmur3_32)', () => {
    expect(murmurHashBytes(new Uint8Array(0), 0)).toBe(0);
  });

  it('returns a signed 32-bit integer', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.integer(), (bytes, seed) => {
        const h = murmurHashBytes(bytes, seed);
        expect(h).toBe(h | 0);
      }),
    );
  });

  it('hashes the unaligned tail byte by byte (MurmurHashUtils.hashUnsafeBytes)', () => {
    // Differs from appending zero bytes: the length is mixed in and the tail is not padded.
    const a = murmurHashBytes(new Uint8Array([1, 2, 3, 4, 5]));
    const b = murmurHashBytes(new Uint8Array([1, 2, 3, 4, 5, 0, 0, 0]));
    expect(a).not.toBe(b);
    // Sign-extended tail bytes: 0x80 and 0x00 differ.
    expect(murmurHashBytes(new Uint8Array([0x80]))).not.toBe(murmurHashBytes(new Uint8Array([0x00])));
  });
});

describe('bucketOf', () => {
  it('is Math.abs(hash % n) with a truncating remainder', () => {
    expect(bucketOf(1465514398, 4)).toBe(2);
    expect(bucketOf(-7, 4)).toBe(3);
    expect(bucketOf(-8, 4)).toBe(0);
    expect(bucketOf(-2147483648, 3)).toBe(2);
    expect(bucketOf(2147483647, 1)).toBe(0);
  });
});

describe('BucketFunction (Paimon DefaultBucketFunction)', () => {
  it('matches the Java hashes of single INT keys', () => {
    const f = new BucketFunction([INT], 4);
    expect(f.hash([1])).toBe(1465514398);
    expect(f.bucket([1])).toBe(2);
    expect(f.hash([42])).toBe(907821237);
    expect(f.bucket([42])).toBe(1);
    expect(f.hash([-7])).toBe(1485184587);
    expect(f.bucket([-7])).toBe(3);
    expect(new BucketFunction([INT], 10).bucket([1])).toBe(8);
  });

  it('matches the Java hashes of STRING keys (inline and variable-part)', () => {
    const f = new BucketFunction([STRING], 4);
    expect(f.hash(['abc'])).toBe(-101922419);
    expect(f.bucket(['abc'])).toBe(3);
    expect(f.hash(['hello-world'])).toBe(76085436);
    expect(f.bucket(['hello-world'])).toBe(0);
  });

  it('matches FixedBucketRowKeyExtractorTest.testBucket (row 5, 6, 7; 100 buckets)', () => {
    expect(new BucketFunction([INT], 100).bucket([5])).toBe(96);
    expect(new BucketFunction([INT, INT], 100).bucket([5, 6])).toBe(27);
    expect(new BucketFunction([INT, INT, INT], 100).bucket([5, 6, 7])).toBe(40);
  });

  it('hashes BIGINT 1 like INT 1 (same BinaryRow bytes)', () => {
    expect(new BucketFunction([BIGINT], 4).hash([1n])).toBe(1465514398);
  });

  it('is the murmur hash of the key BinaryRow with row kind INSERT', () => {
    const types: DataType[] = [STRING, { root: 'DECIMAL', nullable: true, precision: 38, scale: 2 }, BIGINT];
    const values = ['some longer key', null, -5n];
    const f = new BucketFunction(types, 7);
    expect(f.hash(values)).toBe(murmurHashBytes(encodeBinaryRow(types, values, 0)));
  });

  it('always lands in [0, numBuckets)', () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 1, max: 1000 }), (key, n) => {
        const b = new BucketFunction([STRING], n).bucket([key]);
        expect(Number.isInteger(b) && b >= 0 && b < n).toBe(true);
      }),
    );
  });

  it('rejects invalid bucket counts and empty keys', () => {
    for (const n of [0, -1, 1.5]) expect(() => new BucketFunction([INT], n)).toThrow(EddyError);
    expect(() => new BucketFunction([], 4)).toThrow(EddyError);
  });
});
