// Snapshot timeline: rows added (up) and removed (down) per commit, coloured by commit kind, with
// the table's record count as a line. Drag across the chart to zoom; double-click to zoom out.
import uPlot from '/vendor/uPlot.esm.js';
import { get, tablePath } from '../api.js';
import { count, grid, h, kindBadge, time } from '../dom.js';

/** Axis steps of whole snapshots. */
const INTEGER_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000];

export const KIND_COLOURS = { APPEND: '#3b82f6', COMPACT: '#f59e0b', OVERWRITE: '#ef4444', ANALYZE: '#8b5cf6' };

export async function render(el, name) {
  const t = await get(`${tablePath(name, 'timeline')}?limit=2000`);
  const commits = t.commits;
  if (commits.length === 0) {
    el.replaceChildren(h('p', { class: 'muted' }, 'No snapshots yet.'));
    return;
  }
  const chartBox = h('div', { 'data-testid': 'timeline-chart' });
  el.replaceChildren(
    h(
      'p',
      { class: 'muted' },
      `${commits.length} of ${t.total} snapshots. Bars: rows in the files each commit added (up) and removed (down). Drag to zoom, double-click to reset.`,
    ),
    chartBox,
    h('h2', {}, 'Commits (latest first)'),
    h(
      'div',
      { class: 'scroll' },
      grid(
        [
          {
            key: 'id',
            num: true,
            fmt: (v) =>
              h(
                'a',
                {
                  href: `#/table/${encodeURIComponent(name)}/lsm`,
                  onclick: () => {
                    sessionStorage.lsmSnapshot = v;
                  },
                },
                String(v),
              ),
          },
          { key: 'kind', fmt: kindBadge },
          { key: 'timeMillis', label: 'time (UTC)', fmt: time },
          { key: 'addedRows', label: 'rows added', num: true, fmt: count },
          { key: 'removedRows', label: 'rows removed', num: true, fmt: count },
          { key: 'retractions', label: 'of which -D/-U', num: true, fmt: count },
          { key: 'addedFiles', label: 'files +', num: true },
          { key: 'removedFiles', label: 'files −', num: true },
          { key: 'totalRecords', label: 'records', num: true, fmt: count },
          { key: 'commitUser', label: 'commit user', fmt: (v) => h('span', { class: 'mono' }, v) },
        ],
        [...commits].reverse().slice(0, 500),
        { 'data-testid': 'commits' },
      ),
    ),
  );
  const x = commits.map((c) => c.id);
  const kinds = [...new Set(commits.map((c) => c.kind))];
  const series = [{ label: 'snapshot' }];
  const data = [x];
  const bars = uPlot.paths.bars({ size: [0.7, 40] });
  for (const k of kinds) {
    const colour = KIND_COLOURS[k] ?? '#64748b';
    series.push({ label: `${k} added`, stroke: colour, fill: colour, paths: bars, points: { show: false }, width: 0 });
    data.push(commits.map((c) => (c.kind === k ? c.addedRows : null)));
    series.push({
      label: `${k} removed`,
      stroke: colour,
      fill: `${colour}80`,
      paths: bars,
      points: { show: false },
      width: 0,
    });
    data.push(commits.map((c) => (c.kind === k ? -c.removedRows : null)));
  }
  series.push({ label: 'records', stroke: '#111827', width: 1.5, scale: 'records', points: { show: false } });
  data.push(commits.map((c) => c.totalRecords));
  const chart = new uPlot(
    {
      width: Math.max(400, el.clientWidth - 10),
      height: 320,
      scales: {
        x: {
          time: false,
          // Half a bar of room at both ends of the whole range; a zoomed range is kept as dragged.
          range: (_u, min, max) => (min === x[0] && max === x[x.length - 1] ? [min - 0.6, max + 0.6] : [min, max]),
        },
      },
      cursor: { drag: { x: true, y: false } },
      axes: [
        { label: 'snapshot', incrs: INTEGER_STEPS },
        { label: 'rows', size: 70, values: (_u, vals) => vals.map((v) => Math.abs(v).toLocaleString('en-US')) },
        { side: 1, scale: 'records', label: 'records', size: 70, grid: { show: false } },
      ],
      series,
      hooks: {
        // The shown snapshot range, for people (the axis) and for the browser tests (this attribute).
        setScale: [
          (u, key) => {
            if (key === 'x') chartBox.dataset.xRange = `${Math.ceil(u.scales.x.min)}-${Math.floor(u.scales.x.max)}`;
          },
        ],
      },
    },
    data,
    chartBox,
  );
  return () => chart.destroy();
}
