/**
 * Prometheus text exposition (format 0.0.4) for the daemon's counters and gauges, without a
 * client library: a handful of metric families with an optional `table` label.
 */

type Kind = 'counter' | 'gauge';

interface Family {
  readonly name: string;
  readonly help: string;
  readonly kind: Kind;
  /** Per-table series only (no unlabelled 0 before the first value). */
  readonly perTable: boolean;
  readonly values: Map<string, number>;
}

const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

export class Metrics {
  private readonly families = new Map<string, Family>();
  private readonly collectors: (() => void)[] = [];

  constructor(private readonly prefix = 'eddy_compactor_') {
    const c = (name: string, help: string) => this.define(name, help, 'counter');
    const g = (name: string, help: string) => this.define(name, help, 'gauge');
    c('rounds_total', 'Maintenance rounds completed.');
    c('compactions_total', 'Compactions committed (COMPACT snapshots), per table.');
    c('compaction_rows_in_total', 'Rows read by compactions, per table.');
    c('compaction_rows_out_total', 'Rows written by compactions, per table.');
    c('compaction_bytes_in_total', 'Bytes of data files compactions replaced, per table.');
    c('compaction_bytes_out_total', 'Bytes of data files compactions wrote, per table.');
    c('compaction_files_in_total', 'Data files compactions replaced, per table.');
    c('compaction_files_out_total', 'Data files compactions wrote, per table.');
    c('commit_conflicts_total', 'Compactions discarded because a concurrent commit changed their inputs.');
    c('snapshots_expired_total', 'Snapshots expired, per table.');
    c('expiries_beside_compaction_total', 'Expiry passes run while a compaction of the table was running, per table.');
    c('expired_files_deleted_total', 'Data and metadata files deleted after snapshot expiry, per table.');
    c('orphan_files_removed_total', 'Orphan files removed, per table.');
    c('errors_total', 'Failed maintenance steps (table listing, compaction, expiry, cleanup).');
    c(
      'table_budget_exceeded_total',
      'Times the maintenance of a table ran past --table-budget and was skipped, per table.',
    );
    g('sorted_runs', 'Worst (largest) sorted-run count over the buckets of a table: its read amplification.');
    g('buckets_needing_compaction', 'Buckets of a table that need compaction.');
    g('queue_depth', 'Maintenance tasks waiting in the queue.');
    g('in_flight', 'Maintenance tasks running.');
    g('tables', 'Tables this daemon (shard) looks after.');
    g('pending_file_deletions', 'Files of expired snapshots waiting for their grace period.');
    g('up', '1 while running, 0 while shutting down.');
  }

  private define(name: string, help: string, kind: Kind): void {
    const perTable = help.includes('per table') || help.includes('of a table');
    this.families.set(name, { name: this.prefix + name, help, kind, perTable, values: new Map() });
  }

  private family(name: string): Family {
    const f = this.families.get(name);
    if (!f) throw new Error(`unknown metric ${name}`);
    return f;
  }

  inc(name: string, by = 1, table?: string): void {
    const f = this.family(name);
    const k = table ?? '';
    f.values.set(k, (f.values.get(k) ?? 0) + by);
  }

  set(name: string, value: number, table?: string): void {
    this.family(name).values.set(table ?? '', value);
  }

  /** Drops a table's gauge series (the table went away or left this shard). */
  forget(name: string, table: string): void {
    this.family(name).values.delete(table);
  }

  get(name: string, table?: string): number | undefined {
    return this.family(name).values.get(table ?? '');
  }

  /** Runs before each render (for gauges read from live state). */
  onCollect(fn: () => void): void {
    this.collectors.push(fn);
  }

  render(): string {
    for (const c of this.collectors) c();
    const lines: string[] = [];
    for (const f of this.families.values()) {
      lines.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.kind}`);
      if (f.values.size === 0 && !f.perTable) lines.push(`${f.name} 0`);
      for (const [table, v] of [...f.values].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        lines.push(table === '' ? `${f.name} ${v}` : `${f.name}{table="${escapeLabel(table)}"} ${v}`);
      }
    }
    return `${lines.join('\n')}\n`;
  }
}
