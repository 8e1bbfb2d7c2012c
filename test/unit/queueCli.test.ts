/**
 * `batch --queue` and `worker` on bad input, against a real redis-server: an unreachable Redis, a
 * wrong password, a worker with another model than the batch's, and a job naming a path out of
 * the output folder each give one clear line and exit 2, and no password is ever printed.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { Queue } from 'bullmq';
import { main } from '../../src/cli/main';
import type { CliContext } from '../../src/cli/command';
import { QueueCoordinator } from '../../src/queue/coordinator';
import { jobIdFor, QUEUE_NAME, QUEUE_PREFIX } from '../../src/queue/protocol';
import { bullConnection } from '../../src/queue/redis';
import { parseQueueUrl } from '../../src/queue/url';
import { freePort, RedisServer, redisMissing } from './helpers/redis';
import { loadableCopy, tinyVariants } from './renderFixture';

const SECRET = 'correct horse battery';
const temps: string[] = [];
let open: RedisServer | undefined;
let locked: RedisServer | undefined;
let modelA = '';
let modelB = '';
before(async () => {
  if (redisMissing()) return;
  open = await RedisServer.start();
  locked = await RedisServer.start({ password: SECRET });
  modelA = loadableCopy('vpred-fp32');
  modelB = loadableCopy('eps-fp32');
  temps.push(modelA, modelB);
});
after(async () => {
  await open?.stop();
  await locked?.stop();
  for (const d of temps) fs.rmSync(d, { recursive: true, force: true });
});
const tmp = (): string => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'spright-qcli-'));
  temps.push(d);
  return d;
};

/** Runs the CLI in this process as `spright-lens ARGS`, with Ctrl-C on `stop`. */
async function cli(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}, stop?: AbortSignal): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const ctx: CliContext = { stdout, stderr, stdin: new PassThrough(), cwd, env, signal: stop ?? new AbortController().signal };
  const code = await main(args, ctx);
  return { code, out, err };
}

const skip = redisMissing() || (tinyVariants().includes('vpred-fp32') && tinyVariants().includes('eps-fp32') ? false : 'no sd-tiny fixtures');

test('queue CLI: an unreachable Redis or a wrong password is one line and exit 2, and the password is never shown', { skip }, async () => {
  const dir = tmp();
  fs.writeFileSync(path.join(dir, 'p.txt'), 'a dog to the left of a cat\n');
  const closed = `redis://127.0.0.1:${await freePort()}/0`;
  const wrong = locked!.url(0, 'hunter2 wrong');
  const cases: Array<[string[], RegExp]> = [
    [['worker', '--queue', closed, '--model', modelA], /^spright-lens worker: cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+\/0: connection refused; is redis-server running there, on that port\?\n$/],
    [['worker', '--queue', wrong, '--model', modelA], /^spright-lens worker: Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+\/0 refused the credentials \(wrong password or user\); check the password in the --queue URL\n$/],
    [['batch', '--queue', wrong, '--out', 'o', '--follow'], /^spright-lens batch: Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+\/0 refused the credentials/],
    [['batch', '--model', modelA, '--prompts', 'p.txt', '--out', 'o', '--queue', closed], /^spright-lens batch: cannot reach Redis at .*connection refused/],
    [['worker', '--queue', locked!.url(0, null), '--model', modelA], /requires a password: give it in the URL/],
    [['worker', '--queue', 'http://:hunter2@x', '--model', modelA], /--queue 'http:\/\/:\*\*\*@x\/': the scheme must be redis or rediss/],
    [['batch', '--queue', open!.url(0), '--out', 'nothing-here', '--follow'], /nothing-here holds no batch \(no spright-batch\.json\); start one with spright-lens batch --model DIR/],
  ];
  for (const [args, why] of cases) {
    const r = await cli(args, dir);
    assert.equal(r.code, 2, `${args.join(' ')}\n${r.err}`);
    const line = r.err.split('\n').filter((l) => l && !l.startsWith('Run '))[0] ?? '';
    assert.match(r.err.includes('--help') ? `${line}\n` : r.err, why);
    assert.doesNotMatch(r.out + r.err, /hunter2|correct horse/);
  }
  // The password may come from the environment instead of the command line.
  const viaEnv = await cli(['batch', '--queue', locked!.url(0, null), '--out', 'nothing-here', '--follow'], dir, { SPRIGHT_QUEUE_PASSWORD: SECRET });
  assert.match(viaEnv.err, /holds no batch/, 'authenticated, then on to the folder check');
});

