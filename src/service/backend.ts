/**
 * The seam between the `render` / `model/check` methods and what actually renders. A backend
 * renders PNGs (with the render settings in their text chunks) and reports progress; the service
 * around it validates params, names and writes the files, and answers the client. The local ONNX
 * pipeline is one backend; another (a remote workflow server, a queue of GPU workers) implements
 * the same interface and is listed in `RENDER_BACKENDS` (src/protocol/service.ts).
 */
import type { ModelCheckParams, ModelCheckResult, RenderParams, RenderPhase, RenderProgress, RenderResult } from '../protocol/service';

/** What a backend gets while it renders. */
export interface BackendControl {
  /** Aborted on cancel: stop within one step (reject with an error named RenderCancelledError or AbortError). */
  readonly signal: AbortSignal;
  /**
   * Reports the phase and step (`step` of `total` denoising steps); `extra` carries the provider
   * and what the load took once the pipeline is ready, or the session a stage is loading.
   */
  phase(phase: RenderPhase, step: number, total: number, extra?: Pick<RenderProgress, 'provider' | 'loaded' | 'graph' | 'loopMs'>): void;
  /** A note for the user (a provider fallback, a model load). */
  log(level: 'info' | 'warn', message: string): void;
}

/** What a backend returns: one PNG per image, each carrying its settings in text chunks. */
export interface BackendImages extends Omit<RenderResult, 'files'> {
  readonly png: readonly Buffer[];
}

export interface RenderBackend {
  /** Whether `params.modelDir` can render, and its defaults; never loads weights. */
  check(params: ModelCheckParams): Promise<ModelCheckResult>;
  /** Renders `params` (its `output` is the service's business, not the backend's). */
  render(params: RenderParams, control: BackendControl): Promise<BackendImages>;
  /** Frees loaded models. */
  release(): Promise<void>;
}
