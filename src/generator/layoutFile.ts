/**
 * Saved layouts: the boxes a person drew in the preview panel, kept beside the prompt file as
 * `<prompt file>.layout.json` (readable JSON, validated against `LAYOUT_SCHEMA`), so they survive
 * reloads, go into version control and steer renders from the editor and the CLI alike.
 *
 * Keys. An entry holds the prompt text it was drawn for and the line it was on. A prompt finds its
 * entry by text, so moving lines around keeps layouts; identical prompts pair with their entries in
 * line order. A prompt with no entry of its text, on the line of an entry whose text no prompt of
 * the file has any more, has a *stale* layout: its words changed after the boxes were drawn.
 *
 * Boxes are applied over a fresh plan by box id (`applySavedBoxes`), so a box the file has no
 * entry for (a count went up) comes from the planner, and a saved box whose object is gone is
 * reported rather than guessed at. Pure apart from `readLayoutFile`/`writeLayoutFile`.
 */
import { promises as fs } from 'node:fs';
import Ajv, { type ErrorObject } from 'ajv';
import { findNodeAtLocation, parseTree, printParseErrorCode, type Node as JsonNode, type ParseError } from 'jsonc-parser';
import { writeFileAtomic } from '../io/atomic';
import type { ParsedPrompt } from '../parser/types';
import { layoutWithBoxes, planLayout } from './layout';
import { LAYOUT_FILE_VERSION, LAYOUT_SCHEMA, LAYOUT_SCHEMA_ID } from './layoutSchema';
import type { LayoutBox, LayoutOptions, LayoutResult } from './types';

/** A layout file is named after its prompt file plus this suffix: `scenes.prompts.layout.json`. */
export const LAYOUT_FILE_SUFFIX = '.layout.json';

/** One saved box, in pixels on the entry's canvas. */
export interface SavedBox {
  /** The layout box id (`LayoutBox.id`): object id, plus `#k` for instance k of a counted object. */
  id: string;
  /** The parser's object id (`LayoutBox.objectId`). */
  object: string;
  x: number;
  y: number;
  w: number;
  h: number;
}

/** The layout drawn for one prompt. */
export interface SavedLayout {
  /** 1-based line the prompt was on when saved. */
  line: number;
  /** The prompt text the boxes were drawn for. */
  prompt: string;
  canvas: { width: number; height: number };
  boxes: SavedBox[];
}

/** A whole layout file. */
export interface LayoutFile {
  $schema?: string;
  version: typeof LAYOUT_FILE_VERSION;
  layouts: SavedLayout[];
}

/** A layout file that cannot be used; the message is one line: where, what is wrong, what to do. */
export class LayoutFileError extends Error {
  override readonly name = 'LayoutFileError';
  constructor(
    message: string,
    readonly file: string,
    readonly line: number | null = null,
  ) {
    super(message);
  }
}

/** The layout file of a prompt file. */
export function layoutFilePath(promptFile: string): string {
  return `${promptFile}${LAYOUT_FILE_SUFFIX}`;
}

/** An empty layout file. */
export function emptyLayoutFile(): LayoutFile {
  return { $schema: LAYOUT_SCHEMA_ID, version: LAYOUT_FILE_VERSION, layouts: [] };
}

let validator: ReturnType<Ajv['compile']> | undefined;
function validate(data: unknown): ErrorObject[] {
  // Compiled once, on first use: most runs never read a layout file.
  validator ??= new Ajv({ allErrors: false }).compile(LAYOUT_SCHEMA);
  return validator(data) ? [] : [...(validator.errors ?? [])];
}

/** `text` offset -> "line:column", both 1-based. */
function position(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      start = i + 1;
    }
  }
  return { line, column: offset - start + 1 };
}

/** `/layouts/0/boxes/1/w` -> `layouts[0].boxes[1].w`; the JSON path segments alongside. */
function pathOf(pointer: string): { label: string; segments: Array<string | number> } {
  const segments = pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  const label = segments.reduce<string>((acc, s) => (typeof s === 'number' ? `${acc}[${s}]` : acc ? `${acc}.${s}` : s), '');
  return { label: label || 'the file', segments };
}

