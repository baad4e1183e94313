import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { endpointNeedsPathStyle, parseS3Path, S3FileIO } from '../../packages/s3/src/index.ts';
import { Catalog, EddyError, fileIOForWarehouse, LocalFileIO, warehousePath } from '../../packages/table/src/index.ts';
import { s3Env, testS3IO, uniqueS3Path } from './helpers.ts';

const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe('S3 paths and configuration', () => {
  it('parses s3://bucket/key', () => {
    expect(parseS3Path('s3://b/a/b/c')).toEqual({ bucket: 'b', key: 'a/b/c' });
    expect(parseS3Path('s3://b')).toEqual({ bucket: 'b', key: '' });
    expect(parseS3Path('s3://b/')).toEqual({ bucket: 'b', key: '' });
    expect(() => parseS3Path('/local/path')).toThrow(EddyError);
  });

  it('uses path-style addressing for loopback, localhost and IP endpoints only', () => {
    expect(endpointNeedsPathStyle('http://127.0.0.1:7480')).toBe(true);
    expect(endpointNeedsPathStyle('http://localhost:9000')).toBe(true);
    expect(endpointNeedsPathStyle('http://minio.localhost')).toBe(true);
    expect(endpointNeedsPathStyle('http://[::1]:9000')).toBe(true);
    expect(endpointNeedsPathStyle('https://10.1.2.3')).toBe(true);
    expect(endpointNeedsPathStyle('https://s3.eu-west-1.amazonaws.com')).toBe(false);
    expect(endpointNeedsPathStyle('https://acc.r2.cloudflarestorage.com')).toBe(false);
    expect(endpointNeedsPathStyle(undefined)).toBe(false);
  });

  it('picks the FileIO and the warehouse path from the URI', async () => {
    expect(await fileIOForWarehouse('/tmp/wh')).toBeInstanceOf(LocalFileIO);
    expect(await fileIOForWarehouse('file:///tmp/wh')).toBeInstanceOf(LocalFileIO);
    expect(await fileIOForWarehouse('relative/wh')).toBeInstanceOf(LocalFileIO);
    // s3:// loads @eddy/s3 lazily: the same class as the package's own export.
    const io = await fileIOForWarehouse('s3://bucket/wh');
    expect(io).toBeInstanceOf(S3FileIO);
    (io as S3FileIO).destroy();
    await expect(fileIOForWarehouse('gs://bucket/wh')).rejects.toThrow(/unsupported scheme 'gs:\/\/'/);
    expect(warehousePath('s3://bucket/a//b/')).toBe('s3://bucket/a/b');
    expect(warehousePath('s3://bucket')).toBe('s3://bucket');
    expect(warehousePath('file:///tmp/x')).toBe('/tmp/x');
    expect(() => warehousePath('s3://Bad_Bucket/x')).toThrow(/s3:\/\/bucket\/prefix/);
  });
});

