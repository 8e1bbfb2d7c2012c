/**
 * `spright-lens worker`: a render worker for batches on a Redis queue (`batch ... --queue URL`).
 * It renders through the inference service, as every other command does, with the model folder
 * it was started with, and stops with exit 2 and one line on set-up problems: an unreachable
 * Redis, wrong credentials, a model other than the batch's, or a job it must refuse.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { parseDetectorSpec } from '../args';
import type { CliContext, Command } from '../command';
import { InputError, UsageError } from '../command';
import { cliError, forkedService } from '../service';
import { PROVIDER_REQUESTS, type ProviderRequest } from '../../protocol/service';
import type { InferenceService } from '../../service';
import { batchImageWork } from '../../queue/batch';
import { probeRedis, QueueConnectionError } from '../../queue/redis';
import { parseQueueUrl, QueueUrlError, scrub, type QueueTarget } from '../../queue/url';
import { DEFAULT_LOCK_MS, QueueWorker, WorkerStopError, type WorkerEvent } from '../../queue/worker';

const USAGE = `Usage: spright-lens worker --queue URL --model DIR [options]

Renders the images of a batch started with \`spright-lens batch ... --queue URL\`: takes jobs from
the queue, renders each with the model in --model (it must be the batch's model: the same files),
detects and judges it, and writes it into the batch's output folder when this machine sees that
folder at the same path (a shared disk); otherwise it sends the image back through Redis and the
coordinator writes it. Start one worker per GPU, on as many machines as you like. It runs until
Ctrl-C (running jobs finish first; a second Ctrl-C quits at once) and prints one line per event.

Options:
  --queue URL           redis://[:PASSWORD@]HOST[:PORT][/DB], or rediss://... for TLS; the
                        password may instead come from the SPRIGHT_QUEUE_PASSWORD variable
  --model DIR           ONNX Stable Diffusion 2.x folder: the batch's model (required)
  --provider NAME       ${PROVIDER_REQUESTS.join(' | ')} (default auto)
  --device N            GPU index for cuda/webgpu (default 0)
  --concurrency N       jobs at a time, each in its own inference service with its own copy
                        of the model (default 1: one render at a time per GPU)
  --detector SPEC       embedded (default) | owlvit:DIR: the batch's detector, here
  --no-shared           always send images back through Redis, even where the output folder
                        is visible (a slow network disk)
  --stall-seconds N     a job whose worker went silent this long is given to another worker
                        (default ${DEFAULT_LOCK_MS / 1000}; longer than a render never needs)
  --name NAME           this worker's name in the coordinator's list (default HOST:PID)
`;

function intArg(name: string, v: string | undefined, def: number, min: number, max: number): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < min || n > max) throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got '${v}'`);
  return n;
}

/** A fixed set of inference services; each job borrows one at a time. */
class ServicePool {
  readonly #free: InferenceService[];
  readonly #all: InferenceService[];
  readonly #waiting: Array<(s: InferenceService) => void> = [];

  constructor(services: InferenceService[]) {
    this.#all = services;
    this.#free = [...services];
  }

  async use<T>(fn: (service: InferenceService) => Promise<T>): Promise<T> {
    const service = this.#free.pop() ?? (await new Promise<InferenceService>((resolve) => this.#waiting.push(resolve)));
    try {
      return await fn(service);
    } finally {
      const next = this.#waiting.shift();
      if (next) next(service);
      else this.#free.push(service);
    }
  }

