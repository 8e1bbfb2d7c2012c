/**
 * The inference service's protocol. One method table ties each method to its params, the progress
 * events it streams and its result, in the style of a language-server protocol; the wire messages
 * below carry them between a client (the extension host, the CLI) and the service (a forked child
 * process, or the same process). Plain JSON-safe data only: no PNG bytes travel back, the service
 * writes its output files itself and answers with their paths.
 *
 * Adding a method: a `Method<...>` entry in `ServiceMethods`, its params/result records here, and
 * its handler in src/service/methods.ts (the compiler asks for it).
 */
import type { Detection } from './geometry';
import type { RegionGuide } from './regions';

// ---- names shared by the render core, the CLI and the settings ------------------------------------

/** Schedulers the render pipeline implements (diffusers' class names map onto these). */
export const SCHEDULER_NAMES = ['ddim', 'euler', 'euler_a', 'dpmpp_2m'] as const;
export type SchedulerName = (typeof SCHEDULER_NAMES)[number];

/** Execution providers a render may ask for; `auto` tries CUDA, then WebGPU, then CPU. */
export const PROVIDER_REQUESTS = ['auto', 'cuda', 'webgpu', 'cpu'] as const;
export type ProviderRequest = (typeof PROVIDER_REQUESTS)[number];

/**
 * Render backends behind the `render` method. Each takes the same params, reports the same
 * progress and writes the same outputs; a new backend (a remote workflow server, say) is a new
 * name here and one entry in src/service/render.ts.
 */
export const RENDER_BACKENDS = ['onnx', 'comfyui'] as const;
export type RenderBackendName = (typeof RENDER_BACKENDS)[number];

/** ComfyUI's own default address: where the `comfyui` backend looks when no server is given. */
export const DEFAULT_COMFY_SERVER = 'http://127.0.0.1:8188';

/**
 * Where the `comfyui` backend renders: the ComfyUI server the user runs. The checkpoint is the
 * request's `modelDir` (a name from the server's list, not a folder).
 */
export interface ComfyTarget {
  /** Base URL, e.g. `http://127.0.0.1:8188` (ComfyUI's default). */
  readonly server: string;
  /**
   * Use a server that is not on this machine. Off by default, so prompts and renders never leave
   * the machine; only an explicit user choice (a user-level setting, a CLI flag) turns it on.
   */
  readonly allowRemote?: boolean;
}

/** Which detector to run. */
export type DetectorSpec = { readonly kind: 'embedded' } | { readonly kind: 'owlvit'; readonly modelDir: string };

/** A detector's text form, as the CLI takes it and batch manifests record it: `embedded` or `owlvit:DIR`. */
export function detectorName(spec: DetectorSpec): string {
  return spec.kind === 'owlvit' ? `owlvit:${spec.modelDir}` : 'embedded';
}

/** The detector a text form names (`nanodet` is the embedded one too), or null when it names none. */
export function detectorFromName(name: string): DetectorSpec | null {
  if (name === 'embedded' || name === 'nanodet') return { kind: 'embedded' };
  const m = /^owlvit:(.+)$/s.exec(name);
  return m ? { kind: 'owlvit', modelDir: m[1]! } : null;
}

// ---- limits a request must keep (the service refuses the rest with the reason) ------------------

/** Longest side in pixels: 4x SD 2.1's 768 side already needs hundreds of GB on the CPU. */
export const MAX_SIDE = 4096;
/** Most denoising steps: the schedules have 1000 training timesteps. */
export const MAX_STEPS = 1000;
/** Most images in one render call. */
export const MAX_BATCH = 64;
/**
 * Most candidates of a verified best-of-N render (`--best-of N`): each is a full render, and
 * published gains flatten out after a handful of seeds (VISOR_n is reported up to 4).
 */
export const MAX_BEST_OF = 16;
/** Largest seed a render takes (seeds are 32-bit). */
export const MAX_SEED = 0xffffffff;

/** Why a render size is not allowed (each side a multiple of `multiple` up to MAX_SIDE), or null. */
export function sizeProblem(width: number, height: number, multiple = 8): string | null {
  for (const [name, v] of [
    ['width', width],
    ['height', height],
  ] as const) {
    if (!Number.isInteger(v) || v < multiple || v > MAX_SIDE || v % multiple !== 0) {
      return `${name} must be a multiple of ${multiple} from ${multiple} to ${MAX_SIDE} pixels, got ${v}`;
    }
  }
  return null;
}

/** Default score threshold of the embedded NanoDet (its IoU-aware scores run lower than a plain classifier's). */
export const NANODET_DEFAULT_THRESHOLD = 0.3;
/** VISOR's score threshold for OWL-ViT. */
export const OWLVIT_DEFAULT_THRESHOLD = 0.1;

/** The default threshold of a detector, given as a spec or in its CLI / settings form (`embedded`, `owlvit:DIR`). */
export function defaultThresholdFor(detector: DetectorSpec | string): number {
  const kind = typeof detector === 'string' ? (detector.startsWith('owlvit') ? 'owlvit' : 'embedded') : detector.kind;
  return kind === 'owlvit' ? OWLVIT_DEFAULT_THRESHOLD : NANODET_DEFAULT_THRESHOLD;
}

