/**
 * Progress on stderr: on a terminal, a one-line bar redrawn at most every 100 ms; otherwise (piped,
 * CI, logs) a plain line every few seconds once a command has run that long, so long loads, scans
 * and compactions show they are alive. EDDY_PROGRESS=off silences it; EDDY_PROGRESS=<seconds> sets
 * the interval of the plain lines (default 5).
 */
import { humanCount } from './format.ts';

type Mode = 'bar' | 'lines' | 'off';

function modeFromEnv(): { mode: Mode; intervalMs: number } {
  const env = process.env.EDDY_PROGRESS?.trim().toLowerCase();
  if (env === 'off' || env === '0' || env === 'false') return { mode: 'off', intervalMs: 0 };
  const seconds = env !== undefined && env !== '' ? Number(env) : Number.NaN;
  const intervalMs = Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 5000;
  if (process.stderr.isTTY === true && !process.env.CI) return { mode: 'bar', intervalMs };
  return { mode: 'lines', intervalMs };
}

export class Progress {
  private readonly mode: Mode;
  private readonly intervalMs: number;
  private readonly started = Date.now();
  private done = 0;
  private lastDraw = 0;
  private note = '';
  private timer: NodeJS.Timeout | undefined;

  /** `total` 0: unknown (counts only). */
  constructor(
    private readonly label: string,
    private total: number,
    private readonly unit: (n: number) => string = humanCount,
  ) {
    ({ mode: this.mode, intervalMs: this.intervalMs } = modeFromEnv());
    // Plain lines also while nothing advances (a compaction is one long call).
    if (this.mode === 'lines') {
      this.timer = setInterval(() => this.line(), this.intervalMs);
      this.timer.unref();
    }
  }

  /** Advances by `n` units (or sets the position with `at`). */
  update(n: number, note?: string, at?: number): void {
    this.done = at ?? this.done + n;
    if (note !== undefined) this.note = note;
    if (this.mode !== 'bar') return;
    const now = Date.now();
    if (now - this.lastDraw < 100) return;
    this.lastDraw = now;
    this.draw();
  }

  setTotal(total: number): void {
    this.total = total;
  }

  private position(): string {
    if (this.total <= 0) return this.unit(this.done);
    const pct = Math.floor(Math.min(1, this.done / this.total) * 100);
    return `${pct}% ${this.unit(this.done)}/${this.unit(this.total)}`;
  }

  private line(): void {
    const seconds = Math.round((Date.now() - this.started) / 1000);
    process.stderr.write(`${this.label}: ${this.position()}${this.note ? `, ${this.note}` : ''} (${seconds} s)\n`);
  }

  private draw(): void {
    const width = 28;
    const frac = this.total > 0 ? Math.min(1, this.done / this.total) : 0;
    const filled = Math.round(frac * width);
    const bar = this.total > 0 ? `${'█'.repeat(filled)}${'░'.repeat(width - filled)} ` : '';
    const line = `${this.label} ${bar}${this.position()}${this.note ? `  ${this.note}` : ''}`;
    const cols = process.stderr.columns ?? 100;
    process.stderr.write(`\r${line.slice(0, cols - 1)}\x1b[K`);
  }

  /** Clears the bar (or stops the lines). */
  finish(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.mode === 'bar' && this.lastDraw > 0) process.stderr.write('\r\x1b[K');
  }
}
