import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Catalog, type FileIO, LocalFileIO } from '../../packages/table/src/index.ts';
import { testS3IO, uniqueS3Path } from './helpers.ts';
import { disposeIO, tableScenarios } from './table-scenarios.ts';

tableScenarios('local disk (LocalFileIO)', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'eddy-s3suite-'));
  return {
    uri: dir,
    newFileIO: () => new LocalFileIO(),
    dispose: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

tableScenarios('S3 (S3FileIO)', async () => {
  const ios: FileIO[] = [];
  return {
    uri: uniqueS3Path('wh'),
    newFileIO: () => {
      const io = testS3IO();
      ios.push(io);
      return io;
    },
    dispose: async () => {
      for (const io of ios) disposeIO(io);
    },
  };
});

describe('requests on S3', () => {
  it('never LISTs on the hot path once a table has a snapshot; counts requests per commit and scan', async () => {
    const io = testS3IO();
    try {
      const c = await Catalog.open(uniqueS3Path('hot'), { fileIO: io });
      const t = await c.createTable('db.t', {
        columns: { id: 'BIGINT', v: 'STRING' },
        primaryKey: ['id'],
        options: { bucket: 2 },
      });
      await t.upsert([{ id: 0n, v: 'first' }]); // the first commit has no LATEST hint yet
      const perCommit: number[] = [];
      for (let i = 1; i <= 5; i++) {
        io.resetRequestCounts();
        await t.upsert([{ id: BigInt(i), v: `v${i}` }]);
        const n = io.requestCounts();
        expect(n.LIST, `commit ${i}: ${JSON.stringify(n)}`).toBe(0);
        expect(n.PUT_IF_ABSENT).toBe(1);
        perCommit.push(n.total);
      }
      io.resetRequestCounts();
      const reader = await (await Catalog.open(c.warehouse, { fileIO: io })).getTable('db.t');
      const afterOpen = io.requestCounts();
      io.resetRequestCounts();
      expect((await reader.toArray()).length).toBe(6);
      const scan = io.requestCounts();
      expect(scan.LIST).toBe(0);
      console.log(
        `[s3] requests per commit (1 row, PK table): ${perCommit.join(', ')}; open table: ${afterOpen.total} ` +
          `(${afterOpen.LIST} LIST); full scan: ${scan.total} ${JSON.stringify(scan)}`,
      );
    } finally {
      io.destroy();
    }
  });
});
