/**
 * Checks a Stable Diffusion ONNX folder in optimum's export layout before anything is loaded:
 * every file the pipeline reads is present and parses, and each ONNX graph has exactly the inputs
 * and the outputs the pipeline feeds and fetches (names, element types, ranks).
 */
import { promises as fs, accessSync, constants as fsConstants, existsSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { ModelDirError } from './errors';
import { OnnxFormatError, readOnnxSignature, type OnnxElemType, type OnnxSignature, type OnnxValueInfo } from './onnxGraph';
import { schedulerFromClassName, type SchedulerConfig, type SchedulerName } from './schedulers';

/** One expected graph input or output. */
interface Want {
  readonly name: string;
  readonly types: readonly OnnxElemType[];
  /** Accepted ranks. */
  readonly ranks: readonly number[];
}

const FLOAT: readonly OnnxElemType[] = ['float32', 'float16'];

/** The three graphs the pipeline runs, keyed by their folder in the optimum layout. */
export const GRAPH_CONTRACT: Readonly<Record<'text_encoder' | 'unet' | 'vae_decoder', { inputs: readonly Want[]; outputs: readonly Want[] }>> = {
  text_encoder: {
    inputs: [{ name: 'input_ids', types: ['int32', 'int64'], ranks: [2] }],
    outputs: [{ name: 'last_hidden_state', types: FLOAT, ranks: [3] }],
  },
  unet: {
    inputs: [
      { name: 'sample', types: FLOAT, ranks: [4] },
      { name: 'timestep', types: ['int64', 'float32', 'float16'], ranks: [0, 1] },
      { name: 'encoder_hidden_states', types: FLOAT, ranks: [3] },
    ],
    outputs: [{ name: 'out_sample', types: FLOAT, ranks: [4] }],
  },
  vae_decoder: {
    inputs: [{ name: 'latent_sample', types: FLOAT, ranks: [4] }],
    outputs: [{ name: 'sample', types: FLOAT, ranks: [4] }],
  },
};

/** What `validateModelDir` learnt about a usable model folder. */
export interface ModelDirInfo {
  /** Absolute path of the folder. */
  readonly dir: string;
  readonly schedulerConfig: SchedulerConfig;
  /** The scheduler the model ships with, when it is one we implement. */
  readonly defaultScheduler: SchedulerName | undefined;
  readonly predictionType: string;
  /** Latents are divided by this before the VAE (vae_decoder/config.json, default 0.18215). */
  readonly vaeScalingFactor: number;
  /** Image pixels per latent pixel: 2^(len(block_out_channels) - 1), 8 for Stable Diffusion. */
  readonly vaeScaleFactor: number;
  /** Signatures read from the ONNX files. */
  readonly graphs: Readonly<Record<'text_encoder' | 'unet' | 'vae_decoder', OnnxSignature>>;
  /** Paths of the three model.onnx files. */
  readonly files: Readonly<Record<'text_encoder' | 'unet' | 'vae_decoder', string>>;
  /** Contents of model_index.json when present. */
  readonly modelIndex: Record<string, unknown> | undefined;
  /** Problems that do not stop this user from rendering (a weights file other users cannot read). */
  readonly warnings: readonly string[];
}

function describe(v: OnnxValueInfo): string {
  return `${v.name} (${v.type} [${v.shape.map((d) => (d === '' ? '?' : String(d))).join(', ')}])`;
}

function describeWant(w: Want): string {
  return `${w.name} (${w.types.join('|')}, rank ${w.ranks.join(' or ')})`;
}

/**
 * Throws ModelDirError when the values of `kind` (inputs or outputs) do not meet `wants`.
 * Inputs must match exactly (we cannot feed an unknown input); outputs must include the wanted.
 */
export function checkValues(file: string, kind: 'inputs' | 'outputs', found: readonly OnnxValueInfo[], wants: readonly Want[]): void {
  const foundText = found.length ? found.map(describe).join(', ') : 'none';
  const wantText = wants.map(describeWant).join(', ');
  for (const w of wants) {
    const f = found.find((v) => v.name === w.name);
    if (!f || !w.types.includes(f.type) || !w.ranks.includes(f.shape.length)) {
      throw new ModelDirError(file, `graph ${kind} ${wantText}`, `${kind} ${foundText}`);
    }
  }
  if (kind === 'inputs') {
    const extra = found.filter((v) => !wants.some((w) => w.name === v.name));
    if (extra.length) {
      throw new ModelDirError(file, `graph inputs ${wantText} only`, `extra inputs ${extra.map(describe).join(', ')} (not a Stable Diffusion 2.x UNet export?)`);
    }
  }
}

/**
 * JSON.parse that also takes the NaN / Infinity / -Infinity literals Python's json.dumps writes
 * (diffusers saves `lambda_min_clipped: -Infinity` in DPM-Solver configs).
 */
export function parsePythonJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    // Replace the bare literals outside strings only: split on string tokens first.
    const fixed = text.replace(/("(?:[^"\\]|\\.)*")|-?\bInfinity\b|\bNaN\b/g, (_m, str: string | undefined) => str ?? 'null');
    if (fixed === text) throw err;
    return JSON.parse(fixed);
  }
}

