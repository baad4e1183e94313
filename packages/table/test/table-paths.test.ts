/**
 * Path confinement (issue 16 §1): every path metadata names must resolve inside the table's folder
 * or a `data-file.external-paths` root, on local disk and on S3 alike.
 */
import { describe, expect, it } from 'vitest';
import { normalizePath, PathConfinement } from '../src/meta/table-paths.ts';
import { EddyError } from '../src/types/errors.ts';

const refused = (f: () => unknown): EddyError => {
  try {
    f();
  } catch (e) {
    if (e instanceof EddyError) return e;
    throw e;
  }
  throw new Error('expected an EddyError');
};

describe('normalizePath', () => {
  it.each([
    ['/a/b/../c', '/a/c'],
    ['/a//b/./c/', '/a/b/c'],
    ['/../../etc/passwd', '/etc/passwd'],
    ['file:/a/b', '/a/b'],
    ['file:///a/b', '/a/b'],
    ['s3://bkt/a/../b', 's3://bkt/b'],
    ['s3a://bkt/a', 's3://bkt/a'],
    ['S3N://bkt/a', 's3://bkt/a'],
    ['s3://bkt', 's3://bkt/'],
  ])('%s → %s', (input, out) => expect(normalizePath(input)).toBe(out));

  it.each(['relative/x', '', 'file://host/a', 'a\u0000b', '/a\u0000/b', 's3:/bkt/a', 'c:x'])('%j is no path', (input) =>
    expect(normalizePath(input)).toBeUndefined(),
  );
});

describe('PathConfinement', () => {
  const local = new PathConfinement('/wh/db.db/t');
  it.each([
    '/wh/db.db/t/bucket-0/data-1.parquet',
    '/wh/db.db/t/bucket-0/../bucket-1/x.parquet',
    'file:/wh/db.db/t/bucket-0/x.parquet',
    'file:///wh/db.db/t/index/x',
  ])('local: %s is inside', (p) => expect(local.confine(p, 'f', 'm')).toMatch(/^\/wh\/db\.db\/t\//));

  it.each([
    '/some/outside/file.parquet',
    '/wh/db.db/t2/bucket-0/x.parquet',
    '/wh/db.db/t-evil/x',
    '/wh/db.db/t/../t2/x',
    '/wh/db.db/t/bucket-0/../../../../etc/passwd',
    'file://host/wh/db.db/t/x',
    's3://bkt/wh/db.db/t/x',
    'bucket-0/x.parquet',
    '/wh/db.db/t/\u0000',
  ])('local: %s is CORRUPT_FILE naming field and file', (p) => {
    const e = refused(() => local.confine(p, '_EXTERNAL_PATH of data-1.parquet', '/wh/db.db/t/manifest/manifest-x'));
    expect(e.code).toBe('CORRUPT_FILE');
    expect(e.message).toContain('/wh/db.db/t/manifest/manifest-x: _EXTERNAL_PATH of data-1.parquet');
    expect(e.message).toContain('outside the table');
    expect(e.path).toBe('/wh/db.db/t/manifest/manifest-x');
  });

  const s3 = new PathConfinement('s3://bkt/wh/db.db/t', {
    'data-file.external-paths': 's3://ext-bkt/root , oss://o/p',
  });
  it.each([
    ['s3://bkt/wh/db.db/t/bucket-0/x.parquet', 's3://bkt/wh/db.db/t/bucket-0/x.parquet'],
    ['s3a://bkt/wh/db.db/t/bucket-0/x.parquet', 's3://bkt/wh/db.db/t/bucket-0/x.parquet'],
    ['s3://ext-bkt/root/db/t/bucket-0/x.parquet', 's3://ext-bkt/root/db/t/bucket-0/x.parquet'],
    ['oss://o/p/x', 'oss://o/p/x'],
  ])('s3: %s is inside (as %s)', (p, out) => expect(s3.confine(p, 'f', 'm')).toBe(out));

  it.each([
    's3://other-bucket/wh/db.db/t/bucket-0/x.parquet',
    's3://bkt/wh/db.db/t2/x',
    's3://bkt/other/prefix/x',
    's3://bkt/wh/db.db/t/../t2/x',
    's3://ext-bkt/root-2/x',
    's3://ext-bkt/x',
    '/wh/db.db/t/bucket-0/x.parquet',
    's3://bkt.evil/wh/db.db/t/x',
  ])('s3: %s is CORRUPT_FILE', (p) => {
    const e = refused(() => s3.confine(p, '_EXTERNAL_PATH', 'manifest-1'));
    expect(e.code).toBe('CORRUPT_FILE');
    expect(e.message).toMatch(/manifest-1: _EXTERNAL_PATH ".*" is outside the table s3:\/\/bkt\/wh\/db\.db\/t and its/);
  });

  it('an external root that is the file system root confines nothing: INVALID_OPTION', () => {
    for (const root of ['/', 'file:///', 'relative/dir']) {
      const e = refused(() => new PathConfinement('/wh/t', { 'data-file.external-paths': root }));
      expect(e.code).toBe('INVALID_OPTION');
      expect(e.message).toContain('data-file.external-paths');
    }
  });

  it('lists the external roots normalized', () => {
    expect(s3.externalRoots).toEqual(['s3://ext-bkt/root', 'oss://o/p']);
  });
});

describe('extra files (file indexes)', () => {
  it('live beside their data file: in the bucket directory, or the directory of its _EXTERNAL_PATH', async () => {
    const { TablePaths } = await import('../src/meta/table-paths.ts');
    const { TableSchema } = await import('../src/schema/table-schema.ts');
    const schema = TableSchema.create({
      columns: { id: 'INT' },
      options: { 'data-file.external-paths': 's3://ext-bkt/root' },
    });
    const paths = new TablePaths('s3://bkt/wh/db.db/t', schema);
    const dir = 's3://bkt/wh/db.db/t/bucket-0';
    expect(paths.extraFile(dir, { fileName: 'data-1.parquet', externalPath: null }, 'data-1.parquet.index')).toBe(
      `${dir}/data-1.parquet.index`,
    );
    const external = { fileName: 'data-2.parquet', externalPath: 's3://ext-bkt/root/db.db/t/bucket-0/data-2.parquet' };
    expect(paths.extraFile(dir, external, 'data-2.parquet.index')).toBe(
      's3://ext-bkt/root/db.db/t/bucket-0/data-2.parquet.index',
    );
    // The external path is confined first: outside the roots, CORRUPT_FILE.
    const outside = { fileName: 'data-3.parquet', externalPath: 's3://evil/x/data-3.parquet' };
    expect(refused(() => paths.extraFile(dir, outside, 'data-3.parquet.index')).code).toBe('CORRUPT_FILE');
  });
});
