// Encodes and decodes Parquet files for format/parquet-workers.ts, one at a time, in a worker thread.
// Plain JavaScript: Node loads it directly, whatever TypeScript loader the parent uses.
// Why a thread: parquet-wasm's async reader turns every decode error (a corrupt page, a bad footer
// length) into a wasm trap thrown from a microtask, which no caller can catch. In a worker the trap
// ends the worker, not the process, and the pool reports the file as corrupt. And files encode and
// decode on every core while the main thread sorts, merges and converts rows.
const { parentPort } = require('node:worker_threads');
const wasm = require('parquet-wasm/node');

const COMPRESSION = {
  zstd: wasm.Compression.ZSTD,
  snappy: wasm.Compression.SNAPPY,
  gzip: wasm.Compression.GZIP,
  lz4: wasm.Compression.LZ4_RAW,
  none: wasm.Compression.UNCOMPRESSED,
};

// What parquet-wasm's async reader asks of a Blob: its size, and slices read as ArrayBuffers. Served
// from the bytes posted (moved or shared), so the whole file is never copied into a Blob; only the
// ranges the reader asks for (the footer, the kept column chunks) are.
function blobOf(bytes) {
  return {
    size: bytes.byteLength,
    slice(start, end) {
      return { arrayBuffer: async () => bytes.slice(start, end).buffer };
    },
  };
}

async function decode(job) {
  let file;
  try {
    file = await wasm.ParquetFile.fromFile(blobOf(job.bytes));
    const table = await file.read({ columns: job.columns, rowGroups: job.rowGroups, batchSize: 1 << 20 });
    return table.intoIPCStream();
  } finally {
    file?.free();
  }
}

function writerProperties(o) {
  let builder = new wasm.WriterPropertiesBuilder()
    .setCompression(COMPRESSION[o.compression])
    .setCreatedBy(o.createdBy)
    .setMaxRowGroupSize(o.rowGroupRows ?? 1 << 20);
  if (o.pageBytes) builder = builder.setDataPageSizeLimit(o.pageBytes);
  for (const c of o.deltaColumns ?? []) {
    builder = builder.setColumnDictionaryEnabled(c, false).setColumnEncoding(c, wasm.Encoding.DELTA_BINARY_PACKED);
  }
  for (const c of o.plainColumns ?? []) builder = builder.setColumnDictionaryEnabled(c, false);
  // Chunk statistics prune row groups; `pageIndex` adds the column and offset indexes (page min/max).
  builder = builder.setStatisticsEnabled(o.pageIndex ? wasm.EnabledStatistics.Page : wasm.EnabledStatistics.Chunk);
  return builder.build();
}

function encode(job) {
  return wasm.writeParquet(wasm.Table.fromIPCStream(job.bytes), writerProperties(job.options));
}

// A streamed encode: the parent sends the rows in slices (an IPC stream each) when asked, so this
// worker's WebAssembly memory — which never shrinks — holds one slice and the row group being
// written, not the whole file twice over.
let pending; // the request for a slice: { id, resolve }

function requestSlice(id) {
  return new Promise((resolve) => {
    pending = { id, resolve };
    parentPort.postMessage({ id, pull: true });
  });
}

async function encodeStream(job) {
  // One slice is requested ahead, so the parent makes slice k + 1 while this thread encodes slice k.
  let ahead = requestSlice(job.id);
  const batches = new ReadableStream(
    {
      async pull(controller) {
        const m = await ahead;
        if (m.error !== undefined) {
          controller.error(new Error(m.error));
          return;
        }
        if (m.end) {
          controller.close();
          return;
        }
        ahead = requestSlice(job.id);
        const table = wasm.Table.fromIPCStream(m.slice);
        try {
          for (const b of table.recordBatches()) controller.enqueue(b);
        } finally {
          table.free();
        }
      },
    },
    { highWaterMark: 0 },
  );
  const out = await wasm.transformParquetStream(batches, writerProperties(job.options));
  const chunks = [];
  let size = 0;
  for await (const c of out) {
    chunks.push(c);
    size += c.byteLength;
  }
  const bytes = new Uint8Array(size);
  let o = 0;
  for (const c of chunks) {
    bytes.set(c, o);
    o += c.byteLength;
  }
  return bytes;
}

parentPort.on('message', async (job) => {
  if (job.slice !== undefined || job.end || job.error !== undefined) {
    // A reply to a request of a job that already failed is dropped.
    const p = pending;
    if (p?.id === job.id) {
      pending = undefined;
      p.resolve(job);
    }
    return;
  }
  try {
    const bytes =
      job.op === 'encode' ? encode(job) : job.op === 'encode-stream' ? await encodeStream(job) : await decode(job);
    parentPort.postMessage({ id: job.id, bytes }, [bytes.buffer]);
  } catch (e) {
    parentPort.postMessage({ id: job.id, error: e instanceof Error ? e.message : String(e) });
  }
});
