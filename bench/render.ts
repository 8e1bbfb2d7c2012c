/**
 * `npm run bench:render` (node out/bench/render.js [--model DIR] [--provider P] [--steps N]
 * [--size WxH] [--runs N] [--threads N]): the render pipeline against a bare loop of the same `session.run`
 * calls (text encoder x2, UNet x steps with the guidance batch of 2, VAE decoder) on the same
 * model in the same process, interleaved. Prints `overhead N%` (fastest pipeline run over fastest
 * bare run, minus one: the comparison least disturbed by other load) with the medians too, and
 * steps/s. Default model: the tiny test fixture test/fixtures/sd-tiny/vpred-fp32.
 *
 * Then region guidance: steps/s with 0, 2 and 4 regions, with the UNet's batch axis dynamic (all
 * region prompts in one `session.run` per step) and fixed to 2 (one run per prompt), and what one
 * region costs as a fraction of a plain step: over a whole render (bootstrapping 40% of the steps),
 * after bootstrapping and while bootstrapping. On the tiny model both graphs come from
 * test/fixtures/sd-tiny-regions; with --model only that export's own batch mode is measured.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import * as zlib from 'node:zlib';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { DEFAULT_BOOTSTRAP_FRACTION, type RegionGuide } from '../src/protocol/regions';
import { loadPipeline, validateModelDir, type Pipeline, type ProviderRequest } from '../src/render';
import type { BenchSection } from './harness';
import { median } from './harness';

type Ort = typeof import('onnxruntime-node');

export function repoRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'test', 'fixtures'))) return dir;
    if (path.dirname(dir) === dir) throw new Error('cannot find the repo root');
  }
}

/**
 * The tiny fixture in a temp folder with its tokenizer files (they are stored gzipped once); for
 * region guidance also its VAE encoder and, with `staticBatch`, its UNet graph with the batch
 * axis fixed to 2 (test/fixtures/sd-tiny-regions).
 */
