// The preview webview's pure parts: state -> DOM description (test ids, statuses, escaping),
// the message reducer (stale and out-of-order messages dropped) and run-time validation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DetectionState, ImageView, PanelState, PromptView, RelationView, ToWebview } from '../../src/protocol/messages';
import { findAll, textOf, toMarkup, type VElement } from '../../media/vnode';
import { colourClass, highlighted, relationTargets, shownRelations } from '../../media/view';
import { initialModel, persistable, reduce, type WebviewModel } from '../../media/model';
import { parseToWebview } from '../../media/validate';
import { appTree, panelState } from './helpers/panelState';

function relation(over: Partial<RelationView> = {}): RelationView {
  return {
    index: 0,
    relation: 'left_of',
    phrase: 'to the left of',
    subject: 'o1',
    object: 'o2',
    label: 'cat to the left of dog',
    status: 'satisfied',
    checks: [
      { rule: 'visor', status: 'satisfied', detail: 'centre x 100 < 500', pair: null },
      { rule: 't2i-compbench', status: 'satisfied', detail: 'score 1.00', pair: null },
      { rule: 'geneval', status: 'satisfied', detail: 'dx -0.9', pair: null },
    ],
    ...over,
  };
}

function prompt(over: Partial<PromptView> = {}): PromptView {
  return {
    key: 'file:///a.prompts#0#abc',
    uri: 'file:///a.prompts',
    line: 0,
    fileName: 'a.prompts',
    text: 'a cat to the left of a dog',
    rewrite: 'A cat sits on the left. A dog is on the right of the cat.',
    objects: [
      { id: 'o1', noun: 'cat', phrase: 'a cat', count: 1 },
      { id: 'o2', noun: 'dog', phrase: 'a dog', count: 1 },
    ],
    relations: [relation()],
    layout: {
      width: 768,
      height: 768,
      boxes: [
        { id: 'b1', objectId: 'o1', noun: 'cat', x: 40, y: 300, w: 250, h: 250 },
        { id: 'b2', objectId: 'o2', noun: 'dog', x: 470, y: 300, w: 250, h: 250 },
      ],
    },
    layoutError: null,
    layoutEdit: null,
    ...over,
  };
}

function state(over: Partial<PanelState> = {}): PanelState {
  return panelState(prompt(), over);
}

function image(key: string, detection: DetectionState = { status: 'pending' }): ImageView {
  return {
    key,
    src: 'https://file+.vscode-resource.vscode-cdn.net/out/cat.png',
    fileName: 'cat.png',
    fileUri: 'file:///out/cat.png',
    width: 512,
    height: 512,
    origin: 'render',
    promptText: 'a cat to the left of a dog',
    details: [['seed', '42']],
    detection,
  };
}

const root = (s: PanelState): VElement => appTree(s);

test('layout boxes, prompt, rewrite and relations carry the integration-test hooks', () => {
  const tree = root(state());
  const boxes = findAll(tree, 'data-testid', 'layout-box');
  assert.deepEqual(
    boxes.map((b) => b.attrs['data-object']),
    ['o1', 'o2'],
  );
  assert.ok(boxes.every((b) => b.svg), 'layout boxes are SVG elements');
  assert.equal(textOf(findAll(tree, 'data-testid', 'prompt-text')[0]!), 'a cat to the left of a dog');
  assert.match(textOf(findAll(tree, 'data-testid', 'rewrite-text')[0]!), /^A cat sits on the left/);
  const rows = findAll(tree, 'data-testid', 'relation');
  assert.equal(rows.length, 1);
  assert.equal(rows[0]!.attrs['data-status'], 'satisfied');
  assert.equal(rows[0]!.attrs['data-targets'], 'o1 o2');
  assert.equal(findAll(tree, 'data-testid', 'preview-image').length, 0, 'no image before a render');
  assert.equal(findAll(tree, 'data-testid', 'first-run').length, 0, 'no first-run card with a model configured');
});

test('prompt text with markup stays text: escaped in markup, never an element', () => {
  const evil = '<img src=x onerror="alert(1)"> & a <b>cat</b>';
  const tree = root(state({ prompt: prompt({ text: evil, objects: [{ id: 'o1', noun: '<script>', phrase: 'x', count: 1 }], layout: { width: 100, height: 100, boxes: [{ id: 'b', objectId: 'o1', noun: '<script>', x: 1, y: 1, w: 5, h: 5 }] } }) }));
  assert.equal(textOf(findAll(tree, 'data-testid', 'prompt-text')[0]!), evil);
  const markup = toMarkup(tree);
  assert.ok(!markup.includes('<img src=x'), 'raw tag must not appear');
  assert.ok(!markup.includes('<script>'), 'raw script tag must not appear');
  assert.ok(markup.includes('&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; a &lt;b&gt;cat&lt;/b&gt;'));
  // Only the elements the view creates exist: no element named after data.
  const tags = new Set<string>();
  const walk = (n: VElement | string): void => {
    if (typeof n === 'string') return;
    tags.add(n.tag);
    n.children.forEach(walk);
  };
  walk(tree);
  assert.ok(!tags.has('script') && !tags.has('b'));
});

