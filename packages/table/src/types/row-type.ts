/**
 * Row types derived from a schema at compile time: `RowOf<typeof schema>` maps each column's type
 * string to the JS value a scan returns (the README's value table), so
 * `catalog.createTable('shop.orders', { columns: { id: 'BIGINT', amount: 'DECIMAL(10, 2)' }, ... })`
 * is a `Table<{ id: bigint; amount: string | null }>`. Columns are nullable unless `NOT NULL` or in
 * the primary key (Paimon makes key columns NOT NULL). A type string the mapping does not know
 * gives `unknown`; a schema whose column names are not literal types gives plain `Row`.
 */

type Trim<S extends string> = S extends ` ${infer R}` ? Trim<R> : S extends `${infer R} ` ? Trim<R> : S;

/** Uppercased, without `NOT NULL` / `NULL`. */
type BaseType<T extends string> =
  Trim<Uppercase<T>> extends `${infer B} NOT NULL`
    ? Trim<B>
    : Trim<Uppercase<T>> extends `${infer B} NULL`
      ? Trim<B>
      : Trim<Uppercase<T>>;

type IsNotNull<T extends string> = Trim<Uppercase<T>> extends `${string} NOT NULL` ? true : false;

/** TIMESTAMP(0..3) reads as Date; TIMESTAMP(4..6), and TIMESTAMP without a precision (6), as bigint micros. */
type TimestampValue<Rest extends string> =
  Trim<Rest> extends `(${infer P})${string}` ? (Trim<P> extends '0' | '1' | '2' | '3' ? Date : bigint) : bigint;

/** The JS value a scan returns for a (non-null) column of this type string. */
export type ColumnValue<T extends string> =
  BaseType<T> extends infer B extends string
    ? B extends 'BOOLEAN'
      ? boolean
      : B extends 'TINYINT' | 'SMALLINT' | 'INT' | 'INTEGER' | 'FLOAT' | 'DOUBLE'
        ? number
        : B extends 'BIGINT'
          ? bigint
          : B extends 'STRING' | 'DATE' | `VARCHAR${string}` | `CHAR${string}`
            ? string
            : B extends `DECIMAL${string}` | `NUMERIC${string}` | `DEC${string}`
              ? string
              : B extends 'BYTES' | `BINARY${string}` | `VARBINARY${string}`
                ? Uint8Array
                : B extends `TIMESTAMP_LTZ${infer Rest}`
                  ? TimestampValue<Rest>
                  : B extends `TIMESTAMP${infer Rest}`
                    ? TimestampValue<Rest>
                    : unknown
    : unknown;

type Value<T extends string, Key extends boolean> = Key extends true
  ? ColumnValue<T>
  : IsNotNull<T> extends true
    ? ColumnValue<T>
    : ColumnValue<T> | null;

type KeyOf<S> = S extends { readonly primaryKey: readonly (infer K)[] } ? K : never;

/** What `RowOf` needs of a schema: `SchemaInput`'s columns and primary key. */
export interface SchemaShape {
  readonly columns: Readonly<Record<string, string>> | readonly { readonly name: string; readonly type: string }[];
  readonly primaryKey?: readonly string[];
}

type ArrayColumns = readonly { readonly name: string; readonly type: string }[];

type ArrayRow<S extends SchemaShape, C extends ArrayColumns> = string extends C[number]['name'] | C[number]['type']
  ? Record<string, unknown>
  : { -readonly [E in C[number] as E['name'] & string]: Value<E['type'], E['name'] extends KeyOf<S> ? true : false> };

type RecordRow<S extends SchemaShape, C extends Readonly<Record<string, string>>> = string extends keyof C | C[keyof C]
  ? Record<string, unknown>
  : { -readonly [K in keyof C & string]: Value<C[K], K extends KeyOf<S> ? true : false> };

/**
 * The row a scan of a table with schema `S` returns (see the module comment); plain
 * `Record<string, unknown>` unless every column name and type is a literal.
 */
export type RowOf<S extends SchemaShape> = S['columns'] extends ArrayColumns
  ? ArrayRow<S, S['columns']>
  : S['columns'] extends Readonly<Record<string, string>>
    ? RecordRow<S, S['columns']>
    : Record<string, unknown>;

/** A row where any column may be null (the before-image of a delete may hold only its key). */
export type NullableRow<R> = { [K in keyof R]: R[K] | null };
