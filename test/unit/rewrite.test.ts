import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePrompt, type ParsedPrompt, type Placement } from '../../src/parser/index';
import { article, compareRewrite, layoutToSvg, missingContent, newGrammarIssues, normalizeProse, pluralize, rewritePrompt, type Layout } from '../../src/generator/index';

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

test('objects without relations are placed explicitly from the layout, after the prompt itself', () => {
  const r = rewritePrompt(parsePrompt('a cat, a dog and a bird'));
  assert.ok(r.text.startsWith('A cat, a dog and a bird. '), r.text);
  assert.match(r.text, /The cat (is|is placed|appears) at the top on the left\./);
  assert.match(r.text, /The bird (is|is placed|appears) at the bottom\./);
  const one = rewritePrompt(parsePrompt('a cat'));
  assert.equal(sentences(one.text).length, 2);
  assert.match(one.text, /^A cat\. The cat (is|is placed|appears) in the center\.$/);
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

test('two objects with one noun are told apart by where the layout put them', () => {
  const parsed = parsePrompt('a chair to the right of a chair');
  const r = rewritePrompt(parsed, { seed: 3 });
  assert.match(r.text, /^A chair is to the right of a chair\. The chair on the right side (is|looks) about as (big|large) as the chair on the left side\.$/);
  assert.deepEqual(compareRewrite(parsed, parsePrompt(r.text)), { ok: true });
});

test('contradictions: the layout leaves the clashing relation out, the notes say why, the words stay', () => {
  const parsed = parsePrompt('a cat to the left of a dog. the cat is to the right of the dog. a bird above the cat');
  assert.ok(parsed.relations.length >= 3, JSON.stringify(parsed.relations));
  const r = rewritePrompt(parsed);
  assert.equal(r.notes.length, 1, r.notes.join('\n'));
  assert.match(r.notes[0]!, /Left out .*right of.*from the layout: it contradicts.*keeps the prompt's words/);
  assert.ok(r.layout);
  assert.ok(r.text.startsWith('A cat to the left of a dog. The cat is to the right of the dog. A bird above the cat.'), r.text);
  const back = parsePrompt(r.text);
  // The person's own clash is still there; the rewrite adds none of its own.
  assert.deepEqual(compareRewrite(parsed, back), { ok: true });
  assert.equal(back.diagnostics.filter((d) => d.code === 'contradiction').length, parsed.diagnostics.filter((d) => d.code === 'contradiction').length);
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

test('the person\'s sentences come first, word for word; only placements and sizes are added', () => {
  const text = 'A donkey is playing tug-of-war against an octopus. The donkey holds the rope in its mouth. A cat is jumping over the rope.';
  const parsed = parsePrompt(text);
  for (let seed = 0; seed < 6; seed++) {
    const r = rewritePrompt(parsed, { seed });
    assert.ok(r.text.startsWith(text + ' '), r.text);
    assert.deepEqual(missingContent(text, r.text), []);
    const added = sentences(r.text.slice(text.length + 1));
    assert.ok(added.length >= 1, r.text);
    for (const s of added) assert.match(s, /^The [\w -]+ (is|are|appears?|looks?|is placed|are placed) .*(side|center|top|bottom|left|right|than [\w -]+)\.$/, s);
    assert.deepEqual(compareRewrite(parsed, parsePrompt(r.text)), { ok: true });
    assert.deepEqual(newGrammarIssues(text, r.text), []);
  }
});

test('medium, style, quoted text and lower-case keyword prompts are kept, only capitalised and terminated', () => {
  const text = "a cute dog holding a sign saying 'plz conserve' next to a painting, impressionistic, oil on canvas";
  const r = rewritePrompt(parsePrompt(text));
  assert.ok(r.text.startsWith("A cute dog holding a sign saying 'plz conserve' next to a painting, impressionistic, oil on canvas."), r.text);
  assert.deepEqual(missingContent(text, r.text), []);
  assert.equal(normalizeProse('  a cat.  the dog\tsits ,'), 'A cat. The dog sits.');
  assert.equal(normalizeProse('"Hello" is written on a wall! a cat?'), '"Hello" is written on a wall! A cat?');
  assert.equal(normalizeProse('a sign saying "stop." a car'), 'A sign saying "stop." A car.');
});

test('a one-clause fragment gets its verb; a clause with a verb of its own does not', () => {
  assert.match(rewritePrompt(parsePrompt('a horse hidden by a television')).text, /^A horse is hidden by a television\. /);
  assert.match(rewritePrompt(parsePrompt('two dogs to the left of three sheep')).text, /^Two dogs are to the left of three sheep\. /);
  assert.match(rewritePrompt(parsePrompt('a cat sits next to a dog')).text, /^A cat sits next to a dog\. /);
  assert.match(rewritePrompt(parsePrompt('a cup of coffee sitting next to a keyboard')).text, /^A cup of coffee sitting next to a keyboard\. /);
});

/** A parser record by hand, for what the parser may or may not fill yet (placements, scene, details). */
function record(text: string, objects: Array<{ id: string; noun: string; phrase: string; placements?: Placement[]; details?: string[] }>): ParsedPrompt {
  return {
    text,
    objects: objects.map((o) => {
      const at = text.indexOf(o.phrase);
      return { id: o.id, noun: o.noun, phrase: o.phrase, count: /s$/.test(o.phrase) ? null : 1, attributes: [], placements: o.placements ?? [], details: o.details ?? [], span: [at, at + o.phrase.length] };
    }),
    relations: [],
    scene: [],
    diagnostics: [],
  };
}

test('depth words keep their meaning: an object in the background is never said to be at the bottom or the top', () => {
  const text = 'A photograph of frogs sitting on the seats. The window shows the river in the background.';
  const parsed = record(text, [
    { id: 'frog', noun: 'frog', phrase: 'frogs', details: ['sitting on the seats'] },
    { id: 'seat', noun: 'seat', phrase: 'the seats' },
    { id: 'window', noun: 'window', phrase: 'The window' },
    { id: 'river', noun: 'river', phrase: 'the river', placements: ['background'] },
  ]);
  for (let seed = 0; seed < 8; seed++) {
    const r = rewritePrompt(parsed, { seed });
    assert.ok(r.text.startsWith(text), r.text);
    const added = r.text.slice(text.length);
    assert.doesNotMatch(added, /river (is|appears|is placed) (at|in|on)/, r.text);
    assert.equal(r.layout?.placements.river, 'in the background');
    // Depth shows as size: the river in the background is the smaller one.
    assert.match(added, /The river in the background (looks|appears) smaller than the \w+\./, r.text);
  }
});

test('with sides the parser has not attributed, the rewrite adds no placement that could contradict them', () => {
  const r = rewritePrompt(record('A cat on the left and a dog.', [
    { id: 'cat', noun: 'cat', phrase: 'A cat' },
    { id: 'dog', noun: 'dog', phrase: 'a dog' },
  ]));
  assert.doesNotMatch(r.text.slice('A cat on the left and a dog.'.length), /side|center|top|bottom/, r.text);
  const placed = rewritePrompt(record('A cat on the left and a dog.', [
    { id: 'cat', noun: 'cat', phrase: 'A cat', placements: ['left'] },
    { id: 'dog', noun: 'dog', phrase: 'a dog' },
  ]));
  assert.match(placed.text, /The dog (is|appears|is placed) (on the right side|at the|in the)/, placed.text);
  assert.doesNotMatch(placed.text, /The cat (is|appears|is placed) (on|at|in)/, placed.text);
});

test('objects whose noun is an adjective or a bare participle are never named as things', () => {
  const text = 'A donkey playing tug-of-war and a white.';
  const r = rewritePrompt(record(text, [
    { id: 'donkey', noun: 'donkey', phrase: 'A donkey' },
    { id: 'playing', noun: 'playing', phrase: 'playing' },
    { id: 'white', noun: 'white', phrase: 'a white' },
  ]));
  assert.doesNotMatch(r.text.slice(text.length), /[Tt]he (playing|white)/, r.text);
});

test('an object told apart by its depth gets the depth words once', () => {
  const text = 'Grey cat laying under a car with another cat in the background.';
  const r = rewritePrompt(parsePrompt(text));
  assert.ok(r.text.startsWith(text), r.text);
  assert.doesNotMatch(r.text, /in the background in the background/);
  assert.deepEqual(newGrammarIssues(text, r.text), []);
});

test('size comparisons follow common sense, or perspective when one thing stands in front of the other', () => {
  for (let seed = 0; seed < 6; seed++) {
    const remote = rewritePrompt(parsePrompt('An adorable cat laying on top of a table next to a remote control.'), { seed }).text;
    assert.doesNotMatch(remote, /remote control (is|looks|appears) (bigger|larger)/, remote);
    const fork = rewritePrompt(parsePrompt('Slice of cake next to a fork on a plate.'), { seed }).text;
    assert.doesNotMatch(fork, /fork (is|looks|appears) (bigger|larger)/, fork);
    // A tree behind a stop sign is drawn smaller: it looks smaller, it is not.
    const sign = rewritePrompt(parsePrompt('A stop sign with a large tree behind it.'), { seed }).text;
    assert.match(sign, /The stop sign (looks bigger|appears larger) than the tree\.$/, sign);
    // Of one size class, only what holds the other is said to be bigger: not the sandwich than
    // the plate it lies near, but the bench the dog lies on.
    const plate = rewritePrompt(parsePrompt('A plate with a sandwich cut in half and a pickle on the side.'), { seed }).text;
    assert.doesNotMatch(plate, /(sandwich|pickle) (is|looks|appears) (bigger|larger) than the plate/, plate);
    const bench = rewritePrompt(parsePrompt('A dog lying on a bench next to a man.'), { seed }).text;
    assert.doesNotMatch(bench, /The dog (is|looks|appears) (bigger|larger) than the bench/, bench);
  }
});
