import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { EddyError, type FileIO, type FileStatus } from '@eddy/table';
import PQueue from 'p-queue';

/** The kinds of object-store request S3FileIO counts (one count per HTTP request, retries included). */
export type S3RequestKind =
  | 'GET'
  | 'GET_RANGE'
  | 'HEAD'
  | 'PUT'
  | 'PUT_IF_ABSENT'
  | 'LIST'
  | 'DELETE'
  | 'DELETE_BATCH'
  | 'MPU_CREATE'
  | 'MPU_PART'
  | 'MPU_COMPLETE'
  | 'MPU_ABORT';

const REQUEST_KINDS: readonly S3RequestKind[] = [
  'GET',
  'GET_RANGE',
  'HEAD',
  'PUT',
  'PUT_IF_ABSENT',
  'LIST',
  'DELETE',
  'DELETE_BATCH',
  'MPU_CREATE',
  'MPU_PART',
  'MPU_COMPLETE',
  'MPU_ABORT',
];

/** Requests sent so far, by kind, plus their total. */
export type S3RequestCounts = Readonly<Record<S3RequestKind | 'total', number>>;

export interface S3IOStats {
  readonly requests: S3RequestCounts;
  /** Requests that were sent again after a retryable failure. */
  readonly retries: number;
  /** Conditional writes whose outcome was unknown and was settled by reading the object back. */
  readonly resolvedUnknownOutcomes: number;
  readonly bytesRead: number;
  readonly bytesWritten: number;
}

export interface S3Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export interface S3FileIOOptions {
  /** Endpoint URL of an S3-compatible server. Default: AWS_ENDPOINT_URL_S3, then AWS_ENDPOINT_URL, then AWS. */
  readonly endpoint?: string;
  /** Default: AWS_REGION, AWS_DEFAULT_REGION, the profile's region; `us-east-1` with a custom endpoint. */
  readonly region?: string;
  /** Path-style addressing (`host/bucket/key`). Default: on for loopback, `localhost` and IP-literal endpoints. */
  readonly forcePathStyle?: boolean;
  /** Static credentials or a provider. Default: the standard AWS chain (env, profile, SSO, web identity, IMDS…). */
  readonly credentials?: S3Credentials | (() => Promise<S3Credentials>);
  /** Profile of ~/.aws/config to use (default: AWS_PROFILE or `default`). */
  readonly profile?: string;
  /** Deadline of one request attempt, body included, in ms (default 30 000). */
  readonly requestTimeoutMs?: number;
  /** Deadline for establishing a connection, in ms (default 5 000). */
  readonly connectTimeoutMs?: number;
  /** Requests in flight at once, across everything this FileIO does (default 16). */
  readonly maxConcurrency?: number;
  /** Attempts per request before giving up, the first one included (default 8). */
  readonly maxAttempts?: number;
  /** First retry delay in ms; doubles per attempt with jitter, x4 for throttling (default 50). */
  readonly retryBaseDelayMs?: number;
  /** Largest retry delay in ms (default 5 000). */
  readonly retryMaxDelayMs?: number;
  /** Objects at least this large are uploaded with multipart upload (default 16 MiB, at least 5 MiB). */
  readonly multipartThresholdBytes?: number;
  /** Part size of multipart uploads (default 8 MiB, at least 5 MiB: S3's minimum). */
  readonly multipartPartSizeBytes?: number;
  /** A preconfigured client (its own retry settings then apply below ours). */
  readonly client?: S3Client;
}

const MIB = 1024 * 1024;
const utf8 = new TextEncoder();
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** `s3://bucket/key` → parts. The key has no leading '/'; '' is the bucket's root. */
export function parseS3Path(path: string): { bucket: string; key: string } {
  const m = /^s3a?:\/\/([^/]+)(?:\/(.*))?$/i.exec(path);
  if (!m) throw new EddyError('INVALID_ARGUMENT', `'${path}' is not an s3://bucket/key path`, { path });
  return { bucket: m[1], key: (m[2] ?? '').replace(/^\/+/, '') };
}

