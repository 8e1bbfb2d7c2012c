/**
 * The one evaluation path: batch summaries, report marks, `evaluate` on a manifest and `evaluate`
 * on a folder all judge an image through {@link judgeImage} and count it with {@link Evaluation},
 * so the same detections always give the same figures. What a detector could know follows from the
 * detector recorded with the image, never from whichever detector happens to be loaded.
 */
import type { Detection } from '../protocol/geometry';
import { COCO_LABELS, mapToDetectorLabel } from './vocabulary';
import { Aggregator, defaultLabelFor, evaluateImage } from './evaluate';
import type { EvalPrompt, EvaluationSummary, ImageEvaluation } from './types';

/** One image to judge: its prompt, the boxes found in it, and the detector that found them. */
export interface ImageToJudge {
  promptId: string;
  prompt: EvalPrompt;
  detections: readonly Detection[];
  /**
   * The detector as the CLI and the manifest name it: `embedded` (NanoDet, the 80 COCO classes)
   * or `owlvit:DIR` (open vocabulary). Any other name keeps the core's default noun mapping.
   */
  detector: string;
}

const EMBEDDED = new Set(['embedded', 'nanodet']);
const mappers = new Map<string, (noun: string) => string | null>();

/**
 * Noun -> detector label for a detector name: the embedded detector knows COCO's classes (other
 * nouns are "not in its vocabulary", never "not found"); OWL-ViT takes any noun as its query.
 */
export function labelMapperFor(detector: string): (noun: string) => string | null {
  const kind = EMBEDDED.has(detector) ? 'embedded' : detector.startsWith('owlvit:') ? 'owlvit' : 'other';
  let m = mappers.get(kind);
  if (!m) {
    if (kind === 'embedded') m = (noun) => mapToDetectorLabel(noun, COCO_LABELS);
    else if (kind === 'owlvit') m = (noun) => mapToDetectorLabel(noun, null);
    else m = defaultLabelFor;
    mappers.set(kind, m);
  }
  return m;
}

/** Judges one image by all three benchmarks' rules; `threshold` is strict (see EvaluateOptions). */
export function judgeImage(image: ImageToJudge, threshold?: number): ImageEvaluation {
  return evaluateImage(image.prompt, image.detections, { labelFor: labelMapperFor(image.detector), threshold });
}

/**
 * A running evaluation: judge images one at a time, read the aggregates at any point. Holds no
 * per-image results, so a stream of any length fits in memory bounded by its prompts.
 */
export class Evaluation {
  readonly #threshold: number | undefined;
  readonly #aggregator = new Aggregator();
  #images = 0;

  constructor(options: { threshold?: number } = {}) {
    this.#threshold = options.threshold;
  }

  /** Images judged so far. */
  get images(): number {
    return this.#images;
  }

  /** Judges one image, counts it, and returns its evaluation. */
  judge(image: ImageToJudge): ImageEvaluation {
    const e = judgeImage(image, this.#threshold);
    this.#aggregator.add(image.promptId, e);
    this.#images++;
    return e;
  }

  /** The benchmarks' aggregates over the images judged so far. */
  summary(): EvaluationSummary {
    return this.#aggregator.summary();
  }
}
