import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ParsedPrompt, PromptRelation, RelationType } from '../../src/parser/types';
import { relationKey, removeRelation, tidy } from '../../src/extension/language/removeRelation';

// A deliberately small stand-in parser (nouns from a fixed list, four relation phrases) so that
// the removal algorithm is tested on its own; the real parser's behaviour is covered by its tests.
const NOUNS = ['cat', 'dog', 'bird', 'lamp', 'bookcase'];
const PHRASES: Record<string, RelationType> = { 'to the left of': 'left_of', 'to the right of': 'right_of', above: 'above', below: 'below' };
function fakeParse(text: string): ParsedPrompt {
  const objects: ParsedPrompt['objects'] = [];
  const idOf = (noun: string, at: number): string => {
    let o = objects.find((x) => x.noun === noun);
    if (!o) {
      o = { id: `o${objects.length + 1}`, noun, phrase: noun, count: 1, attributes: [], placements: [], details: [], span: [at, at + noun.length] };
      objects.push(o);
    }
    return o.id;
  };
  for (const m of text.matchAll(new RegExp(`\\b(${NOUNS.join('|')})\\b`, 'gi'))) idOf(m[1]!.toLowerCase(), m.index);
  const relations: PromptRelation[] = [];
  const re = new RegExp(`\\b(${NOUNS.join('|')})\\b\\s+(?:is\\s+)?(${Object.keys(PHRASES).join('|')})\\s+(?:a|an|the)\\s+(${NOUNS.join('|')})\\b`, 'gi');
  for (const m of text.matchAll(re)) {
    const start = m.index + m[0].indexOf(m[2]!, m[1]!.length);
    relations.push({
      subject: idOf(m[1]!.toLowerCase(), m.index),
      relation: PHRASES[m[2]!.toLowerCase()]!,
      object: idOf(m[3]!.toLowerCase(), 0),
      phrase: m[2]!,
      span: [start, start + m[2]!.length],
    });
  }
  const parsed: ParsedPrompt = { text, objects, relations, scene: [], diagnostics: [] };
  const keys = relations.map((r) => relationKey(parsed, r));
  for (let i = 0; i < relations.length; i++) {
    const [rel, a, b] = keys[i]!.split('|');
    const j = keys.findIndex((k) => k === `${rel}|${b}|${a}|`);
    if (j > i) parsed.diagnostics.push({ code: 'contradiction', severity: 'error', message: 'clash', span: relations[i]!.span, relations: [i, j] });
  }
  return parsed;
}

function apply(text: string, edit: { span: [number, number]; newText: string }): string {
  return text.slice(0, edit.span[0]) + edit.newText + text.slice(edit.span[1]);
}

test('relationKey treats inverse relations as equal', () => {
  const a = fakeParse('cat to the left of the dog');
  const b = fakeParse('dog to the right of the cat');
  assert.equal(relationKey(a, a.relations[0]!), relationKey(b, b.relations[0]!));
  const c = fakeParse('cat to the right of the dog');
  assert.notEqual(relationKey(a, a.relations[0]!), relationKey(c, c.relations[0]!));
});

test('removes a contradicting second clause and keeps the first', () => {
  const p = fakeParse('A cat to the left of a dog, and the cat to the right of the dog.');
  assert.equal(p.diagnostics.length, 1);
  const r = removeRelation(p, 1, fakeParse);
  assert.ok(r);
  assert.equal(r.text, 'A cat to the left of a dog.');
  assert.equal(apply(p.text, r.edit), r.text);
  assert.equal(r.clean, true);
  assert.equal(r.parsed.diagnostics.length, 0);
});

test('removes the first clause and re-capitalises', () => {
  const p = fakeParse('A cat to the left of a dog, and the cat to the right of the dog.');
  const r = removeRelation(p, 0, fakeParse);
  assert.ok(r);
  assert.equal(r.text, 'The cat to the right of the dog.');
  assert.equal(r.clean, true);
});

test('keeps unrelated relations in other sentences', () => {
  const p = fakeParse('a lamp above the bookcase. a cat to the left of a dog while the dog to the left of the cat');
  const r = removeRelation(p, 2, fakeParse);
  assert.ok(r);
  assert.equal(r.text, 'a lamp above the bookcase. a cat to the left of a dog');
  assert.equal(r.clean, true);
  assert.equal(r.parsed.relations.length, 2);
});

test('returns undefined for an unknown relation index', () => {
  assert.equal(removeRelation(fakeParse('a cat to the left of a dog'), 3, fakeParse), undefined);
});

test('tidy cleans dangling separators and spacing', () => {
  assert.equal(tidy('A cat ,  and . ', true), 'A cat.');
  assert.equal(tidy(', and the dog sits.', true), 'The dog sits.');
  assert.equal(tidy('a cat and', false), 'a cat');
  assert.equal(tidy('one.  . two', false), 'one. two');
});
