/**
 * The one message protocol between the extension host and the preview panel webview
 * (media/preview.ts). Both sides import it with `import type`; it holds plain JSON-safe data
 * only. The host computes everything (layout, checks, detections); the webview only draws.
 *
 * Conventions: every message is a discriminated union member on `type`; the receiver validates
 * `type` at run time and drops unknown messages; long-running work is matched by `requestId`
 * (renders, saves) or `runId` (batches) or `key` (prompts and images), and a message whose id is
 * not the current one is stale and dropped.
 */
import type { Box, Detection } from './geometry';

/** Which benchmark rule judges relations (setting `sprightLens.evaluate.rule`). */
export type RuleName = 'visor' | 't2i-compbench' | 'geneval';

/**
 * Outcome of one relation under one rule: `unknown` = an object was not found in the image,
 * `unsupported` = the rule does not score this relation, or an object is not in the detector's
 * vocabulary.
 */
export type RelationStatus = 'satisfied' | 'violated' | 'unknown' | 'unsupported';

/** One rule's verdict on one relation, with a short human-readable reason. */
export interface RuleCheck {
  rule: RuleName;
  status: RelationStatus;
  /** Why, naming the boxes: "dog 0.91 / cat 0.80: centre x 24.0 < 48.0", "no 'dog' detected". */
  detail: string;
  /**
   * The two detected boxes the verdict rests on, as positions in the image's `detections`
   * (subject's, object's): VISOR's satisfying pair, T2I-CompBench's first boxes, GenEval's failing
   * (or top) pair. Null on the planned layout, and when no single pair decides (no VISOR pair holds).
   */
  pair: [subject: number, object: number] | null;
}

/** One object of the prompt, as the panel lists it. */
export interface ObjectView {
  /** The parser's object id (stable for the same text). */
  id: string;
  noun: string;
  /** The noun phrase as written. */
  phrase: string;
  count: number | null;
}

/** One stated relation of the prompt with its checks. */
export interface RelationView {
  /** Index into the parser's `relations` (used by `selectRelation`). */
  index: number;
  /** Relation type, e.g. `left_of`. */
  relation: string;
  /** The relation words as written. */
  phrase: string;
  /** Object ids: subject, reference object, and the second reference for `between`. */
  subject: string;
  object: string;
  object2?: string;
  /** Readable form, e.g. "cat to the left of dog". */
  label: string;
  /** Verdict under the chosen rule (drives `data-status`). */
  status: RelationStatus;
  /** Verdicts under every rule, for the tooltip and details. */
  checks: RuleCheck[];
}

/** One planned box (one instance of a prompt object). */
export interface LayoutBoxView extends Box {
  id: string;
  objectId: string;
  noun: string;
}

/** The planned layout on its canvas. */
export interface LayoutView {
  width: number;
  height: number;
  boxes: LayoutBoxView[];
}

/**
 * Where the layout the panel shows comes from, and whether edits to it can be saved. The layout
 * file is `<prompt file>.layout.json` beside the prompt file (src/generator/layoutFile.ts).
 */
export interface LayoutEditView {
  /** `planned`: the planner's layout; `edited`: boxes drawn by hand (saved in `file`). */
  source: 'planned' | 'edited';
  /** The layout file's name, or null when the prompt is not in a file on disk (edits stay in the panel). */
  file: string | null;
  /**
   * Set when the saved layout was drawn for other words: the prompt text it was drawn for. The
   * panel says so and offers to re-plan; editing (or keeping) it saves it for the new words.
   */
  staleFor: string | null;
  /** What is wrong, in one line (a layout file that cannot be read or written, saved boxes left out); null when all is well. */
  problem: string | null;
}

/** Everything the panel shows about the prompt under the cursor. */
export interface PromptView {
  /** Identity of this prompt: document URI + line + text hash; stale messages compare it. */
  key: string;
  /** Document URI (string form) and zero-based line. */
  uri: string;
  line: number;
  /** File name for the header, not a path. */
  fileName: string;
  text: string;
  /** SPRIGHT-style rewrite; null when the prompt could not be rewritten (see `layoutError`). */
  rewrite: string | null;
  objects: ObjectView[];
  /** Relations judged on the planned layout. */
  relations: RelationView[];
  layout: LayoutView | null;
  /** Why there is no layout (e.g. the conflicting relations); null when planned. */
  layoutError: string | null;
  /** How the shown layout relates to the layout file; null when there is no layout to edit. */
  layoutEdit: LayoutEditView | null;
}

