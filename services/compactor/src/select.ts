/**
 * Which tables a daemon looks after: `--tables` globs and `--shard i/n`.
 */

/** `i/n`: this daemon takes the keys whose stable hash mod n is i. */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

export const ALL: Shard = { index: 0, count: 1 };

export function parseShard(text: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m) throw new Error(`--shard: expected i/n (e.g. 0/3), got '${text}'`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || index >= count) throw new Error(`--shard: need 0 ≤ i < n, got ${index}/${count}`);
  return { index, count };
}

/**
 * 32-bit FNV-1a over the UTF-8 bytes: the same on every machine, Node version and run, so daemons
 * agree on the split without talking to each other.
 */
export function stableHash(key: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(key, 'utf8')) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * Whether a key (a table `db.table`, or `db.table/partition/bucket` for bucket-level work) belongs
 * to this shard. Overlap between shards (say, while re-sharding) only wastes work: the optimistic
 * commit discards the loser.
 */
export function inShard(key: string, shard: Shard): boolean {
  return shard.count <= 1 || stableHash(key) % shard.count === shard.index;
}

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        let body = glob.slice(i + 1, end);
        if (body.startsWith('!')) body = `^${body.slice(1)}`;
        re += `[${body.replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/**
 * A table filter from globs like `db.*`, `sales_*.orders`, `*.*`: the part before the first `.`
 * matches the database and the rest the table; `*` is any run of characters, `?` one, `[ab]` a
 * class. A glob without a `.` names databases (`db` = `db.*`). Several globs (an array, or
 * comma-separated) match a table when any does; `!glob` excludes.
 */
export function tableFilter(globs: string | readonly string[]): (database: string, table: string) => boolean {
  const list = (typeof globs === 'string' ? [globs] : globs)
    .flatMap((g) => g.split(','))
    .map((g) => g.trim())
    .filter((g) => g.length > 0);
  const compile = (g: string) => {
    const dot = g.indexOf('.');
    const db = globToRegExp(dot < 0 ? g : g.slice(0, dot));
    const table = globToRegExp(dot < 0 ? '*' : g.slice(dot + 1));
    return (d: string, t: string) => db.test(d) && table.test(t);
  };
  const include = list.filter((g) => !g.startsWith('!')).map(compile);
  const exclude = list.filter((g) => g.startsWith('!')).map((g) => compile(g.slice(1)));
  if (include.length === 0) include.push(() => true);
  return (d, t) => include.some((f) => f(d, t)) && !exclude.some((f) => f(d, t));
}
