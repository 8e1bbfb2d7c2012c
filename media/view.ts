/**
 * Panel state -> DOM description. Pure: no DOM access, so it runs in Node tests. Every piece of
 * prompt text ends up in a text node (see vnode.ts); nothing here builds markup strings.
 * Buttons carry `data-action` (and data attributes for arguments); preview.ts dispatches clicks.
 */
import type {
  BatchView,
  CandidateStripView,
  DetectionView,
  ImageView,
  LayoutBoxView,
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
import { CORNERS } from './layoutEdit';
import { h, s, type VElement, type VNode } from './vnode';

/** Local UI bits the view needs beyond the host state. */
export interface ViewExtras {
  saveStatus: string | null;
  saving: boolean;
  /** Boxes of a layout edit under way, drawn instead of the host's (layoutEdit.ts); null: none. */
  layoutBoxes?: LayoutBoxView[] | null;
  /** The box being dragged, if any. */
  dragging?: string | null;
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

/** How the layout SVG may be edited: off, or with the objects whose relations it violates marked. */
export interface LayoutSvgEditing {
  /** Object ids in a relation the layout violates (their boxes are drawn red). */
  violated: ReadonlySet<string>;
  /** The box being dragged, if any. */
  dragging: string | null;
}

/** What a screen reader says for a box: what it is, where, and how to move it. */
export function boxAriaLabel(b: LayoutBoxView, violated: boolean): string {
  return `${b.noun} box${b.id !== b.objectId ? ` ${b.id.slice(b.id.indexOf('#') + 1)}` : ''} at x ${b.x}, y ${b.y}, ${b.w} by ${b.h} pixels${violated ? ', in a violated relation' : ''}. Arrow keys move it, Shift with arrow keys resizes it.`;
}

/**
 * The layout as an SVG: one labelled rect per box. Editable, each box is focusable with an
 * accessible label and corner handles, and boxes in a violated relation are marked.
 */
export function layoutSvg(layout: LayoutView, objectIds: readonly string[], view: ViewOptions, editing: LayoutSvgEditing | null = null): VElement {
  const size = labelSize(layout.width);
  const handle = Math.max(6, Math.round(Math.min(layout.width, layout.height) / 48));
  return s(
    'svg',
    {
      class: `layout${editing ? ' editable' : ''}`,
      viewBox: `0 0 ${layout.width} ${layout.height}`,
      role: editing ? 'group' : 'img',
      'aria-label': `${editing ? 'Editable layout' : 'Planned layout'}, ${layout.boxes.length} boxes`,
      'data-testid': 'layout-svg',
      'data-editable': editing ? 'true' : null,
    },
    s('rect', { class: 'canvas', x: 0, y: 0, width: layout.width, height: layout.height }),
    layout.boxes.map((b) => {
      const violated = editing?.violated.has(b.objectId) ?? false;
      return s(
        'g',
        {
          class: `box ${colourClass(objectIds, b.objectId)}${violated ? ' violated' : ''}${editing?.dragging === b.id ? ' dragging' : ''}`,
          'data-testid': 'layout-box',
          'data-object': b.objectId,
          'data-box': b.id,
          'data-violated': editing ? String(violated) : null,
          tabindex: editing ? 0 : null,
          role: editing ? 'button' : null,
          'aria-roledescription': editing ? 'movable box' : null,
          'aria-label': editing ? boxAriaLabel(b, violated) : null,
        },
        s('rect', { class: 'frame', x: b.x, y: b.y, width: b.w, height: b.h }),
        editing && s('rect', { class: 'focus-ring', x: b.x, y: b.y, width: b.w, height: b.h }),
        view.showLabels && boxLabel(b.x, b.y, b.noun, size, colourClass(objectIds, b.objectId)),
        editing &&
          CORNERS.map((c) =>
            s('rect', {
              class: `handle ${c}`,
              'data-handle': c,
              x: (c.includes('w') ? b.x : b.x + b.w) - handle / 2,
              y: (c.includes('n') ? b.y : b.y + b.h) - handle / 2,
              width: handle,
              height: handle,
            }),
          ),
      );
    }),
  );
}

/** The layout section: the canvas (editable when it can be), where it is saved, its checks and actions. */
function layoutSection(state: PanelState, prompt: PromptView, objectIds: readonly string[], extras: ViewExtras): VElement {
  const edit = prompt.layoutEdit;
  const heading = edit?.source === 'edited' ? 'Your layout' : 'Planned layout';
  if (prompt.layout === null) {
    return h('section', { class: 'layout-section' }, h('h2', {}, heading), h('p', { class: 'error', 'data-testid': 'layout-error' }, prompt.layoutError ?? 'No layout.'));
  }
  const layout = { ...prompt.layout, boxes: extras.layoutBoxes ?? prompt.layout.boxes };
  const violated = new Set(prompt.relations.filter((r) => r.status === 'violated').flatMap(relationTargets));
  // The relations list above shows the image's verdicts once it has some: the layout's own then sit here.
  const checksHere = shownRelations(state).source === 'image' && prompt.relations.length > 0;
  return h(
    'section',
    { class: 'layout-section', 'data-testid': 'layout-section', 'data-source': edit?.source ?? 'planned' },
    h('h2', {}, heading),
    edit !== null && edit.staleFor !== null &&
      h(
        'div',
        { class: 'stale warning', role: 'status', 'data-testid': 'layout-stale' },
        h('p', {}, 'This layout was drawn for ', h('q', {}, edit.staleFor), '; the prompt has changed since.'),
        h('div', { class: 'buttons' }, h('button', { 'data-action': 'resetLayout' }, 'Re-plan'), h('button', { 'data-action': 'keepLayout', class: 'secondary' }, 'Keep this layout')),
      ),
    edit !== null && edit.problem !== null && h('p', { class: 'error', 'data-testid': 'layout-problem' }, edit.problem),
    layoutSvg(layout, objectIds, state.view, edit ? { violated, dragging: extras.dragging ?? null } : null),
    checksHere &&
      h(
        'ul',
        { class: 'layout-checks', 'aria-label': 'Relations on this layout' },
        prompt.relations.map((r) => h('li', { class: `chip ${r.status}`, 'data-testid': 'layout-check', 'data-status': r.status, 'data-index': r.index }, `${STATUS_MARK[r.status]} ${r.label}`)),
      ),
    edit &&
      h(
        'p',
        { class: 'muted hint' },
        'Drag a box to move it, a corner to resize it; or Tab to a box and use the arrow keys (Shift resizes). ',
        edit.file !== null ? `Saved in ${edit.file}.` : 'Not saved: the prompt is not in a file on disk.',
      ),
    h(
      'div',
      { class: 'buttons' },
      h('button', { 'data-action': 'renderWithLayout', 'data-testid': 'render-with-layout', disabled: state.render !== null }, 'Render with this layout'),
      edit?.source === 'edited' && edit.staleFor === null && h('button', { 'data-action': 'resetLayout', class: 'secondary' }, 'Reset to the planned layout'),
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
    h('span', {}, `${r.useRewrite ? 'Rendering the rewrite' : 'Rendering'}${r.candidate !== undefined ? ` candidate ${r.candidate + 1} of ${r.candidates ?? '?'}` : ''}: ${phaseText[r.phase]}`),
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

/**
 * The candidates of a best-of render: one button per candidate with its thumbnail, seed and ✓/✗
 * counts under the rule; the chosen one is marked, the shown one pressed. Clicking a finished
 * candidate asks the host to show it.
 */
export function candidateStrip(strip: CandidateStripView): VElement {
  const done = strip.candidates.filter((c) => c.state === 'done').length;
  const stateText: Record<CandidateStripView['state'], string> = {
    running: `${done} of ${strip.n} judged`,
    done: strip.candidates.length < strip.n ? `stopped at ${strip.candidates.length} of ${strip.n}: every relation satisfied` : `${strip.n} candidates`,
    cancelled: 'cancelled',
    failed: 'failed',
  };
  return h(
    'section',
    { class: 'candidates', 'data-testid': 'candidate-strip', 'data-set-id': strip.setId, 'data-state': strip.state },
    h('h2', {}, `Best of ${strip.n} (${RULE_TITLES[strip.rule]} rule)`, h('span', { class: 'muted' }, ` \u00b7 ${stateText[strip.state]}`)),
    h(
      'ul',
      { class: 'strip', role: 'list' },
      strip.candidates.map((c) => {
        const chosen = c.index === strip.chosen;
        const shown = c.index === strip.shown;
        const marks = c.state === 'done' ? `\u2713${c.satisfied} \u2717${c.scored - c.satisfied}` : c.state === 'error' ? 'failed' : c.state === 'rendering' ? 'rendering\u2026' : 'detecting\u2026';
        const title =
          c.state === 'done'
            ? `seed ${c.seed}: ${c.satisfied} of ${c.scored} relation${c.scored === 1 ? '' : 's'} satisfied, ${c.found} of ${c.instances} object${c.instances === 1 ? '' : 's'} found, confidence ${c.confidence.toFixed(2)}${chosen ? ' (chosen)' : ''}`
            : (c.message ?? `seed ${c.seed}`);
        return h(
          'li',
          { class: `candidate${chosen ? ' chosen' : ''}${shown ? ' shown' : ''}`, 'data-testid': 'candidate', 'data-index': c.index, 'data-state': c.state, 'data-chosen': chosen ? 'true' : null },
          h(
            'button',
            { class: 'thumb', 'data-action': 'pickCandidate', 'data-set-id': strip.setId, 'data-index': c.index, 'aria-pressed': shown ? 'true' : 'false', disabled: c.state !== 'done', title },
            c.src !== null ? h('img', { src: c.src, alt: `candidate ${c.index + 1}, seed ${c.seed}` }) : h('span', { class: 'placeholder' }, '\u2026'),
          ),
          h('span', { class: 'caption' }, `seed ${c.seed} `, h('span', { class: 'marks' }, marks), chosen ? h('span', { class: 'chosen-mark' }, ' best') : null),
        );
      }),
    ),
    h('p', { class: 'muted' }, `Picked and scored by ${strip.detector}: the same detector did both, so the marks favour its own pick.`),
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
      h(
        'label',
        { title: 'Render preview steers each object box of the layout with its own prompt (setting sprightLens.render.guide)' },
        h('input', { type: 'checkbox', 'data-action': 'setRegionGuide', 'data-testid': 'region-guide', checked: state.regionGuide }),
        ' Region guidance',
      ),
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
    state.candidates && prompt !== null && state.candidates.promptKey === prompt.key ? candidateStrip(state.candidates) : null,
    relationsSection(state),
    prompt !== null ? layoutSection(state, prompt, objectIds, extras) : null,
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
