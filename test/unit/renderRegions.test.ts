import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { readPngText } from '../../src/image';
import type { RegionGuide } from '../../src/protocol/regions';
import {
  ModelDirError,
  RenderCancelledError,
  RenderParamsError,
  SCHEDULER_NAMES,
  loadPipeline,
  regionMasks,
  type Pipeline,
  type SchedulerConfig,
} from '../../src/render';
import { maxAbsDiff, tensor, tinyVariants } from './renderFixture';
import { regionCases, regionModelCopy, type RegionCase } from './regionFixture';

/**
 * Region-guided sampling against tools/parity/region_reference.py, the same algorithm on diffusers'
 * torch modules and schedulers (records in test/fixtures/sd-tiny-regions), for every scheduler,
 * fp32 and fp16 graphs, both timestep dtypes, and a UNet with a fixed batch axis (one run per
 * prompt) as well as a dynamic one (one batched run per step).
 *
 * Tolerances are the plain pipeline's (renderParity.test.ts): fp32 1e-4 relative to the tensor's
 * scale (the reference script's onnxruntime replay lands 3e-6 to 2e-5 from torch, see
 * summary.json); fp16 5e-3 on latents. The initial latents, the ancestral noise and the
 * bootstrapping colours and picks are the reference's, injected.
 */
const cases = regionCases();
const temps: string[] = [];
const pipelines = new Map<string, Pipeline>();
const dynamicRuns = new Map<string, Awaited<ReturnType<typeof run>>>();

after(async () => {
  for (const p of pipelines.values()) await p.dispose();
  for (const d of temps) fs.rmSync(d, { recursive: true, force: true });
});

async function pipelineFor(variant: string, staticBatch: boolean): Promise<Pipeline> {
  const key = `${variant}${staticBatch ? ':static' : ''}`;
  let p = pipelines.get(key);
  if (!p) {
    const dir = regionModelCopy(variant, { staticBatch });
    temps.push(dir);
    p = await loadPipeline(dir, { provider: 'cpu' });
    pipelines.set(key, p);
  }
  return p;
}

async function run(
  p: Pipeline,
  c: RegionCase,
): Promise<{ latents: Float32Array[]; outputs: Float32Array[]; timesteps: number[] }> {
  const latents: Float32Array[] = [];
  const outputs: Float32Array[] = [];
  const timesteps: number[] = [];
  await p.generate(
    {
      prompt: c.background,
      negativePrompt: c.negative_prompt ?? undefined,
      steps: c.num_inference_steps,
      guidanceScale: c.guidance_scale,
      seed: 0,
      width: c.width,
      height: c.height,
      scheduler: c.scheduler,
      schedulerConfig: c.scheduler_config as SchedulerConfig,
      batch: c.num_images_per_prompt,
      latents: tensor(c.initial_latents),
      noise: c.noise_per_step?.map(tensor),
      regions: {
        background: c.background,
        regions: c.regions,
        bootstrapSteps: c.bootstrap_steps,
        maskSoftness: c.mask_softness,
      },
      bootstrapDraws: { colours: Float32Array.from(c.colours.flat()), picks: Int32Array.from(c.picks.flat()) },
    },
    {
      onLatents: (_i, l) => latents.push(Float32Array.from(l)),
      onModelOutput: (_i, m) => outputs.push(Float32Array.from(m)),
      onStep: (_s, _n, t) => timesteps.push(t),
    },
  );
  return { latents, outputs, timesteps };
}

test(
  'sd-tiny-regions reference records are present',
  { skip: cases.length ? false : 'no test/fixtures/sd-tiny-regions/reference' },
  () => {
    const schedulers = new Set(cases.filter((c) => c.variant.endsWith('fp32')).map((c) => c.scheduler));
    assert.deepEqual([...schedulers].sort(), ['ddim', 'dpmpp_2m', 'euler', 'euler_a']);
  },
);

