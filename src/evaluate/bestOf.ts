/**
 * Verified best-of-N: render N seeds of a prompt, detect, judge each image against the prompt's
 * relations under one rule, and keep the best. The CLI's `render --best-of`, the batch and the
 * preview panel all choose through this module, so the same detections always pick the same
 * image. Rendering and detecting stay with the caller (the inference service's `render` and
 * `detect`), so any render backend and any guide work; this module only orders candidates.
 *
 * Order: relations satisfied first, then objects found, then detector confidence; a tie goes to
 * the lower seed, so the choice never depends on timing or on the order results arrive in.
 */
import type { RuleName } from '../protocol/messages';
import { MAX_BEST_OF, MAX_SEED } from '../protocol/service';
import { judgeImage, type ImageToJudge } from './judge';
import { RULE_NAMES, ruleCovers, ruleVerdict } from './ruleVerdict';
import type { EvalPrompt, ImageEvaluation } from './types';

/** How a best-of-N render chooses: part of the render and batch parameters (see RenderParameters.bestOf). */
export interface BestOfSettings {
  /** Candidates to render, 1..MAX_BEST_OF (1: a plain render, nothing to choose). */
  n: number;
  /** Stop at the first candidate that satisfies every relation the rule scores. */
  untilSatisfied: boolean;
  /** The rule whose verdicts count. */
  rule: RuleName;
}

/** What one candidate achieved, under one rule, on the detections above the threshold. */
export interface CandidateScore {
  /** Relations the rule scores whose objects the detector can know: the ✓/✗ the panel shows. */
  scored: number;
  /** Of those, relations the rule says hold. */
  satisfied: number;
  /** Object instances the prompt asks for that the detector can know (an object's count, else 1). */
  instances: number;
  /** Of those, instances with a box (each object counted up to its count). */
  found: number;
  /** Mean score of the boxes counted as found, with 0 for each missing instance (0..1). */
  confidence: number;
  /** Whether every scored relation holds (false when the rule scores none: nothing verified). */
  allSatisfied: boolean;
}

/** Why `n` is not a usable candidate count, or null. */
export function bestOfProblem(n: number): string | null {
  return Number.isInteger(n) && n >= 1 && n <= MAX_BEST_OF ? null : `best-of must be a whole number from 1 to ${MAX_BEST_OF}, got ${n}`;
}

/** Whether `rule` names one of the rules (`visor`, `t2i-compbench`, `geneval`). */
export function isRuleName(rule: string): rule is RuleName {
  return (RULE_NAMES as readonly string[]).includes(rule);
}

/**
 * The seeds of `n` candidates: `base + j * stride`. A batch renders image k of every prompt with
 * seed + k, so with stride = images per prompt, candidate 0 of image k is exactly the image a
 * plain batch renders, and no two candidates of a batch share a seed. Throws RangeError when the
 * last one passes MAX_SEED.
 */
export function candidateSeeds(base: number, n: number, stride = 1): number[] {
  const seeds = Array.from({ length: n }, (_, j) => base + j * stride);
  const last = seeds[seeds.length - 1] ?? base;
  if (!Number.isInteger(base) || base < 0 || last > MAX_SEED) {
    throw new RangeError(`best-of ${n} needs seeds ${base}..${last}, and seeds stop at ${MAX_SEED}: use a lower seed`);
  }
  return seeds;
}

/** Scores one judged image under `rule` (see CandidateScore). */
export function scoreCandidate(prompt: EvalPrompt, evaluation: ImageEvaluation, rule: RuleName): CandidateScore {
  const known = new Map(evaluation.objects.filter((o) => o.label !== null).map((o) => [o.id, o]));
  let scored = 0;
  let satisfied = 0;
  for (const r of evaluation.relations) {
    // A noun the detector cannot know is the same for every candidate: it says nothing about them.
    if (!ruleCovers(rule, r.relation) || !known.has(r.subject) || !known.has(r.object)) continue;
    scored++;
    if (ruleVerdict(r, rule) === true) satisfied++;
  }
  let instances = 0;
  let found = 0;
  let sum = 0;
  for (const o of prompt.objects) {
    const e = known.get(o.id);
    if (e === undefined) continue;
    const count = Math.max(1, o.count ?? 1);
    instances += count;
    // The object's best boxes count, as many as the prompt asks for.
    const top = e.detections.map((d) => d.score).sort((a, b) => b - a).slice(0, count);
    found += top.length;
    for (const s of top) sum += s;
  }
  return { scored, satisfied, instances, found, confidence: instances > 0 ? sum / instances : 0, allSatisfied: scored > 0 && satisfied === scored };
}

