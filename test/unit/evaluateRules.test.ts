import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  boxCenter,
  boxIou,
  t2iCompbenchIou,
  genevalRelations,
  genevalRule,
  t2iCompbenchImageScore,
  t2iCompbenchPosition,
  visorRule,
} from '../../src/evaluate';
import type { Box } from '../../src/protocol/geometry';

const box = (x: number, y: number, w = 10, h = 10): Box => ({ x, y, w, h });

test('boxIou: disjoint, overlapping, identical, degenerate', () => {
  assert.equal(boxIou(box(0, 0), box(20, 0)), 0);
  // 10x10 overlap of two 20x10 boxes: 100 / (200 + 200 - 100).
  assert.equal(boxIou(box(0, 0, 20, 10), box(10, 0, 20, 10)), 1 / 3);
  assert.equal(boxIou(box(3, 4), box(3, 4)), 1);
  assert.equal(boxIou(box(0, 0, 0, 0), box(0, 0, 0, 0)), 0);
});

test('visorRule: each of the four relations, strict on ties', () => {
  const a = box(0, 0); // centre (5, 5)
  const b = box(20, 0); // centre (25, 5)
  assert.equal(visorRule('left_of', a, b), true);
  assert.equal(visorRule('right_of', a, b), false);
  assert.equal(visorRule('right_of', b, a), true);
  assert.equal(visorRule('left_of', b, a), false);
  // Same y: neither above nor below (strict comparison).
  assert.equal(visorRule('above', a, b), false);
  assert.equal(visorRule('below', a, b), false);
  const low = box(0, 30); // centre (5, 35), y grows downward
  assert.equal(visorRule('above', a, low), true);
  assert.equal(visorRule('below', low, a), true);
  assert.equal(visorRule('below', a, low), false);
  // Same centre: no direction holds.
  assert.equal(visorRule('left_of', a, box(0, 0, 10, 10)), false);
  // VISOR does not score other relations.
  assert.equal(visorRule('next_to', a, b), null);
  assert.equal(visorRule('on', a, b), null);
});

test('t2iCompbenchPosition: left/right with no overlap score 1, wrong side 0', () => {
  const a = box(0, 0); // (5,5)
  const b = box(20, 0); // (25,5): dx = +20
  assert.equal(t2iCompbenchPosition('left_of', a, b), 1);
  assert.equal(t2iCompbenchPosition('right_of', a, b), 0);
  assert.equal(t2iCompbenchPosition('right_of', b, a), 1);
  assert.equal(t2iCompbenchPosition('left_of', b, a), 0);
});

test('t2iCompbenchPosition: overlap at or above IoU 0.1 scores 0.1/IoU', () => {
  // centres (10,5) and (20,5): dx = 10 > 0, IoU = 1/3 -> 0.1 / (1/3) = 0.3
  const s = t2iCompbenchPosition('left_of', box(0, 0, 20, 10), box(10, 0, 20, 10));
  assert.ok(s !== null && Math.abs(s - 0.3) < 1e-12, String(s));
  // Vertical: centres (5,10) and (5,20), IoU 1/3.
  const v = t2iCompbenchPosition('above', box(0, 0, 10, 20), box(0, 10, 10, 20));
  assert.ok(v !== null && Math.abs(v - 0.3) < 1e-12, String(v));
});

test('t2iCompbenchPosition: the dominant axis decides', () => {
  const a = box(0, 0); // (5,5)
  const b = box(10, 30); // (15,35): dx = 10, dy = 30
  assert.equal(t2iCompbenchPosition('left_of', a, b), 0); // right sign, wrong axis
  assert.equal(t2iCompbenchPosition('above', a, b), 1); // dy > 0: B lower, A on top
  assert.equal(t2iCompbenchPosition('below', a, b), 0);
  assert.equal(t2iCompbenchPosition('below', b, a), 1); // dy = -30
  assert.equal(t2iCompbenchPosition('above', b, a), 0);
  // |dx| == |dy|: neither axis dominates, every direction scores 0.
  const d = box(10, 10); // (15,15)
  for (const r of ['left_of', 'right_of', 'above', 'below'] as const) assert.equal(t2iCompbenchPosition(r, a, d), 0);
});

