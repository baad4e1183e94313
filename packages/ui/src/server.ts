/**
 * The `eddy ui` server (node:http): static pages from static/, uPlot from the package's
 * dependency, JSON views under /api/, the live feed as server-sent events and the SQL console.
 * Loopback and read-only unless told otherwise (see guard.ts and sql-policy.ts).
 */
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EddySql } from '@eddy/sql';
import { Catalog, EddyError } from '@eddy/table';
import { Feed, type FeedEvent } from './feed.ts';
import { type Access, checkRequest, TOKEN_COOKIE } from './guard.ts';
import { toJson } from './json.ts';
import { readOnlyViolation } from './sql-policy.ts';
import { Tables } from './tables.ts';
import { filesView, lsmView, refsView, tableView, timelineView, warehouseView } from './views.ts';

/** How `startUi` serves a warehouse (the `eddy ui` options). */
export interface UiOptions {
  /** A local path or s3://bucket/prefix. */
  readonly warehouse: string;
  /** Default 7431; 0 picks a free port. */
  readonly port?: number;
  /** The address to bind; anything but loopback needs `token`. Default 127.0.0.1. */
  readonly host?: string;
  /** A secret every request must present (required with a non-loopback `host`). */
  readonly token?: string;
  /** Let the SQL console run writes and DDL (committed through Eddy). Default false: read-only. */
  readonly allowWrites?: boolean;
  /** How often the live feed looks for new snapshots. Default 200 ms. */
  readonly pollIntervalMs?: number;
  /** At most this many result rows are sent to the page per query. Default 1000. */
  readonly maxSqlRows?: number;
}

/** A running server. */
export interface UiServer {
  /** The page's address (with `?token=` when a token is set). */
  readonly url: string;
  /** The port it listens on (the one picked when `port` was 0). */
  readonly port: number;
  /** Whether the SQL console refuses writes (no `allowWrites`). */
  readonly readOnly: boolean;
  /** Stops the server, the live feed's poller and DuckDB, and closes the catalog. */
  close(): Promise<void>;
}

export const DEFAULT_PORT = 7431;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);
const STATIC_DIR = fileURLToPath(new URL('../static/', import.meta.url));
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/** Files served from the package's dependencies, by URL path. */
function vendorFiles(): Record<string, string> {
  const require = createRequire(import.meta.url);
  const uplot = dirname(require.resolve('uplot/package.json'));
  return {
    '/vendor/uPlot.esm.js': join(uplot, 'dist/uPlot.esm.js'),
    '/vendor/uPlot.min.css': join(uplot, 'dist/uPlot.min.css'),
  };
}

