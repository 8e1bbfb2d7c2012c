import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createImage, decodePng, encodePng, readPngText, resizeBilinear, ImageFormatError, crc32 } from '../../src/image';

test('PNG round-trips pixels and text chunks, including non-Latin-1 text', () => {
  const img = createImage(3, 2);
  for (let i = 0; i < img.data.length; i++) img.data[i] = (i * 37) % 256;
  const png = encodePng(img, { prompt: 'a cat to the left of a dog', note: 'café ☕ 猫' });
  const back = decodePng(png);
  assert.equal(back.width, 3);
  assert.equal(back.height, 2);
  assert.deepEqual(Array.from(back.data), Array.from(img.data));
  assert.deepEqual(readPngText(png), { prompt: 'a cat to the left of a dog', note: 'café ☕ 猫' });
});

test('decodePng rejects non-PNG and truncated bytes with ImageFormatError', () => {
  assert.throws(() => decodePng(Buffer.from('hello world, not a png')), ImageFormatError);
  const png = encodePng(createImage(4, 4));
  assert.throws(() => decodePng(png.subarray(0, 30)), ImageFormatError);
});

test('crc32 matches the published check value', () => {
  assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
});

test('resizeBilinear keeps a flat colour flat and hits the requested size', () => {
  const img = createImage(10, 6);
  img.data.fill(200);
  const r = resizeBilinear(img, 4, 9);
  assert.equal(r.width, 4);
  assert.equal(r.height, 9);
  assert.ok(r.data.every((v) => v === 200));
});
