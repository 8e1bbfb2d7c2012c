/**
 * The queue's coordinator, collector and workers on a real redis-server, with image work faked
 * (tiny PNGs, records naming their job): exactly-once collection, failures that fail one image,
 * results through Redis when the folder is not shared, refused jobs and model mismatches.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Queue } from 'bullmq';
import { createImage, encodePng } from '../../src/image/index';
import { ImageCollector, ResultRefusedError, type FailureRecord } from '../../src/queue/collector';
import { QueueBusyError, QueueCoordinator } from '../../src/queue/coordinator';
import { OnceLog } from '../../src/queue/onceLog';
import { jobIdFor, QUEUE_NAME, QUEUE_PREFIX, type QueueBatch, type QueueJobData } from '../../src/queue/protocol';
import { bullConnection } from '../../src/queue/redis';
import { prepareStage, STAGE_DIR } from '../../src/queue/store';
import { parseQueueUrl, type QueueTarget } from '../../src/queue/url';
import { QueueWorker, WorkerStopError, type ImageWork, type WorkerEvent } from '../../src/queue/worker';
import { RedisServer, redisMissing } from './helpers/redis';

interface Rec {
  render_key: string;
  file: string;
  i: number;
  worker: string;
}

const temps: string[] = [];
let server: RedisServer | undefined;
before(async () => {
  if (!redisMissing()) server = await RedisServer.start();
});
after(async () => {
  await server?.stop();
  for (const d of temps) fs.rmSync(d, { recursive: true, force: true });
});
const tmp = (): string => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'spright-queue-'));
  temps.push(d);
  return d;
};

const keyOf = (i: number, salt = ''): string => createHash('sha256').update(`${salt}${i}`).digest('hex').slice(0, 32);

function png(i: number, black = false): Buffer {
  const img = createImage(8, 8);
  for (let p = 0; p < 64; p++) img.data.set(black ? [0, 0, 0, 255] : [(i * 40) % 256, 100, 200, 255], p * 4);
  return encodePng(img);
}

/** Renders i as a coloured square; 3 fails with NaN, 4 comes out black, 5's detector always throws. */
function fakeWork(renders: Map<string, number>): ImageWork<{ i: number }, Rec> {
  return {
    checkPayload(data) {
      const i = (data.payload as { i?: unknown }).i;
      if (typeof i !== 'number') throw new Error('bad payload');
      return { i };
    },
    async render({ i }, _batch, file) {
      renders.set(keyOf(i), (renders.get(keyOf(i)) ?? 0) + 1);
      if (i === 3) throw new Error('the UNet produced NaN/Infinity at step 2 of 4');
      await fs.promises.writeFile(file, png(i, i === 4));
    },
    async judge({ i }, _batch, file) {
      assert.ok(fs.existsSync(file));
      if (i === 5) throw new Error('detector exploded');
      return { render_key: keyOf(i), file: `${i}_0.png`, i, worker: '' };
    },
  };
}

function batchOf(out: string, total: number, modelId = 'model-a'): QueueBatch {
  return { version: 1, batchId: 'b0b0b0b0-0000', out, modelName: 'tiny', modelId, total, settings: {}, createdAt: new Date().toISOString() };
}

function jobsOf(n: number): QueueJobData[] {
  return Array.from({ length: n }, (_, i) => ({ v: 1 as const, batchId: 'b0b0b0b0-0000', key: keyOf(i), file: `${i}_0.png`, payload: { i } }));
}

function collectorFor(out: string, jobs: QueueJobData[]): { collector: ImageCollector<Rec>; manifest: OnceLog<Rec>; failures: OnceLog<FailureRecord> } {
  const manifest = new OnceLog<Rec>(path.join(out, 'manifest.jsonl'), (r) => r.render_key);
  const failures = new OnceLog<FailureRecord>(path.join(out, 'failed.jsonl'), (r) => r.render_key);
  const collector = new ImageCollector<Rec>({
    out,
    stageDir: path.join(out, STAGE_DIR),
    jobs,
    manifest,
    failures,
    accept(job, record) {
      const r = record as Rec;
      if (r?.render_key !== job.key || r.file !== job.file) throw new ResultRefusedError('record of another image');
      return r;
    },
    describe: (job) => ({ i: (job.payload as { i: number }).i }),
  });
  return { collector, manifest, failures };
}

async function flush(target: QueueTarget): Promise<void> {
  const q = new Queue(QUEUE_NAME, { connection: bullConnection(target, 'test'), prefix: QUEUE_PREFIX });
  await q.obliterate({ force: true });
  await q.close();
  const c = new QueueCoordinator({ target });
  await c.connect();
  await c.release((await c.current()) ?? batchOf('', 0));
  await c.close();
}

