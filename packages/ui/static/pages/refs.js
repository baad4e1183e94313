// Tags and consumers, placed on the table's snapshot range.
import { get, tablePath } from '../api.js';
import { ago, grid, h, kindBadge, time } from '../dom.js';

export async function render(el, name) {
  const r = await get(tablePath(name, 'refs'));
  const lo = Math.min(
    r.earliestSnapshot ?? 1,
    ...r.tags.map((t) => t.snapshotId),
    ...r.consumers.map((c) => c.nextSnapshot),
  );
  const hi = Math.max(r.latestSnapshot ?? 1, lo + 1);
  const position = (id) =>
    h(
      'div',
      { class: 'position', title: `snapshot ${id} in ${lo}…${hi}` },
      h('span', { style: `left: ${((Math.min(id, hi) - lo) / (hi - lo)) * 196}px` }),
    );
  el.replaceChildren(
    h(
      'p',
      {},
      `Snapshots ${r.earliestSnapshot ?? '—'} … ${r.latestSnapshot ?? '—'}`,
      r.changelogs ? ` · long-lived changelogs ${r.changelogs.earliest} … ${r.changelogs.latest}` : '',
    ),
    h('h2', {}, `Tags (${r.tags.length})`),
    r.tags.length
      ? grid(
          [
            { key: 'name' },
            { key: 'snapshotId', label: 'snapshot', num: true },
            { key: 'kind', fmt: kindBadge },
            { key: 'snapshotTimeMillis', label: 'snapshot time (UTC)', fmt: time },
            { key: 'createTime', label: 'created' },
            { key: 'timeRetainedMs', label: 'retained for', fmt: (v) => (v ? `${Math.round(v / 1000)} s` : '') },
            { key: 'snapshotId', label: 'position', fmt: position },
          ],
          r.tags,
          { 'data-testid': 'tags' },
        )
      : h('p', { class: 'muted' }, 'No tags.'),
    h('h2', {}, `Consumers (${r.consumers.length})`),
    r.consumers.length
      ? grid(
          [
            { key: 'id', fmt: (v) => h('span', { class: 'mono' }, v) },
            { key: 'nextSnapshot', label: 'next snapshot', num: true },
            { key: 'behind', label: 'snapshots behind', num: true },
            { key: 'modifiedMillis', label: 'last moved', fmt: ago },
            { key: 'nextSnapshot', label: 'position', fmt: position },
          ],
          r.consumers,
          { 'data-testid': 'consumers' },
        )
      : h('p', { class: 'muted' }, 'No consumers.'),
  );
}