for (const c of cases) {
  const fp16 = c.variant.includes('fp16');
  const rel = fp16 ? 5e-3 : 1e-4;
  // CFG multiplies the UNet's error by up to 1 + 2g (see renderParity.test.ts).
  const outTol = fp16 ? 9.8e-4 * (1 + 2 * c.guidance_scale) : rel;

  test(`${c.variant} ${c.name}: masks and weights match the reference`, () => {
    const [, h, w] = c.masks.shape as [number, number, number];
    const m = regionMasks(
      c.regions.map((r) => r.box),
      w,
      h,
      c.mask_softness,
    );
    const want = tensor(c.masks);
    const got = new Float32Array(want.length);
    m.masks.forEach((x, k) => got.set(x, k * h * w));
    assert.ok(maxAbsDiff(got, want).diff <= 1e-6, `masks differ by ${maxAbsDiff(got, want).diff}`);
    const wantW = tensor(c.weights);
    const gotW = new Float32Array(wantW.length);
    m.weights.forEach((x, k) => gotW.set(x, k * h * w));
    assert.ok(maxAbsDiff(gotW, wantW).diff <= 1e-6, `weights differ by ${maxAbsDiff(gotW, wantW).diff}`);
  });

  for (const staticBatch of c.variant === 'vpred-fp32' ? [false, true] : [false]) {
    const mode = staticBatch ? 'fixed batch 2, one run per prompt' : 'dynamic batch, one run per step';
    test(`${c.variant} ${c.name} (${mode}): guided outputs and latents after every step match diffusers`, async (t) => {
      const p = await pipelineFor(c.variant, staticBatch);
      assert.equal(p.unetBatch, staticBatch ? 2 : null);
      const got = await run(p, c);
      // The per-prompt runs of a fixed-batch graph give what the one batched run gives.
      const batched = dynamicRuns.get(c.name);
      if (staticBatch && batched) {
        batched.latents.forEach((l, i) => {
          const d = maxAbsDiff(got.latents[i]!, l);
          assert.ok(
            d.diff <= 1e-5 * Math.max(1, d.scale),
            `step ${i}: fixed-batch vs batched latents differ by ${d.diff}`,
          );
        });
      }
      if (!staticBatch) dynamicRuns.set(c.name, got);
      assert.deepEqual(got.timesteps.map(Math.fround), c.timesteps.map(Math.fround), 'timesteps');
      assert.equal(got.latents.length, c.latents_per_step.length);
      const perStep: string[] = [];
      c.latents_per_step.forEach((ref, i) => {
        const d = maxAbsDiff(got.latents[i]!, tensor(ref));
        perStep.push(d.diff.toExponential(2));
        assert.ok(
          d.diff <= rel * Math.max(1, d.scale),
          `latents after step ${i} differ by ${d.diff} (scale ${d.scale.toFixed(3)})`,
        );
      });
      c.model_output_per_step.forEach((ref, i) => {
        const d = maxAbsDiff(got.outputs[i]!, tensor(ref));
        assert.ok(
          d.diff <= outTol * Math.max(1, d.scale),
          `blended model output of step ${i} differs by ${d.diff} (scale ${d.scale.toFixed(3)})`,
        );
      });
      t.diagnostic(`max |latents - diffusers| per step: ${perStep.join(' ')}`);
    });
  }
}

const variants = tinyVariants();
const skipBehaviour = variants.includes('vpred-fp32') && cases.length ? false : 'no sd-tiny / sd-tiny-regions fixtures';
const twoRegions: RegionGuide = {
  background: 'a red cube to the left of a blue sphere',
  regions: [
    { prompt: 'a red cube', box: { x: 0.05, y: 0.25, w: 0.4, h: 0.5 } },
    { prompt: 'a blue sphere', box: { x: 0.55, y: 0.2, w: 0.4, h: 0.6 } },
  ],
};
const base = {
  prompt: 'a red cube to the left of a blue sphere',
  steps: 4,
  guidanceScale: 7.5,
  width: 64,
  height: 64,
} as const;

