import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeBinaryRow,
  deserializeBinaryRow,
  EMPTY_SERIALIZED_ROW,
  encodeBinaryRow,
  fixedPartSize,
  nullBitsSizeInBytes,
  serializeBinaryRow,
} from '../../src/format/binary-row.ts';
import type { DataType } from '../../src/types/data-types.ts';
import { EddyError } from '../../src/types/errors.ts';
import type { InternalValue } from '../../src/types/internal.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

const BOOLEAN: DataType = { root: 'BOOLEAN', nullable: true };
const TINYINT: DataType = { root: 'TINYINT', nullable: true };
const SMALLINT: DataType = { root: 'SMALLINT', nullable: true };
const INT: DataType = { root: 'INT', nullable: true };
const BIGINT: DataType = { root: 'BIGINT', nullable: true };
const FLOAT: DataType = { root: 'FLOAT', nullable: true };
const DOUBLE: DataType = { root: 'DOUBLE', nullable: true };
const DATE: DataType = { root: 'DATE', nullable: true };
const STRING: DataType = { root: 'VARCHAR', nullable: true, length: 2147483647 };
const BYTES: DataType = { root: 'VARBINARY', nullable: true, length: 2147483647 };
const decimal = (precision: number, scale: number): DataType => ({ root: 'DECIMAL', nullable: true, precision, scale });
const timestamp = (precision: number, ltz = false): DataType => ({
  root: ltz ? 'TIMESTAMP_LTZ' : 'TIMESTAMP',
  nullable: true,
  precision,
});

function expectEddyError(fn: () => unknown, code: string, message?: RegExp): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(EddyError);
    expect((e as EddyError).code).toBe(code);
    if (message) expect((e as EddyError).message).toMatch(message);
    return;
  }
  throw new Error('expected an EddyError');
}

describe('layout helpers', () => {
  it('sizes the null-bit region like BinaryRow.calculateBitSetWidthInBytes', () => {
    expect(nullBitsSizeInBytes(0)).toBe(8);
    expect(nullBitsSizeInBytes(1)).toBe(8);
    expect(nullBitsSizeInBytes(56)).toBe(8);
    expect(nullBitsSizeInBytes(57)).toBe(16);
    expect(nullBitsSizeInBytes(120)).toBe(16);
    expect(nullBitsSizeInBytes(121)).toBe(24);
    expect(fixedPartSize(3)).toBe(8 + 24);
  });
});

describe('golden bytes (paimon-format.md §5.4; the first two match Java-written manifests)', () => {
  it('empty row', () => {
    expect(hex(EMPTY_SERIALIZED_ROW)).toBe('000000000000000000000000');
    expect(hex(serializeBinaryRow([], []))).toBe('000000000000000000000000');
  });

  it('INT 5', () => {
    expect(hex(serializeBinaryRow([INT], [5]))).toBe('00000001' + '0000000000000000' + '0500000000000000');
  });

  it('STRING of 10 bytes goes to the variable part, zero-padded to 8', () => {
    expect(hex(serializeBinaryRow([STRING], ['2024-01-01']))).toBe(
      '00000001' + '0000000000000000' + '0a00000010000000' + '323032342d30312d3031000000000000',
    );
  });

  it('short string inline plus a null INT', () => {
    expect(hex(serializeBinaryRow([STRING, INT], ['abc', null]))).toBe(
      '00000002' + '0002000000000000' + '6162630000000083' + '0000000000000000',
    );
  });

  it('non-compact DECIMAL(20, 2) 12345.67', () => {
    expect(hex(serializeBinaryRow([decimal(20, 2)], [1234567n]))).toBe(
      '00000001' + '0000000000000000' + '0300000010000000' + '12d687' + '00'.repeat(13),
    );
  });

  it('TIMESTAMP(6) 2024-01-01 00:00:00.000001', () => {
    expect(hex(serializeBinaryRow([timestamp(6)], [1704067200000001n]))).toBe(
      '00000001' + '0000000000000000' + 'e803000010000000' + '00f451c28c010000',
    );
  });
});

