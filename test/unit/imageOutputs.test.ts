// Image outputs: "Save with overlays" drawing (box outlines in the object colour, score tabs, the
// source image left untouched) and the file names renders get (src/io/outputNames.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createImage } from '../../src/image/index';
import { drawOverlays, PALETTE } from '../../src/image/overlay';
import { identityDifferences, identityDigest, outputStem, renderBaseName } from '../../src/io/outputNames';

const px = (img: { width: number; data: Uint8Array }, x: number, y: number): number[] => [...img.data.subarray((y * img.width + x) * 4, (y * img.width + x) * 4 + 4)];

test('drawOverlays outlines each box in its object colour and leaves the inside and the source alone', () => {
  const src = createImage(320, 320);
  const out = drawOverlays(src, [{ label: 'dog', score: 0.5, x: 40, y: 100, w: 100, h: 80, objectId: 'o2' }], ['o1', 'o2'], false);
  assert.deepEqual(px(out, 40, 120), [...PALETTE[1]!, 255], 'left edge in the second colour');
  assert.deepEqual(px(out, 139, 179), [...PALETTE[1]!, 255], 'bottom-right corner');
  assert.deepEqual(px(out, 90, 140), [0, 0, 0, 0], 'inside untouched');
  assert.deepEqual(px(src, 40, 120), [0, 0, 0, 0], 'source untouched');
});

test('labels draw a tab above the box, as long as the score', () => {
  const out = drawOverlays(createImage(320, 320), [{ label: 'cat', score: 0.5, x: 40, y: 100, w: 100, h: 80, objectId: null }], [], true);
  assert.equal(px(out, 45, 95)[3], 255, 'tab above the box');
  assert.equal(px(out, 85, 95)[3], 255, 'tab reaches half the width');
  assert.equal(px(out, 100, 95)[3], 0, 'and stops there');
  // Boxes at the image edge are clipped, not wrapped.
  const edge = drawOverlays(createImage(50, 50), [{ label: 'cat', score: 1, x: 30, y: 30, w: 40, h: 40, objectId: null }], [], true);
  assert.equal(edge.data.length, 50 * 50 * 4);
});

test('outputStem makes safe, short file-name stems from prompt text', () => {
  assert.equal(outputStem('A cat, to the LEFT of a dog!'), 'a-cat-to-the-left-of-a-dog');
  assert.equal(outputStem('../../etc/passwd'), 'etc-passwd');
  assert.equal(outputStem('日本'), 'render');
  assert.equal(outputStem('Café crème'), 'cafe-creme', 'accents are dropped, not the letters');
  assert.ok(outputStem('x '.repeat(100)).length <= 60);
  assert.ok(!outputStem('x '.repeat(100)).endsWith('-'));
});

test('render names: {stem}-{seed}, _k in a batch; identity and digest come from the settings chunks', () => {
  assert.equal(renderBaseName('cat', 5, 0, 1), 'cat-5');
  assert.equal(renderBaseName('cat', 5, 1, 2), 'cat-5_1');
  const a = { prompt: 'a cat', seed: '5', steps: '25', scheduler: 'ddim', provider: 'cpu', Software: 'SPRIGHT Lens' };
  assert.deepEqual(identityDifferences(a, { ...a, provider: 'cuda' }), [], 'the provider is not part of what was rendered');
  assert.deepEqual(identityDifferences(a, { ...a, steps: '30' }), ['steps "30"']);
  assert.equal(identityDigest(a), identityDigest({ ...a, provider: 'cuda' }));
  assert.notEqual(identityDigest(a), identityDigest({ ...a, steps: '30' }));
  assert.match(identityDigest(a), /^[0-9a-f]{8}$/);
});
