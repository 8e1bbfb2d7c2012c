import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { CancelledError, WorkerClient, WorkerCrashedError, WorkerRequestError } from '../../src/worker';
import { repoRoot } from './helpers/paths';

// The worker entry is bundled fresh from src/worker/worker.ts (as scripts/build.mjs does for
// dist/worker.js), so the test never runs a stale build.
let entry: string;
let tmp: string;
const clients: WorkerClient[] = [];

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'spright-worker-'));
  entry = path.join(tmp, 'worker.js');
  // createRequire keeps esbuild out of the quick-test bundle (its API must load from node_modules).
  const esbuild = createRequire(path.join(repoRoot, 'package.json'))('esbuild') as typeof import('esbuild');
  await esbuild.build({
    entryPoints: [path.join(repoRoot, 'src/worker/worker.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile: entry,
    external: ['onnxruntime-node'],
    logLevel: 'warning',
  });
});

after(() => {
  for (const c of clients) c.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
});

function client(): WorkerClient {
  const c = new WorkerClient({ entry, env: { SPRIGHT_WORKER_TEST_METHODS: '1' } });
  clients.push(c);
  return c;
}

test('progress events arrive in order, then the result', async () => {
  const c = client();
  const seen: string[] = [];
  const result = await c.request<{ done: number }>('test.steps', { total: 5, stepMs: 5 }, { onProgress: (s, t) => seen.push(`${s}/${t}`) });
  assert.equal(result.done, 5);
  assert.deepEqual(seen, ['1/5', '2/5', '3/5', '4/5', '5/5']);
});

test('cancel mid-run stops the handler early and leaves the worker usable', async () => {
  const c = client();
  const controller = new AbortController();
  const total = 100;
  let seen = 0;
  const run = c.request('test.steps', { total, stepMs: 20 }, {
    signal: controller.signal,
    onProgress: (step) => {
      seen = step;
      if (step === 3) controller.abort();
    },
  });
  // The client waits for the worker's answer: CancelledError means the handler saw the signal and
  // threw, where an ignored cancel would have run all the steps and resolved.
  await assert.rejects(run, CancelledError);
  assert.ok(seen < total, `the handler ran all ${total} steps`);
  assert.equal(typeof (await c.request<number>('test.pid', {})), 'number');
});

test('a crash fails every pending request, and the next request starts a new worker', async () => {
  const c = client();
  const firstPid = await c.request<number>('test.pid', {});
  const slow = c.request('test.steps', { total: 50, stepMs: 50 });
  const crash = c.request('test.crash', {});
  await assert.rejects(crash, (e: unknown) => e instanceof WorkerCrashedError && /exited with code 3/.test((e as Error).message));
  await assert.rejects(slow, WorkerCrashedError);
  const secondPid = await c.request<number>('test.pid', {});
  assert.notEqual(secondPid, firstPid);
});

test('handler errors and unknown methods come back with their names', async () => {
  const c = client();
  await assert.rejects(c.request('test.fail', {}), (e: unknown) => e instanceof WorkerRequestError && e.remoteName === 'RangeError' && /bad params/.test(e.message));
  await assert.rejects(c.request('nope', {}), (e: unknown) => e instanceof WorkerRequestError && e.remoteName === 'UnknownMethodError' && /no method 'nope'/.test(e.message));
  await assert.rejects(c.request('render', { prompt: 1 }), (e: unknown) => e instanceof WorkerRequestError && /'modelDir' must be a string/.test(e.message));
});

test('an already-aborted signal rejects without starting work; dispose kills the worker', async () => {
  const c = client();
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(c.request('test.pid', {}, { signal: controller.signal }), CancelledError);
  const pid = await c.request<number>('test.pid', {});
  c.dispose();
  // Wait for the kill to land on a busy machine (the bound only keeps a broken dispose from hanging).
  const alive = (): boolean => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  for (const end = Date.now() + 60_000; alive() && Date.now() < end; ) await new Promise((r) => setTimeout(r, 20));
  assert.throws(() => process.kill(pid, 0), /ESRCH/);
  await assert.rejects(c.request('test.pid', {}), /disposed/);
});
