/**
 * The coordinator's collector for image jobs: puts each finished image at its batch name and
 * appends its record to the manifest exactly once, and records failed images once. It trusts
 * nothing a worker says about where files go: the image's name comes from the coordinator's own
 * list of jobs, and the record must describe that very image.
 */
import * as path from 'node:path';
import type { Collector } from './coordinator';
import type { OnceLog } from './onceLog';
import { confinedPath } from './paths';
import type { QueueJobData, QueueJobResult } from './protocol';
import { completePng, placeFinal, readIfExists, stagedFile, writeExclusive } from './store';

/** A worker's result that cannot be used: the image is recorded as failed with this reason. */
export class ResultRefusedError extends Error {
  override readonly name = 'ResultRefusedError';
}

/** One line of failed.jsonl: an image whose job failed every attempt. */
export interface FailureRecord {
  /** The image's resume key. */
  readonly render_key: string;
  /** Its file, relative to the output folder (never written). */
  readonly file: string;
  /** The last attempt's error. */
  readonly error: string;
  readonly attempts: number;
  readonly failed_at: string;
  /** What the batch says about the image (prompt id, variant, k...). */
  readonly [extra: string]: unknown;
}

/** Options of {@link ImageCollector}. */
export interface ImageCollectorOptions<R> {
  /** The output folder. */
  readonly out: string;
  /** Where workers put finished images (the output folder's stage folder). */
  readonly stageDir: string;
  /** Every image of the batch. */
  readonly jobs: readonly QueueJobData[];
  readonly manifest: OnceLog<R>;
  readonly failures: OnceLog<FailureRecord>;
  /**
   * Checks that a worker's record describes `job` (same key, file, prompt...) and returns the
   * record to store. Throws ResultRefusedError with the reason otherwise (other errors stop the
   * coordinator).
   */
  accept(job: QueueJobData, record: unknown): R;
  /** Extra fields of an image's failure line. */
  describe?(job: QueueJobData): Record<string, unknown>;
  /** Makes a failure reason safe to write (removes credentials). */
  scrub?(text: string): string;
  /** Called once per stored record. */
  onStored?(record: R, result: QueueJobResult<R>): void;
}

export class ImageCollector<R> implements Collector<R> {
  readonly #o: ImageCollectorOptions<R>;
  readonly #byKey: Map<string, QueueJobData>;

  constructor(options: ImageCollectorOptions<R>) {
    this.#o = options;
    this.#byKey = new Map(options.jobs.map((j) => [j.key, j]));
  }

  has(key: string): boolean {
    return this.#byKey.has(key);
  }

  pending(): QueueJobData[] {
    return this.#o.jobs.filter((j) => !this.#o.manifest.has(j.key) && !this.#o.failures.has(j.key));
  }

  counts(): { done: number; failed: number } {
    let done = 0;
    let failed = 0;
    for (const j of this.#o.jobs) {
      if (this.#o.manifest.has(j.key)) done++;
      else if (this.#o.failures.has(j.key)) failed++;
    }
    return { done, failed };
  }

  async complete(data: QueueJobData, result: QueueJobResult<R>): Promise<'stored' | 'known'> {
    const job = this.#byKey.get(data.key);
    if (!job) throw new ResultRefusedError(`not an image of this batch (${data.key})`);
    if (this.#o.manifest.has(job.key)) return 'known';
    if (!result || typeof result !== 'object') throw new ResultRefusedError('no result');
    const record = this.#o.accept(job, result.record);
    const staged = stagedFile(this.#o.stageDir, job.key);
    if (typeof result.png === 'string') {
      const bytes = Buffer.from(result.png, 'base64');
      if (!completePng(bytes)) throw new ResultRefusedError('the image sent back is not a whole PNG');
      // Exclusive: an image written before (an earlier delivery of the same job) stays.
      await writeExclusive(staged, bytes);
    } else if (!completePng(await readIfExists(staged))) {
      throw new ResultRefusedError(`the worker wrote ${path.join(path.basename(this.#o.stageDir), `${job.key}.png`)} but it is missing or incomplete here; is the output folder shared at the same path on that machine?`);
    }
    // The name comes from the coordinator's own job, never from the result.
    await placeFinal(staged, confinedPath(this.#o.out, job.file));
    const appended = await this.#o.manifest.append(record);
    if (appended) this.#o.onStored?.(record, result);
    return appended ? 'stored' : 'known';
  }

  async fail(data: QueueJobData, reason: string, attempts: number): Promise<void> {
    const job = this.#byKey.get(data.key);
    if (!job || this.#o.manifest.has(job.key)) return;
    const error = this.#o.scrub ? this.#o.scrub(reason) : reason;
    await this.#o.failures.append({ render_key: job.key, file: job.file, ...(this.#o.describe?.(job) ?? {}), error, attempts, failed_at: new Date().toISOString() });
  }
}
