/**
 * The `onnx` render backend: the local Stable Diffusion pipeline (src/render) on onnxruntime-node.
 * The pipeline stays loaded between requests and is replaced when the model, provider or device
 * changes (the old sessions, GPU memory included, are freed before the new ones load).
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { loadPipeline, ModelDirError, parsePythonJson, validateModelDir, type ModelDirInfo, type Pipeline } from '../render';
import type { ModelCheckResult, RenderParams } from '../protocol/service';
import type { BackendControl, BackendImages, RenderBackend } from './backend';
import { KeyedResource } from './keyedResource';

/** SD 2.1's native size, for a folder whose UNet config does not say. */
const FALLBACK_SIZE = 768;

/** The image size the model was trained at: the UNet's sample size times the VAE's scale factor. */
async function defaultSize(info: ModelDirInfo): Promise<number> {
  try {
    const cfg = parsePythonJson(await fs.readFile(path.join(info.dir, 'unet', 'config.json'), 'utf8')) as { sample_size?: unknown } | null;
    const sample = cfg?.sample_size;
    if (typeof sample === 'number' && Number.isInteger(sample) && sample > 0) return sample * info.vaeScaleFactor;
  } catch {
    // No UNet config: the native size of the models this pipeline targets.
  }
  return FALLBACK_SIZE;
}

export function createOnnxBackend(): RenderBackend {
  const pipelines = new KeyedResource<Pipeline>((p) => p.dispose());
  return {
    async check(modelDir: string): Promise<ModelCheckResult> {
      let info: ModelDirInfo;
      try {
        info = await validateModelDir(modelDir);
      } catch (err) {
        if (err instanceof ModelDirError) return { ok: false, problem: err.message };
        throw err;
      }
      const size = await defaultSize(info);
      return { ok: true, dir: info.dir, width: size, height: size, scheduler: info.defaultScheduler ?? null };
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
      const size = params.width === undefined || params.height === undefined ? await defaultSize(pipeline.info) : 0;
      const width = params.width ?? size;
      const height = params.height ?? size;
      control.phase('encoding', 0, params.steps);
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
        },
        { signal: control.signal, onStep: (step, total) => control.phase(step >= total ? 'decoding' : 'denoising', step, total) },
      );
      return { png: result.png, width, height, provider: pipeline.provider, scheduler: result.scheduler, timings: result.timings };
    },

    release: () => pipelines.clear(),
  };
}
