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

  constructor(private readonly inner: FileIO) {}

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
    this.calls.read++;
    const b = await this.inner.read(path);
    this.bytesRead += b.byteLength;
    return b;
  }
  async readRange(path: string, offset: number, length: number): Promise<Uint8Array> {
    this.calls.readRange++;
    this.bytesRead += length;
    return this.inner.readRange(path, offset, length);
  }
  write(path: string, data: Uint8Array | string): Promise<void> {
    this.calls.write++;
    return this.inner.write(path, data);
  }
  writeIfAbsent(path: string, data: Uint8Array | string): Promise<boolean> {
    this.calls.writeIfAbsent++;
    return this.inner.writeIfAbsent(path, data);
  }
  exists(path: string): Promise<boolean> {
    this.calls.exists++;
    return this.inner.exists(path);
  }
  stat(path: string): Promise<FileStatus | undefined> {
    this.calls.stat++;
    return this.inner.stat(path);
  }
  list(dir: string): Promise<FileStatus[]> {
    this.calls.list++;
    return this.inner.list(dir);
  }
  delete(path: string): Promise<void> {
    this.calls.delete++;
    return this.inner.delete(path);
  }
  deleteDirectory(dir: string): Promise<void> {
    this.calls.delete++;
    return this.inner.deleteDirectory(dir);
  }
  mkdirs(dir: string): Promise<void> {
    return this.inner.mkdirs(dir);
  }
  async close(): Promise<void> {
    await this.inner.close?.();
  }
}