export function tinyModel(options: { regions?: boolean; staticBatch?: boolean } = {}): { dir: string; cleanup(): void } {
  const root = repoRoot();
  const src = path.join(root, 'test', 'fixtures', 'sd-tiny', 'vpred-fp32');
  if (!fs.existsSync(src)) throw new Error(`no fixture model at ${src}; pass --model DIR`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-render-'));
  fs.cpSync(src, dir, { recursive: true });
  const gunzip = (from: string, to: string): void => fs.writeFileSync(to, zlib.gunzipSync(fs.readFileSync(from)));
  for (const f of ['vocab.json', 'merges.txt']) gunzip(path.join(root, 'test', 'fixtures', 'clip-tokenizer', `${f}.gz`), path.join(dir, 'tokenizer', f));
  const regions = path.join(root, 'test', 'fixtures', 'sd-tiny-regions');
  if (options.regions) {
    fs.mkdirSync(path.join(dir, 'vae_encoder'));
    gunzip(path.join(regions, 'vae_encoder-fp32', 'model.onnx.gz'), path.join(dir, 'vae_encoder', 'model.onnx'));
  }
  if (options.staticBatch) gunzip(path.join(regions, 'unet-static-batch2', 'model.onnx.gz'), path.join(dir, 'unet', 'model.onnx'));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

function randomFloats(n: number, seed: number): Float32Array {
  let x = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = ((x >>> 0) / 2 ** 32 - 0.5) * 2;
  }
  return out;
}

function tensorFor(ort: Ort, meta: InferenceSession.ValueMetadata, data: Float32Array, dims: number[]): Tensor {
  const type = meta.isTensor ? meta.type : 'float32';
  if (type === 'float16') {
    const { float32ToFloat16 } = require('../src/render') as typeof import('../src/render');
    return new ort.Tensor('float16', float32ToFloat16(data), dims);
  }
  return new ort.Tensor('float32', data, dims);
}

export interface RenderBenchResult {
  readonly provider: string;
  readonly steps: number;
  readonly size: string;
  readonly pipelineMs: number;
  readonly bareMs: number;
  /** From the fastest run of each loop: the least disturbed by other load on the machine. */
  readonly overheadPct: number;
  /** From the medians. */
  readonly overheadMedianPct: number;
  readonly pipelineMinMs: number;
  readonly bareMinMs: number;
  readonly stepsPerSecond: number;
  readonly bareStepsPerSecond: number;
}

/** Runs both loops `runs` times, interleaved so that machine load hits both alike; medians. */
export async function benchRender(opts: { model?: string; provider?: ProviderRequest; steps?: number; width?: number; height?: number; runs?: number; threads?: number }): Promise<RenderBenchResult> {
  const ort = require('onnxruntime-node') as Ort;
  const tiny = opts.model ? undefined : tinyModel();
  const dir = opts.model ?? tiny!.dir;
  try {
    const info = await validateModelDir(dir);
    const steps = opts.steps ?? 20;
    const width = opts.width ?? 64;
    const height = opts.height ?? 64;
    const runs = opts.runs ?? 15;
    // On CPU, one intra-op thread by default: onnxruntime's pool threads spin after each run and,
    // on a small machine, compete with whatever runs between two session.run calls, which would
    // measure the machine's core count rather than the pipeline's own cost.
    const threads = opts.threads ?? ((opts.provider ?? 'cpu') === 'cpu' ? 1 : undefined);
    const pipeline = await loadPipeline(dir, { provider: opts.provider ?? 'cpu', intraOpThreads: threads, logger: { info: () => undefined, warn: (m) => process.stderr.write(`${m}\n`) } });
    const provider = pipeline.provider;
    // The same options as the pipeline's sessions.
    const so: InferenceSession.SessionOptions = {
      executionProviders: [provider],
      graphOptimizationLevel: 'all',
      logSeverityLevel: 3,
      ...(threads ? { intraOpNumThreads: threads } : {}),
    };
    const te = await ort.InferenceSession.create(info.files.text_encoder, so);
    const unet = await ort.InferenceSession.create(info.files.unet, so);
    const vae = await ort.InferenceSession.create(info.files.vae_decoder, so);
    try {
      const idsMeta = te.inputMetadata.find((m) => m.name === 'input_ids')!;
      const ids = Array.from({ length: 77 }, (_, i) => (i === 0 ? 49406 : i === 10 ? 49407 : i < 10 ? 320 + i : 0));
      const idsTensor = idsMeta.isTensor && idsMeta.type === 'int64' ? new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, 77]) : new ort.Tensor('int32', Int32Array.from(ids), [1, 77]);
      const f = info.vaeScaleFactor;
      const lat = [4, height / f, width / f];
      const per = lat[0]! * lat[1]! * lat[2]!;
      const meta = (s: InferenceSession, name: string): InferenceSession.ValueMetadata => s.inputMetadata.find((m) => m.name === name)!;
      const tsMeta = meta(unet, 'timestep');
      const tsDims = tsMeta.isTensor && tsMeta.shape.length === 0 ? [] : [tsMeta.isTensor && typeof tsMeta.shape[0] === 'number' ? tsMeta.shape[0] : 2];
      const tsLen = tsDims.length ? tsDims[0]! : 1;
      const tsType = tsMeta.isTensor ? tsMeta.type : 'float32';
      const bare = async (): Promise<number> => {
        const t0 = performance.now();
        const a = await te.run({ input_ids: idsTensor }, ['last_hidden_state']);
        const b = await te.run({ input_ids: idsTensor }, ['last_hidden_state']);
        const hidden = a.last_hidden_state!.dims;
        const ehs = new Float32Array(2 * (a.last_hidden_state!.size));
        ehs.set(a.last_hidden_state!.data as Float32Array, 0);
        ehs.set(b.last_hidden_state!.data as Float32Array, a.last_hidden_state!.size);
        const ehsT = tensorFor(ort, meta(unet, 'encoder_hidden_states'), ehs, [2, hidden[1]!, hidden[2]!]);
        const sample = randomFloats(2 * per, 1);
        for (let i = 0; i < steps; i++) {
          const t = 999 - (i * 999) / steps;
          const ts =
            tsType === 'int64'
              ? new ort.Tensor('int64', new BigInt64Array(tsLen).fill(BigInt(Math.trunc(t))), tsDims)
              : tensorFor(ort, tsMeta, new Float32Array(tsLen).fill(t), tsDims);
          await unet.run({ sample: tensorFor(ort, meta(unet, 'sample'), sample, [2, ...lat]), timestep: ts, encoder_hidden_states: ehsT }, ['out_sample']);
        }
        await vae.run({ latent_sample: tensorFor(ort, meta(vae, 'latent_sample'), randomFloats(per, 2), [1, ...lat]) }, ['sample']);
        return performance.now() - t0;
      };
      const full = async (): Promise<{ ms: number; sps: number }> => {
        const t0 = performance.now();
        const r = await pipeline.generate({ prompt: 'a red cube to the left of a blue sphere', steps, guidanceScale: 7.5, seed: 1, width, height, scheduler: 'dpmpp_2m' });
        return { ms: performance.now() - t0, sps: r.timings.stepsPerSecond };
      };
      await bare();
      await full();
      const bareTimes: number[] = [];
      const fullTimes: number[] = [];
      const sps: number[] = [];
      for (let r = 0; r < runs; r++) {
        bareTimes.push(await bare());
        const f1 = await full();
        fullTimes.push(f1.ms);
        sps.push(f1.sps);
      }
      bareTimes.sort((x, y) => x - y);
      fullTimes.sort((x, y) => x - y);
      sps.sort((x, y) => x - y);
      const bareMs = median(bareTimes);
      const pipelineMs = median(fullTimes);
      return {
        provider,
        steps,
        size: `${width}x${height}`,
        pipelineMs,
        bareMs,
        overheadPct: (fullTimes[0]! / bareTimes[0]! - 1) * 100,
        overheadMedianPct: (pipelineMs / bareMs - 1) * 100,
        pipelineMinMs: fullTimes[0]!,
        bareMinMs: bareTimes[0]!,
        stepsPerSecond: median(sps),
        bareStepsPerSecond: steps / (bareMs / 1000),
      };
    } finally {
      await Promise.all([te.release(), unet.release(), vae.release(), pipeline.dispose()]);
    }
  } finally {
    tiny?.cleanup();
  }
}

