/**
 * Stable Diffusion 2.x text-to-image on onnxruntime-node: CLIP text encoder, UNet denoising loop
 * with classifier-free guidance and a diffusers-compatible scheduler, VAE decoder, PNG out.
 * Follows diffusers' StableDiffusionPipeline step for step so that, given the same initial latents
 * (and ancestral noise), it reproduces diffusers' latents and image.
 */
import * as path from 'node:path';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { encodePng, type RgbaImage } from '../image';
import { ortLoadError, RenderCancelledError, RenderParamsError } from './errors';
import { availableMemory, checkRenderMemory, checkSize, MAX_BATCH, MAX_STEPS } from './limits';
import { float16ToFloat32, float32ToFloat16 } from './float16';
import { checkValues, GRAPH_CONTRACT, validateModelDir, validateVaeEncoder, type ModelDirInfo } from './modelDir';
import type { OnnxValueInfo } from './onnxGraph';
import {
  cudaProviderInstalled,
  executionProviders,
  fallbackMessage,
  providerCandidates,
  cleanReason,
  softwareVulkan,
  tellOnce,
  webgpuUnavailable,
  type ProviderName,
  type ProviderRequest,
  type RenderLogger,
} from './providers';
import { GaussianRandom } from './random';
import {
  BOOTSTRAP_ENCODE_LATENT_SIZE,
  centreLatents,
  constantImages,
  drawBootstrap,
  regionMasks,
  resolveRegionGuide,
  type BootstrapDraws,
  type ResolvedGuide,
} from './regions';
import { createScheduler, SCHEDULER_NAMES, type NoiseSource, type Scheduler, type SchedulerConfig, type SchedulerName } from './schedulers';
import type { RegionGuide } from '../protocol/regions';
import { loadClipTokenizer, type ClipTokenizer } from './tokenizer';
import type { RenderTimings } from '../protocol/service';

export type { RenderTimings };

type Ort = typeof import('onnxruntime-node');

/** Options of `loadPipeline`. */
export interface PipelineOptions {
  /** Execution provider; `auto` (default) tries CUDA, then WebGPU, then CPU. */
  readonly provider?: ProviderRequest;
  /** GPU index for CUDA. */
  readonly deviceId?: number;
  /** Receives the one fallback message and load notes. */
  readonly logger?: RenderLogger;
  /** Threads for the CPU provider (default: onnxruntime's choice). */
  readonly intraOpThreads?: number;
  /** Bytes a render may take, checked before its first step (default: the memory available now). */
  readonly availableMemory?: () => number;
}

/** One render request. */
export interface GenerateParams {
  readonly prompt: string;
  /** Text to steer away from (the unconditional branch of classifier-free guidance). */
  readonly negativePrompt?: string;
  readonly steps: number;
  /** Classifier-free guidance scale; at 1 or below the unconditional branch is skipped. */
  readonly guidanceScale: number;
  /** 0..2^32-1; with `batch` > 1, image k uses the k-th draw of the same generator. */
  readonly seed: number;
  /** Pixels, multiples of 8. */
  readonly width: number;
  readonly height: number;
  /** Default: the model's scheduler when we implement it, else `dpmpp_2m`. */
  readonly scheduler?: SchedulerName;
  /** Overrides the model's scheduler_config.json (keys as diffusers names them). */
  readonly schedulerConfig?: SchedulerConfig;
  /** Images per prompt (default 1). */
  readonly batch?: number;
  /** Test hook: initial latents [batch, C, h, w] before init_noise_sigma scaling (replaces the seed's). */
  readonly latents?: Float32Array;
  /** Test hook: ancestral noise per step (replaces the seed's draws). */
  readonly noise?: readonly Float32Array[];
  /**
   * Region guidance: one prompt per object box, blended with soft box masks at every step (see
   * `RegionGuide`); with it, `prompt` is only recorded in the PNG and the guide's `background`
   * is what the area outside the boxes is denoised with. Without it the render is a plain one.
   */
  readonly regions?: RegionGuide;
  /** Test hook: the bootstrapping colours and picks (replaces the seed's draws; see `drawBootstrap`). */
  readonly bootstrapDraws?: BootstrapDraws;
}

/** Progress and cancellation of one render. */
export interface GenerateControl {
  /** Checked before every UNet call; an abort rejects with RenderCancelledError. */
  readonly signal?: AbortSignal;
  /** After each denoising step: `step` is 1..total, `timestep` the one just run. */
  readonly onStep?: (step: number, total: number, timestep: number) => void;
  /** Test hook: receives the guided model output fed to each scheduler step. */
  readonly onModelOutput?: (stepIndex: number, modelOutput: Float32Array) => void;
  /** Test hook: receives the latents after each scheduler step. */
  readonly onLatents?: (stepIndex: number, latents: Float32Array) => void;
}

