/**
 * The batch's host capabilities over the inference service: the same for the CLI's `batch` and
 * the editor's Render All Prompts. The service writes each PNG at its place in the output folder
 * and detects on that file, so no image bytes travel between processes.
 */
import { rewritePrompt } from '../generator/index';
import { parsePrompt } from '../parser/index';
import type { DetectorSpec, RenderParams, SchedulerName } from '../protocol/service';
import type { InferenceService } from '../service/client';
import type { BatchDeps, BatchOptions, RenderJob } from './types';

/**
 * How the service runs the batch's renders and detections (not part of any image's identity): the
 * render request's backend, server, provider, device, threads and memory mode (see RenderParams),
 * and the detector. With the `comfyui` backend `render.model` is the checkpoint name; which backend
 * and server rendered is part of each image's key through `render.modelId` (the backend's
 * `model/check`).
 */
export interface ServiceBatchOptions extends Pick<RenderParams, 'backend' | 'comfyui' | 'provider' | 'deviceId' | 'threads' | 'memory'> {
  readonly detector: DetectorSpec;
  /** Score down to which detections are reported (the batch's detection floor). */
  readonly floor: number;
}

/**
 * The service's `render` params for one batch image, written to `file`, with the model folder
 * `modelDir` (the batch's own, or a queue worker's copy of the same model).
 */
export function batchRenderParams(
  job: Pick<RenderJob, 'text' | 'seed' | 'parameters'>,
  modelDir: string,
  run: Pick<ServiceBatchOptions, 'backend' | 'comfyui' | 'provider' | 'deviceId' | 'threads' | 'memory'>,
  file: string,
): RenderParams {
  const p = job.parameters;
  return {
    modelDir,
    ...(run.backend === undefined ? {} : { backend: run.backend }),
    ...(run.comfyui === undefined ? {} : { comfyui: run.comfyui }),
    provider: run.provider,
    deviceId: run.deviceId,
    threads: run.threads,
    memory: run.memory,
    prompt: job.text,
    negativePrompt: p.negativePrompt || undefined,
    steps: p.steps,
    guidanceScale: p.guidance,
    seed: job.seed,
    width: p.width,
    height: p.height,
    // "default" is the model's own scheduler (the model identity says which it is).
    scheduler: p.scheduler === 'default' ? undefined : (p.scheduler as SchedulerName),
    output: { files: [file] },
  };
}

export function serviceBatchDeps(service: InferenceService, options: Pick<BatchOptions, 'render'>, run: ServiceBatchOptions): BatchDeps {
  return {
    async render(job, file, signal, onStep) {
      const p = job.parameters;
      const result = await service.call('render', batchRenderParams(job, p.model, run, file), {
        signal,
        // Step 0 (the loop starting) is not a step done.
        onProgress: (e) => ((e.phase === 'denoising' || e.phase === 'decoding') && e.step > 0 ? onStep(e.step, e.total) : undefined),
      });
      return { width: result.width, height: result.height };
    },
    async detect(file, labels, signal) {
      return (await service.call('detect', { imagePath: file, labels, detector: run.detector, threshold: run.floor }, { signal })).detections;
    },
    rewrite: (text, seed) => rewritePrompt(parsePrompt(text), { seed, width: options.render.width, height: options.render.height }).text,
    now: () => performance.now(),
  };
}
