/**
 * Methods `render` and `model/check`: params checked here, images made by the requested backend,
 * PNGs written by the service itself (atomically) under the output names of src/io/outputNames.ts,
 * and the paths and metadata sent back. Renders run one at a time: they share one set of sessions
 * and would only slow each other down.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { readPngText } from '../image';
import { writeFileAtomic, writeFileExclusive } from '../io/atomic';
import { identityDifferences, identityDigest, renderBaseName } from '../io/outputNames';
import {
  PROVIDER_REQUESTS,
  RENDER_BACKENDS,
  SCHEDULER_NAMES,
  type ModelCheckParams,
  type ModelCheckResult,
  type ProviderRequest,
  type RenderBackendName,
  type RenderedFile,
  type RenderOutput,
  type RenderParams,
  type RenderProgress,
  type RenderResult,
  type SchedulerName,
} from '../protocol/service';
import type { RenderBackend } from './backend';
import type { MethodHandler } from './host';

/** Backends by name, each created on first use. */
const BACKENDS: Readonly<Record<RenderBackendName, () => RenderBackend>> = {
  onnx: () => (require('./onnxBackend') as typeof import('./onnxBackend')).createOnnxBackend(),
  comfyui: () => (require('./comfyBackend') as typeof import('./comfyBackend')).createComfyBackend(),
};

/** The render backends of one service, shared by `render` and `model/check`. */
export class Backends {
  readonly #loaded = new Map<RenderBackendName, RenderBackend>();

  get(name: RenderBackendName = 'onnx'): RenderBackend {
    let b = this.#loaded.get(name);
    if (!b) {
      b = BACKENDS[name]();
      this.#loaded.set(name, b);
    }
    return b;
  }

  async release(): Promise<void> {
    const all = [...this.#loaded.values()];
    this.#loaded.clear();
    await Promise.all(all.map((b) => b.release()));
  }
}

type Obj = Record<string, unknown>;

function object(params: unknown, method: string): Obj {
  if (typeof params !== 'object' || params === null || Array.isArray(params)) throw new TypeError(`${method} params must be an object`);
  return params as Obj;
}

function backendName(p: Obj, method: string): void {
  if (p.backend !== undefined && !RENDER_BACKENDS.includes(p.backend as RenderBackendName)) {
    throw new TypeError(`${method} param 'backend' must be one of ${RENDER_BACKENDS.join(', ')}, got ${JSON.stringify(p.backend)}`);
  }
  if (p.backend === 'comfyui') {
    const t = p.comfyui as Obj | null | undefined;
    if (typeof t !== 'object' || t === null || typeof t.server !== 'string' || (t.allowRemote !== undefined && typeof t.allowRemote !== 'boolean')) {
      throw new TypeError(`${method} param 'comfyui' must be {server: URL, allowRemote?: boolean} with backend 'comfyui', got ${JSON.stringify(p.comfyui)}`);
    }
  }
}

function checkOutput(out: unknown, images: number): RenderOutput {
  const o = out as Obj | null;
  const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((f) => typeof f === 'string' && f.length > 0);
  if (o && typeof o === 'object' && typeof o.dir === 'string' && typeof o.stem === 'string' && o.stem.length > 0 && !/[/\\]/.test(o.stem)) return o as unknown as RenderOutput;
  if (o && typeof o === 'object' && isStrings(o.files)) {
    if (o.files.length !== images) throw new TypeError(`render param 'output.files' must name one file per image (${images}), got ${o.files.length}`);
    return o as unknown as RenderOutput;
  }
  throw new TypeError(`render param 'output' must be {dir, stem} (a folder and a file-name stem without slashes) or {files: [path per image]}, got ${JSON.stringify(out)}`);
}

/** Checks the shape of `render` params; the values (sizes, steps) are checked by the backend. */
export function checkRenderParams(params: unknown): RenderParams {
  const p = object(params, 'render');
  const need = (k: string, type: string, optional = false): void => {
    if (optional && p[k] === undefined) return;
    if (typeof p[k] !== type) throw new TypeError(`render param '${k}' must be a ${type}, got ${JSON.stringify(p[k])}`);
  };
  need('modelDir', 'string');
  need('prompt', 'string');
  need('negativePrompt', 'string', true);
  for (const k of ['steps', 'guidanceScale', 'seed']) need(k, 'number');
  for (const k of ['width', 'height', 'batch', 'deviceId']) need(k, 'number', true);
  backendName(p, 'render');
  if (p.provider !== undefined && !PROVIDER_REQUESTS.includes(p.provider as ProviderRequest)) {
    throw new TypeError(`render param 'provider' must be one of ${PROVIDER_REQUESTS.join(', ')}`);
  }
  if (p.scheduler !== undefined && !SCHEDULER_NAMES.includes(p.scheduler as SchedulerName)) {
    throw new TypeError(`render param 'scheduler' must be one of ${SCHEDULER_NAMES.join(', ')}`);
  }
  if (p.regions !== undefined && (typeof p.regions !== 'object' || p.regions === null || !Array.isArray((p.regions as Obj).regions))) {
    throw new TypeError(`render param 'regions' must be a region guide {background, regions: [...]}, got ${JSON.stringify(p.regions)}`);
  }
  checkOutput(p.output, typeof p.batch === 'number' ? p.batch : 1);
  return p as unknown as RenderParams;
}

/** The text chunks of the PNG at `file`; null when there is no file, {} when it is not a PNG. */
async function textOf(file: string): Promise<Record<string, string> | null> {
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    return readPngText(bytes);
  } catch {
    return {};
  }
}

