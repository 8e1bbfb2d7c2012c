/** Evaluating a folder of VISOR-named images against a prompt set, with injected detection. */
import type { Detection } from '../protocol/geometry';
import { aggregate, evaluateImage } from './evaluate';
import { parseImageName } from './sources';
import type { EvalPrompt, EvaluationSummary, ImageEvaluation } from './types';

/** Host capabilities of {@link evaluateFolder}. */
export interface EvaluateFolderDeps {
  /** Names of the image files in the folder. */
  listImages(): Promise<string[]>;
  /** Detects the given nouns in one image of the folder. */
  detect(file: string, nouns: string[], signal: AbortSignal): Promise<Detection[]>;
  /** Noun -> detector label (null: unknown to the detector). */
  labelFor?(noun: string): string | null;
}

/** One evaluated image as `evaluate --format json` prints it under `per_image`. */
export interface PerImageResult {
  file: string;
  prompt_id: string;
  k: number;
  prompt: string;
  detections: Detection[];
  evaluation: ImageEvaluation;
}

/** What {@link evaluateFolder} returns. */
export interface FolderEvaluation {
  summary: EvaluationSummary;
  perImage: PerImageResult[];
  /** Images named like `{id}_{k}.png` whose id is not in the prompt set. */
  unmatched: string[];
  /** Prompts with no image in the folder. */
  promptsWithoutImages: number;
  cancelled: boolean;
}

/** Orders "10_0" after "9_3": numeric ids compare as numbers. */
function compareIds(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

/**
 * Matches `{prompt_id}_{k}.png` files to prompts, detects and judges each image, and aggregates.
 * Returns what it finished when `signal` aborts.
 */
export async function evaluateFolder(
  prompts: readonly EvalPrompt[],
  deps: EvaluateFolderDeps,
  options: { threshold?: number; signal?: AbortSignal; onProgress?: (done: number, total: number, file: string) => void } = {},
): Promise<FolderEvaluation> {
  const byId = new Map(prompts.map((p) => [p.id, p]));
  const names = await deps.listImages();
  const jobs: Array<{ file: string; prompt: EvalPrompt; k: number }> = [];
  const unmatched: string[] = [];
  for (const file of names) {
    const parsed = parseImageName(file);
    if (!parsed) continue;
    const prompt = byId.get(parsed.promptId);
    if (prompt) jobs.push({ file, prompt, k: parsed.k });
    else unmatched.push(file);
  }
  jobs.sort((a, b) => compareIds(a.prompt.id, b.prompt.id) || a.k - b.k);
  const perImage: PerImageResult[] = [];
  let cancelled = false;
  for (const job of jobs) {
    if (options.signal?.aborted) {
      cancelled = true;
      break;
    }
    options.onProgress?.(perImage.length, jobs.length, job.file);
    const nouns = [...new Set(job.prompt.objects.map((o) => o.noun))];
    const detections = await deps.detect(job.file, nouns, options.signal ?? new AbortController().signal);
    const evaluation = evaluateImage(job.prompt, detections, { labelFor: deps.labelFor, threshold: options.threshold });
    perImage.push({ file: job.file, prompt_id: job.prompt.id, k: job.k, prompt: job.prompt.text, detections, evaluation });
  }
  options.onProgress?.(perImage.length, jobs.length, '');
  const withImages = new Set(jobs.map((j) => j.prompt.id));
  return {
    summary: aggregate(perImage.map((p) => ({ promptId: p.prompt_id, evaluation: p.evaluation }))),
    perImage,
    unmatched,
    promptsWithoutImages: prompts.length - withImages.size,
    cancelled,
  };
}
