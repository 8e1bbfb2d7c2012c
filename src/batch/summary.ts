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

/** A manifest line as the evaluation core takes it: the detector it records decides the vocabulary. */
export function imageToJudge(r: ManifestRecord): ImageToJudge {
  return { promptId: r.prompt_id, prompt: r.eval_prompt, detections: r.detections, detector: r.parameters.detector };
}

/** Re-judges one record's detections with the current rules (the path summary.json takes). */
export function judgeRecord(r: ManifestRecord, threshold?: number): ImageEvaluation {
  return judgeImage(imageToJudge(r), threshold);
}

/** Re-judges every record's detections with the current rules and aggregates per variant. */
export function summarize(records: readonly ManifestRecord[], opts: { threshold?: number } = {}): BatchSummary {
  const variants: BatchSummary['variants'] = {};
  for (const variant of ['original', 'rewrite'] as const) {
    const mine = records.filter((r) => r.variant === variant);
    if (mine.length === 0) continue;
    const evaluation = new Evaluation({ threshold: opts.threshold });
    for (const r of mine) evaluation.judge(imageToJudge(r));
    variants[variant] = { ...evaluation.summary(), images: mine.length };
  }
  return {
    images: records.length,
    prompts: new Set(records.map((r) => r.prompt_id)).size,
    parameters: records[0]?.parameters ?? null,
    detection: records[0] ? { detector: records[0].parameters.detector, threshold: records[0].threshold } : null,
    variants,
  };
}