describe('encodeBinaryRow', () => {
  it('writes the row kind into the header byte', () => {
    expect(encodeBinaryRow([INT], [1], 3)[0]).toBe(3);
    expect(encodeBinaryRow([INT], [1])[0]).toBe(0);
  });

  it('stores strings of up to 7 bytes inline and 8 bytes in the variable part', () => {
    const seven = encodeBinaryRow([STRING], ['abcdefg']);
    expect(seven.length).toBe(16);
    expect(hex(seven.subarray(8))).toBe('61626364656667' + '87');
    const eight = encodeBinaryRow([STRING], ['abcdefgh']);
    expect(eight.length).toBe(24);
    expect(hex(eight.subarray(8))).toBe('0800000010000000' + '6162636465666768');
  });

  it('encodes strings as UTF-8 and lone surrogates as "?" (like the JDK)', () => {
    expect(hex(encodeBinaryRow([STRING], ['é']).subarray(8))).toBe('c3a90000000000' + '82');
    expect(hex(encodeBinaryRow([STRING], ['a\uD800b']).subarray(8))).toBe('613f6200000000' + '83');
  });

  it('stores binaries like strings', () => {
    expect(hex(encodeBinaryRow([BYTES], [new Uint8Array([1, 2])]).subarray(8))).toBe('01020000000000' + '82');
    const nine = new Uint8Array(9).fill(0xff);
    expect(hex(encodeBinaryRow([BYTES], [nine]).subarray(8))).toBe(
      '0900000010000000' + 'ff'.repeat(9) + '00'.repeat(7),
    );
  });

  it('encodes fixed-size types little-endian in their slots', () => {
    const row = encodeBinaryRow(
      [BOOLEAN, TINYINT, SMALLINT, INT, BIGINT, FLOAT, DOUBLE, DATE],
      [true, -1, 0x1234, -2, 0x0102030405060708n, 1.5, -2.5, 19723],
    );
    const slots = hex(row.subarray(8));
    expect(slots).toBe(
      [
        '0100000000000000',
        'ff00000000000000',
        '3412000000000000',
        'feffffff00000000',
        '0807060504030201',
        '0000c03f00000000',
        '00000000000004c0',
        '0b4d000000000000',
      ].join(''),
    );
  });

  it('stores compact decimals and timestamps as longs', () => {
    const row = encodeBinaryRow([decimal(18, 2), timestamp(3), timestamp(0, true)], [-1n, 1_500n, -1_000n]);
    expect(hex(row.subarray(8))).toBe('ffffffffffffffff' + '0100000000000000' + 'ffffffffffffffff');
  });

  it('keeps the reserved variable bytes of NULL non-compact decimals and timestamps (RowHelper)', () => {
    const row = encodeBinaryRow([decimal(38, 18), timestamp(6), INT], [null, null, 1]);
    expect(hex(row)).toBe(
      '0003000000000000' +
        '0000000020000000' +
        '0000000030000000' +
        '0100000000000000' +
        '00'.repeat(16) +
        '00'.repeat(8),
    );
    expect(
      deserializeBinaryRow(serializeBinaryRow([decimal(38, 18), timestamp(6), INT], [null, null, 1]), [
        decimal(38, 18),
        timestamp(6),
        INT,
      ]),
    ).toEqual([null, null, 1]);
  });

  it('uses minimal two-complement bytes for non-compact decimals', () => {
    const row = encodeBinaryRow([decimal(38, 0)], [-129n]);
    expect(hex(row.subarray(8, 16))).toBe('0200000010000000');
    expect(hex(row.subarray(16, 18))).toBe('ff7f');
    const max = 10n ** 38n - 1n;
    expect(decodeBinaryRow(encodeBinaryRow([decimal(38, 0)], [max]), 0, 32, [decimal(38, 0)])).toEqual([max]);
  });

  it('sets null bits in the second word for wide rows', () => {
    const types = Array.from({ length: 60 }, () => INT);
    const values: InternalValue[] = types.map((_, i) => (i === 57 ? null : i));
    const row = encodeBinaryRow(types, values);
    expect(row.length).toBe(16 + 60 * 8);
    // bit 57 + 8 = 65 -> byte 8, bit 1
    expect(row[8]).toBe(0b10);
    expect(decodeBinaryRow(row, 0, row.length, types)).toEqual(values);
  });

  it('rejects values that do not fit the type', () => {
    expectEddyError(() => encodeBinaryRow([INT], [1.5]), 'INVALID_ARGUMENT', /field 0 \(INT\)/);
    expectEddyError(() => encodeBinaryRow([TINYINT], [128]), 'INVALID_ARGUMENT');
    expectEddyError(() => encodeBinaryRow([BIGINT], [1n << 63n]), 'INVALID_ARGUMENT');
    expectEddyError(() => encodeBinaryRow([STRING], [5]), 'INVALID_ARGUMENT');
    expectEddyError(() => encodeBinaryRow([decimal(5, 2)], [100000n]), 'INVALID_ARGUMENT');
    expectEddyError(() => encodeBinaryRow([INT, INT], [1]), 'INVALID_ARGUMENT');
  });
});