/** What a schema error says, in words. */
function describe(e: ErrorObject, label: string): string {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return `${label} lacks "${String(p.missingProperty)}"`;
    case 'additionalProperties':
      return `${label} has an unknown field "${String(p.additionalProperty)}"`;
    case 'type':
      return `${label} must be ${p.type === 'integer' ? 'a whole number' : `of type ${String(p.type)}`}`;
    case 'const':
      return `${label} must be ${JSON.stringify(p.allowedValue)}`;
    case 'minimum':
    case 'maximum':
      return `${label} must be ${e.keyword === 'minimum' ? 'at least' : 'at most'} ${String(p.limit)}`;
    case 'minLength':
      return `${label} must not be empty`;
    default:
      return `${label} ${e.message ?? 'is invalid'}`;
  }
}

const FIX = 'fix it (the schema is schemas/layout.schema.json), or delete the entry or the file to re-plan';

function fail(file: string, text: string, offset: number, what: string): never {
  const { line, column } = position(text, offset);
  throw new LayoutFileError(`${file}:${line}:${column}: ${what}; ${FIX}`, file, line);
}

/** The node a schema error points at (the offending property's key for an unknown field). */
function nodeFor(root: JsonNode, segments: Array<string | number>, e: ErrorObject): JsonNode {
  const at = findNodeAtLocation(root, segments) ?? root;
  if (e.keyword === 'additionalProperties' && at.type === 'object') {
    const name = (e.params as { additionalProperty?: string }).additionalProperty;
    const prop = at.children?.find((c) => c.children?.[0]?.value === name);
    if (prop) return prop;
  }
  return at;
}

/**
 * Parses and validates a layout file's text. Throws LayoutFileError naming the file, the line and
 * column, what is wrong and what to do: JSON syntax, the schema, then what a schema cannot say
 * (boxes inside the canvas, box ids unique per entry).
 */
export function parseLayoutFile(text: string, file: string): LayoutFile {
  const errors: ParseError[] = [];
  const root = parseTree(text.replace(/^\uFEFF/, ''), errors, { allowTrailingComma: false, disallowComments: true });
  if (errors.length > 0 || root === undefined) {
    const e = errors[0];
    fail(file, text, e?.offset ?? 0, e ? `not valid JSON (${printParseErrorCode(e.error)})` : 'empty file');
  }
  const data: unknown = JSON.parse(text.replace(/^\uFEFF/, ''));
  const schemaErrors = validate(data);
  if (schemaErrors.length > 0) {
    const e = schemaErrors[0]!;
    const { label, segments } = pathOf(e.instancePath);
    fail(file, text, nodeFor(root, segments, e).offset, describe(e, label));
  }
  const parsed = data as LayoutFile;
  parsed.layouts.forEach((entry, i) => {
    const where = (...s: Array<string | number>): number => findNodeAtLocation(root, ['layouts', i, ...s])?.offset ?? 0;
    const ids = new Set<string>();
    entry.boxes.forEach((b, k) => {
      if (ids.has(b.id)) fail(file, text, where('boxes', k, 'id'), `layouts[${i}].boxes has two boxes with id "${b.id}"`);
      ids.add(b.id);
      if (b.x + b.w > entry.canvas.width || b.y + b.h > entry.canvas.height) {
        fail(file, text, where('boxes', k), `layouts[${i}].boxes[${k}] ("${b.id}") reaches past the ${entry.canvas.width}x${entry.canvas.height} canvas`);
      }
    });
  });
  return parsed;
}

/** Reads and validates a layout file; null when there is none. Throws LayoutFileError. */
export async function readLayoutFile(file: string): Promise<LayoutFile | null> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new LayoutFileError(`${file}: cannot read it (${(err as Error).message}); check its permissions`, file);
  }
  return parseLayoutFile(text, file);
}

/**
 * The file's text: two-space JSON, entries in line order, one box per line, so that a moved box
 * is a one-line diff in version control.
 */
