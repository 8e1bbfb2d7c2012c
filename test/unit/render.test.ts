import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readPngText, decodePng } from '../../src/image';
import {
  CUDA_HOWTO,
  GaussianRandom,
  ModelDirError,
  RenderCancelledError,
  RenderParamsError,
  cleanReason,
  float16ToFloat32,
  providerCandidates,
  float32ToFloat16,
  fromHalf,
  loadPipeline,
  toHalf,
  validateModelDir,
} from '../../src/render';
import { loadableCopy, renderTestSetup } from './renderFixture';

const { variant, noFixture, temps, pipelines } = renderTestSetup();

function copy(): string {
  const dir = loadableCopy(variant!);
  temps.push(dir);
  return dir;
}

async function rejectsModelDir(dir: string, file: RegExp, message: RegExp): Promise<void> {
  await assert.rejects(validateModelDir(dir), (e: unknown) => {
    assert.ok(e instanceof ModelDirError, `expected ModelDirError, got ${String(e)}`);
    assert.match(e.file, file);
    assert.match(e.message, message);
    return true;
  });
}

test('bad model folders: each problem is one clear ModelDirError naming file, expected and found', { skip: noFixture }, async () => {
  const missing = copy();
  fs.rmSync(path.join(missing, 'unet', 'model.onnx'));
  await rejectsModelDir(missing, /unet[/\\]model\.onnx$/, /expected the unet ONNX graph; found no such file/);

  const text = copy();
  fs.writeFileSync(path.join(text, 'text_encoder', 'model.onnx'), 'version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 123\n');
  await rejectsModelDir(text, /text_encoder[/\\]model\.onnx$/, /expected an ONNX model \(protobuf\); found a file that is not ONNX/);

  const swapped = copy();
  fs.copyFileSync(path.join(swapped, 'vae_decoder', 'model.onnx'), path.join(swapped, 'unet', 'model.onnx'));
  await rejectsModelDir(swapped, /unet[/\\]model\.onnx$/, /expected graph inputs sample \(float32\|float16, rank 4\), timestep .*; found inputs latent_sample \(float/);

  const noTokenizer = copy();
  fs.rmSync(path.join(noTokenizer, 'tokenizer', 'merges.txt'));
  await rejectsModelDir(noTokenizer, /merges\.txt$/, /expected the CLIP tokenizer file; found no such file/);

  const badJson = copy();
  fs.writeFileSync(path.join(badJson, 'scheduler', 'scheduler_config.json'), '{"beta_start": 0.00085,');
  await rejectsModelDir(badJson, /scheduler_config\.json$/, /found invalid JSON/);

  await rejectsModelDir(path.join(badJson, 'nope'), /nope$/, /found no such folder/);
  // Every message also says how to get a good folder.
  await assert.rejects(validateModelDir(missing), /optimum-cli export onnx/);
});

test('external UNet weights that are missing are named', { skip: noFixture }, async () => {
  const dir = copy();
  const info = await validateModelDir(dir);
  if (info.graphs.unet.externalData.length === 0) return; // this variant keeps its weights inline
  fs.rmSync(path.join(dir, 'unet', info.graphs.unet.externalData[0]!));
  await rejectsModelDir(dir, new RegExp(`${info.graphs.unet.externalData[0]!.replace('.', '\\.')}$`), /external weights that unet\/model\.onnx references; found no such file/);
});

test('CUDA requested where the CUDA build is missing: falls back to CPU and says how to enable it, once', { skip: noFixture }, async () => {
  const warnings: string[] = [];
  const logger = { info: () => undefined, warn: (m: string) => warnings.push(m) };
  const p = await loadPipeline(copy(), { provider: 'cuda', logger });
  pipelines.push(p);
  assert.equal(p.provider, 'cpu');
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /Rendering on CPU \(provider cuda; cuda: the CUDA build of onnxruntime-node is not installed\)/);
  assert.ok(warnings[0]!.includes(CUDA_HOWTO));
  assert.match(warnings[0]!, /npm run gpu:install/);
  const again = await loadPipeline(copy(), { provider: 'cuda', logger });
  pipelines.push(again);
  assert.equal(warnings.length, 1, 'the fallback is told once per process');
});

test('auto with a software Vulkan driver skips WebGPU and renders on CPU, saying why and how to get the GPU', { skip: noFixture }, async () => {
  const saved = process.env.VK_ICD_FILENAMES;
  process.env.VK_ICD_FILENAMES = '/usr/lib/chromium/vk_swiftshader_icd.json';
  try {
    const warnings: string[] = [];
    const p = await loadPipeline(copy(), { provider: 'auto', logger: { info: () => undefined, warn: (m) => warnings.push(m) } });
    pipelines.push(p);
    assert.equal(p.provider, 'cpu');
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /provider auto; cuda: the CUDA build of onnxruntime-node is not installed; webgpu: the Vulkan driver is software \(SwiftShader\)/);
    assert.match(warnings[0]!, /npm run gpu:install/);
  } finally {
    if (saved === undefined) delete process.env.VK_ICD_FILENAMES;
    else process.env.VK_ICD_FILENAMES = saved;
  }
});

