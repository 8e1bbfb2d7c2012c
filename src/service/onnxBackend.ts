/**
 * The `onnx` render backend: the local Stable Diffusion pipeline (src/render) on onnxruntime-node.
 * The pipeline stays loaded between requests and is replaced when the model, provider or device
 * changes (the old sessions, GPU memory included, are freed before the new ones load).
 */
import * as path from 'node:path';
import { loadPipeline, ModelDirError, modelIdentity, validateModelDir, type ModelDirInfo, type Pipeline } from '../render';
import type { ModelCheckParams, ModelCheckResult, RenderParams } from '../protocol/service';
import type { BackendControl, BackendImages, RenderBackend } from './backend';
import { KeyedResource } from './keyedResource';

export function createOnnxBackend(): RenderBackend {
  const pipelines = new KeyedResource<Pipeline>((p) => p.dispose());
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
      const key = `${path.resolve(params.modelDir)}\0${params.provider ?? 'auto'}\0${params.deviceId ?? 0}`;
      const pipeline = await pipelines.get(key, () =>
        loadPipeline(params.modelDir, {
          provider: params.provider,
          deviceId: params.deviceId,
          logger: { info: (m) => control.log('info', m), warn: (m) => control.log('warn', m) },
        }),
      );
      const width = params.width ?? pipeline.info.defaultSize.width;
      const height = params.height ?? pipeline.info.defaultSize.height;
      control.phase('encoding', 0, params.steps, pipeline.provider);
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
        { signal: control.signal, onStep: (step, total) => control.phase(step >= total ? 'decoding' : 'denoising', step, total) },
      );
      return { png: result.png, width, height, provider: pipeline.provider, scheduler: result.scheduler, timings: result.timings };
    },

    release: () => pipelines.clear(),
  };
}
