/**
 * Shared by the render tests: the tiny Stable Diffusion fixtures (test/fixtures/sd-tiny/<variant>,
 * optimum layout + reference.json from diffusers) made loadable by copying a variant into a temp
 * folder and adding the CLIP tokenizer files, which live once, gzipped, in
 * test/fixtures/clip-tokenizer.
 */
import { after } from 'node:test';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { parsePythonJson, type Pipeline } from '../../src/render';
import { fixture } from './helpers/paths';

/** A float32 tensor as reference.json stores it. */
export interface RefTensor {
  shape: number[];
  dtype: 'float32';
  b64: string;
}

/** One diffusers run recorded by the reference script. */
export interface RefCase {
  name: string;
  prompt: string;
  negative_prompt: string | null;
  guidance_scale: number;
  num_inference_steps: number;
  num_images_per_prompt?: number;
  scheduler: 'ddim' | 'euler' | 'euler_a' | 'dpmpp_2m';
  scheduler_config: Record<string, unknown>;
  seed: number;
  input_ids: number[] | number[][];
  uncond_input_ids: number[] | number[][] | null;
  text_embeddings: RefTensor;
  uncond_embeddings: RefTensor | null;
  initial_latents: RefTensor;
  timesteps: number[];
  sigmas: number[] | null;
  noise_per_step: RefTensor[] | null;
  /** The guided model output fed to each scheduler step (newer fixtures). */
  model_output_per_step?: RefTensor[];
  latents_per_step: RefTensor[];
  image: RefTensor;
}

export interface Reference {
  variant: string;
  prediction_type: string;
  height: number;
  width: number;
  dtype?: string;
  unet_timestep_dtype?: string;
  cases: RefCase[];
}

export const SD_TINY = fixture('sd-tiny');
const TOKENIZER = fixture('clip-tokenizer');

/** Variants that have a reference.json (and the tokenizer files exist). */
export function tinyVariants(): string[] {
  if (!fs.existsSync(SD_TINY) || !fs.existsSync(path.join(TOKENIZER, 'vocab.json.gz'))) return [];
  return fs
    .readdirSync(SD_TINY)
    .filter((v) => fs.existsSync(path.join(SD_TINY, v, 'reference.json')) && fs.existsSync(path.join(SD_TINY, v, 'unet', 'model.onnx')))
    .sort();
}

/**
 * For a test file that renders: the variant it uses (vpred-fp32 where present), the skip reason
 * without fixtures, and the temp folders and pipelines it makes, removed and disposed after its
 * tests.
 */
export function renderTestSetup(): { variants: string[]; variant: string | undefined; noFixture: string | false; temps: string[]; pipelines: Pipeline[] } {
  const variants = tinyVariants();
  const variant = variants.includes('vpred-fp32') ? 'vpred-fp32' : variants[0];
  const temps: string[] = [];
  const pipelines: Pipeline[] = [];
  after(async () => {
    for (const p of pipelines) await p.dispose();
    for (const d of temps) fs.rmSync(d, { recursive: true, force: true });
  });
  return { variants, variant, noFixture: variant ? false : 'no test/fixtures/sd-tiny fixtures yet', temps, pipelines };
}

export function readReference(variant: string): Reference {
  return parsePythonJson(fs.readFileSync(path.join(SD_TINY, variant, 'reference.json'), 'utf8')) as Reference;
}

export function tensor(t: RefTensor): Float32Array {
  const buf = Buffer.from(t.b64, 'base64');
  const out = new Float32Array(buf.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = buf.readFloatLE(i * 4);
  return out;
}

/** Copies a variant into a fresh temp folder with tokenizer/vocab.json and merges.txt; returns it. */
export function loadableCopy(variant: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `sd-tiny-${variant}-`));
  fs.cpSync(path.join(SD_TINY, variant), dir, { recursive: true });
  fs.mkdirSync(path.join(dir, 'tokenizer'), { recursive: true });
  for (const f of ['vocab.json', 'merges.txt']) {
    fs.writeFileSync(path.join(dir, 'tokenizer', f), zlib.gunzipSync(fs.readFileSync(path.join(TOKENIZER, `${f}.gz`))));
  }
  for (const f of ['tokenizer_config.json', 'special_tokens_map.json']) {
    const target = path.join(dir, 'tokenizer', f);
    if (!fs.existsSync(target) && fs.existsSync(path.join(TOKENIZER, f))) fs.copyFileSync(path.join(TOKENIZER, f), target);
  }
  return dir;
}

/** Largest |a - b| and the largest |b|, for tolerance messages. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): { diff: number; scale: number } {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return { diff, scale };
}
