/**
 * A tokenizer for DuckDB's SQL dialect, just enough to split a script into statements and to read
 * the heads of the statements Eddy executes itself (INSERT, UPDATE, DELETE, MERGE, CREATE TABLE,
 * DROP ...). Everything else about a statement is DuckDB's to parse.
 */
import { EddyError } from '@eddy/table';

export type TokenKind = 'word' | 'ident' | 'string' | 'number' | 'op' | 'param';

export interface Token {
  readonly kind: TokenKind;
  /** The token's text as written (with quotes for strings and quoted identifiers). */
  readonly text: string;
  /** Unquoted value: identifier name, string contents; upper-cased for words. */
  readonly value: string;
  readonly start: number;
  readonly end: number;
}

const isIdentStart = (c: string) => /[A-Za-z_\u0080-\uffff]/.test(c);
const isIdentPart = (c: string) => /[A-Za-z0-9_$\u0080-\uffff]/.test(c);

export function tokenize(sql: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const n = sql.length;
  const fail = (what: string, at: number): never => {
    throw new EddyError('INVALID_ARGUMENT', `SQL: ${what} (at character ${at + 1})`);
  };
  while (i < n) {
    const c = sql[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '-' && sql[i + 1] === '-') {
      while (i < n && sql[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && sql[i + 1] === '*') {
      let depth = 1;
      const at = i;
      i += 2;
      while (i < n && depth > 0) {
        if (sql[i] === '/' && sql[i + 1] === '*') {
          depth++;
          i += 2;
        } else if (sql[i] === '*' && sql[i + 1] === '/') {
          depth--;
          i += 2;
        } else i++;
      }
      if (depth > 0) fail('unterminated comment', at);
      continue;
    }
    const start = i;
    if (c === "'" || ((c === 'E' || c === 'e') && sql[i + 1] === "'")) {
      const escapes = c !== "'";
      i += escapes ? 2 : 1;
      let value = '';
      for (;;) {
        if (i >= n) fail('unterminated string', start);
        const ch = sql[i];
        if (ch === "'") {
          if (sql[i + 1] === "'") {
            value += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        if (escapes && ch === '\\' && i + 1 < n) {
          value += sql[i + 1];
          i += 2;
          continue;
        }
        value += ch;
        i++;
      }
      out.push({ kind: 'string', text: sql.slice(start, i), value, start, end: i });
      continue;
    }
    if (c === '$') {
      const m = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i));
      if (m) {
        const tag = m[0];
        const close = sql.indexOf(tag, i + tag.length);
        if (close < 0) fail('unterminated dollar-quoted string', start);
        i = close + tag.length;
        out.push({
          kind: 'string',
          text: sql.slice(start, i),
          value: sql.slice(start + tag.length, close),
          start,
          end: i,
        });
        continue;
      }
      const p = /^\$[0-9]+/.exec(sql.slice(i));
      if (p) {
        i += p[0].length;
        out.push({ kind: 'param', text: p[0], value: p[0], start, end: i });
        continue;
      }
    }
    if (c === '"') {
      i++;
      let value = '';
      for (;;) {
        if (i >= n) fail('unterminated quoted identifier', start);
        if (sql[i] === '"') {
          if (sql[i + 1] === '"') {
            value += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += sql[i++];
      }
      out.push({ kind: 'ident', text: sql.slice(start, i), value, start, end: i });
      continue;
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(sql[i + 1] ?? ''))) {
      while (i < n && /[0-9._eE]/.test(sql[i])) {
        if ((sql[i] === 'e' || sql[i] === 'E') && (sql[i + 1] === '+' || sql[i + 1] === '-')) i++;
        i++;
      }
      out.push({ kind: 'number', text: sql.slice(start, i), value: sql.slice(start, i), start, end: i });
      continue;
    }
    if (isIdentStart(c)) {
      while (i < n && isIdentPart(sql[i])) i++;
      const text = sql.slice(start, i);
      out.push({ kind: 'word', text, value: text.toUpperCase(), start, end: i });
      continue;
    }
    if (c === '?') {
      i++;
      out.push({ kind: 'param', text: c, value: c, start, end: i });
      continue;
    }
    const two = sql.slice(i, i + 2);
    if (['<=', '>=', '<>', '!=', '::', '=>', ':=', '||', '->', '**', '//'].includes(two)) {
      i += 2;
      out.push({ kind: 'op', text: two, value: two, start, end: i });
      continue;
    }
    i++;
    out.push({ kind: 'op', text: c, value: c, start, end: i });
  }
  return out;
}

/** A script's statements: their text (without the `;`) and tokens. Empty statements are dropped. */
export function splitStatements(sql: string): { text: string; tokens: Token[] }[] {
  const tokens = tokenize(sql);
  const out: { text: string; tokens: Token[] }[] = [];
  let from = 0;
  let depth = 0;
  let cur: Token[] = [];
  const flush = (end: number) => {
    if (cur.length > 0) {
      const start = cur[0].start;
      out.push({
        text: sql.slice(start, end).trim(),
        tokens: cur.map((t) => ({ ...t, start: t.start - start, end: t.end - start })),
      });
    }
    cur = [];
  };
  for (const t of tokens) {
    if (t.kind === 'op' && t.text === '(') depth++;
    else if (t.kind === 'op' && t.text === ')') depth = Math.max(0, depth - 1);
    if (t.kind === 'op' && t.text === ';' && depth === 0) {
      flush(cur.length > 0 ? cur[cur.length - 1].end : t.start);
      from = t.end;
      continue;
    }
    cur.push(t);
  }
  flush(cur.length > 0 ? cur[cur.length - 1].end : from);
  return out;
}

/** Whether a script ends in the middle of a statement (for the prompt: keep reading lines). */
export function isIncomplete(sql: string): boolean {
  try {
    const tokens = tokenize(sql);
    if (tokens.length === 0) return false;
    const last = tokens[tokens.length - 1];
    return !(last.kind === 'op' && last.text === ';');
  } catch {
    return true; // an open string or comment
  }
}

/** A cursor over a statement's tokens. */
export class TokenReader {
  pos = 0;

  constructor(
    readonly tokens: readonly Token[],
    readonly text: string,
  ) {}

  get done(): boolean {
    return this.pos >= this.tokens.length;
  }

  peek(k = 0): Token | undefined {
    return this.tokens[this.pos + k];
  }

  /** Whether the next token is one of these keywords (unquoted words). */
  isWord(...words: string[]): boolean {
    const t = this.peek();
    return t?.kind === 'word' && words.includes(t.value);
  }

  isOp(op: string): boolean {
    const t = this.peek();
    return t?.kind === 'op' && t.text === op;
  }

  acceptWord(...words: string[]): boolean {
    if (!this.isWord(...words)) return false;
    this.pos++;
    return true;
  }

  acceptOp(op: string): boolean {
    if (!this.isOp(op)) return false;
    this.pos++;
    return true;
  }

  expectWord(word: string): void {
    if (!this.acceptWord(word)) this.fail(`expected ${word}`);
  }

  expectOp(op: string): void {
    if (!this.acceptOp(op)) this.fail(`expected '${op}'`);
  }

  fail(what: string): never {
    const t = this.peek();
    const near = t ? `near '${t.text}'` : 'at the end';
    throw new EddyError('INVALID_ARGUMENT', `SQL: ${what} ${near}`);
  }

  /** An identifier (a word or a quoted name). */
  ident(what = 'a name'): string {
    const t = this.peek();
    if (!t || (t.kind !== 'word' && t.kind !== 'ident')) this.fail(`expected ${what}`);
    this.pos++;
    return t.kind === 'word' ? t.text : t.value;
  }

  /** A dotted name: `db.table` or `table`. */
  qualifiedName(): string[] {
    const parts = [this.ident('a table name')];
    while (this.isOp('.')) {
      this.pos++;
      parts.push(this.ident('a name after "."'));
    }
    return parts;
  }

  /** Skips a balanced parenthesised group (the reader is at its `(`); returns its inner text. */
  group(): string {
    const open = this.peek();
    if (open?.text !== '(') this.fail("expected '('");
    let depth = 0;
    for (; this.pos < this.tokens.length; this.pos++) {
      const t = this.tokens[this.pos];
      if (t.kind !== 'op') continue;
      if (t.text === '(') depth++;
      else if (t.text === ')' && --depth === 0) {
        this.pos++;
        return this.text.slice(open.end, t.start);
      }
    }
    return this.fail("unbalanced '('");
  }

  /**
   * The text from the current token up to (not including) the first top-level keyword of
   * `stops` — or the end; the reader is left at the stop.
   */
  until(...stops: string[]): string {
    const first = this.peek();
    if (!first) return '';
    let depth = 0;
    let last: Token | undefined;
    for (; this.pos < this.tokens.length; this.pos++) {
      const t = this.tokens[this.pos];
      if (depth === 0 && t.kind === 'word' && stops.includes(t.value)) break;
      if (t.kind === 'op' && t.text === '(') depth++;
      if (t.kind === 'op' && t.text === ')') depth--;
      last = t;
    }
    return last ? this.text.slice(first.start, last.end) : '';
  }

  /** The rest of the statement's text. */
  rest(): string {
    const t = this.peek();
    return t ? this.text.slice(t.start) : '';
  }
}

/** A name quoted for DuckDB. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A string literal for DuckDB. */
export function quoteString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}
