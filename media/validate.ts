/**
 * Run-time validation of messages arriving in the webview: the static types say what the host
 * sends, but a message that does not match (another extension version, a bug) must be dropped,
 * not half-drawn.
 */
import type { ToWebview, ToWebviewType } from '../src/protocol/messages';

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
const isStr = (v: unknown): v is string => typeof v === 'string';
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isBool = (v: unknown): v is boolean => typeof v === 'boolean';
const isStrOrNull = (v: unknown): boolean => v === null || isStr(v);

function isBoxLike(v: unknown): boolean {
  return isObj(v) && isNum(v.x) && isNum(v.y) && isNum(v.w) && isNum(v.h);
}

function isCheck(c: unknown): boolean {
  return isObj(c) && isStr(c.rule) && isStr(c.status) && isStr(c.detail) && (c.pair === null || (Array.isArray(c.pair) && c.pair.length === 2 && c.pair.every(isNum)));
}

function isRelationList(v: unknown): boolean {
  return (
    Array.isArray(v) &&
    v.every((r) => isObj(r) && isNum(r.index) && isStr(r.status) && isStr(r.label) && isStr(r.subject) && isStr(r.object) && Array.isArray(r.checks) && r.checks.every(isCheck))
  );
}

function isLayoutEdit(v: unknown): boolean {
  return v === null || (isObj(v) && (v.source === 'planned' || v.source === 'edited') && isStrOrNull(v.file) && isStrOrNull(v.staleFor) && isStrOrNull(v.problem));
}

function isPrompt(v: unknown): boolean {
  if (v === null) return true;
  if (!isObj(v)) return false;
  const layoutOk =
    v.layout === null ||
    (isObj(v.layout) && isNum(v.layout.width) && isNum(v.layout.height) && Array.isArray(v.layout.boxes) && v.layout.boxes.every((b) => isBoxLike(b) && isObj(b) && isStr(b.id) && isStr(b.objectId) && isStr(b.noun)));
  return (
    isStr(v.key) &&
    isStr(v.uri) &&
    isNum(v.line) &&
    isStr(v.text) &&
    isStrOrNull(v.rewrite) &&
    Array.isArray(v.objects) &&
    isRelationList(v.relations) &&
    layoutOk &&
    isStrOrNull(v.layoutError) &&
    isLayoutEdit(v.layoutEdit)
  );
}

function isDetection(v: unknown): boolean {
  if (!isObj(v)) return false;
  switch (v.status) {
    case 'pending':
      return true;
    case 'error':
      return isStr(v.message);
    case 'done':
      return isStr(v.detector) && Array.isArray(v.detections) && v.detections.every((d) => isBoxLike(d) && isObj(d) && isStr(d.label) && isNum(d.score)) && isRelationList(v.relations) && Array.isArray(v.notInVocabulary);
    default:
      return false;
  }
}

function isImage(v: unknown): boolean {
  if (v === null) return true;
  return isObj(v) && isStr(v.key) && isStr(v.src) && isStr(v.fileName) && isNum(v.width) && isNum(v.height) && isStr(v.promptText) && Array.isArray(v.details) && isDetection(v.detection);
}

function isRender(v: unknown): boolean {
  return isObj(v) && isStr(v.requestId) && isStr(v.promptKey) && isStr(v.phase) && isNum(v.step) && isNum(v.total) && isBool(v.useRewrite);
}

function isSetup(v: unknown): boolean {
  return isObj(v) && isBool(v.configured) && isStr(v.modelPath) && isStrOrNull(v.problem) && isBool(v.ignoredUntrusted);
}

function isBatch(v: unknown): boolean {
  return (
    isObj(v) &&
    isStr(v.runId) &&
    isStr(v.title) &&
    isStr(v.state) &&
    isNum(v.total) &&
    isNum(v.done) &&
    isNum(v.failed) &&
    (v.etaMs === null || isNum(v.etaMs)) &&
    isNum(v.page) &&
    isNum(v.pageCount) &&
    Array.isArray(v.items) &&
    v.items.every((i) => isObj(i) && isStr(i.id) && isStr(i.text) && isStrOrNull(i.src) && Array.isArray(i.statuses))
  );
}

function isCandidateStrip(v: unknown): boolean {
  return (
    isObj(v) &&
    isStr(v.setId) &&
    isStr(v.promptKey) &&
    isNum(v.n) &&
    isBool(v.untilSatisfied) &&
    isStr(v.rule) &&
    isStr(v.detector) &&
    isStr(v.state) &&
    (v.chosen === null || isNum(v.chosen)) &&
    (v.shown === null || isNum(v.shown)) &&
    Array.isArray(v.candidates) &&
    v.candidates.every(
      (c) =>
        isObj(c) &&
        isNum(c.index) &&
        isNum(c.seed) &&
        isStrOrNull(c.src) &&
        isStrOrNull(c.fileName) &&
        isStr(c.state) &&
        isNum(c.scored) &&
        isNum(c.satisfied) &&
        isNum(c.found) &&
        isNum(c.instances) &&
        isNum(c.confidence) &&
        isStrOrNull(c.message),
    )
  );
}

function isState(v: unknown): boolean {
  return (
    isObj(v) &&
    isStr(v.rule) &&
    isObj(v.view) &&
    isBool(v.view.showBoxes) &&
    isBool(v.view.showLabels) &&
    isPrompt(v.prompt) &&
    isImage(v.image) &&
    (v.render === null || isRender(v.render)) &&
    isSetup(v.setup) &&
    (v.batch === null || isBatch(v.batch)) &&
    isStrOrNull(v.notice) &&
    (v.candidates === undefined || v.candidates === null || isCandidateStrip(v.candidates)) &&
    isBool(v.regionGuide)
  );
}

// One checker per message type; a Record over the union's `type`s makes a new message type a
// compile error here until it is validated.
const CHECKS: Record<ToWebviewType, (m: Obj) => boolean> = {
  init: (m) => isState(m.state),
  update: (m) => isPrompt(m.prompt) && isImage(m.image) && isStrOrNull(m.notice),
  renderProgress: (m) => isRender(m.render),
  renderResult: (m) => isStr(m.requestId) && isImage(m.image) && m.image !== null,
  renderError: (m) => isStr(m.requestId) && isStr(m.message) && isBool(m.cancelled) && (m.setup === null || isSetup(m.setup)),
  showImage: (m) => isImage(m.image) && m.image !== null,
  detections: (m) => isStr(m.imageKey) && isDetection(m.detection),
  batchPage: (m) => isBatch(m.batch),
  saveResult: (m) => isStr(m.requestId) && (m.ok === true ? isStr(m.fileName) : m.ok === false && isStr(m.message)),
  candidates: (m) => m.strip === null || isCandidateStrip(m.strip),
  layoutUpdate: (m) => isStr(m.promptKey) && isNum(m.seq) && m.prompt !== null && isPrompt(m.prompt),
};

/** Returns the message when it is a well-formed `ToWebview`, otherwise undefined (drop it). */
export function parseToWebview(data: unknown): ToWebview | undefined {
  if (!isObj(data) || !isStr(data.type) || !Object.prototype.hasOwnProperty.call(CHECKS, data.type)) return undefined;
  const check = CHECKS[data.type as ToWebviewType];
  return check(data) ? (data as unknown as ToWebview) : undefined;
}
