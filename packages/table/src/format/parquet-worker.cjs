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
    const table = await file.read({
      columns: job.columns,
      rowGroups: job.rowGroups,
      offset: job.offset,
      limit: job.limit,
      batchSize: 1 << 20,
    });
    if (job.raw) {
      const raw = exportColumns(table, job.drop, job.keepKeys);
      if (raw) {
        table.free();
        return raw;
      }
    }
    return table.intoIPCStream();
  } finally {
    file?.free();
  }
}

// Columns straight out of WebAssembly memory through the Arrow C data interface: each buffer is
// copied once into an ArrayBuffer of its own, which the reply moves (no copy) to the parent. This
// skips the IPC stream (an encode here, a parse there) and does the per-row unpacking (validity
// and boolean bits into bytes) on this thread rather than the parent's. Only flat columns of the
// formats below; anything else (dictionaries, nanoseconds, decimal256...) returns undefined and goes
// through IPC, where the parent's Arrow conversion handles it as before.
const FIXED_WIDTH = { c: 1, s: 2, i: 4, l: 8, f: 4, g: 8, tdD: 4 };

function rawWidth(format) {
  if (format in FIXED_WIDTH) return FIXED_WIDTH[format];
  if (/^ts[smu]:/.test(format)) return 8;
  if (/^d:\d+,\d+$/.test(format)) return 16; // decimal128
  return 0;
}

function cString(bytes, ptr) {
  let end = ptr;
  while (bytes[end] !== 0) end++;
  return Buffer.from(bytes.buffer, bytes.byteOffset + ptr, end - ptr).toString('utf8');
}

/** Bits [offset, offset + n) of an Arrow bitmap as one byte per row (0 or 1). */
function unpackBits(bytes, ptr, offset, n) {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const j = offset + i;
    out[i] = (bytes[ptr + (j >> 3)] >> (j & 7)) & 1;
  }
  return out;
}

/**
 * The rows of a batch to keep as runs [from, to) (a flat Int32Array of pairs), given `drop` (one
 * byte per row of the job, 1 = drop) from row `base`; undefined when every row stays.
 */
function keptRuns(drop, base, rows) {
  if (!drop) return undefined;
  let count = 0;
  let prev = 1;
  for (let r = 0; r < rows; r++) {
    const d = drop[base + r];
    if (d === 0 && prev !== 0) count++;
    prev = d;
  }
  // One run from the first row to the last: every row stays.
  if (count === 1 && drop[base] === 0 && drop[base + rows - 1] === 0) return undefined;
  const runs = new Int32Array(2 * count);
  let k = 0;
  prev = 1;
  for (let r = 0; r < rows; r++) {
    const d = drop[base + r];
    if (d === 0 && prev !== 0) runs[k++] = r;
    else if (d !== 0 && prev === 0) runs[k++] = r;
    prev = d;
  }
  if (prev === 0) runs[k++] = rows;
  return runs;
}

/**
 * Bytes of rows in `runs` of a fixed-width buffer (element `offset` is row 0), concatenated. By
 * 32-bit words where the widths allow (never through float views: they may rewrite NaN bits); a
 * short run element by element, a long one in one copy.
 */
function copyRuns(bytes, ptr, offset, width, runs, kept) {
  const out = new Uint8Array(kept * width);
  const start = ptr + offset * width;
  if (width % 4 === 0 && start % 4 === 0) {
    const per = width >> 2;
    const end = runs.length > 0 ? runs[runs.length - 1] : 0;
    copyWordRuns(new Int32Array(bytes.buffer, start, end * per), new Int32Array(out.buffer), runs, per);
  } else copyByteRuns(bytes, start, out, runs, width);
  return out;
}

function copyWordRuns(src, dst, runs, per) {
  let o = 0;
  for (let i = 0; i < runs.length; i += 2) {
    const from = runs[i] * per;
    const n = (runs[i + 1] - runs[i]) * per;
    if (n <= 32) for (let k = 0; k < n; k++) dst[o + k] = src[from + k];
    else dst.set(src.subarray(from, from + n), o);
    o += n;
  }
}

function copyByteRuns(src, start, dst, runs, width) {
  let o = 0;
  for (let i = 0; i < runs.length; i += 2) {
    const from = start + runs[i] * width;
    const n = (runs[i + 1] - runs[i]) * width;
    if (n <= 64) for (let k = 0; k < n; k++) dst[o + k] = src[from + k];
    else dst.set(src.subarray(from, from + n), o);
    o += n;
  }
}

/** A Map from the low 32 bits of each value to the high words that go with them. */
const keyLookups = new WeakMap();

