/** A self-contained SVG drawing of a layout: one labelled, coloured box per instance. */
import type { Layout } from './types';

/** Options of `layoutToSvg`. */
export interface SvgOptions {
  /** Drawn as a caption under the canvas (escaped). */
  title?: string;
  /** Pixel size of the label text (default: 3% of the canvas, at least 10). */
  fontSize?: number;
}

// Colour-blind-friendly palette (Okabe-Ito); one colour per object, shared by its instances.
const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#000000'];

/** Escapes text for XML content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/**
 * Renders `layout` as SVG text: the canvas, each box with its label (noun plus instance number)
 * and, when given, a caption. Labels are escaped, so any prompt text is safe to embed.
 */
export function layoutToSvg(layout: Layout, options: SvgOptions = {}): string {
  const { width, height } = layout;
  const font = options.fontSize ?? Math.max(10, Math.round(Math.min(width, height) * 0.03));
  const caption = options.title ? font * 2 : 0;
  const colours = new Map<string, string>();
  for (const b of layout.boxes) if (!colours.has(b.objectId)) colours.set(b.objectId, PALETTE[colours.size % PALETTE.length]!);
  const lines = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height + caption}" viewBox="0 0 ${width} ${height + caption}" font-family="sans-serif" font-size="${font}">`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#fafafa" stroke="#888"/>`,
  ];
  // Larger boxes first, so smaller ones (contents, loads) stay visible on top.
  const order = [...layout.boxes].sort((a, b) => b.w * b.h - a.w * a.h);
  for (const b of order) {
    const colour = colours.get(b.objectId)!;
    const instance = b.id.includes('#') ? ` ${b.id.slice(b.id.lastIndexOf('#'))}` : '';
    const label = escapeXml(`${b.noun}${instance}`);
    lines.push(
      `<g><title>${escapeXml(b.id)}</title>` +
        `<rect x="${b.x}" y="${b.y}" width="${b.w}" height="${b.h}" fill="${colour}" fill-opacity="0.18" stroke="${colour}" stroke-width="2"/>` +
        `<text x="${b.x + 4}" y="${b.y + font + 2}" fill="${colour}">${label}</text></g>`,
    );
  }
  if (options.title) lines.push(`<text x="4" y="${height + font * 1.4}" fill="#333">${escapeXml(options.title)}</text>`);
  lines.push('</svg>');
  return lines.join('\n') + '\n';
}
