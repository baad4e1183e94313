// Decodes Parquet files for format/parquet-workers.ts, one at a time, in a worker thread.
// Plain JavaScript: Node loads it directly, whatever TypeScript loader the parent uses.
// Why a thread: parquet-wasm's async reader turns every decode error (a corrupt page, a bad footer
// length) into a wasm trap thrown from a microtask, which no caller can catch. In a worker the trap
// ends the worker, not the process, and the pool reports the file as corrupt.
const { parentPort } = require('node:worker_threads');
const wasm = require('parquet-wasm/node');

parentPort.on('message', async (job) => {
  let file;
  try {
    file = await wasm.ParquetFile.fromFile(new Blob([job.bytes]));
    const table = await file.read({ columns: job.columns, batchSize: 1 << 20 });
    const ipc = table.intoIPCStream();
    parentPort.postMessage({ id: job.id, ipc }, [ipc.buffer]);
  } catch (e) {
    parentPort.postMessage({ id: job.id, error: e instanceof Error ? e.message : String(e) });
  } finally {
    file?.free();
  }
});
