/**
 * A tiny virtual DOM description: the view functions return these trees and the entry point
 * turns them into real nodes with createElement/createElementNS and text nodes, so data never
 * passes through an HTML parser. `toMarkup` serialises a tree with escaping, for tests and for
 * checking what would be shown.
 */

/** An element: tag, attributes, children; `svg` elements are created in the SVG namespace. */
export interface VElement {
  tag: string;
  svg: boolean;
  attrs: Record<string, string>;
  children: VNode[];
}

/** A node: an element or a text node (a plain string). */
export type VNode = VElement | string;

type Child = VNode | null | undefined | false | Child[];

function flatten(children: Child[], out: VNode[]): VNode[] {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) flatten(c, out);
    else out.push(c);
  }
  return out;
}

function clean(attrs: Record<string, string | number | boolean | null | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    out[k] = v === true ? '' : String(v);
  }
  return out;
}

/** An HTML element. Attributes that are null/undefined/false are left out; `true` is present-empty. */
export function h(tag: string, attrs: Record<string, string | number | boolean | null | undefined> = {}, ...children: Child[]): VElement {
  return { tag, svg: false, attrs: clean(attrs), children: flatten(children, []) };
}

/** An SVG element (namespace http://www.w3.org/2000/svg). */
export function s(tag: string, attrs: Record<string, string | number | boolean | null | undefined> = {}, ...children: Child[]): VElement {
  return { tag, svg: true, attrs: clean(attrs), children: flatten(children, []) };
}

const ATTR_NAME = /^[a-zA-Z_:][-a-zA-Z0-9_:.]*$/;

/** Escapes text for an HTML/SVG text node or a double-quoted attribute value. */
export function escapeMarkup(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** Serialises a tree to markup; all text and attribute values are escaped. */
export function toMarkup(node: VNode): string {
  if (typeof node === 'string') return escapeMarkup(node);
  if (!ATTR_NAME.test(node.tag)) throw new Error(`invalid tag name ${JSON.stringify(node.tag)}`);
  const attrs = Object.entries(node.attrs)
    .map(([k, v]) => {
      if (!ATTR_NAME.test(k)) throw new Error(`invalid attribute name ${JSON.stringify(k)}`);
      return ` ${k}="${escapeMarkup(v)}"`;
    })
    .join('');
  return `<${node.tag}${attrs}>${node.children.map(toMarkup).join('')}</${node.tag}>`;
}

/** Depth-first search for elements whose attribute `name` equals `value` (or exists, when omitted). */
export function findAll(node: VNode, name: string, value?: string): VElement[] {
  const out: VElement[] = [];
  const walk = (n: VNode): void => {
    if (typeof n === 'string') return;
    const v = n.attrs[name];
    if (v !== undefined && (value === undefined || v === value)) out.push(n);
    n.children.forEach(walk);
  };
  walk(node);
  return out;
}

/** The concatenated text of a tree. */
export function textOf(node: VNode): string {
  return typeof node === 'string' ? node : node.children.map(textOf).join('');
}