test('image view: detected boxes with label and score, relations judged on the image, toggles', () => {
  const det: DetectionState = {
    status: 'done',
    detector: 'NanoDet (COCO)',
    detections: [
      { label: 'cat', score: 0.91, x: 10, y: 20, w: 100, h: 80, objectId: 'o1' },
      { label: 'chair', score: 0.4, x: 200, y: 20, w: 50, h: 80, objectId: null },
    ],
    relations: [relation({ status: 'unknown', checks: [{ rule: 'visor', status: 'unknown', detail: "no 'dog' detected", pair: null }] })],
    notInVocabulary: [],
  };
  const s = state({ image: image('img-1', det) });
  const tree = root(s);
  const boxes = findAll(tree, 'data-testid', 'detected-box');
  assert.equal(boxes.length, 2);
  assert.deepEqual(
    boxes.map((b) => b.attrs['data-object']),
    ['o1', ''],
  );
  assert.ok(textOf(boxes[0]!).includes('cat 0.91'));
  assert.equal(findAll(tree, 'data-testid', 'preview-image')[0]!.attrs.src, image('x').src);
  assert.equal(findAll(tree, 'data-testid', 'relation')[0]!.attrs['data-status'], 'unknown');
  assert.equal(shownRelations(s).source, 'image');

  const noLabels = root({ ...s, view: { showBoxes: true, showLabels: false } });
  assert.ok(!textOf(findAll(noLabels, 'data-testid', 'detected-box')[0]!).includes('cat'));
  const noBoxes = root({ ...s, view: { showBoxes: false, showLabels: true } });
  assert.equal(findAll(noBoxes, 'data-testid', 'detected-box').length, 0);
});

test('relations fall back to the layout checks while detection is pending', () => {
  const s = state({ image: image('img-1') });
  assert.equal(shownRelations(s).source, 'layout');
  assert.equal(findAll(root(s), 'data-testid', 'detect-status').length, 1);
});

test('first-run card explains the model and the optimum export when no model is set', () => {
  const tree = root(state({ setup: { configured: false, modelPath: '', problem: null, ignoredUntrusted: true } }));
  const card = findAll(tree, 'data-testid', 'first-run')[0];
  assert.ok(card);
  const text = textOf(card);
  assert.match(text, /optimum-cli export onnx --model SPRIGHT-T2I\/spright-t2i-sd2/);
  assert.match(text, /sprightLens\.render\.modelPath/);
  assert.match(text, /not trusted/);
  assert.equal(findAll(card, 'data-action', 'selectModel').length, 1);
});

test('render progress shows the step and a cancel button bound to the request', () => {
  const tree = root(state({ render: { requestId: 'r1', promptKey: 'k', phase: 'denoising', step: 3, total: 25, useRewrite: false } }));
  const p = findAll(tree, 'data-testid', 'render-progress')[0]!;
  assert.equal(p.attrs['data-step'], '3');
  assert.match(textOf(p), /Step 3 of 25/);
  assert.equal(findAll(p, 'data-action', 'cancelRender')[0]!.attrs['data-request-id'], 'r1');
});

test('colours are stable per object and relation targets include between\'s second object', () => {
  assert.equal(colourClass(['a', 'b'], 'b'), 'c1');
  assert.equal(colourClass(['a', 'b'], 'zzz'), 'cx');
  assert.equal(colourClass(['a'], null), 'cx');
  assert.deepEqual(relationTargets({ subject: 'a', object: 'b', object2: 'c' }), ['a', 'b', 'c']);
});

