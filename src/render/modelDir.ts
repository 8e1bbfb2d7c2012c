/**
 * Checks a Stable Diffusion ONNX folder in optimum's export layout before anything is loaded:
 * every file the pipeline reads is present and parses, and each ONNX graph has exactly the inputs
 * and the outputs the pipeline feeds and fetches (names, element types, ranks).
 */
import { createHash } from 'node:crypto';
import { promises as fs, existsSync } from 'node:fs';
import * as path from 'node:path';
import { ModelDirError } from './errors';
import {
  OnnxFormatError,
  readOnnxSignature,
  type OnnxElemType,
  type OnnxSignature,
  type OnnxValueInfo,
} from './onnxGraph';
import {
  createScheduler,
  SchedulerConfigError,
  schedulerFromClassName,
  type SchedulerConfig,
  type SchedulerName,
} from './schedulers';

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

/**
 * The VAE encoder, which only region guidance runs (to encode its constant-colour backgrounds);
 * optimum exports it as vae_encoder/model.onnx with the posterior's mean and log-variance out.
 */
export const VAE_ENCODER_CONTRACT: { inputs: readonly Want[]; outputs: readonly Want[] } = {
  inputs: [{ name: 'sample', types: FLOAT, ranks: [4] }],
  outputs: [{ name: 'latent_parameters', types: FLOAT, ranks: [4] }],
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
  /** The size the UNet was trained at (unet sample_size x vaeScaleFactor; 768x768 for SD 2.1). */
  readonly defaultSize: { readonly width: number; readonly height: number };
  /** What the memory estimate needs from the configs (see limits.ts). */
  readonly architecture: ModelArchitecture;
  /** Signatures read from the ONNX files. */
  readonly graphs: Readonly<Record<'text_encoder' | 'unet' | 'vae_decoder', OnnxSignature>>;
  /** Paths of the three model.onnx files. */
  readonly files: Readonly<Record<'text_encoder' | 'unet' | 'vae_decoder', string>>;
  /** Contents of model_index.json when present. */
  readonly modelIndex: Record<string, unknown> | undefined;
}

/** Sizes of the networks that decide how much memory a render takes. */
export interface ModelArchitecture {
  /** Latent channels (the UNet's `in_channels`). */
  readonly latentChannels: number;
  /** Attention heads per UNet resolution level that has attention (index = level, 0 = latent size). */
  readonly attentionHeads: ReadonlyArray<number | null>;
  /** UNet channels at the latent resolution. */
  readonly unetChannels: number;
  /** VAE decoder channels at full image resolution. */
  readonly vaeChannels: number;
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

function signature(dir: string, sub: 'text_encoder' | 'unet' | 'vae_decoder' | 'vae_encoder', what = `the ${sub} ONNX graph`): OnnxSignature {
  const file = path.join(dir, sub, 'model.onnx');
  if (!existsSync(file)) throw new ModelDirError(file, what, 'no such file');
  let sig: OnnxSignature;
  try {
    sig = readOnnxSignature(file);
  } catch (err) {
    if (err instanceof OnnxFormatError) throw new ModelDirError(file, 'an ONNX model (protobuf)', `a file that is not ONNX (${err.message})`);
    throw new ModelDirError(file, what, (err as Error).message);
  }
  const contract = sub === 'vae_encoder' ? VAE_ENCODER_CONTRACT : GRAPH_CONTRACT[sub];
  checkValues(file, 'inputs', sig.inputs, contract.inputs);
  checkValues(file, 'outputs', sig.outputs, contract.outputs);
  for (const loc of sig.externalData) {
    const data = path.join(dir, sub, loc);
    if (!existsSync(data)) throw new ModelDirError(data, `the external weights that ${sub}/model.onnx references`, 'no such file (copy it next to model.onnx)');
  }
  return sig;
}

/** Throws unless `v` is a positive integer; names the config key. */
function positiveInt(file: string, cfg: Record<string, unknown>, key: string, required: boolean): number | undefined {
  const v = cfg[key];
  if (v === undefined && !required) return undefined;
  if (!Number.isInteger(v) || (v as number) <= 0)
    throw new ModelDirError(
      file,
      `"${key}" as a positive integer`,
      v === undefined ? `no "${key}"` : `"${key}": ${JSON.stringify(v)}`,
    );
  return v as number;
}

function intList(file: string, cfg: Record<string, unknown>, key: string): number[] | undefined {
  const v = cfg[key];
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.length === 0 || !v.every((x) => Number.isInteger(x) && x > 0)) {
    throw new ModelDirError(file, `"${key}" as a list of positive integers`, `"${key}": ${JSON.stringify(v)}`);
  }
  return v as number[];
}

