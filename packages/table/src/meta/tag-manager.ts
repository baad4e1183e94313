/**
 * Tags: `tag/tag-<name>`, a snapshot's JSON kept under a name (see format/tag.ts). Reading a tag
 * reads the tag file itself, so a tag keeps working after expiry removed its snapshot, as in Java.
 * Java: org.apache.paimon.utils.TagManager.
 */
import { decodeTag, encodeTag, type TagFile } from '../format/tag.ts';
import { type FileIO, joinPath } from '../io/file-io.ts';
import { EddyError } from '../types/errors.ts';

const PREFIX = 'tag-';
const isNotFound = (e: unknown) => e instanceof EddyError && e.code === 'NOT_FOUND';

export interface TagEntry extends TagFile {
  readonly name: string;
  /** When the tag file was last written (Java's fallback create time for tags without one). */
  readonly fileModifiedMillis?: number;
}

/**
 * A tag name must be one path segment: not blank, no '/', '\\' or control characters, not '.' or
 * '..' (Paimon only refuses blank names; its automatic tags look like `2024-01-01 10`). Creating a
 * tag of digits only is refused too: it would read as a snapshot id (`scan.version`, `eddy audit`).
 */
export function validateTagName(name: string, creating = false): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  const unsafe = /[/\\\u0000-\u001f\u007f]/;
  const bad = typeof name !== 'string' || name.trim() === '' || name.length > 255 || unsafe.test(name);
  if (bad || name === '.' || name === '..')
    throw new EddyError(
      'INVALID_NAME',
      `tag name ${JSON.stringify(name)} must be one path segment: not blank, no '/', '\\' or control characters`,
    );
  if (creating && /^\d+$/.test(name))
    throw new EddyError('INVALID_NAME', `tag name '${name}' cannot be only digits (it would read as a snapshot id)`);
  return name;
}

export class TagManager {
  readonly dir: string;

  constructor(
    private readonly io: FileIO,
    tablePath: string,
  ) {
    this.dir = joinPath(tablePath, 'tag');
  }

  path(name: string): string {
    return joinPath(this.dir, `${PREFIX}${name}`);
  }

  async exists(name: string): Promise<boolean> {
    return this.io.exists(this.path(name));
  }

  /** The tag, or undefined when there is none by that name. */
  async get(name: string): Promise<TagEntry | undefined> {
    const path = this.path(name);
    let bytes: Uint8Array;
    try {
      bytes = await this.io.read(path);
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
    return { name, ...decodeTag(new TextDecoder().decode(bytes), path) };
  }

  async getOrThrow(name: string, table: string): Promise<TagEntry> {
    const t = await this.get(name);
    if (!t) throw new EddyError('NOT_FOUND', `tag '${name}' of ${table} does not exist`, { path: this.path(name) });
    return t;
  }

  /** Every tag, by snapshot id then name. A tag deleted while listing is skipped. */
  async list(): Promise<TagEntry[]> {
    const out: TagEntry[] = [];
    for (const f of await this.io.list(this.dir)) {
      const file = f.path.slice(f.path.lastIndexOf('/') + 1);
      if (f.isDirectory || !file.startsWith(PREFIX) || file.length === PREFIX.length) continue;
      const name = file.slice(PREFIX.length);
      let bytes: Uint8Array;
      try {
        bytes = await this.io.read(f.path);
      } catch (e) {
        if (isNotFound(e)) continue;
        throw e;
      }
      out.push({ name, ...decodeTag(new TextDecoder().decode(bytes), f.path), fileModifiedMillis: f.modifiedMillis });
    }
    return out.sort((a, b) => a.snapshot.id - b.snapshot.id || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Creates the tag file; false when a tag of that name exists. */
  async create(name: string, tag: TagFile): Promise<boolean> {
    return this.io.writeIfAbsent(this.path(name), encodeTag(tag));
  }

  async delete(name: string): Promise<void> {
    await this.io.delete(this.path(name));
  }
}
