// Table overview: keys, options, schema and its history, partitions.
import { get, tablePath } from '../api.js';
import { bytes, count, grid, h, kindBadge, time } from '../dom.js';

export async function render(el, name) {
  const t = await get(tablePath(name));
  const facts = [
    ['path', h('span', { class: 'mono' }, t.path)],
    ['primary key', t.primaryKeys.length ? t.primaryKeys.join(', ') : '(none: append table)'],
    ['partitioned by', t.partitionKeys.length ? t.partitionKeys.join(', ') : '(not partitioned)'],
    ['bucket', `${t.bucket}${t.bucketKeys.length ? ` (bucket key ${t.bucketKeys.join(', ')})` : ''}`],
    ['merge engine', t.mergeEngine ?? '—'],
    [
      'snapshots',
      t.snapshots.latest
        ? h(
            'span',
            {},
            `${t.snapshots.earliest} … ${t.snapshots.latest.id} (latest `,
            kindBadge(t.snapshots.latest.kind),
            ` at ${time(t.snapshots.latest.timeMillis)})`,
          )
        : '(none)',
    ],
    ['records', count(t.records)],
    ['data files', `${count(t.dataFiles)} (${bytes(t.sizeBytes)})`],
  ];
  if (t.comment) facts.push(['comment', t.comment]);
  el.replaceChildren(
    h(
      'dl',
      { class: 'facts' },
      facts.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
    ),
    h('div', { class: 'cols' }, [
      h('div', {}, [
        h('h2', {}, `Schema (id ${t.schemaId})`),
        grid(
          [
            { key: 'id', num: true },
            { key: 'name' },
            { key: 'type', fmt: (v) => h('span', { class: 'mono' }, v) },
            {
              key: 'primaryKey',
              label: 'key',
              fmt: (_v, r) =>
                [r.primaryKey ? 'primary' : '', r.partitionKey ? 'partition' : ''].filter(Boolean).join(', '),
            },
            { key: 'description' },
          ],
          t.fields,
          { 'data-testid': 'fields' },
        ),
        h('h2', {}, 'Schema history'),
        grid(
          [
            { key: 'id', num: true },
            { key: 'timeMillis', label: 'time (UTC)', fmt: time },
            { key: 'changes', fmt: (v) => (v.length ? v.join('; ') : '') },
          ],
          t.schemas,
        ),
      ]),
      h('div', {}, [
        h('h2', {}, 'Options'),
        Object.keys(t.options).length
          ? grid(
              [
                { key: 'option', fmt: (v) => h('span', { class: 'mono' }, v) },
                { key: 'value', fmt: (v) => h('span', { class: 'mono' }, v) },
              ],
              Object.entries(t.options).map(([option, value]) => ({ option, value })),
            )
          : h('p', { class: 'muted' }, '(none)'),
        h('h2', {}, 'Partitions'),
        grid(
          [
            { key: 'partition', fmt: (v) => v || '(unpartitioned)' },
            { key: 'buckets', num: true },
            { key: 'files', num: true, fmt: count },
            { key: 'rows', label: 'rows in files', num: true, fmt: count },
            { key: 'sizeBytes', label: 'size', num: true, fmt: bytes },
          ],
          t.partitions,
          { 'data-testid': 'partitions' },
        ),
      ]),
    ]),
  );
}
