import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { readPngText } from '../../src/image';
import { CancelledError, WorkerClient, WorkerRequestError, type RenderRequest, type RenderResponse } from '../../src/worker';
import { repoRoot } from './helpers/paths';
import { loadableCopy, tinyVariants } from './renderFixture';

const variant = tinyVariants().includes('vpred-fp32') ? 'vpred-fp32' : tinyVariants()[0];
const skip = variant ? false : 'no test/fixtures/sd-tiny fixtures yet';
let tmp: string;
let model: string;
let client: WorkerClient;
const entries: string[] = [];
const logs: string[] = [];

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'worker-render-'));
  if (!variant) return;
  model = loadableCopy(variant);
  const esbuild = createRequire(path.join(repoRoot, 'package.json'))('esbuild') as typeof import('esbuild');
  // Inside the repo (out/ is ignored) so that the bundle resolves onnxruntime-node from node_modules.
  const entry = path.join(repoRoot, 'out', 'test-worker', `worker-render-${process.pid}.js`);
  entries.push(entry);
  await esbuild.build({ entryPoints: [path.join(repoRoot, 'src/worker/worker.ts')], bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile: entry, external: ['onnxruntime-node'], logLevel: 'warning' });
  client = new WorkerClient({ entry, onLog: (_l, m) => logs.push(m) });
});

after(() => {
  client?.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
  if (model) fs.rmSync(model, { recursive: true, force: true });
  for (const e of entries) fs.rmSync(e, { force: true });
});

function req(extra: Partial<RenderRequest> = {}): RenderRequest {
  return { modelDir: model, provider: 'cpu', prompt: 'a cup above a book', steps: 3, guidanceScale: 7.5, seed: 11, width: 64, height: 64, scheduler: 'dpmpp_2m', outDir: path.join(tmp, 'out'), ...extra };
}

test('render in the worker: per-step progress, PNG files written without overwriting', { skip }, async () => {
  const progress: string[] = [];
  const r = await client.request<RenderResponse>('render', req(), { onProgress: (s, t) => progress.push(`${s}/${t}`) });
  assert.deepEqual(progress, ['1/3', '2/3', '3/3']);
  assert.equal(r.provider, 'cpu');
  assert.equal(r.files?.length, 1);
  assert.equal(readPngText(fs.readFileSync(r.files![0]!)).prompt, 'a cup above a book');
  const again = await client.request<RenderResponse>('render', req());
  assert.notEqual(again.files![0], r.files![0]);
  assert.deepEqual(fs.readFileSync(again.files![0]!), fs.readFileSync(r.files![0]!), 'same seed, same PNG');
  const inline = await client.request<RenderResponse>('render', req({ outDir: undefined, batch: 2 }));
  assert.equal(inline.pngBase64?.length, 2);
  assert.equal(readPngText(Buffer.from(inline.pngBase64![1]!, 'base64')).batch_index, '1');
});

test('a second render in the same worker reuses the loaded sessions; balanced reloads only the text encoder and VAE', { skip }, async () => {
  // A model folder of its own, so that no earlier test's pipeline is already loaded.
  const own = loadableCopy(variant!);
  try {
    const first = await client.request<RenderResponse>('render', req({ modelDir: own, outDir: undefined }));
    assert.equal(first.memory, 'speed', 'the worker keeps one warm pipeline by default');
    assert.equal(first.timings.sessionsLoaded, 3, 'the first render loads text encoder, UNet and VAE');
    const second = await client.request<RenderResponse>('render', req({ modelDir: own, outDir: undefined, seed: 12 }));
    assert.equal(second.timings.sessionsLoaded, 0, 'the second render loads nothing');
    assert.equal(second.timings.loadMs, 0);
    const balanced = await client.request<RenderResponse>('render', req({ modelDir: own, outDir: undefined, memory: 'balanced' }));
    assert.equal(balanced.memory, 'balanced');
    assert.equal(balanced.timings.sessionsLoaded, 3, 'a new memory mode loads a new pipeline: the UNet at load, the text encoder and VAE for the render');
    const again = await client.request<RenderResponse>('render', req({ modelDir: own, outDir: undefined, memory: 'balanced' }));
    assert.equal(again.timings.sessionsLoaded, 2, 'balanced keeps the UNet and loads the text encoder and VAE for each render');
    assert.deepEqual(again.pngBase64, balanced.pngBase64, 'the same image whichever sessions were reloaded');
    assert.ok(again.timings.peakRssBytes > 0);
  } finally {
    fs.rmSync(own, { recursive: true, force: true });
  }
});

test('cancelling a worker render stops it within one step', { skip }, async () => {
  const controller = new AbortController();
  const seen: number[] = [];
  await assert.rejects(
    client.request('render', req({ steps: 200 }), {
      signal: controller.signal,
      onProgress: (s) => {
        seen.push(s);
        if (s === 2) controller.abort();
      },
    }),
    CancelledError,
  );
  // Progress already in flight may still arrive, but the render stops within a step of the abort.
  assert.ok(Math.max(...seen) <= 4, `steps seen after cancel: ${seen.join(',')}`);
});

test('a bad model folder comes back as ModelDirError, and the worker keeps serving', { skip }, async () => {
  await assert.rejects(client.request('render', req({ modelDir: path.join(tmp, 'nope') })), (e: unknown) => e instanceof WorkerRequestError && e.remoteName === 'ModelDirError' && /no such folder/.test(e.message));
  const r = await client.request<RenderResponse>('render', req({ steps: 1 }));
  assert.equal(r.files?.length, 1);
});
