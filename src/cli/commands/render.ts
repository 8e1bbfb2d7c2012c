/**
 * `spright-lens render`: renders prompts (or their SPRIGHT-style rewrites) with a local Stable
 * Diffusion ONNX export, through the inference service (the same one the editor renders with),
 * which writes the PNGs under deterministic names.
 */
import { randomInt } from 'node:crypto';
import * as path from 'node:path';
import { outputStem } from '../../io/outputNames';
import type { RegionGuide } from '../../protocol/regions';
import { MAX_BATCH, MAX_STEPS, MEMORY_MODES, PROVIDER_REQUESTS, SCHEDULER_NAMES, type MemoryMode, type ProviderRequest, type SchedulerName } from '../../protocol/service';
import { formatSeconds, formatSummary, stepProgress } from '../../view/renderTimes';
import { parseFlags, parseSizeFlag } from '../args';
import type { CliContext, Command } from '../command';
import { InputError, UsageError } from '../command';
import { readPromptInputs } from '../io';
import { cliError, forkedService } from '../service';

const USAGE = `Usage: spright-lens render --model DIR (--prompt TEXT | FILE | -) --out DIR [options]

Renders each prompt with a local Stable Diffusion 2.x ONNX export (optimum layout, e.g. the
SPRIGHT fine-tune: optimum-cli export onnx --model SPRIGHT-T2I/spright-t2i-sd2 DIR) and writes
one PNG per image into --out, named {stem}-{seed}.png ({stem}-{seed}_{k}.png for image k of
--batch N), where the stem is the prompt's words joined by '-' (at most 60 characters). The same
render again replaces its own file; a file of that name holding a different render is kept, and
the new one is written as {stem}-{seed}-{digest}.png (digest of its settings) with a note on
stderr. Render settings are stored in the PNG's text chunks. Progress goes to stderr, written
paths to stdout.

  --model DIR          model folder (model_index.json, unet/, text_encoder/, vae_decoder/,
                       tokenizer/, scheduler/)
  --prompt TEXT        the prompt; or give a prompt FILE (.prompt/.txt one a line, .jsonl),
                       or - to read prompts (one a line) from stdin
  --out DIR            output folder (created if needed)
  --steps N            denoising steps (default 25)
  --guidance G         classifier-free guidance scale (default 7.5; <= 1 disables it)
  --seed S             0..4294967295 (default: random, printed); image k of a prompt uses
                       draw k of the same generator
  --scheduler NAME     ddim | euler | euler_a | dpmpp_2m (default: the model's own, else dpmpp_2m)
  --size WxH           multiples of 8 up to 4096 (default: the UNet's sample size x 8, 768x768
                       for SD 2.1); a size that cannot fit in memory is refused before rendering
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
  --guide layout       region guidance: plan each prompt's layout (as rewrite does) and denoise
                       every object box with its own prompt, blended into the whole picture
                       (region-based MultiDiffusion); needs the model's vae_encoder/
  --layout FILE        region guidance with the layouts drawn in the editor's preview panel
                       (the <prompt file>.layout.json beside the prompt file): a prompt with a
                       layout there renders with its boxes, one without (or whose text changed
                       since its layout was drawn) with its planned layout, said on stderr

Progress shows seconds per step (steps per second when fast) and an ETA; after each image one
line gives load, text encoder, denoising, VAE and PNG times and the process's peak memory.

Seeds use the project's own generator (xoshiro128** + Box-Muller), not torch's: the same seed
gives the same image here on every machine, but not the image diffusers would give.
`;

const GRAPH_LABEL = { text_encoder: 'the text encoder', unet: 'the UNet', vae_decoder: 'the VAE decoder', vae_encoder: 'the VAE encoder' } as const;

function int(name: string, v: string | undefined, def: number, min: number, max: number): number {
  if (v === undefined) return def;
  if (!/^\d+$/.test(v)) throw new UsageError(`--${name} must be a whole number, got '${v}'`);
  const n = Number(v);
  if (n < min || n > max) throw new UsageError(`--${name} must be in ${min}..${max}, got ${n}`);
  return n;
}

