/**
 * The open-vocabulary option, VISOR's own detector: OWL-ViT exported by the user with
 * `optimum-cli export onnx --model google/owlvit-base-patch32 DIR`, run with onnxruntime-node.
 * Queries are "a photo of a {noun}" (VISOR's template), tokenized with the render pipeline's CLIP
 * tokenizer to OWL-ViT's 16 tokens; decoding follows transformers' post_process_object_detection.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import type { RgbaImage } from '../image/index';
import type { Detection } from '../protocol/geometry';
import { ClipTokenizer } from '../render/index';
import { mapToDetectorLabel } from '../evaluate/vocabulary';
import { resizeBicubicPil } from './resample';
import { ModelLoadError } from './tfjsRuntime';
import type { DetectOptions, Detector } from './types';

import { OWLVIT_DEFAULT_THRESHOLD } from '../protocol/service';
export { OWLVIT_DEFAULT_THRESHOLD };
/** OWL-ViT's text length (tokenizer model_max_length of google/owlvit-*). */
export const OWLVIT_QUERY_LENGTH = 16;
/** The query template VISOR uses. */
export function owlvitQuery(noun: string): string {
  return `a photo of a ${noun}`;
}

/** Image preprocessing read from preprocessor_config.json. */
export interface OwlVitPreprocess {
  readonly width: number;
  readonly height: number;
  readonly mean: readonly [number, number, number];
  readonly std: readonly [number, number, number];
  readonly rescale: number;
  /** OWLv2 pads the image to a square (bottom/right, grey 0.5) before resizing; OWL-ViT v1 stretches. */
  readonly padToSquare: boolean;
}

interface PreprocessorJson {
  size?: number | { height?: number; width?: number; shortest_edge?: number };
  crop_size?: number | { height?: number; width?: number };
  image_mean?: number[];
  image_std?: number[];
  rescale_factor?: number;
  do_pad?: boolean;
  image_processor_type?: string;
  feature_extractor_type?: string;
}

/** Parses preprocessor_config.json; `file` is only used in error messages. */
export function parsePreprocessor(json: unknown, file: string): OwlVitPreprocess {
  const bad = (what: string): ModelLoadError => new ModelLoadError(`${file}: ${what}; re-export with \`optimum-cli export onnx --model google/owlvit-base-patch32 DIR\``);
  if (typeof json !== 'object' || json === null) throw bad('not a JSON object');
  const p = json as PreprocessorJson;
  const side = (v: PreprocessorJson['size']): { w: number; h: number } | null => {
    if (typeof v === 'number') return { w: v, h: v };
    if (v && typeof v === 'object') {
      if (typeof v.height === 'number' && typeof v.width === 'number') return { w: v.width, h: v.height };
      if (typeof v.shortest_edge === 'number') return { w: v.shortest_edge, h: v.shortest_edge };
    }
    return null;
  };
  const size = side(p.size) ?? side(p.crop_size);
  if (!size || size.w <= 0 || size.h <= 0) throw bad('no usable "size" (expected e.g. {"height": 768, "width": 768})');
  const triple = (v: number[] | undefined, name: string): [number, number, number] => {
    if (!Array.isArray(v) || v.length !== 3 || v.some((x) => typeof x !== 'number')) throw bad(`"${name}" must be 3 numbers`);
    return [v[0]!, v[1]!, v[2]!];
  };
  const type = p.image_processor_type ?? p.feature_extractor_type ?? '';
  return {
    width: size.w,
    height: size.h,
    mean: triple(p.image_mean, 'image_mean'),
    std: triple(p.image_std, 'image_std'),
    rescale: typeof p.rescale_factor === 'number' ? p.rescale_factor : 1 / 255,
    padToSquare: p.do_pad === true || /owlv2/i.test(type),
  };
}

/**
 * Pixel values [1, 3, H, W] (Pillow-bicubic resize as transformers does, RGB, rescaled, normalized) and the size, in original pixels, that
 * the normalized box coordinates refer to (the image itself, or the padded square for OWLv2).
 */
