/**
 * `npm run bench:render -- [options]` (see USAGE): the render pipeline against a bare loop of the
 * same `session.run` calls on the pipeline's own sessions, in the same process, interleaved; with
 * `--compare`, the real-size comparison of `spright-lens render`, optimum's
 * ORTStableDiffusionPipeline and diffusers' PyTorch pipeline, each in its own process, on the same
 * export and weights (tools/parity/make_real_model.py builds them).
 *
 * Then region guidance: steps/s with 0, 2 and 4 regions, with the UNet's batch axis dynamic (all
 * region prompts in one `session.run` per step) and fixed to 2 (one run per prompt), and what one
 * region costs as a fraction of a plain step: over a whole render (bootstrapping 40% of the steps),
 * after bootstrapping and while bootstrapping. On the tiny model both graphs come from
 * test/fixtures/sd-tiny-regions; with --model only that export's own batch mode is measured.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import * as zlib from 'node:zlib';
import type { Tensor } from 'onnxruntime-node';
import { DEFAULT_BOOTSTRAP_FRACTION, type RegionGuide } from '../src/protocol/regions';
import { loadPipeline, MEMORY_MODES, peakRssBytes, physicalCores, PROVIDER_REQUESTS, type MemoryMode, type Pipeline, type ProviderRequest } from '../src/render';
import { useGraphSession } from '../src/render/pipeline';
import { formatGiB, parseSummary } from '../src/view/renderTimes';
import type { BenchSection } from './harness';
import { median } from './harness';

type Ort = typeof import('onnxruntime-node');

const USAGE = `Usage: npm run bench:render -- [options]

Times the render pipeline against a bare loop of the same session.run calls (text encoder x2,
UNet x steps with the guidance batch of 2, VAE decoder) on the pipeline's own sessions, in one
process, interleaved. Prints the overhead (fastest pipeline run over fastest bare run, minus one),
steps/s, load time and peak RSS.

  --model DIR        an optimum ONNX export (default: the tiny fixture test/fixtures/sd-tiny/vpred-fp32)
  --provider P       ${PROVIDER_REQUESTS.join(' | ')} (default cpu)
  --steps N          denoising steps (default 20; 4 with --model)
  --size WxH         image size (default 64x64; 512x512 with --model)
  --runs N           interleaved pipeline/bare runs (default 15; 2 with --model)
  --threads N        CPU threads (default 1 on the tiny model, where pool threads spinning
                     between runs would measure the core count; the physical cores with --model)
  --memory MODE      ${MEMORY_MODES.join(' | ')} (default speed: every session held, so the bare loop
                     times session.run alone)
  --compare          also run, each in its own process and in turn: spright-lens render, optimum's
                     ORTStableDiffusionPipeline and diffusers' PyTorch pipeline on the same model,
                     DDIM, guidance 7.5, the same size, steps and threads; prints s/step, load,
                     text, VAE, peak RSS and our ratios (needs --model and the Python peers)
  --cli-memory MODE  the CLI's --memory in the comparison (default: the CLI's own default)
  --rounds N         comparison rounds, the order rotating each round (default 2)
  --diffusers DIR    diffusers save_pretrained folder of the same weights (default: DIR/../diffusers,
                     where tools/parity/make_real_model.py puts it)
  --python CMD       Python with torch, diffusers, optimum-onnx, onnxruntime (default python3)
  --min-available G  before each heavy process, wait until G GiB of memory are available
                     (default 0: do not wait)
  --help             this text

Then, without --compare, region guidance: steps/s at 0, 2 and 4 regions and one region's cost as
a fraction of a plain step (the model needs its vae_encoder/).
`;

class BenchUsageError extends Error {}

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

function tensorFor(ort: Ort, type: string, data: Float32Array, dims: number[]): Tensor {
  if (type === 'float16') {
    const { float32ToFloat16 } = require('../src/render') as typeof import('../src/render');
    return new ort.Tensor('float16', float32ToFloat16(data), dims);
  }
  return new ort.Tensor('float32', data, dims);
}

export interface RenderBenchResult {
  readonly provider: string;
  readonly threads: number;
  readonly memory: MemoryMode;
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
  /** `loadPipeline`'s time. */
  readonly loadMs: number;
  /** The process's peak RSS after the first pipeline render (the pipeline alone), and at the end. */
  readonly pipelinePeakRssBytes: number;
  readonly benchPeakRssBytes: number;
}

