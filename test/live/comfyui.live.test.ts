/**
 * `npm run test:comfyui`: the ComfyUI client against the real vendored ComfyUI on a loopback
 * port (CPU, the tiny checkpoint built at test time). It installs what it needs on first use
 * and fails, saying why, where it cannot run: it never skips.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { decodePng, readPngText } from '../../src/image';
import { RenderCancelledError } from '../../src/render';
import { ComfyClient, ComfyError, saveComfyRender, type ComfyRenderParams } from '../../src/render/comfyui';
import { parseManifest } from '../../src/batch';
import { isComfyError } from '../unit/helpers/comfyReplay';
import { freePortForTests } from '../unit/helpers/ports';
import { PREVIEW_ARGS, startTestServer, type ComfyServer, type TestServer } from './comfyServer';
import { CORRUPT, LONG, MISSING_INPUT, PLAIN, REGIONS, TINY, UNKNOWN_NODE } from './scenarios';

// Wide limits: a busy 2-core machine makes ComfyUI's steps several times slower.
const SETUP_TIMEOUT = 30 * 60_000;
const TEST_TIMEOUT = 5 * 60_000;

let server: ComfyServer;
let client: ComfyClient;
let prepared: TestServer | undefined;
let outDir: string;
const figures: Record<string, string> = {};

function seconds(t0: number): string {
  return `${((Date.now() - t0) / 1000).toFixed(1)} s`;
}

/** Mean absolute difference of the red channel inside and outside a box. */
function diffInOut(
  a: Uint8Array,
  b: Uint8Array,
  width: number,
  box: { x: number; y: number; w: number; h: number },
): { inside: number; outside: number } {
  let inSum = 0;
  let inN = 0;
  let outSum = 0;
  let outN = 0;
  for (let i = 0; i < a.length; i += 4) {
    const x = (i / 4) % width;
    const y = Math.floor(i / 4 / width);
    const d = Math.abs(a[i]! - b[i]!);
    if (x >= box.x && x < box.x + box.w && y >= box.y && y < box.y + box.h) {
      inSum += d;
      inN++;
    } else {
      outSum += d;
      outN++;
    }
  }
  return { inside: inSum / inN, outside: outSum / outN };
}

/** The CLI as a user runs it (compiled; it forks the service beside it), outside the test runner. */
const CLI = path.join(__dirname, '..', '..', 'src', 'cli', 'main.js');
function cliEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT; // main.js does not run itself under node --test
  return env;
}
function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: cliEnv(), timeout: TEST_TIMEOUT, maxBuffer: 1 << 24 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
    );
  });
}

async function queueIsEmpty(): Promise<boolean> {
  const q = (await (await fetch(`${server.url}/queue`)).json()) as {
    queue_running: unknown[];
    queue_pending: unknown[];
  };
  return q.queue_running.length === 0 && q.queue_pending.length === 0;
}

