/** summary.json: the benchmarks' aggregates per variant, computed by the evaluation core. */
import { Evaluation, judgeCandidate, judgeImage } from '../evaluate/index';
import type { BestOfSettings, EvaluationSummary, ImageEvaluation, ImageToJudge } from '../evaluate/index';
import type { CandidateRecord, ManifestRecord, RenderParameters, Variant } from './types';

/** What summary.json holds. */
export interface BatchSummary {
  images: number;
  prompts: number;
  parameters: RenderParameters | null;
  /** The detector and the minimum score the verdicts used. */
  detection: { detector: string; threshold: number } | null;
  /** Aggregates per variant present in the batch ("original", "rewrite"). */
  variants: Partial<Record<Variant, EvaluationSummary & { images: number }>>;
  /** Present when the images are best-of-N choices: what choosing gained over candidate 0 alone. */
  best_of?: BestOfSummary;
}

/** The gain of best-of-N in one prompt set (a prompt file) and variant. */
export interface BestOfGain {
  /** The prompt file (a prompt's source without its line), or "all" over every file. */
  set: string;
  variant: Variant;
  /**
   * Images whose prompt has at least one relation the rule scores (with objects the detector can
   * know): only those can satisfy every relation.
   */
  images: number;
  /** Of those, images whose candidate 0 alone (the seed a plain batch renders) satisfies every relation. */
  seed0: number;
  /** Of those, images whose chosen candidate satisfies every relation. */
  chosen: number;
  /** The same as percentages of `images` (null when there are none). */
  seed0_pct: number | null;
  chosen_pct: number | null;
}

/** summary.json's `best_of`: how the images were chosen, by whom, and what it gained. */
export interface BestOfSummary {
  n: number;
  until_satisfied: boolean;
  rule: BestOfSettings['rule'];
  /** The detector whose detections chose the images. */
  picked_by: string;
  /** The detector whose detections these figures judge. */
  scored_by: string;
  /** True when one detector both picked and scored: its errors favour its own picks, so the gain is an upper bound. */
  upper_bound: boolean;
  /** Best-of images, and candidates rendered for them (the compute the gain cost). */
  images: number;
  candidates: number;
  /** Per prompt set and variant; with several sets, an "all" row per variant too. */
  gains: BestOfGain[];
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
  const best_of = bestOfSummary(records, opts.threshold);
  return {
    images: records.length,
    prompts: new Set(records.map((r) => r.prompt_id)).size,
    parameters: records[0]?.parameters ?? null,
    detection: records[0] ? { detector: records[0].parameters.detector, threshold: records[0].threshold } : null,
    variants,
    ...(best_of ? { best_of } : {}),
  };
}

/** The prompt file a manifest line's prompt came from ("prompts.txt:12" -> "prompts.txt"). */
export function promptSet(source: string): string {
  return source.replace(/:\d+$/, '');
}

/**
 * How often the chosen image satisfies every relation under the best-of rule, against candidate 0
 * alone, per prompt set and variant; judged again from the recorded detections as the rest of
 * the summary is. Null when no line is a best-of choice.
 */
export function bestOfSummary(records: readonly ManifestRecord[], threshold?: number): BestOfSummary | null {
  const first = records.find((r) => r.best_of !== undefined);
  if (!first?.best_of) return null;
  const { n, until_satisfied, rule, picked_by } = first.best_of;
  const scoredBy = first.parameters.detector;
  const tally = new Map<string, BestOfGain>();
  const count = (set: string, variant: Variant, seed0: boolean, chosen: boolean): void => {
    const key = `${variant}\u0000${set}`;
    let g = tally.get(key);
    if (!g) tally.set(key, (g = { set, variant, images: 0, seed0: 0, chosen: 0, seed0_pct: null, chosen_pct: null }));
    g.images++;
    if (seed0) g.seed0++;
    if (chosen) g.chosen++;
  };
  let images = 0;
  let candidates = 0;
  const sets = new Set<string>();
  for (const r of records) {
    if (!r.best_of) continue;
    images++;
    candidates += r.best_of.candidates.length;
    const judge = (c: Pick<CandidateRecord, 'detections'>) =>
      judgeCandidate({ promptId: r.prompt_id, prompt: r.eval_prompt, detections: c.detections, detector: r.parameters.detector }, rule, threshold).score;
    const chosen = judge(r);
    if (chosen.scored === 0) continue;
    const seed0 = judge(r.best_of.candidates[0] ?? r);
    const set = promptSet(r.source);
    sets.add(set);
    count(set, r.variant, seed0.allSatisfied, chosen.allSatisfied);
    count('all', r.variant, seed0.allSatisfied, chosen.allSatisfied);
  }
  const pct = (k: number, of: number): number | null => (of > 0 ? (100 * k) / of : null);
  const gains = [...tally.values()]
    // One set: its row is the "all" row.
    .filter((g) => (sets.size > 1 ? true : g.set !== 'all'))
    .map((g) => ({ ...g, seed0_pct: pct(g.seed0, g.images), chosen_pct: pct(g.chosen, g.images) }))
    .sort((a, b) => (a.variant === b.variant ? Number(a.set === 'all') - Number(b.set === 'all') || a.set.localeCompare(b.set) : a.variant === 'original' ? -1 : 1));
  return { n, until_satisfied, rule, picked_by, scored_by: scoredBy, upper_bound: picked_by === scoredBy, images, candidates, gains };
}
