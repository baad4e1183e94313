/**
 * Results: a table per workload (Eddy, each peer, Eddy/peer), as console text, Markdown, JSON and
 * one SVG bar chart per workload (hand-written SVG, no dependencies).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { type Machine, machineLine } from './env.ts';

export type Better = 'higher' | 'lower';

export interface Figure {
  /** Column name, e.g. "Paimon Java (in-JVM, warm)". */
  readonly system: string;
  readonly value: number | null;
  /** Why there is no value, or what the value is exactly. */
  readonly note?: string;
}

export interface Metric {
  readonly label: string;
  readonly unit: string;
  readonly better: Better;
  readonly eddy: number | null;
  readonly peers: readonly Figure[];
  /** Extra detail shown in the cell under the value, e.g. files read. */
  readonly detail?: Readonly<Record<string, string>>;
}

export interface Workload {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly metrics: Metric[];
  readonly notes: string[];
  /** Peers or measurements that could not be taken, with the reason. */
  readonly unmeasured: string[];
  seconds?: number;
}

export interface Report {
  readonly date: string;
  readonly machine: Machine;
  readonly load: { min: number; mean: number; max: number; samples: number };
  readonly params: Record<string, unknown>;
  readonly workloads: Workload[];
  readonly seconds: number;
}

export function fmt(n: number | null | undefined, unit = ''): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  const a = Math.abs(n);
  let s: string;
  if (unit === 'rows/s' || unit === 'rows') {
    s = a >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : a >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : n.toFixed(0);
  } else if (a >= 1000) s = n.toFixed(0);
  else if (a >= 100) s = n.toFixed(1);
  else if (a >= 10) s = n.toFixed(2);
  else s = n.toFixed(a >= 1 ? 2 : 3);
  return s;
}

export function ratio(eddy: number | null, peer: number | null): number | null {
  if (eddy === null || peer === null || !Number.isFinite(eddy) || !Number.isFinite(peer) || peer === 0) return null;
  return eddy / peer;
}

const arrow = (b: Better) => (b === 'higher' ? '↑' : '↓');

const RANK = [
  'Paimon Java (in-JVM',
  'Paimon Java (process',
  'Paimon Java',
  'pypaimon (in-',
  'pypaimon (process',
  'pypaimon',
  'DuckDB',
  'LanceDB',
];
const rank = (system: string) => {
  const i = RANK.findIndex((r) => system.startsWith(r));
  return i < 0 ? RANK.length : i;
};

/** Peer columns of a workload: Paimon Java, pypaimon (runtime, then process), DuckDB, LanceDB. */
function systems(w: Workload): string[] {
  const s: string[] = [];
  for (const m of w.metrics) for (const p of m.peers) if (!s.includes(p.system)) s.push(p.system);
  return s.sort((a, b) => rank(a) - rank(b));
}

function cell(m: Metric, system: string): string {
  const p = m.peers.find((x) => x.system === system);
  if (!p) return '';
  if (p.value === null) return p.note ? `n/a (${p.note})` : 'n/a';
  const r = ratio(m.eddy, p.value);
  const base = `${fmt(p.value, m.unit)}${r === null ? '' : ` (**${r.toFixed(2)}×**)`}`;
  return p.note ? `${base} ${p.note}` : base;
}

export function workloadMarkdown(w: Workload): string {
  const sys = systems(w);
  const lines: string[] = [];
  lines.push(`### ${w.title}`, '', w.description, '');
  lines.push(`| metric | Eddy | ${sys.join(' | ')} |`);
  lines.push(`|---|---:|${sys.map(() => '---:').join('|')}|`);
  for (const m of w.metrics) {
    const detail = m.detail?.Eddy ? ` ${m.detail.Eddy}` : '';
    lines.push(
      `| ${m.label} (${m.unit}, ${arrow(m.better)} better) | ${fmt(m.eddy, m.unit)}${detail} | ${sys
        .map((s) => {
          const d = m.detail?.[s];
          return `${cell(m, s)}${d ? ` ${d}` : ''}`;
        })
        .join(' | ')} |`,
    );
  }
  lines.push(
    '',
    'Cells: peer value (**Eddy/peer**). ↑: higher is better, so Eddy/peer > 1 means Eddy is ahead; ↓: lower is better, so Eddy/peer < 1 means Eddy is ahead.',
  );
  if (w.notes.length) lines.push('', ...w.notes.map((n) => `- ${n}`));
  if (w.unmeasured.length) lines.push('', '**Not measured:**', '', ...w.unmeasured.map((n) => `- ${n}`));
  lines.push('', `![${w.title}](${w.id}.svg)`, '');
  return lines.join('\n');
}

