/** Method `detect`: parameter checks, file and base64 input, detector reuse and replacement. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { ServiceRequestError } from '../../src/service';
import { InProcessService } from '../../src/service/inProcess';
import type { DetectParams } from '../../src/protocol/service';
import { fixture, repoRoot } from './helpers/paths';

const service = new InProcessService();
after(() => service.dispose());
const detect = (params: unknown) => service.call('detect', params as DetectParams);
const skip = fs.existsSync(path.join(repoRoot, 'models', 'nanodet', 'nanodet.json')) ? false : 'models/nanodet absent: run `npm run fetch-models`';

test('detect rejects malformed params with the field named', async () => {
  const fails = (params: unknown, re: RegExp) => assert.rejects(detect(params), (e: unknown) => e instanceof ServiceRequestError && e.remoteName === 'TypeError' && re.test(e.message));
  await fails(null, /params must be an object/);
  await fails({ detector: { kind: 'embedded' } }, /exactly one of 'imagePath'.*'pngBase64'/);
  await fails({ imagePath: 'a.png', pngBase64: 'x', detector: { kind: 'embedded' } }, /exactly one of/);
  await fails({ imagePath: 'a.png', detector: { kind: 'yolo' } }, /'detector' must be/);
  await fails({ imagePath: 'a.png', detector: { kind: 'owlvit' } }, /'detector' must be/);
  await fails({ imagePath: 'a.png', detector: { kind: 'embedded' }, threshold: 3 }, /'threshold' must be a number from 0 to 1/);
  await fails({ imagePath: 'a.png', detector: { kind: 'embedded' }, labels: 'cat' }, /'labels' must be an array of strings/);
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
  const params = { imagePath: fixture('detect', 'chelsea.png'), detector: { kind: 'embedded' }, modelsDir: bogus };
  await assert.rejects(detect(params), (e: unknown) => e instanceof ServiceRequestError && e.remoteName === 'ModelLoadError' && /npm run fetch-models/.test(e.message));
  await assert.rejects(detect(params), /npm run fetch-models/);
});
