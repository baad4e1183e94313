/**
 * Partition directory names (`dt=19723/hr=3`).
 *
 * Verified against apache/paimon (master 5dacde51):
 * - InternalRowPartitionComputer.generatePartValues: with `partition.legacy-name=true` (the
 *   default) the value string is `toString()` of the *internal* Java value: Integer/Long/Short/Byte
 *   decimal, Boolean `true`/`false`, DATE the epoch-day Integer (`dt=19723`, not `2024-01-01`),
 *   Float/Double Java `toString` (`1.0`, `1.0E10`), Decimal `BigDecimal.toPlainString` (scale kept:
 *   `12.30`), Timestamp `LocalDateTime.toString()` (`2024-01-01T10:00`, seconds only when non-zero,
 *   fraction in groups of 3 digits) for both TIMESTAMP and TIMESTAMP_LTZ (the internal value is
 *   UTC). A byte[] would print as `[B@<identity hash>`, so binary partition keys are refused in
 *   legacy mode. With `legacy-name=false` the value is CAST to STRING (DateToStringCastRule:
 *   `yyyy-MM-dd`; TimestampToStringCastRule: `yyyy-MM-dd HH:mm:ss[.fraction]` with at least
 *   `precision` fraction digits; BinaryToStringCastRule: the bytes as UTF-8). A null value, or a
 *   string that is empty / whitespace-only (Java Character.isWhitespace), becomes the default name.
 * - PartitionPathUtils.generatePartitionPath: `escape(key)=escape(value)` joined by '/', with a
 *   trailing '/' (this module returns the name WITHOUT it, like generatePartitionName).
 *   escapePathName turns 0x00-0x1F, 0x7F and the characters " # % ' * / : = ? \ { } [ ] ^ into
 *   `%XX` (uppercase hex);
 *   unescapePathName turns every `%XX` back.
 * - Reading back: TypeUtils.castFromString / BinaryStringUtils.toDate (a plain number is an epoch
 *   day, else `yyyy-MM-dd`), toBoolean (t/true/y/yes/1, f/false/n/no/0).
 *
 * UNCONFIRMED / deliberate differences: TIMESTAMP_LTZ with `legacy-name=false` is cast in the JVM's
 * default time zone in Java; here it is formatted in UTC. Float/Double strings follow JDK 19+
 * `Double.toString` (shortest representation); older JDKs print a few values with more digits.
 */

import type { DataType } from '../types/data-types.ts';
import { formatDataType } from '../types/data-types.ts';
import { EddyError } from '../types/errors.ts';
import type { InternalValue } from '../types/internal.ts';
import { javaUtf8 } from './binary-row.ts';

export const DEFAULT_PARTITION_NAME = '__DEFAULT_PARTITION__';

export interface PartitionField {
  readonly name: string;
  readonly type: DataType;
}

export interface PartitionPathOptions {
  /** `partition.legacy-name` (default true). */
  readonly legacyName?: boolean;
}

// ------------------------------------------------------------------------------------------------
// Escaping (PartitionPathUtils.escapePathName / unescapePathName)

const CHARS_TO_ESCAPE = new Set<number>();
for (let c = 0; c < 0x20; c++) CHARS_TO_ESCAPE.add(c);
for (const ch of '"#%\'*/:=?\\\u007F{}[]^') CHARS_TO_ESCAPE.add(ch.charCodeAt(0));

export function escapePathName(s: string): string {
  if (s.length === 0) throw new EddyError('INVALID_ARGUMENT', 'a partition path component cannot be empty');
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out += CHARS_TO_ESCAPE.has(c) ? `%${c.toString(16).toUpperCase().padStart(2, '0')}` : s[i];
  }
  return out;
}

export function unescapePathName(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '%' && i + 2 < s.length) {
      // Java: Integer.parseInt(two chars, 16), used when >= 0 (so "+F" counts, "-1" does not).
      const hex = s.slice(i + 1, i + 3);
      if (/^(?:[0-9a-fA-F]{2}|\+[0-9a-fA-F])$/.test(hex)) {
        out += String.fromCharCode(Number.parseInt(hex, 16));
        i += 2;
        continue;
      }
    }
    out += c;
  }
  return out;
}

