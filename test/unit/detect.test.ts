/** Detection core without a model: label mapping, NMS, NanoDet input layout and output decoding. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { test } from 'node:test';
import { COCO_LABELS, iou, mapToDetectorLabel, nmsPerClass } from '../../src/detect';
import { parseDetectorSpec } from '../../src/cli/args';
import { classFilter, decodeNanoDet, nanoDetInput, type NanoDetLevel } from '../../src/detect/nanodet';
import { createImage } from '../../src/image';
import { sharedData, sharedDataMissing } from './helpers/paths';

test('COCO vocabulary: 80 unique classes in model order', () => {
  assert.equal(COCO_LABELS.length, 80);
  assert.equal(new Set(COCO_LABELS).size, 80);
  assert.equal(COCO_LABELS[0], 'person');
  assert.equal(COCO_LABELS[15], 'cat');
  assert.equal(COCO_LABELS[41], 'cup');
  assert.equal(COCO_LABELS[79], 'toothbrush');
});

test('mapToDetectorLabel: COCO synonyms', () => {
  const cases: Array<[string, string]> = [
    ['sofa', 'couch'], ['television', 'tv'], ['tv set', 'tv'], ['man', 'person'], ['woman', 'person'],
    ['girl', 'person'], ['boy', 'person'], ['child', 'person'], ['people', 'person'], ['kid', 'person'],
    ['motorbike', 'motorcycle'], ['aeroplane', 'airplane'], ['plane', 'airplane'], ['mobile phone', 'cell phone'],
    ['phone', 'cell phone'], ['smartphone', 'cell phone'], ['laptop computer', 'laptop'], ['doughnut', 'donut'],
    ['hydrant', 'fire hydrant'], ['fridge', 'refrigerator'], ['table', 'dining table'], ['mug', 'cup'],
  ];
  for (const [noun, label] of cases) assert.equal(mapToDetectorLabel(noun, COCO_LABELS), label, noun);
});

test('mapToDetectorLabel: exact names, plurals, articles, case and multi-word heads', () => {
  assert.equal(mapToDetectorLabel('dining table', COCO_LABELS), 'dining table');
  assert.equal(mapToDetectorLabel('skis', COCO_LABELS), 'skis');
  assert.equal(mapToDetectorLabel('scissors', COCO_LABELS), 'scissors');
  assert.equal(mapToDetectorLabel('Dogs', COCO_LABELS), 'dog');
  assert.equal(mapToDetectorLabel('two benches', COCO_LABELS), 'bench');
  assert.equal(mapToDetectorLabel('knives', COCO_LABELS), 'knife');
  assert.equal(mapToDetectorLabel('the women', COCO_LABELS), 'person');
  assert.equal(mapToDetectorLabel('buses', COCO_LABELS), 'bus');
  assert.equal(mapToDetectorLabel('a red car', COCO_LABELS), 'car');
  assert.equal(mapToDetectorLabel('wooden dining tables', COCO_LABELS), 'dining table');
  // The longest known ending wins: not "dog" or "bear".
  assert.equal(mapToDetectorLabel('hot dogs', COCO_LABELS), 'hot dog');
  assert.equal(mapToDetectorLabel('teddy bear', COCO_LABELS), 'teddy bear');
});

test('mapToDetectorLabel: unknown to COCO is null, ambiguous words are not guessed', () => {
  for (const noun of ['lamp', 'tree', 'glass', 'bat', 'snowman', 'cat toy', '', '  ']) {
    assert.equal(mapToDetectorLabel(noun, COCO_LABELS), null, noun);
  }
});

test('mapToDetectorLabel: open vocabulary keeps the normalized noun', () => {
  assert.equal(mapToDetectorLabel('  A Lamp ', null), 'lamp');
  assert.equal(mapToDetectorLabel('sofa', null), 'sofa');
  assert.equal(mapToDetectorLabel('', null), null);
});

test('classFilter maps prompt nouns to class indices and drops unknown ones', () => {
  assert.equal(classFilter(undefined, COCO_LABELS), null);
  assert.deepEqual([...classFilter(['sofa', 'woman', 'lamp'], COCO_LABELS)!].sort((a, b) => a - b), [0, 57]);
});

test('iou and per-class NMS', () => {
  assert.equal(iou({ x: 0, y: 0, w: 10, h: 10 }, { x: 5, y: 0, w: 10, h: 10 }), 50 / 150);
  assert.equal(iou({ x: 0, y: 0, w: 10, h: 10 }, { x: 20, y: 0, w: 5, h: 5 }), 0);
  const kept = nmsPerClass([
    { label: 'cat', score: 0.6, x: 1, y: 0, w: 10, h: 10 },
    { label: 'cat', score: 0.9, x: 0, y: 0, w: 10, h: 10 },
    { label: 'dog', score: 0.5, x: 0, y: 0, w: 10, h: 10 },
    { label: 'cat', score: 0.4, x: 50, y: 50, w: 10, h: 10 },
  ]);
  assert.deepEqual(kept.map((d) => [d.label, d.score]), [['cat', 0.9], ['dog', 0.5], ['cat', 0.4]]);
  assert.equal(nmsPerClass(kept, 0.5, 2).length, 2);
});

test('nanoDetInput letterboxes, centres, pads black and lays out normalized BGR planes', () => {
  const img = createImage(200, 100);
  for (let i = 0; i < 200 * 100; i++) img.data.set([200, 100, 50, 255], i * 4);
  const { data, transform } = nanoDetInput(img);
  assert.deepEqual(transform, { scaleX: 416 / 200, scaleY: 208 / 100, padX: 0, padY: 104 });
  const P = 416 * 416;
  const at = (c: number, y: number, x: number): number => data[c * P + y * 416 + x]!;
  // Inside: B, G, R planes.
  assert.ok(Math.abs(at(0, 208, 208) - (50 - 103.53) / 57.375) < 1e-5);
  assert.ok(Math.abs(at(1, 208, 208) - (100 - 116.28) / 57.12) < 1e-5);
  assert.ok(Math.abs(at(2, 208, 208) - (200 - 123.675) / 58.395) < 1e-5);
  // Padding rows above and below are black (0) before normalization.
  assert.ok(Math.abs(at(2, 10, 5) - -123.675 / 58.395) < 1e-5);
  assert.ok(Math.abs(at(0, 415, 5) - -103.53 / 57.375) < 1e-5);
  assert.ok(Math.abs(at(0, 103, 5) - -103.53 / 57.375) < 1e-5);
  assert.ok(Math.abs(at(0, 104, 5) - (50 - 103.53) / 57.375) < 1e-5);
});

/** One stride-32 level (13x13 anchors) with a single scored anchor whose sides peak at given bins. */
function level32(anchor: number, cls: number, score: number, bins: [number, number, number, number]): NanoDetLevel {
  const n = 13 * 13;
  const scores = new Float32Array(n * 80);
  const boxes = new Float32Array(n * 44);
  scores[anchor * 80 + cls] = score;
  bins.forEach((b, side) => {
    boxes[anchor * 44 + side * 11 + b] = 60; // softmax ~ one-hot at bin b
  });
  return { stride: 32, scores, boxes };
}

