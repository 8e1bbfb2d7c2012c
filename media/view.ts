/**
 * Panel state -> DOM description. Pure: no DOM access, so it runs in Node tests. Every piece of
 * prompt text ends up in a text node (see vnode.ts); nothing here builds markup strings.
 * Buttons carry `data-action` (and data attributes for arguments); preview.ts dispatches clicks.
 */
import type {
  BatchView,
  DetectionView,
  ImageView,
  LayoutView,
  ModelSetupView,
  PanelState,
  PromptView,
  RelationStatus,
  RelationView,
  RenderView,
  RuleName,
  ViewOptions,
} from '../src/protocol/messages';
import { h, s, type VElement, type VNode } from './vnode';

/** Local UI bits the view needs beyond the host state. */
export interface ViewExtras {
  saveStatus: string | null;
  saving: boolean;
}

const RULE_TITLES: Record<RuleName, string> = {
  visor: 'VISOR',
  't2i-compbench': 'T2I-CompBench',
  geneval: 'GenEval',
};

const STATUS_TEXT: Record<RelationStatus, string> = {
  satisfied: 'satisfied',
  violated: 'violated',
  unknown: 'object not found',
  unsupported: 'not scored',
};

const STATUS_MARK: Record<RelationStatus, string> = {
  satisfied: '\u2713',
  violated: '\u2717',
  unknown: '?',
  unsupported: '\u2013',
};

/** Number of colour classes in preview.css (`c0`..`c7`). */
export const PALETTE_SIZE = 8;

/** A stable colour class per object id, in the order objects appear in the prompt. */
export function colourClass(objectIds: readonly string[], id: string | null): string {
  if (id === null) return 'cx';
  const i = objectIds.indexOf(id);
  return i < 0 ? 'cx' : `c${i % PALETTE_SIZE}`;
}

/** Ids of the objects a relation involves: what hovering its row highlights. */
export function relationTargets(r: Pick<RelationView, 'subject' | 'object' | 'object2'>): string[] {
  return r.object2 === undefined ? [r.subject, r.object] : [r.subject, r.object, r.object2];
}

/**
 * The detected boxes a relation's verdict rests on under `rule` (positions in the image's
 * detections): what hovering its row highlights on the image. Null when no single pair decides.
 */
export function relationPair(r: Pick<RelationView, 'checks'>, rule: RuleName): [number, number] | null {
  return r.checks.find((c) => c.rule === rule)?.pair ?? null;
}

/**
 * Whether an element (its `data-object`, and `data-det` for a detected box) lights up while a
 * relation row (its `data-targets` and `data-pair`) is hovered: a detected box when it is one of
 * the pair, or, when no single pair decides, when it belongs to one of the relation's objects;
 * every other element (object chips, layout boxes) when it belongs to one of them.
 */
export function highlighted(object: string | null, det: string | null, targets: string | null, pair: string | null): boolean {
  const words = (s: string | null): string[] => (s ?? '').split(' ').filter((t) => t.length > 0);
  const inPair = words(pair);
  if (det !== null && inPair.length > 0) return inPair.includes(det);
  return words(targets).includes(object ?? '');
}

/** Relations to list: judged on the image when detection finished, else on the planned layout. */
export function shownRelations(state: PanelState): { source: 'image' | 'layout'; relations: RelationView[] } {
  const det = state.image?.detection;
  if (det?.status === 'done') return { source: 'image', relations: det.relations };
  return { source: 'layout', relations: state.prompt?.relations ?? [] };
}

function fmtEta(ms: number | null): string {
  if (ms === null) return 'estimating time left';
  const sec = Math.round(ms / 1000);
  if (sec < 60) return `about ${sec} s left`;
  const min = Math.floor(sec / 60);
  return `about ${min} min ${sec % 60} s left`;
}

/** Font size for labels drawn in a viewBox of this width (readable at panel scale). */
export function labelSize(canvasWidth: number): number {
  return Math.max(10, Math.round(canvasWidth / 40));
}

function boxLabel(x: number, y: number, text: string, size: number, cls: string): VNode[] {
  // The label sits above the box when there is room, otherwise inside its top edge.
  const ty = y - size * 0.3 >= size ? y - size * 0.3 : y + size;
  const approxWidth = text.length * size * 0.6 + size * 0.4;
  return [
    s('rect', { class: `label-bg ${cls}`, x: x, y: ty - size, width: approxWidth.toFixed(1), height: (size * 1.25).toFixed(1) }),
    s('text', { class: 'label-text', x: x + size * 0.2, y: ty - size * 0.05, 'font-size': size }, text),
  ];
}

