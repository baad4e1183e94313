/**
 * `tag/tag-<name>`: a snapshot's JSON, plus — when the tag has a retention time — Paimon's two tag
 * fields, as Java's Jackson (JavaTimeModule, timestamps as numbers) writes them:
 *
 *   "tagCreateTime" : [ 2026, 12, 7, 8, 31, 50, 146703338 ]   LocalDateTime: y, M, d, H, m[, s[, nanos]]
 *   "tagTimeRetained" : 86400.000000000                        Duration: seconds.nanoseconds
 *
 * The create time is a wall-clock time without a zone (Java's `LocalDateTime.now()` in the writer's
 * zone). Java: org.apache.paimon.tag.Tag.
 */
import { corruptFile } from '../types/errors.ts';
import { checkMetadataSize, MAX_SNAPSHOT_JSON_BYTES } from '../types/limits.ts';
import { parseJsonWithLongs, RawJsonNumber, stringifyJsonWithLongs } from './json-long.ts';
import { decodeSnapshotObject, type Snapshot, snapshotObject } from './snapshot.ts';

/** A wall-clock date-time without a zone (Java's LocalDateTime). */
export interface LocalDateTime {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly nano: number;
}

export interface TagFile {
  readonly snapshot: Snapshot;
  /** `tagCreateTime`: absent for tags created without a retention time. */
  readonly createTime?: LocalDateTime;
  /** `tagTimeRetained` in milliseconds. */
  readonly timeRetainedMs?: number;
}

/** Milliseconds since the epoch of a LocalDateTime read in this process's time zone (as Java compares them). */
export function localDateTimeMillis(t: LocalDateTime): number {
  return new Date(t.year, t.month - 1, t.day, t.hour, t.minute, t.second, Math.floor(t.nano / 1e6)).getTime();
}

/** The LocalDateTime of an instant in this process's time zone. */
export function localDateTimeOf(millis: number): LocalDateTime {
  const d = new Date(millis);
  return {
    year: d.getFullYear(),
    month: d.getMonth() + 1,
    day: d.getDate(),
    hour: d.getHours(),
    minute: d.getMinutes(),
    second: d.getSeconds(),
    nano: d.getMilliseconds() * 1e6,
  };
}

function parseLocalDateTime(v: unknown, path: string): LocalDateTime {
  if (Array.isArray(v)) {
    const ok = v.length >= 5 && v.length <= 7 && v.every((x) => typeof x === 'number' && Number.isSafeInteger(x));
    if (!ok) throw corruptFile(path, `'tagCreateTime' is not [year, month, day, hour, minute, second?, nanos?]`);
    const [year, month, day, hour, minute, second = 0, nano = 0] = v as number[];
    return checkedDateTime({ year, month, day, hour, minute, second, nano }, path);
  }
  // Jackson also reads ISO strings (`2024-01-02T03:04:05.123`).
  const m =
    typeof v === 'string' ? /^(\d{4,})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?$/.exec(v) : null;
  if (!m) throw corruptFile(path, `'tagCreateTime' is not a date-time: ${JSON.stringify(v)}`);
  return checkedDateTime(
    {
      year: Number(m[1]),
      month: Number(m[2]),
      day: Number(m[3]),
      hour: Number(m[4]),
      minute: Number(m[5]),
      second: Number(m[6] ?? 0),
      nano: Number((m[7] ?? '').padEnd(9, '0')),
    },
    path,
  );
}

function checkedDateTime(t: LocalDateTime, path: string): LocalDateTime {
  const bad =
    t.month < 1 ||
    t.month > 12 ||
    t.day < 1 ||
    t.day > 31 ||
    t.hour > 23 ||
    t.minute > 59 ||
    t.second > 59 ||
    t.nano < 0 ||
    t.nano > 999_999_999 ||
    t.hour < 0 ||
    t.minute < 0 ||
    t.second < 0;
  if (bad) throw corruptFile(path, `'tagCreateTime' is not a valid date-time`);
  return t;
}

/** A Duration as Jackson writes it (decimal seconds) or as an ISO-8601 string (`PT1H`). */
function parseDurationMillis(v: unknown, path: string): number {
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return Math.round(v * 1000);
  if (typeof v === 'bigint' && v >= 0n) return Number(v) * 1000;
  const m =
    typeof v === 'string'
      ? /^PT?(?:(\d+)D)?T?(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?$/.exec(v.replace(/^P(\d+D)?$/, 'P$1T'))
      : null;
  if (m && typeof v === 'string' && v !== 'PT' && v !== 'P') {
    const [d, h, mi, s] = [m[1], m[2], m[3], m[4]].map((x) => Number(x ?? 0));
    return Math.round((((d * 24 + h) * 60 + mi) * 60 + s) * 1000);
  }
  throw corruptFile(path, `'tagTimeRetained' is not a duration: ${JSON.stringify(v)}`);
}

export function decodeTag(text: string, path: string): TagFile {
  checkMetadataSize(text.length, MAX_SNAPSHOT_JSON_BYTES, path, 'tag JSON');
  let o: Record<string, unknown>;
  try {
    o = parseJsonWithLongs(text) as Record<string, unknown>;
  } catch (e) {
    throw corruptFile(path, `not valid JSON: ${(e as Error).message}`, e);
  }
  const snapshot = decodeSnapshotObject(o, path);
  const created = o.tagCreateTime;
  const retained = o.tagTimeRetained;
  return {
    snapshot,
    ...(created === undefined || created === null ? {} : { createTime: parseLocalDateTime(created, path) }),
    ...(retained === undefined || retained === null ? {} : { timeRetainedMs: parseDurationMillis(retained, path) }),
  };
}

/**
 * The tag file's JSON: the snapshot's fields, then the tag fields when a retention time is given
 * (like Java, a tag without one is plain snapshot JSON, which Paimon ≤ 0.7 can read).
 */
export function encodeTag(tag: TagFile): string {
  const o = snapshotObject(tag.snapshot);
  if (tag.timeRetainedMs !== undefined) {
    const t = tag.createTime;
    if (!t) throw new RangeError('a tag with a retention time needs its create time');
    // Jackson's LocalDateTimeSerializer leaves out a zero second (and nanos) at the end.
    const parts = [t.year, t.month, t.day, t.hour, t.minute];
    if (t.second !== 0 || t.nano !== 0) parts.push(t.second);
    if (t.nano !== 0) parts.push(t.nano);
    o.tagCreateTime = parts;
    const ms = tag.timeRetainedMs;
    o.tagTimeRetained = new RawJsonNumber(
      `${Math.floor(ms / 1000)}.${String((ms % 1000) * 1_000_000).padStart(9, '0')}`,
    );
  }
  return stringifyJsonWithLongs(o);
}
