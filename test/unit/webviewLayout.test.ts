// Layout editing in the preview webview, without a browser: box geometry under the mouse and the
// keyboard, the edit session's messages (live judgements while dragging, one at a time; the end
// of a drag or key press saved; Escape puts the boxes back), what the view draws for an editable
// layout (focusable boxes with labels, corner handles, violated boxes, stale layouts, the region
// guidance checkbox), and the messages both sides validate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EditLayoutMessage, LayoutEditView, PanelState, PromptView, RelationView, ResetLayoutMessage } from '../../src/protocol/messages';
import { dragBox, isEditKey, KEY_STEP, keyBox, LayoutEditSession, MIN_SIDE } from '../../media/layoutEdit';
import { initialModel, reduce } from '../../media/model';
import { parseToWebview } from '../../media/validate';
import { boxAriaLabel } from '../../media/view';
import { findAll, textOf, type VElement } from '../../media/vnode';
import { parseFromWebview } from '../../src/view/messageGuard';
import { appTree, panelState } from './helpers/panelState';

const canvas = { width: 768, height: 768 };

function relation(status: RelationView['status']): RelationView {
  return {
    index: 0,
    relation: 'left_of',
    phrase: 'to the left of',
    subject: 'cat',
    object: 'dog',
    label: 'cat to the left of dog',
    status,
    checks: [{ rule: 'visor', status, detail: 'centres', pair: null }],
  };
}

const EDITABLE: LayoutEditView = { source: 'planned', file: 'a.prompts.layout.json', staleFor: null, problem: null };

function prompt(over: Partial<PromptView> = {}): PromptView {
  return {
    key: 'file:///a.prompts#0#abc',
    uri: 'file:///a.prompts',
    line: 0,
    fileName: 'a.prompts',
    text: 'a cat to the left of a dog',
    rewrite: null,
    objects: [
      { id: 'cat', noun: 'cat', phrase: 'a cat', count: 1 },
      { id: 'dog', noun: 'dog', phrase: 'a dog', count: 1 },
    ],
    relations: [relation('satisfied')],
    layout: {
      width: 768,
      height: 768,
      boxes: [
        { id: 'cat', objectId: 'cat', noun: 'cat', x: 40, y: 300, w: 200, h: 200 },
        { id: 'dog', objectId: 'dog', noun: 'dog', x: 500, y: 300, w: 200, h: 200 },
      ],
    },
    layoutError: null,
    layoutEdit: EDITABLE,
    ...over,
  };
}

function state(over: Partial<PanelState> = {}): PanelState {
  return panelState(prompt(), over);
}

const tree = (s: PanelState, extras: Parameters<typeof appTree>[1] = {}): VElement => appTree(s, extras);

function session(): { s: LayoutEditSession; sent: Array<EditLayoutMessage | ResetLayoutMessage> } {
  const sent: Array<EditLayoutMessage | ResetLayoutMessage> = [];
  return { s: new LayoutEditSession((m) => sent.push(m)), sent };
}

const edits = (sent: Array<EditLayoutMessage | ResetLayoutMessage>): EditLayoutMessage[] => sent.filter((m): m is EditLayoutMessage => m.type === 'editLayout');

// ---- geometry ----------------------------------------------------------------------------------

test('dragging moves a box on the canvas, a corner resizes it, never off the canvas or below the minimum', () => {
  const b = { x: 100, y: 100, w: 200, h: 100 };
  assert.deepEqual(dragBox(b, 'move', 30.4, -20.6, canvas), { x: 130, y: 79, w: 200, h: 100 });
  assert.deepEqual(dragBox(b, 'move', 9999, -9999, canvas), { x: 568, y: 0, w: 200, h: 100 });
  assert.deepEqual(dragBox(b, 'se', 50, 20, canvas), { x: 100, y: 100, w: 250, h: 120 });
  assert.deepEqual(dragBox(b, 'nw', 50, 20, canvas), { x: 150, y: 120, w: 150, h: 80 });
  assert.deepEqual(dragBox(b, 'ne', 9999, -9999, canvas), { x: 100, y: 0, w: 668, h: 200 });
  assert.deepEqual(dragBox(b, 'sw', 9999, 0, canvas), { x: 300 - MIN_SIDE, y: 100, w: MIN_SIDE, h: 100 });
});

