/**
 * The pipeline's ONNX sessions and their lifetime. The memory mode decides which graphs stay
 * loaded between (and during) renders; how onnxruntime allocates their working memory was chosen
 * by measuring the full-size SD 2.1 export (tools/parity/make_real_model.py, README "Memory").
 */
import type { InferenceSession } from 'onnxruntime-node';
import { MEMORY_MODES, type GraphName, type MemoryMode } from '../protocol/service';
import { ortLoadError } from './errors';
import { checkValues, GRAPH_CONTRACT, validateVaeEncoder, type ModelDirInfo } from './modelDir';
import type { OnnxValueInfo } from './onnxGraph';
import {
  cleanReason,
  cudaProviderInstalled,
  executionProviders,
  fallbackMessage,
  providerCandidates,
  softwareVulkan,
  tellOnce,
  webgpuUnavailable,
  type ProviderName,
  type ProviderRequest,
  type RenderLogger,
} from './providers';

type Ort = typeof import('onnxruntime-node');

export { MEMORY_MODES, type GraphName, type MemoryMode };

/**
 * Per memory mode, the graphs that stay loaded between uses. Measured on the full-size SD 2.1
 * export at 512x512 with 2 threads (README, "Memory"): the text encoder holds about 2 GiB, so
 * releasing it before the denoising loop is the largest single saving; the VAE decoder's weights
 * are small but its working memory at full image size is about 1 GiB.
 */
export const KEEP_LOADED: Readonly<Record<MemoryMode, Readonly<Record<GraphName, boolean>>>> = {
  speed: { text_encoder: true, unet: true, vae_decoder: true, vae_encoder: true },
  balanced: { text_encoder: false, unet: true, vae_decoder: false, vae_encoder: false },
  low: { text_encoder: false, unet: false, vae_decoder: false, vae_encoder: false },
};

/** What opening a model's sessions needs. */
export interface SessionSettings {
  readonly provider: ProviderRequest;
  readonly deviceId: number | undefined;
  /** Intra-op threads of the CPU provider. */
  readonly threads: number;
  readonly memory: MemoryMode;
  readonly logger: RenderLogger | undefined;
}

/** Session loads: how many were created and the milliseconds they took. */
export interface LoadCount {
  sessions: number;
  ms: number;
  /** Told when a session starts loading. */
  readonly onLoad?: (graph: GraphName) => void;
}

function loadOrt(): Ort {
  return require('onnxruntime-node') as Ort;
}

function metaOf(session: InferenceSession, kind: 'inputs' | 'outputs'): OnnxValueInfo[] {
  const meta = kind === 'inputs' ? session.inputMetadata : session.outputMetadata;
  return meta.map((m) => (m.isTensor ? { name: m.name, type: m.type as OnnxValueInfo['type'], shape: m.shape } : { name: m.name, type: 'unknown', shape: [] }));
}

/**
 * One graph's session, created on first use and, unless its policy keeps it, released when the
 * last concurrent user is done: a session is never released under a render that is using it.
 */
export class GraphSession {
  readonly graph: GraphName;
  readonly #create: () => Promise<InferenceSession>;
  readonly #keep: boolean;
  #session: Promise<InferenceSession> | undefined;
  #users = 0;
  #closed = false;

  constructor(graph: GraphName, create: () => Promise<InferenceSession>, keep: boolean) {
    this.graph = graph;
    this.#create = create;
    this.#keep = keep;
  }