/** What `generate` returns. */
export interface GenerateResult {
  readonly images: RgbaImage[];
  /** PNG bytes per image with tEXt/iTXt: prompt, negative_prompt, seed, steps, guidance, scheduler, model, size, provider. */
  readonly png: Buffer[];
  readonly timings: RenderTimings;
  /** Diagnostics for tests and the bench: token ids and the text embeddings (of the guide's background with `regions`). */
  readonly inputIds: Int32Array;
  readonly uncondInputIds: Int32Array | undefined;
  readonly textEmbeddings: Float32Array;
  readonly uncondEmbeddings: Float32Array | undefined;
  /** Final decoded image in [0, 1], [batch, 3, H, W] (before 8-bit quantisation). */
  readonly imageFloat: Float32Array;
  readonly scheduler: SchedulerName;
}

/** A loaded model, ready to render; `dispose()` releases its ONNX sessions. */
export interface Pipeline {
  readonly info: ModelDirInfo;
  /** The provider that actually runs. */
  readonly provider: ProviderName;
  readonly tokenizer: ClipTokenizer;
  /**
   * The UNet graph's fixed batch size, or null when its batch axis is dynamic. Region prompts go
   * through one `session.run` per step on a dynamic axis, else one run per prompt (per `unetBatch`
   * rows, the last one padded).
   */
  readonly unetBatch: number | null;
  generate(params: GenerateParams, control?: GenerateControl): Promise<GenerateResult>;
  dispose(): Promise<void>;
}

export { RenderParamsError };

interface Sessions {
  readonly textEncoder: InferenceSession;
  readonly unet: InferenceSession;
  readonly vae: InferenceSession;
  readonly provider: ProviderName;
  /** The options the sessions were made with, for the VAE encoder opened on first use. */
  readonly options: InferenceSession.SessionOptions;
  /** Opened only by region guidance (its constant-colour backgrounds); plain renders never need it. */
  vaeEncoder?: Promise<InferenceSession>;
  refs: number;
}

const sessionCache = new Map<string, Promise<Sessions>>();

function loadOrt(): Ort {
  return require('onnxruntime-node') as Ort;
}

async function createSessions(ort: Ort, info: ModelDirInfo, provider: ProviderName, options: PipelineOptions): Promise<Sessions> {
  const so: InferenceSession.SessionOptions = {
    executionProviders: executionProviders(provider, options.deviceId),
    graphOptimizationLevel: 'all',
    // Fatal only: the GPU providers warn about shape ops placed on the CPU, which is by design, and
    // errors come back as exceptions that we turn into one line (onnxruntime's own log lines are
    // in ANSI colour and name its C++ internals).
    logSeverityLevel: 4,
    ...(options.intraOpThreads ? { intraOpNumThreads: options.intraOpThreads } : {}),
  };
  const made: InferenceSession[] = [];
  try {
    for (const sub of ['text_encoder', 'unet', 'vae_decoder'] as const) {
      const file = info.files[sub];
      try {
        made.push(await ort.InferenceSession.create(file, so));
      } catch (err) {
        // On the CPU the provider is not the problem: the file is.
        throw provider === 'cpu' ? ortLoadError(file, err, info.graphs[sub].externalData) : err;
      }
    }
  } catch (err) {
    await Promise.all(made.map((s) => s.release().catch(() => undefined)));
    throw err;
  }
  return { textEncoder: made[0]!, unet: made[1]!, vae: made[2]!, provider, options: so, refs: 0 };
}

async function openSessions(info: ModelDirInfo, options: PipelineOptions): Promise<Sessions> {
  const ort = loadOrt();
  const request = options.provider ?? 'auto';
  const cuda = cudaProviderInstalled();
  const failures: Array<{ provider: ProviderName; reason: string }> = [];
  if (!cuda && (request === 'auto' || request === 'cuda')) {
    failures.push({ provider: 'cuda', reason: 'the CUDA build of onnxruntime-node is not installed' });
  }
  let candidates = providerCandidates(request, cuda).filter((p) => p !== 'cuda' || cuda);
  const software = softwareVulkan(process.env);
  const unavailable = webgpuUnavailable(process.env);
  if (request === 'auto' && (software || unavailable)) {
    // WebGPU on a software Vulkan driver is correct but far slower than the CPU provider; with no
    // driver at all, probing only costs time and prints Dawn's warnings.
    candidates = candidates.filter((p) => p !== 'webgpu');
    failures.push({
      provider: 'webgpu',
      reason: unavailable ?? `the Vulkan driver is software (${software}), slower than the CPU provider; ask for webgpu explicitly to use it anyway`,
    });
  }
  for (const provider of candidates) {
    try {
      const s = await createSessions(ort, info, provider, options);
      if (failures.length) tellOnce(options.logger, fallbackMessage(request, failures, provider));
      return s;
    } catch (err) {
      if (provider === 'cpu') throw err;
      failures.push({ provider, reason: cleanReason((err as Error).message) });
    }
  }
  throw new Error('no execution provider could load the model');
}

