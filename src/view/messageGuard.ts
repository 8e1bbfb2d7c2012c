/**
 * Run-time validation of messages from the webview. The webview is our own code, but its messages
 * cross a process boundary and drive file writes and commands, so anything that does not match the
 * protocol exactly is dropped.
 */
import type { FromWebview, FromWebviewType, PersistedWebviewState } from '../protocol/messages';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isId = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 512;
const isIndex = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < 1_000_000;
const isBool = (v: unknown): v is boolean => typeof v === 'boolean';

// Large enough for a 2048x2048 PNG with overlays, small enough to refuse nonsense.
export const MAX_DATA_URL_LENGTH = 64 * 1024 * 1024;

// The planner draws at most 96 boxes (MAX_BOXES) on canvases of at most 4096 pixels a side.
const MAX_EDIT_BOXES = 96;
const isCoord = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && Math.abs(v) <= 100_000;
const isBoxEdit = (b: unknown): boolean => isObj(b) && isId(b.id) && isCoord(b.x) && isCoord(b.y) && isCoord(b.w) && isCoord(b.h);

// A Record over the union's `type`s: adding a message type fails to compile until it is checked.
const CHECKS: Record<FromWebviewType, (m: Obj) => boolean> = {
  ready: () => true,
  toggle: (m) => (m.what === 'boxes' || m.what === 'labels') && isBool(m.value),
  selectRelation: (m) => isId(m.promptKey) && isIndex(m.index),
  requestSaveWithOverlays: (m) =>
    isId(m.requestId) && (m.pngDataUrl === undefined || (typeof m.pngDataUrl === 'string' && m.pngDataUrl.startsWith('data:image/png;base64,') && m.pngDataUrl.length <= MAX_DATA_URL_LENGTH)),
  pageBatch: (m) => isId(m.runId) && isIndex(m.page),
  openBatchItem: (m) => isId(m.runId) && isId(m.itemId),
  rerender: (m) => isBool(m.useRewrite),
  cancelRender: (m) => isId(m.requestId),
  pickImage: () => true,
  selectModel: () => true,
  openSettings: () => true,
  pickCandidate: (m) => isId(m.setId) && isIndex(m.index),
  editLayout: (m) => isId(m.promptKey) && isIndex(m.seq) && isBool(m.final) && Array.isArray(m.boxes) && m.boxes.length <= MAX_EDIT_BOXES && m.boxes.every(isBoxEdit),
  resetLayout: (m) => isId(m.promptKey) && isIndex(m.seq),
  renderWithLayout: () => true,
  setRegionGuide: (m) => isBool(m.value),
};

/** The message when it is a well-formed `FromWebview`, otherwise undefined (drop it). */
export function parseFromWebview(data: unknown): FromWebview | undefined {
  if (!isObj(data) || typeof data.type !== 'string' || !Object.prototype.hasOwnProperty.call(CHECKS, data.type)) return undefined;
  return CHECKS[data.type as FromWebviewType](data) ? (data as unknown as FromWebview) : undefined;
}

/**
 * The webview state VS Code hands back on reload, when it is one we wrote (same version, sane
 * fields); anything else is ignored and the panel starts fresh.
 */
export function parsePersistedState(data: unknown): PersistedWebviewState | undefined {
  if (!isObj(data) || data.version !== 1 || !isObj(data.view) || !isBool(data.view.showBoxes) || !isBool(data.view.showLabels)) return undefined;
  const strOrNull = (v: unknown): string | null => (typeof v === 'string' ? v : null);
  const promptLine = isIndex(data.promptLine) ? data.promptLine : null;
  return {
    version: 1,
    view: { showBoxes: data.view.showBoxes, showLabels: data.view.showLabels },
    promptUri: strOrNull(data.promptUri),
    promptLine,
    imageUri: strOrNull(data.imageUri),
    batchRunId: strOrNull(data.batchRunId),
    batchPage: isIndex(data.batchPage) ? data.batchPage : 0,
  };
}

/** Decodes a `data:image/png;base64,` URL; undefined when it is not one. */
export function decodePngDataUrl(url: string): Buffer | undefined {
  const prefix = 'data:image/png;base64,';
  if (!url.startsWith(prefix)) return undefined;
  const body = url.slice(prefix.length);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body)) return undefined;
  return Buffer.from(body, 'base64');
}
