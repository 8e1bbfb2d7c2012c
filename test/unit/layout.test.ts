import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { planLayout, sizeClass, typicalSize, type Layout } from '../../src/generator/index';
import type { ParsedPrompt, Placement, RelationType } from '../../src/parser/types';
import { genevalRule, promptFromParsed, t2iCompbenchPosition, visorRule } from '../../src/evaluate/index';

type Obj = [id: string, noun: string, count?: number | null];
type Rel = [subject: string, relation: RelationType, object: string, object2?: string];

/** Builds a parser record by hand so the planner is tested apart from the parser. */
function prompt(objects: Obj[], relations: Rel[]): ParsedPrompt {
  return {
    text: '',
    objects: objects.map(([id, noun, count]) => ({ id, noun, phrase: noun, count: count === undefined ? 1 : count, attributes: [], placements: [], details: [], span: [0, 0] })),
    relations: relations.map(([subject, relation, object, object2]) => ({ subject, relation, object, ...(object2 ? { object2 } : {}), phrase: relation, span: [0, 0] })),
    scene: [],
    diagnostics: [],
  };
}

function ok(parsed: ParsedPrompt, opts?: Parameters<typeof planLayout>[1]): Layout {
  const r = planLayout(parsed, opts);
  if (!r.ok) assert.fail(`expected a layout, got conflicts: ${r.message}`);
  return r.layout;
}

function box(layout: Layout, id: string) {
  const b = layout.boxes.find((x) => x.id === id);
  assert.ok(b, `no box ${id}`);
  return b;
}

function assertInCanvas(layout: Layout): void {
  for (const b of layout.boxes) {
    assert.ok(b.x >= 0 && b.y >= 0 && b.w > 0 && b.h > 0, `box ${b.id} has a bad origin/size`);
    assert.ok(b.x + b.w <= layout.width && b.y + b.h <= layout.height, `box ${b.id} leaves the canvas`);
  }
}

const DIRECTIONS: RelationType[] = ['left_of', 'right_of', 'above', 'below'];

test('each direction holds under VISOR, GenEval and T2I at once (independently re-checked)', () => {
  for (const rel of DIRECTIONS) {
    const layout = ok(prompt([['a', 'cat'], ['b', 'dog']], [['a', rel, 'b']]));
    const a = box(layout, 'a');
    const b = box(layout, 'b');
    assert.equal(visorRule(rel, a, b), true, rel);
    assert.equal(genevalRule(rel, a, b), true, rel);
    assert.equal(t2iCompbenchPosition(rel, a, b), 1, rel);
    assert.deepEqual(layout.checks, [{ relation: 0, visor: true, t2i: 1, geneval: true, satisfied: true }]);
    assertInCanvas(layout);
  }
});

test('chains, mixed axes and counted instances all pass every rule', () => {
  const cases: Array<[Obj[], Rel[]]> = [
    [[['a', 'cat'], ['b', 'dog'], ['c', 'bird']], [['a', 'left_of', 'b'], ['b', 'left_of', 'c']]],
    [[['a', 'cat'], ['b', 'dog'], ['c', 'bird']], [['a', 'left_of', 'b'], ['c', 'above', 'b']]],
    [[['a', 'cat', 3], ['b', 'dog', 2]], [['a', 'left_of', 'b']]],
    [[['a', 'cat'], ['b', 'dog'], ['c', 'bird'], ['d', 'lamp']], [['a', 'left_of', 'b'], ['c', 'left_of', 'b'], ['d', 'below', 'b']]],
    [[['a', 'cup'], ['b', 'table'], ['c', 'chair']], [['a', 'on', 'b'], ['c', 'right_of', 'b']]],
    [[['a', 'cat'], ['b', 'dog'], ['c', 'bird']], [['a', 'next_to', 'b'], ['c', 'near', 'a']]],
  ];
  for (const [objects, relations] of cases) {
    const layout = ok(prompt(objects, relations));
    assertInCanvas(layout);
    for (const c of layout.checks) {
      assert.equal(c.satisfied, true, `${JSON.stringify(relations[c.relation])}: ${JSON.stringify(c)}`);
      if (c.visor !== null) assert.equal(c.visor, true);
      if (c.t2i !== null) assert.equal(c.t2i, 1);
    }
    // Boxes of different groups never overlap.
    const expected = objects.reduce((s, o) => s + (o[2] ?? 1), 0);
    assert.equal(layout.boxes.length, expected);
  }
});

