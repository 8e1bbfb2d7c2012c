/**
 * Batch rendering: every prompt x k (x variant) rendered, detected, judged and recorded, with
 * resume from manifest.jsonl. Order of writes per image: PNG (atomic) first, then its manifest
 * line with one append, so that a line always points at a complete image.
 */
import * as path from 'node:path';
import { judgeImage } from '../evaluate/index';
import { fsProblem } from '../io/outputDir';
import type { Detection } from '../protocol/geometry';
import { FolderLockedError, lockFolder, removeDeadTempFiles, type FolderLock } from './lock';
import { imageKey, parameterDifferences, parseManifest, renderKey, type CorruptedLine } from './manifest';
import { nodeBatchFs } from './nodeFs';
import { renderReport } from './report';
import { summarize } from './summary';
import type {
  FailedImage,
  BatchDeps,
  BatchEvents,
  BatchFs,
  BatchOptions,
  BatchPrompt,
  BatchResult,
  ManifestRecord,
  RenderJob,
  Variant,
} from './types';

/** A batch that cannot go on (unwritable folder, full disk, options mismatch); one-line message. */
export class BatchError extends Error {
  override readonly name = 'BatchError';
}

export const MANIFEST = 'manifest.jsonl';
export const SUMMARY = 'summary.json';
export const REPORT = 'report.html';
/** Rewrite-variant images live here, named like the originals, so each folder is VISOR-compatible. */
export const REWRITE_DIR = 'rewrite';
/** Re-detected images between two rewrites of the manifest. */
const REWRITE_EVERY = 20;
/** Upper bound of images per prompt: VISOR uses 4; far more is a typo, not a benchmark. */
export const MAX_IMAGES_PER_PROMPT = 100;

/** Image path, relative to the output folder, of one image. */
export function imageFile(variant: Variant, promptId: string, k: number): string {
  const name = `${promptId}_${k}.png`;
  return variant === 'rewrite' ? `${REWRITE_DIR}/${name}` : name;
}

/** Turns a file-system failure into a message a user can act on, naming the folder. */
export function fsError(err: unknown, dir: string, doing: string): Error {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new BatchError(`no space left on the device of ${dir} while ${doing}; finished images are kept: free some space and run the same command again to resume`);
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new BatchError(`cannot write to ${dir} (${code}) while ${doing}; finished images are kept: choose a writable --out folder or fix its permissions`);
  }
  if (code)
    return new BatchError(
      `${dir}: failed while ${doing} (${fsProblem(err)}); finished images are kept: choose another --out folder`,
    );
  return err as Error;
}

/** Whether the image PNG looks whole (PNG signature and IEND at the end). */
function completePng(bytes: Buffer | null): boolean {
  if (!bytes || bytes.length < 20) return false;
  return (
    bytes.readUInt32BE(0) === 0x89504e47 &&
    bytes.subarray(bytes.length - 8, bytes.length - 4).toString('latin1') === 'IEND'
  );
}

const NEVER = new AbortController().signal;

/** Default score floor of recorded detections when the settings give none: the threshold itself. */
export function floorOf(d: BatchOptions['detection']): number {
  return Math.min(d.floor ?? d.threshold, d.threshold);
}

/** What a run has to do for one image: render it, or only detect again on its finished PNG. */
export type Work = { kind: 'render' } | { kind: 'detect'; old: ManifestRecord };

/** One image of a batch: what to render, its resume key and its file in the output folder. */
export type PlannedImage = RenderJob & { key: string; file: string };

/**
 * Renders the batch. `signal` stops it after the current image (everything finished stays
 * consistent); `hardSignal` (optional) is handed to render/detect to stop mid-image.
 *
 * Resume: an image is finished when the manifest has a line for it with the same render key
 * (text, variant, seed, parameters, model identity) and its PNG is whole. Finished images are
 * judged again with the current detection settings: from their recorded detections when the
 * detector is the same and the threshold is not below the recorded floor, else by detecting on
 * their PNG. Lines of prompts that left the prompt files leave the manifest and the summary.
 */
