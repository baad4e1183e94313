/**
 * JSON with 64-bit integers. Paimon writes longs such as `commitIdentifier` =
 * 9223372036854775807 that a JS number cannot hold, so integers too large for a double are parsed
 * as bigint, and bigints are written back as bare integers.
 */
export function parseJsonWithLongs(text: string): unknown {
  // Quote integer literals outside strings that are not safe integers, tagging them so the reviver
  // turns exactly those back into bigint.
  let out = '';
  let i = 0;
  let last = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      i++;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d === 92 /* \ */) i += 2;
        else if (d === 34) break;
        else i++;
      }
      i++;
      continue;
    }
    if (c === 45 /* - */ || (c >= 48 && c <= 57)) {
      const start = i;
      i++;
      while (i < n) {
        const d = text.charCodeAt(i);
        if ((d >= 48 && d <= 57) || d === 46 || d === 101 || d === 69 || d === 43 || d === 45) i++;
        else break;
      }
      const lit = text.slice(start, i);
      if (/^-?\d{16,}$/.test(lit) && !Number.isSafeInteger(Number(lit))) {
        out += `${text.slice(last, start)}"\\u0000long:${lit}"`;
        last = i;
      }
      continue;
    }
    i++;
  }
  out += text.slice(last);
  return JSON.parse(out, (_k, v) => (typeof v === 'string' && v.startsWith('\u0000long:') ? BigInt(v.slice(6)) : v));
}

/** A JSON number written exactly as given (e.g. Jackson's `86400.000000000` for a Duration). */
export class RawJsonNumber {
  constructor(readonly text: string) {
    if (!/^-?\d+(\.\d+)?$/.test(text)) throw new RangeError(`not a JSON number: ${text}`);
  }
}

/** Pretty JSON (2 spaces) where bigint values (and RawJsonNumbers) are written as bare numbers. */
export function stringifyJsonWithLongs(value: unknown): string {
  const marks: string[] = [];
  const text = JSON.stringify(
    value,
    (_k, v) => {
      if (typeof v === 'bigint' || v instanceof RawJsonNumber) {
        marks.push(typeof v === 'bigint' ? v.toString() : v.text);
        return `\u0000long:${marks.length - 1}`;
      }
      return v;
    },
    2,
  );
  return text.replace(/"\\u0000long:(\d+)"/g, (_m, idx) => marks[Number(idx)]);
}

/** A JSON long as number when safe, else bigint. */
export type JsonLong = number | bigint;
export const toBigInt = (v: JsonLong): bigint => (typeof v === 'bigint' ? v : BigInt(v));
