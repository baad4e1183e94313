/**
 * Who may talk to the server. Bound to loopback (the default), only requests whose Host header
 * names the loopback address and port are served: a page on another site that resolves its own
 * name to 127.0.0.1 (DNS rebinding) is refused. Bound to another host (`--host`), every request
 * carries the token (`Authorization: Bearer`, `?token=` once, then a same-site cookie). Requests
 * that change anything (POST) must be JSON from the page's own origin, which a form or a
 * cross-site script cannot send without the browser asking the server first.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export interface Access {
  /** The port the server listens on (Host headers name it). */
  readonly port: number;
  /** Set when the server is bound to a non-loopback host: every request must present it. */
  readonly token?: string;
}

export type Verdict =
  | {
      readonly ok: true /** The token came in the URL: set the cookie and drop it from the URL. */;
      readonly fromQuery?: boolean;
    }
  | { readonly ok: false; readonly status: 401 | 403; readonly message: string };

export const TOKEN_COOKIE = 'eddy_ui_token';

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];

export function checkRequest(method: string, url: URL, headers: IncomingHttpHeaders, access: Access): Verdict {
  const host = headers.host ?? '';
  if (access.token === undefined) {
    if (!LOOPBACK_NAMES.some((n) => host === `${n}:${access.port}`))
      return {
        ok: false,
        status: 403,
        message: `Host '${host}' refused: this server answers only to 127.0.0.1:${access.port}`,
      };
  }
  let fromQuery = false;
  if (access.token !== undefined) {
    const query = url.searchParams.get('token');
    const presented = bearer(headers.authorization) ?? cookie(headers.cookie, TOKEN_COOKIE) ?? query ?? undefined;
    if (presented === undefined || !sameSecret(presented, access.token))
      return { ok: false, status: 401, message: 'a token is required: open the URL eddy ui printed (with ?token=…)' };
    fromQuery = presented === query;
  }
  if (method !== 'GET' && method !== 'HEAD') {
    if (!/^application\/json\b/i.test(headers['content-type'] ?? ''))
      return { ok: false, status: 403, message: 'requests that change anything must be sent as application/json' };
    const origin = headers.origin;
    if (origin !== undefined && originHost(origin) !== host)
      return { ok: false, status: 403, message: `Origin '${origin}' refused: not this server's page` };
  }
  return fromQuery ? { ok: true, fromQuery } : { ok: true };
}

function bearer(h: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)$/i.exec(h ?? '');
  return m?.[1];
}

function cookie(h: string | undefined, name: string): string | undefined {
  for (const part of (h ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return decodeURIComponent(part.slice(i + 1).trim());
  }
  return undefined;
}

function originHost(origin: string): string | undefined {
  try {
    return new URL(origin).host;
  } catch {
    return undefined;
  }
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
