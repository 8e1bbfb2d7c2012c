/** `spright-lens batch`: renders prompt sets, judges every image, writes a resumable report folder. */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { bestOfFlags, COMFY_OPTIONS, comfyFlagsUsage, parseDetectorSpec, parseFlags, parseSizeFlag, parseThreshold, renderTarget } from '../args';
import type { CliContext, Command } from '../command';
import { InputError, UsageError } from '../command';
import { cliError, forkedService, inProcessService } from '../service';
import { probeQueue, runQueueBatch } from '../queueBatch';
import { queuedBatchProblem, readQueuedBatch } from '../../queue/batch';
import { parseQueueUrl, QueueUrlError, type QueueTarget } from '../../queue/url';
import { BatchError, detectionFloor, MAX_IMAGES_PER_PROMPT, ProgressReporter, promptsFromSources, runBatch, serviceBatchDeps, sourceKey } from '../../batch/index';
import type { BatchOptions, BatchPrompt, BatchSummary, BestOfSummary, RenderParameters } from '../../batch/index';
import { PromptSetError } from '../../evaluate/index';
import { PromptFileError } from '../../parser/index';
import { defaultThresholdFor, detectorFromName, detectorName, MAX_BEST_OF, MAX_STEPS, PROVIDER_REQUESTS, SCHEDULER_NAMES, type ProviderRequest, type SchedulerName } from '../../protocol/service';
import { ServiceRequestError } from '../../service';