test('queue CLI: --queue with --best-of or --backend comfyui is one usage line and exit 2, before Redis is tried', async () => {
  const dir = tmp();
  fs.writeFileSync(path.join(dir, 'p.txt'), 'a dog to the left of a cat\n');
  // Nothing listens on this port: a refusal after trying Redis would say "cannot reach Redis".
  const closed = `redis://127.0.0.1:${await freePort()}/0`;
  const cases: Array<[string[], RegExp]> = [
    [['batch', '--model', 'model', '--prompts', 'p.txt', '--out', 'o', '--queue', closed, '--best-of', '4'], /^spright-lens batch: --queue: queue workers render one image per job and cannot choose the best of 4 candidates; render this batch without the queue, or without best-of$/],
    [['batch', '--backend', 'comfyui', '--checkpoint', 'sd21.safetensors', '--prompts', 'p.txt', '--out', 'o', '--queue', closed], /^spright-lens batch: --queue: queue workers render with the ONNX pipeline, not the comfyui backend; render this batch without the queue, or with the onnx backend$/],
  ];
  for (const [args, why] of cases) {
    const r = await cli(args, dir);
    assert.equal(r.code, 2, `${args.join(' ')}\n${r.err}`);
    assert.match(r.err.split('\n')[0] ?? '', why);
    assert.equal(fs.existsSync(path.join(dir, 'o')), false, 'no output folder is made');
  }
});

test('queue CLI: a worker started with another model than the batch\'s stops with one line', { skip }, async () => {
  const dir = tmp();
  fs.writeFileSync(path.join(dir, 'p.txt'), 'a dog to the left of a cat\n');
  const url = open!.url(5);
  const enq = await cli(['batch', '--model', modelA, '--prompts', 'p.txt', '--out', 'out', '--images-per-prompt', '1', '--size', '64x64', '--steps', '2', '--queue', url], dir);
  assert.equal(enq.code, 0, enq.err);
  assert.match(enq.err, /1 image enqueued, 0 already in the queue, 0 finished before, 1 in all/);
  const again = await cli(['batch', '--model', modelA, '--prompts', 'p.txt', '--out', 'out', '--images-per-prompt', '1', '--size', '64x64', '--steps', '2', '--queue', url], dir);
  assert.match(again.err, /0 images enqueued, 1 already in the queue/, 'enqueueing the same batch again adds nothing');
  const r = await cli(['worker', '--queue', url, '--model', modelB], dir);
  assert.equal(r.code, 2, r.err);
  assert.match(r.err, new RegExp(`^spright-lens worker: the queue's batch renders model ${path.basename(modelA)} \\([0-9a-f]+\\) but this worker was started with ${path.basename(modelB)} \\([0-9a-f]+\\); start it with --model pointing at the same model files\\n$`));
});

test('queue CLI: a worker refuses a job that names ../../etc and stops; nothing is written outside', { skip }, async () => {
  const dir = tmp();
  fs.writeFileSync(path.join(dir, 'p.txt'), 'a dog to the left of a cat\n');
  const url = open!.url(6);
  const enq = await cli(['batch', '--model', modelA, '--prompts', 'p.txt', '--out', 'out', '--images-per-prompt', '1', '--size', '64x64', '--steps', '2', '--queue', url], dir);
  assert.equal(enq.code, 0, enq.err);
  // Someone with access to Redis swaps the job's file for a path out of the output folder.
  const target = parseQueueUrl(url);
  const queue = new Queue(QUEUE_NAME, { connection: bullConnection(target, 'test'), prefix: QUEUE_PREFIX });
  const [job] = await queue.getJobs(['waiting']);
  assert.ok(job);
  await job.updateData({ ...(job.data as object), file: '../../etc/passwd.png' });
  const r = await cli(['worker', '--queue', url, '--model', modelA], dir);
  assert.equal(r.code, 2, r.err);
  assert.match(r.err, /^spright-lens worker: refused job img-[0-9a-f]+: the job names "\.\.\/\.\.\/etc\/passwd\.png", which is not an image file inside the output folder; refused\n$/);
  assert.doesNotMatch(r.out, /^rendered /m, 'nothing was rendered');
  assert.equal(await queue.getJobState(job.id!), 'failed');
  assert.equal(job.id, jobIdFor((job.data as { key: string }).key));
  await queue.close();
  const c = new QueueCoordinator({ target });
  await c.connect();
  assert.equal((await c.current())?.out, path.join(dir, 'out'));
  await c.close();
});
