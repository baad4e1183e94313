/**
 * `eddy verify db.t`: an fsck. Every snapshot from EARLIEST to LATEST must exist and parse, and name
 * a schema that exists; every manifest list, manifest, index manifest, index file and data file it
 * names must exist with the size recorded for it; manifests must merge (no file added twice, none
 * deleted that was never added) and the record counts must add up to the snapshot's. Then some
 * data files (`--sample N` of the latest snapshot, every file with `--deep`) are read back: their
 * row count, key range, sequence range and null counts must match the manifest. Every schema file
 * must parse and be sane (unique field ids within highestFieldId, which never decreases), every
 * consumer file must parse with a position at most LATEST + 1, and every path metadata names must
 * be inside the table (or a `data-file.external-paths` root). Exit code 2 and a list when anything
 * is wrong. Warnings, which do not fail verify, name hazards for engines sharing the table (min/max
 * stats on binary columns, which older Eddy versions wrote).
 */
import type { DataType, Snapshot, Table, TableSchema } from '@eddy/table';
import {
  arrowToColumn,
  columnValue,
  compareValues,
  type DataFileMeta,
  decodeConsumer,
  deserializeBinaryRow,
  FileKind,
  type InternalValue,
  inspect,
  type ManifestEntry,
  type ManifestFileMeta,
  mergeManifestEntries,
  readParquet,
  type TableInspector,
} from '@eddy/table/inspect';
import { type GlobalOptions, openTable, outputMode, parseInteger, printDocument, setExitCode } from './context.ts';
import { humanBytes, humanCount, plural } from './format.ts';
import { Progress } from './progress.ts';

export interface Problem {
  readonly snapshot: number | null;
  readonly path: string;
  readonly problem: string;
}

export interface VerifyOptions {
  deep?: boolean;
  sample?: string;
}

type FileState = 'ok' | 'damaged' | 'missing';

/** Runs `fn` over `items` with at most `limit` calls in flight. */
async function forEachLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

interface LiveFile {
  readonly path: string;
  readonly entry: ManifestEntry;
  readonly snapshot: number;
}

class Verifier {
  readonly problems: Problem[] = [];
  /** Not damage, but a hazard for other engines sharing the table; listed without failing verify. */
  readonly warnings: { path: string; warning: string }[] = [];
  /** Binary column → live files whose stats give it a min/max (see binaryStats). */
  private readonly binaryStatFiles = new Map<string, string[]>();
  readonly counts = {
    snapshots: 0,
    manifestLists: 0,
    manifests: 0,
    indexManifests: 0,
    indexFiles: 0,
    dataFiles: 0,
    changelogFiles: 0,
    /** Long-lived changelogs (`changelog/changelog-N`) checked. */
    changelogs: 0,
    bytes: 0,
    filesReadBack: 0,
    schemas: 0,
    consumers: 0,
  };
  /** Path → what was found (each file is checked and reported once). */
  private readonly files = new Map<string, FileState>();
  private readonly manifests = new Map<string, ManifestEntry[] | undefined>();
  private readonly unparseable = new Set<string>();
  /** Index manifests already checked (consecutive snapshots usually share one). */
  private readonly indexManifests = new Set<string>();
  /** Distinct live data files of any snapshot (for --deep), by path. */
  readonly live = new Map<string, LiveFile>();
  /** Intact live data files per snapshot (only the latest is kept). */
  readonly liveBySnapshot = new Map<number, LiveFile[]>();
  private readonly meta: TableInspector;

  constructor(private readonly table: Table) {
    this.meta = inspect(table);
  }

  report(snapshot: number | null, path: string, problem: string): void {
    // SDK error messages name the path already: it is listed once, in front.
    const p = problem.split(`${path}: `).join('');
    this.problems.push({ snapshot, path, problem: p });
  }

