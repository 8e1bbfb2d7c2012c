import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePrompt } from '../../src/parser/index';
import { article, compareRewrite, layoutToSvg, pluralize, rewritePrompt, type Layout } from '../../src/generator/index';

function sentences(text: string): string[] {
  return text.split(/(?<=\.)\s+/).filter(Boolean);
}

test('SPRIGHT style: two or more sentences, counts and attributes named, relation words explicit', () => {
  const parsed = parsePrompt('two red cats on a wooden table next to a lamp');
  const r = rewritePrompt(parsed, { seed: 1 });
  assert.ok(sentences(r.text).length >= 2, r.text);
  assert.match(r.text, /\btwo red cats\b/i);
  assert.match(r.text, /\ba wooden table\b/i);
  assert.match(r.text, /\b(on top of|on)\b/);
  assert.match(r.text, /\b(next to|beside|adjacent to)\b/);
  // Relative size is stated from the layout (lamp vs cats).
  assert.match(r.text, /\b(larger|bigger|smaller|tinier) than\b/);
  assert.ok(r.layout);
  assert.deepEqual(compareRewrite(parsed, parsePrompt(r.text)), { ok: true });
});

test('objects without relations are placed explicitly from the layout', () => {
  const r = rewritePrompt(parsePrompt('a cat, a dog and a bird'));
  assert.match(r.text, /A cat is (placed )?at the top on the left|A cat appears at the top on the left/);
  assert.match(r.text, /at the bottom/);
  const one = rewritePrompt(parsePrompt('a cat'));
  assert.equal(sentences(one.text).length, 2);
  assert.match(one.text, /in the center/);
});

test('wording varies with the seed and repeats for the same seed', () => {
  const parsed = parsePrompt('a person to the left of a bicycle');
  const texts = new Set<string>();
  for (let seed = 0; seed < 30; seed++) texts.add(rewritePrompt(parsed, { seed }).text);
  assert.ok(texts.size >= 3, `only ${texts.size} distinct wordings`);
  assert.equal(rewritePrompt(parsed, { seed: 5 }).text, rewritePrompt(parsed, { seed: 5 }).text);
});

test('every relation type is written in words the parser reads back', () => {
  const prompts = [
    'a cat to the left of a dog',
    'a cat to the right of a dog',
    'a bird above a tree',
    'a ball below a table',
    'a cup on a table',
    'a cat under a table',
    'a dog in front of a car',
    'a tree behind a house',
    'a cat next to a dog',
    'a cat near a dog',
    'a cat far from a dog',
    'a ball inside a box',
    'a dog outside a house',
    'a lamp between a sofa and a chair',
    'a fence around a tree',
    'an elephant larger than a car',
    'a mouse smaller than a cat',
  ];
  for (const p of prompts) {
    const parsed = parsePrompt(p);
    assert.equal(parsed.relations.length, 1, `parser reads one relation in "${p}"`);
    for (let seed = 0; seed < 12; seed++) {
      const r = rewritePrompt(parsed, { seed });
      const back = compareRewrite(parsed, parsePrompt(r.text));
      assert.deepEqual(back, { ok: true }, `${p} -> ${r.text}`);
    }
  }
});

test('two objects with one noun stay apart ("another", ordinals)', () => {
  const parsed = parsePrompt('a chair to the right of a chair');
  const r = rewritePrompt(parsed, { seed: 3 });
  assert.match(r.text, /another chair/);
  assert.deepEqual(compareRewrite(parsed, parsePrompt(r.text)), { ok: true });
});

test('contradictions: the clashing relation is left out and the notes say why', () => {
  const parsed = parsePrompt('a cat to the left of a dog. the cat is to the right of the dog. a bird above the cat');
  assert.ok(parsed.relations.length >= 3, JSON.stringify(parsed.relations));
  const r = rewritePrompt(parsed);
  assert.equal(r.notes.length, 1, r.notes.join('\n'));
  assert.match(r.notes[0]!, /Left out .*right of.*contradicts/);
  assert.ok(r.layout);
  const back = parsePrompt(r.text);
  assert.deepEqual(compareRewrite(parsed, back, { ignore: new Set([1]) }), { ok: true });
  assert.ok(!back.diagnostics.some((d) => d.code === 'contradiction'), r.text);
});

test('a layout given by the caller is followed', () => {
  const parsed = parsePrompt('a cat and a dog');
  const layout: Layout = {
    width: 768,
    height: 768,
    boxes: [],
    checks: [],
    placements: { [parsed.objects[0]!.id]: 'at the bottom', [parsed.objects[1]!.id]: 'at the top' },
  };
  const r = rewritePrompt(parsed, { layout });
  assert.match(r.text, /cat (is|appears|is placed) at the bottom/);
  assert.match(r.text, /dog (is|appears|is placed) at the top/);
});

test('large counts are written and the capped layout is noted', () => {
  const r = rewritePrompt(parsePrompt('20 birds above a tree'));
  assert.match(r.text, /\b20 birds\b/);
  assert.ok(r.notes.some((n) => /draws 12 of the 20 birds/.test(n)), r.notes.join('\n'));
});

test('an empty prompt rewrites to nothing without throwing', () => {
  const r = rewritePrompt(parsePrompt(''));
  assert.equal(r.text, '');
  assert.equal(r.layout, null);
});

test('English helpers: plurals and articles', () => {
  assert.equal(pluralize('wine glass'), 'wine glasses');
  assert.equal(pluralize('person'), 'people');
  assert.equal(pluralize('teddy bear'), 'teddy bears');
  assert.equal(pluralize('butterfly'), 'butterflies');
  assert.equal(pluralize('sheep'), 'sheep');
  assert.equal(pluralize('knife'), 'knives');
  assert.equal(article('umbrella'), 'an');
  assert.equal(article('unicorn'), 'a');
  assert.equal(article('hour'), 'an');
  assert.equal(article('cat'), 'a');
});

test('layoutToSvg draws labelled boxes and escapes hostile labels', () => {
  const layout: Layout = {
    width: 100,
    height: 80,
    boxes: [
      { id: 'x#1', objectId: 'x', noun: '<script>alert("x")</script>', x: 1, y: 2, w: 30, h: 40 },
      { id: 'y', objectId: 'y', noun: 'cat & dog', x: 50, y: 10, w: 20, h: 20 },
    ],
    checks: [],
    placements: {},
  };
  const svg = layoutToSvg(layout, { title: 'a "title" <b>' });
  assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg" width="100"'));
  assert.ok(!svg.includes('<script>'));
  assert.ok(svg.includes('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; #1'));
  assert.ok(svg.includes('cat &amp; dog'));
  assert.ok(svg.includes('a &quot;title&quot; &lt;b&gt;'));
  assert.equal((svg.match(/<rect /g) ?? []).length, 3);
  assert.ok(svg.includes('x="50" y="10" width="20" height="20"'));
});