// ---- render -----------------------------------------------------------------------------------

/** Everything that shapes a rendered image (the PNG's text chunks record it). */
export interface RenderSettings {
  readonly prompt: string;
  /** Text to steer away from (the unconditional branch of classifier-free guidance). */
  readonly negativePrompt?: string;
  readonly steps: number;
  /** Classifier-free guidance scale; at 1 or below the unconditional branch is skipped. */
  readonly guidanceScale: number;
  /** 0..2^32-1; with `batch` > 1, image k uses the k-th draw of the same generator. */
  readonly seed: number;
  /** Pixels, multiples of 8 (default: the model's own size, see `model/check`). */
  readonly width?: number;
  readonly height?: number;
  /** Default: the model's scheduler when it is one we implement, else `dpmpp_2m`. */
  readonly scheduler?: SchedulerName;
  /** Images of this prompt and seed (default 1). */
  readonly batch?: number;
  /** Region guidance: each box denoised with its own prompt (see protocol/regions.ts). */
  readonly regions?: RegionGuide;
}

/**
 * Where the service writes a render's PNGs (atomically: a file is either whole or absent).
 * - `dir`: named from the output-name stem, `{stem}-{seed}.png` (`{stem}-{seed}_{k}.png` for image
 *   k of a batch of several), see src/io/outputNames.ts. The same render again replaces its own
 *   file; a file of that name holding a different render is kept and the new one is written as
 *   `{name}-{digest}.png`, the digest of its settings, and the result says so.
 * - `files`: exactly these paths, one per image, replaced atomically (batch folders own their names).
 */
export type RenderOutput = { readonly dir: string; readonly stem: string } | { readonly files: readonly string[] };

/** Params of `render`. */
export interface RenderParams extends RenderSettings {
  /**
   * The model: a folder in optimum's ONNX export layout for `onnx`; for `comfyui`, a checkpoint
   * name from the server's list (`model/check` resolves '' to the server's only checkpoint).
   */
  readonly modelDir: string;
  /** Default `onnx`. */
  readonly backend?: RenderBackendName;
  /** The server of the `comfyui` backend (required with it). */
  readonly comfyui?: ComfyTarget;
  readonly provider?: ProviderRequest;
  /** GPU index for the cuda/webgpu providers. */
  readonly deviceId?: number;
  readonly output: RenderOutput;
}

/** Phases of one render, in order. */
export type RenderPhase = 'loading' | 'encoding' | 'denoising' | 'decoding' | 'saving';

/** Progress of `render`: `step` of `total` denoising steps (0 before the first). */
export interface RenderProgress {
  readonly phase: RenderPhase;
  readonly step: number;
  readonly total: number;
  /** The execution provider that runs it, from the first event after the model loaded (`encoding`) on. */
  readonly provider?: string;
}

/**
 * Milliseconds spent in each stage of one render. ComfyUI reports no split of its run, so with
 * `comfyui` its whole execution time is `unetMs` (encoders and VAE are 0) and the time our client
 * adds (submit, socket, image transfer, PNG chunks) is `overheadMs`.
 */
export interface RenderTimings {
  readonly textEncoderMs: number;
  readonly unetMs: number;
  readonly vaeMs: number;
  readonly totalMs: number;
  readonly stepsPerSecond: number;
  /** `comfyui`: the client's time outside ComfyUI's execution (queue waits excluded). */
  readonly overheadMs?: number;
}

/** One PNG a render wrote. */
export interface RenderedFile {
  /** Absolute path. */
  readonly path: string;
  /** Index of the image in its batch (0 for a single image). */
  readonly index: number;
  /** True when it replaced an earlier file of the same render. */
  readonly replaced: boolean;
  /**
   * Set when the plain name held a different render, which was kept: that file and the settings
   * in which they differ (e.g. `steps 25`), for a note to the user.
   */
  readonly kept?: { readonly path: string; readonly differs: readonly string[] };
}

/** Result of `render`. */
export interface RenderResult {
  readonly files: readonly RenderedFile[];
  readonly width: number;
  readonly height: number;
  /** The execution provider that ran it, e.g. `cpu`. */
  readonly provider: string;
  readonly scheduler: SchedulerName;
  readonly timings: RenderTimings;
}

// ---- detect -----------------------------------------------------------------------------------

/** Params of `detect`: one image, by path (the usual case) or as base64 PNG bytes. */
export interface DetectParams {
  /** Exactly one of `imagePath` and `pngBase64`. */
  readonly imagePath?: string;
  readonly pngBase64?: string;
  /** Prompt nouns or detector labels to look for (required for open-vocabulary detectors). */
  readonly labels?: readonly string[];
  readonly detector: DetectorSpec;
  /** Minimum score, 0..1 (default: the detector's own). */
  readonly threshold?: number;
  /** Folder holding nanodet/ (default: models/ beside the spright-lens package). */
  readonly modelsDir?: string;
}

