import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aggregate, evaluateImage, parseImageName, parseSr2d, promptFromParsed, PromptSetError } from '../../src/evaluate';
import type { EvalPrompt, EvaluatedImage } from '../../src/evaluate';
import type { Detection } from '../../src/protocol/geometry';
import type { ParsedPrompt } from '../../src/parser/types';

const det = (label: string, x: number, y: number, score = 0.9, w = 10, h = 10): Detection => ({ label, score, x, y, w, h });
const dogLeftOfCat = (id = 'p'): EvalPrompt => ({
  id,
  text: 'a dog to the left of a cat',
  objects: [
    { id: 'a', noun: 'dog', count: 1 },
    { id: 'b', noun: 'cat', count: 1 },
  ],
  relations: [{ subject: 'a', relation: 'left_of', object: 'b' }],
});

test('evaluateImage: VISOR holds when any pair of boxes does, and names the first such pair', () => {
  // The first dog sits right of the cat; the third detection, another dog, left of it.
  const dets = [det('dog', 100, 0, 0.3), det('cat', 50, 0, 0.8), det('dog', 0, 0, 0.95), det('car', 0, 0, 0.99)];
  const e = evaluateImage(dogLeftOfCat(), dets);
  assert.equal(e.relations[0].visor, true);
  assert.equal(e.relations[0].status, 'satisfied');
  assert.deepEqual(e.relations[0].pairs.visor, [2, 1]);
  assert.deepEqual(e.visor, { bothDetected: true, correct: true });
  assert.deepEqual(e.objects[0].indices, [0, 2]);
  // T2I-CompBench takes the first box of each class in the detector's order (obj.index): the
  // right-hand dog, so position 0 and 0.25*0.3 + 0.25*0.8 = 0.275 < 0.5 -> 0.
  assert.deepEqual(e.relations[0].pairs.t2iCompbench, [0, 1]);
  assert.equal(e.t2iCompbench!.score, 0);
  // GenEval ranks by score: the top dog (0.95) is left of the cat.
  assert.deepEqual(e.relations[0].pairs.geneval, [2, 1]);
  assert.deepEqual(e.geneval, { correct: true });
});

test('evaluateImage: thresholds are strict; GenEval breaks score ties towards the later box', () => {
  const dets = [det('dog', 0, 0, 0.3), det('cat', 50, 0, 0.8)];
  // A score equal to the threshold is dropped (VISOR: score > 0.1, GenEval: score > 0.3).
  assert.equal(evaluateImage(dogLeftOfCat(), dets, { threshold: 0.3 }).relations[0].status, 'unknown');
  assert.equal(evaluateImage(dogLeftOfCat(), dets, { threshold: 0.29 }).relations[0].status, 'satisfied');
  // Two dogs with the same score: np.argsort(score)[::-1] puts the later one first.
  const tie = [det('dog', 0, 0, 0.9), det('dog', 100, 0, 0.9), det('cat', 50, 0, 0.8)];
  const e = evaluateImage(dogLeftOfCat(), tie);
  assert.deepEqual(e.relations[0].pairs.geneval, [1, 2]);
  assert.deepEqual(e.geneval, { correct: false });
  // VISOR still finds the pair that holds.
  assert.deepEqual(e.relations[0].pairs.visor, [0, 2]);
});

test('evaluateImage: a threshold drops weak boxes; a missing object makes the relation unknown', () => {
  const dets = [det('dog', 0, 0, 0.2), det('cat', 50, 0, 0.8)];
  const e = evaluateImage(dogLeftOfCat(), dets, { threshold: 0.5 });
  assert.equal(e.relations[0].status, 'unknown');
  assert.equal(e.relations[0].visor, null);
  assert.deepEqual(e.visor, { bothDetected: false, correct: false });
  assert.equal(e.t2iCompbench!.score, 0); // only B: 0.2 < 0.5
  assert.deepEqual(e.geneval, { correct: false });
});

