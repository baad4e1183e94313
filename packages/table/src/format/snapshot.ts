import { checkFileName, corruptFile } from '../types/errors.ts';
import { checkMetadataSize, MAX_SNAPSHOT_JSON_BYTES } from '../types/limits.ts';
import { parseJsonWithLongs, stringifyJsonWithLongs } from './json-long.ts';

export type CommitKind = 'APPEND' | 'COMPACT' | 'OVERWRITE' | 'ANALYZE';

/** Batch commits use Long.MAX_VALUE as their identifier, like Paimon. */
export const BATCH_COMMIT_IDENTIFIER = 9223372036854775807n;

/**
 * `snapshot/snapshot-N` (version 3). Field order follows what Paimon Java 1.4 writes.
 * Java: org.apache.paimon.Snapshot. The same JSON is a long-lived changelog (`changelog/changelog-N`,
 * org.apache.paimon.Changelog) and, with two more fields, a tag (see format/tag.ts).
 *
 * Java's longs: `commitIdentifier`, `watermark` and `nextRowId` are bigint (Flink writes
 * `watermark: -9223372036854775808`); ids, sizes, counts and times are numbers, and a file whose
 * value does not fit a safe integer is refused (CORRUPT_FILE) rather than rounded.
 */
export interface Snapshot {
  readonly version: number;
  readonly id: number;
  readonly schemaId: number;
  readonly baseManifestList: string;
  readonly baseManifestListSize?: number;
  readonly deltaManifestList: string;
  readonly deltaManifestListSize?: number;
  readonly changelogManifestList?: string | null;
  readonly changelogManifestListSize?: number;
  readonly indexManifest?: string | null;
  readonly commitUser: string;
  readonly commitIdentifier: bigint;
  readonly commitKind: CommitKind;
  readonly timeMillis: number;
  readonly totalRecordCount: number;
  readonly deltaRecordCount: number;
  readonly changelogRecordCount?: number;
  readonly watermark?: bigint;
  readonly statistics?: string;
  readonly properties?: Readonly<Record<string, string>>;
  readonly nextRowId?: bigint;
}

const ORDER: (keyof Snapshot)[] = [
  'version',
  'id',
  'schemaId',
  'baseManifestList',
  'baseManifestListSize',
  'deltaManifestList',
  'deltaManifestListSize',
  'changelogManifestList',
  'changelogManifestListSize',
  'indexManifest',
  'commitUser',
  'commitIdentifier',
  'commitKind',
  'timeMillis',
  'totalRecordCount',
  'deltaRecordCount',
  'changelogRecordCount',
  'watermark',
  'statistics',
  'properties',
  'nextRowId',
];

/** The snapshot's JSON object, fields in Java's order (null and absent fields left out, as Java does). */
export function snapshotObject(s: Snapshot): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const k of ORDER) {
    const v = s[k];
    if (v !== undefined && v !== null) o[k] = v;
  }
  return o;
}

export function encodeSnapshot(s: Snapshot): string {
  return stringifyJsonWithLongs(snapshotObject(s));
}

const KINDS: CommitKind[] = ['APPEND', 'COMPACT', 'OVERWRITE', 'ANALYZE'];

export function decodeSnapshot(text: string, path: string): Snapshot {
  checkMetadataSize(text.length, MAX_SNAPSHOT_JSON_BYTES, path, 'snapshot JSON');
  let o: unknown;
  try {
    o = parseJsonWithLongs(text);
  } catch (e) {
    throw corruptFile(path, `not valid JSON: ${(e as Error).message}`, e);
  }
  return decodeSnapshotObject(o, path);
}

/** A snapshot from parsed JSON (parseJsonWithLongs); extra fields (a tag's) are ignored. */
export function decodeSnapshotObject(json: unknown, path: string): Snapshot {
  const o = json as Record<string, unknown>;
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw corruptFile(path, 'snapshot is not a JSON object');
  const num = (k: string, required: boolean): number | undefined => {
    const v = o[k];
    if (v === undefined || v === null) {
      if (required) throw corruptFile(path, `snapshot has no '${k}'`);
      return undefined;
    }
    if (typeof v === 'bigint') throw corruptFile(path, `'${k}' = ${v} is beyond the safe integer range`);
    if (typeof v !== 'number' || !Number.isFinite(v)) throw corruptFile(path, `'${k}' is not a number`);
    if (!Number.isSafeInteger(v)) throw corruptFile(path, `'${k}' is not an integer`);
    return v;
  };
  const long = (k: string): bigint | undefined => {
    const v = o[k];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'bigint') return v;
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw corruptFile(path, `'${k}' is not an integer`);
    return BigInt(v);
  };
  const str = (k: string, required: boolean): string | undefined => {
    const v = o[k];
    if (v === undefined || v === null) {
      if (required) throw corruptFile(path, `snapshot has no '${k}'`);
      return undefined;
    }
    if (typeof v !== 'string') throw corruptFile(path, `'${k}' is not a string`);
    return v;
  };
  const file = (k: string, required: boolean): string | undefined => {
    const v = str(k, required);
    return v === undefined ? undefined : checkFileName(v, path, `'${k}'`);
  };
  const kind = str('commitKind', true) as CommitKind;
  if (!KINDS.includes(kind)) throw corruptFile(path, `unknown commitKind '${kind}'`);
  const ident = long('commitIdentifier');
  if (ident === undefined) throw corruptFile(path, "snapshot has no 'commitIdentifier'");
  const props = o.properties;
  return {
    version: num('version', true)!,
    id: num('id', true)!,
    schemaId: num('schemaId', true)!,
    baseManifestList: file('baseManifestList', true)!,
    baseManifestListSize: num('baseManifestListSize', false),
    deltaManifestList: file('deltaManifestList', true)!,
    deltaManifestListSize: num('deltaManifestListSize', false),
    changelogManifestList: file('changelogManifestList', false) ?? null,
    changelogManifestListSize: num('changelogManifestListSize', false),
    indexManifest: file('indexManifest', false) ?? null,
    commitUser: str('commitUser', true)!,
    commitIdentifier: ident,
    commitKind: kind,
    timeMillis: num('timeMillis', true)!,
    totalRecordCount: num('totalRecordCount', false) ?? 0,
    deltaRecordCount: num('deltaRecordCount', false) ?? 0,
    changelogRecordCount: num('changelogRecordCount', false),
    watermark: long('watermark'),
    statistics: file('statistics', false),
    properties: typeof props === 'object' && props !== null ? (props as Record<string, string>) : undefined,
    nextRowId: long('nextRowId'),
  };
}
