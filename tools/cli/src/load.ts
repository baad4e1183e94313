/**
 * `eddy load db.t file`: upserts the rows of a JSON Lines, JSON array, CSV or Parquet file in one
 * commit (all or nothing), with a progress bar on a terminal. Values are converted to each
 * column's type (CSV text, JSON strings for numbers, base64 or 0x-hex for binary); an error names
 * the file and line.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { type DataField, type DataType, EddyError, parseJsonWithLongs, type Table } from '@eddy/table';
import { arrowToColumn, columnValue, readParquet, toPublicValue } from '@eddy/table/inspect';
import {
  type GlobalOptions,
  openTable,
  outputMode,
  parseInteger,
  parsePartitionSpec,
  printDocument,
  usage,
} from './context.ts';
import { humanBytes, humanCount, plural } from './format.ts';
import { onInterrupt } from './interrupt.ts';
import { Progress } from './progress.ts';

export type LoadFormat = 'jsonl' | 'json' | 'csv' | 'parquet';

export interface LoadOptions {
  format?: string;
  delimiter?: string;
  batchRows?: string;
  ignoreUnknownColumns?: boolean;
  /** true: replace the partitions the rows go to (or the table); a string: this static partition. */
  overwrite?: boolean | string;
}

/** `--overwrite k=v[,k=v]`: partition-key values parsed as their column types. */
function overwritePartition(table: Table, spec: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of parsePartitionSpec(table, spec, '--overwrite'))
    out[k] = fromText(table.schema.field(k).type, v, `--overwrite ${k}`);
  return out;
}

/** One input record: its values by column name, and where it came from (for error messages). */
interface SourceRow {
  readonly row: Record<string, unknown>;
  readonly line: number;
}

const badRow = (where: string, message: string) => new EddyError('INVALID_ROW', `${where}: ${message}`);

export function detectFormat(file: string, given: string | undefined): LoadFormat {
  const f = (given ?? path.extname(file).slice(1)).toLowerCase();
  if (f === 'jsonl' || f === 'ndjson') return 'jsonl';
  if (f === 'json' || f === 'csv' || f === 'parquet') return f;
  if (f === 'tsv') return 'csv';
  throw usage(
    given
      ? `--format: expected jsonl, json, csv or parquet, got '${given}'`
      : `cannot tell the format of '${file}' from its extension: pass --format jsonl|json|csv|parquet`,
  );
}

// ---------------------------------------------------------------------------------------------
// Value conversion

function decodeBinary(s: string, where: string): Uint8Array {
  if (/^0x([0-9a-f]{2})*$/i.test(s)) return Uint8Array.from(Buffer.from(s.slice(2), 'hex'));
  if (/^[A-Za-z0-9+/_-]*={0,2}$/.test(s)) return Uint8Array.from(Buffer.from(s, 'base64'));
  throw badRow(where, `expected base64 or 0x-hex for a binary column, got '${s}'`);
}

/** Converts a text value (CSV, or a JSON string in a non-string column) to the column's type. */
function fromText(type: DataType, s: string, where: string): unknown {
  const t = s.trim();
  switch (type.root) {
    case 'BOOLEAN': {
      const l = t.toLowerCase();
      if (['true', 't', '1', 'yes', 'y'].includes(l)) return true;
      if (['false', 'f', '0', 'no', 'n'].includes(l)) return false;
      throw badRow(where, `expected a boolean, got '${s}'`);
    }
    case 'TINYINT':
    case 'SMALLINT':
    case 'INT':
      if (!/^[-+]?\d+$/.test(t)) throw badRow(where, `expected an integer, got '${s}'`);
      return Number(t);
    case 'BIGINT':
      if (!/^[-+]?\d+$/.test(t)) throw badRow(where, `expected an integer, got '${s}'`);
      return BigInt(t);
    case 'FLOAT':
    case 'DOUBLE': {
      const n = Number(t);
      if (t === '' || (Number.isNaN(n) && t !== 'NaN')) throw badRow(where, `expected a number, got '${s}'`);
      return n;
    }
    case 'BINARY':
    case 'VARBINARY':
      return decodeBinary(t, where);
    case 'CHAR':
    case 'VARCHAR':
      return s;
    default:
      return t; // DECIMAL, DATE, TIMESTAMP: the SDK parses the text exactly
  }
}

