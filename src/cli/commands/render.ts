/**
 * `spright-lens render`: renders prompts (or their SPRIGHT-style rewrites) with a local Stable
 * Diffusion ONNX export, through the inference service (the same one the editor renders with),
 * which writes the PNGs under deterministic names.
 */
import { randomInt } from 'node:crypto';
import * as path from 'node:path';
import { outputStem } from '../../io/outputNames';
import type { RegionGuide } from '../../protocol/regions';
import { defaultThresholdFor, detectorName, MAX_BATCH, MAX_BEST_OF, MAX_STEPS, PROVIDER_REQUESTS, SCHEDULER_NAMES, type DetectorSpec, type ProviderRequest, type RenderResult, type SchedulerName } from '../../protocol/service';
import type { BestOfSettings, CandidateScore, EvalPrompt } from '../../evaluate/index';
import type { InferenceService } from '../../service';
import { bestOfFlags, COMFY_OPTIONS, comfyFlagsUsage, parseDetectorSpec, parseFlags, parseSizeFlag, parseThreshold, renderTarget } from '../args';
import type { CliContext, Command } from '../command';
import { InputError, UsageError } from '../command';
import { readPromptInputs } from '../io';
import { cliError, forkedService } from '../service';

const USAGE = `Usage: spright-lens render --model DIR (--prompt TEXT | FILE | -) --out DIR [options]
       spright-lens render --backend comfyui [--server URL] [--checkpoint NAME] (--prompt TEXT | FILE | -) --out DIR [options]

Renders each prompt with a local Stable Diffusion 2.x ONNX export (optimum layout, e.g. the
SPRIGHT fine-tune: optimum-cli export onnx --model SPRIGHT-T2I/spright-t2i-sd2 DIR), or through
the ComfyUI server you run (--backend comfyui, with its checkpoints), and writes
one PNG per image into --out, named {stem}-{seed}.png ({stem}-{seed}_{k}.png for image k of
--batch N), where the stem is the prompt's words joined by '-' (at most 60 characters). The same
render again replaces its own file; a file of that name holding a different render is kept, and
the new one is written as {stem}-{seed}-{digest}.png (digest of its settings) with a note on
stderr. Render settings are stored in the PNG's text chunks. Progress goes to stderr, written
paths to stdout.

  --model DIR          model folder (model_index.json, unet/, text_encoder/, vae_decoder/,
                       tokenizer/, scheduler/); the onnx backend only
${comfyFlagsUsage(23)}  --prompt TEXT        the prompt; or give a prompt FILE (.prompt/.txt one a line, .jsonl),
                       or - to read prompts (one a line) from stdin
  --out DIR            output folder (created if needed)
  --steps N            denoising steps (default 25)
  --guidance G         classifier-free guidance scale (default 7.5; <= 1 disables it)
  --seed S             0..4294967295 (default: random, printed); image k of a prompt uses
                       draw k of the same generator
  --scheduler NAME     ddim | euler | euler_a | dpmpp_2m (default: the model's own, else dpmpp_2m)
  --size WxH           multiples of 8 up to 4096 (default: the UNet's sample size x 8, 768x768
                       for SD 2.1; 512x512 with comfyui); a size that cannot fit in memory is
                       refused before rendering
  --batch N            images per prompt (default 1)
  --negative TEXT      negative prompt
  --provider P         auto | cuda | webgpu | cpu (default auto: CUDA, then WebGPU, then CPU)
  --device N           GPU index for CUDA (default 0)
  --rewrite            render the SPRIGHT-style rewrite of each prompt instead of the prompt
  --guide layout       region guidance: plan each prompt's layout (as rewrite does) and denoise
                       every object box with its own prompt, blended into the whole picture
                       (region-based MultiDiffusion); needs the model's vae_encoder/
  --layout FILE        region guidance with the layouts drawn in the editor's preview panel
                       (the <prompt file>.layout.json beside the prompt file): a prompt with a
                       layout there renders with its boxes, one without (or whose text changed
                       since its layout was drawn) with its planned layout, said on stderr
  --best-of N          verified best-of-N, 1 to ${MAX_BEST_OF} (default 1): render seeds S..S+N-1,
                       detect the prompt's objects in each, judge its relations under --rule
                       and keep the best (relations satisfied, then objects found, then
                       detector confidence; ties to the lower seed). Every candidate is
                       written; stdout gets the chosen one, stderr each candidate's marks
                       With --guide or --layout every candidate renders the same layout (only
                       the seed changes) and is judged against the prompt's relations, not the
                       boxes; a drawn layout that breaks one is said on stderr
  --until-satisfied    with --best-of: stop at the first candidate that satisfies every
                       relation
  --rule NAME          what --best-of counts: visor | t2i-compbench | geneval (default visor)
  --detector SPEC      the detector --best-of picks with: embedded (default) | owlvit:DIR
  --threshold X        its minimum score (default: the detector's own)

Seeds use the project's own generator (xoshiro128** + Box-Muller), not torch's: the same seed
gives the same image here on every machine, but not the image diffusers would give (nor the
one ComfyUI gives: it draws its own noise from the seed).
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
      'best-of': { type: 'string' },
      'until-satisfied': { type: 'boolean' },
      rule: { type: 'string' },
      detector: { type: 'string' },
      threshold: { type: 'string' },
      layout: { type: 'string' },
      ...COMFY_OPTIONS,
    },
  });
  const target = renderTarget(o, ctx.cwd);
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
  const bestOf = bestOfFlags(o['best-of'], o['until-satisfied'], o.rule);
  if (bestOf.n > 1 && batch > 1) throw new UsageError('--best-of chooses among seeds, one image each: use it without --batch');
  if (bestOf.n === 1 && (o.detector !== undefined || o.threshold !== undefined || o.rule !== undefined)) {
    throw new UsageError('--detector, --threshold and --rule choose among candidates: use them with --best-of N');
  }
  if (bestOf.n > 1 && seed + bestOf.n - 1 > 0xffffffff) throw new UsageError(`--best-of ${bestOf.n} needs seeds ${seed}..${seed + bestOf.n - 1}, and seeds stop at 4294967295: give a lower --seed`);
  const detector = parseDetectorSpec(o.detector ?? 'embedded', ctx.cwd);
  const threshold = parseThreshold(o.threshold) ?? defaultThresholdFor(detector);
  const size = o.size === undefined ? undefined : parseSizeFlag(o.size);

  // Prompts: one from --prompt, or every prompt of the FILE (- = stdin). `asked` is the text as
  // written: what best-of judges against, also when the rewrite is rendered (as batches do).
  let prompts: Prompt[];
  if (o.prompt !== undefined) {
    if (!o.prompt.trim()) throw new UsageError('--prompt is empty');
    prompts = [{ text: o.prompt, where: '--prompt', line: null, asked: o.prompt }];
  } else {
    const file = positionals[0]!;
    prompts = (await readPromptInputs([file], ctx)).map((r) => ({ text: r.text, where: `${r.source}:${r.line}`, line: r.line, asked: r.text }));
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

  const outDir = path.resolve(ctx.cwd, o.out);
  const tty = ctx.stderr.isTTY === true;
  const service = forkedService(ctx);
  try {
    // The model is checked (files and graph signatures, no weights) before anything renders.
    const check = await service.call('model/check', target);
    if (!check.ok) throw new InputError(check.problem);
    // The folder as checked, or the checkpoint the server offers under that name.
    const modelDir = check.dir;
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
    if (guided) ({ prompts, guides } = planGuides(prompts, width, height, o.rewrite === true, layouts, bestOf.n > 1 ? bestOf.rule : undefined, ctx));
    // Said once the model has loaded (the first render's `encoding` event names the provider), so
    // that a model that cannot load is the only line.
    let saidHeader = false;
    const renderOne = async (p: { text: string }, k: number, seedNow: number, label: string): Promise<RenderResult> => {
      const result = await service.call(
        'render',
        { ...target, modelDir, provider, deviceId, prompt: p.text, negativePrompt: o.negative, steps, guidanceScale: guidance, seed: seedNow, width, height, scheduler, batch, regions: guides[k], output: { dir: outDir, stem: outputStem(p.text) } },
        {
          signal: ctx.signal,
          onProgress: (e) => {
            const { phase, step, total } = e;
            if (!saidHeader && e.provider !== undefined) {
              ctx.stderr.write(`${target.backend === 'comfyui' ? 'checkpoint' : 'model'} ${modelDir} on ${e.provider}, ${width}x${height}, ${steps} step${steps === 1 ? '' : 's'}, seed ${seed}${bestOf.n > 1 ? ` (best of ${bestOf.n}: seeds ${seed}..${seed + bestOf.n - 1})` : ''}\n`);
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
      }
      ctx.stderr.write(`${label}${result.timings.stepsPerSecond.toFixed(2)} steps/s, ${(result.timings.totalMs / 1000).toFixed(1)} s\n`);
      return result;
    };
    for (const [k, p] of prompts.entries()) {
      const label = prompts.length > 1 ? `[${k + 1}/${prompts.length}] ` : '';
      if (bestOf.n === 1) {
        const result = await renderOne(p, k, seed, label);
        for (const f of result.files) ctx.stdout.write(`${f.path}\n`);
        continue;
      }
      const chosen = await renderBestOf(service, bestOf, { detector, threshold }, p, seed, (j, s) => renderOne(p, k, s, `${label}candidate ${j + 1}/${bestOf.n} `), (line) => ctx.stderr.write(`${label}${line}\n`), ctx.signal);
      ctx.stdout.write(`${chosen}\n`);
    }
    if (bestOf.n > 1) {
      ctx.stderr.write(
        `note: ${detectorName(detector)} both picked and scored these candidates, so their marks are an upper bound of what an independent judge would give; check the chosen images with another detector (spright-lens evaluate --images DIR --detector owlvit:DIR)\n`,
      );
    }
  } catch (err) {
    throw cliError(err, `${outDir}: cannot write the render`, 'give --out a folder you can write to');
  } finally {
    service.dispose();
  }
  return 0;
}

/**
 * A prompt to render (its rewrite with --rewrite), where it came from (for messages), its 1-based
 * line (null for --prompt) and the text as written, which best-of judges against.
 */
interface Prompt {
  text: string;
  where: string;
  line: number | null;
  asked: string;
}

/** "✓1 ✗0, 2/2 objects found, confidence 0.71". */
export function candidateMarks(s: CandidateScore): string {
  return `\u2713${s.satisfied} \u2717${s.scored - s.satisfied}, ${s.found}/${s.instances} object${s.instances === 1 ? '' : 's'} found, confidence ${s.confidence.toFixed(2)}`;
}

/**
 * Best-of-N for one prompt: each seed rendered (by `renderSeed`), its PNG detected by the same
 * service, judged against the prompt as written and scored by the core's one rule; resolves to
 * the chosen file. Every candidate's file stays where the render wrote it.
 */
async function renderBestOf(
  service: InferenceService,
  settings: BestOfSettings,
  detection: { detector: DetectorSpec; threshold: number },
  p: { asked: string; where: string },
  seed: number,
  renderSeed: (index: number, seed: number) => Promise<RenderResult>,
  say: (line: string) => void,
  signal: AbortSignal,
): Promise<string> {
  const { candidateSeeds, judgeCandidate, promptFromParsed, runBestOf } = require('../../evaluate') as typeof import('../../evaluate');
  const parser = require('../../parser') as typeof import('../../parser');
  const prompt: EvalPrompt = promptFromParsed(p.where, parser.parsePrompt(p.asked));
  const labels = [...new Set(prompt.objects.map((o) => o.noun))];
  const name = detectorName(detection.detector);
  const outcome = await runBestOf(
    settings,
    candidateSeeds(seed, settings.n),
    async (_j, s) => {
      const file = (await renderSeed(_j, s)).files[0]!.path;
      const found = await service.call('detect', { imagePath: file, labels, detector: detection.detector, threshold: detection.threshold }, { signal });
      const { score } = judgeCandidate({ promptId: prompt.id, prompt, detections: found.detections, detector: name }, settings.rule, detection.threshold);
      return { score, value: file };
    },
    { onCandidate: (c) => say(`seed ${c.seed}: ${candidateMarks(c.score)}  ${c.value}`) },
  );
  const chosen = outcome.candidates[outcome.chosen!]!;
  const rule = settings.rule === 'visor' ? 'VISOR' : settings.rule === 'geneval' ? 'GenEval' : 'T2I-CompBench';
  const stopped = outcome.candidates.length < settings.n ? `, stopped after ${outcome.candidates.length}: it satisfies every relation` : '';
  say(`chosen: seed ${chosen.seed} of ${outcome.candidates.length} candidate${outcome.candidates.length === 1 ? '' : 's'} (${rule} rule, picked by ${name} above ${detection.threshold}${stopped}): ${candidateMarks(chosen.score)}`);
  return chosen.value;
}

/**
 * With --best-of, a drawn layout that breaks one of the prompt's relations under the judging rule
 * steers every candidate away from what best-of counts: said once, so a low score is explained.
 */
function warnBrokenRelations(parsed: import('../../parser').ParsedPrompt, layout: import('../../generator/types').Layout, rule: BestOfSettings['rule'], prefix: string, ctx: CliContext): void {
  const { T2I_SATISFIED_FROM } = require('../../evaluate') as typeof import('../../evaluate');
  const { nounsOf, relationLabel } = require('../../parser/labels') as typeof import('../../parser/labels');
  const broken = layout.checks.filter((c) => (rule === 'visor' ? c.visor === false : rule === 'geneval' ? c.geneval === false : c.t2i !== null && c.t2i < T2I_SATISFIED_FROM));
  const names = broken.map((c) => parsed.relations[c.relation]).filter((r) => r !== undefined).map((r) => `"${relationLabel(r, 'phrase', nounsOf(parsed))}"`);
  if (names.length === 0) return;
  ctx.stderr.write(`${prefix}the drawn boxes break ${names.join(' and ')} under the ${rule} rule that --best-of judges by; every candidate follows the drawing, so expect low marks (move the boxes, or leave out --layout)
`);
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
  judge: BestOfSettings['rule'] | undefined,
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
          if (judge !== undefined) warnBrokenRelations(parsed, layout, judge, `${p.where}: layout: `, ctx);
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
  summary: 'render prompts (or their SPRIGHT rewrites) with a local ONNX model or your ComfyUI: PNGs with settings',
  usage: USAGE,
  run,
};
export default command;
