/**
 * Render progress and summary text, shared by the CLI, the panel and the bench: the speed with
 * three significant digits (seconds per step when a step takes a second or more, steps per second
 * otherwise), an ETA from the steps done so far, and one summary line per render.
 */

/** Bytes as GiB with two decimals, e.g. `6.42 GiB`. */
export function formatGiB(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
}

/** Seconds with three significant digits (at least one decimal below 100 s), e.g. `14.2 s`. */
export function formatSeconds(ms: number): string {
  const s = ms / 1000;
  if (s >= 100) return `${Math.round(s)} s`;
  return `${s.toPrecision(3)} s`;
}

/** `8.12 s/step` when steps are slow, `12.3 steps/s` when they are fast. */
export function formatRate(msPerStep: number): string {
  if (!(msPerStep > 0) || !Number.isFinite(msPerStep)) return '- s/step';
  if (msPerStep >= 1000) return `${(msPerStep / 1000).toPrecision(3)} s/step`;
  return `${(1000 / msPerStep).toPrecision(3)} steps/s`;
}

/** A duration for an ETA: `45 s`, `3 min 05 s`, `1 h 02 min`. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  if (total < 60) return `${total} s`;
  const m = Math.floor(total / 60);
  if (m < 60) return `${m} min ${String(total % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/**
 * The progress text after `step` of `total` steps, `elapsedMs` after the loop started;
 * `afterLoopMs` is what the decode and PNG took last time (0 when unknown), added to the ETA.
 */
export function stepProgress(step: number, total: number, elapsedMs: number, afterLoopMs = 0): string {
  const per = elapsedMs / Math.max(1, step);
  const left = step >= total ? 0 : (total - step) * per + afterLoopMs;
  return `step ${step}/${total}, ${formatRate(per)}${step < total ? `, ETA ${formatDuration(left)}` : ''}`;
}

/** The stages of one render summarised at its end (milliseconds, bytes). */
export interface RenderSummary {
  readonly loadMs: number;
  readonly textMs: number;
  readonly denoiseMs: number;
  readonly steps: number;
  readonly vaeMs: number;
  readonly pngMs: number;
  readonly peakRssBytes: number;
}

/** `load 14.2 s, text 1.31 s, denoise 32.5 s (8.12 s/step), VAE 6.10 s, PNG 0.120 s, peak RSS 6.41 GiB` */
export function formatSummary(s: RenderSummary): string {
  return (
    `load ${formatSeconds(s.loadMs)}, text ${formatSeconds(s.textMs)}, denoise ${formatSeconds(s.denoiseMs)} (${formatRate(s.denoiseMs / Math.max(1, s.steps))}), ` +
    `VAE ${formatSeconds(s.vaeMs)}, PNG ${formatSeconds(s.pngMs)}, peak RSS ${formatGiB(s.peakRssBytes)}`
  );
}

const SUMMARY = /load ([\d.]+) s, text ([\d.]+) s, denoise ([\d.]+) s \(([\d.]+) (s\/step|steps\/s)\), VAE ([\d.]+) s, PNG ([\d.]+) s, peak RSS ([\d.]+) GiB/;

/** Reads back a `formatSummary` line (the bench reads the CLI's), or undefined when there is none. */
export function parseSummary(text: string): (Omit<RenderSummary, 'steps'> & { msPerStep: number }) | undefined {
  const m = SUMMARY.exec(text);
  if (!m) return undefined;
  const rate = Number(m[4]);
  return {
    loadMs: Number(m[1]) * 1000,
    textMs: Number(m[2]) * 1000,
    denoiseMs: Number(m[3]) * 1000,
    msPerStep: m[5] === 's/step' ? rate * 1000 : 1000 / rate,
    vaeMs: Number(m[6]) * 1000,
    pngMs: Number(m[7]) * 1000,
    peakRssBytes: Number(m[8]) * 2 ** 30,
  };
}
