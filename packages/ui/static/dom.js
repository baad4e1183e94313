// Small DOM helpers: elements are built with text nodes (never innerHTML), so table data cannot
// inject markup.

/** An HTML element: attributes (on* are listeners), then children (strings become text). */
export function h(tag, attrs = {}, ...children) {
  return fill(document.createElement(tag), attrs, children);
}

/** An SVG element. */
export function s(tag, attrs = {}, ...children) {
  return fill(document.createElementNS('http://www.w3.org/2000/svg', tag), attrs, children);
}

function fill(el, attrs, children) {
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.setAttribute('class', v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

/** A table: columns are `{ key, label, num, fmt(value, row) }`; fmt may return a node. */
export function grid(columns, rows, attrs = {}) {
  return h(
    'table',
    { class: 'grid', ...attrs },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        columns.map((c) => h('th', { class: c.num ? 'num' : undefined }, c.label ?? c.key)),
      ),
    ),
    h(
      'tbody',
      {},
      rows.map((r) =>
        h(
          'tr',
          {},
          columns.map((c) =>
            h('td', { class: c.num ? 'num' : undefined }, c.fmt ? c.fmt(r[c.key], r) : cell(r[c.key])),
          ),
        ),
      ),
    ),
  );
}

/** A value as table text. */
export function cell(v) {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

export function count(n) {
  return typeof n === 'number' ? n.toLocaleString('en-US') : cell(n);
}

export function bytes(n) {
  if (typeof n !== 'number') return cell(n);
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`;
}

export function time(ms) {
  if (typeof ms !== 'number' || ms <= 0) return '';
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
}

export function ago(ms) {
  if (typeof ms !== 'number') return '';
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.round(s / 60)}m ago`;
  if (s < 86400) return `${Math.round(s / 3600)}h ago`;
  return `${Math.round(s / 86400)}d ago`;
}

export function kindBadge(kind) {
  return h('span', { class: `badge ${kind}` }, kind);
}

/** A key range `{col: v}` as text: one column as its value, several as a tuple. */
export function keyText(k) {
  if (!k) return '';
  const vals = Object.values(k).map(cell);
  return vals.length === 1 ? vals[0] : `(${vals.join(', ')})`;
}

export function errorBox(e) {
  return h('div', { class: 'error', 'data-testid': 'error' }, e instanceof Error ? e.message : String(e));
}