test('batch grid pages and marks statuses', () => {
  const tree = root(
    state({
      batch: {
        runId: 'run1',
        title: 'a.prompts',
        state: 'running',
        total: 8,
        done: 3,
        failed: 1,
        etaMs: 65_000,
        page: 0,
        pageCount: 2,
        outputFolder: '/out',
        message: null,
        items: [
          { id: 'p1-0', promptId: '1', k: 0, variant: 'original', text: 'a cat', src: 'https://x/1_0.png', fileName: '1_0.png', statuses: ['satisfied', 'violated'], error: null },
          { id: 'p1-1', promptId: '1', k: 1, variant: 'rewrite', text: 'a cat', src: null, fileName: '1_1.png', statuses: [], error: 'out of memory' },
        ],
      },
    }),
  );
  assert.equal(findAll(tree, 'data-testid', 'batch-item').length, 2);
  const batchText = textOf(findAll(tree, 'data-testid', 'batch')[0]!);
  assert.match(batchText, /3 of 8 images, 1 failed/);
  assert.match(batchText, /about 1 min 5 s left/);
  assert.match(batchText, /out of memory/);
  const pager = findAll(tree, 'data-action', 'pageBatch');
  assert.deepEqual(
    pager.map((b) => [b.attrs['data-page'], 'disabled' in b.attrs]),
    [
      ['-1', true],
      ['1', false],
    ],
  );
});

// ---- reducer ----------------------------------------------------------------------------------

function apply(model: WebviewModel, ...msgs: ToWebview[]): WebviewModel {
  for (const m of msgs) model = reduce(model, m) ?? model;
  return model;
}

test('messages before init are dropped; init sets the state', () => {
  const m0 = initialModel();
  assert.equal(reduce(m0, { type: 'update', prompt: null, image: null, notice: null }), undefined);
  const m1 = reduce(m0, { type: 'init', state: state() });
  assert.equal(m1?.state?.prompt?.text, 'a cat to the left of a dog');
});

test('render progress: stale steps, other requests and late events after the result are dropped', () => {
  let m = apply(initialModel(), { type: 'init', state: state() });
  const progress = (requestId: string, phase: 'starting' | 'denoising', step: number): ToWebview => ({
    type: 'renderProgress',
    render: { requestId, promptKey: 'k', phase, step, total: 10, useRewrite: false },
  });
  m = apply(m, progress('r1', 'starting', 0), progress('r1', 'denoising', 4));
  assert.equal(m.state?.render?.step, 4);
  assert.equal(reduce(m, progress('r1', 'denoising', 2)), undefined, 'out-of-order step');
  assert.equal(reduce(m, progress('r0', 'denoising', 9)), undefined, 'step of another render');
  assert.equal(reduce(m, { type: 'renderResult', requestId: 'r0', image: image('i0') }), undefined, 'result of another render');
  m = apply(m, { type: 'renderResult', requestId: 'r1', image: image('i1') });
  assert.equal(m.state?.render, null);
  assert.equal(m.state?.image?.key, 'i1');
  assert.equal(reduce(m, progress('r1', 'denoising', 10)), undefined, 'late event of a finished render');
  assert.equal(reduce(m, progress('r1', 'starting', 0)), undefined, 'a finished id never restarts');
  const r2 = reduce(m, progress('r2', 'starting', 0));
  assert.equal(r2?.state?.render?.requestId, 'r2');
});

test('render error shows the setup card data and clears the progress', () => {
  let m = apply(initialModel(), { type: 'init', state: state() }, { type: 'renderProgress', render: { requestId: 'r1', promptKey: 'k', phase: 'starting', step: 0, total: 10, useRewrite: false } });
  m = apply(m, { type: 'renderError', requestId: 'r1', message: 'No model folder set.', cancelled: false, setup: { configured: false, modelPath: '', problem: null, ignoredUntrusted: false } });
  assert.equal(m.state?.render, null);
  assert.equal(m.state?.setup.configured, false);
  assert.equal(m.state?.notice, 'No model folder set.');
});

test('detections apply only to the image they were computed for', () => {
  let m = apply(initialModel(), { type: 'init', state: state({ image: image('i1') }) });
  const done: DetectionState = { status: 'done', detector: 'd', detections: [], relations: [], notInVocabulary: ['unicorn'] };
  assert.equal(reduce(m, { type: 'detections', imageKey: 'i0', detection: done }), undefined);
  m = apply(m, { type: 'detections', imageKey: 'i1', detection: done });
  assert.equal(m.state?.image?.detection.status, 'done');
});

test('save results need a pending request with the same id', () => {
  let m = apply(initialModel(), { type: 'init', state: state() });
  assert.equal(reduce(m, { type: 'saveResult', requestId: 's1', ok: true, fileName: 'a.png' }), undefined);
  m = { ...m, pendingSave: 's1' };
  m = apply(m, { type: 'saveResult', requestId: 's1', ok: false, message: 'disk full' });
  assert.equal(m.pendingSave, null);
  assert.equal(m.saveStatus, 'Could not save: disk full');
});

