/**
 * Editing the layout in the panel: box geometry under the mouse and the keyboard, and the session
 * that turns a drag or a key press into `editLayout` messages. Pure (no DOM), so plain-Node tests
 * drive it with the same calls preview.ts makes from pointer and key events.
 *
 * The webview moves the box it is told to move and nothing else: the relations are judged by the
 * host (src/generator/layout.ts `checkLayout`, the planner's own rules), which answers each edit
 * with `layoutUpdate`. One judgement is asked for at a time while dragging; moves made meanwhile
 * are sent as one when the answer comes, so a slow host never falls behind the pointer by more
 * than one answer. The end of a drag (or of a held key) is always sent, as `final`: the host saves
 * that one.
 */
import type { Box } from '../src/protocol/geometry';
import type { EditLayoutMessage, LayoutBoxView, LayoutView, ResetLayoutMessage } from '../src/protocol/messages';

/** What a pointer drags: the box itself, or one of its corners. */
export type Handle = 'move' | 'nw' | 'ne' | 'sw' | 'se';

/** The corner handles drawn on each box. */
export const CORNERS: readonly Handle[] = ['nw', 'ne', 'sw', 'se'];

/** Smallest side the editor leaves a box, in canvas pixels. */
export const MIN_SIDE = 8;

/**
 * How far one arrow key press moves or resizes a box, in canvas pixels: one latent pixel of Stable
 * Diffusion (8 image pixels), the finest step a region mask can tell apart on a same-size render.
 */
export const KEY_STEP = 8;

const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));

/**
 * `start` moved (`move`) or resized by one corner by (dx, dy) canvas pixels, kept on the canvas and
 * at least MIN_SIDE a side, in whole pixels.
 */
