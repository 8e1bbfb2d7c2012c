/**
 * Batch rendering: every prompt x k (x variant) rendered, detected, judged and recorded, with
 * resume from manifest.jsonl. Order of writes per image: PNG (atomic) first, then its manifest
 * line with one append, so that a line always points at a complete image.
 */
import * as path from 'node:path';
import { bestOfProblem, candidateSeeds, chooseCandidate, isRuleName, judgeCandidate, judgeImage, runBestOf } from '../evaluate/index';
import type { BestOfSettings, CandidateScore } from '../evaluate/index';
import { fsProblem } from '../io/outputDir';
import type { Detection } from '../protocol/geometry';
import { MAX_SEED } from '../protocol/service';
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
  CandidateLine,
  CandidateRecord,
  ManifestRecord,
  RelationVerdicts,
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
/**
 * Best-of candidates live here (under each variant's folder), named `{prompt_id}_{k}.c{j}.png`:
 * outside the folder `evaluate --images` lists and off VISOR's `{prompt_id}_{k}.png` pattern, so
 * only the chosen image (copied to that name) is ever counted.
 */
export const CANDIDATES_DIR = 'candidates';
/** Re-detected images between two rewrites of the manifest. */
const REWRITE_EVERY = 20;
/** Upper bound of images per prompt: VISOR uses 4; far more is a typo, not a benchmark. */
export const MAX_IMAGES_PER_PROMPT = 100;

/** Image path, relative to the output folder, of one image. */
export function imageFile(variant: Variant, promptId: string, k: number): string {
  const name = `${promptId}_${k}.png`;
  return variant === 'rewrite' ? `${REWRITE_DIR}/${name}` : name;
}

/** Path, relative to the output folder, of candidate `j` of a best-of image. */
export function candidateFile(variant: Variant, promptId: string, k: number, j: number): string {
  const name = `${CANDIDATES_DIR}/${promptId}_${k}.c${j}.png`;
  return variant === 'rewrite' ? `${REWRITE_DIR}/${name}` : name;
}

/** The best-of settings of a batch when it chooses among several candidates, else null (a plain batch). */
function bestOfOf(options: BatchOptions): BestOfSettings | null {
  const b = options.render.bestOf;
  return b !== undefined && b.n > 1 ? b : null;
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

/**
 * What a run has to do for one image: render it, detect again on its PNG, or (best-of) make
 * or reuse its candidates and choose. `known`: candidates recorded by earlier runs that may be
 * reused (matched by render key); `produced`: those this run has made or re-judged so far.
 */
export type Work =
  | { kind: 'render' }
  | { kind: 'detect'; old: ManifestRecord }
  | { kind: 'bestOf'; known: CandidateRecord[]; produced: CandidateRecord[] };

/** One image of a batch: what to render, its resume key and its file in the output folder. */
export type PlannedImage = RenderJob & { key: string; file: string };

/**
 * Renders the batch. `signal` stops it after the current image (best-of: after the current
 * candidate; everything finished stays consistent); `hardSignal` (optional) is handed to
 * render/detect to stop mid-image.
 *
 * Resume: an image is finished when the manifest has a line for it with the same render key
 * (text, variant, seed, parameters, model identity) and its PNG is whole. Finished images are
 * judged again with the current detection settings: from their recorded detections when the
 * detector is the same and the threshold is not below the recorded floor, else by detecting on
 * their PNG. Lines of prompts that left the prompt files leave the manifest and the summary.
 *
 * Best-of (`render.bestOf` with n > 1): each image is the best of its candidates (see
 * src/evaluate/bestOf.ts); candidate j of image k has seed `seed + k + j x imagesPerPrompt`, so
 * candidate 0 is the plain batch's image. Every candidate is resumed by its own render key, and
 * the choice is made again from the candidates' detections whenever the detection settings, the
 * rule or N change; the chosen one is copied to `{prompt_id}_{k}.png`.
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
    if (bestOfOf(options)) for (const v of variants) await fs.mkdir(path.join(out, path.dirname(candidateFile(v, 'x', 0, 0))));
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
  const b = options.render.bestOf;
  if (b !== undefined) {
    const problem = bestOfProblem(b.n);
    if (problem !== null) throw new BatchError(problem);
    if (!isRuleName(b.rule)) throw new BatchError(`the best-of rule must be visor, t2i-compbench or geneval, got '${String(b.rule)}'`);
  }
  // The last seed of the batch: image k uses seed + k, candidate j adds j x images per prompt.
  const seeds = options.imagesPerPrompt * (b !== undefined && b.n > 1 ? b.n : 1);
  if (!Number.isInteger(options.seed) || options.seed < 0 || options.seed + seeds - 1 > MAX_SEED) {
    throw new BatchError(`this batch needs seeds ${options.seed}..${options.seed + seeds - 1}, and seeds run from 0 to ${MAX_SEED}: choose a lower seed`);
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
  /**
   * Rewrites the manifest: the finished lines in batch order, then the lines waiting to be
   * detected again and the candidate lines of best-of images not chosen yet.
   */
  writeManifest(): Promise<void>;
  /** Appends one line to the manifest (a finished image's, or a best-of candidate's). */
  append(line: ManifestRecord | CandidateLine): Promise<void>;
  /** Whether the manifest holds candidate lines that the final rewrite should drop or renew. */
  hasCandidateLines(): boolean;
}

