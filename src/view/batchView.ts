/**
 * Batch runs as the preview panel and the progress notification show them: progress and summary
 * wording, each relation's verdict under the chosen rule, and the paged grid of finished images.
 */
import * as path from 'node:path';
import type { BatchSummary, ManifestRecord, Variant } from '../batch/index';
import { evaluateImage, promptFromParsed } from '../evaluate/index';
import { parsePrompt } from '../parser/index';
import type { BatchItemView, BatchView, ImageView, RelationStatus, RuleName } from '../protocol/messages';
import { detectionView, T2I_SATISFIED_FROM } from './panelView';

/** "about 40 s left", "about 3 min left", "about 1 h 5 min left". */
export function formatEta(ms: number): string {
  const sec = Math.max(1, Math.round(ms / 1000));
  if (sec < 60) return `about ${sec} s left`;
  const min = Math.round(sec / 60);
  if (min < 60) return `about ${min} min left`;
  return `about ${Math.floor(min / 60)} h ${min % 60} min left`;
}

/** The progress notification's line: "12/40 images · about 3 min left". */
export function progressText(done: number, total: number, etaMs: number | null, stopping = false): string {
  const head = `${done}/${total} images`;
  if (stopping) return `${head} · stopping after the current image`;
  if (done >= total) return `${head} · writing the report`;
  return `${head} · ${etaMs === null ? 'estimating time left' : formatEta(etaMs)}`;
}

function pct(v: number | null): string {
  return v === null ? '–' : `${v.toFixed(1)}%`;
}

/**
 * The benchmark figures of a finished batch, one part per variant:
 * "VISOR cond 62.5% · uncond 41.7% · T2I 0.52 · GenEval 37.5%" (A/B: "as written: … | rewrite: …").
 */
export function summaryText(summary: BatchSummary): string {
  const parts: string[] = [];
  const variants = Object.keys(summary.variants) as Variant[];
  for (const v of variants) {
    const s = summary.variants[v];
    if (!s) continue;
    const t2i = s.t2i_compbench.score === null ? '–' : s.t2i_compbench.score.toFixed(2);
    // VISOR aggregates are percentages already; GenEval's score is a fraction of images.
    const line = `VISOR cond ${pct(s.visor.cond)} · uncond ${pct(s.visor.uncond)} · T2I ${t2i} · GenEval ${pct(s.geneval.score === null ? null : s.geneval.score * 100)}`;
    parts.push(variants.length > 1 ? `${v === 'original' ? 'as written' : 'rewrite'}: ${line}` : line);
  }
  return parts.length > 0 ? parts.join(' | ') : 'no images were scored';
}

/** The verdict of one manifest relation under `rule`, in the panel's terms. */
export function relationStatus(r: ManifestRecord['relations'][number], rule: RuleName): RelationStatus {
  if (r.status === 'unknown') return 'unknown';
  if (r.status === 'unscored') return 'unsupported';
  const v = rule === 'visor' ? r.visor : rule === 'geneval' ? r.geneval : r.t2iCompbench === null ? null : r.t2iCompbench >= T2I_SATISFIED_FROM;
  return v === null ? 'unsupported' : v ? 'satisfied' : 'violated';
}

/** Id of a batch item in the panel: unique per (variant, prompt, k). */
export function itemId(r: Pick<ManifestRecord, 'variant' | 'prompt_id' | 'k'>): string {
  return `${r.variant === 'rewrite' ? 'rewrite/' : ''}${r.prompt_id}_${r.k}`;
}

/** Images per page of the panel's batch grid. */
export const PAGE_SIZE = 24;

/**
 * The finished images of one run, in the order they finished (resumed ones first), and the
 * page the panel shows. While the user stays on the last page it follows new images.
 */
export class BatchRunModel {
  readonly runId: string;
  readonly outDir: string;
  readonly title: string;
  total: number;
  state: BatchView['state'] = 'running';
  etaMs: number | null = null;
  message: string | null = null;
  readonly #records: ManifestRecord[] = [];
  readonly #byId = new Map<string, ManifestRecord>();
  #page = 0;
  #follow = true;
  readonly #pageSize: number;