export function serializeLayoutFile(layoutFile: LayoutFile): string {
  const entries = [...layoutFile.layouts].sort((a, b) => a.line - b.line);
  const box = (b: SavedBox): string => JSON.stringify({ id: b.id, object: b.object, x: b.x, y: b.y, w: b.w, h: b.h }).replace(/,"/g, ', "').replace(/":/g, '": ');
  const entry = (e: SavedLayout): string =>
    [
      '    {',
      `      "line": ${e.line},`,
      `      "prompt": ${JSON.stringify(e.prompt)},`,
      `      "canvas": { "width": ${e.canvas.width}, "height": ${e.canvas.height} },`,
      e.boxes.length === 0 ? '      "boxes": []' : `      "boxes": [\n${e.boxes.map((b) => `        ${box(b)}`).join(',\n')}\n      ]`,
      '    }',
    ].join('\n');
  const body = entries.length === 0 ? '  "layouts": []' : `  "layouts": [\n${entries.map(entry).join(',\n')}\n  ]`;
  return `{\n  "$schema": ${JSON.stringify(LAYOUT_SCHEMA_ID)},\n  "version": ${LAYOUT_FILE_VERSION},\n${body}\n}\n`;
}

/** Writes the file atomically (a reader sees the old file or the new one, never half of one). */
export async function writeLayoutFile(file: string, layoutFile: LayoutFile): Promise<void> {
  await writeFileAtomic(file, serializeLayoutFile(layoutFile));
}

/** A prompt as the matching sees it: its text and 1-based line (null when it has none, `--prompt`). */
export interface PromptAt {
  line: number | null;
  text: string;
}

/** How a prompt relates to the layouts of its file. */
export type LayoutMatch =
  | { status: 'fresh'; saved: SavedLayout }
  /** The entry on the prompt's line was drawn for words no prompt of the file has any more. */
  | { status: 'stale'; saved: SavedLayout }
  | { status: 'none' };

/**
 * The saved layout of `prompt`, one of `prompts` (every prompt of its file, for telling identical
 * prompts apart and for stale detection; may be empty). Entries of the same text pair with the
 * prompts of that text in line order: the k-th such prompt gets the k-th such entry.
 */
export function matchLayout(layoutFile: LayoutFile, prompt: PromptAt, prompts: readonly PromptAt[] = []): LayoutMatch {
  const same = layoutFile.layouts.filter((l) => l.prompt === prompt.text).sort((a, b) => a.line - b.line);
  if (same.length > 0) {
    const line = prompt.line;
    if (line === null) return { status: 'fresh', saved: same[0]! };
    const k = prompts.filter((p) => p.text === prompt.text && p.line !== null && p.line < line).length;
    const saved = same[k];
    if (saved) return { status: 'fresh', saved };
  }
  if (prompt.line === null) return { status: 'none' };
  const atLine = layoutFile.layouts.find((l) => l.line === prompt.line);
  if (atLine && atLine.prompt !== prompt.text && !prompts.some((p) => p.text === atLine.prompt)) return { status: 'stale', saved: atLine };
  return { status: 'none' };
}

/** Saved boxes laid over a plan: the boxes to show and render, and saved boxes with no place in it. */
export interface AppliedLayout {
  boxes: LayoutBox[];
  /** Saved boxes the plan has no box of the same id and object for (the prompt lost that object). */
  unmatched: SavedBox[];
}

/**
 * `planned` (planned on the saved canvas) with each box the file has a box of the same id and
 * object for moved to where it was drawn. Planned boxes without a saved one keep their place.
 */
export function applySavedBoxes(planned: readonly LayoutBox[], saved: Pick<SavedLayout, 'boxes'>): AppliedLayout {
  const byId = new Map(saved.boxes.map((b) => [b.id, b]));
  const used = new Set<string>();
  const boxes = planned.map((p) => {
    const s = byId.get(p.id);
    if (!s || s.object !== p.objectId) return { ...p };
    used.add(s.id);
    return { ...p, x: s.x, y: s.y, w: s.w, h: s.h };
  });
  return { boxes, unmatched: saved.boxes.filter((b) => !used.has(b.id)) };
}

/**
 * The layout of `parsed` with `saved` applied: planned on the saved canvas (`options` give the
 * seed, and the canvas when nothing is saved), saved boxes over planned ones, checks and placement
 * words recomputed. A prompt whose relations conflict has no plan, and then no layout either.
 */
export function layoutWithSaved(parsed: ParsedPrompt, saved: SavedLayout | null, options: LayoutOptions = {}): { result: LayoutResult; unmatched: SavedBox[] } {
  if (saved === null) return { result: planLayout(parsed, options), unmatched: [] };
  const planned = planLayout(parsed, { ...options, width: saved.canvas.width, height: saved.canvas.height });
  if (!planned.ok) return { result: planned, unmatched: saved.boxes };
  const applied = applySavedBoxes(planned.layout.boxes, saved);
  return { result: { ok: true, layout: layoutWithBoxes(parsed, planned.layout, applied.boxes) }, unmatched: applied.unmatched };
}

/**
 * `current` (the boxes shown) moved to where `edits` put them: every box must be edited once, by
 * id, and each is rounded to whole pixels and kept on the canvas, at least 1 pixel a side. Null
 * when the edits are for other boxes (an edit of a layout that has changed since: drop it).
 */
export function editedBoxes(current: readonly LayoutBox[], edits: ReadonlyArray<Pick<LayoutBox, 'id' | 'x' | 'y' | 'w' | 'h'>>, canvas: { width: number; height: number }): LayoutBox[] | null {
  if (edits.length !== current.length) return null;
  const byId = new Map(edits.map((e) => [e.id, e]));
  if (byId.size !== edits.length) return null;
  const out: LayoutBox[] = [];
  for (const b of current) {
    const e = byId.get(b.id);
    if (!e || ![e.x, e.y, e.w, e.h].every(Number.isFinite)) return null;
    const w = Math.min(canvas.width, Math.max(1, Math.round(e.w)));
    const h = Math.min(canvas.height, Math.max(1, Math.round(e.h)));
    const x = Math.min(canvas.width - w, Math.max(0, Math.round(e.x)));
    const y = Math.min(canvas.height - h, Math.max(0, Math.round(e.y)));
    out.push({ ...b, x, y, w, h });
  }
  return out;
}

/** A saved entry for `prompt` on `canvas` from layout boxes (rounded to whole pixels). */
export function savedLayoutOf(prompt: { line: number; text: string }, canvas: { width: number; height: number }, boxes: readonly LayoutBox[]): SavedLayout {
  return {
    line: prompt.line,
    prompt: prompt.text,
    canvas: { width: canvas.width, height: canvas.height },
    boxes: boxes.map((b) => ({ id: b.id, object: b.objectId, x: Math.round(b.x), y: Math.round(b.y), w: Math.round(b.w), h: Math.round(b.h) })),
  };
}

/**
 * `layoutFile` with `entry` in place of `replacing` (the entry the prompt matched, fresh or stale),
 * or added. Other entries are kept whatever their line: lines are hints, texts are keys.
 */
export function withLayout(layoutFile: LayoutFile | null, entry: SavedLayout, replacing?: SavedLayout): LayoutFile {
  const base = layoutFile ?? emptyLayoutFile();
  return { $schema: LAYOUT_SCHEMA_ID, version: LAYOUT_FILE_VERSION, layouts: [...base.layouts.filter((l) => l !== replacing), entry].sort((a, b) => a.line - b.line) };
}

/** `layoutFile` without `entry`. */
export function withoutLayout(layoutFile: LayoutFile, entry: SavedLayout): LayoutFile {
  return { $schema: LAYOUT_SCHEMA_ID, version: LAYOUT_FILE_VERSION, layouts: layoutFile.layouts.filter((l) => l !== entry) };
}

/**
 * `layoutFile` with each entry that a prompt of `prompts` matches moved to that prompt's line, so
 * that after lines were inserted or removed above them the file says where the prompts are now
 * (and a later stale check looks at the right line). Entries no prompt matches keep their line.
 */
export function relineLayouts(layoutFile: LayoutFile, prompts: ReadonlyArray<{ line: number; text: string }>): LayoutFile {
  const moved = new Map<SavedLayout, number>();
  for (const p of prompts) {
    const m = matchLayout(layoutFile, p, prompts);
    if (m.status === 'fresh') moved.set(m.saved, p.line);
  }
  const layouts = layoutFile.layouts.map((l) => (moved.has(l) ? { ...l, line: moved.get(l)! } : l)).sort((a, b) => a.line - b.line);
  return { $schema: LAYOUT_SCHEMA_ID, version: LAYOUT_FILE_VERSION, layouts };
}
