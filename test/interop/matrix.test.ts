/**
 * The interop matrix: writers {Eddy, Paimon Java, pypaimon, paimon-rust} × readers {the same} on one local
 * warehouse, per table scenario (cases.ts). Every reader reads each writer's table at every
 * snapshot the writer committed (time travel), after a Java compaction where the scenario has one,
 * and at the latest snapshot; rows are compared with the state expected from the written lines. A
 * red cell prints the first differing row from both sides.
 *
 * Known red cells (limitations.ts) must fail the documented way and are reported, not skipped.
 * pypaimon cannot write retractions: it writes each scenario without its -U/-D lines (forPypaimon),
 * and its row in the report says so.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Catalog } from '@eddy/table';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  columnTypes,
  describeDiff,
  expectedRows,
  firstDiff,
  normalize,
  type TableSpec,
  type WriteLine,
} from './canonical.ts';
import { forPypaimon, isCrossPartition, mixedWriters, SCENARIOS, type Scenario } from './cases.ts';
import {
  closePeers,
  DRIVER,
  DRIVERS,
  type DriverName,
  javaCommand,
  LimitationError,
  pythonCommand,
  rustCommand,
  setupProblem,
  WORK_DIR,
} from './drivers.ts';
import { knownIssue } from './limitations.ts';

const WAREHOUSE = path.join(WORK_DIR, 'warehouse');
const problem = setupProblem();

type Status = 'ok' | 'FAIL' | 'limited' | 'paimon limitation' | 'eddy bug (known)' | 'pending';
const results = new Map<string, Map<DriverName, { status: Status; note?: string }>>();

function record(row: string, reader: DriverName, status: Status, note?: string): void {
  if (!results.has(row)) results.set(row, new Map());
  results.get(row)!.set(reader, { status, note });
}

const PYPAIMON_SUBSET =
  'pypaimon 2.1 writes every row as +I (its KeyValueDataWriter takes row kinds only from a ' +
  "'rowkind.field' column of the table; no delete API for primary-key tables): it writes this table without its -U/-D lines";
const RUST_CROSS_PARTITION_SUBSET =
  'paimon-rust (pypaimon-rust 0.4) takes no row kinds in cross-partition upsert mode (its writer rejects a ' +
  '_VALUE_KIND column there): it writes this table without its -U/-D lines';
const PYPAIMON_14_SUBSET =
  'pypaimon 1.4.2 writes every row as +I (KeyValueDataWriter hard-codes _VALUE_KIND=0; no delete API) and does not ' +
  'deduplicate a key written twice in one commit (both rows land in one file and both are read back): it writes ' +
  'this table without its -U/-D lines and with the last line per key per commit';

interface ReadPoint {
  readonly snapshotId?: number;
  readonly upToCommit: number;
  readonly label: string;
}

interface Written {
  readonly lines: readonly WriteLine[];
  readonly points: readonly ReadPoint[];
  readonly subset?: string;
  readonly error?: Error;
}

const tableName = (writer: string, s: { name: string }) => `${writer.replace(/\W/g, '_')}.${s.name.replace(/-/g, '_')}`;

async function writeScenario(s: Scenario, writer: DriverName): Promise<Written> {
  let lines = s.lines;
  let subset: string | undefined;
  if (writer === 'pypaimon' || writer === 'pypaimon-1.4') {
    const reduced = forPypaimon(s.spec, lines, writer === 'pypaimon-1.4');
    if (reduced.length !== lines.length) {
      lines = reduced;
      subset = writer === 'pypaimon' ? PYPAIMON_SUBSET : PYPAIMON_14_SUBSET;
    }
  } else if (writer === 'rust' && isCrossPartition(s.spec)) {
    lines = forPypaimon(s.spec, lines, false);
    subset = RUST_CROSS_PARTITION_SUBSET;
  }
  try {
    const table = tableName(writer, s);
    const ids = await DRIVER[writer].write(WAREHOUSE, table, s.spec, lines);
    const commits = [...new Set(lines.map((l) => l.commit))];
    const points: ReadPoint[] = ids.map((id, i) => ({
      snapshotId: id,
      upToCommit: commits[i],
      label: `snapshot ${id}`,
    }));
    if (s.compactWith === 'java') {
      const out = JSON.parse((await javaCommand(['compact', WAREHOUSE, table])).trim()) as { latestSnapshotId: number };
      points.push({ snapshotId: out.latestSnapshotId, upToCommit: Infinity, label: 'after Java compaction' });
    } else if (s.compactWith === 'eddy') {
      const r = await (await Catalog.open(WAREHOUSE)).getTable(table).then((t) => t.compact({ full: true }));
      if (!r.snapshot) throw new Error('Eddy full compaction committed no snapshot');
      points.push({ snapshotId: r.snapshot.id, upToCommit: Infinity, label: 'after Eddy compaction' });
    }
    points.push({ upToCommit: Infinity, label: 'latest' });
    return { lines, points, subset };
  } catch (e) {
    return { lines, points: [], subset, error: e as Error };
  }
}

/** Reads every point with `reader` and compares; throws with the first differing rows. */
async function checkCell(
  name: string,
  spec: TableSpec,
  written: Written,
  writer: string,
  reader: DriverName,
  table: string,
): Promise<void> {
  if (written.error) throw new Error(`${writer} could not write ${name}: ${written.error.message}`);
  const types = columnTypes(spec);
  const failures: string[] = [];
  let groups: Record<string, unknown>[][] = [];
  try {
    groups = await DRIVER[reader].readMany(
      WAREHOUSE,
      table,
      written.points.map((p) => p.snapshotId),
    );
  } catch (e) {
    failures.push(`${reader} could not read: ${(e as Error).message}`);
  }
  groups.forEach((actual, i) => {
    const p = written.points[i];
    const expected = expectedRows(spec, written.lines, p.upToCommit).map((x) => normalize(types, x));
    const d = firstDiff(
      expected,
      actual.map((x) => normalize(types, x)),
    );
    if (d) failures.push(`${p.label}: ${describeDiff(d, writer, reader)}`);
  });
  if (failures.length > 0) throw new Error(`${name}: ${writer} → ${reader}\n${failures.join('\n')}`);
}

