import { createRequire } from 'node:module';
import * as arrow from 'apache-arrow';
import { EddyError } from '../types/errors.ts';

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