test('counted instances get #k ids and their own boxes', () => {
  const layout = ok(prompt([['a', 'apple', 3]], []));
  assert.deepEqual(layout.boxes.map((b) => b.id), ['a#1', 'a#2', 'a#3']);
  assertInCanvas(layout);
});

test('on: the load touches the top of its support and overlaps it horizontally', () => {
  const layout = ok(prompt([['a', 'cat'], ['b', 'table']], [['a', 'on', 'b']]));
  const a = box(layout, 'a');
  const b = box(layout, 'b');
  assert.equal(a.y + a.h, b.y);
  assert.ok(a.x >= b.x && a.x + a.w <= b.x + b.w);
  assert.equal(layout.checks[0]!.satisfied, true);
});

test('inside, around, under, in front of and behind are drawn as their words say', () => {
  const inside = ok(prompt([['a', 'cat'], ['b', 'box']], [['a', 'inside', 'b']]));
  const [ia, ib] = [box(inside, 'a'), box(inside, 'b')];
  assert.ok(ia.x >= ib.x && ia.y >= ib.y && ia.x + ia.w <= ib.x + ib.w && ia.y + ia.h <= ib.y + ib.h);
  const around = ok(prompt([['a', 'fence'], ['b', 'tree']], [['a', 'around', 'b']]));
  const [fa, fb] = [box(around, 'a'), box(around, 'b')];
  assert.ok(fb.x >= fa.x && fb.x + fb.w <= fa.x + fa.w);
  const under = ok(prompt([['a', 'cat'], ['b', 'table']], [['a', 'under', 'b']]));
  assert.ok(box(under, 'a').y >= box(under, 'b').y + box(under, 'b').h);
  const front = ok(prompt([['a', 'dog'], ['b', 'car']], [['a', 'in_front_of', 'b']]));
  const [da, db] = [box(front, 'a'), box(front, 'b')];
  assert.ok(da.y + da.h > db.y + db.h, 'front is lower');
  assert.ok(da.w * da.h > db.w * db.h, 'front is larger');
  assert.ok(da.x < db.x + db.w && db.x < da.x + da.w, 'front partly occludes');
  const behind = ok(prompt([['a', 'tree'], ['b', 'house']], [['a', 'behind', 'b']]));
  assert.ok(box(behind, 'a').y < box(behind, 'b').y);
  for (const l of [inside, around, under, front, behind]) {
    assert.equal(l.checks[0]!.satisfied, true, JSON.stringify(l.checks));
    assertInCanvas(l);
  }
});

test('between puts the subject horizontally between the two others', () => {
  const layout = ok(prompt([['a', 'lamp'], ['b', 'sofa'], ['c', 'chair']], [['a', 'between', 'b', 'c']]));
  const cx = (id: string) => box(layout, id).x + box(layout, id).w / 2;
  assert.ok((cx('b') < cx('a') && cx('a') < cx('c')) || (cx('c') < cx('a') && cx('a') < cx('b')));
  assert.equal(layout.checks[0]!.satisfied, true);
});

test('larger_than and smaller_than set the box areas', () => {
  const layout = ok(prompt([['a', 'mouse'], ['b', 'elephant'], ['c', 'cat']], [['a', 'larger_than', 'b'], ['c', 'smaller_than', 'b']]));
  const areaOf = (id: string) => box(layout, id).w * box(layout, id).h;
  assert.ok(areaOf('a') > areaOf('b'));
  assert.ok(areaOf('c') < areaOf('b'));
});

test('far_from puts the objects far apart, near keeps them close', () => {
  const far = ok(prompt([['a', 'cat'], ['b', 'dog']], [['a', 'far_from', 'b']]));
  assert.equal(far.checks[0]!.satisfied, true);
  const dist = Math.abs(box(far, 'a').x - box(far, 'b').x);
  assert.ok(dist >= 0.3 * 768, `far apart: ${dist}`);
});

