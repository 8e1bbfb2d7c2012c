/** The spatial prompt parser: every phrasing from issue 2, the record contract, diagnostics. */
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  DocumentAnalyzer,
  parsePrompt,
  SPATIAL_PHRASES,
  splitPromptLines,
  type ParsedPrompt,
} from '../../src/parser';
import { assertContract } from './helpers/parserContract';

/** Relations as "relation(subjectNoun, objectNoun[, object2Noun])" for readable assertions. */
function triples(p: ParsedPrompt): string[] {
  const noun = (id: string | undefined): string => p.objects.find((o) => o.id === id)?.noun ?? `?${id}`;
  return p.relations.map((r) => `${r.relation}(${noun(r.subject)}, ${noun(r.object)}${r.object2 ? `, ${noun(r.object2)}` : ''})`);
}
function codes(p: ParsedPrompt): string[] {
  return p.diagnostics.map((d) => d.code);
}

const PHRASINGS: Array<[string, string[]]> = [
  ['a cat to the left of a dog', ['left_of(cat, dog)']],
  ['a cat on the left of a dog', ['left_of(cat, dog)']],
  ['a cat left of a dog', ['left_of(cat, dog)']],
  ['a cat on the left side of a dog', ['left_of(cat, dog)']],
  ['a cat to the right of a dog', ['right_of(cat, dog)']],
  ['a cat right of a dog', ['right_of(cat, dog)']],
  ['a balloon on the top of a giraffe', ['above(balloon, giraffe)']],
  ['a balloon on the bottom of a giraffe', ['below(balloon, giraffe)']],
  ['a cup atop a book', ['on(cup, book)']],
  ['a cup on top of a book', ['on(cup, book)']],
  ['a lamp over a table', ['above(lamp, table)']],
  ['a dining table with a chandelier overhead', ['above(chandelier, dining table)']],
  ['a cat above a dog', ['above(cat, dog)']],
  ['a cat below a dog', ['below(cat, dog)']],
  ['a cat beneath a chair', ['under(cat, chair)']],
  ['a mouse underneath a desk', ['under(mouse, desk)']],
  ['a ball under a bed', ['under(ball, bed)']],
  ['a sofa in front of a plate', ['in_front_of(sofa, plate)']],
  ['a fish behind a butterfly', ['behind(fish, butterfly)']],
  ['a horse hidden by a television', ['behind(horse, television)']],
  ['a dog in the foreground and a house in the background', ['in_front_of(dog, house)']],
  ['a vase beside a clock', ['next_to(vase, clock)']],
  ['a bench alongside a fire hydrant', ['next_to(bench, fire hydrant)']],
  ['a chair adjacent to a couch', ['next_to(chair, couch)']],
  ['a cat by the window', ['next_to(cat, window)']],
  ['a rabbit next to a balloon', ['next_to(rabbit, balloon)']],
  ['a chicken on side of a key', ['next_to(chicken, key)']],
  ['a cup close to a laptop', ['near(cup, laptop)']],
  ['a frog near a lamp', ['near(frog, lamp)']],
  ['a cat far from a dog', ['far_from(cat, dog)']],
  ['a boat far away from a lighthouse', ['far_from(boat, lighthouse)']],
  ['a fish inside a bowl', ['inside(fish, bowl)']],
  ['a bird within a cage', ['inside(bird, cage)']],
  ['a dog outside a house', ['outside(dog, house)']],
  ['a lamp between a sofa and a chair', ['between(lamp, sofa, chair)']],
  ['a fence around a house', ['around(fence, house)']],
  ['a house surrounded by a fence', ['around(fence, house)']],
  ['an elephant bigger than a car', ['larger_than(elephant, car)']],
  ['an elephant larger than a car', ['larger_than(elephant, car)']],
  ['a mouse smaller than a cat', ['smaller_than(mouse, cat)']],
  ['a giraffe towers over a car', ['larger_than(giraffe, car)']],
  // Fronted phrases.
  ['To the left of the lamp stands a bookcase', ['left_of(bookcase, lamp)']],
  ['Beneath the table, a sleeping cat', ['under(cat, table)']],
  ['Above the couch there is a light fixture.', ['above(light fixture, couch)']],
  ['Next to the door, a potted plant and a umbrella.', ['next_to(potted plant, door)', 'next_to(umbrella, door)']],
  // "B with A on its left", absolute sides.
  ['a table with a lamp on its left', ['left_of(lamp, table)']],
  ['A sofa with a lamp on its right.', ['right_of(lamp, sofa)']],
  ['a pizza, with a knife to its left and a fork to its right', ['left_of(knife, pizza)', 'right_of(fork, pizza)']],
  ['A cat is on the left, a dog on the right.', ['left_of(cat, dog)']],
  ['On the left, a red car; on the right, a blue truck.', ['left_of(car, truck)']],
  ['a moon at the top and a boat at the bottom', ['above(moon, boat)']],
  // Several sentences, back-references.
  ['A dog sits on a rug. The dog is in front of a sofa.', ['on(dog, rug)', 'in_front_of(dog, sofa)']],
  ['a dog. It sits in front of a cat.', ['in_front_of(dog, cat)']],
  ['There are two cats on a bed, and a dog sits beside them.', ['on(cat, bed)', 'next_to(dog, cat)']],
  ['a man next to a woman. He is taller than her.', ['next_to(man, woman)', 'larger_than(man, woman)']],
  ['A vase stands on a table; a cat is behind it.', ['on(vase, table)', 'behind(cat, table)']],
  // Coordinated subjects and chained relations.
  ['a cat sits to the left of a dog and above a bird', ['left_of(cat, dog)', 'above(cat, bird)']],
  ['a cat and a dog to the left of a tree', ['left_of(cat, tree)', 'left_of(dog, tree)']],
  ['a cat on the left of a dog and a bird', ['left_of(cat, dog)', 'left_of(cat, bird)']],
  ['directly above the bed hangs a painting', ['above(painting, bed)']],
  ['a bird right next to a tree', ['next_to(bird, tree)']],
  // Regressions from realistic prompts.
  ['The image shows a woman standing in front of a white wall, with a black cat sitting to her right.', ['in_front_of(woman, wall)', 'right_of(cat, woman)']],
  ['A kitchen with a refrigerator on the left and an oven on the right, a wooden table in the middle.', ['left_of(refrigerator, oven)', 'left_of(refrigerator, table)', 'right_of(oven, table)']],
  ['an astronaut riding a horse, highly detailed, 4k', ['on(astronaut, horse)']],
  ['In the foreground, a small boat floats on a calm lake; a snowy mountain rises in the background.', ['on(boat, lake)', 'in_front_of(boat, mountain)']],
];

