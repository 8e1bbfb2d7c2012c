// The vscode-free half of "Render all prompts": which prompts a source yields, the run
// descriptor that makes a batch folder resumable, progress and summary wording, and the paged
// view of finished images the preview panel draws. Unit-tested in plain Node
// (test/unit/extensionBatch.test.ts); batchFeature.ts adds the VS Code side.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { judgeRecord, MANIFEST, parseManifest } from '../../batch/index';
import type { BatchOptions, BatchPrompt, BatchSummary, ManifestRecord, Variant } from '../../batch/index';
import { evaluateImage, promptFromParsed } from '../../evaluate/index';
import { parsePrompt, readPromptSource } from '../../parser/index';
import type { BatchItemView, BatchView, ImageView, RelationStatus, RuleName } from '../../protocol/messages';
import { detectionView, T2I_SATISFIED_FROM } from '../preview/viewModel';

/** File extensions "Render all prompts" picks up when given a folder. */
export const PROMPT_FILE_EXTENSIONS: readonly string[] = ['.prompt', '.prompts'];

/** Folders a folder scan never enters: tool state and dependencies, not the user's prompts. */
const SKIPPED_FOLDERS = new Set(['node_modules', '.git', '.vscode-test', 'out', 'dist']);

/**
 * Every *.prompt/*.prompts file under `dir`, recursively, sorted by path so the ids and the
 * order of images are the same on every run. Hidden folders are skipped.
 */
export async function findPromptFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (d: string): Promise<void> => {
    const entries = await fs.readdir(d, { withFileTypes: true });
    for (const e of entries) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) {
        if (!e.name.startsWith('.') && !SKIPPED_FOLDERS.has(e.name)) await walk(full);
      } else if (e.isFile() && PROMPT_FILE_EXTENSIONS.includes(path.extname(e.name).toLowerCase())) {
        found.push(full);
      }
    }
  };
  await walk(dir);
  return found.sort();
}

/** One prompt source: a file's text (possibly unsaved editor contents) and optionally a line range. */
export interface PromptSource {
  /** Absolute path of the file (used for the file-type rules and messages). */
  file: string;
  /** Path shown to people and stored in the manifest ("prompts/set.prompts"). */
  label: string;
  /** The file's text. */
  text: string;
  /** 1-based inclusive line range to keep (a selection); all lines when absent. */
  lines?: { start: number; end: number };
}

/** An id made safe for file names (`{prompt_id}_{k}.png`). */
function safeId(s: string): string {
  return s.replace(/[^A-Za-z0-9_.-]+/g, '_').replace(/^[._]+/, '') || 'prompts';
}

/**
 * The batch prompts of the sources, with stable ids: the line number for one source (VISOR
 * naming), `{file stem}-{line}` for several, and the label-derived path when two stems collide.
 * Throws PromptFileError (from the parser) for a file that is not prompt text.
 */
export function promptsFromSources(sources: readonly PromptSource[]): BatchPrompt[] {
  const stems = sources.map((s) => safeId(path.basename(s.label).replace(/\.[^.]*$/, '')));
  const clash = new Set(stems).size !== stems.length;
  const out: BatchPrompt[] = [];
  sources.forEach((s, i) => {
    const prefix = sources.length === 1 ? '' : `${clash ? safeId(s.label.replace(/\.[^.]*$/, '')) : stems[i]}-`;
    for (const r of readPromptSource(Buffer.from(s.text, 'utf8'), s.file)) {
      if (s.lines && (r.line < s.lines.start || r.line > s.lines.end)) continue;
      const id = `${prefix}${r.line}`;
      out.push({ id, text: r.text, source: `${s.label}:${r.line}`, evalPrompt: promptFromParsed(id, parsePrompt(r.text)) });
    }
  });
  return out;
}

/** The run descriptor written next to the manifest; it makes a batch folder resumable from VS Code. */
export interface BatchDescriptor {
  /** Format version of this file. */
  version: 1;
  /** Identifies what was rendered (files and selection), see {@link sourceKey}. */
  sourceKey: string;
  /** "set.prompts (lines 3-9)", for messages and the panel title. */
  title: string;
  startedAt: string;
  /** Everything runBatch needs to continue exactly as it started (prompts included). */
  options: Omit<BatchOptions, 'outDir'>;
  /** Number of images the batch makes. */
  total: number;
}

/** Name of the run descriptor in a batch folder. */
export const DESCRIPTOR = 'spright-batch.json';

/** Images a batch makes: prompts x images per prompt x variants. */
export function batchTotal(options: Pick<BatchOptions, 'prompts' | 'imagesPerPrompt' | 'rewrite'>): number {
  return options.prompts.length * options.imagesPerPrompt * (options.rewrite === 'both' ? 2 : 1);
}

/** A key for "the same source": the files and the selected lines, independent of their text. */
export function sourceKey(sources: readonly Pick<PromptSource, 'file' | 'lines'>[]): string {
  const parts = sources.map((s) => `${path.resolve(s.file)}${s.lines ? `#${s.lines.start}-${s.lines.end}` : ''}`).sort();
  return createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 16);
}

/** `batch-20261127-221530` (local time), a folder name that sorts by start time. */
export function batchFolderName(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `batch-${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

/** Reads a descriptor; undefined when the folder has none or it is not one of ours. */
export async function readDescriptor(dir: string): Promise<BatchDescriptor | undefined> {
  let v: unknown;
  try {
    v = JSON.parse(await fs.readFile(path.join(dir, DESCRIPTOR), 'utf8'));
  } catch {
    return undefined;
  }
  const d = v as Partial<BatchDescriptor> | null;
  if (!d || d.version !== 1 || typeof d.sourceKey !== 'string' || typeof d.total !== 'number' || !d.options || !Array.isArray(d.options.prompts)) return undefined;
  return d as BatchDescriptor;
}

/** Distinct images the manifest of `dir` records as finished. */
export async function finishedCount(dir: string): Promise<number> {
  let text: string;
  try {
    text = await fs.readFile(path.join(dir, MANIFEST), 'utf8');
  } catch {
    return 0;
  }
  const keys = new Set(parseManifest(text).records.map((r) => `${r.variant}/${r.prompt_id}/${r.k}`));
  return keys.size;
}

/** An unfinished batch of the same source, found in an output folder. */
export interface ResumableBatch {
  dir: string;
  descriptor: BatchDescriptor;
  done: number;
}

/**
 * The most recent unfinished batch of `key` among the `batch-*` folders of `root`, or undefined.
 * Unfinished means the manifest holds fewer images than the descriptor's total.
 */
export async function findResumable(root: string, key: string): Promise<ResumableBatch | undefined> {
  let names: string[];
  try {
    names = (await fs.readdir(root, { withFileTypes: true })).filter((e) => e.isDirectory() && e.name.startsWith('batch-')).map((e) => e.name);
  } catch {
    return undefined;
  }
  for (const name of names.sort().reverse()) {
    const dir = path.join(root, name);
    const descriptor = await readDescriptor(dir);
    if (descriptor?.sourceKey !== key) continue;
    const done = await finishedCount(dir);
    if (done < descriptor.total) return { dir, descriptor, done };
  }
  return undefined;
}

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
      // Re-judged with the current rules, as summary.json is, not the verdicts stored at render time.
      statuses: judgeRecord(r).relations.map((rel) => relationStatus(rel, rule)),
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