/** One batch mode's figures. */
export interface RegionModeResult {
  /** `batched`: dynamic batch axis, one run per step; `per-prompt`: fixed batch, one run per prompt. */
  readonly mode: 'batched' | 'per-prompt';
  readonly unetBatch: number | null;
  /** Steps/s of whole renders (bootstrapping 40% of the steps) by region count (see `BenchClock`). */
  readonly stepsPerSecond: Record<number, number>;
  /**
   * One region's cost as a fraction of a plain step, (t_n / t_plain - 1) / n, for n = 2 and 4:
   * over a whole render, after bootstrapping and while bootstrapping.
   */
  readonly regionCost: Record<'whole' | 'after' | 'during', Record<number, number>>;
}

export interface RegionBenchResult {
  readonly provider: string;
  readonly steps: number;
  readonly bootstrapSteps: number;
  readonly size: string;
  readonly runs: number;
  readonly clock: BenchClock;
  readonly modes: RegionModeResult[];
}

const REGION_COUNTS = [0, 2, 4] as const;

/** `n` boxes side by side, so that every region owns a part of the canvas. */
function benchGuide(n: number, bootstrapSteps?: number): RegionGuide {
  return {
    background: 'a red cube to the left of a blue sphere',
    regions: Array.from({ length: n }, (_, k) => ({ prompt: ['a red cube', 'a blue sphere', 'a green cone', 'a yellow ring'][k % 4]!, box: { x: k / n, y: 0.2, w: 1 / n, h: 0.6 } })),
    ...(bootstrapSteps !== undefined ? { bootstrapSteps } : {}),
  };
}

/**
 * Which clock times the steps. `cpu`: the process's CPU time (user + system, every thread), which
 * other load on a shared machine does not inflate; with one intra-op thread on the CPU provider it
 * is the wall time an idle machine would show. `wall`: elapsed time, the only honest one when a GPU
 * does the work.
 */
export type BenchClock = 'cpu' | 'wall';