  /**
   * Whether `path` exists (`missing` otherwise) with `size` bytes when known (`damaged` otherwise);
   * each file is checked and reported once.
   */
  async checkFile(
    snapshot: number,
    path: string,
    what: string,
    size: number | null | undefined,
    counter: keyof Verifier['counts'] | undefined,
  ): Promise<FileState> {
    const known = this.files.get(path);
    if (known !== undefined) return known;
    let state: FileState = 'missing';
    try {
      const st = await this.table.io.stat(path);
      if (!st) this.report(snapshot, path, `${what} is missing`);
      else {
        this.counts.bytes += st.size;
        if (counter) this.counts[counter]++;
        if (size !== null && size !== undefined && st.size !== size) {
          this.report(snapshot, path, `${what} has ${st.size} bytes, the metadata says ${size}`);
          state = 'damaged';
        } else state = 'ok';
      }
    } catch (e) {
      this.report(snapshot, path, `${what} cannot be read: ${message(e)}`);
    }
    this.files.set(path, state);
    return state;
  }

  /**
   * Entries of the manifests of one manifest list; `complete` is false when the list or one of its
   * manifests could not be read (the entries then are those of the readable manifests).
   */
  async listEntries(
    snapshot: number,
    name: string,
    recordedSize: number | null | undefined,
  ): Promise<{ entries: ManifestEntry[]; complete: boolean }> {
    const m = this.meta;
    const listPath = m.manifestPath(name);
    const state = await this.checkFile(snapshot, listPath, 'manifest list', recordedSize, 'manifestLists');
    if (state === 'missing') return { entries: [], complete: false };
    let metas: ManifestFileMeta[];
    try {
      metas = await m.readManifestList(name);
    } catch (e) {
      if (!this.unparseable.has(listPath))
        this.report(snapshot, listPath, `manifest list does not parse: ${message(e)}`);
      this.unparseable.add(listPath);
      return { entries: [], complete: false };
    }
    const entries: ManifestEntry[] = [];
    let complete = true;
    for (const meta of metas) {
      const list = await this.manifest(snapshot, meta);
      if (list === undefined) complete = false;
      else entries.push(...list);
    }
    return { entries, complete };
  }

  private async manifest(snapshot: number, meta: ManifestFileMeta): Promise<ManifestEntry[] | undefined> {
    if (this.manifests.has(meta.fileName)) return this.manifests.get(meta.fileName);
    const path = this.meta.manifestPath(meta.fileName);
    let entries: ManifestEntry[] | undefined;
    if ((await this.checkFile(snapshot, path, 'manifest', meta.fileSize, 'manifests')) !== 'missing') {
      try {
        entries = await this.meta.readManifest(meta.fileName);
        const added = entries.filter((e) => e.kind === FileKind.ADD).length;
        const deleted = entries.length - added;
        if (added !== meta.numAddedFiles || deleted !== meta.numDeletedFiles)
          this.report(
            snapshot,
            path,
            `manifest holds ${added} added and ${deleted} deleted files, the manifest list says ${meta.numAddedFiles} and ${meta.numDeletedFiles}`,
          );
      } catch (e) {
        this.report(snapshot, path, `manifest does not parse: ${message(e)}`);
      }
    }
    this.manifests.set(meta.fileName, entries);
    return entries;
  }

  /** The path of an entry's file (an external path is confined to the table's roots, else CORRUPT_FILE). */
  filePath(e: ManifestEntry): string {
    return this.meta.dataFilePath(e);
  }