/** A config value and the graph dimension that must agree with it, when the graph fixes it. */
function agree(
  file: string,
  what: string,
  config: number | undefined,
  graphFile: string,
  dim: number | string | undefined,
): void {
  if (config === undefined || typeof dim !== 'number' || config === dim) return;
  throw new ModelDirError(
    file,
    `${what} ${dim}, as ${graphFile} says`,
    `${what} ${config}: the config and the graph contradict each other (a config from another model?)`,
  );
}

/**
 * diffusers writes every key of a scheduler's config; a file without the ones that shape the noise
 * schedule is not a scheduler config (with diffusers' defaults the pixels would silently change).
 */
function checkSchedulerConfig(file: string, cfg: SchedulerConfig): void {
  if (typeof cfg._class_name !== 'string' || !/Scheduler$/.test(cfg._class_name)) {
    throw new ModelDirError(
      file,
      'a diffusers scheduler config ("_class_name": "...Scheduler")',
      cfg._class_name === undefined ? 'no "_class_name"' : `"_class_name": ${JSON.stringify(cfg._class_name)}`,
    );
  }
  const missing = ['num_train_timesteps', 'beta_start', 'beta_end', 'beta_schedule', 'prediction_type'].filter(
    (k) => cfg[k] === undefined,
  );
  if (missing.length)
    throw new ModelDirError(
      file,
      `the noise schedule keys num_train_timesteps, beta_start, beta_end, beta_schedule and prediction_type`,
      `no ${missing.map((k) => `"${k}"`).join(', ')}`,
    );
  for (const k of ['num_train_timesteps', 'beta_start', 'beta_end'] as const) {
    if (typeof cfg[k] !== 'number' || !Number.isFinite(cfg[k]) || (cfg[k] as number) < 0)
      throw new ModelDirError(file, `"${k}" as a number`, `"${k}": ${JSON.stringify(cfg[k])}`);
  }
  try {
    createScheduler(schedulerFromClassName(cfg._class_name) ?? 'ddim', cfg, 1);
  } catch (err) {
    if (err instanceof SchedulerConfigError)
      throw new ModelDirError(file, 'a scheduler config this pipeline implements', err.message);
    throw err;
  }
}

/**
 * The CLIP BPE files: a vocabulary object and a merges list whose every merge yields a token of the
 * vocabulary (an empty or foreign merges.txt tokenizes every prompt differently, silently).
 */
async function checkTokenizer(dir: string, vocabSize: number | undefined): Promise<void> {
  const vocabFile = path.join(dir, 'tokenizer', 'vocab.json');
  const mergesFile = path.join(dir, 'tokenizer', 'merges.txt');
  for (const file of [vocabFile, mergesFile])
    if (!existsSync(file)) throw new ModelDirError(file, 'the CLIP tokenizer file', 'no such file');
  const vocab = await readJson(vocabFile, 'the CLIP vocabulary (a JSON object of token -> id)', false);
  const size = Object.keys(vocab!).length;
  if (vocabSize !== undefined && size !== vocabSize) {
    throw new ModelDirError(
      vocabFile,
      `${vocabSize} tokens, as text_encoder/config.json's vocab_size says`,
      `${size} tokens (a tokenizer from another model?)`,
    );
  }
  const lines = (await fs.readFile(mergesFile, 'utf8')).split('\n');
  let merges = 0;
  lines.forEach((raw, i) => {
    const line = raw.trimEnd();
    if (line === '' || (i === 0 && line.startsWith('#version'))) return;
    const parts = line.split(' ');
    if (parts.length !== 2 || !Object.prototype.hasOwnProperty.call(vocab, parts[0]! + parts[1]!)) {
      throw new ModelDirError(
        `${mergesFile}:${i + 1}`,
        'a BPE merge "a b" whose result "ab" is in vocab.json',
        JSON.stringify(line.slice(0, 80)),
      );
    }
    merges++;
  });
  if (merges === 0)
    throw new ModelDirError(
      mergesFile,
      'the BPE merge rules (one "a b" pair a line; CLIP has 48,894)',
      'no merge rules',
    );
}

