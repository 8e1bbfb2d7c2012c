/**
 * A client for the ComfyUI server the user already runs: lists its checkpoints, renders our
 * parameters (and region guides) through its HTTP + WebSocket API with step progress and cancel,
 * and returns PNGs that carry our own text chunks. Pure Node: no vscode, no files written.
 *
 * One render: open `ws?clientId=ID`, `POST /prompt` with that id, follow the socket until
 * `executing {node: null}` for our prompt id, then read `/history/ID` and fetch each image with
 * `/view`. Cancel deletes the prompt from the queue and interrupts it if it runs.
 */
import { randomUUID } from 'node:crypto';
import { ImageFormatError, pngSize, replacePngText } from '../../image';
import { RenderCancelledError } from '../errors';
import { ComfyError, cleanServerText, describeNode, type ComfyErrorNode } from './errors';
import { buildGraph, type AppliedRegion, type ComfyGraph, type ComfyRenderParams } from './graph';
import { parseComfyServer, serverLabel } from './server';
import { nodeTransport, TransportError, type ComfySocket, type ComfyTransport, type HttpReply } from './transport';

/** Options of `ComfyClient`. */
export interface ComfyClientOptions {
  /** Base URL (default http://127.0.0.1:8188). */
  readonly server?: string;
  /** Allow a non-loopback server (from an explicit user setting). */
  readonly allowRemote?: boolean;
  /** Test hook: replaces fetch + ws. */
  readonly transport?: ComfyTransport;
  /** Limit for each HTTP call (default 30 s; renders themselves have no limit). */
  readonly requestTimeoutMs?: number;
  /** How long a cancel waits for the server to confirm the stop (default 30 s). */
  readonly cancelWaitMs?: number;
  /**
   * Pauses before re-reading an empty `/history/ID` (default 25, 50 ... 800 ms): ComfyUI writes
   * the entry just before `executing {node: null}`, and a read in that gap gets `{}`.
   */
  readonly historyRetryMs?: readonly number[];
  /** Test hook: the WebSocket client id. */
  readonly newClientId?: () => string;
}

/** Where a render is, for a status line. */
export type ComfyPhase = 'queued' | 'running' | 'sampling' | 'decoding' | 'fetching';

/** A latent preview the server sent (only with `--preview-method` set on the server). */
export interface ComfyPreview {
  readonly format: 'jpeg' | 'png';
  readonly bytes: Buffer;
}

/** Progress and cancellation of one render. */
export interface ComfyRenderControl {
  /**
   * Aborting deletes the queued prompt or interrupts it, and the render rejects with
   * RenderCancelledError once the server has let go of it. An abort after ComfyUI has finished
   * lets the render complete (as the ONNX pipeline does after its last step).
   */
  readonly signal?: AbortSignal;
  /** After each sampler step: `step` is 1..total. */
  readonly onStep?: (step: number, total: number) => void;
  readonly onPhase?: (phase: ComfyPhase) => void;
  readonly onPreview?: (preview: ComfyPreview) => void;
}

/** Where the time of one render went. */
export interface ComfyTimings {
  /** From the call to the result. */
  readonly totalMs: number;
  /** From `POST /prompt` to ComfyUI's `execution_start` (waiting behind other prompts). */
  readonly queuedMs: number;
  /** ComfyUI's own execution time: its `execution_start` to `execution_success` timestamps. */
  readonly executionMs: number;
  /** Everything else: socket, submit, history, image transfer, our PNG chunks. */
  readonly overheadMs: number;
}

/** A graph to run: the API-format nodes and which of them the client watches. */
export interface ComfyJob {
  readonly graph: ComfyGraph;
  /** The node whose output images are the result. */
  readonly outputNode: string;
  /** The node whose `progress` messages are reported as steps. */
  readonly samplerNode?: string;
  /** A loader whose `ckpt_name` errors are reported as a missing checkpoint. */
  readonly checkpointNode?: string;
}

/** What `run` returns: the server's PNGs untouched. */
export interface ComfyRunResult {
  readonly promptId: string;
  readonly images: Buffer[];
  /** True when ComfyUI ran nothing: every node came from its cache (an identical graph ran before). */
  readonly cached: boolean;
  readonly timings: ComfyTimings;
}

