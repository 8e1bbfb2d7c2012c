import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  FP16_ON_CPU,
  ModelDirError,
  loadPipeline,
  physicalCores,
  validateModelDir,
  type GenerateParams,
  type RenderStage,
} from '../../src/render';
import { checkReadable } from '../../src/render/modelDir';
import { formatDuration, formatRate, formatSeconds, formatSummary, parseSummary, stepProgress } from '../../src/view/renderTimes';
import { repoRoot } from './helpers/paths';
import { loadableCopy, renderTestSetup } from './renderFixture';

const { variants, variant, noFixture, temps, pipelines } = renderTestSetup();

function copy(name = variant!): string {
  const dir = loadableCopy(name);
  temps.push(dir);
  return dir;
}

const PARAMS: GenerateParams = { prompt: 'a red cube to the left of a blue sphere', steps: 3, guidanceScale: 7.5, seed: 3, width: 64, height: 64, scheduler: 'ddim' };

test('memory modes: which sessions each render loads, the same image from every mode', { skip: noFixture }, async () => {
  const dir = copy();
  const images: Buffer[] = [];
  const loadsPerMode: Record<string, number[]> = {};
  for (const memory of ['speed', 'balanced', 'low'] as const) {
    const p = await loadPipeline(dir, { provider: 'cpu', memory, intraOpThreads: 1 });
    pipelines.push(p);
    assert.equal(p.memory, memory);
    assert.equal(p.threads, 1);
    const loads: number[] = [p.load.sessions];
    for (let k = 0; k < 2; k++) {
      const phases: string[] = [];
      const r = await p.generate(PARAMS, { onPhase: (phase: RenderStage, graph) => phases.push(graph ? `${phase}:${graph}` : phase) });
      loads.push(r.timings.sessionsLoaded);
      images.push(r.png[0]!);
      assert.deepEqual(
        phases.filter((x) => !x.startsWith('loading')),
        ['encoding', 'denoising', 'decoding', 'saving'],
      );
      assert.equal(phases.filter((x) => x.startsWith('loading')).length, r.timings.sessionsLoaded, 'every load is announced');
      assert.ok(r.timings.denoiseMs >= r.timings.unetMs, 'the loop includes its UNet runs');
      assert.ok(r.timings.peakRssBytes > 0);
    }
    loadsPerMode[memory] = loads;
  }
  // [at load, first render, second render]
  assert.deepEqual(loadsPerMode, {
    speed: [3, 0, 0],
    balanced: [1, 2, 2],
    // low keeps nothing: the UNet loaded with the pipeline is released after the first render.
    low: [1, 2, 3],
  });
  for (const png of images) assert.deepEqual(png, images[0], 'the memory mode never changes the image');
});

test('a session is not released under a render still using it (two renders at once, balanced)', { skip: noFixture }, async () => {
  const p = await loadPipeline(copy(), { provider: 'cpu', memory: 'low', intraOpThreads: 1 });
  pipelines.push(p);
  const [a, b] = await Promise.all([p.generate(PARAMS), p.generate({ ...PARAMS, seed: 4 })]);
  assert.equal(a.images.length, 1);
  assert.equal(b.images.length, 1);
  const again = await p.generate(PARAMS);
  assert.deepEqual(again.png[0], a.png[0]);
});

test('bad memory mode and thread count are RenderParamsErrors', { skip: noFixture }, async () => {
  const dir = copy();
  await assert.rejects(loadPipeline(dir, { provider: 'cpu', memory: 'huge' as never }), /memory must be one of speed, balanced, low, got 'huge'/);
  await assert.rejects(loadPipeline(dir, { provider: 'cpu', intraOpThreads: 0 }), /threads must be a whole number >= 1, got 0/);
});

test('a float16 export on the CPU provider says plainly why it is slower there', { skip: variants.includes('vpred-fp16') ? false : 'no fp16 fixture' }, async () => {
  const warnings: string[] = [];
  const p = await loadPipeline(copy('vpred-fp16'), { provider: 'cpu', logger: { info: () => undefined, warn: (m) => warnings.push(m) } });
  pipelines.push(p);
  assert.ok(warnings.includes(FP16_ON_CPU), warnings.join('\n'));
  assert.match(FP16_ON_CPU, /slower than the float32 export/);
});

test('external weights readable by their owner only: a warning with the chmod that fixes it', { skip: noFixture }, async () => {
  const dir = copy();
  const info = await validateModelDir(dir);
  const data = info.graphs.unet.externalData[0];
  if (data === undefined) return; // this variant keeps its weights inline
  const file = path.join(dir, 'unet', data);
  assert.deepEqual(info.warnings, []);
  fs.chmodSync(file, 0o600);
  const warned = await validateModelDir(dir);
  assert.equal(warned.warnings.length, 1);
  assert.match(warned.warnings[0]!, /readable by its owner only \(mode 0600, as onnx writes external weights\)/);
  assert.ok(warned.warnings[0]!.includes(`chmod a+r '${file}'`));
  const logged: string[] = [];
  const p = await loadPipeline(dir, { provider: 'cpu', logger: { info: () => undefined, warn: (m) => logged.push(m) } });
  pipelines.push(p);
  assert.ok(
    logged.some((m) => m.includes('chmod a+r')),
    'the pipeline passes the warning to its logger',
  );
});