export async function runBatch(
  options: BatchOptions,
  deps: BatchDeps,
  events: BatchEvents = {},
  signal: AbortSignal = NEVER,
  hardSignal: AbortSignal = NEVER,
): Promise<BatchResult> {
  const folder = await openBatchFolder(options, deps.fs ?? nodeBatchFs);
  try {
    return await runLocked(options, deps, events, signal, hardSignal, folder);
  } finally {
    await folder.lock.release();
  }
}

/** An output folder made and locked for one run of a batch. */
export interface BatchFolder {
  readonly fs: BatchFs;
  readonly out: string;
  readonly manifestPath: string;
  readonly variants: Variant[];
  readonly lock: FolderLock;
}

/**
 * Checks the options, makes the output folder and takes its lock (release it with
 * `folder.lock.release()`): how every run of a batch starts, local or queued.
 */
export async function openBatchFolder(options: BatchOptions, fs: BatchFs = nodeBatchFs): Promise<BatchFolder> {
  const out = path.resolve(options.outDir);
  const manifestPath = path.join(out, MANIFEST);
  const variants: Variant[] =
    options.rewrite === 'off' ? ['original'] : options.rewrite === 'only' ? ['rewrite'] : ['original', 'rewrite'];
  checkOptions(options);

  try {
    await fs.mkdir(out);
    if (variants.includes('rewrite')) await fs.mkdir(path.join(out, REWRITE_DIR));
  } catch (err) {
    throw fsError(err, out, 'creating the output folder');
  }
  let lock: FolderLock;
  try {
    lock = await lockFolder(out);
  } catch (err) {
    if (err instanceof FolderLockedError) throw new BatchError(err.message);
    throw fsError(err, out, 'locking the output folder');
  }
  return { fs, out, manifestPath, variants, lock };
}

function checkOptions(options: BatchOptions): void {
  if (
    !Number.isInteger(options.imagesPerPrompt) ||
    options.imagesPerPrompt < 1 ||
    options.imagesPerPrompt > MAX_IMAGES_PER_PROMPT
  ) {
    throw new BatchError(
      `images per prompt must be an integer from 1 to ${MAX_IMAGES_PER_PROMPT}, got ${options.imagesPerPrompt}`,
    );
  }
  const d = options.detection;
  if (!(d.threshold >= 0 && d.threshold <= 1) || !(floorOf(d) >= 0))
    throw new BatchError(`the detection threshold must be from 0 to 1, got ${d.threshold}`);
  const ids = new Set<string>();
  for (const p of options.prompts) {
    if (ids.has(p.id))
      throw new BatchError(
        `two prompts share the id ${p.id} (${p.source}); ids must be unique across the prompt files`,
      );
    ids.add(p.id);
  }
}

/** What a run of a batch has to do, read from the prompts and the manifest. */
export interface BatchPlan {
  /** Every image of the batch, in order. */
  readonly images: PlannedImage[];
  readonly prompts: ReadonlyMap<string, BatchPrompt>;
  /** Finished images (by image key), judged with the current detection settings. */
  readonly done: Map<string, ManifestRecord>;
  /** What is left to do (by image key). */
  readonly work: Map<string, Work>;
  readonly corrupted: CorruptedLine[];
  /** Rewrites the manifest: the finished lines in batch order, then the lines waiting to be detected again. */
  writeManifest(): Promise<void>;
}

/**
 * Reads the manifest of a locked batch folder against the options: which images are finished,
 * which must be rendered or detected again. Refuses (BatchError) a folder made with other options
 * unless `force`; rewrites the manifest without bad, stale or duplicate lines.
 */
