/**
 * Method `detect`: object boxes for one image, read from a path (the usual case: renders are
 * already on disk) or given as base64 PNG bytes. The detector stays loaded between requests and
 * is replaced when the detector spec changes; requests run one at a time so two never share the
 * model concurrently.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { createDetector, type Detector } from '../detect';
import { decodePng } from '../image';
import type { DetectorSpec, DetectParams, DetectResult } from '../protocol/service';
import type { HandlerContext, MethodHandler } from './host';
import { KeyedResource } from './keyedResource';

/** Checks the shape of `detect` params. */
export function checkDetectParams(params: unknown): DetectParams {
  if (typeof params !== 'object' || params === null) throw new TypeError('detect params must be an object');
  const p = params as Record<string, unknown>;
  const hasPath = typeof p.imagePath === 'string';
  const hasBytes = typeof p.pngBase64 === 'string';
  if (hasPath === hasBytes) throw new TypeError("detect params need exactly one of 'imagePath' (string) or 'pngBase64' (string)");
  if (p.labels !== undefined && !(Array.isArray(p.labels) && p.labels.every((l) => typeof l === 'string'))) {
    throw new TypeError("detect param 'labels' must be an array of strings");
  }
  if (p.threshold !== undefined && (typeof p.threshold !== 'number' || !(p.threshold >= 0 && p.threshold <= 1))) {
    throw new TypeError(`detect param 'threshold' must be a number from 0 to 1, got ${JSON.stringify(p.threshold)}`);
  }
  if (p.modelsDir !== undefined && typeof p.modelsDir !== 'string') throw new TypeError("detect param 'modelsDir' must be a string");
  const d = p.detector as Record<string, unknown> | undefined;
  const ok = d && typeof d === 'object' && (d.kind === 'embedded' || (d.kind === 'owlvit' && typeof d.modelDir === 'string'));
  if (!ok) throw new TypeError(`detect param 'detector' must be {kind: 'embedded'} or {kind: 'owlvit', modelDir: string}, got ${JSON.stringify(p.detector)}`);
  return p as unknown as DetectParams;
}

export function createDetectHandler(): MethodHandler<DetectParams, never, DetectResult> {
  const detectors = new KeyedResource<Detector>((d) => d.dispose());
  let queue: Promise<unknown> = Promise.resolve();

  const detectorFor = (spec: DetectorSpec, modelsDir: string | undefined): Promise<Detector> => {
    const key = spec.kind === 'owlvit' ? `owlvit\0${path.resolve(spec.modelDir)}` : `embedded\0${modelsDir ?? ''}`;
    return detectors.get(key, () => createDetector(spec, modelsDir !== undefined ? { modelsDir } : {}));
  };

  const detect = async (req: DetectParams, ctx: HandlerContext<never>): Promise<DetectResult> => {
    const bytes = req.imagePath !== undefined ? await fs.readFile(req.imagePath) : Buffer.from(req.pngBase64!, 'base64');
    const image = decodePng(bytes);
    if (ctx.signal.aborted) throw Object.assign(new Error('detect cancelled'), { name: 'AbortError' });
    const detector = await detectorFor(req.detector, req.modelsDir);
    const detections = await detector.detect(image, { labels: req.labels, threshold: req.threshold });
    return { detector: detector.name, vocabulary: detector.vocabulary, width: image.width, height: image.height, detections };
  };

  return {
    validate: checkDetectParams,
    run(params, ctx) {
      const run = queue.then(() => detect(params, ctx));
      queue = run.catch(() => undefined);
      return run;
    },
    release: () => detectors.clear(),
  };
}