describe('S3FileIO against the server', () => {
  const io = testS3IO();
  afterAll(() => io.destroy());

  it('writes, reads, reads ranges, stats, lists and deletes', async () => {
    const dir = uniqueS3Path('basic');
    await io.write(`${dir}/a.txt`, 'hello world');
    await io.write(`${dir}/sub/b.bin`, new Uint8Array([1, 2, 3]));
    expect(text(await io.read(`${dir}/a.txt`))).toBe('hello world');
    expect(text(await io.readRange(`${dir}/a.txt`, 6, 5))).toBe('world');
    expect(await io.readRange(`${dir}/a.txt`, 3, 0)).toEqual(new Uint8Array(0));
    expect(await io.exists(`${dir}/a.txt`)).toBe(true);
    expect(await io.exists(`${dir}/nope`)).toBe(false);
    const st = await io.stat(`${dir}/a.txt`);
    expect(st).toMatchObject({ path: `${dir}/a.txt`, size: 11, isDirectory: false });
    expect(st!.modifiedMillis).toBeGreaterThan(Date.now() - 3_600_000);
    expect(await io.stat(`${dir}/sub`)).toMatchObject({ path: `${dir}/sub`, isDirectory: true });
    expect(await io.stat(`${dir}/missing`)).toBeUndefined();

    const listed = (await io.list(dir)).map((f) => [f.path.slice(dir.length + 1), f.isDirectory, f.size]);
    expect(listed.sort()).toEqual([
      ['a.txt', false, 11],
      ['sub', true, 0],
    ]);
    expect(await io.list(`${dir}/absent`)).toEqual([]);

    await io.write(`${dir}/a.txt`, 'replaced');
    expect(text(await io.read(`${dir}/a.txt`))).toBe('replaced');
    await io.delete(`${dir}/a.txt`);
    await io.delete(`${dir}/a.txt`); // deleting an absent object is fine
    expect(await io.exists(`${dir}/a.txt`)).toBe(false);
    await io.deleteDirectory(dir);
    expect(await io.list(dir)).toEqual([]);
  });

  it('reports missing objects and short ranges with the codes LocalFileIO uses', async () => {
    const p = uniqueS3Path('missing');
    await expect(io.read(p)).rejects.toMatchObject({ code: 'NOT_FOUND', path: p });
    await expect(io.readRange(p, 0, 4)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await io.write(p, 'abc');
    await expect(io.readRange(p, 1, 10)).rejects.toMatchObject({ code: 'CORRUPT_FILE' });
    await expect(io.readRange(p, 10, 1)).rejects.toMatchObject({ code: 'CORRUPT_FILE' });
  });

  it('makes empty directories exist with a marker object, and lists many keys across pages', async () => {
    const dir = uniqueS3Path('dirs');
    await io.mkdirs(`${dir}/empty.db`);
    await io.mkdirs(`${dir}/empty.db`); // idempotent
    expect(await io.stat(`${dir}/empty.db`)).toMatchObject({ isDirectory: true });
    expect((await io.list(dir)).map((f) => f.path)).toEqual([`${dir}/empty.db`]);
    expect(await io.list(`${dir}/empty.db`)).toEqual([]);

    await Promise.all(Array.from({ length: 1105 }, (_, i) => io.write(`${dir}/many/k${i}`, String(i))));
    const before = io.requestCounts().LIST;
    const many = await io.list(`${dir}/many`);
    expect(many).toHaveLength(1105);
    expect(io.requestCounts().LIST - before).toBe(2); // 1000 per page
    await io.deleteDirectory(dir);
    expect(await io.stat(`${dir}/empty.db`)).toBeUndefined();
    expect(await io.list(`${dir}/many`)).toEqual([]);
  });

  it('uploads large objects with multipart upload and reads them back intact, in ranges too', async () => {
    const mp = testS3IO({ multipartThresholdBytes: 5 * 1024 * 1024, multipartPartSizeBytes: 5 * 1024 * 1024 });
    try {
      const p = uniqueS3Path('big.bin');
      const data = randomBytes(11 * 1024 * 1024 + 123);
      await mp.write(p, data);
      const c = mp.requestCounts();
      expect(c).toMatchObject({ MPU_CREATE: 1, MPU_PART: 3, MPU_COMPLETE: 1, PUT: 0, MPU_ABORT: 0 });
      expect(Buffer.from(await mp.read(p)).equals(data)).toBe(true);
      const off = 5 * 1024 * 1024 - 10;
      expect(Buffer.from(await mp.readRange(p, off, 100)).equals(data.subarray(off, off + 100))).toBe(true);
      expect(mp.requestCounts().GET_RANGE).toBe(1);
      expect((await mp.stat(p))?.size).toBe(data.length);
    } finally {
      mp.destroy();
    }
  });

  it('writeIfAbsent creates once and never replaces', async () => {
    const p = uniqueS3Path('snapshot-1');
    expect(await io.writeIfAbsent(p, 'first')).toBe(true);
    expect(await io.writeIfAbsent(p, 'second')).toBe(false);
    expect(text(await io.read(p))).toBe('first');
  });

  it('counts every request by kind', async () => {
    const c = testS3IO();
    try {
      const p = uniqueS3Path('count');
      await c.write(p, 'x');
      await c.read(p);
      await c.readRange(p, 0, 1);
      await c.exists(p);
      await c.writeIfAbsent(p, 'y');
      await c.list(p);
      await c.delete(p);
      expect(c.requestCounts()).toMatchObject({
        PUT: 1,
        GET: 1,
        GET_RANGE: 1,
        HEAD: 1,
        PUT_IF_ABSENT: 1,
        LIST: 1,
        DELETE: 1,
        total: 7,
      });
      expect(c.stats()).toMatchObject({ retries: 0, bytesWritten: 1, bytesRead: 2 });
      c.resetRequestCounts();
      expect(c.requestCounts().total).toBe(0);
    } finally {
      c.destroy();
    }
  });

  it('works from the standard AWS environment alone: Catalog.open("s3://…") with no options', async () => {
    s3Env(); // exports AWS_ENDPOINT_URL_S3, AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY
    const wh = uniqueS3Path('env-only');
    const c = await Catalog.open(`${wh}/`);
    expect(c.warehouse).toBe(wh);
    expect(c.io).toBeInstanceOf(S3FileIO);
    const t = await c.createTable('db.t', { columns: { id: 'BIGINT', v: 'STRING' }, primaryKey: ['id'] });
    await t.upsert([{ id: 1n, v: 'one' }]);
    const again = await (await Catalog.open(wh)).getTable('db.t');
    expect(await again.toArray()).toEqual([{ id: 1n, v: 'one' }]);
    (c.io as S3FileIO).destroy();
    (again.io as S3FileIO).destroy();
  });
});