test('evaluateImage: GenEval needs the count and every counted pair in position', () => {
  const p = dogLeftOfCat();
  p.objects[0].count = 2;
  // Two dogs, both left of the cat: correct.
  let e = evaluateImage(p, [det('dog', 0, 0), det('dog', 0, 40, 0.8), det('cat', 60, 20)]);
  assert.deepEqual(e.geneval, { correct: true });
  // Only one dog: count fails even though the relation holds.
  e = evaluateImage(p, [det('dog', 0, 0), det('cat', 60, 20)]);
  assert.deepEqual(e.geneval, { correct: false });
  assert.equal(e.relations[0].visor, true);
  // The second dog is right of the cat: one pair fails.
  e = evaluateImage(p, [det('dog', 0, 0), det('dog', 120, 0, 0.8), det('cat', 60, 0)]);
  assert.deepEqual(e.geneval, { correct: false });
});

test('evaluateImage: person words map to person; unknown nouns are reported, not counted missing', () => {
  const p: EvalPrompt = {
    id: 'q',
    text: 'a woman above a zorblax',
    objects: [
      { id: 'a', noun: 'woman', count: 1 },
      { id: 'b', noun: 'zorblax', count: 1 },
    ],
    relations: [{ subject: 'a', relation: 'above', object: 'b' }],
  };
  const e = evaluateImage(p, [det('person', 0, 0)], { labelFor: (n) => (n === 'zorblax' ? null : n === 'woman' ? 'person' : n) });
  assert.equal(e.objects[0].detections.length, 1);
  assert.deepEqual(e.unknownNouns, ['zorblax']);
  assert.equal(e.visor, null);
  assert.equal(e.t2iCompbench, null);
  assert.equal(e.geneval, null);
  assert.equal(aggregate([{ promptId: 'q', evaluation: e }]).per_relation.above, undefined);
});

test('evaluateImage: next_to is T2I-only; "on" is unscored', () => {
  const p = dogLeftOfCat();
  p.relations[0].relation = 'next_to';
  const e = evaluateImage(p, [det('dog', 0, 0, 1), det('cat', 500, 500, 1)]);
  // dx = dy = 500: 150/500 = 0.3 -> 0.25 + 0.25 + 0.15 = 0.65
  assert.ok(Math.abs(e.t2iCompbench!.score - 0.65) < 1e-12);
  assert.equal(e.visor, null);
  assert.equal(e.geneval, null);
  assert.equal(e.relations[0].status, 'violated');
  p.relations[0].relation = 'on';
  const on = evaluateImage(p, [det('dog', 0, 0, 1), det('cat', 0, 20, 1)]);
  assert.equal(on.relations[0].status, 'unscored');
  assert.equal(on.t2iCompbench, null);
});

test('aggregate: VISOR OA/cond/uncond and VISOR_n over prompts, hand computed', () => {
  const left = [det('dog', 0, 0), det('cat', 50, 0)];
  const right = [det('dog', 50, 0), det('cat', 0, 0)];
  const none = [det('cat', 0, 0)];
  // Prompt 1: 4 images, 3 correct. Prompt 2: 1 correct, 1 wrong, 2 with the dog missing.
  const images: EvaluatedImage[] = [
    ...[left, left, left, right].map((d) => ({ promptId: '1', evaluation: evaluateImage(dogLeftOfCat('1'), d) })),
    ...[left, right, none, none].map((d) => ({ promptId: '2', evaluation: evaluateImage(dogLeftOfCat('2'), d) })),
  ];
  const s = aggregate(images);
  assert.equal(s.visor.images, 8);
  assert.equal(s.visor.prompts, 2);
  assert.equal(s.visor.oa, 75); // 6 of 8 with both
  assert.equal(s.visor.uncond, 50); // 4 of 8 correct
  assert.ok(Math.abs(s.visor.cond! - 400 / 6) < 1e-9); // 4 of 6
  assert.equal(s.visor.visor_1, 100);
  assert.equal(s.visor.visor_2, 50);
  assert.equal(s.visor.visor_3, 50);
  assert.equal(s.visor.visor_4, 0);
  // T2I: correct images score 0.95 (0.225+0.225+0.5); wrong ones 0.45 -> 0; missing dog 0.225 -> 0.
  assert.ok(Math.abs(s.t2i_compbench.score! - (4 * 0.95) / 8) < 1e-12);
  assert.equal(s.geneval.score, 0.5);
  assert.equal(s.per_relation.left_of?.relations, 8);
  assert.equal(s.per_relation.left_of?.detected, 6);
  assert.equal(s.per_relation.left_of?.visor, 50);
});