export interface RenderBenchOptions {
  model?: string;
  provider?: ProviderRequest;
  steps?: number;
  width?: number;
  height?: number;
  runs?: number;
  threads?: number;
  memory?: MemoryMode;
  log?: (line: string) => void;
}

/**
 * Runs the pipeline and the bare loop `runs` times each, interleaved so that machine load hits
 * both alike. The bare loop runs on the pipeline's own sessions (`useGraphSession`), loaded and
 * released as the memory mode does, so no second set of sessions is ever held.
 */
export async function benchRender(opts: RenderBenchOptions): Promise<RenderBenchResult> {
  const ort = require('onnxruntime-node') as Ort;
  const real = opts.model !== undefined;
  const tiny = real ? undefined : tinyModel();
  const dir = opts.model ?? tiny!.dir;
  const log = opts.log ?? (() => undefined);
  try {
    const steps = opts.steps ?? (real ? 4 : 20);
    const width = opts.width ?? (real ? 512 : 64);
    const height = opts.height ?? (real ? 512 : 64);
    const runs = opts.runs ?? (real ? 2 : 15);
    const provider = opts.provider ?? 'cpu';
    // On the tiny model, one intra-op thread by default: onnxruntime's pool threads spin after
    // each run and, on a small machine, compete with whatever runs between two session.run calls,
    // which would measure the machine's core count rather than the pipeline's own cost.
    const threads = opts.threads ?? (real ? physicalCores() : 1);
    const memory = opts.memory ?? 'speed';
    const tLoad = performance.now();
    const pipeline = await loadPipeline(dir, {
      provider,
      intraOpThreads: threads,
      memory,
      logger: { info: () => undefined, warn: (m) => process.stderr.write(`${m}\n`) },
    });
    const loadMs = performance.now() - tLoad;
    log(`loaded in ${(loadMs / 1000).toFixed(1)} s on ${pipeline.provider}, ${threads} threads, memory ${memory}`);
    try {
      const info = pipeline.info;
      // Input types and shapes from the graph files: lazily loaded sessions may not exist yet.
      const sig = (graph: 'text_encoder' | 'unet' | 'vae_decoder', name: string): { type: string; shape: ReadonlyArray<number | string> } =>
        info.graphs[graph].inputs.find((m) => m.name === name)!;
      const ids = Array.from({ length: 77 }, (_, i) => (i === 0 ? 49406 : i === 10 ? 49407 : i < 10 ? 320 + i : 0));
      const idsTensor =
        sig('text_encoder', 'input_ids').type === 'int64'
          ? new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, 77])
          : new ort.Tensor('int32', Int32Array.from(ids), [1, 77]);
      const f = info.vaeScaleFactor;
      const lat = [4, height / f, width / f];
      const per = lat[0]! * lat[1]! * lat[2]!;
      const tsMeta = sig('unet', 'timestep');
      const tsDims = tsMeta.shape.length === 0 ? [] : [typeof tsMeta.shape[0] === 'number' && tsMeta.shape[0] > 0 ? tsMeta.shape[0] : 2];
      const tsLen = tsDims.length ? tsDims[0]! : 1;
      const tsType = tsMeta.type;
      const bare = async (): Promise<number> => {
        const t0 = performance.now();
        const ehsT = await useGraphSession(pipeline, 'text_encoder', async (te) => {
          const a = await te.run({ input_ids: idsTensor }, ['last_hidden_state']);
          const b = await te.run({ input_ids: idsTensor }, ['last_hidden_state']);
          const hidden = a.last_hidden_state!.dims;
          const ehs = new Float32Array(2 * a.last_hidden_state!.size);
          ehs.set(a.last_hidden_state!.data as Float32Array, 0);
          ehs.set(b.last_hidden_state!.data as Float32Array, a.last_hidden_state!.size);
          return tensorFor(ort, sig('unet', 'encoder_hidden_states').type, ehs, [2, hidden[1]!, hidden[2]!]);
        });
        const sample = randomFloats(2 * per, 1);
        await useGraphSession(pipeline, 'unet', async (unet) => {
          for (let i = 0; i < steps; i++) {
            const t = 999 - (i * 999) / steps;
            const ts =
              tsType === 'int64'
                ? new ort.Tensor('int64', new BigInt64Array(tsLen).fill(BigInt(Math.trunc(t))), tsDims)
                : tensorFor(ort, tsType, new Float32Array(tsLen).fill(t), tsDims);
            await unet.run(
              {
                sample: tensorFor(ort, sig('unet', 'sample').type, sample, [2, ...lat]),
                timestep: ts,
                encoder_hidden_states: ehsT,
              },
              ['out_sample'],
            );
          }
        });
        await useGraphSession(pipeline, 'vae_decoder', (vae) =>
          vae.run(
            {
              latent_sample: tensorFor(ort, sig('vae_decoder', 'latent_sample').type, randomFloats(per, 2), [1, ...lat]),
            },
            ['sample'],
          ),
        );
        return performance.now() - t0;
      };
      const full = async (): Promise<{ ms: number; sps: number }> => {
        const t0 = performance.now();
        const r = await pipeline.generate({
          prompt: 'a red cube to the left of a blue sphere',
          steps,
          guidanceScale: 7.5,
          seed: 1,
          width,
          height,
          scheduler: 'ddim',
        });
        return { ms: performance.now() - t0, sps: r.timings.stepsPerSecond };
      };
      const bareTimes: number[] = [];
      const fullTimes: number[] = [];
      const sps: number[] = [];
      // The pipeline alone first: its peak RSS is the yardstick for the bare loop's extra memory.
      // On the tiny model both loops get a warm-up run; at real size a run is a minute or more and
      // the fastest-of comparison below leaves the first (arena-growing) runs out anyway.
      const first = await full();
      const pipelinePeak = peakRssBytes();
      log(`pipeline run 1: ${(first.ms / 1000).toFixed(1)} s, peak RSS ${formatGiB(pipelinePeak)}`);
      if (real) {
        fullTimes.push(first.ms);
        sps.push(first.sps);
      }
      if (!real) await bare();
      for (let r = 0; r < runs; r++) {
        bareTimes.push(await bare());
        log(`bare run ${r + 1}: ${(bareTimes.at(-1)! / 1000).toFixed(1)} s`);
        if (real && r === runs - 1) break;
        const f1 = await full();
        fullTimes.push(f1.ms);
        sps.push(f1.sps);
        log(`pipeline run ${fullTimes.length}: ${(f1.ms / 1000).toFixed(1)} s`);
      }
      bareTimes.sort((x, y) => x - y);
      fullTimes.sort((x, y) => x - y);
      sps.sort((x, y) => x - y);
      const bareMs = median(bareTimes);
      const pipelineMs = median(fullTimes);
      return {
        provider: pipeline.provider,
        threads,
        memory,
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
        loadMs,
        pipelinePeakRssBytes: pipelinePeak,
        benchPeakRssBytes: peakRssBytes(),
      };
    } finally {
      await pipeline.dispose();
    }
  } finally {
    tiny?.cleanup();
  }
}