/** What `render` returns. */
export interface ComfyRenderResult {
  /** One PNG per image, ComfyUI's own text chunks replaced by ours (see `text`). */
  readonly png: Buffer[];
  readonly width: number;
  readonly height: number;
  /** The text chunks written into every PNG (plus `batch_index` when there are several). */
  readonly text: Readonly<Record<string, string>>;
  /** The guide's regions as sent: requested and applied (snapped) boxes, in pixels. */
  readonly regions: readonly AppliedRegion[];
  readonly promptId: string;
  readonly cached: boolean;
  readonly timings: ComfyTimings;
}

/** Samplers and schedulers the server offers (KSampler's lists). */
export interface ComfySamplerOptions {
  readonly samplers: string[];
  readonly schedulers: string[];
}

/** The server's version and devices from `/system_stats`. */
export interface ComfySystemInfo {
  readonly version: string;
  readonly devices: string[];
}

type Incoming = { kind: 'message'; data: string | Buffer } | { kind: 'close'; code: number } | { kind: 'abort' };

/** An unbounded FIFO with an awaitable, optionally time-limited `next`. */
class Inbox<T> {
  #items: T[] = [];
  #waiter: ((v: T | undefined) => void) | undefined;

  push(v: T): void {
    const w = this.#waiter;
    if (w) {
      this.#waiter = undefined;
      w(v);
    } else {
      this.#items.push(v);
    }
  }