function metaOf(session: InferenceSession, kind: 'inputs' | 'outputs'): OnnxValueInfo[] {
  const meta = kind === 'inputs' ? session.inputMetadata : session.outputMetadata;
  return meta.map((m) => (m.isTensor ? { name: m.name, type: m.type as OnnxValueInfo['type'], shape: m.shape } : { name: m.name, type: 'unknown', shape: [] }));
}

/**
 * Validates `modelDir`, opens (or reuses) its ONNX sessions on the requested provider and loads
 * the tokenizer. Sessions are shared by every pipeline of the same folder and provider and
 * released when the last one is disposed.
 */
export async function loadPipeline(modelDir: string, options: PipelineOptions = {}): Promise<Pipeline> {
  const info = await validateModelDir(modelDir);
  const tokenizer = await loadClipTokenizer(path.join(info.dir, 'tokenizer'));
  const key = `${info.dir}\0${options.provider ?? 'auto'}\0${options.deviceId ?? 0}`;
  let pending = sessionCache.get(key);
  if (!pending) {
    pending = openSessions(info, options);
    sessionCache.set(key, pending);
    pending.catch(() => sessionCache.delete(key));
  }
  const sessions = await pending;
  sessions.refs++;
  // The sessions' own metadata is what we feed; check it too (a file can change after validation).
  const graphs = { text_encoder: sessions.textEncoder, unet: sessions.unet, vae_decoder: sessions.vae } as const;
  try {
    for (const [sub, s] of Object.entries(graphs) as Array<[keyof typeof graphs, InferenceSession]>) {
      checkValues(info.files[sub], 'inputs', metaOf(s, 'inputs'), GRAPH_CONTRACT[sub].inputs);
      checkValues(info.files[sub], 'outputs', metaOf(s, 'outputs'), GRAPH_CONTRACT[sub].outputs);
    }
  } catch (err) {
    await releaseSessions(key, sessions);
    throw err;
  }
  return new OnnxPipeline(info, tokenizer, sessions, key, options.availableMemory ?? availableMemory);
}

async function releaseSessions(key: string, sessions: Sessions): Promise<void> {
  sessions.refs--;
  if (sessions.refs > 0) return;
  sessionCache.delete(key);
  const encoder = sessions.vaeEncoder?.then((s) => s.release()).catch(() => undefined);
  await Promise.all([sessions.textEncoder.release(), sessions.unet.release(), sessions.vae.release(), encoder]);
}

/** How one graph input is fed: element type and the fixed batch size, if any. */
interface InputSpec {
  readonly name: string;
  readonly type: string;
  readonly shape: ReadonlyArray<number | string>;
}

function inputSpec(session: InferenceSession, name: string): InputSpec {
  const m = session.inputMetadata.find((x) => x.name === name);
  if (!m || !m.isTensor) throw new Error(`graph input ${name} missing`);
  return { name, type: m.type, shape: m.shape };
}

/** The largest batch a graph accepts in one call: its fixed first dimension, else unlimited. */
function batchCapacity(spec: InputSpec): number {
  const d = spec.shape[0];
  return typeof d === 'number' && d > 0 ? d : Infinity;
}

function toFloatTensor(ort: Ort, type: string, data: Float32Array, dims: readonly number[]): Tensor {
  return type === 'float16' ? new ort.Tensor('float16', float32ToFloat16(data), dims) : new ort.Tensor('float32', data, dims);
}

function fromFloatTensor(t: Tensor): Float32Array {
  if (t.type === 'float16') return float16ToFloat32(t.data as Uint16Array);
  if (t.type === 'float32') return t.data as Float32Array;
  throw new Error(`expected a float tensor, got ${t.type}`);
}

function allFinite(x: Float32Array): boolean {
  for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i]!)) return false;
  return true;
}

function checkAbort(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new RenderCancelledError();
}

class OnnxPipeline implements Pipeline {
  readonly info: ModelDirInfo;
  readonly tokenizer: ClipTokenizer;
  readonly provider: ProviderName;
  readonly unetBatch: number | null;
  readonly #sessions: Sessions;
  readonly #key: string;
  readonly #ort: Ort = loadOrt();
  readonly #ids: InputSpec;
  readonly #sample: InputSpec;
  readonly #timestep: InputSpec;
  readonly #ehs: InputSpec;
  readonly #latentIn: InputSpec;
  readonly #availableMemory: () => number;
  #disposed = false;

