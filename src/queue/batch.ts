/**
 * A batch on the queue: the same batch as `runBatch` (same prompts, resume keys, manifest lines,
 * summary and report), with its images rendered by workers on other processes or machines.
 *
 * - The coordinator plans the batch exactly as a local run does (planBatch: resume, options
 *   check, manifest compaction), enqueues one job per image to render (the job id is the image's
 *   resume key), and follows: each finished image is put at its batch name and its manifest line
 *   appended once; images that fail every attempt go to failed.jsonl and the report.
 * - A worker checks each job against the batch it belongs to (the resume key must be that of what
 *   the job asks for, the file its batch name), renders through the inference service with its
 *   own model folder, detects, and builds the manifest line with the batch's own `batchRecord`.
 *   The coordinator rebuilds that line from its own prompt and settings, taking from the worker
 *   only what it measured: the size, the raw detections and the timings.
 */
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import {
  batchFsError,
  batchRecord,
  batchRenderParams,
  batchTotal,
  detectionFloor,
  DESCRIPTOR,
  imageFile,
  manifestRecordProblem,
  nodeBatchFs,
  openBatchFolder,
  planBatch,
  renderKey,
  writeBatchOutputs,
  BatchError,
  type BatchDescriptor,
  type BatchFs,
  type BatchOptions,
  type BatchPrompt,
  type DetectionSettings,
  type FailedImage,
  type ManifestRecord,
  type PlannedImage,
  type RenderParameters,
  type Variant,
} from '../batch/index';
import { imageKey } from '../batch/manifest';
import type { Detection } from '../protocol/geometry';
import { detectorFromName, MAX_SIDE, type DetectorSpec, type ProviderRequest, type RenderBackendName } from '../protocol/service';
import type { InferenceService } from '../service/client';
import { ImageCollector, ResultRefusedError, type FailureRecord } from './collector';
import { QueueCoordinator, type FollowEvents, type FollowStatus, type RetryPolicy } from './coordinator';
import { OnceLog } from './onceLog';
import { JobDataError, type QueueBatch, type QueueJobData } from './protocol';
import { prepareStage, readIfExists, removeStage, STAGE_DIR, STAGE_MARKER } from './store';
import { scrub, type QueueTarget } from './url';
import type { ImageWork } from './worker';

/**
 * Why a batch cannot go on the queue, or null when it can. Workers render one image per job with
 * the ONNX pipeline and their own copy of the model folder: a best-of image is several renders
 * and a choice made over all of them, and a ComfyUI checkpoint is not a folder a worker can be
 * pointed at, so both are refused up front rather than rendered differently from a local run.
 */
export function queuedBatchProblem(backend: RenderBackendName | undefined, bestOf: number | undefined): string | null {
  if (backend !== undefined && backend !== 'onnx')
    return `queue workers render with the ONNX pipeline, not the ${backend} backend; render this batch without the queue, or with the onnx backend`;
  if (bestOf !== undefined && bestOf > 1)
    return `queue workers render one image per job and cannot choose the best of ${bestOf} candidates; render this batch without the queue, or without best-of`;
  return null;
}

/** Images whose jobs failed every attempt, one JSON line each, beside manifest.jsonl. */
export const FAILED = 'failed.jsonl';

/** What every image of a queued batch shares (the queue's batch description carries it). */
export interface BatchQueueSettings {
  readonly render: RenderParameters;
  readonly detection: DetectionSettings;
}

/** What a worker needs to render, detect and judge one image. */
export interface ImagePayload {
  readonly promptId: string;
  readonly variant: Variant;
  readonly k: number;
  /** The text rendered (the rewrite for the rewrite variant). */
  readonly text: string;
  readonly seed: number;
  /** The prompt as written, with the objects and relations the image is judged against. */
  readonly prompt: BatchPrompt;
}

