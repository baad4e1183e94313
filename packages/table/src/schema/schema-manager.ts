import { type FileIO, joinPath } from '../io/file-io.ts';
import { EddyError } from '../types/errors.ts';
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

  /** Publishes a schema file atomically; false when that id already exists. */
  async tryCreate(schema: TableSchema): Promise<boolean> {
    const ok = await this.io.writeIfAbsent(this.schemaPath(schema.id), schema.toJson());
    if (ok) this.cache.set(schema.id, schema);
    return ok;
  }
}
