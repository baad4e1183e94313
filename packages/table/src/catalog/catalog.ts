import * as nodePath from 'node:path';
import { type FileIO, joinPath } from '../io/file-io.ts';
import { fileIOForWarehouse, warehousePath } from '../io/warehouse.ts';
import { forgetPublished } from '../meta/published-metadata.ts';
import { SchemaManager } from '../schema/schema-manager.ts';
import { type SchemaInput, TableSchema } from '../schema/table-schema.ts';
import { Table } from '../table.ts';
import { EddyError } from '../types/errors.ts';
import type { RowOf } from '../types/row-type.ts';
import { formatIdentifier, type Identifier, parseIdentifier, validateName } from './identifier.ts';

export interface CatalogOptions {
  /** Storage to use instead of the one the warehouse URI implies (tests, fault injection). */
  readonly fileIO?: FileIO;
}

/**
 * A filesystem catalog: `<warehouse>/<database>.db/<table>/`, like Paimon's. `close()` (or
 * `await using catalog = await Catalog.open(...)`) releases the storage client it opened.
 */
export class Catalog implements AsyncDisposable {
  private closed = false;

  private constructor(
    readonly warehouse: string,
    readonly io: FileIO,
    /** The FileIO was made here (not passed in `options.fileIO`): close() closes it. */
    private readonly ownsIO: boolean,
  ) {}

  /**
   * Closes the storage client the catalog opened (S3 connections; nothing for a local folder).
   * Tables got from it must not be used afterwards; a FileIO passed in `options.fileIO` is the
   * caller's to close. Calling it again does nothing.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.ownsIO) await this.io.close?.();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private checkOpen(): void {
    if (this.closed) throw new EddyError('INVALID_ARGUMENT', `the catalog of ${this.warehouse} is closed`);
  }

  /** Opens (and creates, when absent) a warehouse at a local path, a `file://` URI or `s3://bucket/prefix`. */
  static async open(pathOrUri: string, options: CatalogOptions = {}): Promise<Catalog> {
    if (typeof pathOrUri !== 'string' || pathOrUri.length === 0) {
      throw new EddyError('INVALID_ARGUMENT', 'a warehouse path or URI is required');
    }
    // A path or file:// → LocalFileIO; s3://bucket/prefix → @eddy/s3's S3FileIO; other schemes need options.fileIO.
    const path = warehousePath(pathOrUri);
    const io = options.fileIO ?? (await fileIOForWarehouse(pathOrUri));
    try {
      await io.mkdirs(path);
    } catch (e) {
      if (!(e instanceof EddyError)) throw e;
      throw new EddyError(e.code, `warehouse ${path}: ${e.message}`, { path, cause: e });
    }
    return new Catalog(path, io, options.fileIO === undefined);
  }

  databasePath(database: string): string {
    return joinPath(this.warehouse, `${validateName('database', database)}.db`);
  }

  tablePath(id: Identifier): string {
    return joinPath(this.databasePath(id.database), validateName('table', id.table));
  }

  async listDatabases(): Promise<string[]> {
    this.checkOpen();
    return (await this.io.list(this.warehouse))
      .filter((f) => f.isDirectory && f.path.endsWith('.db'))
      .map((f) => nodePath.posix.basename(f.path).slice(0, -3))
      .sort();
  }

  async databaseExists(database: string): Promise<boolean> {
    return (await this.io.stat(this.databasePath(database)))?.isDirectory === true;
  }

  async createDatabase(database: string, options: { ignoreIfExists?: boolean } = {}): Promise<void> {
    const path = this.databasePath(database);
    if (await this.databaseExists(database)) {
      if (options.ignoreIfExists) return;
      throw new EddyError('ALREADY_EXISTS', `database '${database}' already exists`, { path });
    }
    await this.io.mkdirs(path);
  }

  async dropDatabase(
    database: string,
    options: { cascade?: boolean; ignoreIfNotExists?: boolean } = {},
  ): Promise<void> {
    if (!(await this.databaseExists(database))) {
      if (options.ignoreIfNotExists) return;
      throw new EddyError('NOT_FOUND', `database '${database}' does not exist`);
    }
    const tables = await this.listTables(database);
    if (tables.length > 0 && !options.cascade) {
      throw new EddyError(
        'INVALID_ARGUMENT',
        `database '${database}' is not empty (${tables.length} tables); pass cascade to drop it`,
      );
    }
    await this.io.deleteDirectory(this.databasePath(database));
    forgetPublished(this.io, this.databasePath(database));
  }

  async listTables(database: string): Promise<string[]> {
    this.checkOpen();
    if (!(await this.databaseExists(database)))
      throw new EddyError('NOT_FOUND', `database '${database}' does not exist`);
    const out: string[] = [];
    for (const f of await this.io.list(this.databasePath(database))) {
      if (!f.isDirectory) continue;
      if (await this.io.exists(joinPath(f.path, 'schema', 'schema-0'))) out.push(nodePath.posix.basename(f.path));
    }
    return out.sort();
  }

  async tableExists(identifier: string | Identifier): Promise<boolean> {
    const id = parseIdentifier(identifier);
    return (await new SchemaManager(this.io, this.tablePath(id)).listSchemaIds()).length > 0;
  }

  /**
   * Creates a table; the database is created when missing. Publishing `schema-0` is atomic. The
   * table's row type comes from the schema (`RowOf<typeof input>`) when its types are literals.
   */
  async createTable<const S extends SchemaInput>(
    identifier: string | Identifier,
    input: S,
    options: { ignoreIfExists?: boolean } = {},
  ): Promise<Table<RowOf<S>>> {
    this.checkOpen();
    const id = parseIdentifier(identifier);
    const schema = TableSchema.create(input);
    await this.createDatabase(id.database, { ignoreIfExists: true });
    const path = this.tablePath(id);
    const schemas = new SchemaManager(this.io, path);
    if (!(await schemas.tryCreate(schema))) {
      if (options.ignoreIfExists) return this.getTable<RowOf<S>>(id);
      throw new EddyError('ALREADY_EXISTS', `table '${formatIdentifier(id)}' already exists`, { path });
    }
    return Table.load<RowOf<S>>(this.io, path, id);
  }

  /** Opens a table; `R` declares its row type (default: plain records). */
  async getTable<R extends object = Record<string, unknown>>(identifier: string | Identifier): Promise<Table<R>> {
    this.checkOpen();
    const id = parseIdentifier(identifier);
    return Table.load<R>(this.io, this.tablePath(id), id);
  }

  async dropTable(identifier: string | Identifier, options: { ignoreIfNotExists?: boolean } = {}): Promise<void> {
    this.checkOpen();
    const id = parseIdentifier(identifier);
    if (!(await this.tableExists(id))) {
      if (options.ignoreIfNotExists) return;
      throw new EddyError('NOT_FOUND', `table '${formatIdentifier(id)}' does not exist`);
    }
    await this.io.deleteDirectory(this.tablePath(id));
    forgetPublished(this.io, this.tablePath(id));
  }
}
