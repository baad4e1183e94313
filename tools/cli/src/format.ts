/**
 * Output helpers shared by every command: aligned text tables for people (numbers right-aligned,
 * sizes and counts humanised), and JSON / JSON Lines for scripts (exact values: sizes in bytes,
 * 64-bit integers as numbers when they fit a double and as strings otherwise).
 */

/** How a column is shown in a human table. */
export type CellKind = 'text' | 'count' | 'bytes' | 'time' | 'int';

export interface ColumnSpec {
  /** Property of the row objects. */
  readonly key: string;
  /** Header (default: the key). */
  readonly label?: string;
  readonly kind?: CellKind;
}

/** `1536` → `1.5 KiB`. */
export function humanBytes(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = Math.abs(n);
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  const s = u === 0 ? String(v) : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
  return `${n < 0 ? '-' : ''}${s} ${units[u]}`;
}

/** `1234567` → `1,234,567`. */
export function humanCount(n: number | bigint): string {
  const s = (typeof n === 'bigint' ? n : BigInt(Math.trunc(n))).toString();
  const neg = s.startsWith('-');
  const digits = neg ? s.slice(1) : s;
  return (neg ? '-' : '') + digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Microseconds since the epoch as an ISO-8601 string with six fraction digits. */
export function microsToIso(micros: bigint): string {
  const millis = micros >= 0n ? micros / 1000n : -((-micros + 999n) / 1000n);
  const frac = micros - millis * 1000n;
  return new Date(Number(millis)).toISOString().replace(/Z$/, `${frac.toString().padStart(3, '0')}Z`);
}

/** A value as one table cell. */
export function cellText(v: unknown, kind: CellKind = 'text'): string {
  if (v === undefined) return '';
  if (v === null) return kind === 'text' ? 'NULL' : '';
  if (kind === 'bytes' && typeof v === 'number') return humanBytes(v);
  if (kind === 'count' && (typeof v === 'number' || typeof v === 'bigint')) return humanCount(v);
  if (kind === 'time' && typeof v === 'number') return new Date(v).toISOString().replace('T', ' ').replace(/Z$/, '');
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? 'Invalid Date' : v.toISOString();
  if (v instanceof Uint8Array) return `0x${Buffer.from(v).toString('hex')}`;
  if (Array.isArray(v)) return v.map((x) => cellText(x)).join(', ');
  if (typeof v === 'object') return toJsonLine(v);
  // Control characters (newlines in a value) would break the table's alignment: show them escaped.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  return String(v).replace(/[\u0000-\u001f\u007f]/g, (c) => JSON.stringify(c).slice(1, -1));
}

const isNumeric = (v: unknown) => typeof v === 'number' || typeof v === 'bigint';

/**
 * Renders rows as an aligned text table (the human default of every command). Columns are the
 * keys of the first row unless given; numeric columns are right-aligned.
 */
export function renderTable(
  rows: readonly Record<string, unknown>[],
  columns?: readonly (string | ColumnSpec)[],
): string {
  const specs: ColumnSpec[] = (columns ?? (rows.length > 0 ? Object.keys(rows[0]) : [])).map((c) =>
    typeof c === 'string' ? { key: c } : c,
  );
  const body = rows.map((r) => specs.map((c) => cellText(r[c.key], c.kind)));
  const right = specs.map((c) => {
    if (c.kind && c.kind !== 'text' && c.kind !== 'time') return true;
    const vals = rows.map((r) => r[c.key]).filter((v) => v !== null && v !== undefined);
    return vals.length > 0 && vals.every(isNumeric);
  });
  const headers = specs.map((c) => c.label ?? c.key);
  // A loop, not Math.max(...spread): the spread overflows the stack on large listings.
  const widths = specs.map((_, i) => body.reduce((w, b) => Math.max(w, b[i].length), headers[i].length));
  const line = (cells: string[]) =>
    cells
      .map((s, i) => (right[i] ? s.padStart(widths[i]) : s.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

/** Key/value lines (`describe`-style output). */
export function renderPairs(pairs: readonly [string, unknown][]): string {
  const width = Math.max(0, ...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${k.padEnd(width)}  ${cellText(v)}`.trimEnd()).join('\n');
}

function replacer(_k: string, v: unknown): unknown {
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  return v;
}

/** Pretty JSON that keeps 64-bit integers exact (a number when it fits a double, else a string). */
export function toJson(value: unknown): string {
  return JSON.stringify(value, replacer, 2);
}

/** One-line JSON (JSON Lines). */
export function toJsonLine(value: unknown): string {
  return JSON.stringify(value, replacer);
}

/** `plural(1, 'row')` → `1 row`, `plural(1200, 'row')` → `1,200 rows`. */
export function plural(n: number, word: string): string {
  return `${humanCount(n)} ${word}${n === 1 ? '' : 's'}`;
}