test('aggregate: empty input gives null figures, not NaN', () => {
  const s = aggregate([]);
  assert.equal(s.visor.oa, null);
  assert.equal(s.visor.visor_1, null);
  assert.equal(s.t2i_compbench.score, null);
  assert.equal(s.geneval.score, null);
});

test('parseSr2d: objects and relation from the record fields; "and" and singles carry none', () => {
  const json = JSON.stringify([
    { unique_id: 0, num_objects: 2, obj_1_attributes: ['person'], obj_2_attributes: ['bicycle'], rel_type: 'to the left of', text: 'a person to the left of a bicycle' },
    { unique_id: 7, num_objects: 2, obj_1_attributes: ['cat'], obj_2_attributes: ['dog'], rel_type: 'and', text: 'a cat and a dog' },
    { unique_id: 9, num_objects: 1, obj_1_attributes: ['cat'], obj_2_attributes: null, rel_type: null, text: 'a cat' },
    { unique_id: 3, num_objects: 2, obj_1_attributes: ['cat'], obj_2_attributes: ['dog'], rel_type: 'below', text: 'a cat below a dog' },
  ]);
  const ps = parseSr2d(json, 'sr2d.json');
  assert.deepEqual(ps.map((p) => p.id), ['0', '7', '9', '3']);
  assert.deepEqual(ps[0].relations, [{ subject: 'obj_1', relation: 'left_of', object: 'obj_2' }]);
  assert.deepEqual(ps[0].objects.map((o) => o.noun), ['person', 'bicycle']);
  assert.deepEqual(ps[1].relations, []);
  assert.equal(ps[2].objects.length, 1);
  assert.equal(ps[3].relations[0].relation, 'below');
});

test('parseSr2d: bad input names the file and the record', () => {
  assert.throws(() => parseSr2d('{oops', 'x.json'), (e: Error) => e instanceof PromptSetError && /x\.json: not valid JSON/.test(e.message));
  assert.throws(() => parseSr2d('{}', 'x.json'), /expected a JSON array/);
  assert.throws(
    () => parseSr2d(JSON.stringify([{ unique_id: 4, num_objects: 2, obj_1_attributes: ['a'], obj_2_attributes: ['b'], rel_type: 'beside', text: 't' }]), 'x.json'),
    /x\.json: record 0 \(unique_id 4\): unknown rel_type "beside"/,
  );
});

test('parseImageName and promptFromParsed', () => {
  assert.deepEqual(parseImageName('1824_3.png'), { promptId: '1824', k: 3 });
  assert.deepEqual(parseImageName('12_rw_0.png'), { promptId: '12_rw', k: 0 });
  assert.equal(parseImageName('notes.txt'), null);
  const parsed: ParsedPrompt = {
    text: 'a cat between a dog and a car, a cat above a box',
    objects: [
      { id: 'o1', noun: 'cat', phrase: 'a cat', count: 1, attributes: [], placements: [], details: [], span: [0, 5] },
      { id: 'o2', noun: 'dog', phrase: 'a dog', count: 1, attributes: [], placements: [], details: [], span: [14, 19] },
      { id: 'o3', noun: 'car', phrase: 'a car', count: null, attributes: [], placements: [], details: [], span: [24, 29] },
    ],
    relations: [
      { subject: 'o1', relation: 'between', object: 'o2', object2: 'o3', phrase: 'between', span: [6, 13] },
      { subject: 'o1', relation: 'above', object: 'o3', phrase: 'above', span: [0, 1] },
    ],
    scene: [],
    diagnostics: [],
  };
  const p = promptFromParsed('5', parsed);
  assert.equal(p.relations.length, 1);
  assert.equal(p.objects[2].count, null);
});
