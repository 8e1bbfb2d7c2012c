/**
 * The embedded detector: NanoDet-m (416 px, COCO 80 classes) as a TF.js graph model on the WASM
 * backend. Pre-processing, output decoding (generalized focal loss distributions) and NMS are here.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RgbaImage } from '../image/index';
import { resizeBilinear } from '../image/index';
import type { Detection } from '../protocol/geometry';
import { clipCorners, nmsPerClass } from './boxes';
import { COCO_LABELS, mapToDetectorLabel } from '../evaluate/vocabulary';
import { ModelLoadError, fileIOHandler, findWasmDir, initTfjs } from './tfjsRuntime';
import { NANODET_DEFAULT_THRESHOLD } from '../protocol/service';
import type { DetectOptions, Detector } from './types';

/** NanoDet's square input side. */
export const NANODET_INPUT_SIZE = 416;
/** Bins per box side in the distribution head (reg_max + 1). */
const BINS = 11;
const STRIDES = [8, 16, 32] as const;
// BGR order, as the model was trained with OpenCV images.
const MEAN_BGR = [103.53, 116.28, 123.675] as const;
const STD_BGR = [57.375, 57.12, 58.395] as const;
/** Output names per stride: class scores [1,N,80] (sigmoid applied) and box bins [1,N,44]. */
const OUTPUTS: Record<(typeof STRIDES)[number], { scores: string; boxes: string }> = {
  8: { scores: 'Identity:0', boxes: 'Identity_3:0' },
  16: { scores: 'Identity_1:0', boxes: 'Identity_4:0' },
  32: { scores: 'Identity_2:0', boxes: 'Identity_5:0' },
};
const NMS_IOU = 0.5;
const MAX_DETECTIONS = 100;
export { NANODET_DEFAULT_THRESHOLD };

/** One output level of the network, as flat arrays. */
export interface NanoDetLevel {
  readonly stride: number;
  /** N x 80 class probabilities. */
  readonly scores: Float32Array;
  /** N x 44 box logits: left, top, right, bottom, 11 bins each. */
  readonly boxes: Float32Array;
}

/** How network-input pixels map back to the original image: x = (xIn - padX) / scaleX. */
export interface InputTransform {
  readonly scaleX: number;
  readonly scaleY: number;
  readonly padX: number;
  readonly padY: number;
}

/**
 * Letterboxes the image into NanoDet's 416x416 input: scaled to fit keeping its aspect ratio,
 * centred, black borders (NanoDet's keep_ratio warp, which pads with 0 before normalizing), then laid
 * out as normalized BGR planes [3, 416, 416]. Alpha is ignored. On non-square photos this beat plain
 * stretching clearly (chelsea: cat 0.57 vs a spurious person 0.56 on top; coffee: a tight cup box).
 */
export function nanoDetInput(image: RgbaImage, size = NANODET_INPUT_SIZE): { data: Float32Array; transform: InputTransform } {
  const scale = size / Math.max(image.width, image.height);
  const rw = Math.max(1, Math.min(size, Math.round(image.width * scale)));
  const rh = Math.max(1, Math.min(size, Math.round(image.height * scale)));
  const padX = Math.floor((size - rw) / 2);
  const padY = Math.floor((size - rh) / 2);
  const resized = image.width === rw && image.height === rh ? image : resizeBilinear(image, rw, rh);
  const plane = size * size;
  const data = new Float32Array(3 * plane);
  for (let c = 0; c < 3; c++) data.fill(-MEAN_BGR[c]! / STD_BGR[c]!, c * plane, (c + 1) * plane);
  const px = resized.data;
  for (let y = 0; y < rh; y++) {
    for (let x = 0; x < rw; x++) {
      const o = (y * rw + x) * 4;
      const i = (y + padY) * size + x + padX;
      data[i] = (px[o + 2]! - MEAN_BGR[0]) / STD_BGR[0];
      data[plane + i] = (px[o + 1]! - MEAN_BGR[1]) / STD_BGR[1];
      data[2 * plane + i] = (px[o]! - MEAN_BGR[2]) / STD_BGR[2];
    }
  }
  return { data, transform: { scaleX: rw / image.width, scaleY: rh / image.height, padX, padY } };
}

/** Expected value of the softmax over `BINS` logits starting at `offset`. */
function expectedBin(logits: Float32Array, offset: number): number {
  let max = -Infinity;
  for (let k = 0; k < BINS; k++) max = Math.max(max, logits[offset + k]!);
  let sum = 0;
  let weighted = 0;
  for (let k = 0; k < BINS; k++) {
    const e = Math.exp(logits[offset + k]! - max);
    sum += e;
    weighted += e * k;
  }
  return weighted / sum;
}

/** Options of {@link decodeNanoDet}. */
export interface DecodeOptions {
  readonly threshold: number;
  /** Class indices to keep; null keeps all. */
  readonly classes: ReadonlySet<number> | null;
  readonly transform: InputTransform;
  readonly imageWidth: number;
  readonly imageHeight: number;
  readonly inputSize?: number;
  readonly labels?: readonly string[];
}

/**
 * Turns NanoDet's raw outputs into detections in original-image pixels: every (anchor, class) score
 * strictly above the threshold (as VISOR's and GenEval's filters, and OWL-ViT's here) becomes a candidate box (centre (col+0.5)*stride, sides = expected bin
 * x stride), then per-class NMS at IoU 0.5.
 */
