import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * What the proxy does to one request:
 * - `drop-before`: closes the connection without forwarding (the request fails before it is sent on).
 * - `drop-after`: forwards, lets the server apply it, then closes the connection instead of answering
 *   (a lost acknowledgement).
 * - `hang-before`: never forwards and never answers (the client times out; nothing was applied).
 * - `hang-after`: forwards, lets the server apply it, then never answers (timeout after apply).
 * - `503`: answers 503 SlowDown without forwarding (throttling).
 * - `500-after`: forwards, lets the server apply it, then answers 500 InternalError.
 * - `hold-until-next`: holds the request (no answer: the client times out) and sends it on only when
 *   the next request for the same method and object arrives, just before that one: a request that
 *   lands late, after the client has checked that it had not landed and is retrying.
 * - `403-echo`: answers 403 with the request's Authorization header and access key id echoed in the
 *   error body (as some servers' SignatureDoesNotMatch answers do): for credential-scrubbing tests.
 */
export type Fault =
  | 'drop-before'
  | 'drop-after'
  | 'hang-before'
  | 'hang-after'
  | '503'
  | '500-after'
  | 'hold-until-next'
  | '403-echo';
export const FAULTS: readonly Fault[] = [
  'drop-before',
  'drop-after',
  'hang-before',
  'hang-after',
  '503',
  '500-after',
  'hold-until-next',
];

export interface ProxiedRequest {
  readonly method: string;
  /** Path-style: `/bucket/key…`, without the query. */
  readonly path: string;
  readonly query: string;
  readonly headers: http.IncomingHttpHeaders;
}

export type FaultRule = (req: ProxiedRequest) => Fault | undefined;

export interface ProxyLogEntry {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly fault?: Fault;
  readonly status?: number;
}

/**
 * An in-process HTTP proxy in front of a real S3 server that injects faults chosen by `rule`.
 * Path-style requests only (S3FileIO uses path style for loopback endpoints). The Host header is
 * forwarded unchanged, so SigV4 signatures stay valid.
 */
export class FaultProxy {
  rule: FaultRule | undefined;
  readonly log: ProxyLogEntry[] = [];
  private readonly server: http.Server;
  private readonly sockets = new Set<Socket>();
  private readonly upstream: URL;
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

  private constructor(upstream: string) {
    this.upstream = new URL(upstream);
    this.server = http.createServer((req, res) => this.handle(req, res));
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  static async start(upstream: string): Promise<FaultProxy> {
    const p = new FaultProxy(upstream);
    await new Promise<void>((resolve) => p.server.listen(0, '127.0.0.1', resolve));
    return p;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Counts of logged requests with a fault, by fault. */
  faultCounts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const e of this.log) if (e.fault) out[e.fault] = (out[e.fault] ?? 0) + 1;
    return out;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.agent.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Held requests by `METHOD path`: sending one on resolves when the server has answered it. */
  private readonly held = new Map<string, () => Promise<void>>();

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const key = `${req.method} ${decodeURIComponent((req.url ?? '/').split('?')[0])}`;
    const release = this.held.get(key);
    if (release) {
      this.held.delete(key);
      req.pause();
      void release().then(() => this.dispatch(req, res));
      return;
    }
    this.dispatch(req, res);
  }

  private dispatch(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const info: ProxiedRequest = {
      method: req.method ?? 'GET',
      path: decodeURIComponent(q < 0 ? url : url.slice(0, q)),
      query: q < 0 ? '' : url.slice(q + 1),
      headers: req.headers,
    };
    const fault = this.rule?.(info);
    const entry: { method: string; path: string; query: string; fault?: Fault; status?: number } = {
      method: info.method,
      path: info.path,
      query: info.query,
      fault,
    };
    this.log.push(entry);
    if (fault === 'drop-before') {
      req.socket.destroy();
      return;
    }
    if (fault === 'hold-until-next') {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.held.set(
          `${info.method} ${info.path}`,
          () =>
            new Promise<void>((resolve) => {
              const late = http.request(
                {
                  host: this.upstream.hostname,
                  port: this.upstream.port,
                  method: req.method,
                  path: url,
                  headers: req.headers,
                  agent: this.agent,
                },
                (upRes) => {
                  entry.status = upRes.statusCode;
                  upRes.resume();
                  upRes.on('end', resolve);
                },
              );
              late.on('error', () => resolve());
              late.end(Buffer.concat(chunks));
            }),
        );
      });
      return; // never answered
    }
    if (fault === 'hang-before') {
      req.resume(); // read the body, answer nothing
      return;
    }
    if (fault === '403-echo') {
      req.resume();
      req.on('end', () => {
        const auth = String(req.headers.authorization ?? '');
        const keyId = /Credential=([^/]+)\//.exec(auth)?.[1] ?? '';
        entry.status = 403;
        res.writeHead(403, { 'content-type': 'application/xml' });
        res.end(
          `<?xml version="1.0" encoding="UTF-8"?><Error><Code>SignatureDoesNotMatch</Code><Message>bad signature for ${auth} (key ${keyId})</Message><AWSAccessKeyId>${keyId}</AWSAccessKeyId></Error>`,
        );
      });
      return;
    }
    if (fault === '503') {
      req.resume();
      req.on('end', () => {
        entry.status = 503;
        res.writeHead(503, { 'content-type': 'application/xml' });
        res.end(
          '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>',
        );
      });
      return;
    }
    const up = http.request(
      {
        host: this.upstream.hostname,
        port: this.upstream.port,
        method: req.method,
        path: url,
        headers: req.headers,
        agent: this.agent,
      },
      (upRes) => {
        entry.status = upRes.statusCode;
        if (fault === 'drop-after' || fault === 'hang-after' || fault === '500-after') {
          // The server has applied the request: throw its answer away.
          upRes.resume();
          upRes.on('end', () => {
            if (fault === 'drop-after') req.socket.destroy();
            else if (fault === '500-after') {
              res.writeHead(500, { 'content-type': 'application/xml' });
              res.end(
                '<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>injected</Message></Error>',
              );
            }
            // hang-after: never answer
          });
          return;
        }
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      },
    );
    up.on('error', () => req.socket.destroy());
    req.pipe(up);
  }
}