  constructor(info: ModelDirInfo, tokenizer: ClipTokenizer, sessions: Sessions, key: string, memory: () => number) {
    this.#availableMemory = memory;
    this.info = info;
    this.tokenizer = tokenizer;
    this.#sessions = sessions;
    this.provider = sessions.provider;
    this.#key = key;
    this.#ids = inputSpec(sessions.textEncoder, 'input_ids');
    this.#sample = inputSpec(sessions.unet, 'sample');
    this.#timestep = inputSpec(sessions.unet, 'timestep');
    this.#ehs = inputSpec(sessions.unet, 'encoder_hidden_states');
    this.#latentIn = inputSpec(sessions.vae, 'latent_sample');
    const cap = Math.min(batchCapacity(this.#sample), batchCapacity(this.#ehs));
    this.unetBatch = Number.isFinite(cap) ? cap : null;
  }

  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    await releaseSessions(this.#key, this.#sessions);
  }

  async #encodeText(ids: Int32Array): Promise<{ data: Float32Array; dims: number[] }> {
    const ort = this.#ort;
    const n = ids.length;
    const tensor =
      this.#ids.type === 'int64'
        ? new ort.Tensor('int64', BigInt64Array.from(ids, (v) => BigInt(v)), [1, n])
        : new ort.Tensor('int32', Int32Array.from(ids), [1, n]);
    const out = await this.#sessions.textEncoder.run({ input_ids: tensor }, ['last_hidden_state']);
    const t = out.last_hidden_state!;
    return { data: Float32Array.from(fromFloatTensor(t)), dims: [...t.dims] };
  }

  #timestepTensor(t: number, batch: number): Tensor {
    const ort = this.#ort;
    const spec = this.#timestep;
    const dims = spec.shape.length === 0 ? [] : [typeof spec.shape[0] === 'number' ? spec.shape[0] : batch];
    const n = dims.length ? dims[0]! : 1;
    if (spec.type === 'int64') {
      // numpy's astype(int64) truncates fractional (Euler linspace) timesteps.
      return new ort.Tensor('int64', new BigInt64Array(n).fill(BigInt(Math.trunc(t))), dims);
    }
    const f = new Float32Array(n).fill(t);
    return spec.type === 'float16' ? new ort.Tensor('float16', float32ToFloat16(f), dims) : new ort.Tensor('float32', f, dims);
  }

