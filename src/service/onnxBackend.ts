/**
 * The `onnx` render backend: the local Stable Diffusion pipeline (src/render) on onnxruntime-node.
 * The pipeline stays loaded between requests and is replaced when the model, provider, device,
 * threads or memory mode changes (the old sessions, GPU memory included, are freed before the new
 * ones load). Within one pipeline the memory mode decides which sessions stay loaded.
 */
import * as path from 'node:path';
import { loadPipeline, ModelDirError, modelIdentity, validateModelDir, type ModelDirInfo, type Pipeline } from '../render';
import type { ModelCheckParams, ModelCheckResult, RenderParams, RenderTimings } from '../protocol/service';
import type { BackendControl, BackendImages, RenderBackend } from './backend';
import { KeyedResource } from './keyedResource';

export function createOnnxBackend(): RenderBackend {
  const pipelines = new KeyedResource<Pipeline>((p) => p.dispose());
  // Pipelines whose own load was already reported with a render: a later render reuses the loaded
  // sessions and reports only what it loaded itself.
  const loadReported = new WeakSet<Pipeline>();
  return {
    async check({ modelDir }: ModelCheckParams): Promise<ModelCheckResult> {
      let info: ModelDirInfo;
      try {
        info = await validateModelDir(modelDir);
      } catch (err) {
        if (err instanceof ModelDirError) return { ok: false, problem: err.message };
        throw err;
      }
      return { ok: true, dir: info.dir, defaultSize: info.defaultSize, scheduler: info.defaultScheduler ?? null, identity: await modelIdentity(info) };
    },

    async render(params: RenderParams, control: BackendControl): Promise<BackendImages> {
      control.phase('loading', 0, params.steps);
      const memory = params.memory ?? 'speed';
      const key = [path.resolve(params.modelDir), params.provider ?? 'auto', params.deviceId ?? 0, params.threads ?? 'cores', memory].join('\0');
      const pipeline = await pipelines.get(key, () =>
        loadPipeline(params.modelDir, {
          provider: params.provider,
          deviceId: params.deviceId,
          intraOpThreads: params.threads,
          memory,
          logger: { info: (m) => control.log('info', m), warn: (m) => control.log('warn', m) },
        }),
      );
      const firstUse = !loadReported.has(pipeline);
      loadReported.add(pipeline);
      const width = params.width ?? pipeline.info.defaultSize.width;
      const height = params.height ?? pipeline.info.defaultSize.height;
      control.phase('encoding', 0, params.steps, {
        provider: pipeline.provider,
        loaded: { ms: firstUse ? pipeline.load.ms : 0, threads: pipeline.threads, memory: pipeline.memory },
      });
      let loopStart = performance.now();
      const result = await pipeline.generate(
        {
          prompt: params.prompt,
          negativePrompt: params.negativePrompt,
          steps: params.steps,
          guidanceScale: params.guidanceScale,
          seed: params.seed,
          width,
          height,
          scheduler: params.scheduler,
          batch: params.batch,
          regions: params.regions,
        },
        {
          signal: control.signal,
          onPhase: (phase, graph) => {
            // Sessions the memory mode loads for a stage, and the loop's start.
            if (phase === 'loading' && graph) control.phase('loading', 0, params.steps, { graph });
            else if (phase === 'denoising') {
              loopStart = performance.now();
              control.phase('denoising', 0, params.steps);
            }
          },
          onStep: (step, total) => control.phase(step >= total ? 'decoding' : 'denoising', step, total, { loopMs: performance.now() - loopStart }),
        },
      );
      let timings: RenderTimings = result.timings;
      // The pipeline's own load counts in the first render that used it.
      if (firstUse) timings = { ...timings, loadMs: timings.loadMs + pipeline.load.ms, sessionsLoaded: timings.sessionsLoaded + pipeline.load.sessions };
      return { png: result.png, width, height, provider: pipeline.provider, threads: pipeline.threads, memory: pipeline.memory, scheduler: result.scheduler, timings };
    },

    release: () => pipelines.clear(),
  };
}
