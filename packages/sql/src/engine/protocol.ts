/**
 * What crosses between the main thread (Eddy: catalogs, scans, writers) and the engine worker
 * (DuckDB). DuckDB calls a table function's callbacks synchronously, while Eddy reads files
 * asynchronously; so DuckDB lives in a worker whose callbacks block until the main thread, free to
 * await, answers on a MessagePort the worker reads synchronously (`receiveMessageOnPort`).
 *
 * Columns cross as plain typed arrays over buffers of their own, moved (transferred), not copied.
 */

/** A DuckDB type as the two sides describe it (DuckDBTypeId plus what DECIMAL needs). */
export interface WireType {
  /** DuckDBTypeId. */
  readonly id: number;
  readonly width?: number;
  readonly scale?: number;
  /** DuckDB's name for it (`DECIMAL(10,2)`, `INTEGER[]`), for messages and fallbacks. */
  readonly sql: string;
}

/**
 * One column of a batch:
 * - `fixed`: little-endian values of the DuckDB physical width (BOOLEAN one byte, DECIMAL by
 *   precision: 2/4/8/16 bytes), exactly DuckDB's vector layout;
 * - `var`: VARCHAR/BLOB as offsets (length + 1) into UTF-8/raw bytes;
 * - `js`: any other type as JS values (LIST, STRUCT, MAP, INTERVAL, UUID, ...), results only.
 * `validity` is a bitmap (bit i of byte i >> 3, 1 = present), padded to whole 64-bit words; null
 * when every row is present.
 */
export type WireColumn =
  | { readonly kind: 'fixed'; readonly data: Uint8Array; readonly validity: Uint8Array | null }
  | {
      readonly kind: 'var';
      readonly offsets: Int32Array;
      readonly bytes: Uint8Array;
      readonly validity: Uint8Array | null;
    }
  | { readonly kind: 'js'; readonly values: unknown[] };

export interface WireBatch {
  readonly length: number;
  readonly columns: readonly WireColumn[];
}

export interface WireField {
  readonly name: string;
  readonly type: WireType;
}

/** The buffers of a batch, to move them with postMessage. */
export function transferList(batch: WireBatch): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const c of batch.columns) {
    if (c.kind === 'js') continue;
    if (c.kind === 'fixed') out.add(c.data.buffer as ArrayBuffer);
    else {
      out.add(c.offsets.buffer as ArrayBuffer);
      out.add(c.bytes.buffer as ArrayBuffer);
    }
    if (c.validity) out.add(c.validity.buffer as ArrayBuffer);
  }
  return [...out];
}

// ---------------------------------------------------------------------------------------------
// Main → worker (requests on the worker's own port; the worker answers on the same port).

export type EngineRequest =
  /** Run a statement on a session's connection; `stream` keeps the result open for `fetch`. */
  | {
      readonly op: 'run';
      readonly stmt: number;
      readonly session: number;
      readonly sql: string;
      readonly batchRows: number;
    }
  | { readonly op: 'fetch'; readonly stmt: number }
  | { readonly op: 'close'; readonly stmt: number }
  | { readonly op: 'closeSession'; readonly session: number }
  /**
   * Handled at once, not in turn: stops what a session runs, or, when its statement `stmt` (the
   * session's last one posted) has not started yet, stops it as it starts (DuckDB forgets an
   * interrupt when the next query begins).
   */
  | { readonly op: 'interrupt'; readonly session: number; readonly stmt: number };

export type EngineReply =
  | { readonly op: 'ready' }
  | { readonly op: 'fatal'; readonly message: string }
  | { readonly op: 'columns'; readonly stmt: number; readonly fields: readonly WireField[] }
  | { readonly op: 'batch'; readonly stmt: number; readonly batch: WireBatch }
  | { readonly op: 'end'; readonly stmt: number }
  | { readonly op: 'error'; readonly stmt: number; readonly message: string }
  /** From inside a DuckDB callback: the worker waits for the answer on the data port. */
  | ScanCall;

/** What a table function asks the main thread while DuckDB waits. */
export type ScanCall =
  /** Bind `eddy_scan(...)`/`eddy_changes(...)`/`eddy_system(...)` or `__eddy_read(handle)`: its columns. */
  | {
      readonly op: 'resolve';
      readonly call: number;
      readonly session: number;
      readonly fn: string;
      readonly args: ResolveArgs;
    }
  /** A scan starts: the columns DuckDB wants, by index among the bound ones. */
  | {
      readonly op: 'open';
      readonly call: number;
      readonly handle: number;
      readonly projection: readonly number[];
    }
  /** The next batch of a cursor (opened by `open`). */
  | { readonly op: 'next'; readonly call: number; readonly cursor: number };

/** Positional and named arguments of a table function, as JS values. */
export interface ResolveArgs {
  readonly positional: readonly unknown[];
  readonly named: Readonly<Record<string, unknown>>;
}

/** The main thread's answer to a ScanCall, on the data port. */
export type ScanAnswer =
  | { readonly call: number; readonly error: string }
  | { readonly call: number; readonly handle: number; readonly fields: readonly WireField[] }
  | { readonly call: number; readonly cursor: number }
  | { readonly call: number; readonly batch: WireBatch }
  | { readonly call: number; readonly done: true };
