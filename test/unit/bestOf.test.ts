/** Verified best-of-N: scoring under each rule and the choice, on crafted detections. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bestOfProblem,
  candidateSeeds,
  chooseCandidate,
  compareCandidates,
  judgeCandidate,
  promptFromParsed,
  runBestOf,
  type CandidateScore,
} from '../../src/evaluate';
import { parsePrompt } from '../../src/parser';
import type { Detection } from '../../src/protocol/geometry';
import { MAX_BEST_OF } from '../../src/protocol/service';

const dogLeftOfCat = promptFromParsed('1', parsePrompt('a dog to the left of a cat'));
const box = (label: string, score: number, x: number, y = 20, w = 16, h = 16): Detection => ({ label, score, x, y, w, h });

/** Four candidates of "a dog to the left of a cat" as NanoDet might see them, seeds 10..13. */
const crafted: Array<{ seed: number; detections: Detection[] }> = [
  // Both found, confidently, the wrong way round.
  { seed: 10, detections: [box('dog', 0.95, 60), box('cat', 0.9, 4)] },
  // Right, but with low confidence.
  { seed: 11, detections: [box('dog', 0.5, 4), box('cat', 0.5, 60)] },
  // Right, confidently: the best.
  { seed: 12, detections: [box('dog', 0.8, 4), box('cat', 0.85, 60)] },
  // Only the dog.
  { seed: 13, detections: [box('dog', 0.99, 4)] },
];

function scores(rule: 'visor' | 't2i-compbench' | 'geneval' = 'visor', prompt = dogLeftOfCat, list = crafted): Array<{ seed: number; score: CandidateScore }> {
  return list.map((c) => ({ seed: c.seed, score: judgeCandidate({ promptId: '1', prompt, detections: c.detections, detector: 'embedded' }, rule).score }));
}

test('scoreCandidate counts relations under the rule, object instances and their confidence', () => {
  const s = scores();
  assert.deepEqual(s[0]!.score, { scored: 1, satisfied: 0, instances: 2, found: 2, confidence: (0.95 + 0.9) / 2, allSatisfied: false });
  assert.deepEqual(s[2]!.score, { scored: 1, satisfied: 1, instances: 2, found: 2, confidence: (0.8 + 0.85) / 2, allSatisfied: true });
  // A missing object: the relation is scored and not satisfied; its instance counts 0 confidence.
  assert.deepEqual(s[3]!.score, { scored: 1, satisfied: 0, instances: 2, found: 1, confidence: 0.99 / 2, allSatisfied: false });

  // Counts: "two dogs" asks for two dog boxes; the best two count, a third adds nothing.
  const two = promptFromParsed('2', parsePrompt('two dogs to the left of a cat'));
  const [three] = scores('visor', two, [{ seed: 0, detections: [box('dog', 0.9, 2), box('dog', 0.3, 10), box('dog', 0.7, 6), box('cat', 0.6, 60)] }]);
  assert.equal(three!.score.instances, 3);
  assert.equal(three!.score.found, 3);
  assert.ok(Math.abs(three!.score.confidence - (0.9 + 0.7 + 0.6) / 3) < 1e-12);

  // A noun outside the detector's vocabulary says nothing about any candidate: not counted.
  const unknown = promptFromParsed('3', parsePrompt('a dragon to the left of a cat'));
  const [u] = scores('visor', unknown, [{ seed: 0, detections: [box('cat', 0.9, 60)] }]);
  assert.deepEqual(u!.score, { scored: 0, satisfied: 0, instances: 1, found: 1, confidence: 0.9, allSatisfied: false });
});

test('the rule decides what counts: VISOR centres, GenEval margin, T2I-CompBench next to', () => {
  // Centres in order but overlapping: VISOR holds, GenEval's margin does not.
  const close = [{ seed: 0, detections: [box('dog', 0.9, 10, 20, 30, 30), box('cat', 0.9, 14, 20, 30, 30)] }];
  assert.equal(scores('visor', dogLeftOfCat, close)[0]!.score.satisfied, 1);
  assert.equal(scores('geneval', dogLeftOfCat, close)[0]!.score.satisfied, 0);
  // "next to": only T2I-CompBench scores it.
  const beside = promptFromParsed('4', parsePrompt('a dog next to a cat'));
  const near = [{ seed: 0, detections: [box('dog', 0.9, 4), box('cat', 0.9, 30)] }];
  assert.equal(scores('visor', beside, near)[0]!.score.scored, 0);
  assert.deepEqual(scores('t2i-compbench', beside, near)[0]!.score.scored, 1);
  assert.equal(scores('t2i-compbench', beside, near)[0]!.score.allSatisfied, true);
});

