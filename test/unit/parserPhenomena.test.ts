/**
 * The language of prompts people write, phenomenon by phenomenon: noun phrases, attachment,
 * reference, structure, negation, and the record's scene, placements and details. The sentences
 * are our own; the natural-prompt dev set is measured separately (parserNatural.test.ts).
 */
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parsePrompt, type ParsedPrompt } from '../../src/parser';
import { assertContract } from './helpers/parserContract';

function triples(p: ParsedPrompt): string[] {
  const noun = (id: string | undefined): string => p.objects.find((o) => o.id === id)?.noun ?? `?${id}`;
  return p.relations.map((r) => `${r.relation}(${noun(r.subject)}, ${noun(r.object)}${r.object2 ? `, ${noun(r.object2)}` : ''})`);
}
function nouns(p: ParsedPrompt): string[] {
  return p.objects.map((o) => o.noun);
}
function scene(p: ParsedPrompt): string[] {
  return p.scene.map((s) => `${s.kind}: ${s.phrase}`);
}
function object(p: ParsedPrompt, noun: string): ParsedPrompt['objects'][number] {
  const o = p.objects.find((x) => x.noun === noun);
  assert.ok(o, `no object "${noun}" in ${nouns(p).join(', ')}`);
  return o;
}
function parse(text: string): ParsedPrompt {
  const p = parsePrompt(text);
  assertContract(p, text);
  assert.deepEqual(p.diagnostics.filter((d) => d.code === 'contradiction'), [], `no contradiction in "${text}"`);
  return p;
}

/** [prompt, the relations it states, exactly]. */
type Case = [text: string, relations: string[]];

function cases(list: Case[]): void {
  for (const [text, expected] of list) {
    test(text, () => assert.deepEqual(triples(parse(text)), expected));
  }
}

describe('noun phrases', () => {
  describe('compounds and names stay whole', () =>
    cases([
      ['a cash register next to a cruise ship', ['next_to(cash register, cruise ship)']],
      ['a ping pong table under a lamp', ['under(ping pong table, lamp)']],
      ['the Eiffel Tower behind the Statue of Liberty', ['behind(eiffel tower, statue of liberty)']],
      ['a tourist in front of the Great Pyramid', ['in_front_of(tourist, great pyramid)']],
      ['a music stand next to a piano', ['next_to(music stand, piano)']],
      ['a chess set on a table', ['on(chess set, table)']],
    ]));
  describe('partitive heads point at what they measure; containers hold what follows "of"', () => {
    cases([
      ['a slice of bread on a plate', ['on(bread, plate)']],
      ['a bowl of soup next to a spoon', ['inside(soup, bowl)', 'next_to(bowl, spoon)']],
      ['a plate of cookies on a table', ['on(cookie, plate)', 'on(plate, table)']],
    ]);
    test('the count of a partitive stays with the object', () => {
      const p = parse('two slices of pizza next to a fork');
      assert.deepEqual(triples(p), ['next_to(pizza, fork)']);
      assert.equal(object(p, 'pizza').count, 2);
      assert.equal(object(p, 'pizza').phrase, 'two slices of pizza');
    });
  });
  describe('medium and framing heads are scene, not objects', () => {
    for (const [text, medium, expected] of [
      ['an oil painting of a lighthouse on a cliff', 'an oil painting of', ['on(lighthouse, cliff)']],
      ['a close-up of a bee on a sunflower', 'a close-up of', ['on(bee, sunflower)']],
      ['A portrait of a woman next to a window.', 'A portrait of', ['next_to(woman, window)']],
      ['a pencil sketch of a fox under a tree', 'a pencil sketch of', ['under(fox, tree)']],
      ['An illustration of a frog on a lily pad', 'An illustration of', ['on(frog, lily pad)']],
    ] as Array<[string, string, string[]]>) {
      test(text, () => {
        const p = parse(text);
        assert.deepEqual(triples(p), expected);
        assert.deepEqual(scene(p), [`medium: ${medium}`]);
      });
    }
    test('a picture hanging in the scene is an object', () => {
      const p = parse('a painting of a ship hanging on the wall above a fireplace');
      assert.deepEqual(triples(p), ['on(painting, wall)', 'above(painting, fireplace)']);
      assert.deepEqual(p.scene, []);
    });
    test('a later picture of something is an object too', () => {
      assert.deepEqual(triples(parse('a hallway with a photo of a horse on the wall')), ['on(photo, wall)']);
    });
  });
  test('colour pairs and adjectives are attributes, never objects', () => {
    const p = parse('a brown and white horse next to a black and yellow bus');
    assert.deepEqual(triples(p), ['next_to(horse, bus)']);
    assert.deepEqual(object(p, 'horse').attributes, ['brown', 'white']);
    assert.deepEqual(object(p, 'bus').attributes, ['black', 'yellow']);
    const q = parse('a run down shed behind a barn');
    assert.deepEqual(triples(q), ['behind(shed, barn)']);
    assert.deepEqual(object(q, 'shed').attributes, ['run down']);
    assert.deepEqual(triples(parse('a grey, fluffy cat under a table')), ['under(cat, table)']);
  });
  test('lemmas of irregular and plural-looking nouns', () => {
    assert.deepEqual(nouns(parse('three rhinoceros near a lake')), ['rhinoceros', 'lake']);
    assert.equal(parse('three rhinoceros near a lake').objects[0].count, 3);
    assert.deepEqual(nouns(parse('a pair of skis against a wall')), ['ski', 'wall']);
    assert.deepEqual(nouns(parse('two glasses on a tray')), ['glass', 'tray']);
    assert.deepEqual(nouns(parse('the seats behind the driver')), ['seat', 'driver']);
    assert.deepEqual(nouns(parse('five cacti beside two wolves')), ['cactus', 'wolf']);
    const worn = parse('a man wearing glasses next to a dog');
    assert.deepEqual(nouns(worn), ['man', 'dog']);
    assert.deepEqual(object(worn, 'man').details, ['wearing glasses']);
  });
});

