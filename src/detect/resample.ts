/**
 * Pillow's BICUBIC resize, reproduced step by step: transformers' image processors (OWL-ViT's
 * included) resize through Pillow, so matching it keeps our pixel values, and hence detections,
 * within one 8-bit level of the reference pipeline that VISOR's numbers come from.
 */
import type { RgbaImage } from '../image/index';

// Pillow's fixed-point precision for 8-bit images (Resample.c: PRECISION_BITS = 32 - 8 - 2).
const PRECISION_BITS = 22;
const ONE = 2 ** PRECISION_BITS;
const HALF = 2 ** (PRECISION_BITS - 1);

/** Keys' cubic with a = -0.5, Pillow's bicubic_filter. */
function bicubic(x: number): number {
  const a = -0.5;
  const t = Math.abs(x);
  if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
  if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
  return 0;
}

interface Coefficients {
  readonly starts: Int32Array;
  readonly counts: Int32Array;
  /** Integer weights, `kSize` per output pixel. */
  readonly weights: Float64Array;
  readonly kSize: number;
}

/** Resample.c precompute_coeffs + normalize_coeffs_8bpc for one axis. */
function coefficients(inSize: number, outSize: number): Coefficients {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = 2 * filterScale;
  const kSize = Math.ceil(support) * 2 + 1;
  const starts = new Int32Array(outSize);
  const counts = new Int32Array(outSize);
  const weights = new Float64Array(outSize * kSize);
  const k = new Float64Array(kSize);
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    // C casts truncate toward zero.
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let total = 0;
    for (let x = 0; x < xmax; x++) {
      k[x] = bicubic((x + xmin - center + 0.5) / filterScale);
      total += k[x]!;
    }
    for (let x = 0; x < xmax; x++) {
      const w = total !== 0 ? k[x]! / total : 0;
      weights[xx * kSize + x] = Math.trunc(w < 0 ? w * ONE - 0.5 : w * ONE + 0.5);
    }
    starts[xx] = xmin;
    counts[xx] = xmax;
  }
  return { starts, counts, weights, kSize };
}

const clip8 = (v: number): number => {
  const r = Math.floor(v / ONE);
  return r < 0 ? 0 : r > 255 ? 255 : r;
};

/** Resizes RGBA as Pillow's `Image.resize(size, Image.BICUBIC)` does (horizontal pass, then vertical). */
export function resizeBicubicPil(src: RgbaImage, width: number, height: number): RgbaImage {
  let cur = src;
  if (width !== src.width) {
    const c = coefficients(src.width, width);
    const out = new Uint8Array(width * cur.height * 4);
    for (let y = 0; y < cur.height; y++) {
      for (let x = 0; x < width; x++) {
        const start = c.starts[x]!;
        const n = c.counts[x]!;
        for (let ch = 0; ch < 4; ch++) {
          let ss = HALF;
          for (let i = 0; i < n; i++) ss += cur.data[(y * cur.width + start + i) * 4 + ch]! * c.weights[x * c.kSize + i]!;
          out[(y * width + x) * 4 + ch] = clip8(ss);
        }
      }
    }
    cur = { width, height: cur.height, data: out };
  }
  if (height !== cur.height) {
    const c = coefficients(cur.height, height);
    const out = new Uint8Array(cur.width * height * 4);
    for (let y = 0; y < height; y++) {
      const start = c.starts[y]!;
      const n = c.counts[y]!;
      for (let x = 0; x < cur.width; x++) {
        for (let ch = 0; ch < 4; ch++) {
          let ss = HALF;
          for (let i = 0; i < n; i++) ss += cur.data[((start + i) * cur.width + x) * 4 + ch]! * c.weights[y * c.kSize + i]!;
          out[(y * cur.width + x) * 4 + ch] = clip8(ss);
        }
      }
    }
    cur = { width: cur.width, height, data: out };
  }
  return cur === src ? { width: src.width, height: src.height, data: new Uint8Array(src.data) } : cur;
}
