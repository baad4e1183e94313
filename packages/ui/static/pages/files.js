// Live data files of a snapshot with their bucket, level and primary-key range.
import { get, tablePath } from '../api.js';
import { bytes, count, grid, h, keyText, time } from '../dom.js';

export async function render(el, name) {
  const snapshot = h('input', { type: 'number', min: 1, placeholder: 'latest', style: 'width: 7rem' });
  const body = h('div', {});
  const load = async () => {
    const v = await get(`${tablePath(name, 'files')}${snapshot.value ? `?snapshot=${snapshot.value}` : ''}`);
    show(body, v);
  };
  el.replaceChildren(
    h('div', { class: 'controls' }, h('label', {}, 'snapshot ', snapshot), h('button', { onclick: load }, 'Show')),
    body,
  );
  await load();
}

function show(el, v) {
  const filter = h('input', { type: 'search', placeholder: 'filter: partition, bucket, file…', style: 'width: 18rem' });
  const box = h('div', { class: 'scroll' });
  const draw = () => {
    const q = filter.value.trim().toLowerCase();
    const rows = q
      ? v.files.filter((f) => `${f.partition} bucket-${f.bucket} ${f.name} L${f.level}`.toLowerCase().includes(q))
      : v.files;
    box.replaceChildren(
      grid(
        [
          { key: 'partition', fmt: (p) => p || '—' },
          { key: 'bucket', num: true },
          { key: 'level', num: true },
          {
            key: 'name',
            label: 'file',
            fmt: (n) => h('span', { class: 'mono', title: n }, n.length > 28 ? `${n.slice(0, 14)}…${n.slice(-12)}` : n),
          },
          { key: 'sizeBytes', label: 'size', num: true, fmt: bytes },
          { key: 'rows', num: true, fmt: count },
          { key: 'deleteRows', label: '-D/-U', num: true, fmt: count },
          {
            key: 'minKey',
            label: 'key range',
            fmt: (k, f) => (k ? h('span', { class: 'mono' }, `${keyText(k)} … ${keyText(f.maxKey)}`) : '—'),
          },
          {
            key: 'minSequence',
            label: 'sequence',
            fmt: (s, f) => h('span', { class: 'mono' }, `${s}…${f.maxSequence}`),
          },
          { key: 'schemaId', label: 'schema', num: true },
          { key: 'creationTime', label: 'created (UTC)', fmt: time },
        ],
        rows,
        { 'data-testid': 'files' },
      ),
    );
  };
  filter.addEventListener('input', draw);
  el.replaceChildren(
    h(
      'div',
      { class: 'controls' },
      v.snapshot
        ? `Snapshot ${v.snapshot.id}: ${count(v.total)} live files${v.files.length < v.total ? ` (first ${v.files.length})` : ''}`
        : 'No snapshots yet.',
      filter,
    ),
    box,
  );
  draw();
}
