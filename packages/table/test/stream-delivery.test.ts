/**
 * How a change feed learns of new snapshots (issue 23): on a local disk a file-system notification
 * wakes it, so delivery does not wait for its poll interval; storage without notifications polls.
 */
import { describe, expect, it } from 'vitest';
import { Catalog, type ChangeEvent, type FileIO, LocalFileIO } from '../src/index.ts';
import { tempDir } from './helpers.ts';

const SCHEMA = { columns: { k: 'BIGINT', v: 'STRING' }, primaryKey: ['k'], options: { bucket: '1' } } as const;

/** The first `n` events of a feed, or what arrived before `ms` (the feed is then aborted). */
async function take(feed: AsyncGenerator<ChangeEvent>, n: number, ac: AbortController, ms: number) {
  const out: ChangeEvent[] = [];
  const timer = setTimeout(() => ac.abort(), ms);
  try {
    for await (const e of feed) {
      out.push(e);
      if (out.length === n) break;
    }
  } catch (e) {
    if (!ac.signal.aborted) throw e;
  } finally {
    clearTimeout(timer);
  }
  return out;
}

describe('change feed delivery', () => {
  it('on a local disk a new snapshot reaches a feed whose poll interval is ten minutes', async () => {
    using dir = tempDir();
    const c = await Catalog.open(dir.path);
    const t = await c.createTable('d.t', SCHEMA);
    await t.upsert({ k: 1n, v: 'a' });
    const ac = new AbortController();
    const feed = t.changes({ scanMode: 'latest', pollIntervalMs: 600_000, signal: ac.signal });
    const got = take(feed, 2, ac, 60_000);
    // Let the feed reach its wait, then commit twice (the second lands while it reads the first).
    await new Promise((r) => setTimeout(r, 200));
    await t.upsert({ k: 2n, v: 'b' });
    await t.upsert({ k: 3n, v: 'c' });
    const events = await got;
    expect(events.map((e) => [e.snapshotId, e.row.k])).toEqual([
      [2, 2n],
      [3, 3n],
    ]);
  });

  it('without notifications (object storage) it polls, and an abort ends the wait', async () => {
    using dir = tempDir();
    const local = new LocalFileIO();
    // The same storage without `watch`: what S3FileIO looks like to the feed.
    const io: FileIO = {
      read: (p) => local.read(p),
      readRange: (p, o, l) => local.readRange(p, o, l),
      write: (p, d) => local.write(p, d),
      writeIfAbsent: (p, d) => local.writeIfAbsent(p, d),
      exists: (p) => local.exists(p),
      stat: (p) => local.stat(p),
      list: (p) => local.list(p),
      delete: (p) => local.delete(p),
      deleteDirectory: (p) => local.deleteDirectory(p),
      mkdirs: (p) => local.mkdirs(p),
    };
    const c = await Catalog.open(dir.path, { fileIO: io });
    const t = await c.createTable('d.t', SCHEMA);
    await t.upsert({ k: 1n, v: 'a' });
    const ac = new AbortController();
    const got = take(t.changes({ scanMode: 'latest', pollIntervalMs: 50, signal: ac.signal }), 2, ac, 60_000);
    await t.upsert({ k: 2n, v: 'b' });
    await t.upsert({ k: 3n, v: 'c' });
    expect((await got).map((e) => e.row.k)).toEqual([2n, 3n]);

    const idle = new AbortController();
    const waiting = take(
      t.changes({ scanMode: 'latest', pollIntervalMs: 600_000, signal: idle.signal }),
      1,
      idle,
      60_000,
    );
    setTimeout(() => idle.abort(), 100);
    expect(await waiting).toEqual([]);
  });
});