describe('deserializeBinaryRow', () => {
  it('reads missing trailing fields as null (fields added later)', () => {
    const bytes = serializeBinaryRow([INT], [7]);
    expect(deserializeBinaryRow(bytes, [INT, STRING, BIGINT])).toEqual([7, null, null]);
    expect(deserializeBinaryRow(EMPTY_SERIALIZED_ROW, [INT])).toEqual([null]);
  });

  it('decodes the prefix when the stored row has more fields than asked for', () => {
    const bytes = serializeBinaryRow([INT, STRING], [7, 'a long string value']);
    expect(deserializeBinaryRow(bytes, [INT])).toEqual([7]);
  });

  it('decodes rows at an offset inside a larger buffer', () => {
    const row = encodeBinaryRow([STRING, BIGINT], ['hello, world', 5n]);
    const buf = new Uint8Array(row.length + 10);
    buf.set(row, 3);
    expect(decodeBinaryRow(buf, 3, row.length, [STRING, BIGINT])).toEqual(['hello, world', 5n]);
  });

  it('fails with CORRUPT_FILE on truncated or inconsistent input', () => {
    expectEddyError(() => deserializeBinaryRow(new Uint8Array(2), [INT]), 'CORRUPT_FILE', /arity prefix/);
    expectEddyError(() => deserializeBinaryRow(unhex('ffffffff'), [INT]), 'CORRUPT_FILE', /negative arity/);
    expectEddyError(() => deserializeBinaryRow(unhex('00000001 0000000000000000'), [INT]), 'CORRUPT_FILE', /shorter/);
    const long = serializeBinaryRow([STRING], ['a string of 20 bytes']);
    expectEddyError(() => deserializeBinaryRow(long.subarray(0, long.length - 8), [STRING]), 'CORRUPT_FILE', /outside/);
    const badInline = unhex('00000001 0000000000000000 61626300000000ff');
    expectEddyError(() => deserializeBinaryRow(badInline, [STRING]), 'CORRUPT_FILE', /inline length/);
    const badOffset = unhex('00000001 0000000000000000 0800000004000000 6162636465666768');
    expectEddyError(() => deserializeBinaryRow(badOffset, [STRING]), 'CORRUPT_FILE', /outside/);
    const badDecimal = unhex('00000001 0000000000000000 1100000010000000' + '00'.repeat(16));
    expectEddyError(() => deserializeBinaryRow(badDecimal, [decimal(20, 0)]), 'CORRUPT_FILE', /decimal/);
    const badNanos = unhex('00000001 0000000000000000 40420f0010000000 0000000000000000');
    expectEddyError(() => deserializeBinaryRow(badNanos, [timestamp(6)]), 'CORRUPT_FILE', /nano/);
  });
});

// ------------------------------------------------------------------------------------------------
// Property: encode/decode round trip over random rows of every type.

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