test('direct contradictions and cycles return the smallest clashing sets', () => {
  const opposed = planLayout(prompt([['a', 'cat'], ['b', 'dog'], ['c', 'tree']], [['c', 'above', 'a'], ['a', 'left_of', 'b'], ['a', 'right_of', 'b']]));
  assert.equal(opposed.ok, false);
  if (!opposed.ok) {
    assert.deepEqual(opposed.conflicts, [[1, 2]]);
    assert.match(opposed.message, /left_of/);
  }
  const cycle = planLayout(
    prompt([['a', 'cat'], ['b', 'dog'], ['c', 'bird']], [['a', 'left_of', 'b'], ['b', 'left_of', 'c'], ['c', 'left_of', 'a']]),
  );
  assert.equal(cycle.ok, false);
  if (!cycle.ok) assert.deepEqual(cycle.conflicts, [[0, 1, 2]]);
  const onUnder = planLayout(prompt([['a', 'cat'], ['b', 'table'], ['c', 'lamp']], [['c', 'left_of', 'b'], ['a', 'on', 'b'], ['a', 'under', 'b']]));
  assert.equal(onUnder.ok, false);
  if (!onUnder.ok) assert.deepEqual(onUnder.conflicts, [[1, 2]]);
});

test('unrelated objects get a tidy grid and explicit placements', () => {
  const layout = ok(prompt([['a', 'cat'], ['b', 'dog'], ['c', 'bird'], ['d', 'lamp']], []));
  assert.deepEqual(layout.placements, { a: 'in the top left corner', b: 'in the top right corner', c: 'in the bottom left corner', d: 'in the bottom right corner' });
  const single = ok(prompt([['a', 'cat']], []));
  assert.equal(single.placements.a, 'in the center');
  assertInCanvas(layout);
});

test('deterministic per seed; the seed can change unordered placement only', () => {
  const p = prompt([['a', 'cat'], ['b', 'dog'], ['c', 'bird'], ['d', 'lamp'], ['e', 'cup']], [['a', 'left_of', 'b']]);
  assert.deepEqual(planLayout(p, { seed: 7 }), planLayout(p, { seed: 7 }));
  const seen = new Set<string>();
  for (let s = 0; s < 20; s++) {
    const l = ok(p, { seed: s });
    assert.ok(box(l, 'a').x < box(l, 'b').x);
    seen.add(JSON.stringify(l.boxes));
  }
  assert.ok(seen.size > 1, 'seeds vary the unordered objects');
});

test('canvas size is honoured and bad sizes are refused with a clear error', () => {
  const layout = ok(prompt([['a', 'cat'], ['b', 'dog']], [['a', 'above', 'b']]), { width: 512, height: 256 });
  assert.equal(layout.width, 512);
  assertInCanvas(layout);
  assert.throws(() => planLayout(prompt([['a', 'cat']], []), { width: -3 }), /width must be/);
});

test('many objects and huge counts stay on the canvas and capped', () => {
  const objs: Obj[] = Array.from({ length: 30 }, (_, i) => [`o${i}`, `thing${i}`, i === 0 ? 1000 : 1]);
  const rels: Rel[] = Array.from({ length: 29 }, (_, i) => [`o${i + 1}`, (['left_of', 'above', 'near', 'on'] as const)[i % 4], `o${i}`]);
  const layout = ok(prompt(objs, rels));
  assertInCanvas(layout);
  assert.ok(layout.boxes.length <= 96);
});

