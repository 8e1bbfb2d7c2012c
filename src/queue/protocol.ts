/**
 * What travels through Redis between the coordinator (`batch --queue`) and the render workers:
 * the batch description every job refers to, each image job's envelope, and what a worker answers.
 * Everything here arrives from a shared server and is checked on receipt.
 */

/** BullMQ key prefix and queue name: every key is `spright-lens:render:...`. */
export const QUEUE_PREFIX = 'spright-lens';
export const QUEUE_NAME = 'render';

/** The key of the batch description (one batch per queue: one Redis database per batch at a time). */
export const BATCH_KEY = `${QUEUE_PREFIX}:${QUEUE_NAME}:batch`;

/** Job ids are `img-` and the image's resume key (never all digits, which BullMQ refuses). */
export function jobIdFor(key: string): string {
  return `img-${key}`;
}

/** The resume key of a job id made by {@link jobIdFor}, or null. */
export function keyOfJobId(id: string | undefined): string | null {
  return id && id.startsWith('img-') ? id.slice(4) : null;
}

/** Resume keys are hex digests; anything else in a job is forged or corrupted. */
const KEY = /^[0-9a-f]{16,128}$/;

/**
 * The batch a queue serves, written by the coordinator before it enqueues anything. `S` is what
 * every image of the batch shares (render and detection settings).
 */
export interface QueueBatch<S = unknown> {
  readonly version: 1;
  /** Random id of the batch, kept in its output folder so that a restarted coordinator reuses it. */
  readonly batchId: string;
  /** The output folder as the coordinator sees it; workers that see the same path write there. */
  readonly out: string;
  /** Folder name of the model (for messages), and its identity, which a worker's model must have. */
  readonly modelName: string;
  readonly modelId: string;
  /** Images in the batch. */
  readonly total: number;
  readonly settings: S;
  readonly createdAt: string;
}

/** One image job. `P` is what the worker needs to render, detect and judge it. */
export interface QueueJobData<P = unknown> {
  readonly v: 1;
  readonly batchId: string;
  /** The image's resume key; the job id is `img-` + key. */
  readonly key: string;
  /** Output file relative to the output folder (`3_0.png`, `rewrite/3_0.png`). */
  readonly file: string;
  readonly payload: P;
}

/** What a worker answers for a finished job. `R` is the image's manifest record. */
export interface QueueJobResult<R = unknown> {
  readonly record: R;
  /** The PNG as base64, when the worker could not write to the output folder itself. */
  readonly png?: string;
  /** The worker that made it (`host:pid`). */
  readonly worker: string;
  /** False when the worker found the image already rendered (a job run again) and only judged it. */
  readonly rendered: boolean;
}

/** A job whose data is not what this version writes: forged, corrupted, or from another version. */
export class JobDataError extends Error {
  override readonly name = 'JobDataError';
}

/** Checks a job's envelope (not its payload, which its consumer checks). */
export function checkJobData(id: string | undefined, data: unknown): QueueJobData {
  const d = data as Partial<QueueJobData> | null;
  const where = `job ${id ?? '?'}`;
  if (typeof d !== 'object' || d === null || Array.isArray(d)) throw new JobDataError(`${where}: its data is not an object`);
  if (d.v !== 1) throw new JobDataError(`${where}: made by another version of spright-lens (format ${JSON.stringify(d.v)}); use the same version for the coordinator and the workers`);
  if (typeof d.batchId !== 'string' || !/^[0-9a-f-]{8,64}$/.test(d.batchId)) throw new JobDataError(`${where}: no batch id`);
  if (typeof d.key !== 'string' || !KEY.test(d.key)) throw new JobDataError(`${where}: bad image key`);
  if (id !== jobIdFor(d.key)) throw new JobDataError(`${where}: its id does not match its image key`);
  if (typeof d.file !== 'string') throw new JobDataError(`${where}: names no output file`);
  return d as QueueJobData;
}

/** Checks a stored batch description. */
export function checkBatch(text: string | null): QueueBatch | null {
  if (text === null) return null;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  const b = v as Partial<QueueBatch> | null;
  if (!b || b.version !== 1 || typeof b.batchId !== 'string' || typeof b.out !== 'string' || typeof b.modelId !== 'string' || typeof b.total !== 'number') return null;
  return b as QueueBatch;
}
