/**
 * What the SQL console may run while the server is read-only (the default): statements that only
 * read — queries, EXPLAIN, DESCRIBE, SHOW — and nothing that writes a table, changes the catalog,
 * copies files, loads extensions or changes settings anywhere in the statement (a `WITH … INSERT`
 * is a write too). `--allow-writes` lifts it: writes then commit through Eddy's writers.
 */
import { splitStatements } from '@eddy/sql';

const READ_HEADS = new Set([
  'SELECT',
  'WITH',
  'FROM',
  'VALUES',
  'TABLE',
  'PIVOT',
  'UNPIVOT',
  'SUMMARIZE',
  'DESCRIBE',
  'SHOW',
  'EXPLAIN',
]);

/** Words that make a statement more than a read wherever they appear outside strings and quoted names. */
const WRITE_WORDS = new Set([
  'INSERT',
  'UPDATE',
  'DELETE',
  'MERGE',
  'TRUNCATE',
  'CREATE',
  'DROP',
  'ALTER',
  'COPY',
  'ATTACH',
  'DETACH',
  'INSTALL',
  'LOAD',
  'SET',
  'RESET',
  'PRAGMA',
  'CALL',
  'EXPORT',
  'IMPORT',
  'CHECKPOINT',
  'VACUUM',
  'USE',
]);

/** Whether a script only reads; the first offending statement otherwise. */
export function readOnlyViolation(sql: string): string | undefined {
  for (const s of splitStatements(sql)) {
    const words = s.tokens.filter((t) => t.kind === 'word').map((t) => String(t.value).toUpperCase());
    const first = s.tokens[0];
    const head = first?.kind === 'word' ? String(first.value).toUpperCase() : first?.text === '(' ? 'SELECT' : '';
    if (!READ_HEADS.has(head) || words.some((w) => WRITE_WORDS.has(w))) return s.text.trim();
  }
  return undefined;
}