describe('attachment', () => {
  test('a participle or holding phrase belongs to the noun before it; the main verb to the subject', () => {
    const p = parse('a boy holding a kite stands next to a girl');
    assert.deepEqual(triples(p), ['next_to(boy, girl)']);
    assert.deepEqual(nouns(p), ['boy', 'girl']);
    assert.deepEqual(object(p, 'boy').details, ['holding a kite', 'stands']);
    assert.deepEqual(triples(parse('a puppy inside a box sitting on a chair')), ['inside(puppy, box)', 'on(box, chair)']);
    assert.deepEqual(triples(parse('a lamp on a desk, standing next to a plant')), ['on(lamp, desk)', 'next_to(lamp, plant)']);
  });
  test('a participle-led relation after an object belongs to that object', () => {
    assert.deepEqual(triples(parse('a shark swimming beneath a surfer riding a wave')), ['under(shark, surfer)', 'on(surfer, wave)']);
    assert.deepEqual(triples(parse('a boat near a house surrounded by trees')), ['near(boat, house)', 'around(tree, house)']);
  });
  test('what something is made of is a detail', () => {
    const p = parse('a cube made of denim on top of a sphere made of wool');
    assert.deepEqual(triples(p), ['on(cube, sphere)']);
    assert.deepEqual(object(p, 'cube').details, ['made of denim']);
  });
  test('"with X on top" puts X on its owner', () => {
    assert.deepEqual(triples(parse('a cake with a cherry on top next to a cup')), ['on(cherry, cake)', 'next_to(cake, cup)']);
  });
  test('what a placement verb acts on is placed; what other verbs act on is not', () => {
    assert.deepEqual(triples(parse('a squirrel holding an acorn over its head')), ['above(acorn, head)']);
    assert.deepEqual(triples(parse('a cat chasing a butterfly under a tree')), ['under(cat, tree)']);
  });
  describe('verbs keep their prepositions', () =>
    cases([
      ['a lizard sitting on top of a stone', ['on(lizard, stone)']],
      ['a goat perched on a rock', ['on(goat, rock)']],
      ['a truck parked next to a barn', ['next_to(truck, barn)']],
      ['a lighthouse towers over a cottage', ['larger_than(lighthouse, cottage)']],
      ['a park bench with a seagull flying overhead', ['above(seagull, park bench)']],
      ['a dog runs ahead of its owner', ['in_front_of(dog, owner)']],
      ['a jet passes over a bridge', ['above(jet, bridge)']],
      ['a kitten hiding underneath a blanket', ['under(kitten, blanket)']],
    ]));
  test('a relation right after "looking at X" places X', () => {
    assert.deepEqual(triples(parse('A dog sitting in front of a fireplace, looking up at a painting above it.')), [
      'in_front_of(dog, fireplace)',
      'above(painting, fireplace)',
    ]);
  });
  test('under the sky is a setting; a noun and participle make one modifier', () => {
    const p = parse('a boat sailing under a starry sky next to a neon lit pier');
    assert.deepEqual(triples(p), ['next_to(boat, pier)']);
    assert.deepEqual(scene(p), ['setting: under a starry sky']);
    assert.deepEqual(object(p, 'pier').attributes, ['neon lit']);
  });
  test('settings and times are scene, and what follows them attaches to the subject', () => {
    const p = parse('a horse in a meadow next to a fence');
    assert.deepEqual(triples(p), ['next_to(horse, fence)']);
    assert.deepEqual(scene(p), ['setting: in a meadow']);
    const q = parse('a chef in a kitchen standing behind a counter at night');
    assert.deepEqual(triples(q), ['behind(chef, counter)']);
    assert.deepEqual(scene(q), ['setting: in a kitchen', 'time: at night']);
    assert.deepEqual(scene(parse('a dog at the beach at sunset')), ['setting: at the beach', 'time: at sunset']);
    assert.deepEqual(scene(parse('a tent on the grass next to a car')), ['setting: on the grass']);
  });
  test('depth words are placements of their object, and order objects in depth', () => {
    const p = parse('a sailboat in the background and a buoy in the foreground');
    assert.deepEqual(triples(p), ['behind(sailboat, buoy)']);
    assert.deepEqual(object(p, 'sailboat').placements, ['background']);
    assert.deepEqual(object(p, 'buoy').placements, ['foreground']);
    const q = parse('A tractor plows a field. A farmhouse is visible in the distance.');
    assert.deepEqual(object(q, 'farmhouse').placements, ['background']);
  });
  test('"in" a thing is inside it; "in" clothes describes the wearer', () => {
    const p = parse('a woman in a red dress next to a man in a suit');
    assert.deepEqual(triples(p), ['next_to(woman, man)']);
    assert.deepEqual(object(p, 'woman').details, ['in a red dress']);
    assert.deepEqual(object(p, 'man').details, ['in a suit']);
    assert.deepEqual(triples(parse('a hamster in a teacup next to a sugar bowl')), ['inside(hamster, teacup)', 'next_to(hamster, sugar bowl)']);
  });
});

