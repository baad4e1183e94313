/**
 * The stream suite's census of a table: files on disk against the files its retained snapshots
 * reference, live data files, and the cost of planning a scan from a cold table handle. It runs in
 * a child process of its own (`bin/child.js census`, one JSON line per line read on stdin), so its
 * listing, planning and manifest reads never stall the writers' event loop it measures.
 */
import { Catalog, type FileIO, fileIOForWarehouse } from '@eddy/table';
import { inspect } from '@eddy/table/inspect';
import { CountingFileIO } from './counting-io.ts';

/** Every regular file under `dir` (temp files of an in-flight write included: they are on disk). */
async function filesUnder(io: FileIO, dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const f of await io.list(dir)) {
    if (f.isDirectory) out.push(...(await filesUnder(io, f.path)));
    else out.push(f.path);
  }
  return out;
}

export interface Census {
  filesOnDisk: number;
  dataFilesOnDisk: number;
  manifestFilesOnDisk: number;
  snapshotsOnDisk: number;
  liveDataFiles: number;
  /** The most files a reader of one retained snapshot needs: its data files, manifests, manifest lists and itself. */
  liveFiles: number;
  planMs: number;
  planBytes: number;
  planRequests: number;
  /** Files no retained snapshot, tag or changelog references (what orphan cleanup would remove now). */
  unreferenced: number;
  /** Files some retained snapshot, tag, schema or hint needs: files on disk less the unreferenced ones. */
  referenced: number;
}

/** Files on disk vs live files, and the cost of planning a scan from a cold table handle (best of 3). */
export async function census(wh: string, name: string): Promise<Census> {
  const lister = await fileIOForWarehouse(wh);
  const setup = await Catalog.open(wh, { fileIO: lister });
  const dir = (await setup.getTable(`bench.${name}`)).path;
  const files = await filesUnder(lister, dir);
  await lister.close?.();
  const rel = files.map((f) => f.slice(dir.length + 1));
  let planMs = Number.POSITIVE_INFINITY;
  let planBytes = 0;
  let planRequests = 0;
  let live = 0;
  let liveFiles = 0;
  let unreferenced = 0;
  for (let i = 0; i < 3; i++) {
    const io = new CountingFileIO(await fileIOForWarehouse(wh));
    const cat = await Catalog.open(wh, { fileIO: io });
    const t = await cat.getTable(`bench.${name}`);
    const before = io.total();
    const bytes0 = io.bytesRead;
    const t0 = performance.now();
    const plan = await t.plan();
    const ms = performance.now() - t0;
    if (ms < planMs) {
      planMs = ms;
      planBytes = io.bytesRead - bytes0;
      planRequests = io.total() - before;
    }
    live = plan.splits.reduce((n, s) => n + s.files.length, 0);
    if (i === 0) {
      unreferenced = (await t.removeOrphanFiles({ olderThanMs: 0, dryRun: true })).orphans.length;
      // The most any retained snapshot needs (right after a compaction, the one before it needs
      // the replaced files; min-retained keeps it).
      const ins = inspect(t);
      for (const id of await ins.listSnapshotIds()) {
        const s = await ins.snapshot(id).catch(() => undefined); // expired meanwhile
        if (!s) continue;
        const lists = [s.baseManifestList, s.deltaManifestList];
        let manifests = 0;
        for (const l of lists) manifests += (await ins.readManifestList(l)).length;
        liveFiles = Math.max(liveFiles, (await ins.liveFiles(s)).length + manifests + lists.length + 1);
      }
    }
    await cat.close();
    await io.close?.();
  }
  return {
    filesOnDisk: files.length,
    dataFilesOnDisk: rel.filter((f) => f.startsWith('bucket-') || /^[^/]+=[^/]*\//.test(f)).length,
    manifestFilesOnDisk: rel.filter((f) => f.startsWith('manifest/')).length,
    snapshotsOnDisk: rel.filter((f) => /^snapshot\/snapshot-\d+$/.test(f)).length,
    liveDataFiles: live,
    liveFiles,
    planMs,
    planBytes,
    planRequests,
    unreferenced,
    // From two listings a few ms apart: a commit or an expiry in between moves it by a few files.
    referenced: Math.max(1, files.length - unreferenced),
  };
}