/** The planned layout as an SVG: one labelled rect per box. */
export function layoutSvg(layout: LayoutView, objectIds: readonly string[], view: ViewOptions): VElement {
  const size = labelSize(layout.width);
  return s(
    'svg',
    {
      class: 'layout',
      viewBox: `0 0 ${layout.width} ${layout.height}`,
      role: 'img',
      'aria-label': `Planned layout, ${layout.boxes.length} boxes`,
      'data-testid': 'layout-svg',
    },
    s('rect', { class: 'canvas', x: 0, y: 0, width: layout.width, height: layout.height }),
    layout.boxes.map((b) =>
      s(
        'g',
        { class: `box ${colourClass(objectIds, b.objectId)}`, 'data-testid': 'layout-box', 'data-object': b.objectId, 'data-box': b.id },
        s('rect', { class: 'frame', x: b.x, y: b.y, width: b.w, height: b.h }),
        view.showLabels && boxLabel(b.x, b.y, b.noun, size, colourClass(objectIds, b.objectId)),
      ),
    ),
  );
}

/** Detected boxes as an SVG overlay in image pixels (laid over the `<img>` by CSS). */
export function detectionsSvg(image: ImageView, detections: readonly DetectionView[], objectIds: readonly string[], view: ViewOptions): VElement {
  const size = labelSize(image.width);
  return s(
    'svg',
    { class: 'overlay', viewBox: `0 0 ${image.width} ${image.height}`, preserveAspectRatio: 'none', 'aria-hidden': 'true' },
    view.showBoxes &&
      detections.map((d, i) =>
        s(
          'g',
          {
            class: `box ${colourClass(objectIds, d.objectId)}${d.objectId === null ? ' other' : ''}`,
            'data-testid': 'detected-box',
            'data-object': d.objectId ?? '',
            'data-det': i,
            'data-label': d.label,
          },
          s('rect', { class: 'frame', x: d.x, y: d.y, width: d.w, height: d.h }),
          view.showLabels && boxLabel(d.x, d.y, `${d.label} ${d.score.toFixed(2)}`, size, colourClass(objectIds, d.objectId)),
        ),
      ),
  );
}

function relationRow(r: RelationView, promptKey: string, rule: RuleName): VElement {
  const targets = relationTargets(r);
  const pair = relationPair(r, rule);
  return h(
    'li',
    {
      class: `relation ${r.status}`,
      'data-testid': 'relation',
      'data-status': r.status,
      'data-index': r.index,
      'data-targets': targets.join(' '),
      'data-pair': pair === null ? null : pair.join(' '),
      'data-action': 'selectRelation',
      'data-prompt-key': promptKey,
      tabindex: 0,
      title: r.checks.map((c) => `${RULE_TITLES[c.rule]}: ${STATUS_TEXT[c.status]} (${c.detail})`).join('\n'),
    },
    h('span', { class: 'mark', 'aria-hidden': 'true' }, STATUS_MARK[r.status]),
    h('span', { class: 'rel-label' }, r.label),
    h('span', { class: 'rel-status' }, STATUS_TEXT[r.status]),
    h(
      'span',
      { class: 'checks' },
      r.checks.map((c) => h('span', { class: `chip ${c.status}`, title: c.detail }, `${RULE_TITLES[c.rule]} ${STATUS_MARK[c.status]}`)),
    ),
  );
}

function relationsSection(state: PanelState): VElement | null {
  const prompt = state.prompt;
  if (prompt === null) return null;
  const { source, relations } = shownRelations(state);
  const heading = source === 'image' ? `Relations in the image (${RULE_TITLES[state.rule]} rule)` : `Relations in the planned layout (${RULE_TITLES[state.rule]} rule)`;
  return h(
    'section',
    { class: 'relations' },
    h('h2', {}, heading),
    relations.length === 0
      ? h('p', { class: 'muted' }, 'This prompt states no spatial relation.')
      : h('ul', { class: 'relation-list' }, relations.map((r) => relationRow(r, prompt.key, state.rule))),
  );
}

function progressView(r: RenderView): VElement {
  const phaseText: Record<RenderView['phase'], string> = {
    starting: 'Starting the renderer',
    loading: 'Loading the model',
    encoding: 'Encoding the prompt',
    denoising: `Step ${r.step} of ${r.total}`,
    decoding: 'Decoding the image',
    saving: 'Saving',
  };
  return h(
    'div',
    { class: 'progress', 'data-testid': 'render-progress', 'data-step': r.step, 'data-total': r.total, 'data-phase': r.phase },
    h('progress', { max: Math.max(1, r.total), value: r.phase === 'denoising' || r.phase === 'decoding' || r.phase === 'saving' ? r.step : null }),
    h('span', {}, `${r.useRewrite ? 'Rendering the rewrite' : 'Rendering'}: ${phaseText[r.phase]}`),
    h('button', { 'data-action': 'cancelRender', 'data-request-id': r.requestId }, 'Cancel'),
  );
}

