/**
 * Issue 16 §3-4 on a table shared with Paimon Java 1.4.2 (History.java): files Eddy re-based so the
 * later commit wins read the same in Java; Java commits and expires on a table with Eddy's
 * `eddy.commit-user.time-retained` option and `commit-user/` folder; after Java's expiry removed a
 * writer's snapshots, Eddy's replay of its checkpoint stays a no-op (the commit recorded it).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Catalog, type DataType, type Table } from '@eddy/table';
import { beforeAll, describe, expect, it } from 'vitest';
import { fromEddy } from './canonical.ts';
import { INTEROP_DIR, WORK_DIR } from './drivers.ts';

const WAREHOUSE = path.join(WORK_DIR, 'commit-safety');
const JAVA_DIR = path.join(INTEROP_DIR, 'java', 'target');
const ready = existsSync(path.join(JAVA_DIR, 'eddy-interop.jar')) && existsSync(path.join(JAVA_DIR, 'classpath.txt'));

type Step = Record<string, unknown> & { op: string };
type Result = Record<string, unknown> & { step: number; op: string };

/** Runs a script of steps on the Java side (History.java); one result line per step. */
function java(table: string, steps: readonly Step[]): Promise<Result[]> {
  const dir = mkdtempSync(path.join(WORK_DIR, 'cs-'));
  const file = path.join(dir, 'steps.json');
  writeFileSync(file, JSON.stringify(steps));
  const cp = `${path.join(JAVA_DIR, 'eddy-interop.jar')}:${readFileSync(path.join(JAVA_DIR, 'classpath.txt'), 'utf8').trim()}`;
  const args = ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', '-Duser.timezone=UTC', '-cp', cp];
  return new Promise((resolve, reject) => {
    execFile(
      'java',
      [...args, 'eddy.interop.History', 'script', WAREHOUSE, table, file],
      { maxBuffer: 1 << 26, encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } },
      (err, stdout, stderr) => {
        rmSync(dir, { recursive: true, force: true });
        if (err) return reject(new Error(`java ${table} failed:\n${stderr.split('\n').slice(-30).join('\n')}`));
        resolve(
          stdout
            .split('\n')
            .filter((l) => l.trim())
            .map((l) => JSON.parse(l) as Result),
        );
      },
    );
  });
}

const canon = (r: Record<string, unknown>) => JSON.stringify(r, Object.keys(r).sort());
const javaRows = (r: Result) => (r.rows as Record<string, unknown>[]).map(({ _kind, ...row }) => canon(row)).sort();
async function eddyRows(t: Table): Promise<string[]> {
  const types = t.schema.fields.map((f): [string, DataType] => [f.name, f.type]);
  return (await t.toArray()).map((r) => canon(fromEddy(types, r))).sort();
}
const last = (rs: Result[], op: string) => [...rs].reverse().find((r) => r.op === op)!;

describe.skipIf(!ready)('interop: last commit wins and exactly-once beyond expiry (Java ⇄ Eddy)', () => {
  let catalog: Catalog;
  beforeAll(async () => {
    rmSync(WAREHOUSE, { recursive: true, force: true });
    mkdirSync(WAREHOUSE, { recursive: true });
    catalog = await Catalog.open(WAREHOUSE);
  });

  it('re-based files read the same in Java; Java commits and expires; the replay stays a no-op', async () => {
    const t = await catalog.createTable('db.cs', {
      columns: { k: 'INT', v: 'STRING' },
      primaryKey: ['k'],
      options: {
        bucket: 1,
        'changelog-producer': 'input',
        'write-only': 'true',
        'snapshot.num-retained.min': '1',
        'snapshot.num-retained.max': '1',
        'snapshot.time-retained': '1 ms',
        'eddy.commit-user.time-retained': '7 d',
      },
    });
    await t.upsert([
      { k: 1, v: 'v0' },
      { k: 6, v: 'v0' },
    ]);
    // A numbers its checkpoint, B commits the same keys above it, A commits last: A is re-based.
    const a = t.newWriter({ commitUser: 'A' });
    await a.delete({ k: 1 });
    await a.write({ k: 6, v: 'a-old' });
    await a.flush();
    await t.upsert([
      { k: 5, v: 'b' },
      { k: 1, v: 'b1' },
      { k: 6, v: 'b6' },
    ]);
    expect((await a.commit(1)).published).toBe(true);
    a.close();
    const expected = ['{"k":5,"v":"b"}', '{"k":6,"v":"a-old"}'];
    expect(await eddyRows(t)).toEqual(expected);
    let rs = await java('db.cs', [{ op: 'read' }]);
    expect(javaRows(last(rs, 'read'))).toEqual(expected);

    // Java writes a newer k=6 and expires every older snapshot (A's among them); Eddy's record stays.
    rs = await java('db.cs', [
      { op: 'write', rows: [{ kind: '+I', row: { k: '6', v: 'java-new' } }] },
      { op: 'expire' },
      { op: 'read' },
    ]);
    expect((await t.listSnapshots()).some((s) => s.commitUser === 'A')).toBe(false);
    expect(readdirSync(path.join(t.path, 'commit-user'))).toEqual(['user-A']);
    expect(await t.lastCommittedIdentifier('A')).toBe(1n);
    // A restarts and replays checkpoint 1: a no-op, so k=6 keeps Java's newer value.
    const replay = t.newWriter({ commitUser: 'A' });
    await replay.delete({ k: 1 });
    await replay.write({ k: 6, v: 'a-old' });
    expect((await replay.commit(1)).published).toBe(false);
    replay.close();
    const after = ['{"k":5,"v":"b"}', '{"k":6,"v":"java-new"}'];
    expect(await eddyRows(t)).toEqual(after);
    rs = await java('db.cs', [{ op: 'read' }]);
    expect(javaRows(last(rs, 'read'))).toEqual(after);
  });
});
