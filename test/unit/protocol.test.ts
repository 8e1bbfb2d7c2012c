// Host side of the panel protocol: validation of webview messages and restored state, and the
// core -> view records (layout checks, detections judged per rule).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodePngDataUrl, parseFromWebview, parsePersistedState } from '../../src/view/messageGuard';
import { detectionView, layoutRelations, promptKey, promptView } from '../../src/view/panelView';
import { nounsOf, relationLabel } from '../../src/parser';
import type { ParsedPrompt } from '../../src/parser/types';
import type { LayoutResult } from '../../src/generator/types';
import { evaluateImage, promptFromParsed } from '../../src/evaluate/index';
import type { Detection } from '../../src/protocol/geometry';

test('parseFromWebview accepts each message type and drops malformed ones', () => {
  const good = [
    { type: 'ready' },
    { type: 'toggle', what: 'labels', value: false },
    { type: 'selectRelation', promptKey: 'k', index: 2 },
    { type: 'requestSaveWithOverlays', requestId: 's1' },
    { type: 'requestSaveWithOverlays', requestId: 's1', pngDataUrl: 'data:image/png;base64,iVBORw0KGgo=' },
    { type: 'pageBatch', runId: 'r', page: 0 },
    { type: 'openBatchItem', runId: 'r', itemId: 'i' },
    { type: 'rerender', useRewrite: true },
    { type: 'cancelRender', requestId: 'r1' },
    { type: 'pickImage' },
    { type: 'selectModel' },
    { type: 'openSettings' },
  ];
  for (const m of good) assert.deepEqual(parseFromWebview(m), m, JSON.stringify(m));
  const bad = [
    undefined,
    [],
    { type: 'hasOwnProperty' },
    { type: 'toggle', what: 'everything', value: true },
    { type: 'toggle', what: 'boxes', value: 'yes' },
    { type: 'selectRelation', promptKey: 'k', index: -1 },
    { type: 'selectRelation', promptKey: 'k', index: 1.5 },
    { type: 'requestSaveWithOverlays', requestId: '' },
    { type: 'requestSaveWithOverlays', requestId: 's', pngDataUrl: 'data:text/html;base64,PGI+' },
    { type: 'pageBatch', runId: 'r', page: '2' },
    { type: 'cancelRender' },
    { type: 'rerender' },
  ];
  for (const m of bad) assert.equal(parseFromWebview(m), undefined, JSON.stringify(m));
});

test('persisted state: only our version with sane fields is restored', () => {
  const ok = { version: 1, view: { showBoxes: false, showLabels: true }, promptUri: 'file:///a.prompts', promptLine: 3, imageUri: null, batchRunId: null, batchPage: 2 };
  assert.deepEqual(parsePersistedState(ok), ok);
  assert.equal(parsePersistedState({ ...ok, version: 2 }), undefined);
  assert.equal(parsePersistedState({ ...ok, view: { showBoxes: 1, showLabels: true } }), undefined);
  assert.deepEqual(parsePersistedState({ ...ok, promptLine: -4, batchPage: 'x', imageUri: 7 }), { ...ok, promptLine: null, batchPage: 0, imageUri: null });
});

test('decodePngDataUrl decodes base64 and refuses other payloads', () => {
  assert.deepEqual([...decodePngDataUrl('data:image/png;base64,AAEC')!], [0, 1, 2]);
  assert.equal(decodePngDataUrl('data:image/png;base64,<script>'), undefined);
  assert.equal(decodePngDataUrl('data:image/jpeg;base64,AAEC'), undefined);
});