  next(timeoutMs?: number): Promise<T | undefined> {
    if (this.#items.length) return Promise.resolve(this.#items.shift());
    return new Promise((resolve) => {
      const timer =
        timeoutMs === undefined
          ? undefined
          : setTimeout(() => ((this.#waiter = undefined), resolve(undefined)), timeoutMs);
      this.#waiter = (v) => {
        if (timer) clearTimeout(timer);
        resolve(v);
      };
    });
  }
}

interface HistoryImage {
  filename: string;
  subfolder?: string;
  type?: string;
}

const DEFAULT_HISTORY_RETRY = [25, 50, 100, 200, 400, 800];

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Reads a combo input's choices in either of ComfyUI's formats: `[[...], {...}]` or `['COMBO', {options}]`. */
function comboOptions(spec: unknown): string[] | undefined {
  if (!Array.isArray(spec)) return undefined;
  if (Array.isArray(spec[0])) return spec[0].filter((v): v is string => typeof v === 'string');
  if (spec[0] === 'COMBO' && isObject(spec[1]) && Array.isArray(spec[1].options))
    return spec[1].options.filter((v): v is string => typeof v === 'string');
  return undefined;
}

const PLAIN_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host not found',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  TIMEOUT: 'no answer in time',
  UND_ERR_SOCKET: 'connection closed',
};

/** A client for one ComfyUI server. Cheap to create; holds no connection between calls. */
export class ComfyClient {
  /** The server's base URL (path prefix kept, ends with `/`). */
  readonly base: URL;
  /** The server as written in messages and PNG chunks. */
  readonly server: string;
  readonly #transport: ComfyTransport;
  readonly #requestTimeoutMs: number;
  readonly #cancelWaitMs: number;
  readonly #historyRetryMs: readonly number[];
  readonly #newClientId: () => string;

  /** Throws a `ComfyError` of kind `url` for a malformed or (without `allowRemote`) non-loopback server. */
  constructor(options: ComfyClientOptions = {}) {
    this.base = parseComfyServer(options.server, { allowRemote: options.allowRemote });
    this.server = serverLabel(this.base);
    this.#transport = options.transport ?? nodeTransport();
    this.#requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.#cancelWaitMs = options.cancelWaitMs ?? 30_000;
    this.#historyRetryMs = options.historyRetryMs ?? DEFAULT_HISTORY_RETRY;
    this.#newClientId = options.newClientId ?? randomUUID;
  }

  /** The server's version and devices; the cheapest "is it there" call. */
  async systemInfo(signal?: AbortSignal): Promise<ComfySystemInfo> {
    const body = await this.#getJson('system_stats', signal);
    const system = isObject(body) && isObject(body.system) ? body.system : {};
    const devices = isObject(body) && Array.isArray(body.devices) ? body.devices : [];
    return {
      version: cleanServerText(system.comfyui_version ?? 'unknown', 40),
      devices: devices.map((d) => cleanServerText(isObject(d) ? d.name : d, 120)),
    };
  }

  /** Checkpoint names the server can load (CheckpointLoaderSimple's `ckpt_name` choices). */
  async listCheckpoints(signal?: AbortSignal): Promise<string[]> {
    const spec = await this.#nodeInputs('CheckpointLoaderSimple', signal);
    const names = comboOptions(spec.ckpt_name);
    if (!names)
      throw new ComfyError(
        'protocol',
        `${this.server}/object_info/CheckpointLoaderSimple has no ckpt_name list: is it a ComfyUI server?`,
      );
    return names;
  }

  /** Sampler and scheduler names the server accepts. */
  async samplerOptions(signal?: AbortSignal): Promise<ComfySamplerOptions> {
    const spec = await this.#nodeInputs('KSampler', signal);
    const samplers = comboOptions(spec.sampler_name);
    const schedulers = comboOptions(spec.scheduler);
    if (!samplers || !schedulers)
      throw new ComfyError(
        'protocol',
        `${this.server}/object_info/KSampler has no sampler_name/scheduler lists: is it a ComfyUI server?`,
      );
    return { samplers, schedulers };
  }

  /**
   * Renders one prompt. The PNGs carry prompt, negative_prompt, seed, steps, guidance, sampler,
   * scheduler, size, backend (`comfyui`), server, checkpoint, and with a guide the guide and the
   * applied regions, as text chunks; ComfyUI's own (its graph and workflow) are dropped. Rejects
   * with RenderParamsError (before anything is sent), ComfyError (one line) or
   * RenderCancelledError.
   */
  async render(params: ComfyRenderParams, control: ComfyRenderControl = {}): Promise<ComfyRenderResult> {
    const t0 = performance.now();
    const built = buildGraph(params);
    const run = await this.run(built, control);
    const text: Record<string, string> = {
      prompt: params.prompt,
      negative_prompt: params.negativePrompt ?? '',
      seed: String(params.seed),
      steps: String(params.steps),
      guidance: String(params.guidanceScale),
      sampler: String(built.graph.sampler!.inputs.sampler_name),
      scheduler: String(built.graph.sampler!.inputs.scheduler),
      size: `${params.width}x${params.height}`,
      backend: 'comfyui',
      server: this.server,
      checkpoint: params.checkpoint,
      // The guide as the ONNX pipeline records it, and where ComfyUI's areas actually went.
      ...(params.regions ? { guide: JSON.stringify(params.regions) } : {}),
      ...(built.regions.length
        ? {
            regions: JSON.stringify(
              built.regions.map((r) => ({ id: r.id, prompt: r.prompt, box: r.applied, strength: r.strength })),
            ),
          }
        : {}),
      Software: 'SPRIGHT Lens',
    };
    const png = run.images.map((bytes, i) =>
      replacePngText(bytes, run.images.length > 1 ? { ...text, batch_index: String(i) } : text),
    );
    const { width, height } = pngSize(png[0]!);
    const totalMs = performance.now() - t0;
    return {
      png,
      width,
      height,
      text,
      regions: built.regions,
      promptId: run.promptId,
      cached: run.cached,
      timings: { ...run.timings, totalMs, overheadMs: totalMs - run.timings.executionMs },
    };
  }

  /**
   * Runs any API-format graph and returns the output node's images as the server sent them: the
   * engine under `render`, and the way to run a workflow of the user's own.
   */
  async run(job: ComfyJob, control: ComfyRenderControl = {}): Promise<ComfyRunResult> {
    const t0 = performance.now();
    const signal = control.signal;
    if (signal?.aborted) throw new RenderCancelledError();
    const clientId = this.#newClientId();
    const inbox = new Inbox<Incoming>();
    const onAbort = (): void => inbox.push({ kind: 'abort' });
    signal?.addEventListener('abort', onAbort, { once: true });
    let socket: ComfySocket | undefined;
    let ctx: RunContext | undefined;
    try {
      socket = await this.#openSocket(clientId, inbox);
      if (signal?.aborted) throw new RenderCancelledError();
      // The submit is not aborted half-way: a prompt the server queued without telling us its id
      // could not be cancelled. An abort meanwhile is in the inbox and handled right after.
      const tPost = performance.now();
      const promptId = await this.#submit(job, clientId);
      const state = new RunState(promptId, job, control);
      state.phase('queued');
      ctx = { clientId, inbox, control, state, tPost, reconnected: false, socket };
      await this.#follow(ctx);
      state.phase('fetching');
      const images = await this.#results(ctx);
      const totalMs = performance.now() - t0;
      const executionMs = state.executionMs();
      return {
        promptId,
        images,
        cached: state.cachedAll(),
        timings: {
          totalMs,
          queuedMs: state.tStart === undefined ? 0 : state.tStart - tPost,
          executionMs,
          overheadMs: totalMs - executionMs,
        },
      };
    } finally {
      signal?.removeEventListener('abort', onAbort);
      // After a reconnect the context holds the live socket.
      (ctx?.socket ?? socket)?.close();
    }
  }

  async #openSocket(clientId: string, inbox: Inbox<Incoming>): Promise<ComfySocket> {
    const url = new URL(`ws?clientId=${encodeURIComponent(clientId)}`, this.base);
    url.protocol = this.base.protocol === 'https:' ? 'wss:' : 'ws:';
    try {
      return await this.#transport.socket(
        url,
        {
          message: (data) => inbox.push({ kind: 'message', data }),
          close: (code) => inbox.push({ kind: 'close', code }),
        },
        AbortSignal.timeout(this.#requestTimeoutMs),
      );
    } catch (err) {
      if (err instanceof TransportError && err.code === 'HTTP') {
        throw new ComfyError(
          'protocol',
          `${this.server} is not a ComfyUI server: ${cleanServerText(err.message)} at /ws`,
        );
      }
      throw this.#unreachable(err);
    }
  }

  #unreachable(err: unknown): ComfyError {
    if (err instanceof ComfyError) return err;
    const code = err instanceof TransportError ? err.code : 'ERROR';
    const why = PLAIN_CODES[code] ?? cleanServerText((err as Error).message, 120);
    return new ComfyError(
      'unreachable',
      `cannot reach ComfyUI at ${this.server} (${why}): start ComfyUI there (python main.py --listen 127.0.0.1 --port ${this.base.port || 80}) or correct the server URL`,
    );
  }