describe('phrasings', () => {
  for (const [text, expected] of PHRASINGS) {
    test(text, () => {
      const p = parsePrompt(text);
      assertContract(p, text);
      assert.deepEqual(triples(p), expected);
    });
  }
});

describe('objects', () => {
  test('multi-word COCO nouns stay whole', () => {
    for (const noun of ['teddy bear', 'wine glass', 'hot dog', 'fire hydrant', 'traffic light', 'cell phone', 'potted plant', 'dining table', 'sports ball', 'tennis racket', 'baseball bat', 'baseball glove', 'stop sign', 'parking meter', 'hair drier']) {
      const p = parsePrompt(`a ${noun} to the left of a cat`);
      assert.deepEqual(triples(p), [`left_of(${noun}, cat)`], noun);
      assert.equal(p.objects[0].id, noun.replace(' ', '_'));
    }
  });
  test('counts from numerals, plurals and count phrases', () => {
    const cases: Array<[string, number | null]> = [
      ['two cats', 2], ['3 teddy bears', 3], ['a pair of skis', 2], ['a couple of hot dogs', 2],
      ['a few wine glasses', 3], ['several dogs', 3], ['cats', null], ['a cat', 1], ['the cat', 1],
      ['twelve eggs', 12], ['many birds', null], ['one chair', 1],
    ];
    for (const [phrase, count] of cases) {
      const p = parsePrompt(`${phrase} next to a tree`);
      assert.equal(p.objects[0].count, count, phrase);
      assert.equal(p.relations.length, 1, phrase);
    }
  });
  test('plural heads are singularised', () => {
    const p = parsePrompt('three mice near two geese and some wine glasses');
    assert.deepEqual(p.objects.map((o) => o.noun), ['mouse', 'goose', 'wine glass']);
  });
  test('closed compounds keep their irregular head when singularised', () => {
    const p = parsePrompt('two bookshelves behind three werewolves and two grandchildren near some olives');
    assert.deepEqual(p.objects.map((o) => o.noun), ['bookshelf', 'werewolf', 'grandchild', 'olive']);
  });
  test('attributes: colours, materials, sizes', () => {
    const p = parsePrompt('a large red wooden chair to the left of a small shiny metal lamp');
    assert.deepEqual(p.objects[0].attributes, ['large', 'red', 'wooden']);
    assert.equal(p.objects[0].noun, 'chair');
    assert.deepEqual(p.objects[1].attributes, ['small', 'shiny', 'metal']);
    assert.equal(p.objects[0].phrase, 'a large red wooden chair');
  });
  test('an orange (fruit) vs an orange cat', () => {
    assert.deepEqual(triples(parsePrompt('an orange cat above an orange')), ['above(cat, orange)']);
  });
  test('ids are unique and noun-based; "the X" refers back, "a X" again is a new one', () => {
    const p = parsePrompt('a cat left of a dog, a cat right of the dog');
    assert.deepEqual(p.objects.map((o) => o.id), ['cat', 'dog', 'cat_2']);
    assert.deepEqual(p.relations.map((r) => `${r.subject}>${r.object}`), ['cat>dog', 'cat_2>dog']);
  });
  test('"a photo of" frames and "in the style of" authors are not objects', () => {
    const p = parsePrompt('a photo of a cat next to a dog in the style of van gogh');
    assert.deepEqual(p.objects.map((o) => o.noun), ['cat', 'dog']);
    assert.deepEqual(codes(p), []);
  });
  test('ids are stable for the same text', () => {
    const t = 'two red cats on a bed, a dog beside the bed';
    assert.deepEqual(parsePrompt(t), parsePrompt(t));
  });
});