const parsed: ParsedPrompt = {
  text: 'a cat to the left of a dog, a bird between the cat and a unicorn',
  objects: [
    { id: 'o1', noun: 'cat', phrase: 'a cat', count: 1, attributes: [], placements: [], details: [], span: [0, 5] },
    { id: 'o2', noun: 'dog', phrase: 'a dog', count: 1, attributes: [], placements: [], details: [], span: [21, 26] },
    { id: 'o3', noun: 'bird', phrase: 'a bird', count: 1, attributes: [], placements: [], details: [], span: [28, 34] },
    { id: 'o4', noun: 'unicorn', phrase: 'a unicorn', count: 1, attributes: [], placements: [], details: [], span: [55, 64] },
  ],
  relations: [
    { subject: 'o1', relation: 'left_of', object: 'o2', phrase: 'to the left of', span: [6, 20] },
    { subject: 'o3', relation: 'between', object: 'o1', object2: 'o4', phrase: 'between', span: [35, 42] },
    { subject: 'o4', relation: 'above', object: 'o2', phrase: 'above', span: [0, 0] },
  ],
  scene: [],
  diagnostics: [],
};

test('promptView: layout boxes, readable relations, statuses per chosen rule', () => {
  const layout: LayoutResult = {
    ok: true,
    layout: {
      width: 768,
      height: 768,
      boxes: [{ id: 'o1', objectId: 'o1', noun: 'cat', x: 0, y: 0, w: 10, h: 10 }],
      checks: [
        { relation: 0, visor: true, t2i: 0.2, geneval: true, satisfied: false },
        { relation: 1, visor: null, t2i: null, geneval: null, satisfied: true },
        { relation: 2, visor: false, t2i: 1, geneval: null, satisfied: false },
      ],
      placements: {},
    },
  };
  const visor = promptView({ uri: 'file:///a', line: 4, fileName: 'a', parsed, layout, rewrite: 'R', rule: 'visor' });
  assert.equal(visor.layout?.boxes.length, 1);
  assert.deepEqual(
    visor.relations.map((r) => r.status),
    ['satisfied', 'unsupported', 'violated'],
  );
  assert.equal(visor.relations[1]!.object2, 'o4');
  assert.equal(visor.relations[1]!.label, 'bird between cat and unicorn');
  const t2i = layoutRelations(parsed, layout.layout.checks, 't2i-compbench');
  assert.deepEqual(
    t2i.map((r) => r.status),
    ['violated', 'unsupported', 'satisfied'],
  );
  assert.equal(t2i[0]!.checks[1]!.detail, 'position score 0.20');
  const geneval = layoutRelations(parsed, layout.layout.checks, 'geneval');
  assert.deepEqual(
    geneval.map((r) => r.status),
    ['satisfied', 'unsupported', 'unsupported'],
  );
});

test('promptView: a conflict names the clashing relations and leaves no layout', () => {
  const v = promptView({ uri: 'u', line: 0, fileName: 'f', parsed, layout: { ok: false, conflicts: [[0, 2]], message: 'These relations cannot all hold.' }, rewrite: null, rule: 'visor' });
  assert.equal(v.layout, null);
  assert.equal(v.layoutError, 'These relations cannot all hold. Conflicting: "cat to the left of dog" and "unicorn above dog".');
  assert.ok(v.relations.every((r) => r.status === 'unknown'));
});

test('promptKey changes with line and text, not otherwise', () => {
  assert.equal(promptKey('u', 1, 'a cat'), promptKey('u', 1, 'a cat'));
  assert.notEqual(promptKey('u', 1, 'a cat'), promptKey('u', 2, 'a cat'));
  assert.notEqual(promptKey('u', 1, 'a cat'), promptKey('u', 1, 'a cab'));
  assert.equal(relationLabel(parsed.relations[0]!, 'phrase', nounsOf(parsed)), 'cat to the left of dog');
});

