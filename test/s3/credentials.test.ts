import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3FileIO } from '../../packages/s3/src/index.ts';
import { Catalog, EddyError } from '../../packages/table/src/index.ts';
import { FaultProxy } from './fault-proxy.ts';
import { s3Env, testS3IO, uniqueS3Path } from './helpers.ts';

const CANARY_KEY_ID = 'AKIACANARYKEYID7QX9Z';
const CANARY_SECRET = 'canarySecret/Do+Not+Leak/9f8e7d6c5b4a';
const CANARY_TOKEN = 'canarySessionToken+Do/Not/Leak+1234567890';

/** Everything a user could see of an error: message, stack, causes, enumerable and hidden properties. */
function everything(e: unknown): string {
  const parts = [inspect(e, { depth: 20, showHidden: true, getters: true })];
  let x: unknown = e;
  while (x instanceof Error) {
    parts.push(x.message, x.stack ?? '', String(x));
    x = x.cause;
  }
  return parts.join('\n');
}

function expectNoSecrets(e: unknown, secrets: readonly string[]): void {
  expect(e).toBeInstanceOf(EddyError);
  const all = everything(e);
  for (const s of secrets) expect(all, `error output contains '${s}'`).not.toContain(s);
}

describe('credentials never appear in errors or warnings', () => {
  let proxy: FaultProxy;
  /**
   * Where requests with bad credentials go: the server itself when it authenticates (radosgw);
   * moto accepts any credentials, so there a second proxy answers 403 like an authenticating server.
   */
  let badCredsEndpoint: string;
  let authProxy: FaultProxy | undefined;
  beforeAll(async () => {
    proxy = await FaultProxy.start(s3Env().endpoint);
    const probe = testS3IO({ credentials: { accessKeyId: CANARY_KEY_ID, secretAccessKey: CANARY_SECRET } });
    const e = await probe.read(uniqueS3Path('creds/probe')).catch((x) => x);
    probe.destroy();
    if (/HTTP 403/.test(e?.message ?? '')) badCredsEndpoint = s3Env().endpoint;
    else {
      console.log(`[s3] ${s3Env().backend} accepts any credentials: bad-credential answers come from a proxy`);
      authProxy = await FaultProxy.start(s3Env().endpoint);
      authProxy.rule = () => '403-echo';
      badCredsEndpoint = authProxy.endpoint;
    }
  });
  afterAll(async () => {
    await proxy.close();
    await authProxy?.close();
  });

  it('wrong secret (SignatureDoesNotMatch), unknown key id, and a session token', async () => {
    const env = s3Env();
    const path = uniqueS3Path('creds/x');
    const cases = [
      { accessKeyId: env.accessKeyId, secretAccessKey: CANARY_SECRET },
      { accessKeyId: CANARY_KEY_ID, secretAccessKey: CANARY_SECRET },
      { accessKeyId: CANARY_KEY_ID, secretAccessKey: CANARY_SECRET, sessionToken: CANARY_TOKEN },
    ];
    for (const credentials of cases) {
      const io = testS3IO({ endpoint: badCredsEndpoint, credentials, maxAttempts: 2 });
      try {
        for (const op of [() => io.read(path), () => io.write(path, 'x'), () => io.writeIfAbsent(path, 'x')]) {
          const err = await op().catch((e) => e);
          expect(err.code).toBe('IO_ERROR');
          expect(err.message).toMatch(/HTTP 403/);
          expect(err.message).toContain(path);
          expectNoSecrets(err, [CANARY_SECRET, CANARY_KEY_ID, CANARY_TOKEN, env.accessKeyId, env.secretAccessKey]);
        }
      } finally {
        io.destroy();
      }
    }
  });

  it('a server that echoes the Authorization header and key id in its error: scrubbed', async () => {
    const env = s3Env();
    const io = testS3IO({ endpoint: proxy.endpoint, maxAttempts: 1 });
    proxy.rule = () => '403-echo';
    try {
      const path = uniqueS3Path('creds/echo');
      const err = await io.read(path).catch((e) => e);
      expect(err.message).toMatch(
        /^GetObject s3:\/\/.* failed: HTTP 403 SignatureDoesNotMatch: bad signature for AWS4-HMAC-SHA256 Credential=\*\*\*/,
      );
      expect(err.message).toContain('Signature=***');
      expectNoSecrets(err, [env.accessKeyId, env.secretAccessKey]);
    } finally {
      proxy.rule = undefined;
      io.destroy();
    }
  });

  it('credentials taken from the environment are scrubbed too', async () => {
    const path = uniqueS3Path('creds/env');
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    process.env.AWS_ACCESS_KEY_ID = CANARY_KEY_ID;
    process.env.AWS_SECRET_ACCESS_KEY = CANARY_SECRET;
    const io = new S3FileIO({ endpoint: badCredsEndpoint, maxAttempts: 1 });
    try {
      const err = await io.read(path).catch((e) => e);
      expect(err.message).toMatch(/^GetObject s3:\/\/.* failed: HTTP 403/);
      expectNoSecrets(err, [CANARY_KEY_ID, CANARY_SECRET]);
    } finally {
      process.env.AWS_ACCESS_KEY_ID = saved.id;
      process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
      io.destroy();
    }
  });

  it('network failures, exhausted retries, unknown outcomes and warnings carry no credentials', async () => {
    const env = s3Env();
    const secrets = [env.accessKeyId, env.secretAccessKey];
    // Nothing listens on port 9: connection refused on every attempt.
    const dead = testS3IO({ endpoint: 'http://127.0.0.1:9', maxAttempts: 2, retryBaseDelayMs: 1 });
    const refused = await dead.read(uniqueS3Path('creds/dead')).catch((e) => e);
    expect(refused.message).toMatch(/^GetObject s3:\/\/.* failed after 2 attempts: .*ECONNREFUSED/);
    expectNoSecrets(refused, secrets);
    dead.destroy();

    const io = testS3IO({ endpoint: proxy.endpoint, requestTimeoutMs: 500, maxAttempts: 2, retryBaseDelayMs: 1 });
    const warehouse = uniqueS3Path('creds-wh');
    const t = await (await Catalog.open(warehouse, { fileIO: io })).createTable('db.t', { columns: { a: 'INT' } });
    // The snapshot put lands but its answer is lost, and reading it back times out.
    proxy.rule = (r) =>
      r.method === 'PUT' && /snapshot-\d+$/.test(r.path)
        ? 'drop-after'
        : r.method === 'GET' && /snapshot-\d+$/.test(r.path)
          ? 'hang-before'
          : undefined;
    const unknown = await t.upsert([{ a: 1 }]).catch((e) => e);
    expect(unknown.message).toMatch(/the outcome is unknown/);
    expectNoSecrets(unknown, secrets);

    // A commit whose LATEST hint cannot be written succeeds with a warning: no credentials in it.
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(everything(w));
    process.on('warning', onWarning);
    proxy.rule = (r) => (r.method === 'PUT' && r.path.endsWith('/snapshot/LATEST') ? '503' : undefined);
    try {
      const r = await t.upsert([{ a: 2 }]);
      expect(r.published).toBe(true);
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      proxy.rule = undefined;
      process.off('warning', onWarning);
      io.destroy();
    }
    expect(warnings.join('\n')).toMatch(/snapshot\/LATEST failed after 2 attempts: HTTP 503 SlowDown/);
    for (const s of secrets) expect(warnings.join('\n')).not.toContain(s);
  });
});