  async #request(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    signal?: AbortSignal,
    timeoutMs = this.#requestTimeoutMs,
  ): Promise<HttpReply> {
    const limit = AbortSignal.timeout(timeoutMs);
    try {
      return await this.#transport.http(
        method,
        new URL(path, this.base),
        body,
        signal ? AbortSignal.any([signal, limit]) : limit,
      );
    } catch (err) {
      if (signal?.aborted) throw new RenderCancelledError();
      throw this.#unreachable(err);
    }
  }

  /** The answer as JSON, or a `protocol` error naming the call and what came back instead. */
  #json(reply: HttpReply, path: string): unknown {
    const what = `${this.server}/${path.split('?')[0]}`;
    if (reply.status !== 200) {
      // An HTML error page (a proxy, another web server) is described, never quoted.
      const body = reply.contentType.includes('html')
        ? 'an HTML page'
        : `"${cleanServerText(reply.body.toString('utf8'), 160)}"`;
      throw new ComfyError('protocol', `${what} answered HTTP ${reply.status} with ${body}: is it a ComfyUI server?`);
    }
    try {
      return JSON.parse(reply.body.toString('utf8')) as unknown;
    } catch {
      throw new ComfyError(
        'protocol',
        `${what} answered with ${reply.contentType || 'something'} that is not JSON: is it a ComfyUI server?`,
      );
    }
  }

  async #getJson(path: string, signal?: AbortSignal): Promise<unknown> {
    return this.#json(await this.#request('GET', path, undefined, signal), path);
  }

  async #nodeInputs(classType: string, signal?: AbortSignal): Promise<Record<string, unknown>> {
    const body = await this.#getJson(`object_info/${classType}`, signal);
    const node = isObject(body) ? body[classType] : undefined;
    const input = isObject(node) && isObject(node.input) ? node.input : undefined;
    if (!input)
      throw new ComfyError(
        'protocol',
        `${this.server}/object_info/${classType} does not describe the node: is it a ComfyUI server with the ${classType} node?`,
      );
    return { ...(isObject(input.optional) ? input.optional : {}), ...(isObject(input.required) ? input.required : {}) };
  }

  async #submit(job: ComfyJob, clientId: string): Promise<string> {
    const reply = await this.#request('POST', 'prompt', { prompt: job.graph, client_id: clientId });
    if (reply.status === 400) throw await this.#rejected(reply, job);
    const body = this.#json(reply, 'prompt');
    const id = isObject(body) ? body.prompt_id : undefined;
    if (typeof id !== 'string' || !id)
      throw new ComfyError('protocol', `${this.server}/prompt answered without a prompt_id: is it a ComfyUI server?`);
    return id;
  }

  /** HTTP 400 from /prompt as one line naming the first failing node and input. */
  async #rejected(reply: HttpReply, job: ComfyJob): Promise<ComfyError> {
    let body: unknown;
    try {
      body = JSON.parse(reply.body.toString('utf8'));
    } catch {
      return new ComfyError(
        'rejected',
        `ComfyUI at ${this.server} rejected the graph (HTTP 400, ${cleanServerText(reply.body.toString('utf8'), 160)})`,
      );
    }
    const top = isObject(body) && isObject(body.error) ? body.error : {};
    const nodeErrors = isObject(body) && isObject(body.node_errors) ? Object.entries(body.node_errors) : [];
    const first = nodeErrors.find(([, v]) => isObject(v) && Array.isArray(v.errors) && v.errors.length > 0);
    if (!first) {
      const message = cleanServerText(top.message ?? top.type ?? 'no reason given');
      const details = top.details ? `${message.endsWith('.') ? '' : ':'} ${cleanServerText(top.details)}` : '';
      return new ComfyError('rejected', `ComfyUI at ${this.server} rejected the graph: ${message}${details}`);
    }
    const [nodeId, entry] = first as [string, Record<string, unknown>];
    const err = (entry.errors as unknown[])[0] as Record<string, unknown>;
    const extra = isObject(err.extra_info) ? err.extra_info : {};
    const node: ComfyErrorNode = {
      id: nodeId,
      ...(typeof entry.class_type === 'string' ? { classType: entry.class_type } : {}),
      ...(typeof extra.input_name === 'string' ? { input: extra.input_name } : {}),
    };
    if (nodeId === job.checkpointNode && node.input === 'ckpt_name') {
      const wanted = job.graph[nodeId]?.inputs.ckpt_name;
      let have = '';
      try {
        const names = await this.listCheckpoints();
        have = names.length
          ? ` (it has: ${cleanServerText(names.slice(0, 8).join(', '), 300)}${names.length > 8 ? `, and ${names.length - 8} more` : ''})`
          : ' (it has none)';
      } catch {
        // The list only enriches the message.
      }
      return new ComfyError(
        'checkpoint',
        `checkpoint ${JSON.stringify(cleanServerText(wanted, 120))} is not on the ComfyUI server at ${this.server}${have}: put the file in ComfyUI's models/checkpoints folder or pick one of its checkpoints`,
        node,
      );
    }
    const more =
      nodeErrors.reduce((n, [, v]) => n + (isObject(v) && Array.isArray(v.errors) ? v.errors.length : 0), 0) - 1;
    const message = cleanServerText(err.message ?? err.type ?? 'invalid', 120);
    const details = err.details ? `: ${cleanServerText(err.details, 200)}` : '';
    return new ComfyError(
      'rejected',
      `ComfyUI at ${this.server} rejected ${describeNode(node)}: ${message}${details}${more > 0 ? ` (and ${more} more)` : ''}`,
      node,
    );
  }

  /** Follows the socket until our prompt ends; throws for errors, interrupts and cancels. */
  async #follow(ctx: RunContext): Promise<void> {
    for (;;) {
      const ev = await ctx.inbox.next();
      if (!ev) continue;
      if (ev.kind === 'abort') return this.#cancel(ctx);
      if (ev.kind === 'close') {
        if (await this.#recover(ctx)) return;
        continue;
      }
      if (this.#handle(ctx, ev.data) === 'done') return;
    }
  }

  /** Applies one frame; returns 'done' at `executing {node: null}` for our prompt. */
  #handle(ctx: RunContext, data: string | Buffer): 'done' | undefined {
    const { state, control } = ctx;
    if (typeof data !== 'string') {
      const preview = state.started ? parsePreview(data, state.promptId) : undefined;
      if (preview) control.onPreview?.(preview);
      return undefined;
    }
    let msg: unknown;
    try {
      msg = JSON.parse(data);
    } catch {
      return undefined; // Not ComfyUI's; other extensions may talk on the same socket.
    }
    if (!isObject(msg) || typeof msg.type !== 'string' || !isObject(msg.data)) return undefined;
    const d = msg.data;
    if ('prompt_id' in d && d.prompt_id !== state.promptId) return undefined;
    switch (msg.type) {
      case 'execution_start':
        state.started = true;
        state.tStart = performance.now();
        if (typeof d.timestamp === 'number') state.startTs = d.timestamp;
        state.phase('running');
        return undefined;
      case 'execution_cached':
        if (Array.isArray(d.nodes)) for (const n of d.nodes) state.cachedNodes.add(String(n));
        return undefined;
      case 'executing':
        if (d.node === null || d.node === undefined) return 'prompt_id' in d ? 'done' : undefined;
        state.executedNodes.add(String(d.node));
        if (d.node === state.job.samplerNode) state.phase('sampling');
        else if (state.job.samplerNode && state.executedNodes.has(state.job.samplerNode)) state.phase('decoding');
        return undefined;
      case 'progress':
        if (d.node === state.job.samplerNode && typeof d.value === 'number' && typeof d.max === 'number') {
          state.step = { value: d.value, max: d.max };
          control.onStep?.(d.value, d.max);
        }
        return undefined;
      case 'executed':
        if (d.node === state.job.outputNode && isObject(d.output) && Array.isArray(d.output.images))
          state.wsImages = d.output.images as HistoryImage[];
        return undefined;
      case 'execution_success':
        if (typeof d.timestamp === 'number') state.endTs = d.timestamp;
        return undefined;
      case 'execution_error':
        throw this.#executionError(d);
      case 'execution_interrupted':
        if (state.cancelling) throw new RenderCancelledError();
        throw new ComfyError(
          'interrupted',
          `ComfyUI at ${this.server} interrupted the render in ${describeNode(nodeOf(d))}: someone stopped it on the server (its Cancel button or /interrupt)`,
          nodeOf(d),
        );
      default:
        return undefined;
    }
  }

  #executionError(d: Record<string, unknown>): ComfyError {
    const node = nodeOf(d);
    const type = typeof d.exception_type === 'string' ? `${cleanServerText(d.exception_type, 80)}: ` : '';
    return new ComfyError(
      'execution',
      `ComfyUI at ${this.server} failed in ${describeNode(node)}: ${type}${cleanServerText(d.exception_message)}`,
      node,
    );
  }

  /**
   * Our cancel: drop the prompt from the queue, interrupt it if it runs, and wait until the server
   * has let go of it (executing {node: null}), so that the next render does not queue behind it.
   */
  async #cancel(ctx: RunContext): Promise<never> {
    const { state } = ctx;
    state.cancelling = true;
    const id = state.promptId;
    try {
      await this.#request('POST', 'queue', { delete: [id] });
      await this.#request('POST', 'interrupt', { prompt_id: id });
      if (!state.started) {
        // Still queued (now deleted) or just started: only a running prompt sends an end message.
        const queue = await this.#getJson('queue');
        const running = isObject(queue) && Array.isArray(queue.queue_running) ? queue.queue_running : [];
        if (!running.some((item) => Array.isArray(item) && item[1] === id)) throw new RenderCancelledError();
      }
      const deadline = performance.now() + this.#cancelWaitMs;
      for (;;) {
        const ev = await ctx.inbox.next(Math.max(0, deadline - performance.now()));
        if (!ev || ev.kind === 'close') break;
        if (ev.kind === 'message') {
          try {
            if (this.#handle(ctx, ev.data) === 'done') break;
          } catch {
            // Interrupted (or failed) as asked. ComfyUI still lists the prompt as running until
            // it has filed its history; executing {node: null} follows that, so wait for it.
          }
        }
      }
    } catch (err) {
      // A server that is gone has nothing left to cancel.
      if (!(err instanceof ComfyError || err instanceof RenderCancelledError)) throw err;
    }
    throw new RenderCancelledError();
  }

  /**
   * The socket closed under us. A server that still answers gets one reconnect (and a history
   * check, in case the end was missed); a server that is gone ends the render.
   */
  async #recover(ctx: RunContext): Promise<boolean> {
    const { state } = ctx;
    const where = state.step
      ? ` after step ${state.step.value}/${state.step.max}`
      : state.started
        ? ' while it ran'
        : ' while it was queued';
    const lost = (): ComfyError =>
      new ComfyError(
        'server-lost',
        `ComfyUI at ${this.server} went away during the render${where} (prompt ${cleanServerText(state.promptId, 60)}): the connection closed and the server no longer answers; nothing was saved`,
      );
    if (ctx.reconnected) throw lost();
    try {
      await this.#request('GET', 'system_stats', undefined, undefined, 5_000);
    } catch {
      throw lost();
    }
    ctx.reconnected = true;
    try {
      ctx.socket = await this.#openSocket(ctx.clientId, ctx.inbox);
    } catch {
      throw lost();
    }
    const history = await this.#historyEntry(state.promptId, 0);
    return history !== undefined;
  }

  async #historyEntry(id: string, tries: number): Promise<Record<string, unknown> | undefined> {
    for (let i = 0; ; i++) {
      const body = await this.#getJson(`history/${encodeURIComponent(id)}`);
      const entry = isObject(body) ? body[id] : undefined;
      if (isObject(entry)) return entry;
      if (i >= tries) return undefined;
      await sleep(this.#historyRetryMs[Math.min(i, this.#historyRetryMs.length - 1)]!);
    }
  }

  /** Reads the finished prompt's history and fetches its images. */
  async #results(ctx: RunContext): Promise<Buffer[]> {
    const { state } = ctx;
    const entry = await this.#historyEntry(state.promptId, this.#historyRetryMs.length);
    let images = state.wsImages;
    if (entry) {
      const status = isObject(entry.status) ? entry.status : {};
      const messages = Array.isArray(status.messages) ? status.messages : [];
      for (const m of messages) {
        if (!Array.isArray(m) || !isObject(m[1])) continue;
        // After a reconnect the socket may have missed these; the history keeps them.
        if (m[0] === 'execution_start' && state.startTs === undefined && typeof m[1].timestamp === 'number')
          state.startTs = m[1].timestamp;
        if (m[0] === 'execution_success' && state.endTs === undefined && typeof m[1].timestamp === 'number')
          state.endTs = m[1].timestamp;
        if (m[0] === 'execution_cached' && Array.isArray(m[1].nodes))
          for (const n of m[1].nodes) state.cachedNodes.add(String(n));
        if (m[0] === 'execution_error') throw this.#executionError(m[1]);
        if (m[0] === 'execution_interrupted')
          this.#handle(ctx, JSON.stringify({ type: 'execution_interrupted', data: m[1] }));
      }
      const outputs = isObject(entry.outputs) ? entry.outputs : {};
      const out = outputs[state.job.outputNode];
      if (isObject(out) && Array.isArray(out.images)) images = out.images as HistoryImage[];
    }
    if (!images || images.length === 0) {
      throw new ComfyError(
        'protocol',
        `ComfyUI at ${this.server} finished prompt ${cleanServerText(state.promptId, 60)} without images from node '${state.job.outputNode}'${entry ? '' : ' (and /history has no entry for it)'}`,
      );
    }
    const pngs: Buffer[] = [];
    for (const img of images) {
      if (!isObject(img) || typeof img.filename !== 'string')
        throw new ComfyError('protocol', `ComfyUI at ${this.server} listed an output image without a file name`);
      const query = new URLSearchParams({
        filename: img.filename,
        subfolder: typeof img.subfolder === 'string' ? img.subfolder : '',
        type: typeof img.type === 'string' ? img.type : 'output',
      });
      const path = `view?${query.toString()}`;
      const reply = await this.#request('GET', path);
      if (reply.status !== 200) this.#json(reply, path);
      try {
        pngSize(reply.body);
      } catch (err) {
        const why = err instanceof ImageFormatError ? err.message : String(err);
        throw new ComfyError(
          'protocol',
          `ComfyUI at ${this.server} sent ${cleanServerText(img.filename, 80)} that is not a complete PNG (${why})`,
        );
      }
      pngs.push(reply.body);
    }
    return pngs;
  }
}

