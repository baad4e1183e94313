// The live change feed: every commit to any table of the warehouse, newest on top, as the server
// sees it (server-sent events from /api/feed).
import { count, h, kindBadge, time } from '../dom.js';

export async function render(main) {
  const status = h('span', { class: 'badge', 'data-testid': 'feed-status', 'data-state': 'connecting' }, 'connecting…');
  const list = h('ul', { id: 'feed-list', 'data-testid': 'feed' });
  main.replaceChildren(
    h('h1', {}, 'Live feed ', status),
    h('p', { class: 'muted' }, 'Commits to any table, newest first: rows in the files added and removed.'),
    list,
  );
  const source = new EventSource('/api/feed');
  source.addEventListener('ready', () => {
    status.dataset.state = 'live';
    status.textContent = 'live';
  });
  source.addEventListener('error', () => {
    status.dataset.state = 'reconnecting';
    status.textContent = 'reconnecting…';
  });
  const shown = new Set();
  source.addEventListener('commit', (ev) => {
    const e = JSON.parse(ev.data);
    const c = e.commit;
    // A commit landing while the backlog was read comes twice; a reconnect resends the backlog.
    const key = `${e.table}#${c.id}`;
    if (shown.has(key)) return;
    shown.add(key);
    list.prepend(
      h(
        'li',
        {
          class: e.backlog ? undefined : 'fresh',
          'data-testid': 'feed-item',
          'data-table': e.table,
          'data-snapshot': c.id,
        },
        h('span', { class: 'mono muted' }, time(c.timeMillis)),
        h('a', { href: `#/table/${encodeURIComponent(e.table)}/timeline` }, e.table),
        h('span', {}, `snapshot ${c.id}`),
        kindBadge(c.kind),
        h('span', {}, `+${count(c.addedRows)} / −${count(c.removedRows)} rows`),
        h('span', { class: 'muted' }, `${c.addedFiles} files in, ${c.removedFiles} out`),
        h('span', { class: 'mono muted' }, c.commitUser),
      ),
    );
    while (list.childElementCount > 500) list.lastElementChild.remove();
  });
  // A problem of the server's poller (say, a table dropped while it was read): shown, not hidden.
  source.addEventListener('problem', (ev) => {
    const e = JSON.parse(ev.data);
    list.prepend(h('li', { class: 'error' }, `${e.table ? `${e.table}: ` : ''}${e.message}`));
  });
  return () => source.close();
}
