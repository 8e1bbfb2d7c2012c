/**
 * The coordinator's side of a queued batch: it claims the queue for its batch, enqueues the
 * images (job ids are the images' resume keys, so enqueueing twice adds nothing), and follows the
 * batch: it takes each finished job's result, hands it to the collector (which writes the image
 * and its manifest line exactly once), records jobs that failed all their attempts, notices a
 * queue that Redis lost and enqueues again what is missing, and reports progress and workers.
 *
 * It is woken by BullMQ's QueueEvents and, as a backstop for events missed while disconnected, by
 * a periodic sweep; correctness never depends on either's timing.
 */
import { Queue, QueueEvents, type Job } from 'bullmq';
import type Redis from 'ioredis';
import { ResultRefusedError } from './collector';
import { LivenessTracker, workersKey, type WorkerView } from './liveness';
import { BATCH_KEY, checkBatch, checkJobData, jobIdFor, JobDataError, QUEUE_NAME, QUEUE_PREFIX, type QueueBatch, type QueueJobData, type QueueJobResult } from './protocol';
import { bullConnection, describeRedisError, openRedis } from './redis';
import type { QueueTarget } from './url';

/** How the batch's jobs are retried. */
export interface RetryPolicy {
  /** Tries per job before it is recorded as failed (default 3). */
  readonly attempts: number;
  /** First retry delay; doubled at each retry (default 2000 ms). */
  readonly backoffMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 3, backoffMs: 2000 };

/** What the coordinator needs from the batch (which images, and where results go). */
export interface Collector<R> {
  /** Every image neither finished nor recorded as failed, as jobs. */
  pending(): QueueJobData[];
  /**
   * Stores a finished job's image and record, exactly once per image: 'stored' when this call
   * stored it, 'known' when it was already stored (a job run twice, a restart). Throws for a
   * result that cannot be used; that image is then recorded as failed with the reason.
   */
  complete(data: QueueJobData, result: QueueJobResult<R>): Promise<'stored' | 'known'>;
  /** Records an image whose job failed every attempt (once per image). */
  fail(data: QueueJobData, reason: string, attempts: number): Promise<void>;
  /** Whether `key` is one of this batch's images. */
  has(key: string): boolean;
  /** Images stored and recorded as failed so far. */
  counts(): { done: number; failed: number };
}

/** Progress of a followed batch. */
export interface FollowStatus {
  readonly done: number;
  readonly failed: number;
  readonly total: number;
  /** Jobs waiting, running and delayed (waiting for a retry) in the queue now. */
  readonly waiting: number;
  readonly active: number;
  readonly delayed: number;
  /** Images finished per second over the last minute (null before two finish). */
  readonly rate: number | null;
  readonly etaMs: number | null;
  readonly workers: readonly WorkerView[];
}

/** Events while following. */
export interface FollowEvents {
  onStatus?(status: FollowStatus): void;
  /** One line for a person: a lost queue enqueued again, a result refused... */
  onWarning?(message: string): void;
}

/** The queue serves another batch that is not finished. */
export class QueueBusyError extends Error {
  override readonly name = 'QueueBusyError';
}

/** Options of {@link QueueCoordinator}. */
export interface CoordinatorOptions {
  readonly target: QueueTarget;
  readonly retry?: RetryPolicy;
  /** Sweep period when no event arrives, in ms (default 2000). */
  readonly sweepMs?: number;
  readonly now?: () => number;
}

const ENQUEUE_CHUNK = 500;
const COLLECT_PAGE = 200;
const RATE_WINDOW_MS = 60_000;

export class QueueCoordinator {
  readonly #options: CoordinatorOptions;
  readonly #redis: Redis;
  readonly #queue: Queue;
  #events: QueueEvents | undefined;
  readonly #now: () => number;
  #wake: (() => void) | undefined;
  #dirty = true;
  #closed = false;

