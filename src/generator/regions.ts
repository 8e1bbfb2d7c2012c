/**
 * From a planned (or hand-edited) layout to the region guide the renderer samples with: one
 * region per object box, prompted with that one instance ("a small red apple" for each box of
 * "two small red apples"), and a background prompt for everything else. Pure: plain data in,
 * plain data out.
 */
import type { ParsedPrompt, PromptObject, SceneElement } from '../parser/index';
import type { GuideRegion, RegionGuide, UnitBox } from '../protocol/regions';
import { article } from './english';
import type { Layout, LayoutBox } from './types';

/** Options of `regionGuideFromLayout`: the sampler's knobs, passed through (see `RegionGuide`). */
export interface RegionGuideOptions {
  bootstrapSteps?: number;
  maskSoftness?: number;
}

/**
 * The prompt of one instance of `object`: its attributes and singular noun with an article, then
 * what it does or wears ("a man reading a newspaper", "a small red apple"). One instance, because
 * each box holds one: the count belongs to the layout, not to the box.
 */
export function regionPrompt(object: Pick<PromptObject, 'noun' | 'attributes' | 'details'>): string {
  const words = [...object.attributes, object.noun].map((w) => w.trim()).filter(Boolean);
  const head = words.length ? `${article(words[0]!)} ${words.join(' ')}` : '';
  return [head, ...object.details.map((d) => d.trim()).filter(Boolean)].join(' ');
}

/**
 * The prompt for the area outside the boxes: the prompt's scene part (medium, style, setting,
 * time, quoted text, in the order written) when the parser found one, else the whole prompt.
 * A medium or style that ends in "of" ("an oil painting of") loses it: its object is the boxes.
 */
export function backgroundPrompt(parsed: Pick<ParsedPrompt, 'text' | 'scene'>): string {
  const scene: readonly SceneElement[] = parsed.scene ?? [];
  const parts = [...scene]
    .sort((a, b) => a.span[0] - b.span[0])
    .map((e) => (e.kind === 'medium' || e.kind === 'style' ? e.phrase.replace(/\s+of\s*$/i, '') : e.phrase).trim())
    .filter(Boolean);
  return parts.length ? parts.join(', ') : parsed.text.trim();
}

function unitBox(b: LayoutBox, layout: Pick<Layout, 'width' | 'height'>): UnitBox | null {
  // An edited box may hang over the canvas; only the part on it guides anything.
  const x0 = Math.min(Math.max(b.x / layout.width, 0), 1);
  const y0 = Math.min(Math.max(b.y / layout.height, 0), 1);
  const x1 = Math.min(Math.max((b.x + b.w) / layout.width, 0), 1);
  const y1 = Math.min(Math.max((b.y + b.h) / layout.height, 0), 1);
  if (!(x1 > x0 && y1 > y0)) return null;
  return { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
}

/**
 * The region guide for `layout`, planned from `parsed` (or edited since). Boxes are given as
 * fractions of the layout's canvas, so the render may be another size; boxes wholly off the
 * canvas are left out. A layout with no boxes gives a guide with no regions (a plain render).
 */
export function regionGuideFromLayout(
  parsed: Pick<ParsedPrompt, 'text' | 'objects' | 'scene'>,
  layout: Pick<Layout, 'width' | 'height' | 'boxes'>,
  options: RegionGuideOptions = {},
): RegionGuide {
  if (!(layout.width > 0 && layout.height > 0))
    throw new RangeError(`layout canvas must have a positive size, got ${layout.width}x${layout.height}`);
  const objects = new Map(parsed.objects.map((o) => [o.id, o]));
  const regions: GuideRegion[] = [];
  for (const b of layout.boxes) {
    const box = unitBox(b, layout);
    if (!box) continue;
    const object = objects.get(b.objectId);
    regions.push({ prompt: regionPrompt(object ?? { noun: b.noun, attributes: [], details: [] }), box, id: b.id });
  }
  return {
    background: backgroundPrompt(parsed),
    regions,
    ...(options.bootstrapSteps !== undefined ? { bootstrapSteps: options.bootstrapSteps } : {}),
    ...(options.maskSoftness !== undefined ? { maskSoftness: options.maskSoftness } : {}),
  };
}