/** The first-run card: what the model is, how to get it, where to point the setting. */
export function setupCard(setup: ModelSetupView): VElement {
  return h(
    'section',
    { class: 'setup', 'data-testid': 'first-run' },
    h('h2', {}, setup.configured ? 'The render model cannot be used' : 'Rendering needs a local model'),
    setup.problem !== null && h('p', { class: 'error' }, setup.problem),
    setup.ignoredUntrusted && h('p', { class: 'warning' }, 'The model folder set in this workspace is ignored because the workspace is not trusted. Trust the workspace, or set the folder in your user settings.'),
    h(
      'p',
      {},
      'SPRIGHT Lens renders with SPRIGHT (SPRIGHT-T2I/spright-t2i-sd2), Stable Diffusion 2.1 fine-tuned on spatially focused captions so that it follows left/right/above/below better. It runs on your machine with ONNX Runtime; nothing is downloaded for you.',
    ),
    h('p', {}, 'Export the model once with Hugging Face Optimum (Python), then point the setting sprightLens.render.modelPath at the folder:'),
    h('pre', {}, h('code', {}, 'pip install "optimum[onnxruntime]" diffusers\noptimum-cli export onnx --model SPRIGHT-T2I/spright-t2i-sd2 --task text-to-image spright-onnx')),
    h('p', { class: 'muted' }, 'Layouts, rewrites and image checks keep working without a model.'),
    h('div', { class: 'buttons' }, h('button', { 'data-action': 'selectModel' }, 'Select model folder\u2026'), h('button', { 'data-action': 'openSettings', class: 'secondary' }, 'Open settings')),
  );
}