function clockSeconds(clock: BenchClock): number {
  if (clock === 'wall') return performance.now() / 1000;
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/**
 * Seconds per step of one render, from the time between its first and last step (so the text
 * encoder, the bootstrapping colours' encoding and the VAE stay out; every per-step cost of the
 * guidance, the blend included, stays in).
 */
async function secondsPerStep(p: Pipeline, steps: number, width: number, height: number, regions: RegionGuide | undefined, clock: BenchClock): Promise<number> {
  let first = 0;
  let last = 0;
  await p.generate(
    { prompt: 'a red cube to the left of a blue sphere', steps, guidanceScale: 7.5, seed: 1, width, height, scheduler: 'dpmpp_2m', ...(regions ? { regions } : {}) },
    {
      onStep: (step) => {
        if (step === 1) first = clockSeconds(clock);
        last = clockSeconds(clock);
      },
    },
  );
  return (last - first) / (steps - 1);
}

/**
 * Region guidance's cost: for each batch mode, renders with 0, 2 and 4 regions (whole renders,
 * no bootstrapping, all steps bootstrapped), interleaved `runs` times. On the CPU provider with one
 * thread, timed in CPU time (medians); otherwise in wall time (fastest runs).
 */
export async function benchRegions(opts: { model?: string; provider?: ProviderRequest; steps?: number; width?: number; height?: number; runs?: number; threads?: number }): Promise<RegionBenchResult> {
  const steps = opts.steps ?? 20;
  const width = opts.width ?? 64;
  const height = opts.height ?? 64;
  const runs = opts.runs ?? 5;
  const threads = opts.threads ?? ((opts.provider ?? 'cpu') === 'cpu' ? 1 : undefined);
  const models = opts.model
    ? [{ dir: opts.model, cleanup: (): void => undefined }]
    : [tinyModel({ regions: true }), tinyModel({ regions: true, staticBatch: true })];
  const pipelines: Pipeline[] = [];
  try {
    for (const m of models) {
      pipelines.push(await loadPipeline(m.dir, { provider: opts.provider ?? 'cpu', intraOpThreads: threads, logger: { info: () => undefined, warn: (msg) => process.stderr.write(`${msg}\n`) } }));
    }
    const bootstrapSteps = Math.round(steps * DEFAULT_BOOTSTRAP_FRACTION);
    // Per pipeline: label -> times. Labels: `plain`, `n:whole`, `n:after`, `n:during`.
    const configs: Array<{ label: string; guide: RegionGuide | undefined }> = [{ label: 'plain', guide: undefined }];
    for (const n of REGION_COUNTS.filter((c) => c > 0)) {
      configs.push({ label: `${n}:whole`, guide: benchGuide(n) }, { label: `${n}:after`, guide: benchGuide(n, 0) }, { label: `${n}:during`, guide: benchGuide(n, steps) });
    }
    const times = pipelines.map(() => new Map<string, number[]>(configs.map((c) => [c.label, []])));
    const clock: BenchClock = pipelines[0]!.provider === 'cpu' && threads === 1 ? 'cpu' : 'wall';
    for (const p of pipelines) for (const c of configs) await secondsPerStep(p, steps, width, height, c.guide, clock); // warm-up
    for (let r = 0; r < runs; r++) {
      for (const [i, p] of pipelines.entries()) {
        for (const c of configs) times[i]!.get(c.label)!.push(await secondsPerStep(p, steps, width, height, c.guide, clock));
      }
    }
    // CPU time: the median; wall time: the fastest run, the one least disturbed by other load.
    const best = (i: number, label: string): number => (clock === 'cpu' ? median([...times[i]!.get(label)!].sort((x, y) => x - y)) : Math.min(...times[i]!.get(label)!));
    const modes = pipelines.map((p, i): RegionModeResult => {
      const plain = best(i, 'plain');
      const cost = (kind: string): Record<number, number> => Object.fromEntries([2, 4].map((n) => [n, (best(i, `${n}:${kind}`) / plain - 1) / n]));
      return {
        mode: p.unetBatch === null ? 'batched' : 'per-prompt',
        unetBatch: p.unetBatch,
        stepsPerSecond: Object.fromEntries(REGION_COUNTS.map((n) => [n, 1 / best(i, n === 0 ? 'plain' : `${n}:whole`)])),
        regionCost: { whole: cost('whole'), after: cost('after'), during: cost('during') },
      };
    });
    return { provider: pipelines[0]!.provider, steps, bootstrapSteps, size: `${width}x${height}`, runs, clock, modes };
  } finally {
    await Promise.all(pipelines.map((p) => p.dispose()));
    for (const m of models) m.cleanup();
  }
}

function formatRegions(r: RegionBenchResult): string {
  const cols = r.modes.map((m) => (m.mode === 'batched' ? 'batched (1 run/step)' : `per-prompt (batch ${m.unetBatch})`));
  const line = (label: string, cells: string[]): string => `${label.padEnd(30)}${cells.map((c) => c.padEnd(26)).join('')}\n`;
  let out = `region guidance: ${r.provider}, ${r.size}, ${r.steps} steps (bootstrapping ${r.bootstrapSteps}), guidance batch 2, ${r.clock === 'cpu' ? `CPU time, median of ${r.runs}` : `wall time, fastest of ${r.runs}`}\n`;
  out += line('', cols);
  for (const n of REGION_COUNTS) out += line(`steps/s, ${n} regions`, r.modes.map((m) => m.stepsPerSecond[n]!.toFixed(1)));
  out += line('one region / plain step (2 / 4)', []);
  const pair = (x: Record<number, number>): string => `${x[2]!.toFixed(2)} / ${x[4]!.toFixed(2)}`;
  out += line('  whole render', r.modes.map((m) => pair(m.regionCost.whole)));
  out += line('  after bootstrapping', r.modes.map((m) => pair(m.regionCost.after)));
  out += line('  while bootstrapping', r.modes.map((m) => pair(m.regionCost.during)));
  return out;
}

/** Short section for `npm run bench`. */
export const renderSection: BenchSection = {
  name: 'render',
  async run() {
    const r = await benchRender({ steps: 10, runs: 5 });
    return {
      [`pipeline vs bare session.run (${r.provider}, ${r.size}, ${r.steps} steps)`]: `overhead ${r.overheadPct.toFixed(1)}% (fastest runs), ${r.overheadMedianPct.toFixed(1)}% (medians)`,
      'pipeline ms (median)': r.pipelineMs.toFixed(1),
      'bare loop ms (median)': r.bareMs.toFixed(1),
      'UNet steps/s': r.stepsPerSecond.toFixed(1),
      ...regionRows(await benchRegions({ steps: 10, runs: 3 })),
    };
  },
};

function regionRows(r: RegionBenchResult): Record<string, string> {
  const rows: Record<string, string> = {};
  for (const m of r.modes) {
    rows[`region guidance, ${m.mode}: steps/s at 0/2/4 regions`] = REGION_COUNTS.map((n) => m.stepsPerSecond[n]!.toFixed(1)).join(' / ');
    const c = m.regionCost;
    rows[`region guidance, ${m.mode}: one region / plain step`] = `${c.whole[4]!.toFixed(2)} (after bootstrapping ${c.after[4]!.toFixed(2)}, while ${c.during[4]!.toFixed(2)}; 4 regions)`;
  }
  return rows;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { model: { type: 'string' }, provider: { type: 'string' }, steps: { type: 'string' }, size: { type: 'string' }, runs: { type: 'string' }, threads: { type: 'string' } },
  });
  const size = values.size ? /^(\d+)x(\d+)$/.exec(values.size) : null;
  const common = {
    model: values.model,
    provider: values.provider as ProviderRequest | undefined,
    steps: values.steps ? Number(values.steps) : undefined,
    width: size ? Number(size[1]) : undefined,
    height: size ? Number(size[2]) : undefined,
    threads: values.threads ? Number(values.threads) : undefined,
  };
  const r = await benchRender({ ...common, runs: values.runs ? Number(values.runs) : undefined });
  process.stdout.write(
    `render bench: ${r.provider}, ${r.size}, ${r.steps} steps, guidance batch 2\n` +
      `pipeline ${r.pipelineMinMs.toFixed(1)} ms, bare session.run loop ${r.bareMinMs.toFixed(1)} ms (fastest of each)\n` +
      `pipeline ${r.pipelineMs.toFixed(1)} ms, bare session.run loop ${r.bareMs.toFixed(1)} ms (medians: overhead ${r.overheadMedianPct.toFixed(1)}%)\n` +
      `overhead ${r.overheadPct.toFixed(1)}%\n` +
      `steps/s ${r.stepsPerSecond.toFixed(2)} (pipeline UNet), ${r.bareStepsPerSecond.toFixed(2)} (bare, whole loop)\n`,
  );
  // Each region run renders ten configurations, so it takes a third of the runs.
  const regions = await benchRegions({ ...common, runs: values.runs ? Math.max(1, Math.round(Number(values.runs) / 3)) : undefined });
  process.stdout.write(`\n${formatRegions(regions)}`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`bench:render failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  });
}
