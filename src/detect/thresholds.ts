/**
 * The detectors' default score thresholds, in a module of their own so that code which only
 * needs the numbers (the extension host, batch settings) does not load TF.js or onnxruntime.
 */

/** Default score threshold; NanoDet's scores are IoU-aware and run lower than a plain classifier's. */
export const NANODET_DEFAULT_THRESHOLD = 0.3;

/** VISOR's score threshold for OWL-ViT. */
export const OWLVIT_DEFAULT_THRESHOLD = 0.1;

/** The default threshold of a detector given in its CLI / settings form (`embedded`, `owlvit:DIR`). */
export function defaultThresholdFor(spec: string): number {
  return spec.startsWith('owlvit') ? OWLVIT_DEFAULT_THRESHOLD : NANODET_DEFAULT_THRESHOLD;
}