test('a running batch is not replaced by another run; persistable keeps where the panel points', () => {
  const batch = (runId: string, st: 'running' | 'finished') => ({ runId, title: '', state: st, total: 1, done: 0, failed: 0, etaMs: null, page: 0, pageCount: 1, items: [], outputFolder: '', message: null });
  let m = apply(initialModel(), { type: 'init', state: state({ image: image('i1') }) }, { type: 'batchPage', batch: batch('a', 'running') });
  assert.equal(reduce(m, { type: 'batchPage', batch: batch('b', 'running') }), undefined);
  m = apply(m, { type: 'batchPage', batch: batch('a', 'finished') }, { type: 'batchPage', batch: batch('b', 'running') });
  assert.equal(m.state?.batch?.runId, 'b');
  assert.deepEqual(persistable(m), { version: 1, view: { showBoxes: true, showLabels: true }, promptUri: 'file:///a.prompts', promptLine: 0, imageUri: 'file:///out/cat.png', batchRunId: 'b', batchPage: 0 });
});

// ---- validation -------------------------------------------------------------------------------

test('parseToWebview accepts well-formed messages and drops unknown or malformed ones', () => {
  assert.ok(parseToWebview({ type: 'init', state: state() }));
  assert.ok(parseToWebview({ type: 'detections', imageKey: 'i', detection: { status: 'pending' } }));
  assert.ok(parseToWebview(JSON.parse(JSON.stringify({ type: 'showImage', image: image('i') }))));
  for (const bad of [
    null,
    'init',
    { type: 'nope' },
    { type: 'toString' },
    { type: '__proto__' },
    { type: 'init' },
    { type: 'init', state: { ...state(), view: null } },
    { type: 'renderProgress', render: { requestId: 1 } },
    { type: 'renderResult', requestId: 'r', image: null },
    { type: 'detections', imageKey: 'i', detection: { status: 'done' } },
    { type: 'saveResult', requestId: 'r', ok: true },
    { type: 'update', prompt: { ...prompt(), relations: [{ index: 0 }] }, image: null, notice: null },
  ]) {
    assert.equal(parseToWebview(bad), undefined, JSON.stringify(bad));
  }
});

test('hovering a relation highlights the pair of boxes its verdict rests on, or all its boxes when none decides', () => {
  const det: DetectionState = {
    status: 'done',
    detector: 'NanoDet (COCO)',
    detections: [
      { label: 'cat', score: 0.9, x: 300, y: 10, w: 50, h: 50, objectId: 'o1' },
      { label: 'dog', score: 0.8, x: 150, y: 10, w: 50, h: 50, objectId: 'o2' },
      { label: 'cat', score: 0.6, x: 10, y: 10, w: 50, h: 50, objectId: 'o1' },
    ],
    relations: [
      relation({
        checks: [
          { rule: 'visor', status: 'satisfied', detail: 'cat 0.60 / dog 0.80: centre x 35.0 < 175.0', pair: [2, 1] },
          { rule: 't2i-compbench', status: 'violated', detail: 'position score 0.00', pair: [0, 1] },
          { rule: 'geneval', status: 'violated', detail: 'within the margin', pair: [0, 1] },
        ],
      }),
    ],
    notInVocabulary: [],
  };
  const tree = root(state({ image: image('img-1', det) }));
  const row = findAll(tree, 'data-testid', 'relation')[0]!;
  assert.equal(row.attrs['data-pair'], '2 1');
  assert.match(row.attrs.title!, /VISOR: satisfied \(cat 0\.60 \/ dog 0\.80: centre x 35\.0 < 175\.0\)/);
  const boxes = findAll(tree, 'data-testid', 'detected-box');
  assert.deepEqual(boxes.map((b) => b.attrs['data-det']), ['0', '1', '2']);
  const lit = boxes.map((b) => highlighted(b.attrs['data-object'] ?? null, b.attrs['data-det'] ?? null, row.attrs['data-targets']!, row.attrs['data-pair'] ?? null));
  // The winning pair only: the first cat stays dim although it is one of the relation's objects.
  assert.deepEqual(lit, [false, true, true]);
  // Under GenEval the row carries GenEval's pair.
  const g = findAll(root(state({ rule: 'geneval', image: image('img-1', det) })), 'data-testid', 'relation')[0]!;
  assert.equal(g.attrs['data-pair'], '0 1');
  // No single pair (a VISOR violation): every box of the relation's objects, and its chips.
  assert.deepEqual(boxes.map((b) => highlighted(b.attrs['data-object'] ?? null, b.attrs['data-det'] ?? null, 'o1 o2', null)), [true, true, true]);
  assert.equal(highlighted('o1', null, 'o1 o2', '2 1'), true, 'object chips and layout boxes follow the targets');
  assert.equal(highlighted('o3', null, 'o1 o2', '2 1'), false);
});