  async generate(params: GenerateParams, control: GenerateControl = {}): Promise<GenerateResult> {
    if (this.#disposed) throw new Error('pipeline disposed');
    const t0 = performance.now();
    const p = this.#checkParams(params);
    const { signal } = control;
    checkAbort(signal);
    const ort = this.#ort;
    const batch = p.batch;
    const cfg = params.guidanceScale > 1;
    // Before any allocation: a render that cannot fit is refused with the figure and the way out.
    const rowsAll = cfg ? 2 * batch : batch;
    checkRenderMemory(
      {
        width: params.width,
        height: params.height,
        batch,
        guidance: cfg,
        unetChunk: Math.min(rowsAll, batchCapacity(this.#sample), batchCapacity(this.#ehs)),
        elementBytes: this.#sample.type === 'float16' ? 2 : 4,
        vaeScaleFactor: this.info.vaeScaleFactor,
        architecture: this.info.architecture,
      },
      this.#availableMemory(),
      this.provider !== 'cpu',
    );
    const guide = params.regions !== undefined ? resolveRegionGuide(params.regions, params.steps) : undefined;
    // With a guide of no regions (a prompt with nothing to place) this is a plain render of its background.
    const guided = guide !== undefined && guide.regions.length > 0;

    // 1. Text embeddings: one prompt and one negative prompt, repeated per image.
    const inputIds = this.tokenizer.encode(guide ? guide.background : params.prompt);
    const cond = await this.#encodeText(inputIds);
    let uncondIds: Int32Array | undefined;
    let uncond: { data: Float32Array; dims: number[] } | undefined;
    if (cfg) {
      uncondIds = this.tokenizer.encode(params.negativePrompt ?? '');
      uncond = await this.#encodeText(uncondIds);
    }
    const tText = performance.now();
    const seqDims = cond.dims.slice(1);
    const perPrompt = cond.data.length;
    const rows = cfg ? 2 * batch : batch;
    // diffusers orders the guidance batch [uncond x batch, cond x batch].
    const ehsAll = new Float32Array(rows * perPrompt);
    for (let r = 0; r < rows; r++) ehsAll.set(cfg && r < batch ? uncond!.data : cond.data, r * perPrompt);

    // 2. Scheduler and initial latents.
    const scheduler = createScheduler(p.scheduler, params.schedulerConfig ?? this.info.schedulerConfig, params.steps);
    const channels = typeof this.#sample.shape[1] === 'number' ? this.#sample.shape[1] : 4;
    const lh = params.height / this.info.vaeScaleFactor;
    const lw = params.width / this.info.vaeScaleFactor;
    const per = channels * lh * lw;
    const rng = new GaussianRandom(params.seed);
    let latents: Float32Array;
    if (params.latents) {
      if (params.latents.length !== batch * per) {
        throw new RenderParamsError(`latents have ${params.latents.length} values, expected ${batch}x${channels}x${lh}x${lw} = ${batch * per}`);
      }
      latents = Float32Array.from(params.latents);
    } else {
      latents = rng.gaussian(batch * per);
    }
    // Bootstrapping noises its backgrounds with the initial noise, before init_noise_sigma.
    const initialNoise = guided ? Float32Array.from(latents) : undefined;
    if (scheduler.initNoiseSigma !== 1) for (let i = 0; i < latents.length; i++) latents[i] = latents[i]! * scheduler.initNoiseSigma;
    const noise: NoiseSource = params.noise
      ? (len, step) => {
          const z = params.noise![step];
          if (!z || z.length !== len) throw new RenderParamsError(`noise for step ${step} is missing or has the wrong size`);
          return z;
        }
      : (len) => rng.gaussian(len);

    const total = scheduler.timesteps.length;
    let unetMs = 0;
    if (guided) {
      const run = await this.#denoiseRegions({
        guide,
        scheduler,
        latents,
        initialNoise: initialNoise!,
        noise,
        cond: cond.data,
        uncond: uncond?.data,
        seqDims,
        batch,
        channels,
        lh,
        lw,
        guidanceScale: params.guidanceScale,
        seed: params.seed,
        draws: params.bootstrapDraws,
        control,
      });
      latents = run.latents;
      unetMs = run.unetMs;
    } else {
      // UNet calls are chunked to the graph's fixed batch size, if it has one.
      const cap = Math.min(batchCapacity(this.#sample), batchCapacity(this.#ehs));
      const chunk = Math.min(rows, cap);
      if (rows % chunk !== 0) throw new RenderParamsError(`the UNet takes batches of ${chunk}; ${rows} rows cannot be split evenly`);
      const ehsTensors: Tensor[] = [];
      for (let r = 0; r < rows; r += chunk) {
        ehsTensors.push(toFloatTensor(ort, this.#ehs.type, ehsAll.slice(r * perPrompt, (r + chunk) * perPrompt), [chunk, ...seqDims]));
      }
      const sampleDims = [chunk, channels, lh, lw];
      const modelIn = new Float32Array(rows * per);
      const modelOut = new Float32Array(rows * per);
      const guided = new Float32Array(batch * per);
      const g = params.guidanceScale;

      // 3. Denoising loop.
      for (let i = 0; i < total; i++) {
        const t = scheduler.timesteps[i]!;
        const scaled = scheduler.scaleModelInput(latents, i);
        for (let r = 0; r < rows; r++) modelIn.set(scaled.subarray((r % batch) * per, (r % batch + 1) * per), r * per);
        const ts = this.#timestepTensor(t, chunk);
        const tu = performance.now();
        for (let c = 0; c < rows / chunk; c++) {
          checkAbort(signal);
          // Whole arrays when one call covers the batch; copies otherwise (a tensor over a subarray
          // with a byte offset is not something to rely on in the native binding).
          const rowsIn = chunk === rows ? modelIn : modelIn.slice(c * chunk * per, (c + 1) * chunk * per);
          const sample = toFloatTensor(ort, this.#sample.type, rowsIn, sampleDims);
          const out = await this.#sessions.unet.run({ sample, timestep: ts, encoder_hidden_states: ehsTensors[c]! }, ['out_sample']);
          modelOut.set(fromFloatTensor(out.out_sample!), c * chunk * per);
        }
        unetMs += performance.now() - tu;
        let pred: Float32Array;
        if (cfg) {
          for (let k = 0; k < batch * per; k++) {
            const u = modelOut[k]!;
            guided[k] = u + g * (modelOut[batch * per + k]! - u);
          }
          pred = guided;
        } else {
          pred = modelOut.subarray(0, batch * per);
        }
        control.onModelOutput?.(i, pred);
        latents = scheduler.step(pred, i, latents, noise);
        this.#checkFinite(latents, i, total);
        control.onLatents?.(i, latents);
        control.onStep?.(i + 1, total, t);
        // onnxruntime-node starts every run from setImmediate, so the event loop (and a cancel
        // message) gets a turn between steps without a yield of our own.
        checkAbort(signal);
      }
    }

    // 4. VAE decode, chunked like the UNet.
    const tv = performance.now();
    const vaeCap = Math.min(batchCapacity(this.#latentIn), batch);
    const inv = 1 / this.info.vaeScalingFactor;
    const scaledLatents = latents.map((v) => v * inv);
    const imageFloat = new Float32Array(batch * 3 * params.width * params.height);
    const hw = params.width * params.height;
    for (let b = 0; b < batch; b += vaeCap) {
      checkAbort(signal);
      const n = Math.min(vaeCap, batch - b);
      const input = toFloatTensor(ort, this.#latentIn.type, scaledLatents.slice(b * per, (b + n) * per), [n, channels, lh, lw]);
      const out = await this.#sessions.vae.run({ latent_sample: input }, ['sample']);
      const img = fromFloatTensor(out.sample!);
      if (img.length !== n * 3 * hw) throw new Error(`VAE decoder returned ${out.sample!.dims.join('x')}, expected ${n}x3x${params.height}x${params.width}`);
      for (let k = 0; k < img.length; k++) imageFloat[b * 3 * hw + k] = Math.min(Math.max(img[k]! / 2 + 0.5, 0), 1);
    }
    const tEnd = performance.now();

    // 5. 8-bit RGBA and PNG with the render settings in text chunks.
    const images: RgbaImage[] = [];
    const png: Buffer[] = [];
    for (let b = 0; b < batch; b++) {
      const data = new Uint8Array(hw * 4);
      const base = b * 3 * hw;
      for (let k = 0; k < hw; k++) {
        data[k * 4] = Math.round(imageFloat[base + k]! * 255);
        data[k * 4 + 1] = Math.round(imageFloat[base + hw + k]! * 255);
        data[k * 4 + 2] = Math.round(imageFloat[base + 2 * hw + k]! * 255);
        data[k * 4 + 3] = 255;
      }
      const image: RgbaImage = { width: params.width, height: params.height, data };
      images.push(image);
      png.push(
        encodePng(image, {
          prompt: params.prompt,
          negative_prompt: params.negativePrompt ?? '',
          seed: String(params.seed),
          ...(batch > 1 ? { batch_index: String(b) } : {}),
          steps: String(params.steps),
          guidance: String(params.guidanceScale),
          scheduler: p.scheduler,
          model: path.basename(this.info.dir),
          size: `${params.width}x${params.height}`,
          provider: this.provider,
          ...(guide ? { guide: JSON.stringify(guide) } : {}),
          Software: 'SPRIGHT Lens',
        }),
      );
    }
    const totalMs = performance.now() - t0;
    return {
      images,
      png,
      timings: { textEncoderMs: tText - t0, unetMs, vaeMs: tEnd - tv, totalMs, stepsPerSecond: total / (unetMs / 1000) },
      inputIds,
      uncondInputIds: uncondIds,
      textEmbeddings: cond.data,
      uncondEmbeddings: uncond?.data,
      imageFloat,
      scheduler: p.scheduler,
    };
  }

  #checkFinite(latents: Float32Array, i: number, total: number): void {
    if (allFinite(latents)) return;
    // A known fp16 failure of SD 2.x: attention overflows and the picture comes out black.
    throw new Error(
      `the UNet produced NaN/Infinity at step ${i + 1} of ${total}` +
        (this.#sample.type === 'float16' ? ' (float16 overflow, a known Stable Diffusion 2.x problem: use an fp32 export, or one with attention upcast to fp32)' : ''),
    );
  }

  /**
   * The denoising loop of region-guided sampling (region-based MultiDiffusion; the algorithm and
   * how it departs from region_based.py are in src/render/regions.ts and the README). Per step:
   * the UNet on [background, regions] x [negative, prompt] (during bootstrapping each region's
   * input is its box over a noised constant-colour background), classifier-free guidance per
   * region, the guided predictions blended with the mask weights, one scheduler step.
   *
   * Two exact savings over running every (region, negative/prompt) pair: after bootstrapping every
   * region sees the same latents, so the negative prompt's prediction is one row shared by all,
   * and regions with the same prompt (three apples) share one row.
   */
  async #denoiseRegions(a: {
    guide: ResolvedGuide;
    scheduler: Scheduler;
    latents: Float32Array;
    initialNoise: Float32Array;
    noise: NoiseSource;
    cond: Float32Array;
    uncond: Float32Array | undefined;
    seqDims: number[];
    batch: number;
    channels: number;
    lh: number;
    lw: number;
    guidanceScale: number;
    seed: number;
    draws: BootstrapDraws | undefined;
    control: GenerateControl;
  }): Promise<{ latents: Float32Array; unetMs: number }> {
    const { guide, scheduler, batch, channels, control } = a;
    const { signal } = control;
    const ort = this.#ort;
    const n = guide.regions.length;
    const hw = a.lh * a.lw;
    const per = channels * hw;
    const cfg = a.uncond !== undefined;
    const g = a.guidanceScale;

    // Embedding table: [negative?, background, each distinct region prompt].
    const embeddings: Float32Array[] = [];
    const negative = cfg ? embeddings.push(a.uncond!) - 1 : -1;
    const background = embeddings.push(a.cond) - 1;
    const byPrompt = new Map<string, number>([[guide.background, background]]);
    const regionEmbedding: number[] = [];
    for (const r of guide.regions) {
      let e = byPrompt.get(r.prompt);
      if (e === undefined) {
        checkAbort(signal);
        e = embeddings.push((await this.#encodeText(this.tokenizer.encode(r.prompt))).data) - 1;
        byPrompt.set(r.prompt, e);
      }
      regionEmbedding.push(e);
    }

    const { masks, weights } = regionMasks(
      guide.regions.map((r) => r.box),
      a.lw,
      a.lh,
      guide.maskSoftness,
    );
    const boot = Math.min(guide.bootstrapSteps, scheduler.timesteps.length);
    let backgrounds: Float32Array | undefined;
    let picks: Int32Array | undefined;
    if (boot > 0) {
      const draws = a.draws ?? drawBootstrap(a.seed, boot, n);
      const k = draws.colours.length / 3;
      if (!Number.isInteger(k) || k < 1 || draws.picks.length !== boot * n || draws.picks.some((v) => v < 0 || v >= k)) {
        throw new RenderParamsError(`bootstrapDraws: expected colours K x 3 and ${boot} x ${n} picks in 0..K-1`);
      }
      checkAbort(signal);
      backgrounds = await this.#encodeColours(draws.colours, channels);
      picks = draws.picks;
    }

    // One phase's UNet rows: which latents (-1 = the shared ones, k = region k's bootstrapping view)
    // with which embedding, and for each prompt slot [background, region 1..n] its rows.
    interface Phase {
      rows: Array<{ view: number; embedding: number }>;
      slots: Array<{ uncond: number; cond: number }>;
      ehs: Tensor[];
      chunk: number;
    }
    const cap = Math.min(batchCapacity(this.#sample), batchCapacity(this.#ehs));
    const perPrompt = a.cond.length;
    const makePhase = (rows: Phase['rows'], slots: Phase['slots']): Phase => {
      const total = rows.length * batch;
      const chunk = Number.isFinite(cap) ? cap : total;
      const ehs: Tensor[] = [];
      for (let r0 = 0; r0 < total; r0 += chunk) {
        const data = new Float32Array(chunk * perPrompt);
        // A short last chunk of a fixed-batch graph is padded with its first row (output unused).
        for (let j = 0; j < chunk; j++) data.set(embeddings[rows[Math.floor((r0 + j < total ? r0 + j : r0) / batch)]!.embedding]!, j * perPrompt);
        ehs.push(toFloatTensor(ort, this.#ehs.type, data, [chunk, ...a.seqDims]));
      }
      return { rows, slots, ehs, chunk };
    };
    const pair = (view: number, embedding: number): Phase['rows'] => (cfg ? [{ view, embedding: negative }, { view, embedding }] : [{ view, embedding }]);
    const width = cfg ? 2 : 1;
    const bootPhase =
      boot > 0
        ? makePhase(
            [...pair(-1, background), ...guide.regions.flatMap((_, k) => pair(k, regionEmbedding[k]!))],
            Array.from({ length: n + 1 }, (_, j) => ({ uncond: cfg ? j * 2 : -1, cond: j * width + width - 1 })),
          )
        : undefined;
    const distinct = [...new Set([background, ...regionEmbedding])];
    const shared = cfg ? 1 : 0;
    const mainPhase = makePhase(
      [...(cfg ? [{ view: -1, embedding: negative }] : []), ...distinct.map((embedding) => ({ view: -1, embedding }))],
      [background, ...regionEmbedding].map((e) => ({ uncond: cfg ? 0 : -1, cond: shared + distinct.indexOf(e) })),
    );

    let latents = a.latents;
    const total = scheduler.timesteps.length;
    const pred = new Float32Array(batch * per);
    let unetMs = 0;
    for (let i = 0; i < total; i++) {
      const t = scheduler.timesteps[i]!;
      const phase = i < boot ? bootPhase! : mainPhase;
      // The UNet's inputs: the shared latents and, while bootstrapping, each region's view.
      const views = new Map<number, Float32Array>([[-1, scheduler.scaleModelInput(latents, i)]]);
      if (i < boot) {
        for (let k = 0; k < n; k++) {
          const colour = picks![i * n + k]!;
          const flat = new Float32Array(batch * per);
          for (let b = 0; b < batch; b++) for (let c = 0; c < channels; c++) flat.fill(backgrounds![colour * channels + c]!, b * per + c * hw, b * per + (c + 1) * hw);
          const noisy = scheduler.addNoise(flat, a.initialNoise, i);
          const m = masks[k]!;
          const view = new Float32Array(batch * per);
          for (let q = 0; q < view.length; q++) {
            const w = m[q % hw]!;
            view[q] = latents[q]! * w + noisy[q]! * (1 - w);
          }
          views.set(k, scheduler.scaleModelInput(view, i));
        }
      }
      const rowCount = phase.rows.length * batch;
      const runs = Math.ceil(rowCount / phase.chunk);
      const modelIn = new Float32Array(runs * phase.chunk * per);
      for (let r = 0; r < runs * phase.chunk; r++) {
        const row = r < rowCount ? r : Math.floor(r / phase.chunk) * phase.chunk;
        const spec = phase.rows[Math.floor(row / batch)]!;
        const b = row % batch;
        modelIn.set(views.get(spec.view)!.subarray(b * per, (b + 1) * per), r * per);
      }
      const modelOut = new Float32Array(runs * phase.chunk * per);
      const ts = this.#timestepTensor(t, phase.chunk);
      const tu = performance.now();
      for (let c = 0; c < runs; c++) {
        checkAbort(signal);
        const rowsIn = runs === 1 ? modelIn : modelIn.slice(c * phase.chunk * per, (c + 1) * phase.chunk * per);
        const sample = toFloatTensor(ort, this.#sample.type, rowsIn, [phase.chunk, channels, a.lh, a.lw]);
        const out = await this.#sessions.unet.run({ sample, timestep: ts, encoder_hidden_states: phase.ehs[c]! }, ['out_sample']);
        modelOut.set(fromFloatTensor(out.out_sample!), c * phase.chunk * per);
      }
      unetMs += performance.now() - tu;
      // Guidance per prompt slot, then the blend: sum over slots of weight x guided prediction.
      for (let b = 0; b < batch; b++) {
        for (let c = 0; c < channels; c++) {
          for (let p = 0; p < hw; p++) {
            const offset = c * hw + p;
            let acc = 0;
            for (let j = 0; j <= n; j++) {
              const w = weights[j]![p]!;
              if (w === 0) continue;
              const slot = phase.slots[j]!;
              let e = modelOut[(slot.cond * batch + b) * per + offset]!;
              if (cfg) {
                const u = modelOut[(slot.uncond * batch + b) * per + offset]!;
                e = u + g * (e - u);
              }
              acc += w * e;
            }
            pred[b * per + offset] = acc;
          }
        }
      }
      control.onModelOutput?.(i, pred);
      latents = scheduler.step(pred, i, latents, a.noise);
      this.#checkFinite(latents, i, total);
      control.onLatents?.(i, latents);
      control.onStep?.(i + 1, total, t);
      checkAbort(signal);
    }
    return { latents, unetMs };
  }

  /**
   * Latent vectors of constant colours (K x RGB in 0..1): the VAE encoder's posterior mean of flat
   * images BOOTSTRAP_ENCODE_LATENT_SIZE latent pixels wide, at their centre (see regions.ts).
   */
  async #encodeColours(colours: Float32Array, channels: number): Promise<Float32Array> {
    const encoder = await this.#vaeEncoder();
    const spec = inputSpec(encoder, 'sample');
    const side = BOOTSTRAP_ENCODE_LATENT_SIZE;
    const px = side * this.info.vaeScaleFactor;
    const k = colours.length / 3;
    const images = constantImages(colours, px);
    const cap = Math.min(batchCapacity(spec), k);
    const params = new Float32Array(k * 2 * channels * side * side);
    const plane = 3 * px * px;
    for (let i = 0; i < k; i += cap) {
      const m = Math.min(cap, k - i);
      const input = toFloatTensor(this.#ort, spec.type, images.slice(i * plane, (i + m) * plane), [m, 3, px, px]);
      const out = await encoder.run({ sample: input }, ['latent_parameters']);
      const t = out.latent_parameters!;
      if (t.dims.length !== 4 || t.dims[1] !== 2 * channels || t.dims[2] !== side || t.dims[3] !== side) {
        throw new Error(`VAE encoder returned latent_parameters ${t.dims.join('x')}, expected ${m}x${2 * channels}x${side}x${side}`);
      }
      params.set(fromFloatTensor(t), i * 2 * channels * side * side);
    }
    return centreLatents(params, k, channels, side);
  }

  #vaeEncoder(): Promise<InferenceSession> {
    const s = this.#sessions;
    if (!s.vaeEncoder) {
      const file = validateVaeEncoder(this.info.dir);
      s.vaeEncoder = this.#ort.InferenceSession.create(file, s.options);
      s.vaeEncoder.catch(() => (s.vaeEncoder = undefined));
    }
    return s.vaeEncoder;
  }

  #checkParams(params: GenerateParams): { batch: number; scheduler: SchedulerName } {
    checkSize(params.width, params.height, Math.max(8, this.info.vaeScaleFactor));
    // A graph exported with a fixed latent size renders that size only.
    for (const [k, v, dim] of [
      ['height', params.height, this.#sample.shape[2]],
      ['width', params.width, this.#sample.shape[3]],
    ] as const) {
      if (typeof dim === 'number' && v !== dim * this.info.vaeScaleFactor) {
        throw new RenderParamsError(
          `${k} must be ${dim * this.info.vaeScaleFactor}: this UNet was exported for ${dim}x latents only, got ${v}`,
        );
      }
    }
    if (!Number.isInteger(params.steps) || params.steps < 1 || params.steps > MAX_STEPS)
      throw new RenderParamsError(`steps must be an integer in 1..${MAX_STEPS}, got ${params.steps}`);
    if (!Number.isFinite(params.guidanceScale) || params.guidanceScale < 0)
      throw new RenderParamsError(`guidance must be a number >= 0, got ${params.guidanceScale}`);
    const batch = params.batch ?? 1;
    if (!Number.isInteger(batch) || batch < 1 || batch > MAX_BATCH)
      throw new RenderParamsError(`batch must be an integer in 1..${MAX_BATCH}, got ${batch}`);
    if (!Number.isInteger(params.seed) || params.seed < 0 || params.seed > 0xffffffff)
      throw new RenderParamsError(`seed must be an integer in 0..4294967295, got ${params.seed}`);
    const scheduler = params.scheduler ?? this.info.defaultScheduler ?? 'dpmpp_2m';
    if (!SCHEDULER_NAMES.includes(scheduler)) throw new RenderParamsError(`unknown scheduler '${scheduler}' (use ${SCHEDULER_NAMES.join(', ')})`);
    return { batch, scheduler };
  }
}