// ------------------------------------------------------------------------------------------------
// Java-compatible value formatting

/** Java's Character.isWhitespace (no-break spaces excluded). */
function isJavaWhitespace(c: number): boolean {
  return (
    (c >= 0x09 && c <= 0x0d) ||
    (c >= 0x1c && c <= 0x20) ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x2006) ||
    (c >= 0x2008 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x205f ||
    c === 0x3000
  );
}

/** StringUtils.isNullOrWhitespaceOnly for a non-null string. */
export function isJavaBlank(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (!isJavaWhitespace(s.charCodeAt(i))) return false;
  return true;
}

/** Exact decimal expansion of a finite positive double: significant digits and the exponent of the first. */
function exactDecimal(a: number): { digits: string; exp: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, a);
  const bits = view.getBigUint64(0);
  const biased = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  const m = biased === 0 ? fraction : fraction | (1n << 52n);
  const e = biased === 0 ? -1074 : biased - 1075;
  // a = m * 2^e = (m * 5^-e) * 10^e for negative e.
  const n = e >= 0 ? m << BigInt(e) : m * 5n ** BigInt(-e);
  const str = n.toString();
  const exp = str.length - 1 + Math.min(e, 0);
  return { digits: str.replace(/0+$/, '') || '0', exp };
}

/**
 * Renders Java's `Double.toString` / `Float.toString` (JDK 19+, Raffaello Giulietti's algorithm):
 * the shortest decimal that rounds to the value (length at least 2 when a single digit would do),
 * the closest such, ties to an even last digit; plain notation for 1e-3 <= |x| < 1e7, else `d.dddEn`.
 */
export function javaFloatingToString(x: number, isFloat: boolean): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Number.POSITIVE_INFINITY) return 'Infinity';
  if (x === Number.NEGATIVE_INFINITY) return '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const sign = x < 0 ? '-' : '';
  const a = Math.abs(x);
  const exact = exactDecimal(a);
  const roundTrips = (d: string, e: number): boolean => {
    const v = Number(`${d}e${e - d.length + 1}`);
    return isFloat ? Math.fround(v) === a : v === a;
  };
  /** The n-digit decimals just below and above `a` that round to it, closest first (ties: even digit). */
  const candidates = (n: number): { digits: string; exp: number }[] => {
    if (exact.digits.length <= n) return [exact];
    const lower = exact.digits.slice(0, n);
    const rest = exact.digits.slice(n);
    let upper = (BigInt(lower) + 1n).toString();
    let upperExp = exact.exp;
    if (upper.length > n) {
      upper = upper.slice(0, n);
      upperExp++;
    }
    const lo = { digits: lower, exp: exact.exp };
    const hi = { digits: upper, exp: upperExp };
    let ordered: (typeof lo)[];
    if (rest === '5') ordered = Number(lower[n - 1]) % 2 === 0 ? [lo, hi] : [hi, lo];
    else ordered = rest[0] >= '5' ? [hi, lo] : [lo, hi];
    return ordered.filter((c) => roundTrips(c.digits, c.exp));
  };
  let best: { digits: string; exp: number } | undefined;
  for (let n = 1; n <= 17 && best === undefined; n++) {
    const found = candidates(n);
    if (found.length > 0) best = n === 1 ? candidates(2)[0] : found[0];
  }
  const chosen = best ?? exact;
  const digits = chosen.digits.replace(/0+$/, '') || '0';
  const exp = chosen.exp;
  if (a >= 1e-3 && a < 1e7) {
    if (exp >= 0) {
      const intPart = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
      const frac = digits.slice(exp + 1) || '0';
      return `${sign}${intPart}.${frac}`;
    }
    return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  }
  return `${sign}${digits[0]}.${digits.slice(1) || '0'}E${exp}`;
}

/** BigDecimal(unscaled, scale).toPlainString(). */
export function decimalToPlainString(unscaled: bigint, scale: number): string {
  const neg = unscaled < 0n;
  const digits = (neg ? -unscaled : unscaled).toString();
  if (scale <= 0) return (neg ? '-' : '') + digits + '0'.repeat(-scale);
  const padded = digits.padStart(scale + 1, '0');
  return `${neg ? '-' : ''}${padded.slice(0, padded.length - scale)}.${padded.slice(padded.length - scale)}`;
}