function imageSection(state: PanelState, image: ImageView, objectIds: readonly string[], extras: ViewExtras): VElement {
  const det = image.detection;
  return h(
    'section',
    { class: 'image' },
    h('h2', {}, image.origin === 'render' ? 'Render' : image.origin === 'batch' ? 'Batch result' : 'Image', ': ', h('span', { class: 'file' }, image.fileName)),
    image.promptText !== (state.prompt?.text ?? '') && h('p', { class: 'muted judged' }, 'Judged against: ', h('q', {}, image.promptText)),
    h(
      'div',
      { class: 'stage' },
      h('img', { src: image.src, alt: image.promptText, width: image.width, height: image.height, 'data-testid': 'preview-image' }),
      det.status === 'done' && detectionsSvg(image, det.detections, objectIds, state.view),
    ),
    det.status === 'pending' && h('p', { class: 'muted', 'data-testid': 'detect-status' }, 'Detecting objects\u2026'),
    det.status === 'error' && h('p', { class: 'error', 'data-testid': 'detect-status' }, `Detection failed: ${det.message}`),
    det.status === 'done' &&
      h(
        'p',
        { class: 'muted', 'data-testid': 'detect-status' },
        `${det.detector}: ${det.detections.length} object${det.detections.length === 1 ? '' : 's'} detected.`,
        det.notInVocabulary.length > 0 && ` Not in the detector's vocabulary: ${det.notInVocabulary.join(', ')}.`,
      ),
    image.details.length > 0 && h('dl', { class: 'details' }, image.details.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
    h(
      'div',
      { class: 'buttons' },
      h('button', { 'data-action': 'save', disabled: extras.saving || det.status === 'pending' }, 'Save with overlays'),
      extras.saveStatus !== null && h('span', { class: 'save-status', role: 'status' }, extras.saveStatus),
    ),
  );
}

function batchSection(batch: BatchView): VElement {
  const stateText: Record<BatchView['state'], string> = {
    running: fmtEta(batch.etaMs),
    finished: 'finished',
    cancelled: 'cancelled',
    failed: 'failed',
  };
  return h(
    'section',
    { class: 'batch', 'data-testid': 'batch', 'data-run-id': batch.runId, 'data-state': batch.state },
    h('h2', {}, 'Batch: ', batch.title),
    h(
      'div',
      { class: 'batch-progress' },
      h('progress', { max: Math.max(1, batch.total), value: batch.done }),
      h('span', {}, `${batch.done} of ${batch.total} images${batch.failed > 0 ? `, ${batch.failed} failed` : ''} \u00b7 ${stateText[batch.state]}`),
    ),
    batch.message !== null && h('p', { class: 'error' }, batch.message),
    h('p', { class: 'muted' }, 'Output: ', batch.outputFolder),
    h(
      'ul',
      { class: 'grid' },
      batch.items.map((item) =>
        h(
          'li',
          { class: 'cell', 'data-testid': 'batch-item', 'data-item-id': item.id },
          item.src !== null
            ? h('button', { class: 'thumb', 'data-action': 'openBatchItem', 'data-run-id': batch.runId, 'data-item-id': item.id, title: item.text }, h('img', { src: item.src, alt: item.text }))
            : h('p', { class: 'error' }, item.error ?? 'failed'),
          h('span', { class: 'caption' }, `${item.promptId}_${item.k}${item.variant === 'rewrite' ? ' (rewrite)' : ''} `, item.statuses.map((st) => h('span', { class: `mark ${st}`, title: STATUS_TEXT[st] }, STATUS_MARK[st]))),
        ),
      ),
    ),
    batch.pageCount > 1 &&
      h(
        'nav',
        { class: 'pager' },
        h('button', { 'data-action': 'pageBatch', 'data-run-id': batch.runId, 'data-page': batch.page - 1, disabled: batch.page <= 0 }, 'Previous'),
        h('span', {}, `Page ${batch.page + 1} of ${batch.pageCount}`),
        h('button', { 'data-action': 'pageBatch', 'data-run-id': batch.runId, 'data-page': batch.page + 1, disabled: batch.page >= batch.pageCount - 1 }, 'Next'),
      ),
  );
}

function promptSection(prompt: PromptView, state: PanelState): VElement {
  const objectIds = prompt.objects.map((o) => o.id);
  return h(
    'section',
    { class: 'prompt' },
    h('p', { class: 'where muted' }, `${prompt.fileName}:${prompt.line + 1}`),
    h('p', { class: 'prompt-text', 'data-testid': 'prompt-text' }, prompt.text),
    h(
      'ul',
      { class: 'objects' },
      prompt.objects.map((o) => h('li', { class: `object ${colourClass(objectIds, o.id)}`, 'data-object': o.id }, o.count !== null && o.count !== 1 ? `${o.count} \u00d7 ${o.noun}` : o.noun)),
    ),
    h(
      'div',
      { class: 'toolbar' },
      h('button', { 'data-action': 'rerender', 'data-use-rewrite': 'false', disabled: state.render !== null }, 'Render preview'),
      h('button', { 'data-action': 'rerender', 'data-use-rewrite': 'true', disabled: state.render !== null || prompt.rewrite === null }, 'Render rewrite'),
      h('button', { 'data-action': 'pickImage', class: 'secondary' }, 'Check image\u2026'),
      h('label', {}, h('input', { type: 'checkbox', 'data-action': 'toggle', 'data-what': 'boxes', checked: state.view.showBoxes }), ' Boxes'),
      h('label', {}, h('input', { type: 'checkbox', 'data-action': 'toggle', 'data-what': 'labels', checked: state.view.showLabels }), ' Labels'),
    ),
  );
}

/** The whole panel for `state` (the content of `#app`). */
export function renderApp(state: PanelState, extras: ViewExtras): VNode[] {
  const prompt = state.prompt;
  const objectIds = prompt?.objects.map((o) => o.id) ?? [];
  const showSetup = !state.setup.configured || state.setup.problem !== null;
  return [
    state.notice !== null ? h('p', { class: 'notice', role: 'status', 'data-testid': 'notice' }, state.notice) : null,
    prompt === null
      ? h('p', { class: 'empty muted' }, 'Put the cursor on a prompt in a .prompt or .prompts file to see its layout and checks.')
      : promptSection(prompt, state),
    state.render !== null ? progressView(state.render) : null,
    state.image !== null ? imageSection(state, state.image, objectIds, extras) : null,
    relationsSection(state),
    prompt !== null
      ? h(
          'section',
          { class: 'layout-section' },
          h('h2', {}, 'Planned layout'),
          prompt.layout !== null ? layoutSvg(prompt.layout, objectIds, state.view) : h('p', { class: 'error', 'data-testid': 'layout-error' }, prompt.layoutError ?? 'No layout.'),
        )
      : null,
    prompt !== null
      ? h(
          'section',
          { class: 'rewrite' },
          h('h2', {}, 'SPRIGHT-style rewrite'),
          h('p', { class: 'rewrite-text', 'data-testid': 'rewrite-text' }, prompt.rewrite ?? 'No rewrite: resolve the conflicting relations first.'),
        )
      : null,
    state.batch !== null ? batchSection(state.batch) : null,
    showSetup ? setupCard(state.setup) : null,
  ].filter((n): n is VElement => n !== null);
}
