import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backgroundPrompt, regionGuideFromLayout, regionPrompt } from '../../src/generator/regions';
import { rewritePrompt } from '../../src/generator';
import { parsePrompt, type ParsedPrompt } from '../../src/parser';
import {
  MAX_REGIONS,
  RenderParamsError,
  createScheduler,
  drawBootstrap,
  erf,
  regionMasks,
  resolveRegionGuide,
} from '../../src/render';
import type { RegionGuide } from '../../src/protocol/regions';

/** Region guides from layouts (src/generator/regions.ts) and the pure parts of the sampler (src/render/regions.ts). */

test('regionPrompt: one instance, with its attributes and what it does', () => {
  assert.equal(regionPrompt({ noun: 'apple', attributes: ['small', 'red'], details: [] }), 'a small red apple');
  assert.equal(regionPrompt({ noun: 'elephant', attributes: [], details: [] }), 'an elephant');
  assert.equal(
    regionPrompt({ noun: 'man', attributes: ['old'], details: ['reading a newspaper'] }),
    'an old man reading a newspaper',
  );
  assert.equal(regionPrompt({ noun: 'teddy bear', attributes: [], details: [] }), 'a teddy bear');
});

test('backgroundPrompt: the scene part when there is one, else the whole prompt', () => {
  const scene: ParsedPrompt['scene'] = [
    { kind: 'time', phrase: 'at night', span: [40, 48] },
    { kind: 'medium', phrase: 'an oil painting of', span: [0, 18] },
    { kind: 'setting', phrase: 'in a field', span: [30, 40] },
  ];
  assert.equal(backgroundPrompt({ text: 'whatever', scene }), 'an oil painting, in a field, at night');
  assert.equal(backgroundPrompt({ text: '  a cat left of a dog ', scene: [] }), 'a cat left of a dog');
});

test('regionGuideFromLayout: one region per box, as fractions of the canvas, clipped to it', () => {
  const parsed = parsePrompt('two small red apples on a wooden table');
  const layout = {
    width: 200,
    height: 100,
    boxes: [
      { id: 'apple#1', objectId: 'apple', noun: 'apple', x: 20, y: 10, w: 40, h: 20 },
      { id: 'apple#2', objectId: 'apple', noun: 'apple', x: 180, y: -10, w: 40, h: 30 },
      { id: 'table', objectId: 'table', noun: 'table', x: 0, y: 50, w: 200, h: 50 },
      { id: 'gone', objectId: 'table', noun: 'table', x: 300, y: 0, w: 10, h: 10 },
    ],
  };
  const g = regionGuideFromLayout(parsed, layout, { bootstrapSteps: 3 });
  assert.equal(g.background, 'two small red apples on a wooden table');
  assert.equal(g.bootstrapSteps, 3);
  assert.equal(g.maskSoftness, undefined);
  assert.deepEqual(
    g.regions.map((r) => [r.id, r.prompt]),
    [
      ['apple#1', 'a small red apple'],
      ['apple#2', 'a small red apple'],
      ['table', 'a wooden table'],
    ],
  );
  const close = (got: object, want: Record<string, number>): void => {
    for (const [k, v] of Object.entries(want))
      assert.ok(Math.abs((got as Record<string, number>)[k]! - v) < 1e-12, `${k}: ${JSON.stringify(got)}`);
  };
  close(g.regions[0]!.box, { x: 0.1, y: 0.1, w: 0.2, h: 0.2 });
  close(g.regions[1]!.box, { x: 0.9, y: 0, w: 0.1, h: 0.2 });
  close(g.regions[2]!.box, { x: 0, y: 0.5, w: 1, h: 0.5 });
  // Every guide it makes is one the renderer takes.
  assert.equal(resolveRegionGuide(g, 10).regions.length, 3);
});

test('a planned layout keeps its relations in the guide: the cube left of the sphere, the cup above the book', () => {
  for (const [text, first, second, axis] of [
    ['a red cube to the left of a blue sphere', 'a red cube', 'a blue sphere', 'x'],
    ['a cup above a book', 'a cup', 'a book', 'y'],
  ] as const) {
    const parsed = parsePrompt(text);
    const { layout } = rewritePrompt(parsed, { width: 768, height: 768 });
    const g = regionGuideFromLayout(parsed, layout!);
    const a = g.regions.find((r) => r.prompt === first)!.box;
    const b = g.regions.find((r) => r.prompt === second)!.box;
    const centre = (box: typeof a): number => (axis === 'x' ? box.x + box.w / 2 : box.y + box.h / 2);
    assert.ok(centre(a) < centre(b), `${text}: ${JSON.stringify(g.regions)}`);
  }
  assert.deepEqual(regionGuideFromLayout(parsePrompt('sunset'), { width: 768, height: 768, boxes: [] }).regions, []);
});

test('erf matches reference values to double precision', () => {
  // Values from mpmath.erf at 30 digits.
  const ref: Array<[number, number]> = [
    [0, 0],
    [0.1, 0.1124629160182849],
    [0.5, 0.5204998778130465],
    [1, 0.8427007929497149],
    [2, 0.9953222650189527],
    [2.9, 0.9999589021219005],
    [3.1, 0.9999883513426328],
    [4, 0.9999999845827421],
    [6, 1],
  ];
  for (const [x, v] of ref) {
    assert.ok(Math.abs(erf(x) - v) < 1e-15, `erf(${x}) = ${erf(x)}, want ${v}`);
    assert.ok(Math.abs(erf(-x) + v) < 1e-15);
  }
});

