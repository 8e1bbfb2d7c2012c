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

test('a damaged PNG is described in plain words, never with pngjs internals', () => {
  const img = createImage(64, 64);
  for (let i = 0; i < img.data.length; i++) img.data[i] = (i * 7919) % 251;
  const png = encodePng(img);
  const cases: Array<[Buffer, RegExp]> = [
    [png.subarray(0, Math.floor(png.length * 0.6)), /^truncated PNG \(the file ends before its image data does\); render, copy or save it again$/],
    [png.subarray(0, png.length - 12), /^truncated PNG/],
  ];
  // A flipped byte inside the image data: the chunk's checksum no longer matches.
  const flipped = Buffer.from(png);
  flipped[60] ^= 0xff;
  cases.push([flipped, /^corrupt PNG \(a chunk's checksum does not match its data\); render, copy or save it again$/]);
  for (const [bytes, why] of cases) {
    assert.throws(
      () => decodePng(bytes),
      (e: Error) => e instanceof ImageFormatError && why.test(e.message) && !/waitng|stream|zlib|inflate/i.test(e.message),
    );
  }
});