const short = (e: unknown) => (e as Error).message.split('\n').slice(0, 4).join(' ⏎ ');

describe.skipIf(problem !== undefined)('interop matrix', () => {
  beforeAll(() => {
    rmSync(WAREHOUSE, { recursive: true, force: true });
    mkdirSync(WAREHOUSE, { recursive: true });
  });

  afterAll(() => {
    closePeers();
    const rows = [...results.entries()].map(
      ([k, m]) => `| ${k} | ${DRIVERS.map((r) => m.get(r)?.status ?? '-').join(' | ')} |`,
    );
    const notes = new Set<string>();
    for (const [k, m] of results)
      for (const [r, c] of m) if (c.note) notes.add(c.status === 'FAIL' ? `- ${k} → ${r}: ${c.note}` : `- ${c.note}`);
    const text = [
      '# Interop matrix (rows: table / writer; columns: reader)',
      '',
      `| table / writer | ${DRIVERS.join(' | ')} |`,
      `|---|${DRIVERS.map(() => '---').join('|')}|`,
      ...rows,
      '',
      ...notes,
    ].join('\n');
    mkdirSync(WORK_DIR, { recursive: true });
    writeFileSync(path.join(WORK_DIR, 'matrix.md'), `${text}\n`);
    console.log(text);
  });

  for (const s of SCENARIOS) {
    describe(`${s.name}: ${s.about}`, () => {
      const written = new Map<DriverName, Written>();
      beforeAll(async () => {
        // Different tables: the writers run at once (Eddy in-process, the others in their processes).
        await Promise.all(
          DRIVERS.filter((w) => !s.pending?.[w]).map(async (w) => written.set(w, await writeScenario(s, w))),
        );
      });
      for (const writer of DRIVERS) {
        const pending = s.pending?.[writer];
        if (pending) {
          for (const reader of DRIVERS)
            record(`${s.name} / ${writer}`, reader, 'pending', `${s.name} / ${writer}: ${pending}`);
          it.todo(`${writer} writes, every implementation reads: ${pending}`);
          continue;
        }
        for (const reader of DRIVERS) {
          const known = knownIssue(s.name, writer, reader);
          const title = `${writer} writes, ${reader} reads${known ? ` [known: ${known.kind === 'eddy' ? 'Eddy bug' : 'Paimon limitation'} ${known.id}]` : ''}`;
          it(title, async () => {
            const w = written.get(writer)!;
            const row = `${s.name} / ${writer}`;
            let error: unknown;
            try {
              await checkCell(s.name, s.spec, w, writer, reader, tableName(writer, s));
            } catch (e) {
              error = e;
            }
            if (known) {
              const status: Status = known.kind === 'eddy' ? 'eddy bug (known)' : 'paimon limitation';
              if (error && known.failure.test((error as Error).message)) {
                record(row, reader, status, `${known.id} (${known.kind}): ${known.reason}`);
                return;
              }
              record(row, reader, 'FAIL', error ? short(error) : `known issue ${known.id} no longer reproduces`);
              throw new Error(
                error
                  ? `known issue ${known.id} expected a failure matching ${known.failure}, got:\n${(error as Error).message}`
                  : `known issue ${known.id} no longer reproduces: the cell passes, remove it from limitations.ts`,
              );
            }
            if (error) {
              record(row, reader, 'FAIL', short(error));
              throw error;
            }
            record(row, reader, w.subset ? 'limited' : 'ok', w.subset);
          });
        }
      }
    });
  }

  for (const mode of ['fixed', 'dynamic', 'dv'] as const)
    describe(`mixed writers on one table (bucket and sequence-number agreement)${mode === 'dynamic' ? ', dynamic bucket mode' : mode === 'dv' ? ', deletion vectors' : ''}`, () => {
      const { spec, commits } = mixedWriters(mode);
      const table = mode === 'dynamic' ? 'mixed.dyn' : mode === 'dv' ? 'mixed.dv' : 'mixed.t';
      const lines = commits.flatMap((c) => c.lines);
      const points: ReadPoint[] = [];
      let error: Error | undefined;
      beforeAll(async () => {
        try {
          for (const c of commits) {
            const [id] = await DRIVER[c.writer].write(WAREHOUSE, table, spec, c.lines);
            points.push({ snapshotId: id, upToCommit: c.lines[0].commit, label: `snapshot ${id} (${c.writer})` });
          }
          points.push({ upToCommit: Infinity, label: 'latest' });
        } catch (e) {
          error = e as Error;
        }
      });
      const order = commits.map((c) => c.writer).join('→');
      for (const reader of DRIVERS) {
        it(`${order} write in turn, ${reader} reads`, async () => {
          const row = `mixed${mode === 'dynamic' ? ' dynamic-bucket' : mode === 'dv' ? ' deletion-vectors' : ''} (${order})`;
          try {
            await checkCell('mixed', spec, { lines, points, error }, 'the writers', reader, table);
            record(row, reader, 'ok');
          } catch (e) {
            record(row, reader, 'FAIL', short(e));
            throw e;
          }
        });
      }
    });

  describe('documented pypaimon limitations still hold', () => {
    const spec: TableSpec = { columns: { id: 'BIGINT', v: 'STRING' }, primaryKey: ['id'], options: { bucket: '1' } };

    it('refuses retractions (-D) with a LIMITATION exit', async () => {
      await expect(
        DRIVER.pypaimon.write(WAREHOUSE, 'limits.retract', spec, [{ commit: 0, kind: '-D', row: { id: '1' } }]),
      ).rejects.toBeInstanceOf(LimitationError);
    });

    it('keeps the last row of a key written twice in one commit (pypaimon 1.4.2 keeps both)', async () => {
      const lines: WriteLine[] = [
        { commit: 0, kind: '+I', row: { id: '1', v: 'first' } },
        { commit: 0, kind: '+I', row: { id: '1', v: 'second' } },
      ];
      await DRIVER.pypaimon.write(WAREHOUSE, 'limits.dup', spec, lines);
      expect(await DRIVER.java.read(WAREHOUSE, 'limits.dup')).toEqual([{ id: '1', v: 'second' }]);
      await DRIVER['pypaimon-1.4'].write(WAREHOUSE, 'limits.dup14', spec, lines);
      const rows = await DRIVER.java.read(WAREHOUSE, 'limits.dup14');
      expect(rows.length, 'if this is 1, pypaimon 1.4.2 deduplicates: drop lastPerKey in forPypaimon').toBe(2);
    });

    it('paimon-rust refuses retractions in a cross-partition upsert table with a LIMITATION exit', async () => {
      const cross: TableSpec = {
        columns: { id: 'BIGINT', p: 'STRING', v: 'STRING' },
        primaryKey: ['id'],
        partitionKeys: ['p'],
        options: { bucket: '-1' },
      };
      await expect(
        DRIVER.rust.write(WAREHOUSE, 'limits.rust_cross', cross, [
          { commit: 0, kind: '+I', row: { id: '1', p: 'a', v: 'x' } },
          { commit: 0, kind: '-D', row: { id: '2', p: 'a' } },
        ]),
      ).rejects.toBeInstanceOf(LimitationError);
    });

    it('pypaimon 1.4.2 refuses retractions too', async () => {
      await expect(
        DRIVER['pypaimon-1.4'].write(WAREHOUSE, 'limits.retract14', spec, [
          { commit: 0, kind: '-D', row: { id: '1' } },
        ]),
      ).rejects.toBeInstanceOf(LimitationError);
    });
  });

  it('Java, pypaimon (2.1, 1.4.2) and paimon-rust read an Eddy OVERWRITE: the replaced partition, the untouched one, and time travel before it', async () => {
    const t = await (await Catalog.open(WAREHOUSE)).createTable('eddy.overwrite', {
      columns: { region: 'STRING', id: 'INT', v: 'STRING' },
      primaryKey: ['region', 'id'],
      partitionKeys: ['region'],
      options: { bucket: '2' },
    });
    await t.upsert([1, 2, 3].flatMap((id) => ['eu', 'us'].map((region) => ({ region, id, v: `old-${region}${id}` }))));
    await t.upsert({ region: 'eu', id: 4, v: 'old-eu4' });
    const r = await t.overwrite(
      [7, 8].map((id) => ({ region: 'eu', id, v: `new-eu${id}` })),
      { partition: { region: 'eu' } },
    );
    expect(r.snapshot?.commitKind).toBe('OVERWRITE');
    const canon = (rows: Record<string, unknown>[]) => rows.map((x) => JSON.stringify(x)).sort();
    for (const snapshotId of [undefined, 2]) {
      const expected = canon(await DRIVER.eddy.read(WAREHOUSE, 'eddy.overwrite', snapshotId));
      expect(expected.length).toBe(snapshotId === undefined ? 5 : 7);
      for (const reader of ['java', 'pypaimon', 'rust', 'pypaimon-1.4'] as const)
        expect(
          canon(await DRIVER[reader].read(WAREHOUSE, 'eddy.overwrite', snapshotId)),
          `${reader} @${snapshotId}`,
        ).toEqual(expected);
    }
    const kinds = (await javaCommand(['snapshots', WAREHOUSE, 'eddy.overwrite'])).trim().split('\n');
    expect(kinds.map((l) => JSON.parse(l).commitKind)).toEqual(['APPEND', 'APPEND', 'OVERWRITE']);
  });

  it('Java lists snapshots and files of Eddy tables; everything is at the top level after a full compaction', async () => {
    const snaps = (await javaCommand(['snapshots', WAREHOUSE, 'eddy.pk_1_bucket'])).trim().split('\n');
    expect(snaps.map((l) => JSON.parse(l).commitKind)).toEqual(['APPEND', 'APPEND', 'APPEND']);
    for (const table of [
      'eddy.java_compaction',
      'java.eddy_compaction',
      'pypaimon.eddy_compaction',
      'rust.eddy_compaction',
    ]) {
      const files = (await javaCommand(['files', WAREHOUSE, table])).trim().split('\n');
      expect(files.length, table).toBeGreaterThan(0);
      for (const f of files) expect(JSON.parse(f).level, `${table}: ${f}`).toBe(5);
      const kinds = (await javaCommand(['snapshots', WAREHOUSE, table])).trim().split('\n');
      expect(JSON.parse(kinds[kinds.length - 1]).commitKind, table).toBe('COMPACT');
    }
    const py = (await pythonCommand(['snapshots', WAREHOUSE, 'eddy.pk_1_bucket'])).trim().split('\n');
    expect(py.map((l) => JSON.parse(l).id)).toEqual([1, 2, 3]);
    const rs = (await rustCommand(['snapshots', WAREHOUSE, 'eddy.pk_1_bucket'])).trim().split('\n');
    expect(rs.map((l) => [JSON.parse(l).id, JSON.parse(l).commitKind])).toEqual([
      [1, 'APPEND'],
      [2, 'APPEND'],
      [3, 'APPEND'],
    ]);
  });
});

describe.runIf(problem !== undefined)('interop setup', () => {
  it('is in place', () => {
    throw new Error(problem);
  });
});