test(
  'guided renders are deterministic per seed, for every scheduler, and record their guide in the PNG',
  { skip: skipBehaviour },
  async () => {
    const p = await pipelineFor('vpred-fp32', false);
    for (const scheduler of SCHEDULER_NAMES) {
      const a = await p.generate({ ...base, seed: 9, scheduler, regions: twoRegions });
      const b = await p.generate({ ...base, seed: 9, scheduler, regions: twoRegions });
      const c = await p.generate({ ...base, seed: 10, scheduler, regions: twoRegions });
      assert.deepEqual(a.png[0], b.png[0], `${scheduler}: same seed, same bytes`);
      assert.notDeepEqual(a.imageFloat, c.imageFloat, `${scheduler}: another seed, another picture`);
      const plain = await p.generate({ ...base, seed: 9, scheduler });
      assert.notDeepEqual(a.imageFloat, plain.imageFloat, `${scheduler}: the guide changes the picture`);
      const meta = readPngText(a.png[0]!);
      assert.equal(meta.prompt, base.prompt);
      assert.deepEqual(JSON.parse(meta.guide!), { ...twoRegions, bootstrapSteps: 2, maskSoftness: 1 });
      assert.equal(readPngText(plain.png[0]!).guide, undefined);
    }
  },
);

test(
  "one region that covers the canvas with the background's prompt renders exactly the plain picture",
  { skip: skipBehaviour },
  async () => {
    // Same seed, so the same initial latents and ancestral noise: the guide's own draws do not touch them.
    const p = await pipelineFor('vpred-fp32', false);
    const whole: RegionGuide = {
      background: base.prompt,
      regions: [{ prompt: base.prompt, box: { x: 0, y: 0, w: 1, h: 1 } }],
      bootstrapSteps: 0,
      maskSoftness: 0,
    };
    for (const scheduler of SCHEDULER_NAMES) {
      const guided = await p.generate({ ...base, seed: 3, scheduler, regions: whole });
      const plain = await p.generate({ ...base, seed: 3, scheduler });
      assert.deepEqual(guided.imageFloat, plain.imageFloat, scheduler);
    }
    // A guide with no regions is a plain render of its background prompt.
    const empty = await p.generate({
      ...base,
      seed: 4,
      scheduler: 'euler_a',
      regions: { background: 'a blue sphere', regions: [] },
    });
    const plain = await p.generate({ ...base, prompt: 'a blue sphere', seed: 4, scheduler: 'euler_a' });
    assert.deepEqual(empty.imageFloat, plain.imageFloat);
  },
);

test(
  'without vae_encoder/ bootstrapping fails with one message naming it; without bootstrapping it renders',
  { skip: skipBehaviour },
  async () => {
    const dir = regionModelCopy('vpred-fp32', { encoder: false });
    temps.push(dir);
    const p = await loadPipeline(dir, { provider: 'cpu' });
    try {
      await assert.rejects(p.generate({ ...base, seed: 1, regions: twoRegions }), (e: unknown) => {
        assert.ok(e instanceof ModelDirError, String(e));
        assert.match(
          e.message,
          /vae_encoder[/\\]model\.onnx: expected the vae_encoder ONNX graph \(region guidance .*set bootstrapSteps to 0/,
        );
        return true;
      });
      const r = await p.generate({ ...base, seed: 1, regions: { ...twoRegions, bootstrapSteps: 0 } });
      assert.equal(r.images.length, 1);
      await assert.rejects(
        p.generate({ ...base, seed: 1, regions: { ...twoRegions, maskSoftness: Number.NaN } }),
        RenderParamsError,
      );
    } finally {
      await p.dispose();
    }
  },
);

test('a guided render cancels between UNet runs', { skip: skipBehaviour }, async () => {
  const p = await pipelineFor('vpred-fp32', true);
  const ac = new AbortController();
  await assert.rejects(
    p.generate(
      { ...base, seed: 2, steps: 6, regions: twoRegions },
      { signal: ac.signal, onStep: (s) => s === 2 && ac.abort() },
    ),
    RenderCancelledError,
  );
});