describe('reference', () => {
  describe('pronouns resolve by agreement, subjects to the subject before', () =>
    cases([
      ['A lamp on a desk. It is to the left of a monitor.', ['on(lamp, desk)', 'left_of(lamp, monitor)']],
      ['Two cats sit on a sofa. A dog lies in front of them.', ['on(cat, sofa)', 'in_front_of(dog, cat)']],
      ['A man and a woman stand on a bridge. He is to the left of her.', ['on(man, bridge)', 'on(woman, bridge)', 'left_of(man, woman)']],
      ['A cupboard with a teapot in front of it', ['in_front_of(teapot, cupboard)']],
      ['A bowl sits on a table as it catches the light next to a vase.', ['on(bowl, table)', 'next_to(bowl, vase)']],
      ['an airplane on a runway with a hangar behind it', ['on(airplane, runway)', 'behind(hangar, airplane)']],
    ]));
  test('"one of them" placed on its own is a member of the group; the rest keep the count', () => {
    const p = parse('Three mugs on a counter; one of them is next to a kettle.');
    assert.deepEqual(triples(p), ['on(mug, counter)', 'on(mug, counter)', 'next_to(mug, kettle)']);
    assert.deepEqual(
      p.objects.map((o) => `${o.id}:${o.count}`),
      ['mug:1', 'mug_2:2', 'counter:1', 'kettle:1'],
    );
  });
  describe('each other, possessives', () =>
    cases([
      ['a keyboard and a mouse next to each other', ['next_to(keyboard, mouse)']],
      ['a fox and a hare facing one another near a log', ['near(fox, log)', 'near(hare, log)']],
      ["a stool to the lamp's right", ['right_of(stool, lamp)']],
      ["a chair on the desk's left side", ['left_of(chair, desk)']],
      ['a sofa with a fern on its left side', ['left_of(fern, sofa)']],
      ['a bicycle with a basket on the front', ['on(basket, bicycle)']],
    ]));
  test('"the one on the left" places one of a group', () => {
    const p = parse('There are two chairs in the room. The one on the left is red.');
    assert.deepEqual(object(p, 'chair').placements, ['left']);
  });
});