/** One image judged by the one evaluation path and scored under `rule`. */
export function judgeCandidate(image: ImageToJudge, rule: RuleName, threshold?: number): { evaluation: ImageEvaluation; score: CandidateScore } {
  const evaluation = judgeImage(image, threshold);
  return { evaluation, score: scoreCandidate(image.prompt, evaluation, rule) };
}

/** A scored candidate, for ordering. */
export interface RankedCandidate {
  seed: number;
  score: CandidateScore;
}

/** Negative when `a` is the better candidate: more relations satisfied, more objects found, more confidence, lower seed. */
export function compareCandidates(a: RankedCandidate, b: RankedCandidate): number {
  return (
    b.score.satisfied - a.score.satisfied ||
    b.score.found - a.score.found ||
    b.score.confidence - a.score.confidence ||
    a.seed - b.seed
  );
}

/** Which candidates count and which one wins. */
export interface BestOfChoice {
  /** Index of the chosen candidate, or null when there is none yet. */
  chosen: number | null;
  /**
   * How many candidates, from the first, take part: all of them, or with `untilSatisfied` those up
   * to the first that satisfies every relation (later ones, from an earlier run with other
   * settings, are left out, so a resumed choice equals a fresh one).
   */
  pool: number;
  /** True when no further candidate is needed: `n` are there, or one satisfies every relation with `untilSatisfied`. */
  complete: boolean;
}

/**
 * Chooses among candidates given in candidate order (candidate j at index j). Pure and
 * deterministic: the same scores give the same choice in every caller.
 */
export function chooseCandidate(candidates: readonly RankedCandidate[], settings: Pick<BestOfSettings, 'n' | 'untilSatisfied'>): BestOfChoice {
  let pool = Math.min(candidates.length, settings.n);
  let satisfiedEarly = false;
  if (settings.untilSatisfied) {
    const first = candidates.slice(0, pool).findIndex((c) => c.score.allSatisfied);
    if (first >= 0) {
      pool = first + 1;
      satisfiedEarly = true;
    }
  }
  let chosen: number | null = null;
  for (let j = 0; j < pool; j++) if (chosen === null || compareCandidates(candidates[j]!, candidates[chosen]!) < 0) chosen = j;
  return { chosen, pool, complete: satisfiedEarly || pool >= settings.n };
}

/** One candidate a best-of run produced, with whatever the caller attached (its file, its detections...). */
export interface BestOfCandidate<T> extends RankedCandidate {
  index: number;
  value: T;
}

/** What {@link runBestOf} returns. */
export interface BestOfOutcome<T> {
  /** The candidates that take part, in candidate order. */
  candidates: Array<BestOfCandidate<T>>;
  /** Index of the chosen one in `candidates`; null only when stopped before the first finished. */
  chosen: number | null;
  /** False when `signal` stopped the run before the choice was final. */
  complete: boolean;
}

/**
 * Produces candidates one after another, seed by seed, until the choice is final: `n` of them,
 * or with `untilSatisfied` the first that satisfies every relation. `produce` renders (or reuses)
 * candidate `index` with `seed`, detects and scores it; `onCandidate` sees each as it is done.
 * `signal` stops before the next candidate (the outcome then says `complete: false`).
 */
export async function runBestOf<T>(
  settings: BestOfSettings,
  seeds: readonly number[],
  produce: (index: number, seed: number) => Promise<{ score: CandidateScore; value: T }>,
  options: { signal?: AbortSignal; onCandidate?: (c: BestOfCandidate<T>, choice: BestOfChoice) => void } = {},
): Promise<BestOfOutcome<T>> {
  const problem = bestOfProblem(settings.n);
  if (problem !== null) throw new RangeError(problem);
  if (seeds.length < settings.n) throw new RangeError(`best-of ${settings.n} needs ${settings.n} seeds, got ${seeds.length}`);
  const candidates: Array<BestOfCandidate<T>> = [];
  let choice: BestOfChoice = { chosen: null, pool: 0, complete: false };
  while (!choice.complete) {
    if (options.signal?.aborted) return { candidates, chosen: choice.chosen, complete: false };
    const index = candidates.length;
    const seed = seeds[index]!;
    const { score, value } = await produce(index, seed);
    const c = { index, seed, score, value };
    candidates.push(c);
    choice = chooseCandidate(candidates, settings);
    options.onCandidate?.(c, choice);
  }
  return { candidates: candidates.slice(0, choice.pool), chosen: choice.chosen, complete: true };
}