async function run(argv: string[], ctx: CliContext): Promise<number> {
  const { values: o, positionals } = parseFlags({
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
      guide: { type: 'string' },
      layout: { type: 'string' },
    },
  });
  if (!o.model) throw new UsageError('--model DIR is required (a Stable Diffusion ONNX export)');
  if (!o.out) throw new UsageError('--out DIR is required');
  if ((o.prompt === undefined) === (positionals.length === 0)) throw new UsageError('give either --prompt TEXT or one prompt FILE');
  if (positionals.length > 1) throw new UsageError(`one prompt FILE at a time, got ${positionals.length}`);
  if (o.guide !== undefined && o.guide !== 'layout') throw new UsageError(`--guide must be 'layout' (plan the layout from the prompt), got '${o.guide}'`);

  const provider = (o.provider ?? 'auto') as ProviderRequest;
  if (!PROVIDER_REQUESTS.includes(provider)) throw new UsageError(`--provider must be one of ${PROVIDER_REQUESTS.join(', ')}, got '${o.provider}'`);
  const scheduler = o.scheduler as SchedulerName | undefined;
  if (scheduler !== undefined && !SCHEDULER_NAMES.includes(scheduler)) {
    throw new UsageError(`--scheduler must be one of ${SCHEDULER_NAMES.join(', ')}, got '${scheduler}'`);
  }
  const steps = int('steps', o.steps, 25, 1, MAX_STEPS);
  const batch = int('batch', o.batch, 1, 1, MAX_BATCH);
  const deviceId = int('device', o.device, 0, 0, 64);
  const threads = o.threads === undefined ? undefined : int('threads', o.threads, 1, 1, 1024);
  if (o.memory !== undefined && !MEMORY_MODES.includes(o.memory as MemoryMode)) {
    throw new UsageError(`--memory must be one of ${MEMORY_MODES.join(', ')}, got '${o.memory}'`);
  }
  const seed = o.seed === undefined ? randomInt(0, 2 ** 32 - 1) : int('seed', o.seed, 0, 0, 0xffffffff);
  let guidance = 7.5;
  if (o.guidance !== undefined) {
    guidance = Number(o.guidance);
    if (!/^\d+(\.\d+)?$/.test(o.guidance) || !Number.isFinite(guidance)) throw new UsageError(`--guidance must be a number >= 0, got '${o.guidance}'`);
  }
  const modelDir = path.resolve(ctx.cwd, o.model);
  const size = o.size === undefined ? undefined : parseSizeFlag(o.size);

  // Prompts: one from --prompt, or every prompt of the FILE (- = stdin).
  let prompts: Prompt[];
  if (o.prompt !== undefined) {
    if (!o.prompt.trim()) throw new UsageError('--prompt is empty');
    prompts = [{ text: o.prompt, where: '--prompt', line: null }];
  } else {
    const file = positionals[0]!;
    prompts = (await readPromptInputs([file], ctx)).map((r) => ({ text: r.text, where: `${r.source}:${r.line}`, line: r.line }));
    if (prompts.length === 0) throw new InputError(`${file === '-' ? '<stdin>' : path.resolve(ctx.cwd, file)}: no prompts (one a line; # starts a comment)`);
  }
  // The layout file is read (and checked against its schema) before the model loads.
  const layouts = o.layout === undefined ? undefined : await readLayouts(path.resolve(ctx.cwd, o.layout));
  const guided = o.guide === 'layout' || layouts !== undefined;
  if (o.rewrite && !guided) {
    const parser = require('../../parser') as typeof import('../../parser');
    const generator = require('../../generator') as typeof import('../../generator');
    prompts = prompts.map((p) => {
      const r = generator.rewritePrompt(parser.parsePrompt(p.text));
      for (const note of r.notes) ctx.stderr.write(`${p.where}: rewrite: ${note}\n`);
      return { ...p, text: r.text };
    });
  }

  // One prompt reuses nothing, so nothing is kept: the UNet is released before the VAE decodes,
  // the lowest peak. A prompt file keeps the UNet from prompt to prompt.
  const memory = (o.memory ?? (prompts.length === 1 ? 'low' : 'balanced')) as MemoryMode;
  const memoryNote = o.memory === undefined ? ` (${prompts.length === 1 ? 'one prompt' : 'a prompt file'}; --memory to change)` : '';
  const outDir = path.resolve(ctx.cwd, o.out);
  // The service says which threads it used (the physical cores of its machine by default).
  const threadNote = (n: number): string => `${n} thread${n === 1 ? '' : 's'}${o.threads === undefined ? ' = the physical cores (--threads N to change)' : ''}`;
  const tty = ctx.stderr.isTTY === true;
  const service = forkedService(ctx);
  try {
    // The model is checked (files and graph signatures, no weights) before anything renders.
    const check = await service.call('model/check', { modelDir });
    if (!check.ok) throw new InputError(check.problem);
    // A render takes minutes: an --out that names a file or a read-only place fails now, not after.
    const { OutputDirError, prepareOutputDir } = require('../../io/outputDir') as typeof import('../../io/outputDir');
    try {
      await prepareOutputDir(outDir);
    } catch (err) {
      if (err instanceof OutputDirError) throw new InputError(err.message);
      throw err;
    }
    const { width, height } = size ?? check.defaultSize;
    // Region guides need the render's size, which may be the model's own.
    let guides: Array<RegionGuide | undefined> = prompts.map(() => undefined);
    if (guided) ({ prompts, guides } = planGuides(prompts, width, height, o.rewrite === true, layouts, ctx));
    // What the decode and PNG of the last image took, added to the ETA.
    let afterLoopMs = 0;
    for (const [k, p] of prompts.entries()) {
      const label = prompts.length > 1 ? `[${k + 1}/${prompts.length}] ` : '';
      let lastLine = -Infinity;
      const result = await service.call(
        'render',
        { modelDir, provider, deviceId, threads, memory, prompt: p.text, negativePrompt: o.negative, steps, guidanceScale: guidance, seed, width, height, scheduler, batch, regions: guides[k], output: { dir: outDir, stem: outputStem(p.text) } },
        {
          signal: ctx.signal,
          onProgress: (e) => {
            const { phase, step, total } = e;
            // Said once the model has loaded (the pipeline's first event names the provider).
            if (e.loaded && e.provider !== undefined && (k === 0 || e.loaded.ms > 0)) {
              // Said once loaded, so that a model that cannot load is the only line.
              ctx.stderr.write(
                `${label}model ${modelDir} loaded in ${formatSeconds(e.loaded.ms)} on ${e.provider} with ${threadNote(e.loaded.threads)}, memory ${memory}${memoryNote}; ` +
                  `${width}x${height}, ${steps} step${steps === 1 ? '' : 's'}, seed ${seed}\n`,
              );
            }
            if (phase === 'loading' && e.graph) ctx.stderr.write(`${label}loading ${GRAPH_LABEL[e.graph]} (--memory ${memory} loads it for each image)\n`);
            if ((phase !== 'denoising' && phase !== 'decoding') || step === 0 || e.loopMs === undefined) return;
            const now = performance.now();
            const text = `${label}${stepProgress(step, total, e.loopMs, afterLoopMs)}`;
            if (tty) ctx.stderr.write(`\r${text}\x1b[K${step === total ? '\n' : ''}`);
            else if (step === total || now - lastLine >= 5000) {
              // Without a terminal, a line every 5 s at most: logs stay readable on a fast GPU.
              ctx.stderr.write(`${text}\n`);
              lastLine = now;
            }
          },
        },
      );
      for (const f of result.files) {
        if (f.kept) ctx.stderr.write(`note: ${f.kept.path} holds another render (${f.kept.differs.join(', ')}); kept it and wrote ${path.basename(f.path)}\n`);
        ctx.stdout.write(`${f.path}\n`);
      }
      // The service's own figures: its load, stages and peak memory (it is the process that renders).
      const t = result.timings;
      afterLoopMs = t.vaeMs + t.pngMs;
      ctx.stderr.write(`${label}${formatSummary({ loadMs: t.loadMs, textMs: t.textEncoderMs, denoiseMs: t.denoiseMs, steps, vaeMs: t.vaeMs, pngMs: t.pngMs, peakRssBytes: t.peakRssBytes })}\n`)
    }
  } catch (err) {
    throw cliError(err, `${outDir}: cannot write the render`, 'give --out a folder you can write to');
  } finally {
    service.dispose();
  }
  return 0;
}