test('t2iCompbenchPosition: next_to / near use the 150 px rule', () => {
  const a = box(0, 0); // (5,5)
  assert.equal(t2iCompbenchPosition('next_to', a, box(300, 100)), 1); // |dy| = 100 < 150
  assert.equal(t2iCompbenchPosition('near', a, box(100, 300)), 1); // |dx| = 100 < 150
  // dx = 400, dy = 305: 150 / 400
  assert.equal(t2iCompbenchPosition('next_to', a, box(400, 305)), 0.375);
  assert.equal(t2iCompbenchPosition('near', a, box(-305, -400)), 0.375);
  // Exactly 150 on both axes is not "< 150": 150/150 = 1 all the same.
  assert.equal(t2iCompbenchPosition('near', a, box(150, 150)), 1);
  assert.equal(t2iCompbenchPosition('on', a, box(0, 20)), null);
  assert.equal(t2iCompbenchPosition('behind', a, box(0, 20)), null);
});

test('t2iCompbenchImageScore: weights, missing objects and the 0.5 floor', () => {
  assert.ok(Math.abs(t2iCompbenchImageScore(0.9, 0.8, 1) - 0.925) < 1e-12);
  assert.ok(Math.abs(t2iCompbenchImageScore(1, 1, 0.3) - 0.65) < 1e-12);
  assert.equal(t2iCompbenchImageScore(0.9, 0.8, 0), 0); // 0.425 < 0.5
  assert.equal(t2iCompbenchImageScore(1, 1, 0), 0.5); // exactly 0.5 stays
  assert.equal(t2iCompbenchImageScore(0.9, null, null), 0); // only A: 0.225
  assert.equal(t2iCompbenchImageScore(null, 1, 1), 0); // position needs both
  assert.equal(t2iCompbenchImageScore(null, null, null), 0);
});

test('genevalRule: clear horizontal and vertical cases', () => {
  const a = box(0, 0); // (5,5)
  const b = box(30, 0); // (35,5): offset (-30, 0), margin 2 -> dx = -28/30
  assert.equal(genevalRule('left_of', a, b), true);
  assert.equal(genevalRule('right_of', a, b), false);
  assert.equal(genevalRule('right_of', b, a), true);
  assert.equal(genevalRule('above', a, b), false);
  assert.equal(genevalRule('below', a, b), false);
  // offset (-8, -40): revised (-6, -38) / 40.79 -> dx -0.147, dy -0.932
  const low = box(8, 40);
  assert.equal(genevalRule('above', a, low), true);
  assert.equal(genevalRule('left_of', a, low), false);
  assert.equal(genevalRule('below', low, a), true);
  assert.equal(genevalRule('right_of', low, a), false);
});

test('genevalRule: margin and normalisation by the raw offset', () => {
  const a = box(0, 0); // (5,5)
  // offset (-3, 0): revised -1, / 3 = -0.333: VISOR says left, GenEval says nothing.
  assert.equal(visorRule('left_of', a, box(3, 0)), true);
  assert.equal(genevalRule('left_of', a, box(3, 0)), false);
  // offset (-1, 0) within the 2 px margin: no relation at all.
  assert.deepEqual([...genevalRelations(a, box(1, 0))], []);
  // Diagonal (-20,-20): revised (-18,-18)/28.28 = -0.636 on both axes: left AND above.
  assert.deepEqual([...genevalRelations(a, box(20, 20))].sort(), ['above', 'left_of']);
  // Bigger boxes widen the margin: 0.1*(40+40) = 8 on an offset of 10 -> 2/10 = 0.2.
  assert.equal(genevalRule('left_of', box(0, 0, 40, 40), box(10, 0, 40, 40)), false);
  assert.equal(genevalRule('next_to', a, box(30, 0)), null);
  assert.equal(genevalRule('on', a, box(0, 30)), null);
});

test('T2I-CompBench: two zero-area boxes have IoU 0 (the reference divides 0 by 0), a deliberate difference', () => {
  const dot = box(5, 5, 0, 0);
  const line = box(40, 5, 0, 10);
  assert.equal(t2iCompbenchIou(dot, line), 0);
  assert.equal(t2iCompbenchPosition('left_of', dot, line), 1);
  assert.equal(t2iCompbenchPosition('right_of', dot, line), 0);
});

test('centres come from the corners, (xmin + xmax) / 2, as every benchmark computes them', () => {
  // Both centres are 0.3 from the corners; x + w / 2 would put A's at 0.30000000000000004, right of B's.
  const a = box(0.1, 0, 0.4, 1);
  const b = box(0.25, 0, 0.1, 1);
  assert.equal(boxCenter(a).x, 0.3);
  assert.equal(boxCenter(b).x, 0.3);
  assert.equal(visorRule('right_of', a, b), false);
  assert.equal(visorRule('left_of', a, b), false);
});
