/**
 * Object detection for checking pictures against prompts: the embedded NanoDet (COCO, TF.js WASM,
 * no download at run time once `npm run fetch-models` has run) and an OWL-ViT ONNX option (open
 * vocabulary, VISOR's protocol). Pure Node; run it in the inference worker, never the extension host.
 */
import { defaultModelsDir, findPackageRoot } from './modelPaths';
import type { Detector } from './types';
import type { OwlVitProvider } from './owlvit';

export type { DetectOptions, Detector } from './types';
export { COCO_LABELS, mapToDetectorLabel } from '../evaluate/vocabulary';
export { iou, nmsPerClass } from './boxes';
export { ModelLoadError } from './tfjsRuntime';
export { NANODET_DEFAULT_THRESHOLD, defaultThresholdFor } from '../protocol/service';
export { OWLVIT_DEFAULT_THRESHOLD, owlvitQuery, type OwlVitProvider } from './owlvit';
export { defaultModelsDir, findPackageRoot } from './modelPaths';

/** Which detector to create (the service protocol is its home). */
export type DetectorSpec = import('../protocol/service').DetectorSpec;

/** Host-side options of {@link createDetector}. */
export interface CreateDetectorOptions {
  /** Folder holding `nanodet/` (default: `models/` beside the spright-lens package.json). */
  readonly modelsDir?: string;
  /** onnxruntime provider for OWL-ViT (default cpu). */
  readonly provider?: OwlVitProvider;
  /** Folder with tfjs-backend-wasm's .wasm files (default: dist/wasm, else node_modules). */
  readonly wasmDir?: string;
  /** Threads for the WASM backend (default: the backend's choice). */
  readonly threads?: number;
}

/**
 * Creates a detector. Throws `ModelLoadError` with the fix (run `npm run fetch-models`, export
 * OWL-ViT with optimum...) when model files are missing or malformed.
 */
export async function createDetector(spec: DetectorSpec, opts: CreateDetectorOptions = {}): Promise<Detector> {
  switch (spec.kind) {
    case 'embedded': {
      // Loaded lazily: TF.js costs ~100 ms to require and OWL-ViT users never need it.
      const { loadNanoDet } = require('./nanodet') as typeof import('./nanodet');
      return loadNanoDet({
        modelsDir: opts.modelsDir ?? defaultModelsDir(),
        packageRoot: findPackageRoot(),
        wasmDir: opts.wasmDir,
        threads: opts.threads,
      });
    }
    case 'owlvit': {
      const { loadOwlVit } = require('./owlvit') as typeof import('./owlvit');
      return loadOwlVit(spec.modelDir, opts.provider);
    }
    default: {
      const never: never = spec;
      throw new TypeError(`unknown detector kind ${JSON.stringify((never as { kind?: unknown }).kind)}`);
    }
  }
}