  constructor(runId: string, outDir: string, title: string, total: number, pageSize = PAGE_SIZE) {
    this.runId = runId;
    this.outDir = outDir;
    this.title = title;
    this.total = total;
    this.#pageSize = pageSize;
  }

  /** Images finished so far. */
  get done(): number {
    return this.#records.length;
  }

  get pageCount(): number {
    return Math.max(1, Math.ceil(this.#records.length / this.#pageSize));
  }

  get page(): number {
    return this.#follow ? this.pageCount - 1 : this.#page;
  }

  /** Records a finished image (a resumed one or a new one); a repeat of an id replaces it. */
  add(record: ManifestRecord): void {
    const id = itemId(record);
    const old = this.#byId.get(id);
    if (old) this.#records[this.#records.indexOf(old)] = record;
    else this.#records.push(record);
    this.#byId.set(id, record);
  }

  record(id: string): ManifestRecord | undefined {
    return this.#byId.get(id);
  }

  /** Moves to `page` (clamped); the last page means "follow new images". */
  setPage(page: number): void {
    const p = Math.min(Math.max(0, Math.floor(page)), this.pageCount - 1);
    this.#follow = p === this.pageCount - 1;
    this.#page = p;
  }

  /** The panel's view of the current page; `src` maps a record's file to a webview URI. */
  view(rule: RuleName, src: (absoluteFile: string) => string): BatchView {
    const page = this.page;
    const slice = this.#records.slice(page * this.#pageSize, (page + 1) * this.#pageSize);
    const items: BatchItemView[] = slice.map((r) => ({
      id: itemId(r),
      promptId: r.prompt_id,
      k: r.k,
      variant: r.variant,
      text: r.rewrite ?? r.prompt,
      src: src(path.join(this.outDir, r.file)),
      fileName: r.file,
      statuses: r.relations.map((rel) => relationStatus(rel, rule)),
      error: null,
    }));
    return {
      runId: this.runId,
      title: this.title,
      state: this.state,
      total: this.total,
      done: this.done,
      failed: 0,
      etaMs: this.state === 'running' ? this.etaMs : null,
      page,
      pageCount: this.pageCount,
      items,
      outputFolder: this.outDir,
      message: this.message,
    };
  }
}

/** Inputs of {@link batchItemImage}. */
export interface BatchItemImageInput {
  record: ManifestRecord;
  runId: string;
  outDir: string;
  /** Webview URI of the image file. */
  src: string;
  /** File URI string of the image (kept by the webview for reloads). */
  fileUri: string;
  rule: RuleName;
  /** Maps a prompt noun to the detector's label (null: it cannot know it). */
  labelFor: (noun: string) => string | null;
}

/**
 * The panel's large view of one batch image with its detections. Both variants are judged
 * against the prompt as written: a rewrite must keep the original's intent.
 */
export function batchItemImage(input: BatchItemImageInput): ImageView {
  const { record, labelFor } = input;
  const parsed = parsePrompt(record.prompt);
  const evaluation = evaluateImage(promptFromParsed(record.prompt_id, parsed), record.detections, { labelFor });
  const p = record.parameters;
  return {
    key: `${input.runId}/${itemId(record)}`,
    src: input.src,
    fileName: record.file,
    fileUri: input.fileUri,
    width: record.width,
    height: record.height,
    origin: 'batch',
    promptText: record.rewrite ?? record.prompt,
    details: [
      ['prompt', `${record.source}${record.variant === 'rewrite' ? ' (rewrite)' : ''}`],
      ['seed', String(record.seed)],
      ['steps', String(p.steps)],
      ['guidance', String(p.guidance)],
      ['scheduler', p.scheduler],
      ['size', `${record.width}\u00d7${record.height}`],
      ['time', `${(record.timings.render_ms / 1000).toFixed(1)} s render, ${record.timings.detect_ms} ms detect`],
      ['file', path.join(input.outDir, record.file)],
    ],
    detection: detectionView({ parsed, detector: record.parameters.detector, detections: record.detections, evaluation, labelFor, rule: input.rule }),
  };
}