describe('diagnostics', () => {
  test('contradiction: direct opposite, message names both relations with columns', () => {
    const t = 'a cat left of a dog. The dog is left of the cat.';
    const p = parsePrompt(t);
    const d = p.diagnostics.filter((x) => x.code === 'contradiction');
    assert.equal(d.length, 1);
    assert.equal(d[0].severity, 'error');
    assert.equal(d[0].message, 'cat is left of dog (col 7) contradicts dog is left of cat (col 33)');
    assert.deepEqual(d[0].relations, [0, 1]);
  });
  test('contradiction: opposite words on the same pair', () => {
    for (const t of [
      'a cat left of a dog and the cat right of the dog',
      'a cat above a dog and the cat below the dog',
      'a cup on a table and the cup under the table',
      'a cat in front of a dog and the cat behind the dog',
      'an elephant smaller than a mouse and the mouse smaller than the elephant',
      'a ball inside a box and the box inside the ball',
      'a cat next to a dog and the cat far from the dog',
      'a cat near a dog and the dog far from the cat',
      'a dog inside a house and the dog outside the house',
    ]) {
      assert.deepEqual(codes(parsePrompt(t)), ['contradiction'], t);
    }
  });
  test('contradiction: a cycle through transitivity', () => {
    const p = parsePrompt('a cat left of a dog, the dog left of a bird, the bird left of the cat');
    const d = p.diagnostics.find((x) => x.code === 'contradiction');
    assert.ok(d);
    assert.deepEqual(d.relations, [0, 1, 2]);
    assert.match(d.message, /cat is left of dog \(col \d+\), dog is left of bird \(col \d+\) and bird is left of cat/);
  });
  test('no false contradictions', () => {
    for (const t of [
      'a cat left of a dog and above the dog',
      'a cat next to a dog, the cat left of the dog',
      'a cat left of a dog and the dog right of the cat',
      'a cat left of a dog, the dog left of a bird, the cat left of the bird',
      'an elephant bigger than a mouse and the mouse smaller than the elephant',
      'a lamp on a table and the lamp above the table',
      'a cat near a dog and the cat next to the dog',
    ]) {
      assert.deepEqual(codes(parsePrompt(t)), [], t);
    }
  });
  test('vague: an object with no relation, naming the vague word', () => {
    const p = parsePrompt('a man with a dog');
    assert.deepEqual(codes(p), ['vague', 'vague']);
    assert.match(p.diagnostics[1].message, /'with' does not say where dog is/);
    assert.deepEqual(p.diagnostics[1].span, [11, 16]);
    assert.deepEqual(codes(parsePrompt('a cat near-ish a dog')), ['vague', 'vague']);
    assert.deepEqual(codes(parsePrompt('a cat on the left of a dog. A bird.')), ['vague']);
    assert.deepEqual(codes(parsePrompt('a cat')), [], 'one object is never vague');
    assert.deepEqual(codes(parsePrompt('a cat on the left')), []);
    assert.deepEqual(codes(parsePrompt('A kitchen with a refrigerator on the left and an oven on the right.')), [], 'a scene is not vague');
  });
  test('unknown-relation for spatial-looking phrases we cannot place', () => {
    for (const [t, phrase] of [
      ['a cat diagonal to a dog', 'diagonal to'],
      ['a cat kitty-corner from a dog', 'kitty-corner from'],
      ['a mailbox to the northwest of a house', 'to the northwest of'],
      ['a bench across from a fountain', 'across from'],
      ['a cat to the upwind of a dog', 'to the upwind of'],
    ]) {
      const p = parsePrompt(t);
      assert.deepEqual(codes(p), ['unknown-relation'], t);
      assert.equal(t.slice(...p.diagnostics[0].span), phrase);
      assert.match(p.diagnostics[0].message, new RegExp(`'${phrase}'`));
    }
  });
  test('very long prompts are truncated with an information diagnostic', () => {
    const t = 'a cat left of a dog. '.repeat(1000);
    const p = parsePrompt(t);
    assertContract(p, t);
    const last = p.diagnostics[p.diagnostics.length - 1];
    assert.equal(last.code, 'truncated');
    assert.equal(last.severity, 'information');
  });
});

