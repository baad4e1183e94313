import { readdirSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DataFileMeta } from '../src/format/manifest.ts';
import { Catalog, type Table } from '../src/index.ts';
import { LocalFileIO } from '../src/io/local-file-io.ts';
import { packUnawareAppend, pickBucketedAppend } from '../src/lsm/append-compaction.ts';
import { type CoreOptions, parseCoreOptions } from '../src/options/core-options.ts';
import { tempDir } from './helpers.ts';

const MB = 1024 * 1024;

function file(name: string, size: number, minSeq: number, rows = 10): DataFileMeta {
  return {
    fileName: name,
    fileSize: size,
    rowCount: rows,
    minSequenceNumber: BigInt(minSeq),
    maxSequenceNumber: BigInt(minSeq + rows - 1),
  } as DataFileMeta;
}

const opts = (o: Record<string, string> = {}): CoreOptions => parseCoreOptions({ 'target-file-size': '100 mb', ...o });
const names = (files: readonly DataFileMeta[] | undefined) => files?.map((f) => f.fileName);

describe('append compaction pickers (Paimon BucketedAppendCompactManager, AppendCompactCoordinator)', () => {
  it('a fixed bucket: the first compaction.min.file-num files in sequence order within twice the target', () => {
    const o = opts();
    // Out of order on input: picked by minSequenceNumber.
    const small = [4, 0, 2, 1, 3].map((i) => file(`s${i}`, MB, i * 10));
    expect(names(pickBucketedAppend(small, o, false))).toEqual(['s0', 's1', 's2', 's3', 's4']);
    expect(pickBucketedAppend(small.slice(0, 4), o, false)).toBeUndefined();
    // A window whose size reaches twice the target drops its oldest file and slides on.
    const big = [
      file('b0', 150 * MB, 0),
      file('b1', 60 * MB, 10),
      ...[2, 3, 4, 5, 6].map((i) => file(`s${i}`, MB, i * 10)),
    ];
    expect(names(pickBucketedAppend(big, o, false))).toEqual(['b1', 's2', 's3', 's4', 's5']);
    expect(names(pickBucketedAppend(big, opts({ 'compaction.min.file-num': '2' }), false))).toEqual(['b0', 'b1']);
  });

  it('a fixed bucket, full: all but the leading large files, when small files outnumber large ones (at least 3)', () => {
    const o = opts(); // small below 70 MB
    const files = [
      file('L0', 80 * MB, 0),
      file('s1', MB, 10),
      file('L2', 90 * MB, 20),
      file('s3', MB, 30),
      file('s4', MB, 40),
    ];
    expect(names(pickBucketedAppend(files, o, true))).toEqual(['s1', 'L2', 's3', 's4']);
    // Two small after the leading large file, one large: 2 > 1 but fewer than 3 files left... 3 left: picked.
    expect(names(pickBucketedAppend(files.slice(0, 4), o, true))).toEqual(['s1', 'L2', 's3']);
    // As many large as small files: nothing.
    expect(
      pickBucketedAppend(
        [file('s0', MB, 0), file('L1', 80 * MB, 10), file('L2', 80 * MB, 20), file('s3', MB, 30)],
        o,
        true,
      ),
    ).toBeUndefined();
    expect(pickBucketedAppend([file('s0', MB, 0), file('s1', MB, 10)], o, true)).toBeUndefined();
    const force = opts({ 'compaction.force-rewrite-all-files': 'true' });
    expect(names(pickBucketedAppend([file('L0', 80 * MB, 0)], force, true))).toEqual(['L0']);
  });

  it('bucket -1: small files packed smallest first into bins of twice the target, a last bin of min.file-num', () => {
    const o = opts({ 'source.split.open-file-cost': '0 b' });
    const files = [
      file('a', 60 * MB, 0),
      file('b', 50 * MB, 1),
      file('c', 40 * MB, 2),
      file('d', 30 * MB, 3),
      file('L', 70 * MB, 4),
    ];
    // 30+40+50+60 = 180 < 200: one bin of 4 files, below min.file-num 5: nothing.
    expect(packUnawareAppend(files, o)).toEqual([]);
    expect(
      packUnawareAppend(files, opts({ 'source.split.open-file-cost': '0 b', 'compaction.min.file-num': '4' })).map(
        names,
      ),
    ).toEqual([['d', 'c', 'b', 'a']]);
    // The open-file cost counts per file: 4 files of 30-60 MB + 4·10 MB reach 200 MB.
    expect(packUnawareAppend(files, opts({ 'source.split.open-file-cost': '10 mb' })).map(names)).toEqual([
      ['d', 'c', 'b', 'a'],
    ]);
    const many = Array.from({ length: 12 }, (_, i) => file(`f${i}`, MB, i));
    expect(packUnawareAppend(many, opts()).map((g) => g.length)).toEqual([12]);
  });

  it('picks are always consecutive in sequence order and of min.file-num files (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 300 }), { maxLength: 30 }),
        fc.integer({ min: 2, max: 6 }),
        (sizes, min) => {
          const files = sizes.map((s, i) => file(`f${i}`, s * MB, i * 100));
          const o = opts({ 'compaction.min.file-num': String(min) });
          const p = pickBucketedAppend(files, o, false);
          if (p === undefined) return;
          expect(p.length).toBe(min);
          const first = files.findIndex((f) => f.fileName === p[0].fileName);
          expect(names(p)).toEqual(names(files.slice(first, first + min)));
          // Without the last file, the window stayed under twice the target.
          expect(p.slice(0, -1).reduce((s, f) => s + f.fileSize, 0)).toBeLessThan(200 * MB);
        },
      ),
    );
  });
});

