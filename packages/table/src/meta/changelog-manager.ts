/**
 * Long-lived changelogs: `changelog/changelog-N`, written by snapshot expiry when the changelog
 * outlives snapshots (`changelog.num-retained.*` / `changelog.time-retained` above the snapshot
 * ones). Each is the expired snapshot's JSON (Java: org.apache.paimon.Changelog), with LATEST and
 * EARLIEST hints like the snapshot directory's. Java: org.apache.paimon.utils.ChangelogManager.
 */
import { decodeSnapshot, encodeSnapshot, type Snapshot } from '../format/snapshot.ts';
import { type FileIO, joinPath } from '../io/file-io.ts';
import { EddyError } from '../types/errors.ts';

const PREFIX = 'changelog-';
const isNotFound = (e: unknown) => e instanceof EddyError && e.code === 'NOT_FOUND';

export class ChangelogManager {
  readonly dir: string;

  constructor(
    private readonly io: FileIO,
    tablePath: string,
  ) {
    this.dir = joinPath(tablePath, 'changelog');
  }

  path(id: number): string {
    return joinPath(this.dir, `${PREFIX}${id}`);
  }

  async exists(id: number): Promise<boolean> {
    return this.io.exists(this.path(id));
  }

  /** Changelog `id`, or undefined when there is none. */
  async tryRead(id: number): Promise<Snapshot | undefined> {
    const path = this.path(id);
    let bytes: Uint8Array;
    try {
      bytes = await this.io.read(path);
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
    const c = decodeSnapshot(new TextDecoder().decode(bytes), path);
    if (c.id !== id) throw new EddyError('CORRUPT_FILE', `${path}: holds snapshot id ${c.id}`, { path });
    return c;
  }

  async read(id: number): Promise<Snapshot> {
    const c = await this.tryRead(id);
    if (!c)
      throw new EddyError('NOT_FOUND', `changelog ${id} does not exist (${this.path(id)})`, { path: this.path(id) });
    return c;
  }

  /** All changelog ids present, ascending (lists the directory). */
  async listIds(): Promise<number[]> {
    const ids: number[] = [];
    for (const f of await this.io.list(this.dir)) {
      const name = f.path.slice(f.path.lastIndexOf('/') + 1);
      if (!f.isDirectory && name.startsWith(PREFIX) && /^\d+$/.test(name.slice(PREFIX.length)))
        ids.push(Number(name.slice(PREFIX.length)));
    }
    return ids.sort((a, b) => a - b);
  }

  private async readHint(name: 'LATEST' | 'EARLIEST'): Promise<number | undefined> {
    try {
      const text = new TextDecoder().decode(await this.io.read(joinPath(this.dir, name))).trim();
      return /^\d+$/.test(text) && Number(text) > 0 ? Number(text) : undefined;
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  /** Java's HintFileUtils.findLatest: the hint when nothing follows it, else a listing. */
  async latestId(): Promise<number | undefined> {
    const hint = await this.readHint('LATEST');
    if (hint !== undefined && (await this.exists(hint)) && !(await this.exists(hint + 1))) return hint;
    const ids = await this.listIds();
    return ids.length > 0 ? ids[ids.length - 1] : undefined;
  }

  /** Java's HintFileUtils.findEarliest: the hint when that changelog exists, else a listing. */
  async earliestId(): Promise<number | undefined> {
    const hint = await this.readHint('EARLIEST');
    if (hint !== undefined && (await this.exists(hint))) {
      let id = hint;
      while (id > 1 && (await this.exists(id - 1))) id--;
      return id;
    }
    const ids = await this.listIds();
    return ids.length > 0 ? ids[0] : undefined;
  }

  /** Writes `changelog-N` (overwriting, as Java does: expiry may retry after a crash). */
  async write(changelog: Snapshot): Promise<void> {
    await this.io.write(this.path(changelog.id), encodeSnapshot(changelog));
  }

  async writeLatestHint(id: number): Promise<void> {
    await this.io.write(joinPath(this.dir, 'LATEST'), String(id));
  }

  async writeEarliestHint(id: number): Promise<void> {
    await this.io.write(joinPath(this.dir, 'EARLIEST'), String(id));
  }

  async delete(id: number): Promise<void> {
    await this.io.delete(this.path(id));
  }
}