/** The job of one planned image. */
export function imageJob(image: PlannedImage, prompt: BatchPrompt, batchId: string): QueueJobData<ImagePayload> {
  return {
    v: 1,
    batchId,
    key: image.key,
    file: image.file,
    payload: { promptId: image.promptId, variant: image.variant, k: image.k, text: image.text, seed: image.seed, prompt },
  };
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function checkSettings(settings: unknown): BatchQueueSettings {
  const s = settings as Partial<BatchQueueSettings> | null;
  const r = s?.render as Obj | undefined;
  const d = s?.detection as Obj | undefined;
  const ok =
    isObj(r) &&
    typeof r.modelId === 'string' &&
    typeof r.model === 'string' &&
    ['steps', 'guidance', 'width', 'height'].every((k) => typeof r[k] === 'number') &&
    typeof r.scheduler === 'string' &&
    isObj(d) &&
    typeof d.detector === 'string' &&
    typeof d.threshold === 'number';
  if (!ok) throw new JobDataError("the queue's batch description lacks render or detection settings (made by another version?)");
  return s as BatchQueueSettings;
}

/** The planned image a job asks for, checked: its key and file must be those of its contents. */
function plannedOf(data: QueueJobData, settings: BatchQueueSettings): { image: PlannedImage; prompt: BatchPrompt } {
  const p = data.payload as Partial<ImagePayload> | null;
  const where = `job ${data.key}`;
  if (!isObj(p)) throw new JobDataError(`${where}: no payload`);
  if (typeof p.promptId !== 'string' || !/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,199}$/.test(p.promptId)) throw new JobDataError(`${where}: bad prompt id`);
  if (p.variant !== 'original' && p.variant !== 'rewrite') throw new JobDataError(`${where}: bad variant`);
  if (!Number.isInteger(p.k) || (p.k as number) < 0 || (p.k as number) > 1000) throw new JobDataError(`${where}: bad image index`);
  if (!Number.isInteger(p.seed) || (p.seed as number) < 0 || (p.seed as number) > 0xffffffff + 1000) throw new JobDataError(`${where}: bad seed`);
  if (typeof p.text !== 'string' || p.text.length > 100_000) throw new JobDataError(`${where}: bad prompt text`);
  const prompt = p.prompt as Partial<BatchPrompt> | undefined;
  const ep = prompt?.evalPrompt as Obj | undefined;
  if (!isObj(prompt) || prompt.id !== p.promptId || typeof prompt.text !== 'string' || typeof prompt.source !== 'string' || !isObj(ep) || !Array.isArray(ep.objects) || !Array.isArray(ep.relations)) {
    throw new JobDataError(`${where}: bad prompt record`);
  }
  const job = { promptId: p.promptId, variant: p.variant, k: p.k as number, text: p.text, seed: p.seed as number, parameters: settings.render };
  const image: PlannedImage = { ...job, key: renderKey(job), file: imageFile(job.variant, job.promptId, job.k) };
  if (image.key !== data.key) throw new JobDataError(`${where}: its key is not the resume key of what it asks to render`);
  if (image.file !== data.file) throw new JobDataError(`the job names ${JSON.stringify(data.file)}, not its image's file ${image.file}`);
  return { image, prompt: prompt as BatchPrompt };
}