test('arrow keys move a box one latent pixel (8 px); with Shift they resize it', () => {
  const b = { x: 100, y: 100, w: 200, h: 100 };
  assert.equal(KEY_STEP, 8);
  assert.deepEqual(keyBox(b, 'ArrowLeft', false, canvas), { x: 92, y: 100, w: 200, h: 100 });
  assert.deepEqual(keyBox(b, 'ArrowDown', false, canvas), { x: 100, y: 108, w: 200, h: 100 });
  assert.deepEqual(keyBox(b, 'ArrowRight', true, canvas), { x: 100, y: 100, w: 208, h: 100 });
  assert.deepEqual(keyBox(b, 'ArrowUp', true, canvas), { x: 100, y: 100, w: 200, h: 92 });
  assert.deepEqual(keyBox({ x: 0, y: 0, w: 10, h: 10 }, 'ArrowLeft', false, canvas), { x: 0, y: 0, w: 10, h: 10 });
  assert.equal(keyBox(b, 'Enter', false, canvas), undefined);
  assert.deepEqual(['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown', 'a', 'Tab'].map(isEditKey), [true, true, true, true, false, false]);
});

// ---- the edit session ----------------------------------------------------------------------------

test('a drag asks for one judgement at a time, sends the moves made meanwhile as one, and saves its end', () => {
  const { s, sent } = session();
  const p = prompt();
  assert.equal(s.pointerDown(p, 'cat', 'move', { x: 100, y: 400 }), true);
  assert.equal(s.dragging, 'cat');
  assert.equal(sent.length, 0, 'pressing sends nothing');
  assert.equal(s.pointerMove({ x: 150, y: 400 }), true);
  assert.equal(s.pointerMove({ x: 300, y: 400 }), true);
  assert.equal(s.pointerMove({ x: 600, y: 400 }), true);
  // The first move is out; the next two wait for its answer.
  assert.deepEqual(edits(sent).map((m) => [m.seq, m.final, m.boxes[0]!.x]), [[1, false, 90]]);
  // The box is drawn where the pointer is, whatever the host has answered.
  assert.equal(s.boxesFor(p.key)?.[0]?.x, 540);
  assert.equal(s.boxesFor('another prompt'), null);
  s.answered(1);
  assert.deepEqual(edits(sent).map((m) => [m.seq, m.final, m.boxes[0]!.x]), [[1, false, 90], [2, false, 540]]);
  // Every box goes along, by id, in canvas pixels.
  assert.deepEqual(edits(sent)[1]!.boxes, [
    { id: 'cat', x: 540, y: 300, w: 200, h: 200 },
    { id: 'dog', x: 500, y: 300, w: 200, h: 200 },
  ]);
  // The release is sent at once, final, even with an answer outstanding.
  assert.equal(s.pointerUp(), true);
  assert.deepEqual(edits(sent).map((m) => [m.seq, m.final]), [[1, false], [2, false], [3, true]]);
  assert.equal(s.dragging, null);
  // The local boxes stay until the host has answered the final edit.
  s.answered(2);
  assert.notEqual(s.boxesFor(p.key), null);
  s.answered(3);
  assert.equal(s.boxesFor(p.key), null);
});

test('a click without a move saves nothing; Escape puts the boxes back and asks for their judgement', () => {
  const { s, sent } = session();
  const p = prompt();
  s.pointerDown(p, 'dog', 'se', { x: 700, y: 500 });
  assert.equal(s.pointerUp(), false);
  assert.equal(sent.length, 0);
  assert.equal(s.boxesFor(p.key), null);

  s.pointerDown(p, 'dog', 'se', { x: 700, y: 500 });
  s.pointerMove({ x: 760, y: 560 });
  assert.deepEqual(s.boxesFor(p.key)?.[1], { id: 'dog', objectId: 'dog', noun: 'dog', x: 500, y: 300, w: 260, h: 260 });
  s.answered(1);
  assert.equal(s.cancel(), true);
  assert.deepEqual(s.boxesFor(p.key)?.[1], p.layout!.boxes[1]);
  const last = edits(sent).at(-1)!;
  assert.deepEqual([last.final, last.boxes[1]], [false, { id: 'dog', x: 500, y: 300, w: 200, h: 200 }]);
  assert.ok(edits(sent).every((m) => !m.final), 'nothing saved');
});

test('arrow keys on a focused box judge each press and save on key up; a layout that cannot be edited is left alone', () => {
  const { s, sent } = session();
  const p = prompt();
  assert.equal(s.key(p, 'cat', 'ArrowRight', false), true);
  assert.equal(s.key(p, 'cat', 'ArrowRight', false), true);
  assert.equal(s.key(p, 'cat', 'ArrowDown', true), true);
  assert.deepEqual(s.boxesFor(p.key)?.[0], { id: 'cat', objectId: 'cat', noun: 'cat', x: 56, y: 300, w: 200, h: 208 });
  assert.deepEqual(edits(sent).map((m) => m.final), [false]);
  s.commitKeys();
  assert.deepEqual(edits(sent).map((m) => [m.final, m.boxes[0]!.x, m.boxes[0]!.h]), [
    [false, 48, 200],
    [true, 56, 208],
  ]);
  s.commitKeys();
  assert.equal(edits(sent).length, 2, 'nothing more to save');
  assert.equal(s.key(p, 'cat', 'a', false), false);

  const fixed = session();
  const noEdit = prompt({ layoutEdit: null });
  assert.equal(fixed.s.key(noEdit, 'cat', 'ArrowLeft', false), false);
  assert.equal(fixed.s.pointerDown(noEdit, 'cat', 'move', { x: 1, y: 1 }), false);
  assert.equal(fixed.sent.length, 0);
});

