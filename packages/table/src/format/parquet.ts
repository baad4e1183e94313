import { createRequire } from 'node:module';
import * as arrow from 'apache-arrow';
import type { DataField } from '../types/data-types.ts';
import { EddyError } from '../types/errors.ts';
import type { Column, VarBytes } from './columns.ts';

// parquet-wasm (arrow-rs compiled to wasm): the `node` entry initialises its wasm synchronously.
type ParquetWasm = typeof import('parquet-wasm/node');
type ParquetFile = import('parquet-wasm/node').ParquetFile;
const wasm: ParquetWasm = createRequire(import.meta.url)('parquet-wasm/node');

export type ParquetCompression = 'zstd' | 'snappy' | 'gzip' | 'lz4' | 'none';

export interface ParquetWriteOptions {
  compression: ParquetCompression;
  zstdLevel?: number;
  /** Columns written with DELTA_BINARY_PACKED (sorted keys, sequence numbers). */
  deltaColumns?: readonly string[];
  /** Columns whose dictionary encoding is off (high-cardinality). */
  plainColumns?: readonly string[];
}

function compressionOf(c: ParquetCompression): number {
  switch (c) {
    case 'zstd':
      return wasm.Compression.ZSTD;
    case 'snappy':
      return wasm.Compression.SNAPPY;
    case 'gzip':
      return wasm.Compression.GZIP;
    case 'lz4':
      return wasm.Compression.LZ4_RAW;
    case 'none':
      return wasm.Compression.UNCOMPRESSED;
  }
}

const CREATED_BY = 'eddy (parquet-wasm/arrow-rs)';

/**
 * Writes one RecordBatch as a Parquet file. Field ids travel as Arrow field metadata
 * (`PARQUET:field_id`); arrow-rs writes them into the Parquet schema and per-column statistics.
 */
export function writeParquet(batch: arrow.RecordBatch, options: ParquetWriteOptions): Uint8Array {
  const ipc = arrow.tableToIPC(new arrow.Table(batch), 'stream');
  const table = wasm.Table.fromIPCStream(ipc);
  let builder = new wasm.WriterPropertiesBuilder()
    .setCompression(compressionOf(options.compression))
    .setCreatedBy(CREATED_BY)
    .setMaxRowGroupSize(1 << 20);
  for (const c of options.deltaColumns ?? []) {
    builder = builder.setColumnDictionaryEnabled(c, false).setColumnEncoding(c, wasm.Encoding.DELTA_BINARY_PACKED);
  }
  for (const c of options.plainColumns ?? []) builder = builder.setColumnDictionaryEnabled(c, false);
  // Eddy reads min/max from the manifest, not from page indexes: chunk statistics are enough.
  builder = builder.setStatisticsEnabled(wasm.EnabledStatistics.Chunk);
  const props = builder.build();
  return wasm.writeParquet(table, props);
}

export interface ParquetReadOptions {
  /** Top-level column names to read (all when absent). */
  columns?: readonly string[];
}

/**
 * Reads a Parquet file (held in memory) into an Arrow table, only the requested columns; corrupt
 * input gets an error naming the path. (parquet-wasm's synchronous `readParquet` ignores the
 * column projection; its `ParquetFile` reader honours it and is faster.)
 */
export async function readParquet(
  bytes: Uint8Array,
  path: string,
  options: ParquetReadOptions = {},
): Promise<arrow.Table> {
  let ipc: Uint8Array;
  let file: ParquetFile | undefined;
  try {
    file = await wasm.ParquetFile.fromFile(new Blob([bytes]));
    const table = await file.read({ columns: options.columns ? [...options.columns] : undefined, batchSize: 1 << 20 });
    ipc = table.intoIPCStream();
  } catch (e) {
    throw new EddyError('CORRUPT_FILE', `${path}: cannot read Parquet: ${e instanceof Error ? e.message : String(e)}`, {
      path,
      cause: e,
    });
  } finally {
    file?.free();
  }
  return arrow.tableFromIPC(ipc);
}

/**
 * Per-column encodings for a data file. Measured on 1M-row PK files (docs/decisions.md): dictionary
 * pages only pay off for low-cardinality strings, and DELTA_BINARY_PACKED halves sorted keys,
 * sequence numbers and timestamps — together 2.3× faster writes and files half the size. Only
 * encodings Paimon's Java reader decodes (PLAIN, RLE_DICTIONARY, DELTA_*) are used.
 */
export function encodingHints(
  fields: readonly DataField[],
  cols: readonly Column[],
): Pick<ParquetWriteOptions, 'deltaColumns' | 'plainColumns'> {
  const deltaColumns: string[] = [];
  const plainColumns: string[] = [];
  fields.forEach((f, i) => {
    switch (f.type.root) {
      case 'BIGINT':
      case 'TIMESTAMP':
      case 'TIMESTAMP_LTZ':
      case 'INT':
      case 'DATE':
        deltaColumns.push(f.name);
        break;
      case 'CHAR':
      case 'VARCHAR':
      case 'BINARY':
      case 'VARBINARY':
        if (!fewDistinct(cols[i])) plainColumns.push(f.name);
        break;
      default:
        plainColumns.push(f.name);
    }
  });
  return { deltaColumns, plainColumns };
}

/** Whether a sample of a string column repeats enough for a dictionary to pay off. */
function fewDistinct(col: Column): boolean {
  const n = Math.min(col.length, 1024);
  if (n < 64) return true;
  const d = col.data as VarBytes;
  const seen = new Set<string>();
  const step = Math.max(1, Math.floor(col.length / n));
  for (let i = 0, r = 0; i < n; i++, r += step) {
    const s = d.offsets[r];
    const e = Math.min(d.offsets[r + 1], s + 64);
    seen.add(Buffer.from(d.bytes.buffer, d.bytes.byteOffset + s, e - s).toString('latin1'));
  }
  return seen.size <= n / 4;
}