/** Converts one JSON value to what the SDK expects for the column. */
function fromJson(type: DataType, v: unknown, where: string): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string' && type.root !== 'CHAR' && type.root !== 'VARCHAR') return fromText(type, v, where);
  if ((type.root === 'BINARY' || type.root === 'VARBINARY') && Array.isArray(v)) return Uint8Array.from(v as number[]);
  if ((type.root === 'TINYINT' || type.root === 'SMALLINT' || type.root === 'INT') && typeof v === 'bigint')
    return Number(v);
  return v;
}

// ---------------------------------------------------------------------------------------------
// Sources

class ByteCounter {
  bytes = 0;
}

async function* jsonlRows(
  file: string,
  fields: Map<string, DataField>,
  counter: ByteCounter,
): AsyncGenerator<SourceRow> {
  const stream = createReadStream(file);
  stream.on('data', (chunk) => {
    counter.bytes += chunk.length;
  });
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  let line = 0;
  for await (const text of lines) {
    line++;
    if (text.trim() === '') continue;
    const where = `${file}:${line}`;
    let o: unknown;
    try {
      o = parseJsonWithLongs(text);
    } catch (e) {
      throw badRow(where, `not valid JSON: ${(e as Error).message}`);
    }
    yield { row: jsonObjectRow(o, fields, where), line };
  }
}

function jsonObjectRow(o: unknown, fields: Map<string, DataField>, where: string): Record<string, unknown> {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw badRow(where, 'expected a JSON object');
  const row: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    const f = fields.get(k);
    if (!f) throw badRow(where, `unknown column '${k}' (columns: ${[...fields.keys()].join(', ')})`);
    row[k] = fromJson(f.type, v, `${where}, column '${k}'`);
  }
  return row;
}

async function* jsonArrayRows(
  file: string,
  fields: Map<string, DataField>,
  counter: ByteCounter,
): AsyncGenerator<SourceRow> {
  const text = await readFile(file, 'utf8');
  counter.bytes = Buffer.byteLength(text);
  let doc: unknown;
  try {
    doc = parseJsonWithLongs(text);
  } catch (e) {
    throw badRow(file, `not valid JSON: ${(e as Error).message}`);
  }
  if (!Array.isArray(doc)) throw badRow(file, 'expected a JSON array of objects (or use .jsonl, one object a line)');
  for (let i = 0; i < doc.length; i++) yield { row: jsonObjectRow(doc[i], fields, `${file}[${i}]`), line: i + 1 };
}

interface CsvField {
  value: string;
  quoted: boolean;
}

/** RFC 4180 records (quoted fields may hold delimiters, quotes as "" and newlines). */
async function* csvRecords(
  file: string,
  delimiter: string,
  counter: ByteCounter,
): AsyncGenerator<{ fields: CsvField[]; line: number }> {
  const stream = createReadStream(file, { encoding: 'utf8' });
  let fields: CsvField[] = [];
  let cur = '';
  let quoted = false;
  let inQuotes = false;
  let afterQuote = false;
  let line = 1;
  let recordLine = 1;
  let pendingCR = false;
  let first = true;
  const endField = () => {
    fields.push({ value: cur, quoted });
    cur = '';
    quoted = false;
    afterQuote = false;
  };
  for await (const chunk of stream as AsyncIterable<string>) {
    counter.bytes += Buffer.byteLength(chunk);
    let text = chunk;
    if (first) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // BOM
      first = false;
    }
    const out: { fields: CsvField[]; line: number }[] = [];
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (pendingCR) {
        pendingCR = false;
        if (c === '\n') continue;
      }
      if (inQuotes) {
        if (c === '"') {
          if (text[i + 1] === '"') {
            cur += '"';
            i++;
          } else {
            // Closing quote (at the end of a chunk, a following '"' in the next one makes it `""`).
            inQuotes = false;
            afterQuote = true;
          }
        } else {
          if (c === '\n') line++;
          cur += c;
        }
        continue;
      }
      if (c === '"') {
        if (afterQuote) {
          // `""` split across chunks: an escaped quote inside the field.
          cur += '"';
          inQuotes = true;
          afterQuote = false;
          continue;
        }
        if (cur.length > 0) throw badRow(`${file}:${line}`, 'a quote inside an unquoted field');
        inQuotes = true;
        quoted = true;
        continue;
      }
      if (c === delimiter) {
        endField();
        continue;
      }
      if (c === '\n' || c === '\r') {
        endField();
        if (!(fields.length === 1 && fields[0].value === '' && !fields[0].quoted))
          out.push({ fields, line: recordLine });
        fields = [];
        line++;
        recordLine = line;
        if (c === '\r') pendingCR = true;
        continue;
      }
      if (afterQuote) throw badRow(`${file}:${line}`, 'text after a closing quote');
      cur += c;
    }
    for (const r of out) yield r;
  }
  if (inQuotes) throw badRow(`${file}:${recordLine}`, 'unterminated quoted field');
  if (cur.length > 0 || quoted || fields.length > 0) {
    endField();
    yield { fields, line: recordLine };
  }
}

