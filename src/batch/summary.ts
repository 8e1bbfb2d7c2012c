/** summary.json: the benchmarks' aggregates per variant, computed by the evaluation core. */
import { Evaluation, judgeImage } from '../evaluate/index';
import type { EvaluationSummary, ImageEvaluation, ImageToJudge } from '../evaluate/index';
import type { ManifestRecord, RenderParameters, Variant } from './types';

/** What summary.json holds. */
export interface BatchSummary {
  images: number;
  prompts: number;
  parameters: RenderParameters | null;
  /** The detector and the minimum score the verdicts used. */
  detection: { detector: string; threshold: number } | null;
  /** Aggregates per variant present in the batch ("original", "rewrite"). */
  variants: Partial<Record<Variant, EvaluationSummary & { images: number }>>;
}

/**
 * A manifest line as the evaluation core takes it: its raw detections, judged at its threshold,
 * with the vocabulary of the detector it records.
 */
export function imageToJudge(r: ManifestRecord): ImageToJudge {
  return { promptId: r.prompt_id, prompt: r.eval_prompt, detections: r.raw_detections, detector: r.detector, threshold: r.threshold };
}

/** Re-judges one record's detections with the current rules (the path summary.json takes). */
export function judgeRecord(r: ManifestRecord): ImageEvaluation {
  return judgeImage(imageToJudge(r));
}

/** Re-judges every record's detections with the current rules and aggregates per variant. */
export function summarize(records: readonly ManifestRecord[]): BatchSummary {
  const variants: BatchSummary['variants'] = {};
  for (const variant of ['original', 'rewrite'] as const) {
    const mine = records.filter((r) => r.variant === variant);
    if (mine.length === 0) continue;
    const evaluation = new Evaluation();
    for (const r of mine) evaluation.judge(imageToJudge(r));
    variants[variant] = { ...evaluation.summary(), images: mine.length };
  }
  return {
    images: records.length,
    prompts: new Set(records.map((r) => r.prompt_id)).size,
    parameters: records[0]?.parameters ?? null,
    detection: records[0] ? { detector: records[0].detector, threshold: records[0].threshold } : null,
    variants,
  };
}
