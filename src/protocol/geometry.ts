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