/** A detected box matched (or not) to a prompt object. */
export interface DetectionView extends Detection {
  /** The prompt object this detection stands for (best match), or null for other detections. */
  objectId: string | null;
}

/** Detection on the shown image: pending, finished, or failed. */
export type DetectionState =
  | { status: 'pending' }
  | {
      status: 'done';
      /** Detector name for the header, e.g. "NanoDet (COCO)". */
      detector: string;
      detections: DetectionView[];
      /** Relations judged on the detections under every rule. */
      relations: RelationView[];
      /** Prompt nouns the detector cannot know (not in its vocabulary). */
      notInVocabulary: string[];
    }
  | { status: 'error'; message: string };

/** An image shown in the panel: a render, a picked file, or a batch result. */
export interface ImageView {
  /** Identity of this image (unique per panel session); `detections` messages compare it. */
  key: string;
  /** A webview URI (asWebviewUri) for `<img src>`. */
  src: string;
  /** File name for the header. */
  fileName: string;
  /** The image's file URI (string form), kept in the webview state so a reload can restore it. */
  fileUri: string;
  width: number;
  height: number;
  origin: 'render' | 'file' | 'batch';
  /** The prompt text the image is judged against (the rewrite when it was rendered from it). */
  promptText: string;
  /** Render parameters shown under the image (seed, steps, scheduler, model...), if known. */
  details: Array<[name: string, value: string]>;
  detection: DetectionState;
}

/** Phases of one render, in order. */
export type RenderPhase = 'starting' | 'loading' | 'encoding' | 'denoising' | 'decoding' | 'saving';

/** A render in progress. */
export interface RenderView {
  requestId: string;
  /** The prompt key the render belongs to. */
  promptKey: string;
  phase: RenderPhase;
  step: number;
  total: number;
  useRewrite: boolean;
  /** Best-of renders: the candidate being rendered (from 0) and how many there are at most. */
  candidate?: number;
  candidates?: number;
}

/** What the panel knows about the render model (drives the first-run card). */
export interface ModelSetupView {
  /** True when `sprightLens.render.modelPath` points at something. */
  configured: boolean;
  /** The configured folder (display only). */
  modelPath: string;
  /** Why the model cannot be used (missing folder, bad file...), or null. */
  problem: string | null;
  /** True when a workspace value was ignored because the workspace is untrusted. */
  ignoredUntrusted: boolean;
}

/** One finished (or failed) image of a batch, for the results grid. */
export interface BatchItemView {
  /** Unique within the run (prompt id, variant and image index). */
  id: string;
  promptId: string;
  k: number;
  variant: 'original' | 'rewrite';
  text: string;
  /** Webview URI of the image; null when it failed. */
  src: string | null;
  fileName: string;
  /** Verdict of each relation under the chosen rule. */
  statuses: RelationStatus[];
  error: string | null;
}

/** A batch run and one page of its results. */
export interface BatchView {
  runId: string;
  /** "prompts.prompts (12 prompts x 4 images)". */
  title: string;
  state: 'running' | 'finished' | 'cancelled' | 'failed';
  total: number;
  done: number;
  failed: number;
  /** Estimated time left, or null until it can be estimated. */
  etaMs: number | null;
  /** Zero-based page shown and how many there are. */
  page: number;
  pageCount: number;
  items: BatchItemView[];
  /** Output folder (display), and an error when the run failed. */
  outputFolder: string;
  message: string | null;
}

/** View toggles; kept by the host too so that "Save with overlays" draws what the user sees. */
export interface ViewOptions {
  showBoxes: boolean;
  showLabels: boolean;
}

/** The whole panel state, sent in `init`. */
export interface PanelState {
  rule: RuleName;
  view: ViewOptions;
  prompt: PromptView | null;
  image: ImageView | null;
  render: RenderView | null;
  setup: ModelSetupView;
  batch: BatchView | null;
  /** A one-line notice (e.g. "Not a prompt line"), or null. */
  notice: string | null;
  /** The candidates of the last best-of render; absent or null without one. */
  candidates?: CandidateStripView | null;
  /** Whether Render preview steers the picture with the layout (setting `sprightLens.render.guide`). */
  regionGuide: boolean;
}

// ---- host -> webview --------------------------------------------------------------------------

/** Host -> webview: the full state; answers `ready` and is re-sent when settings change. */
export interface InitMessage {
  type: 'init';
  state: PanelState;
}

