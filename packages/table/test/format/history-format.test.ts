/**
 * The 64-bit fields of snapshots and the tag fields, against JSON as Paimon Java 1.4.2 writes it
 * (copied from files the interop driver produced) and by property: every long survives a
 * decode/encode round trip, nothing is rounded silently.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseJsonWithLongs } from '../../src/format/json-long.ts';
import { decodeSnapshot, encodeSnapshot, type Snapshot } from '../../src/format/snapshot.ts';
import { decodeTag, encodeTag, localDateTimeMillis, localDateTimeOf } from '../../src/format/tag.ts';
import { TableSchema } from '../../src/schema/table-schema.ts';

// A tag file Paimon 1.4.2 wrote (createTag with a retention time), byte for byte.
const JAVA_TAG = `{
  "version" : 3,
  "id" : 2,
  "schemaId" : 0,
  "baseManifestList" : "manifest-list-3a731226-f08f-46c8-bff4-4209f8471dd0-0",
  "baseManifestListSize" : 1113,
  "deltaManifestList" : "manifest-list-3a731226-f08f-46c8-bff4-4209f8471dd0-1",
  "deltaManifestListSize" : 1113,
  "commitUser" : "eddy-history-t",
  "commitIdentifier" : 2,
  "commitKind" : "APPEND",
  "timeMillis" : 1796632310141,
  "totalRecordCount" : 3,
  "deltaRecordCount" : 1,
  "watermark" : -9223372036854775808,
  "nextRowId" : 0,
  "tagCreateTime" : [ 2026, 12, 7, 8, 31, 50, 146703338 ],
  "tagTimeRetained" : 86400.000000000
}`;

const long = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });

const snapshotArb: fc.Arbitrary<Snapshot> = fc.record({
  version: fc.constant(3),
  id: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  schemaId: fc.integer({ min: 0, max: 1000 }),
  baseManifestList: fc.constant('manifest-list-a-0'),
  deltaManifestList: fc.constant('manifest-list-a-1'),
  commitUser: fc.string({ maxLength: 10 }),
  commitIdentifier: long,
  commitKind: fc.constantFrom('APPEND' as const, 'COMPACT' as const, 'OVERWRITE' as const),
  timeMillis: fc.integer({ min: 0, max: 2 ** 45 }),
  totalRecordCount: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  deltaRecordCount: fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
  watermark: fc.option(long, { nil: undefined }),
  nextRowId: fc.option(long, { nil: undefined }),
});

describe('snapshot 64-bit fields', () => {
  it("reads Flink's watermark (Long.MIN_VALUE) and writes it back unchanged", () => {
    const s = decodeSnapshot(JAVA_TAG, 'tag-t');
    expect(s.watermark).toBe(-9223372036854775808n);
    expect(s.nextRowId).toBe(0n);
    expect(s.commitIdentifier).toBe(2n);
    const again = encodeSnapshot(s);
    expect(again).toContain('"watermark": -9223372036854775808');
    expect(decodeSnapshot(again, 'x')).toEqual(s);
  });

  it('round-trips every long exactly', () => {
    fc.assert(
      fc.property(snapshotArb, (s) => {
        const back = decodeSnapshot(encodeSnapshot(s), 'p');
        expect(back.watermark).toBe(s.watermark);
        expect(back.nextRowId).toBe(s.nextRowId);
        expect(back.commitIdentifier).toBe(s.commitIdentifier);
        expect(back.id).toBe(s.id);
        expect(back.totalRecordCount).toBe(s.totalRecordCount);
      }),
      { numRuns: 200 },
    );
  });

  it('refuses ids, counts and times beyond 2^53 instead of rounding them', () => {
    for (const field of ['id', 'totalRecordCount', 'timeMillis', 'schemaId', 'baseManifestListSize']) {
      const text = JAVA_TAG.replace(
        /"(id|totalRecordCount|timeMillis|schemaId|baseManifestListSize)" : \d+/g,
        (m, k) => (k === field ? `"${k}" : 9007199254740993` : m),
      );
      expect(() => decodeSnapshot(text, 'snapshot-x'), field).toThrow(/CORRUPT|beyond the safe integer/);
    }
  });

  it('refuses a schema id or field id beyond 2^53', () => {
    const schema = TableSchema.create({ columns: { k: 'INT' } }).toJson();
    expect(() => TableSchema.fromJson(schema.replace('"id": 0,', '"id": 9007199254740993,'), 's')).toThrow(
      /not an integer/,
    );
    expect(TableSchema.fromJson(schema, 's').id).toBe(0);
  });
});

describe('tag files', () => {
  it('reads the tag fields Java writes', () => {
    const t = decodeTag(JAVA_TAG, 'tag-t');
    expect(t.snapshot.id).toBe(2);
    expect(t.createTime).toEqual({ year: 2026, month: 12, day: 7, hour: 8, minute: 31, second: 50, nano: 146703338 });
    expect(t.timeRetainedMs).toBe(86_400_000);
  });

  it('writes them as Jackson does, and a tag without retention as plain snapshot JSON', () => {
    const t = decodeTag(JAVA_TAG, 'tag-t');
    const text = encodeTag(t);
    expect(text).toContain('"tagTimeRetained": 86400.000000000');
    expect(parseJsonWithLongs(text)).toMatchObject({ tagCreateTime: [2026, 12, 7, 8, 31, 50, 146703338] });
    expect(decodeTag(text, 'x')).toEqual(t);
    const plain = encodeTag({ snapshot: t.snapshot });
    expect(plain).not.toContain('tagCreateTime');
    expect(plain).toBe(encodeSnapshot(t.snapshot));
  });

  it('leaves out a zero second and nanos like Jackson, and reads ISO strings too', () => {
    const s = decodeSnapshot(JAVA_TAG, 'x');
    const text = encodeTag({
      snapshot: s,
      createTime: { year: 2024, month: 1, day: 2, hour: 3, minute: 4, second: 0, nano: 0 },
      timeRetainedMs: 1500,
    });
    expect(parseJsonWithLongs(text)).toMatchObject({ tagCreateTime: [2024, 1, 2, 3, 4] });
    expect(text).toContain('"tagTimeRetained": 1.500000000');
    const iso = JAVA_TAG.replace('[ 2026, 12, 7, 8, 31, 50, 146703338 ]', '"2024-01-02T03:04:05.5"').replace(
      '86400.000000000',
      '"PT2H"',
    );
    const t = decodeTag(iso, 'x');
    expect(t.createTime).toEqual({ year: 2024, month: 1, day: 2, hour: 3, minute: 4, second: 5, nano: 500_000_000 });
    expect(t.timeRetainedMs).toBe(7_200_000);
    expect(() => decodeTag(JAVA_TAG.replace('[ 2026, 12', '[ 2026, 13'), 'x')).toThrow(/tagCreateTime/);
  });

  it('round-trips create times and retention by property', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 44 }), fc.integer({ min: 0, max: 2 ** 40 }), (millis, retained) => {
        const s = decodeSnapshot(JAVA_TAG, 'x');
        const createTime = localDateTimeOf(millis);
        const back = decodeTag(encodeTag({ snapshot: s, createTime, timeRetainedMs: retained }), 'x');
        expect(back.createTime).toEqual(createTime);
        expect(localDateTimeMillis(back.createTime!)).toBe(millis);
        expect(back.timeRetainedMs).toBe(retained);
      }),
      { numRuns: 200 },
    );
  });
});
