/**
 * The SDK features users asked for: string filters (and not / between / like / startsWith), count,
 * typed rows, a writer that refuses to drop rows silently, Catalog.close.
 */
import fc from 'fast-check';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  and,
  between,
  Catalog,
  EddyError,
  eq,
  gt,
  isNull,
  like,
  not,
  or,
  type Predicate,
  parseWhere,
  type RowOf,
  startsWith,
  type Table,
} from '../src/index.ts';
import { tempDir } from './helpers.ts';

const SCHEMA = {
  columns: { id: 'INT', region: 'STRING', amount: 'DECIMAL(10, 2)', note: 'STRING' },
  primaryKey: ['id'],
  options: { bucket: 2 },
} as const;

const REGIONS = ['eu', 'us', 'eu-west', 'apac', 'EU'];

async function fixture(dir: string) {
  const t = await (await Catalog.open(dir)).createTable('db.t', SCHEMA);
  const rows = Array.from({ length: 60 }, (_, id) => ({
    id,
    region: REGIONS[id % REGIONS.length],
    amount: `${(id * 37) % 500}.25`,
    note: id % 7 === 0 ? null : `n_${id}%`,
  }));
  await t.upsert(rows);
  return { t, rows };
}

type R = Record<string, unknown>;

/** SQL LIKE as a model: % any run, _ one character, everything else literal. */
const likeModel = (v: unknown, pattern: string) => {
  if (typeof v !== 'string') return false;
  const re = [...pattern].map((c) => (c === '%' ? '.*' : c === '_' ? '.' : c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  return new RegExp(`^${re.join('')}$`, 's').test(v);
};

describe('filters', () => {
  it('a string where equals the same Predicate, and both select the rows a model selects', async () => {
    using d = tempDir();
    const { t, rows } = await fixture(d.path);
    const cases: [string, Predicate, (r: R) => boolean][] = [
      [
        "region = 'eu' and amount > 400",
        and(eq('region', 'eu'), gt('amount', '400')),
        (r) => r.region === 'eu' && Number(r.amount) > 400,
      ],
      ["not (region = 'eu')", not(eq('region', 'eu')), (r) => r.region !== 'eu'],
      ['id between 10 and 12', between('id', 10, 12), (r) => (r.id as number) >= 10 && (r.id as number) <= 12],
      ['id not between 2 and 58', not(between('id', 2, 58)), (r) => (r.id as number) < 2 || (r.id as number) > 58],
      ["region like 'eu%'", like('region', 'eu%'), (r) => likeModel(r.region, 'eu%')],
      ["region like 'eu'", startsWith('region', 'eu'), (r) => String(r.region).startsWith('eu')],
      ["note not like '%1_\\%'", not(like('note', '%1_\\%')), (r) => r.note !== null && !likeModel(r.note, '%1_\\%')],
      ["note like 'n\\_1%'", like('note', 'n\\_1%'), (r) => likeModel(r.note, 'n\\_1%')],
      [
        'not (note is null or id > 4)',
        not(or(isNull('note'), gt('id', 4))),
        (r) => !(r.note === null || (r.id as number) > 4),
      ],
    ];
    for (const [text, predicate, model] of cases) {
      const want = rows
        .filter((r) => model(r))
        .map((r) => r.id)
        .sort((a, b) => a - b);
      const byText = (await t.toArray({ where: text })).map((r) => r.id).sort((a, b) => a - b);
      const byPredicate = (await t.toArray({ where: predicate })).map((r) => r.id).sort((a, b) => a - b);
      if (text !== "region like 'eu'") expect(byText, text).toEqual(want);
      expect(byPredicate, text).toEqual(want);
      expect(await t.count({ where: predicate }), text).toBe(want.length);
    }
    // NOT keeps SQL's NULL semantics: a NULL note matches neither LIKE nor NOT LIKE.
    const nulls = rows.filter((r) => r.note === null).length;
    expect((await t.count({ where: "note like '%'" })) + (await t.count({ where: "note not like '%'" }))).toBe(
      rows.length - nulls,
    );
  });

  it('like and startsWith over random strings agree with a model, with min/max pruning on', async () => {
    using d = tempDir();
    const t = await (await Catalog.open(d.path)).createTable('db.s', {
      columns: { id: 'INT', s: 'STRING' },
      primaryKey: ['id'],
      options: { bucket: 1 },
    });
    const alphabet = fc.constantFrom('a', 'b', '%', '_', 'é', 'z');
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.string({ unit: alphabet, maxLength: 5 }), { minLength: 1, maxLength: 12 }),
        fc.string({ unit: alphabet, maxLength: 4 }),
        async (values, pattern) => {
          // One file per batch of values: stats prune whole files.
          await t.overwrite(values.map((s, id) => ({ id, s })));
          const got = (await t.toArray({ where: like('s', pattern) })).map((r) => r.id).sort();
          expect(got).toEqual(values.flatMap((s, id) => (likeModel(s, pattern) ? [id] : [])).sort());
          const prefix = pattern.replace(/[%_]/g, '');
          const sw = (await t.toArray({ where: startsWith('s', prefix) })).map((r) => r.id).sort();
          expect(sw).toEqual(values.flatMap((s, id) => (s.startsWith(prefix) ? [id] : [])).sort());
        },
      ),
      { numRuns: 25, seed: 18 },
    );
  });

  it('refuses what it cannot do, naming it', async () => {
    using d = tempDir();
    const { t } = await fixture(d.path);
    await expect(t.count({ where: "id like '1%'" })).rejects.toThrow(/LIKE needs a string column; 'id' is INT/);
    await expect(t.count({ where: like('id', '1%') })).rejects.toThrow(/like needs a string column, not INT/);
    await expect(t.count({ where: 'nope = 1' })).rejects.toThrow(/unknown column 'nope'/);
    expect(() => parseWhere("region = 'eu' and", t.schema.fields)).toThrow(EddyError);
  });
});

