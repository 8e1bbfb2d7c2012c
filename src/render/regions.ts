/**
 * The pure parts of region-guided sampling (region-based MultiDiffusion, Bar-Tal et al. 2023,
 * github.com/omerbt/MultiDiffusion region_based.py): checking a guide, the soft box masks and
 * their blend weights on the latent grid, and the seeded draws of the bootstrapping backgrounds.
 * region_based.py thresholds its masks; feathering them with a Gaussian, as StreamMultiDiffusion
 * (Lee et al. 2024) does with its mask_std, keeps the seams between regions soft.
 * The denoising loop that uses them is in pipeline.ts; tools/parity/region_reference.py is the
 * same algorithm on diffusers, and the two are held to each other by test/unit/renderRegions.
 */
import { DEFAULT_BOOTSTRAP_FRACTION, DEFAULT_MASK_SOFTNESS, type RegionGuide, type UnitBox } from '../protocol/regions';
import { RenderParamsError } from './errors';
import { GaussianRandom } from './random';

/**
 * Most regions one render takes. Each region adds a UNet row to every step (two while
 * bootstrapping), so a layout of dozens of boxes would multiply the render time by as much.
 */
export const MAX_REGIONS = 32;

/**
 * Side, in latent pixels, of the constant-colour images encoded for bootstrapping. The encoder
 * runs once per colour at this size, not at the render's; a constant image encodes to a latent
 * that is constant away from the border, so its centre stands for every pixel.
 */
export const BOOTSTRAP_ENCODE_LATENT_SIZE = 16;

/** A guide after validation, with its defaults filled in. */
export interface ResolvedGuide {
  readonly background: string;
  readonly regions: ReadonlyArray<{ readonly prompt: string; readonly box: UnitBox }>;
  readonly bootstrapSteps: number;
  readonly maskSoftness: number;
}

function fail(message: string): never {
  throw new RenderParamsError(`region guide: ${message}`);
}

/** Checks `guide` (plain data from a file, the worker or a panel) for a render of `steps` steps. */
export function resolveRegionGuide(guide: RegionGuide, steps: number): ResolvedGuide {
  if (typeof guide !== 'object' || guide === null) fail('expected an object with background and regions');
  if (typeof guide.background !== 'string')
    fail('background must be a string (the prompt for the area outside the boxes)');
  if (!Array.isArray(guide.regions)) fail('regions must be an array of {prompt, box}');
  if (guide.regions.length > MAX_REGIONS) {
    fail(
      `${guide.regions.length} regions; at most ${MAX_REGIONS} (each one adds a UNet pass per step): place fewer or smaller counts of objects`,
    );
  }
  const regions = guide.regions.map((r, i) => {
    const where = `region ${i + 1}${r && typeof r.prompt === 'string' ? ` ("${r.prompt}")` : ''}`;
    if (typeof r !== 'object' || r === null) fail(`${where} must be an object {prompt, box}`);
    if (typeof r.prompt !== 'string' || !r.prompt.trim()) fail(`${where}: prompt must be a non-empty string`);
    const b = r.box as Partial<UnitBox> | undefined;
    if (typeof b !== 'object' || b === null) fail(`${where}: box must be {x, y, w, h} in fractions of the canvas`);
    for (const k of ['x', 'y', 'w', 'h'] as const) {
      const v = b[k];
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1)
        fail(`${where}: box.${k} must be a number in 0..1 (a fraction of the canvas), got ${String(v)}`);
    }
    const box = b as UnitBox;
    if (box.w <= 0 || box.h <= 0) fail(`${where}: the box is empty (w ${box.w}, h ${box.h})`);
    // Edited layouts round; a hair past the edge is the edge.
    if (box.x + box.w > 1 + 1e-6) fail(`${where}: the box runs past the right edge (x + w = ${box.x + box.w})`);
    if (box.y + box.h > 1 + 1e-6) fail(`${where}: the box runs past the bottom edge (y + h = ${box.y + box.h})`);
    return { prompt: r.prompt, box: { x: box.x, y: box.y, w: box.w, h: box.h } };
  });
  let bootstrapSteps = Math.round(steps * DEFAULT_BOOTSTRAP_FRACTION);
  if (guide.bootstrapSteps !== undefined) {
    const v = guide.bootstrapSteps;
    if (!Number.isInteger(v) || v < 0 || v > steps)
      fail(`bootstrapSteps must be an integer in 0..${steps} (the step count), got ${String(v)}`);
    bootstrapSteps = v;
  }
  let maskSoftness = DEFAULT_MASK_SOFTNESS;
  if (guide.maskSoftness !== undefined) {
    const v = guide.maskSoftness;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 64)
      fail(`maskSoftness must be a number of latent pixels in 0..64, got ${String(v)}`);
    maskSoftness = v;
  }
  return { background: guide.background, regions, bootstrapSteps: regions.length ? bootstrapSteps : 0, maskSoftness };
}

/**
 * erf(x) to double precision: its Maclaurin series below |x| = 2, the continued fraction of
 * erfc above (Abramowitz & Stegun 7.1.5 and 7.1.14).
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const a = Math.abs(x);
  let r: number;
  if (a < 2) {
    // sum (-1)^n x^(2n+1) / (n! (2n+1)); its largest term at |x| = 2 is ~3, so little is lost.
    let term = a;
    let sum = a;
    const x2 = a * a;
    for (let n = 1; n < 200; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    r = (2 / Math.sqrt(Math.PI)) * sum;
  } else if (a < 27) {
    // erfc(a) = exp(-a^2)/sqrt(pi) * 1/(a + (1/2)/(a + 1/(a + (3/2)/(a + ...)))), by Lentz's method.
    const tiny = 1e-300;
    let f = a;
    let c = a;
    let d = 0;
    for (let n = 1; n < 500; n++) {
      const an = n / 2;
      d = a + an * d;
      d = d === 0 ? tiny : 1 / d;
      c = a + an / c;
      if (c === 0) c = tiny;
      const delta = c * d;
      f *= delta;
      if (Math.abs(delta - 1) < 1e-16) break;
    }
    r = 1 - Math.exp(-a * a) / Math.sqrt(Math.PI) / f;
  } else {
    r = 1;
  }
  return x < 0 ? -r : r;
}

/** Standard normal CDF. */
function phi(z: number): number {
  return 0.5 * (1 + erf(z / Math.SQRT2));
}

