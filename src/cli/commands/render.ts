/**
 * `spright-lens render`: renders prompts (or their SPRIGHT-style rewrites) with a local Stable
 * Diffusion ONNX export and writes PNGs that never overwrite earlier renders.
 */
import { randomInt } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import type { CliContext, Command } from '../command';
import { InputError, UsageError } from '../command';

const USAGE = `Usage: spright-lens render --model DIR (--prompt TEXT | FILE) --out DIR [options]

Renders each prompt with a local Stable Diffusion 2.x ONNX export (optimum layout, e.g. the
SPRIGHT fine-tune: optimum-cli export onnx --model SPRIGHT-T2I/spright-t2i-sd2 DIR) and writes
one PNG per image into --out; an existing file is never overwritten (name-2.png, name-3.png...).
Render settings are stored in the PNG's text chunks. Progress goes to stderr, written paths to
stdout.

  --model DIR          model folder (model_index.json, unet/, text_encoder/, vae_decoder/,
                       tokenizer/, scheduler/)
  --prompt TEXT        the prompt; or give a prompt FILE (.prompt/.txt one a line, .jsonl)
  --out DIR            output folder (created if needed)
  --steps N            denoising steps (default 25)
  --guidance G         classifier-free guidance scale (default 7.5; <= 1 disables it)
  --seed S             0..4294967295 (default: random, printed); image k of a prompt uses
                       draw k of the same generator
  --scheduler NAME     ddim | euler | euler_a | dpmpp_2m (default: the model's own, else dpmpp_2m)
  --size WxH           multiples of 8 (default: the UNet's sample size x 8, 768x768 for SD 2.1)
  --batch N            images per prompt (default 1)
  --negative TEXT      negative prompt
  --provider P         auto | cuda | webgpu | cpu (default auto: CUDA, then WebGPU, then CPU)
  --device N           GPU index for CUDA (default 0)
  --threads N          CPU provider threads (default: the physical cores, printed)
  --memory MODE        low | balanced | speed (default: low for one prompt, balanced for a
                       prompt FILE). Full-size SD 2.1, 512x512, 2 threads, peak RSS:
                         low       5.7 GiB: each part loads for its stage and is released
                                   after it; every prompt loads everything again
                         balanced  6.2-6.5 GiB: the UNet stays loaded from prompt to prompt;
                                   the text encoder and the VAE decoder load for every prompt
                         speed     7.5 GiB: every part stays loaded; nothing loads twice
  --rewrite            render the SPRIGHT-style rewrite of each prompt instead of the prompt

Progress shows seconds per step (steps per second when fast) and an ETA; after each image one
line gives load, text encoder, denoising, VAE and PNG times and the process's peak memory.

Seeds use the project's own generator (xoshiro128** + Box-Muller), not torch's: the same seed
gives the same image here on every machine, but not the image diffusers would give.
`;

const GRAPH_LABEL = { text_encoder: 'the text encoder', unet: 'the UNet', vae_decoder: 'the VAE decoder' } as const;

function int(name: string, v: string | undefined, def: number, min: number, max: number): number {
  if (v === undefined) return def;
  if (!/^\d+$/.test(v)) throw new UsageError(`--${name} must be a whole number, got '${v}'`);
  const n = Number(v);
  if (n < min || n > max) throw new UsageError(`--${name} must be in ${min}..${max}, got ${n}`);
  return n;
}

/** File-name stem from a prompt: lower-case words joined by '-', at most 60 characters. */
export function slug(text: string): string {
  const s = text
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/, '');
  return s || 'render';
}

async function defaultSize(modelDir: string): Promise<[number, number]> {
  try {
    const cfg = JSON.parse(await fs.readFile(path.join(modelDir, 'unet', 'config.json'), 'utf8')) as {
      sample_size?: number;
    };
    const vae = JSON.parse(await fs.readFile(path.join(modelDir, 'vae_decoder', 'config.json'), 'utf8')) as {
      block_out_channels?: unknown[];
    };
    const factor = Array.isArray(vae.block_out_channels) && vae.block_out_channels.length ? 2 ** (vae.block_out_channels.length - 1) : 8;
    if (typeof cfg.sample_size === 'number' && cfg.sample_size > 0) return [cfg.sample_size * factor, cfg.sample_size * factor];
  } catch {
    // No configs: SD 2.1's native size.
  }
  return [768, 768];
}