async function runBatch(db: number, shared: boolean[]): Promise<{ out: string; manifest: OnceLog<Rec>; failures: OnceLog<FailureRecord>; renders: Map<string, number>; events: WorkerEvent[]; sentBack: number }> {
  const target = parseQueueUrl(server!.url(db));
  const out = tmp();
  const jobs = jobsOf(12);
  const batch = batchOf(out, jobs.length);
  await prepareStage(out, batch.batchId);
  const coordinator = new QueueCoordinator({ target, retry: { attempts: 2, backoffMs: 10 }, sweepMs: 200 });
  await coordinator.connect();
  await coordinator.claim(batch);
  assert.equal(await coordinator.enqueue(jobs), 12);
  assert.equal(await coordinator.enqueue(jobs), 0, 'enqueueing the same images again adds nothing');
  const renders = new Map<string, number>();
  const events: WorkerEvent[] = [];
  const workers = shared.map(
    (s, n) => new QueueWorker({ target, modelId: 'model-a', modelName: 'tiny', provider: 'cpu', concurrency: 2, shared: s, name: `w${n}`, lockMs: 5000, work: fakeWork(renders), onEvent: (e) => events.push(e) }),
  );
  for (const w of workers) await w.start();
  const { collector, manifest, failures } = collectorFor(out, jobs);
  let sentBack = 0;
  const original = collector.complete.bind(collector);
  collector.complete = async (data, result) => {
    if (typeof result?.png === 'string') sentBack++;
    return original(data, result);
  };
  assert.equal(await coordinator.follow(batch, collector), true);
  for (const w of workers) await w.stop();
  await coordinator.release(batch);
  await coordinator.close();
  return { out, manifest, failures, renders, events, sentBack };
}

function checkOutcome(out: string, manifest: OnceLog<Rec>, failures: OnceLog<FailureRecord>): void {
  const lines = fs.readFileSync(manifest.file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Rec);
  assert.deepEqual(lines.map((r) => r.i).sort((a, b) => a - b), [0, 1, 2, 6, 7, 8, 9, 10, 11]);
  for (const r of lines) assert.deepEqual(fs.readFileSync(path.join(out, r.file)), png(r.i), r.file);
  const failed = fs.readFileSync(failures.file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as FailureRecord);
  const why = Object.fromEntries(failed.map((f) => [f.i as number, f]));
  assert.deepEqual(Object.keys(why).sort(), ['3', '4', '5']);
  assert.match(why[3]!.error, /NaN\/Infinity/);
  assert.equal(why[3]!.attempts, 1, 'a NaN render is not retried: the same seed fails the same way');
  assert.match(why[4]!.error, /came out black/);
  assert.equal(why[4]!.attempts, 1);
  assert.match(why[5]!.error, /detector exploded/);
  assert.equal(why[5]!.attempts, 2, 'a detector error is retried, then recorded');
  for (const i of [3, 4, 5]) assert.equal(fs.existsSync(path.join(out, `${i}_0.png`)), false);
}

test('queue: every image stored exactly once; a NaN, black or detector failure fails that image only', { skip: redisMissing() }, async () => {
  const { out, manifest, failures, renders, events, sentBack } = await runBatch(1, [true, true]);
  checkOutcome(out, manifest, failures);
  // Image 5 rendered once; its retry found the image in the shared folder and only judged it.
  assert.equal(renders.get(keyOf(5)), 1);
  assert.ok(events.some((e) => e.type === 'reused' && e.file === '5_0.png'));
  assert.equal(sentBack, 0, 'workers that see the output folder write there');
  for (const [key, n] of renders) assert.equal(n, 1, `image ${key} rendered once`);
});

test('queue: a worker that cannot see the output folder sends its images back through Redis', { skip: redisMissing() }, async () => {
  const { out, manifest, failures, renders, sentBack } = await runBatch(4, [false]);
  checkOutcome(out, manifest, failures);
  assert.equal(sentBack, 9 + 0, 'every stored image came through Redis');
  assert.equal(renders.get(keyOf(5)), 1, 'the retry on the same worker found its own copy');
});