test('Keep saves a stale layout as shown; Reset forgets the saved one; another prompt drops the edit', () => {
  const { s, sent } = session();
  const p = prompt({ layoutEdit: { ...EDITABLE, source: 'edited', staleFor: 'a cat to the right of a dog' } });
  s.keep(p);
  assert.deepEqual(edits(sent).map((m) => [m.final, m.boxes.length]), [[true, 2]]);
  s.reset(p);
  assert.deepEqual(sent.at(-1), { type: 'resetLayout', promptKey: p.key, seq: 2 });
  s.key(p, 'cat', 'ArrowLeft', false);
  assert.notEqual(s.boxesFor(p.key), null);
  s.forget();
  assert.equal(s.boxesFor(p.key), null);
});

// ---- the view --------------------------------------------------------------------------------

test('an editable layout has focusable boxes with labels, corner handles and a visible focus ring', () => {
  const t = tree(state());
  const svg = findAll(t, 'data-testid', 'layout-svg')[0]!;
  assert.equal(svg.attrs['data-editable'], 'true');
  const boxes = findAll(t, 'data-testid', 'layout-box');
  assert.deepEqual(
    boxes.map((b) => [b.attrs.tabindex, b.attrs.role, b.attrs['aria-roledescription']]),
    [
      ['0', 'button', 'movable box'],
      ['0', 'button', 'movable box'],
    ],
  );
  assert.equal(boxes[0]!.attrs['aria-label'], 'cat box at x 40, y 300, 200 by 200 pixels. Arrow keys move it, Shift with arrow keys resizes it.');
  assert.deepEqual(findAll(boxes[0]!, 'data-handle').map((h) => h.attrs['data-handle']), ['nw', 'ne', 'sw', 'se']);
  assert.equal(findAll(boxes[0]!, 'class', 'focus-ring').length, 1);
  assert.match(textOf(t), /Saved in a\.prompts\.layout\.json\./);
  assert.equal(findAll(t, 'data-testid', 'render-with-layout').length, 1);
  // Counted instances say which one they are.
  assert.match(boxAriaLabel({ id: 'cat#2', objectId: 'cat', noun: 'cat', x: 1, y: 2, w: 3, h: 4 }, true), /^cat box 2 at x 1, y 2, 3 by 4 pixels, in a violated relation\./);
  // Without a layout file to edit (layoutEdit null) the layout is a picture, as before.
  const still = tree(state({ prompt: prompt({ layoutEdit: null }) }));
  assert.equal(findAll(still, 'data-testid', 'layout-svg')[0]!.attrs['data-editable'], undefined);
  assert.equal(findAll(still, 'tabindex', '0').filter((e) => e.attrs['data-testid'] === 'layout-box').length, 0);
  assert.equal(findAll(still, 'data-handle').length, 0);
});

test('boxes of a violated relation turn red; the edit under way is drawn; the layout checks sit by the layout once the image has its own', () => {
  const violated = state({ prompt: prompt({ relations: [relation('violated')] }) });
  const t = tree(violated, { layoutBoxes: [{ id: 'cat', objectId: 'cat', noun: 'cat', x: 600, y: 10, w: 100, h: 100 }, prompt().layout!.boxes[1]!], dragging: 'cat' });
  const boxes = findAll(t, 'data-testid', 'layout-box');
  assert.deepEqual(boxes.map((b) => b.attrs['data-violated']), ['true', 'true']);
  assert.match(boxes[0]!.attrs.class!, /\bviolated\b.*\bdragging\b/);
  assert.equal(findAll(boxes[0]!, 'class', 'frame')[0]!.attrs.x, '600');
  // No image: the relation list above is the layout's, so no second list here.
  assert.equal(findAll(t, 'data-testid', 'layout-check').length, 0);
  assert.equal(findAll(t, 'data-testid', 'relation')[0]!.attrs['data-status'], 'violated');
  const withImage = state({
    prompt: prompt({ relations: [relation('violated')] }),
    image: {
      key: 'i',
      src: 's',
      fileName: 'f.png',
      fileUri: 'file:///f.png',
      width: 64,
      height: 64,
      origin: 'render',
      promptText: 'a cat to the left of a dog',
      details: [],
      detection: { status: 'done', detector: 'NanoDet', detections: [], relations: [relation('unknown')], notInVocabulary: [] },
    },
  });
  const checks = findAll(tree(withImage), 'data-testid', 'layout-check');
  assert.deepEqual(checks.map((c) => [c.attrs['data-status'], textOf(c)]), [['violated', '\u2717 cat to the left of dog']]);
});

