/**
 * A render worker: takes image jobs from the queue (BullMQ), renders each one, writes it once to
 * its content-addressed place, detects and judges it, and answers with the image's manifest
 * record. What rendering and judging are is given by the caller (`ImageWork`: the inference
 * service and the batch's record in the product, fakes in tests); this module owns the queue
 * side: checking what arrives, the model check, where files go, heartbeats and stopping.
 *
 * Jobs are refused, and the worker stops with a reason (the CLI exits 2), when the batch needs
 * another model than the worker's, or when a job is malformed or names a file outside the output
 * folder: those are set-up mistakes or tampering, not something a retry fixes.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import type Redis from 'ioredis';
import { decodePng } from '../image/index';
import { BEAT_MS, Heartbeat, workersKey } from './liveness';
import { confinedPath, confinedPathOnDisk, PathEscapeError } from './paths';
import { BATCH_KEY, checkBatch, checkJobData, JobDataError, QUEUE_NAME, QUEUE_PREFIX, type QueueBatch, type QueueJobData, type QueueJobResult } from './protocol';
import { bullConnection, describeRedisError, openRedis } from './redis';
import { commitExclusive, tempName } from '../io/atomic';
import { completePng, readIfExists, sharedStage, stagedFile } from './store';
import type { QueueTarget } from './url';

/** What a worker does with one image, given by the caller. `P` is the job payload, `R` the record. */
export interface ImageWork<P, R> {
  /**
   * Checks a job's payload (it comes from Redis) against the batch, including that `data.key` is
   * the resume key of what the payload asks for. Throws JobDataError.
   */
  checkPayload(data: QueueJobData, batch: QueueBatch): P;
  /** Renders the image and writes it as a PNG to `file` (a temp path this module moves into place). */
  render(payload: P, batch: QueueBatch, file: string, signal: AbortSignal): Promise<void>;
  /** Detects and judges the image at `file`; resolves to its manifest record. */
  judge(payload: P, batch: QueueBatch, file: string, timings: { renderMs: number }, signal: AbortSignal): Promise<R>;
}

/** Something a worker reports as it goes (the CLI prints one line per event). */
export type WorkerEvent =
  | { type: 'ready'; id: string }
  | { type: 'start'; jobId: string; file: string }
  | { type: 'rendered'; jobId: string; file: string; ms: number }
  /** The image was written to its content-addressed file (at most once per job, however often it runs). */
  | { type: 'wrote'; jobId: string; file: string }
  | { type: 'reused'; jobId: string; file: string }
  | { type: 'done'; jobId: string; file: string; ms: number }
  | { type: 'failed'; jobId: string; file: string; reason: string; final: boolean }
  | { type: 'warning'; message: string };

/** Options of {@link QueueWorker}. */
export interface QueueWorkerOptions<P, R> {
  readonly target: QueueTarget;
  /** The identity and folder name of the model this worker was started with. */
  readonly modelId: string;
  readonly modelName: string;
  /** Execution provider, for the worker list. */
  readonly provider: string;
  /** Jobs at a time. */
  readonly concurrency: number;
  /** Write into the output folder when it is visible here (default); false: always answer through Redis. */
  readonly shared: boolean;
  /** Name in the worker list (default `host:pid`). */
  readonly name?: string;
  /** How long a job's lock lasts without renewal before BullMQ hands the job to another worker. */
  readonly lockMs?: number;
  readonly work: ImageWork<P, R>;
  readonly onEvent?: (event: WorkerEvent) => void;
}

/** Why a worker stopped on its own: a set-up problem a person must fix. */
export class WorkerStopError extends Error {
  override readonly name = 'WorkerStopError';
}

/** Times a job may lose its worker (killed, lost lock) before it is recorded as failed. */
export const MAX_STALLS = 5;

/** Default lock: long enough for a render on a busy machine between two renewals. */
export const DEFAULT_LOCK_MS = 30_000;