export function decodeNanoDet(levels: readonly NanoDetLevel[], options: DecodeOptions): Detection[] {
  const inputSize = options.inputSize ?? NANODET_INPUT_SIZE;
  const labels = options.labels ?? COCO_LABELS;
  const numClasses = labels.length;
  const { scaleX, scaleY, padX, padY } = options.transform;
  const candidates: Detection[] = [];
  for (const level of levels) {
    const cols = Math.ceil(inputSize / level.stride);
    const anchors = level.scores.length / numClasses;
    for (let a = 0; a < anchors; a++) {
      let box: { x: number; y: number; w: number; h: number } | null = null;
      for (let c = 0; c < numClasses; c++) {
        const score = level.scores[a * numClasses + c]!;
        if (score <= options.threshold || (options.classes && !options.classes.has(c))) continue;
        if (!box) {
          const cx = ((a % cols) + 0.5) * level.stride;
          const cy = (Math.floor(a / cols) + 0.5) * level.stride;
          const o = a * 4 * BINS;
          const l = expectedBin(level.boxes, o) * level.stride;
          const t = expectedBin(level.boxes, o + BINS) * level.stride;
          const r = expectedBin(level.boxes, o + 2 * BINS) * level.stride;
          const b = expectedBin(level.boxes, o + 3 * BINS) * level.stride;
          box = clipCorners(
            (cx - l - padX) / scaleX,
            (cy - t - padY) / scaleY,
            (cx + r - padX) / scaleX,
            (cy + b - padY) / scaleY,
            options.imageWidth,
            options.imageHeight,
          );
        }
        if (box.w > 0 && box.h > 0) candidates.push({ label: labels[c]!, score, ...box });
      }
    }
  }
  return nmsPerClass(candidates, NMS_IOU, MAX_DETECTIONS);
}

/** Resolves the set of class indices for `DetectOptions.labels` (null = all classes). */
export function classFilter(labels: readonly string[] | undefined, vocabulary: readonly string[]): Set<number> | null {
  if (labels === undefined) return null;
  const wanted = new Set<number>();
  for (const l of labels) {
    const mapped = mapToDetectorLabel(l, vocabulary);
    if (mapped !== null) wanted.add(vocabulary.indexOf(mapped));
  }
  return wanted;
}

/** Options for loading the embedded detector. */
export interface NanoDetLoadOptions {
  /** Folder holding `nanodet/nanodet.json`; defaults to `models/` beside the package. */
  readonly modelsDir: string | null;
  /** Folder of tfjs-backend-wasm's binaries (found automatically when omitted). */
  readonly wasmDir?: string;
  readonly packageRoot: string | null;
  /** XNNPACK threads; defaults to the backend's choice. */
  readonly threads?: number;
}

/** Loads NanoDet; throws ModelLoadError with the fix when the model files are absent. */
export async function loadNanoDet(options: NanoDetLoadOptions): Promise<Detector> {
  if (!options.modelsDir) {
    throw new ModelLoadError('cannot locate the models folder (no spright-lens package.json above the code); pass modelsDir');
  }
  const modelJson = path.join(options.modelsDir, 'nanodet', 'nanodet.json');
  if (!fs.existsSync(modelJson)) {
    throw new ModelLoadError(
      `the embedded detector's model is missing (${modelJson}); run \`npm run fetch-models\` in the spright-lens folder to download it (7.7 MB)`,
    );
  }
  const { tf, converter } = await initTfjs(options.wasmDir ?? findWasmDir(options.packageRoot), options.threads);
  const model = await converter.loadGraphModel(fileIOHandler(modelJson));
  const outputNames = STRIDES.flatMap((s) => [OUTPUTS[s].scores, OUTPUTS[s].boxes]);
  let disposed = false;

  return {
    name: 'NanoDet-m 416 (COCO)',
    vocabulary: COCO_LABELS,
    defaultThreshold: NANODET_DEFAULT_THRESHOLD,
    async detect(image: RgbaImage, opts: DetectOptions = {}): Promise<Detection[]> {
      if (disposed) throw new Error('detector has been disposed');
      const threshold = opts.threshold ?? NANODET_DEFAULT_THRESHOLD;
      const classes = classFilter(opts.labels, COCO_LABELS);
      if (classes && classes.size === 0) return [];
      const { data, transform } = nanoDetInput(image);
      const input = tf.tensor4d(data, [1, 3, NANODET_INPUT_SIZE, NANODET_INPUT_SIZE]);
      let outputs: import('@tensorflow/tfjs-core').Tensor[] = [];
      try {
        outputs = model.execute({ 'input_1:0': input }, outputNames) as import('@tensorflow/tfjs-core').Tensor[];
        const arrays = await Promise.all(outputs.map((t) => t.data() as Promise<Float32Array>));
        const levels: NanoDetLevel[] = STRIDES.map((stride, i) => ({ stride, scores: arrays[2 * i]!, boxes: arrays[2 * i + 1]! }));
        return decodeNanoDet(levels, { threshold, classes, transform, imageWidth: image.width, imageHeight: image.height });
      } finally {
        input.dispose();
        for (const t of outputs) t.dispose();
      }
    },
    dispose(): void {
      if (disposed) return;
      disposed = true;
      model.dispose();
    },
  };
}
