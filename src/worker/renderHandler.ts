/**
 * Worker method `render`: renders with the local ONNX pipeline and writes the PNGs to `outDir`
 * (never overwriting; the paths come back) or, without `outDir`, returns them base64-encoded.
 * The pipeline stays loaded between requests and is replaced when the model, provider or device
 * changes; renders run one at a time.
 */
import * as path from 'node:path';
import { writeFileUnique } from '../io/atomic';
import {
  loadPipeline,
  MEMORY_MODES,
  PROVIDER_REQUESTS,
  SCHEDULER_NAMES,
  type GenerateParams,
  type MemoryMode,
  type Pipeline,
  type ProviderRequest,
  type RenderTimings,
  type SchedulerName,
} from '../render';
import type { Handler, HandlerContext } from './handlers';
import { KeyedResource } from './keyedResource';

/**
 * Params of `render` (JSON): the pipeline's own generation parameters, less the typed-array test
 * hooks that cannot cross the process boundary, plus where the model and the output are.
 */
export interface RenderRequest extends Omit<GenerateParams, 'latents' | 'noise' | 'schedulerConfig'> {
  readonly modelDir: string;
  readonly provider?: ProviderRequest;
  readonly deviceId?: number;
  /** CPU provider threads (default: the physical cores). */
  readonly threads?: number;
  /** Which sessions stay loaded between renders (default `speed`: one warm pipeline). */
  readonly memory?: MemoryMode;
  /** Folder to write the PNGs into; without it the PNGs come back as base64. */
  readonly outDir?: string;
  /** File name stem (default `render-<seed>`); `-2`, `-3`... are added instead of overwriting. */
  readonly baseName?: string;
}

/** Result of `render` (JSON). */
export interface RenderResponse {
  /** Written files, when `outDir` was given. */
  readonly files?: string[];
  /** PNG bytes as base64, when it was not. */
  readonly pngBase64?: string[];
  readonly provider: string;
  readonly threads: number;
  readonly memory: MemoryMode;
  readonly scheduler: SchedulerName;
  /** `loadMs` and `sessionsLoaded` include loading the pipeline when this request loaded it. */
  readonly timings: RenderTimings;
}

// The model setting changed: the old sessions (GPU memory) are freed before the new ones load.
const pipelines = new KeyedResource<Pipeline>((p) => p.dispose());
let queue: Promise<unknown> = Promise.resolve();
// Pipelines whose own load was already reported with a render: a later render reuses the loaded
// sessions and reports only what it loaded itself.
const loadReported = new WeakSet<Pipeline>();

function check(params: unknown): RenderRequest {
  if (typeof params !== 'object' || params === null) throw new TypeError('render params must be an object');
  const p = params as Record<string, unknown>;
  const need = (k: string, type: string): void => {
    if (typeof p[k] !== type) throw new TypeError(`render param '${k}' must be a ${type}, got ${JSON.stringify(p[k])}`);
  };
  need('modelDir', 'string');
  need('prompt', 'string');
  for (const k of ['steps', 'guidanceScale', 'seed', 'width', 'height']) need(k, 'number');
  if (p.provider !== undefined && !PROVIDER_REQUESTS.includes(p.provider as ProviderRequest)) {
    throw new TypeError(`render param 'provider' must be one of ${PROVIDER_REQUESTS.join(', ')}`);
  }
  if (p.memory !== undefined && !MEMORY_MODES.includes(p.memory as MemoryMode)) throw new TypeError(`render param 'memory' must be one of ${MEMORY_MODES.join(', ')}`);
  if (p.threads !== undefined && (!Number.isInteger(p.threads) || (p.threads as number) < 1)) throw new TypeError(`render param 'threads' must be a whole number >= 1`);
  if (p.scheduler !== undefined && !SCHEDULER_NAMES.includes(p.scheduler as SchedulerName)) {
    throw new TypeError(`render param 'scheduler' must be one of ${SCHEDULER_NAMES.join(', ')}`);
  }
  return p as unknown as RenderRequest;
}

function pipelineFor(req: RenderRequest, ctx: HandlerContext): Promise<Pipeline> {
  const key = [path.resolve(req.modelDir), req.provider ?? 'auto', req.deviceId ?? 0, req.threads ?? 'cores', req.memory ?? 'speed'].join('\0');
  return pipelines.get(key, () =>
    loadPipeline(req.modelDir, {
      provider: req.provider,
      deviceId: req.deviceId,
      intraOpThreads: req.threads,
      memory: req.memory ?? 'speed',
      logger: { info: (m) => ctx.log('info', m), warn: (m) => ctx.log('warn', m) },
    }),
  );
}

async function render(params: unknown, ctx: HandlerContext): Promise<RenderResponse> {
  const req = check(params);
  const pipeline = await pipelineFor(req, ctx);
  const result = await pipeline.generate(
    {
      prompt: req.prompt,
      negativePrompt: req.negativePrompt,
      steps: req.steps,
      guidanceScale: req.guidanceScale,
      seed: req.seed,
      width: req.width,
      height: req.height,
      scheduler: req.scheduler,
      batch: req.batch,
    },
    { signal: ctx.signal, onStep: (step, total) => ctx.progress(step, total) },
  );
  let timings = result.timings;
  if (!loadReported.has(pipeline)) {
    loadReported.add(pipeline);
    timings = {
      ...timings,
      loadMs: timings.loadMs + pipeline.load.ms,
      sessionsLoaded: timings.sessionsLoaded + pipeline.load.sessions,
    };
  }
  const base = {
    provider: pipeline.provider,
    threads: pipeline.threads,
    memory: pipeline.memory,
    scheduler: result.scheduler,
    timings,
  };
  if (req.outDir === undefined) return { ...base, pngBase64: result.png.map((b) => b.toString('base64')) };
  const files: string[] = [];
  for (const png of result.png) files.push(await writeFileUnique(req.outDir, req.baseName ?? `render-${req.seed}`, '.png', png));
  return { ...base, files };
}

export const renderHandler: Handler = (params, ctx) => {
  // One render at a time: they share one set of sessions and would only slow each other down.
  const run = queue.then(() => render(params, ctx));
  queue = run.catch(() => undefined);
  return run;
};
