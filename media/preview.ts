// Webview entry (bundled to dist/media/preview.js as an IIFE). It only draws: it validates each
// host message, applies it with the pure reducer (model.ts), rebuilds the DOM from the pure view
// (view.ts) with createElement and text nodes, and turns clicks into FromWebview messages.
import type { FromWebview, PersistedWebviewState } from '../src/protocol/messages';
import { isEditKey, LayoutEditSession, type Handle, type Point } from './layoutEdit';
import { initialModel, persistable, reduce, type WebviewModel } from './model';
import { parseToWebview } from './validate';
import { highlighted, renderApp } from './view';
import { toMarkup, type VNode } from './vnode';

const SVG_NS = 'http://www.w3.org/2000/svg';

const vscode = acquireVsCodeApi<PersistedWebviewState>();
const app = document.getElementById('app');
let model: WebviewModel = initialModel();
let saveCounter = 0;

function post(msg: FromWebview): void {
  vscode.postMessage(msg);
}

const layoutEdit = new LayoutEditSession(post);

function materialize(node: VNode): Node {
  if (typeof node === 'string') return document.createTextNode(node);
  const el = node.svg ? document.createElementNS(SVG_NS, node.tag) : document.createElement(node.tag);
  for (const [k, v] of Object.entries(node.attrs)) el.setAttribute(k, v);
  // `checked`/`value` are properties once the element exists; the attributes only set defaults.
  if (el instanceof HTMLInputElement && 'checked' in node.attrs) el.checked = true;
  if (el instanceof HTMLProgressElement && !('value' in node.attrs)) el.removeAttribute('value');
  for (const c of node.children) el.appendChild(materialize(c));
  return el;
}

/** Markup of each top-level section last drawn, so that a redraw replaces only what changed. */
let drawn: string[] = [];

function draw(): void {
  if (app === null || model.state === null) return;
  const key = model.state.prompt?.key ?? '';
  const nodes = renderApp(model.state, {
    saveStatus: model.saveStatus,
    saving: model.pendingSave !== null,
    layoutBoxes: layoutEdit.boxesFor(key),
    dragging: layoutEdit.dragging,
  });
  // A focused layout box keeps the focus across redraws (arrow keys redraw it on every press).
  const focusedBox = document.activeElement instanceof Element ? document.activeElement.closest('[data-box]')?.getAttribute('data-box') : null;
  const markup = nodes.map(toMarkup);
  // Redraw only the sections that changed: a drag redraws the layout, not the image above it.
  if (markup.length === drawn.length && app.children.length === drawn.length) {
    markup.forEach((m, i) => {
      if (m !== drawn[i]) app.children[i]!.replaceWith(materialize(nodes[i]!));
    });
  } else {
    app.replaceChildren(...nodes.map(materialize));
  }
  drawn = markup;
  if (focusedBox) {
    const el = Array.from(app.querySelectorAll<SVGGElement>('[data-testid="layout-box"]')).find((b) => b.getAttribute('data-box') === focusedBox);
    if (el && document.activeElement !== el) el.focus();
  }
  app.setAttribute('data-ready', 'true');
}

/**
 * Highlights what a relation row stands for: its objects' chips and layout boxes, and on the image
 * the two detected boxes its verdict rests on (`pair`), or every box of its objects when no single
 * pair decides.
 */
function setHighlight(row: Element | null): void {
  if (app === null) return;
  app.classList.toggle('highlighting', row !== null);
  for (const el of app.querySelectorAll<Element>('[data-object]')) {
    el.classList.toggle('hl', row !== null && highlighted(el.getAttribute('data-object'), el.getAttribute('data-det'), row.getAttribute('data-targets'), row.getAttribute('data-pair')));
  }
}

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const msg = parseToWebview(event.data);
  if (msg === undefined) return;
  const before = model.state?.prompt?.key;
  const next = reduce(model, msg);
  if (next === undefined) return;
  model = next;
  if (msg.type === 'layoutUpdate') layoutEdit.answered(msg.seq);
  // Another prompt: an edit under way belonged to the one shown before. (A fresh `init` of the
  // same prompt, after a render say, leaves a drag alone.)
  else if (model.state?.prompt?.key !== before) layoutEdit.forget();
  const persisted = persistable(model);
  if (persisted !== undefined) vscode.setState(persisted);
  draw();
});