/** A render came out unusable (NaN latents, an all-black picture): the same job would fail again. */
function isDeterministicFailure(err: unknown): boolean {
  return /NaN\/Infinity|came out black/.test(String((err as Error)?.message));
}

/** Whether an RGBA PNG is black everywhere (what NaN latents decode to). */
async function isBlack(file: string): Promise<boolean> {
  const image = decodePng(await fs.readFile(file));
  const d = image.data;
  for (let i = 0; i < d.length; i += 4) if (d[i] !== 0 || d[i + 1] !== 0 || d[i + 2] !== 0) return false;
  return true;
}

export class QueueWorker<P, R> {
  readonly #options: QueueWorkerOptions<P, R>;
  readonly #id: string;
  readonly #redis: Redis;
  readonly #heartbeat: Heartbeat;
  /** Where this worker keeps images it cannot write to the output folder. */
  readonly #localStage: string;
  #worker: Worker | undefined;
  readonly #batches = new Map<string, QueueBatch>();
  readonly #current = new Set<string>();
  readonly #idleWaiters: Array<() => void> = [];
  #done = 0;
  #failed = 0;
  #stopping: Promise<void> | undefined;
  #stopReason: WorkerStopError | undefined;
  readonly #finished: Promise<WorkerStopError | undefined>;
  #resolveFinished!: (reason: WorkerStopError | undefined) => void;
  #redisDown = false;

