// Webview entry (bundled to dist/media/preview.js as an IIFE). It only draws: it validates each
// host message, applies it with the pure reducer (model.ts), rebuilds the DOM from the pure view
// (view.ts) with createElement and text nodes, and turns clicks into FromWebview messages.
import type { FromWebview, PersistedWebviewState } from '../src/protocol/messages';
import { initialModel, persistable, reduce, type WebviewModel } from './model';
import { parseToWebview } from './validate';
import { highlighted, renderApp } from './view';
import type { VNode } from './vnode';

const SVG_NS = 'http://www.w3.org/2000/svg';

const vscode = acquireVsCodeApi<PersistedWebviewState>();
const app = document.getElementById('app');
let model: WebviewModel = initialModel();
let saveCounter = 0;

function post(msg: FromWebview): void {
  vscode.postMessage(msg);
}

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

function draw(): void {
  if (app === null || model.state === null) return;
  const nodes = renderApp(model.state, { saveStatus: model.saveStatus, saving: model.pendingSave !== null });
  app.replaceChildren(...nodes.map(materialize));
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
  const next = reduce(model, msg);
  if (next === undefined) return;
  model = next;
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
    default:
      break;
  }
});

document.addEventListener('change', (event) => {
  const input = event.target;
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

post({ type: 'ready' });
