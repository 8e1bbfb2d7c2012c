/**
 * "Save with overlays": detected boxes drawn on a decoded image, rectangles in each object's
 * colour, a colour tab per box sized by its score, thicker lines for boxes matched to a prompt
 * object.
 */
import type { RgbaImage } from './index';
import type { DetectionView } from '../protocol/messages';

/** The panel's palette (media/preview.css --c0..--c7, --cx), as RGB. */
export const PALETTE: ReadonlyArray<readonly [number, number, number]> = [
  [0xe6, 0x19, 0x4b],
  [0x3c, 0xb4, 0x4b],
  [0x43, 0x63, 0xd8],
  [0xf5, 0x82, 0x31],
  [0x91, 0x1e, 0xb4],
  [0x42, 0xd4, 0xf4],
  [0xf0, 0x32, 0xe6],
  [0x9a, 0x63, 0x24],
];
const OTHER: readonly [number, number, number] = [0xa9, 0xa9, 0xa9];

function fillRect(img: RgbaImage, x0: number, y0: number, x1: number, y1: number, rgb: readonly [number, number, number]): void {
  const xa = Math.max(0, Math.floor(x0));
  const ya = Math.max(0, Math.floor(y0));
  const xb = Math.min(img.width, Math.ceil(x1));
  const yb = Math.min(img.height, Math.ceil(y1));
  for (let y = ya; y < yb; y++) {
    for (let x = xa; x < xb; x++) {
      const i = (y * img.width + x) * 4;
      img.data[i] = rgb[0];
      img.data[i + 1] = rgb[1];
      img.data[i + 2] = rgb[2];
      img.data[i + 3] = 255;
    }
  }
}

/** Draws the outline of a box `t` pixels thick, inside the box edges (clipped to the image). */
export function strokeRect(img: RgbaImage, x: number, y: number, w: number, h: number, t: number, rgb: readonly [number, number, number]): void {
  fillRect(img, x, y, x + w, y + t, rgb);
  fillRect(img, x, y + h - t, x + w, y + h, rgb);
  fillRect(img, x, y, x + t, y + h, rgb);
  fillRect(img, x + w - t, y, x + w, y + h, rgb);
}

/**
 * Returns a copy of `image` with the detections drawn: one outline per box in its object's
 * colour (grey for detections no prompt object asked for), and, when `showLabels`, a tab above
 * the box whose length is proportional to the score.
 */
export function drawOverlays(image: RgbaImage, detections: readonly DetectionView[], objectIds: readonly string[], showLabels: boolean): RgbaImage {
  const out: RgbaImage = { width: image.width, height: image.height, data: new Uint8Array(image.data) };
  const t = Math.max(2, Math.round(Math.min(image.width, image.height) / 160));
  // Unmatched boxes first, so the prompt's objects stay on top.
  const ordered = [...detections].sort((a, b) => Number(a.objectId !== null) - Number(b.objectId !== null));
  for (const d of ordered) {
    const i = d.objectId === null ? -1 : objectIds.indexOf(d.objectId);
    const rgb = i < 0 ? OTHER : PALETTE[i % PALETTE.length]!;
    strokeRect(out, d.x, d.y, d.w, d.h, d.objectId === null ? Math.max(1, t >> 1) : t, rgb);
    if (showLabels) {
      const tabH = t * 3;
      const ty = d.y - tabH >= 0 ? d.y - tabH : d.y;
      fillRect(out, d.x, ty, d.x + Math.max(t * 2, d.w * Math.min(1, Math.max(0, d.score))), ty + tabH, rgb);
    }
  }
  return out;
}
