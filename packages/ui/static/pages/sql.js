// The SQL console: a query (Ctrl/Cmd-Enter runs it), its result as a table and a quick chart, or
// the error as the server reports it.
import uPlot from '/vendor/uPlot.esm.js';
import { post } from '../api.js';
import { cell, count, errorBox, grid, h } from '../dom.js';

const EXAMPLE =
  'SELECT region, count(*) AS orders, sum(amount) AS amount\nFROM shop.orders\nGROUP BY region\nORDER BY region';
const NUMERIC =
  /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|DECIMAL.*)$/;

export async function render(main) {
  const editor = h('textarea', { spellcheck: 'false', 'data-testid': 'sql-input' });
  editor.value = sessionStorage.sqlText ?? EXAMPLE;
  const out = h('div', { 'data-testid': 'sql-output' });
  let chart;
  const run = async () => {
    sessionStorage.sqlText = editor.value;
    chart?.destroy();
    chart = undefined;
    out.dataset.state = 'running';
    out.replaceChildren(h('p', { class: 'muted' }, 'Running…'));
    try {
      const r = await post('/api/sql', { sql: editor.value });
      const chartBox = h('div', { 'data-testid': 'sql-chart' });
      out.replaceChildren(
        h(
          'p',
          { class: 'muted', 'data-testid': 'sql-summary' },
          r.statement
            ? `${r.statement.kind}${r.statement.table ? ` ${r.statement.table}` : ''}${r.statement.rows !== undefined ? `: ${count(r.statement.rows)} rows` : ''}${r.statement.snapshotId ? `, snapshot ${r.statement.snapshotId}` : ''} · `
            : '',
          `${count(r.rows.length)} row${r.rows.length === 1 ? '' : 's'}${r.truncated ? ' (first ones; the result has more)' : ''} in ${r.elapsedMs} ms`,
        ),
        chartBox,
        h(
          'div',
          { class: 'scroll' },
          grid(
            r.columns.map((c) => ({
              key: c.name,
              label: h('span', { title: c.type }, c.name),
              num: NUMERIC.test(c.type),
            })),
            r.rows,
            { 'data-testid': 'sql-result' },
          ),
        ),
      );
      chart = quickChart(chartBox, r, out.clientWidth);
      out.dataset.state = 'done';
    } catch (e) {
      out.replaceChildren(errorBox(e));
      out.dataset.state = 'error';
    }
  };
  editor.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      run();
    }
  });
  main.replaceChildren(
    h('h1', {}, 'SQL'),
    h(
      'p',
      { class: 'muted' },
      'DuckDB over the warehouse: database.table names, time travel (AT (VERSION => n)), eddy_changes(…), system tables (table$snapshots). Ctrl-Enter runs.',
    ),
    editor,
    h('div', { class: 'controls' }, h('button', { class: 'primary', onclick: run, 'data-testid': 'sql-run' }, 'Run')),
    out,
  );
  return () => chart?.destroy();
}

/**
 * A chart of one numeric column (chosen in a menu) over the first column: bars over labels, a line
 * over a numeric first column in ascending order.
 */
function quickChart(box, r, width) {
  if (r.rows.length < 2 || r.columns.length < 2) return undefined;
  const numeric = r.columns.filter((c, i) => i > 0 && NUMERIC.test(c.type));
  if (numeric.length === 0) return undefined;
  const first = r.columns[0];
  const categorical = !NUMERIC.test(first.type);
  const rows = r.rows.slice(0, 2000);
  const x = categorical ? rows.map((_r, i) => i) : rows.map((row) => Number(row[first.name]));
  if (!categorical && x.some((v, i) => i > 0 && v < x[i - 1])) return undefined; // uPlot wants ascending x
  const menu = h(
    'select',
    { 'data-testid': 'sql-chart-column' },
    numeric.map((c) => h('option', { value: c.name }, c.name)),
  );
  const area = h('div', {});
  box.replaceChildren(h('div', { class: 'controls' }, 'chart ', menu, ` by ${first.name}`), area);
  let chart;
  const draw = () => {
    chart?.destroy();
    const column = menu.value;
    area.replaceChildren();
    chart = new uPlot(
      {
        width: Math.max(400, Math.min(width, 900)),
        height: 220,
        legend: { show: false },
        scales: { x: { time: false, range: categorical ? (_u) => [-0.6, rows.length - 0.4] : undefined } },
        axes: [
          {
            label: first.name,
            incrs: categorical ? [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000] : undefined,
            values: categorical
              ? (_u, vals) => vals.map((v) => (Number.isInteger(v) ? cell(rows[v]?.[first.name]) : ''))
              : undefined,
          },
          { label: column, size: 80 },
        ],
        series: [
          { label: first.name },
          {
            label: column,
            stroke: '#3b82f6',
            fill: categorical ? '#3b82f6' : undefined,
            paths: categorical ? uPlot.paths.bars({ size: [0.6, 80] }) : undefined,
            points: { show: !categorical },
          },
        ],
      },
      [x, rows.map((row) => (row[column] === null ? null : Number(row[column])))],
      area,
    );
  };
  menu.addEventListener('change', draw);
  draw();
  return { destroy: () => chart?.destroy() };
}
