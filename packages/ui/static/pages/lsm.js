// LSM shape: per bucket, one row per level with its files drawn to size and coloured by age
// (oldest dark blue, newest orange). Any snapshot; "last compaction" shows before and after it.
import { get, tablePath } from '../api.js';
import { bytes, count, h, kindBadge, s, time } from '../dom.js';

const RAMP = ['#1e3a8a', '#22d3ee', '#fde047', '#f97316'];

export async function render(el, name) {
  const timeline = await get(`${tablePath(name, 'timeline')}?limit=5000`);
  const commits = timeline.commits;
  const lastCompaction = [...commits].reverse().find((c) => c.kind === 'COMPACT');
  const picked = sessionStorage.lsmSnapshot ? Number(sessionStorage.lsmSnapshot) : undefined;
  sessionStorage.removeItem('lsmSnapshot');
  const input = h('input', { type: 'number', min: 1, placeholder: 'latest', style: 'width: 7rem', value: picked });
  const panes = h('div', { class: 'lsm-panes' });
  const show = async (ids) => {
    panes.replaceChildren(h('p', { class: 'muted' }, 'Loading…'));
    const views = await Promise.all(ids.map((id) => get(`${tablePath(name, 'lsm')}${id ? `?snapshot=${id}` : ''}`)));
    const scale = scaleOf(views);
    const age = ageOf(views);
    panes.replaceChildren(
      ...views.map((v, i) => pane(v, scale, age, ids.length > 1 ? (i === 0 ? 'before' : 'after') : '')),
    );
  };
  el.replaceChildren(
    h(
      'div',
      { class: 'controls' },
      h('label', {}, 'snapshot ', input),
      h('button', { onclick: () => show([input.value ? Number(input.value) : undefined]) }, 'Show'),
      h(
        'button',
        {
          onclick: () => {
            input.value = '';
            show([undefined]);
          },
        },
        'Latest',
      ),
      lastCompaction && lastCompaction.id > (commits[0]?.id ?? 0)
        ? h(
            'button',
            { onclick: () => show([lastCompaction.id - 1, lastCompaction.id]), 'data-testid': 'compare-compaction' },
            `Before/after compaction ${lastCompaction.id}`,
          )
        : null,
      h('span', { class: 'legend' }, 'older', h('span', { class: 'ramp' }), 'newer'),
    ),
    panes,
  );
  await show([picked]);
}

/** The same bytes-per-pixel in every pane, so sizes compare. */
function scaleOf(views) {
  let widest = 1;
  for (const v of views)
    for (const b of v.buckets) {
      const perLevel = new Map();
      for (const f of b.files) perLevel.set(f.level, (perLevel.get(f.level) ?? 0) + f.sizeBytes);
      widest = Math.max(widest, ...perLevel.values());
    }
  return widest;
}

/**
 * A file's age on the colour ramp, 0 (oldest shown) … 1 (newest): by creation time, linearly over
 * the files of all panes (files written together look alike); by sequence number without it.
 */
function ageOf(views) {
  const files = views.flatMap((v) => v.buckets.flatMap((b) => b.files));
  const byTime = files.every((f) => typeof f.creationTime === 'number');
  const when = (f) => (byTime ? f.creationTime : Number(f.maxSequence));
  const lo = Math.min(...files.map(when));
  const hi = Math.max(...files.map(when));
  return (f) => (hi > lo ? (when(f) - lo) / (hi - lo) : 1);
}

function pane(v, widest, age, title) {
  if (!v.snapshot) return h('div', { class: 'lsm-pane' }, h('p', { class: 'muted' }, 'No snapshots yet.'));
  return h(
    'div',
    { class: 'lsm-pane', 'data-testid': 'lsm-pane' },
    h(
      'h2',
      {},
      `${title ? `${title}: ` : ''}snapshot ${v.snapshot.id} `,
      kindBadge(v.snapshot.kind),
      h('span', { class: 'muted' }, ` ${time(v.snapshot.timeMillis)} · ${v.buckets.length} buckets`),
    ),
    v.buckets.map((b) => bucket(b, v.maxLevel, widest, age)),
  );
}

function bucket(b, maxLevel, widest, age) {
  const width = 560;
  const label = 34;
  const rowH = 20;
  const levels = Array.from({ length: maxLevel + 1 }, (_, i) => i);
  const svg = s('svg', { width: width + label, height: levels.length * rowH + 4, role: 'img' });
  for (const level of levels) {
    const y = level * rowH + 2;
    svg.append(s('text', { x: 0, y: y + 14 }, `L${level}`));
    svg.append(s('rect', { x: label, y, width, height: rowH - 4, fill: '#f3f4f6' }));
    let x = label;
    for (const f of b.files.filter((f) => f.level === level)) {
      const w = Math.max(2, (f.sizeBytes / widest) * width);
      svg.append(
        s(
          'rect',
          {
            x,
            y,
            width: w,
            height: rowH - 4,
            fill: colour(age(f)),
            stroke: '#fff',
            'stroke-width': 1,
            'data-testid': 'lsm-file',
            'data-level': level,
          },
          s(
            'title',
            {},
            `${f.name}\nlevel ${f.level} · ${bytes(f.sizeBytes)} · ${count(f.rows)} rows\nsequence ${f.minSequence}…${f.maxSequence}${f.creationTime ? `\ncreated ${time(f.creationTime)}` : ''}`,
          ),
        ),
      );
      x += w;
    }
  }
  return h(
    'div',
    { class: 'card lsm-bucket', 'data-testid': 'lsm-bucket' },
    h(
      'h3',
      {},
      `${b.partition ? `${b.partition} · ` : ''}bucket ${b.bucket}`,
      h('span', { class: 'muted' }, ` — ${b.files.length} files, ${b.sortedRuns} sorted runs, ${bytes(b.sizeBytes)}`),
    ),
    svg,
  );
}

/** 0 (oldest) … 1 (newest) along the ramp. */
function colour(t) {
  const p = Math.min(RAMP.length - 1.0001, Math.max(0, t) * (RAMP.length - 1));
  const i = Math.floor(p);
  const a = hex(RAMP[i]);
  const b = hex(RAMP[i + 1]);
  const m = (k) => Math.round(a[k] + (b[k] - a[k]) * (p - i));
  return `rgb(${m(0)}, ${m(1)}, ${m(2)})`;
}

const hex = (c) => [1, 3, 5].map((i) => Number.parseInt(c.slice(i, i + 2), 16));
