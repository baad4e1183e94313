import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { renderOptionsDoc } from '../../../scripts/options-doc-render.ts';
import { Catalog } from '../src/index.ts';
import { parseCoreOptions } from '../src/options/core-options.ts';
import { fieldOption, optionSpec, suggestOption, TABLE_OPTIONS } from '../src/options/registry.ts';
import { tempDir } from './helpers.ts';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

describe('option registry', () => {
  it('docs/options.md is generated from the registry (run node scripts/options-doc.mjs)', () => {
    expect(readFileSync(path.join(ROOT, 'docs', 'options.md'), 'utf8')).toBe(renderOptionsDoc());
  });

  it('has one entry per key, each with a type, status and one line of docs', () => {
    const keys = TABLE_OPTIONS.map((o) => o.key);
    expect(new Set(keys).size).toBe(keys.length);
    for (const o of TABLE_OPTIONS) {
      expect(o.doc.length, o.key).toBeGreaterThan(5);
      expect(o.doc, o.key).not.toMatch(/\n/);
      if (o.default !== undefined && o.type !== 'string' && o.type !== 'map' && o.default !== 'unlimited')
        expect(() => parseCoreOptions({ [o.key]: o.default! }), o.key).not.toThrow();
    }
    // Every key parseCoreOptions reads is in the registry.
    const src = readFileSync(path.join(ROOT, 'packages/table/src/options/core-options.ts'), 'utf8');
    for (const m of src.matchAll(/opts(?:\[|, )'([a-z0-9.-]+)'/g))
      if (m[1] !== 'read') expect(optionSpec(m[1]), m[1]).toBeDefined();
  });

  it("an implemented option set to its registry default parses as if unset (the code's default is the registry's, which the interop suite checks is Java's)", () => {
    const unset = parseCoreOptions({});
    const differ: string[] = [];
    for (const o of TABLE_OPTIONS) {
      if (o.status !== 'implemented' || o.default === undefined) continue;
      // Eddy's one deviation, documented in docs/decisions.md: unset means no writer-side expiry.
      if (o.key === 'snapshot.expire.execution-mode') continue;
      if (!isDeepStrictEqual(parseCoreOptions({ [o.key]: o.default }), unset)) differ.push(`${o.key} = ${o.default}`);
    }
    expect(differ).toEqual([]);
  });

  it('knows per-column patterns and suggests the nearest key', () => {
    expect(fieldOption('fields.a,b.sequence-group')?.fields).toEqual(['a', 'b']);
    expect(fieldOption('fields.a,b.aggregate-function')).toBeUndefined();
    expect(fieldOption('fields.v.distinct')?.spec.status).toBe('implemented');
    expect(suggestOption('bukcet')).toBe('bucket');
    expect(suggestOption('merge-engnie')).toBe('merge-engine');
    expect(suggestOption('fields.v.agregate-function')).toBe('fields.v.aggregate-function');
    expect(optionSpec('partial-update.ignore-delete')?.key).toBe('ignore-delete');
    expect(parseCoreOptions({ 'partial-update.ignore-delete': 'true' }).ignoreDelete).toBe(true);
  });
});

describe('options honoured or refused', () => {
  const cols = { columns: { k: 'INT', v: 'INT' }, primaryKey: ['k'] } as const;

  it('create refuses unknown keys with a suggestion, and unsupported ones by name', async () => {
    using d = tempDir();
    const c = await Catalog.open(d.path);
    await expect(c.createTable('db.a', { ...cols, options: { bukcet: 2 } })).rejects.toMatchObject({
      code: 'INVALID_OPTION',
      message: expect.stringMatching(/unknown option 'bukcet' \(did you mean 'bucket'\?\)/),
    });
    await expect(
      c.createTable('db.a', { ...cols, options: { 'fields.x.ignore-retract': true } }),
    ).rejects.toMatchObject({ code: 'INVALID_OPTION', message: expect.stringMatching(/'x' is not a column/) });
    await expect(c.createTable('db.a', { ...cols, options: { 'write-buffer-size': 'lots' } })).rejects.toMatchObject({
      code: 'INVALID_OPTION',
    });
    for (const [k, v] of [
      ['rowkind.field', 'v'],
      ['scan.snapshot-id', '3'],
      ['bucket-function.type', 'mod'],
      ['record-level.expire-time', '1 d'],
      ['file.format', 'orc'],
    ]) {
      await expect(c.createTable('db.a', { ...cols, options: { [k]: v } }), k).rejects.toMatchObject({
        code: 'UNSUPPORTED',
        message: expect.stringContaining(`'${k}'`),
      });
    }
    // Performance-only Paimon keys and refused keys at their default are accepted.
    const t = await c.createTable('db.ok', {
      ...cols,
      options: { 'lookup.cache-max-memory-size': '64 mb', 'sort-engine': 'min-heap', 'scan.mode': 'default' },
    });
    await t.upsert([{ k: 1, v: 2 }]);
    expect(await t.toArray()).toEqual([{ k: 1, v: 2 }]);
  });

  it('alter refuses unknown and unsupported keys; opening a table written with a refused option fails by name', async () => {
    using d = tempDir();
    const c = await Catalog.open(d.path);
    const t = await c.createTable('db.t', { ...cols, options: { bucket: 1 } });
    await t.upsert([{ k: 1, v: 2 }]);
    await expect(t.alter([{ kind: 'setOption', key: 'snapshot.num-retaind.min', value: 3 }])).rejects.toMatchObject({
      code: 'INVALID_OPTION',
      message: expect.stringMatching(/did you mean 'snapshot.num-retained.min'/),
    });
    await expect(t.alter([{ kind: 'setOption', key: 'rowkind.field', value: 'v' }])).rejects.toMatchObject({
      code: 'UNSUPPORTED',
    });
    await t.alter([{ kind: 'setOption', key: 'snapshot.num-retained.min', value: 3 }]);
    // A table another engine wrote with an option Eddy does not implement: refused on open.
    const schemaFile = path.join(d.path, 'db.db', 't', 'schema', 'schema-2');
    const json = JSON.parse(readFileSync(path.join(d.path, 'db.db', 't', 'schema', 'schema-1'), 'utf8'));
    json.id = 2;
    json.options['rowkind.field'] = 'v';
    json.options['sink.parallelism'] = '4'; // another engine's key: ignored
    writeFileSync(schemaFile, JSON.stringify(json));
    await expect(c.getTable('db.t')).rejects.toMatchObject({
      code: 'UNSUPPORTED',
      message: expect.stringContaining("'rowkind.field'"),
    });
  });
});