/** Starts the server; resolves once it listens. */
export async function startUi(options: UiOptions): Promise<UiServer> {
  const host = options.host ?? '127.0.0.1';
  if (!LOOPBACK.has(host) && !options.token)
    throw new EddyError(
      'INVALID_OPTION',
      `--host ${host} serves the warehouse beyond this machine: give a secret with --token (e.g. --token $(openssl rand -hex 16))`,
    );
  if (options.token !== undefined && !/^[\x21-\x7e]{16,}$/.test(options.token))
    throw new EddyError('INVALID_OPTION', '--token: at least 16 printable characters without spaces');
  const catalog = await Catalog.open(options.warehouse);
  const tables = new Tables(catalog);
  const feed = new Feed(tables, options.pollIntervalMs ?? 200);
  const readOnly = !options.allowWrites;
  const maxRows = options.maxSqlRows ?? 1000;
  const vendor = vendorFiles();
  let sql: Promise<EddySql> | undefined;
  const sqlEngine = () => {
    sql ??= openSql(catalog).catch((e) => {
      sql = undefined;
      throw e;
    });
    return sql;
  };
  const access: { port: number; token?: string } = { port: 0, token: options.token };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e) => sendError(res, e));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://ui.invalid');
    const method = req.method ?? 'GET';
    const verdict = checkRequest(method, url, req.headers, access as Access);
    if (!verdict.ok) return send(res, verdict.status, { error: { code: 'REFUSED', message: verdict.message } });
    if (verdict.fromQuery) {
      // The token came in the link: keep it in a same-site cookie and take it out of the address bar.
      url.searchParams.delete('token');
      res.writeHead(303, {
        location: `${url.pathname}${url.search}`,
        'set-cookie': `${TOKEN_COOKIE}=${encodeURIComponent(options.token ?? '')}; HttpOnly; SameSite=Strict; Path=/`,
      });
      res.end();
      return;
    }
    const path = url.pathname;
    if (method === 'POST' && path === '/api/sql') return runSql(req, res);
    if (method !== 'GET' && method !== 'HEAD')
      return send(res, 405, { error: { code: 'METHOD', message: `${method} ${path}: not allowed` } });
    if (path === '/api/feed') return streamFeed(req, res);
    if (path === '/api/warehouse')
      return send(res, 200, {
        ...(await warehouseView(tables)),
        readOnly,
        pollIntervalMs: options.pollIntervalMs ?? 200,
      });
    const m = /^\/api\/tables\/([^/]+)(?:\/(timeline|lsm|files|refs))?$/.exec(path);
    if (m) {
      const table = await tables.get(decodeURIComponent(m[1]));
      const snapshot = intParam(url, 'snapshot');
      switch (m[2]) {
        case undefined:
          return send(res, 200, await tableView(table));
        case 'timeline':
          return send(res, 200, await timelineView(table, intParam(url, 'limit') ?? 500));
        case 'lsm':
          return send(res, 200, await lsmView(table, snapshot));
        case 'files':
          return send(res, 200, await filesView(table, snapshot, intParam(url, 'limit') ?? 5000));
        case 'refs':
          return send(res, 200, await refsView(table));
      }
    }
    if (path.startsWith('/api/'))
      return send(res, 404, { error: { code: 'NOT_FOUND', message: `${path}: no such endpoint` } });
    if (vendor[path]) return sendFile(res, vendor[path]);
    if (path === '/' || path === '/index.html') return sendFile(res, join(STATIC_DIR, 'index.html'));
    if (path.startsWith('/static/')) {
      const file = normalize(join(STATIC_DIR, decodeURIComponent(path.slice('/static/'.length))));
      if (file.startsWith(STATIC_DIR.endsWith(sep) ? STATIC_DIR : STATIC_DIR + sep)) return sendFile(res, file);
    }
    return send(res, 404, { error: { code: 'NOT_FOUND', message: `${path}: not found` } });
  }

  async function runSql(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req, 1 << 20);
    let text: unknown;
    try {
      text = (JSON.parse(body) as { sql?: unknown }).sql;
    } catch {
      throw new EddyError('INVALID_ARGUMENT', 'the request body is not JSON');
    }
    if (typeof text !== 'string' || text.trim() === '')
      throw new EddyError('INVALID_ARGUMENT', 'SQL: no statement given');
    const violation = readOnly ? readOnlyViolation(text) : undefined;
    const db = await sqlEngine();
    if (violation !== undefined) {
      // A typo is a syntax error to show, not a refusal.
      const syntax = await syntaxError(db, violation);
      if (syntax !== undefined) throw new EddyError('INVALID_ARGUMENT', `SQL: Parser Error: ${syntax}`);
      return send(res, 403, {
        error: {
          code: 'READ_ONLY',
          message: `read-only: eddy ui runs only queries unless started with --allow-writes (refused: ${violation.length > 80 ? `${violation.slice(0, 80)}…` : violation})`,
        },
      });
    }
    const abort = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) abort.abort(new EddyError('INVALID_ARGUMENT', 'the page went away'));
    });
    const started = performance.now();
    if (readOnlyViolation(text) === undefined) {
      // Reads: stream and stop at the row cap (the rest of the result is never materialised).
      let columns: { name: string; type: string }[] = [];
      const rows: Record<string, unknown>[] = [];
      let truncated = false;
      for await (const b of db.streamRows(text, { signal: abort.signal })) {
        columns = b.columns;
        for (const r of b.rows) {
          if (rows.length >= maxRows) {
            truncated = true;
            break;
          }
          rows.push(r);
        }
        if (truncated) break;
      }
      return send(res, 200, { columns, rows, truncated, elapsedMs: Math.round(performance.now() - started) });
    }
    const r = await db.query(text, { signal: abort.signal });
    const rows = r.rows();
    return send(res, 200, {
      columns: r.columns,
      rows: rows.slice(0, maxRows),
      truncated: rows.length > maxRows,
      statement: r.statement ?? null,
      elapsedMs: Math.round(performance.now() - started),
    });
  }

  async function streamFeed(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    const write = (e: FeedEvent) => res.write(`event: ${e.type}\ndata: ${toJson(e)}\n\n`);
    // Subscribe first, so a commit landing while the backlog is read is not missed.
    const queued: FeedEvent[] = [];
    let ready = false;
    const { unsubscribe, baseline } = feed.subscribe((e) => (ready ? write(e) : queued.push(e)));
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    req.on('close', () => {
      unsubscribe();
      clearInterval(heartbeat);
    });
    try {
      await baseline;
      for (const e of await feed.recent(20)) write(e);
    } catch (e) {
      write({ type: 'problem', table: '', message: e instanceof Error ? e.message : String(e) });
    }
    res.write('event: ready\ndata: {}\n\n');
    ready = true;
    for (const e of queued) write(e);
  }

  await new Promise<void>((resolve, reject) => {
    const refused = (e: NodeJS.ErrnoException) => {
      void catalog.close();
      reject(
        e.code === 'EADDRINUSE' || e.code === 'EACCES'
          ? new EddyError(
              'INVALID_OPTION',
              `cannot listen on ${host}:${options.port ?? DEFAULT_PORT} (${e.code}): choose another --port`,
              { cause: e },
            )
          : e,
      );
    };
    server.once('error', refused);
    server.listen(options.port ?? DEFAULT_PORT, host, () => {
      server.off('error', refused);
      resolve();
    });
  });
  // A failure of the listening socket itself (say, out of file descriptors) is reported, not fatal.
  server.on('error', (e) => process.stderr.write(`eddy ui: ${e.message}\n`));
  const port = (server.address() as AddressInfo).port;
  access.port = port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}/${options.token ? `?token=${encodeURIComponent(options.token)}` : ''}`,
    port,
    readOnly,
    async close() {
      feed.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (sql) await (await sql).close();
      await catalog.close();
    },
  };
}

/**
 * The console's DuckDB may read the warehouse's own files (the data files it reads directly) and no
 * other file of this machine: no `read_csv('/etc/passwd')`, no `COPY … TO` elsewhere, no ATTACH.
 * DuckDB refuses to turn external access back on once it is off, so no statement can undo this.
 */
async function openSql(catalog: Catalog): Promise<EddySql> {
  const db = await EddySql.open(catalog);
  try {
    const local = catalog.warehouse.includes('://') ? '' : `'${`${catalog.warehouse}/`.replaceAll("'", "''")}'`;
    await db.query(`SET allowed_directories = [${local}]`);
    await db.query('SET enable_external_access = false');
  } catch (e) {
    await db.close();
    throw e;
  }
  return db;
}