const typeArb: fc.Arbitrary<DataType> = fc.oneof(
  fc.constantFrom<DataType>(BOOLEAN, TINYINT, SMALLINT, INT, BIGINT, FLOAT, DOUBLE, DATE),
  fc.record({
    root: fc.constantFrom('CHAR' as const, 'VARCHAR' as const, 'BINARY' as const, 'VARBINARY' as const),
    nullable: fc.boolean(),
    length: fc.integer({ min: 1, max: 2147483647 }),
  }),
  fc
    .integer({ min: 1, max: 38 })
    .chain((precision) =>
      fc
        .integer({ min: 0, max: precision })
        .map((scale): DataType => ({ root: 'DECIMAL', nullable: true, precision, scale })),
    ),
  fc.record({
    root: fc.constantFrom('TIMESTAMP' as const, 'TIMESTAMP_LTZ' as const),
    nullable: fc.boolean(),
    precision: fc.integer({ min: 0, max: 6 }),
  }),
);

function valueArb(t: DataType): fc.Arbitrary<InternalValue> {
  switch (t.root) {
    case 'BOOLEAN':
      return fc.boolean();
    case 'TINYINT':
      return fc.integer({ min: -128, max: 127 });
    case 'SMALLINT':
      return fc.integer({ min: -32768, max: 32767 });
    case 'INT':
    case 'DATE':
      return fc.integer();
    case 'BIGINT':
      return fc.bigInt({ min: INT64_MIN, max: INT64_MAX });
    case 'FLOAT':
      return fc.float();
    case 'DOUBLE':
      return fc.double();
    case 'CHAR':
    case 'VARCHAR':
      return fc.oneof(fc.string({ maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 40 }));
    case 'BINARY':
    case 'VARBINARY':
      return fc.uint8Array({ maxLength: 40 });
    case 'DECIMAL': {
      const limit = 10n ** BigInt(t.precision);
      return fc.bigInt({ min: -limit + 1n, max: limit - 1n });
    }
    case 'TIMESTAMP':
    case 'TIMESTAMP_LTZ': {
      const millis = fc.bigInt({ min: INT64_MIN / 1000n, max: INT64_MAX / 1000n });
      if (t.precision <= 3) return millis.map((m) => m * 1000n);
      return fc.tuple(millis, fc.integer({ min: 0, max: 999 })).map(([m, u]) => m * 1000n + BigInt(u));
    }
  }
}

const rowArb = fc
  .array(typeArb, { maxLength: 70 })
  .chain((types) =>
    fc.tuple(fc.constant(types), fc.tuple(...types.map((t) => fc.option(valueArb(t), { nil: null, freq: 4 })))),
  );

describe('round trip (property)', () => {
  it('deserialize(serialize(row)) === row for random rows of every type', () => {
    fc.assert(
      fc.property(rowArb, ([types, values]) => {
        const bytes = serializeBinaryRow(types, values);
        expect((bytes.length - 4) % 8).toBe(0);
        expect(new DataView(bytes.buffer).getInt32(0, false)).toBe(types.length);
        const decoded = deserializeBinaryRow(bytes, types);
        const expected = values.map((v, i) =>
          types[i].root === 'FLOAT' && typeof v === 'number' ? Math.fround(v) : v,
        );
        expect(decoded).toEqual(expected);
        // re-encoding the decoded values gives the same bytes
        expect(hex(serializeBinaryRow(types, decoded))).toBe(hex(bytes));
      }),
      { numRuns: 300 },
    );
  });

  it('row kind survives and does not affect the field bytes', () => {
    fc.assert(
      fc.property(rowArb, fc.integer({ min: 0, max: 3 }), ([types, values], kind) => {
        const a = encodeBinaryRow(types, values, kind);
        const b = encodeBinaryRow(types, values, 0);
        expect(a[0]).toBe(kind);
        expect(hex(a.subarray(1))).toBe(hex(b.subarray(1)));
        expect(decodeBinaryRow(a, 0, a.length, types)).toEqual(decodeBinaryRow(b, 0, b.length, types));
      }),
      { numRuns: 100 },
    );
  });
});
