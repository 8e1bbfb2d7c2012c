/**
 * Batch rendering: every prompt x k (x variant) rendered, detected, judged and recorded, with
 * resume from manifest.jsonl. Order of writes per image: PNG (atomic) first, then its manifest
 * line with one append, so that a line always points at a complete image.
 */
import * as path from 'node:path';
import { judgeImage } from '../evaluate/index';
import { imageKey, parameterDifferences, parseManifest } from './manifest';
import { nodeBatchFs } from './nodeFs';
import { renderReport } from './report';
import { summarize } from './summary';
import type { BatchDeps, BatchEvents, BatchOptions, BatchResult, ManifestRecord, RenderJob, Variant } from './types';

/** A batch that cannot go on (unwritable folder, full disk, options mismatch); one-line message. */
export class BatchError extends Error {
  override readonly name = 'BatchError';
}

export const MANIFEST = 'manifest.jsonl';
export const SUMMARY = 'summary.json';
export const REPORT = 'report.html';
/** Rewrite-variant images live here, named like the originals, so each folder is VISOR-compatible. */
export const REWRITE_DIR = 'rewrite';

/** Image path, relative to the output folder, of one image. */
export function imageFile(variant: Variant, promptId: string, k: number): string {
  const name = `${promptId}_${k}.png`;
  return variant === 'rewrite' ? `${REWRITE_DIR}/${name}` : name;
}

/** Turns a file-system failure into a message a user can act on, naming the folder. */
function fsError(err: unknown, dir: string, doing: string): Error {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new BatchError(`no space left on the device of ${dir} while ${doing}; finished images are kept: free some space and run the same command again to resume`);
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new BatchError(`cannot write to ${dir} (${code}) while ${doing}; finished images are kept: choose a writable --out folder or fix its permissions`);
  }
  return err as Error;
}

/** Whether the image PNG looks whole (PNG signature and IEND at the end). */
function completePng(bytes: Buffer | null): boolean {
  if (!bytes || bytes.length < 20) return false;
  return bytes.readUInt32BE(0) === 0x89504e47 && bytes.subarray(bytes.length - 8, bytes.length - 4).toString('latin1') === 'IEND';
}

const NEVER = new AbortController().signal;

/**
 * Renders the batch. `signal` stops it after the current image (everything finished stays
 * consistent); `hardSignal` (optional) is handed to render/detect to stop mid-image.
 */