async function* csvRows(
  file: string,
  delimiter: string,
  fields: Map<string, DataField>,
  ignoreUnknown: boolean,
  counter: ByteCounter,
): AsyncGenerator<SourceRow> {
  let header: (DataField | undefined)[] | undefined;
  for await (const rec of csvRecords(file, delimiter, counter)) {
    if (!header) {
      const names = rec.fields.map((f) => f.value.trim());
      const unknown = names.filter((n) => !fields.has(n));
      if (unknown.length > 0 && !ignoreUnknown)
        throw badRow(
          `${file}:${rec.line}`,
          `unknown column${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => `'${u}'`).join(', ')} in the header (columns: ${[...fields.keys()].join(', ')}; --ignore-unknown-columns skips them)`,
        );
      header = names.map((n) => fields.get(n));
      continue;
    }
    const where = `${file}:${rec.line}`;
    if (rec.fields.length !== header.length)
      throw badRow(where, `expected ${header.length} fields as in the header, got ${rec.fields.length}`);
    const row: Record<string, unknown> = {};
    for (let i = 0; i < header.length; i++) {
      const f = header[i];
      if (!f) continue;
      const { value, quoted } = rec.fields[i];
      // An empty unquoted field is NULL; "" is the empty string.
      row[f.name] = value === '' && !quoted ? null : fromText(f.type, value, `${where}, column '${f.name}'`);
    }
    yield { row, line: rec.line };
  }
  if (!header) throw badRow(file, 'empty CSV file (a header line is required)');
}

async function* parquetRows(
  file: string,
  fields: Map<string, DataField>,
  ignoreUnknown: boolean,
  counter: ByteCounter,
): AsyncGenerator<SourceRow> {
  const bytes = await readFile(file);
  const t = await readParquet(bytes, file);
  counter.bytes = bytes.byteLength;
  const names = t.schema.fields.map((f) => f.name);
  const unknown = names.filter((n) => !fields.has(n));
  if (unknown.length > 0 && !ignoreUnknown)
    throw badRow(
      file,
      `unknown column${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => `'${u}'`).join(', ')} (columns: ${[...fields.keys()].join(', ')}; --ignore-unknown-columns skips them)`,
    );
  const getters: [DataField, (i: number) => unknown][] = [];
  for (const n of names) {
    const f = fields.get(n);
    const vector = t.getChild(n);
    if (!f || !vector) continue;
    try {
      const col = arrowToColumn(vector, f.type);
      getters.push([f, (i) => toPublicValue(f.type, columnValue(col, i))]);
    } catch {
      // An Arrow type the column reader does not map directly (e.g. int32 for a DECIMAL): go by value.
      getters.push([
        f,
        (i) => {
          const v: unknown = vector.get(i);
          if (v === null || v === undefined) return null;
          if (typeof v === 'object' && !(v instanceof Uint8Array) && !(v instanceof Date)) return String(v);
          return typeof v === 'string' ? fromText(f.type, v, `${file} row ${i + 1}, column '${n}'`) : v;
        },
      ]);
    }
  }
  for (let i = 0; i < t.numRows; i++) {
    const row: Record<string, unknown> = {};
    for (const [f, get] of getters) row[f.name] = get(i);
    yield { row, line: i + 1 };
  }
}

// ---------------------------------------------------------------------------------------------
// load