export function owlvitPixels(image: RgbaImage, pre: OwlVitPreprocess): { data: Float32Array; refWidth: number; refHeight: number } {
  let src = image;
  if (pre.padToSquare && image.width !== image.height) {
    const side = Math.max(image.width, image.height);
    const data = new Uint8Array(side * side * 4).fill(128);
    for (let y = 0; y < image.height; y++) data.set(image.data.subarray(y * image.width * 4, (y + 1) * image.width * 4), y * side * 4);
    src = { width: side, height: side, data };
  }
  const resized = src.width === pre.width && src.height === pre.height ? src : resizeBicubicPil(src, pre.width, pre.height);
  const plane = pre.width * pre.height;
  const out = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) out[c * plane + i] = (resized.data[i * 4 + c]! * pre.rescale - pre.mean[c]!) / pre.std[c]!;
  }
  return { data: out, refWidth: src.width, refHeight: src.height };
}

/**
 * transformers' OwlViT post-processing (what VISOR runs): per patch, the best query by
 * sigmoid(logit); kept when strictly above `threshold`; boxes (cx, cy, w, h) normalized to the
 * reference size -> pixels. Boxes are NOT clipped to the image, as upstream, because clipping would
 * move the centroids VISOR's rule compares. `logits` is [patches x queries], `boxes` [patches x 4].
 * Sorted by score, highest first.
 */
export function decodeOwlVit(
  logits: Float32Array,
  boxes: Float32Array,
  queries: readonly string[],
  threshold: number,
  size: { refWidth: number; refHeight: number },
): Detection[] {
  const q = queries.length;
  const patches = logits.length / q;
  const out: Detection[] = [];
  for (let p = 0; p < patches; p++) {
    let best = 0;
    for (let j = 1; j < q; j++) if (logits[p * q + j]! > logits[p * q + best]!) best = j;
    const score = 1 / (1 + Math.exp(-logits[p * q + best]!));
    if (!(score > threshold)) continue;
    const cx = boxes[p * 4]! * size.refWidth;
    const cy = boxes[p * 4 + 1]! * size.refHeight;
    const w = boxes[p * 4 + 2]! * size.refWidth;
    const h = boxes[p * 4 + 3]! * size.refHeight;
    // Same arithmetic as center_to_corners_format then scaling, so corners match upstream to float precision.
    out.push({ label: queries[best]!, score, x: cx - 0.5 * w, y: cy - 0.5 * h, w, h });
  }
  return out.sort((a, b) => b.score - a.score);
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ModelLoadError(`${file}: ${code === 'ENOENT' ? 'missing' : (err as Error).message}; export OWL-ViT with \`optimum-cli export onnx --model google/owlvit-base-patch32 DIR\` and pass DIR`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ModelLoadError(`${file}: invalid JSON (${(err as Error).message})`);
  }
}

/** Loads the CLIP tokenizer of an OWL-ViT export with its 16-token length and pad token. */
export function loadOwlVitTokenizer(dir: string): ClipTokenizer {
  const vocab = readJson(path.join(dir, 'vocab.json')) as Record<string, number>;
  let merges: string;
  try {
    merges = fs.readFileSync(path.join(dir, 'merges.txt'), 'utf8');
  } catch (err) {
    throw new ModelLoadError(`${path.join(dir, 'merges.txt')}: ${(err as Error).message}`);
  }
  let padToken = '!';
  let maxLength = OWLVIT_QUERY_LENGTH;
  const cfgFile = path.join(dir, 'tokenizer_config.json');
  if (fs.existsSync(cfgFile)) {
    const cfg = readJson(cfgFile) as { pad_token?: string | { content?: string }; model_max_length?: number };
    const pad = typeof cfg.pad_token === 'string' ? cfg.pad_token : cfg.pad_token?.content;
    if (pad) padToken = pad;
    if (typeof cfg.model_max_length === 'number' && cfg.model_max_length <= 4096) maxLength = cfg.model_max_length;
  }
  try {
    return new ClipTokenizer({ vocab, merges, padToken, maxLength });
  } catch (err) {
    throw new ModelLoadError(`${path.join(dir, 'vocab.json')}: ${(err as Error).message}`);
  }
}

/**
 * input_ids and attention_mask [queries x maxLength] for VISOR's "a photo of a {noun}" queries, as
 * OwlViTProcessor pads them: mask 1 up to and including EOS, 0 on the padding.
 */
export function owlvitTextInputs(tokenizer: ClipTokenizer, nouns: readonly string[]): { inputIds: BigInt64Array; attentionMask: BigInt64Array } {
  const len = tokenizer.maxLength;
  const eosId = tokenizer.encode('')[1]!;
  const inputIds = new BigInt64Array(nouns.length * len);
  const attentionMask = new BigInt64Array(nouns.length * len);
  nouns.forEach((noun, q) => {
    const tok = tokenizer.encode(owlvitQuery(noun));
    const eos = tok.indexOf(eosId, 1);
    for (let i = 0; i < len; i++) {
      inputIds[q * len + i] = BigInt(tok[i]!);
      attentionMask[q * len + i] = i <= eos ? 1n : 0n;
    }
  });
  return { inputIds, attentionMask };
}

