/**
 * The `comfyui` render backend: renders through the ComfyUI server the user already runs
 * (src/render/comfyui), so the panel, `render` and `batch` use their checkpoints with no export.
 * It loads no model and holds no connection between requests; the service around it names and
 * writes the PNGs exactly as for `onnx`, so ComfyUI's output numbering and cache never reach our
 * file names or resume keys.
 */
import { COMFY_SAMPLER_FOR, ComfyClient, ComfyError } from '../render/comfyui';
import type { Box } from '../protocol/geometry';
import type { ComfyTarget, ModelCheckParams, ModelCheckResult, RenderParams, SchedulerName } from '../protocol/service';
import type { BackendControl, BackendImages, RenderBackend } from './backend';

/**
 * The size of a render that names none. ComfyUI does not say what a checkpoint was trained at;
 * 512 is SD 1.x's and SD 2.x base's size, and renders at any multiple of 8.
 */
export const COMFY_DEFAULT_SIZE = { width: 512, height: 512 } as const;
/** Our scheduler when the request names none (ComfyUI's own default pair, euler + normal). */
const DEFAULT_SCHEDULER: SchedulerName = 'euler';
/** How many checkpoint names a message lists before "and N more". */
const LISTED = 8;

function targetOf(params: { readonly comfyui?: ComfyTarget }): ComfyTarget {
  // The service's params check guarantees it for backend 'comfyui'; a direct caller gets a clear error.
  if (!params.comfyui) throw new ComfyError('url', "the comfyui backend needs a server: give comfyui: {server: 'http://127.0.0.1:8188'}");
  return params.comfyui;
}

function clientFor(target: ComfyTarget): ComfyClient {
  return new ComfyClient({ server: target.server, allowRemote: target.allowRemote === true });
}

function listed(names: readonly string[]): string {
  const shown = names.slice(0, LISTED).map((n) => JSON.stringify(n)).join(', ');
  return names.length > LISTED ? `${shown} and ${names.length - LISTED} more` : shown;
}

/**
 * The checkpoint to render with: `wanted` when the server has it, the server's only checkpoint
 * when `wanted` is empty; otherwise one line saying what the server has.
 */
export function resolveCheckpoint(server: string, wanted: string, available: readonly string[]): { ok: true; name: string } | { ok: false; problem: string } {
  const name = wanted.trim();
  if (available.length === 0) {
    return { ok: false, problem: `ComfyUI at ${server} lists no checkpoints: put one in its models/checkpoints folder and restart it (or press Refresh in its UI)` };
  }
  if (name === '') {
    if (available.length === 1) return { ok: true, name: available[0]! };
    return { ok: false, problem: `ComfyUI at ${server} has ${available.length} checkpoints; choose one (--checkpoint NAME or sprightLens.render.comfyui.checkpoint): ${listed(available)}` };
  }
  if (available.includes(name)) return { ok: true, name };
  return { ok: false, problem: `ComfyUI at ${server} has no checkpoint ${JSON.stringify(name)}; it has ${listed(available)}` };
}

export function createComfyBackend(): RenderBackend {
  return {
    async check(params: ModelCheckParams): Promise<ModelCheckResult> {
      let client: ComfyClient;
      let available: string[];
      try {
        client = clientFor(targetOf(params));
        available = await client.listCheckpoints();
      } catch (err) {
        if (err instanceof ComfyError) return { ok: false, problem: err.message };
        throw err;
      }
      const picked = resolveCheckpoint(client.server, params.modelDir, available);
      if (!picked.ok) return { ...picked, checkpoints: available };
      return {
        ok: true,
        dir: picked.name,
        defaultSize: { ...COMFY_DEFAULT_SIZE },
        scheduler: null,
        // A resume key names the server and the checkpoint: another server's file of that name
        // may hold other weights.
        identity: `comfyui ${client.server} ${picked.name}`,
        checkpoints: available,
      };
    },

    async render(params: RenderParams, control: BackendControl): Promise<BackendImages> {
      const client = clientFor(targetOf(params));
      const provider = `ComfyUI at ${client.server}`;
      const scheduler = params.scheduler ?? DEFAULT_SCHEDULER;
      const { sampler, scheduler: comfyScheduler } = COMFY_SAMPLER_FOR[scheduler];
      const width = params.width ?? COMFY_DEFAULT_SIZE.width;
      const height = params.height ?? COMFY_DEFAULT_SIZE.height;
      control.phase('loading', 0, params.steps);
      let queued = false;
      const result = await client.render(
        {
          prompt: params.prompt,
          negativePrompt: params.negativePrompt,
          steps: params.steps,
          guidanceScale: params.guidanceScale,
          seed: params.seed,
          width,
          height,
          batch: params.batch,
          regions: params.regions,
          checkpoint: params.modelDir,
          sampler,
          scheduler: comfyScheduler,
        },
        {
          signal: control.signal,
          // The server took the graph: from here on the progress names where it renders.
          onPhase: (phase) => {
            if (phase === 'queued' && !queued) {
              queued = true;
              control.phase('encoding', 0, params.steps, provider);
            }
          },
          onStep: (step, total) => control.phase(step >= total ? 'decoding' : 'denoising', step, total),
        },
      );
      for (const r of result.regions) {
        if (!r.adjusted) continue;
        const box = (b: Box): string => `${Math.round(b.x)},${Math.round(b.y)} ${Math.round(b.w)}x${Math.round(b.h)}`;
        control.log('info', `region "${r.prompt}": box ${box(r.requested)} sent as ${box(r.applied)} (ComfyUI's areas snap to 8 px, at least 64 px a side)`);
      }
      if (result.cached) control.log('info', `${provider} answered from its cache: the same graph ran there before`);
      const exec = result.timings.executionMs;
      return {
        png: result.png,
        width: result.width,
        height: result.height,
        provider,
        scheduler,
        timings: {
          textEncoderMs: 0,
          unetMs: exec,
          vaeMs: 0,
          totalMs: result.timings.totalMs,
          stepsPerSecond: exec > 0 ? params.steps / (exec / 1000) : 0,
          overheadMs: result.timings.overheadMs,
        },
      };
    },

    release: async () => undefined,
  };
}