test('chooseCandidate: relations first, then objects found, then confidence; the crafted set picks seed 12', () => {
  const s = scores();
  assert.deepEqual(chooseCandidate(s, { n: 4, untilSatisfied: false }), { chosen: 2, pool: 4, complete: true });
  // Without the satisfying ones, more objects beat more confidence.
  const wrong = [s[3]!, s[0]!];
  assert.equal(chooseCandidate(wrong, { n: 2, untilSatisfied: false }).chosen, 1);
  // Until satisfied: candidate 1 is the first to satisfy every relation, so 2 and 3 take no part.
  assert.deepEqual(chooseCandidate(s, { n: 4, untilSatisfied: true }), { chosen: 1, pool: 2, complete: true });
  // Fewer candidates than N and none satisfied yet: not complete.
  assert.deepEqual(chooseCandidate([s[0]!], { n: 4, untilSatisfied: true }), { chosen: 0, pool: 1, complete: false });
  // N below what is known: only the first N take part.
  assert.deepEqual(chooseCandidate(s, { n: 2, untilSatisfied: false }), { chosen: 1, pool: 2, complete: true });
  assert.deepEqual(chooseCandidate([], { n: 2, untilSatisfied: false }), { chosen: null, pool: 0, complete: false });
});

test('ties go to the lower seed, whatever the order the candidates come in', () => {
  const same = { scored: 1, satisfied: 1, instances: 2, found: 2, confidence: 0.7, allSatisfied: true };
  const a = { seed: 21, score: same };
  const b = { seed: 20, score: { ...same } };
  assert.ok(compareCandidates(b, a) < 0);
  assert.equal(chooseCandidate([a, b], { n: 2, untilSatisfied: false }).chosen, 1);
  assert.equal(chooseCandidate([b, a], { n: 2, untilSatisfied: false }).chosen, 0);
  // The same scores always give the same choice.
  const s = scores();
  for (let i = 0; i < 3; i++) assert.equal(chooseCandidate(scores(), { n: 4, untilSatisfied: false }).chosen, chooseCandidate(s, { n: 4, untilSatisfied: false }).chosen);
});

test('runBestOf renders candidates in seed order, stops when satisfied or stopped, and bounds N', async () => {
  const byseed = new Map(crafted.map((c) => [c.seed, c.detections]));
  const made: number[] = [];
  const produce = async (_j: number, seed: number) => {
    made.push(seed);
    return { score: judgeCandidate({ promptId: '1', prompt: dogLeftOfCat, detections: byseed.get(seed)!, detector: 'embedded' }, 'visor').score, value: `file-${seed}` };
  };
  const seeds = candidateSeeds(10, 4);
  assert.deepEqual(seeds, [10, 11, 12, 13]);
  const all = await runBestOf({ n: 4, untilSatisfied: false, rule: 'visor' }, seeds, produce);
  assert.deepEqual(made, [10, 11, 12, 13]);
  assert.equal(all.complete, true);
  assert.equal(all.candidates[all.chosen!]!.value, 'file-12');

  made.length = 0;
  const until = await runBestOf({ n: 4, untilSatisfied: true, rule: 'visor' }, seeds, produce);
  assert.deepEqual(made, [10, 11], 'stops at the first candidate that satisfies every relation');
  assert.equal(until.candidates[until.chosen!]!.seed, 11);

  made.length = 0;
  const stop = new AbortController();
  const stopped = await runBestOf({ n: 4, untilSatisfied: false, rule: 'visor' }, seeds, produce, { signal: stop.signal, onCandidate: (c) => c.index === 1 && stop.abort() });
  assert.deepEqual(made, [10, 11]);
  assert.equal(stopped.complete, false);

  // Batch seeds: candidate j of image k is seed + k + j x images per prompt.
  assert.deepEqual(candidateSeeds(7 + 1, 3, 4), [8, 12, 16]);
  assert.throws(() => candidateSeeds(0xffffffff - 1, 3), /seeds stop at 4294967295/);
  assert.equal(bestOfProblem(MAX_BEST_OF), null);
  assert.match(bestOfProblem(MAX_BEST_OF + 1) ?? '', /from 1 to 16/);
  assert.match(bestOfProblem(0) ?? '', /from 1 to 16/);
  await assert.rejects(runBestOf({ n: 0, untilSatisfied: false, rule: 'visor' }, seeds, produce), /from 1 to 16/);
});
