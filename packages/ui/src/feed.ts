/**
 * The live change feed: one poller over every table's latest snapshot id (only while a page
 * listens), each new commit summarised once and sent to every listener. A commit by any process
 * shows within one poll interval plus the time to read its delta manifests.
 */
import { inspect } from '@eddy/table/inspect';
import type { Tables } from './tables.ts';
import { type CommitSummary, commitSummary } from './views.ts';

export type FeedEvent =
  | { readonly type: 'commit'; readonly table: string; readonly commit: CommitSummary; readonly backlog?: boolean }
  | { readonly type: 'problem'; readonly table: string; readonly message: string };

type Listener = (e: FeedEvent) => void;

/** At most this many commits of one table are sent per poll (a table found with a long history). */
const MAX_PER_POLL = 50;
/** The table list is re-read every this many polls (new and dropped tables). */
const RELIST_EVERY = 10;

export class Feed {
  private readonly listeners = new Set<Listener>();
  private readonly latest = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private polls = 0;
  private started = false;
  private stopped = false;
  private baseline: Promise<void> = Promise.resolve();

  constructor(
    private readonly tables: Tables,
    private readonly intervalMs: number,
  ) {}

  /**
   * Adds a listener (starting the poller with the first); returns its removal and a promise that
   * resolves once the poller knows every table's latest snapshot: commits after that reach the
   * listener, so a backlog read after it misses nothing between the two.
   */
  subscribe(listener: Listener): { unsubscribe: () => void; baseline: Promise<void> } {
    this.listeners.add(listener);
    if (!this.started) {
      this.started = true;
      this.baseline = this.tick(true);
    }
    return {
      unsubscribe: () => {
        this.listeners.delete(listener);
      },
      baseline: this.baseline,
    };
  }

  /** The last `n` commits across all tables, oldest first (what a page shows before new ones arrive). */
  async recent(n: number): Promise<FeedEvent[]> {
    const out: { table: string; commit: CommitSummary }[] = [];
    for (const name of await this.tables.names()) {
      const t = await this.tables.peek(name);
      const ids = await inspect(t).listSnapshotIds();
      for (const id of ids.slice(-n)) out.push({ table: name, commit: await commitSummary(t, id) });
    }
    out.sort((a, b) => a.commit.timeMillis - b.commit.timeMillis || a.commit.id - b.commit.id);
    return out.slice(-n).map((e) => ({ type: 'commit', ...e, backlog: true }));
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private async tick(first = false): Promise<void> {
    if (this.stopped) return;
    if (this.listeners.size === 0) {
      // Nobody listens: stop polling; the next listener starts afresh from the tables' latest snapshots.
      this.started = false;
      this.latest.clear();
      return;
    }
    try {
      if (first || this.polls % RELIST_EVERY === 0) await this.relist(first);
      this.polls++;
      for (const name of [...this.latest.keys()]) {
        try {
          await this.pollTable(name);
        } catch (e) {
          this.emit({ type: 'problem', table: name, message: message(e) });
        }
      }
    } catch (e) {
      this.emit({ type: 'problem', table: '', message: message(e) });
    } finally {
      if (!this.stopped) this.timer = setTimeout(() => void this.tick(), this.intervalMs);
    }
  }

  private async relist(first: boolean): Promise<void> {
    let names: string[];
    try {
      names = await this.tables.names();
    } catch (e) {
      this.emit({ type: 'problem', table: '', message: message(e) });
      return;
    }
    for (const name of names) {
      if (this.latest.has(name)) continue;
      // Tables present at start: only commits from now on. Tables created later: their commits.
      this.latest.set(name, first ? ((await this.latestId(name)) ?? 0) : 0);
    }
    for (const name of [...this.latest.keys()]) {
      if (!names.includes(name)) {
        this.latest.delete(name);
        this.tables.forget(name);
      }
    }
  }

  private async latestId(name: string): Promise<number | undefined> {
    try {
      return await inspect(await this.tables.peek(name)).latestSnapshotId();
    } catch (e) {
      this.emit({ type: 'problem', table: name, message: message(e) });
      return undefined;
    }
  }

  private async pollTable(name: string): Promise<void> {
    const seen = this.latest.get(name) ?? 0;
    const now = await this.latestId(name);
    if (now === undefined || now <= seen) return;
    const table = await this.tables.peek(name);
    for (let id = Math.max(seen + 1, now - MAX_PER_POLL + 1); id <= now; id++) {
      try {
        this.emit({ type: 'commit', table: name, commit: await commitSummary(table, id) });
      } catch (e) {
        this.emit({ type: 'problem', table: name, message: `snapshot ${id}: ${message(e)}` });
      }
    }
    this.latest.set(name, now);
  }

  private emit(e: FeedEvent): void {
    for (const l of this.listeners) l(e);
  }
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));