/** onnxruntime execution provider for OWL-ViT. */
export type OwlVitProvider = 'cpu' | 'cuda';

/** Loads an OWL-ViT export from `modelDir` (model.onnx, preprocessor_config.json, tokenizer files). */
export async function loadOwlVit(modelDir: string, provider: OwlVitProvider = 'cpu'): Promise<Detector> {
  if (!fs.existsSync(modelDir) || !fs.statSync(modelDir).isDirectory()) {
    throw new ModelLoadError(`OWL-ViT folder ${modelDir} does not exist; export it with \`optimum-cli export onnx --model google/owlvit-base-patch32 ${modelDir}\``);
  }
  const modelFile = path.join(modelDir, 'model.onnx');
  if (!fs.existsSync(modelFile)) throw new ModelLoadError(`${modelFile}: missing; the folder must be an optimum export of google/owlvit-base-patch32`);
  const preFile = path.join(modelDir, 'preprocessor_config.json');
  const pre = parsePreprocessor(readJson(preFile), preFile);
  const tokenizer = loadOwlVitTokenizer(modelDir);
  const ort = require('onnxruntime-node') as typeof import('onnxruntime-node');
  let session: InferenceSession;
  try {
    session = await ort.InferenceSession.create(modelFile, { executionProviders: [provider], graphOptimizationLevel: 'all' });
  } catch (err) {
    throw new ModelLoadError(`${modelFile}: onnxruntime cannot load it (${(err as Error).message.split('\n')[0]})`);
  }
  for (const name of ['input_ids', 'pixel_values', 'attention_mask']) {
    if (!session.inputNames.includes(name)) {
      throw new ModelLoadError(`${modelFile}: expected inputs input_ids, pixel_values, attention_mask; found ${session.inputNames.join(', ')}`);
    }
  }
  for (const name of ['logits', 'pred_boxes']) {
    if (!session.outputNames.includes(name)) {
      throw new ModelLoadError(`${modelFile}: expected outputs logits and pred_boxes; found ${session.outputNames.join(', ')}`);
    }
  }
  let disposed = false;

  return {
    name: `OWL-ViT (${path.basename(path.resolve(modelDir))})`,
    vocabulary: null,
    defaultThreshold: OWLVIT_DEFAULT_THRESHOLD,
    async detect(image: RgbaImage, opts: DetectOptions = {}): Promise<Detection[]> {
      if (disposed) throw new Error('detector has been disposed');
      const queries = [...new Set((opts.labels ?? []).map((l) => mapToDetectorLabel(l, null)).filter((l): l is string => l !== null))];
      // An open vocabulary has nothing to look for without queries; an empty answer is the truth.
      if (queries.length === 0) return [];
      const threshold = opts.threshold ?? OWLVIT_DEFAULT_THRESHOLD;
      const text = owlvitTextInputs(tokenizer, queries);
      const pixels = owlvitPixels(image, pre);
      const feeds: Record<string, Tensor> = {
        input_ids: new ort.Tensor('int64', text.inputIds, [queries.length, tokenizer.maxLength]),
        attention_mask: new ort.Tensor('int64', text.attentionMask, [queries.length, tokenizer.maxLength]),
        pixel_values: new ort.Tensor('float32', pixels.data, [1, 3, pre.height, pre.width]),
      };
      const result = await session.run(feeds, ['logits', 'pred_boxes']);
      const logits = result.logits!;
      const boxes = result.pred_boxes!;
      try {
        if (logits.dims[logits.dims.length - 1] !== queries.length) {
          throw new Error(`${modelFile}: logits have shape [${logits.dims.join(', ')}], expected [1, patches, ${queries.length}]`);
        }
        return decodeOwlVit(logits.data as Float32Array, boxes.data as Float32Array, queries, threshold, {
          refWidth: pixels.refWidth,
          refHeight: pixels.refHeight,
        });
      } finally {
        logits.dispose();
        boxes.dispose();
      }
    },
    dispose(): void {
      if (disposed) return;
      disposed = true;
      void session.release();
    },
  };
}