/**
 * Checks `dir`/vae_encoder/model.onnx (and its external data) and returns its path; only region
 * guidance needs it, so plain renders never look.
 */
export function validateVaeEncoder(dir: string): string {
  signature(dir, 'vae_encoder', 'the vae_encoder ONNX graph (region guidance encodes its constant-colour backgrounds with it; set bootstrapSteps to 0 to do without)');
  return path.join(dir, 'vae_encoder', 'model.onnx');
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
  checkSchedulerConfig(schedulerFile, schedulerConfig);
  const graphs = {
    text_encoder: signature(abs, 'text_encoder'),
    unet: signature(abs, 'unet'),
    vae_decoder: signature(abs, 'vae_decoder'),
  };
  const dimOf = (
    sub: keyof typeof graphs,
    kind: 'inputs' | 'outputs',
    name: string,
    i: number,
  ): number | string | undefined => graphs[sub][kind].find((v) => v.name === name)?.shape[i];

  // Each part's config.json is optional (older exports lack them), but when present it must be a
  // JSON object whose sizes agree with the graphs: a contradiction means mixed-up files.
  const teFile = path.join(abs, 'text_encoder', 'config.json');
  const teConfig = (await readJson(teFile, 'the text encoder config (a JSON object)', true)) ?? {};
  const hidden = positiveInt(teFile, teConfig, 'hidden_size', false);
  agree(
    teFile,
    'hidden_size',
    hidden,
    'text_encoder/model.onnx (last_hidden_state)',
    dimOf('text_encoder', 'outputs', 'last_hidden_state', 2),
  );
  await checkTokenizer(abs, positiveInt(teFile, teConfig, 'vocab_size', false));

  const unetFile = path.join(abs, 'unet', 'config.json');
  const unetConfig = (await readJson(unetFile, 'the UNet config (a JSON object)', true)) ?? {};
  const sampleSize = positiveInt(unetFile, unetConfig, 'sample_size', false);
  const inChannels = positiveInt(unetFile, unetConfig, 'in_channels', false);
  const crossDim = positiveInt(unetFile, unetConfig, 'cross_attention_dim', false);
  agree(unetFile, 'in_channels', inChannels, 'unet/model.onnx (sample)', dimOf('unet', 'inputs', 'sample', 1));
  agree(
    unetFile,
    'cross_attention_dim',
    crossDim,
    'unet/model.onnx (encoder_hidden_states)',
    dimOf('unet', 'inputs', 'encoder_hidden_states', 2),
  );
  agree(
    unetFile,
    'cross_attention_dim',
    crossDim,
    'text_encoder/model.onnx (last_hidden_state)',
    dimOf('text_encoder', 'outputs', 'last_hidden_state', 2),
  );
  agree(unetFile, 'sample_size', sampleSize, 'unet/model.onnx (sample height)', dimOf('unet', 'inputs', 'sample', 2));
  const unetBlocks = intList(unetFile, unetConfig, 'block_out_channels');
  const downTypes = Array.isArray(unetConfig.down_block_types) ? (unetConfig.down_block_types as unknown[]) : undefined;
  const headsCfg = unetConfig.num_attention_heads ?? unetConfig.attention_head_dim;
  const levels = downTypes?.length ?? unetBlocks?.length ?? 4;
  const attentionHeads = Array.from({ length: levels }, (_, l) => {
    // diffusers' SD 2.x configs name the head count attention_head_dim; only CrossAttn blocks attend.
    if (downTypes && !String(downTypes[l]).includes('Attn')) return null;
    const h = Array.isArray(headsCfg) ? headsCfg[l] : headsCfg;
    return typeof h === 'number' && h > 0 ? h : 8;
  });

  const vaeFile = path.join(abs, 'vae_decoder', 'config.json');
  const vaeConfig = (await readJson(vaeFile, 'the VAE config (a JSON object)', true)) ?? {};
  const sf = vaeConfig.scaling_factor;
  if (sf !== undefined && !(typeof sf === 'number' && sf > 0))
    throw new ModelDirError(
      vaeFile,
      '"scaling_factor" as a positive number',
      `"scaling_factor": ${JSON.stringify(sf)}`,
    );
  const blocks = intList(vaeFile, vaeConfig, 'block_out_channels');
  agree(
    vaeFile,
    'latent_channels',
    positiveInt(vaeFile, vaeConfig, 'latent_channels', false),
    'vae_decoder/model.onnx (latent_sample)',
    dimOf('vae_decoder', 'inputs', 'latent_sample', 1),
  );
  const vaeScaleFactor = blocks ? 2 ** (blocks.length - 1) : 8;
  // Without a UNet config: SD 2.1's 96 latents, unless the graph fixes the size.
  const graphSide = dimOf('unet', 'inputs', 'sample', 2);
  const side = (sampleSize ?? (typeof graphSide === 'number' ? graphSide : 96)) * vaeScaleFactor;
  const channelsDim = dimOf('unet', 'inputs', 'sample', 1);
  const prediction = schedulerConfig.prediction_type ?? 'epsilon';
  return {
    dir: abs,
    schedulerConfig,
    defaultScheduler: schedulerFromClassName(schedulerConfig._class_name),
    predictionType: prediction,
    vaeScalingFactor: typeof sf === 'number' ? sf : 0.18215,
    vaeScaleFactor,
    defaultSize: { width: side, height: side },
    architecture: {
      latentChannels: inChannels ?? (typeof channelsDim === 'number' ? channelsDim : 4),
      attentionHeads,
      unetChannels: unetBlocks?.[0] ?? 320,
      vaeChannels: blocks?.[0] ?? 128,
    },
    graphs,
    files: {
      text_encoder: path.join(abs, 'text_encoder', 'model.onnx'),
      unet: path.join(abs, 'unet', 'model.onnx'),
      vae_decoder: path.join(abs, 'vae_decoder', 'model.onnx'),
    },
    modelIndex,
  };
}

