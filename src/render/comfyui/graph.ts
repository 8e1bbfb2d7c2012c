/**
 * Our render parameters as a ComfyUI API-format graph: checkpoint, two text encodings, an empty
 * latent, KSampler, VAE decode and a PreviewImage output (ComfyUI's temp folder, so renders never
 * land in the user's ComfyUI output folder under its numbering). Layout boxes become
 * `ConditioningSetArea` regions merged into the positive conditioning with `ConditioningCombine`.
 */
import type { Box } from '../../protocol/geometry';
import type { GenerateParams } from '../pipeline';
import { ComfyError } from './errors';

/** A link to another node's output: `[node id, output index]`. */
export type ComfyLink = readonly [string, number];

/** One node of an API-format graph. */
export interface ComfyNode {
  readonly class_type: string;
  readonly inputs: Readonly<Record<string, string | number | boolean | ComfyLink>>;
}

/** An API-format graph: node id to node. */
export type ComfyGraph = Readonly<Record<string, ComfyNode>>;

/** A box of the layout to steer with its own text (e.g. "a red cat" where the cat goes). */
export interface ComfyRegion {
  /** The caller's id for the box (a layout box id), echoed in the result. */
  readonly id?: string;
  /** What should appear in the box. */
  readonly prompt: string;
  /** Pixels on the layout canvas, top-left origin. */
  readonly box: Box;
  /** ConditioningSetArea strength, 0..10 (default 1). */
  readonly strength?: number;
}

/** Boxes planned on a canvas of `width` x `height`; they are scaled to the render size. */
export interface ComfyLayout {
  readonly width: number;
  readonly height: number;
  readonly regions: readonly ComfyRegion[];
}

/**
 * One render through ComfyUI: the ONNX pipeline's generation parameters (`guidanceScale` is
 * KSampler's `cfg`; the seed may go up to 2^53-1), plus what only ComfyUI has.
 */
export interface ComfyRenderParams extends Pick<
  GenerateParams,
  'prompt' | 'negativePrompt' | 'steps' | 'guidanceScale' | 'seed' | 'width' | 'height' | 'batch'
> {
  /** A name from the server's checkpoint list (`ComfyClient.listCheckpoints`). */
  readonly checkpoint: string;
  /** ComfyUI sampler name (default `euler`); see `ComfyClient.samplerOptions`. */
  readonly sampler?: string;
  /** ComfyUI scheduler name (default `normal`). */
  readonly scheduler?: string;
  /** Boxes to steer with area conditioning. */
  readonly layout?: ComfyLayout;
}

/** A region as it went to ComfyUI, with the box before and after snapping to its grid. */
export interface AppliedRegion {
  readonly id?: string;
  readonly prompt: string;
  readonly strength: number;
  /** The box scaled to the render size, before rounding (may be fractional). */
  readonly requested: Box;
  /** The box sent: multiples of 8, at least 64 a side, inside the image. */
  readonly applied: Box;
  /** Whether `applied` differs from `requested`. */
  readonly adjusted: boolean;
}

/** `buildGraph`'s result: the graph, the ids of the nodes the client watches, the regions. */
export interface BuiltGraph {
  readonly graph: ComfyGraph;
  /** The node whose `progress` messages are our steps. */
  readonly samplerNode: string;
  /** The node whose output images are the render. */
  readonly outputNode: string;
  /** The checkpoint loader (its `ckpt_name` errors become `checkpoint` errors). */
  readonly checkpointNode: string;
  readonly regions: readonly AppliedRegion[];
}

/** ComfyUI's area grid (latent pixels are 8 image pixels) and ConditioningSetArea's minimum. */
export const AREA_STEP = 8;
export const AREA_MIN = 64;
const MAX_RESOLUTION = 16384;

/** Sampler and scheduler used when the caller names none. */
export const DEFAULT_SAMPLER = 'euler';
export const DEFAULT_SCHEDULER = 'normal';

/**
 * ComfyUI's sampler and scheduler closest to each of the ONNX pipeline's schedulers, so that one
 * setting can drive both backends.
 */