/** One measured render of one contender, in its own process. */
export interface ContenderRun {
  readonly name: 'ours' | 'optimum' | 'diffusers';
  readonly loadS: number;
  readonly textS: number;
  readonly sPerStep: number;
  readonly vaeS: number;
  readonly wallS: number;
  readonly peakRssBytes: number;
}

interface CompareOptions {
  model: string;
  diffusers: string;
  python: string;
  steps: number;
  width: number;
  height: number;
  threads: number;
  cliMemory: MemoryMode | undefined;
  rounds: number;
  minAvailableGiB: number;
  log: (line: string) => void;
}

function availableGiB(): number {
  try {
    const m = /^MemAvailable:\s+(\d+) kB/m.exec(fs.readFileSync('/proc/meminfo', 'utf8'));
    return m ? Number(m[1]) / 2 ** 20 : Infinity;
  } catch {
    return Infinity;
  }
}

async function waitForMemory(gib: number, log: (line: string) => void): Promise<void> {
  let told = false;
  while (availableGiB() < gib) {
    if (!told) log(`waiting for ${gib} GiB of available memory (${availableGiB().toFixed(1)} GiB now)...`);
    told = true;
    await new Promise((r) => setTimeout(r, 15_000));
  }
}

function run(cmd: string, args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string; wallS: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, wallS: (performance.now() - t0) / 1000 }));
  });
}