/** Whether an endpoint needs path-style addressing: loopback, `localhost` or an IP literal. */
export function endpointNeedsPathStyle(endpoint: string | undefined): boolean {
  if (!endpoint) return false;
  let host: string;
  try {
    host = new URL(endpoint).hostname;
  } catch {
    return false;
  }
  host = host.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host.endsWith('.localhost') || isIP(host) !== 0;
}

type FailureKind =
  | 'notFound' // 404: the object (or its upload) does not exist
  | 'precondition' // 412: If-None-Match / If-Match did not hold
  | 'conflict' // 409: a concurrent conditional write (AWS ConditionalRequestConflict), OperationAborted
  | 'throttle' // 503 SlowDown, 429, Throttling: rejected, retry later
  | 'server' // other 5xx: may or may not have been applied
  | 'unsent' // the connection was never established: certainly not applied
  | 'network' // reset / timeout / aborted after sending: may or may not have been applied
  | 'fatal'; // 4xx client errors, missing credentials, bad config: retrying cannot help

interface Failure {
  readonly kind: FailureKind;
  readonly status?: number;
  /** A one-line description with no credentials in it. */
  readonly text: string;
}

const UNSENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ECONNABORTED',
  'ERR_STREAM_PREMATURE_CLOSE',
  'UND_ERR_SOCKET',
  'EPROTO',
]);
const THROTTLE_NAMES = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottled',
  'TooManyRequestsException',
  'RequestLimitExceeded',
]);

class AttemptTimeout extends Error {
  constructor(ms: number) {
    super(`no complete answer within ${ms} ms`);
    this.name = 'AttemptTimeout';
  }
}

interface ErrorLike {
  name?: string;
  code?: string;
  message?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number; requestId?: string };
  $response?: { statusCode?: number };
  cause?: unknown;
}

function classify(e: unknown): Failure {
  const err = (e ?? {}) as ErrorLike;
  const name = err.name ?? 'Error';
  const status = err.$metadata?.httpStatusCode ?? err.$response?.statusCode;
  const code = err.code ?? (err.cause as ErrorLike | undefined)?.code;
  const requestId = err.$metadata?.requestId;
  const detail = [name, err.message && err.message !== name && err.message !== 'UnknownError' ? err.message : '']
    .filter(Boolean)
    .join(': ');
  const text = `${status ? `HTTP ${status} ` : ''}${detail}${code && !detail.includes(code) ? ` (${code})` : ''}${requestId ? ` [request id ${requestId}]` : ''}`;
  if (e instanceof AttemptTimeout) return { kind: 'network', text: `timed out: ${err.message}` };
  if (name === 'CredentialsProviderError' || /credential/i.test(name))
    return { kind: 'fatal', text: `no usable AWS credentials: ${detail}` };
  if (status !== undefined && status > 0) {
    if (status === 404 || name === 'NoSuchKey' || name === 'NotFound' || name === 'NoSuchUpload')
      return { kind: 'notFound', status, text };
    if (status === 412) return { kind: 'precondition', status, text };
    if (status === 409) return { kind: 'conflict', status, text };
    if (status === 429 || status === 503 || THROTTLE_NAMES.has(name)) return { kind: 'throttle', status, text };
    if (status >= 500) return { kind: 'server', status, text };
    if (status === 408 || name === 'RequestTimeout') return { kind: 'network', status, text };
    return { kind: 'fatal', status, text };
  }
  if (code && UNSENT_CODES.has(code)) return { kind: 'unsent', text };
  if (name === 'TimeoutError' && /without establishing a connection/i.test(err.message ?? ''))
    return { kind: 'unsent', text };
  if (
    (code && NETWORK_CODES.has(code)) ||
    name === 'TimeoutError' ||
    name === 'AbortError' ||
    /socket hang up|ECONNRESET|premature close|aborted|timed? ?out/i.test(err.message ?? '')
  )
    return { kind: 'network', text };
  if (THROTTLE_NAMES.has(name)) return { kind: 'throttle', text };
  return { kind: 'fatal', text };
}

