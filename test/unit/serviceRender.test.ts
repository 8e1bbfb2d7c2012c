/** `render` and `model/check` in the inference service, on the tiny fixture model. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readPngText } from '../../src/image';
import { CancelledError, ForkedService, ServiceRequestError } from '../../src/service';
import { InProcessService } from '../../src/service/inProcess';
import type { RenderParams } from '../../src/protocol/service';
import { serviceBundle } from './helpers/service';
import { loadableCopy, tinyVariants } from './renderFixture';

const variant = tinyVariants().includes('vpred-fp32') ? 'vpred-fp32' : tinyVariants()[0];
const skip = variant ? false : 'no test/fixtures/sd-tiny fixtures yet';
let tmp: string;
let model: string;
let forked: ForkedService;
let local: InProcessService;
const logs: string[] = [];

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'service-render-'));
  if (!variant) return;
  model = loadableCopy(variant);
  forked = new ForkedService({ entry: await serviceBundle(), onLog: (_l, m) => logs.push(m) });
  local = new InProcessService();
});

after(() => {
  forked?.dispose();
  local?.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
  if (model) fs.rmSync(model, { recursive: true, force: true });
});

function req(extra: Partial<RenderParams> = {}): RenderParams {
  return { modelDir: model, provider: 'cpu', prompt: 'a cup above a book', steps: 3, guidanceScale: 7.5, seed: 11, width: 64, height: 64, scheduler: 'dpmpp_2m', output: { dir: path.join(tmp, 'out'), stem: 'a-cup-above-a-book' }, ...extra };
}

test('render: phases and steps in order, the PNG written by the service under {stem}-{seed}.png', { skip }, async () => {
  const progress: string[] = [];
  const r = await forked.call('render', req(), { onProgress: (e) => progress.push(`${e.phase} ${e.step}/${e.total}`) });
  assert.deepEqual(progress, ['loading 0/3', 'encoding 0/3', 'denoising 1/3', 'denoising 2/3', 'decoding 3/3', 'saving 3/3']);
  assert.equal(r.provider, 'cpu');
  assert.deepEqual([r.width, r.height], [64, 64]);
  assert.equal(r.files.length, 1);
  assert.equal(r.files[0]!.path, path.join(tmp, 'out', 'a-cup-above-a-book-11.png'));
  assert.equal(r.files[0]!.replaced, false);
  assert.equal(readPngText(fs.readFileSync(r.files[0]!.path)).prompt, 'a cup above a book');
});

test('render names: the same render replaces its file, another render keeps it and gets a digest name, a batch gets _k', { skip }, async () => {
  const out = path.join(tmp, 'names');
  const first = await forked.call('render', req({ output: { dir: out, stem: 'cup' } }));
  const bytes = fs.readFileSync(first.files[0]!.path);
  const again = await forked.call('render', req({ output: { dir: out, stem: 'cup' } }));
  assert.equal(again.files[0]!.path, first.files[0]!.path, 'the same settings give the same name');
  assert.equal(again.files[0]!.replaced, true);
  assert.deepEqual(fs.readFileSync(again.files[0]!.path), bytes, 'and the same bytes');

  const other = await forked.call('render', req({ steps: 2, output: { dir: out, stem: 'cup' } }));
  const f = other.files[0]!;
  assert.match(path.basename(f.path), /^cup-11-[0-9a-f]{8}\.png$/);
  assert.deepEqual(f.kept, { path: first.files[0]!.path, differs: ['steps "3"'] });
  assert.deepEqual(fs.readFileSync(first.files[0]!.path), bytes, 'the other render is kept');
  const otherAgain = await forked.call('render', req({ steps: 2, output: { dir: out, stem: 'cup' } }));
  assert.equal(otherAgain.files[0]!.path, f.path, 'the digest name is deterministic too');

  const batch = await forked.call('render', req({ batch: 2, steps: 1, output: { dir: out, stem: 'pair' } }));
  assert.deepEqual(batch.files.map((x) => path.basename(x.path)), ['pair-11_0.png', 'pair-11_1.png']);
  assert.equal(readPngText(fs.readFileSync(batch.files[1]!.path)).batch_index, '1');

  const exact = await forked.call('render', req({ steps: 1, output: { files: [path.join(out, 'sub', 'x_0.png')] } }));
  assert.equal(exact.files[0]!.path, path.join(out, 'sub', 'x_0.png'));
  await assert.rejects(forked.call('render', req({ batch: 2, output: { files: ['one.png'] } })), /one file per image \(2\), got 1/);
});

test('cancelling a render stops it within one step of where the service saw the cancel', { skip }, async () => {
  const controller = new AbortController();
  const err = await forked
    .call('render', req({ steps: 200 }), { signal: controller.signal, onProgress: (e) => e.step === 2 && controller.abort() })
    .then(() => assert.fail('the render finished although it was cancelled'), (e: unknown) => e);
  assert.ok(err instanceof CancelledError, String(err));
  const { stepAtCancel, lastStep } = err.report;
  assert.ok(stepAtCancel !== null && stepAtCancel >= 2, JSON.stringify(err.report));
  assert.ok(lastStep !== null && lastStep - stepAtCancel <= 1, `ran past the cancel: ${JSON.stringify(err.report)}`);
});

test('model/check answers ok with the model defaults, or the problem; a bad folder fails render with ModelDirError', { skip }, async () => {
  const ok = await forked.call('model/check', { modelDir: model });
  assert.ok(ok.ok);
  assert.equal(ok.dir, path.resolve(model));
  assert.deepEqual(ok.defaultSize, { width: 64, height: 64 });
  assert.match(ok.identity, /^[0-9a-f]{20}$/);
  const again = await forked.call('model/check', { modelDir: model });
  assert.equal(again.ok ? again.identity : null, ok.identity, 'the identity is stable');
  const bad = await forked.call('model/check', { modelDir: path.join(tmp, 'nope') });
  assert.equal(bad.ok, false);
  assert.match(bad.ok ? '' : bad.problem, /nope: expected a Stable Diffusion ONNX model folder; found no such folder/);
  await assert.rejects(forked.call('render', req({ modelDir: path.join(tmp, 'nope') })), (e: unknown) => e instanceof ServiceRequestError && e.remoteName === 'ModelDirError' && /no such folder/.test(e.message));
  const r = await forked.call('render', req({ steps: 1, width: undefined, height: undefined, output: { dir: path.join(tmp, 'default-size'), stem: 's' } }));
  assert.deepEqual([r.width, r.height], [64, 64], 'no size: the model default');
});

test('the forked and the in-process service write byte-identical PNGs for the same params', { skip }, async () => {
  const a = await forked.call('render', req({ steps: 2, output: { dir: path.join(tmp, 'forked'), stem: 'same' } }));
  const b = await local.call('render', req({ steps: 2, output: { dir: path.join(tmp, 'local'), stem: 'same' } }));
  assert.deepEqual(fs.readFileSync(b.files[0]!.path), fs.readFileSync(a.files[0]!.path));
});
