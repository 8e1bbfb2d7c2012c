/** Tiny benchmark harness: every section reports rows; `npm run bench` prints them all. */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface BenchSection {
  readonly name: string;
  /** Returns rows of figures (already formatted or numbers) to print under the section name. */
  run(): Promise<Record<string, string | number>>;
}

/** Runs `fn` `iterations` times after `warmup` runs; returns per-run milliseconds, sorted. */
export async function timeRuns(fn: () => unknown, iterations: number, warmup = 1): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const t = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return times.sort((a, b) => a - b);
}

export function median(sorted: number[]): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  return n % 2 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
}

/** ../shared/data/<parts> beside the repo root (found from this file), or null when absent. */
export function sharedFile(...parts: string[]): string | null {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, '..', 'shared', 'data', ...parts);
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) return null;
  }
}