async function runContender(name: ContenderRun['name'], o: CompareOptions, out: string): Promise<ContenderRun> {
  const root = repoRoot();
  const size = `${o.width}x${o.height}`;
  if (name === 'ours') {
    const args = [path.join(root, 'bin', 'spright-lens.js'), 'render', '--model', o.model, '--prompt', 'a red cube to the left of a blue sphere', '--out', out];
    args.push('--steps', String(o.steps), '--size', size, '--scheduler', 'ddim', '--guidance', '7.5', '--seed', '1', '--provider', 'cpu', '--threads', String(o.threads));
    if (o.cliMemory) args.push('--memory', o.cliMemory);
    const r = await run(process.execPath, args, root);
    const s = parseSummary(r.stderr);
    if (r.code !== 0 || !s) throw new Error(`spright-lens render failed (exit ${r.code}):\n${r.stderr.slice(-2000)}`);
    return {
      name,
      loadS: s.loadMs / 1000,
      textS: s.textMs / 1000,
      sPerStep: s.denoiseMs / o.steps / 1000,
      vaeS: s.vaeMs / 1000,
      wallS: r.wallS,
      peakRssBytes: s.peakRssBytes,
    };
  }
  const script = path.join(root, 'tools', 'parity', 'peer_render.py');
  const model = name === 'optimum' ? o.model : o.diffusers;
  const r = await run(
    o.python,
    [script, '--runner', name, '--model', model, '--steps', String(o.steps), '--size', size, '--guidance', '7.5', '--threads', String(o.threads), '--seed', '1'],
    root,
  );
  const line = r.stdout.trim().split('\n').at(-1) ?? '';
  if (r.code !== 0 || !line.startsWith('{')) throw new Error(`${name} (${o.python} ${script}) failed (exit ${r.code}):\n${r.stderr.slice(-2000)}`);
  const j = JSON.parse(line) as {
    load_s: number;
    text_s: number;
    denoise_s: number;
    vae_s: number;
    peak_rss_bytes: number;
  };
  return {
    name,
    loadS: j.load_s,
    textS: j.text_s,
    sPerStep: j.denoise_s / o.steps,
    vaeS: j.vae_s,
    wallS: r.wallS,
    peakRssBytes: j.peak_rss_bytes,
  };
}

