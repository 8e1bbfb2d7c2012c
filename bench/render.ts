/**
 * `npm run bench:render` (node out/bench/render.js [--model DIR] [--provider P] [--steps N]
 * [--size WxH] [--runs N] [--threads N]): the render pipeline against a bare loop of the same `session.run`
 * calls (text encoder x2, UNet x steps with the guidance batch of 2, VAE decoder) on the same
 * model in the same process, interleaved. Prints `overhead N%` (fastest pipeline run over fastest
 * bare run, minus one: the comparison least disturbed by other load) with the medians too, and
 * steps/s. Default model: the tiny test fixture test/fixtures/sd-tiny/vpred-fp32.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import * as zlib from 'node:zlib';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { loadPipeline, validateModelDir, type ProviderRequest } from '../src/render';
import type { BenchSection } from './harness';
import { median } from './harness';

type Ort = typeof import('onnxruntime-node');

function repoRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'test', 'fixtures'))) return dir;
    if (path.dirname(dir) === dir) throw new Error('cannot find the repo root');
  }
}

/** The tiny fixture in a temp folder with its tokenizer files (they are stored gzipped once). */
function tinyModel(): { dir: string; cleanup(): void } {
  const root = repoRoot();
  const src = path.join(root, 'test', 'fixtures', 'sd-tiny', 'vpred-fp32');
  if (!fs.existsSync(src)) throw new Error(`no fixture model at ${src}; pass --model DIR`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-render-'));
  fs.cpSync(src, dir, { recursive: true });
  for (const f of ['vocab.json', 'merges.txt']) {
    fs.writeFileSync(path.join(dir, 'tokenizer', f), zlib.gunzipSync(fs.readFileSync(path.join(root, 'test', 'fixtures', 'clip-tokenizer', `${f}.gz`))));
  }
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
    };
  },
};

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { model: { type: 'string' }, provider: { type: 'string' }, steps: { type: 'string' }, size: { type: 'string' }, runs: { type: 'string' }, threads: { type: 'string' } },
  });
  const size = values.size ? /^(\d+)x(\d+)$/.exec(values.size) : null;
  const r = await benchRender({
    model: values.model,
    provider: values.provider as ProviderRequest | undefined,
    steps: values.steps ? Number(values.steps) : undefined,
    width: size ? Number(size[1]) : undefined,
    height: size ? Number(size[2]) : undefined,
    runs: values.runs ? Number(values.runs) : undefined,
    threads: values.threads ? Number(values.threads) : undefined,
  });
  process.stdout.write(
    `render bench: ${r.provider}, ${r.size}, ${r.steps} steps, guidance batch 2\n` +
      `pipeline ${r.pipelineMinMs.toFixed(1)} ms, bare session.run loop ${r.bareMinMs.toFixed(1)} ms (fastest of each)\n` +
      `pipeline ${r.pipelineMs.toFixed(1)} ms, bare session.run loop ${r.bareMs.toFixed(1)} ms (medians: overhead ${r.overheadMedianPct.toFixed(1)}%)\n` +
      `overhead ${r.overheadPct.toFixed(1)}%\n` +
      `steps/s ${r.stepsPerSecond.toFixed(2)} (pipeline UNet), ${r.bareStepsPerSecond.toFixed(2)} (bare, whole loop)\n`,
  );
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`bench:render failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  });
}
