// The preview webview's best-of strip: drawn from the host's records (marks, chosen, shown), its
// clicks bound to `pickCandidate`, stale strips dropped, messages validated; and the host's
// strip records from core scores.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CandidateStripView, CandidateView, PanelState, PromptView, ToWebview } from '../../src/protocol/messages';
import { findAll, textOf, toMarkup, type VElement } from '../../media/vnode';
import { appTree, panelState } from './helpers/panelState';
import { initialModel, reduce, type WebviewModel } from '../../media/model';
import { parseToWebview } from '../../media/validate';
import { parseFromWebview } from '../../src/view/messageGuard';
import { candidateSummary, judgedCandidate, pendingCandidate } from '../../src/view/candidateView';

const KEY = 'file:///a.prompts#0#abc';

function candidate(index: number, over: Partial<CandidateView> = {}): CandidateView {
  return {
    index,
    seed: 40 + index,
    src: `https://file+.vscode-resource.vscode-cdn.net/out/cat-${40 + index}.png`,
    fileName: `cat-${40 + index}.png`,
    state: 'done',
    scored: 1,
    satisfied: 0,
    found: 2,
    instances: 2,
    confidence: 0.5,
    message: null,
    ...over,
  };
}

function strip(over: Partial<CandidateStripView> = {}): CandidateStripView {
  return {
    setId: 'render-1',
    promptKey: KEY,
    n: 3,
    untilSatisfied: false,
    rule: 'visor',
    detector: 'NanoDet (COCO)',
    state: 'done',
    candidates: [candidate(0), candidate(1, { satisfied: 1, confidence: 0.8 }), candidate(2)],
    chosen: 1,
    shown: 1,
    ...over,
  };
}

const PROMPT: PromptView = {
  key: KEY,
  uri: 'file:///a.prompts',
  line: 0,
  fileName: 'a.prompts',
  text: 'a cat to the left of a dog',
  rewrite: null,
  objects: [],
  relations: [],
  layout: null,
  layoutError: 'none',
  layoutEdit: null,
};

const state = (over: Partial<PanelState> = {}): PanelState => panelState(PROMPT, over);
const root = (s: PanelState): VElement => appTree(s);

function apply(m: WebviewModel, ...msgs: ToWebview[]): WebviewModel {
  for (const msg of msgs) {
    const next = reduce(m, msg);
    assert.ok(next, `dropped ${msg.type}`);
    m = next;
  }
  return m;
}

test('the strip draws each candidate with its seed and ✓/✗ marks; the chosen is marked, the shown pressed', () => {
  const r = root(state({ candidates: strip() }));
  const [section] = findAll(r, 'data-testid', 'candidate-strip');
  assert.ok(section);
  assert.equal(section.attrs['data-set-id'], 'render-1');
  assert.match(textOf(section), /Best of 3 \(VISOR rule\)/);
  const items = findAll(r, 'data-testid', 'candidate');
  assert.equal(items.length, 3);
  assert.deepEqual(items.map((i) => textOf(i).replace(/\s+/g, ' ').trim()), ['seed 40 ✓0 ✗1', 'seed 41 ✓1 ✗0 best', 'seed 42 ✓0 ✗1']);
  assert.equal(items[1]!.attrs['data-chosen'], 'true');
  assert.equal(items[0]!.attrs['data-chosen'], undefined);
  const buttons = findAll(r, 'data-action', 'pickCandidate');
  assert.deepEqual(buttons.map((b) => [b.attrs['data-set-id'], b.attrs['data-index'], b.attrs['aria-pressed']]), [
    ['render-1', '0', 'false'],
    ['render-1', '1', 'true'],
    ['render-1', '2', 'false'],
  ]);
  assert.match(buttons[1]!.attrs.title ?? '', /seed 41: 1 of 1 relation satisfied, 2 of 2 objects found, confidence 0\.80 \(chosen\)/);
  assert.match(textOf(section), /Picked and scored by NanoDet \(COCO\): the same detector did both/);
});

test('candidates still rendering cannot be picked; a strip of another prompt is not drawn', () => {
  const running = strip({ state: 'running', candidates: [candidate(0), candidate(1, { state: 'rendering', src: null, fileName: null })], chosen: 0, shown: 0 });
  const r = root(state({ candidates: running }));
  const buttons = findAll(r, 'data-action', 'pickCandidate');
  assert.equal(buttons[1]!.attrs.disabled, '');
  assert.equal(buttons[0]!.attrs.disabled, undefined);
  assert.match(textOf(findAll(r, 'data-testid', 'candidate-strip')[0]!), /1 of 3 judged/);
  assert.match(textOf(buttons[1]!), /…/);
  // Until satisfied and stopped early: said so.
  const early = root(state({ candidates: strip({ untilSatisfied: true, candidates: [candidate(0, { satisfied: 1 })], chosen: 0, shown: 0 }) }));
  assert.match(textOf(findAll(early, 'data-testid', 'candidate-strip')[0]!), /stopped at 1 of 3: every relation satisfied/);
  assert.equal(findAll(root(state({ candidates: strip({ promptKey: 'other' }) })), 'data-testid', 'candidate-strip').length, 0);
  assert.equal(findAll(root(state({ candidates: null })), 'data-testid', 'candidate-strip').length, 0);
  assert.equal(findAll(root(state()), 'data-testid', 'candidate-strip').length, 0);
});