type Row = { dt: string; id: number; s: string | null };

async function liveFiles(t: Table): Promise<DataFileMeta[]> {
  return (await t.plan()).splits.flatMap((s) => [...s.files]);
}

const sorted = (rows: readonly Record<string, unknown>[]) => rows.map((r) => JSON.stringify(r)).sort();

describe('append table compaction', () => {
  it('bucket -1, partitioned: small files of each partition become one file; rows, time travel and sequence numbers kept', async () => {
    using d = tempDir();
    const t = await (await Catalog.open(d.path)).createTable('db.t', {
      columns: { dt: 'STRING', id: 'INT', s: 'STRING' },
      partitionKeys: ['dt'],
      options: { bucket: -1, 'write-only': true },
    });
    const all: Row[] = [];
    for (let c = 0; c < 6; c++) {
      const rows = Array.from({ length: 20 }, (_, i) => ({
        dt: i % 2 ? 'a' : 'b',
        id: c * 100 + (i % 7),
        s: i % 5 ? `s${c}-${i}` : null,
      }));
      await t.upsert(rows);
      all.push(...rows);
    }
    const beforeId = (await t.latestSnapshot())!.id;
    expect((await liveFiles(t)).length).toBe(12);
    const r = await t.compact();
    expect(r.snapshot?.commitKind).toBe('COMPACT');
    expect(r).toMatchObject({ buckets: 2, filesIn: 12, filesOut: 2, rowsIn: 120, rowsOut: 120 });
    const files = await liveFiles(t);
    expect(files.length).toBe(2);
    for (const f of files) {
      expect(f.fileSource).toBe(1);
      expect(f.level).toBe(0);
      expect(f.maxSequenceNumber - f.minSequenceNumber + 1n).toBe(BigInt(f.rowCount));
    }
    expect(sorted(await t.toArray())).toEqual(sorted(all));
    expect(sorted(await t.toArray({ snapshotId: beforeId }))).toEqual(sorted(all));
    // Nothing left to compact: no snapshot.
    expect((await t.compact()).snapshot).toBeUndefined();
    expect((await t.bucketHealth()).some((h) => h.needsCompaction)).toBe(false);
  });

  it('fixed buckets: compacting after every commit keeps each bucket under compaction.min.file-num files, in sequence order', async () => {
    using d = tempDir();
    const t = await (await Catalog.open(d.path)).createTable('db.t', {
      columns: { k: 'STRING', v: 'INT' },
      options: { bucket: 2, 'bucket-key': 'k', 'compaction.min.file-num': 3 },
    });
    const all: { k: string; v: number }[] = [];
    for (let c = 0; c < 7; c++) {
      const rows = Array.from({ length: 10 }, (_, i) => ({ k: `k${i}`, v: c * 10 + i }));
      await t.upsert(rows);
      await t.compact();
      all.push(...rows);
      // Each bucket holds at most min.file-num - 1 files after a commit and a compaction.
      const perBucket = new Map<number, number>();
      for (const s of (await t.plan()).splits) perBucket.set(s.bucket, s.files.length);
      for (const n of perBucket.values()) expect(n).toBeLessThan(3);
    }
    const kinds = (await t.listSnapshots()).map((s) => s.commitKind);
    expect(kinds.filter((k) => k === 'COMPACT').length).toBeGreaterThan(0);
    expect(sorted(await t.toArray())).toEqual(sorted(all));
    // Rows keep their order within a bucket: sequence numbers of a bucket's files do not overlap.
    for (const s of (await t.plan()).splits) {
      const fs = [...s.files].sort((a, b) => Number(a.minSequenceNumber - b.minSequenceNumber));
      for (let i = 1; i < fs.length; i++) expect(fs[i].minSequenceNumber).toBeGreaterThan(fs[i - 1].maxSequenceNumber);
    }
  });

  it('a compaction aborted after writing an output commits nothing and leaves no file behind', async () => {
    using d = tempDir();
    const ac = new AbortController();
    // Aborts once the compaction wrote its first data file.
    class AbortAfterWrite extends LocalFileIO {
      armed = false;
      override async write(p: string, data: Uint8Array | string): Promise<void> {
        await super.write(p, data);
        if (this.armed && p.endsWith('.parquet')) ac.abort(new Error('stop'));
      }
    }
    const io = new AbortAfterWrite();
    const t = await (await Catalog.open(d.path, { fileIO: io })).createTable('db.t', {
      columns: { id: 'INT' },
      // Every input its own output (the target is one byte): several outputs.
      options: {
        bucket: 1,
        'bucket-key': 'id',
        'write-only': true,
        'target-file-size': '1 b',
        'compaction.force-rewrite-all-files': true,
      },
    });
    for (let c = 0; c < 4; c++) await t.upsert([{ id: c }]);
    const files = (await liveFiles(t)).map((f) => f.fileName).sort();
    io.armed = true;
    await expect(t.compact({ full: true, signal: ac.signal })).rejects.toThrow('stop');
    expect(readdirSync(`${d.path}/db.db/t/bucket-0`).sort()).toEqual(files);
    expect((await t.latestSnapshot())!.commitKind).toBe('APPEND');
    expect((await t.toArray()).length).toBe(4);
  });

  it('files of an older schema are rewritten in the current one (the added column null)', async () => {
    using d = tempDir();
    const t = await (await Catalog.open(d.path)).createTable('db.t', {
      columns: { id: 'INT' },
      options: { bucket: -1, 'write-only': true, 'compaction.min.file-num': 2 },
    });
    await t.upsert([{ id: 1 }]);
    await t.upsert([{ id: 2 }]);
    await t.alter({ kind: 'addColumn', name: 'x', type: 'STRING' });
    await (await (await Catalog.open(d.path)).getTable('db.t')).upsert([{ id: 3, x: 'three' }]);
    const r = await t.compact();
    expect(r.filesIn).toBe(3);
    expect((await liveFiles(t)).every((f) => f.schemaId === t.schema.id)).toBe(true);
    expect(sorted(await t.toArray())).toEqual(
      sorted([
        { id: 1, x: null },
        { id: 2, x: null },
        { id: 3, x: 'three' },
      ]),
    );
  });

  it('random appends and compactions keep every row exactly once and the files bounded (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(-1, 2),
        fc.array(
          fc.oneof(
            {
              weight: 4,
              arbitrary: fc.record({ t: fc.constant('write' as const), n: fc.integer({ min: 1, max: 300 }) }),
            },
            { weight: 1, arbitrary: fc.record({ t: fc.constant('compact' as const), full: fc.boolean() }) },
          ),
          { minLength: 1, maxLength: 12 },
        ),
        async (bucket, ops) => {
          using d = tempDir();
          const t = await (await Catalog.open(d.path)).createTable('db.t', {
            columns: { id: 'INT', s: 'STRING' },
            // Tiny files: outputs roll, and some inputs are large.
            options: {
              bucket,
              ...(bucket > 0 ? { 'bucket-key': 'id' } : {}),
              'target-file-size': '2 kb',
              'compaction.min.file-num': 3,
            },
          });
          const model: string[] = [];
          let next = 0;
          for (const op of ops) {
            if (op.t === 'write') {
              const rows = Array.from({ length: op.n }, () => ({ id: next, s: `row ${next++}` }));
              await t.upsert(rows);
              model.push(...rows.map((r) => JSON.stringify(r)));
            } else await t.compact({ full: op.full });
            expect(sorted(await t.toArray())).toEqual([...model].sort());
          }
          for (const f of await liveFiles(t))
            expect(f.maxSequenceNumber - f.minSequenceNumber + 1n).toBe(BigInt(f.rowCount));
          // The change feed skips COMPACT snapshots: its replay is every row once, as +I.
          const latest = await t.latestSnapshot();
          const replay: string[] = [];
          if (latest)
            for await (const e of t.changesBetween(0, latest.id)) {
              expect(e.kind).toBe('+I');
              replay.push(JSON.stringify(e.row));
            }
          expect(replay.sort()).toEqual([...model].sort());
        },
      ),
      { numRuns: 8 },
    );
  });
});