export const COMFY_SAMPLER_FOR: Readonly<
  Record<'dpmpp_2m' | 'ddim' | 'euler' | 'euler_a', { sampler: string; scheduler: string }>
> = {
  dpmpp_2m: { sampler: 'dpmpp_2m', scheduler: 'normal' },
  ddim: { sampler: 'ddim', scheduler: 'ddim_uniform' },
  euler: { sampler: 'euler', scheduler: 'normal' },
  euler_a: { sampler: 'euler_ancestral', scheduler: 'normal' },
};

function bad(message: string): never {
  throw new ComfyError('params', message);
}

function checkInt(name: string, v: number, min: number, max: number, step = 1): void {
  if (!Number.isInteger(v) || v < min || v > max || v % step !== 0) {
    bad(`${name} must be ${step > 1 ? `a multiple of ${step} ` : 'an integer '}from ${min} to ${max}, got ${v}`);
  }
}

function snapAxis(start: number, size: number, limit: number): [number, number] {
  // Snap both edges to the grid (so the box moves by at most 4 px per edge), then widen a box
  // thinner than the minimum around its centre, keeping it inside the image.
  let a = Math.round(Math.max(0, start) / AREA_STEP) * AREA_STEP;
  let b = Math.round(Math.min(limit, start + size) / AREA_STEP) * AREA_STEP;
  b = Math.min(b, Math.floor(limit / AREA_STEP) * AREA_STEP);
  if (b - a < AREA_MIN) {
    const centre = start + size / 2;
    a = Math.round((centre - AREA_MIN / 2) / AREA_STEP) * AREA_STEP;
    a = Math.min(Math.max(a, 0), Math.floor((limit - AREA_MIN) / AREA_STEP) * AREA_STEP);
    b = a + AREA_MIN;
  }
  return [a, b - a];
}

/**
 * A pixel box snapped to ComfyUI's area grid inside a `width` x `height` image: edges on
 * multiples of 8, sides at least 64 (widened around the centre), clipped to the image.
 */
export function snapArea(box: Box, width: number, height: number): Box {
  const [x, w] = snapAxis(box.x, box.w, width);
  const [y, h] = snapAxis(box.y, box.h, height);
  return { x, y, w, h };
}

/** Scales the layout to the render size and snaps every box; throws for boxes off the canvas. */
export function applyLayout(layout: ComfyLayout, width: number, height: number): AppliedRegion[] {
  if (!(layout.width > 0) || !(layout.height > 0))
    bad(`layout canvas must have a positive size, got ${layout.width}x${layout.height}`);
  if (layout.regions.length > 0 && (width < AREA_MIN || height < AREA_MIN)) {
    bad(
      `region boxes need an image of at least ${AREA_MIN}x${AREA_MIN} (ComfyUI's smallest area), got ${width}x${height}`,
    );
  }
  const sx = width / layout.width;
  const sy = height / layout.height;
  return layout.regions.map((r, i) => {
    const name = `region ${i + 1}${r.id ? ` (${r.id})` : ''}`;
    const { x, y, w, h } = r.box;
    if (![x, y, w, h].every(Number.isFinite) || w <= 0 || h <= 0)
      bad(`${name}: box must have finite coordinates and a positive size, got ${JSON.stringify(r.box)}`);
    if (x + w <= 0 || y + h <= 0 || x >= layout.width || y >= layout.height) {
      bad(`${name}: box ${JSON.stringify(r.box)} lies outside the ${layout.width}x${layout.height} layout`);
    }
    const strength = r.strength ?? 1;
    if (!(strength >= 0 && strength <= 10)) bad(`${name}: strength must be from 0 to 10, got ${strength}`);
    if (typeof r.prompt !== 'string' || r.prompt.trim() === '')
      bad(`${name}: needs a prompt saying what goes in the box`);
    const requested = { x: x * sx, y: y * sy, w: w * sx, h: h * sy };
    const applied = snapArea(requested, width, height);
    const adjusted =
      applied.x !== requested.x || applied.y !== requested.y || applied.w !== requested.w || applied.h !== requested.h;
    return { ...(r.id !== undefined ? { id: r.id } : {}), prompt: r.prompt, strength, requested, applied, adjusted };
  });
}