test('regionMasks: hard boxes cover their pixel centres; weights always sum to 1', () => {
  const hard = regionMasks([{ x: 0.25, y: 0, w: 0.5, h: 0.5 }], 8, 8, 0);
  const m = hard.masks[0]!;
  for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) assert.equal(m[y * 8 + x], x >= 2 && x < 6 && y < 4 ? 1 : 0);
  // Outside the box the background has it all, inside the region.
  assert.equal(hard.weights[0]![7 * 8], 1);
  assert.equal(hard.weights[1]![0 * 8 + 3], 1);
  const soft = regionMasks(
    [
      { x: 0.1, y: 0.1, w: 0.6, h: 0.6 },
      { x: 0.4, y: 0.3, w: 0.6, h: 0.7 },
    ],
    16,
    12,
    1.5,
  );
  for (let p = 0; p < 16 * 12; p++) {
    const sum = soft.weights.reduce((s, w) => s + w[p]!, 0);
    assert.ok(Math.abs(sum - 1) < 1e-6, `weights at ${p} sum to ${sum}`);
    assert.ok(soft.masks.every((x) => x[p]! >= 0 && x[p]! <= 1));
  }
  // Feathered: the mask falls off across the box edge instead of stepping.
  const row = Array.from({ length: 16 }, (_, x) => soft.masks[0]![5 * 16 + x]!);
  assert.ok(row[0]! > 0.05 && row[0]! < 0.5 && row[5]! > 0.95 && row[15]! < 0.01, row.join(' '));
});

test('resolveRegionGuide: defaults, and one clear error per bad field', () => {
  const ok: RegionGuide = { background: 'a park', regions: [{ prompt: 'a dog', box: { x: 0, y: 0, w: 0.5, h: 1 } }] };
  assert.deepEqual(resolveRegionGuide(ok, 25), {
    background: 'a park',
    regions: ok.regions,
    bootstrapSteps: 10,
    maskSoftness: 1,
  });
  assert.equal(resolveRegionGuide({ background: 'x', regions: [] }, 25).bootstrapSteps, 0);
  const bad = (g: unknown, re: RegExp): void =>
    assert.throws(
      () => resolveRegionGuide(g as RegionGuide, 25),
      (e: unknown) => e instanceof RenderParamsError && re.test(e.message),
    );
  bad({ regions: [] }, /region guide: background must be a string/);
  bad({ background: 'x', regions: {} }, /regions must be an array/);
  bad(
    { background: 'x', regions: [{ prompt: ' ', box: ok.regions[0]!.box }] },
    /region 1 \(" "\): prompt must be a non-empty string/,
  );
  bad(
    { background: 'x', regions: [{ prompt: 'a dog', box: { x: 0, y: 0, w: 0.5 } }] },
    /region 1 \("a dog"\): box\.h must be a number in 0\.\.1/,
  );
  bad(
    { background: 'x', regions: [{ prompt: 'a dog', box: { x: 0.7, y: 0, w: 0.5, h: 1 } }] },
    /runs past the right edge \(x \+ w = 1\.2\)/,
  );
  bad({ background: 'x', regions: [{ prompt: 'a dog', box: { x: 0, y: 0, w: 0, h: 1 } }] }, /the box is empty/);
  bad({ ...ok, bootstrapSteps: 26 }, /bootstrapSteps must be an integer in 0\.\.25/);
  bad({ ...ok, maskSoftness: -1 }, /maskSoftness must be a number of latent pixels/);
  bad(
    { background: 'x', regions: Array.from({ length: MAX_REGIONS + 1 }, () => ok.regions[0]) },
    new RegExp(`at most ${MAX_REGIONS}`),
  );
});

test('drawBootstrap: deterministic per seed, colours in [0, 1), picks in range', () => {
  const a = drawBootstrap(42, 4, 3);
  assert.deepEqual(a, drawBootstrap(42, 4, 3));
  assert.notDeepEqual(a.colours, drawBootstrap(43, 4, 3).colours);
  assert.equal(a.colours.length, 12);
  assert.equal(a.picks.length, 12);
  assert.ok(a.colours.every((c) => c >= 0 && c < 1));
  assert.ok(a.picks.every((k) => k >= 0 && k < 4));
  assert.ok(new Set(a.picks).size > 1);
});

test("addNoise is each scheduler's forward process at its step (diffusers add_noise)", () => {
  const config = {
    beta_schedule: 'scaled_linear',
    beta_start: 0.00085,
    beta_end: 0.012,
    steps_offset: 1,
    timestep_spacing: 'leading',
    prediction_type: 'v_prediction',
  };
  const x = Float32Array.from([1, -2]);
  const z = Float32Array.from([0.5, 0.25]);
  const ddim = createScheduler('ddim', { ...config, set_alpha_to_one: false, clip_sample: false }, 4);
  // alphas_cumprod[751] of SD's schedule (diffusers 0.39 DDIMScheduler).
  const a = 0.055718984454870224;
  const got = ddim.addNoise(x, z, 0);
  assert.ok(Math.abs(got[0]! - (Math.sqrt(a) * 1 + Math.sqrt(1 - a) * 0.5)) < 1e-5, String(got[0]));
  for (const name of ['euler', 'euler_a'] as const) {
    const s = createScheduler(name, config, 4);
    assert.ok(Math.abs(s.addNoise(x, z, 1)[1]! - (-2 + s.sigmas![1]! * 0.25)) < 1e-6);
  }
  const dpm = createScheduler('dpmpp_2m', config, 4);
  const sigma = dpm.sigmas![0]!;
  const alpha = 1 / Math.sqrt(sigma * sigma + 1);
  assert.ok(Math.abs(dpm.addNoise(x, z, 0)[0]! - (alpha + sigma * alpha * 0.5)) < 1e-6);
});