export async function runLoad(g: GlobalOptions, name: string, file: string, o: LoadOptions): Promise<void> {
  const mode = outputMode(g);
  const format = detectFormat(file, o.format);
  let size: number;
  try {
    const st = statSync(file);
    // A file, or a pipe (`<(zcat rows.jsonl.gz)`, a FIFO): its size is unknown then.
    if (!st.isFile() && !st.isFIFO()) throw usage(`${file} is not a file`);
    size = st.size;
  } catch (e) {
    if (e instanceof EddyError) throw e;
    throw new EddyError(
      'NOT_FOUND',
      `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  const delimiter = o.delimiter ?? (path.extname(file).toLowerCase() === '.tsv' ? '\t' : ',');
  if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\n')
    throw usage(`--delimiter: expected one character, got '${delimiter}'`);
  const batchRows = parseInteger('--batch-rows', o.batchRows, 1) ?? 10_000;
  const table: Table = await openTable(g, name);
  const fields = new Map(table.schema.fields.map((f) => [f.name, f]));
  const counter = new ByteCounter();
  const source =
    format === 'jsonl'
      ? jsonlRows(file, fields, counter)
      : format === 'json'
        ? jsonArrayRows(file, fields, counter)
        : format === 'csv'
          ? csvRows(file, delimiter, fields, o.ignoreUnknownColumns === true, counter)
          : parquetRows(file, fields, o.ignoreUnknownColumns === true, counter);

  const started = Date.now();
  const progress = new Progress(`loading ${path.basename(file)}`, size, humanBytes);
  const overwrite =
    o.overwrite === undefined || o.overwrite === false
      ? undefined
      : o.overwrite === true
        ? {}
        : { partition: overwritePartition(table, o.overwrite) };
  const writer = table.newWriter({ commitUser: `eddy-load-${randomUUID()}`, overwrite });
  let rows = 0;
  let chunk: Record<string, unknown>[] = [];
  let lines: number[] = [];
  let chunkStart = 0;
  const flush = async () => {
    if (chunk.length === 0) return;
    try {
      await writer.write(chunk);
    } catch (e) {
      // The writer numbers rows from 0 across the whole load: translate to a line of the file.
      if (e instanceof EddyError && e.code === 'INVALID_ROW') {
        const m = /^row (\d+)(.*)$/s.exec(e.message);
        const idx = m ? Number(m[1]) - chunkStart : -1;
        if (m && idx >= 0 && idx < lines.length) throw badRow(`${file}:${lines[idx]}`, m[2].replace(/^[,:]\s*/, ''));
      }
      throw e;
    }
    chunkStart += chunk.length;
    chunk = [];
    lines = [];
  };
  let result: Awaited<ReturnType<typeof writer.commit>> | undefined;
  let committing = false;
  // Ctrl-C: stop reading and commit nothing (all or nothing); during the commit, wait for it.
  const interrupt = onInterrupt(() =>
    committing
      ? `the commit of ${plural(rows, 'row')} into ${table.name} was in flight: it may or may not have landed (eddy snapshots ${table.name} shows it)`
      : `nothing committed to ${table.name} (${plural(rows, 'row')} read, none written); the table is as it was`,
  );
  try {
    for await (const r of source) {
      if (interrupt.requested) break;
      chunk.push(r.row);
      lines.push(r.line);
      rows++;
      if (chunk.length >= batchRows) {
        await flush();
        progress.update(0, `${humanCount(rows)} rows`, counter.bytes);
      }
    }
    if (!interrupt.requested) {
      await flush();
      progress.update(0, `${humanCount(rows)} rows`, counter.bytes);
      // An overwrite of a static partition with no rows empties it; otherwise no rows, no commit.
      committing = true;
      if (rows > 0 || overwrite?.partition) result = await writer.commit();
      committing = false;
    }
  } finally {
    progress.finish();
    interrupt.dispose();
    writer.close();
  }
  if (interrupt.requested && !result) {
    process.stderr.write(
      `eddy: interrupted: nothing committed to ${table.name} (${plural(rows, 'row')} read, none written); the table is as it was\n`,
    );
    return;
  }
  const snapshot = result?.snapshot;
  const seconds = (Date.now() - started) / 1000;
  const doc = {
    table: table.name,
    file,
    format,
    rows,
    bytes: size,
    snapshot: snapshot?.id ?? null,
    commitKind: snapshot?.commitKind ?? null,
    seconds,
  };
  await printDocument(
    mode,
    doc,
    () =>
      (interrupt.requested ? 'interrupted after the commit: ' : '') +
      (rows === 0 && !snapshot
        ? `no rows in ${file}: nothing committed`
        : `${overwrite ? 'overwrote with' : 'loaded'} ${plural(rows, 'row')} (${humanBytes(size)} ${format}) into ${table.name} in ${seconds.toFixed(1)} s → snapshot ${snapshot?.id ?? '(none)'}${snapshot ? ` (${snapshot.commitKind})` : ''}`),
  );
}