function keyLookup(values) {
  let m = keyLookups.get(values);
  if (!m) {
    m = new Map();
    const w = new Int32Array(values.buffer, values.byteOffset, values.length * 2);
    for (let i = 0; i < values.length; i++) {
      const lo = w[2 * i];
      const his = m.get(lo);
      if (his) his.push(w[2 * i + 1]);
      else m.set(lo, [w[2 * i + 1]]);
    }
    keyLookups.set(values, m);
  }
  return m;
}

/**
 * One byte per row, 1 where the integer column (format c, s, i or l; data at `ptr`, element
 * `offset` is row 0) holds none of `values`; undefined for other formats (every row kept). Nulls
 * hold some value in the data buffer: at worst kept, never wrongly dropped (a key is not null).
 */
function keyMismatches(view, format, ptr, offset, rows, values) {
  const m = keyLookup(values);
  const out = new Uint8Array(rows);
  if (format === 'l') {
    const at = ptr + offset * 8;
    for (let r = 0; r < rows; r++) {
      const his = m.get(view.getInt32(at + 8 * r, true));
      out[r] = his?.includes(view.getInt32(at + 8 * r + 4, true)) ? 0 : 1;
    }
    return out;
  }
  const width = format === 'i' ? 4 : format === 's' ? 2 : format === 'c' ? 1 : 0;
  if (width === 0) return undefined;
  const at = ptr + offset * width;
  for (let r = 0; r < rows; r++) {
    const v =
      width === 4
        ? view.getInt32(at + 4 * r, true)
        : width === 2
          ? view.getInt16(at + 2 * r, true)
          : view.getInt8(at + r);
    const his = m.get(v);
    out[r] = his?.includes(v < 0 ? -1 : 0) ? 0 : 1;
  }
  return out;
}

/** The bytes of the strings in `runs` (`src`: their offsets from row 0), filling `offsets` from 0. */
function copyStringRuns(bytes, values, src, runs, offsets) {
  let size = 0;
  for (let i = 0; i < runs.length; i += 2) size += src[runs[i + 1]] - src[runs[i]];
  const data = new Uint8Array(size);
  let o = 0;
  let r = 0;
  for (let i = 0; i < runs.length; i += 2) {
    const from = src[runs[i]];
    for (let k = runs[i]; k < runs[i + 1]; k++) offsets[++r] = o + src[k + 1] - from;
    const n = src[runs[i + 1]] - from;
    if (n <= 64) for (let k = 0; k < n; k++) data[o + k] = bytes[values + from + k];
    else data.set(bytes.subarray(values + from, values + from + n), o);
    o += n;
  }
  return data;
}

/** unpackBits of the rows in `runs`. */
function unpackBitRuns(bytes, ptr, offset, runs, kept) {
  const out = new Uint8Array(kept);
  let o = 0;
  for (let i = 0; i < runs.length; i += 2)
    for (let r = runs[i]; r < runs[i + 1]; r++) {
      const j = offset + r;
      out[o++] = (bytes[ptr + (j >> 3)] >> (j & 7)) & 1;
    }
  return out;
}