  async snapshot(id: number): Promise<Snapshot | undefined> {
    const t = this.meta;
    const path = t.snapshotPath(id);
    let s: Snapshot;
    try {
      s = await t.snapshot(id);
    } catch (e) {
      this.report(id, path, message(e));
      return undefined;
    }
    this.counts.snapshots++;
    try {
      await t.schema(s.schemaId);
    } catch (e) {
      this.report(id, path, `its schema ${s.schemaId} cannot be read: ${message(e)}`);
    }
    const base = await this.listEntries(id, s.baseManifestList, s.baseManifestListSize);
    const delta = await this.listEntries(id, s.deltaManifestList, s.deltaManifestListSize);
    // With a manifest missing, the live set is partial: check the files it has, skip the totals.
    const complete = base.complete && delta.complete;
    let live: ManifestEntry[] | undefined;
    try {
      live = mergeManifestEntries([...base.entries, ...delta.entries]);
    } catch (e) {
      this.report(id, path, message(e));
    }
    if (live) {
      let records = 0;
      const intact: LiveFile[] = [];
      this.liveBySnapshot.clear();
      this.liveBySnapshot.set(id, intact);
      const added: ManifestEntry[] = [];
      for (const e of live) {
        if (e.kind === FileKind.ADD) added.push(e);
        else if (complete) this.report(id, path, `file ${e.file.fileName} is deleted but was never added`);
      }
      // Files are checked 16 at a time (on S3 each check is a request).
      await forEachLimit(added, 16, async (e) => {
        records += e.file.rowCount;
        const fp = this.filePath(e);
        if ((await this.checkFile(id, fp, 'data file', e.file.fileSize, 'dataFiles')) === 'ok') {
          const f = this.live.get(fp) ?? { path: fp, entry: e, snapshot: id };
          this.live.set(fp, f);
          intact.push(f);
        }
        for (const x of this.meta.extraFilePaths(e)) await this.checkFile(id, x, 'extra file', null, undefined);
      });
      if (complete && records !== s.totalRecordCount)
        this.report(id, path, `totalRecordCount is ${s.totalRecordCount} but its live files hold ${records} records`);
    }
    if (s.changelogManifestList) {
      const changelog = await this.listEntries(id, s.changelogManifestList, s.changelogManifestListSize);
      await forEachLimit(
        changelog.entries.filter((e) => e.kind === FileKind.ADD),
        16,
        async (e) => {
          await this.checkFile(id, this.filePath(e), 'changelog file', e.file.fileSize, 'changelogFiles');
        },
      );
    }
    if (s.indexManifest) {
      const ip = t.manifestPath(s.indexManifest);
      if ((await this.checkFile(id, ip, 'index manifest', null, 'indexManifests')) === 'ok') {
        if (!this.indexManifests.has(s.indexManifest)) {
          this.indexManifests.add(s.indexManifest);
          try {
            for (const e of await t.readIndexManifest(s.indexManifest)) {
              if (e.kind !== FileKind.ADD) continue;
              const p = t.indexFilePath(e);
              await this.checkFile(id, p, `${e.indexType} index file`, e.fileSize, 'indexFiles');
            }
          } catch (e) {
            this.report(id, ip, `index manifest does not parse: ${message(e)}`);
          }
        }
      }
    }
    return s;
  }

  /**
   * A long-lived changelog (`changelog/changelog-N`): it parses, and what a change feed reads from
   * it exists — its changelog manifest list and files (with a changelog producer), else, for an
   * APPEND commit, its delta list and the files it added. Base and delta lists of a producer's
   * changelog are gone by design (snapshot expiry deletes them).
   */
  async changelog(meta: TableInspector, id: number): Promise<void> {
    const path = meta.changelogPath(id);
    let c: Snapshot | undefined;
    try {
      c = await meta.changelog(id);
    } catch (e) {
      this.report(id, path, message(e));
      return;
    }
    if (!c) return; // expired meanwhile
    this.counts.changelogs++;
    const list = c.changelogManifestList ?? (c.commitKind === 'APPEND' ? c.deltaManifestList : undefined);
    if (!list) return;
    const size = c.changelogManifestList ? c.changelogManifestListSize : c.deltaManifestListSize;
    const { entries } = await this.listEntries(id, list, size);
    await forEachLimit(
      entries.filter((e) => e.kind === FileKind.ADD),
      16,
      async (e) => {
        await this.checkFile(id, this.filePath(e), 'changelog file', e.file.fileSize, 'changelogFiles');
      },
    );
  }