/** Host -> webview: the cursor moved to another prompt (or off prompts: `prompt: null`). */
export interface UpdateMessage {
  type: 'update';
  prompt: PromptView | null;
  /** The image that belongs to the new prompt (its last render), or null. */
  image: ImageView | null;
  notice: string | null;
}

/** Host -> webview: a render advanced (phase change or one denoising step). */
export interface RenderProgressMessage {
  type: 'renderProgress';
  render: RenderView;
}

/** Host -> webview: a render finished and was saved; detection starts (`detection: pending`). */
export interface RenderResultMessage {
  type: 'renderResult';
  requestId: string;
  image: ImageView;
}

/** Host -> webview: a render failed or was cancelled. */
export interface RenderErrorMessage {
  type: 'renderError';
  requestId: string;
  message: string;
  cancelled: boolean;
  /** Present when the failure is about the model setup (shows the first-run card). */
  setup: ModelSetupView | null;
}

/** Host -> webview: an image was shown without a render (picked file, batch item). */
export interface ShowImageMessage {
  type: 'showImage';
  image: ImageView;
}

/** Host -> webview: detection on image `imageKey` finished or failed. */
export interface DetectionsMessage {
  type: 'detections';
  imageKey: string;
  detection: DetectionState;
}

/** Host -> webview: a batch advanced, or the page the webview asked for. */
export interface BatchPageMessage {
  type: 'batchPage';
  batch: BatchView;
}

/** Host -> webview: answer to `requestSaveWithOverlays`. */
export type SaveResultMessage =
  | { type: 'saveResult'; requestId: string; ok: true; fileName: string }
  | { type: 'saveResult'; requestId: string; ok: false; message: string };

/**
 * Host -> webview: the answer to `editLayout` or `resetLayout` number `seq` of prompt `promptKey`:
 * the prompt with the layout as the host took it (rounded, kept on the canvas), its relations
 * judged on it, and where it is saved. An answer older than one already applied is stale.
 */
export interface LayoutUpdateMessage {
  type: 'layoutUpdate';
  promptKey: string;
  seq: number;
  prompt: PromptView;
}

/** Every message the host sends to the webview. */
export type ToWebview =
  | InitMessage
  | UpdateMessage
  | RenderProgressMessage
  | RenderResultMessage
  | RenderErrorMessage
  | ShowImageMessage
  | DetectionsMessage
  | BatchPageMessage
  | SaveResultMessage
  | CandidatesMessage
  | LayoutUpdateMessage;

/** Every `type` of `ToWebview`, for run-time validation. */
export type ToWebviewType = ToWebview['type'];

// ---- webview -> host --------------------------------------------------------------------------

/** Webview -> host: the script is listening; the host answers with `init`. */
export interface ReadyMessage {
  type: 'ready';
}

/** Webview -> host: the user flipped a view toggle. */
export interface ToggleMessage {
  type: 'toggle';
  what: 'boxes' | 'labels';
  value: boolean;
}

/** Webview -> host: the user clicked a relation; the host selects its words in the editor. */
export interface SelectRelationMessage {
  type: 'selectRelation';
  promptKey: string;
  index: number;
}

/**
 * Webview -> host: save the shown image with its overlays next to it. `pngDataUrl` is an
 * optional rendering by the webview; without it the host draws the overlays itself.
 */
export interface RequestSaveWithOverlaysMessage {
  type: 'requestSaveWithOverlays';
  requestId: string;
  pngDataUrl?: string;
}

/** Webview -> host: show another page of batch `runId`. */
export interface PageBatchMessage {
  type: 'pageBatch';
  runId: string;
  page: number;
}

/** Webview -> host: show one batch result large, with its detections. */
export interface OpenBatchItemMessage {
  type: 'openBatchItem';
  runId: string;
  itemId: string;
}

/** Webview -> host: render the current prompt (again), as written or as its rewrite. */
export interface RerenderMessage {
  type: 'rerender';
  useRewrite: boolean;
}

/** Webview -> host: cancel render `requestId`. */
export interface CancelRenderMessage {
  type: 'cancelRender';
  requestId: string;
}

/** Webview -> host: pick an image file to check against the current prompt. */
export interface PickImageMessage {
  type: 'pickImage';
}

/** Webview -> host: the first-run card's "Select model folder" button. */
export interface SelectModelMessage {
  type: 'selectModel';
}

