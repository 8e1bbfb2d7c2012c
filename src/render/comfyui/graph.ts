/**
 * Our render parameters as a ComfyUI API-format graph: checkpoint, two text encodings, an empty
 * latent, KSampler, VAE decode and a PreviewImage output (ComfyUI's temp folder, so renders never
 * land in the user's ComfyUI output folder under its numbering). A region guide's boxes become
 * `ConditioningSetArea` regions merged into the background's conditioning with
 * `ConditioningCombine`.
 */
import type { Box } from '../../protocol/geometry';
import type { RegionGuide } from '../../protocol/regions';
import { RenderParamsError } from '../errors';
import type { GenerateParams } from '../pipeline';
import { resolveRegionGuide } from '../regions';

/** A link to another node's output: `[node id, output index]`. */
export type ComfyLink = readonly [string, number];

/** One node of an API-format graph. */
export interface ComfyNode {
  readonly class_type: string;
  readonly inputs: Readonly<Record<string, string | number | boolean | ComfyLink>>;
}

/** An API-format graph: node id to node. */
export type ComfyGraph = Readonly<Record<string, ComfyNode>>;

/**
 * One render through ComfyUI: the ONNX pipeline's generation parameters (`guidanceScale` is
 * KSampler's `cfg`; the seed may go up to 2^53-1; `regions` is the same region guide), plus what
 * only ComfyUI has. With `regions`, as in the ONNX pipeline, `prompt` is only recorded in the PNG:
 * the guide's `background` conditions the whole picture and each region's prompt its box.
 * ComfyUI's areas are hard boxes, so the guide's `bootstrapSteps` and `maskSoftness` do not apply.
 */
export interface ComfyRenderParams extends Pick<
  GenerateParams,
  'prompt' | 'negativePrompt' | 'steps' | 'guidanceScale' | 'seed' | 'width' | 'height' | 'batch' | 'regions'
> {
  /** A name from the server's checkpoint list (`ComfyClient.listCheckpoints`). */
  readonly checkpoint: string;
  /** ComfyUI sampler name (default `euler`); see `ComfyClient.samplerOptions`. */
  readonly sampler?: string;
  /** ComfyUI scheduler name (default `normal`). */
  readonly scheduler?: string;
  /** ConditioningSetArea strength of every region, 0..10 (default 1). */
  readonly regionStrength?: number;
}

/** A region as it went to ComfyUI, with the box before and after snapping to its grid. */
export interface AppliedRegion {
  readonly id?: string;
  readonly prompt: string;
  readonly strength: number;
  /** The guide's box in render pixels, before rounding (may be fractional). */
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
  throw new RenderParamsError(message);
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

/**
 * A region guide's boxes in render pixels, snapped to ComfyUI's area grid. The guide is checked
 * as the ONNX pipeline checks it (RenderParamsError naming the region).
 */
export function applyRegions(
  guide: RegionGuide,
  width: number,
  height: number,
  steps: number,
  strength = 1,
): AppliedRegion[] {
  const resolved = resolveRegionGuide(guide, steps);
  if (!(strength >= 0 && strength <= 10)) bad(`regionStrength must be from 0 to 10, got ${strength}`);
  if (resolved.regions.length > 0 && (width < AREA_MIN || height < AREA_MIN)) {
    bad(
      `region boxes need an image of at least ${AREA_MIN}x${AREA_MIN} (ComfyUI's smallest area), got ${width}x${height}`,
    );
  }
  return resolved.regions.map((r, i) => {
    const id = guide.regions[i]!.id;
    const requested = { x: r.box.x * width, y: r.box.y * height, w: r.box.w * width, h: r.box.h * height };
    const applied = snapArea(requested, width, height);
    const adjusted = (['x', 'y', 'w', 'h'] as const).some((k) => applied[k] !== requested[k]);
    return { ...(id !== undefined ? { id } : {}), prompt: r.prompt, strength, requested, applied, adjusted };
  });
}

/** Checks our parameters (one RenderParamsError naming the first bad one) and builds the graph. */
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
  const regions = params.regions
    ? applyRegions(params.regions, params.width, params.height, params.steps, params.regionStrength)
    : [];

  const graph: Record<string, ComfyNode> = {
    checkpoint: { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: params.checkpoint } },
    positive: {
      class_type: 'CLIPTextEncode',
      inputs: { text: params.regions ? params.regions.background : params.prompt, clip: ['checkpoint', 1] },
    },
    negative: { class_type: 'CLIPTextEncode', inputs: { text: params.negativePrompt ?? '', clip: ['checkpoint', 1] } },
    latent: {
      class_type: 'EmptyLatentImage',
      inputs: { width: params.width, height: params.height, batch_size: params.batch ?? 1 },
    },
  };
  // The background stays on the full canvas; each box adds its own text on its area.
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
