/**
 * Shared by the region-guidance tests: the reference records of tools/parity/make_region_fixtures.py
 * (test/fixtures/sd-tiny-regions/reference/*.json.gz) and model copies that add what region
 * guidance needs to an sd-tiny variant: the VAE encoder and, optionally, the UNet graph with its
 * batch axis fixed to 2.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { parsePythonJson } from '../../src/render';
import type { GuideRegion } from '../../src/protocol/regions';
import { fixture } from './helpers/paths';
import { loadableCopy, type RefTensor } from './renderFixture';

export const SD_TINY_REGIONS = fixture('sd-tiny-regions');

/** One region-guided run recorded by the reference script (see its README). */
export interface RegionCase {
  variant: string;
  name: string;
  background: string;
  negative_prompt: string | null;
  regions: GuideRegion[];
  guidance_scale: number;
  num_inference_steps: number;
  num_images_per_prompt: number;
  scheduler: 'ddim' | 'euler' | 'euler_a' | 'dpmpp_2m';
  scheduler_config: Record<string, unknown>;
  bootstrap_steps: number;
  mask_softness: number;
  height: number;
  width: number;
  colours: number[][];
  picks: number[][];
  initial_latents: RefTensor;
  noise_per_step: RefTensor[] | null;
  timesteps: number[];
  masks: RefTensor;
  weights: RefTensor;
  background_latents: RefTensor;
  model_output_per_step: RefTensor[];
  latents_per_step: RefTensor[];
  onnx_parity: { latents_max_abs: number; model_output_max_abs: number; image_max_abs: number };
}

/** Every recorded case, by file name order; empty when the fixtures are absent. */
export function regionCases(): RegionCase[] {
  const dir = path.join(SD_TINY_REGIONS, 'reference');
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json.gz'))
    .sort()
    .map((f) => parsePythonJson(zlib.gunzipSync(fs.readFileSync(path.join(dir, f))).toString('utf8')) as RegionCase);
}

/**
 * A loadable copy of `variant` with vae_encoder/ (fp32 or fp16 to match the variant) and, with
 * `staticBatch`, the vpred-fp32 UNet graph whose batch axis is fixed to 2 (it reads the same
 * unet/model.onnx_data). Returns the folder; the caller removes it.
 */
export function regionModelCopy(variant: string, options: { staticBatch?: boolean; encoder?: boolean } = {}): string {
  const dir = loadableCopy(variant);
  if (options.encoder !== false) {
    const src = path.join(SD_TINY_REGIONS, variant.includes('fp16') ? 'vae_encoder-fp16' : 'vae_encoder-fp32');
    fs.mkdirSync(path.join(dir, 'vae_encoder'), { recursive: true });
    fs.copyFileSync(path.join(src, 'config.json'), path.join(dir, 'vae_encoder', 'config.json'));
    fs.writeFileSync(
      path.join(dir, 'vae_encoder', 'model.onnx'),
      zlib.gunzipSync(fs.readFileSync(path.join(src, 'model.onnx.gz'))),
    );
  }
  if (options.staticBatch) {
    if (variant !== 'vpred-fp32') throw new Error("the static-batch UNet is vpred-fp32's graph");
    fs.writeFileSync(
      path.join(dir, 'unet', 'model.onnx'),
      zlib.gunzipSync(fs.readFileSync(path.join(SD_TINY_REGIONS, 'unet-static-batch2', 'model.onnx.gz'))),
    );
  }
  return dir;
}