const floorDiv = (a: bigint, b: bigint): bigint => {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
};

/** Proleptic Gregorian civil date of an epoch day (LocalDate.ofEpochDay). */
export function civilFromEpochDay(epochDay: number): { year: number; month: number; day: number } {
  const z = epochDay + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

/** Epoch day of a proleptic Gregorian civil date (LocalDate.toEpochDay). */
export function epochDayFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = month > 2 ? month - 3 : month + 9;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** LocalDate.toString: 4-digit years, sign for years < 0, '+' above 9999. */
function javaLocalDate(epochDay: number): string {
  const { year, month, day } = civilFromEpochDay(epochDay);
  let y: string;
  if (Math.abs(year) < 1000) y = (year < 0 ? '-' : '') + String(Math.abs(year)).padStart(4, '0');
  else y = (year > 9999 ? '+' : '') + String(year);
  return `${y}-${pad2(month)}-${pad2(day)}`;
}

function splitTimestamp(micros: bigint): { epochDay: number; h: number; m: number; s: number; nano: number } {
  const days = floorDiv(micros, 86_400_000_000n);
  const microOfDay = Number(micros - days * 86_400_000_000n);
  const secOfDay = Math.floor(microOfDay / 1_000_000);
  return {
    epochDay: Number(days),
    h: Math.floor(secOfDay / 3600),
    m: Math.floor((secOfDay % 3600) / 60),
    s: secOfDay % 60,
    nano: (microOfDay % 1_000_000) * 1000,
  };
}

/** LocalDateTime.toString of a timestamp in microseconds since epoch (UTC wall clock). */
export function javaLocalDateTimeString(micros: bigint): string {
  const { epochDay, h, m, s, nano } = splitTimestamp(micros);
  let out = `${javaLocalDate(epochDay)}T${pad2(h)}:${pad2(m)}`;
  if (s > 0 || nano > 0) {
    out += `:${pad2(s)}`;
    if (nano > 0) {
      if (nano % 1_000_000 === 0) out += `.${String(nano / 1_000_000).padStart(3, '0')}`;
      else if (nano % 1000 === 0) out += `.${String(nano / 1000).padStart(6, '0')}`;
      else out += `.${String(nano).padStart(9, '0')}`;
    }
  }
  return out;
}

/** DateTimeUtils.formatDate (int4 year: always 4 digits). */
function castDateString(epochDay: number): string {
  const { year, month, day } = civilFromEpochDay(epochDay);
  return `${String(year % 10000).padStart(4, '0')}-${pad2(month)}-${pad2(day)}`;
}

/** DateTimeUtils.formatTimestamp(ts, precision). */
function castTimestampString(micros: bigint, precision: number): string {
  const { epochDay, h, m, s, nano } = splitTimestamp(micros);
  let fraction = String(nano).padStart(9, '0');
  while (fraction.length > precision && fraction.endsWith('0')) fraction = fraction.slice(0, -1);
  return `${castDateString(epochDay)} ${pad2(h)}:${pad2(m)}:${pad2(s)}${fraction ? `.${fraction}` : ''}`;
}

function typeError(field: PartitionField, what: string, v: unknown): EddyError {
  return new EddyError(
    'INVALID_ARGUMENT',
    `partition column '${field.name}' (${formatDataType(field.type)}): expected ${what}, got ${typeof v === 'bigint' ? `${v}n` : String(v)}`,
  );
}

const asBigInt = (field: PartitionField, v: InternalValue): bigint => {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
  throw typeError(field, 'a bigint', v);
};

/** The string a partition value is written as (before escaping), or null for "use the default name". */
export function partitionValueString(field: PartitionField, v: InternalValue, legacyName = true): string | null {
  if (v === null) return null;
  const t = field.type;
  switch (t.root) {
    case 'BOOLEAN':
      if (typeof v !== 'boolean') throw typeError(field, 'a boolean', v);
      return v ? 'true' : 'false';
    case 'TINYINT':
    case 'SMALLINT':
    case 'INT':
      if (typeof v !== 'number' || !Number.isInteger(v)) throw typeError(field, 'an integer', v);
      return String(v);
    case 'BIGINT':
      return asBigInt(field, v).toString();
    case 'FLOAT':
    case 'DOUBLE':
      if (typeof v !== 'number') throw typeError(field, 'a number', v);
      return javaFloatingToString(t.root === 'FLOAT' ? Math.fround(v) : v, t.root === 'FLOAT');
    case 'DATE':
      if (typeof v !== 'number' || !Number.isInteger(v)) throw typeError(field, 'an epoch day', v);
      return legacyName ? String(v) : castDateString(v);
    case 'CHAR':
    case 'VARCHAR':
      if (typeof v !== 'string') throw typeError(field, 'a string', v);
      return v;
    case 'BINARY':
    case 'VARBINARY':
      if (!(v instanceof Uint8Array)) throw typeError(field, 'a Uint8Array', v);
      if (legacyName) {
        throw new EddyError(
          'UNSUPPORTED',
          `partition column '${field.name}': ${formatDataType(t)} partition values have no stable directory name with partition.legacy-name=true`,
        );
      }
      return new TextDecoder('utf-8').decode(v);
    case 'DECIMAL':
      return decimalToPlainString(asBigInt(field, v), t.scale);
    case 'TIMESTAMP':
    case 'TIMESTAMP_LTZ':
      return legacyName
        ? javaLocalDateTimeString(asBigInt(field, v))
        : castTimestampString(asBigInt(field, v), t.precision);
    default: {
      const never: never = t;
      throw new EddyError('UNSUPPORTED', `unsupported partition type ${formatDataType(never)}`);
    }
  }
}

/**
 * The partition directory path relative to the table root, without a trailing '/':
 * `dt=19723/hr=3`. Empty string for an unpartitioned table.
 */
export function partitionPath(
  fields: readonly PartitionField[],
  values: readonly InternalValue[],
  defaultName: string = DEFAULT_PARTITION_NAME,
  options: PartitionPathOptions = {},
): string {
  if (fields.length !== values.length) {
    throw new EddyError(
      'INVALID_ARGUMENT',
      `partition path: ${values.length} values for ${fields.length} partition columns`,
    );
  }
  const legacy = options.legacyName ?? true;
  const parts: string[] = [];
  for (let i = 0; i < fields.length; i++) {
    let s = partitionValueString(fields[i], values[i], legacy);
    if (s === null || isJavaBlank(s)) s = defaultName;
    parts.push(`${escapePathName(fields[i].name)}=${escapePathName(s)}`);
  }
  return parts.join('/');
}

// ------------------------------------------------------------------------------------------------
// Parsing

function parseError(field: PartitionField, s: string, why = ''): EddyError {
  return new EddyError(
    'INVALID_ARGUMENT',
    `partition column '${field.name}' (${formatDataType(field.type)}): cannot parse '${s}'${why ? `: ${why}` : ''}`,
  );
}

function parseIntIn(field: PartitionField, s: string, min: number, max: number): number {
  if (!/^[+-]?\d+$/.test(s)) throw parseError(field, s);
  const n = Number(s);
  if (n < min || n > max) throw parseError(field, s, `out of range ${min}..${max}`);
  return n;
}

function parseLong(field: PartitionField, s: string): bigint {
  if (!/^[+-]?\d+$/.test(s)) throw parseError(field, s);
  const n = BigInt(s);
  if (n !== BigInt.asIntN(64, n)) throw parseError(field, s, 'out of BIGINT range');
  return n;
}

function parseDecimal(field: PartitionField, s: string, precision: number, scale: number): bigint {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(s);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) throw parseError(field, s);
  const [, sign, intDigits, fracDigits = '', expStr] = m;
  // value = digits * 10^(exp - fracDigits.length); rescale to `scale` with HALF_UP like Decimal.fromBigDecimal.
  let digits = BigInt(intDigits + fracDigits || '0');
  const shift = Number(expStr ?? 0) - fracDigits.length + scale;
  if (shift >= 0) {
    digits *= 10n ** BigInt(shift);
  } else {
    const div = 10n ** BigInt(-shift);
    const q = digits / div;
    digits = digits % div >= (div + 1n) / 2n ? q + 1n : q;
  }
  if (digits >= 10n ** BigInt(precision)) throw parseError(field, s, `does not fit DECIMAL(${precision}, ${scale})`);
  return sign === '-' ? -digits : digits;
}

