/**
 * Progress on a terminal for long CLI runs: a redrawn bar when stderr is a TTY, otherwise plain
 * lines at most every few seconds (logs and CI stay readable).
 */

/** Writes progress to a stream. */
export interface ProgressStream {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** "1m05s" style duration. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** One progress line: "[#####.....] 12/40  30%  ETA 1m05s  label", fitted to `columns`. */
export function formatProgress(done: number, total: number, etaMs: number | null, label: string, columns = 80, bar = true): string {
  const pct = total > 0 ? Math.floor((100 * done) / total) : 100;
  const eta = etaMs === null ? '' : `  ETA ${formatDuration(etaMs)}`;
  const head = `${done}/${total} ${String(pct).padStart(3)}%${eta}`;
  let line = head;
  if (bar) {
    const width = Math.max(10, Math.min(30, columns - head.length - 20));
    const filled = total > 0 ? Math.round((width * done) / total) : width;
    line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${head}`;
  }
  if (label) line += `  ${label}`;
  return line.length > columns - 1 ? line.slice(0, columns - 2) + '…' : line;
}

/** Throttled progress writer; call `update` often, `done` at the end. */
export class ProgressReporter {
  readonly #stream: ProgressStream;
  readonly #now: () => number;
  readonly #intervalMs: number;
  #last = -Infinity;
  #drawn = false;

  constructor(stream: ProgressStream, options: { now?: () => number; intervalMs?: number } = {}) {
    this.#stream = stream;
    this.#now = options.now ?? Date.now;
    // Redrawing a bar is cheap; a log line every 5 s is about what a reader can follow.
    this.#intervalMs = options.intervalMs ?? (stream.isTTY ? 100 : 5000);
  }

  update(done: number, total: number, etaMs: number | null, label = '', force = false): void {
    const t = this.#now();
    if (!force && t - this.#last < this.#intervalMs) return;
    this.#last = t;
    if (this.#stream.isTTY) {
      this.#stream.write(`\r\x1b[K${formatProgress(done, total, etaMs, label, this.#stream.columns ?? 80)}`);
      this.#drawn = true;
    } else {
      this.#stream.write(`${formatProgress(done, total, etaMs, label, 200, false)}\n`);
    }
  }

  /** Clears the bar so that following output starts on a clean line. */
  finish(): void {
    if (this.#drawn) this.#stream.write('\r\x1b[K');
    this.#drawn = false;
  }
}
