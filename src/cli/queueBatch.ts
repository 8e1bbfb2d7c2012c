/**
 * `batch --queue URL`: the coordinator's side of a batch rendered by `spright-lens worker`
 * processes. Enqueues the batch (and with --follow collects it to the end: progress, rate, ETA
 * and the workers' liveness on stderr; summary.json and report.html when done), or, with only
 * --out and --follow, follows a batch enqueued earlier.
 */
import * as path from 'node:path';
import type { CliContext } from './command';
import { InputError } from './command';
import { BatchError, ProgressReporter, type BatchDeps, type BatchOptions } from '../batch/index';
import { FAILED, runQueuedBatch, type QueuedBatchRequest } from '../queue/batch';
import { QueueBusyError, type FollowStatus } from '../queue/coordinator';
import { formatWorkers } from '../queue/liveness';
import { probeRedis, QueueConnectionError } from '../queue/redis';
import type { QueueTarget } from '../queue/url';

/** What the batch command hands over. */
export interface QueueBatchRun {
  readonly target: QueueTarget;
  readonly options: BatchOptions;
  /** 'enqueue' (re)starts the batch; 'attach' follows one enqueued earlier (see QueuedBatchRequest). */
  readonly mode: QueuedBatchRequest['mode'];
  readonly follow: boolean;
  readonly descriptor?: QueuedBatchRequest['descriptor'];
  /** Rewrites, and detection for finished images whose detector changed. */
  readonly deps: Pick<BatchDeps, 'rewrite' | 'detect'>;
}

/** "12/60 20%  1.3 img/s  ETA 35s  2 failed · w1 3 done, working 5_0.png" */
function statusLabel(s: FollowStatus): string {
  const rate = s.rate === null ? '' : `${s.rate >= 1 ? s.rate.toFixed(1) : s.rate.toFixed(2)} img/s  `;
  const failed = s.failed ? `${s.failed} failed  ` : '';
  const queued = `${s.waiting} waiting, ${s.active} running${s.delayed ? `, ${s.delayed} to retry` : ''}`;
  return `${rate}${failed}${queued} · ${formatWorkers(s.workers)}`;
}

/** The command line that follows this batch again, without printing a password. */
function followCommand(target: QueueTarget, out: string): string {
  const url = target.redis.password !== undefined ? 'URL' : target.display;
  return `spright-lens batch --queue ${url} --out ${out} --follow`;
}

/** Checks within seconds that the queue's Redis answers and takes the credentials (else exit 2, one line). */
export async function probeQueue(target: QueueTarget): Promise<void> {
  try {
    await probeRedis(target);
  } catch (err) {
    if (err instanceof QueueConnectionError) throw new InputError(err.message);
    throw err;
  }
}

/** Enqueues (and with `follow` collects) a batch on the queue; call {@link probeQueue} first. */
export async function runQueueBatch(run: QueueBatchRun, ctx: CliContext): Promise<number> {
  const { target } = run;
  const { options } = run;
  const progress = new ProgressReporter(ctx.stderr);
  const warn = (m: string): void => {
    progress.finish();
    ctx.stderr.write(`warning: ${m}\n`);
  };
  try {
    const result = await runQueuedBatch(
      { options, target, mode: run.mode, follow: run.follow, descriptor: run.descriptor },
      { rewrite: run.deps.rewrite, detect: run.deps.detect },
      {
        onWarning: warn,
        onEnqueued: (i) => {
          ctx.stderr.write(
            `${target.display}: ${i.added} image${i.added === 1 ? '' : 's'} enqueued, ${i.pending - i.added} already in the queue, ${i.done} finished before${i.failed ? `, ${i.failed} failed before` : ''}, ${i.total} in all\n`,
          );
        },
        onStatus: (s) => progress.update(s.done + s.failed, s.total, s.etaMs, statusLabel(s)),
      },
      ctx.signal,
    );
    progress.finish();
    const out = path.resolve(options.outDir);
    if (!run.follow) {
      ctx.stdout.write(`enqueued; start workers with: spright-lens worker --queue URL --model ${options.render.model}\nfollow and collect with: ${followCommand(target, out)}\n`);
      return 0;
    }
    if (!result.complete) {
      ctx.stdout.write(`${result.done} of ${result.total} images finished; stopped following (the workers go on). Follow again with: ${followCommand(target, out)}\n`);
      return 130;
    }
    const failed = result.failures.length;
    ctx.stdout.write(
      `${result.done} images finished${failed ? `, ${failed} failed (${path.join(out, FAILED)}; running the same batch command again retries them)` : ''}, ${result.total} in all\nreport: ${path.join(out, 'report.html')}\n`,
    );
    return failed ? 1 : 0;
  } catch (err) {
    progress.finish();
    if (err instanceof BatchError || err instanceof QueueBusyError) throw new InputError(err.message);
    throw err;
  }
}
