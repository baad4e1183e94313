/**
 * `@eddy/ui`: the server behind `eddy ui` — a local web page over a warehouse (tables, snapshot
 * timeline, LSM shape per bucket, files with key ranges, tags and consumers, a live change feed and
 * a SQL console). It reads through `@eddy/table`, `@eddy/table/inspect` and `@eddy/sql` only; the
 * pages are static HTML and ES modules in the package's static/ folder (no build step).
 */
export { startUi, type UiOptions, type UiServer } from './server.ts';