/** Webview -> host: open the SPRIGHT Lens settings. */
export interface OpenSettingsMessage {
  type: 'openSettings';
}

/** One box of an edited layout: a layout box id and where it now is, in canvas pixels. */
export interface BoxEdit {
  id: string;
  x: number;
  y: number;
  w: number;
  h: number;
}

/**
 * Webview -> host: the layout's boxes after a move or resize (every box, by id). While a drag or a
 * held key goes on `final` is false and the host only judges the relations (answering with
 * `layoutUpdate`); when it ends `final` is true and the host also saves the layout. `seq` grows
 * with every edit of the panel session.
 */
export interface EditLayoutMessage {
  type: 'editLayout';
  promptKey: string;
  seq: number;
  boxes: BoxEdit[];
  final: boolean;
}

/** Webview -> host: forget the prompt's saved layout and show the planned one (Re-plan, Reset). */
export interface ResetLayoutMessage {
  type: 'resetLayout';
  promptKey: string;
  seq: number;
}

/** Webview -> host: render the current prompt with region guidance from the layout shown. */
export interface RenderWithLayoutMessage {
  type: 'renderWithLayout';
}

/** Webview -> host: the Region guidance checkbox; the host sets `sprightLens.render.guide`. */
export interface SetRegionGuideMessage {
  type: 'setRegionGuide';
  value: boolean;
}

/** Every message the webview sends to the host. */
export type FromWebview =
  | ReadyMessage
  | ToggleMessage
  | SelectRelationMessage
  | RequestSaveWithOverlaysMessage
  | PageBatchMessage
  | OpenBatchItemMessage
  | RerenderMessage
  | CancelRenderMessage
  | PickImageMessage
  | SelectModelMessage
  | OpenSettingsMessage
  | PickCandidateMessage
  | EditLayoutMessage
  | ResetLayoutMessage
  | RenderWithLayoutMessage
  | SetRegionGuideMessage;

/** Every `type` of `FromWebview`, for run-time validation. */
export type FromWebviewType = FromWebview['type'];

// ---- best-of candidates: the strip under a best-of render ---------------------------------------

/** One candidate of a best-of render, as the strip shows it. */
export interface CandidateView {
  /** Candidate number, from 0 (seed order). */
  index: number;
  seed: number;
  /** Webview URI of its PNG, and its file name; null while it renders. */
  src: string | null;
  fileName: string | null;
  state: 'rendering' | 'detecting' | 'done' | 'error';
  /** Relations the rule scores (with objects the detector knows), and how many hold: the ✓/✗ counts. */
  scored: number;
  satisfied: number;
  /** Object instances found, of those the prompt asks for. */
  found: number;
  instances: number;
  /** Mean detector score of the boxes that count (0..1). */
  confidence: number;
  /** Why it failed (state `error`), else null. */
  message: string | null;
}

/** The candidates of one best-of render and the choice among them. */
export interface CandidateStripView {
  /** Identity of the best-of run (its render's requestId); `pickCandidate` names it. */
  setId: string;
  /** The prompt the candidates belong to; the strip shows only with that prompt. */
  promptKey: string;
  /** Candidates asked for, and whether rendering stops at the first that satisfies every relation. */
  n: number;
  untilSatisfied: boolean;
  rule: RuleName;
  /** The detector that picked and scored (display). */
  detector: string;
  state: 'running' | 'done' | 'cancelled' | 'failed';
  candidates: CandidateView[];
  /** Index of the best candidate so far (null before the first is judged). */
  chosen: number | null;
  /** Index of the candidate shown as the panel's image: the chosen one unless the user picked another. */
  shown: number | null;
}

/** Host -> webview: the candidate strip changed (a candidate finished, the choice or the shown one changed). */
export interface CandidatesMessage {
  type: 'candidates';
  strip: CandidateStripView | null;
}

/** Webview -> host: show candidate `index` of strip `setId` as the panel's image. */
export interface PickCandidateMessage {
  type: 'pickCandidate';
  setId: string;
  index: number;
}

/** The state the webview stores with `setState` and the serializer gets back on reload. */
export interface PersistedWebviewState {
  /** Protocol version; a state from another version is ignored. */
  version: 1;
  view: ViewOptions;
  /** Where the panel was pointing, so the host can restore it after a reload. */
  promptUri: string | null;
  promptLine: number | null;
  /** File URI of the image shown, re-checked by the host (exists, image file) before reuse. */
  imageUri: string | null;
  batchRunId: string | null;
  batchPage: number;
}
