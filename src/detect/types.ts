/** The detector contract shared by the embedded NanoDet and the OWL-ViT option. */
import type { RgbaImage } from '../image/index';
import type { Detection } from '../protocol/geometry';

/** Per-call options of {@link Detector.detect}. */
export interface DetectOptions {
  /**
   * Only report these objects. Each is mapped with `mapToDetectorLabel`; names the vocabulary
   * cannot represent are ignored (check them with `mapToDetectorLabel` first to tell the user).
   * Required for open-vocabulary detectors, which have nothing to look for otherwise.
   */
  labels?: readonly string[];
  /** A detection is reported when its score is strictly above this (0..1); each detector has its own default. */
  threshold?: number;
}

/** An object detector; create with `createDetector`, release with `dispose()`. */
export interface Detector {
  /** Human-readable name, e.g. "NanoDet-m 416 (COCO)" or "OWL-ViT (owlvit-base-patch32)". */
  readonly name: string;
  /** The labels it can report, or null for an open vocabulary (any text query). */
  readonly vocabulary: readonly string[] | null;
  /** The score threshold used when `DetectOptions.threshold` is not given. */
  readonly defaultThreshold: number;
  /**
   * Detects objects; boxes are in pixels of `image` (top-left origin, y down), labels are
   * vocabulary labels (or the mapped query for open vocabularies), sorted by score, highest first.
   */
  detect(image: RgbaImage, options?: DetectOptions): Promise<Detection[]>;
  /** Frees model memory; the detector must not be used afterwards. */
  dispose(): void;
}
