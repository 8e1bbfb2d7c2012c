/**
 * Evaluating a stream of images against their prompts, with injected detection: each image is
 * judged and handed on as soon as it is done, and only the aggregates stay in memory.
 */
import type { Detection } from '../protocol/geometry';
import { Evaluation } from './judge';
import { parseImageName } from './sources';
import type { EvalPrompt, EvaluationSummary, ImageEvaluation } from './types';

/** One image to evaluate, from a manifest line, a VISOR-named file or a PNG's own prompt chunk. */
export interface ImageJob {
  /** The image file as shown in the output (a name in the folder, or a manifest's relative path). */
  file: string;
  promptId: string;
  /** Image index within its prompt. */
  k: number;
  prompt: EvalPrompt;
  /** Boxes recorded with the image (a batch manifest); null: detect them now. */
  detections: Detection[] | null;
  /** The detector the boxes come from (see labelMapperFor): recorded, or the one given now. */
  detector: string;
}

/** One evaluated image as `evaluate` prints it under `per_image`. */
export interface PerImageResult {
  file: string;
  prompt_id: string;
  k: number;
  prompt: string;
  detections: Detection[];
  evaluation: ImageEvaluation;
}

/** Host capabilities of {@link evaluateImages}. */
export interface EvaluateImagesDeps {
  /** Detects the given nouns in the job's image; null when the image cannot be read (it is skipped). */
  detect(job: ImageJob, nouns: string[], signal: AbortSignal): Promise<Detection[] | null>;
}

/** Options of {@link evaluateImages}. */
export interface EvaluateImagesOptions {
  /** Strict score threshold; default: the detector's own. */
  threshold?: number;
  signal?: AbortSignal;
  /** Receives each image as soon as it is judged; awaited, so a slow reader slows the run down. */
  onImage?(result: PerImageResult): Promise<void> | void;
}

/** What {@link evaluateImages} returns. */
export interface StreamEvaluation {
  summary: EvaluationSummary;
  images: number;
  /** Jobs whose image could not be read (`detect` gave null); left out of the figures. */
  skipped: number;
  /** True when the signal stopped the run; the figures cover the images before that. */
  cancelled: boolean;
}

const NEVER = new AbortController().signal;

/** Judges every job (detecting where nothing is recorded) through the one evaluation path. */
export async function evaluateImages(
  jobs: AsyncIterable<ImageJob> | Iterable<ImageJob>,
  deps: EvaluateImagesDeps,
  options: EvaluateImagesOptions = {},
): Promise<StreamEvaluation> {
  const signal = options.signal ?? NEVER;
  const evaluation = new Evaluation({ threshold: options.threshold });
  let cancelled = false;
  let skipped = 0;
  for await (const job of jobs) {
    if (signal.aborted) {
      cancelled = true;
      break;
    }
    const nouns = [...new Set(job.prompt.objects.map((o) => o.noun))];
    const detections = job.detections ?? (await deps.detect(job, nouns, signal));
    if (detections === null) {
      skipped++;
      continue;
    }
    const e = evaluation.judge({ promptId: job.promptId, prompt: job.prompt, detections, detector: job.detector });
    await options.onImage?.({
      file: job.file,
      prompt_id: job.promptId,
      k: job.k,
      prompt: job.prompt.text,
      detections,
      evaluation: e,
    });
  }
  return { summary: evaluation.summary(), images: evaluation.images, skipped, cancelled };
}

/** Orders "10_0" after "9_3": numeric ids compare as numbers. */
function compareIds(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

/**
 * Matches `{prompt_id}_{k}.png` names to prompts, in prompt id then k order. Names of that form
 * whose id is not in the prompt set are returned as `unmatched`; other names are ignored.
 */
export function matchImages(
  names: Iterable<string>,
  prompts: readonly EvalPrompt[],
  detector: string,
): { jobs: ImageJob[]; unmatched: string[]; promptsWithoutImages: number } {
  const byId = new Map(prompts.map((p) => [p.id, p]));
  const jobs: ImageJob[] = [];
  const unmatched: string[] = [];
  for (const file of names) {
    const parsed = parseImageName(file);
    if (!parsed) continue;
    const prompt = byId.get(parsed.promptId);
    if (prompt) jobs.push({ file, promptId: prompt.id, k: parsed.k, prompt, detections: null, detector });
    else unmatched.push(file);
  }
  jobs.sort((a, b) => compareIds(a.promptId, b.promptId) || a.k - b.k);
  const withImages = new Set(jobs.map((j) => j.promptId));
  return { jobs, unmatched, promptsWithoutImages: prompts.length - withImages.size };
}
