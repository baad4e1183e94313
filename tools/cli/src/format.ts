/** Renders rows as an aligned text table (the human default of every command). */
export function renderTable(rows: readonly Record<string, unknown>[], columns?: readonly string[]): string {
  const cols = columns ?? (rows.length > 0 ? Object.keys(rows[0]) : []);
  const cell = (v: unknown): string => {
    if (v === null || v === undefined) return 'NULL';
    if (v instanceof Date) return v.toISOString();
    if (v instanceof Uint8Array) return `0x${Buffer.from(v).toString('hex')}`;
    return String(v);
  };
  const body = rows.map((r) => cols.map((c) => cell(r[c])));
  const widths = cols.map((c, i) => Math.max(c.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((s, i) => s.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line([...cols]), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

/** JSON that keeps bigints exact (as numbers in the text). */
export function toJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_k, v) =>
      typeof v === 'bigint'
        ? Number.isSafeInteger(Number(v))
          ? Number(v)
          : v.toString()
        : v instanceof Uint8Array
          ? Buffer.from(v).toString('base64')
          : v,
    2,
  );
}
