/** Option parsing shared by several commands. */
import { UsageError } from './command';

/** `--threshold T`: a detection score in 0..1, or undefined when not given (the detector's own). */
export function parseThreshold(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v) || v < 0 || v > 1) throw new UsageError(`--threshold must be a number from 0 to 1, got '${text}'`);
  return v;
}