const RETRYABLE: ReadonlySet<FailureKind> = new Set(['conflict', 'throttle', 'server', 'unsent', 'network']);

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const toBytes = (data: Uint8Array | string): Uint8Array => (typeof data === 'string' ? utf8.encode(data) : data);

/** Reads a response body (a Node Readable in Node) to the end; destroying it on abort. */
async function readBody(body: unknown, signal: AbortSignal, expected?: number): Promise<Uint8Array> {
  if (body === undefined || body === null) return new Uint8Array(0);
  const stream = body as AsyncIterable<Uint8Array> & { destroy?: (e?: Error) => void };
  const onAbort = () => stream.destroy?.(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    const chunks: Uint8Array[] = [];
    let n = 0;
    for await (const c of stream) {
      chunks.push(c);
      n += c.length;
    }
    if (signal.aborted) throw signal.reason;
    if (chunks.length === 1 && (expected === undefined || expected === n)) return chunks[0];
    const out = new Uint8Array(n);
    let o = 0;
    for (const c of chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/**
 * FileIO on S3 or any S3-compatible object store (`@aws-sdk/client-s3`). Paths are `s3://bucket/key`.
 *
 * - `writeIfAbsent` (the commit primitive) is a single `PutObject` with `If-None-Match: *`: 412 means
 *   another writer created the object first. When the outcome of a request is unknown (timeout,
 *   reset after sending, 5xx, 409), the object is read back and compared with what we wrote: equal
 *   means it landed (true), different means someone else's landed (false), absent means the put is
 *   sent again. A landed write is never reported as lost, and nothing is applied twice.
 * - Directories do not exist on S3: `mkdirs` writes an empty `dir/` marker object, `stat` of a
 *   directory and `list` use ListObjectsV2 (maintenance paths only), `exists` is one HEAD and is
 *   true for objects only.
 * - Every request goes through one queue (`maxConcurrency`) and is retried with exponential backoff
 *   and jitter on throttling (503 SlowDown, 429), 5xx and network errors; it is counted by kind
 *   (`requestCounts()`).
 * - Error messages name the operation and the object, never credentials.
 */
export class S3FileIO implements FileIO {
  /** Readers fetch Parquet footers and the needed column chunks with ranged GETs. */
  readonly preferRangedReads = true;
  readonly client: S3Client;
  private readonly queue: PQueue;
  private readonly requestTimeoutMs: number;
  private readonly maxAttempts: number;
  private readonly retryBaseDelayMs: number;
  private readonly retryMaxDelayMs: number;
  private readonly multipartThreshold: number;
  private readonly partSize: number;
  private readonly counts: Record<S3RequestKind, number>;
  private retries = 0;
  private resolved = 0;
  private bytesRead = 0;
  private bytesWritten = 0;
  /** Credential strings to scrub from every message (learned from the client's provider). */
  private readonly secrets = new Set<string>();
  private secretsLearned = false;

  constructor(options: S3FileIOOptions = {}) {
    const env = process.env;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 8);
    this.retryBaseDelayMs = options.retryBaseDelayMs ?? 50;
    this.retryMaxDelayMs = options.retryMaxDelayMs ?? 5_000;
    this.partSize = Math.max(5 * MIB, options.multipartPartSizeBytes ?? 8 * MIB);
    this.multipartThreshold = Math.max(5 * MIB, options.multipartThresholdBytes ?? 16 * MIB);
    const concurrency = Math.max(1, options.maxConcurrency ?? 16);
    this.queue = new PQueue({ concurrency });
    this.counts = Object.fromEntries(REQUEST_KINDS.map((k) => [k, 0])) as Record<S3RequestKind, number>;

    if (options.client) {
      this.client = options.client;
      return;
    }
    const endpoint = options.endpoint ?? (env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined);
    const region =
      options.region ?? (env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined) ?? (endpoint ? 'us-east-1' : undefined);
    const config: S3ClientConfig = {
      endpoint,
      region,
      forcePathStyle: options.forcePathStyle ?? endpointNeedsPathStyle(endpoint),
      // Our own retry loop decides what is safe to retry (and counts every request).
      maxAttempts: 1,
      requestHandler: {
        connectionTimeout: options.connectTimeoutMs ?? 5_000,
        requestTimeout: this.requestTimeoutMs,
        throwOnRequestTimeout: true,
        httpAgent: { keepAlive: true, maxSockets: concurrency + 4 },
        httpsAgent: { keepAlive: true, maxSockets: concurrency + 4 },
      },
    };
    if (options.profile) config.profile = options.profile;
    if (options.credentials) {
      const c = options.credentials;
      config.credentials = typeof c === 'function' ? c : { ...c };
      if (typeof c !== 'function') this.learnSecrets(c);
    }
    // S3-compatible servers often reject the SDK's default flexible checksums (e.g. radosgw 16 answers 411 to
    // streaming trailers): with a custom endpoint, only send checksums where the API requires them, unless
    // the standard environment says otherwise.
    if (endpoint && !env.AWS_REQUEST_CHECKSUM_CALCULATION) config.requestChecksumCalculation = 'WHEN_REQUIRED';
    if (endpoint && !env.AWS_RESPONSE_CHECKSUM_VALIDATION) config.responseChecksumValidation = 'WHEN_REQUIRED';
    this.client = new S3Client(config);
  }

  // ------------------------------------------------------------------------------------------ stats

  /** Requests sent so far by kind (every attempt counts), and their total. */
  requestCounts(): S3RequestCounts {
    let total = 0;
    for (const k of REQUEST_KINDS) total += this.counts[k];
    return { ...this.counts, total };
  }

  stats(): S3IOStats {
    return {
      requests: this.requestCounts(),
      retries: this.retries,
      resolvedUnknownOutcomes: this.resolved,
      bytesRead: this.bytesRead,
      bytesWritten: this.bytesWritten,
    };
  }

  resetRequestCounts(): void {
    for (const k of REQUEST_KINDS) this.counts[k] = 0;
    this.retries = 0;
    this.resolved = 0;
    this.bytesRead = 0;
    this.bytesWritten = 0;
  }

  /** Closes idle connections. */
  destroy(): void {
    this.client.destroy();
  }

  /** FileIO.close: the same as destroy(). */
  close(): void {
    this.destroy();
  }

  // -------------------------------------------------------------------------------------- plumbing

  private learnSecrets(c: Partial<S3Credentials> | undefined): void {
    for (const s of [c?.accessKeyId, c?.secretAccessKey, c?.sessionToken]) if (s && s.length >= 4) this.secrets.add(s);
  }

  private async learnClientSecrets(): Promise<void> {
    if (this.secretsLearned) return;
    this.secretsLearned = true;
    try {
      const provider = this.client.config.credentials as unknown as (() => Promise<S3Credentials>) | undefined;
      if (typeof provider === 'function') this.learnSecrets(await provider());
    } catch {
      // no credentials: nothing to scrub
    }
  }

  /** Removes credentials (those of this client included) and signature material from a message. */
  private async scrubbed(text: string): Promise<string> {
    await this.learnClientSecrets();
    return this.scrub(text);
  }

  private scrub(text: string): string {
    let out = text
      .replace(/(Credential=)[^,\s&"]+/gi, '$1***')
      .replace(/(Signature=)[0-9a-f]+/gi, '$1***')
      .replace(/(X-Amz-Security-Token=)[^&\s"]+/gi, '$1***')
      .replace(/(<AWSAccessKeyId>)[^<]*/gi, '$1***');
    for (const s of this.secrets) out = out.split(s).join('***');
    return out;
  }

  private async error(op: string, path: string, failure: Failure, attempts: number, extra = ''): Promise<EddyError> {
    const tries = attempts > 1 ? ` after ${attempts} attempts` : '';
    const text = await this.scrubbed(`${op} ${path} failed${tries}: ${failure.text}${extra}`);
    // The SDK's error object is not kept as the cause: it carries request and response internals.
    const cause = new Error(this.scrub(failure.text));
    cause.name = 'S3Error';
    return new EddyError('IO_ERROR', text, { path, cause });
  }

  private backoff(attempt: number, failure: Failure): number {
    const base = this.retryBaseDelayMs * (failure.kind === 'throttle' ? 4 : 1);
    const cap = Math.min(this.retryMaxDelayMs, base * 2 ** (attempt - 1));
    return cap / 2 + Math.random() * (cap / 2);
  }

  /**
   * One request: waits for a queue slot, then runs `fn` under a deadline (body included). Counted.
   */
  private once<T>(kind: S3RequestKind, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return this.queue.add(async () => {
      this.counts[kind]++;
      const ac = new AbortController();
      const timer = setTimeout(() => ac.abort(new AttemptTimeout(this.requestTimeoutMs)), this.requestTimeoutMs);
      try {
        return await fn(ac.signal);
      } catch (e) {
        if (ac.signal.aborted) throw ac.signal.reason;
        throw e;
      } finally {
        clearTimeout(timer);
      }
    }) as Promise<T>;
  }

  /**
   * A request retried on retryable failures. Failures in `passThrough` are returned to the caller
   * (as `{ failure }`) instead of being thrown or retried.
   */
  private async retrying<T>(
    kind: S3RequestKind,
    op: string,
    path: string,
    fn: (signal: AbortSignal) => Promise<T>,
    passThrough: ReadonlySet<FailureKind> = new Set(),
  ): Promise<{ value: T; failure?: undefined } | { value?: undefined; failure: Failure }> {
    for (let attempt = 1; ; attempt++) {
      try {
        return { value: await this.once(kind, fn) };
      } catch (e) {
        const f = classify(e);
        if (passThrough.has(f.kind)) return { failure: f };
        if (!RETRYABLE.has(f.kind) || attempt >= this.maxAttempts) throw await this.error(op, path, f, attempt);
        this.retries++;
        await sleep(this.backoff(attempt, f));
      }
    }
  }

  private notFound(path: string): EddyError {
    return new EddyError('NOT_FOUND', `${path}: no such object`, { path });
  }

  // ------------------------------------------------------------------------------------------ reads

  /** The object's bytes, or undefined when it does not exist. */
  private async getObject(path: string, op = 'GetObject'): Promise<Uint8Array | undefined> {
    const { bucket, key } = parseS3Path(path);
    const r = await this.retrying(
      'GET',
      op,
      path,
      async (signal) => {
        const out = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }), {
          abortSignal: signal,
        });
        return readBody(out.Body, signal, out.ContentLength);
      },
      new Set(['notFound']),
    );
    if (r.failure) return undefined;
    this.bytesRead += r.value.length;
    return r.value;
  }

  async read(path: string): Promise<Uint8Array> {
    const bytes = await this.getObject(path);
    if (bytes === undefined) throw this.notFound(path);
    return bytes;
  }

  async readRange(path: string, offset: number, length: number): Promise<Uint8Array> {
    if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0)
      throw new EddyError('INVALID_ARGUMENT', `readRange ${path}: bad range ${offset}+${length}`, { path });
    if (length === 0) return new Uint8Array(0);
    const { bucket, key } = parseS3Path(path);
    const r = await this.retrying(
      'GET_RANGE',
      'GetObject (range)',
      path,
      async (signal) => {
        const out = await this.client.send(
          new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=${offset}-${offset + length - 1}` }),
          { abortSignal: signal },
        );
        return readBody(out.Body, signal, out.ContentLength);
      },
      new Set(['notFound', 'fatal']),
    );
    if (r.failure) {
      if (r.failure.kind === 'notFound') throw this.notFound(path);
      if (r.failure.status === 416)
        throw new EddyError('CORRUPT_FILE', `${path}: range ${offset}+${length} is past the end of the object`, {
          path,
        });
      throw await this.error('GetObject (range)', path, r.failure, 1);
    }
    const bytes = r.value;
    this.bytesRead += bytes.length;
    if (bytes.length !== length)
      throw new EddyError(
        'CORRUPT_FILE',
        `${path}: range ${offset}+${length} is past the end of the object (got ${bytes.length} bytes)`,
        { path },
      );
    return bytes;
  }

  private async head(path: string): Promise<FileStatus | undefined> {
    const { bucket, key } = parseS3Path(path);
    if (key === '') return undefined;
    const r = await this.retrying(
      'HEAD',
      'HeadObject',
      path,
      (signal) => this.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal }),
      new Set(['notFound']),
    );
    if (r.failure) return undefined;
    return {
      path,
      size: r.value.ContentLength ?? 0,
      modifiedMillis: r.value.LastModified?.getTime() ?? 0,
      isDirectory: false,
    };
  }

  /** True when an object exists at `path` (one HEAD; directories are not objects on S3). */
  async exists(path: string): Promise<boolean> {
    return (await this.head(path)) !== undefined;
  }

  /** An object's status; else, when objects exist below `path/`, a directory's (one more LIST). */
  async stat(path: string): Promise<FileStatus | undefined> {
    const file = await this.head(path);
    if (file) return file;
    const { bucket, key } = parseS3Path(path);
    const prefix = key === '' ? '' : `${key.replace(/\/+$/, '')}/`;
    const page = await this.listPage(path, bucket, prefix, undefined, undefined, 1);
    if ((page.KeyCount ?? 0) > 0 || (page.Contents?.length ?? 0) > 0 || (page.CommonPrefixes?.length ?? 0) > 0)
      return { path: path.replace(/\/+$/, ''), size: 0, modifiedMillis: 0, isDirectory: true };
    return undefined;
  }

  private async listPage(
    path: string,
    bucket: string,
    prefix: string,
    delimiter: string | undefined,
    token: string | undefined,
    maxKeys?: number,
  ): Promise<ListObjectsV2CommandOutput> {
    const r = await this.retrying('LIST', 'ListObjectsV2', path, (signal) =>
      this.client.send(
        new ListObjectsV2Command({
          Bucket: bucket,
          Prefix: prefix,
          Delimiter: delimiter,
          ContinuationToken: token,
          MaxKeys: maxKeys,
        }),
        { abortSignal: signal },
      ),
    );
    return r.value as ListObjectsV2CommandOutput;
  }

  /** Direct children of `dir` (ListObjectsV2 with delimiter '/'): for maintenance, never on a hot path. */
  async list(dir: string): Promise<FileStatus[]> {
    const { bucket, key } = parseS3Path(dir);
    const prefix = key === '' ? '' : `${key.replace(/\/+$/, '')}/`;
    const base = `s3://${bucket}/`;
    const out: FileStatus[] = [];
    let token: string | undefined;
    do {
      const page = await this.listPage(dir, bucket, prefix, '/', token);
      for (const p of page.CommonPrefixes ?? []) {
        if (p.Prefix)
          out.push({ path: base + p.Prefix.replace(/\/+$/, ''), size: 0, modifiedMillis: 0, isDirectory: true });
      }
      for (const o of page.Contents ?? []) {
        if (!o.Key || o.Key === prefix) continue; // the directory's own marker
        out.push({
          path: base + o.Key,
          size: o.Size ?? 0,
          modifiedMillis: o.LastModified?.getTime() ?? 0,
          isDirectory: false,
        });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return out;
  }

  // ----------------------------------------------------------------------------------------- writes

  /** Writes an object (atomic on S3: readers see the old object or the new one). Multipart when large. */
  async write(path: string, data: Uint8Array | string): Promise<void> {
    const bytes = toBytes(data);
    if (bytes.length >= this.multipartThreshold) return this.writeMultipart(path, bytes);
    const { bucket, key } = parseS3Path(path);
    // An unconditional PUT of the same bytes is idempotent: any failure may simply be retried.
    await this.retrying('PUT', 'PutObject', path, (signal) =>
      this.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes, ContentLength: bytes.length }), {
        abortSignal: signal,
      }),
    );
    this.bytesWritten += bytes.length;
  }

  private async writeMultipart(path: string, bytes: Uint8Array): Promise<void> {
    const { bucket, key } = parseS3Path(path);
    const created = await this.retrying('MPU_CREATE', 'CreateMultipartUpload', path, (signal) =>
      this.client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }), { abortSignal: signal }),
    );
    const uploadId = created.value?.UploadId;
    if (!uploadId) throw new EddyError('IO_ERROR', `CreateMultipartUpload ${path} failed: no upload id`, { path });
    const partCount = Math.ceil(bytes.length / this.partSize);
    const md5s: Buffer[] = [];
    try {
      const parts = await Promise.all(
        Array.from({ length: partCount }, async (_, i) => {
          const body = bytes.subarray(i * this.partSize, Math.min(bytes.length, (i + 1) * this.partSize));
          md5s[i] = createHash('md5').update(body).digest();
          const r = await this.retrying('MPU_PART', `UploadPart ${i + 1}/${partCount}`, path, (signal) =>
            this.client.send(
              new UploadPartCommand({
                Bucket: bucket,
                Key: key,
                UploadId: uploadId,
                PartNumber: i + 1,
                Body: body,
                ContentLength: body.length,
              }),
              { abortSignal: signal },
            ),
          );
          return { PartNumber: i + 1, ETag: r.value?.ETag ?? `"${md5s[i].toString('hex')}"` };
        }),
      );
      const expectedEtag = `${createHash('md5').update(Buffer.concat(md5s)).digest('hex')}-${partCount}`;
      let completedBefore = false;
      for (let attempt = 1; ; attempt++) {
        const r = await this.retrying(
          'MPU_COMPLETE',
          'CompleteMultipartUpload',
          path,
          (signal) =>
            this.client.send(
              new CompleteMultipartUploadCommand({
                Bucket: bucket,
                Key: key,
                UploadId: uploadId,
                MultipartUpload: { Parts: parts },
              }),
              { abortSignal: signal },
            ),
          new Set(['notFound', 'server', 'network']),
        );
        if (!r.failure) break;
        if (r.failure.kind !== 'notFound') {
          completedBefore = true;
          if (attempt < this.maxAttempts) {
            this.retries++;
            await sleep(this.backoff(attempt, r.failure));
            continue;
          }
          throw await this.error('CompleteMultipartUpload', path, r.failure, attempt);
        }
        // NoSuchUpload: after an unknown outcome, an earlier Complete may have landed. Check it.
        const head = completedBefore
          ? await this.retrying('HEAD', 'HeadObject', path, (signal) =>
              this.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal }),
            ).catch(() => undefined)
          : undefined;
        if (head?.value?.ETag?.replace(/"/g, '') === expectedEtag) break;
        throw await this.error('CompleteMultipartUpload', path, r.failure, attempt);
      }
      this.bytesWritten += bytes.length;
    } catch (e) {
      await this.once('MPU_ABORT', (signal) =>
        this.client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }), {
          abortSignal: signal,
        }),
      ).catch(() => undefined);
      throw e;
    }
  }

  /**
   * Creates the object only if nothing exists at `path`: PutObject with `If-None-Match: *` (never
   * multipart: some servers ignore the condition on CompleteMultipartUpload). False when another
   * writer's object is there. Unknown outcomes are settled by reading the object back.
   */
  async writeIfAbsent(path: string, data: Uint8Array | string): Promise<boolean> {
    const bytes = toBytes(data);
    const { bucket, key } = parseS3Path(path);
    const op = 'PutObject (If-None-Match: *)';
    /** Whether an earlier attempt of ours may have been applied. */
    let maybeApplied = false;
    let last: Failure | undefined;
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      if (attempt > 1 && last) {
        this.retries++;
        await sleep(this.backoff(attempt - 1, last));
      }
      try {
        await this.once('PUT_IF_ABSENT', (signal) =>
          this.client.send(
            new PutObjectCommand({
              Bucket: bucket,
              Key: key,
              Body: bytes,
              ContentLength: bytes.length,
              IfNoneMatch: '*',
            }),
            { abortSignal: signal },
          ),
        );
        this.bytesWritten += bytes.length;
        return true;
      } catch (e) {
        const f = classify(e);
        last = f;
        if (f.kind === 'precondition' && !maybeApplied) return false;
        if (f.kind === 'fatal' || f.kind === 'notFound') throw await this.error(op, path, f, attempt);
        // Never reached the server, or rejected by throttling: nothing of ours landed, send it again.
        if (f.kind === 'unsent' || (f.kind === 'throttle' && !maybeApplied)) continue;
        if (f.kind === 'network' || f.kind === 'server') maybeApplied = true;
        // 412 after one of ours may have landed, 409, 5xx, throttling, lost answers: look at what is there.
        let existing: Uint8Array | undefined;
        try {
          existing = await this.getObject(path, `GetObject (checking the outcome of ${op})`);
        } catch (readError) {
          const msg = (readError as Error).message;
          throw new EddyError(
            'IO_ERROR',
            await this.scrubbed(
              `${op} ${path}: the outcome is unknown (the put ${maybeApplied ? 'may have been applied' : 'was not applied'}: ${f.text}) and reading it back failed: ${msg}`,
            ),
            { path, cause: readError },
          );
        }
        if (existing !== undefined) {
          this.resolved++;
          return bytesEqual(existing, bytes);
        }
        // Absent: nothing landed (yet); send the put again.
      }
    }
    const f = last ?? { kind: 'fatal' as const, text: 'no attempt' };
    throw await this.error(
      op,
      path,
      f,
      this.maxAttempts,
      maybeApplied ? ' (the object was still absent when last checked)' : '',
    );
  }

  /** Writes an empty `dir/` marker object when there is none, so that empty directories exist. */
  async mkdirs(dir: string): Promise<void> {
    const { bucket, key } = parseS3Path(dir);
    if (key === '') return;
    const marker = `s3://${bucket}/${key.replace(/\/+$/, '')}/`;
    if (await this.exists(marker)) return;
    await this.writeIfAbsent(marker, new Uint8Array(0));
  }

  async delete(path: string): Promise<void> {
    const { bucket, key } = parseS3Path(path);
    if (key === '') throw new EddyError('INVALID_ARGUMENT', `delete ${path}: not an object path`, { path });
    await this.retrying(
      'DELETE',
      'DeleteObject',
      path,
      (signal) => this.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal }),
      new Set(['notFound']),
    );
  }

  /** Deletes every object below `dir/` (ListObjectsV2 + DeleteObjects in batches of 1000). */
  async deleteDirectory(dir: string): Promise<void> {
    const { bucket, key } = parseS3Path(dir);
    if (key === '')
      throw new EddyError('INVALID_ARGUMENT', `deleteDirectory ${dir}: refusing to empty a whole bucket`, {
        path: dir,
      });
    const prefix = `${key.replace(/\/+$/, '')}/`;
    let token: string | undefined;
    do {
      const page = await this.listPage(dir, bucket, prefix, undefined, token, 1000);
      const keys = (page.Contents ?? []).map((o) => o.Key).filter((k): k is string => !!k);
      if (keys.length > 0) {
        const r = await this.retrying('DELETE_BATCH', 'DeleteObjects', dir, (signal) =>
          this.client.send(
            new DeleteObjectsCommand({
              Bucket: bucket,
              Delete: { Objects: keys.map((k) => ({ Key: k })), Quiet: true },
            }),
            { abortSignal: signal },
          ),
        );
        const errors = (r.value?.Errors ?? []).filter((e) => e.Code !== 'NoSuchKey');
        if (errors.length > 0)
          throw new EddyError(
            'IO_ERROR',
            await this.scrubbed(
              `DeleteObjects ${dir} failed for ${errors.length} objects, e.g. s3://${bucket}/${errors[0].Key}: ${errors[0].Code} ${errors[0].Message ?? ''}`,
            ),
            { path: dir },
          );
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }
}