describe('lexicon', () => {
  test('every spatial phrase parses to its relation', () => {
    for (const [phrase, v] of Object.entries(SPATIAL_PHRASES)) {
      const text = phrase.includes('<poss>') ? `a table with a lamp ${phrase.replace('<poss>', 'its')}` : `a cat ${phrase} a dog`;
      const p = parsePrompt(text);
      assert.equal(p.relations.length, 1, text);
      assert.equal(p.relations[0].relation, v.relation, text);
    }
  });
});

describe('documents', () => {
  test('splitPromptLines: comments, blank lines, trailing comments, CRLF, offsets', () => {
    const doc = '# header\r\n\r\n  a cat left of a dog   # note\r\n#tag\r\na dog #1 fan\ra bird';
    const lines = splitPromptLines(doc);
    assert.deepEqual(lines.map((l) => [l.line, l.text]), [
      [2, 'a cat left of a dog'],
      [4, 'a dog #1 fan'],
      [5, 'a bird'],
    ]);
    for (const l of lines) assert.equal(doc.slice(l.offset, l.offset + l.text.length), l.text);
  });
  test('DocumentAnalyzer re-parses only changed lines', () => {
    const lines = Array.from({ length: 200 }, (_, i) => `a cat number ${i} to the left of a dog`);
    const a = new DocumentAnalyzer();
    const first = a.update(lines.join('\n'));
    assert.equal(first.length, 200);
    assert.equal(a.parsedLastUpdate, 200);
    lines[57] = 'a cat above a dog';
    const second = a.update(lines.join('\n'));
    assert.equal(a.parsedLastUpdate, 1);
    assert.deepEqual(triples(second[57].parsed), ['above(cat, dog)']);
    assert.equal(second[3].parsed, first[3].parsed, 'unchanged lines reuse their result');
    a.update(lines.join('\n'));
    assert.equal(a.parsedLastUpdate, 0);
  });
});
