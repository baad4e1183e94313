import { randomUUID } from 'node:crypto';
import { type FSWatcher, promises as fs, watch as fsWatch } from 'node:fs';
import * as nodePath from 'node:path';
import { EddyError } from '../types/errors.ts';
import type { FileIO, FileStatus } from './file-io.ts';

const isErrno = (e: unknown, code: string): boolean => (e as NodeJS.ErrnoException | undefined)?.code === code;

function ioError(op: string, path: string, e: unknown): EddyError {
  if (isErrno(e, 'ENOENT')) return new EddyError('NOT_FOUND', `${path}: no such file`, { path, cause: e });
  return new EddyError('IO_ERROR', `${op} ${path}: ${(e as Error).message}`, { path, cause: e });
}

/** FileIO on a local (POSIX) file system: the embedded default. */
export class LocalFileIO implements FileIO {
  async read(path: string): Promise<Uint8Array> {
    try {
      const buf = await fs.readFile(path);
      return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    } catch (e) {
      throw ioError('read', path, e);
    }
  }

  async readRange(path: string, offset: number, length: number): Promise<Uint8Array> {
    let fh: fs.FileHandle | undefined;
    try {
      fh = await fs.open(path, 'r');
      const out = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await fh.read(out, done, length - done, offset + done);
        if (bytesRead === 0)
          throw new EddyError('CORRUPT_FILE', `${path}: range ${offset}+${length} is past the end of the file`, {
            path,
          });
        done += bytesRead;
      }
      return out;
    } catch (e) {
      if (e instanceof EddyError) throw e;
      throw ioError('read', path, e);
    } finally {
      await fh?.close();
    }
  }

  private async writeTemp(path: string, data: Uint8Array | string): Promise<string> {
    const dir = nodePath.dirname(path);
    const tmp = nodePath.join(dir, `.${nodePath.basename(path)}.${randomUUID()}.tmp`);
    try {
      await fs.mkdir(dir, { recursive: true });
      const fh = await fs.open(tmp, 'wx');
      try {
        await fh.writeFile(data);
        await fh.sync();
      } finally {
        await fh.close();
      }
      return tmp;
    } catch (e) {
      await fs.rm(tmp, { force: true });
      throw ioError('write', path, e);
    }
  }

  async write(path: string, data: Uint8Array | string): Promise<void> {
    const tmp = await this.writeTemp(path, data);
    try {
      await fs.rename(tmp, path);
    } catch (e) {
      await fs.rm(tmp, { force: true });
      throw ioError('write', path, e);
    }
  }

  async writeIfAbsent(path: string, data: Uint8Array | string): Promise<boolean> {
    // link(2) fails with EEXIST instead of replacing, so two processes can never both win, and the
    // target only ever appears with its full content.
    const tmp = await this.writeTemp(path, data);
    try {
      await fs.link(tmp, path);
      return true;
    } catch (e) {
      if (isErrno(e, 'EEXIST')) return false;
      throw ioError('create', path, e);
    } finally {
      await fs.rm(tmp, { force: true });
    }
  }

  async exists(path: string): Promise<boolean> {
    return (await this.stat(path)) !== undefined;
  }

  async stat(path: string): Promise<FileStatus | undefined> {
    try {
      const s = await fs.stat(path);
      return { path, size: s.size, modifiedMillis: s.mtimeMs, isDirectory: s.isDirectory() };
    } catch (e) {
      if (isErrno(e, 'ENOENT') || isErrno(e, 'ENOTDIR')) return undefined;
      throw ioError('stat', path, e);
    }
  }

  async list(dir: string): Promise<FileStatus[]> {
    let names: string[];
    try {
      names = await fs.readdir(dir);
    } catch (e) {
      if (isErrno(e, 'ENOENT')) return [];
      throw ioError('list', dir, e);
    }
    const out: FileStatus[] = [];
    for (const name of names) {
      const st = await this.stat(nodePath.join(dir, name));
      if (st) out.push(st);
    }
    return out;
  }

  async delete(path: string): Promise<void> {
    try {
      await fs.rm(path, { force: true });
    } catch (e) {
      throw ioError('delete', path, e);
    }
  }

  async deleteDirectory(dir: string): Promise<void> {
    try {
      await fs.rm(dir, { recursive: true, force: true });
    } catch (e) {
      throw ioError('delete', dir, e);
    }
  }

  watch(dir: string, onChange: () => void): () => void {
    let w: FSWatcher;
    try {
      w = fsWatch(dir, { persistent: false }, () => onChange());
    } catch {
      // No notifications here (a missing directory, inotify limits): callers keep polling.
      return () => undefined;
    }
    // Notifications are a hint: when they stop, callers' polling is what remains.
    w.on('error', () => w.close());
    return () => w.close();
  }

  async mkdirs(dir: string): Promise<void> {
    try {
      await fs.mkdir(dir, { recursive: true });
    } catch (e) {
      throw ioError('mkdir', dir, e);
    }
  }
}
