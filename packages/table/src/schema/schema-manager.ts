import { type FileIO, joinPath } from '../io/file-io.ts';
import { EddyError } from '../types/errors.ts';
import { applySchemaChanges, type SchemaChange } from './schema-change.ts';
import { TableSchema } from './table-schema.ts';

/** Reads and writes `schema/schema-N`. Schemas are immutable, so they are cached by id. */
export class SchemaManager {
  readonly dir: string;
  private readonly cache = new Map<number, TableSchema>();
  private readonly readCache = new Map<string, TableSchema>();

  constructor(
    private readonly io: FileIO,
    tablePath: string,
  ) {
    this.dir = joinPath(tablePath, 'schema');
  }

  schemaPath(id: number): string {
    return joinPath(this.dir, `schema-${id}`);
  }

  async schema(id: number): Promise<TableSchema> {
    const hit = this.cache.get(id);
    if (hit) return hit;
    const path = this.schemaPath(id);
    let bytes: Uint8Array;
    try {
      bytes = await this.io.read(path);
    } catch (e) {
      if (e instanceof EddyError && e.code === 'NOT_FOUND') {
        throw new EddyError('NOT_FOUND', `schema ${id} does not exist (${path})`, { path, cause: e });
      }
      throw e;
    }
    const schema = TableSchema.fromJson(new TextDecoder().decode(bytes), path);
    if (schema.id !== id) throw new EddyError('CORRUPT_FILE', `${path}: holds schema id ${schema.id}`, { path });
    this.cache.set(id, schema);
    return schema;
  }

  /**
   * The schema to read a snapshot in: its own fields and keys (the columns the table had then —
   * dropped ones back, renamed ones under their old names) with `current`'s options, as Java's time
   * travel does (AbstractFileStoreTable.tryTimeTravel: schema(snapshot.schemaId).copy(options)).
   */
  async forSnapshot(schemaId: number, current: TableSchema): Promise<TableSchema> {
    if (schemaId === current.id) return current;
    const key = `${schemaId}@${current.id}`;
    const hit = this.readCache.get(key);
    if (hit) return hit;
    const old = await this.schema(schemaId);
    let schema: TableSchema;
    try {
      schema = new TableSchema(
        old.id,
        old.fields,
        old.highestFieldId,
        old.partitionKeys,
        old.primaryKeys,
        current.rawOptions,
        old.comment,
        old.timeMillis,
      );
    } catch (e) {
      if (!(e instanceof EddyError)) throw e;
      throw new EddyError(
        e.code,
        `schema ${schemaId} (of the snapshot being read) with the table's current options: ${e.message}`,
        { path: this.schemaPath(schemaId), cause: e },
      );
    }
    this.readCache.set(key, schema);
    return schema;
  }

  async listSchemaIds(): Promise<number[]> {
    const ids: number[] = [];
    for (const f of await this.io.list(this.dir)) {
      const m = /\/schema-(\d+)$/.exec(f.path);
      if (m) ids.push(Number(m[1]));
    }
    return ids.sort((a, b) => a - b);
  }

  async latest(): Promise<TableSchema | undefined> {
    const ids = await this.listSchemaIds();
    return ids.length === 0 ? undefined : this.schema(ids[ids.length - 1]);
  }

  /**
   * The newest schema, found from `known` by probing `schema-(id+1)` (one existence check when
   * nothing changed): schema ids are consecutive, and a schema file is never replaced.
   */
  async latestFrom(known: TableSchema): Promise<TableSchema> {
    let cur = known;
    while (await this.io.exists(this.schemaPath(cur.id + 1))) cur = await this.schema(cur.id + 1);
    return cur;
  }

  /**
   * Applies an ALTER on the latest schema and publishes it as `schema-(id+1)` without replacing:
   * when another ALTER takes that id first, the changes are validated again on top of it (Paimon's
   * SchemaManager.commitChanges loop), so two ALTERs never both build on the same schema.
   */
  async commitChanges(
    changes: readonly SchemaChange[],
    ctx: { readonly table: string; readonly hasSnapshots: () => Promise<boolean> },
  ): Promise<TableSchema> {
    let hasSnapshots: boolean | undefined;
    for (let attempt = 0; ; attempt++) {
      const latest = await this.latest();
      if (!latest) throw new EddyError('NOT_FOUND', `table ${ctx.table} does not exist`);
      hasSnapshots ??= await ctx.hasSnapshots();
      const next = applySchemaChanges(latest, changes, { table: ctx.table, hasSnapshots });
      if (await this.tryCreate(next)) return next;
      if (attempt >= 100)
        throw new EddyError('COMMIT_CONFLICT', `ALTER TABLE ${ctx.table}: other schema changes kept winning`);
    }
  }

  /** Publishes a schema file atomically; false when that id already exists. */
  async tryCreate(schema: TableSchema): Promise<boolean> {
    const ok = await this.io.writeIfAbsent(this.schemaPath(schema.id), schema.toJson());
    if (ok) this.cache.set(schema.id, schema);
    return ok;
  }
}
