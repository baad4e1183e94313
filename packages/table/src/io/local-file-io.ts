import { randomUUID } from 'node:crypto';
import { type FSWatcher, promises as fs, constants as fsConstants, watch as fsWatch } from 'node:fs';
import * as nodePath from 'node:path';
import { EddyError } from '../types/errors.ts';
import type { FileIO, FileStatus } from './file-io.ts';

const isErrno = (e: unknown, code: string): boolean => (e as NodeJS.ErrnoException | undefined)?.code === code;

function ioError(op: string, path: string, e: unknown): EddyError {
  if (isErrno(e, 'ENOENT')) return new EddyError('NOT_FOUND', `${path}: no such file`, { path, cause: e });
  if (isErrno(e, 'ELOOP'))
    return new EddyError(
      'CORRUPT_FILE',
      `${op} ${path}: is a symbolic link; Eddy does not follow links to files (one could point outside the table)`,
      { path, cause: e },
    );
  if (isErrno(e, 'ENAMETOOLONG'))
    return new EddyError('IO_ERROR', `${op} ${path}: a name in the path is longer than the file system allows`, {
      path,
      cause: e,
    });
  return new EddyError('IO_ERROR', `${op} ${path}: ${(e as Error).message}`, { path, cause: e });
}

const WHY: Record<string, string> = {
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
};

/**
 * Creates `dir` and its parents. Node reports a recursive mkdir that the file system refuses
 * (read-only, permissions) as ENOENT, and a file in the way as EEXIST or ENOTDIR: find the real
 * cause, so the error says what to fix instead of "no such file" about a file being written.
 */
async function createDirectory(dir: string): Promise<void> {
  try {
    await fs.mkdir(dir, { recursive: true });
    return;
  } catch (e) {
    if (!['ENOENT', 'EEXIST', 'ENOTDIR', 'EROFS', 'EACCES', 'EPERM'].some((c) => isErrno(e, c)))
      throw ioError('mkdir', dir, e);
    // The nearest ancestor that exists tells why.
    let missing = nodePath.resolve(dir);
    let parent = nodePath.dirname(missing);
    for (;;) {
      const st = await fs.stat(missing).catch(() => undefined);
      if (st) {
        if (!st.isDirectory())
          throw new EddyError('IO_ERROR', `cannot create directory ${dir}: ${missing} is a file, not a directory`, {
            path: dir,
            cause: e,
          });
        break;
      }
      if (parent === missing) break;
      const up = await fs.stat(parent).catch(() => undefined);
      if (up) {
        if (!up.isDirectory())
          throw new EddyError('IO_ERROR', `cannot create directory ${dir}: ${parent} is a file, not a directory`, {
            path: dir,
            cause: e,
          });
        // Create just this level: its error is the file system's real answer.
        try {
          await fs.mkdir(missing);
        } catch (e2) {
          const code = (e2 as NodeJS.ErrnoException).code ?? '';
          if (code !== 'EEXIST')
            throw new EddyError(
              'IO_ERROR',
              `cannot create directory ${dir}: ${WHY[code] ?? (e2 as Error).message} (${code} in ${parent})`,
              { path: dir, cause: e2 },
            );
        }
        // Created (or raced into existence): the rest can go on.
        await fs.mkdir(dir, { recursive: true }).catch((e3) => {
          throw ioError('mkdir', dir, e3);
        });
        return;
      }
      missing = parent;
      parent = nodePath.dirname(parent);
    }
    throw ioError('mkdir', dir, e);
  }
}

/**
 * Files are opened without following a symbolic link in the last component: metadata names files
 * inside the table, and a link planted there could make a scan read (and a compaction copy) a file
 * from anywhere on the host. Paimon never writes links.
 */
const READ_NO_FOLLOW = fsConstants.O_RDONLY | (fsConstants.O_NOFOLLOW ?? 0);

/** FileIO on a local (POSIX) file system: the embedded default. */
export class LocalFileIO implements FileIO {
  async read(path: string): Promise<Uint8Array> {
    let fh: fs.FileHandle | undefined;
    try {
      fh = await fs.open(path, READ_NO_FOLLOW);
      const buf = await fh.readFile();
      return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    } catch (e) {
      throw ioError('read', path, e);
    } finally {
      await fh?.close();
    }
  }

  async readRange(path: string, offset: number, length: number): Promise<Uint8Array> {
    let fh: fs.FileHandle | undefined;
    try {
      fh = await fs.open(path, READ_NO_FOLLOW);
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
    await createDirectory(dir);
    try {
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
    await createDirectory(dir);
  }
}
