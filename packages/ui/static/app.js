// The router: `#/` warehouse, `#/table/<db.t>[/<tab>]`, `#/feed`, `#/sql`. Each page module
// exports `render(main, params)`, which may return a cleanup function.
import { get } from './api.js';
import { errorBox, h } from './dom.js';

const pages = {
  warehouse: () => import('./pages/warehouse.js'),
  table: () => import('./pages/table.js'),
  feed: () => import('./pages/feed.js'),
  sql: () => import('./pages/sql.js'),
};

let cleanup;
let generation = 0;

function route() {
  const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  if (parts[0] === 'table' && parts[1])
    return { page: 'table', params: { table: parts[1], tab: parts[2] || 'overview' } };
  if (parts[0] === 'feed') return { page: 'feed', params: {} };
  if (parts[0] === 'sql') return { page: 'sql', params: {} };
  return { page: 'warehouse', params: {} };
}

async function show() {
  const my = ++generation;
  if (typeof cleanup === 'function') cleanup();
  cleanup = undefined;
  const { page, params } = route();
  for (const a of document.querySelectorAll('header nav a'))
    a.classList.toggle('active', a.dataset.nav === (page === 'table' ? 'warehouse' : page));
  const main = document.getElementById('view');
  main.replaceChildren(h('p', { class: 'muted' }, 'Loading…'));
  main.dataset.page = page;
  main.dataset.ready = 'false';
  try {
    const mod = await pages[page]();
    const done = await mod.render(main, params, () => my !== generation);
    if (my === generation) cleanup = done;
    else if (typeof done === 'function') done();
  } catch (e) {
    if (my === generation) main.replaceChildren(errorBox(e));
  }
  if (my === generation) main.dataset.ready = 'true';
}

async function header() {
  try {
    const w = await get('/api/warehouse');
    document.getElementById('warehouse-path').textContent = w.warehouse;
    const mode = document.getElementById('mode');
    mode.textContent = w.readOnly ? 'read-only' : 'writes allowed';
    mode.classList.toggle('warn', !w.readOnly);
  } catch {
    // The page itself shows the error.
  }
}

window.addEventListener('hashchange', show);
header();
show();
