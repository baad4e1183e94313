/**
 * Path confinement on S3 (issue 16 §1): a manifest entry whose `_EXTERNAL_PATH` names an object in
 * another bucket or under another prefix is CORRUPT_FILE for scans, compaction, expiry and orphan
 * cleanup; the object named is neither read nor deleted.
 */
import { describe, expect, it } from 'vitest';
import { decodeManifest, encodeManifest } from '../../packages/table/src/format/manifest.ts';
import { Catalog, EddyError, type Table } from '../../packages/table/src/index.ts';
import { GateFileIO } from '../reliability/helpers.ts';
import { testS3IO, uniqueS3Path } from './helpers.ts';

describe('S3: paths outside the table', () => {
  it.each([
    ['another prefix of the same bucket', (victim: string) => victim],
    ['another bucket', () => 's3://other-bucket/wh/db.db/t/bucket-0/data-x.parquet'],
    ['a .. that climbs out of the table', (_v: string, table: string) => `${table}/bucket-0/../../t2/victim.parquet`],
  ])(
    'an _EXTERNAL_PATH in %s: scan, compaction, expiry and orphan cleanup refuse; nothing outside is touched',
    async (_n, make) => {
      const io = testS3IO();
      try {
        const warehouse = uniqueS3Path('wh');
        const t = await (await Catalog.open(warehouse, { fileIO: io })).createTable('db.t', {
          columns: { k: 'INT', v: 'STRING' },
          primaryKey: ['k'],
          options: { bucket: 1, 'write-only': true },
        });
        for (let i = 0; i < 3; i++) await t.upsert([{ k: i, v: `v${i}` }]);
        const s = (await t.latestSnapshot())!;
        const list = await t.manifests.readManifestList(s.deltaManifestList);
        const manifestPath = t.manifests.path(list[0].fileName);
        const entries = await decodeManifest(await io.read(manifestPath), manifestPath);
        // The bait: a valid data file under another prefix (a sibling table's folder).
        const victim = `${warehouse}/db.db/t2/victim.parquet`;
        const dataFile = `${t.path}/bucket-0/${entries[0].file.fileName}`;
        const bytes = await io.read(dataFile);
        await io.write(victim, bytes);
        const external = make(victim, t.path);
        for (const e of entries) (e.file as { externalPath: string | null }).externalPath = external;
        await io.write(manifestPath, await encodeManifest(entries, 'zstandard'));

        const ops: [string, (x: Table) => Promise<unknown>][] = [
          ['scan', (x) => x.toArray()],
          ['compact', (x) => x.compact({ full: true })],
          ['expire', (x) => x.expireSnapshots({ retainMin: 1, timeRetainedMs: 0 })],
          ['orphans', (x) => x.removeOrphanFiles({ olderThanMs: 0 })],
        ];
        for (const [op, run] of ops) {
          const gate = new GateFileIO(io);
          const touched: string[] = [];
          gate.hook = (kind, p) => {
            if (!p.startsWith(`${t.path}/`) && p !== t.path && !p.startsWith(`${warehouse}/db.db/t/`))
              touched.push(`${kind} ${p}`);
          };
          const table = await (await Catalog.open(warehouse, { fileIO: gate })).getTable('db.t');
          let err: unknown;
          try {
            await run(table);
          } catch (e) {
            err = e;
          }
          expect(err, op).toBeInstanceOf(EddyError);
          expect((err as EddyError).code, `${op}: ${(err as Error).message}`).toBe('CORRUPT_FILE');
          expect((err as Error).message).toContain(`${list[0].fileName}: _EXTERNAL_PATH of data-`);
          expect((err as Error).message).toContain('is outside the table');
          expect(
            touched.filter((x) => !/ s3:\/\/[^/]+\/t\/[^/]+\/wh$/.test(x)),
            op,
          ).toEqual([]);
          expect(await io.read(victim), op).toEqual(bytes);
          expect(await io.exists(dataFile), op).toBe(true);
        }
      } finally {
        io.destroy();
      }
    },
  );
});