test(
  'external weights this user may not read: one ModelDirError that says how to fix it',
  { skip: process.getuid?.() === 0 ? 'root reads every file: run as a normal user to check EACCES' : noFixture },
  () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unreadable-'));
    temps.push(dir);
    const file = path.join(dir, 'model.onnx_data');
    fs.writeFileSync(file, 'x');
    fs.chmodSync(file, 0o000);
    assert.throws(
      () => checkReadable(file, 'the external weights'),
      (e: unknown) => e instanceof ModelDirError && /may not read \(mode 0000/.test(e.message) && e.message.includes(`chmod a+r '${file}'`),
    );
  },
);

test('progress text: three significant digits, seconds per step when slow, an ETA, and a summary the bench reads back', () => {
  assert.equal(formatRate(8123), '8.12 s/step');
  assert.equal(formatRate(80.6), '12.4 steps/s');
  assert.equal(formatRate(1000), '1.00 s/step');
  assert.equal(formatSeconds(14_160), '14.2 s');
  assert.equal(formatSeconds(120), '0.120 s');
  assert.equal(formatSeconds(245_400), '245 s');
  assert.equal(formatDuration(59_400), '59 s');
  assert.equal(formatDuration(185_000), '3 min 05 s');
  assert.equal(formatDuration(3_720_000), '1 h 02 min');
  assert.equal(stepProgress(1, 25, 8000), 'step 1/25, 8.00 s/step, ETA 3 min 12 s');
  assert.equal(stepProgress(5, 25, 40_000, 10_000), 'step 5/25, 8.00 s/step, ETA 2 min 50 s');
  assert.equal(stepProgress(25, 25, 200_000), 'step 25/25, 8.00 s/step');
  const summary = { loadMs: 14_200, textMs: 1310, denoiseMs: 32_480, steps: 4, vaeMs: 6100, pngMs: 120, peakRssBytes: 6.41 * 2 ** 30 };
  const line = formatSummary(summary);
  assert.equal(line, 'load 14.2 s, text 1.31 s, denoise 32.5 s (8.12 s/step), VAE 6.10 s, PNG 0.120 s, peak RSS 6.41 GiB');
  const back = parseSummary(`[1/2] ${line}\n`)!;
  const near = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-6 * Math.abs(b);
  assert.ok(near(back.loadMs, 14_200));
  assert.ok(near(back.msPerStep, 8120), String(back.msPerStep));
  assert.ok(near(back.peakRssBytes, 6.41 * 2 ** 30));
  assert.ok(near(parseSummary(formatSummary({ ...summary, denoiseMs: 400, steps: 20 }))!.msPerStep, 1000 / 50));
  assert.equal(parseSummary('nothing here'), undefined);
});

test('physical cores: hyper-threads of one core count once, capped by the CPUs this process may use', () => {
  const sys = fs.mkdtempSync(path.join(os.tmpdir(), 'sys-cpu-'));
  temps.push(sys);
  // 4 logical CPUs on 2 cores (0,2 and 1,3 share a core), plus a non-CPU entry and an offline CPU.
  const siblings = ['0,2', '1,3', '0,2', '1,3'];
  siblings.forEach((list, i) => {
    fs.mkdirSync(path.join(sys, `cpu${i}`, 'topology'), { recursive: true });
    fs.writeFileSync(path.join(sys, `cpu${i}`, 'topology', 'core_cpus_list'), `${list}\n`);
  });
  fs.mkdirSync(path.join(sys, 'cpu4'));
  fs.mkdirSync(path.join(sys, 'cpufreq'));
  assert.equal(physicalCores(sys, 4), 2);
  assert.equal(physicalCores(sys, 1), 1, 'an affinity mask of one CPU wins');
  assert.equal(physicalCores(path.join(sys, 'missing'), 6), 6, 'no sysfs: the logical count');
  assert.ok(physicalCores() >= 1);
});

test("bench:render: --help works, and the bare loop runs on the pipeline's own sessions (no second set)", { skip: noFixture }, async () => {
  const bench = path.join(repoRoot, 'out', 'bench', 'render.js');
  const help = spawnSync(process.execPath, [bench, '--help'], { encoding: 'utf8' });
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /^Usage: npm run bench:render/);
  assert.match(help.stdout, /--compare/);
  const bad = spawnSync(process.execPath, [bench, '--nope'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /^bench:render: Unknown option '--nope'/);
  assert.doesNotMatch(bad.stderr, /at .*\.js:\d+/, 'no stack trace');

  // The bench is its own TypeScript project (out/bench), built by the same `tsc -b`.
  const { benchRender } = require(path.join(repoRoot, 'out', 'bench', 'render.js')) as {
    benchRender(o: {
      model: string;
      steps: number;
      runs: number;
      threads: number;
      memory: string;
      width: number;
      height: number;
    }): Promise<{ loadMs: number; pipelinePeakRssBytes: number; benchPeakRssBytes: number }>;
  };
  // Count every session onnxruntime creates while the bench runs.
  const ort = require('onnxruntime-node') as typeof import('onnxruntime-node');
  const create = ort.InferenceSession.create.bind(ort.InferenceSession);
  let created = 0;
  ort.InferenceSession.create = ((...args: Parameters<typeof create>) => {
    created++;
    return create(...args);
  }) as typeof ort.InferenceSession.create;
  try {
    const r = await benchRender({ model: copy(), steps: 2, runs: 2, threads: 1, memory: 'speed', width: 64, height: 64 });
    assert.equal(created, 3, 'text encoder, UNet and VAE once each, shared by the pipeline and the bare loop');
    assert.ok(r.benchPeakRssBytes >= r.pipelinePeakRssBytes);
    assert.ok(r.loadMs > 0);
  } finally {
    ort.InferenceSession.create = create;
  }
});
