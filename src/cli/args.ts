/** Option parsing shared by several commands. */
import * as path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { detectorFromName, sizeProblem, type DetectorSpec } from '../protocol/service';
import { UsageError } from './command';

/** `--threshold T`: a detection score in 0..1, or undefined when not given (the detector's own). */
export function parseThreshold(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v) || v < 0 || v > 1) throw new UsageError(`--threshold must be a number from 0 to 1, got '${text}'`);
  return v;
}

/**
 * `--detector SPEC`: `embedded` (also `nanodet`), or `owlvit:DIR` with DIR resolved against `cwd`.
 * The batch manifest records the same text form.
 */
export function parseDetectorSpec(text: string, cwd: string): DetectorSpec {
  const spec = detectorFromName(text);
  if (spec === null) throw new UsageError(`unknown detector '${text}': use 'embedded' or 'owlvit:DIR' (DIR = an optimum export of google/owlvit-base-patch32)`);
  return spec.kind === 'owlvit' ? { kind: 'owlvit', modelDir: path.resolve(cwd, spec.modelDir) } : spec;
}

/** `--size WxH`: a render size within the service's limits (multiples of 8 up to MAX_SIDE). */
export function parseSizeFlag(text: string, flag = '--size'): { width: number; height: number } {
  const m = /^(\d{1,9})x(\d{1,9})$/i.exec(text.trim());
  if (!m) throw new UsageError(`${flag}: size must be WIDTHxHEIGHT in pixels, e.g. 768x768, got '${text}'`);
  const size = { width: Number(m[1]), height: Number(m[2]) };
  const problem = sizeProblem(size.width, size.height);
  if (problem !== null) throw new UsageError(`${flag}: ${problem}`);
  return size;
}

/** node:util's parseArgs, with its errors (unknown option, missing value) as UsageError. */
export function parseFlags<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}