describe('structure', () => {
  describe('coordination distributes', () =>
    cases([
      ['a triangle above a square and a rectangle', ['above(triangle, square)', 'above(triangle, rectangle)']],
      ['a keyboard and a mouse next to each other on a table', ['next_to(keyboard, mouse)', 'on(keyboard, table)', 'on(mouse, table)']],
      ['a goose stands next to a hen, a duck, and a rooster.', ['next_to(goose, hen)', 'next_to(goose, duck)', 'next_to(goose, rooster)']],
      ['a cup on a saucer and a spoon under the saucer', ['on(cup, saucer)', 'under(spoon, saucer)']],
      ['a truck and a car parked side by side', ['next_to(truck, car)']],
    ]));
  describe('relative clauses attach to their own noun', () =>
    cases([
      ['a candle which is to the left of a book', ['left_of(candle, book)']],
      ['a mug next to a laptop that is on a desk', ['next_to(mug, laptop)', 'on(laptop, desk)']],
      ['a woman beside her bicycle, which is leaning against a fence', ['next_to(woman, bicycle)', 'next_to(bicycle, fence)']],
      ['there is a red van that stopped behind the school bus', ['behind(van, school bus)']],
    ]));
  test('enumerations order a list along an axis', () => {
    for (const text of ['from left to right: an apple, a pear and a banana', 'an apple, a pear and a banana, from left to right']) {
      const p = parse(text);
      assert.deepEqual(triples(p), ['left_of(apple, pear)', 'left_of(pear, banana)'], text);
      assert.deepEqual(p.objects.map((o) => o.placements), [['left'], ['center'], ['right']], text);
    }
    assert.deepEqual(triples(parse('from top to bottom: a star, a moon and a cloud')), ['above(star, moon)', 'above(moon, cloud)']);
  });
  describe('elliptic placements complete a pair, or relate to the object just named', () =>
    cases([
      ['a cat to the left of a dog and a bird to the right', ['left_of(cat, dog)', 'right_of(bird, dog)']],
      ['A horse grazes to the left of a barn while a cow stands to the right.', ['left_of(horse, barn)', 'right_of(cow, barn)']],
      ['A boy in front of a house. A tree in the background.', ['in_front_of(boy, house)']],
      ['a zebra and a giraffe, the zebra on the left', ['left_of(zebra, giraffe)']],
      ['a bear and a wolf, the bear on the right', ['right_of(bear, wolf)']],
      ['a kite and a balloon; the balloon at the top', ['above(balloon, kite)']],
    ]));
  describe('synonyms of between', () =>
    cases([
      ['a rabbit among the flowers', ['between(rabbit, flower)']],
      ['a bench in the middle of two trees', ['between(bench, tree)']],
      ['a house flanked by two palm trees', ['between(house, palm tree)']],
      ['a toddler sits between her mother and father', ['between(toddler, mother, father)']],
    ]));
  test('"in the middle of" a setting places in the center', () => {
    const p = parse('a statue in the middle of a park');
    assert.deepEqual(triples(p), []);
    assert.deepEqual(object(p, 'statue').placements, ['center']);
    assert.deepEqual(scene(p), ['setting: a park']);
  });
  test('a plural pronoun for two singular things means both', () => {
    assert.deepEqual(triples(parse('A cat sits on a mat. Next to the cat there is a dog. Behind both of them is a sofa.')), [
      'on(cat, mat)',
      'next_to(dog, cat)',
      'behind(sofa, dog)',
      'behind(sofa, cat)',
    ]);
  });
  describe('placements against the picture, fronted or after their noun', () =>
    cases([
      ['On the left side of the picture there is a tall lighthouse, and on the right a small fishing boat.', ['left_of(lighthouse, fishing boat)']],
      ['A cat in the left part of the image and a dog in the right half.', ['left_of(cat, dog)']],
      ['Place a red ball in the center and a blue cube to its left.', ['left_of(cube, ball)']],
      ['An astronaut and a robot stand on a crater, Earth rising behind them.', ['on(astronaut, crater)', 'on(robot, crater)', 'behind(earth, astronaut)', 'behind(earth, robot)']],
    ]));
  describe('several sentences and "there is"', () =>
    cases([
      ['There is a ball under the bench. There are two birds above the bench.', ['under(ball, bench)', 'above(bird, bench)']],
      ['A chair. A table to its right. A lamp on the table.', ['right_of(table, chair)', 'on(lamp, table)']],
      ['Above the sink hangs a mirror and to its right is a towel rack.', ['above(mirror, sink)', 'right_of(towel rack, mirror)']],
    ]));
  describe('negation states no relation and never a contradiction', () => {
    cases([
      ['a cat not on the table but under it', ['under(cat, table)']],
      ['a vase on a shelf, not under it', ['on(vase, shelf)']],
      ['a dog that is not next to a cat but far from it', ['far_from(dog, cat)']],
    ]);
    test('"without" and "no" name no object', () => {
      const p = parse('a desk without a chair');
      assert.deepEqual(nouns(p), ['desk']);
      assert.deepEqual(object(p, 'desk').details, ['without a chair']);
      const q = parse('a room with no windows next to a hall');
      assert.deepEqual(nouns(q), ['room', 'hall']);
      assert.deepEqual(triples(q), ['next_to(room, hall)']);
      assert.deepEqual(nouns(parse('a street with no cars and a lamp post on the left')), ['lamp post']);
    });
  });
});