  constructor(options: CoordinatorOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => performance.now());
    this.#redis = openRedis(options.target, 'spright-lens:coordinator');
    this.#queue = new Queue(QUEUE_NAME, { connection: bullConnection(options.target, 'spright-lens:coordinator:queue'), prefix: QUEUE_PREFIX });
    this.#queue.on('error', () => undefined);
    // A reconnect may follow a Redis restart that lost the queue: look at once.
    this.#redis.on('ready', () => this.#poke());
  }

  async connect(): Promise<void> {
    await this.#redis.connect();
    await this.#queue.waitUntilReady();
  }

  #poke(): void {
    this.#dirty = true;
    this.#wake?.();
  }

  /** The batch the queue serves now, if any. */
  async current(): Promise<QueueBatch | null> {
    return checkBatch(await this.#redis.get(BATCH_KEY));
  }

  /** Jobs of any state in the queue. */
  async jobCount(): Promise<number> {
    return this.#queue.getJobCountByTypes('waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed', 'paused' as never);
  }

  /**
   * Makes the queue serve `batch`. A queue serving another batch is taken over only when it holds
   * no jobs (that batch finished and was collected); else QueueBusyError.
   */
  async claim(batch: QueueBatch): Promise<void> {
    const now = await this.current();
    if (now && now.batchId !== batch.batchId) {
      const left = await this.jobCount();
      if (left > 0) {
        throw new QueueBusyError(
          `the queue at ${this.#options.target.display} serves another batch (output folder ${now.out}, model ${now.modelName}) with ${left} job${left === 1 ? '' : 's'} not yet collected; follow that batch to its end (spright-lens batch --queue URL --out ${now.out} --follow), or give this batch its own database (…/1, …/2)`,
        );
      }
    }
    await this.#redis.set(BATCH_KEY, JSON.stringify(batch));
  }

  /**
   * Adds the jobs; an image already queued, running or finished-but-not-collected is not added
   * again (its job id exists). Resolves to the number of jobs that were new.
   */
  async enqueue(jobs: readonly QueueJobData[]): Promise<number> {
    const retry = this.#options.retry ?? DEFAULT_RETRY;
    const before = await this.jobCount();
    for (let i = 0; i < jobs.length; i += ENQUEUE_CHUNK) {
      await this.#queue.addBulk(
        jobs.slice(i, i + ENQUEUE_CHUNK).map((data) => ({
          name: 'image',
          data,
          opts: {
            jobId: jobIdFor(data.key),
            attempts: retry.attempts,
            backoff: { type: 'exponential', delay: retry.backoffMs },
            // The coordinator removes each job once it has stored or recorded it.
            removeOnComplete: false,
            removeOnFail: false,
          },
        })),
      );
    }
    return Math.max(0, (await this.jobCount()) - before);
  }

  /**
   * Collects results until every image of `collector` is finished or failed, or `signal` fires.
   * Resolves true when the batch is complete.
   */
  async follow<R>(batch: QueueBatch, collector: Collector<R>, events: FollowEvents = {}, signal?: AbortSignal): Promise<boolean> {
    const qe = new QueueEvents(QUEUE_NAME, { connection: bullConnection(this.#options.target, 'spright-lens:coordinator:events'), prefix: QUEUE_PREFIX });
    this.#events = qe;
    qe.on('error', () => undefined);
    for (const name of ['completed', 'failed', 'stalled', 'active'] as const) qe.on(name, () => this.#poke());
    const liveness = new LivenessTracker(this.#redis, workersKey(QUEUE_PREFIX, QUEUE_NAME), this.#now);
    const finishedAt: number[] = [];
    let down = false;
    const onAbort = (): void => this.#wake?.();
    signal?.addEventListener('abort', onAbort);
    try {
      for (;;) {
        if (signal?.aborted) return false;
        this.#dirty = false;
        try {
          await this.#ensureQueue(batch, collector, events);
          await this.#collectCompleted(collector, events, finishedAt);
          await this.#collectFailed(collector, events);
          if (down) events.onWarning?.(`${this.#options.target.display} is back`);
          down = false;
        } catch (err) {
          if (err instanceof QueueBusyError) throw err;
          if (!isConnectionError(err)) throw err;
          if (!down) events.onWarning?.(`${describeRedisError(err, this.#options.target)}; waiting for it to come back`);
          down = true;
        }
        const remaining = collector.pending().length;
        const status = await this.#status(collector, batch, liveness, finishedAt, remaining, down);
        events.onStatus?.(status);
        if (remaining === 0) return true;
        await this.#sleep();
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.#events = undefined;
      await qe.close().catch(() => undefined);
    }
  }

  /** Marks the queue free (the batch is complete): its description goes, so another batch may claim it. */
  async release(batch: QueueBatch): Promise<void> {
    const now = await this.current();
    if (now?.batchId === batch.batchId) await this.#redis.del(BATCH_KEY);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#wake?.();
    await this.#events?.close().catch(() => undefined);
    await this.#queue.close().catch(() => undefined);
    this.#redis.disconnect();
  }

  #sleep(): Promise<void> {
    if (this.#dirty || this.#closed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, this.#options.sweepMs ?? 2000);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = () => {
        this.#wake = undefined;
        done();
      };
    });
  }

  /**
   * A queue whose batch description vanished lost everything (Redis restarted without
   * persistence, or was flushed): describe the batch again and enqueue every image that is not
   * finished or failed. Jobs that survived are not added twice.
   */
  async #ensureQueue<R>(batch: QueueBatch, collector: Collector<R>, events: FollowEvents): Promise<void> {
    const now = await this.current();
    if (now?.batchId === batch.batchId) return;
    if (now) throw new QueueBusyError(`another coordinator took the queue at ${this.#options.target.display} for the batch in ${now.out}; this one stops`);
    await this.claim(batch);
    const added = await this.enqueue(collector.pending());
    events.onWarning?.(
      `the queue at ${this.#options.target.display} lost its jobs (Redis restarted without persistence?); enqueued again the ${added} image${added === 1 ? '' : 's'} not in the manifest`,
    );
  }

  async #collectCompleted<R>(collector: Collector<R>, events: FollowEvents, finishedAt: number[]): Promise<void> {
    for (;;) {
      const jobs = await this.#queue.getJobs(['completed'], 0, COLLECT_PAGE - 1, true);
      if (jobs.length === 0) return;
      for (const job of jobs as Job[]) {
        const data = this.#ours(job, collector, events);
        if (data) {
          try {
            const stored = await collector.complete(data, job.returnvalue as QueueJobResult<R>);
            if (stored === 'stored') finishedAt.push(this.#now());
          } catch (err) {
            if (!(err instanceof ResultRefusedError)) throw err;
            const reason = `the worker's result was refused: ${err.message}`;
            events.onWarning?.(`${data.file}: ${reason}`);
            await collector.fail(data, reason, job.attemptsMade);
          }
        }
        // Only after the image is stored: a coordinator killed before this sees the job again,
        // and the collector knows it.
        await job.remove().catch((err: unknown) => {
          if (isConnectionError(err)) throw err;
        });
      }
      if (jobs.length < COLLECT_PAGE) return;
    }
  }

  async #collectFailed<R>(collector: Collector<R>, events: FollowEvents): Promise<void> {
    for (;;) {
      const jobs = await this.#queue.getJobs(['failed'], 0, COLLECT_PAGE - 1, true);
      if (jobs.length === 0) return;
      for (const job of jobs as Job[]) {
        const data = this.#ours(job, collector, events);
        if (data) await collector.fail(data, job.failedReason || 'failed', job.attemptsMade);
        await job.remove().catch((err: unknown) => {
          if (isConnectionError(err)) throw err;
        });
      }
      if (jobs.length < COLLECT_PAGE) return;
    }
  }

  /** The job's data when it is one of this batch's images; anything else is dropped with a note. */
  #ours<R>(job: Job, collector: Collector<R>, events: FollowEvents): QueueJobData | null {
    try {
      const data = checkJobData(job.id, job.data);
      if (collector.has(data.key)) return data;
      events.onWarning?.(`dropping job ${job.id}: not an image of this batch`);
    } catch (err) {
      if (!(err instanceof JobDataError)) throw err;
      events.onWarning?.(`dropping job ${job.id}: ${err.message}`);
    }
    return null;
  }

  async #status<R>(collector: Collector<R>, batch: QueueBatch, liveness: LivenessTracker, finishedAt: number[], remaining: number, down: boolean): Promise<FollowStatus> {
    const now = this.#now();
    while (finishedAt.length && now - finishedAt[0]! > RATE_WINDOW_MS) finishedAt.shift();
    const span = finishedAt.length >= 2 ? (now - finishedAt[0]!) / 1000 : 0;
    const rate = span > 0 ? (finishedAt.length - 1) / span : null;
    let counts = { waiting: 0, active: 0, delayed: 0 };
    let workers: WorkerView[] = [];
    if (!down) {
      try {
        const c = await this.#queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
        counts = { waiting: (c.waiting ?? 0) + (c.prioritized ?? 0), active: c.active ?? 0, delayed: c.delayed ?? 0 };
        workers = await liveness.poll();
      } catch (err) {
        if (!isConnectionError(err)) throw err;
      }
    }
    const { done, failed } = collector.counts();
    return { done, failed, total: batch.total, ...counts, rate, etaMs: rate ? (remaining / rate) * 1000 : null, workers };
  }
}

/** Whether an error means Redis is unreachable for now (the follow loop waits and tries again). */
export function isConnectionError(err: unknown): boolean {
  const e = err as (Error & { code?: string }) | undefined;
  const text = `${e?.code ?? ''} ${e?.message ?? ''}`;
  return /ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|Connection is closed|Stream isn't writeable|max retries|LOADING|Connection closed|ClientClosed/i.test(text);
}