export async function runBatch(
  options: BatchOptions,
  deps: BatchDeps,
  events: BatchEvents = {},
  signal: AbortSignal = NEVER,
  hardSignal: AbortSignal = NEVER,
): Promise<BatchResult> {
  const fs = deps.fs ?? nodeBatchFs;
  const out = path.resolve(options.outDir);
  const manifestPath = path.join(out, MANIFEST);
  const variants: Variant[] = options.rewrite === 'off' ? ['original'] : options.rewrite === 'only' ? ['rewrite'] : ['original', 'rewrite'];
  if (!Number.isInteger(options.imagesPerPrompt) || options.imagesPerPrompt < 1) {
    throw new BatchError(`images per prompt must be a positive integer, got ${options.imagesPerPrompt}`);
  }
  const ids = new Set<string>();
  for (const p of options.prompts) {
    if (ids.has(p.id)) throw new BatchError(`two prompts share the id ${p.id} (${p.source}); ids must be unique across the prompt files`);
    ids.add(p.id);
  }

  try {
    await fs.mkdir(out);
    if (variants.includes('rewrite')) await fs.mkdir(path.join(out, REWRITE_DIR));
  } catch (err) {
    throw fsError(err, out, 'creating the output folder');
  }

  // A process killed inside writeFileAtomic leaves its temp file behind; nothing else uses them.
  for (const sub of [out, path.join(out, REWRITE_DIR)]) {
    for (const name of await fs.readdir(sub)) {
      if (/^\..+\.\d+\.[0-9a-f]{8}\.tmp$/.test(name)) await fs.remove(path.join(sub, name)).catch(() => undefined);
    }
  }

  // Resume: what the manifest says is done, and whose PNG is still there and whole.
  const existing = await fs.readFile(manifestPath);
  const { records: oldRecords, corrupted } = parseManifest(existing ? existing.toString('utf8') : '');
  for (const c of corrupted) {
    events.onWarning?.(`${manifestPath}:${c.line}: ignoring a corrupted manifest line (${c.reason}); that image will be rendered again`);
  }
  let kept = oldRecords;
  if (!options.force) {
    for (const r of oldRecords) {
      const diffs = parameterDifferences(r.parameters, options.render);
      const expectedSeed = options.seed + r.k;
      if (r.seed !== expectedSeed) diffs.push(`seed ${r.seed - r.k} -> ${options.seed}`);
      if (diffs.length) {
        throw new BatchError(
          `${out} holds a batch made with other options (${diffs.join(', ')}); use a new --out folder, or --force to replace it`,
        );
      }
    }
  } else {
    kept = oldRecords.filter((r) => parameterDifferences(r.parameters, options.render).length === 0 && r.seed === options.seed + r.k);
  }
  const done = new Map<string, ManifestRecord>();
  for (const r of kept) {
    if (completePng(await fs.readFile(path.join(out, r.file)))) done.set(imageKey(r.variant, r.prompt_id, r.k), r);
    else events.onWarning?.(`${path.join(out, r.file)} is missing or incomplete; rendering it again`);
  }
  // Rewrite the manifest without bad or dropped lines (atomically) so later appends start clean.
  if (corrupted.length || done.size !== oldRecords.length || (existing && existing.length && existing[existing.length - 1] !== 0x0a)) {
    try {
      await fs.writeFileAtomic(manifestPath, [...done.values()].map((r) => JSON.stringify(r) + '\n').join(''));
    } catch (err) {
      throw fsError(err, out, `rewriting ${MANIFEST}`);
    }
  }

  const jobs: RenderJob[] = [];
  const rewrites = new Map<string, string>();
  for (const p of options.prompts) {
    for (const variant of variants) {
      let text = p.text;
      if (variant === 'rewrite') {
        // One rewrite per prompt (seeded by the batch seed) shared by all its images.
        if (!rewrites.has(p.id)) rewrites.set(p.id, deps.rewrite(p.text, options.seed));
        text = rewrites.get(p.id)!;
      }
      for (let k = 0; k < options.imagesPerPrompt; k++) {
        jobs.push({ promptId: p.id, variant, k, text, seed: options.seed + k, parameters: options.render });
      }
    }
  }
  const byId = new Map(options.prompts.map((p) => [p.id, p]));
  const todo = jobs.filter((j) => !done.has(imageKey(j.variant, j.promptId, j.k)));
  const total = jobs.length;
  let finished = total - todo.length;
  const skipped = finished;
  let rendered = 0;
  const start = deps.now();
  const eta = (): number | null => (rendered > 0 ? ((deps.now() - start) / rendered) * (total - finished) : null);
  let cancelled = false;

  for (const job of todo) {
    if (signal.aborted || hardSignal.aborted) {
      cancelled = true;
      break;
    }
    const prompt = byId.get(job.promptId)!;
    const current = { promptId: job.promptId, variant: job.variant, k: job.k };
    events.onProgress?.({ done: finished, total, etaMs: eta(), current });
    const t0 = deps.now();
    const png = await deps.render(job, hardSignal, (step, steps) =>
      events.onProgress?.({ done: finished, total, etaMs: eta(), current: { ...current, step, steps } }),
    );
    const t1 = deps.now();
    const labels = [...new Set(prompt.evalPrompt.objects.map((o) => o.noun))];
    const detections = await deps.detect(png, labels, hardSignal);
    const t2 = deps.now();
    const evaluation = judgeImage({ promptId: job.promptId, prompt: prompt.evalPrompt, detections, detector: options.render.detector }, options.threshold);
    const file = imageFile(job.variant, job.promptId, job.k);
    const record: ManifestRecord = {
      prompt_id: job.promptId,
      prompt: prompt.text,
      source: prompt.source,
      variant: job.variant,
      rewrite: job.variant === 'rewrite' ? job.text : null,
      k: job.k,
      seed: job.seed,
      file,
      width: png.length >= 24 ? png.readUInt32BE(16) : options.render.width,
      height: png.length >= 24 ? png.readUInt32BE(20) : options.render.height,
      parameters: options.render,
      timings: { render_ms: Math.round(t1 - t0), detect_ms: Math.round(t2 - t1) },
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
      finished_at: new Date().toISOString(),
    };
    const dir = path.dirname(path.join(out, file));
    try {
      await fs.writeFileAtomic(path.join(out, file), png);
    } catch (err) {
      throw fsError(err, dir, `writing ${file}`);
    }
    try {
      await fs.appendFile(manifestPath, JSON.stringify(record) + '\n');
    } catch (err) {
      throw fsError(err, out, `appending to ${MANIFEST}`);
    }
    done.set(imageKey(job.variant, job.promptId, job.k), record);
    rendered++;
    finished++;
    events.onImage?.(record);
  }
  events.onProgress?.({ done: finished, total, etaMs: cancelled ? eta() : 0, current: null });

  // Summary and report cover every finished image, in job order.
  const records = jobs.map((j) => done.get(imageKey(j.variant, j.promptId, j.k))).filter((r): r is ManifestRecord => r !== undefined);
  await writeOutputs(out, records, options, fs);
  return { rendered, skipped, total, cancelled, corruptedLines: corrupted.map((c) => c.line), records };
}

/** Writes summary.json and report.html for the finished records (atomically). */
async function writeOutputs(
  out: string,
  records: ManifestRecord[],
  options: BatchOptions,
  fs: NonNullable<BatchDeps['fs']>,
): Promise<void> {
  const summary = summarize(records, { threshold: options.threshold });
  const images = new Map<string, Buffer>();
  for (const r of records) {
    const bytes = await fs.readFile(path.join(out, r.file));
    if (bytes) images.set(r.file, bytes);
  }
  try {
    await fs.writeFileAtomic(path.join(out, SUMMARY), JSON.stringify(summary, null, 2) + '\n');
    await fs.writeFileAtomic(path.join(out, REPORT), renderReport(records, summary, { images, title: path.basename(out), threshold: options.threshold }));
  } catch (err) {
    throw fsError(err, out, `writing ${SUMMARY} and ${REPORT}`);
  }
}
