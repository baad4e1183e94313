/**
 * Commit coalescing (`eddy.commit.coalesce-ms`): streaming commits of one table by the writers of
 * one process that arrive within the window are published as one snapshot instead of racing each
 * other for snapshot ids. Every member keeps its exactly-once identity (its checkpoint is recorded
 * in the snapshot, meta/commit-identities.ts, and in its commit-user record). All or nothing: the
 * group's snapshot holds every member's files or none; an error publishing it reaches every member.
 * Only plain streaming APPEND commits join (no overwrite, no dynamic-bucket index, no compaction,
 * no batch commit), and a commit whose files could rank below an earlier member's for the same key
 * waits for the next group (within one snapshot the sequence number decides, not arrival order).
 *
 * Grouped per FileIO instance (one storage client: one Catalog, or tables opened on a shared
 * FileIO), table path and schema id. One group commits at a time per table; commits arriving
 * meanwhile form the next.
 */
import type { FileIO } from '../io/file-io.ts';
import type { CommitMessage } from '../meta/commit-message.ts';
import type { TableSchema } from '../schema/table-schema.ts';
import type { CoalescedTiming } from './commit-trace.ts';
import {
  CoalescedMemberError,
  type CommitOptions,
  type CommitResult,
  type FileStoreCommit,
  mayRankBelow,
} from './file-store-commit.ts';

interface Request {
  readonly commit: FileStoreCommit;
  readonly messages: readonly CommitMessage[];
  readonly options: CommitOptions & { readonly commitIdentifier: bigint };
  readonly resolve: (r: CommitResult) => void;
  readonly reject: (e: unknown) => void;
  /** When it was submitted, and where its timing goes (commit-trace.ts), when traced. */
  readonly submittedAt: number;
  readonly timing?: CoalescedTiming;
}

/** Whether a commit may join a group: a plain streaming APPEND. */
export function coalescable(options: CommitOptions): options is CommitOptions & { commitIdentifier: bigint } {
  return (
    options.commitIdentifier !== undefined &&
    !options.overwrite &&
    !options.hashIndex &&
    !options.skipCommittedCheck &&
    (options.kind ?? 'APPEND') === 'APPEND' &&
    !options.coalesced?.length
  );
}

class CommitCoalescer {
  private pending: Request[] = [];
  private scheduled = false;

  constructor(
    private readonly schema: TableSchema,
    private readonly windowMs: number,
    private readonly onIdle: () => void,
  ) {}

  submit(request: Request): void {
    this.pending.push(request);
    if (this.scheduled) return;
    this.scheduled = true;
    setTimeout(() => void this.drain(), this.windowMs);
  }

  /** Commits groups until nothing is pending; commits that arrive meanwhile form the next group. */
  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      const group: Request[] = [];
      const next: Request[] = [];
      try {
        for (const r of this.pending) {
          const later =
            next.some((n) => n.options.commitUser === r.options.commitUser) ||
            group.some(
              (g) => g.options.commitUser === r.options.commitUser || mayRankBelow(this.schema, r.messages, g.messages),
            );
          (later ? next : group).push(r);
        }
      } catch (e) {
        for (const r of this.pending.splice(0)) r.reject(e);
        break;
      }
      this.pending = next;
      await this.commitGroup(group);
    }
    this.scheduled = false;
    this.onIdle();
  }

  private async commitGroup(group: Request[]): Promise<void> {
    const started = performance.now();
    for (const r of group) if (r.timing) r.timing.queuedMs = started - r.submittedAt;
    let members = group;
    while (members.length > 0) {
      const [head, ...rest] = members;
      let result: CommitResult;
      try {
        result = await head.commit.commit(head.messages, {
          ...head.options,
          coalesced: rest.map((r) => ({
            commitUser: r.options.commitUser,
            commitIdentifier: r.options.commitIdentifier,
            messages: r.messages,
            sequencedAfter: r.options.sequencedAfter,
          })),
        });
      } catch (e) {
        if (e instanceof CoalescedMemberError) {
          // One member landed already (a replay) or must re-base: it gets its own answer, and the
          // others are committed without it. Nothing was published.
          const m = members[e.member];
          if (e.landed) m.resolve({ snapshot: e.landed, published: false, attempts: 0 });
          else m.reject(e.conflict);
          members = members.filter((_, i) => i !== e.member);
          continue;
        }
        for (const m of members) m.reject(e);
        return;
      }
      const publishMs = performance.now() - started;
      for (const m of members) {
        if (m.timing) {
          m.timing.publishMs = publishMs;
          m.timing.groupSize = members.length;
        }
        m.resolve(result);
      }
      return;
    }
  }
}

const coalescers = new WeakMap<FileIO, Map<string, CommitCoalescer>>();

/**
 * Commits `messages` through the table's coalescer: the promise settles when the group holding the
 * commit was published (or refused). `options` must be coalescable.
 */
export function commitCoalesced(
  io: FileIO,
  tablePath: string,
  commit: FileStoreCommit,
  schema: TableSchema,
  messages: readonly CommitMessage[],
  options: CommitOptions & { readonly commitIdentifier: bigint },
  timing?: CoalescedTiming,
): Promise<CommitResult> {
  let byTable = coalescers.get(io);
  if (!byTable) {
    byTable = new Map();
    coalescers.set(io, byTable);
  }
  const key = `${schema.id}#${tablePath}`;
  let c = byTable.get(key);
  if (!c) {
    const map = byTable;
    c = new CommitCoalescer(schema, schema.options.commitCoalesceMs, () => map.delete(key));
    byTable.set(key, c);
  }
  const coalescer = c;
  return new Promise<CommitResult>((resolve, reject) =>
    coalescer.submit({ commit, messages, options, resolve, reject, submittedAt: performance.now(), timing }),
  );
}
