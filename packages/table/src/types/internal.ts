/**
 * Internal values: the one representation the format layer (BinaryRow, stats, bucket hash,
 * comparisons) works with, like Paimon's InternalRow. Public JS values are converted to these at
 * the API edge (see values.ts).
 *
 * | type                        | internal value                                  |
 * |-----------------------------|-------------------------------------------------|
 * | BOOLEAN                     | boolean                                         |
 * | TINYINT, SMALLINT, INT      | number (integer)                                |
 * | DATE                        | number: days since 1970-01-01                   |
 * | BIGINT                      | bigint                                          |
 * | FLOAT, DOUBLE               | number                                          |
 * | CHAR, VARCHAR, STRING       | string                                          |
 * | BINARY, VARBINARY, BYTES    | Uint8Array                                      |
 * | DECIMAL(p, s)               | bigint: the unscaled value                      |
 * | TIMESTAMP(p), TIMESTAMP_LTZ | bigint: microseconds since 1970-01-01T00:00 (UTC)|
 * | NULL                        | null                                            |
 */
export type InternalValue = boolean | number | bigint | string | Uint8Array | null;

/** RowKind bytes as stored in `_VALUE_KIND` and the BinaryRow header. */
export const RowKind = { INSERT: 0, UPDATE_BEFORE: 1, UPDATE_AFTER: 2, DELETE: 3 } as const;
export type RowKindByte = 0 | 1 | 2 | 3;
export type RowKindName = '+I' | '-U' | '+U' | '-D';
export const ROW_KIND_NAMES: readonly RowKindName[] = ['+I', '-U', '+U', '-D'];
export const isRetract = (kind: number): boolean => kind === RowKind.UPDATE_BEFORE || kind === RowKind.DELETE;
