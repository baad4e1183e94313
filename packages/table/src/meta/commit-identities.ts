/**
 * Which (commitUser, commitIdentifier) pairs a snapshot commits. Paimon records one, in the
 * snapshot's `commitUser` / `commitIdentifier`. A coalesced commit (commit/commit-coalescer.ts)
 * publishes several writers' checkpoints as one snapshot: the first member in those fields, every
 * other in the snapshot's `properties` as `eddy.commit-identifier.<commitUser>` = identifier.
 * Paimon's Snapshot keeps `properties` as an opaque Map<String, String>, so Java, pypaimon and
 * paimon-rust read such snapshots as before; only Eddy's exactly-once check consults these keys.
 */
import { BATCH_COMMIT_IDENTIFIER, type Snapshot } from '../format/snapshot.ts';
import { EddyError } from '../types/errors.ts';

export const COALESCED_PREFIX = 'eddy.commit-identifier.';

export interface CommitIdentity {
  readonly commitUser: string;
  readonly commitIdentifier: bigint;
}

/** The property recording a coalesced member's checkpoint. */
export function coalescedProperty(m: CommitIdentity): [string, string] {
  return [`${COALESCED_PREFIX}${m.commitUser}`, m.commitIdentifier.toString()];
}

function parseIdentifier(s: Snapshot, key: string, v: string): bigint {
  if (!/^-?\d{1,19}$/.test(v))
    throw new EddyError('CORRUPT_FILE', `snapshot ${s.id}: property '${key}' is not a commit identifier: '${v}'`);
  return BigInt(v);
}

/** The identifier `commitUser` committed in `s`, or undefined when `s` holds no commit of that user. */
export function identifierIn(s: Snapshot, commitUser: string): bigint | undefined {
  if (s.commitUser === commitUser) return s.commitIdentifier;
  const key = `${COALESCED_PREFIX}${commitUser}`;
  const v = s.properties?.[key];
  return v === undefined ? undefined : parseIdentifier(s, key, v);
}

/** Every streaming checkpoint `s` commits (batch commits, Long.MAX_VALUE, are not checkpoints). */
export function streamingIdentities(s: Snapshot): CommitIdentity[] {
  const out: CommitIdentity[] = [];
  if (s.commitIdentifier !== BATCH_COMMIT_IDENTIFIER)
    out.push({ commitUser: s.commitUser, commitIdentifier: s.commitIdentifier });
  for (const [key, v] of Object.entries(s.properties ?? {})) {
    if (key.startsWith(COALESCED_PREFIX))
      out.push({ commitUser: key.slice(COALESCED_PREFIX.length), commitIdentifier: parseIdentifier(s, key, v) });
  }
  return out;
}