/** Runs each contender once per round, one process at a time, rotating the order every round. */
export async function compareRender(o: CompareOptions): Promise<ContenderRun[][]> {
  const names: Array<ContenderRun['name']> = ['ours', 'optimum', 'diffusers'];
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-compare-'));
  const rounds: ContenderRun[][] = [];
  try {
    for (let r = 0; r < o.rounds; r++) {
      const round: ContenderRun[] = [];
      for (let k = 0; k < names.length; k++) {
        const name = names[(k + r) % names.length]!;
        await waitForMemory(o.minAvailableGiB, o.log);
        const c = await runContender(name, o, out);
        o.log(`round ${r + 1}, ${name}: ${c.sPerStep.toFixed(2)} s/step, load ${c.loadS.toFixed(1)} s, peak RSS ${formatGiB(c.peakRssBytes)}, wall ${c.wallS.toFixed(0)} s`);
        round.push(c);
      }
      rounds.push(round);
    }
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
  return rounds;
}

function range(values: number[], digits: number): string {
  const s = [...values].sort((a, b) => a - b);
  const lo = s[0]!.toFixed(digits);
  const hi = s.at(-1)!.toFixed(digits);
  return lo === hi ? lo : `${lo}-${hi}`;
}

/** The comparison as a table: per contender the spread over rounds; our ratios per round. */
export function compareTable(rounds: ContenderRun[][]): string {
  const by = (name: ContenderRun['name']): ContenderRun[] => rounds.map((r) => r.find((c) => c.name === name)!);
  const label: Record<ContenderRun['name'], string> = {
    ours: 'spright-lens render',
    optimum: 'optimum ORTStableDiffusionPipeline',
    diffusers: 'diffusers (PyTorch fp32)',
  };
  const lines = [`${'contender'.padEnd(36)} ${'s/step'.padEnd(12)} ${'load s'.padEnd(12)} ${'text s'.padEnd(12)} ${'VAE s'.padEnd(12)} peak RSS GiB`];
  for (const name of ['ours', 'optimum', 'diffusers'] as const) {
    const runs = by(name);
    lines.push(
      `${label[name].padEnd(36)} ${range(
        runs.map((c) => c.sPerStep),
        2,
      ).padEnd(12)} ${range(
        runs.map((c) => c.loadS),
        1,
      ).padEnd(12)} ${range(
        runs.map((c) => c.textS),
        2,
      ).padEnd(12)} ${range(
        runs.map((c) => c.vaeS),
        1,
      ).padEnd(12)} ${range(
        runs.map((c) => c.peakRssBytes / 2 ** 30),
        2,
      )}`,
    );
  }
  for (const peer of ['optimum', 'diffusers'] as const) {
    const step = rounds.map((r) => r.find((c) => c.name === 'ours')!.sPerStep / r.find((c) => c.name === peer)!.sPerStep);
    const rss = rounds.map((r) => r.find((c) => c.name === 'ours')!.peakRssBytes / r.find((c) => c.name === peer)!.peakRssBytes);
    const load = rounds.map((r) => r.find((c) => c.name === 'ours')!.loadS / r.find((c) => c.name === peer)!.loadS);
    lines.push(
      `ours / ${peer}: s/step ${median([...step].sort((a, b) => a - b)).toFixed(3)}x (rounds ${step.map((v) => v.toFixed(3)).join(', ')}), ` +
        `peak RSS ${median([...rss].sort((a, b) => a - b)).toFixed(3)}x, load ${median([...load].sort((a, b) => a - b)).toFixed(2)}x`,
    );
  }
  return lines.join('\n');
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

function positiveInt(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new BenchUsageError(`--${name} must be a whole number >= 1, got '${v}'`);
  return Number(v);
}

async function main(argv: string[]): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        model: { type: 'string' },
        provider: { type: 'string' },
        steps: { type: 'string' },
        size: { type: 'string' },
        runs: { type: 'string' },
        threads: { type: 'string' },
        memory: { type: 'string' },
        compare: { type: 'boolean' },
        'cli-memory': { type: 'string' },
        rounds: { type: 'string' },
        diffusers: { type: 'string' },
        python: { type: 'string' },
        'min-available': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new BenchUsageError((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const size = values.size ? /^(\d+)x(\d+)$/.exec(values.size) : null;
  if (values.size && !size) throw new BenchUsageError(`--size must be WxH, got '${values.size}'`);
  const dims = { width: size ? Number(size[1]) : undefined, height: size ? Number(size[2]) : undefined };
  const provider = values.provider as ProviderRequest | undefined;
  if (provider !== undefined && !PROVIDER_REQUESTS.includes(provider)) throw new BenchUsageError(`--provider must be one of ${PROVIDER_REQUESTS.join(', ')}`);
  for (const k of ['memory', 'cli-memory'] as const) {
    const m = values[k];
    if (m !== undefined && !MEMORY_MODES.includes(m as MemoryMode)) throw new BenchUsageError(`--${k} must be one of ${MEMORY_MODES.join(', ')}`);
  }
  if (values.compare && !values.model) throw new BenchUsageError('--compare needs --model DIR (tools/parity/make_real_model.py builds one)');
  const minAvailable = values['min-available'] === undefined ? 0 : Number(values['min-available']);
  if (!Number.isFinite(minAvailable) || minAvailable < 0) throw new BenchUsageError(`--min-available must be a number of GiB, got '${values['min-available']}'`);
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  const model = values.model ? path.resolve(values.model) : undefined;
  const threads = positiveInt('threads', values.threads);
  const steps = positiveInt('steps', values.steps);
  if (model) await waitForMemory(minAvailable, log);
  const r = await benchRender({
    model,
    provider,
    steps,
    ...dims,
    runs: positiveInt('runs', values.runs),
    threads,
    memory: values.memory as MemoryMode | undefined,
    log: model ? log : undefined,
  });
  process.stdout.write(
    `render bench: ${r.provider}, ${r.size}, ${r.steps} steps, guidance batch 2, ${r.threads} thread${r.threads === 1 ? '' : 's'}, memory ${r.memory}\n` +
      `load ${(r.loadMs / 1000).toFixed(2)} s\n` +
      `pipeline ${r.pipelineMinMs.toFixed(1)} ms, bare session.run loop ${r.bareMinMs.toFixed(1)} ms (fastest of each)\n` +
      `pipeline ${r.pipelineMs.toFixed(1)} ms, bare session.run loop ${r.bareMs.toFixed(1)} ms (medians: overhead ${r.overheadMedianPct.toFixed(1)}%)\n` +
      `overhead ${r.overheadPct.toFixed(1)}%\n` +
      `steps/s ${r.stepsPerSecond.toPrecision(3)} (pipeline denoising loop), ${r.bareStepsPerSecond.toPrecision(3)} (bare, whole loop)\n` +
      `peak RSS ${formatGiB(r.pipelinePeakRssBytes)} after the pipeline's first render, ${formatGiB(r.benchPeakRssBytes)} with the bare loop too ` +
      `(${(r.benchPeakRssBytes / r.pipelinePeakRssBytes).toFixed(3)}x: the bare loop runs on the pipeline's own sessions)\n`,
  );
  if (values.compare && model) {
    const o: CompareOptions = {
      model,
      diffusers: path.resolve(values.diffusers ?? path.join(model, '..', 'diffusers')),
      python: values.python ?? 'python3',
      steps: r.steps,
      width: Number(r.size.split('x')[0]),
      height: Number(r.size.split('x')[1]),
      threads: r.threads,
      cliMemory: values['cli-memory'] as MemoryMode | undefined,
      rounds: positiveInt('rounds', values.rounds) ?? 2,
      minAvailableGiB: minAvailable,
      log,
    };
    if (!fs.existsSync(path.join(o.diffusers, 'model_index.json'))) throw new BenchUsageError(`${o.diffusers}: no diffusers pipeline (model_index.json); pass --diffusers DIR`);
    const rounds = await compareRender(o);
    process.stdout.write(
      `\nreal-size comparison: ${r.size}, ${r.steps} steps, DDIM, guidance 7.5, ${r.threads} threads, CPU, ${o.rounds} round${o.rounds === 1 ? '' : 's'}\n${compareTable(rounds)}\n`,
    );
  }
  // Region guidance, unless this run is the real-size comparison. Each region run renders ten
  // configurations, so it takes a third of the runs.
  if (!values.compare) {
    const runs = positiveInt('runs', values.runs);
    const regions = await benchRegions({
      model,
      provider,
      steps,
      ...dims,
      threads,
      runs: runs === undefined ? undefined : Math.max(1, Math.round(runs / 3)),
    });
    process.stdout.write(`\n${formatRegions(regions)}`);
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    if (err instanceof BenchUsageError) {
      process.stderr.write(`bench:render: ${err.message}\n${USAGE}`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`bench:render failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  });
}