test('PNG output carries the render settings; same seed same image, other seed other image', { skip: noFixture }, async () => {
  const p = await loadPipeline(copy(), { provider: 'cpu' });
  pipelines.push(p);
  const params = { prompt: 'a red cube to the left of a blue sphere', negativePrompt: 'blurry', steps: 3, guidanceScale: 5, seed: 42, width: 64, height: 64, scheduler: 'euler_a' as const };
  const a = await p.generate(params);
  const b = await p.generate(params);
  const c = await p.generate({ ...params, seed: 43 });
  assert.deepEqual(a.images[0]!.data, b.images[0]!.data);
  assert.notDeepEqual(a.images[0]!.data, c.images[0]!.data);
  const meta = readPngText(a.png[0]!);
  assert.equal(meta.prompt, params.prompt);
  assert.equal(meta.negative_prompt, 'blurry');
  assert.equal(meta.seed, '42');
  assert.equal(meta.steps, '3');
  assert.equal(meta.guidance, '5');
  assert.equal(meta.scheduler, 'euler_a');
  assert.equal(meta.size, '64x64');
  assert.equal(meta.provider, 'cpu');
  assert.ok(meta.model);
  const decoded = decodePng(a.png[0]!);
  assert.equal(decoded.width, 64);
  assert.deepEqual(decoded.data, a.images[0]!.data);
});

test('cancellation lands within one step; bad parameters are RenderParamsError', { skip: noFixture }, async () => {
  const p = await loadPipeline(copy(), { provider: 'cpu' });
  pipelines.push(p);
  const controller = new AbortController();
  const seen: number[] = [];
  await assert.rejects(
    p.generate({ prompt: 'a cat', steps: 20, guidanceScale: 7.5, seed: 1, width: 64, height: 64 }, {
      signal: controller.signal,
      onStep: (step) => {
        seen.push(step);
        if (step === 2) controller.abort();
      },
    }),
    RenderCancelledError,
  );
  assert.deepEqual(seen, [1, 2]);
  const base = { prompt: 'a cat', steps: 2, guidanceScale: 7.5, seed: 1, width: 64, height: 64 };
  await assert.rejects(p.generate({ ...base, width: 60 }), (e: unknown) => e instanceof RenderParamsError && /width must be a multiple of 8 from 8 to 4096 pixels, got 60/.test((e as Error).message));
  await assert.rejects(p.generate({ ...base, seed: -1 }), /seed must be an integer/);
  await assert.rejects(p.generate({ ...base, steps: 0 }), /steps must be an integer/);
  await assert.rejects(p.generate({ ...base, scheduler: 'plms' as never }), /unknown scheduler 'plms'/);
});

test('provider failure reasons lose onnxruntime source locations; candidates by request', () => {
  assert.equal(
    cleanReason('/onnxruntime_src/core/providers/webgpu/webgpu_context.cc:136 onnxruntime::webgpu::WebGpuContext::Initialize()::<lambda()> adapter_result.status == wgpu::RequestAdapterStatus::Success was false. Failed to get a WebGPU adapter: No supported adapters'),
    'Failed to get a WebGPU adapter: No supported adapters',
  );
  assert.equal(cleanReason('/src/cuda_provider_factory.cc:42 libcudnn.so.9: cannot open shared object file'), 'libcudnn.so.9: cannot open shared object file');
  assert.deepEqual(providerCandidates('auto', true), ['cuda', 'webgpu', 'cpu']);
  assert.deepEqual(providerCandidates('auto', false), ['webgpu', 'cpu']);
  assert.deepEqual(providerCandidates('cuda', false), ['cuda', 'cpu']);
  assert.deepEqual(providerCandidates('cpu', true), ['cpu']);
});

test('GaussianRandom: deterministic per seed, standard normal moments', () => {
  const a = new GaussianRandom(7).gaussian(20000);
  const b = new GaussianRandom(7).gaussian(20000);
  const c = new GaussianRandom(8).gaussian(20000);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  const mean = a.reduce((s, v) => s + v, 0) / a.length;
  const variance = a.reduce((s, v) => s + (v - mean) ** 2, 0) / a.length;
  // Standard error of the mean is 1/sqrt(20000) = 0.007; allow 4 of them.
  assert.ok(Math.abs(mean) < 0.03, `mean ${mean}`);
  assert.ok(Math.abs(variance - 1) < 0.04, `variance ${variance}`);
  assert.throws(() => new GaussianRandom(2 ** 32), /seed must be an integer/);
});

test('float16 codec: exact values, rounding to nearest even, subnormals, overflow', () => {
  assert.equal(toHalf(1), 0x3c00);
  assert.equal(toHalf(-2), 0xc000);
  assert.equal(toHalf(65504), 0x7bff);
  assert.equal(toHalf(65520), 0x7c00); // rounds up to infinity
  assert.equal(toHalf(2 ** -24), 0x0001); // smallest subnormal
  assert.equal(toHalf(2 ** -26), 0x0000); // below half of it: zero
  assert.equal(toHalf(1 + 2 ** -11), 0x3c00); // tie -> even
  assert.equal(toHalf(1 + 3 * 2 ** -11), 0x3c02); // tie -> even (up)
  assert.ok(Number.isNaN(fromHalf(toHalf(NaN))));
  assert.equal(fromHalf(0x3555), 0.333251953125);
  const xs = Float32Array.from([0, 0.1, -3.75, 1234.5, 6e-5, -1e-7]);
  const back = float16ToFloat32(float32ToFloat16(xs));
  xs.forEach((x, i) => assert.ok(Math.abs(back[i]! - x) <= Math.max(Math.abs(x) * 2 ** -11, 2 ** -25), `${x} -> ${back[i]}`));
});
