/**
 * Region guidance: what a planned (or hand-edited) layout tells the renderer. Plain JSON-safe
 * data, so that the CLI, the worker, the preview panel and batch runs can pass one along
 * unchanged: `src/generator/regions.ts` builds it from a layout, `src/render` samples with it.
 */

/**
 * A box as fractions of the canvas: top-left corner (x, y) and size (w, h), each in 0..1, y down.
 * Fractions, not pixels, so that a layout planned at one size guides a render at another.
 */
export interface UnitBox {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** One object box and the prompt that should fill it. */
export interface GuideRegion {
  /** What belongs in the box, e.g. "a red apple". */
  prompt: string;
  box: UnitBox;
  /** The layout box it came from (`LayoutBox.id`), for labels; not used by the sampler. */
  id?: string;
}

/**
 * Region-guided sampling in the region-based MultiDiffusion manner (Bar-Tal et al. 2023): each
 * region's prompt denoises its box, the background prompt the rest, and their noise predictions
 * are blended with soft box masks at every step.
 */
export interface RegionGuide {
  /** Prompt for the picture as a whole, weighted where no box is (the whole prompt, or its scene). */
  background: string;
  /** One entry per object box; may be empty (then the render is a plain one of `background`). */
  regions: GuideRegion[];
  /**
   * First steps during which each region sees only its own box, over a constant-colour background
   * (MultiDiffusion's bootstrapping). Default: 40% of the steps, rounded (20 of 50 in the paper).
   */
  bootstrapSteps?: number;
  /**
   * Feathering of the box masks: the standard deviation, in latent pixels (8 image pixels for
   * Stable Diffusion), of the Gaussian the boxes are blurred with. 0 gives hard boxes. Default 1.
   */
  maskSoftness?: number;
}

/** Bootstrapping takes this fraction of the steps unless a guide says otherwise. */
export const DEFAULT_BOOTSTRAP_FRACTION = 0.4;
/** Default mask feathering, latent pixels. */
export const DEFAULT_MASK_SOFTNESS = 1;
