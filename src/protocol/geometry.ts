/** Plain geometry shared by the layout planner, detection, evaluation and the webview. */

/** An axis-aligned box in pixels: top-left corner (x, y), size (w, h); y grows downward. */
export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** One detected object: a box with the detector's label and confidence (0..1). */
export interface Detection extends Box {
  label: string;
  score: number;
}

/** Intersection over union of two boxes; 0 when the union is empty (two degenerate boxes). */
export function boxIou(a: Box, b: Box): number {
  const ix = Math.max(0, Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x));
  const iy = Math.max(0, Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y));
  const inter = ix * iy;
  const union = a.w * a.h + b.w * b.h - inter;
  return union > 0 ? inter / union : 0;
}
