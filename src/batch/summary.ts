/** summary.json: the benchmarks' aggregates per variant, computed by the evaluation core. */
import { aggregate, evaluateImage } from '../evaluate/index';
import type { EvaluationSummary } from '../evaluate/index';
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
 * Re-judges every record's detections (those at or above its threshold) with the current rules
 * and aggregates per variant.
 */
export function summarize(
  records: readonly ManifestRecord[],
  opts: { labelFor?: (n: string) => string | null } = {},
): BatchSummary {
  const variants: BatchSummary['variants'] = {};
  for (const variant of ['original', 'rewrite'] as const) {
    const mine = records.filter((r) => r.variant === variant);
    if (mine.length === 0) continue;
    const evaluated = mine.map((r) => ({
      promptId: r.prompt_id,
      evaluation: evaluateImage(r.eval_prompt, r.detections, { labelFor: opts.labelFor }),
    }));
    variants[variant] = { ...aggregate(evaluated), images: mine.length };
  }
  return {
    images: records.length,
    prompts: new Set(records.map((r) => r.prompt_id)).size,
    parameters: records[0]?.parameters ?? null,
    detection: records[0] ? { detector: records[0].detector, threshold: records[0].threshold } : null,
    variants,
  };
}
