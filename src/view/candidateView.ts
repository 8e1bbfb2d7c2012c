/**
 * Best-of candidates -> the preview panel's strip records (src/protocol/messages.ts): the host
 * scores every candidate through the evaluation core; the webview only draws these.
 */
import type { CandidateScore } from '../evaluate/index';
import type { CandidateView } from '../protocol/messages';

/** A candidate being rendered: its seed, nothing to show yet. */
export function pendingCandidate(index: number, seed: number): CandidateView {
  return { index, seed, src: null, fileName: null, state: 'rendering', scored: 0, satisfied: 0, found: 0, instances: 0, confidence: 0, message: null };
}

/** A judged candidate: its marks under the rule, from the core's score. */
export function judgedCandidate(c: CandidateView, score: CandidateScore): CandidateView {
  return { ...c, state: 'done', scored: score.scored, satisfied: score.satisfied, found: score.found, instances: score.instances, confidence: score.confidence, message: null };
}

/** "seed 43 · ✓1 ✗0 · 2/2 objects · confidence 0.71": a candidate in one line (quick pick, tooltips). */
export function candidateSummary(c: CandidateView): string {
  if (c.state !== 'done') return `seed ${c.seed} · ${c.state === 'error' ? `failed: ${c.message ?? ''}` : c.state}`;
  return `seed ${c.seed} \u00b7 \u2713${c.satisfied} \u2717${c.scored - c.satisfied} \u00b7 ${c.found}/${c.instances} object${c.instances === 1 ? '' : 's'} \u00b7 confidence ${c.confidence.toFixed(2)}`;
}
