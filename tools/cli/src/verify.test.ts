/**
 * `eddy verify` on hostile metadata (issue 16): paths outside the table, consumer files and schema
 * sanity are reported (exit code 2), never followed.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Catalog, type Table } from '@eddy/table';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serializeBinaryRow } from '../../../packages/table/src/format/binary-row.ts';
import { decodeManifest, encodeManifest } from '../../../packages/table/src/format/manifest.ts';
import { decodeManifestList, encodeManifestList } from '../../../packages/table/src/format/manifest-list.ts';
import type { DataType } from '../../../packages/table/src/types/data-types.ts';
import { binEnv } from '../../../test/bin-env.ts';

const BIN = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'eddy.js');

function eddy(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env = binEnv({ EDDY_PROGRESS: 'off' });
    delete env.EDDY_WAREHOUSE;
    const child = spawn(process.execPath, [BIN, ...args], { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

interface Doc {
  ok: boolean;
  warnings: { path: string; warning: string }[];
  schemas: number;
  consumers: number;
  problems: { snapshot: number | null; path: string; problem: string }[];
}
const verify = async (w: string) => {
  const r = await eddy(['-w', w, '--json', 'verify', 'db.t']);
  return { code: r.code, doc: (r.stdout.trim() ? JSON.parse(r.stdout) : undefined) as Doc, stderr: r.stderr };
};

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'eddy-verify-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function table(name: string): Promise<{ w: string; t: Table }> {
  const w = path.join(tmp, name);
  const t = await (await Catalog.open(w)).createTable('db.t', {
    columns: { k: 'INT', v: 'STRING' },
    primaryKey: ['k'],
    options: { bucket: 1 },
  });
  for (let i = 0; i < 3; i++) await t.upsert([{ k: i, v: `v${i}` }]);
  return { w, t };
}

describe('eddy verify on hostile metadata', () => {
  it('a clean table: OK, schemas and consumers counted', async () => {
    const { w, t } = await table('clean');
    for await (const _ of t.changes({ consumerId: 'c1', endSnapshotId: 3 })) {
    }
    const { code, doc } = await verify(w);
    expect(doc.problems).toEqual([]);
    expect(code).toBe(0);
    expect(doc).toMatchObject({ ok: true, schemas: 1, consumers: 1 });
  });

  it('a manifest entry whose _EXTERNAL_PATH is outside the table: reported, the outside file untouched', async () => {
    const { w, t } = await table('outside');
    const outside = path.join(tmp, 'outside.parquet');
    writeFileSync(outside, 'not to be read');
    const s = (await t.latestSnapshot())!;
    const list = await t.manifests.readManifestList(s.deltaManifestList);
    const manifest = t.manifests.path(list[0].fileName);
    const entries = await decodeManifest(readFileSync(manifest), manifest);
    for (const e of entries) (e.file as { externalPath: string | null }).externalPath = outside;
    writeFileSync(manifest, await encodeManifest(entries, 'zstandard'));
    const { code, doc } = await verify(w);
    expect(code).toBe(2);
    expect(doc.problems).toContainEqual(
      expect.objectContaining({
        path: manifest,
        problem: expect.stringMatching(/_EXTERNAL_PATH of data-.* ".*outside\.parquet" is outside the table/),
      }),
    );
    expect(readFileSync(outside, 'utf8')).toBe('not to be read');
  });

  it('consumer files: garbage, a position past LATEST + 1 and a bad id are reported', async () => {
    const { w, t } = await table('consumers');
    const dir = path.join(t.path, 'consumer');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'consumer-garbage'), '{nope');
    writeFileSync(path.join(dir, 'consumer-ahead'), JSON.stringify({ nextSnapshot: 99 }));
    writeFileSync(path.join(dir, 'consumer-zero'), JSON.stringify({ nextSnapshot: 0 }));
    writeFileSync(path.join(dir, 'consumer-ok'), JSON.stringify({ nextSnapshot: 4 }));
    writeFileSync(path.join(dir, 'consumer-a b'), JSON.stringify({ nextSnapshot: 2 }));
    const { code, doc } = await verify(w);
    expect(code).toBe(2);
    const by = (n: string) => doc.problems.filter((p) => p.path === path.join(dir, n)).map((p) => p.problem);
    expect(by('consumer-garbage')).toEqual(['not valid JSON']);
    expect(by('consumer-ahead')).toEqual(['nextSnapshot 99 is past LATEST + 1 (4)']);
    expect(by('consumer-zero')).toEqual(['nextSnapshot must be a positive integer, got 0']);
    expect(by('consumer-ok')).toEqual([]);
    expect(by('consumer-a b')).toEqual(["consumer id 'a b' is not 1-128 letters, digits, '_', '.', '-'"]);
    expect(doc.consumers).toBe(2);
  });

  it('schema sanity: a field id used twice, beyond highestFieldId, or highestFieldId going down', async () => {
    const { w, t } = await table('schemas');
    await t.alter({ kind: 'addColumn', name: 'x', type: 'INT' });
    const s0 = path.join(t.path, 'schema', 'schema-0');
    const s1 = path.join(t.path, 'schema', 'schema-1');
    const o1 = JSON.parse(readFileSync(s1, 'utf8'));
    o1.fields[2].id = 77;
    o1.highestFieldId = 0;
    writeFileSync(s1, JSON.stringify(o1));
    const { code, doc } = await verify(w);
    expect(code).toBe(2);
    const by = (p: string) => doc.problems.filter((x) => x.path === p).map((x) => x.problem);
    expect(by(s0)).toEqual([]);
    expect(by(s1)).toEqual(
      expect.arrayContaining([
        "column 'v' has field id 1, outside 0..highestFieldId 0",
        "column 'x' has field id 77, outside 0..highestFieldId 0",
        "highestFieldId 0 is below an earlier schema's 1",
      ]),
    );

    // Two columns with one id would read each other's data: such a schema does not load at all.
    const dup = await table('schemas-dup');
    const d0 = path.join(dup.t.path, 'schema', 'schema-0');
    const o0 = JSON.parse(readFileSync(d0, 'utf8'));
    o0.fields[1].id = o0.fields[0].id;
    writeFileSync(d0, JSON.stringify(o0));
    const r = await verify(dup.w);
    expect(r.code).not.toBe(0);
    expect(`${r.stderr}${JSON.stringify(r.doc ?? {})}`).toMatch(/columns 'k' and 'v' have the same field id 0/);
  });

  it('checks the extra index files data files list: present is ok, a missing one is reported', async () => {
    const w = path.join(tmp, 'file-index');
    const t = await (await Catalog.open(w)).createTable('db.t', {
      columns: { k: 'INT', v: 'STRING' },
      primaryKey: ['k'],
      options: { bucket: 1, 'file-index.bloom-filter.columns': 'v', 'file-index.in-manifest-threshold': '1 b' },
    });
    await t.upsert([{ k: 1, v: 'a' }]);
    const ok = await verify(w);
    expect(ok.code).toBe(0);
    const plan = await t.plan();
    const f = plan.splits[0].files[0];
    expect(f.extraFiles).toEqual([`${f.fileName}.index`]);
    const index = path.join(t.path, 'bucket-0', f.extraFiles[0]);
    rmSync(index);
    const { code, doc } = await verify(w);
    expect(code).toBe(2);
    expect(doc.problems.map((x) => x.path)).toContain(index);
  });

  it('warns (without failing) about min/max stats on a binary column, which Paimon Java compares differently', async () => {
    const w = path.join(tmp, 'binary-stats');
    const t = await (await Catalog.open(w)).createTable('db.t', {
      columns: { k: 'INT', b: 'BYTES' },
      primaryKey: ['k'],
      options: { bucket: 1 },
    });
    await t.upsert([{ k: 1, b: new Uint8Array([0x7f]) }]);
    await t.upsert([{ k: 2, b: new Uint8Array([0x80]) }]);
    // Files Eddy writes now carry no binary min/max, as Paimon's: no warning.
    const clean = await verify(w);
    expect(clean.code).toBe(0);
    expect(clean.doc.warnings).toEqual([]);
    // Give every data file the stats older Eddy versions wrote (unsigned order), and keep the sizes
    // that manifest lists and snapshots record for what they name.
    const types = [
      { root: 'INT', nullable: true },
      { root: 'VARBINARY', nullable: true, length: 2147483647 },
    ] as DataType[];
    const dir = path.join(t.path, 'manifest');
    const sizes = new Map<string, number>();
    for (const name of readdirSync(dir).filter((n) => /^manifest-(?!list-)/.test(n))) {
      const manifest = path.join(dir, name);
      const entries = await decodeManifest(readFileSync(manifest), manifest);
      for (const e of entries) {
        const stats = e.file.valueStats as { minValues: Uint8Array; maxValues: Uint8Array };
        stats.minValues = serializeBinaryRow(types, [1, new Uint8Array([0x7f])]);
        stats.maxValues = serializeBinaryRow(types, [2, new Uint8Array([0x80])]);
      }
      const bytes = await encodeManifest(entries, 'zstandard');
      writeFileSync(manifest, bytes);
      sizes.set(name, bytes.length);
    }
    const listSizes = new Map<string, number>();
    for (const name of readdirSync(dir).filter((n) => n.startsWith('manifest-list-'))) {
      const list = path.join(dir, name);
      const metas = (await decodeManifestList(readFileSync(list), list)).map((m) => ({
        ...m,
        fileSize: sizes.get(m.fileName) ?? m.fileSize,
      }));
      const bytes = await encodeManifestList(metas, 'zstandard');
      writeFileSync(list, bytes);
      listSizes.set(name, bytes.length);
    }
    for (const id of [1, 2]) {
      const file = path.join(t.path, 'snapshot', `snapshot-${id}`);
      const snap = JSON.parse(readFileSync(file, 'utf8'));
      for (const k of ['baseManifestList', 'deltaManifestList'])
        if (snap[`${k}Size`] !== undefined) snap[`${k}Size`] = listSizes.get(snap[k]);
      writeFileSync(file, JSON.stringify(snap));
    }
    const { code, doc } = await verify(w);
    expect(doc.problems).toEqual([]);
    expect(code).toBe(0);
    expect(doc.warnings).toHaveLength(1);
    expect(doc.warnings[0].warning).toMatch(/2 live data files carry min\/max stats on binary column 'b'/);
  });
});
