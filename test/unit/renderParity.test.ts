import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { loadPipeline, type Pipeline, type SchedulerConfig } from '../../src/render';
import { loadableCopy, maxAbsDiff, readReference, tensor, tinyVariants } from './renderFixture';

/**
 * Parity with diffusers' StableDiffusionPipeline on the tiny random-weight SD 2.x fixtures, on
 * CPU: the same prompts, schedulers, guidance and (injected) initial latents and ancestral noise
 * must give the same token ids (exactly), text embeddings, latents after every step and image.
 *
 * Tolerances. fp32 graphs: diffusers ran the torch modules, we run their ONNX export; the
 * reference script measured that replay gap itself (onnx_parity: at most ~1e-5 on latents and
 * image), and we measure at most 2e-6 (relative to the tensor's scale; latents reach ~15 at
 * sigma_max) on latents and 8e-6 on the image. We allow 1e-4: fifty times what we see, still
 * ten times below what a 1% change of the guidance scale alone produces (>= 1.4e-3), let alone a
 * wrong sign, sigma or timestep. fp16 graphs: half precision carries ~4.9e-4 relative error per
 * value, compounded over the steps and the VAE; we measure 2.0e-3 on latents and 6.4e-3 on the
 * [0, 1] image and allow 5e-3 and 1.5e-2 (under 4 levels of 8-bit); errors in formulas move
 * values by 1e-1 or more.
 */
const variants = tinyVariants();
const temps: string[] = [];
const pipelines: Pipeline[] = [];

after(async () => {
  for (const p of pipelines) await p.dispose();
  for (const d of temps) fs.rmSync(d, { recursive: true, force: true });
});

function flatIds(ids: number[] | number[][]): number[] {
  return Array.isArray(ids[0]) ? (ids as number[][])[0]! : (ids as number[]);
}

test('sd-tiny fixtures are present', { skip: variants.length ? false : 'no test/fixtures/sd-tiny/*/reference.json yet' }, () => {
  assert.ok(variants.length > 0);
});

for (const variant of variants) {
  const ref = readReference(variant);
  const fp16 = (ref.dtype ?? (variant.includes('fp16') ? 'float16' : 'float32')) === 'float16';
  const rel = fp16 ? 5e-3 : 1e-4;
  const imageTol = fp16 ? 1.5e-2 : 1e-4;
  let pipeline: Pipeline | undefined;
  const get = async (): Promise<Pipeline> => {
    if (!pipeline) {
      const dir = loadableCopy(variant);
      temps.push(dir);
      pipeline = await loadPipeline(dir, { provider: 'cpu' });
      pipelines.push(pipeline);
    }
    return pipeline;
  };
  for (const c of ref.cases) {
    test(`${variant} ${c.name}: ids, embeddings, per-step latents and image match diffusers`, async () => {
      const p = await get();
      const perStep: Float32Array[] = [];
      const steps: number[] = [];
      const outputs: Float32Array[] = [];
      const result = await p.generate(
        {
          prompt: c.prompt,
          negativePrompt: c.negative_prompt ?? undefined,
          steps: c.num_inference_steps,
          guidanceScale: c.guidance_scale,
          seed: c.seed,
          width: ref.width,
          height: ref.height,
          scheduler: c.scheduler,
          schedulerConfig: c.scheduler_config as SchedulerConfig,
          batch: c.num_images_per_prompt ?? 1,
          latents: tensor(c.initial_latents),
          noise: c.noise_per_step?.map(tensor),
        },
        {
          onLatents: (_i, l) => perStep.push(Float32Array.from(l)),
          onModelOutput: (_i, m) => outputs.push(Float32Array.from(m)),
          onStep: (_s, _t, t) => steps.push(t),
        },
      );
      assert.deepEqual([...result.inputIds], flatIds(c.input_ids), 'prompt token ids');
      if (c.uncond_input_ids) assert.deepEqual([...result.uncondInputIds!], flatIds(c.uncond_input_ids), 'negative prompt token ids');
      assert.deepEqual(steps.map(Math.fround), c.timesteps.map(Math.fround), 'timesteps');
      const emb = maxAbsDiff(result.textEmbeddings, tensor(c.text_embeddings));
      assert.ok(emb.diff <= rel * Math.max(1, emb.scale), `text embeddings differ by ${emb.diff}`);
      if (c.uncond_embeddings) {
        const u = maxAbsDiff(result.uncondEmbeddings!, tensor(c.uncond_embeddings));
        assert.ok(u.diff <= rel * Math.max(1, u.scale), `uncond embeddings differ by ${u.diff}`);
      }
      // The guided model output (classifier-free guidance applied) that each scheduler step got.
      // u + g (c - u) multiplies the UNet's error by up to 1 + 2g; in fp16 that error is about two
      // half-precision ulps near 1 (one of its own, one from the latents it was fed, which already
      // differ), so the bound is 9.8e-4 (1 + 2g): 1.6e-2 at g = 7.5 (measured up to 8.6e-3).
      const outTol = fp16 ? 9.8e-4 * (1 + 2 * c.guidance_scale) : rel;
      c.model_output_per_step?.forEach((t, i) => {
        const d = maxAbsDiff(outputs[i]!, tensor(t));
        assert.ok(d.diff <= outTol * Math.max(1, d.scale), `guided model output of step ${i} differs by ${d.diff} (scale ${d.scale.toFixed(3)})`);
      });
      assert.equal(perStep.length, c.latents_per_step.length);
      c.latents_per_step.forEach((t, i) => {
        const d = maxAbsDiff(perStep[i]!, tensor(t));
        assert.ok(d.diff <= rel * Math.max(1, d.scale), `latents after step ${i} differ by ${d.diff} (scale ${d.scale.toFixed(3)})`);
      });
      // reference image is diffusers' output in [0, 1] (output_type "np"), [batch, 3, H, W] or NHWC.
      const want = tensor(c.image);
      const got = c.image.shape[3] === 3 ? nchwToNhwc(result.imageFloat, c.image.shape) : result.imageFloat;
      const img = maxAbsDiff(got, want);
      assert.ok(img.diff <= imageTol, `image differs by ${img.diff}`);
    });
  }
}

function nchwToNhwc(x: Float32Array, nhwc: number[]): Float32Array {
  const [n, h, w] = nhwc as [number, number, number, number];
  const out = new Float32Array(x.length);
  for (let b = 0; b < n; b++)
    for (let ch = 0; ch < 3; ch++)
      for (let k = 0; k < h * w; k++) out[b * h * w * 3 + k * 3 + ch] = x[b * 3 * h * w + ch * h * w + k]!;
  return out;
}