  /** Every schema file parses; field ids are unique and within highestFieldId, which never decreases. */
  async schemas(): Promise<void> {
    const meta = this.meta;
    let highest = -1;
    for (const id of await meta.listSchemaIds()) {
      const path = meta.schemaPath(id);
      let s: TableSchema;
      try {
        s = await meta.schema(id);
      } catch (e) {
        this.report(null, path, `schema ${id} cannot be read: ${message(e)}`);
        continue;
      }
      this.counts.schemas++;
      const ids = new Set<number>();
      for (const f of s.fields) {
        if (ids.has(f.id)) this.report(null, path, `field id ${f.id} is used twice (column '${f.name}')`);
        ids.add(f.id);
        if (f.id < 0 || f.id > s.highestFieldId)
          this.report(
            null,
            path,
            `column '${f.name}' has field id ${f.id}, outside 0..highestFieldId ${s.highestFieldId}`,
          );
      }
      if (s.highestFieldId < highest)
        this.report(null, path, `highestFieldId ${s.highestFieldId} is below an earlier schema's ${highest}`);
      highest = Math.max(highest, s.highestFieldId);
    }
  }

  /** Every consumer file (`consumer/consumer-<id>`) parses, with a position at most LATEST + 1. */
  async consumers(latest: number | undefined): Promise<void> {
    const io = this.table.io;
    for (const f of await io.list(`${this.table.path}/consumer`)) {
      const name = f.path.slice(f.path.lastIndexOf('/') + 1);
      if (f.isDirectory || !name.startsWith('consumer-')) continue;
      const id = name.slice('consumer-'.length);
      if (!/^[A-Za-z0-9_.-]{1,128}$/.test(id)) {
        this.report(null, f.path, `consumer id '${id}' is not 1-128 letters, digits, '_', '.', '-'`);
        continue;
      }
      let next: number;
      try {
        next = decodeConsumer(new TextDecoder().decode(await io.read(f.path)), f.path);
      } catch (e) {
        this.report(null, f.path, message(e));
        continue;
      }
      this.counts.consumers++;
      if (latest !== undefined && next > latest + 1)
        this.report(null, f.path, `nextSnapshot ${next} is past LATEST + 1 (${latest + 1})`);
    }
  }

  /**
   * Min/max statistics on a BINARY/VARBINARY column. Eddy wrote them (in unsigned byte order) before
   * it followed Paimon, which keeps none for binary columns and compares bytes signed: Paimon Java may
   * then skip such a file for a filter on that column. Eddy reads these files right; a full compaction
   * rewrites them without the stats. Metadata only, so every live file of the latest snapshot is checked.
   */
  binaryStats(f: LiveFile, schema: TableSchema): void {
    const meta = f.entry.file;
    const isBinary = (t: DataType) => t.root === 'BINARY' || t.root === 'VARBINARY';
    const check = (names: readonly string[], stats: typeof meta.valueStats) => {
      const fields = names.map((n) => schema.fields.find((x) => x.name === n));
      if (!fields.some((x) => x !== undefined && isBinary(x.type))) return;
      const types = fields.map((x) => x?.type ?? ({ root: 'INT', nullable: true } as DataType));
      let min: InternalValue[];
      let max: InternalValue[];
      try {
        min = deserializeBinaryRow(stats.minValues, types);
        max = deserializeBinaryRow(stats.maxValues, types);
      } catch {
        return; // stats that do not decode with this schema are not this check's business
      }
      fields.forEach((x, i) => {
        if (x === undefined || !isBinary(x.type) || (min[i] === null && max[i] === null)) return;
        const files = this.binaryStatFiles.get(x.name) ?? [];
        files.push(f.path);
        this.binaryStatFiles.set(x.name, files);
      });
    };
    check(meta.valueStatsCols ?? schema.fields.map((x) => x.name), meta.valueStats);
    check(schema.trimmedPrimaryKeys, meta.keyStats);
  }

  /** One warning per binary column with stats, naming how many live files carry them and the first. */
  binaryStatWarnings(): void {
    for (const [column, files] of this.binaryStatFiles)
      this.warnings.push({
        path: files[0],
        warning: `${plural(files.length, 'live data file')} carry min/max stats on binary column '${column}' (Eddy wrote them before it followed Paimon, which keeps none for binary columns and compares bytes signed): Paimon Java may skip such a file for a filter on '${column}'; a full compaction rewrites them without the stats`,
      });
  }

