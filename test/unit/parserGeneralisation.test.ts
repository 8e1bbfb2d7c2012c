/**
 * Language phenomena of natural prompts, each with many sentences of our own (none from the
 * natural-prompt sets): members of one group, ordered lists, what a clothing or "with" phrase
 * does to attachment, framing, pronouns and possessives, partitives, negation, between. Each case
 * lists relations that must be read and, where the prompt denies one, relations that must not.
 */
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parsePrompt, type ParsedPrompt } from '../../src/parser';
import { assertContract } from './helpers/parserContract';

function triples(p: ParsedPrompt): string[] {
  const noun = (id: string | undefined): string => p.objects.find((o) => o.id === id)?.noun ?? `?${id}`;
  return p.relations.map((r) => `${r.relation}(${noun(r.subject)}, ${noun(r.object)}${r.object2 ? `, ${noun(r.object2)}` : ''})`);
}

function parse(text: string): ParsedPrompt {
  const p = parsePrompt(text);
  assertContract(p, text);
  assert.deepEqual(p.diagnostics.filter((d) => d.code === 'contradiction'), [], `no contradiction in "${text}"`);
  return p;
}

/** [prompt, relations it must state, relations it must not state]. */
type Case = [text: string, required: string[], forbidden?: string[]];

function cases(list: Case[]): void {
  for (const [text, required, forbidden = []] of list) {
    test(text, () => {
      const got = triples(parse(text));
      for (const r of required) assert.ok(got.includes(r), `missing ${r} in [${got.join(', ')}]`);
      for (const r of forbidden) assert.ok(!got.includes(r), `states ${r}: [${got.join(', ')}]`);
    });
  }
}

describe('members of one group', () => {
  describe('relations between things of the same kind are between two objects', () =>
    cases([
      ['two zebras standing side by side', ['next_to(zebra, zebra)']],
      ['Two sheep grazing next to each other in a field.', ['next_to(sheep, sheep)']],
      ['a pair of swans, one in front of the other', ['in_front_of(swan, swan)']],
      ['two kites in the sky, one above the other', ['above(kite, kite)']],
      ['Two candles on a table; one of them is taller than the other.', ['larger_than(candle, candle)', 'on(candle, table)']],
      ['two cars parked on a street, the red one in front of the blue one', ['in_front_of(car, car)']],
      ['A black cat and a white cat, with the white one sleeping on top of the black one.', ['on(cat, cat)']],
      ['A brown dog lying next to a black dog.', ['next_to(dog, dog)']],
      ['a red apple next to a green one', ['next_to(apple, apple)']],
      ['Three puppies in a basket, one of them on top of the others.', ['on(puppy, puppy)']],
    ]));
  test('each member is an object with its own words; the count is shared out', () => {
    const p = parse('Two horses, the brown one on the left and the white one on the right.');
    assert.deepEqual(triples(p), ['left_of(horse, horse)']);
    assert.deepEqual(
      p.objects.map((o) => [o.id, o.count, o.attributes, o.placements]),
      [
        ['horse', 1, ['brown'], ['left']],
        ['horse_2', 1, ['white'], ['right']],
      ],
    );
  });
  test('what the group does, each member does', () => {
    const p = parse('Two cats sitting next to each other on a windowsill.');
    assert.deepEqual(triples(p), ['next_to(cat, cat)', 'on(cat, windowsill)', 'on(cat, windowsill)']);
    assert.deepEqual(
      p.objects.map((o) => [o.id, o.count, o.details]),
      [
        ['cat', 1, ['sitting']],
        ['cat_2', 1, ['sitting']],
        ['windowsill', 1, []],
      ],
    );
  });
  test('"one ... the other" with a pronoun after it', () => {
    const p = parse('Two dogs, one sitting on the couch and the other lying under it.');
    assert.deepEqual(triples(p), ['on(dog, couch)', 'under(dog, couch)']);
    assert.notEqual(p.relations[0].subject, p.relations[1].subject);
  });
  test('a member that only does something stays in its group', () => {
    const p = parse('There are frogs on the seats. One of them is reading a newspaper.');
    assert.deepEqual(
      p.objects.map((o) => [o.noun, o.count]),
      [
        ['frog', null],
        ['seat', null],
      ],
    );
  });
});

describe('attachment', () => {
  describe('a clothing or accessory phrase does not take over the wearer\u2019s relation', () =>
    cases([
      ['a boy in a red shirt standing in front of a bus', ['in_front_of(boy, bus)']],
      ['men in orange vests working beside a truck', ['next_to(man, truck)']],
      ['a raccoon in a tuxedo standing on a stage', ['on(raccoon, stage)']],
      ['a girl in a yellow raincoat jumping over a puddle', ['above(girl, puddle)']],
      ['a dog with a red collar sitting in front of a fireplace', ['in_front_of(dog, fireplace)']],
      ['a woman with a backpack waiting next to a train', ['next_to(woman, train)']],
      ['a horse with a saddle standing behind a fence', ['behind(horse, fence)']],
      ['a cat with a bow tie sitting on a piano', ['on(cat, piano)']],
      ['a woman with a basket of apples standing under a tree', ['under(woman, tree)']],
      ['a man with a sword in front of a castle', ['in_front_of(man, castle)']],
    ]));
  describe('a thing in a "with" phrase does what only a thing does, or what refers back', () =>
    cases([
      ['a boy with a kite flying above the trees', ['above(kite, tree)']],
      ['a bench with a dog lying under it', ['under(dog, bench)']],
      ['a fridge with magnets on its door', ['on(magnet, door)']],
      ['a room with a painting hanging above the sofa', ['above(painting, sofa)']],
      ['a bicycle with a basket of sunflowers parked outside a bakery', ['outside(bicycle, bakery)']],
      ['a truck with a load of logs parked beside a river', ['next_to(truck, river)']],
      ['a man with a dog sitting on a bench', ['on(man, bench)', 'on(dog, bench)']],
    ]));
  describe('after an intervening object or clause, the relation is the subject\u2019s', () =>
    cases([
      ['some people waiting at a bus stop under a large umbrella', ['under(person, umbrella)']],
      ['a man waiting at a crosswalk next to a lamp post', ['next_to(man, lamp post)']],
      ['a koala holding a sign that says "Hello" while sitting on a branch', ['on(koala, branch)']],
      ['a boy reading a book while sitting under a tree', ['under(boy, tree)']],
      ['a snail larger than a house crawling next to a lighthouse', ['larger_than(snail, house)', 'next_to(snail, lighthouse)']],
      ['a cat smaller than a mouse sitting on a table', ['smaller_than(cat, mouse)', 'on(cat, table)']],
      ['a dog staring at a ball under the sofa', ['under(ball, sofa)']],
    ]));
});