/** Per-run state fed by the socket. */
class RunState {
  started = false;
  cancelling = false;
  /** performance.now() at execution_start, and ComfyUI's own timestamps (ms since the epoch). */
  tStart: number | undefined;
  startTs: number | undefined;
  endTs: number | undefined;
  step: { value: number; max: number } | undefined;
  readonly cachedNodes = new Set<string>();
  readonly executedNodes = new Set<string>();
  wsImages: HistoryImage[] | undefined;
  #phase: ComfyPhase | undefined;

  constructor(
    readonly promptId: string,
    readonly job: ComfyJob,
    readonly control: ComfyRenderControl,
  ) {}

  /** Reports a phase once, when it changes. */
  phase(p: ComfyPhase): void {
    if (p === this.#phase) return;
    this.#phase = p;
    this.control.onPhase?.(p);
  }

  executionMs(): number {
    return this.startTs !== undefined && this.endTs !== undefined ? Math.max(0, this.endTs - this.startTs) : 0;
  }

  cachedAll(): boolean {
    return Object.keys(this.job.graph).every((id) => this.cachedNodes.has(id));
  }
}

interface RunContext {
  readonly clientId: string;
  readonly inbox: Inbox<Incoming>;
  readonly control: ComfyRenderControl;
  readonly state: RunState;
  readonly tPost: number;
  reconnected: boolean;
  socket: ComfySocket;
}

function nodeOf(d: Record<string, unknown>): ComfyErrorNode {
  return {
    id: String(d.node_id ?? d.node ?? '?'),
    ...(typeof d.node_type === 'string' ? { classType: d.node_type } : {}),
  };
}

/**
 * A binary frame as a preview image: event 1 (uint32 format 1 = JPEG, 2 = PNG, then the bytes)
 * or event 4 (uint32 length, JSON metadata with the prompt id, then the bytes). Anything else
 * (unencoded previews, text events) is not a preview.
 */
export function parsePreview(frame: Buffer, promptId?: string): ComfyPreview | undefined {
  if (frame.length < 8) return undefined;
  const event = frame.readUInt32BE(0);
  if (event === 1) {
    const format = frame.readUInt32BE(4);
    if (format !== 1 && format !== 2) return undefined;
    return { format: format === 1 ? 'jpeg' : 'png', bytes: frame.subarray(8) };
  }
  if (event === 4) {
    const len = frame.readUInt32BE(4);
    if (8 + len > frame.length) return undefined;
    let meta: unknown;
    try {
      meta = JSON.parse(frame.toString('utf8', 8, 8 + len));
    } catch {
      return undefined;
    }
    if (!isObject(meta) || (promptId !== undefined && meta.prompt_id !== undefined && meta.prompt_id !== promptId))
      return undefined;
    return { format: meta.image_type === 'image/png' ? 'png' : 'jpeg', bytes: frame.subarray(8 + len) };
  }
  return undefined;
}
