import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { TestProject } from 'vitest/node';
import type { S3TestEnv } from './helpers.ts';

// The SDK warns once per process under Node < 22; the project supports Node 20.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SCRIPT = path.join(ROOT, '.ci/s3-server.sh');

declare module 'vitest' {
  export interface ProvidedContext {
    s3: S3TestEnv;
  }
}

function parseExports(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^export ([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) out[m[1]] = m[2];
  }
  return out;
}

/**
 * Fails the whole run unless the server rejects a second `PUT If-None-Match: *` with 412 and lets
 * exactly one of 16 racers win: against a server that ignores the condition (like npm's fake S3
 * servers) every commit test would pass without proving anything.
 */
export async function assertConditionalWritesEnforced(env: S3TestEnv): Promise<void> {
  const s3 = new S3Client({
    endpoint: env.endpoint,
    region: env.region,
    forcePathStyle: true,
    credentials: { accessKeyId: env.accessKeyId, secretAccessKey: env.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    maxAttempts: 1,
  });
  const status = async (key: string, body: string): Promise<number> => {
    try {
      await s3.send(new PutObjectCommand({ Bucket: env.bucket, Key: key, Body: body, IfNoneMatch: '*' }));
      return 200;
    } catch (e) {
      return (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? -1;
    }
  };
  try {
    const key = `guard/${Date.now()}-${Math.random().toString(36).slice(2)}`;
    const first = await status(key, 'a');
    const second = await status(key, 'b');
    const race = await Promise.all(Array.from({ length: 16 }, (_, i) => status(`${key}-race`, `r${i}`)));
    const winners = race.filter((s) => s === 200).length;
    if (first !== 200 || second !== 412 || winners !== 1)
      throw new Error(
        `S3 server ${env.endpoint} (${env.backend}) does NOT enforce If-None-Match: first PUT ${first}, ` +
          `second PUT ${second} (want 412), ${winners} of 16 racers won (want 1; statuses ${race.join(',')}). ` +
          'Commit tests against it would prove nothing: refusing to run them.',
      );
  } finally {
    s3.destroy();
  }
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  let stop: (() => Promise<void>) | undefined;
  let vars: Record<string, string | undefined> = process.env;
  if (!process.env.EDDY_S3_ENDPOINT) {
    const backend = process.env.EDDY_S3_BACKEND ?? 'rgw';
    const t0 = Date.now();
    let out: { stdout: string; stderr: string };
    try {
      out = await run('bash', [SCRIPT, 'start', backend], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
    } catch (e) {
      const x = e as { stderr?: string; message: string };
      throw new Error(`could not start the S3 test server (${backend}) with ${SCRIPT}: ${x.stderr || x.message}`);
    }
    vars = parseExports(out.stdout);
    const wasRunning = /already running/.test(out.stderr);
    console.log(
      `[s3] ${backend} on ${vars.EDDY_S3_ENDPOINT} (${wasRunning ? 'already running' : `started in ${Date.now() - t0} ms`})`,
    );
    if (!wasRunning)
      stop = async () => {
        await run('bash', [SCRIPT, 'stop', backend], { cwd: ROOT });
      };
    // Test workers and the processes they spawn see the standard AWS environment.
    for (const [k, v] of Object.entries(vars)) process.env[k] = v;
  }
  const need = (k: string): string => {
    const v = vars[k];
    if (!v) throw new Error(`EDDY_S3_ENDPOINT is set but ${k} is not`);
    return v;
  };
  const env: S3TestEnv = {
    endpoint: need('EDDY_S3_ENDPOINT'),
    backend: vars.EDDY_S3_BACKEND ?? 'external',
    bucket: vars.EDDY_S3_BUCKET ?? 'eddy',
    region: vars.AWS_REGION ?? 'us-east-1',
    accessKeyId: need('AWS_ACCESS_KEY_ID'),
    secretAccessKey: need('AWS_SECRET_ACCESS_KEY'),
  };
  try {
    await assertConditionalWritesEnforced(env);
  } catch (e) {
    await stop?.();
    throw e;
  }
  project.provide('s3', env);
  return stop;
}