describe('count', () => {
  it('counts live rows after upserts and deletes, at a snapshot, and filtered', async () => {
    using d = tempDir();
    const { t } = await fixture(d.path);
    await t.delete([{ id: 1 }, { id: 2 }]);
    await t.upsert({ id: 1, region: 'us', amount: '1.00', note: null });
    expect(await t.count()).toBe(59);
    expect(await t.count({ snapshotId: 1 })).toBe(60);
    expect(await t.count({ where: "region = 'us'" })).toBe((await t.toArray({ where: eq('region', 'us') })).length);
  });
});

describe('typed rows', () => {
  it('createTable derives the row type from the schema; getTable takes one', async () => {
    using d = tempDir();
    const catalog = await Catalog.open(d.path);
    const t = await catalog.createTable('db.typed', {
      columns: {
        id: 'BIGINT',
        name: 'STRING NOT NULL',
        amount: 'DECIMAL(10, 2)',
        day: 'DATE',
        at: 'TIMESTAMP(3)',
        micros: 'TIMESTAMP(6)',
        raw: 'BYTES',
        ok: 'BOOLEAN',
      },
      primaryKey: ['id'],
    });
    type Row = {
      id: bigint;
      name: string;
      amount: string | null;
      day: string | null;
      at: Date | null;
      micros: bigint | null;
      raw: Uint8Array | null;
      ok: boolean | null;
    };
    expectTypeOf(t).toEqualTypeOf<Table<Row>>();
    const row: Row = {
      id: 1n,
      name: 'ada',
      amount: '1.50',
      day: '2026-11-24',
      at: new Date(Date.UTC(2026, 10, 24)),
      micros: 1_700_000_000_000_000n,
      raw: new Uint8Array([1, 2]),
      ok: true,
    };
    await t.upsert(row);
    const [back] = await t.toArray();
    expectTypeOf(back).toEqualTypeOf<Row>();
    expect(back).toEqual(row);
    const [picked] = await t.toArray({ select: ['name'] });
    expectTypeOf(picked).toEqualTypeOf<Pick<Row, 'name'>>();
    expect(picked).toEqual({ name: 'ada' });
    // Declared by the caller.
    const again = await catalog.getTable<Row>('db.typed');
    for await (const r of again.scan()) expectTypeOf(r.amount).toEqualTypeOf<string | null>();
    // Typed tables are still Tables.
    const plain: Table = t;
    expect(plain.name).toBe('db.typed');
    expectTypeOf<RowOf<{ columns: { a: 'INT' } }>>().toEqualTypeOf<{ a: number | null }>();
    expectTypeOf<RowOf<{ columns: readonly [{ name: 'k'; type: 'VARCHAR(3)' }]; primaryKey: ['k'] }>>().toEqualTypeOf<{
      k: string;
    }>();
  });
});