/** One line per (metric, peer) with a value: the ratios at a glance. */
export function ratioTable(ws: readonly Workload[]): string {
  const lines = [
    '| workload | metric | peer | Eddy | peer | Eddy/peer | Eddy ahead? |',
    '|---|---|---|---:|---:|---:|:-:|',
  ];
  for (const w of ws) {
    for (const m of w.metrics) {
      for (const p of m.peers) {
        const r = ratio(m.eddy, p.value);
        if (r === null) continue;
        const ahead = m.better === 'higher' ? r > 1 : r < 1;
        lines.push(
          `| ${w.id} | ${m.label} (${m.unit} ${arrow(m.better)}) | ${p.system} | ${fmt(m.eddy, m.unit)} | ${fmt(p.value, m.unit)} | ${r.toFixed(2)} | ${ahead ? 'yes' : 'no'} |`,
        );
      }
    }
  }
  return lines.join('\n');
}

export function reportMarkdown(r: Report): string {
  const out: string[] = [];
  out.push('# Eddy benchmarks against its peers', '');
  out.push(
    `Run ${r.date} (${(r.seconds / 60).toFixed(1)} min) on ${machineLine(r.machine)}.`,
    `Peers: ${Object.entries(r.machine.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}.`,
    `Load average during the run (1-min, sampled every 5 s): min ${r.load.min.toFixed(2)}, mean ${r.load.mean.toFixed(2)}, max ${r.load.max.toFixed(2)} — the machine is shared, so compare the ratios (every figure of a workload was taken in the same run), not absolute numbers.`,
    '',
    `Parameters: ${Object.entries(r.params)
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join(', ')}.`,
    '',
    'Reproduce: `npm run bench -- <suite>` (see tools/bench/README.md).',
    '',
    '## Ratios',
    '',
    ratioTable(r.workloads),
    '',
    '## Workloads',
    '',
  );
  for (const w of r.workloads) out.push(workloadMarkdown(w));
  return out.join('\n');
}

export function printWorkload(w: Workload): void {
  console.log(`\n${workloadMarkdown(w).replace(/\n!\[.*\]\(.*\)\n?$/, '')}`);
}

// ---------------------------------------------------------------------------------------------
// SVG

const COLORS: Record<string, string> = {
  Eddy: '#1f77b4',
  'Paimon Java': '#d62728',
  pypaimon: '#ff7f0e',
  DuckDB: '#2ca02c',
  LanceDB: '#9467bd',
};
function colorOf(system: string): string {
  for (const [k, v] of Object.entries(COLORS)) if (system.startsWith(k)) return v;
  return '#7f7f7f';
}
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function workloadSvg(w: Workload): string {
  const W = 860;
  const labelW = 250;
  const barMax = W - labelW - 120;
  const barH = 14;
  const gap = 4;
  let y = 34;
  const parts: string[] = [];
  parts.push(`<text x="10" y="20" font-size="15" font-weight="bold">${esc(w.title)}</text>`);
  for (const m of w.metrics) {
    const bars: { system: string; value: number }[] = [];
    if (m.eddy !== null && Number.isFinite(m.eddy)) bars.push({ system: 'Eddy', value: m.eddy });
    for (const p of m.peers)
      if (p.value !== null && Number.isFinite(p.value)) bars.push({ system: p.system, value: p.value });
    if (bars.length === 0) continue;
    y += 8;
    parts.push(
      `<text x="10" y="${y + 10}" font-size="12" font-weight="bold">${esc(`${m.label} — ${m.unit}, ${m.better} is better`)}</text>`,
    );
    y += 16;
    const max = Math.max(...bars.map((b) => b.value)) || 1;
    for (const b of bars) {
      const len = Math.max(1, (b.value / max) * barMax);
      parts.push(
        `<text x="${labelW - 6}" y="${y + barH - 3}" font-size="11" text-anchor="end">${esc(b.system)}</text>`,
        `<rect x="${labelW}" y="${y}" width="${len.toFixed(1)}" height="${barH}" fill="${colorOf(b.system)}"/>`,
        `<text x="${(labelW + len + 4).toFixed(1)}" y="${y + barH - 3}" font-size="11">${esc(fmt(b.value, m.unit))}</text>`,
      );
      y += barH + gap;
    }
  }
  const H = y + 12;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">\n<rect width="${W}" height="${H}" fill="white"/>\n${parts.join('\n')}\n</svg>\n`;
}

export function writeReport(dir: string, r: Report): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'peers.json'), `${JSON.stringify(r, null, 2)}\n`);
  writeFileSync(path.join(dir, 'peers.md'), reportMarkdown(r));
  for (const w of r.workloads) writeFileSync(path.join(dir, `${w.id}.svg`), workloadSvg(w));
}
