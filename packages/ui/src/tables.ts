/** Open tables by name, kept between requests (their manifest caches stay warm) and refreshed on use. */
import { type Catalog, EddyError, type Table } from '@eddy/table';

export class Tables {
  private readonly open = new Map<string, Promise<Table>>();

  constructor(readonly catalog: Catalog) {}

  /** `database.table`, in its latest schema. */
  async get(name: string): Promise<Table> {
    if (!/^[^./]+\.[^./]+$/.test(name))
      throw new EddyError('INVALID_ARGUMENT', `table '${name}': expected <database>.<table>`);
    let t = this.open.get(name);
    if (t) {
      const table = await t;
      await table.refresh();
      return table;
    }
    if (!(await this.catalog.tableExists(name)))
      throw new EddyError('NOT_FOUND', `table '${name}' does not exist in ${this.catalog.warehouse}`);
    t = this.catalog.getTable(name);
    this.open.set(name, t);
    t.catch(() => this.open.delete(name));
    return t;
  }

  /** Every `database.table` of the warehouse. */
  async names(): Promise<string[]> {
    const out: string[] = [];
    for (const d of await this.catalog.listDatabases())
      for (const t of await this.catalog.listTables(d)) out.push(`${d}.${t}`);
    return out;
  }

  /** `database.table` as last opened, without re-reading its schema (for the feed's polling). */
  async peek(name: string): Promise<Table> {
    return (await this.open.get(name)) ?? this.get(name);
  }

  forget(name: string): void {
    this.open.delete(name);
  }
}
