/**
 * `spright-lens render`: renders prompts (or their SPRIGHT-style rewrites) with a local Stable
 * Diffusion ONNX export, through the inference service (the same one the editor renders with),
 * which writes the PNGs under deterministic names.
 */
import { randomInt } from 'node:crypto';
import * as path from 'node:path';
import { outputStem } from '../../io/outputNames';
import type { RegionGuide } from '../../protocol/regions';
import { MAX_BATCH, MAX_STEPS, PROVIDER_REQUESTS, SCHEDULER_NAMES, type ProviderRequest, type SchedulerName } from '../../protocol/service';
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
  --rewrite            render the SPRIGHT-style rewrite of each prompt instead of the prompt
  --guide layout       region guidance: plan each prompt's layout (as rewrite does) and denoise
                       every object box with its own prompt, blended into the whole picture
                       (region-based MultiDiffusion); needs the model's vae_encoder/

Seeds use the project's own generator (xoshiro128** + Box-Muller), not torch's: the same seed
gives the same image here on every machine, but not the image diffusers would give.
`;

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
      rewrite: { type: 'boolean' },
      guide: { type: 'string' },
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
  const seed = o.seed === undefined ? randomInt(0, 2 ** 32 - 1) : int('seed', o.seed, 0, 0, 0xffffffff);
  let guidance = 7.5;
  if (o.guidance !== undefined) {
    guidance = Number(o.guidance);
    if (!/^\d+(\.\d+)?$/.test(o.guidance) || !Number.isFinite(guidance)) throw new UsageError(`--guidance must be a number >= 0, got '${o.guidance}'`);
  }
  const modelDir = path.resolve(ctx.cwd, o.model);
  const size = o.size === undefined ? undefined : parseSizeFlag(o.size);

  // Prompts: one from --prompt, or every prompt of the FILE (- = stdin).
  let prompts: Array<{ text: string; where: string }>;
  if (o.prompt !== undefined) {
    if (!o.prompt.trim()) throw new UsageError('--prompt is empty');
    prompts = [{ text: o.prompt, where: '--prompt' }];
  } else {
    const file = positionals[0]!;
    prompts = (await readPromptInputs([file], ctx)).map((r) => ({ text: r.text, where: `${r.source}:${r.line}` }));
    if (prompts.length === 0) throw new InputError(`${file === '-' ? '<stdin>' : path.resolve(ctx.cwd, file)}: no prompts (one a line; # starts a comment)`);
  }
  if (o.rewrite && o.guide === undefined) {
    const parser = require('../../parser') as typeof import('../../parser');
    const generator = require('../../generator') as typeof import('../../generator');
    prompts = prompts.map((p) => {
      const r = generator.rewritePrompt(parser.parsePrompt(p.text));
      for (const note of r.notes) ctx.stderr.write(`${p.where}: rewrite: ${note}\n`);
      return { text: r.text, where: p.where };
    });
  }

  const outDir = path.resolve(ctx.cwd, o.out);
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
    if (o.guide === 'layout') ({ prompts, guides } = planGuides(prompts, width, height, o.rewrite === true, ctx));
    // Said once the model has loaded (the first render's `encoding` event names the provider), so
    // that a model that cannot load is the only line.
    let saidHeader = false;
    for (const [k, p] of prompts.entries()) {
      const label = prompts.length > 1 ? `[${k + 1}/${prompts.length}] ` : '';
      const result = await service.call(
        'render',
        { modelDir, provider, deviceId, prompt: p.text, negativePrompt: o.negative, steps, guidanceScale: guidance, seed, width, height, scheduler, batch, regions: guides[k], output: { dir: outDir, stem: outputStem(p.text) } },
        {
          signal: ctx.signal,
          onProgress: (e) => {
            const { phase, step, total } = e;
            if (!saidHeader && e.provider !== undefined) {
              ctx.stderr.write(`model ${modelDir} on ${e.provider}, ${width}x${height}, ${steps} step${steps === 1 ? '' : 's'}, seed ${seed}\n`);
              saidHeader = true;
            }
            if (phase !== 'denoising' && phase !== 'decoding') return;
            if (tty) ctx.stderr.write(`\r${label}step ${step}/${total}${step === total ? '\n' : ''}`);
            else if (step === total || step % 10 === 0) ctx.stderr.write(`${label}step ${step}/${total}\n`);
          },
        },
      );
      for (const f of result.files) {
        if (f.kept) ctx.stderr.write(`note: ${f.kept.path} holds another render (${f.kept.differs.join(', ')}); kept it and wrote ${path.basename(f.path)}\n`);
        ctx.stdout.write(`${f.path}\n`);
      }
      ctx.stderr.write(`${label}${result.timings.stepsPerSecond.toFixed(2)} steps/s, ${(result.timings.totalMs / 1000).toFixed(1)} s\n`);
    }
  } catch (err) {
    throw cliError(err, `${outDir}: cannot write the render`, 'give --out a folder you can write to');
  } finally {
    service.dispose();
  }
  return 0;
}

/**
 * `--guide layout`: each prompt's layout, planned as the rewrite plans it (seed 0, the render's
 * aspect at the planner's 768-pixel scale), turned into a region guide; with `rewrite` the prompt
 * rendered (and the background's fallback) is the rewrite.
 */
function planGuides(
  prompts: Array<{ text: string; where: string }>,
  width: number,
  height: number,
  rewrite: boolean,
  ctx: CliContext,
): { prompts: Array<{ text: string; where: string }>; guides: RegionGuide[] } {
  const parser = require('../../parser') as typeof import('../../parser');
  const generator = require('../../generator') as typeof import('../../generator');
  const { regionGuideFromLayout } = require('../../generator/regions') as typeof import('../../generator/regions');
  const scale = 768 / Math.max(width, height);
  const size = { width: Math.max(16, Math.round(width * scale)), height: Math.max(16, Math.round(height * scale)) };
  const out = prompts.map((p) => {
    const parsed = parser.parsePrompt(p.text);
    const r = generator.rewritePrompt(parsed, size);
    for (const note of r.notes) ctx.stderr.write(`${p.where}: ${rewrite ? 'rewrite' : 'layout'}: ${note}\n`);
    const text = rewrite ? r.text : p.text;
    const guide = regionGuideFromLayout({ ...parsed, text }, r.layout ?? { ...size, boxes: [] });
    const what = guide.regions.length ? guide.regions.map((g) => g.prompt).join('; ') : 'no objects to place, a plain render';
    ctx.stderr.write(`${p.where}: guide: ${guide.regions.length} region${guide.regions.length === 1 ? '' : 's'} (${what})\n`);
    return { prompt: { text, where: p.where }, guide };
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