export async function planBatch(
  options: BatchOptions,
  rewrite: BatchDeps['rewrite'],
  events: BatchEvents,
  { fs, out, manifestPath, variants }: BatchFolder,
): Promise<BatchPlan> {
  // A process killed inside writeFileAtomic leaves its temp file behind; only dead writers' go.
  for (const sub of [out, path.join(out, REWRITE_DIR)]) await removeDeadTempFiles(sub);

  const jobs: PlannedImage[] = [];
  const rewrites = new Map<string, string>();
  for (const p of options.prompts) {
    for (const variant of variants) {
      let text = p.text;
      if (variant === 'rewrite') {
        // One rewrite per prompt (seeded by the batch seed) shared by all its images.
        if (!rewrites.has(p.id)) rewrites.set(p.id, rewrite(p.text, options.seed));
        text = rewrites.get(p.id)!;
      }
      for (let k = 0; k < options.imagesPerPrompt; k++) {
        const job = { promptId: p.id, variant, k, text, seed: options.seed + k, parameters: options.render };
        jobs.push({ ...job, key: renderKey(job), file: imageFile(variant, p.id, k) });
      }
    }
  }
  const byId = new Map(options.prompts.map((p) => [p.id, p]));

  // What the manifest says is done; of several lines for one image the first counts (as in
  // `evaluate`), and the manifest is rewritten without the others.
  const existing = await fs.readFile(manifestPath);
  const { records: oldRecords, corrupted } = parseManifest(existing ? existing.toString('utf8') : '');
  for (const c of corrupted) {
    events.onWarning?.(
      `${manifestPath}:${c.line}: ignoring a corrupted manifest line (${c.reason}); that image will be rendered again`,
    );
  }
  const latest = new Map<string, ManifestRecord>();
  for (const r of oldRecords) {
    const k3 = imageKey(r.variant, r.prompt_id, r.k);
    if (!latest.has(k3)) latest.set(k3, r);
  }
  let compact =
    corrupted.length > 0 ||
    latest.size !== oldRecords.length ||
    (existing !== null && existing.length > 0 && existing[existing.length - 1] !== 0x0a);

  if (!options.force) {
    const diffs = new Set<string>();
    for (const r of latest.values()) {
      for (const d of parameterDifferences(r.parameters, options.render)) diffs.add(d);
      if (r.seed - r.k !== options.seed) diffs.add(`seed ${r.seed - r.k} -> ${options.seed}`);
    }
    if (diffs.size)
      throw new BatchError(
        `${out} holds a batch made with other options (${[...diffs].join(', ')}); use a new --out folder, or --force to replace it`,
      );
  }

  const done = new Map<string, ManifestRecord>();
  const work = new Map<string, Work>();
  let changedPrompts = 0;
  const threshold = options.detection.threshold;
  for (const job of jobs) {
    const k3 = imageKey(job.variant, job.promptId, job.k);
    const old = latest.get(k3);
    latest.delete(k3);
    if (!old) {
      work.set(k3, { kind: 'render' });
      continue;
    }
    if (old.render_key !== job.key) {
      // The text changed (an edited prompt, another rewrite) or --force replaced the parameters.
      changedPrompts++;
      compact = true;
      work.set(k3, { kind: 'render' });
      continue;
    }
    if (!completePng(await fs.readFile(path.join(out, old.file)))) {
      events.onWarning?.(`${path.join(out, old.file)} is missing or incomplete; rendering it again`);
      compact = true;
      work.set(k3, { kind: 'render' });
      continue;
    }
    if (old.parameters.detector !== options.detection.detector || threshold < old.raw_floor) {
      work.set(k3, { kind: 'detect', old });
      continue;
    }
    // Same image, same detections: judge them again (threshold, parser, label mapping may differ).
    const prompt = byId.get(job.promptId)!;
    const again = batchRecord(
      job,
      prompt,
      old,
      old.raw_detections,
      old.raw_floor,
      old.timings,
      options,
      old.finished_at,
    );
    if (JSON.stringify(again) !== JSON.stringify(old)) compact = true;
    done.set(k3, again);
  }
  if (changedPrompts)
    events.onWarning?.(
      `${changedPrompts} finished image${changedPrompts === 1 ? '' : 's'} no longer match${changedPrompts === 1 ? 'es' : ''} the prompt text or options; rendering again`,
    );
  if (latest.size) {
    // Prompts removed from the files (or fewer images per prompt, another --rewrite): their PNGs stay.
    events.onWarning?.(
      `${latest.size} image${latest.size === 1 ? '' : 's'} in ${MANIFEST} no longer match a prompt of this run; they leave the manifest and the summary (their PNGs are kept)`,
    );
    compact = true;
  }

  const writeManifest = async (): Promise<void> => {
    const ordered = jobs
      .map((j) => done.get(imageKey(j.variant, j.promptId, j.k)))
      .filter((r): r is ManifestRecord => r !== undefined);
    // Lines waiting to be detected again stay as they are until they are.
    const pending = [...work.values()].flatMap((w) => (w.kind === 'detect' ? [w.old] : []));
    try {
      await fs.writeFileAtomic(manifestPath, [...ordered, ...pending].map((r) => JSON.stringify(r) + '\n').join(''));
    } catch (err) {
      throw fsError(err, out, `rewriting ${MANIFEST}`);
    }
  };
  // Rewrite the manifest without bad, stale or duplicate lines (atomically) so appends start clean.
  if (compact) await writeManifest();

  return { images: jobs, prompts: byId, done, work, corrupted, writeManifest };
}