describe('ComfyUI backend against the real server', { timeout: SETUP_TIMEOUT + 15 * TEST_TIMEOUT }, () => {
  before(
    async () => {
      prepared = await startTestServer({ args: PREVIEW_ARGS, checkpoint: TINY, corrupt: CORRUPT });
      server = prepared.server;
      outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'spright-comfy-out-'));
      figures['install (or reuse)'] = `${prepared.seconds.install.toFixed(1)} s`;
      figures['tiny checkpoint (while the server starts)'] = `${prepared.seconds.checkpoint.toFixed(1)} s`;
      figures['server start'] = `${prepared.seconds.start.toFixed(1)} s`;
      client = new ComfyClient({ server: server.url });
    },
    { timeout: SETUP_TIMEOUT },
  );

  after(async () => {
    await prepared?.close();
    if (outDir) fs.rmSync(outDir, { recursive: true, force: true });
    process.stderr.write(
      `comfyui live suite: ${Object.entries(figures)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}\n`,
    );
  });

  test('lists the checkpoints, samplers and schedulers', { timeout: TEST_TIMEOUT }, async () => {
    assert.deepEqual(await client.listCheckpoints(), [CORRUPT, TINY]);
    const { samplers, schedulers } = await client.samplerOptions();
    assert.ok(samplers.includes('euler') && samplers.includes('dpmpp_2m'));
    assert.ok(schedulers.includes('normal') && schedulers.includes('karras'));
    assert.match((await client.systemInfo()).version, /^\d+\.\d+\.\d+/);
  });

  test('renders 64x64 in 2 steps with progress, previews and our PNG chunks', { timeout: TEST_TIMEOUT }, async () => {
    const steps: number[] = [];
    let previews = 0;
    const t0 = Date.now();
    const result = await client.render(PLAIN, { onStep: (s, n) => steps.push(s / n), onPreview: () => previews++ });
    figures['first render (loads the model)'] = seconds(t0);
    assert.deepEqual(steps, [0.5, 1]);
    assert.ok(previews >= 1, 'latent previews arrive as binary frames');
    assert.equal(result.cached, false);
    const img = decodePng(result.png[0]!);
    assert.deepEqual([img.width, img.height], [64, 64]);
    // Mid-grey noise from the random weights: neither blank nor saturated.
    const reds = Array.from({ length: 64 * 64 }, (_, i) => img.data[i * 4]!);
    assert.ok(Math.max(...reds) - Math.min(...reds) > 20, 'the image has content');
    const text = readPngText(result.png[0]!);
    assert.equal(text.prompt, PLAIN.prompt);
    assert.equal(text.backend, 'comfyui');
    assert.equal(text.server, server.url);
    assert.equal(text.checkpoint, TINY);
    assert.equal(text.steps, '2');
    assert.equal(text.seed, '42');
    assert.ok(!('workflow' in text));

    // The same graph again comes from ComfyUI's cache: same pixels, and our own file names.
    const again = await client.render(PLAIN);
    assert.equal(again.cached, true);
    assert.deepEqual(decodePng(again.png[0]!).data, img.data);
    const files = [...(await saveComfyRender(result, outDir)), ...(await saveComfyRender(again, outDir))];
    assert.deepEqual(
      files.map((f) => path.basename(f)),
      ['render-42.png', 'render-42-2.png'],
    );
  });

  test(
    'a region guide steers the render inside its box, with the rounding reported',
    { timeout: TEST_TIMEOUT },
    async () => {
      const plain: ComfyRenderParams = { ...REGIONS, regions: undefined };
      const without = decodePng((await client.render(plain)).png[0]!);
      const t0 = Date.now();
      const result = await client.render(REGIONS);
      figures['render with a region box'] = seconds(t0);
      const [region] = result.regions;
      assert.deepEqual(region!.applied, { x: 0, y: 0, w: 64, h: 64 });
      assert.equal(region!.adjusted, true);
      assert.deepEqual(JSON.parse(readPngText(result.png[0]!).regions!)[0].box, { x: 0, y: 0, w: 64, h: 64 });
      const withBox = decodePng(result.png[0]!);
      assert.deepEqual([withBox.width, withBox.height], [128, 64]);
      const d = diffInOut(without.data, withBox.data, 128, region!.applied);
      assert.ok(d.inside > 0, 'the box changed the picture');
      assert.ok(
        d.inside > d.outside,
        `the change is mostly inside the box (${d.inside.toFixed(2)} inside, ${d.outside.toFixed(2)} outside)`,
      );
    },
  );

  test('cancel mid-run interrupts our prompt and leaves the server ready', { timeout: TEST_TIMEOUT }, async () => {
    const ac = new AbortController();
    let lastStep = 0;
    let t0 = 0;
    await assert.rejects(
      client.render(LONG, {
        signal: ac.signal,
        onStep: (s) => {
          lastStep = s;
          t0 = Date.now();
          ac.abort();
        },
      }),
      RenderCancelledError,
    );
    figures['cancel (abort to rejection)'] = seconds(t0);
    assert.ok(lastStep < LONG.steps, `stopped at step ${lastStep} of ${LONG.steps}`);
    assert.ok(await queueIsEmpty(), 'nothing of ours left running or queued');
    const next = await client.render({ ...PLAIN, seed: 43, steps: 1 });
    assert.equal(next.png.length, 1);
  });

  test('cancel while queued deletes the prompt before it runs', { timeout: TEST_TIMEOUT }, async () => {
    const blocker = new AbortController();
    let blocking: Promise<unknown> = Promise.resolve();
    await new Promise<void>((running) => {
      blocking = client.render({ ...LONG, seed: 8 }, { signal: blocker.signal, onStep: () => running() });
    });
    const ac = new AbortController();
    const steps: number[] = [];
    await assert.rejects(
      client.render(
        { ...PLAIN, seed: 9 },
        { signal: ac.signal, onPhase: (p) => p === 'queued' && ac.abort(), onStep: (s) => steps.push(s) },
      ),
      RenderCancelledError,
    );
    assert.deepEqual(steps, [], 'the queued prompt never ran');
    const pending = ((await (await fetch(`${server.url}/queue`)).json()) as { queue_pending: unknown[] }).queue_pending;
    assert.equal(pending.length, 0);
    blocker.abort();
    await assert.rejects(blocking, RenderCancelledError);
    assert.ok(await queueIsEmpty());
  });

  test(
    'a checkpoint name that does not exist: one line naming it and the ones there',
    { timeout: TEST_TIMEOUT },
    async () => {
      await assert.rejects(client.render({ ...PLAIN, checkpoint: 'nope.safetensors' }), (e: unknown) => {
        isComfyError(
          'checkpoint',
          /checkpoint "nope\.safetensors" is not on the ComfyUI server .* \(it has: corrupt\.safetensors, tiny\.safetensors\)/,
        )(e);
        assert.deepEqual((e as ComfyError).node, {
          id: 'checkpoint',
          classType: 'CheckpointLoaderSimple',
          input: 'ckpt_name',
        });
        return true;
      });
    },
  );

  test('malformed graphs: unknown node type, missing input, bad sampler name', { timeout: TEST_TIMEOUT }, async () => {
    await assert.rejects(client.run(UNKNOWN_NODE), isComfyError('rejected', /NoSuchNode/));
    await assert.rejects(
      client.run(MISSING_INPUT),
      isComfyError('rejected', /node 'out' \(PreviewImage\) input 'images': Required input is missing/),
    );
    await assert.rejects(
      client.render({ ...PLAIN, sampler: 'bogus' }),
      isComfyError('rejected', /node 'sampler' \(KSampler\) input 'sampler_name': Value not in list/),
    );
  });

  test('a checkpoint that fails to load: execution_error naming the node', { timeout: TEST_TIMEOUT }, async () => {
    await assert.rejects(
      client.render({ ...PLAIN, checkpoint: CORRUPT }),
      isComfyError('execution', /failed in node 'checkpoint' \(CheckpointLoaderSimple\): .*Error/),
    );
  });

  test('a server that is not there: unreachable', { timeout: TEST_TIMEOUT }, async () => {
    const nobody = new ComfyClient({ server: `http://127.0.0.1:${await freePortForTests()}` });
    await assert.rejects(nobody.render(PLAIN), isComfyError('unreachable', /connection refused/));
  });

  test('spright-lens render --backend comfyui: through the service, region guide, our names', { timeout: TEST_TIMEOUT }, async () => {
    const dir = path.join(outDir, 'cli-render');
    const t0 = Date.now();
    const r = await runCli(['render', '--backend', 'comfyui', '--server', server.url, '--checkpoint', TINY, '--prompt', 'a red cube to the left of a blue ball', '--steps', '2', '--size', '128x64', '--seed', '7', '--guide', 'layout', '--out', dir]);
    figures['CLI render with a guide'] = seconds(t0);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`checkpoint ${TINY.replace(/\./g, '\\.')} on ComfyUI at `));
    assert.match(r.stderr, /guide: 2 regions/);
    assert.match(r.stderr, /step 2\/2/);
    const file = r.stdout.trim();
    assert.equal(path.basename(file), 'a-red-cube-to-the-left-of-a-blue-ball-7.png');
    assert.deepEqual(fs.readdirSync(dir), [path.basename(file)]);
    const text = readPngText(fs.readFileSync(file));
    assert.equal(text.backend, 'comfyui');
    assert.equal(text.checkpoint, TINY);
    assert.equal(JSON.parse(text.regions!).length, 2);
    const bad = await runCli(['render', '--backend', 'comfyui', '--server', server.url, '--checkpoint', 'nope.safetensors', '--prompt', 'a cat', '--out', dir]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /has no checkpoint "nope\.safetensors"; it has /);
  });

  test('a batch of 10 prompts through ComfyUI, SIGKILLed mid-run, resumes with every image exactly once', { timeout: 2 * TEST_TIMEOUT }, async () => {
    const dir = path.join(outDir, 'cli-batch');
    fs.mkdirSync(dir, { recursive: true });
    const things = ['dog', 'cat', 'car', 'cup', 'book', 'chair', 'bird', 'clock', 'vase', 'bowl', 'apple'];
    const prompts = path.join(dir, 'prompts.txt');
    fs.writeFileSync(prompts, things.slice(0, 10).map((a, i) => `a ${a} to the left of a ${things[i + 1]}`).join('\n') + '\n');
    const out = path.join(dir, 'out');
    const manifest = path.join(out, 'manifest.jsonl');
    const args = ['batch', '--backend', 'comfyui', '--server', server.url, '--checkpoint', TINY, '--prompts', prompts, '--out', out, '--images-per-prompt', '1', '--steps', '2', '--size', '64x64'];
    const lines = (): number => (fs.existsSync(manifest) ? fs.readFileSync(manifest, 'utf8').split('\n').filter(Boolean).length : 0);
    const t0 = Date.now();
    const child = spawn(process.execPath, [CLI, ...args], { env: cliEnv(), stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    let killedAt = -1;
    for (;;) {
      const n = lines();
      if (n >= 3) {
        child.kill('SIGKILL');
        killedAt = n;
        break;
      }
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    await exited;
    assert.ok(killedAt >= 3 && killedAt < 10, `killed mid-run (manifest had ${killedAt} lines)`);
    const second = await runCli(args);
    figures['batch of 10, killed and resumed'] = seconds(t0);
    assert.equal(second.code, 0, second.stderr);
    const m = /^(\d+) rendered, (\d+) already done, 10 in all/.exec(second.stdout);
    assert.ok(m, second.stdout);
    assert.ok(Number(m[2]) >= killedAt, `the finished images were kept (${m[2]} of ${killedAt})`);
    assert.equal(Number(m[1]) + Number(m[2]), 10);
    const records = parseManifest(fs.readFileSync(manifest, 'utf8')).records;
    const ids = records.map((r) => `${r.variant}/${r.prompt_id}_${r.k}`);
    assert.equal(new Set(ids).size, 10, `each image once: ${ids.join(' ')}`);
    assert.equal(ids.length, 10);
    const pngs = fs.readdirSync(out).filter((f) => f.endsWith('.png')).sort();
    assert.equal(pngs.length, 10, pngs.join(' '));
    for (const f of pngs) assert.equal(readPngText(fs.readFileSync(path.join(out, f))).backend, 'comfyui');
    assert.ok(!fs.readdirSync(out).some((f) => f.includes('ComfyUI')), 'no ComfyUI file names');
  });

  // Last: it kills the server.
  test('a server killed mid-render: one clear error, nothing written', { timeout: TEST_TIMEOUT }, async () => {
    const dir = path.join(outDir, 'killed');
    await assert.rejects(
      client
        .render(LONG, {
          onStep: (s) => {
            if (s === 1) void server.kill();
          },
        })
        .then((r) => saveComfyRender(r, dir)),
      isComfyError('server-lost', /went away during the render after step \d+\/1000 .*nothing was saved/),
    );
    assert.ok(!fs.existsSync(dir) || fs.readdirSync(dir).length === 0, 'no file, not even a partial one');
    await assert.rejects(client.listCheckpoints(), isComfyError('unreachable', /connection refused/));
  });
});