function parseDate(field: PartitionField, s: string): number {
  if (/^-?\d+$/.test(s)) return parseIntIn(field, s, -2147483648, 2147483647);
  const m = /^(-?\d{4,})-(\d{1,2})-(\d{1,2})$/.exec(s.trim());
  if (!m) throw parseError(field, s);
  return epochDayFromCivil(Number(m[1]), Number(m[2]), Number(m[3]));
}

function parseTimestamp(field: PartitionField, s: string): bigint {
  const m = /^([+-]?\d{4,})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?$/.exec(s.trim());
  if (!m) throw parseError(field, s);
  const [, y, mo, d, h = '0', mi = '0', sec = '0', frac = ''] = m;
  const day = BigInt(epochDayFromCivil(Number(y), Number(mo), Number(d)));
  const micros = BigInt(frac.padEnd(9, '0').slice(0, 6));
  return day * 86_400_000_000n + BigInt(Number(h) * 3600 + Number(mi) * 60 + Number(sec)) * 1_000_000n + micros;
}

/** Parses one (unescaped) partition value string back into an internal value. */
export function parsePartitionValue(
  field: PartitionField,
  s: string,
  defaultName = DEFAULT_PARTITION_NAME,
): InternalValue {
  if (s === defaultName) return null;
  const t = field.type;
  switch (t.root) {
    case 'CHAR':
    case 'VARCHAR':
      return s;
    case 'BOOLEAN': {
      const l = s.toLowerCase();
      if (['t', 'true', 'y', 'yes', '1'].includes(l)) return true;
      if (['f', 'false', 'n', 'no', '0'].includes(l)) return false;
      throw parseError(field, s);
    }
    case 'TINYINT':
      return parseIntIn(field, s, -128, 127);
    case 'SMALLINT':
      return parseIntIn(field, s, -32768, 32767);
    case 'INT':
      return parseIntIn(field, s, -2147483648, 2147483647);
    case 'BIGINT':
      return parseLong(field, s);
    case 'FLOAT':
    case 'DOUBLE': {
      if (!/^[+-]?(?:NaN|Infinity|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)$/.test(s)) throw parseError(field, s);
      const n = Number(s.replace(/^[+-](?=NaN)/, ''));
      return t.root === 'FLOAT' ? Math.fround(n) : n;
    }
    case 'DATE':
      return parseDate(field, s);
    case 'DECIMAL':
      return parseDecimal(field, s, t.precision, t.scale);
    case 'TIMESTAMP':
    case 'TIMESTAMP_LTZ':
      return parseTimestamp(field, s);
    case 'BINARY':
    case 'VARBINARY':
      return javaUtf8(s);
    default: {
      const never: never = t;
      throw new EddyError('UNSUPPORTED', `unsupported partition type ${formatDataType(never)}`);
    }
  }
}

/**
 * Inverse of partitionPath: `dt=19723/hr=3` (a trailing '/' and leading table path components
 * without '=' are tolerated; the last `fields.length` components must be `key=value` for the
 * partition keys in order) → internal values. The default name reads back as null.
 */
export function parsePartitionPath(
  path: string,
  fields: readonly PartitionField[],
  defaultName: string = DEFAULT_PARTITION_NAME,
): InternalValue[] {
  if (fields.length === 0) return [];
  const components = path.split('/').filter((c) => c.length > 0);
  if (components.length < fields.length) {
    throw new EddyError('INVALID_ARGUMENT', `partition path '${path}' has fewer than ${fields.length} components`);
  }
  const tail = components.slice(components.length - fields.length);
  return fields.map((field, i) => {
    const m = /^([^/]+)=([^/]+)$/.exec(tail[i]);
    const key = m ? unescapePathName(m[1]) : undefined;
    if (!m || key !== field.name) {
      throw new EddyError(
        'INVALID_ARGUMENT',
        `partition path '${path}': expected '${field.name}=<value>' but found '${tail[i]}'`,
      );
    }
    return parsePartitionValue(field, unescapePathName(m[2]), defaultName);
  });
}
