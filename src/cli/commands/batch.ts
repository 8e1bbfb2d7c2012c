/** `spright-lens batch`: renders prompt sets, judges every image, writes a resumable report folder. */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { parseThreshold } from '../args';
import type { CliContext, Command } from '../command';
import { InputError, UsageError } from '../command';
import { BatchError, MAX_IMAGES_PER_PROMPT, ProgressReporter, runBatch } from '../../batch/index';
import type { BatchPrompt, RenderParameters } from '../../batch/index';
import { parseSr2d, promptFromParsed, PromptSetError } from '../../evaluate/index';
import { decodePng } from '../../image/index';
import { parsePrompt, PromptFileError, readPromptFile } from '../../parser/index';
import { rewritePrompt } from '../../generator/index';
import { defaultThresholdFor } from '../../detect/thresholds';
import {
  loadPipeline,
  MAX_STEPS,
  modelIdentity,
  parseSize,
  PROVIDER_REQUESTS,
  RenderParamsError,
  SCHEDULER_NAMES,
  ModelDirError,
  validateModelDir,
} from '../../render/index';
import type { ModelDirInfo } from '../../render/index';
import type { Pipeline, ProviderRequest, SchedulerName } from '../../render/index';
import { loadCliDetector } from './evaluate';

const USAGE = `Usage: spright-lens batch --model DIR --prompts FILE... --out DIR [options]

Renders every prompt k times, detects its objects, judges each relation with the VISOR,
T2I-CompBench and GenEval rules, and writes to the --out folder:
  {prompt_id}_{k}.png          images as written (VISOR naming; prompt_id = line number, or
                               SR2D unique_id; with several files: {file stem}-{line})
  rewrite/{prompt_id}_{k}.png  the SPRIGHT-style rewrite's images (--rewrite only|both)
  manifest.jsonl               one line per finished image (append-only)
  summary.json, report.html    aggregates per variant; a self-contained report

Running the same command again resumes: finished images are skipped, never rendered twice.
Ctrl-C stops after the current image; a second Ctrl-C quits at once.

Options:
  --model DIR               ONNX Stable Diffusion 2.x folder (required)
  --prompts FILE...         prompt files (.txt/.prompt one a line, .jsonl, or SR2D .json) (required)
  --out DIR                 output folder (required)
  --images-per-prompt N     images per prompt and variant, 1 to 100 (default 4, as VISOR)
  --seed S                  image k uses seed S+k, for both variants (default 0)
  --rewrite off|only|both   render the prompt as written, its rewrite, or both (default off)
  --detector SPEC           embedded (default) | owlvit:DIR
  --threshold X             keep detections scoring above X (default: the detector's own);
                            another X re-judges finished images without rendering them
  --steps N                 denoising steps, 1 to 1000 (default 25)
  --guidance G              classifier-free guidance scale (default 7.5)
  --size WxH                image size in pixels, multiples of 8 up to 4096 (default 512x512)
  --scheduler NAME          ${SCHEDULER_NAMES.join(' | ')} (default: the model's)
  --provider NAME           ${PROVIDER_REQUESTS.join(' | ')} (default auto)
  --force                   replace a batch in --out made with other options
`;

/** Lowest detection score recorded per image (what a later, lower --threshold can still use). */
const RAW_FLOOR = 0.05;

function intArg(name: string, v: string | undefined, def: number, min: number, max: number): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got '${v}'`);
  return n;
}

/** Reads the prompt files into batch prompts with stable ids. */
export function readBatchPrompts(files: string[], cwd: string): BatchPrompt[] {
  const out: BatchPrompt[] = [];
  const stems = files.map((f) => path.basename(f).replace(/\.[^.]*$/, ''));
  files.forEach((file, i) => {
    const abs = path.resolve(cwd, file);
    // With several files, line numbers collide: prefix them with the file's stem.
    const prefix = files.length > 1 ? `${stems[i]}-` : '';
    if (/\.json$/i.test(abs)) {
      let text: string;
      try {
        text = require('node:fs').readFileSync(abs, 'utf8') as string;
      } catch (err) {
        throw new InputError(`${abs}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
      }
      try {
        for (const p of parseSr2d(text, abs)) {
          const id = prefix + p.id;
          out.push({ id, text: p.text, source: `${file}#${p.id}`, evalPrompt: { ...p, id } });
        }
      } catch (err) {
        if (err instanceof PromptSetError) throw new InputError(err.message);
        throw err;
      }
      return;
    }
    try {
      for (const r of readPromptFile(abs)) {
        const id = `${prefix}${r.line}`;
        out.push({ id, text: r.text, source: `${file}:${r.line}`, evalPrompt: promptFromParsed(id, parsePrompt(r.text)) });
      }
    } catch (err) {
      if (err instanceof PromptFileError) throw new InputError(err.message);
      throw err;
    }
  });
  if (new Set(stems).size !== stems.length && files.length > 1) {
    throw new UsageError('two --prompts files share a file name; image ids would collide, rename one');
  }
  return out;
}