/** Result of `detect`. */
export interface DetectResult {
  /** Human-readable detector name. */
  readonly detector: string;
  /** The detector's vocabulary, null for an open vocabulary (so callers can say "unknown to it"). */
  readonly vocabulary: readonly string[] | null;
  readonly width: number;
  readonly height: number;
  readonly detections: Detection[];
}

// ---- model/check --------------------------------------------------------------------------------

/** Params of `model/check`. */
export interface ModelCheckParams {
  /** A model folder (`onnx`) or a checkpoint name, '' for the server's only one (`comfyui`). */
  readonly modelDir: string;
  readonly backend?: RenderBackendName;
  /** The server of the `comfyui` backend (required with it). */
  readonly comfyui?: ComfyTarget;
}

/**
 * Result of `model/check`: whether the folder can render (files present, graphs with the inputs
 * and outputs the pipeline needs; no weights are loaded), and its defaults; or one line saying
 * what is wrong and what to do.
 */
export type ModelCheckResult =
  | {
      readonly ok: true;
      /** Absolute path of the folder; for `comfyui`, the checkpoint name (pass it as `modelDir`). */
      readonly dir: string;
      /** The size the model was trained at (the default of a render without width and height). */
      readonly defaultSize: { readonly width: number; readonly height: number };
      /** The scheduler the model ships with, when it is one the pipeline implements. */
      readonly scheduler: SchedulerName | null;
      /** Names what the folder's files hold (not where they are): part of a batch image's resume key. */
      readonly identity: string;
      /** `comfyui`: every checkpoint the server offers (for a picker). */
      readonly checkpoints?: readonly string[];
    }
  | {
      readonly ok: false;
      readonly problem: string;
      /** `comfyui` when the server answered: its checkpoints (for a picker). */
      readonly checkpoints?: readonly string[];
    };

// ---- the method table -------------------------------------------------------------------------------

/** One method: what it takes, what it streams while running, what it answers. */
export interface Method<P, E, R> {
  readonly params: P;
  readonly progress: E;
  readonly result: R;
}

/** Any method table (the service's own, or one extended with test methods). */
export type MethodTable = { readonly [name: string]: Method<unknown, unknown, unknown> };

/** The inference service's methods (a type alias, so that it is a `MethodTable`). */
export type ServiceMethods = {
  render: Method<RenderParams, RenderProgress, RenderResult>;
  detect: Method<DetectParams, never, DetectResult>;
  'model/check': Method<ModelCheckParams, never, ModelCheckResult>;
};

export type ServiceMethod = keyof ServiceMethods;
export type ParamsOf<T extends MethodTable, M extends keyof T> = T[M]['params'];
export type ProgressOf<T extends MethodTable, M extends keyof T> = T[M]['progress'];
export type ResultOf<T extends MethodTable, M extends keyof T> = T[M]['result'];

// ---- wire messages --------------------------------------------------------------------------------

/** Client -> service: run `method` with `params`; answered by one `result` or `error` with the same id. */
export interface RequestMessage {
  readonly type: 'request';
  readonly id: number;
  readonly method: string;
  readonly params: unknown;
}

/** Client -> service: abort request `id`; it is answered with an `error` named CancelledError. */
export interface CancelMessage {
  readonly type: 'cancel';
  readonly id: number;
}

/** Service -> client: a progress event of request `id` (the method's progress type). */
export interface ProgressMessage {
  readonly type: 'progress';
  readonly id: number;
  readonly event: unknown;
}

/** Service -> client: a note for the user (e.g. the execution-provider fallback), about request `id`. */
export interface LogMessage {
  readonly type: 'log';
  readonly id: number;
  readonly level: 'info' | 'warn';
  readonly message: string;
}

/** Service -> client: request `id` succeeded. */
export interface ResultMessage {
  readonly type: 'result';
  readonly id: number;
  readonly result: unknown;
}

/**
 * Where a cancelled request stood, measured by the service itself: the last progress step it had
 * reported when the cancel reached it, and the last step it reported before it stopped. Timing on
 * the client's side (IPC latency, queued progress) does not enter either figure.
 */
export interface CancelReport {
  readonly stepAtCancel: number | null;
  readonly lastStep: number | null;
}

/** Service -> client: request `id` failed; `name` keeps the error class (ModelDirError, CancelledError...). */
export interface ErrorMessage {
  readonly type: 'error';
  readonly id: number;
  readonly name: string;
  readonly message: string;
  /** The errno code of a file-system error (EACCES, ENOSPC...), so clients can word it. */
  readonly code?: string;
  /** Set when `name` is CancelledError. */
  readonly cancel?: CancelReport;
}

export type ToService = RequestMessage | CancelMessage;
export type FromService = ProgressMessage | LogMessage | ResultMessage | ErrorMessage;

/** Error name of a request stopped by `cancel`. */
export const CANCELLED = 'CancelledError';