test('property: random relation sets never throw, stay on the canvas, repeat exactly, and report valid conflicts', () => {
  const nouns = ['cat', 'dog', 'table', 'lamp', 'tree', 'cup'];
  const relationTypes: RelationType[] = ['left_of', 'right_of', 'above', 'below', 'on', 'under', 'in_front_of', 'behind', 'next_to', 'near', 'far_from', 'inside', 'outside', 'between', 'around', 'larger_than', 'smaller_than'];
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 6 }),
      fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 6, maxLength: 6 }),
      fc.array(fc.tuple(fc.nat(5), fc.nat(relationTypes.length - 1), fc.nat(5), fc.nat(5)), { maxLength: 8 }),
      fc.nat(1000),
      (nObjects, counts, rels, seed) => {
        const objects: Obj[] = Array.from({ length: nObjects }, (_, i) => [`o${i}`, nouns[i]!, counts[i] === 0 ? null : counts[i]]);
        const relations: Rel[] = rels.map(([s, t, o, o2]) => [`o${s % nObjects}`, relationTypes[t]!, `o${o % nObjects}`, ...(relationTypes[t] === 'between' ? [`o${o2 % nObjects}`] : [])] as Rel);
        const p = prompt(objects, relations);
        const r = planLayout(p, { seed });
        assert.deepEqual(planLayout(p, { seed }), r);
        if (r.ok) {
          assertInCanvas(r.layout);
          assert.equal(r.layout.checks.length, relations.length);
        } else {
          assert.ok(r.conflicts.length > 0 && r.message.length > 0);
          for (const c of r.conflicts) for (const i of c) assert.ok(i >= 0 && i < relations.length);
        }
      },
    ),
    { numRuns: 400, seed: 42 },
  );
});

test('typical sizes and size words scale boxes when no size is stated', () => {
  const withAttrs = (objects: Array<[string, string, string[]]>): ParsedPrompt => {
    const p = prompt(objects.map(([id, noun]) => [id, noun]), [['a', 'left_of', 'b']]);
    p.objects.forEach((o, i) => (o.attributes = objects[i]![2]));
    return p;
  };
  const areaOf = (l: Layout, id: string) => box(l, id).w * box(l, id).h;
  const cupElephant = ok(withAttrs([['a', 'cup', []], ['b', 'elephant', []]]));
  assert.ok(areaOf(cupElephant, 'a') < areaOf(cupElephant, 'b'));
  const tinyBoat = ok(withAttrs([['a', 'boat', ['tiny']], ['b', 'lighthouse', []]]));
  assert.ok(areaOf(tinyBoat, 'a') < areaOf(tinyBoat, 'b'));
  const bigCat = ok(withAttrs([['a', 'cat', ['huge']], ['b', 'dog', []]]));
  assert.ok(areaOf(bigCat, 'a') > areaOf(bigCat, 'b'));
  assert.equal(sizeClass({ noun: 'teddy bear', attributes: [] }), typicalSize('teddy bear'));
  assert.ok(typicalSize('teddy bear') < typicalSize('bear'));
});

test('a plural without a count ("some apples") is drawn as a few instances', () => {
  const p = prompt([['a', 'apple', null], ['b', 'table']], [['a', 'on', 'b']]);
  p.objects[0]!.phrase = 'some apples';
  const layout = ok(p);
  assert.deepEqual(layout.boxes.filter((b) => b.objectId === 'a').map((b) => b.id), ['a#1', 'a#2', 'a#3']);
  assert.equal(layout.checks[0]!.satisfied, true);
  p.objects[0]!.phrase = 'the apple';
  assert.equal(ok(p).boxes.filter((b) => b.objectId === 'a').length, 1);
});

/** `prompt` plus placements per object id, scene elements and details. */
function placedPrompt(objects: Obj[], relations: Rel[], placements: Record<string, Placement[]>, extra: Partial<ParsedPrompt> = {}): ParsedPrompt {
  const p = prompt(objects, relations);
  for (const o of p.objects) o.placements = placements[o.id] ?? [];
  return { ...p, ...extra };
}
const centre = (b: { x: number; y: number; w: number; h: number }, l: Layout): [number, number] => [(b.x + b.w / 2) / l.width, (b.y + b.h / 2) / l.height];