/** Bytes hashed from each end of a large model file by {@link modelIdentity}. */
const IDENTITY_SPAN = 1 << 20;

async function fileFingerprint(file: string): Promise<string> {
  let handle;
  try {
    handle = await fs.open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '-';
    throw err;
  }
  try {
    const { size } = await handle.stat();
    const hash = createHash('sha256');
    const head = Buffer.alloc(Math.min(size, IDENTITY_SPAN));
    await handle.read(head, 0, head.length, 0);
    hash.update(head);
    if (size > IDENTITY_SPAN) {
      const tail = Buffer.alloc(Math.min(size - IDENTITY_SPAN, IDENTITY_SPAN));
      await handle.read(tail, 0, tail.length, size - tail.length);
      hash.update(tail);
    }
    return `${size}:${hash.digest('hex')}`;
  } finally {
    await handle.close();
  }
}

/**
 * A short, path-independent identity of a validated model folder, for resume keys: SHA-256 over
 * every file the pipeline reads (configs, tokenizer, each graph and its external weights), each
 * as its relative path, its size and a SHA-256 of its first and last MiB (the whole file when
 * smaller). Moving or copying the folder keeps the identity; a re-export, another fine-tune or an
 * edited config changes it. It reads at most 2 MiB a file (tens of ms for SD 2.1's 5 GB); an edit
 * confined to the middle of a large weights file that keeps its size is not seen.
 */
export async function modelIdentity(info: ModelDirInfo): Promise<string> {
  const files = [
    'model_index.json',
    'scheduler/scheduler_config.json',
    'tokenizer/vocab.json',
    'tokenizer/merges.txt',
    'tokenizer/tokenizer_config.json',
    'tokenizer/special_tokens_map.json',
  ];
  for (const sub of ['text_encoder', 'unet', 'vae_decoder'] as const) {
    files.push(
      `${sub}/config.json`,
      `${sub}/model.onnx`,
      ...info.graphs[sub].externalData.map((loc) => `${sub}/${loc}`),
    );
  }
  const hash = createHash('sha256');
  for (const rel of files) hash.update(`${rel}\t${await fileFingerprint(path.join(info.dir, rel))}\n`);
  return hash.digest('hex').slice(0, 20);
}