/** PNG width and height from its header. */
function pngSize(bytes: Buffer): { width: number; height: number } {
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

/** How a worker renders and detects: its own model folder, provider and detector. */
export interface BatchWorkOptions {
  readonly modelDir: string;
  readonly provider?: ProviderRequest;
  readonly deviceId?: number;
  readonly detector: DetectorSpec;
  /** Runs `fn` with an inference service of the worker's pool. */
  use<T>(fn: (service: InferenceService) => Promise<T>): Promise<T>;
}

type Planned = { image: PlannedImage; prompt: BatchPrompt; settings: BatchQueueSettings };

/** A worker's work on batch images: render and detect through the inference service, judge with the batch's rules. */
export function batchImageWork(o: BatchWorkOptions): ImageWork<Planned, ManifestRecord> {
  return {
    checkPayload(data, batch) {
      const settings = checkSettings(batch.settings);
      const wanted = detectorFromName(settings.detection.detector);
      if (!wanted) throw new JobDataError(`the batch names an unknown detector ${JSON.stringify(settings.detection.detector)}`);
      if (wanted.kind !== o.detector.kind) {
        throw new JobDataError(`the batch detects with ${wanted.kind} but this worker was started with --detector ${o.detector.kind}; start it with the batch's detector`);
      }
      return { ...plannedOf(data, settings), settings };
    },
    async render({ image }, _batch, file, signal) {
      await o.use((service) => service.call('render', batchRenderParams(image, o.modelDir, o, file), { signal }));
    },
    async judge({ image, prompt, settings }, _batch, file, { renderMs }, signal) {
      const floor = detectionFloor(settings.detection);
      const labels = [...new Set(prompt.evalPrompt.objects.map((ob) => ob.noun))];
      const t0 = performance.now();
      const raw = (await o.use((service) => service.call('detect', { imagePath: file, labels, detector: o.detector, threshold: floor }, { signal }))).detections;
      const detectMs = Math.round(performance.now() - t0);
      const size = pngSize(await fs.readFile(file));
      return batchRecord(image, prompt, size, raw, floor, { render_ms: renderMs, detect_ms: detectMs }, settings);
    },
  };
}

function checkDetections(v: unknown): Detection[] {
  if (!Array.isArray(v)) throw new ResultRefusedError('no raw detections');
  for (const d of v as Obj[]) {
    const ok = isObj(d) && typeof d.label === 'string' && ['score', 'x', 'y', 'w', 'h'].every((k) => typeof d[k] === 'number' && Number.isFinite(d[k]));
    if (!ok) throw new ResultRefusedError('a raw detection is not {label, score, x, y, w, h}');
  }
  return v as Detection[];
}

/**
 * The manifest line of a worker's result, rebuilt from the coordinator's own image, prompt and
 * settings; from the worker only its measurements are taken (checked).
 */
export function acceptRecord(image: PlannedImage, prompt: BatchPrompt, settings: BatchQueueSettings, record: unknown): ManifestRecord {
  const problem = manifestRecordProblem(record);
  if (problem) throw new ResultRefusedError(`not a manifest line (${problem})`);
  const r = record as ManifestRecord;
  if (r.render_key !== image.key || r.file !== image.file) throw new ResultRefusedError('the line describes another image');
  const dim = (v: unknown): boolean => Number.isInteger(v) && (v as number) > 0 && (v as number) <= MAX_SIDE;
  if (!dim(r.width) || !dim(r.height)) throw new ResultRefusedError('bad image size');
  const ms = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.round(v) : 0);
  const finished = typeof r.finished_at === 'string' && !Number.isNaN(Date.parse(r.finished_at)) ? r.finished_at : new Date().toISOString();
  return batchRecord(
    image,
    prompt,
    { width: r.width, height: r.height },
    checkDetections(r.raw_detections),
    detectionFloor(settings.detection),
    { render_ms: ms(r.timings?.render_ms), detect_ms: ms(r.timings?.detect_ms) },
    settings,
    finished,
  );
}

/** What the coordinator does with a batch. */
export interface QueuedBatchRequest {
  readonly options: BatchOptions;
  readonly target: QueueTarget;
  /**
   * 'enqueue': (re)start the batch: images recorded as failed are tried again.
   * 'attach': only follow a batch already enqueued (failed images stay failed).
   */
  readonly mode: 'enqueue' | 'attach';
  /** Follow the batch to its end (else return once the jobs are enqueued). */
  readonly follow: boolean;
  readonly retry?: RetryPolicy;
  /** The run descriptor to write (what `--follow` with only --out reads back). */
  readonly descriptor?: Pick<BatchDescriptor, 'sourceKey' | 'title'>;
  readonly sweepMs?: number;
}

/** Host capabilities of the coordinator. */
export interface QueuedBatchDeps {
  rewrite(text: string, seed: number): string;
  /** Detects again, here, on finished images whose detector or threshold changed (no render). */
  detect(file: string, labels: string[], signal: AbortSignal): Promise<Detection[]>;
  fs?: BatchFs;
}

/** Events of a queued batch. */
export interface QueuedBatchEvents extends FollowEvents {
  onWarning?(message: string): void;
  /** The jobs are in the queue. */
  onEnqueued?(info: { added: number; pending: number; done: number; failed: number; total: number }): void;
  onStatus?(status: FollowStatus): void;
  /** An image was collected (its manifest line written). */
  onImage?(record: ManifestRecord): void;
}

