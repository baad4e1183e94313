export type { ScanReport, StatementReport } from './context.ts';
export { EddySql, type EddySqlOptions, type QueryOptions, type SqlColumn, SqlResult } from './eddy-sql.ts';
export { isIncomplete, splitStatements } from './sql/lexer.ts';
export { SYSTEM_TABLES } from './system-tables.ts';