async function run(argv: string[], ctx: CliContext): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        model: { type: 'string' },
        prompt: { type: 'string' },
        out: { type: 'string' },
        steps: { type: 'string' },
        guidance: { type: 'string' },
        seed: { type: 'string' },
        scheduler: { type: 'string' },
        size: { type: 'string' },
        batch: { type: 'string' },
        negative: { type: 'string' },
        provider: { type: 'string' },
        device: { type: 'string' },
        threads: { type: 'string' },
        memory: { type: 'string' },
        rewrite: { type: 'boolean' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values: o, positionals } = parsed;
  if (!o.model) throw new UsageError('--model DIR is required (a Stable Diffusion ONNX export)');
  if (!o.out) throw new UsageError('--out DIR is required');
  if ((o.prompt === undefined) === (positionals.length === 0)) throw new UsageError('give either --prompt TEXT or one prompt FILE');
  if (positionals.length > 1) throw new UsageError(`one prompt FILE at a time, got ${positionals.length}`);

  // The render core and onnxruntime load only now, after the cheap checks.
  const render = require('../../render') as typeof import('../../render');
  const provider = (o.provider ?? 'auto') as import('../../render').ProviderRequest;
  if (!render.PROVIDER_REQUESTS.includes(provider)) throw new UsageError(`--provider must be one of ${render.PROVIDER_REQUESTS.join(', ')}, got '${o.provider}'`);
  const scheduler = o.scheduler as import('../../render').SchedulerName | undefined;
  if (scheduler !== undefined && !render.SCHEDULER_NAMES.includes(scheduler)) {
    throw new UsageError(`--scheduler must be one of ${render.SCHEDULER_NAMES.join(', ')}, got '${scheduler}'`);
  }
  const steps = int('steps', o.steps, 25, 1, 1000);
  const batch = int('batch', o.batch, 1, 1, 64);
  const deviceId = int('device', o.device, 0, 0, 64);
  const cores = render.physicalCores();
  const threads = int('threads', o.threads, cores, 1, 1024);
  if (o.memory !== undefined && !render.MEMORY_MODES.includes(o.memory as import('../../render').MemoryMode)) {
    throw new UsageError(`--memory must be one of ${render.MEMORY_MODES.join(', ')}, got '${o.memory}'`);
  }
  const seed = o.seed === undefined ? randomInt(0, 2 ** 32 - 1) : int('seed', o.seed, 0, 0, 0xffffffff);
  let guidance = 7.5;
  if (o.guidance !== undefined) {
    guidance = Number(o.guidance);
    if (!/^\d+(\.\d+)?$/.test(o.guidance) || !Number.isFinite(guidance)) throw new UsageError(`--guidance must be a number >= 0, got '${o.guidance}'`);
  }
  const modelDir = path.resolve(ctx.cwd, o.model);
  let width: number;
  let height: number;
  if (o.size !== undefined) {
    const m = /^(\d+)x(\d+)$/i.exec(o.size);
    if (!m) throw new UsageError(`--size must be WxH, e.g. 768x768, got '${o.size}'`);
    [width, height] = [Number(m[1]), Number(m[2])];
    if (width % 8 || height % 8 || width === 0 || height === 0) throw new UsageError(`--size must be multiples of 8, got ${o.size}`);
  } else {
    [width, height] = await defaultSize(modelDir);
  }

  // Prompts: one from --prompt, or every prompt of the FILE.
  const parser = require('../../parser') as typeof import('../../parser');
  let prompts: Array<{ text: string; where: string }>;
  if (o.prompt !== undefined) {
    if (!o.prompt.trim()) throw new UsageError('--prompt is empty');
    prompts = [{ text: o.prompt, where: '--prompt' }];
  } else {
    const file = path.resolve(ctx.cwd, positionals[0]!);
    try {
      prompts = parser.readPromptFile(file).map((r) => ({ text: r.text, where: `${r.source}:${r.line}` }));
    } catch (err) {
      if (err instanceof parser.PromptFileError) throw new InputError(err.message);
      throw err;
    }
    if (prompts.length === 0) throw new InputError(`${file}: no prompts (one a line; # starts a comment)`);
  }
  if (o.rewrite) {
    const generator = require('../../generator') as typeof import('../../generator');
    prompts = prompts.map((p) => {
      const r = generator.rewritePrompt(parser.parsePrompt(p.text));
      for (const note of r.notes) ctx.stderr.write(`${p.where}: rewrite: ${note}\n`);
      return { text: r.text, where: p.where };
    });
  }

  // One prompt reuses nothing, so nothing is kept: the UNet is released before the VAE decodes,
  // the lowest peak. A prompt file keeps the UNet from prompt to prompt.
  const memory = (o.memory ?? (prompts.length === 1 ? 'low' : 'balanced')) as import('../../render').MemoryMode;
  const memoryNote = o.memory === undefined ? ` (${prompts.length === 1 ? 'one prompt' : 'a prompt file'}; --memory to change)` : '';
  const outDir = path.resolve(ctx.cwd, o.out);
  const threadNote = `${threads} thread${threads === 1 ? '' : 's'}${o.threads === undefined ? ' = the physical cores (--threads N to change)' : ''}`;
  let pipeline: import('../../render').Pipeline;
  try {
    // The folder is checked (milliseconds) before the load line, so a bad one gets one line only.
    await render.validateModelDir(modelDir);
    ctx.stderr.write(`loading ${modelDir}: ${threadNote}, memory ${memory}${memoryNote}...\n`);
    pipeline = await render.loadPipeline(modelDir, {
      provider,
      deviceId,
      intraOpThreads: threads,
      memory,
      logger: { info: (m) => ctx.stderr.write(`${m}\n`), warn: (m) => ctx.stderr.write(`${m}\n`) },
    });
  } catch (err) {
    if (err instanceof render.ModelDirError) throw new InputError(err.message);
    if (err instanceof render.RenderParamsError) throw new UsageError(err.message);
    throw err;
  }
  const tty = ctx.stderr.isTTY === true;
  try {
    ctx.stderr.write(`loaded in ${render.formatSeconds(pipeline.load.ms)} on ${pipeline.provider}; ${width}x${height}, ${steps} step${steps === 1 ? '' : 's'}, seed ${seed}\n`);
    // The pipeline's own load counts in the first image's load time.
    let pendingLoadMs = pipeline.load.ms;
    let afterLoopMs = 0;
    for (const [k, p] of prompts.entries()) {
      const label = prompts.length > 1 ? `[${k + 1}/${prompts.length}] ` : '';
      let result;
      let loopStart = performance.now();
      let lastLine = -Infinity;
      try {
        result = await pipeline.generate(
          {
            prompt: p.text,
            negativePrompt: o.negative,
            steps,
            guidanceScale: guidance,
            seed,
            width,
            height,
            scheduler,
            batch,
          },
          {
            signal: ctx.signal,
            onPhase: (phase, graph) => {
              if (phase === 'denoising') loopStart = performance.now();
              else if (phase === 'loading' && graph) ctx.stderr.write(`${label}loading ${GRAPH_LABEL[graph]} (--memory ${memory} loads it for each image)\n`);
            },
            onStep: (step, total) => {
              const now = performance.now();
              const text = `${label}${render.stepProgress(step, total, now - loopStart, afterLoopMs)}`;
              if (tty) ctx.stderr.write(`\r${text}\x1b[K${step === total ? '\n' : ''}`);
              else if (step === total || now - lastLine >= 5000) {
                // Without a terminal, a line every 5 s at most: logs stay readable on a fast GPU.
                ctx.stderr.write(`${text}\n`);
                lastLine = now;
              }
            },
          },
        );
      } catch (err) {
        if (err instanceof render.RenderParamsError || err instanceof render.SchedulerConfigError) throw new UsageError(err.message);
        throw err;
      }
      const t = result.timings;
      const tWrite = performance.now();
      for (const png of result.png) {
        const file = await writeUnique(outDir, `${slug(p.text)}-${seed}`, png);
        ctx.stdout.write(`${file}\n`);
      }
      const pngMs = t.pngMs + (performance.now() - tWrite);
      afterLoopMs = t.vaeMs + pngMs;
      const summary = render.formatSummary({
        loadMs: pendingLoadMs + t.loadMs,
        textMs: t.textEncoderMs,
        denoiseMs: t.denoiseMs,
        steps,
        vaeMs: t.vaeMs,
        pngMs,
        peakRssBytes: render.peakRssBytes(),
      });
      ctx.stderr.write(`${label}${summary}\n`);
      pendingLoadMs = 0;
    }
  } finally {
    await pipeline.dispose();
  }
  return 0;
}

async function writeUnique(dir: string, base: string, data: Uint8Array): Promise<string> {
  const { writeFileUnique } = require('../../io/atomic') as typeof import('../../io/atomic');
  try {
    return await writeFileUnique(dir, base, '.png', data);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EACCES' || e.code === 'EROFS' || e.code === 'ENOTDIR' || e.code === 'ENOSPC') throw new InputError(`${dir}: cannot write the render (${e.code}: ${e.message})`);
    throw err;
  }
}

const command: Command = {
  name: 'render',
  summary: 'render prompts (or their SPRIGHT rewrites) locally with a Stable Diffusion ONNX model: PNGs with settings',
  usage: USAGE,
  run,
};
export default command;