/** A prompt to render, where it came from (for messages) and its 1-based line (null for --prompt). */
interface Prompt {
  text: string;
  where: string;
  line: number | null;
}

/** The saved layouts of `--layout FILE`, read and validated; a bad file is one line and exit 2. */
async function readLayouts(file: string): Promise<{ file: string; layouts: import('../../generator/layoutFile').LayoutFile }> {
  const { LayoutFileError, readLayoutFile } = require('../../generator/layoutFile') as typeof import('../../generator/layoutFile');
  try {
    const layouts = await readLayoutFile(file);
    if (layouts === null) throw new InputError(`${file}: no such layout file; draw one in the editor's preview panel (it saves <prompt file>.layout.json beside the prompts), or leave out --layout`);
    return { file, layouts };
  } catch (err) {
    if (err instanceof LayoutFileError) throw new InputError(err.message);
    throw err;
  }
}

/**
 * Region guides: each prompt's saved layout from `--layout FILE` when it has one, else its layout
 * planned as the rewrite plans it (seed 0, the render's aspect at the planner's 768-pixel scale).
 * With `rewrite` the prompt rendered (and the background's fallback) is the rewrite.
 */
function planGuides(
  prompts: Prompt[],
  width: number,
  height: number,
  rewrite: boolean,
  layouts: { file: string; layouts: import('../../generator/layoutFile').LayoutFile } | undefined,
  ctx: CliContext,
): { prompts: Prompt[]; guides: RegionGuide[] } {
  const parser = require('../../parser') as typeof import('../../parser');
  const generator = require('../../generator') as typeof import('../../generator');
  const { regionGuideFromLayout } = require('../../generator/regions') as typeof import('../../generator/regions');
  const { layoutWithSaved, matchLayout } = require('../../generator/layoutFile') as typeof import('../../generator/layoutFile');
  const scale = 768 / Math.max(width, height);
  const size = { width: Math.max(16, Math.round(width * scale)), height: Math.max(16, Math.round(height * scale)) };
  const positions = prompts.filter((p): p is Prompt & { line: number } => p.line !== null).map((p) => ({ line: p.line, text: p.text }));
  const out = prompts.map((p) => {
    const parsed = parser.parsePrompt(p.text);
    const r = generator.rewritePrompt(parsed, size);
    for (const note of r.notes) ctx.stderr.write(`${p.where}: ${rewrite ? 'rewrite' : 'layout'}: ${note}\n`);
    const text = rewrite ? r.text : p.text;
    let layout = r.layout ?? { ...size, boxes: [] };
    let from = '';
    if (layouts !== undefined) {
      const name = path.basename(layouts.file);
      const match = matchLayout(layouts.layouts, p, positions);
      if (match.status === 'fresh') {
        const { result, unmatched } = layoutWithSaved(parsed, match.saved, size);
        if (result.ok) {
          layout = result.layout;
          from = ` from ${name}`;
          if (unmatched.length > 0) ctx.stderr.write(`${p.where}: layout: ${name} has boxes for objects the prompt does not name (${unmatched.map((b) => b.id).join(', ')}); left out\n`);
          const drawn = layout.width / layout.height;
          if (Math.abs(drawn / (width / height) - 1) > 0.01) ctx.stderr.write(`${p.where}: layout: drawn on ${layout.width}x${layout.height}, rendered at ${width}x${height}: the boxes stretch with the picture\n`);
        }
      } else if (match.status === 'stale') {
        ctx.stderr.write(`${p.where}: layout: the layout on line ${match.saved.line} of ${name} was drawn for "${match.saved.prompt}"; the prompt changed since, so its planned layout is used (re-plan or keep it in the preview panel)\n`);
      } else {
        ctx.stderr.write(`${p.where}: layout: none in ${name}; planned\n`);
      }
    }
    const guide = regionGuideFromLayout({ ...parsed, text }, layout);
    const what = guide.regions.length ? guide.regions.map((g) => g.prompt).join('; ') : 'no objects to place, a plain render';
    ctx.stderr.write(`${p.where}: guide: ${guide.regions.length} region${guide.regions.length === 1 ? '' : 's'}${from} (${what})\n`);
    return { prompt: { ...p, text }, guide };
  });
  return { prompts: out.map((x) => x.prompt), guides: out.map((x) => x.guide) };
}

const command: Command = {
  name: 'render',
  summary: 'render prompts (or their SPRIGHT rewrites) locally with a Stable Diffusion ONNX model: PNGs with settings',
  usage: USAGE,
  run,
};
export default command;