const command: Command = {
  name: 'batch',
  summary: 'Render prompt sets, score every image, and write a resumable report',
  usage: USAGE,
  async run(argv: string[], ctx: CliContext): Promise<number> {
    let values;
    try {
      ({ values } = parseArgs({
        args: argv,
        options: {
          model: { type: 'string' },
          prompts: { type: 'string', multiple: true },
          out: { type: 'string' },
          'images-per-prompt': { type: 'string' },
          seed: { type: 'string' },
          rewrite: { type: 'string' },
          detector: { type: 'string' },
          threshold: { type: 'string' },
          steps: { type: 'string' },
          guidance: { type: 'string' },
          size: { type: 'string' },
          scheduler: { type: 'string' },
          provider: { type: 'string' },
          force: { type: 'boolean' },
        },
        allowPositionals: true,
      }));
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    if (!values.model) throw new UsageError('--model DIR is required');
    if (!values.prompts?.length) throw new UsageError('--prompts FILE is required');
    if (!values.out) throw new UsageError('--out DIR is required');
    const rewrite = values.rewrite ?? 'off';
    if (rewrite !== 'off' && rewrite !== 'only' && rewrite !== 'both')
      throw new UsageError(`--rewrite must be off, only or both, got '${rewrite}'`);
    const imagesPerPrompt = intArg('images-per-prompt', values['images-per-prompt'], 4, 1, MAX_IMAGES_PER_PROMPT);
    const seed = intArg('seed', values.seed, 0, 0, 0xffffffff);
    const steps = intArg('steps', values.steps, 25, 1, MAX_STEPS);
    const guidance = values.guidance === undefined ? 7.5 : Number(values.guidance);
    if (!Number.isFinite(guidance) || guidance < 0)
      throw new UsageError(`--guidance must be a number >= 0, got '${values.guidance}'`);
    let width: number;
    let height: number;
    try {
      ({ width, height } = parseSize(values.size ?? '512x512'));
    } catch (err) {
      if (err instanceof RenderParamsError) throw new UsageError(`--size: ${err.message}`);
      throw err;
    }
    if (values.scheduler !== undefined && !(SCHEDULER_NAMES as readonly string[]).includes(values.scheduler)) {
      throw new UsageError(`--scheduler must be one of ${SCHEDULER_NAMES.join(', ')}, got '${values.scheduler}'`);
    }
    const provider = (values.provider ?? 'auto') as ProviderRequest;
    if (!PROVIDER_REQUESTS.includes(provider)) throw new UsageError(`--provider must be one of ${PROVIDER_REQUESTS.join(', ')}, got '${values.provider}'`);
    const threshold = parseThreshold(values.threshold);
    const detectorSpec = values.detector ?? 'embedded';

    const prompts = readBatchPrompts(values.prompts, ctx.cwd);
    if (prompts.length === 0) throw new InputError(`no prompts in ${values.prompts.join(', ')}`);
    const outDir = path.resolve(ctx.cwd, values.out);
    const modelDir = path.resolve(ctx.cwd, values.model);
    try {
      if (!(await fs.stat(modelDir)).isDirectory()) throw new InputError(`${modelDir}: not a folder; --model takes an ONNX model folder`);
    } catch (err) {
      if (err instanceof InputError) throw err;
      throw new InputError(`${modelDir}: no such folder; --model takes an ONNX model folder (optimum-cli export onnx ...)`);
    }

    // A wrong model folder fails here, before an output folder is made; reading the graphs'
    // signatures does not load weights.
    let info: ModelDirInfo;
    try {
      info = await validateModelDir(modelDir);
    } catch (err) {
      if (err instanceof ModelDirError) throw new InputError(err.message);
      throw err;
    }

    // Models load on first use: a finished batch or an options mismatch answers at once.
    let loading: Promise<Pipeline> | null = null;
    const pipeline = (): Promise<Pipeline> =>
      (loading ??= loadPipeline(modelDir, { provider, logger: { info: (m) => ctx.stderr.write(`${m}\n`), warn: (m) => ctx.stderr.write(`warning: ${m}\n`) } }).catch(
        (err: unknown) => {
          if (err instanceof ModelDirError) throw new InputError(err.message);
          throw err;
        },
      ));
    const scheduler = values.scheduler as SchedulerName | undefined;
    // Detections are recorded down to RAW_FLOOR with their scores, so that a later --threshold
    // (down to that floor) re-judges finished images without detecting again.
    const effective = threshold ?? defaultThresholdFor(detectorSpec);
    const floor = Math.min(effective, RAW_FLOOR);
    const detector = loadCliDetector(detectorSpec, ctx.cwd, floor);
    const detectorId = detectorSpec.startsWith('owlvit:')
      ? `owlvit:${path.resolve(ctx.cwd, detectorSpec.slice('owlvit:'.length))}`
      : detectorSpec;
    const render: RenderParameters = {
      model: modelDir,
      modelId: await modelIdentity(info),
      steps,
      guidance,
      width,
      height,
      scheduler: scheduler ?? 'default',
    };
    const progress = new ProgressReporter(ctx.stderr);
    // Ctrl-C (ctx.signal) stops after the current image; main.ts exits at once on a second one.
    try {
      const result = await runBatch(
        {
          prompts,
          outDir,
          imagesPerPrompt,
          seed,
          rewrite,
          render,
          detection: { detector: detectorId, threshold: effective, floor },
          force: values.force,
        },
        {
          async render(job, signal, onStep) {
            try {
              const r = await (await pipeline()).generate(
                { prompt: job.text, steps, guidanceScale: guidance, seed: job.seed, width, height, scheduler },
                { signal, onStep: (s, t) => onStep(s, t) },
              );
              return r.png[0];
            } catch (err) {
              if (err instanceof RenderParamsError) throw new InputError(err.message);
              throw err;
            }
          },
          detect: (png, labels) => detector.detect(decodePng(png), labels),
          rewrite: (text, s) => rewritePrompt(parsePrompt(text), { seed: s, width, height }).text,
          now: () => performance.now(),
        },
        {
          onProgress: (p) => {
            const cur = p.current ? `${p.current.variant === 'rewrite' ? 'rewrite/' : ''}${p.current.promptId}_${p.current.k}${p.current.step ? ` step ${p.current.step}/${p.current.steps}` : ''}` : '';
            progress.update(p.done, p.total, p.etaMs, cur, p.current === null || p.current.step === undefined);
          },
          onWarning: (m) => {
            progress.finish();
            ctx.stderr.write(`warning: ${m}\n`);
          },
        },
        ctx.signal,
      );
      progress.finish();
      const s = JSON.parse(await fs.readFile(path.join(outDir, 'summary.json'), 'utf8')) as {
        variants: Record<string, { visor: { uncond: number | null; oa: number | null } }>;
      };
      const line = Object.entries(s.variants)
        .map(([v, a]) => `${v}: VISOR uncond ${a.visor.uncond?.toFixed(2) ?? '–'}%, OA ${a.visor.oa?.toFixed(2) ?? '–'}%`)
        .join('; ');
      ctx.stdout.write(
        `${result.rendered} rendered, ${result.skipped} already done, ${result.total} in all${result.cancelled ? ' (stopped early; run the same command to resume)' : ''}\n${line}\nreport: ${path.join(outDir, 'report.html')}\n`,
      );
      return result.cancelled ? 130 : 0;
    } catch (err) {
      progress.finish();
      if (err instanceof BatchError) throw new InputError(err.message);
      throw err;
    } finally {
      detector.dispose();
      // Assigned inside the closure above, which TypeScript's narrowing cannot see.
      const pending = loading as Promise<Pipeline> | null;
      if (pending) await pending.then((p) => p.dispose(), () => undefined);
    }
  },
};
export default command;