/** What a queued batch came to. */
export interface QueuedBatchResult {
  /** Jobs this run added to the queue. */
  readonly added: number;
  readonly total: number;
  /** Images finished (also before this run). */
  readonly done: number;
  readonly failures: FailedImage[];
  /** True when every image is finished or failed, and summary.json and report.html are written. */
  readonly complete: boolean;
  /** Finished images detected again here (detector or threshold changed). */
  readonly redetected: number;
  /** Every finished image's manifest line, in batch order. */
  readonly records: ManifestRecord[];
}

/** The batch id of an output folder: kept in its stage folder, so that a restarted coordinator reuses it. */
async function batchIdOf(out: string): Promise<string> {
  const bytes = await readIfExists(path.join(out, STAGE_DIR, STAGE_MARKER));
  try {
    const id = bytes ? (JSON.parse(bytes.toString('utf8')) as { batchId?: unknown }).batchId : undefined;
    if (typeof id === 'string' && /^[0-9a-f-]{8,64}$/.test(id)) return id;
  } catch {
    // A cut marker: a new id (the old batch's queued jobs were for the same images anyway).
  }
  return randomUUID();
}

function readFailures(text: string | null): FailedImage[] {
  const out: FailedImage[] = [];
  for (const line of (text ?? '').split('\n')) {
    if (!line.trim()) continue;
    try {
      const f = JSON.parse(line) as FailedImage;
      if (typeof f.render_key === 'string' && typeof f.error === 'string') out.push(f);
    } catch {
      // A line cut by a kill: that image is not recorded as failed and is tried again.
    }
  }
  return out;
}

/**
 * Runs a batch on the queue: plan (resume), enqueue, and with `follow` collect to the end and
 * write summary.json and report.html. Holds the output folder's lock throughout.
 */