const USAGE = `Usage: spright-lens batch --model DIR --prompts FILE... --out DIR [options]
       spright-lens batch --backend comfyui [--server URL] [--checkpoint NAME] --prompts FILE... --out DIR [options]

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
  --model DIR               ONNX Stable Diffusion 2.x folder (the onnx backend)
${comfyFlagsUsage(28)}  --prompts FILE...         prompt files (.txt/.prompt one a line, .jsonl, or SR2D .json) (required)
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
  --best-of N               render N candidates per image, 1 to ${MAX_BEST_OF} (default 1): detect
                            and judge each, keep the best as {prompt_id}_{k}.png; all
                            candidates stay in candidates/ and in the manifest. Candidate j
                            of image k has seed S+k+j*images-per-prompt (candidate 0 is the
                            plain batch's image)
  --until-satisfied         with --best-of: stop at the first candidate that satisfies
                            every relation
  --rule NAME               what --best-of counts: visor | t2i-compbench | geneval
                            (default visor)
  --force                   replace a batch in --out made with other options

Rendering on several GPUs (see \`spright-lens worker --help\`):
  --queue URL               enqueue the batch on Redis (redis://[:PASSWORD@]HOST[:PORT][/DB],
                            rediss:// for TLS) for worker processes instead of rendering here;
                            enqueueing the same batch again adds nothing; not with
                            --best-of or --backend comfyui (workers render one ONNX
                            image per job)
  --follow                  with --queue: show progress and the workers, collect every image
                            into --out (each manifest line once), write summary.json and
                            report.html when done; failed images go to failed.jsonl and the
                            report. With only --queue, --out and --follow: follow a batch
                            enqueued earlier
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

/**
 * Reads the prompt files into batch prompts with stable ids (the same rules as the editor's
 * Render All Prompts); a bad file is one InputError.
 */
export function readBatchPrompts(files: string[], cwd: string): BatchPrompt[] {
  try {
    return promptsFromSources(files.map((file) => ({ file: path.resolve(cwd, file), label: file })));
  } catch (err) {
    if (err instanceof PromptFileError || err instanceof PromptSetError) throw new InputError(err.message);
    throw err;
  }
}

async function run(argv: string[], ctx: CliContext): Promise<number> {
  const { values } = parseFlags({
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
      'best-of': { type: 'string' },
      'until-satisfied': { type: 'boolean' },
      rule: { type: 'string' },
      force: { type: 'boolean' },
      ...COMFY_OPTIONS,
      queue: { type: 'string' },
      follow: { type: 'boolean' },
    },
    allowPositionals: true,
  });
  const queue = values.queue === undefined ? undefined : queueTarget(values.queue, ctx);
  if (values.follow && !queue) throw new UsageError('--follow follows a batch on a queue: give --queue URL');
  if (queue && values.follow && !values.model && !values.prompts?.length && values.backend === undefined && values.checkpoint === undefined) {
    if (!values.out) throw new UsageError('--out DIR is required: the output folder of the batch to follow');
    await probeQueue(queue);
    return followQueuedBatch(queue, path.resolve(ctx.cwd, values.out), ctx);
  }
  const target = renderTarget(values, ctx.cwd);
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
  const { width, height } = parseSizeFlag(values.size ?? '512x512');
  if (values.scheduler !== undefined && !(SCHEDULER_NAMES as readonly string[]).includes(values.scheduler)) {
    throw new UsageError(`--scheduler must be one of ${SCHEDULER_NAMES.join(', ')}, got '${values.scheduler}'`);
  }
  const provider = (values.provider ?? 'auto') as ProviderRequest;
  if (!PROVIDER_REQUESTS.includes(provider)) throw new UsageError(`--provider must be one of ${PROVIDER_REQUESTS.join(', ')}, got '${values.provider}'`);
  const bestOf = bestOfFlags(values['best-of'], values['until-satisfied'], values.rule);
  if (queue) {
    const unsupported = queuedBatchProblem(target.backend, bestOf.n);
    if (unsupported) throw new UsageError(`--queue: ${unsupported}`);
  }
  const threshold = parseThreshold(values.threshold);
  const detector = parseDetectorSpec(values.detector ?? 'embedded', ctx.cwd);

  const prompts = readBatchPrompts(values.prompts, ctx.cwd);
  // Redis answers (or not) within seconds: before the model is looked at.
  if (queue) await probeQueue(queue);
  if (prompts.length === 0) throw new InputError(`no prompts in ${values.prompts.join(', ')}`);
  const outDir = path.resolve(ctx.cwd, values.out);
  const scheduler = values.scheduler as SchedulerName | undefined;
  // Detections are recorded down to RAW_FLOOR with their scores, so that a later --threshold
  // (down to that floor) re-judges finished images without detecting again.
  const effective = threshold ?? defaultThresholdFor(detector);
  const floor = Math.min(effective, RAW_FLOOR);
  const detectorId = detectorName(detector);
  const service = forkedService(ctx);
  // A wrong model folder fails here, before an output folder is made; reading the graphs'
  // signatures does not load weights (the pipeline loads with the first image to render, so a
  // finished batch or an options mismatch answers at once).
  let check;
  try {
    check = await service.call('model/check', target);
  } catch (err) {
    service.dispose();
    throw cliError(err);
  }
  if (!check.ok) {
    service.dispose();
    throw new InputError(check.problem);
  }
  const render: RenderParameters = {
    // The folder as checked, or the server's checkpoint of that name.
    model: check.dir,
    modelId: check.identity,
    steps,
    guidance,
    width,
    height,
    scheduler: scheduler ?? 'default',
    // A plain batch records no best-of settings, so its manifest lines stay as they always were.
    ...(bestOf.n > 1 ? { bestOf } : {}),
  };
  if (queue) {
    try {
      const deps = serviceBatchDeps(service, { render }, { provider, detector, floor });
      const options: BatchOptions = { prompts, outDir, imagesPerPrompt, seed, rewrite, render, detection: { detector: detectorId, threshold: effective, floor }, force: values.force };
      const descriptor = { sourceKey: sourceKey(values.prompts.map((f) => ({ file: path.resolve(ctx.cwd, f) }))), title: values.prompts.join(', ') };
      return await runQueueBatch({ target: queue, options, mode: 'enqueue', follow: values.follow === true, descriptor, deps }, ctx);
    } finally {
      service.dispose();
    }
  }
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
      serviceBatchDeps(service, { render }, { backend: target.backend, comfyui: target.comfyui, provider, detector, floor }),
      {
        onProgress: (p) => {
          const c = p.current;
          const cur = c
            ? `${c.variant === 'rewrite' ? 'rewrite/' : ''}${c.promptId}_${c.k}${c.candidate !== undefined ? ` candidate ${c.candidate + 1}/${c.candidates}` : ''}${c.step ? ` step ${c.step}/${c.steps}` : ''}`
            : '';
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
    const s = JSON.parse(await fs.readFile(path.join(outDir, 'summary.json'), 'utf8')) as BatchSummary;
    const line = Object.entries(s.variants)
      .map(([v, a]) => `${v}: VISOR uncond ${a.visor.uncond?.toFixed(2) ?? '–'}%, OA ${a.visor.oa?.toFixed(2) ?? '–'}%`)
      .join('; ');
    const gain = s.best_of ? `${bestOfLine(s.best_of)}\n` : '';
    const counts = bestOf.n > 1 ? `, ${result.candidatesRendered} candidate${result.candidatesRendered === 1 ? '' : 's'} rendered` : '';
    ctx.stdout.write(
      `${result.rendered} rendered, ${result.skipped} already done, ${result.total} in all${counts}${result.cancelled ? ' (stopped early; run the same command to resume)' : ''}\n${line}\n${gain}report: ${path.join(outDir, 'report.html')}\n`,
    );
    return result.cancelled ? 130 : 0;
  } catch (err) {
    progress.finish();
    if (err instanceof BatchError) throw new InputError(err.message);
    // A render that cannot be made (too large for memory, a scheduler config it cannot use) is
    // bad input for this batch, not a usage mistake.
    if (err instanceof ServiceRequestError && (err.remoteName === 'RenderParamsError' || err.remoteName === 'SchedulerConfigError')) throw new InputError(err.message);
    throw cliError(err);
  } finally {
    service.dispose();
  }
}

/** The --queue URL, or one usage line (never showing a password). */
function queueTarget(text: string, ctx: CliContext): QueueTarget {
  try {
    return parseQueueUrl(text, ctx.env);
  } catch (err) {
    if (err instanceof QueueUrlError) throw new UsageError(err.message);
    throw err;
  }
}

/** `batch --queue URL --out DIR --follow`: the batch's options come from the folder. */
async function followQueuedBatch(target: QueueTarget, outDir: string, ctx: CliContext): Promise<number> {
  let options: BatchOptions;
  try {
    options = await readQueuedBatch(outDir);
  } catch (err) {
    if (err instanceof BatchError) throw new InputError(err.message);
    throw err;
  }
  // Detection here only re-judges finished images after a detector change; rewrites are made as at enqueue.
  const detector = detectorFromName(options.detection.detector) ?? { kind: 'embedded' as const };
  const service = inProcessService(ctx);
  try {
    const deps = serviceBatchDeps(service, options, { detector, floor: detectionFloor(options.detection) });
    return await runQueueBatch({ target, options, mode: 'attach', follow: true, deps }, ctx);
  } finally {
    service.dispose();
  }
}

/** "best of 4 (VISOR): every relation satisfied in 75.0% of images, 37.5% with candidate 0 alone; …" */
export function bestOfLine(b: BestOfSummary): string {
  const rule = b.rule === 'visor' ? 'VISOR' : b.rule === 'geneval' ? 'GenEval' : 'T2I-CompBench';
  const parts = b.gains
    .filter((g) => g.set === 'all' || !b.gains.some((x) => x.set === 'all' && x.variant === g.variant))
    .map((g) => `${g.variant === 'rewrite' ? 'rewrite: ' : ''}every relation satisfied in ${g.chosen_pct?.toFixed(1) ?? '–'}% of ${g.images} image${g.images === 1 ? '' : 's'} with the chosen candidate, ${g.seed0_pct?.toFixed(1) ?? '–'}% with candidate 0 alone`);
  const who =
    b.picked_by === b.scored_by
      ? `picked and scored by ${b.scored_by}: the same detector, so the gain is an upper bound`
      : `picked by ${b.picked_by}, scored by ${b.scored_by}`;
  return `best of ${b.n} (${rule}${b.until_satisfied ? ', until satisfied' : ''}): ${parts.length ? parts.join('; ') : 'no prompt has a relation the rule scores'} (${who})`;
}

const command: Command = {
  name: 'batch',
  summary: 'Render prompt sets, score every image, and write a resumable report',
  usage: USAGE,
  run,
};
export default command;
