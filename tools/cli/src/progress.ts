/**
 * A one-line progress bar on stderr, drawn only when stderr is a terminal (silent when piped or in
 * CI), redrawn at most every 100 ms.
 */
import { humanCount } from './format.ts';

export class Progress {
  private readonly enabled: boolean;
  private done = 0;
  private lastDraw = 0;
  private note = '';

  constructor(
    private readonly label: string,
    private total: number,
    private readonly unit: (n: number) => string = humanCount,
    enabled = process.stderr.isTTY === true && !process.env.CI,
  ) {
    this.enabled = enabled;
  }

  /** Advances by `n` units (or sets the position with `at`). */
  update(n: number, note?: string, at?: number): void {
    this.done = at ?? this.done + n;
    if (note !== undefined) this.note = note;
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.lastDraw < 100) return;
    this.lastDraw = now;
    this.draw();
  }

  setTotal(total: number): void {
    this.total = total;
  }

  private draw(): void {
    const width = 28;
    const frac = this.total > 0 ? Math.min(1, this.done / this.total) : 0;
    const filled = Math.round(frac * width);
    const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
    const pct = `${Math.floor(frac * 100)}%`.padStart(4);
    const line = `${this.label} ${bar} ${pct} ${this.unit(this.done)}/${this.unit(this.total)}${this.note ? `  ${this.note}` : ''}`;
    const cols = process.stderr.columns ?? 100;
    process.stderr.write(`\r${line.slice(0, cols - 1)}\x1b[K`);
  }

  /** Clears the bar. */
  finish(): void {
    if (this.enabled && this.lastDraw > 0) process.stderr.write('\r\x1b[K');
  }
}