test('detectionView: detections tagged with objects; satisfied / violated / unknown / not in vocabulary', () => {
  const vocabulary = new Set(['cat', 'dog', 'bird', 'chair']);
  const labelFor = (noun: string): string | null => (vocabulary.has(noun) ? noun : null);
  const detections: Detection[] = [
    { label: 'dog', score: 0.8, x: 10, y: 10, w: 50, h: 50 },
    { label: 'cat', score: 0.9, x: 300, y: 10, w: 50, h: 50 },
    { label: 'chair', score: 0.5, x: 0, y: 200, w: 20, h: 20 },
  ];
  const evaluation = evaluateImage(promptFromParsed('p', parsed), detections, { labelFor });
  const state = detectionView({ parsed, detector: 'NanoDet', detections, evaluation, labelFor, rule: 'visor' });
  assert.equal(state.status, 'done');
  if (state.status !== 'done') return;
  assert.deepEqual(
    state.detections.map((d) => d.objectId),
    ['o2', 'o1', null],
  );
  // The cat is right of the dog: violated. between: never scored. unicorn: not in vocabulary.
  assert.deepEqual(
    state.relations.map((r) => r.status),
    ['violated', 'unsupported', 'unsupported'],
  );
  assert.match(state.relations[2]!.checks[0]!.detail, /"unicorn" is not in the detector's vocabulary/);
  assert.deepEqual(state.notInVocabulary, ['unicorn']);

  const noDog = detections.filter((d) => d.label !== 'dog');
  const e2 = evaluateImage(promptFromParsed('p', parsed), noDog, { labelFor });
  const s2 = detectionView({ parsed, detector: 'NanoDet', detections: noDog, evaluation: e2, labelFor, rule: 'geneval' });
  assert.equal(s2.status === 'done' && s2.relations[0]!.status, 'unknown');
  assert.equal(s2.status === 'done' && s2.relations[0]!.checks[0]!.detail, 'not found: dog');
});

test('detectionView: each check names the boxes its verdict rests on, and carries them as the pair', () => {
  const labelFor = (noun: string): string | null => (['cat', 'dog'].includes(noun) ? noun : null);
  // Two cats: the first (more confident) right of the dog, the second left of it.
  const detections: Detection[] = [
    { label: 'cat', score: 0.9, x: 300, y: 10, w: 50, h: 50 },
    { label: 'dog', score: 0.8, x: 150, y: 10, w: 50, h: 50 },
    { label: 'cat', score: 0.6, x: 10, y: 10, w: 50, h: 50 },
  ];
  const evaluation = evaluateImage(promptFromParsed('p', parsed), detections, { labelFor });
  const state = detectionView({ parsed, detector: 'NanoDet', detections, evaluation, labelFor, rule: 'visor' });
  assert.ok(state.status === 'done');
  const [visor, t2i, geneval] = state.relations[0]!.checks;
  // VISOR: any pair counts; the second cat with the dog satisfies it.
  assert.equal(state.relations[0]!.status, 'satisfied');
  assert.deepEqual(visor!.pair, [2, 1]);
  assert.equal(visor!.detail, 'cat 0.60 / dog 0.80: centre x 35.0 < 175.0 (any pair of boxes counts)');
  // T2I-CompBench and GenEval look at the first / top cat only: violated, and they say which.
  assert.deepEqual(t2i!.pair, [0, 1]);
  assert.equal(t2i!.status, 'violated');
  assert.match(t2i!.detail, /^first boxes cat 0\.90 \/ dog 0\.80: position score 0\.00$/);
  assert.deepEqual(geneval!.pair, [0, 1]);
  assert.match(geneval!.detail, /^boxes cat 0\.90 \/ dog 0\.80: within the margin or wrong side$/);

  // No pair holds: VISOR names none and says how many it tried.
  const right = detections.filter((_, i) => i !== 2);
  const e2 = evaluateImage(promptFromParsed('p', parsed), right, { labelFor });
  const s2 = detectionView({ parsed, detector: 'NanoDet', detections: right, evaluation: e2, labelFor, rule: 'visor' });
  assert.ok(s2.status === 'done');
  assert.equal(s2.relations[0]!.checks[0]!.pair, null);
  assert.equal(s2.relations[0]!.checks[0]!.detail, 'no pair of the 1 cat × 1 dog boxes (1 pair) has centre x <');
});