async function runLocked(
  options: BatchOptions,
  deps: BatchDeps,
  events: BatchEvents,
  signal: AbortSignal,
  hardSignal: AbortSignal,
  folder: BatchFolder,
): Promise<BatchResult> {
  const { fs, out, manifestPath, lock } = folder;
  const { images: jobs, prompts: byId, done, work, corrupted, writeManifest } = await planBatch(options, deps.rewrite, events, folder);
  const total = jobs.length;
  let finished = total - work.size;
  const skipped = finished;
  let rendered = 0;
  let redetected = 0;
  const start = deps.now();
  const eta = (): number | null =>
    rendered + redetected > 0 ? ((deps.now() - start) / (rendered + redetected)) * (total - finished) : null;
  let cancelled = false;

  for (const job of jobs) {
    const k3 = imageKey(job.variant, job.promptId, job.k);
    const item = work.get(k3);
    if (!item) continue;
    if (signal.aborted || hardSignal.aborted) {
      cancelled = true;
      break;
    }
    const compromised = lock.compromised();
    if (compromised)
      throw new BatchError(
        `${out}: lost the folder lock (${compromised.message}); another process may be writing here, stopping`,
      );
    const prompt = byId.get(job.promptId)!;
    const current = { promptId: job.promptId, variant: job.variant, k: job.k };
    events.onProgress?.({ done: finished, total, etaMs: eta(), current });
    const labels = [...new Set(prompt.evalPrompt.objects.map((o) => o.noun))];
    // A new image is rendered into place first; a re-detected one keeps its PNG and render time.
    const file = path.join(out, item.kind === 'render' ? job.file : item.old.file);
    let size: { width: number; height: number } = item.kind === 'render' ? { width: 0, height: 0 } : item.old;
    let renderMs = item.kind === 'render' ? 0 : item.old.timings.render_ms;
    if (item.kind === 'render') {
      // The PNG is in place before its manifest line: a kill in between leaves an image with no
      // line, which the next run renders again (atomically, over it).
      const t0 = deps.now();
      try {
        size = await deps.render(job, file, hardSignal, (step, steps) =>
          events.onProgress?.({ done: finished, total, etaMs: eta(), current: { ...current, step, steps } }),
        );
      } catch (err) {
        throw (err as NodeJS.ErrnoException).code ? fsError(err, path.dirname(file), `writing ${job.file}`) : err;
      }
      renderMs = Math.round(deps.now() - t0);
      rendered++;
    } else {
      if (!completePng(await fs.readFile(file)))
        throw new BatchError(`${file} disappeared while the batch ran; run the same command again`);
      redetected++;
    }
    const t1 = deps.now();
    const raw = await deps.detect(file, labels, hardSignal);
    const timings = { render_ms: renderMs, detect_ms: Math.round(deps.now() - t1) };
    const record = batchRecord(job, prompt, size, raw, floorOf(options.detection), timings, options, item.kind === 'render' ? undefined : item.old.finished_at);
    work.delete(k3);
    done.set(k3, record);
    if (item.kind === 'render') {
      try {
        await fs.appendFile(manifestPath, JSON.stringify(record) + '\n');
      } catch (err) {
        throw fsError(err, out, `appending to ${MANIFEST}`);
      }
    } else if (redetected % REWRITE_EVERY === 0) {
      // A re-detected line replaces the old one: the manifest is rewritten (never two lines for
      // one image), every few images so that a kill loses little.
      await writeManifest();
    }
    finished++;
    events.onImage?.(record);
  }
  events.onProgress?.({ done: finished, total, etaMs: cancelled ? eta() : 0, current: null });
  if (redetected % REWRITE_EVERY !== 0) await writeManifest();

  // Summary and report cover every finished image, in job order.
  const records = jobs.map((j) => done.get(imageKey(j.variant, j.promptId, j.k))).filter((r): r is ManifestRecord => r !== undefined);
  await writeBatchOutputs(out, records, options, fs);
  return { rendered, skipped, redetected, total, cancelled, corruptedLines: corrupted.map((c) => c.line), records };
}