describe('writers and catalogs release what they hold', () => {
  it('disposing a writer with uncommitted rows drops them and throws UNCOMMITTED; after a commit it is quiet', async () => {
    using d = tempDir();
    const { t } = await fixture(d.path);
    const before = await t.count();
    const dropped = (async () => {
      await using w = t.newWriter();
      await w.write({ id: 1000, region: 'eu', amount: '1.00', note: null });
    })();
    await expect(dropped).rejects.toMatchObject({ code: 'UNCOMMITTED' });
    expect(await t.count()).toBe(before);
    await (async () => {
      await using w = t.newWriter();
      await w.write({ id: 1000, region: 'eu', amount: '1.00', note: null });
      expect(w.hasUncommittedRows).toBe(true);
      await w.commit();
      expect(w.hasUncommittedRows).toBe(false);
    })();
    expect(await t.count()).toBe(before + 1);
    // close() is the explicit abort: no error.
    const w = t.newWriter();
    await w.write({ id: 1001, region: 'eu', amount: '1.00', note: null });
    w.close();
    expect(await t.count()).toBe(before + 1);
  });

  it('Catalog.close closes the FileIO it opened, not one it was given, and refuses use afterwards', async () => {
    using d = tempDir();
    const closed: string[] = [];
    const own = await Catalog.open(d.path);
    (own.io as { close?: () => void }).close = () => void closed.push('own');
    const given = await Catalog.open(d.path, { fileIO: own.io });
    await given.close();
    expect(closed).toEqual([]);
    await own.close();
    await own.close(); // again: nothing
    expect(closed).toEqual(['own']);
    await expect(own.listDatabases()).rejects.toThrow(/closed/);
    {
      await using scoped = await Catalog.open(d.path);
      expect(await scoped.listDatabases()).toEqual([]);
    }
  });
});

describe('inspect: keyRange', () => {
  it("decodes each file's min and max primary key with the schema it was written with", async () => {
    using d = tempDir();
    const catalog = await Catalog.open(d.path);
    const t = await catalog.createTable('db.k', {
      columns: { region: 'STRING', id: 'INT', v: 'STRING' },
      primaryKey: ['region', 'id'],
      partitionKeys: ['region'],
      options: { bucket: 1 },
    });
    await t.upsert([5, 9, 2].map((id) => ({ region: 'eu', id, v: 'a' })));
    await t.upsert([7, 30].map((id) => ({ region: 'eu', id, v: 'b' })));
    const { inspect } = await import('../src/inspect.ts');
    const meta = inspect(t);
    const files = await meta.liveFiles((await t.latestSnapshot())!);
    const ranges = await Promise.all(files.map((e) => meta.keyRange(e.file)));
    // The partition key is not part of the files' key (Paimon trims it).
    expect(ranges.map((r) => [r?.min, r?.max]).sort((a, b) => Number(a[0]?.id) - Number(b[0]?.id))).toEqual([
      [{ id: 2 }, { id: 9 }],
      [{ id: 7 }, { id: 30 }],
    ]);
    const log = await catalog.createTable('db.log', { columns: { id: 'INT' } });
    await log.upsert([{ id: 1 }]);
    const logFiles = await inspect(log).liveFiles((await log.latestSnapshot())!);
    expect(await inspect(log).keyRange(logFiles[0].file)).toBeUndefined();
  });
});

describe('resolution inside the repository', () => {
  it('@eddy/table, @eddy/table/inspect and @eddy/s3 resolve to the sources: one EddyError class', async () => {
    const bare = await import('@eddy/table');
    expect(bare.EddyError).toBe(EddyError);
    const inspect = await import('@eddy/table/inspect');
    expect(inspect.inspect).toBe((await import('../src/inspect.ts')).inspect);
    const s3 = await import('@eddy/s3');
    expect(() => s3.parseS3Path('/not/s3')).toThrow(EddyError);
  });

  it('an EddyError from another copy of the package is still an EddyError', () => {
    // What a second @eddy/table (say, @eddy/s3's own in a global install) throws.
    const foreign = Object.assign(new Error('gone'), { name: 'EddyError', code: 'NOT_FOUND' });
    Object.defineProperty(foreign, Symbol.for('@eddy/table.EddyError'), { value: true });
    expect(foreign instanceof EddyError).toBe(true);
    expect(new Error('plain') instanceof EddyError).toBe(false);
    expect(new EddyError('IO_ERROR', 'x') instanceof EddyError).toBe(true);
    expect(new EddyError('IO_ERROR', 'x') instanceof Error).toBe(true);
  });
});