  dispose(): void {
    for (const s of this.#all) s.dispose();
  }
}

/** One line per event, with the job id (so logs tie renders to jobs); error texts from elsewhere are scrubbed. */
function eventLine(e: WorkerEvent, target: QueueTarget): string | null {
  switch (e.type) {
    case 'ready':
      return null;
    case 'start':
      return `start ${e.file} ${e.jobId}`;
    case 'rendered':
      return `rendered ${e.file} ${e.jobId} ${e.ms} ms`;
    case 'wrote':
      return `wrote ${e.file} ${e.jobId}`;
    case 'reused':
      return `found ${e.file} ${e.jobId} already rendered; judging it`;
    case 'done':
      return `done ${e.file} ${e.jobId} ${e.ms} ms`;
    case 'failed':
      return `failed ${e.file} ${e.jobId}${e.final ? '' : ' (will be retried)'}: ${scrub(e.reason, target)}`;
    case 'warning':
      return `warning: ${e.message}`;
  }
}

const command: Command = {
  name: 'worker',
  summary: 'Render the images of a batch queued on Redis (one worker per GPU)',
  usage: USAGE,
  endsProcess: true,
  async run(argv: string[], ctx: CliContext): Promise<number> {
    let values;
    try {
      ({ values } = parseArgs({
        args: argv,
        options: {
          queue: { type: 'string' },
          model: { type: 'string' },
          provider: { type: 'string' },
          device: { type: 'string' },
          concurrency: { type: 'string' },
          detector: { type: 'string' },
          'no-shared': { type: 'boolean' },
          'stall-seconds': { type: 'string' },
          name: { type: 'string' },
        },
        allowPositionals: false,
      }));
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    if (!values.queue) throw new UsageError('--queue URL is required (redis://HOST:PORT/DB of the batch)');
    if (!values.model) throw new UsageError('--model DIR is required (the batch\'s model folder)');
    let target: QueueTarget;
    try {
      target = parseQueueUrl(values.queue, ctx.env);
    } catch (err) {
      if (err instanceof QueueUrlError) throw new UsageError(err.message);
      throw err;
    }
    const provider = (values.provider ?? 'auto') as ProviderRequest;
    if (!PROVIDER_REQUESTS.includes(provider)) throw new UsageError(`--provider must be one of ${PROVIDER_REQUESTS.join(', ')}, got '${values.provider}'`);
    const deviceId = intArg('device', values.device, 0, 0, 64);
    const concurrency = intArg('concurrency', values.concurrency, 1, 1, 64);
    const stallMs = intArg('stall-seconds', values['stall-seconds'], DEFAULT_LOCK_MS / 1000, 2, 86_400) * 1000;
    const detector = parseDetectorSpec(values.detector ?? 'embedded', ctx.cwd);
    const modelDir = path.resolve(ctx.cwd, values.model);
    const name = values.name ?? `${os.hostname()}:${process.pid}`;
    if (!/^[A-Za-z0-9_.:@-]{1,100}$/.test(name)) throw new UsageError(`--name may hold letters, digits and _ . : @ - (up to 100), got '${values.name}'`);

    // Redis first: it answers (or not) within seconds, before any model is looked at.
    try {
      await probeRedis(target);
    } catch (err) {
      if (err instanceof QueueConnectionError) throw new InputError(err.message);
      throw err;
    }
    const services = Array.from({ length: concurrency }, () => forkedService(ctx));
    const pool = new ServicePool(services);
    try {
      let check;
      try {
        check = await services[0]!.call('model/check', { modelDir });
      } catch (err) {
        throw cliError(err);
      }
      if (!check.ok) throw new InputError(check.problem);
      const say = (line: string): void => void ctx.stdout.write(`${line}\n`);
      const worker = new QueueWorker({
        target,
        modelId: check.identity,
        modelName: path.basename(modelDir),
        provider,
        concurrency,
        shared: !values['no-shared'],
        name,
        lockMs: stallMs,
        work: batchImageWork({ modelDir, provider, deviceId, detector, use: (fn) => pool.use(fn) }),
        onEvent: (e) => {
          const line = eventLine(e, target);
          if (line) say(line);
        },
      });
      try {
        await worker.start();
      } catch (err) {
        await worker.stop(false);
        if (err instanceof WorkerStopError) throw new InputError(err.message);
        throw err;
      }
      say(`worker ${worker.id} ready: model ${path.basename(modelDir)} (${check.identity}), provider ${provider}, ${concurrency} job${concurrency === 1 ? '' : 's'} at a time, queue ${target.display}`);
      const onAbort = (): void => {
        say('stopping: finishing the running jobs (Ctrl-C again to quit at once)');
        void worker.stop(true);
      };
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      const reason = await worker.finished;
      ctx.signal.removeEventListener('abort', onAbort);
      if (reason) throw new InputError(reason.message);
      say(`worker ${worker.id} stopped`);
      return 0;
    } finally {
      pool.dispose();
    }
  },
};
export default command;
