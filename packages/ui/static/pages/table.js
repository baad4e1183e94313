// A table: its tabs (overview, timeline, LSM shape, files, tags and consumers).
import { h } from '../dom.js';

const TABS = {
  overview: ['Overview', () => import('./overview.js')],
  timeline: ['Snapshot timeline', () => import('./timeline.js')],
  lsm: ['LSM shape', () => import('./lsm.js')],
  files: ['Files', () => import('./files.js')],
  refs: ['Tags & consumers', () => import('./refs.js')],
};

export async function render(main, { table, tab }, stale) {
  const which = TABS[tab] ? tab : 'overview';
  const content = h('div', {});
  main.replaceChildren(
    h('h1', {}, h('a', { href: '#/' }, 'Warehouse'), ' / ', h('span', { 'data-testid': 'table-name' }, table)),
    h(
      'nav',
      { class: 'tabs' },
      Object.entries(TABS).map(([key, [label]]) =>
        h(
          'a',
          { href: `#/table/${encodeURIComponent(table)}/${key}`, class: key === which ? 'active' : undefined },
          label,
        ),
      ),
    ),
    content,
  );
  const mod = await TABS[which][1]();
  return mod.render(content, table, stale);
}