async function readJson(file: string, what: string, optional: boolean): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      if (optional) return undefined;
      throw new ModelDirError(file, what, 'no such file');
    }
    throw new ModelDirError(file, what, (err as Error).message);
  }
  try {
    const v = parsePythonJson(text);
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new SyntaxError('not a JSON object');
    return v as Record<string, unknown>;
  } catch (err) {
    throw new ModelDirError(file, what, `invalid JSON (${(err as Error).message})`);
  }
}

/**
 * onnx writes external data files readable by their owner only (mode 0600), and optimum's export
 * keeps that: a model folder shared between users then fails to load for everyone else. Throws
 * when this user cannot read `file`; returns a warning when only its owner can.
 */
export function checkReadable(file: string, what: string): string | undefined {
  const mode = statSync(file).mode & 0o777;
  const octal = mode.toString(8).padStart(4, '0');
  const fix = `run \`chmod a+r '${file}'\` as its owner, so that every user of the model folder can read it`;
  try {
    accessSync(file, fsConstants.R_OK);
  } catch {
    throw new ModelDirError(file, `${what}, readable by this user`, `a file this user may not read (mode ${octal}; onnx writes external weights readable by their owner only): ${fix}`);
  }
  if ((mode & 0o044) === 0) return `${file} is readable by its owner only (mode ${octal}, as onnx writes external weights); other users of this model folder cannot render with it: ${fix}.`;
  return undefined;
}

function signature(dir: string, sub: 'text_encoder' | 'unet' | 'vae_decoder', warnings: string[]): OnnxSignature {
  const file = path.join(dir, sub, 'model.onnx');
  if (!existsSync(file)) throw new ModelDirError(file, `the ${sub} ONNX graph`, 'no such file');
  let sig: OnnxSignature;
  try {
    sig = readOnnxSignature(file);
  } catch (err) {
    if (err instanceof OnnxFormatError) throw new ModelDirError(file, 'an ONNX model (protobuf)', `a file that is not ONNX (${err.message})`);
    throw new ModelDirError(file, `the ${sub} ONNX graph`, (err as Error).message);
  }
  checkValues(file, 'inputs', sig.inputs, GRAPH_CONTRACT[sub].inputs);
  checkValues(file, 'outputs', sig.outputs, GRAPH_CONTRACT[sub].outputs);
  for (const loc of sig.externalData) {
    const data = path.join(dir, sub, loc);
    if (!existsSync(data)) throw new ModelDirError(data, `the external weights that ${sub}/model.onnx references`, 'no such file (copy it next to model.onnx)');
    const warning = checkReadable(data, `the external weights that ${sub}/model.onnx references`);
    if (warning) warnings.push(warning);
  }
  return sig;
}

/** Validates `dir` (see module comment); throws one ModelDirError naming the first problem. */
export async function validateModelDir(dir: string): Promise<ModelDirInfo> {
  const abs = path.resolve(dir);
  let stat;
  try {
    stat = await fs.stat(abs);
  } catch {
    throw new ModelDirError(abs, 'a Stable Diffusion ONNX model folder', 'no such folder');
  }
  if (!stat.isDirectory()) throw new ModelDirError(abs, 'a Stable Diffusion ONNX model folder', 'a file');
  const modelIndex = await readJson(path.join(abs, 'model_index.json'), 'the pipeline index (model_index.json)', true);
  const schedulerFile = path.join(abs, 'scheduler', 'scheduler_config.json');
  const schedulerConfig = (await readJson(schedulerFile, 'the diffusers scheduler config', false)) as SchedulerConfig;
  for (const f of ['vocab.json', 'merges.txt']) {
    const file = path.join(abs, 'tokenizer', f);
    if (!existsSync(file)) throw new ModelDirError(file, 'the CLIP tokenizer file', 'no such file');
  }
  const vaeConfig = await readJson(path.join(abs, 'vae_decoder', 'config.json'), 'the VAE config', true);
  const sf = vaeConfig?.scaling_factor;
  const blocks = vaeConfig?.block_out_channels;
  const warnings: string[] = [];
  const graphs = {
    text_encoder: signature(abs, 'text_encoder', warnings),
    unet: signature(abs, 'unet', warnings),
    vae_decoder: signature(abs, 'vae_decoder', warnings),
  };
  const prediction = schedulerConfig.prediction_type ?? 'epsilon';
  return {
    dir: abs,
    schedulerConfig,
    defaultScheduler: schedulerFromClassName(schedulerConfig._class_name),
    predictionType: prediction,
    vaeScalingFactor: typeof sf === 'number' && sf > 0 ? sf : 0.18215,
    vaeScaleFactor: Array.isArray(blocks) && blocks.length > 0 ? 2 ** (blocks.length - 1) : 8,
    graphs,
    files: {
      text_encoder: path.join(abs, 'text_encoder', 'model.onnx'),
      unet: path.join(abs, 'unet', 'model.onnx'),
      vae_decoder: path.join(abs, 'vae_decoder', 'model.onnx'),
    },
    modelIndex,
    warnings,
  };
}
