// What the panel's render and check-image features need from the inference worker. Rendering and
// detection run in a child process (src/worker over dist/worker.js), never in the extension host;
// this interface is the seam, so the features are written and tested against it and the worker
// client is plugged in by activate().
import type { Detection } from '../../protocol/geometry';
import type { RenderPhase } from '../../protocol/messages';
import type { RenderTimings } from '../../render/pipeline';

/** One render request, as plain data. */
export interface RenderRequest {
  modelPath: string;
  provider: 'auto' | 'cuda' | 'webgpu' | 'cpu';
  deviceId: number;
  memory: 'speed' | 'balanced' | 'low';
  /** 0: the physical cores. */
  threads: number;
  prompt: string;
  negativePrompt: string;
  steps: number;
  guidance: number;
  scheduler: string;
  width: number;
  height: number;
  /** Resolved seed (never -1 here). */
  seed: number;
}

/** A finished render. */
export interface RenderOutcome {
  /** PNG bytes with the prompt, seed, steps, scheduler and model in text chunks. */
  png: Uint8Array;
  /** Execution provider that ran it, e.g. "cpu" (shown under the image). */
  provider: string;
  /** Total time in milliseconds, as the panel waited for it. */
  ms: number;
  /** The worker's breakdown (load, text, denoise, VAE, PNG, peak RSS). */
  timings: RenderTimings;
}

/** One detection request on an image file. */
export interface DetectRequest {
  imagePath: string;
  /** Prompt nouns to look for (open-vocabulary detectors need them). */
  labels: string[];
  detector: 'embedded' | 'owlvit';
  owlvitPath: string;
}

/** Detections with the detector's identity. */
export interface DetectOutcome {
  detector: string;
  /** Closed vocabulary (COCO for the embedded detector) or null for open vocabulary. */
  vocabulary: readonly string[] | null;
  detections: Detection[];
}

/** The worker, as the features use it. Every call is cancellable through `signal`. */
export interface InferenceBackend {
  render(request: RenderRequest, signal: AbortSignal, onProgress: (phase: RenderPhase, step: number, total: number) => void): Promise<RenderOutcome>;
  detect(request: DetectRequest, signal: AbortSignal): Promise<DetectOutcome>;
  /** Drops cached model sessions (the model setting changed). */
  releaseSessions(): void;
}