describe('record: scene, placements, details', () => {
  test('quoted text is scene, verbatim, and never objects', () => {
    const p = parse('a neon sign that says "open late" above a door');
    assert.deepEqual(triples(p), ['above(neon sign, door)']);
    assert.deepEqual(scene(p), ['text: "open late"']);
    assert.deepEqual(nouns(p), ['neon sign', 'door']);
    const q = parse("a dog holding a sign saying 'feed me' next to a bowl");
    assert.deepEqual(scene(q), ["text: 'feed me'"]);
    assert.deepEqual(object(q, 'dog').details, ["holding a sign saying 'feed me'"]);
  });
  test('styles: trailing fragments, "in the style of", authors', () => {
    assert.deepEqual(scene(parse('a cat on a mat, oil painting, highly detailed, 8k')), ['style: oil painting', 'style: highly detailed', 'style: 8k']);
    assert.deepEqual(scene(parse('A fox under a tree. Watercolor illustration.')), ['style: Watercolor illustration']);
    assert.deepEqual(scene(parse('a barn next to a silo in the style of Grant Wood')), ['style: in the style of Grant Wood']);
    assert.deepEqual(scene(parse('a boat near a pier, painted by Monet')), ['style: by Monet']);
  });
  test('settings named first are scene unless placed against', () => {
    const p = parse('A cozy kitchen with a kettle on the stove and a cat under the table.');
    assert.deepEqual(triples(p), ['on(kettle, stove)', 'under(cat, table)']);
    assert.deepEqual(scene(p), ['setting: A cozy kitchen']);
    assert.deepEqual(triples(parse('a small garden with an oak tree behind it')), ['behind(oak tree, garden)']);
  });
  test('details: what an object does, wears or holds, as written', () => {
    const p = parse('A raccoon wearing a top hat and holding a cane stands in front of a mirror.');
    assert.deepEqual(object(p, 'raccoon').details, ['wearing a top hat', 'holding a cane', 'stands']);
    const q = parse('An owl wearing a scarf, mittens and a wool hat sits on a branch.');
    assert.deepEqual(object(q, 'owl').details, ['wearing a scarf, mittens and a wool hat', 'sits']);
    assert.deepEqual(nouns(q), ['owl', 'branch']);
    const r = parse('Two dogs playing with a frisbee in the park.');
    assert.deepEqual(object(r, 'dog').details, ['playing with a frisbee']);
    assert.deepEqual(object(parse('a tree with red leaves next to a pond'), 'tree').details, ['with red leaves']);
  });
  test('absolute "with" phrases describe their owner, whom "its" names', () => {
    const p = parse('a heron on a rock with its wings spread out gliding over a pond');
    assert.deepEqual(triples(p), ['on(heron, rock)', 'above(heron, pond)']);
    assert.deepEqual(object(p, 'heron').details, ['with its wings spread out', 'gliding']);
    const q = parse('A puppy sleeping on a cushion with its eyes closed.');
    assert.deepEqual(object(q, 'puppy').details, ['sleeping', 'with its eyes closed']);
    const r = parse('a fox lying under a bush watching a rabbit');
    assert.deepEqual(object(r, 'fox').details, ['lying', 'watching a rabbit']);
  });
  test('a closed "with" phrase hands the clause back; a part never does what its owner does', () => {
    assert.deepEqual(triples(parse('a kettle with its lid open next to a mug')), ['next_to(kettle, mug)']);
    const p = parse('a puppy with a ball in its mouth sitting on a rug');
    assert.ok(triples(p).includes('on(puppy, rug)'), triples(p).join(' '));
    assert.ok(object(p, 'puppy').details.includes('sitting'));
    assert.deepEqual(object(parse('a pantry stocked with jars and tins next to a door'), 'pantry').details, ['stocked with jars and tins']);
  });
  test('a detail that a later sentence places becomes an object', () => {
    const p = parse('A donkey holds a rope in its teeth. A cat jumps over the rope.');
    assert.ok(p.relations.some((r) => r.relation === 'above' && r.object === 'rope'));
    assert.deepEqual(object(p, 'donkey').details, ['holds a rope']);
  });
});
