/** Box arithmetic shared by the detectors: IoU, per-class non-maximum suppression, clipping. */
import { boxIou, type Box, type Detection } from '../protocol/geometry';

/** Intersection over union of two boxes (0 when either is empty). */
export const iou = boxIou;

/**
 * Greedy non-maximum suppression within each label: keeps the highest-scoring box and drops the
 * others of the same label that overlap it by more than `iouThreshold`. Returns survivors sorted by
 * score, highest first, at most `maxResults`.
 */
export function nmsPerClass(candidates: readonly Detection[], iouThreshold = 0.5, maxResults = 100): Detection[] {
  const sorted = [...candidates].sort((a, b) => b.score - a.score);
  const kept: Detection[] = [];
  const keptByLabel = new Map<string, Detection[]>();
  for (const d of sorted) {
    const same = keptByLabel.get(d.label) ?? [];
    if (same.some((k) => iou(k, d) > iouThreshold)) continue;
    same.push(d);
    keptByLabel.set(d.label, same);
    kept.push(d);
    if (kept.length >= maxResults) break;
  }
  return kept;
}

/** Clips corner coordinates to the image and returns an {x,y,w,h} box (possibly empty). */
export function clipCorners(x1: number, y1: number, x2: number, y2: number, width: number, height: number): Box {
  const cx1 = Math.min(Math.max(x1, 0), width);
  const cy1 = Math.min(Math.max(y1, 0), height);
  const cx2 = Math.min(Math.max(x2, 0), width);
  const cy2 = Math.min(Math.max(y2, 0), height);
  return { x: cx1, y: cy1, w: Math.max(0, cx2 - cx1), h: Math.max(0, cy2 - cy1) };
}