test('sides the prompt gives objects on their own put them in that third of the canvas', () => {
  const lone = ok(placedPrompt([['cat', 'cat']], [], { cat: ['left'] }));
  assert.ok(centre(box(lone, 'cat'), lone)[0] < 1 / 3, JSON.stringify(lone.boxes));
  assert.equal(lone.placements.cat, 'on the left side');
  const four = ok(placedPrompt([['cat', 'cat'], ['dog', 'dog'], ['lamp', 'lamp'], ['bird', 'bird']], [['dog', 'left_of', 'lamp']], { cat: ['right'], bird: ['top'], lamp: ['bottom'] }));
  assert.ok(centre(box(four, 'cat'), four)[0] > 2 / 3, JSON.stringify(four.boxes));
  assert.ok(centre(box(four, 'bird'), four)[1] < 1 / 3, JSON.stringify(four.boxes));
  assert.ok(centre(box(four, 'lamp'), four)[1] > 2 / 3, JSON.stringify(four.boxes));
  assert.ok(four.checks.every((c) => c.satisfied), JSON.stringify(four.checks));
  const middle = ok(placedPrompt([['cat', 'cat'], ['dog', 'dog']], [], { cat: ['center'] }));
  assert.equal(middle.placements.cat, 'in the center');
  assertInCanvas(four);
});

test('a side never overrides a stated relation: the relation holds, the side is a wish', () => {
  // "a dog to the left of a cat; the cat on the left": the cat cannot be leftmost.
  const l = ok(placedPrompt([['dog', 'dog'], ['cat', 'cat']], [['dog', 'left_of', 'cat']], { cat: ['left'] }));
  assert.ok(l.checks.every((c) => c.satisfied));
  assert.ok(box(l, 'dog').x < box(l, 'cat').x);
});

test('background and foreground are depth, not height: behind or in front of the main object, smaller or larger', () => {
  const l = ok(placedPrompt([['frog', 'frog'], ['river', 'river'], ['boat', 'boat']], [], { river: ['background'], boat: ['foreground'] }));
  const frog = box(l, 'frog');
  const river = box(l, 'river');
  const boat = box(l, 'boat');
  // Farther is higher up with its base above the main object's, and smaller.
  assert.ok(river.y + river.h < frog.y + frog.h, JSON.stringify(l.boxes));
  assert.ok(river.w * river.h < frog.w * frog.h);
  assert.ok(boat.y + boat.h > frog.y + frog.h, JSON.stringify(l.boxes));
  assert.equal(l.placements.river, 'in the background');
  assert.equal(l.placements.boat, 'in the foreground');
  assert.ok(!Object.values(l.placements).some((w) => /bottom/.test(w) && w === l.placements.river));
  // A background object that a relation places keeps the relation and is only drawn smaller.
  const related = ok(placedPrompt([['moon', 'moon'], ['city', 'city']], [['moon', 'above', 'city']], { moon: ['background'] }));
  assert.ok(related.checks.every((c) => c.satisfied));
  assert.equal(related.placements.moon, 'in the background');
});

test('scene elements and details are never boxes', () => {
  const p = placedPrompt([['cow', 'cow'], ['tree', 'tree']], [['cow', 'next_to', 'tree']], {}, {
    scene: [
      { kind: 'setting', phrase: 'in a field', span: [0, 0] },
      { kind: 'style', phrase: 'impressionistic painting', span: [0, 0] },
      { kind: 'text', phrase: '"moo"', span: [0, 0] },
    ],
  });
  p.objects[0]!.details = ['wearing a hat'];
  const l = ok(p);
  assert.deepEqual([...new Set(l.boxes.map((b) => b.objectId))], ['cow', 'tree']);
  assert.deepEqual(Object.keys(l.placements).sort(), ['cow', 'tree']);
  const evalPrompt = promptFromParsed('1', p);
  assert.deepEqual(evalPrompt.objects.map((o) => o.noun), ['cow', 'tree']);
});

test('a lone object related vertically to a row of instances sits under (or over) its middle, more above than beside each', () => {
  for (const parsed of [
    prompt([['chameleon', 'chameleon', 2], ['waterfall', 'waterfall']], [['chameleon', 'above', 'waterfall']]),
    prompt([['piano', 'piano'], ['book', 'song book'], ['key', 'key', 3]], [['book', 'above', 'key']]),
    prompt([['bird', 'bird', 20], ['tree', 'tree']], [['bird', 'above', 'tree']]),
  ]) {
    const l = ok(parsed);
    assert.ok(l.checks.every((c) => c.satisfied && c.t2i === 1), JSON.stringify(l.checks));
    assertInCanvas(l);
  }
});