test('queue: a worker refuses a job naming a path outside the output folder, and stops', { skip: redisMissing() }, async () => {
  const target = parseQueueUrl(server!.url(2));
  await flush(target);
  const out = tmp();
  const batch = batchOf(out, 1);
  await prepareStage(out, batch.batchId);
  const coordinator = new QueueCoordinator({ target });
  await coordinator.connect();
  await coordinator.claim(batch);
  const forged: QueueJobData = { v: 1, batchId: batch.batchId, key: keyOf(0, 'x'), file: '../../etc/passwd.png', payload: { i: 0 } };
  await coordinator.enqueue([forged]);
  const renders = new Map<string, number>();
  const worker = new QueueWorker({ target, modelId: 'model-a', modelName: 'tiny', provider: 'cpu', concurrency: 1, shared: true, work: fakeWork(renders) });
  await worker.start();
  const reason = await worker.finished;
  assert.ok(reason instanceof WorkerStopError);
  assert.match(reason.message, /refused job img-[0-9a-f]+: the job names "\.\.\/\.\.\/etc\/passwd\.png", which is not an image file inside the output folder/);
  assert.equal(renders.size, 0, 'nothing was rendered');
  const q = new Queue(QUEUE_NAME, { connection: bullConnection(target, 'test'), prefix: QUEUE_PREFIX });
  assert.equal(await q.getJobState(jobIdFor(forged.key)), 'failed');
  await q.close();
  await coordinator.close();
});

test('queue: a worker with another model stops at once; a second batch cannot take a busy queue', { skip: redisMissing() }, async () => {
  const target = parseQueueUrl(server!.url(3));
  const out = tmp();
  const batch = batchOf(out, 2);
  const coordinator = new QueueCoordinator({ target });
  await coordinator.connect();
  await coordinator.claim(batch);
  await coordinator.enqueue(jobsOf(2));
  const worker = new QueueWorker({ target, modelId: 'model-b', modelName: 'other', provider: 'cpu', concurrency: 1, shared: true, work: fakeWork(new Map()) });
  await assert.rejects(worker.start(), (err: Error) => err instanceof WorkerStopError && /renders model tiny \(model-a\) but this worker was started with other \(model-b\)/.test(err.message));
  await worker.stop();
  await assert.rejects(coordinator.claim({ ...batch, batchId: 'c1c1c1c1-1111', out: '/elsewhere' }), (err: Error) => err instanceof QueueBusyError && /serves another batch \(output folder .* with 2 jobs not yet collected/.test(err.message));
  await coordinator.close();
});

for (const appendonly of [true, false]) {
  test(`queue: Redis restarted mid-run ${appendonly ? 'with AOF: nothing is lost' : 'without persistence: the coordinator enqueues again what the manifest lacks'}`, { skip: redisMissing() }, async () => {
    const redis = await RedisServer.start({ appendonly });
    try {
      const target = parseQueueUrl(redis.url(0));
      const out = tmp();
      const n = 16;
      const jobs = jobsOf(n).map((j) => ({ ...j, payload: { i: (j.payload as { i: number }).i + 100 }, key: keyOf((j.payload as { i: number }).i + 100), file: `${(j.payload as { i: number }).i + 100}_0.png` }));
      const batch = batchOf(out, jobs.length);
      await prepareStage(out, batch.batchId);
      const coordinator = new QueueCoordinator({ target, sweepMs: 200 });
      await coordinator.connect();
      await coordinator.claim(batch);
      await coordinator.enqueue(jobs);
      const renders = new Map<string, number>();
      let restarted: Promise<void> | undefined;
      let done = 0;
      const warnings: string[] = [];
      const worker = new QueueWorker({
        target,
        modelId: 'model-a',
        modelName: 'tiny',
        provider: 'cpu',
        concurrency: 1,
        shared: true,
        lockMs: 3000,
        work: fakeWork(renders),
        onEvent: (e) => {
          // A third of the way in, while the worker holds its next job.
          if (e.type === 'done' && ++done === 5) restarted = redis.restart('SIGKILL');
        },
      });
      await worker.start();
      const { collector, manifest } = collectorFor(out, jobs);
      assert.equal(await coordinator.follow(batch, collector, { onWarning: (m) => warnings.push(m) }), true);
      await restarted;
      await worker.stop();
      await coordinator.close();
      const lines = fs.readFileSync(manifest.file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Rec);
      assert.equal(lines.length, n, 'every image once');
      assert.equal(new Set(lines.map((r) => r.render_key)).size, n);
      for (const r of lines) assert.deepEqual(fs.readFileSync(path.join(out, r.file)), png(r.i), r.file);
      for (const [key, count] of renders) assert.equal(count, 1, `image ${key} rendered once (a job run again finds its image)`);
      const lost = warnings.filter((w) => /lost its jobs/.test(w));
      if (appendonly) assert.deepEqual(lost, [], warnings.join('\n'));
      else assert.equal(lost.length, 1, warnings.join('\n'));
    } finally {
      await redis.stop();
    }
  });
}