  /** Creates the session now (the eager graphs of a memory mode, at pipeline load). */
  async open(count: LoadCount): Promise<InferenceSession> {
    if (this.#closed) throw new Error('pipeline disposed');
    if (!this.#session) {
      count.onLoad?.(this.graph);
      const t0 = performance.now();
      const pending = this.#create();
      this.#session = pending;
      try {
        await pending;
      } catch (err) {
        if (this.#session === pending) this.#session = undefined;
        throw err;
      }
      count.sessions++;
      count.ms += performance.now() - t0;
    }
    return this.#session;
  }

  /**
   * The session for one use (loading it first if needed, counted in `count`); every `acquire`
   * that resolves must be paired with one `done`.
   */
  async acquire(count: LoadCount): Promise<InferenceSession> {
    this.#users++;
    try {
      return await this.open(count);
    } catch (err) {
      await this.done();
      throw err;
    }
  }

  /** Ends one use: the last user of a session its policy does not keep releases it. */
  async done(): Promise<void> {
    this.#users--;
    if (!this.#keep && this.#users === 0) await this.#drop();
  }

  /** Runs `fn` with the session between `acquire` and `done`. */
  async use<T>(count: LoadCount, fn: (session: InferenceSession) => Promise<T>): Promise<T> {
    const session = await this.acquire(count);
    try {
      return await fn(session);
    } finally {
      await this.done();
    }
  }

  async #drop(): Promise<void> {
    const pending = this.#session;
    this.#session = undefined;
    const s = await pending?.catch(() => undefined);
    await s?.release();
  }

  /** Releases the session for good. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#drop();
  }
}

/** A model's sessions on one provider, shared by every pipeline of the same folder and settings. */
export interface Sessions {
  readonly provider: ProviderName;
  readonly threads: number;
  readonly memory: MemoryMode;
  readonly textEncoder: GraphSession;
  readonly unet: GraphSession;
  readonly vae: GraphSession;
  /** Opened only by region guidance, on first use; kept or released like the VAE decoder. */
  readonly vaeEncoder: GraphSession;
  /** What opening them at load cost. */
  readonly load: LoadCount;
  refs: number;
}

function sessionOptions(provider: ProviderName, settings: SessionSettings): InferenceSession.SessionOptions {
  return {
    executionProviders: executionProviders(provider, settings.deviceId),
    graphOptimizationLevel: 'all',
    // Fatal only: the GPU providers warn about shape ops placed on the CPU, which is by design, and
    // errors come back as exceptions that we turn into one line (onnxruntime's own log lines are
    // in ANSI colour and name its C++ internals).
    logSeverityLevel: 4,
    intraOpNumThreads: settings.threads,
    // Measured on the full-size export (README, "Memory"): the memory pattern plans one block for
    // all of a run's intermediates on the second run of a shape and takes it from the arena beside
    // the first run's chunks, +1.4 GiB for the UNet at 512x512 with no speed to show for it.
    enableMemPattern: false,
    // The CPU arena stays: without it the UNet's transient peak per step is higher (2.2 GiB over
    // its weights instead of 1.4) and every step and decode pays fresh page faults (the VAE
    // decode took 2.4x as long).
    enableCpuMemArena: true,
  };
}

function graphSessions(ort: Ort, info: ModelDirInfo, provider: ProviderName, settings: SessionSettings): Omit<Sessions, 'load' | 'refs'> {
  const keep = KEEP_LOADED[settings.memory];
  const create = async (file: string, externalData: readonly string[]): Promise<InferenceSession> => {
    try {
      return await ort.InferenceSession.create(file, sessionOptions(provider, settings));
    } catch (err) {
      // On the CPU the provider is not the problem: the file is.
      throw provider === 'cpu' ? ortLoadError(file, err, externalData) : err;
    }
  };
  const make = (graph: Exclude<GraphName, 'vae_encoder'>): GraphSession =>
    new GraphSession(
      graph,
      async () => {
        const file = info.files[graph];
        const s = await create(file, info.graphs[graph].externalData);
        // The session's own metadata is what we feed; check it too (a file can change after validation).
        try {
          checkValues(file, 'inputs', metaOf(s, 'inputs'), GRAPH_CONTRACT[graph].inputs);
          checkValues(file, 'outputs', metaOf(s, 'outputs'), GRAPH_CONTRACT[graph].outputs);
        } catch (err) {
          await s.release();
          throw err;
        }
        return s;
      },
      keep[graph],
    );
  return {
    provider,
    threads: settings.threads,
    memory: settings.memory,
    textEncoder: make('text_encoder'),
    unet: make('unet'),
    vae: make('vae_decoder'),
    vaeEncoder: new GraphSession('vae_encoder', () => create(validateVaeEncoder(info.dir), []), keep.vae_encoder),
  };
}

async function closeAll(s: Omit<Sessions, 'load' | 'refs'>): Promise<void> {
  await Promise.all([s.textEncoder.close(), s.unet.close(), s.vae.close(), s.vaeEncoder.close()]);
}

/**
 * Opens the sessions on the first provider that can run the model. The UNet always loads here: it
 * is the graph a provider most often cannot take, and its load is most of the wait. The text
 * encoder and the VAE decoder load here only when the memory mode keeps them.
 */
export async function openSessions(info: ModelDirInfo, settings: SessionSettings): Promise<Sessions> {
  const ort = loadOrt();
  const request = settings.provider;
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
  const keep = KEEP_LOADED[settings.memory];
  for (const provider of candidates) {
    const s = graphSessions(ort, info, provider, settings);
    const load: LoadCount = { sessions: 0, ms: 0 };
    try {
      // The eager ones in the order a render uses them.
      if (keep.text_encoder) await s.textEncoder.open(load);
      await s.unet.open(load);
      if (keep.vae_decoder) await s.vae.open(load);
      if (failures.length) tellOnce(settings.logger, fallbackMessage(request, failures, provider));
      return { ...s, load, refs: 0 };
    } catch (err) {
      await closeAll(s);
      if (provider === 'cpu') throw err;
      failures.push({ provider, reason: cleanReason((err as Error).message) });
    }
  }
  throw new Error('no execution provider could load the model');
}

/** Releases every session of the set. */
export async function closeSessions(s: Sessions): Promise<void> {
  await closeAll(s);
}
