/**
 * Where a streaming commit's time goes, for whoever listens (the stream bench): one message per
 * `TableWrite.commit` on the `eddy:commit` diagnostics channel, with the time of each phase. Nothing
 * is measured or allocated when no one subscribes (`hasSubscribers`), so it costs a commit nothing.
 */
import { channel } from 'node:diagnostics_channel';

export const commitTraceChannel = channel('eddy:commit');

/** One commit's phases, in ms (performance.now() differences). */
export interface CommitTrace {
  readonly commitUser: string;
  /** Following others' commits before the flush (PK writers). */
  readonly followMs: number;
  /** Flushing the buffer: data files encoded and written. */
  readonly prepareMs: number;
  /** Waiting in the coalescer: the window, and a group publishing before this one. */
  readonly queuedMs: number;
  /** Publishing: look-up, manifests, lists, snapshot, hint and records (its group's, when coalesced). */
  readonly publishMs: number;
  /** Members of the snapshot that published this commit (1 without coalescing). */
  readonly groupSize: number;
}

/** Per commit, filled in by the coalescer (queued/publish/group); undefined fields are the caller's to time. */
export interface CoalescedTiming {
  queuedMs: number;
  publishMs: number;
  groupSize: number;
}

export const tracing = (): boolean => commitTraceChannel.hasSubscribers;