test('a stale layout says what it was drawn for and offers Re-plan and Keep; an edited one offers Reset', () => {
  const stale = tree(state({ prompt: prompt({ layoutEdit: { ...EDITABLE, source: 'edited', staleFor: 'a cat to the right of a dog' } }) }));
  const banner = findAll(stale, 'data-testid', 'layout-stale')[0]!;
  assert.match(textOf(banner), /This layout was drawn for a cat to the right of a dog; the prompt has changed since\./);
  assert.deepEqual(findAll(banner, 'data-action').map((b) => [b.attrs['data-action'], textOf(b)]), [
    ['resetLayout', 'Re-plan'],
    ['keepLayout', 'Keep this layout'],
  ]);
  const edited = tree(state({ prompt: prompt({ layoutEdit: { ...EDITABLE, source: 'edited' } }) }));
  assert.equal(textOf(findAll(edited, 'data-testid', 'layout-section')[0]!).startsWith('Your layout'), true);
  assert.deepEqual(findAll(edited, 'data-action', 'resetLayout').map(textOf), ['Reset to the planned layout']);
  const broken = tree(state({ prompt: prompt({ layoutEdit: { ...EDITABLE, problem: 'a.prompts.layout.json:3:4: bad' } }) }));
  assert.equal(textOf(findAll(broken, 'data-testid', 'layout-problem')[0]!), 'a.prompts.layout.json:3:4: bad');
  const unsaved = tree(state({ prompt: prompt({ layoutEdit: { ...EDITABLE, file: null } }) }));
  assert.match(textOf(unsaved), /Not saved: the prompt is not in a file on disk\./);
});

test('the Region guidance checkbox mirrors the setting', () => {
  const on = findAll(tree(state({ regionGuide: true })), 'data-testid', 'region-guide')[0]!;
  assert.equal(on.attrs.checked, '');
  assert.equal(on.attrs['data-action'], 'setRegionGuide');
  const off = findAll(tree(state({ regionGuide: false })), 'data-testid', 'region-guide')[0]!;
  assert.equal(off.attrs.checked, undefined);
});

// ---- messages ----------------------------------------------------------------------------------

test('layout answers apply to their prompt in order; older and other prompts\' answers are dropped', () => {
  const m0 = reduce(initialModel(), { type: 'init', state: state() })!;
  const moved = prompt({ relations: [relation('violated')] });
  const m1 = reduce(m0, { type: 'layoutUpdate', promptKey: moved.key, seq: 5, prompt: moved })!;
  assert.equal(m1.state?.prompt?.relations[0]?.status, 'violated');
  assert.equal(m1.layoutSeq, 5);
  assert.equal(reduce(m1, { type: 'layoutUpdate', promptKey: moved.key, seq: 4, prompt: prompt() }), undefined, 'older answer');
  assert.equal(reduce(m1, { type: 'layoutUpdate', promptKey: 'other', seq: 9, prompt: prompt({ key: 'other' }) }), undefined, 'another prompt');
  // Both sides validate the new messages at run time.
  assert.ok(parseToWebview(JSON.parse(JSON.stringify({ type: 'layoutUpdate', promptKey: 'k', seq: 1, prompt: moved }))));
  assert.equal(parseToWebview({ type: 'layoutUpdate', promptKey: 'k', seq: 1, prompt: { ...moved, layoutEdit: { source: 'drawn' } } }), undefined);
  assert.equal(parseToWebview({ type: 'init', state: { ...state(), regionGuide: 'yes' } }), undefined);
  const edit = { type: 'editLayout', promptKey: 'k', seq: 3, final: true, boxes: [{ id: 'cat', x: 1, y: 2, w: 3, h: 4 }] };
  assert.deepEqual(parseFromWebview(edit), edit);
  assert.equal(parseFromWebview({ ...edit, boxes: [{ id: 'cat', x: Number.NaN, y: 2, w: 3, h: 4 }] }), undefined);
  assert.equal(parseFromWebview({ ...edit, boxes: Array.from({ length: 97 }, (_, i) => ({ id: `b${i}`, x: 0, y: 0, w: 1, h: 1 })) }), undefined);
  assert.equal(parseFromWebview({ ...edit, seq: -1 }), undefined);
  assert.ok(parseFromWebview({ type: 'resetLayout', promptKey: 'k', seq: 0 }));
  assert.ok(parseFromWebview({ type: 'renderWithLayout' }));
  assert.ok(parseFromWebview({ type: 'setRegionGuide', value: true }));
  assert.equal(parseFromWebview({ type: 'setRegionGuide', value: 'on' }), undefined);
});