test('file names with markup stay text in the strip', () => {
  const hostile = strip({ detector: '<img src=x onerror=alert(1)>', candidates: [candidate(0, { fileName: '<b>x</b>.png' })], chosen: 0, shown: 0 });
  const markup = toMarkup(root(state({ candidates: hostile })));
  assert.ok(!markup.includes('<img src=x'));
  assert.ok(markup.includes('&lt;img src=x onerror=alert(1)&gt;'));
});

test('the reducer takes strips, keeps a running one against a late update of another run, and clears on null', () => {
  let m = apply(initialModel(), { type: 'init', state: state() });
  m = apply(m, { type: 'candidates', strip: strip({ setId: 'r2', state: 'running' }) });
  assert.equal(m.state?.candidates?.setId, 'r2');
  assert.equal(reduce(m, { type: 'candidates', strip: strip({ setId: 'r1', state: 'cancelled' }) }), undefined, 'a late update of an older run');
  m = apply(m, { type: 'candidates', strip: strip({ setId: 'r2', state: 'done', shown: 2 }) });
  assert.equal(m.state?.candidates?.shown, 2);
  m = apply(m, { type: 'candidates', strip: null });
  assert.equal(m.state?.candidates, null);
  // Progress of the next candidate starts again at step 1: not a stale step.
  const progress = (step: number, cand: number): ToWebview => ({ type: 'renderProgress', render: { requestId: 'r3', promptKey: KEY, phase: step === 0 ? 'starting' : 'denoising', step, total: 4, useRewrite: false, candidate: cand, candidates: 2 } });
  m = apply(m, progress(0, 0), progress(4, 0), progress(1, 1));
  assert.equal(m.state?.render?.candidate, 1);
  const stale: ToWebview = { type: 'renderProgress', render: { requestId: 'r3', promptKey: KEY, phase: 'denoising', step: 0, total: 4, useRewrite: false, candidate: 1, candidates: 2 } };
  assert.equal(reduce(m, stale), undefined, 'a lower step of the same candidate is stale');
  assert.match(textOf(findAll(root(m.state!), 'data-testid', 'render-progress')[0]!), /Rendering candidate 2 of 2: Step 1 of 4/);
});

test('strip messages are validated on both sides', () => {
  assert.ok(parseToWebview(JSON.parse(JSON.stringify({ type: 'candidates', strip: strip() }))));
  assert.ok(parseToWebview({ type: 'candidates', strip: null }));
  assert.ok(parseToWebview({ type: 'init', state: state({ candidates: strip() }) }));
  assert.equal(parseToWebview({ type: 'candidates', strip: { ...strip(), candidates: [{ index: 0 }] } }), undefined);
  assert.equal(parseToWebview({ type: 'candidates', strip: { ...strip(), chosen: '1' } }), undefined);
  assert.equal(parseToWebview({ type: 'init', state: { ...state(), candidates: { setId: 1 } } }), undefined);
  assert.deepEqual(parseFromWebview({ type: 'pickCandidate', setId: 'render-1', index: 2 }), { type: 'pickCandidate', setId: 'render-1', index: 2 });
  for (const bad of [{ type: 'pickCandidate', setId: '', index: 0 }, { type: 'pickCandidate', setId: 's', index: -1 }, { type: 'pickCandidate', setId: 's' }]) {
    assert.equal(parseFromWebview(bad), undefined, JSON.stringify(bad));
  }
});

test('the host turns core scores into strip records and one-line summaries', () => {
  const p = pendingCandidate(2, 44);
  assert.equal(p.state, 'rendering');
  assert.equal(candidateSummary(p), 'seed 44 · rendering');
  const done = judgedCandidate({ ...p, state: 'detecting', src: 's', fileName: 'f.png' }, { scored: 2, satisfied: 1, instances: 3, found: 2, confidence: 0.612, allSatisfied: false });
  assert.deepEqual([done.state, done.scored, done.satisfied, done.found, done.instances, done.src], ['done', 2, 1, 2, 3, 's']);
  assert.equal(candidateSummary(done), 'seed 44 · ✓1 ✗1 · 2/3 objects · confidence 0.61');
});