// `drop` (one byte per row of the job, 1 = a deletion vector removes it): those rows are left out of
// the columns handed over (copied by runs of kept rows), so the parent neither receives nor gathers
// them. A batch then reports `read` (rows decoded) beside `rows` (rows kept).
// `keepKeys` ({ column, values: BigInt64Array }): rows whose integer `column` holds none of the
// values are left out too (a lookup's keys: what the parent filters by anyway, so only a superset
// of the matches needs to cross; a column of another format keeps every row).
function exportColumns(table, drop, keepKeys) {
  const ffi = table.toFFI();
  try {
    const buffer = wasm.wasmMemory().buffer;
    const view = new DataView(buffer);
    const bytes = new Uint8Array(buffer);
    const u32 = (a) => view.getUint32(a, true);
    const i64 = (a) => Number(view.getBigInt64(a, true));
    // ArrowSchema (wasm32): format@0 name@4 metadata@8 flags@16 n_children@24 children@32 dictionary@36.
    const schema = ffi.schemaAddr();
    if (cString(bytes, u32(schema)) !== '+s') return undefined;
    const fields = [];
    const nFields = i64(schema + 24);
    for (let i = 0; i < nFields; i++) {
      const f = u32(u32(schema + 32) + 4 * i);
      const format = cString(bytes, u32(f));
      if (u32(f + 36) !== 0) return undefined;
      if (format !== 'b' && format !== 'u' && format !== 'z' && rawWidth(format) === 0) return undefined;
      fields.push({ name: cString(bytes, u32(f + 4)), format });
    }
    const batches = [];
    const transfer = [];
    // ArrowArray (wasm32): length@0 null_count@8 offset@16 n_buffers@24 n_children@32 buffers@40 children@44 dictionary@48.
    const addrs = ffi.arrayAddrs();
    if (drop) {
      let total = 0;
      for (const batch of addrs) total += i64(batch);
      if (total !== drop.length) throw new Error(`a drop mask of ${drop.length} rows for ${total} rows decoded`);
    }
    let base = 0;
    for (const batch of addrs) {
      const read = i64(batch);
      if (i64(batch + 16) !== 0 || i64(batch + 8) > 0 || i64(batch + 32) !== fields.length) return undefined;
      const keyIndex = keepKeys ? fields.findIndex((f) => f.name === keepKeys.column) : -1;
      let mask = drop;
      let maskBase = base;
      if (keyIndex >= 0) {
        const a = u32(u32(batch + 44) + 4 * keyIndex);
        const keyMask = keyMismatches(
          view,
          fields[keyIndex].format,
          u32(u32(a + 40) + 4),
          i64(a + 16),
          read,
          keepKeys.values,
        );
        if (keyMask) {
          if (drop) for (let r = 0; r < read; r++) keyMask[r] |= drop[base + r];
          mask = keyMask;
          maskBase = 0;
        }
      }
      const runs = keptRuns(mask, maskBase, read);
      base += read;
      let rows = read;
      if (runs) {
        rows = 0;
        for (let i = 0; i < runs.length; i += 2) rows += runs[i + 1] - runs[i];
      }
      const columns = [];
      for (let i = 0; i < fields.length; i++) {
        const { name, format } = fields[i];
        const a = u32(u32(batch + 44) + 4 * i);
        const offset = i64(a + 16);
        const buffers = u32(a + 40);
        if (i64(a) !== read || i64(a + 32) !== 0 || u32(a + 48) !== 0) return undefined;
        const length = rows;
        let validity = null;
        const validityPtr = u32(buffers);
        if (validityPtr !== 0 && i64(a + 8) !== 0) {
          validity = runs
            ? unpackBitRuns(bytes, validityPtr, offset, runs, length)
            : unpackBits(bytes, validityPtr, offset, length);
          let nulls = 0;
          for (let r = 0; r < length; r++) nulls += 1 - validity[r];
          if (nulls === 0) validity = null;
          else transfer.push(validity.buffer);
        }
        let data;
        let offsets;
        if (format === 'b')
          data = runs
            ? unpackBitRuns(bytes, u32(buffers + 4), offset, runs, length)
            : unpackBits(bytes, u32(buffers + 4), offset, length);
        else if (runs && (format === 'u' || format === 'z')) {
          // Offsets of the kept rows from 0, and their bytes, run by run.
          const at = u32(buffers + 4) + offset * 4;
          const src =
            at % 4 === 0 ? new Int32Array(buffer, at, read + 1) : new Int32Array(buffer.slice(at, at + (read + 1) * 4));
          const values = u32(buffers + 8);
          offsets = new Int32Array(length + 1);
          data = copyStringRuns(bytes, values, src, runs, offsets);
          transfer.push(offsets.buffer);
        } else if (format === 'u' || format === 'z') {
          const o = u32(buffers + 4) + offset * 4;
          offsets = new Int32Array(buffer.slice(o, o + (length + 1) * 4));
          const first = offsets[0];
          data = bytes.slice(u32(buffers + 8) + first, u32(buffers + 8) + offsets[length]);
          if (first !== 0) for (let r = 0; r <= length; r++) offsets[r] -= first;
          transfer.push(offsets.buffer);
        } else {
          const w = rawWidth(format);
          data = runs
            ? copyRuns(bytes, u32(buffers + 4), offset, w, runs, length)
            : bytes.slice(u32(buffers + 4) + offset * w, u32(buffers + 4) + (offset + length) * w);
        }
        transfer.push(data.buffer);
        columns.push({ name, format, length, validity, data, offsets });
      }
      batches.push({ rows, read, columns });
    }
    return { raw: { batches }, transfer };
  } finally {
    ffi.free();
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
    const out =
      job.op === 'encode' ? encode(job) : job.op === 'encode-stream' ? await encodeStream(job) : await decode(job);
    if (out instanceof Uint8Array) parentPort.postMessage({ id: job.id, bytes: out }, [out.buffer]);
    else parentPort.postMessage({ id: job.id, raw: out.raw }, out.transfer);
  } catch (e) {
    parentPort.postMessage({ id: job.id, error: e instanceof Error ? e.message : String(e) });
  }
});