/**
 * One manifest line: the image's identity, its raw detections, and the verdicts on those at or
 * above the threshold. The prompt's fields always come from the current prompt files.
 */
export function batchRecord(
  job: PlannedImage,
  prompt: BatchPrompt,
  size: { width: number; height: number },
  raw: Detection[],
  floor: number,
  timings: ManifestRecord['timings'],
  options: Pick<BatchOptions, 'render' | 'detection'>,
  finishedAt = new Date().toISOString(),
): ManifestRecord {
  const threshold = options.detection.threshold;
  // Strict, as `evaluate` and summary.json apply a threshold.
  const detections = raw.filter((d) => d.score > threshold);
  const detector = options.detection.detector;
  const evaluation = judgeImage({ promptId: job.promptId, prompt: prompt.evalPrompt, detections, detector });
  return {
    render_key: job.key,
    prompt_id: job.promptId,
    prompt: prompt.text,
    source: prompt.source,
    variant: job.variant,
    rewrite: job.variant === 'rewrite' ? job.text : null,
    k: job.k,
    seed: job.seed,
    file: job.file,
    width: size.width,
    height: size.height,
    parameters: { ...options.render, detector },
    timings,
    raw_floor: floor,
    raw_detections: raw,
    threshold,
    detections,
    eval_prompt: prompt.evalPrompt,
    relations: evaluation.relations.map((r) => ({
      subject: r.subject,
      relation: r.relation,
      object: r.object,
      status: r.status,
      visor: r.visor,
      t2iCompbench: r.t2iCompbench,
      geneval: r.geneval,
    })),
    finished_at: finishedAt,
  };
}

/** Writes summary.json and report.html for the finished records (atomically); `failures` are listed in the report. */
export async function writeBatchOutputs(
  out: string,
  records: ManifestRecord[],
  options: BatchOptions,
  fs: BatchFs,
  failures: readonly FailedImage[] = [],
): Promise<void> {
  // The records' detections are already those above the threshold; judging them again with it is
  // what `evaluate --threshold` does with the manifest, so both give the same figures.
  const summary = summarize(records, { threshold: options.detection.threshold });
  const images = new Map<string, Buffer>();
  for (const r of records) {
    const bytes = await fs.readFile(path.join(out, r.file));
    if (bytes) images.set(r.file, bytes);
  }
  try {
    await fs.writeFileAtomic(path.join(out, SUMMARY), JSON.stringify(summary, null, 2) + '\n');
    await fs.writeFileAtomic(
      path.join(out, REPORT),
      renderReport(records, summary, { images, title: path.basename(out), prompts: options.prompts, threshold: options.detection.threshold, failures }),
    );
  } catch (err) {
    throw fsError(err, out, `writing ${SUMMARY} and ${REPORT}`);
  }
}