/**
 * The candidates an earlier run recorded for one image, newest first: those of its best-of line,
 * those of candidate lines (the latest line first), and a plain line's image as a candidate of
 * its seed (so that turning best-of on reuses a plain batch's images as candidate 0).
 */
function knownCandidates(old: ManifestRecord | undefined, lines: readonly CandidateLine[]): CandidateRecord[] {
  const known: CandidateRecord[] = [];
  if (old?.best_of) known.push(...old.best_of.candidates);
  else if (old) {
    known.push({
      index: 0,
      seed: old.seed,
      render_key: old.render_key,
      file: old.file,
      width: old.width,
      height: old.height,
      timings: old.timings,
      detector: old.parameters.detector,
      raw_floor: old.raw_floor,
      raw_detections: old.raw_detections,
      detections: old.detections,
      relations: old.relations,
      score: { scored: 0, satisfied: 0, instances: 0, found: 0, confidence: 0, allSatisfied: false },
      finished_at: old.finished_at,
    });
  }
  for (let i = lines.length - 1; i >= 0; i--) {
    const { type: _type, variant: _variant, image: _image, ...c } = lines[i]!;
    known.push(c);
  }
  return known;
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
  const bestOf = bestOfOf(options);
  // A process killed inside writeFileAtomic leaves its temp file behind; only dead writers' go.
  const dirs = [out, path.join(out, REWRITE_DIR), path.join(out, CANDIDATES_DIR), path.join(out, REWRITE_DIR, CANDIDATES_DIR)];
  for (const sub of dirs) await removeDeadTempFiles(sub);

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
  const { records: oldRecords, candidates: candidateLines, corrupted } = parseManifest(existing ? existing.toString('utf8') : '');
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
  const linesByImage = new Map<string, CandidateLine[]>();
  for (const c of candidateLines) {
    const k3 = imageKey(c.variant, c.image.prompt_id, c.image.k);
    let list = linesByImage.get(k3);
    if (!list) linesByImage.set(k3, (list = []));
    list.push(c);
  }
  // Candidate lines are progress notes: the manifest is compacted without them at the end.
  let candidateLinesWritten = candidateLines.length > 0;
  let compact =
    corrupted.length > 0 ||
    latest.size !== oldRecords.length ||
    (existing !== null && existing.length > 0 && existing[existing.length - 1] !== 0x0a);

  if (!options.force) {
    const diffs = new Set<string>();
    for (const r of latest.values()) {
      for (const d of parameterDifferences(r.parameters, options.render)) diffs.add(d);
      // A best-of line's own seed is its chosen candidate's; candidate 0 has the plain seed.
      const seed = r.best_of?.candidates[0]?.seed ?? r.seed;
      if (seed - r.k !== options.seed) diffs.add(`seed ${seed - r.k} -> ${options.seed}`);
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
  const detector = options.detection.detector;
  const whole = async (rel: string): Promise<boolean> => completePng(await fs.readFile(path.join(out, rel)));
  for (const job of jobs) {
    const k3 = imageKey(job.variant, job.promptId, job.k);
    const old = latest.get(k3);
    latest.delete(k3);
    const prompt = byId.get(job.promptId)!;
    if (bestOf) {
      const known = knownCandidates(old, linesByImage.get(k3) ?? []);
      // A plain image becomes candidate 0 in its candidate's place before anything else happens,
      // so that no candidate record ever points at the chosen image's name.
      const plain = old && !old.best_of ? known.find((c) => c.file === old.file) : undefined;
      if (plain && plain.render_key === renderKey({ ...job, seed: options.seed + job.k })) {
        const bytes = await fs.readFile(path.join(out, plain.file));
        if (completePng(bytes)) {
          const slot = candidateFile(job.variant, job.promptId, job.k, 0);
          try {
            await fs.writeFileAtomic(path.join(out, slot), bytes!);
          } catch (err) {
            throw fsError(err, out, `copying ${plain.file} to ${slot}`);
          }
          plain.file = slot;
        }
      }
      // Only a candidate in its own place with the key of that place can ever be reused; the
      // others leave the manifest before anything is rendered over their files.
      const slots = new Map(
        candidateSeeds(options.seed + job.k, bestOf.n, options.imagesPerPrompt).map((seed, j) => [candidateFile(job.variant, job.promptId, job.k, j), renderKey({ ...job, seed })]),
      );
      const useful = known.filter((c) => slots.get(c.file) === c.render_key);
      if (useful.length !== known.length) compact = true;
      const again = old?.best_of ? await finishedBestOf(job, prompt, old, useful, options, bestOf, whole) : null;
      if (again) {
        if (JSON.stringify(again) !== JSON.stringify(old)) compact = true;
        done.set(k3, again);
        continue;
      }
      // Its line (if any) leaves the manifest now and comes back, as candidate lines, until the
      // image is chosen again; then the new line can be appended.
      if (old) compact = true;
      work.set(k3, { kind: 'bestOf', known: useful, produced: [] });
      continue;
    }
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
    if (!(await whole(old.file))) {
      events.onWarning?.(`${path.join(out, old.file)} is missing or incomplete; rendering it again`);
      compact = true;
      work.set(k3, { kind: 'render' });
      continue;
    }
    if (old.parameters.detector !== detector || threshold < old.raw_floor) {
      work.set(k3, { kind: 'detect', old });
      continue;
    }
    // Same image, same detections: judge them again (threshold, parser, label mapping may differ).
    const again = batchRecord(job, prompt, old, old.raw_detections, old.raw_floor, old.timings, options, old.finished_at);
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
    // Lines waiting to be detected again stay as they are until they are; the candidates of
    // best-of images not chosen yet stay as candidate lines (the newest of each render key).
    const pending: Array<ManifestRecord | CandidateLine> = [];
    for (const job of jobs) {
      const w = work.get(imageKey(job.variant, job.promptId, job.k));
      if (w?.kind === 'detect') pending.push(w.old);
      if (w?.kind !== 'bestOf') continue;
      const seen = new Set<string>();
      for (const c of [...w.produced, ...w.known]) {
        if (seen.has(c.render_key)) continue;
        seen.add(c.render_key);
        pending.push(candidateLine(job, c));
      }
    }
    try {
      await fs.writeFileAtomic(manifestPath, [...ordered, ...pending].map((r) => JSON.stringify(r) + '\n').join(''));
    } catch (err) {
      throw fsError(err, out, `rewriting ${MANIFEST}`);
    }
    candidateLinesWritten = pending.some((l) => 'type' in l);
  };
  // Rewrite the manifest without bad, stale or duplicate lines (atomically) so appends start clean.
  if (compact) await writeManifest();
  const append = async (line: ManifestRecord | CandidateLine): Promise<void> => {
    try {
      await fs.appendFile(manifestPath, JSON.stringify(line) + '\n');
    } catch (err) {
      throw fsError(err, out, `appending to ${MANIFEST}`);
    }
    if ('type' in line) candidateLinesWritten = true;
  };

  return { images: jobs, prompts: byId, done, work, corrupted, writeManifest, append, hasCandidateLines: () => candidateLinesWritten };
}

async function runLocked(
  options: BatchOptions,
  deps: BatchDeps,
  events: BatchEvents,
  signal: AbortSignal,
  hardSignal: AbortSignal,
  folder: BatchFolder,
): Promise<BatchResult> {
  const { fs, out, lock } = folder;
  const { images: jobs, prompts: byId, done, work, corrupted, writeManifest, append, hasCandidateLines } = await planBatch(options, deps.rewrite, events, folder);
  const bestOf = bestOfOf(options);
  const threshold = options.detection.threshold;
  const detector = options.detection.detector;
  const whole = async (rel: string): Promise<boolean> => completePng(await fs.readFile(path.join(out, rel)));
  const total = jobs.length;
  let finished = total - work.size;
  const skipped = finished;
  let rendered = 0;
  let redetected = 0;
  let candidatesRendered = 0;
  const start = deps.now();
  const eta = (): number | null =>
    rendered + redetected > 0 ? ((deps.now() - start) / (rendered + redetected)) * (total - finished) : null;
  let cancelled = false;
  const labelsOf = (prompt: BatchPrompt): string[] => [...new Set(prompt.evalPrompt.objects.map((o) => o.noun))];
  /** Renders one job into `rel` (its place in the folder), reporting steps as `current`. */
  const renderInto = async (job: RenderJob, rel: string, current: NonNullable<BatchProgressCurrent>): Promise<{ width: number; height: number; ms: number }> => {
    // The PNG is in place before its manifest line: a kill in between leaves an image with no
    // line, which the next run renders again (atomically, over it).
    const t0 = deps.now();
    let size: { width: number; height: number };
    try {
      size = await deps.render(job, path.join(out, rel), hardSignal, (step, steps) =>
        events.onProgress?.({ done: finished, total, etaMs: eta(), current: { ...current, step, steps } }),
      );
    } catch (err) {
      throw (err as NodeJS.ErrnoException).code ? fsError(err, path.dirname(path.join(out, rel)), `writing ${rel}`) : err;
    }
    return { ...size, ms: Math.round(deps.now() - t0) };
  };

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
    const labels = labelsOf(prompt);

    if (item.kind === 'bestOf') {
      const settings = bestOf!;
      let renderedAny = false;
      const outcome = await runBestOf(
        settings,
        candidateSeeds(options.seed + job.k, settings.n, options.imagesPerPrompt),
        async (j, seed) => {
          const cjob: RenderJob = { ...job, seed, candidate: j };
          const key = renderKey(cjob);
          const slot = candidateFile(job.variant, job.promptId, job.k, j);
          const here = { ...current, candidate: j, candidates: settings.n };
          events.onProgress?.({ done: finished, total, etaMs: eta(), current: here });
          let reuse: CandidateRecord | undefined;
          for (const c of item.known) {
            if (c.render_key !== key || c.file !== slot) continue;
            if (await whole(c.file)) {
              reuse = c;
              break;
            }
          }
          let cand: CandidateRecord;
          let changed = true;
          if (reuse && reuse.detector === detector && threshold >= reuse.raw_floor) {
            // Same pixels, same detections: judged again under the current settings.
            cand = makeCandidate(cjob, j, reuse.file, reuse, reuse.raw_detections, reuse.raw_floor, reuse.timings, prompt, options, reuse.finished_at);
            changed = false;
          } else {
            let size: { width: number; height: number } = reuse ?? { width: 0, height: 0 };
            let renderMs = reuse?.timings.render_ms ?? 0;
            const file = reuse?.file ?? slot;
            if (!reuse) {
              const r = await renderInto(cjob, slot, here);
              size = r;
              renderMs = r.ms;
              renderedAny = true;
              candidatesRendered++;
            }
            const t1 = deps.now();
            const raw = await deps.detect(path.join(out, file), labels, hardSignal);
            const timings = { render_ms: renderMs, detect_ms: Math.round(deps.now() - t1) };
            cand = makeCandidate(cjob, j, file, size, raw, floorOf(options.detection), timings, prompt, options, reuse?.finished_at);
          }
          item.produced.push(cand);
          // A new render or new detections: noted at once, so that a stop loses at most this candidate's work.
          if (changed) await append(candidateLine(job, cand));
          return { score: cand.score, value: cand };
        },
        { signal },
      );
      if (!outcome.complete || outcome.chosen === null) {
        cancelled = true;
        break;
      }
      const candidates = outcome.candidates.map((c) => c.value);
      const chosen = candidates[outcome.chosen]!;
      // The chosen image under its VISOR-compatible name: a copy of its candidate, replaced atomically.
      const bytes = await fs.readFile(path.join(out, chosen.file));
      if (!completePng(bytes)) throw new BatchError(`${path.join(out, chosen.file)} disappeared while the batch ran; run the same command again`);
      try {
        await fs.writeFileAtomic(path.join(out, job.file), bytes!);
      } catch (err) {
        throw fsError(err, out, `writing ${job.file}`);
      }
      const record = bestOfRecord(job, prompt, candidates, outcome.chosen, options, settings);
      work.delete(k3);
      done.set(k3, record);
      await append(record);
      if (renderedAny) rendered++;
      else redetected++;
      finished++;
      events.onImage?.(record);
      continue;
    }

    // A new image is rendered into place first; a re-detected one keeps its PNG and render time.
    const file = path.join(out, item.kind === 'render' ? job.file : item.old.file);
    let size: { width: number; height: number } = item.kind === 'render' ? { width: 0, height: 0 } : item.old;
    let renderMs = item.kind === 'render' ? 0 : item.old.timings.render_ms;
    if (item.kind === 'render') {
      const r = await renderInto(job, job.file, current);
      size = r;
      renderMs = r.ms;
      rendered++;
      candidatesRendered++;
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
      await append(record);
    } else if (redetected % REWRITE_EVERY === 0) {
      // A re-detected line replaces the old one: the manifest is rewritten (never two lines for
      // one image), every few images so that a kill loses little.
      await writeManifest();
    }
    finished++;
    events.onImage?.(record);
  }
  events.onProgress?.({ done: finished, total, etaMs: cancelled ? eta() : 0, current: null });
  // The manifest ends with one line per finished image: re-detected lines replace their old ones,
  // candidate lines of chosen images go (those of unfinished images stay for the next run).
  if (redetected % REWRITE_EVERY !== 0 || hasCandidateLines()) await writeManifest();

  // Summary and report cover every finished image, in job order.
  const records = jobs.map((j) => done.get(imageKey(j.variant, j.promptId, j.k))).filter((r): r is ManifestRecord => r !== undefined);
  await writeBatchOutputs(out, records, options, fs);
  return { rendered, skipped, redetected, candidatesRendered, total, cancelled, corruptedLines: corrupted.map((c) => c.line), records };
}

type BatchProgressCurrent = Parameters<NonNullable<BatchEvents['onProgress']>>[0]['current'];

/**
 * A best-of image that needs nothing done: every candidate the current settings take part with is
 * recorded with a whole PNG and usable detections, the choice is the one its line records, and the
 * chosen image is in place. Returns its line judged again under the current settings, else null.
 */
async function finishedBestOf(
  job: PlannedImage,
  prompt: BatchPrompt,
  old: ManifestRecord,
  known: readonly CandidateRecord[],
  options: BatchOptions,
  settings: BestOfSettings,
  whole: (rel: string) => Promise<boolean>,
): Promise<ManifestRecord | null> {
  const seeds = candidateSeeds(options.seed + job.k, settings.n, options.imagesPerPrompt);
  const candidates: CandidateRecord[] = [];
  for (const [j, seed] of seeds.entries()) {
    const cjob: RenderJob = { ...job, seed, candidate: j };
    const key = renderKey(cjob);
    const c = known.find((x) => x.render_key === key && x.file === candidateFile(job.variant, job.promptId, job.k, j));
    if (!c || c.detector !== options.detection.detector || options.detection.threshold < c.raw_floor || !(await whole(c.file))) return null;
    candidates.push(makeCandidate(cjob, j, c.file, c, c.raw_detections, c.raw_floor, c.timings, prompt, options, c.finished_at));
    const choice = chooseCandidate(candidates, settings);
    if (!choice.complete) continue;
    const was = old.best_of!.candidates[old.best_of!.chosen];
    const chosen = candidates[choice.chosen!]!;
    if (was?.render_key !== chosen.render_key || !(await whole(job.file))) return null;
    return bestOfRecord(job, prompt, candidates.slice(0, choice.pool), choice.chosen!, options, settings, old.finished_at);
  }
  return null;
}

/** The verdicts on `raw` detections above the batch's threshold, through the one evaluation path. */
function judged(
  job: Pick<RenderJob, 'promptId'>,
  prompt: BatchPrompt,
  raw: Detection[],
  options: Pick<BatchOptions, 'render' | 'detection'>,
): { detections: Detection[]; relations: RelationVerdicts; score: CandidateScore | null } {
  const threshold = options.detection.threshold;
  // Strict, as `evaluate` and summary.json apply a threshold.
  const detections = raw.filter((d) => d.score > threshold);
  const image = { promptId: job.promptId, prompt: prompt.evalPrompt, detections, detector: options.detection.detector };
  const rule = options.render.bestOf?.rule;
  const { evaluation, score } = rule ? judgeCandidate(image, rule) : { evaluation: judgeImage(image), score: null };
  const relations = evaluation.relations.map((r) => ({
    subject: r.subject,
    relation: r.relation,
    object: r.object,
    status: r.status,
    visor: r.visor,
    t2iCompbench: r.t2iCompbench,
    geneval: r.geneval,
  }));
  return { detections, relations, score };
}

/** Which image a manifest line is about; the prompt's fields come from the current prompt files. */
function imageIdentity(job: PlannedImage, prompt: BatchPrompt): Pick<ManifestRecord, 'prompt_id' | 'prompt' | 'source' | 'variant' | 'rewrite' | 'k'> {
  return {
    prompt_id: job.promptId,
    prompt: prompt.text,
    source: prompt.source,
    variant: job.variant,
    rewrite: job.variant === 'rewrite' ? job.text : null,
    k: job.k,
  };
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
  const { detections, relations } = judged(job, prompt, raw, options);
  return {
    render_key: job.key,
    ...imageIdentity(job, prompt),
    seed: job.seed,
    file: job.file,
    width: size.width,
    height: size.height,
    parameters: { ...options.render, detector: options.detection.detector },
    timings,
    raw_floor: floor,
    raw_detections: raw,
    threshold: options.detection.threshold,
    detections,
    eval_prompt: prompt.evalPrompt,
    relations,
    finished_at: finishedAt,
  };
}

/** One best-of candidate judged and scored under the current settings. */
function makeCandidate(
  cjob: RenderJob,
  index: number,
  file: string,
  size: { width: number; height: number },
  raw: Detection[],
  floor: number,
  timings: CandidateRecord['timings'],
  prompt: BatchPrompt,
  options: BatchOptions,
  finishedAt = new Date().toISOString(),
): CandidateRecord {
  const { detections, relations, score } = judged(cjob, prompt, raw, options);
  return {
    index,
    seed: cjob.seed,
    render_key: renderKey(cjob),
    file,
    width: size.width,
    height: size.height,
    timings,
    detector: options.detection.detector,
    raw_floor: floor,
    raw_detections: raw,
    detections,
    relations,
    score: score!,
    finished_at: finishedAt,
  };
}

/** The line of a best-of image: the chosen candidate's fields, and every candidate with the choice. */
function bestOfRecord(
  job: PlannedImage,
  prompt: BatchPrompt,
  candidates: CandidateRecord[],
  chosen: number,
  options: BatchOptions,
  settings: BestOfSettings,
  finishedAt = new Date().toISOString(),
): ManifestRecord {
  const c = candidates[chosen]!;
  return {
    render_key: c.render_key,
    ...imageIdentity(job, prompt),
    seed: c.seed,
    file: job.file,
    width: c.width,
    height: c.height,
    parameters: { ...options.render, detector: options.detection.detector },
    timings: c.timings,
    raw_floor: c.raw_floor,
    raw_detections: c.raw_detections,
    threshold: options.detection.threshold,
    detections: c.detections,
    eval_prompt: prompt.evalPrompt,
    relations: c.relations,
    finished_at: finishedAt,
    best_of: {
      n: settings.n,
      until_satisfied: settings.untilSatisfied,
      rule: settings.rule,
      chosen,
      picked_by: options.detection.detector,
      candidates,
    },
  };
}

/** A candidate as a manifest line of its own (before its image is chosen). */
function candidateLine(job: PlannedImage, c: CandidateRecord): CandidateLine {
  return { type: 'candidate', variant: job.variant, image: { prompt_id: job.promptId, k: job.k }, ...c };
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