/**
 * How much of each latent column (or row) `n` the span [a, b) (latent pixels) covers, blurred by
 * a Gaussian of standard deviation `sigma`, at the pixel centres j + 0.5: the exact Gaussian blur
 * of a box, which is separable. `sigma` 0 gives the hard box (centre inside).
 */
function axisMask(n: number, a: number, b: number, sigma: number): Float64Array {
  const out = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    const c = j + 0.5;
    out[j] = sigma === 0 ? (c >= a && c < b ? 1 : 0) : phi((c - a) / sigma) - phi((c - b) / sigma);
  }
  return out;
}

/** Masks and blend weights on a latent grid of `width` x `height`, row-major. */
export interface RegionMasks {
  /** Per region: its soft box mask, 0..1; it also mixes the bootstrapping background in. */
  readonly masks: Float32Array[];
  /**
   * Blend weights of the noise predictions: `[background, region 1, ...]`. The background's mask
   * is max(0, 1 - sum of the region masks); every mask is divided by max(1, sum of all masks),
   * so the weights sum to 1 at each pixel (MultiDiffusion's value / count).
   */
  readonly weights: Float32Array[];
}

/** The masks of `boxes` (fractions of the canvas) on a `width` x `height` latent grid. */
export function regionMasks(boxes: readonly UnitBox[], width: number, height: number, softness: number): RegionMasks {
  const hw = width * height;
  const fg = boxes.map((b) => {
    const mx = axisMask(width, b.x * width, (b.x + b.w) * width, softness);
    const my = axisMask(height, b.y * height, (b.y + b.h) * height, softness);
    const m = new Float64Array(hw);
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) m[y * width + x] = mx[x]! * my[y]!;
    return m;
  });
  const weights = [new Float32Array(hw), ...fg.map(() => new Float32Array(hw))];
  for (let p = 0; p < hw; p++) {
    let sum = 0;
    for (const m of fg) sum += m[p]!;
    const bg = Math.max(0, 1 - sum);
    const count = Math.max(1, sum + bg);
    weights[0]![p] = bg / count;
    fg.forEach((m, k) => (weights[k + 1]![p] = m[p]! / count));
  }
  return { masks: fg.map((m) => Float32Array.from(m)), weights };
}

/**
 * The random choices of bootstrapping: `colours` (K x RGB in 0..1) whose encodings serve as the
 * constant backgrounds, and for each bootstrapping step and region which colour it gets
 * (`picks[step * regions + k]`), as region_based.py draws them (torch.rand, torch.randint).
 */
export interface BootstrapDraws {
  readonly colours: Float32Array;
  readonly picks: Int32Array;
}

/**
 * Draws the bootstrapping colours and picks from a generator of their own, seeded from the render
 * seed by an odd multiplier (a bijection on 32-bit seeds), so that a guided render starts from the
 * same initial latents, and gets the same ancestral noise, as an unguided one with that seed.
 * K = the bootstrapping step count, as in region_based.py.
 */
export function drawBootstrap(seed: number, bootstrapSteps: number, regions: number): BootstrapDraws {
  const rng = new GaussianRandom(Math.imul((seed ^ 0x52474e44) >>> 0, 0x9e3779b1) >>> 0);
  const k = bootstrapSteps;
  const colours = new Float32Array(k * 3);
  for (let i = 0; i < colours.length; i++) colours[i] = rng.nextUint32() / 4294967296;
  const picks = new Int32Array(bootstrapSteps * regions);
  for (let i = 0; i < picks.length; i++) picks[i] = Math.floor((rng.nextUint32() / 4294967296) * k);
  return { colours, picks };
}

/** The encoder's input for `colours`: K constant images of side `size`, in [-1, 1] (2c - 1). */
export function constantImages(colours: Float32Array, size: number): Float32Array {
  const k = colours.length / 3;
  const plane = size * size;
  const out = new Float32Array(k * 3 * plane);
  for (let i = 0; i < k; i++)
    for (let c = 0; c < 3; c++) out.fill(2 * colours[i * 3 + c]! - 1, (i * 3 + c) * plane, (i * 3 + c + 1) * plane);
  return out;
}

/**
 * One latent vector per colour from the encoder's `latent_parameters` ([K, 2C, s, s]: the
 * posterior's mean, then its log-variance): the mean's central pixels (2 x 2 for an even side).
 */
export function centreLatents(params: Float32Array, k: number, channels: number, side: number): Float32Array {
  const out = new Float32Array(k * channels);
  const lo = Math.floor((side - 1) / 2);
  const hi = Math.floor(side / 2);
  const plane = side * side;
  for (let i = 0; i < k; i++) {
    for (let c = 0; c < channels; c++) {
      const base = (i * 2 * channels + c) * plane;
      let sum = 0;
      let n = 0;
      for (let y = lo; y <= hi; y++) for (let x = lo; x <= hi; x++, n++) sum += params[base + y * side + x]!;
      out[i * channels + c] = sum / n;
    }
  }
  return out;
}
