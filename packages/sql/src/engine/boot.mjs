// Starts the engine worker (worker.ts). Plain JavaScript, so Node loads it whatever TypeScript
// loader the parent uses; a TypeScript entry is loaded through tsx (the compiled one needs none).
import { workerData } from 'node:worker_threads';

if (workerData.entry.endsWith('.ts')) {
  const { register } = await import('tsx/esm/api');
  register();
}
await import(workerData.entry);
