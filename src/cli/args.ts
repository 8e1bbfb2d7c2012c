/** Option parsing shared by several commands. */
import * as path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { isRuleName, type BestOfSettings } from '../evaluate/bestOf';
import { DEFAULT_COMFY_SERVER, detectorFromName, MAX_BEST_OF, RENDER_BACKENDS, sizeProblem, type ComfyTarget, type DetectorSpec, type RenderBackendName } from '../protocol/service';
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


/** The flags that choose the render backend, shared by `render` and `batch`. */
export const COMFY_OPTIONS = {
  backend: { type: 'string' },
  server: { type: 'string' },
  checkpoint: { type: 'string' },
  'allow-remote-server': { type: 'boolean' },
} as const;

/** Their usage lines, descriptions starting at `column` (the command's own layout). */
export function comfyFlagsUsage(column: number): string {
  const rows: Array<[string, string[]]> = [
    ['--backend NAME', ['onnx (default: --model DIR) | comfyui (the ComfyUI server you run)']],
    ['--server URL', [`comfyui: the server (default ${DEFAULT_COMFY_SERVER}); only this`, 'machine (localhost, 127.0.0.1, ::1) unless --allow-remote-server']],
    ['--checkpoint NAME', ["comfyui: a checkpoint from the server's list (default: its only one)"]],
    ['--allow-remote-server', ['comfyui: allow a server on another machine (prompts and images', 'then cross the network)']],
  ];
  const pad = ' '.repeat(column);
  return rows
    .map(([flag, lines]) => {
      const head = `  ${flag}`;
      const first = head.length + 1 <= column ? `${head.padEnd(column)}${lines[0]}` : `${head}\n${pad}${lines[0]}`;
      return [first, ...lines.slice(1).map((l) => pad + l)].join('\n');
    })
    .join('\n') + '\n';
}

/** What renders, from the backend flags: the params of `model/check`, and of `render` with the checked model. */
export interface RenderTarget {
  readonly backend: RenderBackendName;
  readonly modelDir: string;
  readonly comfyui?: ComfyTarget;
}

/** Reads `--backend`, `--model` and the comfyui flags into a render target; a wrong mix is a UsageError. */
export function renderTarget(
  o: { backend?: string; model?: string; server?: string; checkpoint?: string; 'allow-remote-server'?: boolean },
  cwd: string,
): RenderTarget {
  const backend = (o.backend ?? 'onnx') as RenderBackendName;
  if (!RENDER_BACKENDS.includes(backend)) throw new UsageError(`--backend must be one of ${RENDER_BACKENDS.join(', ')}, got '${o.backend}'`);
  if (backend === 'onnx') {
    const comfyOnly = (['server', 'checkpoint', 'allow-remote-server'] as const).filter((k) => o[k] !== undefined);
    if (comfyOnly.length) throw new UsageError(`--${comfyOnly[0]} is for --backend comfyui`);
    if (!o.model) throw new UsageError('--model DIR is required (a Stable Diffusion ONNX export), or render through ComfyUI with --backend comfyui');
    return { backend, modelDir: path.resolve(cwd, o.model) };
  }
  if (o.model !== undefined) throw new UsageError('--model is for the onnx backend; with --backend comfyui name the server\'s checkpoint with --checkpoint NAME');
  return {
    backend,
    modelDir: o.checkpoint ?? '',
    comfyui: { server: o.server ?? DEFAULT_COMFY_SERVER, allowRemote: o['allow-remote-server'] === true },
  };
}

/** `--best-of N [--until-satisfied] [--rule NAME]`, as `render` and `batch` take them. */
export function bestOfFlags(n: string | undefined, untilSatisfied: boolean | undefined, rule: string | undefined): BestOfSettings {
  const count = n === undefined ? 1 : Number(n);
  if (n !== undefined && (!/^\d+$/.test(n.trim()) || count < 1 || count > MAX_BEST_OF)) throw new UsageError(`--best-of must be a whole number from 1 to ${MAX_BEST_OF}, got '${n}'`);
  const name = rule ?? 'visor';
  if (!isRuleName(name)) throw new UsageError(`--rule must be visor, t2i-compbench or geneval, got '${name}'`);
  if (untilSatisfied && count === 1) throw new UsageError('--until-satisfied needs --best-of N with N of 2 or more');
  return { n: count, untilSatisfied: untilSatisfied === true, rule: name };
}