  constructor(options: QueueWorkerOptions<P, R>) {
    this.#options = options;
    this.#id = options.name ?? `${os.hostname()}:${process.pid}`;
    this.#redis = openRedis(options.target, `spright-lens:worker:${this.#id}`);
    this.#heartbeat = new Heartbeat(this.#redis, workersKey(QUEUE_PREFIX, QUEUE_NAME), {
      id: this.#id,
      host: os.hostname(),
      pid: process.pid,
      model: options.modelName,
      provider: options.provider,
      concurrency: options.concurrency,
      done: 0,
      failed: 0,
      current: [],
      state: 'waiting',
    });
    this.#localStage = path.join(os.tmpdir(), `spright-queue-${process.pid}`);
    this.#finished = new Promise((resolve) => (this.#resolveFinished = resolve));
  }

  get id(): string {
    return this.#id;
  }

  /** Resolves when the worker has stopped: undefined after {@link stop}, the reason when it stopped itself. */
  get finished(): Promise<WorkerStopError | undefined> {
    return this.#finished;
  }

  #emit(event: WorkerEvent): void {
    this.#options.onEvent?.(event);
  }

  /**
   * Connects, checks the model against the batch the queue serves now (if any) and starts taking
   * jobs. Throws WorkerStopError for a model mismatch.
   */
  async start(): Promise<void> {
    await this.#redis.connect();
    const batch = checkBatch(await this.#redis.get(BATCH_KEY));
    if (batch) this.#checkModel(batch);
    await fs.mkdir(this.#localStage, { recursive: true });
    const lockDuration = this.#options.lockMs ?? DEFAULT_LOCK_MS;
    const worker = new Worker(QUEUE_NAME, (job, token, signal) => this.#process(job, token, signal), {
      connection: bullConnection(this.#options.target, `spright-lens:worker:${this.#id}`, () => this.#stopping !== undefined),
      prefix: QUEUE_PREFIX,
      name: this.#id,
      concurrency: this.#options.concurrency,
      lockDuration,
      stalledInterval: Math.max(1000, Math.round(lockDuration / 2)),
      // A killed worker's job goes back to the queue; only a job that keeps killing its workers
      // (BullMQ's default gives up after one) is failed, after this many.
      maxStalledCount: MAX_STALLS,
      // Long polls are cheap; a short one makes an idle worker notice new jobs and a restarted
      // Redis sooner.
      drainDelay: 2,
      autorun: false,
    });
    worker.on('error', (err) => {
      // Connection trouble is reported once per outage; BullMQ reconnects by itself.
      if (!this.#redisDown) this.#emit({ type: 'warning', message: `${describeRedisError(err, this.#options.target)}; retrying` });
      this.#redisDown = true;
    });
    worker.on('ready', () => (this.#redisDown = false));
    // An image kept here only for its job's answer is no longer needed once the job is completed.
    worker.on('completed', (job: Job) => {
      const key = (job.data as Partial<QueueJobData> | undefined)?.key;
      if (typeof key === 'string' && /^[0-9a-f]{16,128}$/.test(key)) void fs.rm(stagedFile(this.#localStage, key), { force: true }).catch(() => undefined);
    });
    this.#worker = worker;
    this.#heartbeat.start(BEAT_MS);
    void worker.run().catch((err: unknown) => this.#emit({ type: 'warning', message: describeRedisError(err, this.#options.target) }));
    await worker.waitUntilReady();
    this.#emit({ type: 'ready', id: this.#id });
  }

  /**
   * Stops taking jobs. `graceful`: lets running jobs finish (a second call without it abandons
   * them; BullMQ gives them to another worker when their lock runs out).
   */
  stop(graceful = true): Promise<void> {
    if (this.#stopping && graceful) return this.#stopping;
    this.#heartbeat.update({ state: 'stopping' });
    const worker = this.#worker;
    this.#stopping = (async () => {
      if (worker) {
        // A graceful close waits for BullMQ to answer Redis, which may be down: then, once this
        // worker's own jobs are over, it closes without waiting (their jobs go back to the queue).
        const closing = worker.close(!graceful).catch(() => undefined);
        // BullMQ's close (even forced) and disconnect wait for Redis: its connections are
        // dropped without waiting instead.
        const unreachable = this.#whenRedisDown()
          .then(() => (graceful ? this.#idle() : undefined))
          .then(() => void worker.disconnect().catch(() => undefined));
        await Promise.race([closing, unreachable]);
      }
      await Promise.race([this.#heartbeat.stop(), this.#whenRedisDown()]);
      this.#redis.disconnect();
      await fs.rm(this.#localStage, { recursive: true, force: true }).catch(() => undefined);
      this.#resolveFinished(this.#stopReason);
    })();
    return this.#stopping;
  }

  /** Resolves when the Redis connection is (or goes) down. */
  #whenRedisDown(): Promise<void> {
    return new Promise((resolve) => {
      if (this.#redis.status !== 'ready') return resolve();
      const down = (): void => {
        this.#redis.off('close', down);
        resolve();
      };
      this.#redis.on('close', down);
    });
  }

  /** Resolves when none of this worker's jobs is running. */
  #idle(): Promise<void> {
    if (this.#current.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Stops on a set-up problem; {@link finished} resolves to it. */
  #fatal(reason: string): void {
    if (this.#stopReason) return;
    this.#stopReason = new WorkerStopError(reason);
    // Not awaited from inside a job: close() waits for running jobs, this one among them.
    setImmediate(() => void this.stop(false));
  }

  #checkModel(batch: QueueBatch): void {
    if (batch.modelId === this.#options.modelId) return;
    throw new WorkerStopError(
      `the queue's batch renders model ${batch.modelName} (${batch.modelId}) but this worker was started with ${this.#options.modelName} (${this.#options.modelId}); start it with --model pointing at the same model files`,
    );
  }

  /** The batch a job belongs to (read once per batch id). */
  async #batchFor(data: QueueJobData): Promise<QueueBatch> {
    const known = this.#batches.get(data.batchId);
    if (known) return known;
    const batch = checkBatch(await this.#redis.get(BATCH_KEY));
    if (!batch || batch.batchId !== data.batchId) throw new JobDataError(`job for batch ${data.batchId}, which the queue does not describe (it serves ${batch?.batchId ?? 'none'})`);
    this.#batches.set(batch.batchId, batch);
    return batch;
  }

  #update(): void {
    this.#heartbeat.update({ done: this.#done, failed: this.#failed, current: [...this.#current], state: this.#current.size ? 'working' : 'waiting' });
  }

  async #process(job: Job, token: string | undefined, signal: AbortSignal | undefined): Promise<QueueJobResult<R>> {
    const jobId = job.id ?? '?';
    let data: QueueJobData;
    let batch: QueueBatch;
    let payload: P;
    try {
      data = checkJobData(job.id, job.data);
      batch = await this.#batchFor(data);
      // Checked before any file is touched; again below, on disk, once the folder is known.
      confinedPath(batch.out, data.file);
      payload = this.#options.work.checkPayload(data, batch);
    } catch (err) {
      if (err instanceof JobDataError || err instanceof PathEscapeError) {
        const reason = `refused job ${jobId}: ${err.message}`;
        this.#fatal(reason);
        throw new UnrecoverableError(reason);
      }
      throw err;
    }
    if (batch.modelId !== this.#options.modelId) {
      // Back to the queue, for a worker with the right model; this one stops.
      try {
        this.#checkModel(batch);
      } catch (err) {
        this.#fatal((err as Error).message);
      }
      await job.moveToWait(token);
      throw new WaitingError();
    }
    const file = data.file;
    this.#current.add(file);
    this.#update();
    this.#emit({ type: 'start', jobId, file });
    const t0 = performance.now();
    try {
      const result = await this.#run(jobId, data, batch, payload, file, signal ?? new AbortController().signal);
      this.#done++;
      this.#emit({ type: 'done', jobId, file, ms: Math.round(performance.now() - t0) });
      return result;
    } catch (err) {
      const reason = (err as Error)?.message ?? String(err);
      const final = err instanceof UnrecoverableError || isDeterministicFailure(err) || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      if (final) this.#failed++;
      this.#emit({ type: 'failed', jobId, file, reason, final });
      if (err instanceof PathEscapeError) {
        this.#fatal(`refused job ${jobId}: ${reason}`);
        throw new UnrecoverableError(reason);
      }
      if (isDeterministicFailure(err) && !(err instanceof UnrecoverableError)) throw new UnrecoverableError(reason);
      throw err;
    } finally {
      this.#current.delete(file);
      this.#update();
      if (this.#current.size === 0) for (const w of this.#idleWaiters.splice(0)) w();
    }
  }

  async #run(jobId: string, data: QueueJobData, batch: QueueBatch, payload: P, file: string, signal: AbortSignal): Promise<QueueJobResult<R>> {
    const shared = this.#options.shared ? await sharedStage(batch.out, batch.batchId) : null;
    if (shared) await confinedPathOnDisk(batch.out, data.file);
    const stage = shared ?? this.#localStage;
    const staged = stagedFile(stage, data.key);
    let rendered = false;
    let renderMs = 0;
    if (completePng(await readIfExists(staged))) {
      // This job ran before (a killed worker, a lost lock): its image is there, judge it again.
      this.#emit({ type: 'reused', jobId, file });
    } else {
      const tmp = tempName(staged);
      const t0 = performance.now();
      try {
        await this.#options.work.render(payload, batch, tmp, signal);
        renderMs = Math.round(performance.now() - t0);
        if (await isBlack(tmp)) throw new UnrecoverableError('the render came out black (every pixel 0), as NaN latents decode; this image fails, the batch goes on');
        this.#emit({ type: 'rendered', jobId, file, ms: renderMs });
        rendered = (await commitExclusive(tmp, staged)) === 'committed';
        if (rendered) this.#emit({ type: 'wrote', jobId, file });
      } finally {
        await fs.rm(tmp, { force: true });
      }
    }
    const record = await this.#options.work.judge(payload, batch, staged, { renderMs }, signal);
    const png = shared ? undefined : (await fs.readFile(staged)).toString('base64');
    return { record, worker: this.#id, rendered, ...(png !== undefined ? { png } : {}) };
  }
}
