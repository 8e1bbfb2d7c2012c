/** Prompt edits (src/parser/edits.ts): removing one relation, applying rewrites to a document. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePrompt, removeRelation, rewriteDocumentText, tidy, toSingleLine, type AnalyzedLine } from '../../src/parser';

function apply(text: string, edit: { span: [number, number]; newText: string }): string {
  return text.slice(0, edit.span[0]) + edit.newText + text.slice(edit.span[1]);
}

const triples = (text: string): string[] => {
  const p = parsePrompt(text);
  const noun = (id: string): string => p.objects.find((o) => o.id === id)?.noun ?? id;
  return p.relations.map((r) => `${r.relation}(${noun(r.subject)}, ${noun(r.object)})`);
};

test('removes a contradicting second clause and keeps the first', () => {
  const p = parsePrompt('A cat to the left of a dog, and the cat to the right of the dog.');
  assert.equal(p.diagnostics.filter((d) => d.code === 'contradiction').length, 1);
  const r = removeRelation(p, 1);
  assert.ok(r);
  assert.equal(apply(p.text, r.edit), r.text);
  assert.deepEqual(triples(r.text), ['left_of(cat, dog)']);
  assert.equal(r.clean, true);
  assert.equal(r.parsed.diagnostics.filter((d) => d.code === 'contradiction').length, 0);
});

test('removes the first clause and re-capitalises', () => {
  const p = parsePrompt('A cat to the left of a dog, and the cat to the right of the dog.');
  const r = removeRelation(p, 0);
  assert.ok(r);
  assert.match(r.text, /^[A-Z]/);
  assert.deepEqual(triples(r.text), ['right_of(cat, dog)']);
  assert.equal(r.clean, true);
});

test('keeps unrelated relations in other sentences', () => {
  const p = parsePrompt('A lamp above the bookcase. A cat to the left of a dog while the dog is to the left of the cat.');
  const i = p.relations.length - 1;
  const r = removeRelation(p, i);
  assert.ok(r);
  assert.deepEqual(triples(r.text), ['above(lamp, bookcase)', 'left_of(cat, dog)']);
  assert.equal(r.clean, true);
});

test('returns undefined for an unknown relation index', () => {
  assert.equal(removeRelation(parsePrompt('a cat to the left of a dog'), 3), undefined);
});

test('tidy cleans dangling separators and spacing', () => {
  assert.equal(tidy('A cat ,  and . ', true), 'A cat.');
  assert.equal(tidy(', and the dog sits.', true), 'The dog sits.');
  assert.equal(tidy('a cat and', false), 'a cat');
  assert.equal(tidy('one.  . two', false), 'one. two');
});

test('rewrites stay on one line', () => {
  assert.equal(toSingleLine('A cat.\nA dog is on\r\nthe right.  '), 'A cat. A dog is on the right.');
});

test('rewriteDocumentText replaces only prompt lines, keeping comments, indentation and CRLF', () => {
  const text = '# header\r\n  a cat left of a dog\r\n\r\nx';
  const lines: AnalyzedLine[] = [
    { line: 1, offset: 2, parsed: parsePrompt('a cat left of a dog') },
    { line: 3, offset: 0, parsed: parsePrompt('x') },
  ];
  const out = rewriteDocumentText(text, lines, (e) => (e.line === 1 ? 'A cat.\nA dog on the right.' : undefined));
  assert.equal(out, '# header\r\n  A cat. A dog on the right.\r\n\r\nx');
});
