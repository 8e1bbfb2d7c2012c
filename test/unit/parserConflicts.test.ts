/** The relation algebra others build on: inverses, canonical form, minimal conflicting sets. */
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { findConflicts, inverseRelation, normalizeRelation, RELATION_TYPES, type PromptRelation, type RelationType } from '../../src/parser';

const rel = (subject: string, relation: RelationType, object: string): PromptRelation => ({ subject, relation, object, phrase: relation, span: [0, 1] });

test('inverseRelation pairs and symmetric relations', () => {
  const pairs: Array<[RelationType, RelationType | null]> = [
    ['left_of', 'right_of'], ['above', 'below'], ['on', 'under'], ['in_front_of', 'behind'],
    ['larger_than', 'smaller_than'], ['next_to', 'next_to'], ['near', 'near'], ['far_from', 'far_from'],
    ['inside', null], ['outside', null], ['between', null], ['around', null],
  ];
  for (const [a, b] of pairs) {
    assert.equal(inverseRelation(a), b);
    if (b) assert.equal(inverseRelation(b), a);
  }
});

test('normalizeRelation: equal meanings compare equal', () => {
  const key = (r: PromptRelation): string => {
    const n = normalizeRelation(r);
    return `${n.relation}(${n.subject},${n.object})`;
  };
  assert.equal(key(rel('a', 'left_of', 'b')), key(rel('b', 'right_of', 'a')));
  assert.equal(key(rel('a', 'below', 'b')), key(rel('b', 'above', 'a')));
  assert.equal(key(rel('a', 'near', 'b')), key(rel('b', 'near', 'a')));
  assert.notEqual(key(rel('a', 'left_of', 'b')), key(rel('b', 'left_of', 'a')));
  const withPhrase = normalizeRelation({ ...rel('x', 'behind', 'y'), phrase: 'hidden by', span: [3, 12] });
  assert.deepEqual(withPhrase, { subject: 'y', relation: 'in_front_of', object: 'x', phrase: 'hidden by', span: [3, 12] });
});

test('property: a relation and its inverse with swapped ids normalise to the same thing', () => {
  fc.assert(
    fc.property(fc.constantFrom(...RELATION_TYPES), fc.constantFrom('a', 'b', 'c'), fc.constantFrom('d', 'e'), (r, s, o) => {
      const inv = inverseRelation(r);
      if (inv === null) return;
      const x = normalizeRelation(rel(s, r, o));
      const y = normalizeRelation(rel(o, inv, s));
      assert.deepEqual([x.relation, x.subject, x.object], [y.relation, y.subject, y.object]);
      // A relation never conflicts with its own inverse restatement.
      assert.deepEqual(findConflicts([rel(s, r, o), rel(o, inv, s)]), []);
    }),
  );
});

test('findConflicts: direct opposites and cycles, minimal sets only', () => {
  assert.deepEqual(findConflicts([rel('a', 'left_of', 'b'), rel('b', 'left_of', 'a')]), [[0, 1]]);
  assert.deepEqual(findConflicts([rel('a', 'left_of', 'b'), rel('a', 'right_of', 'b')]), [[0, 1]]);
  assert.deepEqual(findConflicts([rel('a', 'on', 'b'), rel('a', 'under', 'b')]), [[0, 1]]);
  assert.deepEqual(findConflicts([rel('a', 'near', 'b'), rel('b', 'far_from', 'a')]), [[0, 1]]);
  assert.deepEqual(findConflicts([rel('a', 'inside', 'b'), rel('b', 'inside', 'a')]), [[0, 1]]);
  assert.deepEqual(findConflicts([rel('a', 'inside', 'b'), rel('a', 'outside', 'b')]), [[0, 1]]);
  const cycle = [rel('a', 'left_of', 'b'), rel('b', 'left_of', 'c'), rel('c', 'left_of', 'a')];
  assert.deepEqual(findConflicts(cycle), [[0, 1, 2]]);
  // A 2-cycle inside a longer cycle: only the minimal pair and the minimal triangle remain.
  const mixed = [rel('a', 'above', 'b'), rel('b', 'above', 'c'), rel('c', 'above', 'a'), rel('a', 'below', 'b')];
  assert.deepEqual(findConflicts(mixed), [[0, 3], [0, 1, 2]]);
  // A restatement (below(b, a) is above(a, b)) is no clash with the relation it restates.
  assert.deepEqual(findConflicts([rel('a', 'above', 'b'), rel('b', 'below', 'a')]), []);
  // Unrelated axes never clash.
  assert.deepEqual(findConflicts([rel('a', 'left_of', 'b'), rel('a', 'above', 'b'), rel('b', 'next_to', 'a'), rel('b', 'in_front_of', 'a')]), []);
  assert.deepEqual(findConflicts([rel('a', 'left_of', 'b'), rel('b', 'left_of', 'c'), rel('a', 'left_of', 'c')]), []);
});

test('findConflicts on a long chain is fast and finds the closing edge', () => {
  const chain: PromptRelation[] = [];
  for (let i = 0; i < 300; i++) chain.push(rel(`n${i}`, 'left_of', `n${i + 1}`));
  assert.deepEqual(findConflicts(chain), []);
  chain.push(rel('n300', 'left_of', 'n0'));
  const sets = findConflicts(chain);
  assert.equal(sets.length, 1);
  assert.equal(sets[0].length, 301);
});
