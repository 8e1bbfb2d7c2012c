/**
 * The embedded NanoDet on real photos (test/fixtures/detect, public domain / CC0): finds the right
 * object in a plausible place. Skips when models/nanodet is absent (run `npm run fetch-models`).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { createDetector, ModelLoadError, type Detector } from '../../src/detect';
import { decodePng, resizeBilinear, type RgbaImage } from '../../src/image';
import type { Detection } from '../../src/protocol/geometry';
import { fixture, repoRoot, sharedData, sharedDataMissing } from './helpers/paths';

const modelsDir = path.join(repoRoot, 'models');
const skip = fs.existsSync(path.join(modelsDir, 'nanodet', 'nanodet.json')) ? false : 'models/nanodet absent: run `npm run fetch-models`';
let detector: Detector;

before(async () => {
  if (!skip) detector = await createDetector({ kind: 'embedded' }, { modelsDir, threads: 1 });
});
after(() => detector?.dispose());

function load(name: string): RgbaImage {
  return decodePng(fs.readFileSync(fixture('detect', name)));
}

function best(ds: Detection[], label: string): Detection {
  const d = ds.find((x) => x.label === label);
  assert.ok(d, `no ${label} among ${JSON.stringify(ds.map((x) => `${x.label} ${x.score.toFixed(2)}`))}`);
  return d;
}

const centre = (d: Detection): [number, number] => [d.x + d.w / 2, d.y + d.h / 2];

test('astronaut: the top detection is a person filling the left two-thirds, full height', { skip }, async () => {
  const ds = await detector.detect(load('astronaut.png'));
  assert.equal(ds[0]!.label, 'person');
  const p = ds[0]!;
  assert.ok(p.score > 0.6, `score ${p.score}`);
  // She spans x ~ 10..185 and the whole height of the 256x256 picture; the helmet (right) is not her.
  assert.ok(p.x < 30 && p.x + p.w > 160 && p.x + p.w < 215, JSON.stringify(p));
  assert.ok(p.y < 30 && p.y + p.h > 220, JSON.stringify(p));
  for (const d of ds) {
    assert.ok(d.x >= 0 && d.y >= 0 && d.x + d.w <= 256 + 1e-6 && d.y + d.h <= 256 + 1e-6, `box outside the image: ${JSON.stringify(d)}`);
  }
});

test('chelsea: the top detection is a cat covering most of the picture', { skip }, async () => {
  const ds = await detector.detect(load('chelsea.png'));
  assert.equal(ds[0]!.label, 'cat', JSON.stringify(ds.slice(0, 3)));
  const c = ds[0]!;
  assert.ok(c.score > 0.4, `score ${c.score}`);
  assert.ok(c.w > 0.7 * 256 && c.h > 0.7 * 170, JSON.stringify(c));
});

test('coffee: cups centred on the cup, one of them tight on the cup body', { skip }, async () => {
  const ds = await detector.detect(load('coffee.png'), { labels: ['cup'], threshold: 0.2 });
  assert.ok(ds.length > 0 && ds.every((d) => d.label === 'cup'), 'the label filter keeps only cups');
  // The cup body is at x ~ 75..175, y ~ 5..125 of the 256x171 picture, on a saucer spanning x ~ 25..205.
  const [cx, cy] = centre(ds[0]!);
  assert.ok(cx > 90 && cx < 165 && cy > 20 && cy < 110, JSON.stringify(ds[0]));
  const tight = ds.find((d) => d.w < 150 && d.h < 140);
  assert.ok(tight, `no box on the cup alone: ${JSON.stringify(ds)}`);
  const [tx, ty] = centre(tight);
  assert.ok(tx > 95 && tx < 155 && ty > 30 && ty < 95, JSON.stringify(tight));
});

test('boxes follow the image: a horizontally mirrored photo gives a mirrored person box', { skip }, async () => {
  const img = load('astronaut.png');
  const mirrored = { width: img.width, height: img.height, data: new Uint8Array(img.data.length) };
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      mirrored.data.set(img.data.subarray((y * img.width + x) * 4, (y * img.width + x) * 4 + 4), (y * img.width + (img.width - 1 - x)) * 4);
    }
  }
  const a = best(await detector.detect(img), 'person');
  const b = best(await detector.detect(mirrored), 'person');
  assert.ok(Math.abs(centre(a)[0] - (256 - centre(b)[0])) < 12, `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
  // And a 2x larger copy gives the same box at twice the scale.
  const big = best(await detector.detect(resizeBilinear(img, 512, 512)), 'person');
  assert.ok(Math.abs(big.x / 2 - a.x) < 8 && Math.abs(big.w / 2 - a.w) < 8, `${JSON.stringify(big)} vs ${JSON.stringify(a)}`);
});

test('threshold and labels: higher threshold keeps a subset; an unknown label finds nothing', { skip }, async () => {
  const img = load('astronaut.png');
  const low = await detector.detect(img, { threshold: 0.2 });
  const high = await detector.detect(img, { threshold: 0.5 });
  assert.ok(low.length > high.length && high.length >= 1);
  assert.ok(high.every((d) => d.score >= 0.5));
  assert.deepEqual(await detector.detect(img, { labels: ['lamp'] }), []);
  assert.ok((await detector.detect(img, { labels: ['woman'] })).every((d) => d.label === 'person'));
});

test('VISOR SD images: a donut is found where the prompt has one', { skip: skip || sharedDataMissing('visor-images', 'stable-diffusion', '2084_1.png') }, async () => {
  const img = decodePng(fs.readFileSync(sharedData('visor-images', 'stable-diffusion', '2084_1.png')));
  const prompt = (JSON.parse(fs.readFileSync(sharedData('sr2d', 'text_spatial_rel_phrases.json'), 'utf8')) as Array<{ unique_id: number; text: string }>).find((r) => r.unique_id === 2084)!;
  assert.match(prompt.text, /donut/);
  const donut = best(await detector.detect(img), 'donut');
  assert.ok(donut.score > 0.5 && donut.w > 30 && donut.w < 110, JSON.stringify(donut));
});

test('a missing model folder says to run npm run fetch-models', async () => {
  await assert.rejects(createDetector({ kind: 'embedded' }, { modelsDir: path.join(repoRoot, 'no-such-models') }), (err: Error) => {
    assert.ok(err instanceof ModelLoadError);
    assert.match(err.message, /no-such-models.*nanodet.*npm run fetch-models/);
    return true;
  });
});
