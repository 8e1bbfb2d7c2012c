/** Relation labels (src/parser/labels.ts): one labeler, four styles, and the canonical key. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { idsOf, nounsOf, parsePrompt, relationKey, relationLabel, relationWords, type ParsedPrompt } from '../../src/parser';

const catDog: ParsedPrompt = {
  text: 'two red cats to the left of a dog',
  objects: [
    { id: 'o1', noun: 'cat', phrase: 'two red cats', count: 2, attributes: ['red'], placements: [], details: [], span: [0, 12] },
    { id: 'o2', noun: 'dog', phrase: 'a dog', count: 1, attributes: [], placements: [], details: [], span: [28, 33] },
    { id: 'o3', noun: 'teddy bear', phrase: 'a teddy bear', count: 1, attributes: [], placements: [], details: [], span: [0, 1] },
  ],
  relations: [
    { subject: 'o1', relation: 'left_of', object: 'o2', phrase: 'to the left of', span: [13, 27] },
    { subject: 'o3', relation: 'between', object: 'o1', object2: 'o2', phrase: 'between', span: [0, 1] },
  ],
  scene: [],
  diagnostics: [],
};
const [left, between] = catDog.relations as [ParsedPrompt['relations'][0], ParsedPrompt['relations'][0]];

test('each style names the relation and its objects', () => {
  const n = nounsOf(catDog);
  assert.equal(relationLabel(left, 'call', n), 'left_of(cat, dog)');
  assert.equal(relationLabel(between, 'call', n), 'between(teddy bear, cat, dog)');
  assert.equal(relationLabel(left, 'phrase', n), 'cat to the left of dog');
  assert.equal(relationLabel(between, 'phrase', n), 'teddy bear between cat and dog');
  assert.equal(relationLabel(left, 'note', n), '"to the left of" (cat left_of dog)');
  assert.equal(relationLabel(between, 'note', n), '"between" (teddy bear between cat and dog)');
  assert.equal(relationLabel(left, 'sentence', n), 'cat is left of dog');
  assert.equal(relationLabel(between, 'sentence', idsOf), 'o3 is between o1 and o2');
  assert.equal(relationWords('in_front_of'), 'in front of');
});

test('relationKey: inverse relations, symmetric ones and the sides of between compare equal', () => {
  const key = (text: string): string => {
    const p = parsePrompt(text);
    return relationKey(p.relations[0]!, nounsOf(p));
  };
  assert.equal(key('a cat to the left of a dog'), key('a dog to the right of a cat'));
  assert.notEqual(key('a cat to the left of a dog'), key('a cat to the right of a dog'));
  assert.equal(key('a cat next to a dog'), key('a dog next to a cat'));
  assert.equal(key('a lamp between a sofa and a chair'), key('a lamp between a chair and a sofa'));
});
