/**
 * `npm run bench -- queue`: throughput of a batch rendered by 1, 2 and 3 `spright-lens worker`
 * processes through a Redis queue (BullMQ), against the same images rendered by plain `batch`
 * (runBatch through one forked inference service) in this process, on the tiny model. Every run
 * starts warm (models loaded by a warm-up batch) and renders the same images into a fresh folder.
 * The queue's overhead per job is (1-worker time - plain time) / images: enqueueing, a worker
 * taking the job, writing its image once, answering, and the coordinator placing it and appending
 * its manifest line. Needs redis-server (Debian: apt-get install redis-server).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promptsFromSources, runBatch, serviceBatchDeps, type BatchOptions } from '../src/batch/index';
import { runQueuedBatch } from '../src/queue/batch';
import { parseQueueUrl } from '../src/queue/url';
import { ForkedService } from '../src/service/index';
import type { BenchSection } from './harness';
import { repoRoot, tinyModel } from './render';

const PROMPTS = 12;
const IMAGES = 2;
const STEPS = 4;

interface RedisHandle {
  url(db?: number): string;
  stop(): Promise<void>;
}

/** The test suite's redis-server launcher (compiled with it), or null when redis-server is absent. */
async function startRedis(): Promise<RedisHandle | null> {
  const helper = path.join(repoRoot(), 'out', 'test', 'unit', 'helpers', 'redis.js');
  const mod = require(helper) as { redisMissing(): string | false; RedisServer: { start(): Promise<RedisHandle> } };
  if (mod.redisMissing()) return null;
  return mod.RedisServer.start();
}

/** A worker process (the compiled CLI) and the jobs it reported done. */
interface BenchWorker {
  readonly child: ChildProcess;
  done: number;
}

/** Starts a worker process and resolves once it says it is ready. */
function startWorker(url: string, model: string, name: string): Promise<BenchWorker> {
  const cli = path.join(repoRoot(), 'out', 'src', 'cli', 'main.js');
  const child = spawn(process.execPath, [cli, 'worker', '--queue', url, '--model', model, '--provider', 'cpu', '--name', name], { stdio: ['ignore', 'pipe', 'pipe'] });
  const worker: BenchWorker = { child, done: 0 };
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      const text = d.toString();
      out += text;
      worker.done += (text.match(/^done /gm) ?? []).length;
      if (/ ready: /.test(out)) resolve(worker);
    });
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => reject(new Error(`worker ${name} exited (${code}): ${out.slice(-500)}`)));
  });
}

function options(prompts: BatchOptions['prompts'], outDir: string, model: string, modelId: string): BatchOptions {
  return {
    prompts,
    outDir,
    imagesPerPrompt: IMAGES,
    seed: 0,
    rewrite: 'off',
    render: { model, modelId, steps: STEPS, guidance: 7.5, width: 64, height: 64, scheduler: 'default' },
    detection: { detector: 'embedded', threshold: 0.3, floor: 0.05 },
  };
}

export const queueSection: BenchSection = {
  name: 'queue',
  async run() {
    const redis = await startRedis();
    if (!redis) return { skipped: 'redis-server is not installed (apt-get install redis-server)' };
    const tiny = tinyModel();
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-queue-'));
    const service = new ForkedService();
    let workers: BenchWorker[] = [];
    try {
      const lines = Array.from({ length: PROMPTS + 2 }, (_, i) => `a ${['dog', 'cat', 'cup', 'book', 'car', 'tree'][i % 6]} ${['to the left of', 'above', 'below'][i % 3]} a ${['bird', 'clock', 'chair', 'apple'][i % 4]}`);
      fs.writeFileSync(path.join(root, 'p.txt'), lines.slice(2).join('\n') + '\n');
      fs.writeFileSync(path.join(root, 'warm.txt'), lines.slice(0, 2).join('\n') + '\n');
      const prompts = promptsFromSources([{ file: path.join(root, 'p.txt'), label: 'p.txt' }]);
      const warm = promptsFromSources([{ file: path.join(root, 'warm.txt'), label: 'warm.txt' }]);
      const check = await service.call('model/check', { modelDir: tiny.dir });
      if (!check.ok) throw new Error(check.problem);
      const deps = serviceBatchDeps(service, { render: options(prompts, '', tiny.dir, check.identity).render }, { provider: 'cpu', detector: { kind: 'embedded' }, floor: 0.05 });
      const images = PROMPTS * IMAGES;

      // Plain batch, warm: one forked service renders and detects every image in turn (in this process).
      const plain = async (name: string): Promise<number> => {
        await runBatch(options(warm, path.join(root, `${name}-warm`), tiny.dir, check.identity), deps);
        const t0 = performance.now();
        await runBatch(options(prompts, path.join(root, name), tiny.dir, check.identity), deps);
        return performance.now() - t0;
      };
      // Per worker count: plain and queued runs alternate (twice each) and the fastest of each
      // counts, so that the machine's other load, which drifts, hits both alike.
      const rows: Record<string, string> = {};
      const rate = (ms: number): string => `${((images / ms) * 1000).toFixed(2)} img/s`;
      let overhead = 0;
      for (let n = 1; n <= 3; n++) {
        // Workers serve one queue each: this round's get their own database.
        for (const w of workers) w.child.kill('SIGTERM');
        const url = redis.url(n);
        const target = parseQueueUrl(url);
        workers = await Promise.all(Array.from({ length: n }, (_, i) => startWorker(url, tiny.dir, `bench-${n}-${i + 1}`)));
        const run = (name: string, p: BatchOptions['prompts'], perPrompt = IMAGES): Promise<unknown> =>
          runQueuedBatch({ options: { ...options(p, path.join(root, name), tiny.dir, check.identity), imagesPerPrompt: perPrompt }, target, mode: 'enqueue', follow: true, sweepMs: 100 }, deps);
        // Warm-up until every worker has loaded its models (finished a job).
        for (let round = 0; round < 5 && workers.some((w) => w.done === 0); round++) await run(`q${n}-warm${round}`, warm, 2 * n);
        const plainRuns: number[] = [];
        const queuedRuns: number[] = [];
        for (let rep = 0; rep < 2; rep++) {
          plainRuns.push(await plain(`plain-${n}-${rep}`));
          const t0 = performance.now();
          await run(`q${n}-${rep}`, prompts);
          queuedRuns.push(performance.now() - t0);
        }
        const p = Math.min(...plainRuns);
        const q = Math.min(...queuedRuns);
        if (n === 1) {
          rows[`plain batch (${images} images, ${STEPS} steps, 64x64, cpu, ${os.cpus().length} cores)`] = `${(p / 1000).toFixed(1)} s, ${rate(p)}`;
          overhead = (q - p) / images;
        }
        rows[`queue, ${n} worker${n > 1 ? 's' : ''}`] = `${(q / 1000).toFixed(1)} s, ${rate(q)}, ${(p / q).toFixed(2)}x plain (plain beside it: ${rate(p)})`;
      }
      rows['queue overhead per job (1 worker vs plain)'] = `${overhead.toFixed(0)} ms`;
      return rows;
    } finally {
      for (const w of workers) w.child.kill('SIGTERM');
      service.dispose();
      await redis.stop();
      tiny.cleanup();
      fs.rmSync(root, { recursive: true, force: true });
    }
  },
};
