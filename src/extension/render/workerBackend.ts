// InferenceBackend over the forked inference worker (dist/worker.js): created lazily on the first
// request, restarted by WorkerClient after a crash, and dropped (sessions released) when a model
// setting changes or the extension deactivates.
import * as vscode from 'vscode';
import { WorkerClient, type RenderResponse } from '../../worker/index';
import type { DetectOutcome, DetectRequest, InferenceBackend, RenderOutcome, RenderRequest } from './inference';
import type { RenderPhase } from '../../protocol/messages';

export class WorkerBackend implements InferenceBackend, vscode.Disposable {
  readonly #entry: string;
  readonly #log: vscode.LogOutputChannel;
  /** models/ of this extension (NanoDet ships there; `npm run fetch-models` puts it in a checkout). */
  readonly #modelsDir: string;
  #client: WorkerClient | undefined;

  constructor(extensionUri: vscode.Uri, log: vscode.LogOutputChannel) {
    this.#entry = vscode.Uri.joinPath(extensionUri, 'dist', 'worker.js').fsPath;
    this.#log = log;
    this.#modelsDir = vscode.Uri.joinPath(extensionUri, 'models').fsPath;
  }

  #get(): WorkerClient {
    this.#client ??= new WorkerClient({ entry: this.#entry, onLog: (level, message) => (level === 'warn' ? this.#log.warn(message) : this.#log.info(message)) });
    return this.#client;
  }

  async render(request: RenderRequest, signal: AbortSignal, onProgress: (phase: RenderPhase, step: number, total: number) => void): Promise<RenderOutcome> {
    const started = Date.now();
    onProgress('loading', 0, request.steps);
    const res = await this.#get().request<RenderResponse>(
      'render',
      { modelDir: request.modelPath, provider: request.provider, deviceId: request.deviceId, memory: request.memory, threads: request.threads > 0 ? request.threads : undefined, prompt: request.prompt, negativePrompt: request.negativePrompt, steps: request.steps, guidanceScale: request.guidance, seed: request.seed, width: request.width, height: request.height, scheduler: request.scheduler },
      { signal, onProgress: (step, total) => onProgress(step >= total ? 'decoding' : 'denoising', step, total) },
    );
    const b64 = res.pngBase64?.[0];
    if (b64 === undefined) throw new Error('the worker returned no image');
    return { png: Buffer.from(b64, 'base64'), provider: res.provider, ms: Date.now() - started, timings: res.timings };
  }

  async detect(request: DetectRequest, signal: AbortSignal): Promise<DetectOutcome> {
    // The worker's `detect` takes a detector spec ({kind, modelDir}), not the settings' flat form.
    if (request.detector === 'owlvit' && request.owlvitPath.trim() === '') {
      throw new Error('sprightLens.detect.detector is "owlvit" but sprightLens.detect.owlvitPath is empty: set it to the folder optimum-cli exported, or use the embedded detector.');
    }
    const detector = request.detector === 'owlvit' ? { kind: 'owlvit' as const, modelDir: request.owlvitPath } : { kind: 'embedded' as const };
    const res = await this.#get().request<DetectOutcome>('detect', { imagePath: request.imagePath, labels: request.labels, detector, modelsDir: this.#modelsDir }, { signal });
    return { detector: res.detector, vocabulary: res.vocabulary, detections: res.detections };
  }

  releaseSessions(): void {
    // The worker caches pipelines per model; a fresh process is the surest release.
    this.#client?.dispose();
    this.#client = undefined;
  }

  dispose(): void {
    this.releaseSessions();
  }
}