/** DuckDB's syntax error for a statement, if its parser rejects it (json_serialize_sql parses without running). */
async function syntaxError(db: EddySql, statement: string): Promise<string | undefined> {
  const r = await db.query(`SELECT json_serialize_sql('${statement.replaceAll("'", "''")}') AS tree`);
  const tree = JSON.parse(String(r.rows()[0]?.tree ?? '{}')) as {
    error?: boolean;
    error_type?: string;
    error_message?: string;
  };
  return tree.error && tree.error_type === 'parser' ? tree.error_message : undefined;
}

function intParam(url: URL, name: string): number | undefined {
  const v = url.searchParams.get(name);
  if (v === null || v === '') return undefined;
  if (!/^\d+$/.test(v)) throw new EddyError('INVALID_ARGUMENT', `${name}=${v}: expected a non-negative integer`);
  return Number(v);
}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new EddyError('INVALID_ARGUMENT', `the request body exceeds ${limit} bytes`));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, doc: unknown): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const body = toJson(doc);
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

async function sendFile(res: ServerResponse, file: string): Promise<void> {
  let data: Buffer;
  try {
    data = await readFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'EISDIR')
      return send(res, 404, { error: { code: 'NOT_FOUND', message: 'not found' } });
    throw e;
  }
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
    'cache-control': 'no-cache',
    'content-length': data.length,
  });
  res.end(data);
}

const STATUS: Record<string, number> = {
  NOT_FOUND: 404,
  INVALID_ARGUMENT: 400,
  INVALID_NAME: 400,
  INVALID_OPTION: 400,
  INVALID_ROW: 400,
  UNSUPPORTED: 400,
  ALREADY_EXISTS: 409,
  COMMIT_CONFLICT: 409,
  SCHEMA_CHANGED: 409,
  SNAPSHOT_EXPIRED: 410,
};

function sendError(res: ServerResponse, e: unknown): void {
  const code = e instanceof EddyError ? e.code : 'INTERNAL';
  const message = e instanceof Error ? e.message : String(e);
  if (res.headersSent) {
    res.end();
    return;
  }
  send(res, STATUS[code] ?? 500, { error: { code, message } });
}
