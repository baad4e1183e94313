import { inject } from 'vitest';
import { S3FileIO, type S3FileIOOptions } from '../../packages/s3/src/index.ts';

/** The S3 server of this run (provided by global-setup.ts). */
export interface S3TestEnv {
  readonly endpoint: string;
  /** rgw, moto or external. */
  readonly backend: string;
  readonly bucket: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export function s3Env(): S3TestEnv {
  const env = inject('s3');
  if (!env) throw new Error('no S3 server: run these tests with `npm run test:s3`');
  // The standard AWS environment, for code that relies on it alone and for spawned processes.
  process.env.AWS_ENDPOINT_URL_S3 = env.endpoint;
  process.env.AWS_REGION = env.region;
  process.env.AWS_ACCESS_KEY_ID = env.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = env.secretAccessKey;
  return env;
}

/** An S3FileIO for the test server, configured explicitly (not from the environment). */
export function testS3IO(options: S3FileIOOptions = {}): S3FileIO {
  const env = s3Env();
  return new S3FileIO({
    endpoint: env.endpoint,
    region: env.region,
    credentials: { accessKeyId: env.accessKeyId, secretAccessKey: env.secretAccessKey },
    ...options,
  });
}

let counter = 0;
/** A fresh `s3://bucket/prefix` no other test uses. */
export function uniqueS3Path(name: string): string {
  const env = s3Env();
  const id = `${Date.now().toString(36)}-${process.pid.toString(36)}-${(counter++).toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
  return `s3://${env.bucket}/t/${id}/${name}`;
}

/** Nearest-rank percentile of a list of numbers. */
export function percentile(values: readonly number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}
