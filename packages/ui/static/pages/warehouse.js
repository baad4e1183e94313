// The warehouse: every database's tables with size, latest snapshot and the worst bucket's sorted runs.
import { get } from '../api.js';
import { ago, bytes, count, grid, h, kindBadge } from '../dom.js';

export async function render(main) {
  const w = await get('/api/warehouse');
  const body = [h('h1', {}, 'Warehouse ', h('span', { class: 'muted mono' }, w.warehouse))];
  if (w.databases.length === 0) body.push(h('p', { class: 'muted' }, 'No databases yet.'));
  for (const db of w.databases) {
    body.push(h('h2', {}, `Database ${db.name}`));
    if (db.tables.length === 0) {
      body.push(h('p', { class: 'muted' }, 'No tables.'));
      continue;
    }
    body.push(
      grid(
        [
          {
            key: 'name',
            label: 'table',
            fmt: (v) => h('a', { href: `#/table/${encodeURIComponent(v)}`, 'data-testid': 'table-link' }, v),
          },
          { key: 'primaryKey', label: 'primary key', fmt: (v) => (v.length ? v.join(', ') : 'append') },
          { key: 'partitionKeys', label: 'partitioned by', fmt: (v) => v.join(', ') },
          { key: 'records', num: true, fmt: count },
          { key: 'sizeBytes', label: 'size', num: true, fmt: bytes },
          { key: 'files', num: true, fmt: count },
          { key: 'buckets', num: true },
          {
            key: 'latestSnapshot',
            label: 'latest snapshot',
            fmt: (s) => (s ? h('span', {}, `${s.id} `, kindBadge(s.kind), ` ${ago(s.timeMillis)}`) : '(none)'),
          },
          {
            key: 'worstSortedRuns',
            label: 'worst sorted runs',
            num: true,
            fmt: (v, r) =>
              h(
                'span',
                { class: r.bucketsNeedingCompaction ? 'badge warn' : undefined, 'data-testid': 'worst-runs' },
                String(v),
                r.bucketsNeedingCompaction ? ` (${r.bucketsNeedingCompaction} due)` : '',
              ),
          },
        ],
        db.tables,
        { 'data-testid': `tables-${db.name}` },
      ),
    );
  }
  main.replaceChildren(...body);
}