test('decodeNanoDet: centre (col+0.5)*stride, sides = expected bin x stride, mapped back through the letterbox', () => {
  const anchor = 2 * 13 + 3; // row 2, col 3 -> centre (112, 80)
  const identity = { scaleX: 1, scaleY: 1, padX: 0, padY: 0 };
  const [d] = decodeNanoDet([level32(anchor, 15, 0.8, [2, 1, 3, 4])], { threshold: 0.3, classes: null, transform: identity, imageWidth: 416, imageHeight: 416 });
  assert.equal(d!.label, 'cat');
  assert.ok(Math.abs(d!.score - 0.8) < 1e-6);
  const close = (a: number, b: number): boolean => Math.abs(a - b) < 1e-3;
  assert.ok(close(d!.x, 112 - 64) && close(d!.y, 80 - 32) && close(d!.w, 64 + 96) && close(d!.h, 32 + 128), JSON.stringify(d));
  // The same outputs for a 200x100 image letterboxed to 416x208 at padY 104.
  const lb = { scaleX: 416 / 200, scaleY: 208 / 100, padX: 0, padY: 104 };
  const [e] = decodeNanoDet([level32(13 * 6 + 6, 15, 0.8, [1, 1, 1, 1])], { threshold: 0.3, classes: null, transform: lb, imageWidth: 200, imageHeight: 100 });
  // centre (208, 208) in input -> (100, 50) in the image; half sides 32 px -> 32/2.08 = 15.38.
  assert.ok(close(e!.x, 100 - 32 / 2.08) && close(e!.y, 50 - 32 / 2.08) && close(e!.w, 64 / 2.08), JSON.stringify(e));
});