export async function runQueuedBatch(req: QueuedBatchRequest, deps: QueuedBatchDeps, events: QueuedBatchEvents = {}, signal?: AbortSignal): Promise<QueuedBatchResult> {
  const options = req.options;
  // Checked before the folder is touched; the CLI and the editor check earlier with the same words.
  const unsupported = queuedBatchProblem(undefined, options.render.bestOf?.n);
  if (unsupported) throw new BatchError(`cannot queue this batch: ${unsupported}`);
  const bfs = deps.fs ?? nodeBatchFs;
  const folder = await openBatchFolder(options, bfs);
  const { out, manifestPath } = folder;
  try {
    const plan = await planBatch(options, deps.rewrite, events, folder);
    const settings: BatchQueueSettings = { render: options.render, detection: options.detection };

    // Re-judging with another detector needs no render: done here, as a local run does it.
    let redetected = 0;
    for (const image of plan.images) {
      const k3 = imageKey(image.variant, image.promptId, image.k);
      const item = plan.work.get(k3);
      if (item?.kind !== 'detect') continue;
      if (signal?.aborted) break;
      const prompt = plan.prompts.get(image.promptId)!;
      const file = path.join(out, item.old.file);
      const labels = [...new Set(prompt.evalPrompt.objects.map((o) => o.noun))];
      const t0 = performance.now();
      const raw = await deps.detect(file, labels, signal ?? new AbortController().signal);
      const record = batchRecord(image, prompt, item.old, raw, detectionFloor(options.detection), { render_ms: item.old.timings.render_ms, detect_ms: Math.round(performance.now() - t0) }, options, item.old.finished_at);
      plan.work.delete(k3);
      plan.done.set(k3, record);
      redetected++;
    }
    if (redetected) await plan.writeManifest();

    const batchId = await batchIdOf(out);
    const jobs = plan.images.map((image) => imageJob(image, plan.prompts.get(image.promptId)!, batchId));
    const byKey = new Map(plan.images.map((i) => [i.key, i]));
    const failedPath = path.join(out, FAILED);
    // A new enqueue tries failed images again; following only keeps them failed.
    let failures = req.mode === 'enqueue' ? [] : readFailures((await bfs.readFile(failedPath))?.toString('utf8') ?? null).filter((f) => byKey.has(f.render_key));
    try {
      if (failures.length) await bfs.writeFileAtomic(failedPath, failures.map((f) => JSON.stringify(f) + '\n').join(''));
      else await bfs.remove(failedPath);
    } catch (err) {
      throw batchFsError(err, out, `writing ${FAILED}`);
    }
    const doneKeys = [...plan.done.values()].map((r) => r.render_key);
    const manifest = new OnceLog<ManifestRecord>(manifestPath, (r) => r.render_key, doneKeys, bfs);
    const failed = new OnceLog<FailureRecord>(failedPath, (r) => r.render_key, failures.map((f) => f.render_key), bfs);
    const stageDir = await prepareStage(out, batchId).catch((err: unknown) => {
      throw batchFsError(err, out, `making ${STAGE_DIR}`);
    });
    if (req.descriptor) {
      const { outDir: _out, ...kept } = options;
      const descriptor: BatchDescriptor = { version: 1, ...req.descriptor, startedAt: new Date().toISOString(), options: kept, total: batchTotal(options) };
      await bfs.writeFileAtomic(path.join(out, DESCRIPTOR), JSON.stringify(descriptor, null, 2) + '\n');
    }
    const collector = new ImageCollector<ManifestRecord>({
      out,
      stageDir,
      jobs,
      manifest,
      failures: failed,
      accept(job, record) {
        const lost = folder.lock.compromised();
        if (lost) throw new BatchError(`${out}: lost the folder lock (${lost.message}); another process may be writing here, stopping`);
        const image = byKey.get(job.key)!;
        return acceptRecord(image, plan.prompts.get(image.promptId)!, settings, record);
      },
      describe(job) {
        const image = byKey.get(job.key)!;
        return { prompt_id: image.promptId, variant: image.variant, k: image.k, seed: image.seed };
      },
      scrub: (text) => scrub(text, req.target),
      onStored(record) {
        plan.done.set(imageKey(record.variant, record.prompt_id, record.k), record);
        plan.work.delete(imageKey(record.variant, record.prompt_id, record.k));
        events.onImage?.(record);
      },
    });

    const batch: QueueBatch<BatchQueueSettings> = {
      version: 1,
      batchId,
      out,
      modelName: path.basename(options.render.model),
      modelId: options.render.modelId,
      total: plan.images.length,
      settings,
      createdAt: new Date().toISOString(),
    };
    const coordinator = new QueueCoordinator({ target: req.target, retry: req.retry, sweepMs: req.sweepMs });
    try {
      await coordinator.connect();
      await coordinator.claim(batch);
      const pending = collector.pending();
      const added = await coordinator.enqueue(pending);
      const counts = collector.counts();
      events.onEnqueued?.({ added, pending: pending.length, done: counts.done, failed: counts.failed, total: plan.images.length });
      let complete = false;
      if (req.follow) complete = await coordinator.follow(batch, collector, events, signal);
      failures = readFailures((await bfs.readFile(failedPath))?.toString('utf8') ?? null);
      const records = plan.images.map((i) => plan.done.get(imageKey(i.variant, i.promptId, i.k))).filter((r): r is ManifestRecord => r !== undefined);
      if (complete) {
        await writeBatchOutputs(out, records, options, bfs, failures);
        await coordinator.release(batch);
        await removeStage(out).catch(() => undefined);
      }
      const done = collector.counts().done;
      return { added, total: plan.images.length, done, failures, complete, redetected, records };
    } finally {
      await coordinator.close();
    }
  } finally {
    await folder.lock.release();
  }
}

/** Reads the run descriptor of a queued batch's output folder (for `--follow` with only --out). */
export async function readQueuedBatch(out: string): Promise<BatchOptions> {
  let d: BatchDescriptor;
  try {
    d = JSON.parse(await fs.readFile(path.join(out, DESCRIPTOR), 'utf8')) as BatchDescriptor;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new BatchError(
      code === 'ENOENT'
        ? `${out} holds no batch (no ${DESCRIPTOR}); start one with spright-lens batch --model DIR --prompts FILE --out ${out} --queue URL`
        : `${path.join(out, DESCRIPTOR)} cannot be read (${code ?? 'not JSON'})`,
    );
  }
  if (d?.version !== 1 || !d.options || !Array.isArray(d.options.prompts)) throw new BatchError(`${path.join(out, DESCRIPTOR)} is not a batch description of this version`);
  return { ...d.options, outDir: out };
}
