/**
 * Hard limits of a render and the memory estimate checked before its first step, so that a typo
 * such as `--size 100000x100000` is refused with a figure and a way out instead of growing until
 * the kernel kills this process (and others with it).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import { RenderParamsError } from './errors';
import type { ModelArchitecture } from './modelDir';
import { MAX_BATCH, MAX_SIDE, MAX_STEPS, sizeProblem } from '../protocol/service';

// The limits themselves are part of the service's request contract (src/protocol/service.ts), so
// that the CLI and the settings check them without loading the render code.
export { MAX_BATCH, MAX_SIDE, MAX_STEPS };

/** Throws RenderParamsError unless both sides are multiples of `multiple` from `multiple` to MAX_SIDE. */
export function checkSize(width: number, height: number, multiple = 8): void {
  const problem = sizeProblem(width, height, multiple);
  if (problem !== null) throw new RenderParamsError(problem);
}

/** What a render of this shape needs. */
export interface RenderShape {
  readonly width: number;
  readonly height: number;
  /** Images in the call. */
  readonly batch: number;
  /** Classifier-free guidance doubles the UNet rows. */
  readonly guidance: boolean;
  /** Rows per UNet call (the graph's fixed batch, or all rows). */
  readonly unetChunk: number;
  /** Bytes per element of the UNet's activations (4 for fp32, 2 for fp16). */
  readonly elementBytes: number;
  readonly vaeScaleFactor: number;
  readonly architecture: ModelArchitecture;
}

/** The estimate, in bytes, by part. */
export interface MemoryEstimate {
  /** This process's own arrays: latents, guidance rows, the decoded image, RGBA and PNG. */
  readonly buffers: number;
  /** The largest UNet activation: the attention score matrix at the finest level with attention. */
  readonly unet: number;
  /** The VAE decoder's full-resolution activations and its latent-size attention. */
  readonly vae: number;
  /** buffers + the larger of unet and vae (the graphs run one after the other). */
  readonly total: number;
}

/**
 * A lower bound of the memory a render takes beyond the loaded weights. It counts what cannot be
 * avoided: the attention scores (tokens^2 x heads x rows) that an exported SD graph materialises,
 * the VAE's full-size feature maps and our own buffers. Real use is higher; a render this refuses
 * could never have finished.
 */
export function estimateRenderMemory(s: RenderShape): MemoryEstimate {
  const lh = s.height / s.vaeScaleFactor;
  const lw = s.width / s.vaeScaleFactor;
  const rows = s.guidance ? 2 * s.batch : s.batch;
  const per = s.architecture.latentChannels * lh * lw;
  const pixels = s.width * s.height;
  const buffers = 4 * (2 * rows * per + 4 * s.batch * per) + s.batch * pixels * (3 * 4 + 4) + pixels * 4;
  let unet = s.unetChunk * s.architecture.unetChannels * lh * lw * s.elementBytes * 4;
  s.architecture.attentionHeads.forEach((heads, level) => {
    if (heads === null) return;
    const tokens = Math.ceil(lh / 2 ** level) * Math.ceil(lw / 2 ** level);
    unet = Math.max(unet, s.unetChunk * heads * tokens * tokens * s.elementBytes);
  });
  const vaeChunk = Math.min(s.batch, s.unetChunk);
  const vae = Math.max(vaeChunk * s.architecture.vaeChannels * pixels * 4 * 2, vaeChunk * (lh * lw) ** 2 * 4);
  return { buffers, unet, vae, total: buffers + Math.max(unet, vae) };
}

/**
 * Memory this process can still take: Linux's MemAvailable (free plus reclaimable cache), else
 * the free memory Node reports.
 */
export function availableMemory(): number {
  try {
    const m = /^MemAvailable:\s+(\d+) kB/m.exec(fs.readFileSync('/proc/meminfo', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // Not Linux.
  }
  return os.freemem();
}

/** "3.4 GB". */
export function formatBytes(n: number): string {
  if (n >= 1e12) return `${(n / 1e12).toFixed(1)} TB`;
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)} GB`;
  return `${Math.max(0.1, n / 1e6).toFixed(1)} MB`;
}

/**
 * Throws RenderParamsError when the estimate exceeds `available`, with the figure and the largest
 * square size (a multiple of 64) that would fit. `deviceMemory`: activations live on a GPU, so
 * only this process's buffers count against host memory.
 */
export function checkRenderMemory(s: RenderShape, available: number, deviceMemory = false): void {
  const need = (shape: RenderShape): number => {
    const e = estimateRenderMemory(shape);
    return deviceMemory ? e.buffers : e.total;
  };
  const est = estimateRenderMemory(s);
  const total = need(s);
  if (total <= available) return;
  let side = 0;
  for (let v = 64; v <= MAX_SIDE; v += 64) if (need({ ...s, width: v, height: v, batch: 1 }) <= available) side = v;
  const part = !deviceMemory && est.unet >= est.vae && est.unet > est.buffers ? ', mostly the UNet attention' : '';
  const way =
    side > 0
      ? `render at ${side}x${side} or smaller${s.batch > 1 ? ' with one image per call' : ''}`
      : 'free memory or use a machine with more';
  throw new RenderParamsError(
    `a ${s.width}x${s.height} render${s.batch > 1 ? ` of ${s.batch} images` : ''} needs at least ${formatBytes(total)} of memory${part}, and ${formatBytes(available)} is available: ${way}`,
  );
}