test('decodeNanoDet: threshold, class filter, clipping, and a two-bin tie averaging to 1.5 bins', () => {
  const identity = { scaleX: 1, scaleY: 1, padX: 0, padY: 0 };
  const lvl = level32(0, 2, 0.25, [5, 5, 5, 5]);
  const opts = { threshold: 0.3, classes: null, transform: identity, imageWidth: 416, imageHeight: 416 };
  assert.equal(decodeNanoDet([lvl], opts).length, 0);
  const low = decodeNanoDet([lvl], { ...opts, threshold: 0.2 });
  assert.equal(low.length, 1);
  // Anchor 0 centre (16,16), sides 160 px: clipped to the image on the top-left.
  assert.deepEqual([low[0]!.x, low[0]!.y, low[0]!.w, low[0]!.h].map(Math.round), [0, 0, 176, 176]);
  assert.equal(decodeNanoDet([lvl], { ...opts, threshold: 0.2, classes: new Set([0]) }).length, 0);
  const tie = level32(5 * 13 + 5, 0, 0.9, [0, 0, 0, 0]);
  for (let side = 0; side < 4; side++) {
    tie.boxes[(5 * 13 + 5) * 44 + side * 11 + 1] = 60;
    tie.boxes[(5 * 13 + 5) * 44 + side * 11 + 2] = 60;
    tie.boxes[(5 * 13 + 5) * 44 + side * 11 + 0] = 0;
  }
  const [t] = decodeNanoDet([tie], opts);
  assert.ok(Math.abs(t!.w - 2 * 1.5 * 32) < 1e-3, JSON.stringify(t));
});

test('parseDetectorSpec: embedded, owlvit:DIR resolved against cwd, anything else rejected', () => {
  assert.deepEqual(parseDetectorSpec('embedded', '/w'), { kind: 'embedded' });
  assert.deepEqual(parseDetectorSpec('owlvit:models/owl', '/w'), { kind: 'owlvit', modelDir: '/w/models/owl' });
  assert.throws(() => parseDetectorSpec('yolo', '/w'), /unknown detector 'yolo'.*owlvit:DIR/);
  assert.throws(() => parseDetectorSpec('owlvit:', '/w'), /unknown detector/);
});

test('every SR2D object name (VISOR) is a COCO label and maps to itself', { skip: sharedDataMissing('sr2d', 'text_spatial_rel_phrases.json') }, () => {
  const records = JSON.parse(fs.readFileSync(sharedData('sr2d', 'text_spatial_rel_phrases.json'), 'utf8')) as Array<{ obj_1_attributes?: unknown[] | null; obj_2_attributes?: unknown[] | null }>;
  const names = new Set(records.flatMap((r) => [r.obj_1_attributes?.[0], r.obj_2_attributes?.[0]]).filter((n): n is string => typeof n === 'string' && n !== ''));
  assert.equal(names.size, 80);
  for (const n of names) assert.equal(mapToDetectorLabel(n, COCO_LABELS), n);
});