export function dragBox(start: Box, handle: Handle, dx: number, dy: number, canvas: { width: number; height: number }): Box {
  if (handle === 'move') {
    return {
      x: clamp(Math.round(start.x + dx), 0, Math.max(0, canvas.width - start.w)),
      y: clamp(Math.round(start.y + dy), 0, Math.max(0, canvas.height - start.h)),
      w: start.w,
      h: start.h,
    };
  }
  let x0 = start.x;
  let y0 = start.y;
  let x1 = start.x + start.w;
  let y1 = start.y + start.h;
  if (handle.includes('w')) x0 = clamp(Math.round(x0 + dx), 0, x1 - MIN_SIDE);
  else x1 = clamp(Math.round(x1 + dx), x0 + MIN_SIDE, canvas.width);
  if (handle.includes('n')) y0 = clamp(Math.round(y0 + dy), 0, y1 - MIN_SIDE);
  else y1 = clamp(Math.round(y1 + dy), y0 + MIN_SIDE, canvas.height);
  return { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
}

const ARROWS: Readonly<Record<string, [number, number]>> = {
  ArrowLeft: [-1, 0],
  ArrowRight: [1, 0],
  ArrowUp: [0, -1],
  ArrowDown: [0, 1],
};

/** Whether `key` (KeyboardEvent.key) edits a focused box. */
export function isEditKey(key: string): boolean {
  return key in ARROWS;
}

/**
 * A box after one key press: arrow keys move it by KEY_STEP; with Shift they resize it from its
 * bottom-right corner (right and down grow it, left and up shrink it). Undefined for other keys.
 */
export function keyBox(box: Box, key: string, shift: boolean, canvas: { width: number; height: number }): Box | undefined {
  const d = ARROWS[key];
  if (d === undefined) return undefined;
  return dragBox(box, shift ? 'se' : 'move', d[0] * KEY_STEP, d[1] * KEY_STEP, canvas);
}

/** A point in canvas pixels. */
export interface Point {
  x: number;
  y: number;
}

/** The part of the prompt view the editor needs. */
export interface EditablePrompt {
  key: string;
  layout: LayoutView | null;
  /** Null when the layout cannot be edited (see `PromptView.layoutEdit`). */
  layoutEdit: unknown;
}

interface Drag {
  promptKey: string;
  boxId: string;
  handle: Handle;
  from: Point;
  start: Box;
  canvas: { width: number; height: number };
  /** The boxes before the drag, for Escape. */
  before: LayoutBoxView[];
  moved: boolean;
}

type Outgoing = EditLayoutMessage | ResetLayoutMessage;

/** One panel's layout editing: what to draw while an edit is under way, and what to tell the host. */
export class LayoutEditSession {
  readonly #post: (msg: Outgoing) => void;
  #seq = 0;
  /** The edit whose answer is awaited, while dragging; later moves wait for it. */
  #inFlight: number | null = null;
  #queued = false;
  #lastFinal = 0;
  #promptKey: string | null = null;
  /** Boxes drawn instead of the host's, from the first move until the host has answered the last edit. */
  #boxes: LayoutBoxView[] | null = null;
  #drag: Drag | null = null;
  /** Key presses not yet saved (sent as `final` on key up or when the box loses focus). */
  #keyed = false;

  constructor(post: (msg: Outgoing) => void) {
    this.#post = post;
  }

  /** The boxes to draw for prompt `promptKey` while an edit is under way; null: draw the host's. */
  boxesFor(promptKey: string): LayoutBoxView[] | null {
    return this.#promptKey === promptKey ? this.#boxes : null;
  }

  /** The id of the box being dragged, if any. */
  get dragging(): string | null {
    return this.#drag?.boxId ?? null;
  }

  #current(prompt: EditablePrompt): LayoutBoxView[] | null {
    if (prompt.layout === null || prompt.layoutEdit === null) return null;
    if (this.#promptKey !== prompt.key) this.forget();
    return this.#boxes ?? prompt.layout.boxes;
  }

  #send(final: boolean): void {
    const boxes = this.#boxes;
    const promptKey = this.#promptKey;
    if (boxes === null || promptKey === null) return;
    if (!final && this.#inFlight !== null) {
      this.#queued = true;
      return;
    }
    const seq = ++this.#seq;
    if (final) {
      this.#lastFinal = seq;
      this.#queued = false;
    }
    this.#inFlight = seq;
    this.#post({ type: 'editLayout', promptKey, seq, boxes: boxes.map((b) => ({ id: b.id, x: b.x, y: b.y, w: b.w, h: b.h })), final });
  }

  #replace(boxId: string, box: Box): boolean {
    const boxes = this.#boxes;
    if (boxes === null) return false;
    const i = boxes.findIndex((b) => b.id === boxId);
    const old = boxes[i];
    if (old === undefined || (old.x === box.x && old.y === box.y && old.w === box.w && old.h === box.h)) return false;
    this.#boxes = boxes.map((b, k) => (k === i ? { ...b, ...box } : b));
    return true;
  }

  /** A pointer went down on box `boxId` (or one of its corners) at `point`; true when a drag began. */
  pointerDown(prompt: EditablePrompt, boxId: string, handle: Handle, point: Point): boolean {
    const boxes = this.#current(prompt);
    const start = boxes?.find((b) => b.id === boxId);
    if (!boxes || !start || prompt.layout === null) return false;
    this.#promptKey = prompt.key;
    this.#boxes = boxes;
    this.#drag = { promptKey: prompt.key, boxId, handle, from: point, start, canvas: { width: prompt.layout.width, height: prompt.layout.height }, before: boxes, moved: false };
    return true;
  }

  /** The pointer moved to `point`; true when a box changed (redraw). */
  pointerMove(point: Point): boolean {
    const d = this.#drag;
    if (d === null) return false;
    const next = dragBox(d.start, d.handle, point.x - d.from.x, point.y - d.from.y, d.canvas);
    if (!this.#replace(d.boxId, next)) return false;
    d.moved = true;
    this.#send(false);
    return true;
  }

  /** The pointer went up: the drag ends and, when it moved anything, the layout is saved. */
  pointerUp(): boolean {
    const d = this.#drag;
    if (d === null) return false;
    this.#drag = null;
    if (d.moved) this.#send(true);
    else if (this.#inFlight === null) this.#boxes = null;
    return d.moved;
  }

  /** Escape or a cancelled pointer: the boxes go back where the drag started (nothing is saved). */
  cancel(): boolean {
    const d = this.#drag;
    if (d === null) return false;
    this.#drag = null;
    this.#boxes = d.before;
    if (d.moved) this.#send(false);
    else this.#boxes = null;
    return true;
  }

  /** A key went down on focused box `boxId`; true when it moved or resized the box. */
  key(prompt: EditablePrompt, boxId: string, key: string, shift: boolean): boolean {
    if (this.#drag !== null || prompt.layout === null) return false;
    const boxes = this.#current(prompt);
    const box = boxes?.find((b) => b.id === boxId);
    if (!boxes || !box) return false;
    const next = keyBox(box, key, shift, prompt.layout);
    if (next === undefined) return false;
    this.#promptKey = prompt.key;
    this.#boxes = boxes;
    if (!this.#replace(boxId, next)) return false;
    this.#keyed = true;
    this.#send(false);
    return true;
  }

  /** A key went up, or the box lost focus: key presses so far are saved. */
  commitKeys(): void {
    if (!this.#keyed) return;
    this.#keyed = false;
    this.#send(true);
  }

  /** Keep the shown layout for the prompt's current words (a stale layout): save it as it is. */
  keep(prompt: EditablePrompt): void {
    const boxes = this.#current(prompt);
    if (!boxes) return;
    this.#promptKey = prompt.key;
    this.#boxes = boxes;
    this.#send(true);
  }

  /** Forget the prompt's saved layout and go back to the planned one. */
  reset(prompt: EditablePrompt): void {
    this.forget();
    const seq = ++this.#seq;
    this.#lastFinal = seq;
    this.#post({ type: 'resetLayout', promptKey: prompt.key, seq });
  }

  /** The host answered edit `seq`: send moves that waited, and stop overriding once it caught up. */
  answered(seq: number): void {
    if (this.#inFlight !== null && seq >= this.#inFlight) {
      this.#inFlight = null;
      // Moves wait only while a drag or held key goes on; its end is sent at once as `final`.
      if (this.#queued) {
        this.#queued = false;
        this.#send(false);
      }
    }
    if (this.#drag === null && !this.#keyed && this.#inFlight === null && seq >= this.#lastFinal) this.#boxes = null;
  }

  /** The panel moved to another prompt: drop the edit under way. */
  forget(): void {
    this.#drag = null;
    this.#boxes = null;
    this.#promptKey = null;
    this.#keyed = false;
    this.#queued = false;
    this.#inFlight = null;
  }
}