document.addEventListener('click', (event) => {
  const target = event.target instanceof Element ? event.target.closest('[data-action]') : null;
  if (target === null || (target instanceof HTMLButtonElement && target.disabled)) return;
  const data = (name: string): string => target.getAttribute(`data-${name}`) ?? '';
  switch (data('action')) {
    case 'selectRelation':
      post({ type: 'selectRelation', promptKey: data('prompt-key'), index: Number(data('index')) });
      break;
    case 'cancelRender':
      post({ type: 'cancelRender', requestId: data('request-id') });
      break;
    case 'rerender':
      post({ type: 'rerender', useRewrite: data('use-rewrite') === 'true' });
      break;
    case 'pickImage':
      post({ type: 'pickImage' });
      break;
    case 'selectModel':
      post({ type: 'selectModel' });
      break;
    case 'openSettings':
      post({ type: 'openSettings' });
      break;
    case 'save': {
      const requestId = `save-${Date.now()}-${++saveCounter}`;
      model = { ...model, pendingSave: requestId, saveStatus: 'Saving\u2026' };
      draw();
      post({ type: 'requestSaveWithOverlays', requestId });
      break;
    }
    case 'pageBatch':
      post({ type: 'pageBatch', runId: data('run-id'), page: Number(data('page')) });
      break;
    case 'openBatchItem':
      post({ type: 'openBatchItem', runId: data('run-id'), itemId: data('item-id') });
      break;
    case 'pickCandidate':
      post({ type: 'pickCandidate', setId: data('set-id'), index: Number(data('index')) });
      break;
    case 'renderWithLayout':
      post({ type: 'renderWithLayout' });
      break;
    case 'resetLayout':
      if (model.state?.prompt) layoutEdit.reset(model.state.prompt);
      break;
    case 'keepLayout':
      if (model.state?.prompt) layoutEdit.keep(model.state.prompt);
      break;
    default:
      break;
  }
});

document.addEventListener('change', (event) => {
  const input = event.target;
  if (input instanceof HTMLInputElement && input.getAttribute('data-action') === 'setRegionGuide' && model.state !== null) {
    // Drawn at once; the host sets the setting, whose change comes back in the next init.
    model = { ...model, state: { ...model.state, regionGuide: input.checked } };
    draw();
    post({ type: 'setRegionGuide', value: input.checked });
    return;
  }
  if (!(input instanceof HTMLInputElement) || input.getAttribute('data-action') !== 'toggle' || model.state === null) return;
  const what = input.getAttribute('data-what') === 'labels' ? 'labels' : 'boxes';
  const view = what === 'boxes' ? { ...model.state.view, showBoxes: input.checked } : { ...model.state.view, showLabels: input.checked };
  // Draw at once; the host keeps its copy for "Save with overlays" and for the next init.
  model = { ...model, state: { ...model.state, view } };
  const persisted = persistable(model);
  if (persisted !== undefined) vscode.setState(persisted);
  draw();
  post({ type: 'toggle', what, value: input.checked });
});

// Hovering (or focusing) a relation highlights its objects and the boxes its verdict rests on.
for (const [on, off] of [
  ['mouseover', 'mouseout'],
  ['focusin', 'focusout'],
] as const) {
  document.addEventListener(on, (event) => {
    const row = event.target instanceof Element ? event.target.closest('[data-testid="relation"]') : null;
    if (row !== null) setHighlight(row);
  });
  document.addEventListener(off, (event) => {
    const row = event.target instanceof Element ? event.target.closest('[data-testid="relation"]') : null;
    if (row !== null) setHighlight(null);
  });
}

