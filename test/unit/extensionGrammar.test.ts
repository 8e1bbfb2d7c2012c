import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from './helpers/paths';
import { ATTRIBUTE_WORDS, COUNT_PHRASES, MIDDLE_PHRASES, ORDER_PHRASES, SIDE_PHRASES, SPATIAL_PHRASES } from '../../src/parser/lexicon';

// The committed grammar must colour every phrase of the parser's lexicon; when the lexicon grows
// these tests fail until `node scripts/gen-grammar.mjs` regenerates it.

interface Rule {
  match: string;
  name: string;
}
const grammar = JSON.parse(fs.readFileSync(path.join(repoRoot, 'syntaxes/spatial-prompt.tmLanguage.json'), 'utf8')) as {
  scopeName: string;
  patterns: { include: string }[];
  repository: Record<string, Rule>;
};

// Oniguruma's inline (?i) becomes the JS `i` flag; the rest of the patterns use syntax both share.
const rules = grammar.patterns.map(({ include }) => {
  const rule = grammar.repository[include.slice(1)]!;
  const ci = rule.match.startsWith('(?i)');
  return { name: rule.name, re: new RegExp(ci ? rule.match.slice(4) : rule.match, ci ? 'gi' : 'g') };
});

/** A flat TextMate tokenizer: earliest match wins, ties go to the earlier pattern. */
function tokenize(line: string): { text: string; scope: string }[] {
  const out: { text: string; scope: string }[] = [];
  let pos = 0;
  while (pos < line.length) {
    let best: { index: number; text: string; scope: string } | undefined;
    for (const r of rules) {
      r.re.lastIndex = pos;
      const m = r.re.exec(line);
      if (m && m[0].length > 0 && (best === undefined || m.index < best.index)) best = { index: m.index, text: m[0], scope: r.name };
    }
    if (!best) break;
    out.push({ text: best.text, scope: best.scope });
    pos = best.index + best.text.length;
  }
  return out;
}

const scoped = (line: string, scope: string): string[] => tokenize(line).filter((t) => t.scope.startsWith(scope)).map((t) => t.text.toLowerCase());

test('grammar scope name', () => {
  assert.equal(grammar.scopeName, 'source.spatial-prompt');
});

test('every relation phrase of the lexicon is coloured whole', () => {
  for (const p of [...Object.keys(SPATIAL_PHRASES), ...MIDDLE_PHRASES]) {
    const written = p.replace('<poss>', 'its');
    assert.deepEqual(scoped(`the cat ${written} the dog`, 'keyword.operator.relation'), [written], `phrase "${p}"`);
  }
});

test('every absolute placement is coloured, and yields to the relation phrase before "of"', () => {
  for (const s of [...Object.keys(SIDE_PHRASES), ...Object.keys(ORDER_PHRASES)]) {
    assert.deepEqual(scoped(`a red cat ${s}.`, 'keyword.other.placement'), [s], `placement "${s}"`);
  }
  assert.deepEqual(scoped('a cat on the left of a dog', 'keyword.other.placement'), []);
  assert.deepEqual(scoped('a cat on the left of a dog', 'keyword.operator.relation'), ['on the left of']);
  assert.deepEqual(scoped('a lamp to the left-hand side of the sofa', 'keyword.operator.relation'), ['to the left-hand side of']);
});

test('counts and sizes', () => {
  assert.deepEqual(scoped('a pair of cats and 3 dogs and twelve birds', 'constant.numeric.count'), ['a pair of', '3', 'twelve']);
  for (const p of Object.keys(COUNT_PHRASES)) assert.deepEqual(scoped(`${p} mugs`, 'constant.numeric.count'), [p], `count "${p}"`);
  assert.deepEqual(scoped('a tiny mouse beside a huge elephant', 'storage.modifier.size'), ['tiny', 'huge']);
  assert.ok(ATTRIBUTE_WORDS.includes('tiny'));
  // Words that merely contain a size or relation stay plain.
  assert.deepEqual(tokenize('onboard the smallish overhaul'), []);
});

test('comments', () => {
  assert.deepEqual(scoped('a cat left of a dog # the usual test', 'comment'), ['# the usual test']);
  assert.deepEqual(scoped('a cat with a #hashtag', 'comment'), []);
  assert.deepEqual(tokenize('  # a cat to the left of a dog'), [{ text: '  # a cat to the left of a dog', scope: 'comment.line.number-sign.spatial-prompt' }]);
});