/** Checks our parameters (one `params` error naming the first bad one) and builds the graph. */
export function buildGraph(params: ComfyRenderParams): BuiltGraph {
  if (typeof params.prompt !== 'string') bad('prompt must be a string');
  if (params.negativePrompt !== undefined && typeof params.negativePrompt !== 'string')
    bad('negativePrompt must be a string');
  checkInt('steps', params.steps, 1, 10000);
  if (!(Number.isFinite(params.guidanceScale) && params.guidanceScale >= 0 && params.guidanceScale <= 100)) {
    bad(`guidanceScale must be from 0 to 100, got ${params.guidanceScale}`);
  }
  checkInt('seed', params.seed, 0, Number.MAX_SAFE_INTEGER);
  checkInt('width', params.width, 16, MAX_RESOLUTION, 8);
  checkInt('height', params.height, 16, MAX_RESOLUTION, 8);
  checkInt('batch', params.batch ?? 1, 1, 4096);
  if (typeof params.checkpoint !== 'string' || params.checkpoint.trim() === '')
    bad('checkpoint must name a checkpoint on the ComfyUI server (see its checkpoint list)');
  for (const k of ['sampler', 'scheduler'] as const) {
    const v = params[k];
    if (v !== undefined && (typeof v !== 'string' || v.trim() === '')) bad(`${k} must be a non-empty ComfyUI name`);
  }
  const regions = params.layout ? applyLayout(params.layout, params.width, params.height) : [];

  const graph: Record<string, ComfyNode> = {
    checkpoint: { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: params.checkpoint } },
    positive: { class_type: 'CLIPTextEncode', inputs: { text: params.prompt, clip: ['checkpoint', 1] } },
    negative: { class_type: 'CLIPTextEncode', inputs: { text: params.negativePrompt ?? '', clip: ['checkpoint', 1] } },
    latent: {
      class_type: 'EmptyLatentImage',
      inputs: { width: params.width, height: params.height, batch_size: params.batch ?? 1 },
    },
  };
  // The whole prompt stays on the full canvas; each box adds its own text on its area.
  let positive: ComfyLink = ['positive', 0];
  regions.forEach((r, i) => {
    const n = i + 1;
    graph[`region${n}_text`] = { class_type: 'CLIPTextEncode', inputs: { text: r.prompt, clip: ['checkpoint', 1] } };
    graph[`region${n}`] = {
      class_type: 'ConditioningSetArea',
      inputs: {
        conditioning: [`region${n}_text`, 0],
        x: r.applied.x,
        y: r.applied.y,
        width: r.applied.w,
        height: r.applied.h,
        strength: r.strength,
      },
    };
    graph[`combine${n}`] = {
      class_type: 'ConditioningCombine',
      inputs: { conditioning_1: positive, conditioning_2: [`region${n}`, 0] },
    };
    positive = [`combine${n}`, 0];
  });
  graph.sampler = {
    class_type: 'KSampler',
    inputs: {
      seed: params.seed,
      steps: params.steps,
      cfg: params.guidanceScale,
      sampler_name: params.sampler ?? DEFAULT_SAMPLER,
      scheduler: params.scheduler ?? DEFAULT_SCHEDULER,
      denoise: 1,
      model: ['checkpoint', 0],
      positive,
      negative: ['negative', 0],
      latent_image: ['latent', 0],
    },
  };
  graph.decode = { class_type: 'VAEDecode', inputs: { samples: ['sampler', 0], vae: ['checkpoint', 2] } };
  graph.image = { class_type: 'PreviewImage', inputs: { images: ['decode', 0] } };
  return { graph, samplerNode: 'sampler', outputNode: 'image', checkpointNode: 'checkpoint', regions };
}