// Keyboard: Enter on a focused relation row selects it in the editor.
document.addEventListener('keydown', (event) => {
  if (event.key !== 'Enter' || !(event.target instanceof Element)) return;
  const row = event.target.closest('[data-testid="relation"]');
  if (row !== null) post({ type: 'selectRelation', promptKey: row.getAttribute('data-prompt-key') ?? '', index: Number(row.getAttribute('data-index')) });
});

// ---- layout editing: pointer drags and arrow keys on the boxes of an editable layout ----------

/** The client point `event` is at, in the canvas pixels of `svg` (its viewBox). */
function canvasPoint(svg: SVGSVGElement, event: { clientX: number; clientY: number }): Point | null {
  const ctm = svg.getScreenCTM();
  if (ctm === null) return null;
  const p = new DOMPoint(event.clientX, event.clientY).matrixTransform(ctm.inverse());
  return { x: p.x, y: p.y };
}

/** The editable box under `target`, with its svg and what part of it was hit. */
function boxAt(target: EventTarget | null): { svg: SVGSVGElement; box: Element; id: string; handle: Handle } | null {
  if (!(target instanceof Element)) return null;
  const box = target.closest('[data-testid="layout-box"]');
  const svg = box?.closest('svg[data-editable="true"]');
  const id = box?.getAttribute('data-box');
  if (!box || !(svg instanceof SVGSVGElement) || !id) return null;
  const corner = target.closest('[data-handle]')?.getAttribute('data-handle');
  return { svg, box, id, handle: corner === 'nw' || corner === 'ne' || corner === 'sw' || corner === 'se' ? corner : 'move' };
}

let dragSvg: SVGSVGElement | null = null;

document.addEventListener('pointerdown', (event) => {
  const hit = event.button === 0 ? boxAt(event.target) : null;
  const prompt = model.state?.prompt;
  if (!hit || !prompt) return;
  const point = canvasPoint(hit.svg, event);
  if (point === null || !layoutEdit.pointerDown(prompt, hit.id, hit.handle, point)) return;
  // No text selection or scrolling while dragging; the box takes the keyboard focus too.
  event.preventDefault();
  if (hit.box instanceof SVGElement) hit.box.focus();
  dragSvg = hit.svg;
  draw();
});

// Moves and the release are followed on the window: redraws replace the box under the pointer.
window.addEventListener('pointermove', (event) => {
  if (dragSvg === null || layoutEdit.dragging === null) return;
  // The svg drawn now (the one pressed on may have been redrawn since).
  const svg = app?.querySelector<SVGSVGElement>('svg[data-editable="true"]') ?? dragSvg;
  const point = canvasPoint(svg, event);
  if (point !== null && layoutEdit.pointerMove(point)) draw();
});

window.addEventListener('pointerup', () => {
  if (dragSvg === null) return;
  dragSvg = null;
  layoutEdit.pointerUp();
  draw();
});

window.addEventListener('pointercancel', () => {
  if (dragSvg === null) return;
  dragSvg = null;
  if (layoutEdit.cancel()) draw();
});

document.addEventListener('keydown', (event) => {
  if (event.key === 'Escape' && dragSvg !== null) {
    dragSvg = null;
    if (layoutEdit.cancel()) draw();
    return;
  }
  const hit = boxAt(event.target);
  const prompt = model.state?.prompt;
  if (!hit || !prompt || !isEditKey(event.key)) return;
  // Arrow keys would scroll the panel otherwise.
  event.preventDefault();
  if (layoutEdit.key(prompt, hit.id, event.key, event.shiftKey)) draw();
});

document.addEventListener('keyup', (event) => {
  if (isEditKey(event.key)) layoutEdit.commitKeys();
});

document.addEventListener('focusout', (event) => {
  // A held key whose release the box never saw (focus moved away) is saved all the same.
  if (boxAt(event.target) !== null) layoutEdit.commitKeys();
});

post({ type: 'ready' });
