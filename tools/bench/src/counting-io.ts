/**
 * A FileIO that counts the calls it passes on (what a request-priced store like S3 bills): the
 * stream suite reports requests per commit from it.
 */
import type { FileIO, FileStatus } from '@eddy/table';

export type IoOp = 'read' | 'readRange' | 'write' | 'writeIfAbsent' | 'exists' | 'stat' | 'list' | 'delete';

export class CountingFileIO implements FileIO {
  readonly calls: Record<IoOp, number> = {
    read: 0,
    readRange: 0,
    write: 0,
    writeIfAbsent: 0,
    exists: 0,
    stat: 0,
    list: 0,
    delete: 0,
  };
  bytesRead = 0;
  /** How long each call took (ms), by kind: where a slow commit's time goes. */
  readonly durations: Record<IoOp, number[]> = {
    read: [],
    readRange: [],
    write: [],
    writeIfAbsent: [],
    exists: [],
    stat: [],
    list: [],
    delete: [],
  };

  constructor(private readonly inner: FileIO) {}

  private async timed<T>(op: IoOp, run: () => Promise<T>): Promise<T> {
    this.calls[op]++;
    const t0 = performance.now();
    try {
      return await run();
    } finally {
      this.durations[op].push(performance.now() - t0);
    }
  }

  get preferRangedReads(): boolean | undefined {
    return this.inner.preferRangedReads;
  }

  total(): number {
    return Object.values(this.calls).reduce((a, b) => a + b, 0);
  }

  snapshot(): Record<IoOp, number> {
    return { ...this.calls };
  }

  async read(path: string): Promise<Uint8Array> {
    const b = await this.timed('read', () => this.inner.read(path));
    this.bytesRead += b.byteLength;
    return b;
  }
  async readRange(path: string, offset: number, length: number): Promise<Uint8Array> {
    this.bytesRead += length;
    return this.timed('readRange', () => this.inner.readRange(path, offset, length));
  }
  write(path: string, data: Uint8Array | string): Promise<void> {
    return this.timed('write', () => this.inner.write(path, data));
  }
  writeIfAbsent(path: string, data: Uint8Array | string): Promise<boolean> {
    return this.timed('writeIfAbsent', () => this.inner.writeIfAbsent(path, data));
  }
  exists(path: string): Promise<boolean> {
    return this.timed('exists', () => this.inner.exists(path));
  }
  stat(path: string): Promise<FileStatus | undefined> {
    return this.timed('stat', () => this.inner.stat(path));
  }
  list(dir: string): Promise<FileStatus[]> {
    return this.timed('list', () => this.inner.list(dir));
  }
  delete(path: string): Promise<void> {
    return this.timed('delete', () => this.inner.delete(path));
  }
  deleteDirectory(dir: string): Promise<void> {
    return this.timed('delete', () => this.inner.deleteDirectory(dir));
  }
  mkdirs(dir: string): Promise<void> {
    return this.inner.mkdirs(dir);
  }
  async close(): Promise<void> {
    await this.inner.close?.();
  }
}