  /** Reads a data file back and compares it with its manifest entry. */
  async readBack(f: LiveFile, schemaOf: (id: number) => Promise<TableSchema>): Promise<void> {
    const meta: DataFileMeta = f.entry.file;
    const report = (problem: string) => this.report(f.snapshot, f.path, problem);
    let schema: TableSchema;
    try {
      schema = await schemaOf(meta.schemaId);
    } catch (e) {
      report(`its schema ${meta.schemaId} cannot be read: ${message(e)}`);
      return;
    }
    let t: Awaited<ReturnType<typeof readParquet>>;
    try {
      t = await readParquet(await this.table.io.read(f.path), f.path);
    } catch (e) {
      report(`cannot be read back: ${message(e)}`);
      return;
    }
    this.counts.filesReadBack++;
    if (t.numRows !== meta.rowCount) {
      report(`holds ${t.numRows} rows, the manifest says ${meta.rowCount}`);
      return;
    }
    if (t.numRows === 0) return;
    // Key range (primary-key files are sorted by key; compare with the exact min and max anyway).
    const keys = schema.trimmedPrimaryKeys;
    if (keys.length > 0) {
      const types = keys.map((k) => schema.field(k).type);
      const cols = keys.map((k, i) => {
        const v = t.getChild(`_KEY_${k}`);
        return v ? arrowToColumn(v, types[i]) : undefined;
      });
      if (cols.some((c) => c === undefined)) report(`has no _KEY_ columns for ${keys.join(', ')}`);
      else {
        const keyAt = (r: number) => cols.map((c) => columnValue(c!, r));
        const cmp = (a: InternalValue[], b: InternalValue[]) => {
          for (let i = 0; i < a.length; i++) {
            const c = compareValues(types[i], a[i], b[i]);
            if (c !== 0) return c;
          }
          return 0;
        };
        let min = keyAt(0);
        let max = min;
        for (let r = 1; r < t.numRows; r++) {
          const k = keyAt(r);
          if (cmp(k, min) < 0) min = k;
          if (cmp(k, max) > 0) max = k;
        }
        const decode = (b: Uint8Array) => {
          try {
            return deserializeBinaryRow(b, types);
          } catch {
            return undefined;
          }
        };
        const show = (k: InternalValue[] | undefined) => (k ? k.map((v) => String(v)).join(', ') : '(undecodable)');
        const minKey = decode(meta.minKey);
        const maxKey = decode(meta.maxKey);
        if (!minKey || cmp(minKey, min) !== 0) report(`smallest key is (${show(min)}), minKey says (${show(minKey)})`);
        if (!maxKey || cmp(maxKey, max) !== 0) report(`largest key is (${show(max)}), maxKey says (${show(maxKey)})`);
      }
    }
    const seqVector = t.getChild('_SEQUENCE_NUMBER');
    if (seqVector) {
      const seq = arrowToColumn(seqVector, { root: 'BIGINT', nullable: false } as DataType);
      let lo = columnValue(seq, 0) as bigint;
      let hi = lo;
      for (let r = 1; r < t.numRows; r++) {
        const v = columnValue(seq, r) as bigint;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      if (lo !== meta.minSequenceNumber || hi !== meta.maxSequenceNumber)
        report(
          `sequence numbers span ${lo}..${hi}, the manifest says ${meta.minSequenceNumber}..${meta.maxSequenceNumber}`,
        );
    }
    // Null counts are exact in every stats mode that records them.
    const statCols = meta.valueStatsCols ?? schema.fields.map((x) => x.name);
    meta.valueStats.nullCounts.forEach((expected, i) => {
      if (expected === null || i >= statCols.length) return;
      const v = t.getChild(statCols[i]);
      if (v && v.nullCount !== expected)
        report(`column '${statCols[i]}' has ${v.nullCount} nulls, the stats say ${expected}`);
    });
  }
}

export async function runVerify(g: GlobalOptions, name: string, o: VerifyOptions): Promise<void> {
  const mode = outputMode(g);
  const table = await openTable(g, name);
  const sample = o.deep ? undefined : (parseInteger('--sample', o.sample, 0) ?? 5);
  const v = new Verifier(table);
  const t = inspect(table);
  const earliest = await t.earliestSnapshotId();
  const latest = await t.latestSnapshotId();
  let latestSnapshot: Snapshot | undefined;
  if (earliest !== undefined && latest !== undefined) {
    const present = new Set(await t.listSnapshotIds());
    const progress = new Progress(`verifying ${table.name}`, latest - earliest + 1);
    for (let id = earliest; id <= latest; id++) {
      if (!present.has(id)) {
        v.report(id, t.snapshotPath(id), `snapshot ${id} is missing (EARLIEST is ${earliest}, LATEST is ${latest})`);
        continue;
      }
      const s = await v.snapshot(id);
      if (id === latest) latestSnapshot = s;
      progress.update(1, `snapshot ${id}`);
    }
    progress.finish();
  }

  await v.schemas();
  await v.consumers(latest);

  // Long-lived changelogs: what change feeds read from them must exist.
  const meta = inspect(table);
  for (const id of await meta.listChangelogIds()) await v.changelog(meta, id);

  // Read files back: all of them (--deep) or an even sample of the latest snapshot's.
  let toRead = [...v.live.values()];
  if (sample !== undefined) {
    const current = (latestSnapshot ? (v.liveBySnapshot.get(latestSnapshot.id) ?? []) : []).sort((a, b) =>
      a.path.localeCompare(b.path),
    );
    toRead = [];
    if (sample > 0 && current.length > 0) {
      const step = Math.max(1, Math.floor(current.length / sample));
      for (let i = 0; i < current.length && toRead.length < sample; i += step) toRead.push(current[i]);
    }
  }
  const schemas = new Map<number, TableSchema>();
  const schemaOf = async (id: number) => {
    let s = schemas.get(id);
    if (!s) {
      s = await t.schema(id);
      schemas.set(id, s);
    }
    return s;
  };
  for (const f of latestSnapshot ? (v.liveBySnapshot.get(latestSnapshot.id) ?? []) : []) {
    const schema = await schemaOf(f.entry.file.schemaId).catch(() => undefined); // reported by readBack
    if (schema) v.binaryStats(f, schema);
  }
  v.binaryStatWarnings();
  if (toRead.length > 0) {
    const progress = new Progress('reading files back', toRead.length);
    for (const f of toRead) {
      await v.readBack(f, schemaOf);
      progress.update(1);
    }
    progress.finish();
  }

  const ok = v.problems.length === 0;
  if (!ok) setExitCode(2);
  const doc = {
    table: table.name,
    ok,
    ...v.counts,
    snapshots: { earliest: earliest ?? null, latest: latest ?? null, checked: v.counts.snapshots },
    deep: o.deep === true,
    problems: v.problems,
    warnings: v.warnings,
  };
  await printDocument(mode, doc, () => {
    const c = v.counts;
    const lines = [
      earliest === undefined
        ? `${table.name}: no snapshots`
        : `${table.name}: snapshots ${earliest}..${latest} (${humanCount(c.snapshots)} parsed), ${plural(c.manifestLists, 'manifest list')}, ${plural(c.manifests, 'manifest')}, ${plural(c.dataFiles, 'data file')}${c.changelogFiles ? `, ${plural(c.changelogFiles, 'changelog file')}` : ''}${c.changelogs ? `, ${plural(c.changelogs, 'long-lived changelog')}` : ''}${c.indexFiles ? `, ${plural(c.indexFiles, 'index file')}` : ''} (${humanBytes(c.bytes)}); ${plural(c.filesReadBack, 'data file')} read back${o.deep ? ' (deep)' : ''}; ${plural(c.schemas, 'schema')}${c.consumers ? `, ${plural(c.consumers, 'consumer')}` : ''} checked`,
    ];
    for (const w of v.warnings) lines.push(`warning: ${w.path}: ${w.warning}`);
    if (ok) lines.push('OK: no problems found');
    else {
      lines.push(`${v.problems.length} problem${v.problems.length === 1 ? '' : 's'} found:`);
      for (const p of v.problems)
        lines.push(`  ${p.snapshot === null ? '' : `snapshot ${p.snapshot}: `}${p.path}: ${p.problem}`);
    }
    return lines.join('\n');
  });
}