/**
 * Writes one image under its plain name in `dir`, replacing it only when it holds the same
 * render; a different render there is kept and this one gets the digest name.
 */
async function placeNamed(dir: string, base: string, index: number, png: Buffer): Promise<RenderedFile> {
  const plain = path.join(dir, `${base}.png`);
  const mine = readPngText(png);
  for (;;) {
    const existing = await textOf(plain);
    if (existing === null) {
      try {
        await writeFileExclusive(plain, png);
        return { path: plain, index, replaced: false };
      } catch (err) {
        // Another writer took the name between the check and the write: look again.
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
        throw err;
      }
    }
    const differs = identityDifferences(mine, existing);
    if (differs.length === 0) {
      await writeFileAtomic(plain, png);
      return { path: plain, index, replaced: true };
    }
    // The digest name belongs to these settings: a file there is this same render.
    const alt = path.join(dir, `${base}-${identityDigest(mine)}.png`);
    const replaced = (await textOf(alt)) !== null;
    await writeFileAtomic(alt, png);
    return { path: alt, index, replaced, kept: { path: plain, differs } };
  }
}

async function writeOutputs(png: readonly Buffer[], output: RenderOutput, seed: number): Promise<RenderedFile[]> {
  const files: RenderedFile[] = [];
  if ('files' in output) {
    for (const [index, file] of output.files.entries()) {
      await fs.mkdir(path.dirname(file), { recursive: true });
      const replaced = await fs.stat(file).then(() => true, () => false);
      await writeFileAtomic(file, png[index]!);
      files.push({ path: path.resolve(file), index, replaced });
    }
    return files;
  }
  const dir = path.resolve(output.dir);
  await fs.mkdir(dir, { recursive: true });
  for (const [index, bytes] of png.entries()) files.push(await placeNamed(dir, renderBaseName(output.stem, seed, index, png.length), index, bytes));
  return files;
}

export function createRenderHandler(backends: Backends): MethodHandler<RenderParams, RenderProgress, RenderResult> {
  let queue: Promise<unknown> = Promise.resolve();
  const render = async (params: RenderParams, ctx: Parameters<MethodHandler<RenderParams, RenderProgress, RenderResult>['run']>[1]): Promise<RenderResult> => {
    const images = await backends.get(params.backend).render(params, {
      signal: ctx.signal,
      phase: (phase, step, total, provider) => ctx.progress(provider === undefined ? { phase, step, total } : { phase, step, total, provider }),
      log: (level, message) => ctx.log(level, message),
    });
    ctx.progress({ phase: 'saving', step: params.steps, total: params.steps });
    const files = await writeOutputs(images.png, params.output, params.seed);
    return { files, width: images.width, height: images.height, provider: images.provider, scheduler: images.scheduler, timings: images.timings };
  };
  return {
    validate: checkRenderParams,
    run(params, ctx) {
      const run = queue.then(() => render(params, ctx));
      queue = run.catch(() => undefined);
      return run;
    },
    release: () => backends.release(),
  };
}

export function createModelCheckHandler(backends: Backends): MethodHandler<ModelCheckParams, never, ModelCheckResult> {
  return {
    validate(params) {
      const p = object(params, 'model/check');
      if (typeof p.modelDir !== 'string') throw new TypeError(`model/check param 'modelDir' must be a string, got ${JSON.stringify(p.modelDir)}`);
      backendName(p, 'model/check');
      return p as unknown as ModelCheckParams;
    },
    run: (params) => backends.get(params.backend).check(params),
  };
}
