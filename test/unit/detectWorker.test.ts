/** Worker method `detect`: parameter checks, file and base64 input, detector reuse and replacement. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { handlers, type HandlerContext } from '../../src/worker/handlers';
import type { DetectResponse } from '../../src/worker/detectHandler';
import { fixture, repoRoot } from './helpers/paths';

const ctx: HandlerContext = { signal: new AbortController().signal, progress: () => undefined, log: () => undefined };
const detect = (params: unknown): Promise<DetectResponse> => handlers.detect!()(params, ctx) as Promise<DetectResponse>;
const skip = fs.existsSync(path.join(repoRoot, 'models', 'nanodet', 'nanodet.json')) ? false : 'models/nanodet absent: run `npm run fetch-models`';

test('detect is registered and rejects malformed params with the field named', async () => {
  assert.equal(typeof handlers.detect, 'function');
  await assert.rejects(detect(null), /params must be an object/);
  await assert.rejects(detect({ detector: { kind: 'embedded' } }), /exactly one of 'imagePath'.*'pngBase64'/);
  await assert.rejects(detect({ imagePath: 'a.png', pngBase64: 'x', detector: { kind: 'embedded' } }), /exactly one of/);
  await assert.rejects(detect({ imagePath: 'a.png', detector: { kind: 'yolo' } }), /'detector' must be/);
  await assert.rejects(detect({ imagePath: 'a.png', detector: { kind: 'owlvit' } }), /'detector' must be/);
  await assert.rejects(detect({ imagePath: 'a.png', detector: { kind: 'embedded' }, threshold: 3 }), /'threshold' must be a number from 0 to 1/);
  await assert.rejects(detect({ imagePath: 'a.png', detector: { kind: 'embedded' }, labels: 'cat' }), /'labels' must be an array of strings/);
});

test('file and base64 inputs give the same boxes; vocabulary and size come back', { skip }, async () => {
  const file = fixture('detect', 'chelsea.png');
  const a = await detect({ imagePath: file, detector: { kind: 'embedded' }, labels: ['cat'] });
  const b = await detect({ pngBase64: fs.readFileSync(file).toString('base64'), detector: { kind: 'embedded' }, labels: ['cat'] });
  assert.deepEqual(a, b);
  assert.equal(a.width, 256);
  assert.equal(a.height, 170);
  assert.equal(a.vocabulary?.length, 80);
  assert.equal(a.detections[0]?.label, 'cat');
});

test('a missing model is reported and retried on the next request', async () => {
  const bogus = path.join(repoRoot, 'no-such-models-dir');
  await assert.rejects(detect({ imagePath: fixture('detect', 'chelsea.png'), detector: { kind: 'embedded' }, modelsDir: bogus }), /npm run fetch-models/);
  await assert.rejects(detect({ imagePath: fixture('detect', 'chelsea.png'), detector: { kind: 'embedded' }, modelsDir: bogus }), /npm run fetch-models/);
});
