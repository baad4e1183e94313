/**
 * `eddy alter <table> <change>...`: ALTER TABLE through the SDK's table.alter, the changes applied
 * in order as one new schema. A change is a short clause (see ALTER_HELP in commands/alter.ts) or, with --file, a JSON
 * array of the SDK's SchemaChange objects.
 */
import { readFileSync } from 'node:fs';
import { type ColumnPosition, EddyError, formatDataType, type SchemaChange, schemaDiff } from '@eddy/table';
import { type GlobalOptions, openTable, outputMode, printDocument, usage } from './context.ts';

/** Splits a clause into words: quotes group ('it''s' escapes a quote), parentheses stay with their type. */
export function tokenize(clause: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < clause.length) {
    const ch = clause[i];
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if (ch === "'" || ch === '"') {
      let s = '';
      i++;
      for (;;) {
        if (i >= clause.length) throw usage(`unterminated quote in '${clause}'`);
        if (clause[i] === ch && clause[i + 1] === ch) {
          s += ch;
          i += 2;
        } else if (clause[i] === ch) {
          i++;
          break;
        } else s += clause[i++];
      }
      out.push(`\u0000${s}`); // marks a quoted word
      continue;
    }
    let w = '';
    let depth = 0;
    while (i < clause.length && (depth > 0 || !/\s/.test(clause[i]))) {
      if (clause[i] === '(') depth++;
      if (clause[i] === ')') depth--;
      w += clause[i++];
    }
    out.push(w);
  }
  return out;
}

const quoted = (w: string | undefined) => w?.startsWith('\u0000') === true;
const unquote = (w: string) => (quoted(w) ? w.slice(1) : w);

/** Parses one clause into a SchemaChange. */
export function parseChange(clause: string): SchemaChange {
  const words = tokenize(clause);
  const kw = (i: number) => words[i]?.toLowerCase();
  const need = (i: number, what: string): string => {
    const w = words[i];
    if (w === undefined) throw usage(`'${clause}': expected ${what}`);
    return unquote(w);
  };
  const position = (from: number): ColumnPosition | undefined => {
    const p = kw(from);
    if (p === undefined) return undefined;
    if (p === 'first' || p === 'last') return p;
    if (p === 'after') return { after: need(from + 1, 'a column after AFTER') };
    if (p === 'before') return { before: need(from + 1, 'a column after BEFORE') };
    throw usage(`'${clause}': expected FIRST, LAST, AFTER <col> or BEFORE <col>, got '${words[from]}'`);
  };
  const nullOr = (w: string | undefined) =>
    w === undefined || (!quoted(w) && w.toLowerCase() === 'null') ? null : unquote(w);
  switch (kw(0)) {
    case 'add': {
      const name = need(1, 'a column name');
      // The type runs until a keyword: TYPE words like "TIMESTAMP(3) WITH LOCAL TIME ZONE" stay together.
      let i = 2;
      const type: string[] = [];
      while (i < words.length && !['comment', 'default', 'first', 'after', 'before', 'last'].includes(kw(i)!)) {
        type.push(words[i++]);
      }
      if (type.length === 0) throw usage(`'${clause}': expected a type after the column name`);
      let comment: string | undefined;
      let defaultValue: string | undefined;
      let pos: ColumnPosition | undefined;
      while (i < words.length) {
        if (kw(i) === 'comment') comment = need(i + 1, 'a comment');
        else if (kw(i) === 'default') defaultValue = need(i + 1, 'a default value');
        else {
          pos = position(i);
          i += kw(i) === 'after' || kw(i) === 'before' ? 2 : 1;
          continue;
        }
        i += 2;
      }
      return {
        kind: 'addColumn',
        name,
        type: type.join(' '),
        ...(comment !== undefined ? { comment } : {}),
        ...(defaultValue !== undefined ? { defaultValue } : {}),
        ...(pos !== undefined ? { position: pos } : {}),
      };
    }
    case 'drop':
      return { kind: 'dropColumn', name: need(1, 'a column name') };
    case 'rename':
      if (kw(2) !== 'to') throw usage(`'${clause}': expected RENAME <col> TO <new>`);
      return { kind: 'renameColumn', name: need(1, 'a column name'), newName: need(3, 'a new name') };
    case 'type':
      return {
        kind: 'updateColumnType',
        name: need(1, 'a column name'),
        type: words.slice(2).join(' ') || need(2, 'a type'),
      };
    case 'nullable':
      return { kind: 'updateColumnNullability', name: need(1, 'a column name'), nullable: true };
    case 'not-null':
      return { kind: 'updateColumnNullability', name: need(1, 'a column name'), nullable: false };
    case 'comment':
      return { kind: 'updateColumnComment', name: need(1, 'a column name'), comment: nullOr(words[2]) };
    case 'move': {
      const pos = position(2);
      if (!pos) throw usage(`'${clause}': expected MOVE <col> FIRST | LAST | AFTER <col> | BEFORE <col>`);
      return { kind: 'updateColumnPosition', name: need(1, 'a column name'), position: pos };
    }
    case 'default':
      return { kind: 'updateColumnDefaultValue', name: need(1, 'a column name'), defaultValue: nullOr(words[2]) };
    case 'set': {
      const kv = words.slice(1).map(unquote).join(' ');
      const eq = kv.indexOf('=');
      if (eq <= 0) throw usage(`'${clause}': expected SET <key>=<value>`);
      return { kind: 'setOption', key: kv.slice(0, eq).trim(), value: kv.slice(eq + 1).trim() };
    }
    case 'reset':
      return { kind: 'removeOption', key: need(1, 'an option key') };
    case 'table-comment':
      return { kind: 'updateComment', comment: nullOr(words[1]) };
    default:
      throw usage(`'${clause}': unknown change '${words[0] ?? ''}' (see eddy alter --help)`);
  }
}

export async function runAlter(
  g: GlobalOptions,
  name: string,
  clauses: readonly string[],
  o: { file?: string },
): Promise<void> {
  const mode = outputMode(g);
  let changes: SchemaChange[] = clauses.map(parseChange);
  if (o.file) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(o.file, 'utf8'));
    } catch (e) {
      throw new EddyError('INVALID_ARGUMENT', `--file ${o.file}: ${(e as Error).message}`);
    }
    if (!Array.isArray(parsed)) throw usage(`--file ${o.file}: expected a JSON array of changes`);
    changes = [...changes, ...(parsed as SchemaChange[])];
  }
  if (changes.length === 0) throw usage('no changes given (see eddy alter --help)');
  const table = await openTable(g, name);
  const before = table.schema;
  const after = await table.alter(changes);
  const doc = {
    table: table.name,
    schemaId: after.id,
    previousSchemaId: before.id,
    changes: schemaDiff(before, after),
    fields: after.fields.map((f) => ({ id: f.id, name: f.name, type: formatDataType(f.type) })),
  };
  await printDocument(
    mode,
    doc,
    () => `${table.name}: schema ${before.id} → ${after.id}\n  ${doc.changes.join('\n  ')}`,
  );
}
