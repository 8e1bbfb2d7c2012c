/**
 * What a resumed batch keeps and what it redoes: per-image render keys (edited prompts re-render,
 * removed prompts leave), detection settings re-judged without rendering, the model's identity,
 * and one process per output folder.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BatchError, LOCK_DIR, LOCK_OWNER, parseManifest, removeDeadTempFiles, runBatch } from '../../src/batch';
import type { BatchOptions } from '../../src/batch';
import { tempHost } from '../../src/io/atomic';
import { modelIdentity, validateModelDir } from '../../src/render';
import { fakeDeps, prompt, SIZE } from '../fixtures/evaluate/batchFakes';
import { loadableCopy, tinyVariants } from './renderFixture';

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'spright-resume-'));
}

function options(outDir: string, over: Partial<BatchOptions> = {}): BatchOptions {
  return {
    prompts: [prompt('0', 'dog', 'cat'), prompt('1', 'cup', 'book'), prompt('2', 'car', 'tree')],
    outDir,
    imagesPerPrompt: 2,
    seed: 3,
    rewrite: 'off',
    render: { model: 'fake', modelId: 'fake-model', steps: 2, guidance: 7.5, width: SIZE, height: SIZE, scheduler: 'ddim' },
    detection: { detector: 'fake', threshold: 0 },
    ...over,
  };
}

const manifest = (dir: string): ReturnType<typeof parseManifest> => parseManifest(fs.readFileSync(path.join(dir, 'manifest.jsonl'), 'utf8'));
const summary = (dir: string): { images: number; prompts: number; variants: { original: { visor: { oa: number; uncond: number } } } } =>
  JSON.parse(fs.readFileSync(path.join(dir, 'summary.json'), 'utf8'));

test('an edited prompt renders again; the others are kept; the report shows the current text', async () => {
  const dir = tmp();
  await runBatch(options(dir), fakeDeps());
  const edited = options(dir, { prompts: [prompt('0', 'dog', 'cat'), prompt('1', 'cup', 'laptop'), prompt('2', 'car', 'tree')] });
  const deps = fakeDeps();
  const warnings: string[] = [];
  const res = await runBatch(edited, deps, { onWarning: (w) => warnings.push(w) });
  assert.deepEqual(deps.renders.sort(), ['original/1/0', 'original/1/1']);
  assert.equal(res.rendered, 2);
  assert.equal(res.skipped, 4);
  assert.match(warnings.join('\n'), /2 finished images no longer match the prompt text or options/);
  const { records } = manifest(dir);
  assert.equal(records.length, 6, 'one line per image, the stale ones gone');
  assert.equal(records.find((r) => r.prompt_id === '1')!.prompt, 'a cup to the left of a laptop');
  const html = fs.readFileSync(path.join(dir, 'report.html'), 'utf8');
  assert.match(html, /a cup to the left of a laptop/);
  assert.doesNotMatch(html, /a cup to the left of a book/);
  // The next run has nothing to do.
  const again = fakeDeps();
  assert.equal((await runBatch(edited, again)).rendered, 0);
});

test('a removed prompt leaves the manifest and the summary; its images stay on disk', async () => {
  const dir = tmp();
  await runBatch(options(dir), fakeDeps());
  assert.equal(summary(dir).images, 6);
  const warnings: string[] = [];
  const deps = fakeDeps();
  await runBatch(options(dir, { prompts: [prompt('0', 'dog', 'cat'), prompt('2', 'car', 'tree')] }), deps, { onWarning: (w) => warnings.push(w) });
  assert.deepEqual(deps.renders, []);
  assert.equal(summary(dir).images, 4);
  assert.equal(summary(dir).prompts, 2);
  assert.deepEqual([...new Set(manifest(dir).records.map((r) => r.prompt_id))], ['0', '2']);
  assert.match(warnings.join('\n'), /2 images in manifest\.jsonl no longer match a prompt/);
  assert.ok(fs.existsSync(path.join(dir, '1_0.png')), 'the PNG of a removed prompt is kept');
  assert.doesNotMatch(fs.readFileSync(path.join(dir, 'report.html'), 'utf8'), /cup/);
});

test('another threshold re-judges finished images from their recorded detections, without rendering', async () => {
  // The fake detector scores A 0.9 and B 0.8: at 0.85 B is "not found" in every image.
  const strict = tmp();
  await runBatch(options(strict, { detection: { detector: 'fake', threshold: 0.85, floor: 0.05 } }), fakeDeps());
  assert.equal(summary(strict).variants.original.visor.oa, 0);
  assert.equal(manifest(strict).records[0].raw_detections.length, 2, 'raw detections keep every score');
  assert.equal(manifest(strict).records[0].detections.length, 1);
  const deps = fakeDeps();
  const detected: number[] = [];
  const detect = deps.detect.bind(deps);
  deps.detect = (file, labels, signal) => {
    detected.push(1);
    return detect(file, labels, signal);
  };
  const res = await runBatch(options(strict, { detection: { detector: 'fake', threshold: 0.5, floor: 0.05 } }), deps);
  assert.equal(res.rendered, 0);
  assert.equal(detected.length, 0, 'the recorded detections suffice');
  // Same figures as a fresh run at 0.5.
  const fresh = tmp();
  await runBatch(options(fresh, { detection: { detector: 'fake', threshold: 0.5 } }), fakeDeps());
  assert.deepEqual(summary(strict).variants, summary(fresh).variants);
  assert.equal(summary(strict).variants.original.visor.oa, 100);
  const { records } = manifest(strict);
  assert.ok(records.every((r) => r.threshold === 0.5 && r.detections.length === 2));
  assert.equal(records[0].relations[0].status, 'satisfied');
});

test('a lower threshold than the recorded floor, or another detector, detects again on the PNGs', async () => {
  const dir = tmp();
  await runBatch(options(dir, { detection: { detector: 'fake', threshold: 0.5 } }), fakeDeps());
  for (const detection of [
    { detector: 'fake', threshold: 0.2 },
    { detector: 'other', threshold: 0.2 },
  ]) {
    const deps = fakeDeps();
    let detects = 0;
    const detect = deps.detect.bind(deps);
    deps.detect = (file, labels, signal) => {
      detects++;
      return detect(file, labels, signal);
    };
    const res = await runBatch(options(dir, { detection }), deps);
    assert.equal(res.rendered, 0, JSON.stringify(detection));
    assert.equal(res.redetected, 6);
    assert.equal(detects, 6);
    const { records } = manifest(dir);
    assert.equal(records.length, 6, 'the re-detected lines replace the old ones');
    assert.ok(records.every((r) => r.parameters.detector === detection.detector && r.raw_floor === 0.2));
  }
});

test('another model is refused without --force, wherever the folder lives', async () => {
  const dir = tmp();
  await runBatch(options(dir), fakeDeps());
  const moved = options(dir, { render: { ...options(dir).render, model: '/elsewhere/fake' } });
  assert.equal((await runBatch(moved, fakeDeps())).rendered, 0, 'a moved model folder is the same model');
  const other = options(dir, { render: { ...options(dir).render, modelId: 'retrained' } });
  await assert.rejects(runBatch(other, fakeDeps()), (e: Error) => e instanceof BatchError && /model fake-model -> retrained/.test(e.message));
  const forced = fakeDeps();
  assert.equal((await runBatch({ ...other, force: true }, forced)).rendered, 6);
});

const variant = tinyVariants().includes('vpred-fp32') ? 'vpred-fp32' : tinyVariants()[0];
test('model identity: the same for a copy elsewhere, different after a config or weights change', { skip: variant ? false : 'no sd-tiny fixture' }, async () => {
  const a = loadableCopy(variant!);
  const b = loadableCopy(variant!);
  try {
    const idA = await modelIdentity(await validateModelDir(a));
    assert.match(idA, /^[0-9a-f]{20}$/);
    assert.equal(await modelIdentity(await validateModelDir(b)), idA);
    const cfg = path.join(b, 'scheduler', 'scheduler_config.json');
    fs.writeFileSync(cfg, fs.readFileSync(cfg, 'utf8').replace('"steps_offset": 1', '"steps_offset": 0'));
    const idB = await modelIdentity(await validateModelDir(b));
    assert.notEqual(idB, idA);
    const unet = path.join(b, 'unet', 'model.onnx_data');
    const bytes = fs.readFileSync(unet);
    bytes[bytes.length - 1] ^= 1;
    fs.writeFileSync(unet, bytes);
    assert.notEqual(await modelIdentity(await validateModelDir(b)), idB);
  } finally {
    fs.rmSync(a, { recursive: true, force: true });
    fs.rmSync(b, { recursive: true, force: true });
  }
});

test('a second batch on the same folder is refused with the holder; the first finishes alone', async () => {
  const dir = tmp();
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const slow = fakeDeps();
  const render = slow.render.bind(slow);
  let started!: () => void;
  const running = new Promise<void>((r) => (started = r));
  slow.render = async (job, file, signal, onStep) => {
    started();
    await gate;
    return render(job, file, signal, onStep);
  };
  const first = runBatch(options(dir), slow);
  await running;
  const second = fakeDeps();
  await assert.rejects(runBatch(options(dir), second), (e: Error) => {
    assert.ok(e instanceof BatchError, String(e));
    assert.equal(e.message, `${dir} is in use by process ${process.pid} on ${os.hostname()} (since ${JSON.parse(fs.readFileSync(path.join(dir, LOCK_OWNER), 'utf8')).started}); wait for that batch to finish or stop it, or choose another --out folder`);
    return true;
  });
  assert.deepEqual(second.renders, []);
  release();
  assert.equal((await first).rendered, 6);
  assert.equal(manifest(dir).records.length, 6, 'one line per image');
  assert.ok(!fs.existsSync(path.join(dir, LOCK_DIR)) && !fs.existsSync(path.join(dir, LOCK_OWNER)), 'the lock is released');
});

/** The PID of a process that has exited (and so is dead). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((r) => child.once('exit', r));
  return child.pid!;
}

test('a lock left by a dead process on this host is taken at once; a live holder elsewhere is refused', async () => {
  const dir = tmp();
  fs.mkdirSync(path.join(dir, LOCK_DIR));
  fs.writeFileSync(path.join(dir, LOCK_OWNER), JSON.stringify({ pid: await deadPid(), host: os.hostname(), started: 'then' }));
  assert.equal((await runBatch(options(dir), fakeDeps())).rendered, 6);
  // A fresh lock of another host cannot be judged from here: refused, naming that host.
  fs.mkdirSync(path.join(dir, LOCK_DIR));
  fs.writeFileSync(path.join(dir, LOCK_OWNER), JSON.stringify({ pid: 4242, host: 'render-box', started: 'now' }));
  await assert.rejects(runBatch(options(dir), fakeDeps()), /is in use by process 4242 on render-box/);
});

test('start-up cleanup removes only temp files whose writer is dead', async () => {
  const dir = tmp();
  const live = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
  try {
    const host = tempHost();
    const names = {
      dead: `.0_0.png.${host}-${await deadPid()}-0badcafe.tmp`,
      live: `.0_1.png.${host}-${live.pid}-0badcafe.tmp`,
      otherHost: `.1_0.png.elsewhere-1-0badcafe.tmp`,
      unrelated: 'notes.tmp',
    };
    for (const n of Object.values(names)) fs.writeFileSync(path.join(dir, n), 'x');
    assert.deepEqual(await removeDeadTempFiles(dir), [names.dead]);
    assert.deepEqual(fs.readdirSync(dir).sort(), [names.live, names.otherHost, names.unrelated].sort());
  } finally {
    live.kill('SIGKILL');
  }
});
